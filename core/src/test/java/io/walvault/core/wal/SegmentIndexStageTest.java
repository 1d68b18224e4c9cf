package io.walvault.core.wal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.pipeline.OutputStreamSink;
import io.walvault.testkit.WalSegments;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/** The index is an aid: whatever goes wrong making it, the segment's bytes pass on whole. */
class SegmentIndexStageTest {

    @Test
    void aFailureToIndexLeavesTheSegmentWholeAndNoIndex() throws Exception {
        String name = "000000010000000000000003";
        byte[] segment = WalSegments.segment(name, 1 << 20, 42, 7);
        ByteBuffer.wrap(segment).order(ByteOrder.LITTLE_ENDIAN).putInt(32, 3 << 20); // a segment size no segment has
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (SegmentIndexStage stage = new SegmentIndexStage(new OutputStreamSink(out, false), WalFileName.parse(name))) {
            for (int off = 0; off < segment.length; off += 10_000) {
                stage.write(segment, off, Math.min(10_000, segment.length - off));
            }
            stage.finish();
            assertTrue(stage.index().isEmpty());
            assertTrue(stage.failure().isPresent());
        }
        assertArrayEquals(segment, out.toByteArray());
    }

    @Test
    void aShortSegmentGetsNoIndex() throws Exception {
        String name = "000000010000000000000003";
        byte[] segment = WalSegments.segment(name, 1 << 20, 42, 7);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (SegmentIndexStage stage = new SegmentIndexStage(new OutputStreamSink(out, false), WalFileName.parse(name))) {
            stage.write(segment, 0, segment.length / 2);
            stage.finish();
            assertTrue(stage.index().isEmpty());
        }
        assertEquals(segment.length / 2, out.size());
    }
}
