package io.walvault.archiver.backup;

import static java.util.Objects.requireNonNull;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.text.JsonText;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The server's backup_manifest of an incremental read, rewritten as it streams so that it
 * describes the files the backup stores: each {@code INCREMENTAL.<name>} entry becomes the
 * rebuilt file's (its path, size and CRC-32C), backup_label's entry the label without its
 * INCREMENTAL lines, and the Manifest-Checksum is computed again over the rewritten text. Every
 * other byte is the server's. It relies on the layout PostgreSQL writes: one file entry per line,
 * {@code { "Path": ..., "Size": N, "Last-Modified": ..., "Checksum-Algorithm": ..., "Checksum": ... }};
 * a line of another shape for a file it must rewrite fails the backup. Memory: one line, and the
 * rewritten entries (about 150 bytes a rebuilt file).
 */
final class ServerManifestRewrite {

    private static final Pattern ENTRY = Pattern.compile(
            "^\\{ \"Path\": \"((?:[^\"\\\\]|\\\\.)*)\", \"Size\": (\\d+), (.*\"Checksum\": \")([0-9a-f]*)(\" \\}.*)$",
            Pattern.DOTALL);
    private static final String CHECKSUM_LINE = "\"Manifest-Checksum\": ";
    private static final int MAX_LINE = 1 << 20;

    /** What a file entry says after the rewrite. */
    record Entry(String path, long size, String crc32cHex) {
    }

    /** Where the rewritten bytes go. */
    interface Out {
        void write(byte[] b, int off, int len) throws IOException;
    }

    private final Out out;
    private final Map<String, Entry> entries = new HashMap<>();
    private final MessageDigest sha;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();
    private boolean done;

    ServerManifestRewrite(Out out) {
        this.out = requireNonNull(out, "out is null");
        try {
            this.sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    /** The entry of the server's file {@code serverPath} becomes {@code entry}. */
    void replace(String serverPath, Entry entry) {
        entries.put(requireNonNull(serverPath, "serverPath is null"), requireNonNull(entry, "entry is null"));
    }

    /** The next bytes of the server's manifest. */
    void write(ByteBuffer data) throws IOException {
        ByteBuffer d = data.duplicate();
        while (d.hasRemaining()) {
            byte b = d.get();
            line.write(b);
            if (b == '\n') {
                line(line.toString(StandardCharsets.UTF_8));
                line.reset();
            } else if (line.size() > MAX_LINE) {
                throw unexpected("a line longer than " + MAX_LINE + " bytes");
            }
        }
    }

    /** After the last bytes: checks every entry to rewrite was found. */
    void finish() throws IOException {
        if (line.size() > 0) {
            line(line.toString(StandardCharsets.UTF_8));
            line.reset();
        }
        if (!done) {
            throw unexpected("no Manifest-Checksum");
        }
        if (!entries.isEmpty()) {
            throw unexpected("no entry for '" + entries.keySet().iterator().next() + "'");
        }
    }

    private void line(String text) throws IOException {
        if (done) {
            throw unexpected("text after the Manifest-Checksum");
        }
        if (text.startsWith(CHECKSUM_LINE)) {
            emit(CHECKSUM_LINE + "\"" + HexFormat.of().formatHex(sha.digest()) + "\"}\n", false);
            done = true;
            return;
        }
        if (text.startsWith("{ \"Path\": ")) {
            Matcher m = ENTRY.matcher(text);
            if (!m.matches()) {
                if (!entries.isEmpty() && text.contains(IncrementalRebuild.PREFIX)) {
                    throw unexpected("an entry of an unexpected shape: " + text.strip());
                }
            } else {
                Entry e = entries.remove(JsonText.body(m.group(1)));
                if (e != null) {
                    text = "{ \"Path\": " + JsonText.literal(e.path()) + ", \"Size\": " + e.size() + ", " + m.group(3)
                            + e.crc32cHex() + m.group(5);
                    if (!m.group(3).contains("\"Checksum-Algorithm\": \"CRC32C\"")) {
                        throw unexpected("the entry of '" + e.path() + "' is not checksummed with CRC32C");
                    }
                }
            }
        }
        emit(text, true);
    }

    private void emit(String text, boolean checksummed) throws IOException {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        if (checksummed) {
            sha.update(b);
        }
        out.write(b, 0, b.length);
    }

    private static WalvaultException unexpected(String what) {
        return new WalvaultException(ErrorCode.BACKUP_MANIFEST_MISMATCH, "the server's backup_manifest of an incremental"
                + " read could not be rewritten for the rebuilt files: it has " + what
                + " HINT: 'walvault backup --full' reads every file and keeps the server's manifest as it is");
    }
}
