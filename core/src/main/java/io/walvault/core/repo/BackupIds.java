package io.walvault.core.repo;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.regex.Pattern;

/** Backup ids: {@code 20261121T063000Z} (UTC start time), sortable by time, safe as a key segment. */
public final class BackupIds {

    /** Checked for every object a listing of the backups holds: compiled once. */
    private static final Pattern ID = Pattern.compile("[0-9]{8}T[0-9]{6}Z(-[0-9A-Za-z]{1,16})?");
    private static final DateTimeFormatter FORMAT = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

    private BackupIds() {
    }

    public static String forStart(Instant start) {
        return FORMAT.format(start);
    }

    public static String check(String id) {
        if (id == null || !ID.matcher(id).matches()) {
            throw new IllegalArgumentException("'" + id + "' is not a backup id (YYYYMMDDTHHMMSSZ[-suffix])");
        }
        return id;
    }
}
