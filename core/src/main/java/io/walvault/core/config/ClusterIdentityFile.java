package io.walvault.core.config;

import static java.util.Objects.requireNonNull;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * The identity file beside a config file ({@code main.conf.identity} beside {@code main.conf}):
 * the PostgreSQL system identifier each {@code [cluster NAME]} section was first used with.
 * walvault writes it, never the config file itself (which stays the operator's, or their
 * configuration management's). docs/FORMAT.md, "Config identity file", describes it:
 *
 * <pre>
 * # written by walvault: ...
 * walvault-identity 1
 * main 7351234567890123456
 * </pre>
 *
 * Written atomically (a new file, synced, renamed over the old one) and owner-only (0600).
 */
public final class ClusterIdentityFile {

    static final String MAGIC = "walvault-identity";
    static final int VERSION = 1;

    private final Path path;

    private ClusterIdentityFile(Path path) {
        this.path = path;
    }

    /** The identity file of {@code configFile}. */
    public static ClusterIdentityFile beside(Path configFile) {
        requireNonNull(configFile, "configFile is null");
        return new ClusterIdentityFile(configFile.resolveSibling(configFile.getFileName() + ".identity"));
    }

    public Path path() {
        return path;
    }

    /** The identifier recorded for {@code cluster}, or empty when none is (or there is no file yet). */
    public OptionalLong recorded(String cluster) {
        Long id = read().get(cluster);
        return id == null ? OptionalLong.empty() : OptionalLong.of(id);
    }

    /** Every record, by section name; empty when the file does not exist. */
    public Map<String, Long> read() {
        List<String> lines;
        try {
            lines = Files.readAllLines(path, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return Map.of();
        } catch (IOException e) {
            throw new WalvaultException(ErrorCode.CONFIG, "cannot read identity file '" + path + "': " + e.getMessage(), e);
        }
        Map<String, Long> m = new TreeMap<>();
        boolean header = false;
        for (TextLines.Line l : TextLines.meaningful(lines)) {
            int n = l.number();
            String[] f = l.text().split("\\s+");
            if (!header) {
                if (f.length != 2 || !f[0].equals(MAGIC)) {
                    throw bad(n, "does not start with '" + MAGIC + " " + VERSION + "'");
                }
                if (!f[1].equals(Integer.toString(VERSION))) {
                    throw bad(n, "has format version " + f[1] + ", which this walvault does not know (it knows " + VERSION
                            + ") HINT: a newer walvault wrote it");
                }
                header = true;
                continue;
            }
            if (f.length != 2 || !ConfigFile.CLUSTER_NAME.matcher(f[0]).matches()) {
                throw bad(n, "is not 'NAME SYSTEM-IDENTIFIER'");
            }
            try {
                m.put(f[0], Long.parseUnsignedLong(f[1]));
            } catch (NumberFormatException e) {
                throw bad(n, "'" + f[1] + "' is not a system identifier");
            }
        }
        return Collections.unmodifiableMap(m);
    }

    /** Records {@code systemId} for {@code cluster}, keeping the other records; atomic, 0600. */
    public void record(String cluster, long systemId) throws IOException {
        Map<String, Long> all = new TreeMap<>(read());
        all.put(cluster, systemId);
        StringBuilder sb = new StringBuilder();
        sb.append("# written by walvault: the PostgreSQL system identifier each [cluster NAME] section of '")
                .append(path.getFileName().toString().replaceFirst("\\.identity$", ""))
                .append("' was first used with.\n# A command refuses to run for that section against another cluster;")
                .append(" remove a line to record anew.\n");
        sb.append(MAGIC).append(' ').append(VERSION).append('\n');
        all.forEach((k, v) -> sb.append(k).append(' ').append(Long.toUnsignedString(v)).append('\n'));
        Path tmp = path.resolveSibling("." + path.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
        try {
            Files.deleteIfExists(tmp);
            try (FileChannel ch = FileChannel.open(tmp, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
                ByteBuffer b = StandardCharsets.UTF_8.encode(sb.toString());
                while (b.hasRemaining()) {
                    ch.write(b);
                }
                ch.force(true);
            }
            Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
        try (FileChannel dir = FileChannel.open(path.toAbsolutePath().getParent(), StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException ignored) {
            // some file systems cannot sync a directory; the rename is atomic regardless
        }
    }

    private WalvaultException bad(int line, String what) {
        return new WalvaultException(ErrorCode.CONFIG, "identity file '" + path + "' line " + line + " " + what);
    }
}
