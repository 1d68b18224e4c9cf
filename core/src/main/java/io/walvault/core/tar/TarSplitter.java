package io.walvault.core.tar;

import static java.util.Objects.requireNonNull;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Splits a tar byte stream, pushed in chunks of any size, into members without buffering their
 * content: headers are collected (512 bytes), content is handed on as slices of the input.
 * Strict: every header's checksum is verified, numeric fields must be well-formed, the archive
 * must end with its two zero blocks before {@link #finish()}, and only zeros may follow them.
 *
 * <p>Understands ustar (with the prefix field), GNU long names and links ({@code L}, {@code K}),
 * POSIX pax extended headers ({@code x}: path, linkpath, size; {@code g} is ignored), and
 * base-256 sizes, which is what PostgreSQL's BASE_BACKUP and common tar writers produce.
 *
 * <p>Not thread-safe: one producer feeds it.
 */
public final class TarSplitter {

    public static final int BLOCK = 512;
    /** Longest GNU long name or pax header accepted (they are held in memory). */
    private static final int MAX_META_BYTES = 1024 * 1024;

    private enum State { HEADER, DATA, PADDING, META, END }

    private final TarMemberHandler handler;
    private final byte[] header = new byte[BLOCK];
    private int headerFill;
    private State state = State.HEADER;
    private TarMember current;
    private long remaining;
    private int padding;
    private boolean previousBlockZero;
    private byte[] meta;
    private int metaFill;
    private char metaType;
    private String pendingPath;
    private String pendingLink;
    private long pendingSize = -1;
    private long offset;
    private long members;

    public TarSplitter(TarMemberHandler handler) {
        this.handler = requireNonNull(handler, "handler is null");
    }

    /** Feeds the next bytes of the archive (consumed completely). */
    public void write(ByteBuffer chunk) {
        while (chunk.hasRemaining()) {
            switch (state) {
                case HEADER -> {
                    int n = Math.min(BLOCK - headerFill, chunk.remaining());
                    chunk.get(header, headerFill, n);
                    headerFill += n;
                    offset += n;
                    if (headerFill == BLOCK) {
                        headerFill = 0;
                        onHeader();
                    }
                }
                case DATA -> {
                    int n = (int) Math.min(remaining, chunk.remaining());
                    ByteBuffer slice = chunk.slice();
                    slice.limit(n);
                    chunk.position(chunk.position() + n);
                    remaining -= n;
                    offset += n;
                    handler.memberData(slice.asReadOnlyBuffer());
                    if (remaining == 0) {
                        endMember();
                    }
                }
                case META -> {
                    int n = (int) Math.min(remaining, chunk.remaining());
                    chunk.get(meta, metaFill, n);
                    metaFill += n;
                    remaining -= n;
                    offset += n;
                    if (remaining == 0) {
                        onMeta();
                        toPaddingOrHeader(metaFill);
                    }
                }
                case PADDING -> {
                    int n = Math.min(padding, chunk.remaining());
                    for (int i = 0; i < n; i++) {
                        chunk.get();
                    }
                    padding -= n;
                    offset += n;
                    if (padding == 0) {
                        state = State.HEADER;
                    }
                }
                case END -> {
                    while (chunk.hasRemaining()) {
                        if (chunk.get() != 0) {
                            throw new TarFormatException("tar archive has data after its end-of-archive blocks at offset " + offset);
                        }
                        offset++;
                    }
                }
            }
        }
    }

    /** Checks that the archive ended properly (its two zero blocks were seen). */
    public void finish() {
        if (state != State.END) {
            String where = switch (state) {
                case DATA -> "in the content of '" + current.path() + "' (" + remaining + " bytes missing)";
                case META -> "in an extended header";
                default -> previousBlockZero ? "after the first of its two end blocks" : "before its end-of-archive blocks";
            };
            throw new TarFormatException("tar archive is truncated " + where + " at offset " + offset);
        }
    }

    /** Members seen so far. */
    public long members() {
        return members;
    }

    private void onHeader() {
        if (isZero(header)) {
            if (previousBlockZero) {
                state = State.END;
                if (pendingPath != null || pendingLink != null || pendingSize >= 0) {
                    throw new TarFormatException("tar archive ends after an extended header without its member");
                }
            }
            previousBlockZero = true;
            return;
        }
        if (previousBlockZero) {
            throw new TarFormatException("tar archive has a zero block followed by a header at offset " + (offset - BLOCK));
        }
        long stored = number(148, 8, "checksum");
        long sum = 0;
        long signedSum = 0;
        for (int i = 0; i < BLOCK; i++) {
            int b = i >= 148 && i < 156 ? ' ' : header[i];
            sum += b & 0xFF;
            signedSum += i >= 148 && i < 156 ? ' ' : header[i];
        }
        if (stored != sum && stored != signedSum) {
            throw new TarFormatException("tar header at offset " + (offset - BLOCK) + " has checksum " + stored
                    + " but its bytes sum to " + sum);
        }
        char typeflag = (char) (header[156] & 0xFF);
        long size = number(124, 12, "size");
        if (typeflag == 'L' || typeflag == 'K' || typeflag == 'x' || typeflag == 'g') {
            if (size > MAX_META_BYTES) {
                throw new TarFormatException("tar extended header at offset " + (offset - BLOCK) + " is " + size + " bytes long");
            }
            meta = new byte[(int) size];
            metaFill = 0;
            metaType = typeflag;
            remaining = size;
            state = State.META;
            if (size == 0) {
                onMeta();
                state = State.HEADER;
            }
            return;
        }
        String name = string(0, 100);
        String prefix = isUstar() ? string(345, 155) : "";
        String path = pendingPath != null ? pendingPath : prefix.isEmpty() ? name : prefix + "/" + name;
        String link = pendingLink != null ? pendingLink : string(157, 100);
        if (pendingSize >= 0) {
            size = pendingSize;
        }
        pendingPath = null;
        pendingLink = null;
        pendingSize = -1;
        TarMember.Type type = switch (typeflag) {
            case '0', '\0', '7' -> TarMember.Type.FILE;
            case '1' -> TarMember.Type.HARDLINK;
            case '2' -> TarMember.Type.SYMLINK;
            case '5' -> TarMember.Type.DIRECTORY;
            default -> TarMember.Type.OTHER;
        };
        // directories carry a trailing slash, and PostgreSQL writes one on pg_tblspc links too
        while (path.length() > 1 && path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        if (path.isEmpty()) {
            throw new TarFormatException("tar header at offset " + (offset - BLOCK) + " has an empty name");
        }
        int mode = (int) number(100, 8, "mode");
        long mtime = number(136, 12, "mtime");
        boolean hasData = type == TarMember.Type.FILE || type == TarMember.Type.OTHER && size > 0;
        current = new TarMember(path, type, hasData ? size : 0, mode, mtime,
                type == TarMember.Type.SYMLINK || type == TarMember.Type.HARDLINK ? link : "");
        members++;
        handler.memberStarted(current);
        remaining = hasData ? size : 0;
        if (remaining == 0) {
            endMember();
        } else {
            state = State.DATA;
        }
    }

    private void endMember() {
        TarMember done = current;
        current = null;
        handler.memberEnded(done);
        toPaddingOrHeader(done.size());
    }

    private void toPaddingOrHeader(long size) {
        padding = (int) ((BLOCK - size % BLOCK) % BLOCK);
        state = padding == 0 ? State.HEADER : State.PADDING;
    }

    private void onMeta() {
        String text = new String(meta, 0, metaFill, StandardCharsets.UTF_8);
        switch (metaType) {
            case 'L' -> pendingPath = stripNul(text);
            case 'K' -> pendingLink = stripNul(text);
            case 'x' -> parsePax(text);
            default -> { } // 'g': global pax header, nothing we use
        }
        meta = null;
    }

    private void parsePax(String text) {
        int i = 0;
        while (i < text.length()) {
            int space = text.indexOf(' ', i);
            if (space < 0) {
                throw new TarFormatException("malformed pax header record at offset " + offset);
            }
            int len;
            try {
                len = Integer.parseInt(text.substring(i, space));
            } catch (NumberFormatException e) {
                throw new TarFormatException("malformed pax header record length at offset " + offset);
            }
            // the length counts bytes; the records we use are ASCII keys with UTF-8 values
            byte[] rec = text.substring(i).getBytes(StandardCharsets.UTF_8);
            if (len <= space - i || len > rec.length) {
                throw new TarFormatException("malformed pax header record at offset " + offset);
            }
            String record = new String(rec, 0, len, StandardCharsets.UTF_8);
            int eq = record.indexOf('=');
            if (eq < 0 || !record.endsWith("\n")) {
                throw new TarFormatException("malformed pax header record at offset " + offset);
            }
            String key = record.substring(record.indexOf(' ') + 1, eq);
            String value = record.substring(eq + 1, record.length() - 1);
            switch (key) {
                case "path" -> pendingPath = value;
                case "linkpath" -> pendingLink = value;
                case "size" -> {
                    try {
                        pendingSize = Long.parseLong(value);
                    } catch (NumberFormatException e) {
                        throw new TarFormatException("malformed pax size '" + value + "' at offset " + offset);
                    }
                }
                default -> { }
            }
            i += record.length();
        }
    }

    private boolean isUstar() {
        return header[257] == 'u' && header[258] == 's' && header[259] == 't' && header[260] == 'a' && header[261] == 'r'
                && header[262] == 0;
    }

    private String string(int off, int len) {
        int end = off;
        while (end < off + len && header[end] != 0) {
            end++;
        }
        return new String(header, off, end - off, StandardCharsets.UTF_8);
    }

    private static String stripNul(String s) {
        int nul = s.indexOf('\0');
        return nul >= 0 ? s.substring(0, nul) : s;
    }

    /** An octal field (NUL/space padded) or a base-256 one (high bit of the first byte set). */
    private long number(int off, int len, String field) {
        if ((header[off] & 0x80) != 0) {
            if ((header[off] & 0x40) != 0) {
                throw new TarFormatException("tar header at offset " + (offset - BLOCK) + " has a negative " + field);
            }
            long v = header[off] & 0x3F;
            for (int i = 1; i < len; i++) {
                if (v > (Long.MAX_VALUE >> 8)) {
                    throw new TarFormatException("tar header at offset " + (offset - BLOCK) + " has a " + field + " out of range");
                }
                v = v << 8 | header[off + i] & 0xFF;
            }
            return v;
        }
        int i = off;
        int end = off + len;
        while (i < end && header[i] == ' ') {
            i++;
        }
        long v = 0;
        int digits = 0;
        while (i < end && header[i] >= '0' && header[i] <= '7') {
            v = v << 3 | header[i] - '0';
            i++;
            digits++;
        }
        while (i < end && (header[i] == ' ' || header[i] == 0)) {
            i++;
        }
        if (i != end || digits == 0 && !field.equals("mtime")) {
            throw new TarFormatException("tar header at offset " + (offset - BLOCK) + " has a malformed " + field + " field");
        }
        return v;
    }

    private static boolean isZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }
}
