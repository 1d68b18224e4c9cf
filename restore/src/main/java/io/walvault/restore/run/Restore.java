package io.walvault.restore.run;

import static java.util.Objects.requireNonNull;

import io.walvault.core.config.RepositorySettings;
import io.walvault.core.config.Settings;
import io.walvault.core.crypto.GcmWarmUp;
import io.walvault.core.error.CorruptDataException;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.manifest.FileChecksum;
import io.walvault.core.pipeline.Sink;
import io.walvault.core.repo.BackupCatalog;
import io.walvault.core.repo.BackupInfo;
import io.walvault.core.repo.ClusterCatalog;
import io.walvault.core.repo.ManifestFile;
import io.walvault.core.repo.Repositories;
import io.walvault.core.repo.Repository;
import io.walvault.core.wal.TimelineId;
import io.walvault.restore.extract.BundleExtractSink;
import io.walvault.restore.extract.Flusher;
import io.walvault.restore.plan.ClusterState;
import io.walvault.restore.plan.RestorePlan;
import io.walvault.restore.plan.TargetPlanning;
import io.walvault.restore.plan.TargetResolver;
import io.walvault.restore.recovery.RecoveryConfigWriter;
import io.walvault.restore.recovery.RecoveryExpectation;
import io.walvault.restore.recovery.RecoverySettings;
import io.walvault.restore.recovery.RecoveryTarget;
import io.walvault.restore.recovery.ShellQuote;
import io.walvault.restore.recovery.TargetAction;
import io.walvault.restore.recovery.TargetTimeline;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code walvault restore}: rebuilds a data directory from a backup so that PostgreSQL recovers
 * it to the target.
 *
 * <pre>
 *  plan: backups + WAL listing ─▶ TargetPlanning (RestorePlanner, TargetResolver) ─▶ printed; --dry-run stops here
 *  checks: data directory and tablespace directories new or empty
 *  extract: bundles, --jobs at a time: storage ─▶ decrypt ─▶ decompress ─▶ BundleExtractSink (checksum per file)
 *  account: every manifest file present with its size, nothing else; directories and links made
 *  finish: backup_manifest, tablespace_map, restore config + recovery settings, then backup_label renamed into place
 * </pre>
 *
 * <p>Until the last step the directory holds {@value #MARKER} and no backup_label or
 * recovery.signal, so PostgreSQL cannot start on it; on any failure it stays so, and the marker
 * says why. Memory does not grow with the database: bundles stream through fixed buffers, and
 * the manifest's file entries wait in a temporary file ({@link ManifestSpool}). One run per
 * instance; {@link #run} blocks.
 */
public final class Restore {

    /** Present in the data directory from the first write until the restore succeeded. */
    public static final String MARKER = "walvault-restore.incomplete";

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
     */
    public record Options(Path dataDirectory, Optional<String> systemIdentifier, RecoveryTarget target, boolean inclusive,
                          TargetAction action, TargetTimeline timeline, Optional<String> backupId,
                          Map<String, String> tablespaceMap, boolean dryRun, int jobs, Optional<Path> launcher,
                          boolean disableArchiving, Optional<Path> tablespaceRoot) {
        public Options {
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
     * @param fetchedBytes bytes read from the repository
     * @param duration from start to end
     * @param tablespaces tablespace oid to the directory it was restored into
     */
    public record Summary(long systemId, RestorePlan plan, Optional<TargetResolver.Resolution> resolution, long files,
                          long bytes, long fetchedBytes, Duration duration, Map<String, Path> tablespaces) {
    }

    private final RepositorySettings repositorySettings;
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
        this.repositorySettings = RepositorySettings.from(settings);
        this.options = requireNonNull(options, "options is null");
        this.out = requireNonNull(out, "out is null");
    }

    /** The launcher named by {@code WALVAULT_LAUNCHER} (set by bin/walvault), checked; for restore_command. */
    public static Path launcher(Optional<String> fromEnvironment) {
        return RecoveryAccess.launcher(fromEnvironment);
    }

    public Summary run() throws IOException {
        Instant started = Instant.now();
        try (Repository repo = Repositories.open(repositorySettings)) {
            if (repo.codec().encrypted() && !options.dryRun()) {
                // compiled AES-GCM from the first bundle on, while the plan is made
                GcmWarmUp.startInBackground(GcmWarmUp.Direction.DECRYPT, "walvault-restore-warmup");
            }
            ClusterCatalog cluster = ClusterState.chooseCluster(repo, options.systemIdentifier());
            ClusterState state = ClusterState.load(cluster);
            TargetPlanning.Planned planned = TargetPlanning.plan(state, options.target(), options.timeline(),
                    options.backupId(), options.inclusive());
            RestorePlan plan = planned.plan();
            BackupCatalog catalog = cluster.backups();
            try (ManifestSpool manifest = ManifestSpool.read(catalog, plan.backup().id())) {
                if (manifest.topLevelFile("backup_label").isEmpty()) {
                    throw new CorruptDataException("the manifest of backup '" + plan.backup().id() + "' lists no backup_label;"
                            + " PostgreSQL cannot recover the backup without it HINT: choose another backup with --backup");
                }
                Map<String, String> original = tablespaces(catalog, manifest);
                Map<String, String> remap = options.tablespaceMap();
                if (options.tablespaceRoot().isPresent()) {
                    remap = new LinkedHashMap<>();
                    for (Map.Entry<String, String> t : original.entrySet()) {
                        remap.put(t.getValue(), options.tablespaceRoot().get().resolve(t.getKey()).toAbsolutePath().toString());
                    }
                }
                TablespaceLayout layout = TablespaceLayout.of(options.dataDirectory(), original, remap);
                printPlan(cluster.systemId(), plan, planned.resolution(), manifest, layout);
                checkEmpty(options.dataDirectory(), "data directory");
                for (Map.Entry<String, Path> t : layout.locations().entrySet()) {
                    checkEmpty(t.getValue(), "directory of tablespace " + t.getKey());
                }
                Path launcher = options.dryRun() ? null : options.launcher().orElseGet(() -> RecoveryAccess.launcher(Optional.empty()));
                if (options.dryRun()) {
                    out.println("dry run: nothing was written");
                    out.flush();
                    return new Summary(cluster.systemId(), plan, planned.resolution(), 0, 0, 0,
                            Duration.between(started, Instant.now()), layout.locations());
                }
                long[] done = restore(repo, catalog, cluster.systemId(), plan, manifest, layout, launcher);
                Duration took = Duration.between(started, Instant.now());
                Summary s = new Summary(cluster.systemId(), plan, planned.resolution(), done[0], done[1], done[2], took,
                        layout.locations());
                printSummary(s);
                return s;
            }
        }
    }

    // ---- plan ----

    /** Tablespace oid to its location in the backup: from tablespace_map, else from pg_tblspc links. */
    private Map<String, String> tablespaces(BackupCatalog catalog, ManifestSpool manifest) throws IOException {
        Map<String, String> m = new TreeMap<>();
        for (ManifestFile l : manifest.links()) {
            if (l.path().matches("pg_tblspc/[0-9]+")) {
                m.put(l.path().substring("pg_tblspc/".length()), l.linkTarget());
            }
        }
        Optional<ManifestFile> map = manifest.topLevelFile("tablespace_map");
        if (map.isPresent()) {
            byte[] content = capture(catalog, manifest.info().id(), map.get());
            m.putAll(TablespaceLayout.parseTablespaceMap(new String(content, StandardCharsets.UTF_8)));
        }
        return m;
    }

    /** Reads one small file out of its bundle, checking its checksum; stops decoding once it has it. */
    private static byte[] capture(BackupCatalog catalog, String backupId, ManifestFile f) throws IOException {
        if (f.size() > 16 * 1024 * 1024) {
            throw new CorruptDataException("the backup's '" + f.path() + "' is " + f.size() + " bytes long");
        }
        byte[] content = new byte[(int) f.size()];
        final class Capture implements Sink {
            long position;
            int filled;

            @Override
            public void write(byte[] b, int off, int len) {
                long start = Math.max(position, f.offset());
                long end = Math.min(position + len, f.offset() + f.size());
                if (start < end) {
                    System.arraycopy(b, (int) (off + start - position), content, (int) (start - f.offset()), (int) (end - start));
                    filled += (int) (end - start);
                }
                position += len;
                if (filled == content.length) {
                    throw new Captured();
                }
            }

            @Override
            public void finish() {
            }

            @Override
            public void close() {
            }
        }
        Capture c = new Capture();
        try {
            if (content.length > 0) {
                catalog.readBundle(backupId, f.bundle(), c);
            }
        } catch (Captured expected) {
            // the file is complete; the rest of the bundle is not needed now
        }
        if (c.filled != content.length) {
            throw new CorruptDataException("bundle '" + catalog.bundleKey(backupId, f.bundle()) + "' ended before '" + f.path()
                    + "' was complete");
        }
        String[] want = f.sha256() != null ? new String[] {"SHA256", f.sha256()} : f.checksum().split(":", 2);
        FileChecksum sum = FileChecksum.of(want[0]);
        sum.update(ByteBuffer.wrap(content));
        if (!sum.hex().equals(want[1])) {
            throw new CorruptDataException("file '" + f.path() + "' from bundle '" + catalog.bundleKey(backupId, f.bundle())
                    + "' has " + want[0] + " " + sum.hex() + ", but the backup's manifest says " + want[1]);
        }
        return content;
    }

    /** Stops a bundle's decoding once {@link #capture} has what it needs. */
    private static final class Captured extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Captured() {
            super(null, null, false, false);
        }
    }

    private void printPlan(long systemId, RestorePlan plan, Optional<TargetResolver.Resolution> resolution, ManifestSpool manifest,
                           TablespaceLayout layout) {
        BackupInfo b = manifest.info();
        out.println("restore plan for cluster " + Long.toUnsignedString(systemId) + ":");
        out.printf(Locale.ROOT, "  backup:     '%s' label '%s', PostgreSQL %s, timeline %d%n", b.id(), b.label() == null ? "" : b.label(),
                b.serverVersion() == null ? Integer.toString(b.pgVersion()) : b.serverVersion(), b.timeline());
        out.printf(Locale.ROOT, "              started %s at %s, consistent at %s (ended %s)%n", b.startLsn(), b.startTime(),
                b.stopLsn(), b.stopTime());
        out.println("  target:     " + plan.target().describe() + (resolution.map(r -> ": recovery stops "
                + (r.stopsBefore() ? "before" : "after") + " the record at " + r.stopRecord()
                + r.lastCommitTime().map(t -> " (last commit kept at " + t + ")").orElse("")).orElse("")));
        if (!(plan.target() instanceof RecoveryTarget.EndOfArchive)) {
            out.println("              then: " + switch (options.action()) {
                case PAUSE -> "pause (read-only; end recovery with pg_ctl promote or SELECT pg_wal_replay_resume())";
                case PROMOTE -> "promote (a new timeline, accepting writes)";
                case SHUTDOWN -> "shut down (start it again with another target to go further)";
            });
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
        for (Map.Entry<TimelineId, List<RestorePlan.PlannedWal>> e : byTimeline.entrySet()) {
            List<RestorePlan.PlannedWal> w = e.getValue();
            out.printf(Locale.ROOT, "  %s timeline %s: %s to %s (%d files, all in the archive)%n", first ? "WAL:       " : "           ",
                    e.getKey(), w.get(0).file(), w.get(w.size() - 1).file(), w.size());
            first = false;
        }
        out.printf(Locale.ROOT, "  fetch:      %d bundles, %s stored; restores %d files, %s%n", manifest.bundles().size(),
                mb(b.storedBytes() == null ? plan.backup().storedBytes() : b.storedBytes()), manifest.files(), mb(manifest.bytes()));
        out.println("              (PostgreSQL fetches the WAL itself through archive-get while it recovers)");
        out.println("  into:       " + options.dataDirectory());
        layout.locations().forEach((oid, loc) -> out.println("              tablespace " + oid + ": '" + layout.original().get(oid)
                + "'" + (loc.toString().equals(layout.original().get(oid)) ? "" : " -> '" + loc + "'")));
        for (String w : plan.warnings()) {
            out.println("  WARNING: " + w);
        }
        out.flush();
    }

    static String mb(long bytes) {
        return String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
    }

    /** A directory to restore into must not exist, or be empty. */
    private static void checkEmpty(Path dir, String what) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (!Files.isDirectory(dir)) {
            throw new WalvaultException(ErrorCode.RESTORE_TARGET_NOT_EMPTY, "the " + what + " '" + dir
                    + "' exists and is not a directory HINT: restore into a new or empty directory");
        }
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            if (s.iterator().hasNext()) {
                throw new WalvaultException(ErrorCode.RESTORE_TARGET_NOT_EMPTY, "the " + what + " '" + dir + "' is not empty;"
                        + " nothing was written HINT: restore into a new or empty directory (walvault never overwrites files;"
                        + " move the old directory aside first" + (what.startsWith("directory of tablespace")
                        ? ", or restore the tablespace elsewhere with --tablespace-map OLD=NEW)" : ")"));
            }
        }
    }

    // ---- restore ----

    private long[] restore(Repository repo, BackupCatalog catalog, long systemId, RestorePlan plan, ManifestSpool manifest,
                           TablespaceLayout layout, Path launcher) throws IOException {
        Path data = options.dataDirectory();
        boolean created = false;
        try {
            if (!Files.exists(data)) {
                Files.createDirectories(data.getParent());
                Files.createDirectory(data, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                created = true;
            }
            Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwx------"));
            writeMarker(data, "walvault restore of backup '" + plan.backup().id() + "' is in progress (or was interrupted):"
                    + " this directory is incomplete and must not be started\n");
        } catch (IOException e) {
            throw new WalvaultException(ErrorCode.RESTORE_WRITE_FAILED, "cannot create the data directory '" + data + "': " + e, e);
        }
        try {
            makeDirectories(manifest, layout);
            long[] written = extract(catalog, manifest, layout);
            account(manifest, layout);
            finish(catalog, systemId, plan, manifest, layout, launcher);
            return written;
        } catch (RuntimeException | IOException | Error e) {
            throw failed(data, e, created);
        }
    }

    private void makeDirectories(ManifestSpool manifest, TablespaceLayout layout) throws IOException {
        for (Path loc : layout.locations().values()) {
            Files.createDirectories(loc);
            Files.setPosixFilePermissions(loc, PosixFilePermissions.fromString("rwx------"));
        }
        Path data = options.dataDirectory();
        for (ManifestFile d : manifest.directories()) {
            if (d.path().matches("pg_tblspc/[0-9]+")) {
                continue; // the tablespace's link is made below
            }
            mkdir(layout.place(d.path()));
        }
        mkdir(data.resolve("pg_wal"));
        mkdir(data.resolve("pg_wal/archive_status"));
        mkdir(data.resolve("pg_tblspc"));
        for (Map.Entry<String, Path> t : layout.locations().entrySet()) {
            Path link = data.resolve("pg_tblspc").resolve(t.getKey());
            Files.createSymbolicLink(link, t.getValue());
        }
    }

    private static void mkdir(Path dir) throws IOException {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
    }

    /** Extracts every bundle, {@code jobs} at a time; the first failure stops the others. Returns files, bytes, fetched bytes. */
    private long[] extract(BackupCatalog catalog, ManifestSpool manifest, TablespaceLayout layout) throws IOException {
        String id = manifest.info().id();
        List<Integer> bundles = manifest.bundles();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicLong files = new AtomicLong();
        AtomicLong bytes = new AtomicLong();
        AtomicInteger bundlesDone = new AtomicInteger();
        long totalBytes = manifest.bytes();
        AtomicInteger reportedTenth = new AtomicInteger();
        Instant start = Instant.now();
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(options.jobs(), Math.max(1, bundles.size())), r -> {
            Thread t = new Thread(r, "walvault-restore-bundle");
            t.setDaemon(true);
            return t;
        });
        Flusher flusher = new Flusher(8);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int bundle : bundles) {
                futures.add(pool.submit(() -> {
                    if (failure.get() != null) {
                        return null;
                    }
                    List<ManifestFile> entries = manifest.filesOf(bundle);
                    String key = catalog.bundleKey(id, bundle);
                    try (BundleExtractSink sink = new BundleExtractSink(key, entries, f -> layout.place(f.path()), flusher)) {
                        Sink guarded = new Sink() {
                            @Override
                            public void write(byte[] b, int off, int len) throws IOException {
                                if (failure.get() != null) {
                                    throw new InterruptedIOException("another bundle failed");
                                }
                                sink.write(b, off, len);
                            }

                            @Override
                            public void finish() throws IOException {
                                sink.finish();
                            }

                            @Override
                            public void close() throws IOException {
                                sink.close();
                            }
                        };
                        catalog.readBundle(id, bundle, guarded);
                        files.addAndGet(sink.filesDone());
                        long b = bytes.addAndGet(sink.bytesWritten());
                        int n = bundlesDone.incrementAndGet();
                        int tenth = totalBytes == 0 ? 10 : (int) Math.min(10, b * 10 / totalBytes);
                        int seen = reportedTenth.get();
                        if (tenth > seen && reportedTenth.compareAndSet(seen, tenth)) {
                            double secs = Math.max(0.001, Duration.between(start, Instant.now()).toMillis() / 1000.0);
                            synchronized (out) {
                                out.printf(Locale.ROOT, "restored %d of %d bundles, %s of %s (%.1f MB/s)%n", n, bundles.size(),
                                        mb(b), mb(totalBytes), b / 1e6 / secs);
                                out.flush();
                            }
                        }
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                        throw t;
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    // the first failure is reported below
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    failure.compareAndSet(null, new WalvaultException(ErrorCode.INTERRUPTED, "restore interrupted"));
                    break;
                }
            }
            if (failure.get() == null) {
                flusher.await(); // every restored file on disk before anything says it is restored
            }
        } catch (WalvaultException e) {
            failure.compareAndSet(null, e);
        } finally {
            pool.shutdownNow();
            flusher.close();
        }
        Throwable t = failure.get();
        if (t != null) {
            if (t instanceof IOException io) {
                throw io;
            }
            if (t instanceof RuntimeException r) {
                throw r;
            }
            if (t instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(t);
        }
        Long stored = manifest.info().storedBytes();
        return new long[] {files.get(), bytes.get(), stored == null ? 0 : stored};
    }

    /** Every file of the manifest is where it belongs with its size, and nothing else is there. */
    private void account(ManifestSpool manifest, TablespaceLayout layout) throws IOException {
        List<String> problems = new ArrayList<>();
        manifest.forEachFile(f -> {
            Path p = layout.place(f.path());
            try {
                BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                if (!a.isRegularFile() || a.size() != f.size()) {
                    problems.add("'" + f.path() + "' is " + (a.isRegularFile() ? a.size() + " bytes, not " + f.size() : "not a file"));
                }
            } catch (NoSuchFileException e) {
                problems.add("'" + f.path() + "' is missing");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        long[] onDisk = {0};
        List<String> extra = new ArrayList<>();
        List<Path> roots = new ArrayList<>();
        roots.add(options.dataDirectory());
        roots.addAll(layout.locations().values());
        for (Path root : roots) {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    if (attrs.isRegularFile() && !file.equals(options.dataDirectory().resolve(MARKER))) {
                        onDisk[0]++;
                    } else if (!attrs.isRegularFile() && !attrs.isSymbolicLink()) {
                        extra.add(file.toString());
                    }
                    return FileVisitResult.CONTINUE;
                }
            });
        }
        if (onDisk[0] != manifest.files()) {
            problems.add(onDisk[0] + " files are on disk, but the backup's manifest lists " + manifest.files());
        }
        problems.addAll(extra.stream().map(x -> "'" + x + "' is neither a file nor a directory").toList());
        if (!problems.isEmpty()) {
            throw new CorruptDataException("the restored files do not match the manifest of backup '" + manifest.info().id()
                    + "': " + String.join("; ", problems.subList(0, Math.min(10, problems.size())))
                    + (problems.size() > 10 ? " (and " + (problems.size() - 10) + " more)" : ""));
        }
    }

    private void finish(BackupCatalog catalog, long systemId, RestorePlan plan, ManifestSpool manifest, TablespaceLayout layout,
                        Path launcher) throws IOException {
        Path data = options.dataDirectory();
        BackupInfo info = manifest.info();
        if (Boolean.TRUE.equals(info.serverManifest())) {
            Path target = data.resolve("backup_manifest");
            try (FileChannel ch = FileChannel.open(target, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
                catalog.readServerManifest(info.id(), new Sink() {
                    @Override
                    public void write(byte[] b, int off, int len) throws IOException {
                        ByteBuffer buf = ByteBuffer.wrap(b, off, len);
                        while (buf.hasRemaining()) {
                            ch.write(buf);
                        }
                    }

                    @Override
                    public void finish() throws IOException {
                        ch.force(true);
                    }

                    @Override
                    public void close() {
                    }
                });
            }
        }
        if (layout.remapped()) {
            // PostgreSQL re-creates pg_tblspc's links from tablespace_map when it starts from backup_label
            Path map = data.resolve("tablespace_map");
            Path tmp = data.resolve("tablespace_map.walvault.tmp");
            Files.writeString(tmp, layout.tablespaceMap(), StandardCharsets.UTF_8);
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
            Files.move(tmp, map, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
        RecoveryAccess.Commands commands = RecoveryAccess.write(data, launcher, settings, repositorySettings, systemId);
        if (!plan.wal().isEmpty()) {
            // what archive-get holds recovery to: every planned segment delivered, no promotion before the last
            RecoveryExpectation.of(systemId, plan.segmentSize(), plan.wal().stream().map(RestorePlan.PlannedWal::file).toList(),
                    plan.backup().timeline(), plan.targetTimeline()).write(data);
        }
        RecoveryConfigWriter.write(data, new RecoverySettings(commands.restoreCommand(), commands.recoveryEndCommand(),
                plan.target(), options.inclusive(), options.action(),
                options.timeline(), options.disableArchiving()));
        fsync(data.resolve("pg_wal"));
        Path label = data.resolve(TablespaceLayout.PENDING_BACKUP_LABEL);
        if (Files.exists(label)) {
            Files.move(label, data.resolve("backup_label"), StandardCopyOption.ATOMIC_MOVE);
        }
        fsync(data);
        Files.delete(data.resolve(MARKER));
        fsync(data);
    }

    private static void fsync(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    private static void writeMarker(Path data, String text) throws IOException {
        Path marker = data.resolve(MARKER);
        Files.deleteIfExists(marker);
        Files.createFile(marker, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(marker, text, StandardCharsets.UTF_8);
    }

    /** Leaves the directory unstartable, says so in the marker, and turns {@code e} into the message for the person. */
    private RuntimeException failed(Path data, Throwable e, boolean created) {
        String why = e instanceof WalvaultException w ? w.getMessage() : String.valueOf(e);
        for (String name : List.of("recovery.signal", "backup_label", TablespaceLayout.PENDING_BACKUP_LABEL)) {
            try {
                Files.deleteIfExists(data.resolve(name));
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
        }
        try {
            writeMarker(data, "walvault restore failed; this directory is incomplete and must not be started:\n" + why + "\n");
        } catch (IOException suppressed) {
            e.addSuppressed(suppressed);
        }
        String where = "; the data directory '" + data + "' is incomplete and will not start (no backup_label or"
                + " recovery.signal; see '" + MARKER + "') HINT: remove it" + (options.tablespaceMap().isEmpty() ? "" : " and the"
                + " tablespace directories") + " and restore again";
        if (e instanceof WalvaultException w) {
            WalvaultException out = new WalvaultException(w.code(), "restore failed: " + stripHint(w.getMessage()) + where
                    + hintOf(w.getMessage()), w.getCause());
            out.setStackTrace(w.getStackTrace());
            return out;
        }
        if (e instanceof IOException io) {
            return new WalvaultException(ErrorCode.RESTORE_WRITE_FAILED, "restore failed: cannot write the restored files: "
                    + io + where, io);
        }
        if (e instanceof UncheckedIOException io) {
            return new WalvaultException(ErrorCode.RESTORE_WRITE_FAILED, "restore failed: cannot write the restored files: "
                    + io.getCause() + where, io.getCause());
        }
        return new WalvaultException(ErrorCode.INTERNAL, "restore failed: " + e + where, e);
    }

    private static String stripHint(String m) {
        int h = m.indexOf(" HINT: ");
        return h < 0 ? m : m.substring(0, h);
    }

    private static String hintOf(String m) {
        int h = m.indexOf(" HINT: ");
        return h < 0 ? "" : "; " + m.substring(h + " HINT: ".length());
    }

    private void printSummary(Summary s) {
        double secs = Math.max(0.001, s.duration().toMillis() / 1000.0);
        out.printf(Locale.ROOT, "restore complete: %d files, %s in %.1f s (%.1f MB/s), every file checked against the backup's"
                + " manifest%n", s.files(), mb(s.bytes()), secs, s.bytes() / 1e6 / secs);
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
        out.flush();
    }

    private String restoreCommandHint() {
        String secrets = repositorySettings.passphrase() != null ? ", with a copy of the passphrase"
                : repositorySettings.privateKeyFiles().isEmpty() ? "" : ", with a copy of the private key";
        return "restore_command in postgresql.auto.conf (settings in " + RecoveryAccess.CONFIG + secrets + ", 0600);"
                + " recovery_end_command removes them and the prefetch spool once recovery has ended, and recovery stops"
                + " rather than ending before '" + RecoveryExpectation.FILE + "' allows";
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
