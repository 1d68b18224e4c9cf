package io.walvault.core.repo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.config.RepositorySettings;
import io.walvault.core.config.Settings;
import io.walvault.core.error.CorruptDataException;
import io.walvault.core.error.WrongKeyException;
import io.walvault.core.pipeline.OutputStreamSink;
import io.walvault.testkit.S3Bucket;
import io.walvault.testkit.S3Extension;
import io.walvault.testkit.S3Server;
import io.walvault.core.wal.WalFileName;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/** The repository end to end on S3 (S3Proxy), configured the way users configure it. */
@ExtendWith(S3Extension.class)
class RepositoryS3IT {

    @TempDir
    Path dir;

    /** Settings from a config file, as a user would write it (the secret key is only allowed there or in the environment). */
    private RepositorySettings settings(S3Bucket bucket, String extra) throws Exception {
        S3Server s = bucket.server();
        Path conf = dir.resolve("walvault.conf");
        Files.writeString(conf, "repo = s3://" + bucket.name() + "/pg/main\n"
                + "s3-endpoint = " + s.endpoint() + "\ns3-path-style = true\ns3-region = " + s.region() + "\n"
                + "s3-access-key-id = " + s.accessKey() + "\ns3-secret-access-key = " + s.secretKey() + "\n" + extra);
        Files.setPosixFilePermissions(conf, PosixFilePermissions.fromString("rw-------"));
        return RepositorySettings.from(Settings.load(Map.of(), conf, Map.of()));
    }

    /** Segment 000000010000000000000003 of cluster 42 (16 MiB, so that S3 writes it in parts). */
    private static byte[] segment(long seed) {
        return segment("000000010000000000000003", seed);
    }

    private static byte[] segment(String name, long seed) {
        return io.walvault.testkit.WalSegments.segment(name, 16L * 1024 * 1024, 42, seed);
    }

    @Test
    void walArchiveOnS3WithPassphrase(S3Bucket bucket) throws Exception {
        Path pass = dir.resolve("pass");
        Files.writeString(pass, "a long enough passphrase\n");
        Files.setPosixFilePermissions(pass, PosixFilePermissions.fromString("rw-------")); // a secret: owner only
        RepositorySettings s = settings(bucket, "encryption = passphrase\npassphrase-file = " + pass + "\n");
        WalFileName name = WalFileName.parse("000000010000000000000003");
        byte[] seg = segment(1);
        try (Repository repo = Repositories.create(s)) {
            WalArchive.PutResult r = repo.cluster(42).wal().put(name, () -> new ByteArrayInputStream(seg));
            assertFalse(r.alreadyPresent());
            assertTrue(r.object().storedSize() < seg.length / 2);
        }
        try (Repository repo = Repositories.open(s)) {
            WalArchive wal = repo.cluster(42).wal();
            assertTrue(wal.put(name, () -> new ByteArrayInputStream(seg)).alreadyPresent(), "identical re-push succeeds");
            assertThrows(ContentMismatchException.class, () -> wal.put(name, () -> new ByteArrayInputStream(segment(2))));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            wal.get(name, new OutputStreamSink(out, false));
            assertArrayEquals(seg, out.toByteArray());
            try (RepositoryLock lock = repo.cluster(42).lock("backup", Duration.ofMinutes(5))) {
                assertThrows(LockHeldException.class, () -> repo.cluster(42).lock("backup", Duration.ofMinutes(5)));
                lock.refresh();
            }
        }
        Path wrong = dir.resolve("wrong");
        Files.writeString(wrong, "some other passphrase\n");
        Files.setPosixFilePermissions(wrong, PosixFilePermissions.fromString("rw-------")); // a secret: owner only
        RepositorySettings bad = settings(bucket, "passphrase-file = " + wrong + "\n");
        assertThrows(WrongKeyException.class, () -> Repositories.open(bad));
    }

    @Test
    void objectAlteredInTheBucketIsDetected(S3Bucket bucket) throws Exception {
        RepositorySettings s = settings(bucket, "encryption = none\n");
        WalFileName name = WalFileName.parse("000000010000000000000004");
        String key;
        try (Repository repo = Repositories.create(s)) {
            key = repo.cluster(42).wal().put(name, () -> new ByteArrayInputStream(segment(name.segment(), 3))).object().key();
        }
        try (S3Client c = bucket.newClient()) {
            byte[] b = c.getObjectAsBytes(r -> r.bucket(bucket.name()).key("pg/main/" + key)).asByteArray();
            b[b.length / 2] ^= 1;
            c.putObject(r -> r.bucket(bucket.name()).key("pg/main/" + key), RequestBody.fromBytes(b));
        }
        try (Repository repo = Repositories.open(s)) {
            CorruptDataException e = assertThrows(CorruptDataException.class,
                    () -> repo.cluster(42).wal().get(name, new OutputStreamSink(new ByteArrayOutputStream(), false)));
            assertTrue(e.getMessage().contains("'" + key + "'"), e.getMessage());
            assertEquals(1, repo.clusters().count());
        }
    }
}
