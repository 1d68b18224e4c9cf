package io.walvault.archiver.backup;

import static java.util.Objects.requireNonNull;

import io.walvault.core.error.CorruptDataException;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.hook.WorkerThreads;
import io.walvault.core.pipeline.Futures;
import io.walvault.core.repo.ChunkNamer;
import io.walvault.core.repo.ChunkStore;
import io.walvault.core.repo.ObjectResult;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.BitSet;
import java.util.concurrent.Future;

/**
 * Rebuilds one relation file from the incremental file PostgreSQL 17 and newer sends in its
 * place ({@code INCREMENTAL.<name>}) and the earlier backup's chunks, as the file's chunks, with
 * no staging directory. The incremental file is, in the server's byte order: a magic number
 * (0xd3ae1f0d), the number of blocks it carries, the truncation length (blocks), the block numbers
 * (ascending), zero padding to a multiple of 8 KiB when it carries blocks, then the blocks.
 *
 * <p>The rebuilt file has max(truncation length, last block + 1) blocks: a block the increment
 * carries is taken from it; a block below the truncation length otherwise comes from the earlier
 * backup when its copy reaches that far; any other block is zeros (as pg_combinebackup rebuilds
 * it). A chunk the increment does
 * not touch and whose range the earlier backup held whole is reused by name, without reading it;
 * a touched chunk is read from the repository (up to {@value #AHEAD} ahead of the stream, on the
 * reader threads), overlaid and stored as a new chunk. Memory: the chunk being built, the reads
 * ahead ({@value #AHEAD} chunks) and the block list (at most 128 Ki numbers, 512 KiB).
 *
 * <p>Bytes are pushed as they stream ({@link #write}); {@link #end} finishes the file.
 */
final class IncrementalRebuild {

    static final int MAGIC = 0xd3ae1f0d;
    static final int BLOCK = 8192;
    /** The largest relation segment in blocks (1 GiB of 8 KiB pages). */
    static final int MAX_BLOCKS = 131072;
    static final String PREFIX = "INCREMENTAL.";
    /** Earlier chunks read ahead of the stream, so that their reads overlap it. */
    static final int AHEAD = 4;

    /** A read of chunk {@code index}'s earlier copy: its plaintext, in a buffer of its own. */
    private record Read(int index, Future<byte[]> bytes) {
    }

    private final String path;
    private final long memberSize;
    private final IncrementalBasis basis;
    private final IncrementalBasis.PriorFile prior;
    private final ChunkedFiles chunks;
    private final ChunkStore store;
    private final int chunkSize;
    private final int chunkBlocks;

    private final ByteBuffer fixed = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
    private ByteBuffer numbers;
    private long headerLeft;
    private int[] blocks;
    private int truncation;
    private int totalBlocks;
    /** The next block of {@link #blocks} whose bytes arrive, and how many of its bytes did. */
    private int nextBlock;
    private int blockFill;
    private long received;
    /** The next chunk of the rebuilt file to emit, and the one open in {@link #scratch} (-1: none). */
    private int nextChunk;
    private int openChunk = -1;
    private byte[] scratch;
    /** The chunks whose earlier copy must be read, in order, and their reads under way (at most {@link #AHEAD}). */
    private final ArrayDeque<Integer> toRead = new ArrayDeque<>();
    private final BitSet needsRead = new BitSet();
    private final ArrayDeque<Read> reading = new ArrayDeque<>();
    private final WorkerThreads readers;

    /**
     * @param path  the rebuilt file's path (the incremental file's, without {@value #PREFIX})
     * @param memberSize the incremental file's size in the tar
     * @param prior the earlier backup's copy of {@code path}
     * @param readers threads that read earlier chunks ahead of the stream
     */
    IncrementalRebuild(String path, long memberSize, IncrementalBasis basis, IncrementalBasis.PriorFile prior,
                       ChunkedFiles chunks, ChunkStore store, WorkerThreads readers) {
        this.readers = requireNonNull(readers, "readers is null");
        this.path = requireNonNull(path, "path is null");
        this.memberSize = memberSize;
        this.basis = requireNonNull(basis, "basis is null");
        this.prior = requireNonNull(prior, "prior is null");
        this.chunks = requireNonNull(chunks, "chunks is null");
        this.store = requireNonNull(store, "store is null");
        this.chunkSize = chunks.chunkSize();
        this.chunkBlocks = chunkSize / BLOCK;
        if (prior.chunkSize() != chunkSize) {
            throw new IllegalArgumentException("'" + path + "' was stored in chunks of " + prior.chunkSize() + " bytes, not "
                    + chunkSize);
        }
    }

