package io.walvault.restore.status;

import static java.util.Objects.requireNonNull;

import java.util.OptionalLong;

/**
 * How much of what the server has written a restore could not bring back now: the recovery point
 * objective as it stands.
 *
 * @param bytes   WAL the server has written past the end of the latest recovery window (0 when none)
 * @param seconds 0 when {@code bytes} is 0; else the time since the window's last WAL file reached
 *                the repository (the archive has received nothing recoverable for that long while
 *                the server wrote on); empty when the store gives no time for that file
 */
public record Rpo(long bytes, OptionalLong seconds) {
    public Rpo {
        requireNonNull(seconds, "seconds is null");
        if (bytes < 0 || seconds.orElse(0) < 0) {
            throw new IllegalArgumentException("RPO " + bytes + " bytes, " + seconds + " s is negative");
        }
    }
}
