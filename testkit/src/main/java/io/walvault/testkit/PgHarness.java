package io.walvault.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

/**
 * What a {@link PgTest} receives: the PostgreSQL version of this invocation and a factory of
 * servers of that version. Everything it creates (servers, scratch directories) is removed
 * after the test, whether it passed or failed; when it failed, the servers' logs are printed
 * with the failure.
 */
public final class PgHarness implements AutoCloseable {

    private final PgVersion version;
    private final List<PgCluster> clusters = new ArrayList<>();
    private final List<Path> scratch = new ArrayList<>();

    public PgHarness(PgVersion version) {
        this.version = version;
    }

    public PgVersion version() {
        return version;
    }

    /** A builder for a server of this invocation's version; the harness closes what it builds. */
    public PgCluster.Builder cluster() {
        return PgCluster.builder(version).onCreate(clusters::add);
    }

    /** The servers created so far, in creation order. */
    public List<PgCluster> clusters() {
        return List.copyOf(clusters);
    }

    /**
     * A new empty directory that both the test and the servers may write (owned by the server
     * user, mode 0700, so a root test JVM reaches it as well). Removed after the test.
     */
    public Path scratchDirectory(String name) {
        try {
            Path dir = Files.createTempDirectory("walvault-" + name + "-");
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            ServerUser.get().adopt(dir);
            scratch.add(dir);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The log tails of every server, for a failing test's output. */
    public String logs(int linesEach) {
        StringBuilder sb = new StringBuilder();
        for (PgCluster c : clusters) {
            sb.append(c.logTail(linesEach));
        }
        return sb.toString();
    }

    @Override
    public void close() {
        RuntimeException first = null;
        for (int i = clusters.size() - 1; i >= 0; i--) {
            try {
                clusters.get(i).close();
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        clusters.clear();
        for (Path p : scratch) {
            try {
                PgInstallation.deleteTree(p);
            } catch (IOException e) {
                System.err.println("warning: cannot remove '" + p + "': " + e.getMessage());
            }
        }
        scratch.clear();
        if (first != null) {
            throw first;
        }
    }
}
