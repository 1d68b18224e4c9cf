package io.walvault.archiver;

import io.walvault.core.config.SettingNames;

/**
 * The settings the archiver owns, beside core's ({@link SettingNames#CORE}): archive-push's look-ahead
 * ({@code archiver.push.ArchivePushSettings}) and the backup's server compression
 * ({@code archiver.backup.ServerCompressionChoice}).
 */
public final class ArchiverSettingNames {

    public static final SettingNames NAMES = SettingNames.of("archive-push-look-ahead", "archive-push-parallel", "archive-push-queue-max",
            "backup-server-compression");

    private ArchiverSettingNames() {
    }
}
