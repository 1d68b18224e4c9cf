package io.walvault.testkit;

import io.walvault.os.OsUser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The operating-system user that test servers run as.
 *
 * <p>PostgreSQL refuses to run as root. When the test JVM runs as root, servers (and anything a
 * server runs, such as {@code archive_command}) run as an unprivileged user, {@value #NAME},
 * created on first use if it does not exist (falling back to {@code nobody}). Commands are
 * wrapped in {@code setpriv}, and directories handed to a server are given to that user, by
 * {@link OsUser}, as walvault's own drill does. When the JVM runs as a normal user, servers run
 * as that same user and nothing is wrapped.
 */
public final class ServerUser {

    /** The unprivileged user servers run as when the tests run as root. */
    public static final String NAME = "walvault-pg";

    private static volatile ServerUser instance;

    private final String name;
    /** The user to switch to, or null when commands run as the JVM's user. */
    private final OsUser user;

    private ServerUser(String name, OsUser user) {
        this.name = name;
        this.user = user;
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
        return OsUser.processIsRoot();
    }

    private static ServerUser resolve() {
        if (!jvmIsRoot()) {
            return new ServerUser(System.getProperty("user.name"), null);
        }
        Optional<OsUser> user = OsUser.find(NAME);
        if (user.isEmpty()) {
            run(List.of("useradd", "--system", "--user-group", "--no-create-home",
                    "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", NAME));
            user = OsUser.find(NAME);
        }
        if (user.isEmpty()) {
            user = OsUser.find("nobody");
        }
        if (user.isEmpty()) {
            throw new IllegalStateException("running as root, but neither user '" + NAME
                    + "' could be created nor 'nobody' found; PostgreSQL refuses to run as root."
                    + " HINT: create an unprivileged user named '" + NAME + "' or run the tests as a normal user");
        }
        return new ServerUser(user.get().name(), user.get());
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
        return user != null;
    }

    /** {@code command} as this user would run it: wrapped in setpriv when the JVM is root. */
    public List<String> wrap(List<String> command) {
        return user == null ? command : user.wrap(command);
    }

    /** Gives {@code path} and everything below it to this user (a no-op when not root). */
    public void adopt(Path path) {
        if (user == null || !Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        user.adopt(path);
    }

    @Override
    public String toString() {
        return name + (user != null ? " (uid " + user.uid() + ", tests run as root)" : "");
    }
}
