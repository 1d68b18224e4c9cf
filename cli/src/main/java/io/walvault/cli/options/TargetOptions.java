package io.walvault.cli.options;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.wal.Lsn;
import io.walvault.restore.recovery.RecoveryTarget;
import io.walvault.restore.recovery.TargetTimeline;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Option;

/**
 * The recovery target options restore and verify share (a picocli mixin): at most one of
 * {@code --target-time}, {@code --target-lsn}, {@code --target-xid}, {@code --target-name} and
 * {@code --target immediate}; none means the end of the archive.
 */
public final class TargetOptions {

    @Option(names = "--target-time", paramLabel = "TIMESTAMPTZ", description = "Recover to the last transaction that"
            + " committed at or before this moment; a time zone is required ('2026-11-21 09:30:00+00', '...Z', '...+01:00').")
    String time;

    @Option(names = "--target-lsn", paramLabel = "LSN", description = "Recover up to this WAL position (e.g. 0/3000148).")
    String lsn;

    @Option(names = "--target-xid", paramLabel = "XID", description = "Recover up to the commit of this transaction.")
    String xid;

    @Option(names = "--target-name", paramLabel = "NAME", description = "Recover to this restore point (pg_create_restore_point).")
    String name;

    @Option(names = "--target", paramLabel = "immediate", description = "'immediate': stop as soon as the backup is consistent.")
    String immediate;

    @Option(names = "--target-timeline", paramLabel = "TLI", description = "latest (default), current, or a timeline number.")
    String timeline;

    @Option(names = "--target-exclusive", negatable = true, fallbackValue = "true",
            description = "Stop just before the target instead of just after it"
            + " (time, xid and LSN targets).")
    boolean exclusive;

    /** The target given, or the end of the archive. */
    public RecoveryTarget target() {
        List<String> given = new ArrayList<>();
        RecoveryTarget t = new RecoveryTarget.EndOfArchive();
        try {
            if (time != null) {
                given.add("--target-time");
                t = new RecoveryTarget.Time(parseTime(time));
            }
            if (lsn != null) {
                given.add("--target-lsn");
                t = new RecoveryTarget.AtLsn(Lsn.parse(lsn.strip()));
            }
            if (xid != null) {
                given.add("--target-xid");
                t = new RecoveryTarget.Xid(Long.parseLong(xid.strip()));
            }
            if (name != null) {
                given.add("--target-name");
                t = new RecoveryTarget.Name(name);
            }
            if (immediate != null) {
                given.add("--target");
                if (!immediate.strip().equalsIgnoreCase("immediate")) {
                    throw new WalvaultException(ErrorCode.USAGE, "--target '" + immediate + "' is not 'immediate'"
                            + " HINT: the other targets are --target-time, --target-lsn, --target-xid and --target-name");
                }
                t = new RecoveryTarget.Immediate();
            }
        } catch (IllegalArgumentException e) {
            throw new WalvaultException(ErrorCode.USAGE, "invalid recovery target: " + e.getMessage(), e);
        }
        if (given.size() > 1) {
            throw new WalvaultException(ErrorCode.USAGE, "only one recovery target may be given, not " + String.join(" and ", given)
                    + " HINT: PostgreSQL stops at one target");
        }
        return t;
    }

    /** The timeline to follow. */
    public TargetTimeline timeline() {
        if (timeline == null) {
            return TargetTimeline.latest();
        }
        try {
            return TargetTimeline.parse(timeline);
        } catch (IllegalArgumentException e) {
            throw new WalvaultException(ErrorCode.USAGE, e.getMessage());
        }
    }

    public boolean inclusive() {
        return !exclusive;
    }

    /**
     * Parses a timestamp with time zone as a person types it for recovery_target_time: date, a
     * space or 'T', time with optional fraction, and a zone ({@code Z}, {@code +01},
     * {@code +0130}, {@code +01:30}). Without a zone the moment would depend on the server's
     * TimeZone setting, so it is refused.
     */
    static Instant parseTime(String text) {
        String s = text.strip();
        s = s.replaceFirst("^(\\d{4}-\\d{2}-\\d{2})[ T]", "$1T");
        s = s.replaceFirst("\\s+(?=[+-]\\d{2}(:?\\d{2})?$|Z$|UTC$)", "");
        if (s.toUpperCase(Locale.ROOT).endsWith("UTC")) {
            s = s.substring(0, s.length() - 3) + "Z";
        }
        s = s.replaceFirst("([+-]\\d{2})$", "$1:00").replaceFirst("([+-]\\d{2})(\\d{2})$", "$1:$2");
        try {
            return OffsetDateTime.parse(s).toInstant();
        } catch (DateTimeParseException e) {
            throw new WalvaultException(ErrorCode.USAGE, "--target-time '" + text + "' is not a timestamp with time zone"
                    + " HINT: write it as '2026-11-21 09:30:00+00' (or with Z, or an offset such as +01:00)");
        }
    }
}
