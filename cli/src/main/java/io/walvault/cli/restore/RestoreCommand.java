package io.walvault.cli.restore;

import io.walvault.cli.options.DatabaseOptions;
import io.walvault.cli.options.RepositoryOptions;
import io.walvault.cli.options.TargetOptions;
import io.walvault.core.config.Settings;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.restore.recovery.RecoveryMode;
import io.walvault.restore.recovery.RecoveryOption;
import io.walvault.restore.recovery.TargetAction;
import io.walvault.restore.run.Restore;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code walvault restore}: parses the options and delegates to {@link Restore}. */
@Command(name = "restore", mixinStandardHelpOptions = true,
        footerHeading = "%nExample:%n", footer = {"  walvault restore --config /etc/walvault/main.conf \\", "      --pgdata /srv/pg/restored --target-time '2026-11-21 09:59:00+00' \\", "      --target-action promote",
                "  walvault restore --config /etc/walvault/main.conf --pgdata /srv/pg/15/main --delta \\",
                "      --target-time '2026-11-21 09:59:00+00' --target-action promote",
                "  walvault restore --config /etc/walvault/main.conf --pgdata /srv/pg/sales --db-include sales",
                "  walvault restore --config /etc/walvault/main.conf --pgdata /srv/pg/replica \\", "      --standby --primary-conninfo 'host=db1 user=replicator'"},
        header = "Restore a backup into a data directory (new, or with --delta an older copy), set up to recover to a target.",
        description = {"Plans first (backup, timelines, every WAL file needed, bytes) and stops with the missing file's name"
                + " if the archive cannot reach the target; then downloads and writes the backup's bundles in parallel,"
                + " checks every file against the backup's manifest, and writes backup_label, tablespace_map, the"
                + " server's backup_manifest, recovery.signal and the recovery settings (restore_command runs"
                + " 'walvault archive-get'). Start the server afterwards as printed.",
                "With --standby the server starts as a standby instead: standby.signal, no target, following the"
                        + " repository and, with --primary-conninfo, the primary.",
                "With --delta the data directory may hold an earlier copy of the same cluster (stopped): files with the"
                        + " backup's size and checksum are kept, the others written, what the backup lacks removed.",
                "With --db-include/--db-exclude the other databases' relation files are written as sparse zeroed files:"
                        + " the cluster starts and recovers, and the end message says which databases to drop.",
                "Without --delta, refuses a non-empty data directory or tablespace directory. On failure the directory is"
                        + " left marked incomplete (" + Restore.MARKER + ") and will not start; restoring again (with"
                        + " --delta, over what is there) completes it."})
public final class RestoreCommand implements Callable<Integer> {

    @Mixin
    RepositoryOptions repository;

    @Mixin
    TargetOptions target;

    @Option(names = "--pgdata", required = true, paramLabel = "DIR", description = "The data directory to restore into"
            + " (new or empty).")
    Path pgdata;

    @Option(names = "--system-identifier", paramLabel = "ID", description = "The cluster to restore, when the repository"
            + " holds several (WALVAULT_SYSTEM_IDENTIFIER).")
    String systemIdentifier;

    @Option(names = "--backup", paramLabel = "ID", description = "The backup to restore (default: the newest that ends"
            + " before the target).")
    String backup;

    @Option(names = "--target-action", paramLabel = "ACTION", description = "What the server does at the target: pause"
            + " (default, as PostgreSQL), promote or shutdown.")
    String action;

    @Option(names = "--tablespace-map", paramLabel = "OLD=NEW", description = "Restore the tablespace located at OLD in the"
            + " backup into the new or empty directory NEW (repeatable).")
    List<String> tablespaceMap = List.of();

    @Option(names = "--dry-run", negatable = true, fallbackValue = "true",
            description = "Print the plan and check the archive, write nothing.")
    boolean dryRun;

    @Option(names = "--archive-mode", paramLabel = "MODE", description = "preserve (default): the restored server keeps"
            + " the backed-up archive settings; off: archive_mode = off, so a copy (a test, a report server) never"
            + " archives into the repository it came from.")
    String archiveMode = "preserve";

    @Option(names = "--jobs", paramLabel = "N", description = "Bundles downloaded and written at once (default 4).")
    int jobs = 4;

    @Option(names = "--standby", negatable = true, fallbackValue = "true",
            description = "Restore a standby: standby.signal instead of recovery.signal; it replays"
            + " the repository's WAL through archive-get for good (no target) and ends only when promoted.")
    boolean standby;

