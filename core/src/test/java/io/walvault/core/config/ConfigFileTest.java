package io.walvault.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigFileTest {

    static final SettingNames NAMES = SettingNames.CORE.and(SettingNames.of("checkpoint", "pg", "archive-push-look-ahead"));

    @TempDir
    Path dir;

    private Path file(String text) throws Exception {
        Path p = dir.resolve("main.conf");
        Files.writeString(p, text);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-------"));
        return p;
    }

    @Test
    void theGlobalPartAndEachSectionKeepTheirValuesAndLines() throws Exception {
        Path p = file("# walvault\nrepo = /srv/repo\ncheckpoint = spread\n\n[cluster main]\npg = host=db1\ncheckpoint = fast\n"
                + "[ cluster  reports ]\npg = host=db2\n");
        ConfigFile c = ConfigFile.read(p, NAMES);
        assertEquals(Optional.of(new ConfigFile.Entry("/srv/repo", 2, null)), c.global("repo"));
        assertEquals(Optional.of(new ConfigFile.Entry("fast", 7, "main")), c.inSection("main", "checkpoint"));
        assertEquals(Optional.of(new ConfigFile.Entry("host=db2", 9, "reports")), c.inSection("reports", "pg"));
        assertEquals(Optional.empty(), c.inSection("reports", "checkpoint"));
        assertEquals(List.of("main", "reports"), List.copyOf(c.sections()));
    }

    @Test
    void aFileSavedWithAByteOrderMarkOrWindowsLineEndsReadsTheSame() throws Exception {
        Path p = file("\uFEFFrepo = /srv/repo\r\ncheckpoint = fast\r\n");
        ConfigFile c = ConfigFile.read(p, NAMES);
        assertEquals(Optional.of(new ConfigFile.Entry("/srv/repo", 1, null)), c.global("repo"));
        assertEquals(Optional.of(new ConfigFile.Entry("fast", 2, null)), c.global("checkpoint"));
    }

    @Test
    void aFileThatIsNotUtf8IsRefusedAsSuch() throws Exception {
        Path p = file("");
        Files.write(p, "label = caf\u00e9\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        WalvaultException e = assertThrows(WalvaultException.class, () -> ConfigFile.read(p, SettingNames.of("label")));
        assertEquals(ErrorCode.CONFIG, e.code());
        assertTrue(e.getMessage().contains("is not UTF-8 text HINT: save it as UTF-8"), e.getMessage());
    }

    @Test
    void anUnknownNameIsRefusedWithItsLineAndTheClosestKnownName() throws Exception {
        Path p = file("repo = /srv/repo\n[cluster main]\narchive-push-lookahead = 8\n");
        WalvaultException e = assertThrows(WalvaultException.class, () -> ConfigFile.read(p, NAMES));
        assertEquals(ErrorCode.CONFIG, e.code());
        assertEquals("config file '" + p + "' line 3: unknown setting 'archive-push-lookahead' HINT: did you mean"
                + " 'archive-push-look-ahead'?", e.getMessage());
        Path far = file("colour = blue\n");
        assertEquals("config file '" + far + "' line 1: unknown setting 'colour'",
                assertThrows(WalvaultException.class, () -> ConfigFile.read(far, NAMES)).getMessage(), "no hint when nothing is close");
    }

    @Test
    void malformedLinesAndSectionsAreRefusedWithTheirLine() throws Exception {
        Map<String, String> cases = Map.of(
                "repo\n", "line 1: is not 'name = value'",
                "[stanza main]\n", "line 1: '[stanza main]' is not a section walvault knows HINT: a section is [cluster NAME]",
                "[cluster a/b]\n", "line 1: 'a/b' is not a cluster name",
                "[cluster a]\n[cluster a]\n", "line 2: [cluster a] appears twice",
                "[cluster a]\npg = x\npg = y\n", "line 3: 'pg' is set twice in [cluster a]",
                "cluster = a\n", "line 1: 'cluster' chooses a section and is not a setting HINT: pass --cluster NAME");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            Path p = file(c.getKey());
            WalvaultException e = assertThrows(WalvaultException.class, () -> ConfigFile.read(p, NAMES), c.getKey());
            assertEquals(ErrorCode.CONFIG, e.code());
            assertTrue(e.getMessage().startsWith("config file '" + p + "' " + c.getValue()), e.getMessage());
        }
        // the same name in the global part and in a section is no repetition
        ConfigFile.read(file("pg = x\n[cluster a]\npg = y\n"), NAMES);
    }

    @Test
    void aSecretInASectionAlsoNeedsAnOwnerOnlyFile() throws Exception {
        Path p = file("[cluster a]\npassphrase = secret\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-r-----"));
        WalvaultException e = assertThrows(WalvaultException.class, () -> ConfigFile.read(p, NAMES));
        assertTrue(e.getMessage().contains("holds a secret and is readable by others HINT: chmod 600"), e.getMessage());
    }

    @Test
    void similarNamesAllowAboutAThirdOfTheNameToDiffer() {
        assertEquals(Optional.of("checkpoint"), SimilarNames.closest("chekpoint", List.of("checkpoint", "pg")));
        assertEquals(Optional.of("s3-region"), SimilarNames.closest("s3-regoin", List.of("s3-region", "s3-sse")));
        assertEquals(Optional.empty(), SimilarNames.closest("xyz", List.of("checkpoint", "pg")));
        List<String> known = List.of("archive-push-parallel", "archive-get-parallel", "archive-push-look-ahead", "pg");
        assertEquals(Optional.of("as a setting, --look-ahead is 'archive-push-look-ahead' (the command's name first)"),
                SimilarNames.hint("look-ahead", known));
        assertEquals(Optional.of("as a setting, --parallel is 'archive-get-parallel' or 'archive-push-parallel' (the command's"
                + " name first)"), SimilarNames.hint("parallel", known));
        assertEquals(Optional.of("did you mean 'pg'?"), SimilarNames.hint("pgg", known));
        assertEquals(Optional.empty(), SimilarNames.hint("xyz", known));
        assertEquals(1, SimilarNames.distance("ab", "ba"));
    }

    @Test
    void aNameSpelledLongerOrShorterThanAKnownOneIsHinted() {
        List<String> known = List.of("repo", "passphrase-file", "pg", "compression", "archive-push-parallel",
                "archive-get-parallel", "archive-push-look-ahead", "archive-get-prefetch");
        // other tools' names, and the word written out
        assertEquals(Optional.of("did you mean 'repo'?"), SimilarNames.hint("repository", known));
        assertEquals(Optional.of("did you mean 'repo'?"), SimilarNames.hint("repo1-path", known));
        assertEquals(Optional.of("did you mean 'passphrase-file'?"), SimilarNames.hint("passphrase", known));
        assertEquals(Optional.of("did you mean 'compression'?"), SimilarNames.hint("compress", known));
        // too short to say, or too many to choose from
        assertEquals(Optional.empty(), SimilarNames.hint("pgdata-dir", known));
        assertEquals(Optional.empty(), SimilarNames.hint("archive", known));
        assertEquals(Optional.of("did you mean 'archive-get-parallel' or 'archive-get-prefetch'?"),
                SimilarNames.hint("archive-get", known));
    }
}
