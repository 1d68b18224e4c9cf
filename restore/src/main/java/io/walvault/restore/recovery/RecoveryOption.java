package io.walvault.restore.recovery;

import static java.util.Objects.requireNonNull;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One more setting for the restored server's configuration ({@code restore --recovery-option
 * NAME=VALUE}), written after walvault's own recovery settings. The settings walvault owns
 * (how WAL is fetched, where recovery stops, which primary a standby follows) are refused: a
 * second value would silently override or contradict the restore's plan.
 *
 * @param name the setting, as PostgreSQL spells it
 * @param value its value, written as a quoted literal
 */
public record RecoveryOption(String name, String value) {

    /** What walvault writes itself; each has its own option. */
    static final Set<String> OWNED = Set.of("restore_command", "recovery_end_command", "recovery_target",
            "recovery_target_lsn", "recovery_target_name", "recovery_target_time", "recovery_target_xid",
            "recovery_target_inclusive", "recovery_target_action", "recovery_target_timeline", "primary_conninfo");

    private static final Pattern NAME = Pattern.compile("[a-z_][a-z0-9_]*(\\.[a-z_][a-z0-9_]*)?");

    public RecoveryOption {
        requireNonNull(name, "name is null");
        requireNonNull(value, "value is null");
    }

    /** {@code NAME=VALUE}; a usage error (2) naming what is wrong and which option to use instead. */
    public static RecoveryOption parse(String text) {
        int eq = text.indexOf('=');
        if (eq <= 0) {
            throw new WalvaultException(ErrorCode.USAGE, "--recovery-option '" + text + "' is not NAME=VALUE");
        }
        String name = text.substring(0, eq).strip().toLowerCase(Locale.ROOT);
        if (!NAME.matcher(name).matches()) {
            throw new WalvaultException(ErrorCode.USAGE, "--recovery-option '" + text + "': '" + name
                    + "' is not a PostgreSQL setting name");
        }
        if (OWNED.contains(name)) {
            throw new WalvaultException(ErrorCode.USAGE, "--recovery-option " + name + " is written by walvault restore itself"
                    + " HINT: " + hint(name));
        }
        return new RecoveryOption(name, text.substring(eq + 1));
    }

    private static String hint(String name) {
        if (name.equals("primary_conninfo")) {
            return "use --standby --primary-conninfo CONNINFO";
        }
        if (name.startsWith("recovery_target")) {
            return "use --target-time, --target-lsn, --target-xid, --target-name, --target, --target-action,"
                    + " --target-timeline or --target-exclusive";
        }
        return "restore_command and recovery_end_command run walvault archive-get against the repository restored from";
    }
}
