package io.walvault.core.compress;

import io.walvault.core.pipeline.Sink;
import java.util.Locale;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.util.Native;

/**
 * How a repository compresses its objects. Chosen when the repository is created and recorded
 * in its descriptor; the object keys carry the extension so a person can tell what a file is.
 */
public enum Compression {
    /** Bytes stored as they are. */
    NONE("none", ""),
    /** The standard LZ4 frame format: {@code lz4 -d} reads an unencrypted object. The default. */
    LZ4("lz4", ".lz4"),
    /** A standard Zstandard frame, level 1: smaller objects, more CPU ({@code zstd -d} reads it). */
    ZSTD("zstd", ".zst");

    private final String id;
    private final String extension;

    Compression(String id, String extension) {
        this.id = id;
        this.extension = extension;
    }

    /** The name used in settings and in the repository descriptor. */
    public String id() {
        return id;
    }

    /** The object-key extension, with its dot ({@code ".lz4"}), or empty. */
    public String extension() {
        return extension;
    }

    /**
     * Wraps {@code next} in this compression's encoder (or returns it unchanged for {@link #NONE});
     * its frame carries a content checksum if {@code contentChecksum}.
     */
    public Sink compressTo(Sink next, boolean contentChecksum) {
        return switch (this) {
            case LZ4 -> new Lz4CompressStage(next, contentChecksum);
            case ZSTD -> new ZstdCompressStage(next, contentChecksum);
            case NONE -> next;
        };
    }

    /** Wraps {@code next} in this compression's decoder; {@code source} names the object in errors. */
    public Sink decompressTo(Sink next, String source) {
        return switch (this) {
            case LZ4 -> new Lz4DecompressStage(next, source);
            case ZSTD -> new ZstdDecompressStage(next, source);
            case NONE -> next;
        };
    }

    /**
     * Whether this compression runs without its native code here: lz4-java falls back to its Java
     * implementation, slower, where its library cannot load (it is unpacked into the temporary
     * directory first, which may be mounted noexec; or the jar has none for this CPU). zstd has no
     * such fallback: it fails instead ({@code ZstdLibrary}).
     */
    public boolean inJava() {
        if (this != LZ4) {
            return false;
        }
        LZ4Factory.fastestInstance(); // tries the native library once
        return !Native.isLoaded();
    }

    /** The compression an object key's extension names ({@code x.lz4.enc} is LZ4), after {@code .enc}. */
    public static Compression ofKey(String keyWithoutEnc) {
        for (Compression c : values()) {
            if (c != NONE && keyWithoutEnc.endsWith(c.extension)) {
                return c;
            }
        }
        return NONE;
    }

    /** Parses a settings or descriptor value ({@code none}, {@code lz4}). */
    public static Compression parse(String value) {
        String v = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
        for (Compression c : values()) {
            if (c.id.equals(v)) {
                return c;
            }
        }
        throw new IllegalArgumentException("compression '" + value + "' is unknown (expected 'lz4', 'zstd' or 'none')");
    }
}
