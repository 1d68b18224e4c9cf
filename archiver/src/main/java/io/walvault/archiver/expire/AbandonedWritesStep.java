package io.walvault.archiver.expire;

import static java.util.Objects.requireNonNull;

import io.walvault.core.storage.AbandonedWrites;
import io.walvault.core.storage.Storage;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;

/**
 * The last step of {@link Expire}: removes what writes killed half-way left in the repository
 * (a push or backup killed with SIGKILL, an OOM kill, a host crash): posix hidden temporary
 * files, S3 incomplete multipart uploads. Only those untouched for the orphan grace period, so
 * that a push or backup still writing is never disturbed. Repository-wide: a temporary file
 * belongs to no cluster until it is published. Through {@link Storage#removeAbandonedWrites}, so
 * the report says only what the storage actually removed.
 */
public final class AbandonedWritesStep {

    /**
     * What the step removed (or, in a dry run, would remove).
     *
     * @param writes what the storage removed
     * @param grace  the grace period they were older than
     * @param dryRun whether nothing was removed
     */
    public record Result(AbandonedWrites writes, Duration grace, boolean dryRun) {
        public Result {
            requireNonNull(writes, "writes is null");
            requireNonNull(grace, "grace is null");
        }

        /** Nothing found (or the step did not run). */
        static Result none(boolean dryRun) {
            return new Result(AbandonedWrites.NONE, Duration.ZERO, dryRun);
        }

        /** The report's line, when something was found. */
        public Optional<String> line() {
            if (writes.count() == 0) {
                return Optional.empty();
            }
            return Optional.of(String.format(Locale.ROOT, "%s: %d abandoned write%s (%s) untouched for more than %s, left"
                    + " by pushes or backups killed half-way (temporary files, incomplete uploads; whole repository)",
                    dryRun ? "would remove" : "removed", writes.count(), writes.count() == 1 ? "" : "s",
                    ExpireReport.bytes(writes.bytes()), RetentionPolicy.format(grace)));
        }
    }

    private final Storage storage;
    private final Duration grace;

    public AbandonedWritesStep(Storage storage, Duration grace) {
        this.storage = requireNonNull(storage, "storage is null");
        this.grace = requireNonNull(grace, "grace is null");
    }

    /** Removes (or, in a dry run, counts) the remains untouched since {@code now} minus the grace period. */
    public Result run(Instant now, boolean dryRun) {
        return new Result(storage.removeAbandonedWrites(now.minus(grace), dryRun), grace, dryRun);
    }
}
