package io.walvault.core.pipeline;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Passes bytes through unchanged and computes their digest (SHA-256 by default). The result is
 * available after {@link #finish}: the checksum of exactly what went through this point of the
 * pipeline.
 */
public final class DigestStage extends Stage {

    private final MessageDigest digest;
    private byte[] result;

    public DigestStage(Sink next) {
        this(next, "SHA-256");
    }

    public DigestStage(Sink next, String algorithm) {
        super(next);
        requireNonNull(algorithm, "algorithm is null");
        try {
            this.digest = MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalArgumentException("digest '" + algorithm + "' is not available", e);
        }
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        checkWritable();
        digest.update(b, off, len);
        next.write(b, off, len);
    }

    @Override
    protected void onFinish() {
        result = digest.digest();
    }

    /** The digest of every byte written; only after {@link #finish}. */
    public byte[] digest() {
        if (result == null) {
            throw new IllegalStateException("the digest is known only after finish()");
        }
        return result.clone();
    }

    /** {@link #digest()} as lowercase hexadecimal. */
    public String hex() {
        return HexFormat.of().formatHex(digest());
    }
}
