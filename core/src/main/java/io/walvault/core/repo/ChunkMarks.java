package io.walvault.core.repo;

import io.walvault.core.error.CorruptDataException;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Chunk names gathered from many manifests, each with a tag (which backup named it), kept on
 * disk so that memory does not grow with the repository: 256 private temporary files (a
 * directory of mode 0700) by the name's first byte, read back one shard at a time. What expire
 * sweeps by and what verify checks each chunk once by. Marking is thread-safe; read the shards
 * after the last mark.
 */
public final class ChunkMarks implements AutoCloseable {

    /** Shards: one per value of a name's first byte, which is also the order in which the store lists chunks. */
    public static final int SHARDS = 256;

    private final Path dir;
    private final DataOutputStream[] out = new DataOutputStream[SHARDS];
    private long marks;
    private boolean sealed;

    private ChunkMarks(Path dir) {
        this.dir = dir;
    }

    /** Empty marks in a new private temporary directory. */
    public static ChunkMarks create() throws IOException {
        ChunkMarks m = new ChunkMarks(Files.createTempDirectory("walvault-chunk-marks-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"))));
        try {
            for (int i = 0; i < SHARDS; i++) {
                m.out[i] = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(m.shardFile(i)), 4096));
            }
        } catch (IOException e) {
            m.close();
            throw e;
        }
        return m;
    }

    /** Records that {@code tag} names chunk {@code id}. */
    public synchronized void mark(ChunkId id, int tag) throws IOException {
        if (sealed) {
            throw new IllegalStateException("the marks are being read");
        }
        byte[] b = id.bytes();
        DataOutputStream s = out[b[0] & 0xff];
        s.write(b);
        s.writeInt(tag);
        marks++;
    }

    /** How many marks were made (a chunk named twice counts twice). */
    public synchronized long marks() {
        return marks;
    }

    /** The shard of {@code id}. */
    public static int shardOf(ChunkId id) {
        return Integer.parseInt(id.hex().substring(0, 2), 16);
    }

    /** The chunks of shard {@code shard} with the tags that named them (each tag once, in marking order). */
    public synchronized Map<ChunkId, List<Integer>> shard(int shard) throws IOException {
        seal();
        Map<ChunkId, List<Integer>> names = new HashMap<>();
        byte[] b = new byte[ChunkId.BYTES];
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(shardFile(shard)), 64 * 1024))) {
            while (true) {
                try {
                    in.readFully(b);
                } catch (EOFException end) {
                    return names;
                }
                int tag;
                try {
                    tag = in.readInt();
                } catch (EOFException cut) {
                    throw new CorruptDataException("the chunk marks in '" + dir + "' were cut short");
                }
                List<Integer> tags = names.computeIfAbsent(ChunkId.fromBytes(b), k -> new ArrayList<>(1));
                if (!tags.contains(tag)) {
                    tags.add(tag);
                }
            }
        }
    }

    private void seal() throws IOException {
        if (!sealed) {
            sealed = true;
            for (DataOutputStream s : out) {
                s.close();
            }
        }
    }

    private Path shardFile(int i) {
        return dir.resolve(String.format(Locale.ROOT, "%02x", i));
    }

    /** Removes the files. */
    @Override
    public synchronized void close() {
        for (DataOutputStream s : out) {
            if (s != null) {
                try {
                    s.close();
                } catch (IOException e) {
                    // removed below
                }
            }
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // a temporary directory: the system cleans it
                }
            });
        } catch (IOException e) {
            // the same
        }
    }
}
