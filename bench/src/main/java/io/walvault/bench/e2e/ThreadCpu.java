package io.walvault.bench.e2e;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * CPU time per thread of this JVM (Linux), including threads that ended: a daemon thread reads
 * {@code /proc/self/task/*}/stat every 100 ms and keeps each thread's last value, so a thread
 * that ended between two reads loses at most 100 ms. Names are the kernel's (15 characters),
 * with trailing numbers folded, so "walvault-bundle-0" and "-1" count together. Started and
 * stopped by one thread.
 */
final class ThreadCpu implements AutoCloseable {

    private static final long TICK_MS = 10; // USER_HZ is 100 on Linux

    private record Sample(String name, long ticks) {
    }

    private final Map<String, Sample> byTid = new ConcurrentHashMap<>();
    private final Map<String, Long> before = new TreeMap<>();
    private final Thread sampler;
    private volatile boolean stop;

    ThreadCpu() {
        read();
        byTid.forEach((tid, s) -> before.merge(s.name(), s.ticks(), Long::sum));
        byTid.clear();
        sampler = new Thread(() -> {
            while (!stop) {
                read();
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "bench-thread-cpu");
        sampler.setDaemon(true);
        sampler.start();
    }

    private void read() {
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
            for (Path t : tasks) {
                try {
                    String stat = Files.readString(t.resolve("stat"));
                    int open = stat.indexOf('(');
                    int close = stat.lastIndexOf(')');
                    String name = stat.substring(open + 1, close).replaceAll("[-#]?[0-9]+$", "").trim();
                    String[] f = stat.substring(close + 2).split(" ");
                    long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime + stime
                    byTid.put(t.getFileName().toString(), new Sample(name, ticks));
                } catch (IOException | RuntimeException ended) {
                    // the thread ended while it was read
                }
            }
        } catch (IOException e) {
            // not Linux: no figures
        }
    }

    /** Milliseconds of CPU per thread name since construction, most first. */
    Map<String, Long> millisByName() {
        Map<String, Long> ms = new TreeMap<>();
        byTid.values().forEach(s -> ms.merge(s.name(), s.ticks(), Long::sum));
        before.forEach((name, ticks) -> ms.merge(name, -ticks, Long::sum));
        ms.replaceAll((name, ticks) -> ticks * TICK_MS);
        ms.values().removeIf(v -> v <= 0);
        return ms;
    }

    @Override
    public void close() {
        stop = true;
        sampler.interrupt();
        read();
    }
}
