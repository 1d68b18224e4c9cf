package io.walvault.core.tar;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.Test;

class TarSplitterTest {

    private static final java.nio.file.attribute.FileTime WHOLE_SECOND = java.nio.file.attribute.FileTime.fromMillis(1_700_000_000_000L);

    /** Collects members and their content, checking the call order. */
    static final class Collector implements TarMemberHandler {
        final Map<String, byte[]> files = new LinkedHashMap<>();
        final List<TarMember> members = new ArrayList<>();
        ByteArrayOutputStream current;
        TarMember open;

        @Override
        public void memberStarted(TarMember member) {
            assertEquals(null, open);
            open = member;
            current = new ByteArrayOutputStream();
        }

        @Override
        public void memberData(ByteBuffer data) {
            assertTrue(data.isReadOnly());
            byte[] b = new byte[data.remaining()];
            data.get(b);
            current.writeBytes(b);
        }

        @Override
        public void memberEnded(TarMember member) {
            assertEquals(open, member);
            assertEquals(member.size(), current.size());
            members.add(member);
            files.put(member.path(), current.toByteArray());
            open = null;
        }
    }

    interface Writer {
        void write(TarArchiveOutputStream out) throws IOException;
    }

    static byte[] tar(Writer w) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream out = new TarArchiveOutputStream(bytes)) {
            out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            out.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            w.write(out);
        }
        return bytes.toByteArray();
    }

    static void file(TarArchiveOutputStream out, String name, byte[] content) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setSize(content.length);
        e.setModTime(WHOLE_SECOND); // a fractional mtime would add a pax header to every member
        e.setMode(0600);
        out.putArchiveEntry(e);
        out.write(content);
        out.closeArchiveEntry();
    }

    /** Feeds {@code bytes} in chunks of random sizes (1 byte to 3 blocks). */
    static Collector split(byte[] bytes, long seed) {
        Collector c = new Collector();
        TarSplitter s = new TarSplitter(c);
        Random r = new Random(seed);
        int i = 0;
        while (i < bytes.length) {
            int n = Math.min(bytes.length - i, 1 + r.nextInt(1600));
            s.write(ByteBuffer.wrap(bytes, i, n));
            i += n;
        }
        s.finish();
        return c;
    }

    @Test
    void emptyArchive() throws IOException {
        assertTrue(split(tar(out -> { }), 1).members.isEmpty());
    }

    @Test
    void filesOfEverySizeInAnyChunking() throws IOException {
        Random r = new Random(42);
        Map<String, byte[]> expected = new LinkedHashMap<>();
        for (int size : new int[] {0, 1, 511, 512, 513, 8192, 100_003, 1 << 20}) {
            byte[] b = new byte[size];
            r.nextBytes(b);
            expected.put("base/1/" + size, b);
        }
        byte[] archive = tar(out -> {
            for (Map.Entry<String, byte[]> e : expected.entrySet()) {
                file(out, e.getKey(), e.getValue());
            }
        });
        for (long seed = 0; seed < 5; seed++) {
            Collector c = split(archive, seed);
            assertEquals(expected.keySet(), c.files.keySet());
            for (String k : expected.keySet()) {
                assertArrayEquals(expected.get(k), c.files.get(k), k);
            }
        }
    }

    @Test
    void directoriesSymlinksAndLongNames() throws IOException {
        String longName = "pg_tblspc/16384/" + "d".repeat(150) + "/file";
        byte[] archive = tar(out -> {
            TarArchiveEntry dir = new TarArchiveEntry("pg_wal/");
            dir.setModTime(WHOLE_SECOND);
            out.putArchiveEntry(dir);
            out.closeArchiveEntry();
            TarArchiveEntry link = new TarArchiveEntry("pg_tblspc/16385", TarConstants.LF_SYMLINK);
            link.setLinkName("/srv/ts1");
            link.setModTime(WHOLE_SECOND);
            out.putArchiveEntry(link);
            out.closeArchiveEntry();
            file(out, longName, "x".getBytes(StandardCharsets.UTF_8));
        });
        Collector c = split(archive, 3);
        assertEquals(new TarMember("pg_wal", TarMember.Type.DIRECTORY, 0, c.members.get(0).mode(), c.members.get(0).mtime(), ""),
                c.members.get(0));
        assertEquals(TarMember.Type.SYMLINK, c.members.get(1).type());
        assertEquals("/srv/ts1", c.members.get(1).linkTarget());
        assertEquals(longName, c.members.get(2).path());
        assertEquals(0600, c.members.get(2).mode());
    }

    @Test
    void unterminatedArchiveLikePostgres14IsAcceptedOnceTheEndBlocksAreAdded() throws IOException {
        byte[] archive = tar(out -> file(out, "backup_label", new byte[] {1, 2, 3}));
        byte[] unterminated = Arrays.copyOf(archive, 1024); // header + one data block, no end blocks
        Collector c = new Collector();
        TarSplitter s = new TarSplitter(c);
        s.write(ByteBuffer.wrap(unterminated));
        TarFormatException e = assertThrows(TarFormatException.class, s::finish);
        assertTrue(e.getMessage().contains("before its end-of-archive blocks"), e.getMessage());
        s.write(ByteBuffer.allocate(1024));
        s.finish();
        assertEquals(1, c.members.size());
    }

    private static TarFormatException corrupt(byte[] archive) {
        return assertThrows(TarFormatException.class, () -> split(archive, 7));
    }

    @Test
    void badHeaderChecksum() throws IOException {
        byte[] archive = tar(out -> file(out, "a", new byte[10]));
        archive[5] ^= 1;
        assertTrue(corrupt(archive).getMessage().contains("checksum"));
    }

    @Test
    void malformedSizeField() throws IOException {
        byte[] archive = tar(out -> file(out, "a", new byte[10]));
        archive[124 + 3] = 'x';
        fixChecksum(archive, 0);
        assertTrue(corrupt(archive).getMessage().contains("malformed size"));
    }

    @Test
    void truncatedContent() throws IOException {
        byte[] archive = tar(out -> file(out, "a", new byte[5000]));
        TarFormatException e = corrupt(Arrays.copyOf(archive, 512 + 1000));
        assertTrue(e.getMessage().contains("in the content of 'a'"), e.getMessage());
    }

    @Test
    void truncatedHeader() throws IOException {
        byte[] archive = tar(out -> file(out, "a", new byte[5]));
        assertTrue(corrupt(Arrays.copyOf(archive, 300)).getMessage().contains("truncated"));
    }

    @Test
    void onlyOneEndBlock() throws IOException {
        byte[] archive = tar(out -> file(out, "a", new byte[5]));
        TarFormatException e = corrupt(Arrays.copyOf(archive, 1024 + 512));
        assertTrue(e.getMessage().contains("after the first of its two end blocks"), e.getMessage());
    }

    @Test
    void dataAfterTheEnd() throws IOException {
        byte[] archive = tar(out -> file(out, "a", new byte[5]));
        byte[] more = Arrays.copyOf(archive, archive.length + 10);
        more[archive.length + 3] = 1;
        assertTrue(corrupt(more).getMessage().contains("data after its end-of-archive blocks"));
    }

    @Test
    void headerAfterAZeroBlock() throws IOException {
        byte[] one = tar(out -> file(out, "a", new byte[5]));
        byte[] archive = new byte[512 + one.length];
        System.arraycopy(one, 0, archive, 512, one.length);
        assertTrue(corrupt(archive).getMessage().contains("zero block followed by a header"));
    }

    @Test
    void malformedPaxHeader() throws IOException {
        byte[] archive = tar(out -> file(out, "p/" + "n".repeat(120), new byte[5]));
        // the pax record starts right after the first header: break its length
        archive[512] = 'z';
        corrupt(archive);
    }

    @Test
    void base256SizeIsRead() throws IOException {
        byte[] archive = tar(out -> file(out, "a", new byte[700]));
        Arrays.fill(archive, 124, 136, (byte) 0);
        archive[124] = (byte) 0x80;
        archive[134] = 0x02;
        archive[135] = (byte) 0xBC; // 700
        fixChecksum(archive, 0);
        assertEquals(700, split(archive, 1).members.get(0).size());
    }

    private static void fixChecksum(byte[] archive, int header) {
        Arrays.fill(archive, header + 148, header + 156, (byte) ' ');
        long sum = 0;
        for (int i = 0; i < 512; i++) {
            sum += archive[header + i] & 0xFF;
        }
        byte[] digits = String.format("%06o\0 ", sum).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(digits, 0, archive, header + 148, 8);
    }
}
