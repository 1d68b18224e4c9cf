package io.walvault.os;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * An operating-system user that a PostgreSQL server runs as. PostgreSQL refuses to run as root,
 * so a process running as root starts the server as an unprivileged user, through
 * {@code setpriv}, and gives that user the directories the server writes to. Restore's drill
 * ({@code --run-as USER}) and the test harness's servers ({@code testkit.ServerUser}) run theirs
 * this way.
 */
public record OsUser(String name, int uid, int gid) {

    public OsUser {
        requireNonNull(name, "name is null");
    }

    /** Looks {@code name} up in /etc/passwd. */
    public static Optional<OsUser> find(String name) {
        try {
            for (String line : Files.readAllLines(Path.of("/etc/passwd"), StandardCharsets.UTF_8)) {
                String[] f = line.split(":");
                if (f.length >= 4 && f[0].equals(name)) {
                    return Optional.of(new OsUser(name, Integer.parseInt(f[2]), Integer.parseInt(f[3])));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read /etc/passwd", e);
        }
        return Optional.empty();
    }

    /**
     * Looks {@code name} up in /etc/passwd.
     *
     * @throws IllegalArgumentException when there is no such user
     */
    public static OsUser lookup(String name) {
        return find(name).orElseThrow(() -> new IllegalArgumentException("operating-system user '" + name + "' does not exist"));
    }

    /** Whether this process runs as root. */
    public static boolean processIsRoot() {
        try {
            return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
        } catch (IOException | UnsupportedOperationException e) {
            return "root".equals(System.getProperty("user.name"));
        }
    }

    /** {@code command} run as this user. */
    public List<String> wrap(List<String> command) {
        List<String> out = new ArrayList<>(List.of("setpriv", "--reuid=" + uid, "--regid=" + gid, "--init-groups", "--"));
        out.addAll(command);
        return out;
    }

    /** Gives {@code root} and everything below it to this user. */
    public void adopt(Path root) {
        try {
            UserPrincipalLookupService lookup = root.getFileSystem().getUserPrincipalLookupService();
            UserPrincipal owner = lookup.lookupPrincipalByName(name);
            GroupPrincipal group = lookup.lookupPrincipalByGroupName(groupName());
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                    give(dir);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    give(file);
                    return FileVisitResult.CONTINUE;
                }

                private void give(Path p) throws IOException {
                    PosixFileAttributeView v = Files.getFileAttributeView(p, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
                    v.setOwner(owner);
                    v.setGroup(group);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot give '" + root + "' to user '" + name + "'", e);
        }
    }

    private String groupName() throws IOException {
        for (String line : Files.readAllLines(Path.of("/etc/group"), StandardCharsets.UTF_8)) {
            String[] f = line.split(":");
            if (f.length >= 3 && Integer.parseInt(f[2]) == gid) {
                return f[0];
            }
        }
        return Integer.toString(gid);
    }
}
