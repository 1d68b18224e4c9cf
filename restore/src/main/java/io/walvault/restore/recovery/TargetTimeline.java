package io.walvault.restore.recovery;

import static java.util.Objects.requireNonNull;

import io.walvault.core.wal.TimelineId;
import java.util.Locale;

/** Which timeline recovery follows (recovery_target_timeline): latest, current, or a number. */
public record TargetTimeline(String setting) {

    public TargetTimeline {
        requireNonNull(setting, "setting is null");
    }

    /** The newest timeline the archive has (PostgreSQL's default). */
    public static TargetTimeline latest() {
        return new TargetTimeline("latest");
    }

    /** The backup's own timeline. */
    public static TargetTimeline current() {
        return new TargetTimeline("current");
    }

    public static TargetTimeline of(TimelineId timeline) {
        return new TargetTimeline(Long.toString(timeline.value()));
    }

    /** Parses what a user typed: latest, current, or a timeline number (decimal or 0x hex). */
    public static TargetTimeline parse(String text) {
        String t = text.strip().toLowerCase(Locale.ROOT);
        if (t.equals("latest") || t.equals("current")) {
            return new TargetTimeline(t);
        }
        try {
            long v = t.startsWith("0x") ? Long.parseLong(t.substring(2), 16) : Long.parseLong(t);
            return of(TimelineId.of(v));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("target timeline '" + text
                    + "' is not 'latest', 'current' or a timeline number", e);
        }
    }
}
