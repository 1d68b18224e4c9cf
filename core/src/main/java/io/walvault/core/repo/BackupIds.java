package io.walvault.core.repo;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** Backup ids: {@code 20261121T063000Z} (UTC start time), sortable by time, safe as a key segment. */
public final class BackupIds {

    private static final DateTimeFormatter FORMAT = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

    private BackupIds() {
    }

    public static String forStart(Instant start) {
        return FORMAT.format(start);
    }

    public static String check(String id) {
        if (id == null || !id.matches("[0-9]{8}T[0-9]{6}Z(-[0-9A-Za-z]{1,16})?")) {
            throw new IllegalArgumentException("'" + id + "' is not a backup id (YYYYMMDDTHHMMSSZ[-suffix])");
        }
        return id;
    }
}
