package io.walvault.archiver.stream;

import static java.util.Objects.requireNonNull;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.replication.ServerErrorException;
import java.io.UncheckedIOException;
import java.time.Duration;

/**
 * What the agent does about the server's refusals and about the failures that end a session:
 * a pure function of the error (and, for a busy slot, how long it has been busy), so each case
 * is decided in one place and tested without a server.
 *
 * <ul>
 *   <li>{@link Retry}: end the session, count {@code walvault_agent_errors_total{kind}}, and
 *       reconnect after the backoff (the connection, the server, the storage, the spool);
 *   <li>{@link Gap}: the server no longer has the WAL the repository lacks; {@link GapPolicy}
 *       decides between stopping and streaming on past it;
 *   <li>{@link Fatal}: stop the agent with the error's code (authentication, configuration,
 *       repository format, content mismatch, and the agent's own refusals 56, 57, 58).
 * </ul>
 */
final class RefusalClassifier {

    private RefusalClassifier() {
    }

    /** The decision. */
    sealed interface Decision permits Retry, Gap, Fatal {
    }

    /** Reconnect after the backoff; {@code kind} is the error counter's label. */
    record Retry(RuntimeException error, String kind) implements Decision {
        Retry {
            requireNonNull(error, "error is null");
            requireNonNull(kind, "kind is null");
        }
    }

    /** The server removed WAL the repository lacks: {@code refusal} names it. */
    record Gap(ServerErrorException refusal) implements Decision {
        Gap {
            requireNonNull(refusal, "refusal is null");
        }
    }

    /** Stop the agent with {@code error}. */
    record Fatal(RuntimeException error) implements Decision {
        Fatal {
            requireNonNull(error, "error is null");
        }
    }

    /**
     * The server refused START_REPLICATION or ended the stream with an error.
     *
     * @param slot      the agent's slot, for the messages
     * @param busyFor   how long the server has refused the slot as active for another process,
     *                  this refusal included ({@link SlotHandling#refusedAsActive}); zero otherwise
     * @param busyGrace how long a busy slot is retried (a killed agent's walsender lingers)
     */
    static Decision refusal(ServerErrorException e, String slot, Duration busyFor, Duration busyGrace) {
        String msg = e.serverError().message();
        // "requested WAL segment 000000010000000000000003 has already been removed"
        if (msg != null && msg.contains("has already been removed")) {
            return new Gap(e);
        }
        // "cannot use a logical replication slot for physical replication"
        if (msg != null && msg.contains("logical replication slot")) {
            return new Fatal(new WalvaultException(ErrorCode.AGENT_SLOT_UNUSABLE, "replication slot '" + slot
                    + "' cannot stream physical WAL: " + msg + " HINT: give the agent a physical slot of its own with --slot", e));
        }
        if (e.code() == ErrorCode.SLOT_IN_USE && busyFor.compareTo(busyGrace) > 0) {
            return new Fatal(new WalvaultException(ErrorCode.AGENT_ALREADY_RUNNING, "replication slot '" + slot
                    + "' is in use by another process: " + msg
                    + " HINT: another agent or pg_receivewal streams from it; stop that process or give this agent its own --slot", e));
        }
        return failure(e);
    }

    /**
     * READ_REPLICATION_SLOT failed: a logical slot (walvault's own check on 15 and 16: "not a
     * physical one"; the server's refusal on 17+: "cannot use READ_REPLICATION_SLOT with a
     * logical replication slot") is unusable; anything else is decided as a {@link #failure}.
     */
    static Decision slotLookup(WalvaultException e, String slot) {
        if (e.code() == ErrorCode.SERVER_ERROR && (e.getMessage().contains("not a physical one")
                || e.getMessage().contains("logical replication slot"))) {
            return new Fatal(new WalvaultException(ErrorCode.AGENT_SLOT_UNUSABLE, "replication slot '" + slot
                    + "' is a logical slot; the agent streams physical WAL (" + e.getMessage() + ")"
                    + " HINT: give the agent a physical slot of its own with --slot", e));
        }
        return failure(e);
    }

    /**
     * A failure that ended a session: what a reconnection may cure is retried (the spool's I/O,
     * the connection, the server's errors, the storage, a broken stream, WAL that failed its
     * check), anything else stops the agent.
     */
    static Decision failure(RuntimeException e) {
        if (e instanceof UncheckedIOException) {
            return new Retry(e, "spool");
        }
        if (!(e instanceof WalvaultException w)) {
            return new Fatal(e);
        }
        return switch (w.code()) {
            case CONNECTION_FAILED, CONNECTION_LOST, TOO_MANY_CONNECTIONS -> new Retry(e, "connection");
            case SERVER_ERROR, SLOT_NOT_FOUND, SLOT_IN_USE -> new Retry(e, "server");
            case STORAGE -> new Retry(e, "storage");
            case PROTOCOL_VIOLATION -> new Retry(e, "protocol");
            case WAL_INVALID -> new Retry(e, "wal_invalid");
            default -> new Fatal(e);
        };
    }
}
