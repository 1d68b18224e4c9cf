package io.walvault.core.storage;

import io.walvault.core.storage.memory.MemoryStorage;

class MemoryStorageContractTest extends AbstractStorageContractTest {

    @Override
    protected Storage storage() {
        return new MemoryStorage();
    }

    @Override
    protected boolean unfinishedWritesLeaveRemains() {
        return false; // an unfinished write's bytes are in the sink, not the map
    }

    @Override
    protected boolean supportsLargeObjects() {
        return false;
    }
}
