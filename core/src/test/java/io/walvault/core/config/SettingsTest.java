package io.walvault.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SettingsTest {

    @TempDir
    Path dir;

    private Path config(String text) throws Exception {
        Path p = dir.resolve("walvault.conf");
        Files.writeString(p, text);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-------"));
        return p;
    }

    private static Map<String, String> flags(String... kv) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    @Test
    void flagBeatsEnvironmentBeatsConfigFileBeatsDefault() throws Exception {
        Path c = config("# comment\ns3-region = from-file\ns3-endpoint = http://file:9000\ns3-part-size = 8\nrepo = s3://b-ucket/p\n");
        Map<String, String> env = Map.of("WALVAULT_S3_REGION", "from-env", "WALVAULT_S3_ENDPOINT", "http://env:9000");
        Settings s = Settings.load(flags("s3-region", "from-flag"), c, env);
        assertEquals("from-flag", s.get("s3-region").orElseThrow());
        assertEquals("--s3-region", s.source("s3-region"));
        assertEquals("http://env:9000", s.get("s3-endpoint").orElseThrow());
        assertEquals("WALVAULT_S3_ENDPOINT", s.source("s3-endpoint"));
        assertEquals("8", s.get("s3-part-size").orElseThrow());
        assertTrue(s.get("s3-storage-class").isEmpty());
        RepositorySettings r = RepositorySettings.from(s);
        assertEquals("b-ucket", r.s3().bucket());
        assertEquals("p", r.s3().prefix());
        assertEquals(8L * 1024 * 1024, r.s3().partSize());
        assertEquals(S3Settings.Checksums.WHEN_REQUIRED, r.s3().checksums(), "the default that works with S3-compatible stores");
        assertEquals("lz4", r.compression());
    }

    @Test
    void wholeNumbersAndTheSystemIdentifierNameTheirSourceWhenTheyAreNotNumbers() {
        Settings unset = Settings.load(Map.of(), null, Map.of());
        assertEquals(3, unset.integer("s3-max-attempts", 3));
        assertEquals(OptionalLong.empty(), unset.systemIdentifier());
        Settings s = Settings.load(Map.of("s3-max-attempts", " 16 ", "system-identifier", "18446744073709551615"), null,
                Map.of("WALVAULT_S3_PART_CONCURRENCY", "four"));
        assertEquals(16, s.integer("s3-max-attempts", 3));
        assertEquals(OptionalLong.of(-1L), s.systemIdentifier(), "unsigned 64 bits, as pg_controldata prints it");
        WalvaultException e = assertThrows(WalvaultException.class, () -> s.integer("s3-part-concurrency", 4));
        assertEquals(ErrorCode.CONFIG, e.code());
        assertTrue(e.getMessage().contains("s3-part-concurrency 'four' (from WALVAULT_S3_PART_CONCURRENCY) is not a number"),
                e.getMessage());
        WalvaultException id = assertThrows(WalvaultException.class,
                () -> Settings.load(Map.of("system-identifier", "db1"), null, Map.of()).systemIdentifier());
        assertTrue(id.getMessage().contains("system-identifier 'db1' (from --system-identifier) is not a number"), id.getMessage());
    }

    @Test
    void localRepositoriesAreFileUrisWithoutAHostOrPlainAbsolutePaths() {
        for (String repo : java.util.List.of("file:///srv/walvault", "file://localhost/srv/walvault",
                "file://LOCALHOST/srv/walvault", "/srv/walvault", "file:/srv/walvault")) {
            RepositorySettings r = RepositorySettings.from(Settings.load(flags("repo", repo), null, Map.of()));
            assertEquals(Path.of("/srv/walvault"), r.localPath(), repo);
            assertEquals(repo, r.location());
        }
        assertEquals(Path.of("/srv/with space"),
                RepositorySettings.from(Settings.load(flags("repo", "/srv/with space"), null, Map.of())).localPath());
        for (String repo : java.util.List.of("file://srv/walvault", "file://db1.example.com/srv/walvault",
                "file://localhost:8080/srv/walvault", "file://user@localhost/srv/walvault")) {
            WalvaultException e = assertThrows(WalvaultException.class,
                    () -> RepositorySettings.from(Settings.load(flags("repo", repo), null, Map.of())), repo);
            assertEquals(ErrorCode.CONFIG, e.code(), repo);
            assertTrue(e.getMessage().contains("names the host"), e.getMessage());
        }
        WalvaultException e = assertThrows(WalvaultException.class,
                () -> RepositorySettings.from(Settings.load(flags("repo", "file://srv/x"), null, Map.of())));
        assertEquals("setting --repo is invalid: 'file://srv/x' names the host 'srv', and walvault writes only to local"
                + " paths HINT: for the directory '/srv/x' write 'file:///srv/x' (three slashes) or the plain path", e.getMessage());
        for (String repo : java.util.List.of("relative/path", "file:relative")) {
            assertEquals(ErrorCode.CONFIG, assertThrows(WalvaultException.class,
                    () -> RepositorySettings.from(Settings.load(flags("repo", repo), null, Map.of())), repo).code());
        }
    }

    @Test
    void chunkedEncodingCanBeTurnedOff() {
        assertTrue(RepositorySettings.from(Settings.load(flags("repo", "s3://bucket/x"), null, Map.of())).s3().chunkedEncoding());
        assertEquals(false, RepositorySettings.from(Settings.load(flags("repo", "s3://bucket/x", "s3-chunked-encoding", "false"),
                null, Map.of())).s3().chunkedEncoding());
        assertEquals(false, RepositorySettings.from(Settings.load(flags("repo", "s3://bucket/x"), null,
                Map.of("WALVAULT_S3_CHUNKED_ENCODING", "off"))).s3().chunkedEncoding());
    }

    @Test
    void configFileFromTheEnvironment() throws Exception {
        Path c = config("repo = file:///var/lib/walvault\n");
        Settings s = Settings.load(Map.of(), null, Map.of("WALVAULT_CONFIG", c.toString()));
        assertEquals(Path.of("/var/lib/walvault"), RepositorySettings.from(s).localPath());
    }

    @Test
    void secretsAreRefusedAsFlagsAndTakenFromEnvironment() {
        WalvaultException e = assertThrows(WalvaultException.class,
                () -> Settings.load(flags("passphrase", "x"), null, Map.of()));
        assertEquals(ErrorCode.CONFIG, e.code());
        assertTrue(e.getMessage().contains("WALVAULT_PASSPHRASE"), e.getMessage());
        Settings s = Settings.load(flags("repo", "file:///r"), null, Map.of("WALVAULT_PASSPHRASE", "from env secret"));
        assertEquals("from env secret", new String(RepositorySettings.from(s).passphrase()));
    }

    @Test
    void configFileWithASecretMustBePrivate() throws Exception {
        Path c = config("passphrase = hunter2hunter2\n");
        Files.setPosixFilePermissions(c, PosixFilePermissions.fromString("rw-r--r--"));
        WalvaultException e = assertThrows(WalvaultException.class, () -> Settings.load(Map.of(), c, Map.of()));
        assertTrue(e.getMessage().contains("chmod 600"), e.getMessage());
    }

    @Test
    void aPassphraseFileOthersCanReachIsRefusedBeforeItIsRead() throws Exception {
        Path p = dir.resolve("pass");
        Files.writeString(p, "long passphrase here\n");
        Settings s = Settings.load(flags("repo", "file:///r", "passphrase-file", p.toString()), null, Map.of());
        for (String mode : java.util.List.of("rw-r--r--", "rw-r-----", "rw----r--", "rw--w----", "r-------x", "rw-rw-rw-")) {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(mode));
            WalvaultException e = assertThrows(WalvaultException.class, () -> RepositorySettings.from(s), mode);
            assertEquals(ErrorCode.CONFIG, e.code(), mode);
            String octal = SecretFiles.mode(PosixFilePermissions.fromString(mode));
            assertEquals("passphrase file '" + p + "' has mode " + octal + ", which lets its group or others at the secret it"
                    + " holds: refused HINT: chmod 600 '" + p + "'", e.getMessage());
        }
        assertEquals("0644", SecretFiles.mode(PosixFilePermissions.fromString("rw-r--r--")));
        for (String mode : java.util.List.of("rw-------", "r--------", "rwx------")) {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(mode));
            assertEquals("long passphrase here", new String(RepositorySettings.from(s).passphrase()), mode);
        }
    }

    @Test
    void typosAndMalformedValuesAreErrorsNamingTheirSource() throws Exception {
        Path c = config("s3-regoin = x\n");
        WalvaultException e = assertThrows(WalvaultException.class, () -> Settings.load(Map.of(), c, Map.of()));
        assertTrue(e.getMessage().contains("unknown setting 's3-regoin'"), e.getMessage());
        Settings s = Settings.load(flags("repo", "s3://bucket/x"), null, Map.of("WALVAULT_S3_PATH_STYLE", "maybe"));
        e = assertThrows(WalvaultException.class, () -> RepositorySettings.from(s));
        assertTrue(e.getMessage().contains("WALVAULT_S3_PATH_STYLE"), e.getMessage());
        Settings bad = Settings.load(flags("repo", "ftp://x/y"), null, Map.of());
        assertEquals(ErrorCode.CONFIG, assertThrows(WalvaultException.class, () -> RepositorySettings.from(bad)).code());
    }

    @Test
    void passphraseFileLosesItsLineEnd() throws Exception {
        Path p = dir.resolve("pass");
        Files.writeString(p, "long passphrase here\r\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-------"));
        Settings s = Settings.load(flags("repo", "file:///r", "passphrase-file", p.toString()), null, Map.of());
        assertEquals("long passphrase here", new String(RepositorySettings.from(s).passphrase()));
    }

    @Test
    void onlyTheNamesOfCoreAndOfTheCallersModulesAreKnown() throws Exception {
        Path c = config("repo = file:///r\narchive-get-prefetch = 4\n");
        WalvaultException e = assertThrows(WalvaultException.class, () -> Settings.load(Map.of(), c, Map.of()));
        assertEquals(ErrorCode.CONFIG, e.code());
        assertEquals("config file '" + c + "' line 2: unknown setting 'archive-get-prefetch'", e.getMessage());
        SettingNames restore = SettingNames.of("archive-get-prefetch");
        Settings s = Settings.load(restore, flags("archive-get-prefetch", "2"), c, Map.of("WALVAULT_ARCHIVE_GET_PREFETCH", "8"));
        assertEquals("2", s.get("archive-get-prefetch").orElseThrow());
        assertEquals("--archive-get-prefetch", s.source("archive-get-prefetch"));
        Settings fromEnv = Settings.load(restore, Map.of(), c, Map.of("WALVAULT_ARCHIVE_GET_PREFETCH", "8"));
        assertEquals("8", fromEnv.get("archive-get-prefetch").orElseThrow());
        assertEquals("4", Settings.load(restore, Map.of(), c, Map.of()).get("archive-get-prefetch").orElseThrow());
        assertTrue(s.names().containsAll(SettingNames.CORE.names()) && s.names().contains("archive-get-prefetch"), s.names().toString());
        Settings core = Settings.load(Map.of(), null, Map.of("WALVAULT_ARCHIVE_GET_PREFETCH", "8"));
        assertEquals(SettingNames.CORE.names(), core.names());
        assertEquals(ErrorCode.INTERNAL, assertThrows(WalvaultException.class, () -> core.get("archive-get-prefetch")).code());
        assertEquals(ErrorCode.INTERNAL, assertThrows(WalvaultException.class,
                () -> Settings.load(flags("archive-get-prefetch", "2"), null, Map.of())).code());
    }

    @Test
    void modulesNamesJoinWithTheirSecrets() {
        SettingNames all = SettingNames.CORE.and(SettingNames.of("archive-push-parallel")).and(SettingNames.of("archive-push-parallel"));
        assertTrue(all.contains("archive-push-parallel") && all.contains("repo") && all.contains("system-identifier"));
        assertTrue(all.isSecret("passphrase") && all.isSecret("s3-secret-access-key") && !all.isSecret("archive-push-parallel"));
        assertEquals(SettingNames.CORE.names().size() + 1, all.names().size());
        assertThrows(IllegalArgumentException.class, () -> SettingNames.of("passphrase").and(SettingNames.CORE));
        WalvaultException e = assertThrows(WalvaultException.class,
                () -> Settings.load(SettingNames.of("archive-push-parallel"), flags("s3-secret-access-key", "x"), null, Map.of()));
        assertEquals(ErrorCode.CONFIG, e.code());
    }

    @Test
    void s3SettingsNeverPrintTheSecret() {
        S3Settings s = S3Settings.of("bucket", "").withCredentials("AKIDEXAMPLE", "very-secret-value");
        assertTrue(!s.toString().contains("very-secret-value"), s.toString());
    }

    @Test
    void aSelectedSectionWinsOverTheGlobalPartAndLosesToEnvironmentAndFlags() throws Exception {
        Path c = config("repo = file:///global\ns3-region = global\ns3-endpoint = http://global\ncompression = zstd\n"
                + "[cluster main]\ns3-region = main\ns3-endpoint = http://main\ns3-sse = kms\n[cluster other]\ns3-region = other\n");
        Settings s = Settings.load(SettingNames.CORE, flags("s3-region", "flag"), c, "main",
                Map.of("WALVAULT_S3_ENDPOINT", "http://env", "WALVAULT_CLUSTER", "other"));
        assertEquals(Optional.of("main"), s.cluster(), "--cluster beats WALVAULT_CLUSTER");
        assertEquals("flag", s.get("s3-region").orElseThrow());
        assertEquals("http://env", s.get("s3-endpoint").orElseThrow());
        assertEquals("kms", s.get("s3-sse").orElseThrow());
        assertEquals("'s3-sse' in [cluster main] of config file '" + c + "' line 8", s.source("s3-sse"));
        assertEquals("zstd", s.get("compression").orElseThrow());
        assertEquals("'compression' in config file '" + c + "' line 4", s.source("compression"));
        assertTrue(s.get("s3-storage-class").isEmpty());
        assertEquals("the default of 's3-storage-class'", s.source("s3-storage-class"));
        Settings none = Settings.load(SettingNames.CORE, Map.of(), c, null, Map.of());
        assertEquals("global", none.get("s3-region").orElseThrow(), "no section selected: the global part alone");
        Settings fromEnv = Settings.load(SettingNames.CORE, Map.of(), c, null, Map.of("WALVAULT_CLUSTER", "other"));
        assertEquals("other", fromEnv.get("s3-region").orElseThrow());
        assertEquals("WALVAULT_CLUSTER", fromEnv.clusterSource());
    }

    @Test
    void aClusterWithoutItsSectionOrWithoutAFileIsRefused() throws Exception {
        Path c = config("repo = file:///r\n[cluster main]\n[cluster reports]\n");
        WalvaultException e = assertThrows(WalvaultException.class, () -> Settings.load(SettingNames.CORE, Map.of(), c, "mian",
                Map.of()));
        assertEquals(ErrorCode.CONFIG, e.code());
        assertEquals("config file '" + c + "' has no [cluster mian] section (cluster from --cluster) HINT: did you mean 'main'?"
                + " its sections are main, reports", e.getMessage());
        e = assertThrows(WalvaultException.class, () -> Settings.load(SettingNames.CORE, Map.of(), null, null,
                Map.of("WALVAULT_CLUSTER", "main")));
        assertTrue(e.getMessage().startsWith("cluster 'main' (from WALVAULT_CLUSTER) needs a config file"), e.getMessage());
    }
}