    @Option(names = "--primary-conninfo", paramLabel = "CONNINFO", description = "With --standby: the primary to stream"
            + " from once the archive has nothing more (primary_conninfo; a role with REPLICATION).")
    String primaryConninfo;

    @Option(names = "--recovery-option", paramLabel = "NAME=VALUE", description = "One more setting for the restored"
            + " server's postgresql.auto.conf (repeatable), e.g. primary_slot_name=standby1; not the settings walvault"
            + " writes itself (restore_command, recovery targets, primary_conninfo).")
    List<String> recoveryOptions = List.of();

    @Option(names = "--delta", negatable = true, fallbackValue = "true",
            description = "The data directory (and tablespace directories) may hold an earlier copy of"
            + " this cluster, with its server stopped: only files that differ from the backup (size, checksum) are"
            + " written, files the backup lacks are removed. Refused over another cluster or a running server.")
    boolean delta;

    @Mixin
    DatabaseOptions databases;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        Map<String, String> own = new LinkedHashMap<>();
        own.put("system-identifier", systemIdentifier);
        Settings settings = repository.settings(own, System.getenv());
        Map<String, String> map = new LinkedHashMap<>();
        for (String m : tablespaceMap) {
            int eq = m.indexOf('=');
            if (eq <= 0 || eq == m.length() - 1) {
                throw new WalvaultException(ErrorCode.TABLESPACE_MAP_INVALID, "--tablespace-map '" + m + "' is not OLD=NEW"
                        + " HINT: OLD is the tablespace's location in the backup, NEW the directory to restore it into");
            }
            if (map.put(m.substring(0, eq), m.substring(eq + 1)) != null) {
                throw new WalvaultException(ErrorCode.TABLESPACE_MAP_INVALID, "--tablespace-map names '" + m.substring(0, eq)
                        + "' twice");
            }
        }
        if (jobs < 1 || jobs > 64) {
            throw new WalvaultException(ErrorCode.USAGE, "--jobs " + jobs + " is not between 1 and 64");
        }
        boolean archiveOff = switch (archiveMode.strip().toLowerCase(Locale.ROOT)) {
            case "preserve" -> false;
            case "off" -> true;
            default -> throw new WalvaultException(ErrorCode.USAGE, "--archive-mode '" + archiveMode + "' is not preserve or off");
        };
        RecoveryMode mode = mode();
        List<RecoveryOption> extra = recoveryOptions.stream().map(RecoveryOption::parse).toList();
        if (archiveOff && extra.stream().anyMatch(o -> o.name().equals("archive_mode"))) {
            throw new WalvaultException(ErrorCode.USAGE, "--archive-mode off and --recovery-option archive_mode contradict"
                    + " each other HINT: keep one");
        }
        // restore_command names the launcher by its absolute path (bin/walvault exports it)
        Optional<Path> launcher = dryRun ? Optional.empty()
                : Optional.of(Restore.launcher(Optional.ofNullable(System.getenv("WALVAULT_LAUNCHER"))));
        PrintWriter out = spec.commandLine().getOut();
        new Restore(settings, new Restore.Options(pgdata, settings.get("system-identifier"), target.target(), target.inclusive(),
                action(), target.timeline(), Optional.ofNullable(backup), map, dryRun, jobs, launcher, archiveOff, Optional.empty(),
                mode, extra, delta, databases.choice()), out).run();
        return 0;
    }

    private RecoveryMode mode() {
        if (!standby) {
            if (primaryConninfo != null) {
                throw new WalvaultException(ErrorCode.USAGE, "--primary-conninfo is for a standby HINT: add --standby");
            }
            return new RecoveryMode.Targeted();
        }
        if (action != null) {
            throw new WalvaultException(ErrorCode.USAGE, "--target-action does not apply to a standby: it stays one until"
                    + " promoted HINT: drop --target-action, or restore without --standby");
        }
        if (primaryConninfo != null && primaryConninfo.isBlank()) {
            throw new WalvaultException(ErrorCode.USAGE, "--primary-conninfo is empty");
        }
        return new RecoveryMode.Standby(Optional.ofNullable(primaryConninfo));
    }

    private TargetAction action() {
        if (action == null) {
            return TargetAction.PAUSE;
        }
        try {
            return TargetAction.valueOf(action.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new WalvaultException(ErrorCode.USAGE, "--target-action '" + action + "' is not pause, promote or shutdown");
        }
    }
}
