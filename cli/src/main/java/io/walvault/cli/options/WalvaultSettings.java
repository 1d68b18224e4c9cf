package io.walvault.cli.options;

import io.walvault.archiver.ArchiverSettingNames;
import io.walvault.core.config.SettingNames;
import io.walvault.core.config.Settings;
import io.walvault.restore.RestoreSettingNames;
import java.nio.file.Path;
import java.util.Map;

/**
 * The settings the walvault executable knows: core's and those the archiver and restore declare.
 * Every command reads its settings through here, so one config file serves them all and a name
 * none of the modules declares is refused by every command alike.
 */
public final class WalvaultSettings {

    public static final SettingNames NAMES = SettingNames.CORE.and(ArchiverSettingNames.NAMES).and(RestoreSettingNames.NAMES);

    private WalvaultSettings() {
    }

    /** {@link Settings#load(SettingNames, Map, Path, Map)} with every module's names. */
    public static Settings load(Map<String, String> flags, Path configFlag, Map<String, String> environment) {
        return Settings.load(NAMES, flags, configFlag, environment);
    }
}
