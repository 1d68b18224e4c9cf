package io.walvault.cli.options;

import io.walvault.archiver.ArchiverSettingNames;
import io.walvault.core.config.SettingNames;
import io.walvault.core.config.Settings;
import io.walvault.restore.RestoreSettingNames;
import java.nio.file.Path;
import java.util.Map;

/**
 * The settings the walvault executable knows: core's, those the archiver and restore declare, and
 * the commands' own options ({@link CommandSettingNames}). Every command reads its settings
 * through here, so one config file serves them all: a setting one command does not use is no
 * error for it, and a name none of them knows is refused by every command alike.
 */
public final class WalvaultSettings {

    /** Where log lines go and which: options every command takes before its own are parsed ({@code cli.LogOptions}). */
    public static final SettingNames LOG_NAMES = SettingNames.of("log-level", "log-file");

    public static final SettingNames NAMES = SettingNames.CORE.and(ArchiverSettingNames.NAMES).and(RestoreSettingNames.NAMES)
            .and(CommandSettingNames.NAMES).and(LOG_NAMES);

    private WalvaultSettings() {
    }

    /** {@link Settings#load(SettingNames, Map, Path, Map)} with every module's names. */
    public static Settings load(Map<String, String> flags, Path configFlag, Map<String, String> environment) {
        return Settings.load(NAMES, flags, configFlag, environment);
    }

    /** As {@link #load(Map, Path, Map)}, with the section {@code clusterFlag} (--cluster; null: WALVAULT_CLUSTER). */
    public static Settings load(Map<String, String> flags, Path configFlag, String clusterFlag, Map<String, String> environment) {
        return Settings.load(NAMES, flags, configFlag, clusterFlag, environment);
    }
}
