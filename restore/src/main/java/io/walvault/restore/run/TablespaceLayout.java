package io.walvault.restore.run;

import static java.util.Objects.requireNonNull;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Where each entry of a backup goes in the restored cluster: the data directory, or a
 * tablespace's directory (its original location, or the one {@code --tablespace-map} names).
 * Tablespace files are {@code pg_tblspc/<oid>/...} in the manifest; the locations come from the
 * backup's tablespace_map (or its pg_tblspc links). Immutable.
 */
final class TablespaceLayout {

    /** backup_label is extracted under this name and renamed into place last, once everything is verified. */
    static final String PENDING_BACKUP_LABEL = "backup_label.walvault-incomplete";

    private final Path dataDirectory;
    private final Map<String, String> original;
    private final Map<String, Path> locations;
    private final boolean remapped;

    private TablespaceLayout(Path dataDirectory, Map<String, String> original, Map<String, Path> locations, boolean remapped) {
        this.dataDirectory = dataDirectory;
        this.original = original;
        this.locations = locations;
        this.remapped = remapped;
    }

    /**
     * @param dataDirectory the data directory to restore into (absolute)
     * @param originalByOid each tablespace's location when backed up
     * @param remap original location to new location, as the user gave them
     */
    static TablespaceLayout of(Path dataDirectory, Map<String, String> originalByOid, Map<String, String> remap) {
        requireNonNull(dataDirectory, "dataDirectory is null");
        Map<String, String> byLocation = new LinkedHashMap<>();
        originalByOid.forEach((oid, loc) -> byLocation.put(normalise(loc), oid));
        Map<String, Path> locations = new TreeMap<>();
        originalByOid.forEach((oid, loc) -> locations.put(oid, Path.of(loc)));
        Set<String> used = new LinkedHashSet<>();
        for (Map.Entry<String, String> e : remap.entrySet()) {
            String oid = byLocation.get(normalise(e.getKey()));
            if (oid == null) {
                throw new WalvaultException(ErrorCode.TABLESPACE_MAP_INVALID, "--tablespace-map '" + e.getKey() + "="
                        + e.getValue() + "': the backup has no tablespace at '" + e.getKey() + "' HINT: its tablespaces are "
                        + (originalByOid.isEmpty() ? "none" : describe(originalByOid)));
            }
            Path to = Path.of(e.getValue());
            if (!to.isAbsolute()) {
                throw new WalvaultException(ErrorCode.TABLESPACE_MAP_INVALID, "--tablespace-map '" + e.getKey() + "="
                        + e.getValue() + "': the new location must be an absolute path");
            }
            locations.put(oid, to.normalize());
        }
        for (Map.Entry<String, Path> e : locations.entrySet()) {
            Path p = e.getValue().toAbsolutePath().normalize();
            if (!used.add(p.toString())) {
                throw new WalvaultException(ErrorCode.TABLESPACE_MAP_INVALID, "two tablespaces would be restored into '" + p
                        + "' HINT: give each its own directory with --tablespace-map OLD=NEW");
            }
            if (p.startsWith(dataDirectory.toAbsolutePath().normalize()) || dataDirectory.toAbsolutePath().normalize().startsWith(p)) {
                throw new WalvaultException(ErrorCode.TABLESPACE_MAP_INVALID, "tablespace " + e.getKey() + " would be restored"
                        + " into '" + p + "', which overlaps the data directory '" + dataDirectory + "' HINT: give it a"
                        + " directory outside the data directory with --tablespace-map OLD=NEW");
            }
        }
        return new TablespaceLayout(dataDirectory, Map.copyOf(originalByOid), Collections.unmodifiableMap(locations),
                !remap.isEmpty());
    }

    private static String normalise(String location) {
        String s = location.strip();
        while (s.length() > 1 && s.endsWith("/")) {
            s = s.substring(0, s.length() - 1);
        }
        return s;
    }

    static String describe(Map<String, String> byOid) {
        StringBuilder sb = new StringBuilder();
        new TreeMap<>(byOid).forEach((oid, loc) -> sb.append(sb.length() == 0 ? "" : ", ").append("'").append(loc)
                .append("' (oid ").append(oid).append(")"));
        return sb.toString();
    }

    /** Tablespace oid to the directory its files go into. */
    Map<String, Path> locations() {
        return locations;
    }

    /** Tablespace oid to its location in the backup. */
    Map<String, String> original() {
        return original;
    }

    boolean remapped() {
        return remapped;
    }

    /** Where the manifest path {@code path} goes. */
    Path place(String path) {
        Path root = root(path);
        if (root != dataDirectory) { // a tablespace's file: pg_tblspc/<oid>/ gives way to its location
            return root.resolve(path.substring(path.indexOf('/', "pg_tblspc/".length()) + 1));
        }
        if (path.equals("backup_label")) {
            return dataDirectory.resolve(PENDING_BACKUP_LABEL);
        }
        return dataDirectory.resolve(path);
    }

    /**
     * The directory the manifest path {@code path} goes under: its tablespace's location, or the
     * data directory itself (this very instance).
     */
    Path root(String path) {
        if (path.startsWith("pg_tblspc/")) {
            int slash = path.indexOf('/', "pg_tblspc/".length());
            if (slash > 0) {
                String oid = path.substring("pg_tblspc/".length(), slash);
                Path loc = locations.get(oid);
                if (loc == null) {
                    throw new WalvaultException(ErrorCode.CORRUPT_DATA, "the backup holds '" + path + "', but neither its"
                            + " tablespace_map nor a pg_tblspc link says where tablespace " + oid + " lives");
                }
                return loc;
            }
        }
        return dataDirectory;
    }

    /** A tablespace_map with the locations the restore uses (PostgreSQL's escaping of \n, \r and \\). */
    String tablespaceMap() {
        StringBuilder sb = new StringBuilder();
        locations.forEach((oid, loc) -> sb.append(oid).append(' ').append(escape(loc.toString())).append('\n'));
        return sb.toString();
    }

    /** Parses tablespace_map content: {@code <oid> <location>} lines. */
    static Map<String, String> parseTablespaceMap(String content) {
        Map<String, String> m = new TreeMap<>();
        StringBuilder line = new StringBuilder();
        boolean escaped = false;
        for (int i = 0; i < content.length(); i++) {
            char c = content.charAt(i);
            if (escaped) {
                line.append(c);
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '\n' || c == '\r') {
                addLine(m, line.toString());
                line.setLength(0);
            } else {
                line.append(c);
            }
        }
        addLine(m, line.toString());
        return m;
    }

    private static void addLine(Map<String, String> m, String line) {
        if (line.isEmpty()) {
            return;
        }
        int sp = line.indexOf(' ');
        if (sp <= 0 || !line.substring(0, sp).matches("[0-9]+")) {
            throw new WalvaultException(ErrorCode.CORRUPT_DATA, "the backup's tablespace_map has an invalid line '" + line + "'");
        }
        m.put(line.substring(0, sp), line.substring(sp + 1));
    }

    private static String escape(String s) {
        StringBuilder sb = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c == '\n' || c == '\r' || c == '\\') {
                sb.append('\\');
            }
            sb.append(c);
        }
        return sb.toString();
    }
}
