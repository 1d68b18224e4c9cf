package io.walvault.cli.agent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.config.RepositorySettings;
import io.walvault.core.config.Settings;
import io.walvault.core.pipeline.OutputStreamSink;
import io.walvault.core.repo.Repositories;
import io.walvault.core.repo.Repository;
import io.walvault.core.repo.WalArchive;
import io.walvault.core.wal.Lsn;
import io.walvault.core.wal.WalFileName;
import io.walvault.core.wal.WalSegmentName;
import io.walvault.testkit.PgCluster;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** Reads back what an agent archived and compares it with the server. */
final class ArchiveCheck implements AutoCloseable {

    static final long SEG = WalSegmentName.DEFAULT_SEGMENT_SIZE;

    final Repository repo;
    final WalArchive wal;
    final long systemId;

    ArchiveCheck(String repoUri, long systemId) {
        RepositorySettings rs = RepositorySettings.from(Settings.load(Map.of("repo", repoUri, "encryption", "none"), null, Map.of()));
        repo = Repositories.open(rs);
        wal = repo.cluster(systemId).wal();
        this.systemId = systemId;
    }

    static void init(String repoUri) {
        Repositories.create(RepositorySettings.from(Settings.load(Map.of("repo", repoUri, "encryption", "none"), null, Map.of()))).close();
    }

    static long systemId(PgCluster pg) {
        return Long.parseUnsignedLong(pg.queryString("SELECT system_identifier FROM pg_control_system()"));
    }

    List<String> names() {
        try (Stream<WalFileName> s = wal.list()) {
            return s.map(WalFileName::name).sorted().toList();
        }
    }

    byte[] read(String name) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        wal.get(WalFileName.parse(name), new OutputStreamSink(out, false));
        return out.toByteArray();
    }

    /**
     * The end of the WAL the repository holds on timeline {@code tliHex} contiguously from its
     * first segment ({@link #segmentsRetentionKeeps}): complete segments, then the next segment's
     * partial if there is one.
     */
    Lsn contiguousEnd(String tliHex) throws Exception {
        List<String> segs = segmentsRetentionKeeps(tliHex);
        WalSegmentName last = null;
        for (String n : segs) {
            WalSegmentName s = WalSegmentName.parse(n, SEG);
            if (last != null && s.segmentNumber() != last.segmentNumber() + 1) {
                break;
            }
            last = s;
        }
        if (last == null) {
            return Lsn.INVALID;
        }
        Lsn end = last.endLsn();
        String partial = last.next().fileName() + ".partial";
        if (names().contains(partial)) {
            try {
                end = end.plus(read(partial).length);
            } catch (io.walvault.core.storage.ObjectNotFoundException gone) {
                // replaced by the complete segment meanwhile
            }
        }
        return end;
    }

    /**
     * Every complete segment of the repository on the timeline that pg_wal still has is
     * byte-identical; consecutive (from the oldest backup's first segment once a backup exists).
     */
    int assertSegmentsMatch(PgCluster pg, String tliHex, String upTo) throws Exception {
        List<String> segs = segmentsRetentionKeeps(tliHex);
        assertTrue(segs.contains(upTo), upTo + " not archived: " + segs);
        int compared = 0;
        for (int i = 0; i < segs.size(); i++) {
            if (i > 0) {
                assertEquals(Long.parseLong(segs.get(i - 1).substring(16), 16) + 1, Long.parseLong(segs.get(i).substring(16), 16),
                        "gap after " + segs.get(i - 1) + " in " + segs);
            }
            Path f = pg.dataDirectory().resolve("pg_wal/" + segs.get(i));
            if (Files.exists(f) && segs.get(i).compareTo(upTo) <= 0) {
                assertArrayEquals(Files.readAllBytes(f), read(segs.get(i)), segs.get(i));
                compared++;
            }
        }
        assertTrue(compared > 0, "no archived segment left in pg_wal to compare: " + segs);
        return compared;
    }

    /**
     * The complete segments archived on timeline {@code tliHex}, in order; once a backup exists,
     * only those from the oldest backup's first segment on: retention after each scheduled backup
     * may be removing what precedes it while a check reads (a segment the agent ships after one
     * expire is removed by the next), and never removes anything from there on.
     */
    private List<String> segmentsRetentionKeeps(String tliHex) throws Exception {
        List<String> listed = names();
        // the backups are read after the listing: with none then, no retention ran before or during it
        var backups = repo.cluster(systemId).backups();
        List<String> ids = backups.list();
        long floor = ids.isEmpty() ? 0
                : backups.readManifest(ids.get(0), f -> { }).firstWal().orElseThrow().segmentNumber();
        return listed.stream().filter(n -> n.length() == 24 && n.startsWith(tliHex)
                && WalSegmentName.parse(n, SEG).segmentNumber() >= floor).toList();
    }

    /** No hidden temporary object (a half-written upload) is left in a local repository. */
    static void assertNoTemporaryFiles(Path repoDir) throws Exception {
        try (Stream<Path> s = Files.walk(repoDir)) {
            List<Path> tmp = s.filter(p -> p.getFileName().toString().startsWith(".")).toList();
            assertTrue(tmp.isEmpty(), "temporary files left: " + tmp);
        }
    }

    @Override
    public void close() {
        repo.close();
    }
}