    /** The rebuilt file's path for an incremental file's member name, or null when {@code name} is not one. */
    static String rebuiltPath(String memberPath) {
        int slash = memberPath.lastIndexOf('/');
        String name = memberPath.substring(slash + 1);
        if (!name.startsWith(PREFIX) || name.length() == PREFIX.length()) {
            return null;
        }
        return memberPath.substring(0, slash + 1) + name.substring(PREFIX.length());
    }

    /** The rebuilt file's path. */
    String path() {
        return path;
    }

    /** The next bytes of the incremental file. */
    void write(ByteBuffer data) throws IOException {
        ByteBuffer d = data.duplicate();
        received += d.remaining();
        while (d.hasRemaining()) {
            if (numbers == null) {
                readFixed(d); // the fixed part first; it sizes the block numbers
            } else if (numbers.hasRemaining()) {
                int n = Math.min(numbers.remaining(), d.remaining());
                ByteBuffer slice = d.slice(d.position(), n);
                numbers.put(slice);
                d.position(d.position() + n);
                headerLeft -= n;
                if (!numbers.hasRemaining()) {
                    readNumbers();
                }
            } else if (headerLeft > 0) {
                int n = (int) Math.min(headerLeft, d.remaining());
                d.position(d.position() + n); // padding
                headerLeft -= n;
            } else {
                blockData(d);
            }
        }
    }

    private void readFixed(ByteBuffer d) throws IOException {
        while (d.hasRemaining() && fixed.hasRemaining()) {
            fixed.put(d.get());
        }
        if (fixed.hasRemaining()) {
            return;
        }
        fixed.flip();
        int magic = fixed.getInt();
        int count = fixed.getInt();
        truncation = fixed.getInt();
        if (magic != MAGIC) {
            throw corrupt("it does not start with the incremental file's magic number (found 0x"
                    + Integer.toHexString(magic) + ")");
        }
        if (count < 0 || count > MAX_BLOCKS || truncation < 0 || truncation > MAX_BLOCKS) {
            throw corrupt("it claims " + Integer.toUnsignedString(count) + " blocks and a truncation length of "
                    + Integer.toUnsignedString(truncation) + " blocks");
        }
        long header = 12L + 4L * count;
        if (count > 0 && header % BLOCK != 0) {
            header += BLOCK - header % BLOCK;
        }
        if (memberSize != header + (long) BLOCK * count) {
            throw corrupt("it has " + memberSize + " bytes, but a header of " + header + " bytes and " + count
                    + " blocks make " + (header + (long) BLOCK * count));
        }
        headerLeft = header - 12;
        numbers = ByteBuffer.allocate(4 * count).order(ByteOrder.LITTLE_ENDIAN);
        if (count == 0) {
            readNumbers();
        }
    }

