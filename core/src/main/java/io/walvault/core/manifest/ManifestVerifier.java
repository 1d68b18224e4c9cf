package io.walvault.core.manifest;

import static java.util.Objects.requireNonNull;

import io.walvault.core.io.ScratchFile;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Checks the files of a backup, as they were received, against the server's backup_manifest,
 * which arrives after them. The receiver {@link #observed records} each file's size and
 * checksum while it streams; then each manifest entry is {@link #check checked} as the manifest
 * streams; {@link #finish()} lists what is missing, extra or different, by path.
 *
 * <p>Memory: PostgreSQL lists files in its manifest in the order it sent them, so observations
 * are kept in arrival order and matched in that order: the first {@code inMemoryLimit} in
 * memory, the rest in a {@link ScratchFile} that is read back sequentially. Entries that come
 * out of order wait in a map, so memory grows only with the disorder, not with the number of
 * files.
 *
 * <p>Lifecycle: all {@code observed} calls, then {@code check} calls, then {@code finish};
 * {@link #close()} lets the scratch file go. Not thread-safe.
 */
public final class ManifestVerifier implements AutoCloseable {

    /** Observations held in memory before spilling to disk. */
    public static final int DEFAULT_IN_MEMORY_LIMIT = 50_000;
    private static final int MAX_PROBLEMS_KEPT = 1000;

    /** One difference between what arrived and what the manifest says. */
    public record Problem(String path, String what) {
        public Problem {
            requireNonNull(path, "path is null");
            requireNonNull(what, "what is null");
        }

        @Override
        public String toString() {
            return "'" + path + "' " + what;
        }
    }

    private record Observed(String path, long size, String algorithm, String checksum) {
    }

    private final int inMemoryLimit;
    private final ArrayDeque<Observed> memory = new ArrayDeque<>();
    private final Map<String, Observed> outOfOrder = new HashMap<>();
    private final List<Problem> problems = new ArrayList<>();
    private long problemCount;
    private long spilled;
    private ScratchFile spillFile;
    private DataOutputStream spillOut;
    private DataInputStream spillIn;
    private boolean checking;
    private long checked;
    private int maxOutOfOrder;

    public ManifestVerifier() {
        this(DEFAULT_IN_MEMORY_LIMIT);
    }

    public ManifestVerifier(int inMemoryLimit) {
        if (inMemoryLimit < 0) {
            throw new IllegalArgumentException("in-memory limit " + inMemoryLimit + " is negative");
        }
        this.inMemoryLimit = inMemoryLimit;
    }

    /** Records a file as received: its size and its checksum in {@code algorithm}. */
    public void observed(String path, long size, String algorithm, String checksumHex) {
        if (checking) {
            throw new IllegalStateException("files are observed before the manifest is checked");
        }
        Observed o = new Observed(path, size, algorithm, checksumHex);
        if (memory.size() < inMemoryLimit && spilled == 0) {
            memory.add(o);
            return;
        }
        try {
            if (spillOut == null) {
                spillFile = ScratchFile.create("walvault-received-");
                spillOut = new DataOutputStream(spillFile.append());
            }
            spillOut.writeUTF(path);
            spillOut.writeLong(size);
            spillOut.writeUTF(algorithm);
            spillOut.writeUTF(checksumHex);
            spilled++;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the list of received files to "
                    + (spillFile == null ? "a scratch file in '" + System.getProperty("java.io.tmpdir") + "'" : spillFile), e);
        }
    }

    /** Compares one manifest entry with what was received. */
    public void check(ManifestFile entry) {
        startChecking();
        checked++;
        Observed o = outOfOrder.remove(entry.path());
        while (o == null) {
            Observed next = nextObserved();
            if (next == null) {
                break;
            }
            if (next.path().equals(entry.path())) {
                o = next;
            } else if (outOfOrder.putIfAbsent(next.path(), next) != null) {
                problem(next.path(), "was received twice");
            } else {
                maxOutOfOrder = Math.max(maxOutOfOrder, outOfOrder.size());
            }
        }
        if (o == null) {
            problem(entry.path(), "is in the manifest but was not received");
            return;
        }
        if (o.size() != entry.size()) {
            problem(entry.path(), "has " + o.size() + " bytes, the manifest says " + entry.size());
            return;
        }
        if (entry.checksumAlgorithm().equalsIgnoreCase("NONE")) {
            return;
        }
        if (!o.algorithm().equalsIgnoreCase(entry.checksumAlgorithm())) {
            problem(entry.path(), "has a " + entry.checksumAlgorithm() + " checksum in the manifest, but "
                    + o.algorithm() + " was computed");
        } else if (!o.checksum().equalsIgnoreCase(entry.checksum())) {
            problem(entry.path(), "has " + o.algorithm() + " " + o.checksum() + ", the manifest says " + entry.checksum());
        }
    }

    private void startChecking() {
        if (checking) {
            return;
        }
        checking = true;
        if (spillOut != null) {
            try {
                spillOut.close();
                spillIn = new DataInputStream(spillFile.readFrom(0));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read back the list of received files from " + spillFile, e);
            }
        }
    }

    private Observed nextObserved() {
        Observed o = memory.poll();
        if (o != null || spillIn == null) {
            return o;
        }
        try {
            return new Observed(spillIn.readUTF(), spillIn.readLong(), spillIn.readUTF(), spillIn.readUTF());
        } catch (EOFException e) {
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read back the list of received files from " + spillFile, e);
        }
    }

    private void problem(String path, String what) {
        problemCount++;
        if (problems.size() < MAX_PROBLEMS_KEPT) {
            problems.add(new Problem(path, what));
        }
    }

    /** Manifest entries checked so far. */
    public long checked() {
        return checked;
    }

    /** The most received files ever waiting for a manifest entry that came out of order. */
    public int maxOutOfOrder() {
        return maxOutOfOrder;
    }

    /** Received files that went to the scratch file (for tests and metrics). */
    public long spilled() {
        return spilled;
    }

    /**
     * Every difference (the first {@value #MAX_PROBLEMS_KEPT}), including received files the
     * manifest does not list; see {@link #problemCount()} for the total.
     */
    public List<Problem> finish() {
        startChecking();
        for (String path : new TreeSet<>(outOfOrder.keySet())) {
            problem(path, "was received but is not in the manifest");
        }
        outOfOrder.clear();
        for (Observed o = nextObserved(); o != null; o = nextObserved()) {
            problem(o.path(), "was received but is not in the manifest");
        }
        close();
        return List.copyOf(problems);
    }

    /** How many differences there are in all. */
    public long problemCount() {
        return problemCount;
    }

    /** Closes the scratch file, if any (its bytes go with it). */
    @Override
    public void close() {
        try {
            if (spillOut != null) {
                spillOut.close();
            }
            if (spillIn != null) {
                spillIn.close();
            }
            if (spillFile != null) {
                spillFile.close();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot close " + spillFile, e);
        } finally {
            spillOut = null;
            spillIn = null;
            spillFile = null;
        }
    }
}
