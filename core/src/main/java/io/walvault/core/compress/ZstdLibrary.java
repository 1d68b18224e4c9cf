package io.walvault.core.compress;

import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdDecompressCtx;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;

/**
 * The zstd library's contexts, or a clear error when its native code cannot be loaded. zstd-jni
 * unpacks its library into the temporary directory ({@code java.io.tmpdir}, or the directory the
 * system property {@code ZstdTempFolder} names) and loads it from there, which fails where that
 * directory is mounted noexec, a common hardening of {@code /tmp}; the JVM's own error is a stack
 * trace that names neither cause nor remedy.
 */
final class ZstdLibrary {

    private ZstdLibrary() {
    }

    static ZstdCompressCtx compressCtx() {
        try {
            return new ZstdCompressCtx();
        } catch (LinkageError e) {
            throw unavailable(e);
        }
    }

    static ZstdDecompressCtx decompressCtx() {
        try {
            return new ZstdDecompressCtx();
        } catch (LinkageError e) {
            throw unavailable(e);
        }
    }

    /** The error for a library that did not load ({@code e}: the first attempt's, or the later "could not initialize"). */
    static WalvaultException unavailable(LinkageError e) {
        String folder = System.getProperty("ZstdTempFolder", System.getProperty("java.io.tmpdir"));
        String why = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse(e.toString());
        return new WalvaultException(ErrorCode.CONFIG, "the zstd library's native code cannot be loaded (" + why
                + "): it is unpacked into '" + folder + "' and loaded from there, which fails when that directory is"
                + " missing, not writable, or on a file system mounted noexec; this repository stores its objects with zstd",
                "set WALVAULT_JAVA_OPTS=-DZstdTempFolder=DIR, DIR a directory walvault's OS user may write on a file"
                        + " system mounted with exec (such as one under its home directory)", e);
    }
}
