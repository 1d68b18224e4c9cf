package io.walvault.archiver.push;

import io.walvault.core.wal.WalFileName;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The WAL files PostgreSQL has marked ready for archiving ({@code archive_status/NAME.ready}),
 * in the order it archives them: history files first, then by name (WAL order). Stateless.
 */
final class ReadyFiles {

    private ReadyFiles() {
    }

    /** The ready files of {@code walDirectory} that still exist, in archiving order; empty if it cannot be listed. */
    static List<Path> list(Path walDirectory) {
        Path status = walDirectory.resolve("archive_status");
        List<WalFileName> ready = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(status)) { // no glob: a regular expression per look
            for (Path p : ds) {
                String n = p.getFileName().toString();
                if (!n.endsWith(".ready")) {
                    continue;
                }
                WalFileName.tryParse(n.substring(0, n.length() - ".ready".length())).ifPresent(ready::add);
            }
        } catch (IOException e) {
            return List.of();
        }
        ready.sort(Comparator.comparing((WalFileName w) -> w.kind() != WalFileName.Kind.HISTORY).thenComparing(WalFileName::name));
        List<Path> out = new ArrayList<>();
        for (WalFileName w : ready) {
            Path p = walDirectory.resolve(w.name());
            if (Files.isRegularFile(p)) {
                out.add(p);
            }
        }
        return out;
    }
}
