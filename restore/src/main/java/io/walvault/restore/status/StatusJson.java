package io.walvault.restore.status;

import static io.walvault.restore.info.InfoJson.str;

import io.walvault.core.repo.BackupInfo;
import io.walvault.restore.info.InfoJson;
import java.util.List;
import java.util.OptionalLong;

/**
 * The JSON form of a {@link StatusReport}, as {@code walvault status --json} prints it (README.md
 * documents it): numbers in bytes and whole seconds,
 * times in ISO-8601, null for what is unknown; only {@code message} and {@code warnings} are text
 * for people.
 */
public final class StatusJson {

    /** The shape's version: a field's meaning never changes under one number; fields may be added. */
    public static final int FORMAT = 1;

    private StatusJson() {
    }

    /** One JSON object and a newline. */
    public static String write(StatusReport r) {
        StringBuilder sb = new StringBuilder("{\"format\":").append(FORMAT)
                .append(",\"at\":").append(str(r.at().toString()))
                .append(",\"systemIdentifier\":").append(str(Long.toUnsignedString(r.systemId())))
                .append(",\"healthy\":").append(r.healthy())
                .append(",\"server\":");
        r.server().position().ifPresentOrElse(p -> sb.append("{\"lsn\":").append(str(p.lsn().toString()))
                .append(",\"standby\":").append(p.standby()).append('}'), () -> sb.append("null"));
        sb.append(",\"rpo\":");
        r.rpo().ifPresentOrElse(p -> sb.append("{\"bytes\":").append(p.bytes()).append(",\"seconds\":")
                .append(p.seconds().isPresent() ? Long.toString(p.seconds().getAsLong()) : "null").append('}'),
                () -> sb.append("null"));
        Rto t = r.rto();
        sb.append(",\"rtoSeconds\":").append(num(t.seconds()))
                .append(",\"rto\":{\"seconds\":").append(num(t.seconds()))
                .append(",\"restoreBytes\":").append(t.restoreBytes())
                .append(",\"restoreBytesPerSecond\":").append(num(t.restoreBytesPerSecond()))
                .append(",\"restoresMeasured\":").append(t.restores())
                .append(",\"walBytes\":").append(t.walBytes())
                .append(",\"replayBytesPerSecond\":").append(num(t.replayBytesPerSecond()))
                .append(",\"drillsMeasured\":").append(t.drills())
                .append(",\"unknownBecause\":").append(t.unknownBecause().map(InfoJson::str).orElse("null")).append('}');
        sb.append(",\"newestWal\":");
        r.newestWal().ifPresentOrElse(w -> sb.append("{\"file\":").append(str(w.name()))
                .append(",\"archivedAt\":").append(str(w.archivedAt().toString()))
                .append(",\"ageSeconds\":").append(r.newestWalAge().orElseThrow().toSeconds()).append('}'),
                () -> sb.append("null"));
        sb.append(",\"newestBackup\":");
        r.newestBackup().ifPresentOrElse(b -> backup(sb, b, r.newestBackupAge().orElseThrow().toSeconds()),
                () -> sb.append("null"));
        sb.append(",\"recoveryWindows\":[");
        for (int i = 0; i < r.windows().size(); i++) {
            InfoJson.window(sb.append(i > 0 ? "," : ""), r.windows().get(i));
        }
        sb.append("],\"gaps\":[");
        for (int i = 0; i < r.gaps().size(); i++) {
            InfoJson.gap(sb.append(i > 0 ? "," : ""), r.gaps().get(i));
        }
        sb.append("],\"problems\":[");
        for (int i = 0; i < r.problems().size(); i++) {
            StatusProblem p = r.problems().get(i);
            sb.append(i > 0 ? "," : "").append("{\"kind\":").append(str(p.kind().name())).append(",\"message\":")
                    .append(str(p.message())).append('}');
        }
        sb.append("],\"warnings\":[");
        List<String> w = r.warnings();
        for (int i = 0; i < w.size(); i++) {
            sb.append(i > 0 ? "," : "").append(str(w.get(i)));
        }
        return sb.append("]}\n").toString();
    }

    private static String num(OptionalLong n) {
        return n.isPresent() ? Long.toString(n.getAsLong()) : "null";
    }

    private static void backup(StringBuilder sb, BackupInfo b, long ageSeconds) {
        sb.append("{\"id\":").append(str(b.id()))
                .append(",\"stopTime\":").append(str(b.stopTime().toString()))
                .append(",\"stopLsn\":").append(str(b.stopLsn().toString()))
                .append(",\"ageSeconds\":").append(ageSeconds).append('}');
    }
}
