package io.walvault.archiver.stream;

import io.walvault.archiver.backup.BackupResult;

/**
 * What the agent does after each scheduled backup that succeeded: retention (expire), supplied
 * by the command. Runs on the scheduler's thread; an exception is logged and counted
 * ({@code walvault_agent_errors_total{kind="retention"}}), never stops the agent.
 */
@FunctionalInterface
public interface AfterBackup {

    /** Nothing after a backup. */
    AfterBackup NONE = r -> { };

    void afterBackup(BackupResult result);
}
