package io.walvault.cli.restore;

import io.walvault.cli.options.DatabaseOptions;
import io.walvault.cli.options.RepositoryOptions;
import io.walvault.cli.options.TargetOptions;
import io.walvault.core.config.RepositorySettings;
import io.walvault.core.config.Settings;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.repo.Repositories;
import io.walvault.core.repo.Repository;
import io.walvault.restore.run.Restore;
import io.walvault.restore.verify.Verify;
import io.walvault.restore.verify.VerifyDrill;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code walvault verify}: parses the options and delegates to {@link Verify} (and {@link VerifyDrill}). */
@Command(name = "verify", mixinStandardHelpOptions = true,
        footerHeading = "%nExample:%n", footer = {"  walvault verify --config /etc/walvault/main.conf --all", "  walvault verify --config /etc/walvault/main.conf --drill \\", "      --pg-bin /usr/lib/postgresql/18/bin --run-as postgres", "  walvault verify --config /etc/walvault/main.conf --drill --db-include sales \\", "      --pg-bin /usr/lib/postgresql/18/bin --run-as postgres"},
        header = "Check that a backup and the WAL it needs can be restored, without writing a data directory.",
        description = {"Decodes every bundle of the backup and checks each file against the manifest, checks the manifest is"
                + " complete, and checks that the WAL from the backup to the target (default: the end of the archive) is"
                + " archived without a gap and that every segment decodes and validates. Exits 0 only if everything"
                + " checked; otherwise lists every failure and exits " + 83 + ".",
                "--drill also restores into a scratch directory, starts PostgreSQL on it (--pg-bin, or found on PATH;"
                        + " --run-as USER when run as root), waits for recovery to reach the target, runs the checks"
                        + " (connect, databases and relation counts, --sql), and removes the scratch cluster (--keep keeps it)."})
public final class VerifyCommand implements Callable<Integer> {

    @Mixin
    RepositoryOptions repository;

    @Mixin
    TargetOptions target;

    @Option(names = "--system-identifier", paramLabel = "ID", description = "The cluster, when the repository holds several"
            + " (WALVAULT_SYSTEM_IDENTIFIER).")
    String systemIdentifier;

    @Option(names = "--backup", paramLabel = "ID", description = "The backup to verify (default: the newest).")
    String backup;

    @Option(names = "--all", negatable = true, fallbackValue = "true",
            description = "Verify every backup of the cluster.")
    boolean all;

    @Option(names = "--jobs", paramLabel = "N", description = "Objects checked at once (default 4).")
    int jobs = 4;

    @Option(names = "--drill", negatable = true, fallbackValue = "true",
            description = "Also restore into a scratch directory, start PostgreSQL on it and run checks.")
    boolean drill;

    @Option(names = "--scratch", paramLabel = "DIR", description = "Drill: the scratch directory (new or empty; default: a"
            + " temporary directory).")
    Path scratch;

    @Option(names = "--keep", negatable = true, fallbackValue = "true",
            description = "Drill: keep the scratch cluster afterwards.")
    boolean keep;

    @Option(names = "--pg-bin", paramLabel = "DIR", description = "Drill: the directory holding the 'postgres' of the"
            + " backup's major version (default: PATH, then the usual package directories).")
    Path pgBin;

    @Option(names = "--run-as", paramLabel = "USER", description = "Drill: the OS user the server runs as (required as root).")
    String runAs;

    @Option(names = "--db-user", paramLabel = "ROLE", description = "Drill: the role to connect as (default postgres).")
    String dbUser = "postgres";

    @Option(names = "--sql", paramLabel = "SQL", description = "Drill: a query that must succeed on the restored cluster"
            + " (repeatable); its first value is reported.")
    List<String> sql = List.of();

    @Option(names = "--drill-timeout", paramLabel = "SECONDS", description = "Drill: how long recovery may take (default 600).")
    long drillTimeout = 600;

    @Mixin
    DatabaseOptions databases;

    @Option(names = "--standby", negatable = true, fallbackValue = "true",
            description = "Drill: rehearse a standby (as restore --standby): it passes once the"
            + " standby serves reads and has replayed the repository's WAL to its last segment.")
    boolean standby;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (jobs < 1 || jobs > 64) {
            throw new WalvaultException(ErrorCode.USAGE, "--jobs " + jobs + " is not between 1 and 64");
        }
        if (!drill && (databases.given() || standby)) {
            throw new WalvaultException(ErrorCode.USAGE, "--db-include, --db-exclude and --standby choose what a drill"
                    + " restores HINT: add --drill");
        }
        databases.choice(); // refused here, before anything is read, when both are given
        if (drill && all) {
            throw new WalvaultException(ErrorCode.USAGE, "--drill restores one backup; it cannot be combined with --all");
        }
        Map<String, String> own = new LinkedHashMap<>();
        own.put("system-identifier", systemIdentifier);
        Settings settings = repository.settings(own, System.getenv());
        Path launcher = drill ? Restore.launcher(Optional.ofNullable(System.getenv("WALVAULT_LAUNCHER"))) : null;
        // one repository for the verification, the drill's restore and its record: a passphrase's key is derived once
        try (RepositorySettings rs = RepositorySettings.from(settings); Repository repo = Repositories.open(rs)) {
            return verify(settings, rs, repo, launcher);
        }
    }

    private int verify(Settings settings, RepositorySettings rs, Repository repo, Path launcher) throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        Verify.Report report = new Verify(rs, new Verify.Options(settings.get("system-identifier"), Optional.ofNullable(backup), all,
                target.target(), target.timeline(), target.inclusive(), jobs), out).run(repo);
        if (!report.failures().isEmpty()) {
            StringBuilder sb = new StringBuilder("verification failed: " + report.failures().size() + " problem"
                    + (report.failures().size() == 1 ? "" : "s") + ":");
            report.failures().forEach(f -> sb.append("\n  - ").append(f));
            throw new WalvaultException(ErrorCode.VERIFY_FAILED, sb.toString());
        }
        out.println("verify: everything checked is intact (" + String.join(", ", report.backups()) + ")"
                + (report.warnings().isEmpty() ? "" : "; " + report.warnings().size() + " warning"
                        + (report.warnings().size() == 1 ? "" : "s") + " above"));
        out.flush();
        if (drill) {
            String id = report.backups().get(0);
            VerifyDrill.run(settings, rs, repo, report.systemId(), id, VerifyDrill.pgMajor(repo, report.systemId(), id), target.target(),
                    target.timeline(), target.inclusive(), jobs, launcher, new VerifyDrill.Options(Optional.ofNullable(scratch), keep,
                            Optional.ofNullable(pgBin), Optional.ofNullable(runAs), dbUser, sql, Duration.ofSeconds(drillTimeout),
                            databases.choice(), standby),
                    out);
        }
        return 0;
    }
}
