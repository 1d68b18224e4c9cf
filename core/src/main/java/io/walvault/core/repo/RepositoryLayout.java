package io.walvault.core.repo;

import io.walvault.core.wal.WalFileName;

/**
 * Where everything lives in a repository (docs/FORMAT.md, "Layout"). Keys never change once
 * written: encrypted objects are bound to their key.
 *
 * <pre>
 * walvault.json                                      descriptor (plain JSON, written last by init)
 * keyring/00000001.json                              keyring, one file per key version (plain JSON;
 *                                                    its secrets sealed in passphrase mode)
 * clusters/&lt;system-id&gt;/wal/&lt;TLI&gt;/&lt;TLI+LOG&gt;/&lt;segment&gt;[.partial]&lt;ext&gt;   WAL segments
 * clusters/&lt;system-id&gt;/wal/&lt;TLI&gt;/&lt;TLI+LOG&gt;/&lt;segment&gt;.&lt;offset&gt;.backup&lt;ext&gt;   backup history
 * clusters/&lt;system-id&gt;/wal/history/&lt;TLI&gt;.history&lt;ext&gt;                    timeline history
 * clusters/&lt;system-id&gt;/wal-index/&lt;TLI&gt;/&lt;TLI+LOG&gt;/&lt;segment&gt;.json&lt;ext&gt;  what a segment holds for recovery targets
 * clusters/&lt;system-id&gt;/backups/&lt;backup-id&gt;/data/&lt;bundle&gt;&lt;ext&gt;            file bundles
 * clusters/&lt;system-id&gt;/backups/&lt;backup-id&gt;/manifest&lt;ext&gt;                 manifest, written last
 * clusters/&lt;system-id&gt;/locks/&lt;name&gt;.lock                                  locks (plain JSON)
 * clusters/&lt;system-id&gt;/cluster.json                                       that the cluster belongs here (plain JSON)
 * </pre>
 *
 * {@code <ext>} is {@code .lz4} with LZ4, plus {@code .enc} when encrypted; the system id is
 * PostgreSQL's, in decimal as {@code pg_controldata} prints it.
 */
public final class RepositoryLayout {

    public static final String DESCRIPTOR = "walvault.json";
    public static final String KEYRING_DIR = "keyring/";
    public static final String CLUSTERS_DIR = "clusters/";

    private RepositoryLayout() {
    }

    /** {@code keyring/00000003.json}. */
    public static String keyring(int version) {
        return KEYRING_DIR + String.format("%08d", version) + ".json";
    }

    /** {@code clusters/<system-id>/}. */
    public static String cluster(long systemId) {
        return CLUSTERS_DIR + Long.toUnsignedString(systemId) + "/";
    }

    /** The key of a WAL file, without extension. */
    public static String wal(long systemId, WalFileName name) {
        String base = cluster(systemId) + "wal/";
        if (name.kind() == WalFileName.Kind.HISTORY) {
            return base + "history/" + name.name();
        }
        String seg = name.segment();
        return base + seg.substring(0, 8) + "/" + seg.substring(0, 16) + "/" + name.name();
    }

    /** The key of a WAL segment's index ({@link io.walvault.core.wal.SegmentIndex}), without extension. */
    public static String walIndex(long systemId, WalFileName name) {
        String seg = name.segment();
        return walIndexDir(systemId) + seg.substring(0, 8) + "/" + seg.substring(0, 16) + "/" + name.name() + ".json";
    }

    public static String walIndexDir(long systemId) {
        return cluster(systemId) + "wal-index/";
    }

    public static String walDir(long systemId) {
        return cluster(systemId) + "wal/";
    }

    public static String backupDir(long systemId, String backupId) {
        return cluster(systemId) + "backups/" + BackupIds.check(backupId) + "/";
    }

    /** {@code clusters/<system-id>/cluster.json}: that the cluster belongs in the repository (plain JSON). */
    public static String clusterRecord(long systemId) {
        return cluster(systemId) + "cluster.json";
    }

    public static String lock(long systemId, String name) {
        return cluster(systemId) + "locks/" + name + ".lock";
    }
}
