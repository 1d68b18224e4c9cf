package io.walvault.core.storage.posix;

import io.walvault.core.storage.ObjectInfo;
import io.walvault.core.storage.StorageErrors;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * The files under a directory in key order, lazily: one directory's entries in memory at a
 * time (per level), never the whole tree, so listing a repository of millions of objects stays
 * in bounded memory. Entries are ordered by name, with directories compared as {@code name/},
 * which is exactly the order of the full keys (as S3 lists them). Hidden entries (temporary
 * files) and anything that is neither a regular file nor a directory are skipped.
 */
final class SortedWalk implements Iterator<ObjectInfo> {

    private record Entry(Path path, String sortName, BasicFileAttributes attributes) {
    }

    private final Path root;
    private final String location;
    private final Deque<Iterator<Entry>> stack = new ArrayDeque<>();
    private ObjectInfo next;

    /**
     * @param start     the directory to walk
     * @param namePrefix only entries of {@code start} whose name starts with it (or, for
     *                   directories, that it starts with) are walked: the rest of a list prefix
     */
    SortedWalk(Path root, String location, Path start, String namePrefix) {
        this.root = root;
        this.location = location;
        List<Entry> top = entries(root, location, start);
        top.removeIf(e -> !(e.sortName().startsWith(namePrefix) || namePrefix.startsWith(e.sortName())));
        stack.push(top.iterator());
    }

    /**
     * The names directly in {@code dir} as the keys below it would give them, in key order: its
     * files, and its directories in which a walk finds a file (an empty one, or one holding only
     * temporary files, names no object).
     */
    static List<String> children(Path root, String location, Path dir) {
        List<String> names = new ArrayList<>();
        for (Entry e : entries(root, location, dir)) {
            if (!e.attributes().isDirectory() || new SortedWalk(root, location, e.path(), "").hasNext()) {
                names.add(e.path().getFileName().toString());
            }
        }
        return names;
    }

    private static List<Entry> entries(Path root, String location, Path dir) {
        List<Entry> list = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                if (name.startsWith(".")) {
                    continue;
                }
                try {
                    BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                    if (a.isDirectory()) {
                        list.add(new Entry(p, name + "/", a));
                    } else if (a.isRegularFile()) {
                        list.add(new Entry(p, name, a));
                    }
                } catch (NoSuchFileException e) {
                    // removed while listing
                }
            }
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            // the walk runs while the caller consumes the stream: fail like every storage error
            throw StorageErrors.failed("list", root.relativize(dir).toString().replace('\\', '/') + "/", location, e);
        }
        list.sort(Comparator.comparing(Entry::sortName));
        return list;
    }

    @Override
    public boolean hasNext() {
        while (next == null && !stack.isEmpty()) {
            Iterator<Entry> top = stack.peek();
            if (!top.hasNext()) {
                stack.pop();
                continue;
            }
            Entry e = top.next();
            if (e.attributes().isDirectory()) {
                stack.push(entries(root, location, e.path()).iterator());
            } else {
                String key = root.relativize(e.path()).toString().replace(e.path().getFileSystem().getSeparator(), "/");
                next = new ObjectInfo(key, e.attributes().size(), e.attributes().lastModifiedTime().toInstant());
            }
        }
        return next != null;
    }

    @Override
    public ObjectInfo next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        ObjectInfo r = next;
        next = null;
        return r;
    }
}
