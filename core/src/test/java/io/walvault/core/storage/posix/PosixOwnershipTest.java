package io.walvault.core.storage.posix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.walvault.core.pipeline.Sink;
import io.walvault.testkit.ServerUser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A command run as root in a repository that belongs to the PostgreSQL user leaves nothing the
 * PostgreSQL user cannot write to: what it creates gets the repository's owner and group.
 */
class PosixOwnershipTest {

    @TempDir
    Path dir;

    @BeforeEach
    void asRoot() {
        assumeTrue(PosixStorage.RUNNING_AS_ROOT, "needs root: only root can create files owned by another user"
                + " (CI runs the tests as root)");
    }

    private static int uid(Path p) throws IOException {
        return (Integer) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
    }

    private static int gid(Path p) throws IOException {
        return (Integer) Files.getAttribute(p, "unix:gid", LinkOption.NOFOLLOW_LINKS);
    }

    private static List<Path> tree(Path root) throws IOException {
        try (Stream<Path> w = Files.walk(root)) {
            return w.toList();
        }
    }

    @Test
    void rootWritesInARepositoryOfAnotherUserAsThatUser() throws Exception {
        ServerUser user = ServerUser.get();
        assumeTrue(user.dropsPrivileges(), "no unprivileged user to own the repository");
        Path repo = Files.createDirectories(dir.resolve("repo"));
        user.adopt(dir); // the temporary directory too, so that the user can reach the repository below it
        int owner = uid(repo);
        int group = gid(repo);
        assertEquals(false, owner == 0, "the repository belongs to " + user.name());

        PosixStorage s = new PosixStorage(repo);
        try (Sink w = s.newWrite("clusters/42/wal/00000001/segment")) {
            w.write(new byte[] {1, 2, 3}, 0, 3);
            // the temporary file already has its final owner, before it is published
            try (Stream<Path> l = Files.list(repo.resolve("clusters/42/wal/00000001"))) {
                Path temp = l.findFirst().orElseThrow();
                assertEquals(owner, uid(temp), temp.toString());
            }
            w.finish();
        }
        try (Sink w = s.newWrite("clusters/42/lock", io.walvault.core.storage.Storage.WriteMode.OVERWRITE)) {
            w.write(new byte[] {4}, 0, 1);
            w.finish();
        }
        for (Path p : tree(repo)) {
            assertEquals(owner, uid(p), p + " belongs to the repository's owner");
            assertEquals(group, gid(p), p + " has the repository's group");
        }

        // and that user can go on writing there (what the next archive_command does)
        Process p = new ProcessBuilder(user.wrap(List.of("touch", repo.resolve("clusters/42/wal/00000001/next").toString())))
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor(30, TimeUnit.SECONDS);
        assertEquals(0, p.exitValue(), out);
    }

    @Test
    void aRepositoryOfRootStaysRoots() throws Exception {
        Path repo = Files.createDirectories(dir.resolve("repo"));
        PosixStorage s = new PosixStorage(repo);
        try (Sink w = s.newWrite("a/b/object")) {
            w.write(new byte[] {1}, 0, 1);
            w.finish();
        }
        for (Path p : tree(repo)) {
            assertEquals(0, uid(p), p.toString());
        }
        // a repository the process creates itself is its own too
        PosixStorage fresh = new PosixStorage(dir.resolve("fresh/repo"));
        try (Sink w = fresh.newWrite("x/object")) {
            w.write(new byte[] {1}, 0, 1);
            w.finish();
        }
        for (Path p : tree(dir.resolve("fresh"))) {
            assertEquals(0, uid(p), p.toString());
        }
    }
}
