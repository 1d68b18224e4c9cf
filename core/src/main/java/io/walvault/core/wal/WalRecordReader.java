package io.walvault.core.wal;

import static java.util.Objects.requireNonNull;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.zip.CRC32C;

/**
 * Decodes WAL records from consecutive WAL bytes pushed into it, starting at a segment
 * boundary: enough of each record to find commit times, transaction ids and restore points
 * (what a recovery target refers to), with every record's CRC checked.
 *
 * <pre>
 *   segment bytes ──feed()──▶ page headers stripped ──▶ record assembled ──▶ CRC-32C ──▶ listener
 * </pre>
 *
 * <p>Records are handed to the listener in WAL order. Reading ends, for good, at the end of
 * valid WAL: a zero-length record, a CRC mismatch, a page whose address is not the expected one
 * (left over from a recycled segment), or a continuation that is missing; {@link #endOfWal()}
 * then says where. After a WAL switch record the rest of the segment is skipped.
 *
 * <p>Memory is bounded: a record is kept whole up to {@link #HEAD_CAPTURE} bytes; of a larger
 * one only that head and the first {@link #MAIN_DATA_CAPTURE} bytes of its main data are kept.
 * Not thread-safe.
 *
 * <p>Length: one decoder of the WAL record format (page headers, records continued across pages,
 * CRC), whose state spans pages and segments.
 */
public final class WalRecordReader {

    /** Bytes of each record kept for decoding its fragment headers. */
    public static final int HEAD_CAPTURE = 1 << 20;
    /** Bytes of a record's main data handed to the listener. */
    public static final int MAIN_DATA_CAPTURE = 4096;
    /** Bytes kept of a record cut at either end of the bytes fed ({@link #continuationHead}, {@link #unfinishedHead}). */
    public static final int PREFIX_CAPTURE = 128;

    private enum Mode { SKIP_CONTINUATION, RECORD, ALIGN, SWITCH_PADDING, END }

    private final long segmentSize;
    private final Consumer<WalRecord> listener;
    private final boolean targetsOnly;
    private final byte[] headerScratch = new byte[WalFormat.RECORD_HEADER_SIZE];
    private long lastEnd;
    private boolean lastEndKnown;

    private long pos;
    private int blockSize;
    private int major;
    private long pageTimeline;
    private final ByteBuffer header = ByteBuffer.allocate(WalFormat.LONG_PAGE_HEADER_SIZE);
    private int headerSize;
    private boolean firstPage = true;

    private Mode mode = Mode.SKIP_CONTINUATION;
    private long skipRemaining;
    private long alignRemaining;
    private Lsn endOfWal;

    // the record being assembled
    private long recStart;
    private long recTimeline;
    private long recTotal = -1;
    private long recGot;
    private final byte[] lenBytes = new byte[4];
    private byte[] head;
    private int headLen;
    private final CRC32C crc = new CRC32C();
    private long mainStart = -1;
    private byte[] mainBuf;
    private int mainCaptured;
    // the first bytes of the record continuing from before the first byte fed
    private final byte[] continuationHead = new byte[PREFIX_CAPTURE];
    private int continuationLength;
    private boolean firstContinuation = true;

    /**
     * @param start the segment boundary the first byte fed belongs to
     * @param segmentSize the cluster's WAL segment size
     * @param listener receives each valid record
     */
    public WalRecordReader(Lsn start, long segmentSize, Consumer<WalRecord> listener) {
        this(start, segmentSize, listener, false);
    }

    /**
     * A reader for what recovery targets refer to: only commits, aborts and restore points reach
     * the listener; every other record is still CRC-checked, but its bytes beyond the header are
     * not kept ({@link #endOfPreviousRecord()} tells where the one before a given record ended).
     */
    public static WalRecordReader forTargets(Lsn start, long segmentSize, Consumer<WalRecord> listener) {
        return new WalRecordReader(start, segmentSize, listener, true);
    }

    private static boolean mayBeTarget(byte[] header) {
        int info = Byte.toUnsignedInt(header[16]);
        int rmid = Byte.toUnsignedInt(header[17]);
        return WalRecord.isCommit(rmid, info) || WalRecord.isAbort(rmid, info) || WalRecord.isRestorePoint(rmid, info);
    }

