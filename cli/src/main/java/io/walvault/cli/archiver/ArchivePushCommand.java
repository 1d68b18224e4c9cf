package io.walvault.cli.archiver;

import io.walvault.archiver.push.ArchivePush;
import io.walvault.archiver.push.ArchivePushSettings;
import io.walvault.cli.options.RepositoryOptions;
import io.walvault.cli.options.WalvaultSettings;
import io.walvault.core.config.RepositorySettings;
import io.walvault.core.config.Settings;
import io.walvault.core.hook.HookCaller;
import io.walvault.core.hook.WorkerStarter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code walvault archive-push %p}: PostgreSQL's archive_command. Parses and delegates to {@link ArchivePush}. */
@Command(name = "archive-push", mixinStandardHelpOptions = true,
        footerHeading = "%nExample:%n", footer = {"  archive_command = '/opt/walvault/bin/walvault archive-push \\", "      --config /etc/walvault/main.conf %%p'"},
        header = "Archive one WAL file durably (PostgreSQL's archive_command).",
        description = {"Archive one WAL file; for PostgreSQL's archive_command:",
                "  archive_command = 'walvault archive-push --repo URI %%p'",
                "Exits 0 only once the file is durable in the repository (an identical copy already there counts);"
                        + " a different file under the same name is refused (41), never overwritten. Segments are"
                        + " checked (system identifier, segment size, page addresses) before they are stored.",
                "The first call starts a worker (one per pg_wal, detached, logging to pg_wal/.walvault/push.log) that"
                        + " pushes the .ready files of pg_wal/archive_status ahead, in parallel, and records each outcome in"
                        + " pg_wal/.walvault/push: bin/walvault then answers PostgreSQL's calls for them without starting Java,"
                        + " with 0 once a file is durable or with the worker's error and exit code when it failed.",
                "archive-push-queue-max (e.g. 8GB; unset by default): while the repository fails, WAL beyond that much"
                        + " waiting in pg_wal is given up unarchived (logged as an error, recorded in the repository, shown by"
                        + " info) instead of filling the disk."})
public final class ArchivePushCommand implements Callable<Integer> {

    @Mixin
    RepositoryOptions options;

    @Parameters(index = "0", paramLabel = "FILE", description = "The WAL file (%%p: relative to the data directory).")
    Path file;

    @Option(names = "--system-identifier", paramLabel = "ID", description = "Accept only WAL of this cluster"
            + " (pg_controldata's 'Database system identifier'); also names the cluster of history files"
            + " (WALVAULT_SYSTEM_IDENTIFIER).")
    String systemIdentifier;

    @Option(names = "--look-ahead", paramLabel = "N", description = "Push up to N further .ready files after this one"
            + " (default " + ArchivePushSettings.DEFAULT_LOOK_AHEAD + "; 0: off; WALVAULT_ARCHIVE_PUSH_LOOK_AHEAD).")
    String lookAhead;

    @Option(names = "--parallel", paramLabel = "N", description = "Look-ahead pushes at once (default "
            + ArchivePushSettings.DEFAULT_PARALLEL + "; WALVAULT_ARCHIVE_PUSH_PARALLEL).")
    String parallel;

    @Option(names = "--queue-max", paramLabel = "SIZE", description = "Give up WAL beyond SIZE waiting in pg_wal while the"
            + " repository fails (e.g. 8GB; unset: never; WALVAULT_ARCHIVE_PUSH_QUEUE_MAX).")
    String queueMax;

    @Spec
    CommandSpec spec;

    @Option(names = "--worker", fallbackValue = "true", hidden = true,
            description = "Be the worker of FILE's pg_wal (a call starts it).")
    boolean worker;

    /** This command's own options and the settings they set. */
    private static final Map<String, String> OWN_OPTIONS = Map.of("--system-identifier", "system-identifier",
            "--look-ahead", "archive-push-look-ahead", "--parallel", "archive-push-parallel", "--queue-max",
            "archive-push-queue-max");

    /**
     * A command line PostgreSQL runs, parsed without picocli.
     *
     * @param config   the {@code --config} file, or null
     * @param cluster  the {@code --cluster} section, or null
     * @param settings setting name to value, for every option given
     * @param file     the WAL file
     */
    record Direct(Path config, String cluster, Map<String, String> settings, Path file) {
    }