    private void readNumbers() throws IOException {
        numbers.flip();
        blocks = new int[numbers.remaining() / 4];
        for (int i = 0; i < blocks.length; i++) {
            blocks[i] = numbers.getInt();
            if (blocks[i] < 0 || blocks[i] >= MAX_BLOCKS || (i > 0 && blocks[i] <= blocks[i - 1])) {
                throw corrupt("its block numbers are not ascending within a segment (block " + i + " is "
                        + Integer.toUnsignedString(blocks[i]) + ")");
            }
        }
        totalBlocks = Math.max(truncation, blocks.length == 0 ? 0 : blocks[blocks.length - 1] + 1);
        int count = (int) ((size() + chunkSize - 1) / chunkSize);
        int next = 0;
        for (int c = 0; c < count; c++) {
            // the increment's blocks in this chunk, and how many of them replace bytes the earlier copy would give
            long keepEnd = (long) c * chunkBlocks + keep(c) / BLOCK;
            int touched = 0;
            int covered = 0;
            while (next < blocks.length && blocks[next] / chunkBlocks == c) {
                touched++;
                if (blocks[next] < keepEnd) {
                    covered++;
                }
                next++;
            }
            // read the earlier copy only when some of its bytes survive (a chunk the increment rewrites whole needs none)
            if ((touched > 0 || !reusable(c)) && keep(c) > 0 && covered < keep(c) / BLOCK) {
                toRead.add(c);
                needsRead.set(c);
            }
        }
        readAhead();
    }

    /** Whether chunk {@code c}, untouched by the increment, is the earlier backup's chunk {@code c} as it is. */
    private boolean reusable(int c) {
        int len = chunkLength(c);
        long start = (long) c * chunkSize;
        return (start + len) / BLOCK <= truncation && c < prior.chunks() && Math.min(chunkSize, prior.size() - start) == len;
    }

    /** How many bytes of chunk {@code c} come from the earlier copy (the rest of it is zeros or new blocks). */
    private long keep(int c) {
        long start = (long) c * chunkSize;
        return Math.max(0, Math.min(Math.min(chunkLength(c), (long) truncation * BLOCK - start), prior.size() - start));
    }

    private void readAhead() throws IOException {
        while (reading.size() < AHEAD && !toRead.isEmpty()) {
            int c = toRead.poll();
            IncrementalBasis.PriorChunk chunk = basis.chunk(prior, c);
            int priorLen = (int) Math.min(chunkSize, prior.size() - (long) c * chunkSize);
            reading.add(new Read(c, readers.submit(() -> readEarlier(chunk, priorLen))));
        }
    }

    private void blockData(ByteBuffer d) throws IOException {
        if (nextBlock >= blocks.length) {
            throw corrupt("it carries more bytes than its header announces");
        }
        int block = blocks[nextBlock];
        int chunk = block / chunkBlocks;
        if (blockFill == 0) {
            open(chunk);
        }
        int at = (block % chunkBlocks) * BLOCK + blockFill;
        int n = Math.min(BLOCK - blockFill, d.remaining());
        d.get(scratch, at, n);
        blockFill += n;
        if (blockFill == BLOCK) {
            blockFill = 0;
            nextBlock++;
        }
    }

    /** Makes {@code chunk} the open one: every chunk before it emitted, its base content in the scratch buffer. */
    private void open(int chunk) throws IOException {
        if (openChunk == chunk) {
            return;
        }
        if (openChunk >= 0) {
            emitOpen();
        }
        while (nextChunk < chunk) {
            emitUntouched(nextChunk);
        }
        fillBase(chunk);
        openChunk = chunk;
    }

    private void emitOpen() throws IOException {
        chunks.write(ByteBuffer.wrap(scratch, 0, chunkLength(openChunk)));
        chunks.sealPartial();
        openChunk = -1;
        nextChunk++;
    }

    /** Emits a chunk the increment does not touch: the earlier one reused when it covers the same bytes. */
    private void emitUntouched(int chunk) throws IOException {
        int len = chunkLength(chunk);
        if (reusable(chunk)) {
            IncrementalBasis.PriorChunk c = basis.chunk(prior, chunk);
            chunks.reuse(c.id(), c.hash(), c.crc(), len);
        } else {
            fillBase(chunk);
            chunks.write(ByteBuffer.wrap(scratch, 0, len));
            chunks.sealPartial();
        }
        nextChunk++;
    }