    private WalRecordReader(Lsn start, long segmentSize, Consumer<WalRecord> listener, boolean targetsOnly) {
        this.targetsOnly = targetsOnly;
        requireNonNull(start, "start is null");
        if (start.segmentOffset(segmentSize) != 0) {
            throw new IllegalArgumentException("WAL reading starts at a segment boundary, not at " + start);
        }
        this.pos = start.value();
        this.segmentSize = segmentSize;
        this.listener = requireNonNull(listener, "listener is null");
    }

    /** Where valid WAL ended, once it has. */
    public Optional<Lsn> endOfWal() {
        return Optional.ofNullable(endOfWal);
    }

    /** The position of the next byte to be fed. */
    public Lsn position() {
        return Lsn.of(pos);
    }

    /**
     * Whether the bytes fed so far end inside a record: one began and continues past them (at a
     * segment's end, a record that continues into the next segment).
     */
    public boolean inRecord() {
        return mode == Mode.RECORD && recGot > 0;
    }

    /**
     * The record the fed bytes end inside ({@link #inRecord()}), decoded from its bytes so far
     * ({@link #decodePrefix}); its end is the position after the last byte fed. Its CRC cannot be
     * checked yet. Empty when no record is open or its 24-byte header is not complete.
     */
    public Optional<WalRecord> unfinishedRecord() {
        if (!inRecord() || headLen < WalFormat.RECORD_HEADER_SIZE) {
            return Optional.empty();
        }
        return decodePrefix(head, headLen, major).map(r -> new WalRecord(Lsn.of(recStart), Lsn.of(pos), recTimeline,
                r.totalLength(), r.xid(), r.rmid(), r.info(), r.mainData(), major));
    }

    /**
     * All bytes so far (page headers left out) of the record the fed bytes end inside, when they
     * are at most {@link #PREFIX_CAPTURE}; empty if there are more, or no record is open.
     */
    public byte[] unfinishedHead() {
        if (!inRecord() || recGot > PREFIX_CAPTURE) {
            return new byte[0];
        }
        if (head == null) {
            return Arrays.copyOf(lenBytes, (int) recGot);
        }
        return headLen == recGot ? Arrays.copyOf(head, headLen) : new byte[0];
    }

    /**
     * The first bytes (at most {@link #PREFIX_CAPTURE}, page headers left out) of the record that
     * continues from before the first byte fed: what the previous segment's {@link #unfinishedHead}
     * lacks. Empty when the first page does not begin with a continuation.
     */
    public byte[] continuationHead() {
        return Arrays.copyOf(continuationHead, continuationLength);
    }

    /**
     * A record decoded from its first {@code length} bytes (page headers left out): length,
     * transaction, resource manager, info and as much of the start of its main data as they hold
     * (possibly none); position and end {@link Lsn#INVALID}, timeline 0. Empty when the 24-byte
     * header is not complete.
     *
     * @param major the server major that wrote it (how compressed block images are flagged)
     */
    public static Optional<WalRecord> decodePrefix(byte[] bytes, int length, int major) {
        if (length < WalFormat.RECORD_HEADER_SIZE) {
            return Optional.empty();
        }
        ByteBuffer h = ByteBuffer.wrap(bytes, 0, length).order(ByteOrder.LITTLE_ENDIAN);
        long total = Integer.toUnsignedLong(h.getInt(0));
        long[] main = mainData(bytes, length, total, major);
        byte[] data = new byte[0];
        if (main != null && main[0] < length) {
            data = Arrays.copyOfRange(bytes, (int) main[0], (int) Math.min(length, main[0] + Math.min(main[1], MAIN_DATA_CAPTURE)));
        }
        return Optional.of(new WalRecord(Lsn.INVALID, Lsn.INVALID, 0, total, Integer.toUnsignedLong(h.getInt(4)),
                Byte.toUnsignedInt(h.get(17)), Byte.toUnsignedInt(h.get(16)), data, major));
    }

    /** The server major of the WAL read so far (0 before the first page). */
    public int serverMajor() {
        return major;
    }

