package io.walvault.core.tar;

import static java.util.Objects.requireNonNull;

/**
 * One member of a tar archive as its header describes it.
 *
 * @param path the member's path ({@code base/1/1259}), never with a trailing slash (directories and
 *        PostgreSQL's pg_tblspc links have one in the archive)
 * @param type what it is
 * @param size content bytes (0 for anything but regular files)
 * @param mode permission bits
 * @param mtime modification time, seconds since the epoch
 * @param linkTarget the target of a symbolic or hard link, empty otherwise
 */
public record TarMember(String path, Type type, long size, int mode, long mtime, String linkTarget) {

    /** Member kinds. */
    public enum Type { FILE, DIRECTORY, SYMLINK, HARDLINK, OTHER }

    public TarMember {
        requireNonNull(path, "path is null");
        requireNonNull(type, "type is null");
        requireNonNull(linkTarget, "linkTarget is null");
        if (size < 0) {
            throw new IllegalArgumentException("tar member '" + path + "' has negative size " + size);
        }
    }

    public boolean isFile() {
        return type == Type.FILE;
    }
}
