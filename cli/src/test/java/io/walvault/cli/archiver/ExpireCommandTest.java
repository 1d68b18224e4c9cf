package io.walvault.cli.archiver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.archiver.expire.RetentionPolicy;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ExpireCommandTest {

    private static RetentionPolicy policy(String... args) {
        ExpireCommand c = new ExpireCommand();
        new CommandLine(c).parseArgs(args);
        return c.policy();
    }

    @Test
    void namedBackupsReplaceACountOrAWindowFromAnywhere() {
        RetentionPolicy p = policy("--remove", "20261121T063000Z", "--remove", "20261120T063000Z-2", "--retain-full", "3",
                "--retain-window", "7d", "--orphan-grace", "2h");
        assertEquals(List.of("20261120T063000Z-2", "20261121T063000Z"), p.named());
        assertEquals(0, p.retainFull());
        assertEquals(Duration.ofHours(2), p.orphanGrace());
        assertEquals(List.of(), policy("--retain-full", "3").named());
        assertEquals(3, policy("--retain-full", "3").retainFull());
    }

    @Test
    void onlyTheCommandLineNamesBackupsToRemove(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("walvault.conf");
        Files.writeString(config, "repo = " + dir.resolve("repo").toUri() + "\nencryption = none\nremove = 20261121T063000Z\n");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int rc = Main.run(new String[] {"expire", "--config", config.toString()}, new PrintWriter(out, true),
                new PrintWriter(err, true));
        assertEquals(3, rc, err.toString());
        assertTrue(err.toString().contains("remove"), err.toString());
    }

    @Test
    void aNameThatIsNoBackupIdIsAUsageError() {
        WalvaultException e = assertThrows(WalvaultException.class, () -> policy("--remove", "yesterday"));
        assertEquals(ErrorCode.USAGE, e.code());
        assertTrue(e.getMessage().contains("'yesterday' is not a backup id"), e.getMessage());
    }
}
