package io.walvault.core.arch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Each third-party library of the repository layer is imported by one package only
 * (docs/ARCHITECTURE.md, "Repository"), checked on the main sources.
 */
class RepositoryImportsTest {

    private static final Path MAIN = Path.of("src/main/java/io/walvault/core");

    /**
     * library import prefix -> the package directories allowed to import it: one each, except
     * Jackson, which reads two formats that have nothing else in common: the repository's own
     * JSON (repo) and PostgreSQL's backup_manifest (manifest, streamed token by token), and picocli,
     * which none may import: the command line is the cli module's.
     */
    private static final Map<String, java.util.Set<String>> OWNERS = Map.of(
            "software.amazon.awssdk", java.util.Set.of("storage/s3"),
            "net.jpountz", java.util.Set.of("compress"),
            "com.github.luben", java.util.Set.of("compress"),
            "org.bouncycastle", java.util.Set.of("crypto"),
            "com.fasterxml.jackson", java.util.Set.of("repo", "manifest"),
            "picocli", java.util.Set.of());

    @Test
    void eachLibraryHasOneOwningPackage() throws IOException {
        List<String> violations = new ArrayList<>();
        int checked = 0;
        try (Stream<Path> files = Files.walk(MAIN)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                String pkgDir = MAIN.relativize(f.getParent()).toString();
                if (pkgDir.startsWith("replication")) {
                    continue; // the replication client has its own rules
                }
                checked++;
                for (String line : Files.readAllLines(f)) {
                    if (!line.startsWith("import ")) {
                        continue;
                    }
                    String imported = line.substring(7).replace("static ", "");
                    OWNERS.forEach((lib, owner) -> {
                        if (imported.startsWith(lib + ".") && !owner.contains(pkgDir)) {
                            violations.add(MAIN.relativize(f) + " imports " + lib);
                        }
                    });
                }
            }
        }
        assertTrue(checked > 30, "the sources were found (" + checked + " files)");
        assertEquals(List.of(), violations);
    }

    @Test
    void storageAndPipelineUseTheJdkOnly() throws IOException {
        List<String> violations = new ArrayList<>();
        for (String pkg : List.of("pipeline", "storage", "config", "error")) {
            try (Stream<Path> files = Files.list(MAIN.resolve(pkg))) {
                for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                    for (String line : Files.readAllLines(f)) {
                        if (line.startsWith("import ") && !line.matches("import (static )?(java|javax|io\\.walvault)\\..*")) {
                            violations.add(f.getFileName() + ": " + line);
                        }
                    }
                }
            }
        }
        assertEquals(List.of(), violations);
    }
}
