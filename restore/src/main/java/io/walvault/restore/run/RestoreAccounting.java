package io.walvault.restore.run;

import io.walvault.core.error.CorruptDataException;
import io.walvault.core.hook.HookSpool;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The last check of a restore's files: every file of the manifest is where it belongs with its
 * size, and nothing else is there (a file left by something else, or an extraction that wrote
 * somewhere it should not) but the WAL fetched ahead into {@code pg_wal/.walvault}. Checksums
 * were checked as the files were written.
 */
final class RestoreAccounting {

    private RestoreAccounting() {
    }

    /** Every file of the manifest is where it belongs with its size, and nothing else is there. */
    static void check(ManifestSpool manifest, TablespaceLayout layout, Path data) throws IOException {
        check(manifest, layout, data, false);
    }

    /**
     * Like {@link #check(ManifestSpool, TablespaceLayout, Path)}; with {@code otherVersionsAllowed}
     * (a delta restore), a tablespace directory may hold, beside the backup's version directories
     * ({@code PG_15_...}), others that another server version keeps there; they are not looked at.
     */
    static void check(ManifestSpool manifest, TablespaceLayout layout, Path data, boolean otherVersionsAllowed)
            throws IOException {
        List<String> problems = new ArrayList<>();
        Set<String> versionDirectories = new HashSet<>();
        manifest.forEachFile(f -> {
            String[] parts = f.path().split("/", 4);
            if (parts.length == 4 && parts[0].equals("pg_tblspc")) {
                versionDirectories.add(parts[1] + "/" + parts[2]);
            }
            Path p = layout.place(f.path());
            try {
                BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                if (!a.isRegularFile() || a.size() != f.size()) {
                    problems.add("'" + f.path() + "' is " + (a.isRegularFile() ? a.size() + " bytes, not " + f.size() : "not a file"));
                }
            } catch (NoSuchFileException e) {
                problems.add("'" + f.path() + "' is missing");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        Path spool = data.resolve("pg_wal").resolve(HookSpool.DIRECTORY);
        long[] onDisk = {0};
        List<String> extra = new ArrayList<>();
        List<Path> roots = new ArrayList<>();
        roots.add(data);
        for (Map.Entry<String, Path> t : layout.locations().entrySet()) {
            if (!otherVersionsAllowed) {
                roots.add(t.getValue());
                continue;
            }
            try (DirectoryStream<Path> s = Files.newDirectoryStream(t.getValue())) {
                for (Path version : s) {
                    if (versionDirectories.contains(t.getKey() + "/" + version.getFileName())) {
                        roots.add(version);
                    }
                }
            }
        }
        for (Path root : roots) {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                    // the WAL the restore fetched ahead for the server (a base backup's pg_wal is empty)
                    return dir.equals(spool) ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    if (attrs.isRegularFile() && !file.equals(data.resolve(TargetDirectory.MARKER))) {
                        onDisk[0]++;
                    } else if (!attrs.isRegularFile() && !attrs.isSymbolicLink()) {
                        extra.add(file.toString());
                    }
                    return FileVisitResult.CONTINUE;
                }
            });
        }
        if (onDisk[0] != manifest.files()) {
            problems.add(onDisk[0] + " files are on disk, but the backup's manifest lists " + manifest.files());
        }
        problems.addAll(extra.stream().map(x -> "'" + x + "' is neither a file nor a directory").toList());
        if (!problems.isEmpty()) {
            throw new CorruptDataException("the restored files do not match the manifest of backup '" + manifest.info().id()
                    + "': " + String.join("; ", problems.subList(0, Math.min(10, problems.size())))
                    + (problems.size() > 10 ? " (and " + (problems.size() - 10) + " more)" : ""));
        }
    }
}
