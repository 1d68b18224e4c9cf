package io.walvault.restore.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TablespaceLayoutTest {

    private static final Path DATA = Path.of("/restore/data");

    @Test
    void tablespaceMapLinesWithPostgresEscapes() {
        Map<String, String> m = TablespaceLayout.parseTablespaceMap("16384 /srv/ts one\n16385 /srv/odd\\\nname\\\\x\n");
        assertEquals(Map.of("16384", "/srv/ts one", "16385", "/srv/odd\nname\\x"), m);
        TablespaceLayout l = TablespaceLayout.of(DATA, m, Map.of());
        assertEquals(m, TablespaceLayout.parseTablespaceMap(l.tablespaceMap()), l.tablespaceMap());
        assertEquals(ErrorCode.CORRUPT_DATA, assertThrows(WalvaultException.class,
                () -> TablespaceLayout.parseTablespaceMap("not-an-oid /x\n")).code());
    }

    @Test
    void placesFilesInTheDataDirectoryOrTheirTablespaceAndBackupLabelUnderAPendingName() {
        TablespaceLayout l = TablespaceLayout.of(DATA, Map.of("16384", "/srv/ts"), Map.of("/srv/ts/", "/new/ts"));
        assertTrue(l.remapped());
        assertEquals(Path.of("/new/ts/PG_18_202406281/5/16390"), l.place("pg_tblspc/16384/PG_18_202406281/5/16390"));
        assertEquals(DATA.resolve("base/5/1259"), l.place("base/5/1259"));
        assertEquals(DATA.resolve(TablespaceLayout.PENDING_BACKUP_LABEL), l.place("backup_label"));
        assertEquals("16384 /new/ts\n", l.tablespaceMap());
        assertEquals(ErrorCode.CORRUPT_DATA, assertThrows(WalvaultException.class, () -> l.place("pg_tblspc/99999/x")).code());
    }

    @Test
    void refusesMappingsThatNameNoTablespaceCollideOrOverlapTheDataDirectory() {
        Map<String, String> ts = Map.of("16384", "/srv/a", "16385", "/srv/b");
        WalvaultException unknown = assertThrows(WalvaultException.class,
                () -> TablespaceLayout.of(DATA, ts, Map.of("/srv/c", "/new/c")));
        assertEquals(ErrorCode.TABLESPACE_MAP_INVALID, unknown.code());
        assertTrue(unknown.getMessage().contains("'/srv/a' (oid 16384), '/srv/b' (oid 16385)"), unknown.getMessage());
        assertEquals(ErrorCode.TABLESPACE_MAP_INVALID, assertThrows(WalvaultException.class,
                () -> TablespaceLayout.of(DATA, ts, Map.of("/srv/a", "/srv/b"))).code());
        assertEquals(ErrorCode.TABLESPACE_MAP_INVALID, assertThrows(WalvaultException.class,
                () -> TablespaceLayout.of(DATA, ts, Map.of("/srv/a", "/restore/data/ts"))).code());
        assertEquals(ErrorCode.TABLESPACE_MAP_INVALID, assertThrows(WalvaultException.class,
                () -> TablespaceLayout.of(DATA, ts, Map.of("/srv/a", "relative"))).code());
    }
}
