package io.walvault.core.wal;

import static java.util.Objects.requireNonNull;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code backup_label} file a base backup carries: where recovery of the backup starts.
 * Kept byte-exact for the restored data directory; parsed for planning. Both LSN forms
 * ({@code %X/%X} and the zero-padded {@code %X/%08X}) are accepted.
 *
 * @param startLsn START WAL LOCATION
 * @param startSegment the segment named beside the start location
 * @param checkpointLsn CHECKPOINT LOCATION
 * @param method BACKUP METHOD (streamed)
 * @param from BACKUP FROM (primary or standby)
 * @param startTime START TIME as written (server time zone)
 * @param label LABEL
 * @param startTimeline START TIMELINE
 * @param incrementalFrom INCREMENTAL FROM LSN, for PostgreSQL 17+ incremental backups
 */
public record BackupLabel(Lsn startLsn, String startSegment, Lsn checkpointLsn, String method, String from,
                          String startTime, String label, TimelineId startTimeline, Optional<Lsn> incrementalFrom) {

    private static final Pattern START = Pattern.compile(
            "^START WAL LOCATION: ([0-9A-Fa-f]+/[0-9A-Fa-f]+) \\(file ([0-9A-F]{24})\\)$", Pattern.MULTILINE);

    public BackupLabel {
        requireNonNull(startLsn, "startLsn is null");
        requireNonNull(startTimeline, "startTimeline is null");
        requireNonNull(incrementalFrom, "incrementalFrom is null");
    }

    /** Parses the file's text; names the missing line when it is not a backup label. */
    public static BackupLabel parse(String text) {
        Matcher m = START.matcher(text);
        if (!m.find()) {
            throw new IllegalArgumentException("backup_label has no 'START WAL LOCATION: X/X (file ...)' line");
        }
        Lsn start = Lsn.parse(m.group(1));
        String segment = m.group(2);
        Map<String, String> fields = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            int colon = line.indexOf(": ");
            if (colon > 0) {
                fields.putIfAbsent(line.substring(0, colon), line.substring(colon + 2).strip());
            }
        }
        String checkpoint = fields.get("CHECKPOINT LOCATION");
        if (checkpoint == null) {
            throw new IllegalArgumentException("backup_label has no 'CHECKPOINT LOCATION' line");
        }
        String tli = fields.getOrDefault("START TIMELINE", null);
        TimelineId timeline = tli == null ? TimelineId.of(Long.parseLong(segment.substring(0, 8), 16))
                : TimelineId.of(Long.parseLong(tli.strip()));
        Optional<Lsn> incremental = Optional.ofNullable(fields.get("INCREMENTAL FROM LSN")).map(Lsn::parse);
        return new BackupLabel(start, segment, Lsn.parse(checkpoint), fields.getOrDefault("BACKUP METHOD", ""),
                fields.getOrDefault("BACKUP FROM", ""), fields.getOrDefault("START TIME", ""),
                fields.getOrDefault("LABEL", ""), timeline, incremental);
    }
}
