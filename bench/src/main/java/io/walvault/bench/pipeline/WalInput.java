package io.walvault.bench.pipeline;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

/**
 * The 16 MiB input of the pipeline benchmarks: a real WAL segment when
 * {@code -Dwalvault.bench.wal=/path/to/segment} is given (docs/PERFORMANCE.md says how to make
 * one), else a synthetic WAL-like segment (pages of text, random runs and zeros).
 */
final class WalInput {

    static final int SEGMENT = 16 * 1024 * 1024;

    private WalInput() {
    }

    static byte[] load() {
        String path = System.getProperty("walvault.bench.wal");
        if (path != null && !path.isEmpty()) {
            try {
                byte[] b = Files.readAllBytes(Path.of(path));
                if (b.length != SEGMENT) {
                    throw new IllegalArgumentException("'" + path + "' is " + b.length + " bytes, not a 16 MiB segment");
                }
                return b;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        byte[] text = "UPDATE pgbench_accounts SET abalance = abalance + 42 WHERE aid = 1234567; ".getBytes();
        byte[] b = new byte[SEGMENT];
        for (int i = 0; i < b.length; i++) {
            b[i] = text[i % text.length];
        }
        Random r = new Random(1);
        byte[] rnd = new byte[2048];
        for (int page = 0; page < b.length; page += 8192) {
            r.nextBytes(rnd);
            System.arraycopy(rnd, 0, b, page, rnd.length);
            if (r.nextInt(4) == 0) {
                Arrays.fill(b, page + 4096, page + 8192, (byte) 0);
            }
        }
        return b;
    }
}
