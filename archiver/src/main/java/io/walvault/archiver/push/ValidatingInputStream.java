package io.walvault.archiver.push;

import static java.util.Objects.requireNonNull;

import io.walvault.core.wal.WalSegmentValidator;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Feeds every byte read to a {@link WalSegmentValidator} and calls its {@code finish} when the
 * stream ends, before end of stream is reported. An invalid segment therefore fails the read
 * that would have let the writer publish: {@code WalArchive.put} copies to end of stream before
 * it finishes its object, so a file that does not validate is never stored.
 */
final class ValidatingInputStream extends FilterInputStream {

    private final WalSegmentValidator validator;
    private WalSegmentValidator.Result result;

    ValidatingInputStream(InputStream in, WalSegmentValidator validator) {
        super(requireNonNull(in, "in is null"));
        this.validator = requireNonNull(validator, "validator is null");
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n == -1 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = in.read(b, off, len);
        if (n > 0) {
            validator.update(b, off, n);
        } else if (n == -1 && result == null) {
            result = validator.finish(); // throws InvalidWalException: the caller never sees the end
        }
        return n;
    }

    @Override
    public long skip(long n) {
        throw new UnsupportedOperationException("every byte must be validated");
    }

    @Override
    public boolean markSupported() {
        return false;
    }

    /** What validation found, once the stream has ended. */
    WalSegmentValidator.Result result() {
        if (result == null) {
            throw new IllegalStateException("stream not read to its end");
        }
        return result;
    }
}
