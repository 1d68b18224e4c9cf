package io.walvault.restore;

import io.walvault.core.config.SettingNames;

/**
 * The settings restore owns, beside core's ({@link SettingNames#CORE}): archive-get's prefetch
 * ({@code restore.get.ArchiveGetSettings}).
 */
public final class RestoreSettingNames {

    public static final SettingNames NAMES = SettingNames.of("archive-get-prefetch", "archive-get-parallel", "archive-get-spool-max");

    private RestoreSettingNames() {
    }
}
