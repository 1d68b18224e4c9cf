package io.walvault.cli;

import io.walvault.core.error.ErrorCode;
import java.io.PrintWriter;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import sun.misc.Signal;

/**
 * SIGINT and SIGTERM end every command with {@link ErrorCode#INTERRUPTED} (exit code 4), after
 * its cleanup, as README.md documents; the JVM on its own would exit with 130 or 143.
 *
 * <pre>
 *   signal ─▶ handler: note it, interrupt the command's thread, System.exit(4)
 *               └─▶ shutdown hooks, side by side:
 *                     the command's own (backup cancels its run, the agent ships its spool)
 *                     this class's: waits until the command's thread has returned (its finally
 *                     blocks: temporary files deleted, uploads aborted, locks released), bounded
 * </pre>
 *
 * The commands that stop through their own shutdown hook ({@code backup}, {@code agent}) are not
 * interrupted: the hook does it in order. The agent keeps what README promises for SIGTERM: a
 * clean stop with status 143, as a service manager expects of a process ended by SIGTERM.
 * Installed by {@link Main#main} only, never for in-process runs (tests).
 */
final class Signals {

    /** How long the hook waits for the command's thread to finish its cleanup. */
    private static final long CLEANUP_SECONDS = 10;

    /** Commands whose own shutdown hook stops them cleanly: no interrupt. */
    private static final Set<String> STOP_BY_HOOK = Set.of("backup", "agent");

    private static final AtomicReference<String> RECEIVED = new AtomicReference<>();
    private static final CountDownLatch RETURNED = new CountDownLatch(1);

    private Signals() {
    }

    /** Installs the handlers for the command {@code command} running on {@code worker}. */
    static void install(String command, Thread worker, PrintWriter err) {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (RECEIVED.get() != null) {
                try {
                    RETURNED.await(CLEANUP_SECONDS, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }, "walvault-signal-cleanup"));
        handle("INT", command, worker, err);
        if (!command.equals("agent")) {
            handle("TERM", command, worker, err);
        }
    }

    private static void handle(String name, String command, Thread worker, PrintWriter err) {
        try {
            Signal.handle(new Signal(name), s -> {
                if (!RECEIVED.compareAndSet(null, name)) {
                    return; // the first one is being handled
                }
                err.println("walvault: interrupted by SIG" + name + ": stopping after cleanup");
                if (!STOP_BY_HOOK.contains(command)) {
                    worker.interrupt();
                }
                System.exit(ErrorCode.INTERRUPTED.exitCode());
            });
        } catch (IllegalArgumentException e) {
            // the JVM runs with -Xrs or the signal is not available: its own behaviour stays
        }
    }

    /** Called when the command's thread has returned {@code code}: the exit code to use. */
    static int returned(int code) {
        RETURNED.countDown();
        return RECEIVED.get() != null ? ErrorCode.INTERRUPTED.exitCode() : code;
    }
}
