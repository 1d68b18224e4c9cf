package io.walvault.bench.e2e;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/** What this machine can do without walvault: the denominators of the ratios. */
public final class MachineLimits {

    private MachineLimits() {
    }

    /**
     * Sequential write speed of the file system under {@code dir}: {@code bytes} of random data
     * in 1 MiB writes, then fsync, as a restore writes files. MB/s (10^6 bytes).
     */
    public static double diskWriteMBps(Path dir, long bytes) throws IOException {
        Path f = Files.createTempFile(dir, "walvault-bench-disk", ".bin");
        try {
            byte[] block = new byte[1 << 20];
            ThreadLocalRandom.current().nextBytes(block);
            ByteBuffer buf = ByteBuffer.wrap(block);
            long start = System.nanoTime();
            try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                for (long done = 0; done < bytes; done += block.length) {
                    buf.clear();
                    while (buf.hasRemaining()) {
                        ch.write(buf);
                    }
                }
                ch.force(true);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            return bytes / 1e6 / seconds;
        } finally {
            Files.deleteIfExists(f);
        }
    }
}
