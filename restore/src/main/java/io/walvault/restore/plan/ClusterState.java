package io.walvault.restore.plan;

import static java.util.Objects.requireNonNull;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.pipeline.Futures;
import io.walvault.core.pipeline.OutputStreamSink;
import io.walvault.core.pipeline.Sink;
import io.walvault.core.repo.BackupCatalog;
import io.walvault.core.repo.BackupInfo;
import io.walvault.core.repo.ClusterCatalog;
import io.walvault.core.repo.Repository;
import io.walvault.core.wal.SegmentIndex;
import io.walvault.core.wal.TimelineHistory;
import io.walvault.core.wal.WalFileName;
import io.walvault.core.wal.WalSegmentName;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.FutureTask;
import java.util.OptionalLong;
import java.util.stream.Stream;

/**
 * What planning, info and verify need from the repository for one cluster, read once: its
 * backups as the catalog judged them (restorable ones, damaged ones) and a listing of its WAL
 * archive with the timeline histories.
 * Also the cluster's choice ({@link #chooseCluster}) and a {@link WalSource} over its archive,
 * shared by restore and verify. Immutable once loaded.
 *
 * @param cluster the cluster's catalog
 * @param backups its restorable backups (committed, every object present), oldest end first
 * @param damaged its damaged backups (committed, but something they need is missing), with what is wrong
 * @param listing its WAL archive
 */
public record ClusterState(ClusterCatalog cluster, List<BackupInfo> backups, List<BackupCatalog.Entry> damaged,
                           WalArchiveListing listing) {

    public ClusterState {
        requireNonNull(cluster, "cluster is null");
        backups = List.copyOf(backups);
        damaged = List.copyOf(damaged);
        requireNonNull(listing, "listing is null");
    }

    /**
     * The cluster to work on: {@code systemIdentifier} when given (it must be in the repository),
     * else the repository's only cluster.
     */
    public static ClusterCatalog chooseCluster(Repository repo, Optional<String> systemIdentifier) {
        List<Long> clusters;
        try (Stream<Long> s = repo.clusters()) {
            clusters = s.sorted().toList();
        }
        if (systemIdentifier.isPresent()) {
            long id;
            try {
                id = Long.parseUnsignedLong(systemIdentifier.get().strip());
            } catch (NumberFormatException e) {
                throw new WalvaultException(ErrorCode.CONFIG, "system identifier '" + systemIdentifier.get()
                        + "' is not a number HINT: 'walvault info' lists the clusters of the repository");
            }
            if (!clusters.contains(id)) {
                throw new WalvaultException(ErrorCode.CLUSTER_AMBIGUOUS, "the repository holds no cluster with system identifier "
                        + Long.toUnsignedString(id) + " HINT: 'walvault info' lists the clusters of the repository: "
                        + names(clusters));
            }
            return repo.cluster(id);
        }
        if (clusters.size() != 1) {
            throw new WalvaultException(ErrorCode.CLUSTER_AMBIGUOUS, clusters.isEmpty()
                    ? "the repository holds no cluster yet HINT: take a backup with 'walvault backup' first"
                    : "the repository holds " + clusters.size() + " clusters (" + names(clusters) + ")"
                            + " HINT: name one with --system-identifier");
        }
        return repo.cluster(clusters.get(0));
    }

    private static String names(List<Long> clusters) {
        return clusters.stream().map(Long::toUnsignedString).reduce((a, b) -> a + ", " + b).orElse("none");
    }

    /**
     * Reads the backups' records (one commit record each) and lists the WAL archive, the two side
     * by side (on an object store both are round trips). The WAL is listed after the backups
     * are, so it holds the WAL of every backup found committed.
     */
    public static ClusterState load(ClusterCatalog cluster) {
        try {
            List<BackupInfo> backups = new ArrayList<>();
            List<BackupCatalog.Entry> damaged = new ArrayList<>();
            List<FutureTask<ArchivedNames>> wal = new ArrayList<>(1);
            List<BackupCatalog.Entry> entries = cluster.backups().entries(
                    () -> wal.add(Futures.startOnDaemon("walvault-wal-listing", () -> ArchivedNames.read(cluster))));
            for (BackupCatalog.Entry e : entries) {
                switch (e.state()) {
                    case RESTORABLE -> backups.add(e.info().orElseThrow());
                    case DAMAGED -> damaged.add(e);
                    case INCOMPLETE -> {
                        // a failed or interrupted backup (expire removes it), or one still running: not a backup
                    }
                }
            }
            backups.sort(Comparator.comparing(BackupInfo::stopTime));
            long segmentSize = backups.stream().map(BackupInfo::walSegmentSize).filter(OptionalLong::isPresent)
                    .map(OptionalLong::getAsLong).reduce((a, b) -> b).orElse(WalSegmentName.DEFAULT_SEGMENT_SIZE);
            WalArchiveListing listing = new WalArchiveListing(segmentSize);
            ArchivedNames archived = Futures.await(wal.get(0), "listing the WAL archive");
            for (WalFileName n : archived.names()) {
                if (n.kind() == WalFileName.Kind.SEGMENT || n.kind() == WalFileName.Kind.PARTIAL) {
                    listing.add(n, 0);
                }
            }
            archived.histories().forEach(listing::addHistory);
            return new ClusterState(cluster, backups, damaged, listing);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The names in a cluster's WAL archive, and its timeline histories read. */
    private record ArchivedNames(List<WalFileName> names, List<TimelineHistory> histories) {
        static ArchivedNames read(ClusterCatalog cluster) throws IOException {
            List<WalFileName> names;
            try (Stream<WalFileName> s = cluster.wal().list()) {
                names = s.toList();
            }
            List<TimelineHistory> histories = new ArrayList<>();
            for (WalFileName n : names) {
                if (n.kind() == WalFileName.Kind.HISTORY) {
                    histories.add(TimelineHistory.parse(n.timeline(), new String(ClusterState.read(cluster, n), StandardCharsets.UTF_8)));
                }
            }
            return new ArchivedNames(names, histories);
        }
    }

    /** The backup {@code id}'s record. */
    public Optional<BackupInfo> backup(String id) {
        return backups.stream().filter(b -> b.id().equals(id)).findFirst();
    }

    /** Archived WAL, decoded as it is read (bounded memory, no staging), and the segments' indexes. */
    public WalSource walSource() {
        return new WalSource() {
            @Override
            public void read(WalFileName file, Sink out) throws IOException {
                cluster.wal().get(file, out);
            }

            @Override
            public Optional<SegmentIndex> index(WalFileName file) {
                return cluster.wal().index(file);
            }
        };
    }

    private static byte[] read(ClusterCatalog cluster, WalFileName name) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        cluster.wal().get(name, new OutputStreamSink(bytes, false));
        return bytes.toByteArray();
    }
}
