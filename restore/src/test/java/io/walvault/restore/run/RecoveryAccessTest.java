package io.walvault.restore.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.config.RepositorySettings;
import io.walvault.core.config.Settings;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RecoveryAccessTest {

    @Test
    void theLauncherIsFoundAboveTheClassesWhenTheEnvironmentDoesNotNameIt() throws Exception {
        Path found = RecoveryAccess.launcher(Optional.empty());
        assertTrue(found.isAbsolute() && found.endsWith("bin/walvault") && Files.isExecutable(found), found.toString());
        assertEquals(found, RecoveryAccess.launcher(Optional.of(found.toString())));
        assertEquals(ErrorCode.CONFIG, assertThrows(WalvaultException.class,
                () -> RecoveryAccess.launcher(Optional.of("bin/walvault"))).code());
    }

    @Test
    void secretsGoToPrivateFilesAndTheCommandNamesThemByRelativePath(@TempDir Path data) throws Exception {
        Settings s = Settings.load(Map.of("repo", "file:///srv/repo", "encryption", "passphrase"), null,
                Map.of("WALVAULT_PASSPHRASE", "it's a secret %f", "WALVAULT_S3_REGION", "eu-west-1"));
        RecoveryAccess.Commands commands = RecoveryAccess.write(data, Path.of("/opt/walvault/bin/walvault"), s,
                RepositorySettings.from(s), 42);
        String command = commands.restoreCommand();
        assertEquals("/opt/walvault/bin/walvault archive-get --config pg_wal/.walvault-restore.conf --repo file:///srv/repo"
                + " --system-identifier 42 %f %p", command);
        assertEquals("/opt/walvault/bin/walvault archive-get --end-of-recovery", commands.recoveryEndCommand());
        assertFalse(command.contains("a secret"));
        String conf = Files.readString(data.resolve(RecoveryAccess.CONFIG));
        assertTrue(conf.contains("passphrase-file = " + RecoveryAccess.PASSPHRASE), conf);
        assertTrue(conf.contains("s3-region = eu-west-1"), conf);
        assertFalse(conf.contains("a secret"), conf);
        assertEquals("it's a secret %f\n", Files.readString(data.resolve(RecoveryAccess.PASSPHRASE)));
        for (String f : new String[] {RecoveryAccess.CONFIG, RecoveryAccess.PASSPHRASE}) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(data.resolve(f))), f);
        }
        // what the server reads back (from the data directory, as restore_command runs there)
        Settings back = Settings.load(Map.of(), data.resolve(RecoveryAccess.CONFIG), Map.of());
        assertEquals("file:///srv/repo", back.get("repo").orElseThrow());
        assertEquals(RecoveryAccess.PASSPHRASE, back.get("passphrase-file").orElseThrow());
    }
}
