package io.walvault.restore.run;

import io.walvault.core.error.CorruptDataException;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.pgdata.DatabaseNames;
import io.walvault.core.pgdata.RelationMap;
import io.walvault.core.repo.BackupCatalog;
import io.walvault.core.repo.ChunkStore;
import io.walvault.core.repo.ManifestFile;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@link DatabaseChoice} resolved against one backup: which database directories' relation
 * files are written as sparse zeroed files instead of their content, and what that skips.
 *
 * <p>The names come from the backup itself: its copy of pg_database (the file that
 * global/pg_filenode.map names for relation 1262), read out of its bundle before the restore.
 * walvault needs no SQL access for this (a REPLICATION role is enough), and it works for any
 * backup ever taken. Only databases with a directory in the backup count. Immutable.
 */
final class SkippedDatabases {

    /** A relation's data file: {@code <filenode>}, with a fork suffix and a segment number. */
    private static final Pattern RELATION_FILE = Pattern.compile("[0-9]+(_(fsm|vm|init))?(\\.[0-9]+)?");
    /** A database's directory: base/OID/, or pg_tblspc/TS/VERSIONDIR/OID/. */
    private static final Pattern DATABASE_FILE = Pattern.compile("(?:base|pg_tblspc/[0-9]+/[^/]+)/([0-9]+)/([^/]+)");
    /** A database's directory itself. */
    private static final Pattern DATABASE_DIRECTORY = Pattern.compile("(?:base|pg_tblspc/[0-9]+/[^/]+)/([0-9]+)");

    /** A database of the backup, with its bytes there. */
    record Database(long oid, String name, long bytes) {
    }

    private final Map<Long, Database> skipped;
    private final List<Database> restored;

    private SkippedDatabases(Map<Long, Database> skipped, List<Database> restored) {
        this.skipped = skipped;
        this.restored = restored;
    }

    /** Nothing skipped. */
    static SkippedDatabases none() {
        return new SkippedDatabases(Map.of(), List.of());
    }

    /** Resolves {@code choice} against backup {@code manifest}; a name the backup does not hold is refused. */
    static SkippedDatabases resolve(DatabaseChoice choice, BackupCatalog catalog, ChunkStore chunks, ManifestSpool manifest)
            throws IOException {
        if (choice.all()) {
            return none();
        }
        Map<String, ManifestFile> global = new HashMap<>();
        Map<Long, Long> bytes = new TreeMap<>();
        manifest.forEachFile(f -> {
            if (f.path().startsWith("global/") && f.path().indexOf('/', 7) < 0) {
                global.put(f.path(), f);
            }
            Matcher m = DATABASE_FILE.matcher(f.path());
            if (m.matches()) {
                bytes.merge(Long.parseLong(m.group(1)), f.size(), Long::sum);
            }
        });
        for (ManifestFile d : manifest.directories()) {
            Matcher m = DATABASE_DIRECTORY.matcher(d.path());
            if (m.matches()) {
                bytes.putIfAbsent(Long.parseLong(m.group(1)), 0L);
            }
        }
        String id = manifest.info().id();
        ManifestFile map = Optional.ofNullable(global.get(RelationMap.SHARED_PATH)).orElseThrow(() -> new CorruptDataException(
                "backup '" + id + "' has no " + RelationMap.SHARED_PATH + ", so its databases' names cannot be read"
                        + " HINT: restore it without --db-include/--db-exclude"));
        OptionalLong fileNumber;
        try {
            fileNumber = RelationMap.fileNumberOf(SmallFile.read(catalog, chunks, id, map), RelationMap.PG_DATABASE);
        } catch (IllegalArgumentException e) {
            throw new CorruptDataException("backup '" + id + "': " + RelationMap.SHARED_PATH + " is " + e.getMessage());
        }
        ManifestFile heap = fileNumber.isEmpty() ? null : global.get("global/" + fileNumber.getAsLong());
        if (heap == null) {
            throw new CorruptDataException("backup '" + id + "' holds no pg_database file (" + RelationMap.SHARED_PATH
                    + " names " + (fileNumber.isEmpty() ? "none" : "global/" + fileNumber.getAsLong()) + ")"
                    + " HINT: restore it without --db-include/--db-exclude");
        }
        Map<String, Long> byName = new LinkedHashMap<>();
        for (DatabaseNames.Database d : DatabaseNames.parse(SmallFile.read(catalog, chunks, id, heap))) {
            if (bytes.containsKey(d.oid())) {
                Long other = byName.put(d.name(), d.oid());
                if (other != null && other != d.oid()) {
                    throw new CorruptDataException("backup '" + id + "' names two databases '" + d.name() + "' (OIDs " + other
                            + " and " + d.oid() + "): its copy of pg_database was changed while it was taken"
                            + " HINT: restore another backup, or the whole cluster");
                }
            }
        }
        return choose(choice, byName, bytes, id);
    }

    /** The choice applied to the backup's databases (name to OID) and their bytes (OID to bytes). */
    static SkippedDatabases choose(DatabaseChoice choice, Map<String, Long> byName, Map<Long, Long> bytes, String backupId) {
        for (String name : choice.include().isEmpty() ? choice.exclude() : choice.include()) {
            if (!byName.containsKey(name)) {
                throw new WalvaultException(ErrorCode.DATABASE_UNKNOWN, "backup '" + backupId + "' holds no database named '"
                        + name + "' HINT: its databases are " + String.join(", ", new TreeMap<>(byName).keySet()));
            }
        }
        Map<Long, Database> skipped = new TreeMap<>();
        List<Database> restored = new ArrayList<>();
        for (Map.Entry<String, Long> e : new TreeMap<>(byName).entrySet()) {
            String name = e.getKey();
            boolean skip = choice.include().isEmpty() ? choice.exclude().contains(name)
                    : !choice.include().contains(name) && !DatabaseChoice.ALWAYS.contains(name) && !name.equals("postgres");
            Database d = new Database(e.getValue(), name, bytes.getOrDefault(e.getValue(), 0L));
            if (skip) {
                skipped.put(d.oid(), d);
            } else {
                restored.add(d);
            }
        }
        return new SkippedDatabases(skipped, restored);
    }

    /** Whether {@code f} is a relation file of a skipped database: written as zeroes of its size. */
    boolean zeroes(ManifestFile f) {
        return zeroes(f.path());
    }

    /** {@link #zeroes(ManifestFile)} by the file's path. */
    boolean zeroes(String path) {
        if (skipped.isEmpty()) {
            return false;
        }
        Matcher m = DATABASE_FILE.matcher(path);
        return m.matches() && skipped.containsKey(Long.parseLong(m.group(1))) && RELATION_FILE.matcher(m.group(2)).matches();
    }

    boolean any() {
        return !skipped.isEmpty();
    }

    /** The databases skipped, by name. */
    List<Database> skipped() {
        return skipped.values().stream().sorted((a, b) -> a.name().compareTo(b.name())).toList();
    }

    /** The skipped databases' names, sorted. */
    List<String> names() {
        return skipped().stream().map(Database::name).toList();
    }

    /** The databases restored in full, by name. */
    List<Database> restored() {
        return restored;
    }
}
