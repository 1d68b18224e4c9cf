package io.walvault.restore.drill;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * What a restore drill proved.
 *
 * @param outcome how recovery ended on the scratch server
 * @param recoveryTime from server start until recovery ended (the recovery part of the RTO)
 * @param replayedUntil the last WAL position replayed
 * @param lastTransaction the commit time of the last replayed transaction, when the server knows it
 * @param databases each database with its number of relations
 * @param checks the user's SQL checks and what they returned
 */
public record DrillReport(Outcome outcome, Duration recoveryTime, String replayedUntil, Optional<Instant> lastTransaction,
                          List<DatabaseSummary> databases, List<CheckResult> checks, List<String> droppedDatabases) {

    /** How recovery ended. */
    public enum Outcome { PROMOTED, PAUSED_AT_TARGET, SHUT_DOWN_AT_TARGET, STANDBY_CAUGHT_UP }

    /** One database of the restored cluster. */
    public record DatabaseSummary(String name, long relations, long sizeBytes) {
    }

    /** One SQL check and its first value. */
    public record CheckResult(String sql, String result) {
    }

    public DrillReport {
        databases = List.copyOf(databases);
        checks = List.copyOf(checks);
        droppedDatabases = List.copyOf(droppedDatabases);
    }
}