    public void feed(byte[] b, int off, int len) {
        int i = off;
        int end = off + len;
        while (i < end && mode != Mode.END) {
            if (mode == Mode.SWITCH_PADDING) {
                long toSegmentEnd = segmentSize - Long.remainderUnsigned(pos, segmentSize);
                int n = (int) Math.min(toSegmentEnd, end - i);
                i += n;
                pos += n;
                if (Long.remainderUnsigned(pos, segmentSize) == 0) {
                    mode = Mode.ALIGN;
                    alignRemaining = 0;
                    firstPage = false;
                }
                continue;
            }
            if (atPageStart() || header.position() > 0) {
                if (header.position() == 0) {
                    headerSize = Long.remainderUnsigned(pos, segmentSize) == 0
                            ? WalFormat.LONG_PAGE_HEADER_SIZE : WalFormat.SHORT_PAGE_HEADER_SIZE;
                }
                int n = Math.min(headerSize - header.position(), end - i);
                header.put(b, i, n);
                i += n;
                pos += n;
                if (header.position() == headerSize) {
                    header.flip();
                    WalPageHeader h = WalPageHeader.decode(header);
                    header.clear();
                    onPageHeader(h);
                }
                continue;
            }
            long pageLeft = blockSize - Long.remainderUnsigned(pos, blockSize);
            int n = (int) Math.min(pageLeft, end - i);
            switch (mode) {
                case SKIP_CONTINUATION -> {
                    int k = (int) Math.min(n, skipRemaining);
                    if (continuationLength < continuationHead.length && firstContinuation) {
                        int c = Math.min(k, continuationHead.length - continuationLength);
                        System.arraycopy(b, i, continuationHead, continuationLength, c);
                        continuationLength += c;
                    }
                    i += k;
                    pos += k;
                    skipRemaining -= k;
                    if (skipRemaining == 0) {
                        firstContinuation = false;
                        lastEnd = pos; // where the record continued from before ends
                        lastEndKnown = true;
                        mode = Mode.ALIGN;
                        alignRemaining = WalFormat.maxAlign(pos) - pos;
                    }
                }
                case ALIGN -> {
                    int k = (int) Math.min(n, alignRemaining);
                    i += k;
                    pos += k;
                    alignRemaining -= k;
                    if (alignRemaining == 0 && !atPageStart()) {
                        startRecord(); // else the next record starts after the page header (onPageHeader)
                    }
                }
                case RECORD -> {
                    int k = recordBytes(b, i, n);
                    i += k;
                    pos += k;
                }
                default -> throw new IllegalStateException("unreachable: " + mode);
            }
        }
    }

    private boolean atPageStart() {
        return blockSize == 0 || Long.remainderUnsigned(pos, blockSize) == 0;
    }

    private void onPageHeader(WalPageHeader h) {
        long pageStart = pos - headerSize;
        if (firstPage) {
            if (!h.isLong() || WalFormat.majorOfPageMagic(h.magic()).isEmpty() || h.pageAddress().value() != pageStart) {
                end(pageStart);
                return;
            }
            blockSize = h.blockSize();
            major = WalFormat.majorOfPageMagic(h.magic()).get();
            firstPage = false;
            pageTimeline = h.timeline();
            if ((h.info() & WalFormat.XLP_FIRST_IS_CONTRECORD) != 0 && h.remainingLength() > 0) {
                mode = Mode.SKIP_CONTINUATION;
                skipRemaining = h.remainingLength();
            } else {
                startRecord();
            }
            return;
        }
        if (h.pageAddress().value() != pageStart || WalFormat.majorOfPageMagic(h.magic()).orElse(-1) != major) {
            end(pageStart);
            return;
        }
        pageTimeline = h.timeline();
        boolean cont = (h.info() & WalFormat.XLP_FIRST_IS_CONTRECORD) != 0;
        switch (mode) {
            case SKIP_CONTINUATION -> {
                if (cont) {
                    skipRemaining = h.remainingLength();
                } else {
                    startRecord();
                }
            }
            case RECORD -> {
                if (recGot > 0) {
                    long expected = recTotal < 0 ? -1 : recTotal - recGot;
                    if (!cont || expected >= 0 && h.remainingLength() != expected) {
                        // the record was never finished (a crash overwrote its continuation)
                        end(recStart);
                    }
                }
            }
            case ALIGN -> {
                if (alignRemaining > 0) {
                    alignRemaining = 0;
                }
                startRecord();
            }
            default -> {
            }
        }
    }

    private void startRecord() {
        firstContinuation = false;
        mode = Mode.RECORD;
        recStart = pos;
        recTimeline = pageTimeline;
        recTotal = -1;
        recGot = 0;
        headLen = 0;
        crc.reset();
        mainStart = -1;
        mainBuf = null;
        mainCaptured = 0;
    }

