package io.walvault.core.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.walvault.core.wal.Lsn;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

class WalDataTest {

    private static final long SEG = 1L << 20;

    @Test
    void dataCrossingASegmentBoundaryIsCutThere() {
        ByteBuffer bytes = ByteBuffer.allocate(3000);
        for (int i = 0; i < 3000; i++) {
            bytes.put(i, (byte) i);
        }
        Lsn start = Lsn.of(3 * SEG - 1000);
        List<WalEvent.WalData> pieces = new WalEvent.WalData(start, Lsn.of(4 * SEG), 7, bytes).bySegment(SEG);
        assertEquals(2, pieces.size());
        assertEquals(start, pieces.get(0).start());
        assertEquals(1000, pieces.get(0).data().remaining());
        assertEquals(Lsn.of(3 * SEG), pieces.get(1).start());
        assertEquals(2000, pieces.get(1).data().remaining());
        assertEquals((byte) 1000, pieces.get(1).data().get(0));
        assertEquals(pieces.get(1).end(), start.plus(3000));
    }

    @Test
    void dataInsideOneSegmentStaysWhole() {
        WalEvent.WalData d = new WalEvent.WalData(Lsn.of(SEG), Lsn.of(SEG), 0, ByteBuffer.allocate(8192));
        assertEquals(List.of(d), d.bySegment(SEG));
    }

    @Test
    void dataEndingExactlyAtASegmentEnd() {
        WalEvent.WalData d = new WalEvent.WalData(Lsn.of(2 * SEG - 8192), Lsn.of(2 * SEG), 0, ByteBuffer.allocate(8192));
        assertEquals(1, d.bySegment(SEG).size());
    }
}
