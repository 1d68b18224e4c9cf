package io.walvault.restore.run;

import static java.util.Objects.requireNonNull;

import io.walvault.core.config.RepositorySettings;
import io.walvault.core.repo.BackupInfo;
import io.walvault.core.wal.TimelineId;
import io.walvault.restore.plan.RestorePlan;
import io.walvault.restore.plan.TargetPlanning;
import io.walvault.restore.plan.TargetResolver;
import io.walvault.restore.recovery.RecoveryExpectation;
import io.walvault.restore.recovery.RecoveryMode;
import io.walvault.restore.recovery.RecoveryTarget;
import io.walvault.restore.recovery.ShellQuote;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What a restore tells the person running it: the plan before anything is written (backup,
 * target, timelines, WAL, bytes, directories, warnings) and, at the end, the summary and how
 * to start the server. Writes to the command's output only.
 */
final class RestoreReport {

    private final Restore.Options options;
    private final RepositorySettings repositorySettings;
    private final PrintWriter out;

    RestoreReport(Restore.Options options, RepositorySettings repositorySettings, PrintWriter out) {
        this.options = requireNonNull(options, "options is null");
        this.repositorySettings = requireNonNull(repositorySettings, "repositorySettings is null");
        this.out = requireNonNull(out, "out is null");
    }

    void printPlan(long systemId, RestorePlan plan, Optional<TargetResolver.Resolution> resolution, ManifestSpool manifest,
                   TablespaceLayout layout, boolean resolving, SkippedDatabases skipped) {
        BackupInfo b = manifest.info();
        out.println("restore plan for cluster " + Long.toUnsignedString(systemId) + ":");
        out.printf(Locale.ROOT, "  backup:     '%s' label '%s', PostgreSQL %s, timeline %s%n", b.id(), b.label(),
                b.serverVersion(), b.timeline());
        out.printf(Locale.ROOT, "              started %s at %s, consistent at %s (ended %s)%n", b.startLsn(), b.startTime(),
                b.stopLsn(), b.stopTime());
        out.println("  target:     " + plan.target().describe() + resolution.map(RestoreReport::stop).orElse(resolving
                ? ": searched for in the archived WAL while the backup is restored" : ""));
        if (!(plan.target() instanceof RecoveryTarget.EndOfArchive)) {
            out.println("              then: " + switch (options.action()) {
                case PAUSE -> "pause (read-only; end recovery with pg_ctl promote or SELECT pg_wal_replay_resume())";
                case PROMOTE -> "promote (a new timeline, accepting writes)";
                case SHUTDOWN -> "shut down (start it again with another target to go further)";
            });
        } else if (options.mode() instanceof RecoveryMode.Standby st) {
            out.println("              then: stay a standby (standby.signal): replay what the repository receives"
                    + st.primaryConninfo().map(c -> ", and stream from the primary in primary_conninfo when the archive"
                            + " has nothing more").orElse(", polling it") + "; ends only when promoted");
        } else {
            out.println("              then: promote at the end of the archive (a new timeline, accepting writes)");
        }
        out.println("  timelines:  " + plan.timelinePath().stream().map(TimelineId::toString).reduce((x, y) -> x + " -> " + y).orElse("")
                + " (recovery_target_timeline = " + options.timeline().setting() + ")");
        Map<TimelineId, List<RestorePlan.PlannedWal>> byTimeline = new TreeMap<>();
        for (RestorePlan.PlannedWal w : plan.wal()) {
            byTimeline.computeIfAbsent(w.file().timeline(), t -> new ArrayList<>()).add(w);
        }
        if (byTimeline.isEmpty()) {
            out.println("  WAL:        none archived after the backup");
        }
        boolean first = true;
        if (resolving && !byTimeline.isEmpty()) {
            out.println("  WAL:        from the backup to the target (the archive holds WAL to "
                    + plan.wal().get(plan.wal().size() - 1).file() + ")");
            byTimeline.clear();
        }
        for (Map.Entry<TimelineId, List<RestorePlan.PlannedWal>> e : byTimeline.entrySet()) {
            List<RestorePlan.PlannedWal> w = e.getValue();
            out.printf(Locale.ROOT, "  %s timeline %s: %s to %s (%d files, all in the archive)%n", first ? "WAL:       " : "           ",
                    e.getKey(), w.get(0).file(), w.get(w.size() - 1).file(), w.size());
            first = false;
        }
        out.printf(Locale.ROOT, "  fetch:      %d bundles%s, %s%s stored; restores %d files, %s%n", manifest.bundles().size(),
                manifest.chunkedFiles() > 0 ? " and the chunks of " + manifest.chunkedFiles() + " large files" : "",
                b.chunks().sharedBytes() > 0 ? "about " : "", mb(b.restoreReadBytes()), manifest.files(), mb(manifest.bytes()));
        out.println("              (PostgreSQL fetches the WAL itself through archive-get while it recovers)");
        if (skipped.any()) {
            long skippedBytes = skipped.skipped().stream().mapToLong(SkippedDatabases.Database::bytes).sum();
            out.println("  databases:  restored in full: " + skipped.restored().stream().map(d -> d.name() + " (" + mb(d.bytes())
                    + ")").reduce((x, y) -> x + ", " + y).orElse("none"));
            out.println("              skipped: " + skipped.skipped().stream().map(d -> d.name() + " (" + mb(d.bytes()) + ")")
                    .reduce((x, y) -> x + ", " + y).orElse("none") + ": " + mb(skippedBytes) + " not fetched or written;"
                    + " their relation files are sparse zeroed files, so the cluster starts; drop them afterwards");
        }
        out.println("  into:       " + options.dataDirectory() + (options.delta() ? " (--delta: files already there with the"
                + " backup's size and checksum are kept, the others written, what the backup lacks removed)" : ""));
        layout.locations().forEach((oid, loc) -> out.println("              tablespace " + oid + ": '" + layout.original().get(oid)
                + "'" + (loc.toString().equals(layout.original().get(oid)) ? "" : " -> '" + loc + "'")));
        for (String w : plan.warnings()) {
            out.println("  WARNING: " + w);
        }
        out.flush();
    }

