package io.walvault.core.pgdata;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.OptionalLong;

/**
 * A relation mapping file ({@code global/pg_filenode.map}): where the shared catalogs whose file
 * is not named by pg_class (pg_database among them) keep their data. Its layout, the same in
 * PostgreSQL 14 to 18: a 4-byte magic number (0x592717), the number of mappings, then that many
 * pairs of relation OID and file number (4 bytes each, the server's byte order), a CRC and
 * padding. Stateless.
 */
public final class RelationMap {

    /** The shared catalogs' mapping file's place in a data directory. */
    public static final String SHARED_PATH = "global/pg_filenode.map";
    /** pg_database's relation OID. */
    public static final int PG_DATABASE = 1262;

    static final int MAGIC = 0x592717;
    private static final int MAX_MAPPINGS = 64;

    private RelationMap() {
    }

    /**
     * The file number the map gives {@code relationOid}, or empty when it has no entry for it.
     *
     * @throws IllegalArgumentException when {@code map} is not a relation mapping file
     */
    public static OptionalLong fileNumberOf(byte[] map, int relationOid) {
        ByteBuffer b = ByteBuffer.wrap(map).order(ByteOrder.nativeOrder());
        if (map.length < 8 || b.getInt(0) != MAGIC) {
            throw new IllegalArgumentException("not a relation mapping file (no magic number 0x592717 at its start)");
        }
        int n = b.getInt(4);
        if (n < 0 || n > MAX_MAPPINGS || 8 + n * 8L > map.length) {
            throw new IllegalArgumentException("the relation mapping file claims " + n + " mappings in " + map.length + " bytes");
        }
        for (int i = 0; i < n; i++) {
            if (b.getInt(8 + i * 8) == relationOid) {
                return OptionalLong.of(Integer.toUnsignedLong(b.getInt(12 + i * 8)));
            }
        }
        return OptionalLong.empty();
    }
}
