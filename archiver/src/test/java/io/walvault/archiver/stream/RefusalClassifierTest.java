package io.walvault.archiver.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.replication.ConnectionLostException;
import io.walvault.core.replication.ServerErrorException;
import io.walvault.core.replication.ServerMessage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@link RefusalClassifier}: each kind of refusal and failure, and what the agent does about it. */
class RefusalClassifierTest {

    static final Duration GRACE = Duration.ofSeconds(30);

    static ServerErrorException refusal(ErrorCode code, String sqlState, String message) {
        return new ServerErrorException(code, "server error: " + message,
                new ServerMessage(Map.of('S', "ERROR", 'C', sqlState, 'M', message)));
    }

    static RefusalClassifier.Decision refusal(ServerErrorException e, Duration busyFor) {
        return RefusalClassifier.refusal(e, "wv", busyFor, GRACE);
    }

    @Test
    void walTheServerRemovedIsAGap() {
        ServerErrorException e = refusal(ErrorCode.SERVER_ERROR, "58P01",
                "requested WAL segment 000000010000000000000003 has already been removed");
        RefusalClassifier.Gap g = assertInstanceOf(RefusalClassifier.Gap.class, refusal(e, Duration.ZERO));
        assertSame(e, g.refusal());
    }

    @Test
    void aLogicalSlotIsUnusable() {
        ServerErrorException e = refusal(ErrorCode.SERVER_ERROR, "55000", "cannot use a logical replication slot for physical"
                + " replication");
        RefusalClassifier.Fatal f = assertInstanceOf(RefusalClassifier.Fatal.class, refusal(e, Duration.ZERO));
        WalvaultException w = assertInstanceOf(WalvaultException.class, f.error());
        assertEquals(ErrorCode.AGENT_SLOT_UNUSABLE, w.code());
        assertTrue(w.getMessage().contains("'wv'") && w.getMessage().contains("HINT: give the agent a physical slot"),
                w.getMessage());
        assertSame(e, w.getCause());
    }

    @Test
    void aBusySlotIsRetriedForTheGraceThenTheAgentGivesUp() {
        ServerErrorException e = refusal(ErrorCode.SLOT_IN_USE, "55006", "replication slot \"wv\" is active for PID 4242");
        RefusalClassifier.Retry r = assertInstanceOf(RefusalClassifier.Retry.class, refusal(e, Duration.ZERO));
        assertSame(e, r.error());
        assertEquals("server", r.kind());
        assertInstanceOf(RefusalClassifier.Retry.class, refusal(e, GRACE), "at the grace itself: still retried");
        RefusalClassifier.Fatal f = assertInstanceOf(RefusalClassifier.Fatal.class, refusal(e, GRACE.plusMillis(1)));
        WalvaultException w = (WalvaultException) f.error();
        assertEquals(ErrorCode.AGENT_ALREADY_RUNNING, w.code());
        assertTrue(w.getMessage().contains("PID 4242"), "names the other process: " + w.getMessage());
    }

    @Test
    void anyOtherRefusalIsDecidedByItsCode() {
        ServerErrorException missing = refusal(ErrorCode.SLOT_NOT_FOUND, "42704", "replication slot \"wv\" does not exist");
        assertEquals("server", assertInstanceOf(RefusalClassifier.Retry.class, refusal(missing, Duration.ZERO)).kind());
        ServerErrorException other = refusal(ErrorCode.SERVER_ERROR, "XX000", "something else");
        assertSame(other, assertInstanceOf(RefusalClassifier.Retry.class, refusal(other, Duration.ZERO)).error());
        ServerErrorException denied = refusal(ErrorCode.REPLICATION_PRIVILEGE_MISSING, "42501", "must have REPLICATION");
        assertSame(denied, assertInstanceOf(RefusalClassifier.Fatal.class, refusal(denied, Duration.ofHours(1))).error());
    }

    @Test
    void aLogicalSlotFoundByReadReplicationSlotIsUnusable() {
        // walvault's own check on 15 and 16, the server's refusal on 17+
        for (String m : new String[] {"replication slot 'wv' is a logical slot, not a physical one",
                "cannot use READ_REPLICATION_SLOT with a logical replication slot"}) {
            WalvaultException e = new WalvaultException(ErrorCode.SERVER_ERROR, m);
            RefusalClassifier.Fatal f = assertInstanceOf(RefusalClassifier.Fatal.class, RefusalClassifier.slotLookup(e, "wv"));
            assertEquals(ErrorCode.AGENT_SLOT_UNUSABLE, ((WalvaultException) f.error()).code());
            assertTrue(f.error().getMessage().contains("is a logical slot"), f.error().getMessage());
        }
        WalvaultException lost = new ConnectionLostException("the connection broke");
        assertSame(lost, assertInstanceOf(RefusalClassifier.Retry.class, RefusalClassifier.slotLookup(lost, "wv")).error());
    }

    @Test
    void failuresARetryCanCureAreRetriedWithTheirKind() {
        Map<ErrorCode, String> retried = Map.of(ErrorCode.CONNECTION_FAILED, "connection", ErrorCode.CONNECTION_LOST, "connection",
                ErrorCode.TOO_MANY_CONNECTIONS, "connection", ErrorCode.SERVER_ERROR, "server", ErrorCode.SLOT_NOT_FOUND, "server",
                ErrorCode.SLOT_IN_USE, "server", ErrorCode.STORAGE, "storage", ErrorCode.PROTOCOL_VIOLATION, "protocol",
                ErrorCode.WAL_INVALID, "wal_invalid");
        retried.forEach((code, kind) -> {
            WalvaultException e = new WalvaultException(code, "x");
            RefusalClassifier.Retry r = assertInstanceOf(RefusalClassifier.Retry.class, RefusalClassifier.failure(e), code.name());
            assertEquals(kind, r.kind(), code.name());
            assertSame(e, r.error());
        });
        UncheckedIOException spool = new UncheckedIOException(new IOException("disk full"));
        assertEquals("spool", assertInstanceOf(RefusalClassifier.Retry.class, RefusalClassifier.failure(spool)).kind());
    }

    @Test
    void whatARetryCannotCureIsFatal() {
        long retried = java.util.Arrays.stream(ErrorCode.values())
                .filter(c -> RefusalClassifier.failure(new WalvaultException(c, "x")) instanceof RefusalClassifier.Retry).count();
        assertEquals(9, retried, "only the connection, server, storage, protocol and WAL check codes are retried");
        for (ErrorCode code : new ErrorCode[] {ErrorCode.AUTHENTICATION_FAILED, ErrorCode.CONNECTION_REJECTED,
                ErrorCode.REPLICATION_PRIVILEGE_MISSING, ErrorCode.CONFIG, ErrorCode.REPOSITORY_FORMAT, ErrorCode.CONTENT_MISMATCH,
                ErrorCode.CLUSTER_UNEXPECTED, ErrorCode.WRONG_KEY, ErrorCode.AGENT_WAL_GAP, ErrorCode.AGENT_SLOT_UNUSABLE,
                ErrorCode.AGENT_ALREADY_RUNNING, ErrorCode.LOCK_HELD, ErrorCode.INTERRUPTED, ErrorCode.INTERNAL}) {
            assertInstanceOf(RefusalClassifier.Fatal.class, RefusalClassifier.failure(new WalvaultException(code, "x")), code.name());
        }
        IllegalStateException bug = new IllegalStateException("a bug");
        assertSame(bug, assertInstanceOf(RefusalClassifier.Fatal.class, RefusalClassifier.failure(bug)).error());
    }
}
