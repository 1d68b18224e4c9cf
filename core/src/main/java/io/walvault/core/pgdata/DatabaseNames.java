package io.walvault.core.pgdata;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The databases of a cluster, read from a copy of pg_database's heap file: the OID and name of
 * each row (the first two columns in PostgreSQL 14 to 18: {@code oid} at the tuple's data offset,
 * {@code datname}, 64 bytes, right after it).
 *
 * <p>The copy comes from a backup taken while the server ran, so rows that an UPDATE, DROP or
 * RENAME replaced may still be on its pages. A row whose deleting transaction is not known to
 * have failed (t_xmax set, no "xmax invalid" hint, not a mere lock) is left out when the same
 * OID has a row without one; this leaves the names as of the backup's start, which is what the
 * backup's files hold. Pages that do not parse (a torn page is repaired by recovery, not here)
 * are skipped line by line. Stateless.
 */
public final class DatabaseNames {

    /** One database: its OID (the name of its directory under base/) and its name. */
    public record Database(long oid, String name) {
    }

    private static final int PAGE_HEADER = 24;
    private static final int LP_NORMAL = 1;
    private static final int NAME_LENGTH = 64;
    private static final int HEAP_XMAX_LOCK_ONLY = 0x0080;
    private static final int HEAP_XMIN_COMMITTED = 0x0100;
    private static final int HEAP_XMIN_INVALID = 0x0200;
    private static final int HEAP_XMAX_INVALID = 0x0800;

    private DatabaseNames() {
    }

    /** Every database in {@code heap} (pg_database's file, whole pages), one entry per OID, in page order. */
    public static List<Database> parse(byte[] heap) {
        ByteBuffer b = ByteBuffer.wrap(heap).order(ByteOrder.nativeOrder());
        Map<Long, List<String>> live = new LinkedHashMap<>();
        Map<Long, List<String>> replaced = new LinkedHashMap<>();
        int pageSize = heap.length >= PAGE_HEADER ? b.getShort(18) & 0xFF00 : 0;
        if (pageSize < 1024) {
            pageSize = 8192;
        }
        for (int page = 0; page + pageSize <= heap.length; page += pageSize) {
            int lower = b.getShort(page + 12) & 0xFFFF;
            if (lower < PAGE_HEADER || lower > pageSize) {
                continue; // a new (all-zero) page, or not a heap page
            }
            for (int lp = page + PAGE_HEADER; lp + 4 <= page + lower; lp += 4) {
                int item = b.getInt(lp);
                int off = item & 0x7FFF;
                int flags = (item >>> 15) & 0x3;
                int len = item >>> 17;
                if (flags != LP_NORMAL || off < PAGE_HEADER || off + len > pageSize || len < 24) {
                    continue;
                }
                int t = page + off;
                int hoff = b.get(t + 22) & 0xFF;
                if (hoff < 23 || hoff + 4 + NAME_LENGTH > len) {
                    continue;
                }
                int infomask = b.getShort(t + 20) & 0xFFFF;
                boolean frozen = (infomask & (HEAP_XMIN_COMMITTED | HEAP_XMIN_INVALID)) == (HEAP_XMIN_COMMITTED | HEAP_XMIN_INVALID);
                if ((infomask & HEAP_XMIN_INVALID) != 0 && !frozen) {
                    continue; // inserted by a transaction known to have failed
                }
                long xmax = Integer.toUnsignedLong(b.getInt(t + 4));
                boolean deleted = xmax != 0 && (infomask & (HEAP_XMAX_INVALID | HEAP_XMAX_LOCK_ONLY)) == 0;
                long oid = Integer.toUnsignedLong(b.getInt(t + hoff));
                String name = name(heap, t + hoff + 4);
                if (name.isEmpty()) {
                    continue;
                }
                (deleted ? replaced : live).computeIfAbsent(oid, k -> new ArrayList<>()).add(name);
            }
        }
        List<Database> out = new ArrayList<>();
        live.forEach((oid, names) -> out.add(new Database(oid, names.get(names.size() - 1))));
        replaced.forEach((oid, names) -> {
            if (!live.containsKey(oid)) {
                out.add(new Database(oid, names.get(names.size() - 1)));
            }
        });
        return out;
    }

    private static String name(byte[] heap, int at) {
        int end = at;
        while (end < at + NAME_LENGTH && heap[end] != 0) {
            end++;
        }
        return new String(heap, at, end - at, StandardCharsets.UTF_8);
    }
}
