package io.walvault.core.repo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChunkMarksTest {

    @TempDir
    Path tmp;

    @Test
    void marksAreReadBackByShardAndTheirDirectoryNamesItsOwnerUntilClosed() throws Exception {
        ChunkId a = ChunkId.fromBytes(bytes(0x01));
        ChunkId b = ChunkId.fromBytes(bytes(0xfe));
        Path dir;
        try (ChunkMarks m = ChunkMarks.create(tmp)) {
            m.mark(a, 1);
            m.mark(a, 2);
            m.mark(a, 1);
            m.mark(b, 3);
            dir = onlyMarksDirectory();
            assertEquals(ChunkMarks.owner(ProcessHandle.current()),
                    Files.readString(dir.resolve(ChunkMarks.OWNER), StandardCharsets.US_ASCII));
            assertEquals(Map.of(a, List.of(1, 2)), m.shard(0x01));
            assertEquals(Map.of(b, List.of(3)), m.shard(0xfe));
            assertEquals(4, m.marks());
        }
        assertFalse(Files.exists(dir));
    }

    @Test
    void theMarksOfAProcessThatEndedWithoutRemovingThemAreRemovedByTheNext() throws Exception {
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        Path dead = marksDirectory("dead", p.pid() + " " + p.info().startInstant().map(Instant::toEpochMilli).orElse(-1L));
        Path live = marksDirectory("live", ChunkMarks.owner(ProcessHandle.current()));
        // this process's id, but another start: the id was reused after the owner ended
        Path reused = marksDirectory("reused", ProcessHandle.current().pid() + " 12345");
        Path oldUnowned = marksDirectory("old-unowned", null);
        Files.setLastModifiedTime(oldUnowned, FileTime.from(Instant.now().minus(ChunkMarks.UNOWNED_AGE).minusSeconds(60)));
        Path newUnowned = marksDirectory("new-unowned", null);
        Path other = Files.createDirectory(tmp.resolve("other-tool-1"));
        try (ChunkMarks m = ChunkMarks.create(tmp)) {
            assertFalse(Files.exists(dead));
            assertFalse(Files.exists(reused));
            assertFalse(Files.exists(oldUnowned));
            assertTrue(Files.exists(live.resolve("00")));
            assertTrue(Files.exists(newUnowned.resolve("00")));
            assertTrue(Files.exists(other));
        }
    }

    private Path marksDirectory(String name, String owner) throws Exception {
        Path d = Files.createDirectory(tmp.resolve(ChunkMarks.PREFIX + name));
        Files.write(d.resolve("00"), new byte[36]);
        if (owner != null) {
            Files.writeString(d.resolve(ChunkMarks.OWNER), owner, StandardCharsets.US_ASCII);
        }
        return d;
    }

    private Path onlyMarksDirectory() throws Exception {
        try (Stream<Path> s = Files.list(tmp)) {
            List<Path> l = s.filter(p -> p.getFileName().toString().startsWith(ChunkMarks.PREFIX)).toList();
            assertEquals(1, l.size(), l.toString());
            return l.get(0);
        }
    }

    private static byte[] bytes(int first) {
        byte[] b = new byte[ChunkId.BYTES];
        b[0] = (byte) first;
        b[5] = 7;
        return b;
    }
}
