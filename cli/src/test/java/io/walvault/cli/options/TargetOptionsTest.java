package io.walvault.cli.options;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.restore.recovery.RecoveryTarget;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class TargetOptionsTest {

    @Test
    void timestampsAsPeopleTypeThemForRecoveryTargetTime() {
        Instant t = Instant.parse("2026-11-21T09:30:00Z");
        assertEquals(t, TargetOptions.parseTime("2026-11-21 09:30:00+00"));
        assertEquals(t, TargetOptions.parseTime("2026-11-21 09:30:00 +00"));
        assertEquals(t, TargetOptions.parseTime("2026-11-21T09:30:00Z"));
        assertEquals(t, TargetOptions.parseTime("2026-11-21 09:30:00 UTC"));
        assertEquals(t, TargetOptions.parseTime("2026-11-21 10:30:00+01:00"));
        assertEquals(t, TargetOptions.parseTime("2026-11-21 11:00:00+0130"));
        assertEquals(Instant.parse("2026-11-21T09:30:00.123456Z"), TargetOptions.parseTime("2026-11-21 09:30:00.123456+00"));
    }

    @Test
    void aTimeWithoutZoneIsRefusedWithAHint() {
        WalvaultException e = assertThrows(WalvaultException.class, () -> TargetOptions.parseTime("2026-11-21 09:30:00"));
        assertEquals(ErrorCode.USAGE, e.code());
        assertTrue(e.getMessage().contains("HINT: write it as"), e.getMessage());
    }

    @Test
    void oneTargetAtMost() {
        TargetOptions o = parse("--target-xid", "1234", "--target-name", "before");
        WalvaultException e = assertThrows(WalvaultException.class, o::target);
        assertEquals(ErrorCode.USAGE, e.code());
        assertTrue(e.getMessage().contains("--target-xid and --target-name"), e.getMessage());
    }

    @Test
    void eachTargetAndTheDefault() {
        assertInstanceOf(RecoveryTarget.EndOfArchive.class, parse().target());
        assertInstanceOf(RecoveryTarget.Immediate.class, parse("--target", "immediate").target());
        assertEquals(new RecoveryTarget.Xid(1234), parse("--target-xid", "1234").target());
        assertEquals(new RecoveryTarget.Name("before"), parse("--target-name", "before").target());
        assertEquals("0/3000148", ((RecoveryTarget.AtLsn) parse("--target-lsn", "0/3000148").target()).lsn().toString());
        assertEquals("current", parse("--target-timeline", "current").timeline().setting());
        assertEquals("2", parse("--target-timeline", "2").timeline().setting());
        assertEquals(false, parse("--target-exclusive").inclusive());
        assertEquals(ErrorCode.USAGE, assertThrows(WalvaultException.class, () -> parse("--target", "soon").target()).code());
        assertEquals(ErrorCode.USAGE, assertThrows(WalvaultException.class, () -> parse("--target-xid", "x").target()).code());
    }

    private static TargetOptions parse(String... args) {
        @CommandLine.Command(name = "t")
        class Cmd {
            @CommandLine.Mixin
            TargetOptions target;
        }
        Cmd c = new Cmd();
        new CommandLine(c).parseArgs(args);
        return c.target;
    }
}
