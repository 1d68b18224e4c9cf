package io.walvault.testkit;

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
import java.util.concurrent.TimeUnit;

/**
 * The operating-system user that test servers run as.
 *
 * <p>PostgreSQL refuses to run as root. When the test JVM runs as root, servers (and anything a
 * server runs, such as {@code archive_command}) run as an unprivileged user, {@value #NAME},
 * created on first use if it does not exist (falling back to {@code nobody}). Commands are
 * wrapped in {@code setpriv}, and directories handed to a server are given to that user. When
 * the JVM runs as a normal user, servers run as that same user and nothing is wrapped.
 */
public final class ServerUser {

    /** The unprivileged user servers run as when the tests run as root. */
    public static final String NAME = "walvault-pg";

    private static volatile ServerUser instance;

    private final String name;
    private final int uid;
    private final int gid;
    private final boolean dropsPrivileges;

    private ServerUser(String name, int uid, int gid, boolean dropsPrivileges) {
        this.name = name;
        this.uid = uid;
        this.gid = gid;
        this.dropsPrivileges = dropsPrivileges;
    }

    /** The user for this JVM: itself, or an unprivileged one when running as root. */
    public static ServerUser get() {
        ServerUser u = instance;
        if (u == null) {
            synchronized (ServerUser.class) {
                u = instance;
                if (u == null) {
                    u = resolve();
                    instance = u;
                }
            }
        }
        return u;
    }

    /** Whether this JVM runs as root. */
    public static boolean jvmIsRoot() {
        try {
            Object uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
            return ((Integer) uid) == 0;
        } catch (IOException | UnsupportedOperationException e) {
            return "root".equals(System.getProperty("user.name"));
        }
    }

    private static ServerUser resolve() {
        if (!jvmIsRoot()) {
            return new ServerUser(System.getProperty("user.name"), -1, -1, false);
        }
        int[] ids = lookup(NAME);
        if (ids == null) {
            run(List.of("useradd", "--system", "--user-group", "--no-create-home",
                    "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", NAME));
            ids = lookup(NAME);
        }
        if (ids != null) {
            return new ServerUser(NAME, ids[0], ids[1], true);
        }
        int[] nobody = lookup("nobody");
        if (nobody == null) {
            throw new IllegalStateException("running as root, but neither user '" + NAME
                    + "' could be created nor 'nobody' found; PostgreSQL refuses to run as root."
                    + " HINT: create an unprivileged user named '" + NAME + "' or run the tests as a normal user");
        }
        return new ServerUser("nobody", nobody[0], nobody[1], true);
    }

    private static int[] lookup(String user) {
        try {
            for (String line : Files.readAllLines(Path.of("/etc/passwd"), StandardCharsets.UTF_8)) {
                String[] f = line.split(":");
                if (f.length >= 4 && f[0].equals(user)) {
                    return new int[] {Integer.parseInt(f[2]), Integer.parseInt(f[3])};
                }
            }
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void run(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            p.waitFor(60, TimeUnit.SECONDS);
        } catch (IOException e) {
            // useradd missing: fall back to 'nobody' in resolve()
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The user name servers run as. */
    public String name() {
        return name;
    }

    /** Whether commands are run as another user than the JVM's. */
    public boolean dropsPrivileges() {
        return dropsPrivileges;
    }

    /** {@code command} as this user would run it: wrapped in setpriv when the JVM is root. */
    public List<String> wrap(List<String> command) {
        if (!dropsPrivileges) {
            return command;
        }
        List<String> out = new ArrayList<>(command.size() + 5);
        out.add("setpriv");
        out.add("--reuid=" + uid);
        out.add("--regid=" + gid);
        out.add("--clear-groups");
        out.add("--");
        out.addAll(command);
        return out;
    }

    /** Gives {@code path} and everything below it to this user (a no-op when not root). */
    public void adopt(Path path) {
        if (!dropsPrivileges || !Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try {
            UserPrincipalLookupService lookup = path.getFileSystem().getUserPrincipalLookupService();
            UserPrincipal owner = lookup.lookupPrincipalByName(name);
            GroupPrincipal group = lookup.lookupPrincipalByGroupName(groupName());
            Files.walkFileTree(path, new SimpleFileVisitor<>() {
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
                    PosixFileAttributeView view = Files.getFileAttributeView(p, PosixFileAttributeView.class,
                            LinkOption.NOFOLLOW_LINKS);
                    view.setOwner(owner);
                    view.setGroup(group);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot give '" + path + "' to user '" + name + "'", e);
        }
    }

    private String groupName() throws IOException {
        for (String line : Files.readAllLines(Path.of("/etc/group"), StandardCharsets.UTF_8)) {
            String[] f = line.split(":");
            if (f.length >= 3 && Integer.parseInt(f[2]) == gid) {
                return f[0];
            }
        }
        throw new IOException("no group with gid " + gid);
    }

    @Override
    public String toString() {
        return name + (dropsPrivileges ? " (uid " + uid + ", tests run as root)" : "");
    }
}
