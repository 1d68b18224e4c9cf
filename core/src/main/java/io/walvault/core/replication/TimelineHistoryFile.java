package io.walvault.core.replication;

import static java.util.Objects.requireNonNull;

import io.walvault.core.wal.TimelineHistory;

/**
 * A timeline history file as TIMELINE_HISTORY returns it.
 *
 * @param fileName {@code 00000002.history}
 * @param content the file's exact bytes (archive these)
 * @param history the parsed content
 */
public record TimelineHistoryFile(String fileName, byte[] content, TimelineHistory history) {
    public TimelineHistoryFile {
        requireNonNull(fileName, "fileName is null");
        content = requireNonNull(content, "content is null").clone();
        requireNonNull(history, "history is null");
    }

    @Override
    public byte[] content() {
        return content.clone();
    }
}
