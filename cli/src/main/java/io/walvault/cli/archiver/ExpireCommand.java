package io.walvault.cli.archiver;

import io.walvault.archiver.expire.Expire;
import io.walvault.archiver.expire.ExpireReport;
import io.walvault.archiver.expire.RetentionPolicy;
import io.walvault.cli.options.RepositoryOptions;
import io.walvault.core.config.RepositorySettings;
import io.walvault.core.config.Settings;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.repo.Repositories;
import io.walvault.core.repo.Repository;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code walvault expire}: parses the retention options, runs {@link Expire} on one cluster and
 * prints its report. The cluster is {@code system-identifier}, else the repository's only one.
 */
@Command(name = "expire", mixinStandardHelpOptions = true,
        footerHeading = "%nExample:%n", footer = {"  walvault expire --config /etc/walvault/main.conf \\", "      --retain-window 14d --dry-run",
                "  walvault expire --config /etc/walvault/main.conf --remove 20261121T063000Z"},
        header = "Remove backups and WAL the retention policy does not keep.",
        description = {"Remove the backups a retention policy does not keep, the WAL no kept backup needs, and what"
                + " interrupted backups left (backup directories without a manifest).",
                "Retention must be explicit: --retain-full, --retain-window, or both; with both, a backup either of them"
                        + " keeps is kept. Or --remove ID removes the backups it names and keeps every other one. The newest complete backup is never removed, history files always stay, and"
                        + " WAL is removed only before the start of the oldest kept backup (on every timeline).",
                "Refused (exit 64) while another expire runs. Beside a running backup it removes backups and WAL, and leaves"
                        + " unreferenced chunks and interrupted backups to the next expire."})
public final class ExpireCommand implements Callable<Integer> {

    @Mixin
    RepositoryOptions repository;

    @Option(names = "--retain-full", paramLabel = "N", description = "Keep the newest N complete backups (by end time).")
    Integer retainFull;

    @Option(names = "--retain-window", paramLabel = "DURATION", description = "Keep what recovery to any point of the last"
            + " DURATION needs (36h, 7d, 2w): backups that ended inside it and the newest one that ended before it.")
    String retainWindow;

    @Option(names = "--remove", paramLabel = "ID", description = "Remove this backup (repeatable) instead of applying"
            + " a retention policy (--retain-full and --retain-window, also from the config file, are then not applied;"
            + " only the command line names backups to remove, never the config file or the environment):"
            + " every other backup is kept, and WAL goes only before the oldest kept backup, as always. Refused (exit 65),"
            + " removing nothing, for the newest restorable backup, an id the cluster does not have, or a backup without a"
            + " commit record. A damaged backup may be named.")
    List<String> backups;

    @Option(names = "--orphan-grace", paramLabel = "DURATION", description = "Remove a backup directory without a manifest"
            + " only when nothing in it was written for DURATION (default 1d; 0h: at once). The same grace applies to what"
            + " killed pushes and backups left (local temporary files, S3 incomplete multipart uploads), which expire"
            + " removes repository-wide and reports with their count and size.")
    String orphanGrace;

    @Option(names = "--dry-run", negatable = true, fallbackValue = "true",
            description = "List what would be removed (and what is kept, and why); remove nothing.")
    boolean dryRun;

    @Option(names = "--system-identifier", paramLabel = "ID", description = "The cluster to expire (pg_controldata's"
            + " 'Database system identifier'; WALVAULT_SYSTEM_IDENTIFIER); default: the repository's only cluster.")
    String systemIdentifier;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        RetentionPolicy policy = policy();
        Map<String, String> own = new LinkedHashMap<>();
        own.put("system-identifier", systemIdentifier);
        Settings s = repository.settings(own, System.getenv());
        OptionalLong pinned = s.systemIdentifier();
        ExpireReport report;
        try (RepositorySettings rs = RepositorySettings.from(s); Repository repo = Repositories.open(rs)) {
            long systemId = pinned.isPresent() ? pinned.getAsLong() : Expire.onlyCluster(repo);
            report = new Expire(repo, systemId, policy).run(dryRun);
        }
        PrintWriter out = spec.commandLine().getOut();
        report.lines().forEach(out::println);
        return 0;
    }

    /**
     * The policy from the options (named backups first: they replace a count or a window); usage
     * errors for malformed values, RETENTION_NOT_SET for none.
     */
    RetentionPolicy policy() {
        try {
            Duration window = retainWindow == null ? null : RetentionPolicy.parseDuration(retainWindow);
            Duration grace = orphanGrace == null ? RetentionPolicy.DEFAULT_ORPHAN_GRACE : RetentionPolicy.parseDuration(orphanGrace);
            if (backups != null && !backups.isEmpty()) {
                return RetentionPolicy.named(backups, grace);
            }
            if (retainFull != null && retainFull < 1) {
                throw new IllegalArgumentException("--retain-full " + retainFull + " must be at least 1");
            }
            return new RetentionPolicy(retainFull == null ? 0 : retainFull, window, grace);
        } catch (IllegalArgumentException e) {
            throw new WalvaultException(ErrorCode.USAGE, e.getMessage());
        }
    }
}
