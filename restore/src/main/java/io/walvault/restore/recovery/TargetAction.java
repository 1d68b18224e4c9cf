package io.walvault.restore.recovery;

import java.util.Locale;

/** What the server does once recovery reaches its target (recovery_target_action). */
public enum TargetAction {
    /** Stay in recovery, read-only, until pg_wal_replay_resume() or a promote (PostgreSQL's default). */
    PAUSE,
    /** End recovery and accept writes on a new timeline. */
    PROMOTE,
    /** Stop the server, leaving recovery.signal in place. */
    SHUTDOWN;

    String setting() {
        return name().toLowerCase(Locale.ROOT);
    }
}
