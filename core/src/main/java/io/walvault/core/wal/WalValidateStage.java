package io.walvault.core.wal;

import static java.util.Objects.requireNonNull;

import io.walvault.core.pipeline.Sink;
import io.walvault.core.pipeline.Stage;
import java.io.IOException;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Checks a WAL segment (or {@code .partial}) as it streams to {@code next}, and fails before
 * {@code next} is finished: put in front of a storage writer, an invalid segment is never
 * published; in front of a file, never renamed into place. The segment size comes from the
 * first page's long header (the first {@value WalFormat#LONG_PAGE_HEADER_SIZE} bytes are held
 * back until it is complete), so no caller sniffs it; everything else is
 * {@link WalSegmentValidator}'s. Errors are {@link InvalidWalException}.
 *
 * <pre>
 *  bytes ─▶ WalValidateStage (page headers, system identifier, size) ─▶ next (codec writer, file, discard)
 *           finish: the validator's verdict first, then next.finish()
 * </pre>
 *
 * Not thread-safe, like every sink.
 */
public final class WalValidateStage extends Stage {

    private final WalFileName file;
    private final OptionalLong expectedSystemId;
    private final FirstPageHeader first = new FirstPageHeader();
    private WalSegmentValidator validator;
    private long segmentSize;
    private WalSegmentValidator.Result result;

    /**
     * @param next             where the bytes go
     * @param file             a segment or partial segment name
     * @param expectedSystemId the cluster's system identifier, when known
     */
    public WalValidateStage(Sink next, WalFileName file, OptionalLong expectedSystemId) {
        super(next);
        this.file = requireNonNull(file, "file is null");
        this.expectedSystemId = requireNonNull(expectedSystemId, "expectedSystemId is null");
        if (file.kind() != WalFileName.Kind.SEGMENT && file.kind() != WalFileName.Kind.PARTIAL) {
            throw new IllegalArgumentException("'" + file + "' is not a WAL segment");
        }
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        checkWritable();
        if (validator == null) {
            int took = first.take(b, off, len);
            off += took;
            len -= took;
            if (!first.complete()) {
                return;
            }
            WalPageHeader h = first.header();
            long size = h.segmentSize();
            if (!h.isLong() || size < 1024 * 1024 || size > 1024L * 1024 * 1024 || Long.bitCount(size) != 1) {
                throw new InvalidWalException("WAL file '" + file + "' does not start with a valid long page header");
            }
            segmentSize = size;
            validator = new WalSegmentValidator(file, size, expectedSystemId);
            validator.update(first.bytes(), 0, first.length());
            next.write(first.bytes(), 0, first.length());
        }
        if (len > 0) {
            validator.update(b, off, len);
            next.write(b, off, len);
        }
    }

    @Override
    protected void onFinish() {
        if (validator == null) {
            throw new InvalidWalException("WAL file '" + file + "' is only " + first.length() + " bytes long: too short to hold"
                    + " a WAL page header");
        }
        result = validator.finish();
    }

    /** The segment size the first page declared, once that many bytes have passed. */
    public long segmentSize() {
        if (validator == null) {
            throw new IllegalStateException("the first page header has not passed yet");
        }
        return segmentSize;
    }

    /** What validation learned, after {@link #finish}. */
    public Optional<WalSegmentValidator.Result> result() {
        return Optional.ofNullable(result);
    }
}
