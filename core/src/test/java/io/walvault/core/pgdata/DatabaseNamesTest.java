package io.walvault.core.pgdata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/**
 * Over the files of a PostgreSQL 15 cluster in which databases were created, one renamed
 * ({@code old_name} to {@code reports}) and one dropped ({@code gone}), then checkpointed:
 * pg_database's heap file and global/pg_filenode.map as the server wrote them.
 */
class DatabaseNamesTest {

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = DatabaseNamesTest.class.getResourceAsStream(name)) {
            return in.readAllBytes();
        }
    }

    @Test
    void theServersOwnFileGivesTheLiveDatabasesAndNoReplacedRow() throws IOException {
        List<DatabaseNames.Database> dbs = DatabaseNames.parse(resource("pg_database.heap"));
        assertEquals(List.of(new DatabaseNames.Database(1, "template1"), new DatabaseNames.Database(4, "template0"),
                new DatabaseNames.Database(5, "postgres"), new DatabaseNames.Database(16384, "sales"),
                new DatabaseNames.Database(16385, "reports"), new DatabaseNames.Database(16387, "ünï cödé")),
                dbs.stream().filter(d -> d.oid() != 16386).sorted((a, b) -> Long.compare(a.oid(), b.oid())).toList());
        assertTrue(dbs.stream().noneMatch(d -> d.name().equals("old_name")), "the renamed row's old version: " + dbs);
    }

    @Test
    void theReplacedRowLosesWhereverItStandsOnThePage() throws IOException {
        // after pruning, a row's new version can stand before its old one: swap their line pointers
        byte[] heap = resource("pg_database.heap");
        ByteBuffer b = ByteBuffer.wrap(heap).order(ByteOrder.nativeOrder());
        int lower = b.getShort(12) & 0xFFFF;
        int oldRow = -1;
        int newRow = -1;
        for (int lp = 24; lp < lower; lp += 4) {
            int off = b.getInt(lp) & 0x7FFF;
            String name = new String(heap, off + (heap[off + 22] & 0xFF) + 4, 8, StandardCharsets.ISO_8859_1);
            oldRow = name.startsWith("old_name") ? lp : oldRow;
            newRow = name.startsWith("reports") ? lp : newRow;
        }
        assertTrue(oldRow > 0 && newRow > oldRow, "the old row stands first in the server's file");
        int o = b.getInt(oldRow);
        b.putInt(oldRow, b.getInt(newRow));
        b.putInt(newRow, o);
        assertEquals(List.of("reports"), DatabaseNames.parse(heap).stream().filter(d -> d.oid() == 16385)
                .map(DatabaseNames.Database::name).toList());
    }

    @Test
    void aDroppedDatabaseStaysOnlyWhenNoLiveRowHasItsOid() throws IOException {
        // its row is deleted; nothing replaced it, so its last name is kept (its directory is gone from a later backup)
        List<DatabaseNames.Database> dbs = DatabaseNames.parse(resource("pg_database.heap"));
        assertEquals(List.of("gone"), dbs.stream().filter(d -> d.oid() == 16386).map(DatabaseNames.Database::name).toList());
    }

    @Test
    void zeroPagesAndGarbageLinePointersAreSkipped() throws IOException {
        byte[] heap = resource("pg_database.heap");
        byte[] twoPages = new byte[heap.length * 2];
        System.arraycopy(heap, 0, twoPages, heap.length, heap.length); // a new page first
        assertEquals(DatabaseNames.parse(heap), DatabaseNames.parse(twoPages));
        byte[] torn = heap.clone();
        ByteBuffer b = ByteBuffer.wrap(torn).order(ByteOrder.nativeOrder());
        int lower = b.getShort(12) & 0xFFFF;
        int corrupted = 0;
        for (int lp = 24; lp < lower; lp += 4) {
            int off = b.getInt(lp) & 0x7FFF;
            int hoff = torn[off + 22] & 0xFF;
            if (new String(torn, off + hoff + 4, 5, StandardCharsets.UTF_8).equals("sales")) {
                b.putInt(lp, 0xFFFF_FFFF); // its line pointer now points past the page
                corrupted++;
            }
        }
        assertEquals(1, corrupted);
        List<DatabaseNames.Database> left = DatabaseNames.parse(torn);
        assertEquals(DatabaseNames.parse(heap).size() - 1, left.size());
        assertTrue(left.stream().noneMatch(d -> d.name().equals("sales")), left.toString());
    }

    @Test
    void theMapNamesPgDatabasesFile() throws IOException {
        assertEquals(OptionalLong.of(1262), RelationMap.fileNumberOf(resource("pg_filenode.map"), RelationMap.PG_DATABASE));
        assertEquals(OptionalLong.empty(), RelationMap.fileNumberOf(resource("pg_filenode.map"), 99999));
        assertThrows(IllegalArgumentException.class, () -> RelationMap.fileNumberOf(new byte[512], RelationMap.PG_DATABASE));
    }
}
