package io.walvault.cli.options;

import io.walvault.core.config.SettingNames;
import java.util.Set;

/**
 * The settings the commands' own options are, beside the modules' ({@link WalvaultSettings}):
 * every option of every command is a setting of the same name ({@code --checkpoint fast} is
 * {@code checkpoint = fast} in the config file and {@code WALVAULT_CHECKPOINT=fast}), except those
 * that are a module's setting under a longer name ({@code archive-push --look-ahead} is
 * {@code archive-push-look-ahead}) and the few in {@link #NOT_SETTINGS}. A test keeps this list
 * and the commands' options in step.
 */
public final class CommandSettingNames {

    public static final SettingNames NAMES = SettingNames.of(
            // agent
            "pg", "slot", "spool", "partial-interval", "synchronous", "accept-gap", "metrics-listen", "reconnect-max",
            "backup-every", "backup-at", "backup-checkpoint", "retain-full", "retain-window",
            // backup
            "label", "checkpoint", "max-rate", "allow-checksum-failures", "bundle-size", "uploads", "wal-timeout", "progress",
            "archive-check", "full",
            // check
            "archive-timeout", "no-archive-command", "json",
            // status
            "max-archive-age", "max-backup-age", "prometheus",
            // expire
            "orphan-grace", "dry-run",
            // key rotate
            "new-passphrase-file", "new-public-key-file",
            // restore and verify
            "pgdata", "backup", "tablespace-map", "archive-mode", "jobs", "standby", "primary-conninfo", "recovery-option",
            "target-action", "delta", "db-include", "db-exclude", "all", "drill", "drill-timeout", "keep", "scratch", "pg-bin", "run-as", "db-user", "sql",
            "target-time", "target-lsn", "target-xid", "target-name", "target", "target-timeline", "target-exclusive");

    /**
     * Options that are no setting: which file and section to read, the hooks' modes, where
     * {@code cat} writes, and the backups {@code expire --remove} removes; a file or variable must
     * not turn a command into something else.
     */
    public static final Set<String> NOT_SETTINGS = Set.of("config", "cluster", "worker", "end-of-recovery", "output", "as",
            "remove", "help", "version");

    private CommandSettingNames() {
    }
}
