package io.walvault.core.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Netty and scram-client stay inside core.replication and its sub-packages. */
class DependencyBoundaryTest {

    @Test
    void nettyAndScramAreImportedOnlyByTheReplicationPackages() throws IOException {
        Path root = Path.of("src/main/java");
        assertTrue(Files.isDirectory(root.resolve("io/walvault/core/replication")), "run from the core module");
        List<String> offenders;
        try (Stream<Path> files = Files.walk(root)) {
            offenders = files.filter(p -> p.toString().endsWith(".java"))
                    .filter(p -> !root.relativize(p).toString().startsWith("io/walvault/core/replication/"))
                    .filter(p -> {
                        try {
                            String text = Files.readString(p);
                            return text.contains("import io.netty.") || text.contains("import com.ongres.scram.");
                        } catch (IOException e) {
                            throw new IllegalStateException(e);
                        }
                    })
                    .map(Path::toString)
                    .toList();
        }
        assertEquals(List.of(), offenders);
    }
}