    /** Consumes up to {@code n} bytes of the current record; returns how many it took. */
    private int recordBytes(byte[] b, int off, int n) {
        int taken = 0;
        if (recTotal < 0) {
            int k = (int) Math.min(4 - recGot, n);
            System.arraycopy(b, off, lenBytes, (int) recGot, k);
            recGot += k;
            taken += k;
            if (recGot < 4) {
                return taken;
            }
            recTotal = Integer.toUnsignedLong(intAt(lenBytes, 0));
            if (recTotal < WalFormat.RECORD_HEADER_SIZE) {
                end(recStart);
                return taken;
            }
            head = targetsOnly ? headerScratch : new byte[(int) Math.min(recTotal, HEAD_CAPTURE)];
            System.arraycopy(lenBytes, 0, head, 0, 4);
            headLen = 4;
        }
        int k = (int) Math.min(recTotal - recGot, n - taken);
        int from = off + taken;
        // keep the head
        int kept = 0;
        while (headLen < head.length && kept < k) {
            int h = Math.min(k - kept, head.length - headLen);
            System.arraycopy(b, from + kept, head, headLen, h);
            headLen += h;
            kept += h;
            if (targetsOnly && headLen == WalFormat.RECORD_HEADER_SIZE && recTotal > headLen && mayBeTarget(head)) {
                head = Arrays.copyOf(head, (int) Math.min(recTotal, HEAD_CAPTURE)); // a target's: keep it all
            }
        }
        // CRC covers the payload after the 24-byte header
        long payloadFrom = Math.max(recGot, WalFormat.RECORD_HEADER_SIZE);
        long payloadTo = recGot + k;
        if (payloadTo > payloadFrom) {
            crc.update(b, from + (int) (payloadFrom - recGot), (int) (payloadTo - payloadFrom));
        }
        // beyond the head: catch the start of the main data as it passes
        if (recTotal > HEAD_CAPTURE) {
            if (mainStart < 0 && headLen == head.length && head.length > WalFormat.RECORD_HEADER_SIZE) {
                locateMainData(head, headLen);
                if (mainBuf != null && mainStart < headLen) {
                    // the main data began in bytes already kept in the head (fed by earlier calls)
                    mainCaptured = (int) Math.min(mainBuf.length, headLen - mainStart);
                    System.arraycopy(head, (int) mainStart, mainBuf, 0, mainCaptured);
                }
            }
            if (mainBuf != null && mainCaptured < mainBuf.length) {
                long s = Math.max(recGot, mainStart + mainCaptured);
                long e = Math.min(recGot + k, mainStart + mainBuf.length);
                if (e > s) {
                    System.arraycopy(b, from + (int) (s - recGot), mainBuf, (int) (s - mainStart), (int) (e - s));
                    mainCaptured += (int) (e - s);
                }
            }
        }
        recGot += k;
        taken += k;
        if (recGot == recTotal) {
            finishRecord(pos + taken); // pos is where this call's bytes began; no page header lies among them
        }
        return taken;
    }

    private void finishRecord(long end) {
        crc.update(head, 0, WalFormat.RECORD_CRC_OFFSET);
        if ((int) crc.getValue() != intAt(head, 20)) {
            end(recStart);
            return;
        }
        int info = Byte.toUnsignedInt(head[16]);
        int rmid = Byte.toUnsignedInt(head[17]);
        boolean isSwitch = WalRecord.isSwitch(rmid, info);
        if (!targetsOnly || mayBeTarget(head)) {
            byte[] main;
            if (recTotal <= HEAD_CAPTURE) {
                locateMainData(head, headLen);
                main = mainBuf == null ? new byte[0] : mainBuf;
                if (mainBuf != null) {
                    System.arraycopy(head, (int) mainStart, mainBuf, 0, mainBuf.length);
                }
            } else {
                main = mainBuf == null ? new byte[0] : Arrays.copyOf(mainBuf, mainCaptured);
            }
            long xid = Integer.toUnsignedLong(intAt(head, 4));
            listener.accept(new WalRecord(Lsn.of(recStart), Lsn.of(end), recTimeline, recTotal, xid, rmid, info, main, major));
        }
        lastEnd = end;
        lastEndKnown = true;
        if (isSwitch) {
            mode = Mode.SWITCH_PADDING;
        } else {
            mode = Mode.ALIGN;
            alignRemaining = WalFormat.maxAlign(end) - end;
        }
        head = null;
    }

