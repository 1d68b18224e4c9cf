package io.walvault.archiver.backup;

import static java.util.Objects.requireNonNull;

import java.io.OutputStream;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

/**
 * Reports a backup's progress: a bar redrawn in place on a terminal, or a line every
 * {@code interval} otherwise (logs, cron mail). Called on the stream thread only.
 */
final class Progress {

    private final PrintWriter out;
    private final boolean terminal;
    private final long intervalNanos;
    private long started = System.nanoTime();
    private long lastReport;
    private boolean drewBar;

    Progress(PrintWriter out, boolean terminal, Duration interval) {
        this.out = requireNonNull(out, "out is null");
        this.terminal = terminal;
        this.intervalNanos = terminal ? 200_000_000L : interval.toNanos();
        this.lastReport = started;
    }

    /** A progress that prints nothing. */
    static Progress silent() {
        return new Progress(new PrintWriter(OutputStream.nullOutputStream()), false, Duration.ofDays(1));
    }

    /**
     * Says what the wait before the first byte is: the server's checkpoint, at once with a fast
     * one, else spread over up to {@code spread} (checkpoint_timeout × checkpoint_completion_target).
     */
    void checkpoint(boolean fast, Optional<Duration> spread) {
        out.println(fast ? "backup: waiting for the server's checkpoint (fast)"
                : "backup: waiting for the server's checkpoint (spread" + spread.map(d -> ": up to " + d.toSeconds() + " s")
                        .orElse("") + "; --checkpoint fast starts it at once)");
        out.flush();
    }

    /** The stream has begun: rates count from now, not from before the checkpoint. */
    void streamStarted() {
        started = System.nanoTime();
        lastReport = started;
    }

    void update(long done, long total, long stored) {
        long now = System.nanoTime();
        if (now - lastReport < intervalNanos) {
            return;
        }
        lastReport = now;
        double secs = Math.max(1e-3, (now - started) / 1e9);
        double mbps = done / secs / 1e6;
        if (terminal) {
            int width = 30;
            int filled = total > 0 ? (int) Math.min(width, width * done / total) : 0;
            out.print(String.format(Locale.ROOT, "\r[%s%s] %s / %s  %.0f MB/s ", "#".repeat(filled), ".".repeat(width - filled),
                    mib(done), total > 0 ? mib(total) : "?", mbps));
            out.flush();
            drewBar = true;
        } else {
            out.println(String.format(Locale.ROOT, "backup: %s of %s received (%s), %s stored, %.0f MB/s", mib(done),
                    total > 0 ? mib(total) : "?", total > 0 ? (100 * done / total) + "%" : "?", mib(stored), mbps));
        }
    }

    /** Ends the bar's line. */
    void done() {
        if (drewBar) {
            out.println();
            drewBar = false;
        }
    }

    static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }
}
