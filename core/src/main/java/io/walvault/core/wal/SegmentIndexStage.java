package io.walvault.core.wal;

import static java.util.Objects.requireNonNull;

import io.walvault.core.pipeline.Sink;
import io.walvault.core.pipeline.Stage;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Passes a WAL segment through unchanged while its records are decoded ({@link WalRecordReader},
 * CRCs checked) into the segment's {@link SegmentIndex}: put in the archive chain behind the
 * segment check, it costs the push no second read.
 *
 * <pre>
 *  bytes ─▶ WalValidateStage ─▶ SegmentIndexStage ─▶ the object writer
 *                                      └── WalRecordReader ─▶ index()
 * </pre>
 *
 * The record that begins in the segment and continues into the next counts as far as the bytes
 * in this segment tell: a commit's or abort's time once its main data begins here, a restore
 * point's name once all of it is here; a record of those kinds (or one whose header is cut) that
 * cannot be told is flagged ({@link SegmentIndex#endsInPossibleStop()}). A segment in which valid
 * WAL ends before its last byte, or that is shorter than its declared size, gets no index
 * (restore then decodes it), and so does one whose indexing failed ({@link #failure()}): the
 * bytes always pass on. Not thread-safe, like every sink.
 */
public final class SegmentIndexStage extends Stage {

    private final WalFileName file;
    private final FirstPageHeader first = new FirstPageHeader();
    private long segmentSize;
    private long fed;
    private WalRecordReader reader;
    private Instant newestTransactionEnd;
    private XidSpan transactionEndXids;
    private Instant lastCommit;
    private final List<String> restorePoints = new ArrayList<>();
    private boolean moreRestorePoints;
    private SegmentIndex index;
    private RuntimeException failure;

    /**
     * @param next where the bytes go
     * @param file the segment's name (a complete segment, not a {@code .partial})
     */
    public SegmentIndexStage(Sink next, WalFileName file) {
        super(next);
        this.file = requireNonNull(file, "file is null");
        if (file.kind() != WalFileName.Kind.SEGMENT) {
            throw new IllegalArgumentException("'" + file + "' is not a complete WAL segment");
        }
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        checkWritable();
        next.write(b, off, len);
        if (failure != null) {
            return;
        }
        try {
            index(b, off, len);
        } catch (RuntimeException e) {
            failure = e; // the index is an aid: the segment goes on, without one
        }
    }

    private void index(byte[] b, int off, int len) {
        if (reader == null) {
            int took = first.take(b, off, len);
            off += took;
            len -= took;
            if (!first.complete()) {
                return;
            }
            segmentSize = first.header().segmentSize();
            Lsn start = WalSegmentName.parse(file.segment(), segmentSize).startLsn();
            reader = WalRecordReader.forTargets(start, segmentSize, this::record);
            reader.feed(first.bytes(), 0, first.length());
            fed = first.length();
        }
        if (len > 0) {
            reader.feed(b, off, len);
            fed += len;
        }
    }

    private void record(WalRecord r) {
        if (r.isCommit() || r.isAbort()) {
            Optional<Instant> t = r.timestamp();
            if (t.isPresent()) {
                if (newestTransactionEnd == null || t.get().isAfter(newestTransactionEnd)) {
                    newestTransactionEnd = t.get();
                }
                // a prepared transaction's commit or abort names its transaction in its data, not in xl_xid
                transactionEndXids = r.isOfPreparedTransaction() ? XidSpan.ANY
                        : transactionEndXids == null ? XidSpan.of(r.xid()) : transactionEndXids.with(r.xid());
                if (r.isCommit()) {
                    lastCommit = t.get();
                }
            }
        } else if (r.isRestorePoint()) {
            Optional<String> name = r.restorePointName();
            if (name.isPresent() && restorePoints.size() < SegmentIndex.MAX_RESTORE_POINTS) {
                restorePoints.add(name.get());
            } else {
                moreRestorePoints = true;
            }
        }
    }

    @Override
    protected void onFinish() {
        try {
            finishIndex();
        } catch (RuntimeException e) {
            failure = e;
            index = null;
        }
    }

    private void finishIndex() {
        if (failure == null && reader != null && fed == segmentSize && reader.endOfWal().isEmpty()) {
            boolean unknownStop = false;
            if (reader.inRecord()) { // the last record continues into the next segment
                Optional<WalRecord> last = reader.unfinishedRecord();
                // not even its header is here, or a commit's time or a restore point's name did not fit
                unknownStop = last.isEmpty() || !last.get().tellsTarget();
                if (!unknownStop) {
                    record(last.get());
                }
            }
            index = new SegmentIndex(Optional.ofNullable(newestTransactionEnd), Optional.ofNullable(transactionEndXids),
                    Optional.ofNullable(lastCommit),
                    restorePoints, moreRestorePoints, unknownStop, reader.serverMajor(),
                    unknownStop ? new SegmentIndex.Bytes(reader.unfinishedHead()) : SegmentIndex.Bytes.NONE,
                    new SegmentIndex.Bytes(reader.continuationHead()));
        }
    }

    /** The segment's index, once finished; empty when it gets none (see the class comment). */
    public Optional<SegmentIndex> index() {
        return Optional.ofNullable(index);
    }

    /** Why no index could be made of a segment that passed its check (a fault of the indexing alone), if so. */
    public Optional<RuntimeException> failure() {
        return Optional.ofNullable(failure);
    }
}
