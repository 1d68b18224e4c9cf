package io.walvault.cli.reliability;

import io.walvault.testkit.ServerUser;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A small tmpfs mounted for a test (root only), given to the servers' user, unmounted on close;
 * and a ballast file that fills it.
 */
final class Tmpfs implements AutoCloseable {

    private final Path mountPoint;

    private Tmpfs(Path mountPoint) {
        this.mountPoint = mountPoint;
    }

    /** Mounts a tmpfs of {@code mebibytes} at {@code mountPoint} (created if needed). */
    static Tmpfs mount(Path mountPoint, int mebibytes) throws IOException, InterruptedException {
        Files.createDirectories(mountPoint);
        run(List.of("mount", "-t", "tmpfs", "-o", "size=" + mebibytes + "m,mode=0700", "tmpfs", mountPoint.toString()));
        ServerUser.get().adopt(mountPoint);
        return new Tmpfs(mountPoint);
    }

    Path path() {
        return mountPoint;
    }

    long free() throws IOException {
        FileStore store = Files.getFileStore(mountPoint);
        return store.getUsableSpace();
    }

    /**
     * Fills the file system with {@code ballast} until it is full, then gives back
     * {@code leaveFree} bytes; returns the ballast's size.
     */
    long fill(Path ballast, long leaveFree) throws IOException {
        byte[] chunk = new byte[1 << 20];
        long written = 0;
        try (OutputStream out = Files.newOutputStream(ballast)) {
            while (true) {
                out.write(chunk);
                written += chunk.length;
            }
        } catch (IOException full) {
            // no space left on the device
        }
        long size = Files.size(ballast);
        try (var ch = java.nio.channels.FileChannel.open(ballast, java.nio.file.StandardOpenOption.WRITE)) {
            ch.truncate(Math.max(0, size - leaveFree));
        }
        return Files.size(ballast);
    }

    @Override
    public void close() throws IOException, InterruptedException {
        run(List.of("umount", "-l", mountPoint.toString()));
    }

    private static void run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + out);
        }
    }
}
