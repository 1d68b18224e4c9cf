package io.walvault.archiver.stream;

import static java.util.Objects.requireNonNull;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.replication.ReplicationConnection;
import io.walvault.core.replication.ServerErrorException;
import io.walvault.core.replication.SlotInfo;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's physical replication slot: created if missing ({@code RESERVE_WAL}, so the server
 * keeps WAL from then on), refused if it is a logical slot ({@code AGENT_SLOT_UNUSABLE}), and
 * how long the server has refused it as active for another process (a killed agent's walsender
 * lingers briefly; {@link RefusalClassifier} gives up after {@code --slot-busy-grace}).
 *
 * <p>Lives as long as the agent (the busy time spans reconnections). Not thread-safe: the
 * receive loop owns it.
 */
final class SlotHandling {

    private static final Logger LOG = LoggerFactory.getLogger(SlotHandling.class);

    private final String name;
    /** System.nanoTime() of the first refusal as active since the last stream that started, if refused. */
    private long busySince;
    private boolean busy;

    SlotHandling(String name) {
        this.name = requireNonNull(name, "name is null");
    }

    String name() {
        return name;
    }

    /**
     * The slot exists (created if missing) and is physical; returns its restart position when the
     * server tells it (READ_REPLICATION_SLOT, PostgreSQL 15+), empty on 14.
     */
    Optional<SlotInfo> ensure(ReplicationConnection conn) {
        if (conn.serverVersion().major() >= 15) {
            Optional<SlotInfo> info;
            try {
                info = conn.readSlot(name);
            } catch (WalvaultException e) {
                if (RefusalClassifier.slotLookup(e, name) instanceof RefusalClassifier.Fatal f) {
                    throw f.error();
                }
                throw e;
            }
            if (info.isPresent()) {
                return info;
            }
            conn.createPhysicalSlot(name, false);
            LOG.info("agent: created physical replication slot '{}'", name);
            return conn.readSlot(name);
        }
        try {
            conn.createPhysicalSlot(name, false);
            LOG.info("agent: created physical replication slot '{}'", name);
        } catch (WalvaultException e) {
            if (e.code() != ErrorCode.SLOT_ALREADY_EXISTS) {
                throw e;
            }
        }
        return Optional.empty();
    }

    /**
     * How long the server has refused the slot as active for another process, counting
     * {@code refusal} at {@code nowNanos}; zero when {@code refusal} is another kind of error.
     */
    Duration refusedAsActive(ServerErrorException refusal, long nowNanos) {
        if (refusal.code() != ErrorCode.SLOT_IN_USE) {
            return Duration.ZERO;
        }
        if (!busy) {
            busy = true;
            busySince = nowNanos;
        }
        return Duration.ofNanos(nowNanos - busySince);
    }

    /** A stream started: the slot is ours, the busy time starts over. */
    void streamStarted() {
        busy = false;
    }
}
