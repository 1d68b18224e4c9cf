package io.walvault.core.repo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.error.CorruptDataException;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The repository's records as JSON: every record type reads what walvault wrote before (the
 * lines in {@code records.tsv}, written by the data-binding mapper it used until then) and writes
 * the same bytes again; and reading is as strict as it was.
 */
class RecordJsonTest {

    private static Map<String, String> written() throws IOException {
        Map<String, String> lines = new LinkedHashMap<>();
        try (InputStream in = RecordJsonTest.class.getResourceAsStream("records.tsv");
             BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                if (!line.startsWith("#")) {
                    int tab = line.indexOf('\t');
                    lines.put(line.substring(0, tab), line.substring(tab + 1));
                }
            }
        }
        return lines;
    }

    @Test
    void everyRecordReadsWhatWasWrittenBeforeAndWritesTheSameBytes() throws IOException {
        Map<String, String> written = written();
        List<Object[]> samples = RecordJsonSamples.all();
        assertEquals(samples.size(), written.size());
        for (Object[] s : samples) {
            String name = (String) s[0];
            Record sample = (Record) s[1];
            String json = written.get(name);
            assertEquals(json, new String(RecordJson.write(sample), StandardCharsets.UTF_8), name);
            assertEquals(sample, RecordJson.read(json.getBytes(StandardCharsets.UTF_8), sample.getClass()), name);
        }
    }

    private static String refusal(String json, Class<? extends Record> type) {
        return assertThrows(IOException.class, () -> RecordJson.read(json.getBytes(StandardCharsets.UTF_8), type), json)
                .getMessage();
    }

    @Test
    void readingRefusesWhatDoesNotFitTheRecord() {
        String holder = "\"token\":\"t\",\"host\":\"h\",\"pid\":1,\"acquired\":\"a\",\"heartbeat\":\"b\"";
        assertTrue(refusal("{" + holder + ",\"extra\":1}", RepositoryLock.Holder.class).contains("unknown field 'extra'"));
        assertTrue(refusal("{" + holder + ",\"pid\":2}", RepositoryLock.Holder.class).contains("pid"), "a field given twice");
        assertTrue(refusal("{\"token\":\"t\",\"host\":\"h\",\"acquired\":\"a\",\"heartbeat\":\"b\"}", RepositoryLock.Holder.class)
                .contains("field 'pid' is missing"));
        assertTrue(refusal("{" + holder.replace("\"pid\":1", "\"pid\":null") + "}", RepositoryLock.Holder.class)
                .contains("field 'pid' is null"));
        assertTrue(refusal("{" + holder.replace("\"pid\":1", "\"pid\":\"1\"") + "}", RepositoryLock.Holder.class)
                .contains("field 'pid' is not an integer"));
        assertTrue(refusal("{" + holder.replace("\"pid\":1", "\"pid\":1.5") + "}", RepositoryLock.Holder.class)
                .contains("field 'pid' is not an integer"));
        assertTrue(refusal("{" + holder.replace("\"pid\":1", "\"pid\":18446744073709551616") + "}", RepositoryLock.Holder.class)
                .contains("field 'pid' is out of range"));
        assertTrue(refusal("{" + holder + "} {}", RepositoryLock.Holder.class).contains("data follows"));
        assertTrue(refusal("[1]", RepositoryLock.Holder.class).contains("not a JSON object"));
        assertTrue(refusal("{" + holder, RepositoryLock.Holder.class).length() > 0, "an object cut short");
        assertTrue(refusal("{\"walvaultManifest\":5,\"backup\":{\"id\":\"x\",\"colour\":\"red\"}}", BackupCatalog.Header.class)
                .contains("unknown field 'backup.colour'"));
    }

    @Test
    void aLongFieldTakesAnyLongAndAnIntFieldOnlyAnInt() throws IOException {
        assertEquals(2147483648L, RecordJson.read("{\"end\":{\"files\":2147483648,\"bytes\":1}}".getBytes(StandardCharsets.UTF_8),
                BackupCatalog.Trailer.class).end().files());
        String sealed = "{\"keys\":[{\"version\":2147483648,\"key\":\"k\",\"created\":\"c\"}]}";
        assertTrue(refusal(sealed, KeyringFile.Sealed.class).contains("field 'keys[0].version' is out of range"));
    }

    @Test
    void aRecordsOwnRefusalKeepsItsCodeAndOtherDamageIsCorruptionNamingTheObject() {
        WalvaultException version = assertThrows(WalvaultException.class, () -> Json.read(
                "{\"format\":2,\"id\":\"i\",\"created\":\"c\",\"compression\":\"lz4\",\"encryption\":\"none\"}"
                        .getBytes(StandardCharsets.UTF_8), RepositoryDescriptor.class, "repository.json"));
        assertEquals(ErrorCode.REPOSITORY_FORMAT, version.code(), version.getMessage());

        CorruptDataException unsafe = assertThrows(CorruptDataException.class, () -> Json.read(
                "{\"path\":\"../etc/passwd\",\"size\":1,\"mtime\":1,\"bundle\":0,\"offset\":0}".getBytes(StandardCharsets.UTF_8),
                ManifestFile.class, "clusters/1/backups/b/manifest"));
        assertTrue(unsafe.getMessage().startsWith("object 'clusters/1/backups/b/manifest' is corrupt: manifest path '../etc/passwd'"),
                unsafe.getMessage());

        CorruptDataException unknown = assertThrows(CorruptDataException.class, () -> Json.read(
                "{\"path\":\"base/1/1\",\"size\":1,\"mtime\":1,\"bundle\":0,\"offset\":0,\"owner\":\"x\"}".getBytes(StandardCharsets.UTF_8),
                ManifestFile.class, "clusters/1/backups/b/manifest"));
        assertTrue(unknown.getMessage().contains("is corrupt: unknown field 'owner'"), unknown.getMessage());
    }

    @Test
    void aManifestLineIsToldApartByItsFirstField() throws IOException {
        assertEquals("end", RecordJson.firstField("{\"end\":{\"files\":0,\"bytes\":0}}".getBytes(StandardCharsets.UTF_8)));
        assertEquals("path", RecordJson.firstField("{\"path\":\"base/1/1\"}".getBytes(StandardCharsets.UTF_8)));
        assertEquals("", RecordJson.firstField("{}".getBytes(StandardCharsets.UTF_8)));
        assertThrows(IOException.class, () -> RecordJson.firstField("\"end\"".getBytes(StandardCharsets.UTF_8)));
    }
}
