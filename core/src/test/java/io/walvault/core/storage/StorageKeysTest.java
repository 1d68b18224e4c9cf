package io.walvault.core.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.walvault.core.error.WalvaultException;
import org.junit.jupiter.api.Test;

class StorageKeysTest {

    @Test
    void acceptsTheRepositoryKeys() {
        for (String k : new String[] {"walvault.json", "keyring/00000001.json",
                "clusters/7400000000000000001/wal/00000001/0000000100000000/000000010000000000000001.lz4.enc",
                "clusters/1/wal/00000001/0000000100000000/000000010000000000000002.00000028.backup.zst",
                "clusters/1/backups/20261121T063000Z/data/00000000.lz4.enc", "a+b=c_d-e"}) {
            assertEquals(k, StorageKeys.check(k));
        }
    }

    @Test
    void refusesPathTricksAndHiddenNames() {
        for (String k : new String[] {"", "/abs", "a//b", "a/", "..", "../x", "a/../b", "./a", ".tmp", "a/.b.tmp", "sp ace",
                "back\\slash", "ü", "x".repeat(StorageKeys.MAX_LENGTH + 1)}) {
            assertThrows(WalvaultException.class, () -> StorageKeys.check(k), k);
        }
    }

    @Test
    void prefixesMayEndWithASlash() {
        assertEquals("", StorageKeys.checkPrefix(""));
        assertEquals("wal/", StorageKeys.checkPrefix("wal/"));
        assertEquals("wal/0000", StorageKeys.checkPrefix("wal/0000"));
        assertThrows(WalvaultException.class, () -> StorageKeys.checkPrefix("../"));
    }
}
