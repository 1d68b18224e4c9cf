package io.walvault.cli.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.testkit.PgCluster;
import io.walvault.testkit.PgHarness;
import io.walvault.testkit.PgTest;
import java.nio.file.Files;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Scenario: a {@code walvault backup} killed (-9) while the server streams the database files
 * to it leaves files in the repository; once they are older than the grace period,
 * {@code expire} removes them all (FORMAT.md: "expire removes what is left, and the temporary
 * files of interrupted writes, after a grace period"), the chunks only the killed backup stored
 * included, keeps the good backup and its WAL, {@code verify --all} passes, and a restore of the
 * good backup equals the truth.
 */
class KilledBackupLeftoversReliabilityIT {

    @PgTest(slot = 0)
    void expireRemovesEverythingAKilledBackupLeftOnceTheGracePeriodIsOver(PgHarness pg) throws Exception {
        try (ScenarioRecord rec = new ScenarioRecord(pg, "kill-9-leftovers", "What a killed backup leaves, after the grace period")) {
            Rig rig = Rig.local(pg, rec, null);
            rig.startPrimary();
            rig.truth.write(500);
            String good = rig.backup("good");
            Instant goodDone = Instant.now();
            rig.primary.execute("CREATE TABLE filler AS SELECT g, repeat(md5(g::text), 24) AS pad FROM generate_series(1, 30000) g");
            KilledProcessesReliabilityIT.killBackupMidStream(rig);
            rec.fault("kill -9 backup", "walvault backup killed while the server streamed the database files to it", 1);
            rig.writeSegments(2, 500);
            rig.archiveAll(Duration.ofMinutes(2));

            List<String> leftovers = new ArrayList<>(KilledProcessesReliabilityIT.leftovers(rig.repoDir.resolve("clusters"), good));
            // the chunks it stored first: none can be the good backup's (a chunk held already is not stored again)
            List<String> chunks = newChunks(rig, goodDone);
            leftovers.addAll(chunks);
            assertFalse(leftovers.isEmpty(), "the killed backup left nothing for expire to clean up");
            // the grace period passes: the leftovers' times set back two hours
            FileTime earlier = FileTime.from(Instant.now().minus(Duration.ofHours(2)));
            for (String f : leftovers) {
                Files.setLastModifiedTime(rig.repoDir.resolve("clusters").resolve(f), earlier);
            }
            Rig.Result expire = rig.walvault("expire", "--retain-full", "1", "--orphan-grace", "1h");
            assertEquals(0, expire.code(), expire.output());
            long temporary = leftovers.stream().filter(f -> f.substring(f.lastIndexOf('/') + 1).startsWith(".")).count();
            if (temporary > 0) {
                assertTrue(expire.output().contains("removed: " + temporary + " abandoned write"),
                        "expire does not report the " + temporary + " temporary file(s) it removed:\n" + expire.output());
            }
            rec.note("left by the killed backup: " + leftovers + "; after expire --orphan-grace 1h on files two hours old: "
                    + KilledProcessesReliabilityIT.leftovers(rig.repoDir.resolve("clusters"), good));
            assertEquals(List.of(), KilledProcessesReliabilityIT.leftovers(rig.repoDir.resolve("clusters"), good),
                    "leftovers of the killed backup after the grace period:\n" + expire.output());
            assertEquals(List.of(good), rig.backups());
            assertEquals(List.of(), newChunks(rig, goodDone), "chunks only the killed backup stored, after the grace period:\n"
                    + expire.output());
            rec.note("of them, " + chunks.size() + " chunk(s) the killed backup stored first: removed by expire's sweep");
            Rig.Result verify = rig.walvault("verify", "--all");
            assertEquals(0, verify.code(), verify.output());

            PgCluster restored = rig.restoreAndPromote("after-expire");
            rig.compare("after-expire", "restore of the good backup to the end of the archive, after expire", restored, true);
            rec.passed();
        }
    }

    /** Chunk files written after {@code since} (paths under clusters/). */
    private static List<String> newChunks(Rig rig, Instant since) throws Exception {
        List<String> out = new ArrayList<>();
        for (String f : Rig.files(rig.repoDir.resolve("clusters"))) {
            if (f.contains("/chunks/") && Files.getLastModifiedTime(rig.repoDir.resolve("clusters").resolve(f)).toInstant()
                    .isAfter(since)) {
                out.add(f);
            }
        }
        return out;
    }
}
