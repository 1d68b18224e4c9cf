package io.walvault.restore.drill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.wal.Lsn;
import io.walvault.os.OsUser;
import io.walvault.restore.recovery.RecoveryConfigWriter;
import io.walvault.restore.recovery.RecoverySettings;
import io.walvault.restore.recovery.RecoveryTarget;
import io.walvault.restore.recovery.TargetAction;
import io.walvault.restore.recovery.TargetTimeline;
import io.walvault.testkit.PgCluster;
import io.walvault.testkit.PgHarness;
import io.walvault.testkit.PgInstallation;
import io.walvault.testkit.PgTest;
import io.walvault.testkit.PgVersion;
import io.walvault.testkit.ServerUser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** A drill starts the server on a restored directory, proves it answers, and stops it. */
class DrillIT {

    @PgTest
    void aHealthyRestoreIsReportedAndABrokenOneFails(PgHarness pg, PgVersion version) throws Exception {
        PgCluster source = pg.cluster().name("source").start();
        source.execute("CREATE TABLE orders (id int)", "INSERT INTO orders SELECT generate_series(1, 1234)",
                "CREATE DATABASE shop", "CREATE MATERIALIZED VIEW mv AS SELECT 1");
        source.stop();
        Path bin = source.installation().home().resolve("bin");
        ServerBinaries binaries = ServerBinaries.find(Optional.of(bin), version.major());
        Optional<OsUser> runAs = ServerUser.jvmIsRoot() ? Optional.of(OsUser.lookup(ServerUser.get().name())) : Optional.empty();

        Path good = restoredCopy(pg, source, "good", new RecoveryTarget.EndOfArchive());
        DrillReport report = new Drill(new Drill.Settings(good, binaries, runAs, "postgres",
                List.of("SELECT count(*) FROM orders"), Duration.ofSeconds(120), List.of())).run();
        assertEquals(DrillReport.Outcome.PROMOTED, report.outcome());
        assertEquals("1234", report.checks().get(0).result());
        DrillReport.DatabaseSummary postgres = report.databases().stream().filter(d -> d.name().equals("postgres"))
                .findFirst().orElseThrow();
        assertEquals(2, postgres.relations(), "orders and the materialized view");
        assertTrue(report.databases().stream().anyMatch(d -> d.name().equals("shop")));
        assertTrue(Lsn.parse(report.replayedUntil()).isValid());

        Path unreachable = restoredCopy(pg, source, "bad", new RecoveryTarget.AtLsn(Lsn.parse("FFFF/0")));
        Drill failing = new Drill(new Drill.Settings(unreachable, binaries, runAs, "postgres", List.of(), Duration.ofSeconds(120), List.of()));
        WalvaultException e = assertThrows(WalvaultException.class, failing::run);
        assertEquals(ErrorCode.DRILL_FAILED, e.code());
        assertTrue(e.getMessage().contains("recovery ended before configured recovery target was reached"), e.getMessage());

        Path failedCheck = restoredCopy(pg, source, "check", new RecoveryTarget.EndOfArchive());
        WalvaultException check = assertThrows(WalvaultException.class, () -> new Drill(new Drill.Settings(failedCheck,
                binaries, runAs, "postgres", List.of("SELECT * FROM no_such_table"), Duration.ofSeconds(120), List.of())).run());
        assertTrue(check.getMessage().contains("no_such_table"), check.getMessage());
    }

    @PgTest(min = 18)
    void binariesOfAnotherMajorAreRefused(PgHarness pg) {
        Path bin = PgInstallation.of(PgVersion.of(14)).home().resolve("bin");
        WalvaultException e = assertThrows(WalvaultException.class, () -> ServerBinaries.find(Optional.of(bin), 18));
        assertEquals(ErrorCode.DRILL_NO_SERVER, e.code());
        assertTrue(e.getMessage().contains("is PostgreSQL 14, but the backup was taken from PostgreSQL 18"), e.getMessage());
    }

    private static Path restoredCopy(PgHarness pg, PgCluster source, String name, RecoveryTarget target) throws Exception {
        Path data = pg.scratchDirectory(name).resolve("data");
        try (var paths = Files.walk(source.dataDirectory())) {
            for (Path p : (Iterable<Path>) paths::iterator) {
                Path t = data.resolve(source.dataDirectory().relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t);
                }
            }
        }
        RecoveryConfigWriter.write(data, new RecoverySettings("false %f %p", "", target, true, TargetAction.PROMOTE,
                TargetTimeline.latest(), true));
        return data;
    }
}
