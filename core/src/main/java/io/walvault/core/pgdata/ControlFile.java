package io.walvault.core.pgdata;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.OptionalLong;

/**
 * A data directory's {@code global/pg_control}, of which walvault reads one field: the system
 * identifier, its first eight bytes in the server's byte order (the same in PostgreSQL 14 to 18).
 * Stateless.
 */
public final class ControlFile {

    /** The control file's place in a data directory. */
    public static final String PATH = "global/pg_control";

    private ControlFile() {
    }

    /** The system identifier in {@code dataDirectory}'s pg_control, or empty when it is missing, short or unreadable. */
    public static OptionalLong systemIdentifier(Path dataDirectory) {
        try (FileChannel ch = FileChannel.open(dataDirectory.resolve(PATH), StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder());
            while (b.hasRemaining() && ch.read(b) != -1) {
                // read on
            }
            return b.hasRemaining() ? OptionalLong.empty() : OptionalLong.of(b.getLong(0));
        } catch (IOException e) {
            return OptionalLong.empty();
        }
    }
}
