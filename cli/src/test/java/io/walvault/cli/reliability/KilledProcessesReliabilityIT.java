package io.walvault.cli.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.restore.recovery.ShellQuote;
import io.walvault.testkit.PgCluster;
import io.walvault.testkit.PgHarness;
import io.walvault.testkit.PgTest;
import io.walvault.testkit.ServerUser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;

/**
 * Scenario: kill -9 at chosen points. archive_command's push of one segment is killed while
 * its object is being written, another's once its object is published but before it exits
 * (its JVM made slow to exit by dumping its classes); PostgreSQL retries both. A
 * {@code walvault backup} is killed while the server streams the database files to it: no
 * backup is listed for it, and {@code expire} keeps what it left within the grace period, and
 * the good backup and its WAL. A restore of the good backup to the end of the archive equals
 * the truth exactly.
 */
class KilledProcessesReliabilityIT {

    @PgTest(slot = 1)
    void killedPushesAndBackupsLoseNothingAndLeaveNothingListed(PgHarness pg) throws Exception {
        try (ScenarioRecord rec = new ScenarioRecord(pg, "kill-9", "kill -9 of archive-push and backup mid-upload")) {
            Rig rig = Rig.local(pg, rec, null);
            Path kills = Files.createDirectories(rig.scratch.resolve("kills"));
            Path script = rig.scratch.resolve("archive.sh");
            String walvault = ShellQuote.word(Rig.WALVAULT) + " archive-push --config " + ShellQuote.word(rig.conf.toString());
            String repo = ShellQuote.word(rig.repoDir.toString());
            // each chosen segment's first push is killed (-9) at its point: 'upload' once its temporary
            // object exists, 'published' once the object itself does; PostgreSQL then retries it
            Files.writeString(script, String.join("\n",
                    "#!/bin/bash",
                    "p=\"$1\"; f=\"$(basename \"$p\")\"; k=" + ShellQuote.word(kills.toString()),
                    "for point in upload published; do",
                    "  if [[ -e \"$k/$point/$f\" && ! -e \"$k/$point/$f.done\" ]]; then",
                    "    touch \"$k/$point/$f.done\"",
                    // after publishing, the JVM dumps its classes as it exits (a second or so): a wide window for the kill
                    "    if [[ $point == published ]]; then export WALVAULT_CDS_DIR=off WALVAULT_JAVA_OPTS=\"-XX:ArchiveClassesAtExit=$k/exit-$f.jsa -Xlog:cds=off\"; fi",
                    "    " + walvault + " --look-ahead 0 \"$p\" &",
                    "    pid=$!",
                    "    for i in $(seq 1 5000); do",
                    "      if [[ $point == upload ]]; then hit=$(find " + repo + " -name \".*$f*\" | head -1);",
                    "      else hit=$(find " + repo + " -name \"$f.*\" ! -name '.*' | head -1); fi",
                    "      if [[ -n $hit ]]; then kill -9 $pid && echo \"$f $point\" >> \"$k/killed.log\"; break; fi",
                    "      kill -0 $pid 2>/dev/null || break",
                    "      sleep 0.002",
                    "    done",
                    "    wait $pid; exit 1",
                    "  fi",
                    "done",
                    "exec " + walvault + " --look-ahead 0 \"$p\"",
                    ""));
            Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
            ServerUser.get().adopt(rig.scratch);
            rig.startPrimary(ShellQuote.word(script.toString()) + " %p", Map.of());
            rig.truth.write(2000);
            String good = rig.backup("good");

            String now = rig.currentSegment();
            String upload = Segments.plus(now, 1);
            String published = Segments.plus(now, 2);
            Files.createDirectories(kills.resolve("upload"));
            Files.createDirectories(kills.resolve("published"));
            Files.writeString(kills.resolve("upload").resolve(upload), "");
            Files.writeString(kills.resolve("published").resolve(published), "");
            ServerUser.get().adopt(kills);
            rig.writeSegments(3 * Rig.SOAK, 1000);
            // a database big enough for the backup to be caught mid-stream (not part of the truth)
            rig.primary.execute("CREATE TABLE filler AS SELECT g, repeat(md5(g::text), 24) AS pad FROM generate_series(1, 30000) g");

            // a backup killed while the server streams the database files into it
            killBackupMidStream(rig);
            rec.fault("kill -9 backup", "walvault backup killed while the server streamed the database files to it", 1);

            rig.writeSegments(2 * Rig.SOAK, 1000);
            rig.archiveAll(Duration.ofMinutes(3));
            List<String> killed = Files.readAllLines(kills.resolve("killed.log"));
            assertTrue(killed.contains(upload + " upload"), "push of " + upload + " was not killed mid-upload: " + killed);
            assertTrue(killed.contains(published + " published"), "push of " + published + " was not killed after publishing: " + killed);
            rec.fault("kill -9 archive-push", "push of " + upload + " killed while its object was being written", 1);
            rec.fault("kill -9 archive-push", "push of " + published + " killed after its object was published, before it exited", 1);

            assertEquals(List.of(good), rig.backups(), "the killed backup must not be listed");
            List<String> leftovers = leftovers(rig.repoDir.resolve("clusters"), good);
            assertFalse(leftovers.isEmpty(), "the killed backup left nothing for expire to clean up");
            Rig.Result within = rig.walvault("expire", "--retain-full", "1", "--orphan-grace", "1h");
            assertEquals(0, within.code(), within.output());
            assertEquals(leftovers, leftovers(rig.repoDir.resolve("clusters"), good), "leftovers removed within the grace period:\n"
                    + within.output());
            assertEquals(List.of(good), rig.backups());
            rec.note("the killed backup left " + leftovers.size() + " file(s) " + leftovers.stream().map(f -> f.substring(f.lastIndexOf('/') + 1))
                    .toList() + "; expire --orphan-grace 1h kept them while fresh, and kept the good backup and its WAL");

            PgCluster restored = rig.restoreAndPromote("after-kills");
            rig.compare("after-kills", "restore of the good backup to the end of the archive", restored, true);
            rec.passed();
        }
    }

    /** Starts {@code walvault backup} and kills it (-9) once the server has begun streaming the database files to it. */
    static void killBackupMidStream(Rig rig) throws Exception {
        Path backupLog = rig.scratch.resolve("killed-backup.log");
        Files.writeString(backupLog, "");
        ServerUser.get().adopt(backupLog);
        Process backup = rig.startLogged(backupLog, Map.of(), "backup", "--pg", rig.backupConninfo(), "--checkpoint", "fast",
                "--label", "killed");
        long streamed = 0;
        try (Connection c = rig.primary.connect(); Statement st = c.createStatement()) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (streamed == 0 && backup.isAlive() && System.nanoTime() < deadline) {
                try (ResultSet rs = st.executeQuery("SELECT coalesce(max(backup_streamed), 0) FROM pg_stat_progress_basebackup")) {
                    rs.next();
                    streamed = rs.getLong(1);
                }
                if (streamed == 0) {
                    Thread.sleep(5);
                }
            }
        }
        assertTrue(streamed > 0 && backup.isAlive(), "the backup finished before it could be killed:\n" + Files.readString(backupLog));
        backup.destroyForcibly();
        backup.waitFor(30, TimeUnit.SECONDS);
        assertEquals(137, backup.exitValue(), "the backup was not killed: " + Files.readString(backupLog));
    }

    /** The files under backups/ that are not the good backup's (hidden temporary files included). */
    static List<String> leftovers(Path clusters, String good) throws Exception {
        return Rig.files(clusters).stream().filter(f -> f.contains("/backups/") && !f.contains("/backups/" + good + "/")).toList();
    }
}