    /**
     * Parses the arguments after {@code archive-push} when they are only {@code --NAME VALUE} or
     * {@code --NAME=VALUE} options of this command (repository options included), each at most
     * once, and one file; anything else ({@code --help}, {@code --watch}, an unknown or repeated
     * option, a value or file starting with {@code -}) is empty, for picocli to parse and report.
     * picocli's classes are too old (Java 5 class files) for Java 17's class-data sharing, and its
     * reflective model of the command costs more CPU than the rest of a call's start-up, which
     * PostgreSQL pays for every WAL file.
     */
    static Optional<Direct> parseDirect(String[] args) {
        Set<String> repositoryOptions = new RepositoryOptions().flags().keySet();
        Map<String, String> settings = new LinkedHashMap<>();
        Path config = null;
        Path file = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("-")) {
                if (file != null) {
                    return Optional.empty();
                }
                file = Path.of(a);
                continue;
            }
            int eq = a.indexOf('=');
            String option = eq < 0 ? a : a.substring(0, eq);
            String value;
            if (eq >= 0) {
                value = a.substring(eq + 1);
            } else if (i + 1 < args.length) {
                value = args[++i];
            } else {
                return Optional.empty();
            }
            String name = option.equals("--config") ? "config" : option.equals("--cluster") ? "cluster" : OWN_OPTIONS.get(option);
            if (name == null && option.startsWith("--") && repositoryOptions.contains(option.substring(2))) {
                name = option.substring(2);
            }
            if (name == null || value.startsWith("-") || settings.containsKey(name)) {
                return Optional.empty();
            }
            settings.put(name, value);
        }
        if (file == null) {
            return Optional.empty();
        }
        String c = settings.remove("config");
        config = c == null ? null : Path.of(c);
        return Optional.of(new Direct(config, settings.remove("cluster"), settings, file));
    }

    /**
     * Runs {@code walvault archive-push ARGS} without picocli when {@link #parseDirect} can parse
     * them (the same settings, precedence and work as {@link #call()}); empty otherwise.
     */
    public static Optional<Integer> runDirect(String[] args) throws IOException {
        Optional<Direct> d = parseDirect(args);
        if (d.isEmpty()) {
            return Optional.empty();
        }
        Settings s = WalvaultSettings.load(d.get().settings(), d.get().config(), d.get().cluster(), System.getenv());
        try (RepositorySettings rs = RepositorySettings.from(s)) {
            new ArchivePush(rs, ArchivePushSettings.from(s), workerStart(args)).run(d.get().file());
        }
        return Optional.of(0);
    }

    @Override
    public Integer call() throws IOException {
        Map<String, String> own = new LinkedHashMap<>();
        own.put("system-identifier", systemIdentifier);
        own.put("archive-push-look-ahead", lookAhead);
        own.put("archive-push-parallel", parallel);
        own.put("archive-push-queue-max", queueMax);
        Settings s = options.settings(own, System.getenv());
        List<String> original = new ArrayList<>(spec.commandLine().getParseResult().originalArgs());
        if (!original.isEmpty() && original.get(0).equals("archive-push")) {
            original.remove(0);
        }
        try (RepositorySettings rs = RepositorySettings.from(s)) {
            ArchivePush push = new ArchivePush(rs, ArchivePushSettings.from(s), workerStart(original.toArray(String[]::new)));
            if (worker) {
                List<String> all = new ArrayList<>(List.of("archive-push"));
                all.addAll(original);
                push.worker(file, HookCaller.of(all, 1, s.configFile()));
            } else {
                push.run(file);
            }
        }
        return 0;
    }

    /**
     * How a call starts the worker: the launcher (bin/walvault exports it) with this call's own
     * arguments and {@code --worker} last (where bin/walvault, which looks at the last argument for
     * the file's status, does not take it for a WAL file).
     */
    static ArchivePush.WorkerStart workerStart(String[] argsAfterCommand) {
        List<String> a = new ArrayList<>();
        a.add("archive-push");
        a.addAll(List.of(argsAfterCommand));
        a.add("--worker");
        return new ArchivePush.WorkerStart(WorkerStarter.launcher(), a);
    }
}
