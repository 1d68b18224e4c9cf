package io.walvault.core.repo;

import java.util.ArrayList;
import java.util.List;

/**
 * One instance of every record the repository stores as JSON, in the shapes walvault has
 * written over its formats (format-1 manifest entries with a SHA-256, format-5 chunked ones,
 * a format-1 backup header without the later fields ...), for {@link RecordJsonTest}.
 */
final class RecordJsonSamples {

    private RecordJsonSamples() {
    }

    static final String CHUNK_A = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    static final String CHUNK_B = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";

    static BackupInfoJson fullInfo() {
        return new BackupInfoJson("20261206T065411Z", 7716080718180626057L, 150018, 1, "0/21000028", "0/21000100",
                "2026-12-06T06:54:11.853208094Z", "2026-12-06T06:54:15.574417056Z", "walvault \"nightly\"\n", 1L,
                "PostgreSQL 15.18 (Debian 15.18-0+deb12u1)", 16777216L, "000000010000000000000021", "000000010000000000000021",
                978L, 650911744L, 73500000L, 1, true, 600000000L, 1000000L, 400000L, 599000000L);
    }

    static BackupInfoJson formatOneInfo() {
        return new BackupInfoJson("20240101T000000Z", 1L, 140010, 3, "1/A0000028", "1/A0000100",
                "2024-01-01T00:00:00Z", "2024-01-01T00:01:00Z", "", null, null, null, null, null, null, null, null, null,
                null, null, null, null, null);
    }

    /** Every sample, named. */
    static List<Object[]> all() {
        List<Object[]> s = new ArrayList<>();
        s.add(new Object[] {"header", new BackupCatalog.Header(5, fullInfo())});
        s.add(new Object[] {"header format 1", new BackupCatalog.Header(1, formatOneInfo())});
        s.add(new Object[] {"trailer", new BackupCatalog.Trailer(new BackupCatalog.End(978, 650911744L))});
        s.add(new Object[] {"commit", new BackupCatalog.Commit(BackupCatalog.COMMIT_FORMAT, fullInfo(), 12345, 678L, List.of(73500000L))});
        s.add(new Object[] {"commit without server manifest", new BackupCatalog.Commit(BackupCatalog.COMMIT_FORMAT, formatOneInfo(), -1,
                null, List.of(-1L, 5L))});
        s.add(new Object[] {"file, format 1", ManifestFile.file("base/1/1259", 8192, 1700000000, "ab".repeat(32), 0, 8192)});
        s.add(new Object[] {"file", ManifestFile.file("global/pg_control", 8192, 0600, 1700000001, "CRC32C:0a1b2c3d", 2, 0)});
        s.add(new Object[] {"directory", ManifestFile.directory("pg_wal", 0700, 1700000002)});
        s.add(new Object[] {"link", new ManifestFile("pg_tblspc/16400", ManifestFile.LINK, 0, 0777, 1700000003, null, null,
                "/srv/t\u00e9 1", 0, 0, null, null, null, null)});
        s.add(new Object[] {"chunked", ManifestFile.chunked("base/5/16384", 2 * 1048576L + 100, 0600, 1700000004,
                "CRC32C:00000000", 1048576, List.of(new ChunkId(CHUNK_A), new ChunkId(CHUNK_B), new ChunkId(CHUNK_A)))});
        s.add(new Object[] {"keyring, passphrase", new KeyringFile(1, "5f0c1e7a-0000-4000-8000-000000000001", "passphrase", 2,
                new KeyringFile.Kdf("argon2id", 19456, 2, 1, "c2FsdHNhbHRzYWx0c2FsdA=="), "c2VhbGVk", null)});
        s.add(new Object[] {"keyring, public key", new KeyringFile(1, "5f0c1e7a-0000-4000-8000-000000000002", "public-key", 2,
                null, null, List.of(new KeyringFile.PublicKeyEntry(1, "cHVibGljMQ==", "2026-01-01T00:00:00Z"),
                        new KeyringFile.PublicKeyEntry(2, "cHVibGljMg==", "2026-02-01T00:00:00Z")))});
        s.add(new Object[] {"sealed keys", new KeyringFile.Sealed(List.of(new KeyringFile.SecretKeyEntry(1, "a2V5MQ==",
                "2026-01-01T00:00:00Z"), new KeyringFile.SecretKeyEntry(2, "a2V5Mg==", "2026-02-01T00:00:00Z")))});
        s.add(new Object[] {"lock holder", new RepositoryLock.Holder("0e5b1a1e-1111-4222-8333-444455556666", "db1.example", 4242,
                "2026-12-06T06:54:11Z", "2026-12-06T06:55:11Z")});
        s.add(new Object[] {"descriptor", new RepositoryDescriptor(1, "5f0c1e7a-0000-4000-8000-000000000001", "2026-01-01T00:00:00Z",
                "lz4", "passphrase", RepositoryDescriptor.CIPHER)});
        s.add(new Object[] {"descriptor, unencrypted", new RepositoryDescriptor(1, "5f0c1e7a-0000-4000-8000-000000000003",
                "2026-01-01T00:00:00Z", "none", "none", null)});
        s.add(new Object[] {"chunked with hashes", new ManifestFile("base/5/16385", "file", 1048576L + 8192, 0600, 1700000005,
                null, "CRC32C:0badcafe", null, 0, 0, 1048576, List.of(new ChunkId(CHUNK_B), new ChunkId(CHUNK_A)),
                "0123456789abcdeffedcba9876543210", "0a0b0c0d01020304")});
        s.add(new Object[] {"gap", new ArchiveGaps.Gap(ArchiveGaps.FORMAT, "000000010000000000000003", "000000010000000000000007", 5,
                83886080, "db1", "2026-12-01T00:00:00Z", "archive-push-queue-max: 64 MiB waited in pg_wal")});
        s.add(new Object[] {"timing", new RecoveryTimings.Timing(RecoveryTimings.FORMAT, RecoveryTimings.DRILL, "2026-12-01T00:00:00Z",
                "db1", 1770000000L, 6.045, 1091000000L, 24.5)});
        s.add(new Object[] {"timing, whole seconds", new RecoveryTimings.Timing(RecoveryTimings.FORMAT, RecoveryTimings.RESTORE,
                "2026-12-01T00:00:00Z", "db1", 1, 3.0, 0, 0.0)});
        return s;
    }
}
