package io.walvault.restore.recovery;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Writes the recovery configuration into a restored data directory, the same way for
 * PostgreSQL 14 to 18 (recovery.conf is gone since 12): the settings go into
 * {@code postgresql.auto.conf}, which wins over postgresql.conf, and {@code recovery.signal} asks
 * for targeted recovery.
 *
 * <p>Settings carried over from the backed-up server that would make the restored one do the
 * wrong thing are commented out of postgresql.auto.conf: earlier recovery settings, and
 * primary_conninfo / primary_slot_name (a restored server must not start following the
 * original primary). Every recovery target setting is written, the unused ones empty, so that
 * a target left in postgresql.conf cannot combine with ours ("multiple recovery targets").
 * standby.signal is removed: it would win over recovery.signal.
 *
 * <p>A standby ({@link RecoveryMode.Standby}) gets standby.signal instead (recovery.signal is
 * removed), no target, and the primary_conninfo it was given (or none). Extra settings
 * ({@link RecoveryOption}) follow walvault's own in the same block.
 */
public final class RecoveryConfigWriter {

    static final String BEGIN = "# ---- walvault restore: recovery settings ----";
    static final String END = "# ---- end of walvault recovery settings ----";

    private static final Set<String> NEUTRALISED = Set.of("restore_command", "recovery_target", "recovery_target_lsn",
            "recovery_target_name", "recovery_target_time", "recovery_target_xid", "recovery_target_inclusive",
            "recovery_target_action", "recovery_target_timeline", "recovery_end_command", "archive_cleanup_command",
            "primary_conninfo", "primary_slot_name", "promote_trigger_file");

    private static final List<String> TARGET_SETTINGS = List.of("recovery_target", "recovery_target_lsn",
            "recovery_target_name", "recovery_target_time", "recovery_target_xid");

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSSxxx", Locale.ROOT)
            .withZone(ZoneOffset.UTC);

    private RecoveryConfigWriter() {
    }

    /** The settings, in the order they are written. */
    static Map<String, String> settings(RecoverySettings s) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("restore_command", s.restoreCommand());
        m.put("recovery_end_command", s.recoveryEndCommand());
        // Every target setting is written, the unused ones empty and first: PostgreSQL's assign
        // hook of each target setting fails with "multiple recovery targets specified" when another
        // target is already set at that moment, even if the new value is empty. Settings apply in
        // file order, so the empty ones must precede the one that is set.
        String chosenKey = null;
        String chosenValue = null;
        RecoveryTarget t = s.target();
        if (t instanceof RecoveryTarget.Immediate) {
            chosenKey = "recovery_target";
            chosenValue = "immediate";
        } else if (t instanceof RecoveryTarget.Time time) {
            chosenKey = "recovery_target_time";
            chosenValue = TIME.format(time.time());
        } else if (t instanceof RecoveryTarget.AtLsn lsn) {
            chosenKey = "recovery_target_lsn";
            chosenValue = lsn.lsn().toString();
        } else if (t instanceof RecoveryTarget.Xid xid) {
            chosenKey = "recovery_target_xid";
            chosenValue = Long.toString(xid.xid());
        } else if (t instanceof RecoveryTarget.Name name) {
            chosenKey = "recovery_target_name";
            chosenValue = name.name();
        }
        for (String k : TARGET_SETTINGS) {
            if (!k.equals(chosenKey)) {
                m.put(k, "");
            }
        }
        if (chosenKey != null) {
            m.put(chosenKey, chosenValue);
        }
        m.put("recovery_target_inclusive", s.inclusive() ? "on" : "off");
        m.put("recovery_target_action", s.action().setting());
        m.put("recovery_target_timeline", s.timeline().setting());
        m.put("primary_conninfo", s.mode() instanceof RecoveryMode.Standby st ? st.primaryConninfo().orElse("") : "");
        m.put("primary_slot_name", "");
        if (s.disableArchiving()) {
            m.put("archive_mode", "off");
        }
        for (RecoveryOption o : s.extra()) {
            m.put(o.name(), o.value()); // after ours: primary_slot_name, for one, replaces the empty value above
        }
        return m;
    }

    /** Writes the settings and recovery.signal into {@code dataDirectory}. */
    public static void write(Path dataDirectory, RecoverySettings s) throws IOException {
        Path auto = dataDirectory.resolve("postgresql.auto.conf");
        List<String> lines = new ArrayList<>();
        if (Files.exists(auto)) {
            boolean inOurs = false;
            for (String line : Files.readAllLines(auto, StandardCharsets.UTF_8)) {
                if (line.equals(BEGIN)) {
                    inOurs = true;
                    continue;
                }
                if (line.equals(END)) {
                    inOurs = false;
                    continue;
                }
                if (inOurs) {
                    continue;
                }
                String key = settingName(line);
                if (key != null && (NEUTRALISED.contains(key) || s.disableArchiving() && key.equals("archive_mode"))) {
                    lines.add("# disabled by walvault restore: " + line);
                } else {
                    lines.add(line);
                }
            }
        } else {
            lines.add("# Do not edit this file manually!");
            lines.add("# It will be overwritten by the ALTER SYSTEM command.");
        }
        lines.add(BEGIN);
        settings(s).forEach((k, v) -> lines.add(k + " = " + quote(v)));
        lines.add(END);
        writeAtomically(auto, String.join("\n", lines) + "\n");

        boolean standby = s.mode() instanceof RecoveryMode.Standby;
        Files.deleteIfExists(dataDirectory.resolve(standby ? "recovery.signal" : "standby.signal"));
        Path signal = dataDirectory.resolve(standby ? "standby.signal" : "recovery.signal");
        if (!Files.exists(signal)) {
            Files.createFile(signal, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }
    }

    /** The setting a postgresql.conf line sets, or null for comments and blank lines. */
    static String settingName(String line) {
        String t = line.strip();
        if (t.isEmpty() || t.startsWith("#")) {
            return null;
        }
        int end = 0;
        while (end < t.length() && (Character.isLetterOrDigit(t.charAt(end)) || t.charAt(end) == '_' || t.charAt(end) == '.')) {
            end++;
        }
        return end == 0 ? null : t.substring(0, end).toLowerCase(Locale.ROOT);
    }

    /** A postgresql.conf string literal. */
    static String quote(String value) {
        return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'";
    }

    private static void writeAtomically(Path file, String content) throws IOException {
        PrivateFiles.writeAtomically(file, content);
    }
}