    private static String stop(TargetResolver.Resolution r) {
        return ": recovery stops " + (r.stopsBefore() ? "before" : "after") + " the record at " + r.stopRecord()
                + r.lastCommitTime().map(t -> " (last commit kept at " + t + ")").orElse("");
    }

    /** The target found while the backup was restored, and the WAL recovery reads to reach it. */
    void printResolution(TargetPlanning.Planned planned) {
        RestorePlan plan = planned.plan();
        out.println("target found: " + plan.target().describe() + planned.resolution().map(RestoreReport::stop).orElse(""));
        if (!plan.wal().isEmpty()) {
            out.printf(Locale.ROOT, "  WAL:        %s to %s (%d files, all in the archive)%n", plan.wal().get(0).file(),
                    plan.wal().get(plan.wal().size() - 1).file(), plan.wal().size());
        }
        out.flush();
    }

    static String mb(long bytes) {
        return String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
    }

    void printSummary(Restore.Summary s, BundleExtraction.Extracted e, Optional<DeltaTarget.Removed> removed,
                      SkippedDatabases skipped) {
        double secs = Math.max(0.001, s.duration().toMillis() / 1000.0);
        out.printf(Locale.ROOT, "restore complete: %d files, %s written in %.1f s (%.1f MB/s), every file checked against"
                + " the backup's manifest%n", s.files(), mb(s.bytes()), secs, s.bytes() / 1e6 / secs);
        if (options.delta()) {
            out.printf(Locale.ROOT, "  delta: %d files (%s) already in place were kept; %s of the files written were"
                    + " already there page by page and not written again; %d of %d bundles read (%s unpacked);"
                    + " removed %d files, %d directories and %d links the backup does not have%n", e.keptFiles(),
                    mb(e.keptBytes()), mb(e.unchangedBytes()), e.bundlesRead(), e.bundles(), mb(e.unpackedBytes()),
                    removed.map(DeltaTarget.Removed::files).orElse(0L), removed.map(DeltaTarget.Removed::directories).orElse(0L),
                    removed.map(DeltaTarget.Removed::links).orElse(0L));
        }
        if (skipped.any()) {
            out.printf(Locale.ROOT, "  databases skipped: %s (%d relation files written as sparse zeroes, %s); once the server"
                    + " is up, drop them:%n", String.join(", ", skipped.skipped().stream().map(SkippedDatabases.Database::name)
                    .toList()), e.zeroedFiles(), mb(e.zeroedBytes()));
            for (SkippedDatabases.Database d : skipped.skipped()) {
                out.println("    DROP DATABASE " + quoteIdentifier(d.name()) + ";");
            }
        }
        Path data = options.dataDirectory();
        String owner = isRoot() ? "  (walvault ran as root: first give the directories to the server's user, e.g. chown -R postgres:postgres "
                + ShellQuote.word(data.toString()).replace("%%", "%")
                + s.tablespaces().values().stream().map(p -> " " + ShellQuote.word(p.toString()).replace("%%", "%")).reduce("", String::concat)
                + ")" : "";
        out.println("start the server as its OS user:");
        out.println("  pg_ctl -D " + ShellQuote.word(data.toString()).replace("%%", "%") + " start");
        if (!owner.isEmpty()) {
            out.println(owner);
        }
        out.println("PostgreSQL fetches WAL with: " + restoreCommandHint());
        if (options.mode() instanceof RecoveryMode.Standby st) {
            out.println("it starts as a standby (standby.signal), read-only, "
                    + st.primaryConninfo().map(c -> "following the primary in primary_conninfo and the repository")
                            .orElse("following the repository alone (WAL arrives once archived)")
                    + "; 'pg_ctl promote' makes it a primary");
        }
        out.flush();
    }

    /** A database name quoted as an SQL identifier (a reserved word or any character then works). */
    static String quoteIdentifier(String name) {
        return "\"" + name.replace("\"", "\"\"") + "\"";
    }

    private String restoreCommandHint() {
        String secrets = repositorySettings.passphrase() != null ? ", with a copy of the passphrase"
                : repositorySettings.privateKeyFiles().isEmpty() ? "" : ", with a copy of the private key";
        return "restore_command in postgresql.auto.conf (settings in " + RecoveryAccess.CONFIG + secrets + ", 0600);"
                + " recovery_end_command removes them and the prefetch spool once recovery has ended"
                + (options.mode() instanceof RecoveryMode.Targeted ? ", and recovery stops rather than ending before '"
                        + RecoveryExpectation.FILE + "' allows" : "");
    }

    private static boolean isRoot() {
        try {
            Object uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
            return Integer.valueOf(0).equals(uid);
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return false;
        }
    }
}
