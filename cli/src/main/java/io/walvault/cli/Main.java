package io.walvault.cli;

import io.walvault.cli.archiver.AgentCommand;
import io.walvault.cli.archiver.ArchivePushCommand;
import io.walvault.cli.archiver.BackupCommand;
import io.walvault.cli.archiver.CheckCommand;
import io.walvault.cli.archiver.ExpireCommand;
import io.walvault.cli.options.ConfigDefaults;
import io.walvault.cli.options.RepositoryOptions;
import io.walvault.cli.options.SettingSources;
import io.walvault.cli.repo.CatCommand;
import io.walvault.cli.repo.InitCommand;
import io.walvault.cli.repo.KeyCommand;
import io.walvault.cli.repo.StorageCheckCommand;
import io.walvault.cli.restore.ArchiveGetCommand;
import io.walvault.cli.restore.InfoCommand;
import io.walvault.cli.restore.RestoreCommand;
import io.walvault.cli.restore.StatusCommand;
import io.walvault.cli.restore.VerifyCommand;
import io.walvault.core.Version;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.replication.wire.Transport;
import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;

/**
 * The walvault executable. It only assembles the commands (cli.archiver over the archiver module,
 * cli.restore over restore, cli.repo over core's repository), maps errors to exit codes ({@link ErrorCode}) and is the only place that calls
 * {@code System.exit}.
 */
@Command(name = "walvault",
        mixinStandardHelpOptions = true,
        versionProvider = Main.VersionProvider.class,
        description = {"Continuous archiving and point-in-time recovery for PostgreSQL.",
                "Every command also takes --log-level error|warn|info|debug|trace (default info; debug adds the exceptions"
                        + " behind an error) and --log-file FILE (default: standard error; the agent's: SPOOL/log/agent.log;"
                        + " -: standard error), before or after its name, or"
                        + " WALVAULT_LOG_LEVEL and WALVAULT_LOG_FILE. Log lines carry their time with its offset."},
        footerHeading = "%nS3 options, for every command that reads or writes an s3:// repository (also WALVAULT_S3_<NAME>"
                + " or the config file):%n")