    /**
     * Puts the earlier backup's bytes of {@code chunk} below the truncation length into the
     * scratch buffer, zeros after; when the increment rewrites all of those bytes, they are
     * not read (the scratch buffer then holds bytes the increment's blocks replace). Only the
     * bytes no block of the increment will cover are zeroed: a chunk the increment rewrites whole
     * is not cleared first (a megabyte of writes per chunk, most of a cold JVM's rebuild time).
     */
    private void fillBase(int chunk) throws IOException {
        int len = chunkLength(chunk);
        long keep = keep(chunk);
        if (needsRead.get(chunk)) {
            Read r = reading.poll();
            if (r == null || r.index() != chunk) {
                throw new IllegalStateException("chunk " + chunk + " of '" + path + "' was not read ahead");
            }
            scratch = Futures.await(r.bytes(), "reading an earlier chunk");
            readAhead();
        } else if (scratch == null) {
            scratch = new byte[chunkSize];
        }
        // the increment's blocks in this chunk start at nextBlock when it is opened for them (none otherwise)
        int from = (int) keep;
        for (int i = nextBlock; i < blocks.length && blocks[i] / chunkBlocks == chunk; i++) {
            int at = (blocks[i] % chunkBlocks) * BLOCK;
            if (at > from) {
                Arrays.fill(scratch, from, Math.min(at, len), (byte) 0);
            }
            from = Math.max(from, at + BLOCK);
        }
        if (from < len) {
            Arrays.fill(scratch, from, len, (byte) 0);
        }
    }

    /** An earlier chunk's plaintext, checked against its length and XXH64; on a reader thread. */
    private byte[] readEarlier(IncrementalBasis.PriorChunk c, int priorLen) throws IOException {
        byte[] into = new byte[chunkSize];
        long size = read(c, into).size();
        if (size != priorLen) {
            throw chunkSize(c, size, priorLen);
        }
        if (ChunkNamer.hash(into, 0, priorLen) != c.hash()) {
            throw new WalvaultException(ErrorCode.CORRUPT_DATA, "chunk " + c.id().hex() + " of '" + path + "' in the earlier backup '"
                    + basis.backup().id() + "' does not have the XXH64 its manifest records"
                    + " HINT: run 'walvault verify --all'; 'walvault backup --full' takes a backup without it");
        }
        return into;
    }

    /** Reads an earlier chunk; its damage is the repository's, not the stream's. */
    private ObjectResult read(IncrementalBasis.PriorChunk c, byte[] into) throws IOException {
        try {
            return store.readInto(c.id(), into, path);
        } catch (CorruptDataException e) {
            throw new WalvaultException(ErrorCode.CORRUPT_DATA, "chunk " + c.id().hex() + " of '" + path + "' in the earlier"
                    + " backup '" + basis.backup().id() + "' is damaged: " + e.getMessage() + " HINT: run 'walvault verify"
                    + " --all'; 'walvault backup --full' takes a backup without it", e);
        }
    }

    private WalvaultException chunkSize(IncrementalBasis.PriorChunk c, long found, long expected) {
        return new WalvaultException(ErrorCode.CORRUPT_DATA, "chunk " + c.id().hex() + " of '" + path + "' in the earlier backup '"
                + basis.backup().id() + "' holds " + found + " bytes, not " + expected
                + " HINT: run 'walvault verify --all'; 'walvault backup --full' takes a backup without it");
    }

    private int chunkLength(int chunk) {
        long fileSize = (long) totalBlocks * BLOCK;
        return (int) Math.min(chunkSize, fileSize - (long) chunk * chunkSize);
    }

    /** The rebuilt file's size in bytes; after the header arrived. */
    long size() {
        return (long) totalBlocks * BLOCK;
    }

    /** Finishes the file: every chunk emitted (their storing may still run). */
    void end() throws IOException {
        if (blocks == null || nextBlock != blocks.length || blockFill != 0 || received != memberSize) {
            throw corrupt("it ended after " + received + " of " + memberSize + " bytes");
        }
        if (openChunk >= 0) {
            emitOpen();
        }
        int count = (int) ((size() + chunkSize - 1) / chunkSize);
        while (nextChunk < count) {
            emitUntouched(nextChunk);
        }
    }

    private CorruptDataException corrupt(String what) {
        return new CorruptDataException("the server's incremental file for '" + path + "' is damaged: " + what);
    }
}
