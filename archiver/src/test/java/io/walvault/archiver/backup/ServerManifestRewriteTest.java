package io.walvault.archiver.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.error.WalvaultException;
import io.walvault.core.manifest.ManifestFile;
import io.walvault.core.manifest.ManifestParser;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * An incremental read's backup_manifest, rewritten for the files walvault stores: the incremental
 * file's entry becomes the rebuilt file's, backup_label's the stripped label's, the rest stays
 * the server's, and the Manifest-Checksum is valid again (the parser that checks the server's
 * manifest accepts it).
 */
class ServerManifestRewriteTest {

    @Test
    void theRebuiltFilesReplaceTheIncrementalEntriesAndTheChecksumIsValid() throws Exception {
        String manifest = serverManifest();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ServerManifestRewrite rewrite = new ServerManifestRewrite(out::write);
        rewrite.replace("base/5/INCREMENTAL.16384", new ServerManifestRewrite.Entry("base/5/16384", 4_194_304, "0a0b0c0d"));
        rewrite.replace("backup_label", new ServerManifestRewrite.Entry("backup_label", 200, "01020304"));
        byte[] in = manifest.getBytes(StandardCharsets.UTF_8);
        for (int off = 0; off < in.length; off += 7) { // pieces that cut lines anywhere
            rewrite.write(ByteBuffer.wrap(in, off, Math.min(7, in.length - off)));
        }
        rewrite.finish();

        List<ManifestFile> files = new ArrayList<>();
        ManifestParser parser = new ManifestParser(files::add);
        parser.write(ByteBuffer.wrap(out.toByteArray()));
        parser.finish(); // throws on a checksum mismatch
        assertEquals(List.of(new ManifestFile("backup_label", 200, "CRC32C", "01020304"),
                new ManifestFile("base/5/16384", 4_194_304, "CRC32C", "0a0b0c0d"),
                new ManifestFile("global/pg_control", 8192, "CRC32C", "11223344")), files);
    }

    @Test
    void anEntryToRewriteThatIsMissingFailsTheBackup() throws Exception {
        ServerManifestRewrite rewrite = new ServerManifestRewrite((b, off, len) -> { });
        rewrite.replace("base/5/INCREMENTAL.99999", new ServerManifestRewrite.Entry("base/5/99999", 8192, "00000000"));
        rewrite.write(ByteBuffer.wrap(serverManifest().getBytes(StandardCharsets.UTF_8)));
        WalvaultException e = assertThrows(WalvaultException.class, rewrite::finish);
        assertTrue(e.getMessage().contains("INCREMENTAL.99999") && e.getMessage().contains("--full"), e.getMessage());
    }

    @Test
    void theLabelLosesOnlyItsIncrementalLines() {
        String label = "START WAL LOCATION: 0/4000028 (file 000000010000000000000004)\nCHECKPOINT LOCATION: 0/4000080\n"
                + "INCREMENTAL FROM LSN: 0/2000028\nINCREMENTAL FROM TLI: 1\nLABEL: walvault\n";
        assertEquals("START WAL LOCATION: 0/4000028 (file 000000010000000000000004)\nCHECKPOINT LOCATION: 0/4000080\n"
                + "LABEL: walvault\n", BackupStreamListener.withoutIncrementalLines(label));
    }

    /** A manifest as PostgreSQL 17 writes one for an incremental backup. */
    private static String serverManifest() throws Exception {
        String body = "{ \"PostgreSQL-Backup-Manifest-Version\": 2,\n\"System-Identifier\": 7400000000000000001,\n\"Files\": [\n"
                + "{ \"Path\": \"backup_label\", \"Size\": 260, \"Last-Modified\": \"2026-12-05 10:00:00 GMT\","
                + " \"Checksum-Algorithm\": \"CRC32C\", \"Checksum\": \"aabbccdd\" },\n"
                + "{ \"Path\": \"base/5/INCREMENTAL.16384\", \"Size\": 24576, \"Last-Modified\": \"2026-12-05 10:00:00 GMT\","
                + " \"Checksum-Algorithm\": \"CRC32C\", \"Checksum\": \"deadbeef\" },\n"
                + "{ \"Path\": \"global/pg_control\", \"Size\": 8192, \"Last-Modified\": \"2026-12-05 10:00:00 GMT\","
                + " \"Checksum-Algorithm\": \"CRC32C\", \"Checksum\": \"11223344\" }\n"
                + "],\n\"WAL-Ranges\": [\n{ \"Timeline\": 1, \"Start-LSN\": \"0/4000028\", \"End-LSN\": \"0/4000120\" }\n],\n";
        byte[] sha = MessageDigest.getInstance("SHA-256").digest(body.getBytes(StandardCharsets.UTF_8));
        return body + "\"Manifest-Checksum\": \"" + HexFormat.of().formatHex(sha) + "\"}\n";
    }
}
