package io.walvault.core.wal;

import static java.util.Objects.requireNonNull;

import java.nio.ByteBuffer;
import java.util.OptionalLong;

/**
 * Checks, as the bytes stream past, that a WAL segment is what its name says: every page
 * header has a known magic, the address the name implies, a timeline that is the name's or an
 * ancestor's, and the first page's long header names the expected system identifier and
 * segment size. A complete segment must be exactly one segment long and valid on every page,
 * except that the pages after a WAL switch are zeroed entirely (headers included), as the
 * server writes them; {@link Result#validBytes()} then ends where they begin.
 *
 * <p>A {@code .partial} segment is checked on its first page only after which its valid length
 * ends at the first page that does not belong to it: what follows the last record of a
 * timeline may be left over from a recycled segment.
 *
 * <p>Use: {@link #update} with consecutive chunks, then {@link #finish}. Not thread-safe.
 */
public final class WalSegmentValidator {

    /** What validation learned about the segment. */
    public record Result(int serverMajor, long systemIdentifier, int blockSize, long validBytes) {
    }

    private final WalFileName file;
    private final WalSegmentName segment;
    private final long segmentSize;
    private final OptionalLong expectedSystemId;
    private final boolean partial;

    /** Header bytes of the page being read, until a whole header is there. */
    private final ByteBuffer header = ByteBuffer.allocate(WalFormat.LONG_PAGE_HEADER_SIZE);
    private long position;
    private int blockSize;
    private int magic;
    private long systemId;
    private long lastTimeline;
    private long validBytes;
    private boolean stopped;
    /** Zeroed pages began (after a WAL switch): all that follows must be zeroed too. */
    private boolean zeroTail;

    /**
     * @param file a segment or partial segment name
     * @param segmentSize the cluster's segment size
     * @param expectedSystemId the cluster's system identifier, if known
     */
    public WalSegmentValidator(WalFileName file, long segmentSize, OptionalLong expectedSystemId) {
        this.file = requireNonNull(file, "file is null");
        if (file.kind() != WalFileName.Kind.SEGMENT && file.kind() != WalFileName.Kind.PARTIAL) {
            throw new IllegalArgumentException("'" + file + "' is not a WAL segment");
        }
        this.segment = file.segmentName(segmentSize).orElseThrow();
        this.segmentSize = segmentSize;
        this.expectedSystemId = requireNonNull(expectedSystemId, "expectedSystemId is null");
        this.partial = file.kind() == WalFileName.Kind.PARTIAL;
    }

    public void update(byte[] b, int off, int len) {
        int end = off + len;
        int i = off;
        while (i < end) {
            if (position >= segmentSize) {
                throw invalid("is longer than the segment size " + segmentSize);
            }
            long pageOffset = blockSize == 0 ? position : position % blockSize;
            int headerSize = blockSize == 0 || position == 0 ? WalFormat.LONG_PAGE_HEADER_SIZE : WalFormat.SHORT_PAGE_HEADER_SIZE;
            if (pageOffset < headerSize && !stopped) {
                int take = (int) Math.min(headerSize - pageOffset, end - i);
                header.put(b, i, take);
                i += take;
                position += take;
                if (header.position() == headerSize) {
                    header.flip();
                    checkPage(position == headerSize ? WalPageHeader.decode(header) : WalPageHeader.decodeShort(header));
                    header.clear();
                }
            } else {
                long pageEnd = blockSize == 0 ? segmentSize : (position / blockSize + 1) * blockSize;
                int skip = (int) Math.min(pageEnd - position, end - i);
                i += skip;
                position += skip;
                if (!stopped && !zeroTail && position == pageEnd) {
                    validBytes = position;
                }
            }
        }
    }

