package io.walvault.core.replication.conn;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The password file ({@code ~/.pgpass}, {@code PGPASSFILE}), read as libpq reads it: lines
 * {@code hostname:port:database:username:password}, {@code *} matching anything, {@code \:} and
 * {@code \\} escaping, {@code #} comments; the first matching line wins. A Unix-socket host
 * matches {@code localhost}. A file readable by group or others is ignored with a warning.
 */
final class PgPassFile {

    private static final Logger LOG = LoggerFactory.getLogger(PgPassFile.class);

    private PgPassFile() {
    }

    static Optional<String> lookup(Path file, Endpoint endpoint, String database, String user) {
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
            if (perms.contains(PosixFilePermission.GROUP_READ) || perms.contains(PosixFilePermission.OTHERS_READ)
                    || perms.contains(PosixFilePermission.GROUP_WRITE) || perms.contains(PosixFilePermission.OTHERS_WRITE)) {
                LOG.warn("password file '{}' has group or world access; permissions should be u=rw (0600) or less", file);
                return Optional.empty();
            }
        } catch (UnsupportedOperationException | IOException e) {
            // not a POSIX file system: no permission check, as libpq on Windows
        }
        try {
            return match(Files.readAllLines(file, StandardCharsets.UTF_8), endpoint, database, user);
        } catch (IOException e) {
            LOG.warn("cannot read password file '{}': {}", file, e.getMessage());
            return Optional.empty();
        }
    }

    static Optional<String> match(List<String> lines, Endpoint endpoint, String database, String user) {
        String host = endpoint.isUnixSocket() ? "localhost" : endpoint.host();
        String port = Integer.toString(endpoint.port());
        for (String line : lines) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            List<String> f = split(line);
            if (f.size() < 5) {
                continue;
            }
            if (matches(f.get(0), host) && matches(f.get(1), port) && matches(f.get(2), database)
                    && matches(f.get(3), user)) {
                return Optional.of(f.get(4));
            }
        }
        return Optional.empty();
    }

    private static boolean matches(String pattern, String value) {
        return pattern.equals("*") || pattern.equals(value);
    }

    /** Splits on unescaped colons into at most five fields (the password keeps later colons). */
    private static List<String> split(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '\\' && i + 1 < line.length()) {
                cur.append(line.charAt(++i));
            } else if (c == ':' && out.size() < 4) {
                out.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        out.add(cur.toString());
        return out;
    }
}
