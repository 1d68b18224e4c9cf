package io.walvault.core.wal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.pipeline.Sink;
import io.walvault.testkit.WalSegments;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class WalValidateStageTest {

    private static final WalFileName NAME = WalFileName.parse("00000002000000030000000A");
    private static final long SIZE = 2L << 20;

    /** Collects what passes, and whether it was finished. */
    private static final class Collect implements Sink {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        boolean finished;

        @Override
        public void write(byte[] b, int off, int len) {
            bytes.write(b, off, len);
        }

        @Override
        public void finish() {
            finished = true;
        }

        @Override
        public void close() {
        }
    }

    @Test
    void learnsTheSegmentSizeFromTheFirstPageAndPassesEveryByteOn() throws Exception {
        byte[] seg = WalSegments.segment(NAME.segment(), SIZE, 77, 1);
        Collect out = new Collect();
        try (WalValidateStage stage = new WalValidateStage(out, NAME, OptionalLong.of(77))) {
            // the long header arrives in pieces smaller than itself
            stage.write(seg, 0, 7);
            stage.write(seg, 7, 30);
            assertEquals(0, out.bytes.size(), "held until the first page header is whole");
            stage.write(seg, 37, seg.length - 37);
            assertEquals(SIZE, stage.segmentSize());
            stage.finish();
            assertEquals(18, stage.result().orElseThrow().serverMajor());
        }
        assertTrue(out.finished);
        assertArrayEquals(seg, out.bytes.toByteArray());
    }

    @Test
    void anInvalidSegmentFailsBeforeTheNextStageIsFinished() throws Exception {
        byte[] seg = WalSegments.segment(NAME.segment(), SIZE, 77, 1);
        for (byte[] bad : new byte[][] {
                Arrays.copyOf(seg, seg.length - 8192),                               // a segment cut short
                WalSegments.segment(NAME.segment(), SIZE, 78, 1),                    // another cluster's
                WalSegments.segment("00000002000000030000000B", SIZE, 77, 1),        // another segment's
                Arrays.copyOf(seg, 20)}) {                                           // not even a header
            Collect out = new Collect();
            try (WalValidateStage stage = new WalValidateStage(out, NAME, OptionalLong.of(77))) {
                assertThrows(InvalidWalException.class, () -> {
                    stage.write(bad, 0, bad.length);
                    stage.finish();
                });
            }
            assertFalse(out.finished, "the writer behind it never publishes");
        }
    }
}
