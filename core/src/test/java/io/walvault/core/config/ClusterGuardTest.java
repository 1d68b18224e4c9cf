package io.walvault.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClusterGuardTest {

    @TempDir
    Path dir;

    private Path config(String text) throws Exception {
        Path p = dir.resolve("main.conf");
        Files.writeString(p, text);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-r--r--"));
        return p;
    }

    @Test
    void aSectionRecordsItsClusterAtFirstUseAndRefusesAnotherAfterwards() throws Exception {
        Path c = config("repo = /srv/repo\n[cluster main]\n[cluster other]\n");
        Settings main = Settings.load(SettingNames.CORE, Map.of(), c, "main", Map.of());
        ClusterGuard.of(main, w -> { }).check(7400000000000000001L);
        Path identity = dir.resolve("main.conf.identity");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(identity)));
        assertTrue(Files.readString(identity).contains("walvault-identity 1\nmain 7400000000000000001\n"), Files.readString(identity));

        // the same cluster again, in a new process: accepted
        ClusterGuard.of(main, w -> { }).check(7400000000000000001L);
        // another section records its own, beside it
        ClusterGuard.of(Settings.load(SettingNames.CORE, Map.of(), c, null, Map.of("WALVAULT_CLUSTER", "other")), w -> { })
                .check(7400000000000000002L);
        assertEquals(Map.of("main", 7400000000000000001L, "other", 7400000000000000002L),
                ClusterIdentityFile.beside(c).read());

        // the configuration copied onto another server: refused, and the record stays
        WalvaultException e = assertThrows(WalvaultException.class, () -> ClusterGuard.of(main, w -> { }).check(7400000000000000009L));
        assertEquals(ErrorCode.CLUSTER_MISMATCH, e.code());
        assertEquals(6, e.code().exitCode());
        assertTrue(e.getMessage().startsWith("the server is cluster 7400000000000000009, but [cluster main] of config file '" + c
                + "' was first used with cluster 7400000000000000001 (recorded in '" + identity + "')"), e.getMessage());
        assertTrue(e.getMessage().contains("remove the line 'main 7400000000000000001' from '" + identity + "'"), e.getMessage());
        assertEquals(OptionalLong.of(7400000000000000001L), ClusterIdentityFile.beside(c).recorded("main"));
    }

    @Test
    void noSectionOrAPinnedSystemIdentifierMeansNoGuard() throws Exception {
        Path c = config("repo = /srv/repo\n[cluster main]\nsystem-identifier = 7400000000000000001\n");
        assertSame(ClusterGuard.NONE, ClusterGuard.of(Settings.load(SettingNames.CORE, Map.of(), c, null, Map.of()), w -> { }));
        assertSame(ClusterGuard.NONE, ClusterGuard.of(Settings.load(SettingNames.CORE, Map.of(), c, "main", Map.of()), w -> { }),
                "system-identifier pins the cluster by itself (the commands compare it)");
        ClusterGuard.NONE.check(1);
        assertTrue(Files.notExists(dir.resolve("main.conf.identity")));
    }

    @Test
    void anIdentityFileOfAnotherFormatVersionIsRefused() throws Exception {
        Path c = config("[cluster main]\n");
        Files.writeString(dir.resolve("main.conf.identity"), "walvault-identity 2\nmain 1\n");
        WalvaultException e = assertThrows(WalvaultException.class,
                () -> ClusterGuard.of(Settings.load(SettingNames.CORE, Map.of(), c, "main", Map.of()), w -> { }).check(1));
        assertEquals(ErrorCode.CONFIG, e.code());
        assertTrue(e.getMessage().contains("line 1 has format version 2, which this walvault does not know"), e.getMessage());
    }
}
