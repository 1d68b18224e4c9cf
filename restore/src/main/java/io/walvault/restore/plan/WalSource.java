package io.walvault.restore.plan;

import io.walvault.core.wal.WalFileName;
import java.io.IOException;
import java.io.InputStream;

/** Gives the decoded bytes of an archived WAL file (decrypted and decompressed). */
@FunctionalInterface
public interface WalSource {

    /** Opens {@code file}; the caller closes the stream. */
    InputStream open(WalFileName file) throws IOException;
}