public final class Main implements Runnable {

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        if (System.console() != null) {
            // a progress bar may be drawn in place: log lines from other threads go below it, never over it
            System.setErr(new TerminalErr(System.err, Charset.defaultCharset()));
        }
        PrintWriter err = new PrintWriter(System.err, true);
        LogOptions log;
        try {
            log = LogOptions.extract(args, System.getenv());
        } catch (WalvaultException e) {
            err.println("walvault: " + e.getMessage());
            System.exit(e.code().exitCode());
            return;
        }
        log.apply(); // before the first logger
        causes = log.debug();
        String[] line = commandFirst(log.args()); // the signal handlers depend on the command, wherever it stood
        // SIGINT/SIGTERM: exit code 4 after cleanup, not the JVM's 130/143 (the agent keeps 143 for SIGTERM)
        Signals.install(line.length > 0 ? line[0] : "", Thread.currentThread(), err);
        int code = Signals.returned(run(line, new PrintWriter(System.out, true), err));
        Transport.shutdownEventLoops(Duration.ofSeconds(2)); // else the JVM's exit waits 0.3 s for their threads
        LearntClasses.markLearnt(code);
        System.exit(code);
    }

    /** Whether an error prints the exceptions behind its message ({@code --log-level debug}). */
    private static volatile boolean causes;

    /** The commands, in the order {@code --help} lists them. */
    private static final List<Class<?>> COMMANDS = List.of(HelpCommand.class, InitCommand.class, KeyCommand.class,
            CatCommand.class, StorageCheckCommand.class, CheckCommand.class, BackupCommand.class, AgentCommand.class,
            ArchivePushCommand.class,
            ArchiveGetCommand.class, InfoCommand.class, StatusCommand.class, RestoreCommand.class, VerifyCommand.class,
            ExpireCommand.class,
            AutoComplete.GenerateCompletion.class);

    /** Runs the command line and returns the exit code (used by tests in-process). */
    public static int run(String[] arguments, PrintWriter out, PrintWriter err) {
        String[] args;
        try {
            args = commandFirst(LogOptions.extract(arguments, Map.of()).args()); // log options: set for the process by main
        } catch (WalvaultException e) {
            return report(e, err);
        }
        if (args.length > 0 && args[0].equals("archive-push")) {
            // PostgreSQL runs it for every WAL file: its plain command lines skip picocli altogether
            try {
                Optional<Integer> rc = ArchivePushCommand.runDirect(Arrays.copyOfRange(args, 1, args.length));
                if (rc.isPresent()) {
                    return rc.get();
                }
            } catch (Exception e) {
                return report(e, err);
            }
        }
        CommandLine cl = new CommandLine(new Main());
        // picocli builds a model of every command it is given, by reflection, before parsing: for
        // PostgreSQL's hooks, started once per WAL file, that is most of the start-up. A command
        // named first is all that is needed to run it; anything else gets the whole tree.
        // (the completion script describes every command, so it gets the whole tree)
        Class<?> named = args.length == 0 ? null : COMMANDS.stream()
                .filter(c -> c != HelpCommand.class && c != AutoComplete.GenerateCompletion.class)
                .filter(c -> c.getAnnotation(Command.class).name().equals(args[0]))
                .findFirst().orElse(null);
        if (named != null) {
            cl.addSubcommand(named);
        } else {
            addAll(cl);
            cl.getCommandSpec().usageMessage().footer(exitCodeFooter());
        }
        // every option not on the command line may come from the environment or the config file
        ConfigDefaults defaults = null;
        if (named != null && !List.of(args).contains("--help") && !List.of(args).contains("-h")) {
            try {
                defaults = ConfigDefaults.of(args, System.getenv());
            } catch (WalvaultException e) {
                return report(e, err);
            }
            cl.setDefaultValueProvider(defaults);
        }
        SettingSources sources = new SettingSources(defaults);
        // after the subcommands: picocli hands these settings to the subcommands it has
        cl.setOut(out)
                .setErr(err)
                .setExecutionExceptionHandler((e, c, parsed) -> report(e, c.getErr(), sources))
                .setParameterExceptionHandler((e, a) -> onUsageError(e, sources));
        int rc = cl.execute(args);
        return named == ArchiveGetCommand.class ? restoreCommandStatus(rc, args) : rc;
    }

    /**
     * The command line with the command's name first: {@code walvault --repo X info} is
     * {@code walvault info --repo X}. Options before the name are the command's (walvault itself
     * has only --help and --version, and the log options taken off before).
     */
    static String[] commandFirst(String[] args) {
        if (args.length == 0 || !args[0].startsWith("-") || List.of("-h", "--help", "-V", "--version").contains(args[0])) {
            return args;
        }
        List<String> names = new ArrayList<>(List.of("help"));
        COMMANDS.forEach(c -> names.add(c.getAnnotation(Command.class).name()));
        for (int i = 1; i < args.length; i++) {
            if (args[i].equals("--")) {
                break;
            }
            if (names.contains(args[i])) {
                List<String> out = new ArrayList<>(List.of(args[i]));
                out.addAll(List.of(args).subList(0, i));
                out.addAll(List.of(args).subList(i + 1, args.length));
                return out.toArray(String[]::new);
            }
        }
        return args;
    }

    /**
     * Parses a command line as {@link #run} would, without running anything: a
     * {@link CommandLine.ParameterException} says what is wrong (for checking command lines
     * written elsewhere, such as the systemd units).
     */
    static void parse(String... args) {
        all().parseArgs(LogOptions.extract(args, Map.of()).args()); // as run() takes the log options off first
    }

    /** Every command's model, as {@code --help} and the completion script see them. */
    static CommandLine all() {
        CommandLine cl = new CommandLine(new Main());
        addAll(cl);
        return cl;
    }

    private static void addAll(CommandLine cl) {
        COMMANDS.forEach(cl::addSubcommand);
        // picocli's own command: its example is added here, as the annotations add every other command's
        cl.getSubcommands().get("generate-completion").getCommandSpec().usageMessage().footerHeading("%nExample:%n")
                .footer("  walvault generate-completion > /etc/bash_completion.d/walvault");
    }

    /**
     * archive-get as PostgreSQL's restore_command answers 0 (delivered), 76 (not in the archive:
     * recovery's normal end) or 150 (recovery must stop): PostgreSQL takes any status from 1 to
     * 125 for "not in the archive" and would end recovery and promote, so every other failure,
     * a mistyped option included, becomes 150. Not for the recovery_end_command and worker
     * modes, whose failures must stay below 126 (PostgreSQL only warns about them).
     */
    private static int restoreCommandStatus(int rc, String[] args) {
        List<String> a = List.of(args);
        if (rc == 0 || rc == ErrorCode.WAL_NOT_ARCHIVED.exitCode() || a.contains("--end-of-recovery") || a.contains("--worker")) {
            return rc;
        }
        return ErrorCode.RECOVERY_STOPPED.exitCode();
    }

    @Override
    public void run() {
        // no command given: show what there is
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** The exit codes, from the one list that defines them. */
    private static String[] exitCodeFooter() {
        List<String> lines = new ArrayList<>(RepositoryOptions.s3Help());
        lines.add("");
        lines.add("Exit codes:");
        lines.add(String.format("  %2d  %s", 0, "success"));
        for (ErrorCode c : ErrorCode.values()) {
            lines.add(String.format("  %2d  %s", c.exitCode(), c.summary()));
        }
        lines.add("  README.md says more about each.");
        return lines.toArray(String[]::new);
    }

    private static int onUsageError(CommandLine.ParameterException e, SettingSources sources) {
        CommandLine cl = e.getCommandLine();
        PrintWriter err = cl.getErr();
        if (sources.named(e.getMessage())) {
            // not what was typed: a value from the environment or the config file
            err.println("walvault: error: " + sources.annotate(e.getMessage()));
            return ErrorCode.CONFIG.exitCode();
        }
        err.println("walvault: " + e.getMessage());
        if (e instanceof CommandLine.UnmatchedArgumentException u && !u.getSuggestions().isEmpty()) {
            err.println("did you mean: " + String.join(", ", u.getSuggestions()) + "?");
        }
        err.println("HINT: run '" + cl.getCommandSpec().qualifiedName() + " --help' to see the options");
        return ErrorCode.USAGE.exitCode();
    }

    /**
     * Prints an error as walvault does and returns its exit code; an option the message names
     * whose value came from the environment or the config file is said to, and a usage error
     * about it is a configuration error.
     */
    private static int report(Exception e, PrintWriter err, SettingSources sources) {
        if (e instanceof WalvaultException w && w.code() != ErrorCode.WAL_NOT_ARCHIVED && sources.named(w.getMessage())) {
            ErrorCode code = w.code() == ErrorCode.USAGE ? ErrorCode.CONFIG : w.code();
            return report(new WalvaultException(code, sources.annotate(w.getMessage()), w.getCause()), err);
        }
        return report(e, err);
    }

    /** Prints an error as walvault does and returns its exit code. */
    private static int report(Exception e, PrintWriter err) {
        if (e instanceof WalvaultException w && w.code() == ErrorCode.WAL_NOT_ARCHIVED) {
            err.println("walvault: " + w.getMessage()); // restore_command's normal answer at the end of the archive
            return w.code().exitCode();
        }
        if (e instanceof WalvaultException w) {
            err.println("walvault: error: " + w.getMessage());
            // the message says what happened and what to do; the exceptions behind it are for debugging
            for (Throwable c = w.getCause(); causes && c != null; c = c.getCause()) {
                err.println("  caused by: " + c);
            }
            return w.code().exitCode();
        }
        err.println("walvault: internal error: " + e);
        err.println("HINT: this is a bug in walvault; please report it with the trace below");
        e.printStackTrace(err);
        return ErrorCode.INTERNAL.exitCode();
    }

    /** Prints walvault's version and the Java runtime's. */
    static final class VersionProvider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"walvault " + Version.get(),
                    "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")"};
        }
    }
}
