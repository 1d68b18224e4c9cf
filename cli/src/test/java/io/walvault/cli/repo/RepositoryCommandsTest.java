package io.walvault.cli.repo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.cli.Main;
import io.walvault.core.config.RepositorySettings;
import io.walvault.core.config.Settings;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.repo.Repositories;
import io.walvault.core.repo.Repository;
import io.walvault.core.wal.WalFileName;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** init, key generate, key rotate and cat through the real command line, on a local repository. */
class RepositoryCommandsTest {

    @TempDir
    Path dir;

    record Run(int code, String out, String err) {
    }

    static Run walvault(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    private Path file(String name, String content) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, content);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-------"));
        return p;
    }

    /** Segment 000000010000000000000001 of cluster 42 (1 MiB): what the archive accepts under that name. */
    private static byte[] segment() {
        return io.walvault.testkit.WalSegments.segment("000000010000000000000001", 1 << 20, 42, 1);
    }

    /** Puts a WAL segment through the core API, as archive-push will, and returns its key. */
    private static String archive(String repo, String... more) throws Exception {
        java.util.Map<String, String> flags = new java.util.HashMap<>();
        flags.put("repo", repo);
        for (int i = 0; i < more.length; i += 2) {
            flags.put(more[i], more[i + 1]);
        }
        RepositorySettings s = RepositorySettings.from(Settings.load(flags, null, Map.of()));
        try (Repository r = Repositories.open(s)) {
            return r.cluster(42).wal().put(WalFileName.parse("000000010000000000000001"),
                    () -> new ByteArrayInputStream(segment())).object().key();
        }
    }

    @Test
    void aFileUriWithAHostIsRefusedNotWrittenElsewhere() throws Exception {
        // file://tmp/junit.../repo names host 'tmp' and path '/junit.../repo': it must not create that path
        Path meant = dir.resolve("repo");
        String withHost = "file:/" + meant;
        Path elsewhere = Path.of(java.net.URI.create(withHost).getPath());
        try {
            Run init = walvault("init", "--repo", withHost, "--encryption", "none");
            assertEquals(ErrorCode.CONFIG.exitCode(), init.code(), init.err());
            assertTrue(init.err().contains("HINT: for the directory '" + meant + "' write 'file://" + meant + "'"), init.err());
            assertTrue(Files.notExists(elsewhere), "nothing was created at " + elsewhere);
            assertTrue(Files.notExists(meant));
        } finally {
            if (Files.exists(elsewhere)) {
                try (java.util.stream.Stream<Path> w = Files.walk(elsewhere.getParent())) {
                    w.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
        // the forms that name the local directory
        assertEquals(0, walvault("init", "--repo", "file://localhost" + meant, "--encryption", "none").code());
        assertEquals(ErrorCode.REPOSITORY_EXISTS.exitCode(), walvault("init", "--repo", meant.toString(), "--encryption", "none").code());
        assertEquals(ErrorCode.REPOSITORY_EXISTS.exitCode(), walvault("init", "--repo", "file://" + meant, "--encryption", "none").code());
    }

    @Test
    void aPassphraseFileOthersCanReadIsAConfigurationError() throws Exception {
        String repo = dir.resolve("repo").toUri().toString();
        Path pass = file("pass", "a passphrase long enough\n");
        Files.setPosixFilePermissions(pass, PosixFilePermissions.fromString("rw-r--r--"));
        Run init = walvault("init", "--repo", repo, "--encryption", "passphrase", "--passphrase-file", pass.toString());
        assertEquals(ErrorCode.CONFIG.exitCode(), init.code(), init.err());
        assertTrue(init.err().contains("passphrase file '" + pass + "' has mode 0644")
                && init.err().contains("HINT: chmod 600 '" + pass + "'"), init.err());
        assertTrue(Files.notExists(dir.resolve("repo")), "nothing was created");
    }

    @Test
    void passphraseRepositoryInitCatRotate() throws Exception {
        String repo = dir.resolve("repo").toUri().toString();
        Path pass = file("pass", "a passphrase long enough\n");
        Run init = walvault("init", "--repo", repo, "--encryption", "passphrase", "--passphrase-file", pass.toString());
        assertEquals(0, init.code(), init.err());
        assertTrue(init.out().contains("encryption passphrase"), init.out());
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("repo"))));

        Run again = walvault("init", "--repo", repo, "--encryption", "none");
        assertEquals(ErrorCode.REPOSITORY_EXISTS.exitCode(), again.code(), again.err());

        String key = archive(repo, "passphrase-file", pass.toString());
        Path out = dir.resolve("decoded");
        Run cat = walvault("cat", "--repo", repo, "--passphrase-file", pass.toString(), "-o", out.toString(), key);
        assertEquals(0, cat.code(), cat.err());
        assertArrayEquals(segment(), Files.readAllBytes(out));

        Path wrong = file("wrong", "not the passphrase at all\n");
        Run bad = walvault("cat", "--repo", repo, "--passphrase-file", wrong.toString(), "-o", dir.resolve("x").toString(), key);
        assertEquals(ErrorCode.WRONG_KEY.exitCode(), bad.code());
        assertTrue(bad.err().contains("the passphrase does not open repository"), bad.err());
        assertTrue(Files.notExists(dir.resolve("x")), "the empty output of a failed run does not stand in the way of the next");

        Path newPass = file("new", "the next long passphrase\n");
        Run rotate = walvault("key", "rotate", "--repo", repo, "--passphrase-file", pass.toString(),
                "--new-passphrase-file", newPass.toString());
        assertEquals(0, rotate.code(), rotate.err());
        assertTrue(rotate.out().contains("key version 2"), rotate.out());
        Path out2 = dir.resolve("decoded2");
        Run cat2 = walvault("cat", "--repo", repo, "--passphrase-file", newPass.toString(), "-o", out2.toString(), key);
        assertEquals(0, cat2.code(), cat2.err());
        assertArrayEquals(segment(), Files.readAllBytes(out2));
    }

    @Test
    void publicKeyRepositoryArchivesWithoutThePrivateKey() throws Exception {
        Path priv = dir.resolve("restore.key");
        Path pub = dir.resolve("repo.pub");
        Run gen = walvault("key", "generate", "--private-key-file", priv.toString(), "--public-key-file", pub.toString());
        assertEquals(0, gen.code(), gen.err());
        assertTrue(gen.out().startsWith("walvault-public-key-1:"), gen.out());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(priv)));
        String repo = dir.resolve("repo").toUri().toString();
        Run init = walvault("init", "--repo", repo, "--encryption", "public-key", "--public-key-file", pub.toString());
        assertEquals(0, init.code(), init.err());

        String key = archive(repo); // no key at all: the public key is in the repository
        Run noKey = walvault("cat", "--repo", repo, "-o", dir.resolve("x").toString(), key);
        assertEquals(ErrorCode.KEY_REQUIRED.exitCode(), noKey.code(), noKey.err());

        Path other = dir.resolve("other.key");
        walvault("key", "generate", "--private-key-file", other.toString());
        Run wrong = walvault("cat", "--repo", repo, "--private-key-file", other.toString(), "-o", dir.resolve("y").toString(), key);
        assertEquals(ErrorCode.WRONG_KEY.exitCode(), wrong.code(), wrong.err());

        Path out = dir.resolve("decoded");
        Run cat = walvault("cat", "--repo", repo, "--private-key-file", priv.toString(), "-o", out.toString(), key);
        assertEquals(0, cat.code(), cat.err());
        assertArrayEquals(segment(), Files.readAllBytes(out));
    }

    @Test
    void unencryptedObjectsDecodeEvenWithoutTheDescriptor() throws Exception {
        String repo = dir.resolve("repo").toUri().toString();
        assertEquals(0, walvault("init", "--repo", repo, "--encryption", "none").code());
        String key = archive(repo);
        Files.delete(dir.resolve("repo/walvault.json"));
        Path out = dir.resolve("decoded");
        Run cat = walvault("cat", "--repo", repo, "-o", out.toString(), key);
        assertEquals(0, cat.code(), cat.err());
        assertArrayEquals(segment(), Files.readAllBytes(out));
    }

    @Test
    void corruptObjectFailsWithItsNameAndExitCode() throws Exception {
        String repo = dir.resolve("repo").toUri().toString();
        assertEquals(0, walvault("init", "--repo", repo, "--encryption", "none").code());
        String key = archive(repo);
        Path f = dir.resolve("repo").resolve(key);
        byte[] b = Files.readAllBytes(f);
        b[b.length - 2] ^= 1;
        Files.write(f, b);
        Run cat = walvault("cat", "--repo", repo, "-o", dir.resolve("x").toString(), key);
        assertEquals(ErrorCode.CORRUPT_DATA.exitCode(), cat.code());
        assertTrue(cat.err().contains("'" + key + "'"), cat.err());
    }

    @Test
    void missingSettingsAreConfigErrors() {
        Run r = walvault("init", "--encryption", "none");
        assertEquals(ErrorCode.CONFIG.exitCode(), r.code());
        assertTrue(r.err().contains("HINT:"), r.err());
        Run noMode = walvault("init", "--repo", dir.resolve("r").toUri().toString());
        assertEquals(ErrorCode.CONFIG.exitCode(), noMode.code());
        assertTrue(noMode.err().contains("--encryption"), noMode.err());
    }

    @Test
    void initAgainstAnUnreachableStoreIsAStorageErrorNamingTheEndpoint() throws Exception {
        int port;
        try (java.net.ServerSocket closed = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = closed.getLocalPort(); // nothing listens there once closed: connection refused
        }
        Path conf = file("s3.conf", "s3-access-key-id = AKIDTEST\ns3-secret-access-key = secret\n");
        String endpoint = "http://127.0.0.1:" + port;
        Run init = walvault("init", "--config", conf.toString(), "--repo", "s3://bucket/x", "--s3-endpoint", endpoint,
                "--s3-path-style", "true", "--s3-max-attempts", "2", "--encryption", "none");
        assertEquals(ErrorCode.STORAGE.exitCode(), init.code(), init.err());
        assertTrue(init.err().startsWith("walvault: error: cannot list objects in 's3://bucket/x' at endpoint '" + endpoint
                + "'"), init.err());
        assertTrue(init.err().contains("HINT: check that the store is reachable"), init.err());
        assertTrue(!init.err().contains("internal error") && !init.err().contains("\tat "), "no trace: " + init.err());
    }

    @Test
    void catRefusesToOverwriteAnExistingOutputFile() throws Exception {
        String repo = dir.resolve("repo").toUri().toString();
        assertEquals(0, walvault("init", "--repo", repo, "--encryption", "none").code());
        String key = archive(repo);
        Path out = Files.writeString(dir.resolve("precious"), "keep me");
        Run cat = walvault("cat", "--repo", repo, "-o", out.toString(), key);
        assertEquals(ErrorCode.USAGE.exitCode(), cat.code(), cat.err());
        assertEquals("walvault: error: the output file '" + out + "' already exists: nothing was written"
                + " HINT: remove it, or choose another path with -o\n", cat.err());
        assertEquals("keep me", Files.readString(out), "left as it was");

        Run noDir = walvault("cat", "--repo", repo, "-o", dir.resolve("no/such/dir/file").toString(), key);
        assertEquals(ErrorCode.USAGE.exitCode(), noDir.code(), noDir.err());
        assertTrue(noDir.err().startsWith("walvault: error: cannot create the output file '" + dir.resolve("no/such/dir/file")
                + "'"), noDir.err());
        assertTrue(!noDir.err().contains("internal error"), noDir.err());
    }
}
