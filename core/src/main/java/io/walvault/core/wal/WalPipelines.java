package io.walvault.core.wal;

import static java.util.Objects.requireNonNull;

import io.walvault.core.pipeline.DiscardSink;
import io.walvault.core.pipeline.Sink;
import io.walvault.core.pipeline.Stage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.OptionalLong;

/**
 * The one factory of WAL chains: every WAL file walvault stores, restores or checks passes the
 * same check, put in front of where the bytes go, built backwards from that sink:
 *
 * <pre>
 *  archive:  bytes ─▶ check ─▶ the object writer (compress ▶ encrypt ▶ store; WalArchive.put)
 *  restore:  decoded object ─▶ check ─▶ a temporary file beside %p (archive-get's WalFileWriter)
 *  check:    decoded object ─▶ check ─▶ discard (verify)
 *
 *  check = segments and .partial: {@link WalValidateStage} (page headers, system identifier,
 *          segment size from the first page); history files: parsed as timeline histories;
 *          backup history files: as they are (text for people)
 * </pre>
 *
 * The check finishes before the sink behind it does, so what fails it is never published,
 * renamed into place or reported as good.
 */
public final class WalPipelines {

    private WalPipelines() {
    }

    /** The head of a chain: write the file's bytes, then finish; the segment size it learned. */
    public static final class Chain implements Sink {
        private final Sink head;
        private final WalValidateStage segment;

        private Chain(Sink head, WalValidateStage segment) {
            this.head = head;
            this.segment = segment;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            head.write(b, off, len);
        }

        @Override
        public void finish() throws IOException {
            head.finish();
        }

        @Override
        public void close() throws IOException {
            head.close();
        }

        /** The segment size the file's first page declared (segments and partials; 0 for other files). */
        public long segmentSize() {
            return segment == null ? 0 : segment.segmentSize();
        }
    }

    /** Storing {@code name} of cluster {@code systemId} through {@code writer} (its object writer). */
    public static Chain forArchive(WalFileName name, long systemId, Sink writer) {
        return checked(name, OptionalLong.of(systemId), writer);
    }

    /** Restoring {@code name} into {@code file} (a sink on a temporary file the caller renames once finished). */
    public static Chain forRestore(WalFileName name, OptionalLong systemId, Sink file) {
        return checked(name, systemId, file);
    }

    /** Checking {@code name} as it is decoded, keeping nothing. */
    public static Chain forCheck(WalFileName name, OptionalLong systemId) {
        return checked(name, systemId, new DiscardSink());
    }

    private static Chain checked(WalFileName name, OptionalLong systemId, Sink next) {
        requireNonNull(name, "name is null");
        requireNonNull(next, "next is null");
        return switch (name.kind()) {
            case SEGMENT, PARTIAL -> {
                WalValidateStage s = new WalValidateStage(next, name, systemId);
                yield new Chain(s, s);
            }
            case HISTORY -> new Chain(new HistoryCheckStage(next, name), null);
            case BACKUP_HISTORY -> new Chain(next, null);
        };
    }

    /** Holds a timeline history file (a few hundred bytes) and parses it before passing it on. */
    private static final class HistoryCheckStage extends Stage {
        private static final int MAX = 1 << 20;
        private final WalFileName name;
        private final ByteArrayOutputStream content = new ByteArrayOutputStream();

        HistoryCheckStage(Sink next, WalFileName name) {
            super(next);
            this.name = name;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            checkWritable();
            if (content.size() + len > MAX) {
                throw new InvalidWalException("timeline history file '" + name + "' is longer than " + MAX + " bytes");
            }
            content.write(b, off, len);
        }

        @Override
        protected void onFinish() throws IOException {
            try {
                TimelineHistory.parse(name.timeline(), content.toString(StandardCharsets.UTF_8));
            } catch (IllegalArgumentException e) {
                throw new InvalidWalException("timeline history file '" + name + "' is not one: " + e.getMessage());
            }
            byte[] bytes = content.toByteArray();
            next.write(bytes, 0, bytes.length);
        }
    }
}
