package io.walvault.restore.run;

import static java.util.Objects.requireNonNull;

import io.walvault.core.config.RepositorySettings;
import io.walvault.core.config.Settings;
import io.walvault.core.crypto.GcmWarmUp;
import io.walvault.core.error.CorruptDataException;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.repo.BackupCatalog;
import io.walvault.core.repo.ChunkStore;
import io.walvault.core.repo.ClusterCatalog;
import io.walvault.core.repo.ManifestFile;
import io.walvault.core.repo.Repositories;
import io.walvault.core.repo.Repository;
import io.walvault.restore.extract.BundleExtractSink;
import io.walvault.restore.plan.ClusterState;
import io.walvault.restore.plan.RestorePlan;
import io.walvault.restore.plan.RestorePlanException;
import io.walvault.restore.plan.TargetPlanning;
import io.walvault.restore.plan.TargetResolver;
import io.walvault.restore.recovery.RecoveryMode;
import io.walvault.restore.recovery.RecoveryOption;
import io.walvault.restore.recovery.RecoveryTarget;
import io.walvault.restore.recovery.TargetAction;
import io.walvault.restore.recovery.TargetTimeline;
import io.walvault.restore.status.RtoRecorder;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * {@code walvault restore}: rebuilds a data directory from a backup so that PostgreSQL recovers
 * it to the target.
 *
 * <pre>
 *  plan:     backups + WAL listing ─▶ TargetPlanning (RestorePlanner, TargetResolver) ─▶ RestoreReport; --dry-run stops here
 *            (a time target: the newest backup before it planned to the end of the archive, and its stop record
 *            searched for during the extraction by TargetResolution)
 *            (--db-include/--db-exclude: SkippedDatabases, the names read from the backup's pg_database)
 *  checks:   TargetDirectory: data directory and tablespace directories new or empty; FreeSpace: room for the files
 *            (--delta: DeltaTarget.check: the same cluster, no server running; FreeSpace.checkDelta: room for what grows)
 *  write:    TargetDirectory.create (marker) ─▶ (--delta: DeltaTarget removes pg_control, then what the backup lacks)
 *            ─▶ makeDirectories (directories, tablespace links)
 *  extract:  BundleExtraction, --jobs bundles at a time: FileSelection (kept, zeroed, or extracted)
 *            ─▶ storage ─▶ decrypt ─▶ decompress ─▶ BundleExtractSink
 *            beside it, ServerWalAhead: the plan's first WAL into the restored server's hook spool
 *  account:  RestoreAccounting: every manifest file present with its size, nothing else
 *  resolve:  TargetResolution joined: its plan is written; its refusal clears the directories (an older backup next)
 *  finish:   RecoveryFiles: backup_manifest, tablespace_map, restore config, recovery plan, recovery settings,
 *            backup_label renamed into place ─▶ spool announced ─▶ TargetDirectory.complete (marker removed)
 *            ─▶ RestoreReport summary
 * </pre>
 *
 * This class only orders those steps and turns a failure into one message.
 *
 * <p>Length: the options record (every restore mode's switches, validated together) and the
 * one retry loop over backups for a time target take a third of it; each step is its own class.
 *
 * <p>Until the last step the directory holds {@value #MARKER} and no backup_label or
 * recovery.signal, so PostgreSQL cannot start on it; on any failure it stays so, and the marker
 * says why. Memory does not grow with the database: bundles stream through fixed buffers, and
 * the manifest's file entries wait in a temporary file ({@link ManifestSpool}). One run per
 * instance; {@link #run} blocks.
 */
public final class Restore {

    /** Present in the data directory from the first write until the restore succeeded. */
    public static final String MARKER = TargetDirectory.MARKER;

    /**
     * What to restore, where and how.
     *
     * @param dataDirectory the directory to restore into (new, or empty)
     * @param systemIdentifier the cluster, when the repository has several
     * @param target where recovery stops
     * @param inclusive whether recovery stops after (true) or before the target
     * @param action what the server does at the target
     * @param timeline which timeline recovery follows
     * @param backupId a backup chosen by hand
     * @param tablespaceMap original tablespace location to new location
     * @param dryRun print the plan and stop
     * @param jobs bundles downloaded and written at once
     * @param launcher the absolute path of bin/walvault, for restore_command
     * @param disableArchiving turn archive_mode off in the restored server (scratch restores)
     * @param tablespaceRoot when given, every tablespace is restored into its own directory
     *                       {@code <root>/<oid>} (a drill's scratch), whatever {@code tablespaceMap} says
     * @param mode a server recovering to the target, or a standby
     * @param extraSettings more settings for the restored server's configuration
     * @param delta the directories may hold an earlier copy of the cluster: only what differs is written
     * @param databases the databases restored in full (the others' relation files are written as zeroes)
     */
    public record Options(Path dataDirectory, Optional<String> systemIdentifier, RecoveryTarget target, boolean inclusive,
                          TargetAction action, TargetTimeline timeline, Optional<String> backupId,
                          Map<String, String> tablespaceMap, boolean dryRun, int jobs, Optional<Path> launcher,
                          boolean disableArchiving, Optional<Path> tablespaceRoot, RecoveryMode mode,
                          List<RecoveryOption> extraSettings, boolean delta, DatabaseChoice databases) {

        /** A restore of every database into a new or empty directory. */
        public Options(Path dataDirectory, Optional<String> systemIdentifier, RecoveryTarget target, boolean inclusive,
                       TargetAction action, TargetTimeline timeline, Optional<String> backupId,
                       Map<String, String> tablespaceMap, boolean dryRun, int jobs, Optional<Path> launcher,
                       boolean disableArchiving, Optional<Path> tablespaceRoot, RecoveryMode mode,
                       List<RecoveryOption> extraSettings) {
            this(dataDirectory, systemIdentifier, target, inclusive, action, timeline, backupId, tablespaceMap, dryRun, jobs,
                    launcher, disableArchiving, tablespaceRoot, mode, extraSettings, false, DatabaseChoice.ALL);
        }

        /** A restore to {@code target}, without extra settings. */
        public Options(Path dataDirectory, Optional<String> systemIdentifier, RecoveryTarget target, boolean inclusive,
                       TargetAction action, TargetTimeline timeline, Optional<String> backupId,
                       Map<String, String> tablespaceMap, boolean dryRun, int jobs, Optional<Path> launcher,
                       boolean disableArchiving, Optional<Path> tablespaceRoot) {
            this(dataDirectory, systemIdentifier, target, inclusive, action, timeline, backupId, tablespaceMap, dryRun, jobs,
                    launcher, disableArchiving, tablespaceRoot, new RecoveryMode.Targeted(), List.of());
        }

        public Options {
            requireNonNull(mode, "mode is null");
            requireNonNull(databases, "databases is null");
            extraSettings = List.copyOf(extraSettings);
            if (mode instanceof RecoveryMode.Standby && !(target instanceof RecoveryTarget.EndOfArchive)) {
                throw new WalvaultException(ErrorCode.USAGE, "a standby follows the WAL to its end: --standby takes no"
                        + " recovery target HINT: restore to the target without --standby, or as a standby without a target");
            }
            requireNonNull(dataDirectory, "dataDirectory is null");
            requireNonNull(systemIdentifier, "systemIdentifier is null");
            requireNonNull(target, "target is null");
            requireNonNull(action, "action is null");
            requireNonNull(timeline, "timeline is null");
            requireNonNull(backupId, "backupId is null");
            tablespaceMap = Collections.unmodifiableMap(new LinkedHashMap<>(tablespaceMap));
            requireNonNull(launcher, "launcher is null");
            requireNonNull(tablespaceRoot, "tablespaceRoot is null");
            if (jobs < 1 || jobs > 64) {
                throw new IllegalArgumentException("jobs must be 1 to 64, not " + jobs);
            }
            dataDirectory = dataDirectory.toAbsolutePath().normalize();
        }
    }

    /**
     * What a restore did.
     *
     * @param systemId the cluster
     * @param plan the plan it followed
     * @param resolution where recovery will stop, for time, xid and name targets
     * @param files regular files restored (0 for a dry run)
     * @param bytes their bytes
     * @param fetchedBytes bytes read from the repository (-1 when a delta or selective restore read only some bundles)
     * @param duration from start to end
     * @param tablespaces tablespace oid to the directory it was restored into
     * @param keptFiles files a delta restore found in place and kept
     * @param skippedDatabases the databases restored as sparse zeroed files, to be dropped
     */
    public record Summary(long systemId, RestorePlan plan, Optional<TargetResolver.Resolution> resolution, long files,
                          long bytes, long fetchedBytes, Duration duration, Map<String, Path> tablespaces, long keptFiles,
                          List<String> skippedDatabases) {
        public Summary {
            skippedDatabases = List.copyOf(skippedDatabases);
        }
    }

    private final Settings settings;
    private final Options options;
    private final PrintWriter out;

    /**
     * @param settings every setting resolved for the command (the repository's are carried into
     *                 the restored server's restore_command)
     * @param out where the plan, progress and summary are printed
     */
    public Restore(Settings settings, Options options, PrintWriter out) {
        this.settings = requireNonNull(settings, "settings is null");
        this.options = requireNonNull(options, "options is null");
        this.out = requireNonNull(out, "out is null");
    }

    /** The launcher named by {@code WALVAULT_LAUNCHER} (set by bin/walvault), checked; for restore_command. */
    public static Path launcher(Optional<String> fromEnvironment) {
        return RecoveryAccess.launcher(fromEnvironment);
    }

    /** Restores; the repository settings (and the passphrase they hold) last as long as this call. */
    public Summary run() throws IOException {
        Instant started = checkDirectoryFirst();
        try (RepositorySettings repositorySettings = RepositorySettings.from(settings);
             Repository repo = Repositories.open(repositorySettings)) {
            return run(repositorySettings, repo, started);
        }
    }

    /**
     * Restores from {@code repo}, opened by the caller with {@code repositorySettings} (carried
     * into the restored server's restore_command): a drill opens the repository once for its
     * verification, its restore and its record, so a passphrase's key is derived once.
     */
    public Summary run(RepositorySettings repositorySettings, Repository repo) throws IOException {
        return run(repositorySettings, repo, checkDirectoryFirst());
    }

    /** The start of the restore, once an ordinary restore's data directory is known to be empty. */
    private Instant checkDirectoryFirst() throws IOException {
        Instant started = Instant.now();
        if (!options.delta() && !options.dryRun()) {
            // at once, before keys, plan and manifest (the tablespaces' directories once the manifest names them);
            // a dry run shows its plan first, then says what would stop the restore
            TargetDirectory.checkEmpty(options.dataDirectory(), "data directory");
        }
        return started;
    }

    private Summary run(RepositorySettings repositorySettings, Repository repo, Instant started) throws IOException {
        if (repo.codec().encrypted() && (!options.dryRun() || TargetPlanning.readsWal(options.target()))) {
            // compiled AES-GCM from the first bundle on, while the plan is made; a dry run decrypts
            // in bulk only when it searches the archived WAL for its target
            GcmWarmUp.startInBackground(GcmWarmUp.Direction.DECRYPT, "walvault-restore-warmup");
        }
        ClusterCatalog cluster = ClusterState.chooseCluster(repo, options.systemIdentifier());
        ClusterState state = ClusterState.load(cluster);
        Optional<String> tried = Optional.empty();
        while (true) {
            try {
                return attempt(cluster, state, tried, repositorySettings, started);
            } catch (Unreachable u) {
                if (!TargetPlanning.othersToTry(state, options.target(), u.backupId)) {
                    throw (RestorePlanException) u.getCause(); // as planning first would have refused it
                }
                out.println("the target is not reachable from backup '" + u.backupId + "' (" + u.getCause().getMessage()
                        + "): what was written is removed, and the older backups are tried");
                out.flush();
                tried = Optional.of(u.backupId);
            }
        }
    }

    /**
     * The target turned out unreachable from the backup extracted while it was searched for,
     * which was not chosen by hand: the directories are as before the restore, and an older
     * backup may reach it.
     */
    private static final class Unreachable extends RuntimeException {
        private final String backupId;

        Unreachable(String backupId, RestorePlanException cause) {
            super(cause.getMessage(), cause, false, false);
            this.backupId = backupId;
        }
    }

    /**
     * One restore of one backup. A time target's stop record is searched for while that backup
     * (the newest that ended before it, or the one given) is extracted ({@link TargetResolution});
     * other targets, a dry run and a retry after {@link Unreachable} plan first.
     */
    private Summary attempt(ClusterCatalog cluster, ClusterState state, Optional<String> tried,
                            RepositorySettings repositorySettings, Instant started) throws IOException {
        Optional<RestorePlan> provisional = options.dryRun() || tried.isPresent() ? Optional.empty()
                : TargetPlanning.provisional(state, options.target(), options.timeline(), options.backupId());
        TargetResolution resolution = provisional.map(p -> TargetResolution.start(state, options.target(), options.timeline(),
                p.backup().id(), options.inclusive())).orElse(null);
        TargetPlanning.Planned planned = provisional.map(p -> new TargetPlanning.Planned(p, Optional.empty()))
                .orElseGet(() -> TargetPlanning.plan(state, options.target(), options.timeline(), options.backupId(),
                        options.inclusive(), tried));
        RestorePlan plan = planned.plan();
        BackupCatalog catalog = cluster.backups();
        try (ManifestSpool manifest = ManifestSpool.read(catalog, plan.backup().id())) {
            if (manifest.topLevelFile("backup_label").isEmpty()) {
                throw new CorruptDataException("the manifest of backup '" + plan.backup().id() + "' lists no backup_label;"
                        + " PostgreSQL cannot recover the backup without it HINT: choose another backup with --backup");
            }
            Map<String, String> original = tablespaces(catalog, cluster.chunks(), manifest);
            Map<String, String> remap = options.tablespaceMap();
            if (options.tablespaceRoot().isPresent()) {
                remap = new LinkedHashMap<>();
                for (Map.Entry<String, String> t : original.entrySet()) {
                    remap.put(t.getValue(), options.tablespaceRoot().get().resolve(t.getKey()).toAbsolutePath().toString());
                }
            }
            TablespaceLayout layout = TablespaceLayout.of(options.dataDirectory(), original, remap);
            SkippedDatabases skipped = SkippedDatabases.resolve(options.databases(), catalog, cluster.chunks(), manifest);
            RestoreReport report = new RestoreReport(options, repositorySettings, out);
            report.printPlan(cluster.systemId(), plan, planned.resolution(), manifest, layout, resolution != null, skipped);
            TargetDirectory target = new TargetDirectory(options.dataDirectory(), layout);
            Map<Object, FreeSpace.Need> needs;
            if (options.delta()) {
                DeltaTarget delta = new DeltaTarget(options.dataDirectory(), layout);
                delta.check(cluster.systemId());
                needs = FreeSpace.checkDelta(manifest, layout, skipped, delta.unlistedBytes(manifest), FreeSpace.FILE_STORES);
            } else {
                target.checkEmpty();
                needs = FreeSpace.check(manifest, layout, skipped, FreeSpace.FILE_STORES);
            }
            Path launcher = options.dryRun() ? null : options.launcher().orElseGet(() -> RecoveryAccess.launcher(Optional.empty()));
            if (options.dryRun()) {
                out.println("dry run: nothing was written");
                out.flush();
                return new Summary(cluster.systemId(), plan, planned.resolution(), 0, 0, 0,
                        Duration.between(started, Instant.now()), layout.locations(), 0, skipped.names());
            }
            long walRoom = FreeSpace.writtenOn(needs, options.dataDirectory().resolve("pg_wal"), FreeSpace.FILE_STORES);
            Restored done = restore(target, cluster, planned, resolution, manifest, layout, skipped, launcher, repositorySettings,
                    report, walRoom);
            Duration took = Duration.between(started, Instant.now());
            Summary s = new Summary(cluster.systemId(), done.planned().plan(), done.planned().resolution(), done.extracted().files(),
                    done.extracted().bytes(), done.extracted().fetchedBytes(), took, layout.locations(),
                    done.extracted().keptFiles(), skipped.names());
            report.printSummary(s, done.extracted(), done.removed(), skipped);
            if (!options.delta() && options.databases().all()) {
                RtoRecorder.restore(cluster, s.bytes(), took); // a delta or selective restore's pace says nothing of a full one
            }
            return s;
        }
    }

    // ---- plan ----

    /** Tablespace oid to its location in the backup: from tablespace_map, else from pg_tblspc links. */
    private Map<String, String> tablespaces(BackupCatalog catalog, ChunkStore chunks, ManifestSpool manifest) throws IOException {
        Map<String, String> m = new TreeMap<>();
        for (ManifestFile l : manifest.links()) {
            if (l.path().matches("pg_tblspc/[0-9]+")) {
                m.put(l.path().substring("pg_tblspc/".length()), l.linkTarget());
            }
        }
        Optional<ManifestFile> map = manifest.topLevelFile("tablespace_map");
        if (map.isPresent()) {
            byte[] content = SmallFile.read(catalog, chunks, manifest.info().id(), map.get());
            m.putAll(TablespaceLayout.parseTablespaceMap(new String(content, StandardCharsets.UTF_8)));
        }
        return m;
    }

    private record Restored(TargetPlanning.Planned planned, BundleExtraction.Extracted extracted,
                            Optional<DeltaTarget.Removed> removed) {
    }

    /**
     * Writes everything, or leaves the directory marked as failed. With a {@code resolution}
     * under way, the recovery files wait for it: its plan is the one written; its failure
     * removes what was written (the directories were empty) and is thrown as planning would
     * have thrown it, or as {@link Unreachable} when an older backup may reach the target.
     */
    private Restored restore(TargetDirectory target, ClusterCatalog cluster, TargetPlanning.Planned planned,
                             TargetResolution resolution, ManifestSpool manifest, TablespaceLayout layout,
                             SkippedDatabases skipped, Path launcher, RepositorySettings repositorySettings,
                             RestoreReport report, long walRoom) throws IOException {
        Path data = options.dataDirectory();
        BackupCatalog catalog = cluster.backups();
        target.create(planned.plan().backup().id(), cluster.systemId());
        ServerWalAhead ahead = null;
        try {
            Optional<DeltaTarget.Removed> removed = Optional.empty();
            if (options.delta()) {
                DeltaTarget delta = new DeltaTarget(data, layout);
                delta.disableStart();
                removed = Optional.of(delta.removeUnlisted(manifest));
            }
            target.makeDirectories(manifest);
            ahead = ServerWalAhead.start(settings, cluster, planned.plan(), data, repositorySettings, options.timeline(), walRoom,
                    out);
            BundleExtraction.Extracted written = new BundleExtraction(options.jobs(), out).extract(catalog, cluster.chunks(), manifest,
                    layout, new FileSelection(layout, skipped, options.delta()));
            RestoreAccounting.check(manifest, layout, data, options.delta());
            if (resolution != null) {
                try {
                    planned = resolution.await();
                } catch (RuntimeException e) {
                    ahead.close();
                    if (!options.delta()) {
                        target.clear(); // a delta restore of an older backup starts from what is there, marked incomplete
                    }
                    if (e instanceof RestorePlanException rpe && options.backupId().isEmpty()) {
                        throw new Unreachable(resolution.backupId(), rpe);
                    }
                    throw e;
                }
                report.printResolution(planned);
            }
            RecoveryAccess.Commands commands = new RecoveryFiles(options, settings, repositorySettings)
                    .write(catalog, cluster.systemId(), planned, manifest, layout, launcher);
            int n = ahead.finish(commands, planned.plan());
            if (n > 0) {
                out.println("fetched ahead: the first " + n + " WAL segments recovery needs are in pg_wal/.walvault/get");
            }
            target.complete();
            return new Restored(planned, written, removed);
        } catch (Unreachable | RestorePlanException e) {
            throw e; // nothing left behind: the directories are as they were
        } catch (RuntimeException | IOException | Error e) {
            if (ahead != null) {
                ahead.close();
            }
            target.markFailed(e, cluster.systemId());
            throw failed(data, e);
        }
    }

    /** Turns {@code e} into the message for the person: what failed, that the directory will not start, what to do. */
    private RuntimeException failed(Path data, Throwable e) {
        String where = "; the data directory '" + data + "' is incomplete and will not start (no backup_label or"
                + " recovery.signal; see '" + MARKER + "')";
        String redo = "remove it" + (options.tablespaceMap().isEmpty() ? "" : " and the tablespace directories") + " and restore again";
        if (e instanceof WalvaultException w) {
            WalvaultException out = new WalvaultException(w.code(), "restore failed: " + w.what() + where,
                    redo + w.hint().map(h -> "; " + h).orElse(""), w.getCause());
            out.setStackTrace(w.getStackTrace());
            return out;
        }
        if (e instanceof IOException || e instanceof UncheckedIOException) {
            IOException io = e instanceof IOException i ? i : ((UncheckedIOException) e).getCause();
            // a file-system exception's message is only the file: its type says what happened to it
            String why = io.getMessage() == null || io instanceof FileSystemException ? io.toString() : io.getMessage();
            boolean full = why.contains("No space left on device") || why.contains("Disk quota exceeded");
            return new WalvaultException(ErrorCode.RESTORE_WRITE_FAILED, "restore failed: cannot write the restored files: "
                    + why + where, (full ? "free space on that file system or restore into a larger one; then " : "") + redo, io);
        }
        return new WalvaultException(ErrorCode.INTERNAL, "restore failed: " + e + where, redo, e);
    }
}
