package io.walvault.cli.repo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.cli.Main;
import io.walvault.core.error.ErrorCode;
import io.walvault.testkit.S3Bucket;
import io.walvault.testkit.S3Extension;
import io.walvault.testkit.S3Server;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The repository commands against S3 (S3Proxy), configured by flags plus a config file for the secret. */
@ExtendWith(S3Extension.class)
class RepositoryCommandsS3IT {

    @TempDir
    Path dir;

    private static String[] run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new String[] {String.valueOf(code), out.toString(), err.toString()};
    }

    @Test
    void storageCheckInitAndCatOnS3(S3Bucket bucket) throws Exception {
        S3Server s = bucket.server();
        Path conf = dir.resolve("walvault.conf");
        Files.writeString(conf, "s3-access-key-id = " + s.accessKey() + "\ns3-secret-access-key = " + s.secretKey() + "\n"
                + "s3-part-size = 5\n");
        Files.setPosixFilePermissions(conf, PosixFilePermissions.fromString("rw-------"));
        String[] common = {"--config", conf.toString(), "--repo", "s3://" + bucket.name() + "/db1",
                "--s3-endpoint", s.endpoint().toString(), "--s3-path-style", "true"};

        String[] check = run(concat(new String[] {"storage-check"}, common));
        assertEquals("0", check[0], check[1] + check[2]);
        assertTrue(check[1].contains("ok   stream of 11 MiB"), check[1]);
        assertTrue(check[1].contains("FAIL conditional writes (If-None-Match) enforced"), check[1]);

        Path priv = dir.resolve("k");
        Path pub = dir.resolve("k.pub");
        assertEquals("0", run("key", "generate", "--private-key-file", priv.toString(), "--public-key-file", pub.toString())[0]);
        String[] init = run(concat(new String[] {"init", "--encryption", "public-key", "--public-key-file", pub.toString()}, common));
        assertEquals("0", init[0], init[2]);
        assertTrue(init[1].contains("s3://" + bucket.name() + "/db1"), init[1]);

        Path out = dir.resolve("descriptor");
        String[] cat = run(concat(new String[] {"cat", "-o", out.toString(), "walvault.json"}, common));
        assertEquals("0", cat[0], cat[2]);
        assertTrue(Files.readString(out).contains("\"encryption\":\"public-key\""));

        String[] missing = run(concat(new String[] {"cat", "-o", dir.resolve("x").toString(), "clusters/1/nothing.lz4.enc"}, common));
        assertEquals(String.valueOf(ErrorCode.OBJECT_NOT_FOUND.exitCode()), missing[0], missing[2]);

        String[] wrongMode = run(concat(new String[] {"cat", "--encryption", "none", "-o", dir.resolve("y").toString(),
                "walvault.json"}, common));
        assertEquals(String.valueOf(ErrorCode.ENCRYPTION_MISMATCH.exitCode()), wrongMode[0], wrongMode[2]);
    }

    private static String[] concat(String[] a, String[] b) {
        String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
