package io.walvault.core.compress;

import static java.util.Objects.requireNonNull;

import io.walvault.core.error.CorruptDataException;
import io.walvault.core.pipeline.Sink;
import io.walvault.core.pipeline.Stage;
import java.io.IOException;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Decodes one gzip member (RFC 1952) pushed in pieces of any size, as PostgreSQL's server-side
 * gzip compression writes it: the ten-byte header without optional fields, deflate data, and
 * the CRC-32 and length of the content. Strict: a damaged stream, a wrong CRC or length, a
 * stream cut short or a byte after the member is a {@link CorruptDataException} naming the
 * stream. Memory: one 64 KiB output buffer and zlib's inflate state.
 */
public final class GzipDecompressStage extends Stage {

    private static final int HEADER = 10;
    private static final int TRAILER = 8;

    private enum State { HEADER, DEFLATE, TRAILER, DONE }

    private final String subject;
    private final Inflater inflater = new Inflater(true);
    private final CRC32 crc = new CRC32();
    private final byte[] out = new byte[64 * 1024];
    private final byte[] field = new byte[HEADER];
    private int have;
    private State state = State.HEADER;
    private long produced;
    private long offset;

    /** @param subject names the stream in every error ("archive 'base.tar.gz' from ...") */
    public GzipDecompressStage(Sink next, String subject) {
        super(next);
        this.subject = requireNonNull(subject, "subject is null");
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        checkWritable();
        while (len > 0) {
            switch (state) {
                case HEADER, TRAILER -> {
                    int need = (state == State.HEADER ? HEADER : TRAILER) - have;
                    int n = Math.min(need, len);
                    System.arraycopy(b, off, field, have, n);
                    have += n;
                    off += n;
                    len -= n;
                    offset += n;
                    if (n == need) {
                        if (state == State.HEADER) {
                            header();
                        } else {
                            trailer();
                        }
                    }
                }
                case DEFLATE -> {
                    inflater.setInput(b, off, len);
                    inflate();
                    int used = len - inflater.getRemaining();
                    offset += used;
                    off += used;
                    len -= used;
                    if (inflater.finished()) {
                        state = State.TRAILER;
                        have = 0;
                    }
                }
                case DONE -> throw corrupt("unexpected bytes after the end of the gzip stream");
            }
        }
    }

    private void header() {
        if ((field[0] & 0xFF) != 0x1F || (field[1] & 0xFF) != 0x8B) {
            throw corrupt("not a gzip stream (magic " + String.format("0x%02X%02X", field[0], field[1]) + ")");
        }
        if (field[2] != 8) {
            throw corrupt("gzip compression method " + field[2] + " is not deflate");
        }
        if (field[3] != 0) {
            throw corrupt("gzip header with optional fields (flags " + String.format("0x%02X", field[3])
                    + "), which PostgreSQL does not write");
        }
        state = State.DEFLATE;
        have = 0;
    }

    private void inflate() throws IOException {
        while (true) {
            int n;
            try {
                n = inflater.inflate(out);
            } catch (DataFormatException e) {
                throw new CorruptDataException(subject + " is corrupt: gzip: " + e.getMessage() + " (near byte " + offset + ")", e);
            }
            if (n > 0) {
                crc.update(out, 0, n);
                produced += n;
                next.write(out, 0, n);
            }
            if (inflater.finished() || (n == 0 && (inflater.needsInput() || inflater.needsDictionary()))) {
                if (inflater.needsDictionary()) {
                    throw corrupt("gzip stream needs a preset dictionary");
                }
                return;
            }
        }
    }

    private void trailer() {
        long expectedCrc = Lz4Format.getIntLE(field, 0) & 0xFFFFFFFFL;
        long expectedSize = Lz4Format.getIntLE(field, 4) & 0xFFFFFFFFL;
        if (expectedCrc != crc.getValue()) {
            throw corrupt("gzip CRC-32 mismatch");
        }
        if (expectedSize != (produced & 0xFFFFFFFFL)) {
            throw corrupt("gzip length mismatch: the trailer says " + expectedSize + " (mod 2^32), decoded " + produced);
        }
        state = State.DONE;
    }

    @Override
    protected void onFinish() {
        if (state != State.DONE) {
            throw corrupt("truncated gzip stream (ends after " + offset + " bytes, in " + state.name().toLowerCase() + ")");
        }
    }

    @Override
    protected void release() {
        inflater.end();
    }

    private CorruptDataException corrupt(String what) {
        return new CorruptDataException(subject + " is corrupt: " + what);
    }
}
