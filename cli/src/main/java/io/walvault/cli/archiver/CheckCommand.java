package io.walvault.cli.archiver;

import io.walvault.archiver.check.Check;
import io.walvault.archiver.check.CheckResult;
import io.walvault.cli.options.RepositoryOptions;
import io.walvault.cli.options.ServerConnection;
import io.walvault.core.config.ClusterGuard;
import io.walvault.core.config.RepositorySettings;
import io.walvault.core.config.Settings;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.replication.ReplicationConnection;
import io.walvault.core.replication.conn.ConnectionSettings;
import io.walvault.core.repo.Repositories;
import io.walvault.restore.info.InfoJson;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code walvault check}: parses the options and prints {@link Check}'s lines. */
@Command(name = "check", mixinStandardHelpOptions = true,
        footerHeading = "%nExample:%n", footer = {"  walvault check --config /etc/walvault/main.conf \\", "      --pg 'host=127.0.0.1 user=walvault'",
                "  walvault check --config /etc/walvault/main.conf --no-archive-command \\",
                "      --slot walvault --pg 'host=127.0.0.1 user=walvault'"},
        header = "Prove that the server's WAL reaches the repository.",
        description = {"Checks the server (the role may replicate, wal_level, max_wal_senders, archive_mode, archive_command"
                + " running walvault archive-push; summarize_wal on PostgreSQL 17+, for information), the repository (opens"
                + " with its key, takes a write; a local one must be writable by the server's OS user, who runs"
                + " archive_command), pg_stat_archiver (no failing archive_command), and end to end: switches WAL and waits"
                + " until that segment is in the repository. One line per check with what to change; exit 84 when any fails.",
                "With --no-archive-command (WAL comes through 'walvault agent') or --slot: the slot exists, is physical and"
                        + " holds WAL, and neither max_slot_wal_keep_size nor (PostgreSQL 18) idle_replication_slot_timeout"
                        + " lets the server invalidate it.",
                "The end-to-end check runs pg_switch_wal(): as a superuser, GRANT EXECUTE ON FUNCTION pg_switch_wal() TO"
                        + " the role. The repository's owner is compared with the server's OS user (the owner of"
                        + " data_directory) when the role may read data_directory: GRANT pg_read_all_settings TO the role."})
public final class CheckCommand implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(CheckCommand.class);

    @Mixin
    RepositoryOptions repository;

    @Option(names = "--pg", paramLabel = "CONNINFO", description = "The server, as a libpq conninfo (WALVAULT_PG); its role"
            + " needs REPLICATION.")
    String pg;

    @Option(names = "--archive-timeout", paramLabel = "SECONDS", description = "How long the switched segment may take to"
            + " reach the repository (default 60).")
    long archiveTimeout = 60;

    @Option(names = "--no-archive-command", fallbackValue = "true",
            description = "WAL reaches the repository through 'walvault agent', not"
            + " archive_command: do not require archive_mode and archive_command.")
    boolean noArchiveCommand;

    @Option(names = "--slot", paramLabel = "NAME", description = "The physical replication slot 'walvault agent' streams"
            + " from, to check with the settings that could invalidate it (default with --no-archive-command: walvault,"
            + " the agent's default).")
    String slot;

    @Option(names = "--json", negatable = true, fallbackValue = "true",
            description = "Print JSON instead of text.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        if (archiveTimeout < 1) {
            throw new WalvaultException(ErrorCode.USAGE, "--archive-timeout must be at least 1 second");
        }
        if (slot != null && !slot.matches("[a-z0-9_]{1,63}")) {
            throw new WalvaultException(ErrorCode.USAGE, "--slot '" + slot + "' is not a replication slot name"
                    + " HINT: use 1 to 63 lowercase letters, digits and underscores");
        }
        Optional<String> checkedSlot = Optional.ofNullable(slot).or(() -> noArchiveCommand ? Optional.of("walvault")
                : Optional.empty());
        ConnectionSettings settings = ServerConnection.of(pg);
        ReplicationConnection.prepareInBackground(); // the network code set up while the rest starts
        Settings all = repository.settings(System.getenv());
        RepositorySettings rs = RepositorySettings.from(all);
        List<CheckResult> results;
        try (rs) {
            results = new Check(settings, new Check.Options(Duration.ofSeconds(archiveTimeout), !noArchiveCommand,
                    checkedSlot, ClusterGuard.of(all, LOG::warn)))
                    .run(() -> Repositories.open(rs));
        }
        PrintWriter out = spec.commandLine().getOut();
        out.print(json ? json(results) : text(results));
        out.flush();
        long failed = results.stream().filter(r -> !r.ok()).count();
        if (failed > 0) {
            throw new WalvaultException(ErrorCode.CHECK_FAILED, failed + " of " + results.size() + " checks failed (listed above)");
        }
        return 0;
    }

    static String text(List<CheckResult> results) {
        StringBuilder sb = new StringBuilder();
        for (CheckResult r : results) {
            sb.append(r.ok() ? "ok      " : "FAILED  ").append(r.name()).append(": ").append(r.detail()).append('\n');
            r.hint().ifPresent(h -> sb.append("        HINT: ").append(h).append('\n'));
        }
        return sb.toString();
    }

    static String json(List<CheckResult> results) {
        StringBuilder sb = new StringBuilder("{\"ok\":").append(results.stream().allMatch(CheckResult::ok)).append(",\"checks\":[");
        for (int i = 0; i < results.size(); i++) {
            CheckResult r = results.get(i);
            sb.append(i == 0 ? "" : ",").append("{\"name\":").append(InfoJson.str(r.name())).append(",\"ok\":").append(r.ok())
                    .append(",\"detail\":").append(InfoJson.str(r.detail())).append(",\"hint\":")
                    .append(r.hint().map(InfoJson::str).orElse("null")).append('}');
        }
        return sb.append("]}\n").toString();
    }
}
