package io.walvault.restore.info;

import io.walvault.core.repo.BackupInfo;
import io.walvault.core.text.JsonText;
import java.util.List;

/**
 * The JSON form of {@link Info}'s reports, as {@code walvault info --json} prints it: stable field
 * names for scripts and monitoring.
 */
public final class InfoJson {

    private InfoJson() {
    }

    /** One JSON object, {@code {"clusters":[...]}}, and a newline. */
    public static String write(List<ClusterReport> reports) {
        StringBuilder sb = new StringBuilder("{\"clusters\":[");
        for (int i = 0; i < reports.size(); i++) {
            ClusterReport r = reports.get(i);
            if (i > 0) {
                sb.append(',');
            }
            sb.append("{\"systemIdentifier\":").append(str(Long.toUnsignedString(r.systemId()))).append(",\"backups\":[");
            for (int j = 0; j < r.backups().size(); j++) {
                BackupInfo b = r.backups().get(j);
                if (j > 0) {
                    sb.append(',');
                }
                sb.append("{\"id\":").append(str(b.id()))
                        .append(",\"label\":").append(str(b.label()))
                        .append(",\"serverVersion\":").append(str(b.serverVersion()))
                        .append(",\"timeline\":").append(b.timeline().value())
                        .append(",\"startLsn\":").append(str(b.startLsn().toString()))
                        .append(",\"stopLsn\":").append(str(b.stopLsn().toString()))
                        .append(",\"startTime\":").append(str(b.startTime().toString()))
                        .append(",\"stopTime\":").append(str(b.stopTime().toString()))
                        .append(",\"durationSeconds\":").append(b.elapsed().toMillis() / 1000.0)
                        .append(",\"files\":").append(num(b.files()))
                        .append(",\"bytes\":").append(num(b.bytes()))
                        .append(",\"storedBytes\":").append(num(b.storedBytes()))
                        .append(",\"addedBytes\":").append(num(b.addedBytes()))
                        .append(",\"sharedBytes\":").append(num(b.chunks().sharedBytes()))
                        .append(",\"firstWal\":").append(str(b.firstWal().map(Object::toString).orElse(null)))
                        .append(",\"lastWal\":").append(str(b.lastWal().map(Object::toString).orElse(null)))
                        .append('}');
            }
            sb.append("],\"wal\":[");
            for (int j = 0; j < r.wal().size(); j++) {
                TimelineWal w = r.wal().get(j);
                if (j > 0) {
                    sb.append(',');
                }
                sb.append("{\"timeline\":").append(w.timeline().value())
                        .append(",\"first\":").append(str(w.first().fileName()))
                        .append(",\"last\":").append(str(w.last().fileName()))
                        .append(",\"segments\":").append(w.segments())
                        .append(",\"newestPartial\":").append(str(w.newestPartial().map(p -> p.fileName()).orElse(null)))
                        .append(",\"gaps\":[");
                for (int k = 0; k < w.gaps().size(); k++) {
                    gap(sb.append(k > 0 ? "," : ""), w.gaps().get(k));
                }
                sb.append("]}");
            }
            sb.append("],\"earliestRecoveryPoint\":").append(str(r.earliest().orElse(null)))
                    .append(",\"latestRecoveryPoint\":").append(str(r.latest().orElse(null)))
                    .append(",\"recoveryWindows\":[");
            for (int j = 0; j < r.windows().size(); j++) {
                window(sb.append(j > 0 ? "," : ""), r.windows().get(j));
            }
            sb.append("],\"problems\":[");
            for (int j = 0; j < r.problems().size(); j++) {
                if (j > 0) {
                    sb.append(',');
                }
                sb.append(str(r.problems().get(j)));
            }
            sb.append("]}");
        }
        return sb.append("]}\n").toString();
    }

    /** A recovery window's object; also in {@code walvault status --json}. */
    public static StringBuilder window(StringBuilder sb, RecoveryWindow w) {
        return sb.append("{\"start\":{\"time\":").append(str(w.startTime().toString()))
                .append(",\"lsn\":").append(str(w.startLsn().toString()))
                .append(",\"backup\":").append(str(w.fromBackup()))
                .append("},\"end\":{\"lsn\":").append(str(w.endLsn().toString()))
                .append(",\"timeline\":").append(w.endTimeline().value())
                .append(",\"lastCommitTime\":").append(str(w.endCommit().map(Object::toString).orElse(null)))
                .append(",\"lastWal\":").append(str(w.lastWal().orElse(null)))
                .append("},\"endsAtGap\":").append(str(w.endsAtGap().map(Object::toString).orElse(null)))
                .append('}');
    }

    /** A WAL gap's object; also in {@code walvault status --json}. */
    public static StringBuilder gap(StringBuilder sb, TimelineWal.Gap g) {
        return sb.append("{\"from\":").append(str(g.from().fileName())).append(",\"to\":").append(str(g.to().fileName()))
                .append(",\"segments\":").append(g.count()).append('}');
    }

    private static String num(Long v) {
        return v == null ? "null" : v.toString();
    }

    /** A JSON string literal (or null); also for the other commands' {@code --json} output. */
    public static String str(String s) {
        return JsonText.literal(s);
    }
}
