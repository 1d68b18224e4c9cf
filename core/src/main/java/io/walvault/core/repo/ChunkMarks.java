package io.walvault.core.repo;

import io.walvault.core.error.CorruptDataException;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chunk names gathered from many manifests, each with a tag (which backup named it), kept on
 * disk so that memory does not grow with the repository: 256 private temporary files (a
 * directory of mode 0700) by the name's first byte, read back one shard at a time. What expire
 * sweeps by and what verify checks each chunk once by. Marking is thread-safe; read the shards
 * after the last mark.
 *
 * <p>The directory names its owner (a file {@value #OWNER}: process id and start time), so that
 * the marks of a process killed before it could remove them (kill -9, the OOM killer) are removed
 * by the next {@link #create} in the same temporary directory instead of piling up there. A
 * directory without an owner (an older walvault's) counts as abandoned once a day old. Removing a
 * live process's marks would make its reading fail, never read as "no chunk named".
 */
public final class ChunkMarks implements AutoCloseable {

    /** Shards: one per value of a name's first byte, which is also the order in which the store lists chunks. */
    public static final int SHARDS = 256;

    private static final Logger LOG = LoggerFactory.getLogger(ChunkMarks.class);
    static final String PREFIX = "walvault-chunk-marks-";
    static final String OWNER = "owner";
    /** How old a directory without an owner must be to count as abandoned. */
    static final Duration UNOWNED_AGE = Duration.ofDays(1);

    private final Path dir;
    private final DataOutputStream[] out = new DataOutputStream[SHARDS];
    private long marks;
    private boolean sealed;

    private ChunkMarks(Path dir) {
        this.dir = dir;
    }

    /** Empty marks in a new private temporary directory. */
    public static ChunkMarks create() throws IOException {
        return create(Path.of(System.getProperty("java.io.tmpdir")));
    }

    /** Empty marks in a new private directory in {@code parent}, after removing abandoned ones there. */
    static ChunkMarks create(Path parent) throws IOException {
        removeAbandoned(parent);
        ChunkMarks m = new ChunkMarks(Files.createTempDirectory(parent, PREFIX,
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"))));
        try {
            Files.writeString(m.dir.resolve(OWNER), owner(ProcessHandle.current()), StandardCharsets.US_ASCII);
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

    /** "PID START-MILLIS" of {@code p} (START-MILLIS -1 when the system does not say). */
    static String owner(ProcessHandle p) {
        return p.pid() + " " + startMillis(p);
    }

    /** Removes the marks directories in {@code parent} whose owner has ended. */
    static void removeAbandoned(Path parent) {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(parent, PREFIX + "*")) {
            for (Path d : ds) {
                if (abandoned(d)) {
                    LOG.info("removing the chunk marks '{}' of a process that ended without removing them", d);
                    deleteTree(d);
                }
            }
        } catch (IOException e) {
            LOG.debug("cannot look for abandoned chunk marks in '{}': {}", parent, e.toString());
        }
    }

    /** When {@code p} started, in epoch milliseconds, or -1 when the system does not say. */
    private static long startMillis(ProcessHandle p) {
        return p.info().startInstant().map(Instant::toEpochMilli).orElse(-1L);
    }

    private static boolean abandoned(Path dir) {
        String line;
        try {
            line = Files.readString(dir.resolve(OWNER), StandardCharsets.US_ASCII).trim();
        } catch (NoSuchFileException e) {
            try {
                // an older walvault's, or one being created this very moment
                return Files.getLastModifiedTime(dir).compareTo(FileTime.from(Instant.now().minus(UNOWNED_AGE))) < 0;
            } catch (IOException gone) {
                return false;
            }
        } catch (IOException e) {
            return false; // another user's: not ours to judge
        }
        String[] f = line.split(" ");
        long pid;
        long start;
        try {
            pid = Long.parseLong(f[0]);
            start = f.length > 1 ? Long.parseLong(f[1]) : -1;
        } catch (NumberFormatException e) {
            return false;
        }
        Optional<ProcessHandle> p = ProcessHandle.of(pid);
        if (p.isEmpty() || !p.get().isAlive()) {
            return true;
        }
        long running = startMillis(p.get());
        return start != -1 && running != -1 && running != start; // the id reused by another process
    }

    private static void deleteTree(Path dir) {
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
        deleteTree(dir);
    }
}