    private static int intAt(byte[] b, int at) {
        return (b[at] & 0xFF) | (b[at + 1] & 0xFF) << 8 | (b[at + 2] & 0xFF) << 16 | (b[at + 3] & 0xFF) << 24;
    }

    /**
     * During the listener's call, the end of the record before the one it is given: a reader for
     * targets gives the listener only some records, so this is how it learns where the one before
     * them ended. Empty when that record began before the bytes fed and did not continue into
     * them (the reader cannot know where it ended).
     */
    public Optional<Lsn> endOfPreviousRecord() {
        return lastEndKnown ? Optional.of(Lsn.of(lastEnd)) : Optional.empty();
    }

    /** Finds the main data of the record being assembled in its first {@code available} bytes. */
    private void locateMainData(byte[] rec, int available) {
        long[] m = mainData(rec, available, recTotal, major);
        if (m != null) {
            mainStart = m[0];
            mainBuf = new byte[(int) Math.min(m[1], MAIN_DATA_CAPTURE)];
        }
    }

    /**
     * Parses the fragment headers (xlogreader.c DecodeXLogRecord) of a record of {@code total}
     * bytes from its first {@code available}: its main data's offset and length, or null when it
     * has none or the headers run past those bytes.
     */
    private static long[] mainData(byte[] rec, int available, long total, int major) {
        ByteBuffer b = ByteBuffer.wrap(rec, 0, available).order(ByteOrder.LITTLE_ENDIAN);
        b.position(WalFormat.RECORD_HEADER_SIZE);
        long remaining = total - WalFormat.RECORD_HEADER_SIZE;
        long dataTotal = 0;
        long mainLen = 0;
        int compressedMask = WalFormat.imageCompressedMask(major);
        try {
            while (remaining > dataTotal) {
                int id = Byte.toUnsignedInt(b.get());
                remaining -= 1;
                if (id == WalFormat.XLR_BLOCK_ID_DATA_SHORT) {
                    mainLen = Byte.toUnsignedInt(b.get());
                    remaining -= 1;
                    break;
                } else if (id == WalFormat.XLR_BLOCK_ID_DATA_LONG) {
                    mainLen = Integer.toUnsignedLong(b.getInt());
                    remaining -= 4;
                    break;
                } else if (id == WalFormat.XLR_BLOCK_ID_ORIGIN) {
                    b.getShort();
                    remaining -= 2;
                } else if (id == WalFormat.XLR_BLOCK_ID_TOPLEVEL_XID) {
                    b.getInt();
                    remaining -= 4;
                } else if (id <= WalFormat.XLR_MAX_BLOCK_ID) {
                    int forkFlags = Byte.toUnsignedInt(b.get());
                    int dataLen = Short.toUnsignedInt(b.getShort());
                    remaining -= 3;
                    dataTotal += dataLen;
                    if ((forkFlags & WalFormat.BKPBLOCK_HAS_IMAGE) != 0) {
                        int imageLen = Short.toUnsignedInt(b.getShort());
                        b.getShort(); // hole offset
                        int bimgInfo = Byte.toUnsignedInt(b.get());
                        remaining -= 5;
                        dataTotal += imageLen;
                        if ((bimgInfo & WalFormat.BKPIMAGE_HAS_HOLE) != 0 && (bimgInfo & compressedMask) != 0) {
                            b.getShort(); // hole length
                            remaining -= 2;
                        }
                    }
                    if ((forkFlags & WalFormat.BKPBLOCK_SAME_REL) == 0) {
                        b.position(b.position() + 12);
                        remaining -= 12;
                    }
                    b.getInt(); // block number
                    remaining -= 4;
                } else {
                    return null; // unknown fragment: no main data to offer
                }
            }
        } catch (BufferUnderflowException | IllegalArgumentException e) {
            return null; // the fragment headers run past the bytes held (a record cut at the bytes fed, or a damaged one)
        }
        if (mainLen > 0 && mainLen <= total - WalFormat.RECORD_HEADER_SIZE) {
            return new long[] {total - mainLen, mainLen};
        }
        return null;
    }

    private void end(long at) {
        mode = Mode.END;
        endOfWal = Lsn.of(at);
        head = null;
    }
}
