package io.walvault.core.repo;

import io.walvault.core.error.CorruptDataException;
import io.walvault.core.pipeline.Sink;
import java.io.IOException;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * Splits a decoded manifest into lines and parses each as it completes: the header first, then
 * the entries (each handed on), then the end record, whose counts must match. Strict: a line
 * after the end, an unterminated last line, a line over 1 MiB or malformed JSON is corrupt data.
 */
final class ManifestLineParser implements Sink {
    private static final int MAX_LINE = 1024 * 1024;

    private final String key;
    private final Consumer<ManifestFile> files;
    private byte[] line = new byte[4096];
    private int filled;
    private long lineNo;
    private BackupCatalog.Header header;
    private boolean ended;
    private long count;
    private long bytes;

    ManifestLineParser(String key, Consumer<ManifestFile> files) {
        this.key = key;
        this.files = files;
    }

    @Override
    public void write(byte[] b, int off, int len) {
        for (int i = off; i < off + len; i++) {
            if (b[i] == '\n') {
                parse();
                filled = 0;
                continue;
            }
            if (filled == line.length) {
                if (line.length >= MAX_LINE) {
                    throw corrupt("line " + (lineNo + 1) + " is longer than " + MAX_LINE + " bytes");
                }
                line = Arrays.copyOf(line, line.length * 2);
            }
            line[filled++] = b[i];
        }
    }

    private void parse() {
        lineNo++;
        byte[] bytesOfLine = Arrays.copyOf(line, filled);
        if (ended) {
            throw corrupt("line " + lineNo + " follows the end record");
        }
        if (header == null) {
            header = Json.read(bytesOfLine, BackupCatalog.Header.class, key);
            if (header.walvaultManifest() < 1 || header.walvaultManifest() > BackupCatalog.MANIFEST_FORMAT || header.backup() == null) {
                throw corrupt("manifest format " + header.walvaultManifest() + " is not supported");
            }
            return;
        }
        String first;
        try {
            first = RecordJson.firstField(bytesOfLine);
        } catch (IOException e) {
            throw corrupt("line " + lineNo + " is not a JSON object");
        }
        if (first.equals("end")) { // the end record: {"end":{...}}; an entry starts with its path
            BackupCatalog.End e = Json.read(bytesOfLine, BackupCatalog.Trailer.class, key).end();
            if (e.files() != count || e.bytes() != bytes) {
                throw corrupt("the end record counts " + e.files() + " files of " + e.bytes() + " bytes but the manifest lists "
                        + count + " of " + bytes);
            }
            ended = true;
            return;
        }
        ManifestFile f = Json.read(bytesOfLine, ManifestFile.class, key);
        count++;
        bytes += f.size();
        files.accept(f);
    }

    private CorruptDataException corrupt(String what) {
        return new CorruptDataException("object '" + key + "' is corrupt: " + what);
    }

    @Override
    public void finish() {
        if (filled != 0) {
            throw corrupt("the last line is not terminated");
        }
    }

    @Override
    public void close() {
    }

    /** Whether the end record was read. */
    boolean ended() {
        return ended;
    }

    /** The header line, or null before it. */
    BackupCatalog.Header header() {
        return header;
    }
}
