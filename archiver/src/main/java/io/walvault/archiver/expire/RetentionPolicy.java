package io.walvault.archiver.expire;

import static java.util.Objects.requireNonNull;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.repo.BackupIds;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What {@link Expire} keeps. Retention must be explicit: at least one of
 *
 * <ul>
 *   <li>{@code retainFull} (N &gt; 0): the newest N complete backups, by the wall-clock time they
 *       ended (never by timeline or LSN, which pg_upgrade or a failover can invert);</li>
 *   <li>{@code retainWindow}: every backup needed to recover to any point of the last
 *       {@code retainWindow}: those that ended inside it, plus the newest one that ended before it
 *       began (recovery to the window's first moment starts from that one).</li>
 * </ul>
 *
 * With both, a backup either keeps is kept. The newest complete backup is always kept.
 * Or, instead of a count or a window, {@code named} backups ({@code expire --remove ID}): every
 * backup but those is kept (the newest restorable one cannot be named).
 * {@code orphanGrace} is how old the newest object of a backup without a manifest (what a
 * killed backup leaves) must be before it is removed. Neither count nor window:
 * {@link ErrorCode#RETENTION_NOT_SET}.
 *
 * @param retainFull   newest complete backups to keep; 0 when not set
 * @param retainWindow recovery window to keep; null when not set
 * @param orphanGrace  minimum age of an orphan before it is removed (zero: any)
 * @param named        backups to remove, every other one kept; empty when the policy is a count or a window
 */
public record RetentionPolicy(int retainFull, Duration retainWindow, Duration orphanGrace, List<String> named) {

    /** The default {@code orphanGrace}: an orphan untouched for a day is no running backup's. */
    public static final Duration DEFAULT_ORPHAN_GRACE = Duration.ofDays(1);

    private static final Pattern DURATION = Pattern.compile("([0-9]{1,6})\\s*([hdw])");

    public RetentionPolicy {
        requireNonNull(orphanGrace, "orphanGrace is null");
        named = List.copyOf(new TreeSet<>(named));
        if (!named.isEmpty() && (retainFull != 0 || retainWindow != null)) {
            throw new IllegalArgumentException("named backups and a count or window do not combine");
        }
        if (retainFull < 0) {
            throw new IllegalArgumentException("retain-full " + retainFull + " is negative");
        }
        if (retainWindow != null && (retainWindow.isNegative() || retainWindow.isZero())) {
            throw new IllegalArgumentException("retain-window " + retainWindow + " is not positive");
        }
        if (orphanGrace.isNegative()) {
            throw new IllegalArgumentException("orphan grace " + orphanGrace + " is negative");
        }
        if (retainFull == 0 && retainWindow == null && named.isEmpty()) {
            throw new WalvaultException(ErrorCode.RETENTION_NOT_SET, "no retention given: expire removes nothing without"
                    + " an explicit policy HINT: pass --retain-full N (the newest N full backups) and/or --retain-window"
                    + " DURATION (e.g. 7d: whatever recovery to any point of the last 7 days needs)");
        }
    }

    /** A count and/or a window (no named backups). */
    public RetentionPolicy(int retainFull, Duration retainWindow, Duration orphanGrace) {
        this(retainFull, retainWindow, orphanGrace, List.of());
    }

    /**
     * Removes the backups {@code ids} (each a backup id) and keeps every other one.
     *
     * @throws IllegalArgumentException if {@code ids} is empty or holds something that is not a backup id
     */
    public static RetentionPolicy named(Collection<String> ids, Duration orphanGrace) {
        if (ids.isEmpty()) {
            throw new IllegalArgumentException("no backup named");
        }
        ids.forEach(BackupIds::check);
        return new RetentionPolicy(0, null, orphanGrace, List.copyOf(ids));
    }

    /** Keeps the newest {@code n} full backups. */
    public static RetentionPolicy full(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("retain-full " + n + " must be at least 1");
        }
        return new RetentionPolicy(n, null, DEFAULT_ORPHAN_GRACE);
    }

    /** Keeps what recovery to any point of the last {@code window} needs. */
    public static RetentionPolicy window(Duration window) {
        return new RetentionPolicy(0, requireNonNull(window, "window is null"), DEFAULT_ORPHAN_GRACE);
    }

    /** This policy, also keeping the {@code window}. */
    public RetentionPolicy withWindow(Duration window) {
        return new RetentionPolicy(retainFull, requireNonNull(window, "window is null"), orphanGrace);
    }

    /** This policy with another orphan grace period. */
    public RetentionPolicy withOrphanGrace(Duration grace) {
        return new RetentionPolicy(retainFull, retainWindow, grace, named);
    }

    public Optional<Duration> window() {
        return Optional.ofNullable(retainWindow);
    }

    /**
     * Parses a duration as the command line writes it: a whole number and a unit, {@code h}
     * (hours), {@code d} (days) or {@code w} (weeks): {@code 36h}, {@code 7d}, {@code 2w}.
     */
    public static Duration parseDuration(String text) {
        Matcher m = DURATION.matcher(requireNonNull(text, "text is null").trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a duration (a whole number and h, d or w: 36h, 7d, 2w)");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "h" -> Duration.ofHours(n);
            case "d" -> Duration.ofDays(n);
            default -> Duration.ofDays(7 * n);
        };
    }

    /** {@code 7d}, {@code 36h} (weeks in days), or seconds when not whole hours: what {@link #parseDuration} reads. */
    public static String format(Duration d) {
        long s = d.getSeconds();
        if (s != 0 && s % 86400 == 0 && d.getNano() == 0) {
            return s / 86400 + "d";
        }
        if (s % 3600 == 0 && d.getNano() == 0) {
            return s / 3600 + "h";
        }
        return s + "s";
    }

    /** For messages: {@code newest 2 full backups, 7d window}. */
    public String describe() {
        if (!named.isEmpty()) {
            return "only the backup" + (named.size() == 1 ? " " : "s ") + String.join(", ", named) + " named by --remove";
        }
        StringBuilder sb = new StringBuilder();
        if (retainFull > 0) {
            sb.append("newest ").append(retainFull).append(" full backup").append(retainFull == 1 ? "" : "s");
        }
        if (retainWindow != null) {
            sb.append(sb.length() > 0 ? " and " : "").append("a ").append(format(retainWindow)).append(" recovery window");
        }
        return sb.toString();
    }
}
