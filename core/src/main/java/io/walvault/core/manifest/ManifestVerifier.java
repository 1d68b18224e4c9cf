package io.walvault.core.manifest;

import static java.util.Objects.requireNonNull;

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
 * <p>Memory: one small entry per received file (path, size, checksum) until its manifest entry
 * arrives. Not thread-safe.
 */
public final class ManifestVerifier {

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

    private record Observed(long size, String algorithm, String checksum) {
    }

    private final Map<String, Observed> observed = new HashMap<>();
    private final List<Problem> problems = new ArrayList<>();
    private long checked;

    /** Records a file as received: its size and its checksum in {@code algorithm}. */
    public void observed(String path, long size, String algorithm, String checksumHex) {
        if (observed.put(path, new Observed(size, algorithm, checksumHex)) != null) {
            problems.add(new Problem(path, "was received twice"));
        }
    }

    /** Compares one manifest entry with what was received. */
    public void check(ManifestFile entry) {
        Observed o = observed.remove(entry.path());
        checked++;
        if (o == null) {
            problems.add(new Problem(entry.path(), "is in the manifest but was not received"));
            return;
        }
        if (o.size() != entry.size()) {
            problems.add(new Problem(entry.path(), "has " + o.size() + " bytes, the manifest says " + entry.size()));
            return;
        }
        if (entry.checksumAlgorithm().equalsIgnoreCase("NONE")) {
            return;
        }
        if (!o.algorithm().equalsIgnoreCase(entry.checksumAlgorithm())) {
            problems.add(new Problem(entry.path(), "has a " + entry.checksumAlgorithm() + " checksum in the manifest, but "
                    + o.algorithm() + " was computed"));
        } else if (!o.checksum().equalsIgnoreCase(entry.checksum())) {
            problems.add(new Problem(entry.path(), "has " + o.algorithm() + " " + o.checksum() + ", the manifest says "
                    + entry.checksum()));
        }
    }

    /** Manifest entries checked so far. */
    public long checked() {
        return checked;
    }

    /** Every difference, including received files the manifest does not list. */
    public List<Problem> finish() {
        List<Problem> all = new ArrayList<>(problems);
        for (String extra : new TreeSet<>(observed.keySet())) {
            all.add(new Problem(extra, "was received but is not in the manifest"));
        }
        observed.clear();
        return all;
    }
}
