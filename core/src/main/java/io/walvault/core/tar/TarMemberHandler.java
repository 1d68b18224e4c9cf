package io.walvault.core.tar;

import java.nio.ByteBuffer;

/**
 * Receives a tar archive member by member from {@link TarSplitter}: for each member exactly one
 * {@link #memberStarted}, then its content in order through {@link #memberData} (regular files
 * only; no padding), then exactly one {@link #memberEnded}. Called on the thread that feeds the
 * splitter. The buffers are read-only views valid only during the call: copy what you keep.
 */
public interface TarMemberHandler {

    void memberStarted(TarMember member);

    void memberData(ByteBuffer data);

    void memberEnded(TarMember member);
}
