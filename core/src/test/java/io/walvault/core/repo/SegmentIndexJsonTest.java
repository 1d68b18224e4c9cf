package io.walvault.core.repo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.walvault.core.error.CorruptDataException;
import io.walvault.core.wal.SegmentIndex;
import io.walvault.core.wal.XidSpan;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A segment's index as stored: the transaction ids it keeps, and an index written before them. */
class SegmentIndexJsonTest {

    private static final String SEGMENT = "000000010000000000000007";
    private static final Instant T = Instant.parse("2026-12-07T08:00:00.123456Z");

    private static SegmentIndex index(Optional<Instant> ends, Optional<XidSpan> xids) {
        return new SegmentIndex(ends, xids, ends, List.of("p"), false, false, 17, SegmentIndex.Bytes.NONE, SegmentIndex.Bytes.NONE);
    }

    private static SegmentIndex roundTrip(SegmentIndex index) {
        byte[] json = Json.write(SegmentIndexJson.of(SEGMENT, index));
        return Json.read(json, SegmentIndexJson.class, "k").index();
    }

    @Test
    void theTransactionIdsOfItsEndsAreKeptOrAnyOrNone() {
        for (SegmentIndex i : List.of(index(Optional.of(T), Optional.of(new XidSpan(0xFFFFFFF0L, 12, false))),
                index(Optional.of(T), Optional.of(XidSpan.ANY)), index(Optional.empty(), Optional.empty()))) {
            assertEquals(i, roundTrip(i));
        }
        String stored = new String(Json.write(SegmentIndexJson.of(SEGMENT, index(Optional.of(T),
                Optional.of(new XidSpan(740, 745, false))))), StandardCharsets.UTF_8);
        assertEquals(true, stored.contains("\"walvaultWalIndex\":2") && stored.contains("\"oldestTransactionEndXid\":740")
                && stored.contains("\"newestTransactionEndXid\":745"), stored);
    }

    @Test
    void anIndexOfTheFirstFormatMayEndAnyTransactionWhereItEndsOne() {
        String v1 = "{\"walvaultWalIndex\":1,\"segment\":\"" + SEGMENT + "\",\"newestTransactionEndMicros\":1796630400123456,"
                + "\"lastCommitMicros\":1796630400123456,\"restorePoints\":[],\"moreRestorePoints\":false,"
                + "\"endsInPossibleStop\":false,\"serverMajor\":16,\"unfinishedHead\":\"\",\"continuationHead\":\"\"}";
        SegmentIndex read = Json.read(v1.getBytes(StandardCharsets.UTF_8), SegmentIndexJson.class, "k").index();
        assertEquals(Optional.of(XidSpan.ANY), read.transactionEndXids());
        assertEquals(true, read.mayEndTransaction(12345));

        String v1WithoutEnds = "{\"walvaultWalIndex\":1,\"segment\":\"" + SEGMENT + "\",\"restorePoints\":[\"x\"],"
                + "\"moreRestorePoints\":false,\"endsInPossibleStop\":false,\"serverMajor\":16,\"unfinishedHead\":\"\","
                + "\"continuationHead\":\"\"}";
        SegmentIndex none = Json.read(v1WithoutEnds.getBytes(StandardCharsets.UTF_8), SegmentIndexJson.class, "k").index();
        assertEquals(Optional.empty(), none.transactionEndXids());
        assertEquals(false, none.mayEndTransaction(12345));
    }

    @Test
    void idsThatDoNotFitItsTransactionEndsAreRefused() {
        String idsWithoutEnds = "{\"walvaultWalIndex\":2,\"segment\":\"" + SEGMENT + "\",\"oldestTransactionEndXid\":5,"
                + "\"newestTransactionEndXid\":9,\"restorePoints\":[],\"moreRestorePoints\":false,\"endsInPossibleStop\":false,"
                + "\"serverMajor\":16,\"unfinishedHead\":\"\",\"continuationHead\":\"\"}";
        assertThrows(CorruptDataException.class, () -> Json.read(idsWithoutEnds.getBytes(StandardCharsets.UTF_8),
                SegmentIndexJson.class, "k"));
        String oneEnd = "{\"walvaultWalIndex\":2,\"segment\":\"" + SEGMENT + "\",\"newestTransactionEndMicros\":1,"
                + "\"oldestTransactionEndXid\":5,\"restorePoints\":[],\"moreRestorePoints\":false,\"endsInPossibleStop\":false,"
                + "\"serverMajor\":16,\"unfinishedHead\":\"\",\"continuationHead\":\"\"}";
        assertThrows(CorruptDataException.class, () -> Json.read(oneEnd.getBytes(StandardCharsets.UTF_8),
                SegmentIndexJson.class, "k"));
    }
}
