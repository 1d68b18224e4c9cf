package io.walvault.core.storage.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.config.RepositorySettings;
import io.walvault.core.config.Settings;
import io.walvault.core.repo.Repositories;
import io.walvault.core.storage.StorageCheck;
import io.walvault.testkit.S3Bucket;
import io.walvault.testkit.S3Extension;
import io.walvault.testkit.S3Server;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;

/** storage-check against S3Proxy: everything works, and it finds that S3Proxy ignores If-None-Match. */
@ExtendWith(S3Extension.class)
class StorageCheckIT {

    @TempDir
    Path dir;

    @Test
    void checksS3ProxyAndLeavesNothingBehind(S3Bucket bucket) throws Exception {
        S3Server s = bucket.server();
        Path conf = dir.resolve("c.conf");
        Files.writeString(conf, "repo = s3://" + bucket.name() + "/x\ns3-endpoint = " + s.endpoint()
                + "\ns3-path-style = true\ns3-part-size = 5\ns3-access-key-id = " + s.accessKey()
                + "\ns3-secret-access-key = " + s.secretKey() + "\n");
        Files.setPosixFilePermissions(conf, PosixFilePermissions.fromString("rw-------"));
        List<StorageCheck.Step> steps = Repositories.checkStorage(RepositorySettings.from(Settings.load(Map.of(), conf, Map.of())));
        assertEquals(8, steps.size(), steps.toString());
        for (StorageCheck.Step step : steps) {
            if (step.name().startsWith("conditional writes")) {
                assertFalse(step.ok(), "S3Proxy 2.6 ignores If-None-Match: " + step);
                assertTrue(step.detail().contains("keep s3-conditional-write=auto"), step.detail());
            } else {
                assertTrue(step.ok(), step.toString());
            }
        }
        try (S3Client c = bucket.newClient()) {
            assertEquals(List.of(), c.listObjectsV2(b -> b.bucket(bucket.name())).contents().stream()
                    .map(o -> o.key()).filter(k -> !k.endsWith("/")).toList());
        }
    }
}
