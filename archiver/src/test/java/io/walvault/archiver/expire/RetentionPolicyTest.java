package io.walvault.archiver.expire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RetentionPolicyTest {

    @Test
    void durationsInHoursDaysAndWeeks() {
        assertEquals(Duration.ofHours(36), RetentionPolicy.parseDuration("36h"));
        assertEquals(Duration.ofDays(7), RetentionPolicy.parseDuration("7d"));
        assertEquals(Duration.ofDays(14), RetentionPolicy.parseDuration(" 2w "));
        assertEquals(Duration.ZERO, RetentionPolicy.parseDuration("0h"));
        for (String bad : new String[] {"7", "7m", "d", "-1d", "1.5d", "7 days", "", "1000000d"}) {
            assertThrows(IllegalArgumentException.class, () -> RetentionPolicy.parseDuration(bad), bad);
        }
    }

    @Test
    void formatIsTheInverseOfParse() {
        for (String s : new String[] {"36h", "7d", "1h", "13d"}) {
            assertEquals(s, RetentionPolicy.format(RetentionPolicy.parseDuration(s)));
        }
        assertEquals("14d", RetentionPolicy.format(RetentionPolicy.parseDuration("2w")));
        assertEquals("90s", RetentionPolicy.format(Duration.ofSeconds(90)));
    }

    @Test
    void retentionMustBeExplicit() {
        WalvaultException e = assertThrows(WalvaultException.class,
                () -> new RetentionPolicy(0, null, RetentionPolicy.DEFAULT_ORPHAN_GRACE));
        assertEquals(ErrorCode.RETENTION_NOT_SET, e.code());
        assertEquals(63, e.code().exitCode());
        assertTrue(e.getMessage().contains("HINT: pass --retain-full N"), e.getMessage());
    }

    @Test
    void refusesNonsense() {
        assertThrows(IllegalArgumentException.class, () -> RetentionPolicy.full(0));
        assertThrows(IllegalArgumentException.class, () -> new RetentionPolicy(-1, Duration.ofDays(1), Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> RetentionPolicy.window(Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> RetentionPolicy.full(1).withOrphanGrace(Duration.ofHours(-1)));
    }

    @Test
    void bothCountAndWindow() {
        RetentionPolicy p = RetentionPolicy.full(2).withWindow(Duration.ofDays(7));
        assertEquals(2, p.retainFull());
        assertEquals(Optional.of(Duration.ofDays(7)), p.window());
        assertEquals(RetentionPolicy.DEFAULT_ORPHAN_GRACE, p.orphanGrace());
        assertEquals("newest 2 full backups and a 7d recovery window", p.describe());
        assertEquals("newest 1 full backup", RetentionPolicy.full(1).describe());
        assertEquals("a 36h recovery window", RetentionPolicy.window(Duration.ofHours(36)).describe());
    }
}
