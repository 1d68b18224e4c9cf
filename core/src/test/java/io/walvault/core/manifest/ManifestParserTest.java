package io.walvault.core.manifest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.wal.Lsn;
import io.walvault.core.wal.TimelineId;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ManifestParserTest {

    /** A manifest laid out as PostgreSQL writes it, with its checksum line computed. */
    static String manifest(int version, String files) throws Exception {
        String body = "{ \"PostgreSQL-Backup-Manifest-Version\": " + version + ",\n"
                + (version >= 2 ? "\"System-Identifier\": 7301234567890123456,\n" : "")
                + "\"Files\": [\n" + files + "],\n"
                + "\"WAL-Ranges\": [\n"
                + "{ \"Timeline\": 1, \"Start-LSN\": \"0/2000028\", \"End-LSN\": \"0/2000100\" }\n"
                + "],\n";
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body.getBytes(StandardCharsets.UTF_8)));
        return body + "\"Manifest-Checksum\": \"" + sha + "\"}\n";
    }

    static final String FILES = "{ \"Path\": \"backup_label\", \"Size\": 225, \"Last-Modified\": \"2026-01-01 00:00:00 GMT\","
            + " \"Checksum-Algorithm\": \"CRC32C\", \"Checksum\": \"C7F4BD39\" },\n"
            + "{ \"Encoded-Path\": \"626173652f312f31323334\", \"Size\": 8192, \"Last-Modified\": \"2026-01-01 00:00:00 GMT\","
            + " \"Checksum-Algorithm\": \"SHA256\", \"Checksum\": \"00ff\" },\n"
            + "{ \"Path\": \"global/pg_control\", \"Size\": 8192, \"Last-Modified\": \"2026-01-01 00:00:00 GMT\" }\n";

    static ManifestSummary parse(String text, List<ManifestFile> out, int chunk) {
        ManifestParser p = new ManifestParser(out::add);
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < b.length; i += chunk) {
            p.write(ByteBuffer.wrap(b, i, Math.min(chunk, b.length - i)));
        }
        return p.finish();
    }

    @Test
    void entriesArriveAsTheyStreamInAnyChunking() throws Exception {
        String m = manifest(2, FILES);
        for (int chunk : new int[] {1, 7, 100, 1 << 20}) {
            List<ManifestFile> files = new ArrayList<>();
            ManifestSummary s = parse(m, files, chunk);
            assertEquals(List.of(new ManifestFile("backup_label", 225, "CRC32C", "c7f4bd39"),
                    new ManifestFile("base/1/1234", 8192, "SHA256", "00ff"),
                    new ManifestFile("global/pg_control", 8192, "NONE", "")), files);
            assertEquals(2, s.version());
            assertEquals(Optional.of("7301234567890123456"), s.systemIdentifier());
            assertEquals(List.of(new WalRange(TimelineId.FIRST, Lsn.parse("0/2000028"), Lsn.parse("0/2000100"))), s.walRanges());
            assertEquals(3, s.files());
        }
    }

    @Test
    void version1HasNoSystemIdentifier() throws Exception {
        assertEquals(Optional.empty(), parse(manifest(1, FILES), new ArrayList<>(), 64).systemIdentifier());
    }

    private static ManifestFormatException bad(String text) {
        return assertThrows(ManifestFormatException.class, () -> parse(text, new ArrayList<>(), 13));
    }

    @Test
    void wrongManifestChecksum() throws Exception {
        String m = manifest(1, FILES).replace("\"Size\": 225", "\"Size\": 226");
        assertTrue(bad(m).getMessage().contains("checksum mismatch"));
    }

    @Test
    void truncated() throws Exception {
        String m = manifest(1, FILES);
        assertTrue(bad(m.substring(0, m.length() / 2)).getMessage().contains("backup_manifest"));
    }

    @Test
    void notJson() {
        assertTrue(bad("{ \"PostgreSQL-Backup-Manifest-Version\": 1,\n\"Files\": [ { \"Path\": } ]\n}\n").getMessage()
                .contains("not valid JSON"));
    }

    @Test
    void unsupportedVersion() throws Exception {
        assertTrue(bad(manifest(3, FILES)).getMessage().contains("version 3 is not supported"));
    }

    @Test
    void fileWithoutSize() throws Exception {
        assertTrue(bad(manifest(1, "{ \"Path\": \"a\" }\n")).getMessage().contains("without Path or Size"));
    }

    @Test
    void missingChecksumLine() {
        assertTrue(bad("{ \"PostgreSQL-Backup-Manifest-Version\": 1,\n\"Files\": [\n]\n}\n").getMessage()
                .contains("no Manifest-Checksum"));
    }

    @Test
    void contentAfterTheEnd() throws Exception {
        bad(manifest(1, FILES) + "{}");
    }

    @Test
    void invalidEncodedPath() throws Exception {
        assertTrue(bad(manifest(1, "{ \"Encoded-Path\": \"zz\", \"Size\": 1 }\n")).getMessage().contains("Encoded-Path"));
    }

    @Test
    void crc32cAsPostgresWritesIt() {
        FileChecksum c = FileChecksum.of("crc32c");
        c.update(ByteBuffer.wrap("123456789".getBytes(StandardCharsets.US_ASCII)));
        // CRC-32C check value 0xE3069283, written as the value's little-endian bytes
        assertEquals("839206e3", c.hex());
        FileChecksum sha = FileChecksum.of("SHA256");
        sha.update(ByteBuffer.allocate(0));
        assertEquals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", sha.hex());
        assertEquals("", FileChecksum.of("NONE").hex());
        assertThrows(IllegalArgumentException.class, () -> FileChecksum.of("MD5"));
    }

    @Test
    void verifierReportsEveryKindOfDifferenceByPath() {
        ManifestVerifier v = new ManifestVerifier();
        v.observed("same", 3, "CRC32C", "aabbccdd");
        v.observed("resized", 4, "CRC32C", "00000000");
        v.observed("changed", 5, "CRC32C", "11111111");
        v.observed("extra", 1, "CRC32C", "22222222");
        v.observed("unchecked", 9, "CRC32C", "33333333");
        v.observed("algorithm", 9, "CRC32C", "33333333");
        v.check(new ManifestFile("same", 3, "CRC32C", "aabbccdd"));
        v.check(new ManifestFile("resized", 5, "CRC32C", "00000000"));
        v.check(new ManifestFile("changed", 5, "CRC32C", "11111112"));
        v.check(new ManifestFile("missing", 5, "CRC32C", "11111112"));
        v.check(new ManifestFile("unchecked", 9, "NONE", ""));
        v.check(new ManifestFile("algorithm", 9, "SHA256", "ab"));
        List<String> problems = v.finish().stream().map(ManifestVerifier.Problem::toString).toList();
        assertEquals(List.of("'resized' has 4 bytes, the manifest says 5",
                "'changed' has CRC32C 11111111, the manifest says 11111112",
                "'missing' is in the manifest but was not received",
                "'algorithm' has a SHA256 checksum in the manifest, but CRC32C was computed",
                "'extra' was received but is not in the manifest"), problems);
        assertEquals(5, v.problemCount());
        assertEquals(6, v.checked());
    }

    @Test
    void verifierSpillsToDiskAndToleratesAnyOrder() {
        try (ManifestVerifier v = new ManifestVerifier(2)) {
            for (int i = 0; i < 1000; i++) {
                v.observed("f" + i, i, "CRC32C", Integer.toHexString(i));
            }
            assertEquals(998, v.spilled());
            // in order, then a stretch out of order, then in order again
            for (int i = 0; i < 500; i++) {
                v.check(new ManifestFile("f" + i, i, "CRC32C", Integer.toHexString(i)));
            }
            for (int i = 599; i >= 500; i--) {
                v.check(new ManifestFile("f" + i, i, "CRC32C", Integer.toHexString(i)));
            }
            for (int i = 600; i < 999; i++) {
                v.check(new ManifestFile("f" + i, i, "CRC32C", Integer.toHexString(i)));
            }
            v.check(new ManifestFile("f999", 999, "CRC32C", "0"));
            List<String> problems = v.finish().stream().map(ManifestVerifier.Problem::toString).toList();
            assertEquals(List.of("'f999' has CRC32C 3e7, the manifest says 0"), problems);
        }
    }

    @Test
    void verifierFindsExtraFilesInTheSpilledPart() {
        ManifestVerifier v = new ManifestVerifier(1);
        v.observed("a", 1, "NONE", "");
        v.observed("b", 1, "NONE", "");
        v.observed("c", 1, "NONE", "");
        v.check(new ManifestFile("a", 1, "NONE", ""));
        v.check(new ManifestFile("c", 1, "NONE", ""));
        assertEquals(List.of("'b' was received but is not in the manifest"),
                v.finish().stream().map(ManifestVerifier.Problem::toString).toList());
    }
}
