package io.walvault.core.io;

import static java.util.Objects.requireNonNull;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * A private file on local disk for what a process collects and reads back (a manifest's
 * entries, the chunks of an earlier backup): created owner-only and removed from its directory
 * at once, so it has no name while it is used. The data lives as long as the open channel: when
 * the process ends, however it ends (kill -9 included), nothing is left in the temporary
 * directory. Written at its end through {@link #append}, read from any position.
 *
 * <p>Appends are one writer's; reads may run on several threads at once (positional reads).
 */
public final class ScratchFile implements AutoCloseable {
    private static final int BUFFER = 64 * 1024;

    private final String description;
    private final FileChannel channel;
    private volatile long size;

    private ScratchFile(String description, FileChannel channel) {
        this.description = description;
        this.channel = channel;
    }

    /** A new scratch file in the JVM's temporary directory ({@code java.io.tmpdir}). */
    public static ScratchFile create(String prefix) throws IOException {
        return create(Path.of(System.getProperty("java.io.tmpdir")), prefix);
    }

    /** A new scratch file in {@code directory}; {@code prefix} names it for the moment it has a name. */
    public static ScratchFile create(Path directory, String prefix) throws IOException {
        requireNonNull(directory, "directory is null");
        requireNonNull(prefix, "prefix is null");
        Path file = Files.createTempFile(directory, prefix, ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        FileChannel channel;
        try {
            channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(file);
            throw e;
        }
        try {
            Files.delete(file);
        } catch (IOException | RuntimeException e) {
            channel.close();
            Files.deleteIfExists(file);
            throw e;
        }
        return new ScratchFile("a scratch file in '" + directory + "' (" + prefix + "…)", channel);
    }

    /** Bytes written so far. */
    public long size() {
        return size;
    }

    /**
     * A stream that appends at the end, buffered; closing it flushes and leaves the file open.
     * One at a time.
     */
    public OutputStream append() {
        return new BufferedOutputStream(new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                ByteBuffer buf = ByteBuffer.wrap(b, off, len);
                long at = size;
                while (buf.hasRemaining()) {
                    at += channel.write(buf, at);
                }
                size = at;
            }
        }, BUFFER);
    }

    /** A buffered stream of the bytes from {@code position} to the end as it is now. */
    public InputStream readFrom(long position) {
        return readFrom(position, BUFFER);
    }

    /** The same, with a buffer of {@code bufferBytes} (a smaller one for a short read). */
    public InputStream readFrom(long position, int bufferBytes) {
        if (position < 0) {
            throw new IllegalArgumentException("position " + position + " is negative");
        }
        long end = size;
        return new BufferedInputStream(new InputStream() {
            private long at = position;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (at >= end) {
                    return -1;
                }
                int n = channel.read(ByteBuffer.wrap(b, off, (int) Math.min(len, end - at)), at);
                if (n < 0) {
                    throw new IOException(description + " ends at " + at + " bytes, " + end + " were written");
                }
                at += n;
                return n;
            }
        }, bufferBytes);
    }

    /**
     * Fills {@code into} from {@code position}.
     *
     * @throws IOException if the file ends first
     */
    public void readFully(ByteBuffer into, long position) throws IOException {
        long at = position;
        while (into.hasRemaining()) {
            int n = channel.read(into, at);
            if (n < 0) {
                throw new IOException(description + " ends at " + at + " bytes, before what was asked for");
            }
            at += n;
        }
    }

    /** Writes {@code from} at {@code position} (the end may grow). */
    public void writeAt(ByteBuffer from, long position) throws IOException {
        long at = position;
        while (from.hasRemaining()) {
            at += channel.write(from, at);
        }
        if (at > size) {
            size = at;
        }
    }

    @Override
    public String toString() {
        return description;
    }

    /** Closes the file: its bytes go with it. */
    @Override
    public void close() throws IOException {
        channel.close();
    }
}
