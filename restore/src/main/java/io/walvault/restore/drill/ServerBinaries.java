package io.walvault.restore.drill;

import static java.util.Objects.requireNonNull;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The PostgreSQL server binary a restore drill runs: the one the user names, or the first of
 * the backup's major version found on PATH or in the usual package locations.
 *
 * @param postgres the {@code postgres} executable
 * @param major its major version
 */
public record ServerBinaries(Path postgres, int major) {

    private static final Pattern VERSION = Pattern.compile("\\(PostgreSQL\\) (\\d+)(?:\\.\\d+)?");

    public ServerBinaries {
        requireNonNull(postgres, "postgres is null");
    }

    /**
     * Finds the server binary for {@code major}: in {@code binDir} when given, else on PATH,
     * then in /usr/lib/postgresql/MAJOR/bin, /usr/pgsql-MAJOR/bin and /usr/local/pgsql/bin.
     */
    public static ServerBinaries find(Optional<Path> binDir, int major) {
        if (binDir.isPresent()) {
            Path p = binDir.get().resolve("postgres");
            int found = versionOf(p).orElseThrow(() -> new WalvaultException(ErrorCode.DRILL_NO_SERVER,
                    "'" + p + "' is not a runnable PostgreSQL server HINT: --pg-bin names the directory holding 'postgres'"));
            if (found != major) {
                throw new WalvaultException(ErrorCode.DRILL_NO_SERVER, "'" + p + "' is PostgreSQL " + found
                        + ", but the backup was taken from PostgreSQL " + major
                        + " HINT: name the binaries of major " + major + " with --pg-bin");
            }
            return new ServerBinaries(p, found);
        }
        List<Path> candidates = new ArrayList<>();
        String path = System.getenv("PATH");
        if (path != null) {
            for (String d : path.split(":")) {
                if (!d.isEmpty()) {
                    candidates.add(Path.of(d, "postgres"));
                }
            }
        }
        candidates.add(Path.of("/usr/lib/postgresql/" + major + "/bin/postgres"));
        candidates.add(Path.of("/usr/pgsql-" + major + "/bin/postgres"));
        candidates.add(Path.of("/usr/local/pgsql/bin/postgres"));
        List<String> seen = new ArrayList<>();
        for (Path c : candidates) {
            Optional<Integer> v = versionOf(c);
            if (v.isPresent()) {
                if (v.get() == major) {
                    return new ServerBinaries(c, major);
                }
                seen.add(c + " (PostgreSQL " + v.get() + ")");
            }
        }
        throw new WalvaultException(ErrorCode.DRILL_NO_SERVER, "no PostgreSQL " + major + " server binary found"
                + (seen.isEmpty() ? "" : "; found only " + String.join(", ", seen))
                + " HINT: install PostgreSQL " + major + " or name its bin directory with --pg-bin");
    }

    /** The major version a postgres binary reports, if it runs. */
    static Optional<Integer> versionOf(Path postgres) {
        if (!Files.isRegularFile(postgres) || !Files.isExecutable(postgres)) {
            return Optional.empty();
        }
        try {
            Process p = new ProcessBuilder(postgres.toString(), "--version").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                return Optional.empty();
            }
            Matcher m = VERSION.matcher(out);
            return m.find() ? Optional.of(Integer.parseInt(m.group(1))) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }
}
