package io.walvault.core.manifest;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.async.ByteArrayFeeder;
import io.walvault.core.wal.Lsn;
import io.walvault.core.wal.TimelineId;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Parses a PostgreSQL backup_manifest as it streams in, without holding it: each entry of
 * {@code Files} is handed to a consumer as soon as its object closes, and the manifest's own
 * {@code Manifest-Checksum} (SHA-256 over everything up to and including the newline before the
 * last line) is computed on the way and checked at {@link #finish()}. Memory: one line of the
 * manifest plus the parser's state, whatever the number of files.
 *
 * <p>Format: docs "Backup Manifest Format" (versions 1 and 2). Not thread-safe.
 */
public final class ManifestParser {

    private static final int MAX_LINE = 1024 * 1024;

    private final Consumer<ManifestFile> files;
    private final JsonParser parser;
    private final ByteArrayFeeder feeder;
    private final MessageDigest confirmed;
    private final ByteArrayOutputStream lastLine = new ByteArrayOutputStream();
    private final ByteArrayOutputStream tail = new ByteArrayOutputStream();
    private int newlines;

    // parse state
    private int depth;
    private String topField;
    private String field;
    private boolean inFile;
    private boolean inRange;
    private String fPath;
    private long fSize = -1;
    private String fAlgorithm;
    private String fChecksum;
    private String rTimeline;
    private String rStart;
    private String rEnd;
    private Integer version;
    private String systemId;
    private String manifestChecksum;
    private final List<WalRange> ranges = new ArrayList<>();
    private long fileCount;
    private boolean done;

    public ManifestParser(Consumer<ManifestFile> files) {
        this.files = requireNonNull(files, "files is null");
        try {
            this.parser = new JsonFactory().createNonBlockingByteArrayParser();
            this.confirmed = MessageDigest.getInstance("SHA-256");
        } catch (IOException | NoSuchAlgorithmException e) {
            throw new IllegalStateException("cannot create the manifest parser", e);
        }
        this.feeder = (ByteArrayFeeder) parser.getNonBlockingInputFeeder();
    }

    /** Feeds the next bytes of the manifest. */
    public void write(ByteBuffer chunk) {
        byte[] bytes = new byte[chunk.remaining()];
        chunk.get(bytes);
        digestLines(bytes);
        try {
            feeder.feedInput(bytes, 0, bytes.length);
            drain();
        } catch (IOException e) {
            throw new ManifestFormatException("backup_manifest is not valid JSON: " + e.getMessage(), e);
        }
    }

    /** Checks the manifest is complete and its own checksum is right; returns what it says. */
    public ManifestSummary finish() {
        try {
            feeder.endOfInput();
            drain();
        } catch (IOException e) {
            throw new ManifestFormatException("backup_manifest is not valid JSON: " + e.getMessage(), e);
        }
        if (!done) {
            throw new ManifestFormatException("backup_manifest is truncated");
        }
        if (version == null) {
            throw new ManifestFormatException("backup_manifest has no PostgreSQL-Backup-Manifest-Version");
        }
        if (manifestChecksum == null) {
            throw new ManifestFormatException("backup_manifest has no Manifest-Checksum");
        }
        if (newlines < 2) {
            throw new ManifestFormatException("backup_manifest has fewer than two lines, so no checksummed part");
        }
        String actual = HexFormat.of().formatHex(confirmed.digest());
        if (!actual.equalsIgnoreCase(manifestChecksum)) {
            throw new ManifestFormatException("backup_manifest checksum mismatch: it says " + manifestChecksum
                    + ", its content hashes to " + actual);
        }
        return new ManifestSummary(version, Optional.ofNullable(systemId), ranges, fileCount, manifestChecksum);
    }

    /** Keeps the digest one line behind: at the end it covers everything before the last line. */
    private void digestLines(byte[] bytes) {
        int start = 0;
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == '\n') {
                tail.write(bytes, start, i + 1 - start);
                start = i + 1;
                byte[] l = lastLine.toByteArray();
                confirmed.update(l);
                lastLine.reset();
                lastLine.writeBytes(tail.toByteArray());
                tail.reset();
                newlines++;
            }
        }
        tail.write(bytes, start, bytes.length - start);
        if (tail.size() > MAX_LINE || lastLine.size() > MAX_LINE) {
            throw new ManifestFormatException("backup_manifest has a line longer than " + MAX_LINE + " bytes");
        }
    }

    private void drain() throws IOException {
        JsonToken t;
        while ((t = parser.nextToken()) != null && t != JsonToken.NOT_AVAILABLE) {
            token(t);
        }
    }

    private void token(JsonToken t) throws IOException {
        if (done) {
            throw new ManifestFormatException("backup_manifest has content after its closing brace");
        }
        switch (t) {
            case START_OBJECT -> {
                depth++;
                if (depth == 1) {
                    return;
                }
                if (depth == 3 && "Files".equals(topField)) {
                    inFile = true;
                    fPath = null;
                    fSize = -1;
                    fAlgorithm = "NONE";
                    fChecksum = "";
                } else if (depth == 3 && "WAL-Ranges".equals(topField)) {
                    inRange = true;
                    rTimeline = null;
                    rStart = null;
                    rEnd = null;
                } else {
                    throw new ManifestFormatException("backup_manifest has an unexpected object in '" + topField + "'");
                }
            }
            case END_OBJECT -> {
                if (depth == 3 && inFile) {
                    inFile = false;
                    if (fPath == null || fSize < 0) {
                        throw new ManifestFormatException("backup_manifest has a file entry without Path or Size");
                    }
                    fileCount++;
                    files.accept(new ManifestFile(fPath, fSize, fAlgorithm, fChecksum.toLowerCase()));
                } else if (depth == 3 && inRange) {
                    inRange = false;
                    try {
                        ranges.add(new WalRange(TimelineId.of(Long.parseLong(rTimeline)), Lsn.parse(rStart), Lsn.parse(rEnd)));
                    } catch (RuntimeException e) {
                        throw new ManifestFormatException("backup_manifest has an invalid WAL range: " + e.getMessage(), e);
                    }
                } else if (depth == 1) {
                    done = true;
                }
                depth--;
            }
            case START_ARRAY -> {
                depth++;
                if (depth != 2 || !("Files".equals(topField) || "WAL-Ranges".equals(topField))) {
                    throw new ManifestFormatException("backup_manifest has an unexpected array in '" + topField + "'");
                }
            }
            case END_ARRAY -> depth--;
            case FIELD_NAME -> {
                if (depth == 1) {
                    topField = parser.currentName();
                } else {
                    field = parser.currentName();
                }
            }
            default -> scalar();
        }
    }

    private void scalar() throws IOException {
        String text = parser.getText();
        if (depth == 1) {
            switch (topField) {
                case "PostgreSQL-Backup-Manifest-Version" -> {
                    version = parser.getIntValue();
                    if (version != 1 && version != 2) {
                        throw new ManifestFormatException("backup_manifest version " + version + " is not supported (1 or 2)");
                    }
                }
                case "System-Identifier" -> systemId = text;
                case "Manifest-Checksum" -> manifestChecksum = text;
                default -> { } // unknown top-level keys are ignored, as pg_verifybackup would refuse them but newer servers may add some
            }
        } else if (inFile) {
            switch (field) {
                case "Path" -> fPath = text;
                case "Encoded-Path" -> {
                    try {
                        fPath = new String(HexFormat.of().parseHex(text), StandardCharsets.UTF_8);
                    } catch (IllegalArgumentException e) {
                        throw new ManifestFormatException("backup_manifest has an invalid Encoded-Path '" + text + "'", e);
                    }
                }
                case "Size" -> fSize = parser.getLongValue();
                case "Checksum-Algorithm" -> fAlgorithm = text;
                case "Checksum" -> fChecksum = text;
                default -> { }
            }
        } else if (inRange) {
            switch (field) {
                case "Timeline" -> rTimeline = text;
                case "Start-LSN" -> rStart = text;
                case "End-LSN" -> rEnd = text;
                default -> { }
            }
        } else {
            throw new ManifestFormatException("backup_manifest has an unexpected value in '" + topField + "'");
        }
    }
}