    private void checkPage(WalPageHeader h) {
        long pageStart = position - header.limit();
        if (pageStart == 0) {
            checkFirstPage(h);
            return;
        }
        boolean zeroed = h.magic() == 0 && h.info() == 0 && h.timeline() == 0 && h.pageAddress().value() == 0;
        if (zeroed) {
            // After a WAL switch the server zeroes the rest of the segment, page headers included.
            if (!zeroTail) {
                zeroTail = true;
                validBytes = pageStart;
            }
            return;
        }
        if (zeroTail) {
            if (partial) {
                stopped = true;
                return;
            }
            throw invalid("has a page header at offset " + pageStart + " after zeroed pages (the file is not"
                    + " what the server writes)");
        }
        Lsn expectedAddr = segment.startLsn().plus(pageStart);
        boolean belongs = h.magic() == magic && !h.isLong() && h.pageAddress().equals(expectedAddr)
                && h.timeline() >= lastTimeline && h.timeline() <= segment.timeline().value();
        if (!belongs) {
            if (partial) {
                stopped = true;
                return;
            }
            if (h.magic() != magic) {
                throw invalid("has page magic 0x" + Integer.toHexString(h.magic()) + " at offset " + pageStart
                        + ", expected 0x" + Integer.toHexString(magic) + " as on its first page");
            }
            if (!h.pageAddress().equals(expectedAddr)) {
                throw invalid("has a page at offset " + pageStart + " addressed " + h.pageAddress() + ", expected "
                        + expectedAddr + " (the file holds other WAL than its name says)");
            }
            throw invalid("has a page at offset " + pageStart + " on timeline " + h.timeline()
                    + ", which is not timeline " + segment.timeline() + " or an ancestor after " + lastTimeline);
        }
        lastTimeline = h.timeline();
    }

    private void checkFirstPage(WalPageHeader h) {
        if (WalFormat.majorOfPageMagic(h.magic()).isEmpty()) {
            throw invalid("starts with page magic 0x" + Integer.toHexString(h.magic())
                    + ", which is not WAL of PostgreSQL 14 to 18");
        }
        if (!h.isLong()) {
            throw invalid("has no long page header on its first page");
        }
        if (h.segmentSize() != segmentSize) {
            throw invalid("was written with " + h.segmentSize() + "-byte segments, but the cluster uses " + segmentSize);
        }
        if (h.blockSize() < 1024 || h.blockSize() > 65536 || Integer.bitCount(h.blockSize()) != 1) {
            throw invalid("declares an impossible WAL block size " + h.blockSize());
        }
        if (!h.pageAddress().equals(segment.startLsn())) {
            throw invalid("starts at WAL position " + h.pageAddress() + " but its name means " + segment.startLsn()
                    + " (the file holds another segment)");
        }
        if (h.timeline() < 1 || h.timeline() > segment.timeline().value()) {
            throw invalid("was written on timeline " + h.timeline() + ", after timeline " + segment.timeline()
                    + " of its name");
        }
        if (expectedSystemId.isPresent() && h.systemIdentifier() != expectedSystemId.getAsLong()) {
            throw invalid("belongs to the cluster with system identifier " + Long.toUnsignedString(h.systemIdentifier())
                    + ", not " + Long.toUnsignedString(expectedSystemId.getAsLong())
                    + " HINT: is this repository or stanza configured for another cluster?");
        }
        blockSize = h.blockSize();
        magic = h.magic();
        systemId = h.systemIdentifier();
        lastTimeline = h.timeline();
    }

    /** Ends validation: a complete segment must have been exactly one segment long. */
    public Result finish() {
        if (position == 0 || blockSize == 0) {
            throw invalid("is too short to hold a WAL page header (" + position + " bytes)");
        }
        if (!partial && position != segmentSize) {
            throw invalid("is " + position + " bytes long, but WAL segments of this cluster are " + segmentSize);
        }
        if (!stopped && !zeroTail) {
            validBytes = position;
        }
        return new Result(WalFormat.majorOfPageMagic(magic).orElseThrow(), systemId, blockSize, validBytes);
    }

    private InvalidWalException invalid(String what) {
        return new InvalidWalException("WAL file '" + file + "' " + what);
    }
}
