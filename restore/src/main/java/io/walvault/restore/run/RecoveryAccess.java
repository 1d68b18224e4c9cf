package io.walvault.restore.run;

import static java.util.Objects.requireNonNull;

import io.walvault.core.config.RepositorySettings;
import io.walvault.core.config.Settings;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.restore.recovery.PrivateFiles;
import io.walvault.restore.recovery.ShellQuote;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * How the restored server reaches the repository: the restore_command and the private files it
 * reads. PostgreSQL runs restore_command through /bin/sh, as its own OS user, with its own
 * environment and with the data directory as working directory, so nothing of the restoring
 * shell's environment, config file or key files can be relied on. walvault therefore writes
 * the repository settings it resolved (flags, WALVAULT_* environment, config file) into
 * {@code pg_wal/.walvault-restore.conf}, and the passphrase and private keys into files beside
 * it, all 0600 inside the data directory (which belongs to the server's user), and points
 * restore_command at them by relative paths, so the command holds no secret (it is visible in
 * {@code ps} and in pg_settings) and still works if the directory is moved. pg_wal is never
 * copied by a base backup, and pg_verifybackup does not look into it.
 *
 * <p>The command names the walvault launcher by its absolute path (bin/walvault exports it as
 * {@code WALVAULT_LAUNCHER}), and repeats the repository location and the cluster as flags so
 * the launcher's no-JVM fast path can hand over prefetched segments.
 */
final class RecoveryAccess {

    static final String CONFIG = "pg_wal/.walvault-restore.conf";
    static final String PASSPHRASE = "pg_wal/.walvault-restore.passphrase";
    static final String KEY_PREFIX = "pg_wal/.walvault-restore.key";

    /** Settings carried as such into the restore config (secrets and key files are handled apart). */
    private static final Set<String> CARRIED = Set.of("repo", "encryption", "s3-endpoint", "s3-region", "s3-path-style",
            "s3-storage-class", "s3-sse", "s3-kms-key-id", "s3-checksums", "s3-conditional-write", "s3-part-size",
            "s3-part-concurrency", "s3-max-attempts", "s3-access-key-id", "s3-secret-access-key", "archive-get-prefetch",
            "archive-get-parallel", "archive-get-spool-max");

    private RecoveryAccess() {
    }

    /**
     * The launcher: {@code WALVAULT_LAUNCHER} when set (bin/walvault exports its own absolute
     * path), else a {@code bin/walvault} found above the jar or classes walvault runs from (the
     * build tree, or an installation's {@code lib/} beside its {@code bin/}: for walvault run
     * in-process, as by tests).
     */
    static Path launcher(Optional<String> fromEnvironment) {
        if (fromEnvironment.isPresent() && !fromEnvironment.get().isBlank()) {
            String l = fromEnvironment.get();
            Path p = Path.of(l);
            if (!p.isAbsolute() || !Files.isRegularFile(p) || !Files.isExecutable(p)) {
                throw new WalvaultException(ErrorCode.CONFIG, "WALVAULT_LAUNCHER '" + l + "' is not an absolute path to an"
                        + " executable HINT: set it to the absolute path of bin/walvault");
            }
            return p;
        }
        try {
            CodeSource source = RecoveryAccess.class.getProtectionDomain().getCodeSource();
            if (source != null) {
                for (Path dir = Path.of(source.getLocation().toURI()).toAbsolutePath(); dir != null; dir = dir.getParent()) {
                    Path candidate = dir.resolve("bin/walvault");
                    if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                        return candidate.toRealPath();
                    }
                }
            }
        } catch (URISyntaxException | IOException | IllegalArgumentException | SecurityException e) {
            // fall through to the error below
        }
        throw new WalvaultException(ErrorCode.CONFIG, "cannot tell where the walvault launcher is, for the restore_command of"
                + " the restored server HINT: run restore through bin/walvault (it sets WALVAULT_LAUNCHER), or set"
                + " WALVAULT_LAUNCHER to the absolute path of bin/walvault");
    }

    /**
     * The commands written into the restored server's configuration.
     *
     * @param restoreCommand restore_command: archive-get with the repository's settings
     * @param recoveryEndCommand recovery_end_command: archive-get {@code --end-of-recovery}, which
     *                           removes these private files and the spool's fetched WAL once recovery ended
     * @param getCaller restore_command's arguments before %f %p as bin/walvault sees them (the
     *                  launcher's own path left out, words joined by one space): what a spool
     *                  filled for this server must be announced for
     */
    record Commands(String restoreCommand, String recoveryEndCommand, String getCaller) {
    }

    /**
     * Writes the private files into {@code dataDirectory} and returns the commands that use them.
     *
     * @param launcher the absolute path of bin/walvault
     * @param settings the settings the restore resolved
     * @param repo the repository settings resolved from them
     * @param systemId the cluster being restored
     */
    static Commands write(Path dataDirectory, Path launcher, Settings settings, RepositorySettings repo, long systemId)
            throws IOException {
        requireNonNull(dataDirectory, "dataDirectory is null");
        List<String> lines = new ArrayList<>();
        lines.add("# written by walvault restore: the repository settings of this cluster's restore_command");
        lines.add("# (0600; holds or names secrets; pg_wal is never part of a base backup)");
        for (String name : settings.names()) {
            if (CARRIED.contains(name)) {
                settings.get(name).ifPresent(v -> lines.add(name + " = " + v));
            }
        }
        if (repo.passphrase() != null) {
            writePassphrase(dataDirectory.resolve(PASSPHRASE), repo.passphrase());
            lines.add("passphrase-file = " + PASSPHRASE);
        }
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < repo.privateKeyFiles().size(); i++) {
            String name = KEY_PREFIX + i;
            writePrivate(dataDirectory.resolve(name), Files.readAllBytes(repo.privateKeyFiles().get(i)));
            keys.add(name);
        }
        if (!keys.isEmpty()) {
            lines.add("private-key-file = " + String.join(",", keys));
        }
        writePrivate(dataDirectory.resolve(CONFIG), (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8));
        List<String> words = new ArrayList<>(List.of(launcher.toString(), "archive-get", "--config", CONFIG));
        settings.get("repo").ifPresent(r -> {
            words.add("--repo");
            words.add(r);
        });
        words.add("--system-identifier");
        words.add(Long.toUnsignedString(systemId));
        return new Commands(ShellQuote.command(words) + " %f %p",
                ShellQuote.command(List.of(launcher.toString(), "archive-get", "--end-of-recovery")),
                String.join(" ", words.subList(1, words.size())));
    }

    /** {@code passphrase} and a line end, as UTF-8; the bytes are overwritten once written. */
    private static void writePassphrase(Path file, char[] passphrase) throws IOException {
        CharBuffer line = CharBuffer.allocate(passphrase.length + 1).put(passphrase).put('\n').flip();
        ByteBuffer encoded = StandardCharsets.UTF_8.encode(line);
        Arrays.fill(line.array(), '\0');
        byte[] content = Arrays.copyOf(encoded.array(), encoded.limit());
        Arrays.fill(encoded.array(), (byte) 0);
        try {
            writePrivate(file, content);
        } finally {
            Arrays.fill(content, (byte) 0);
        }
    }

    private static void writePrivate(Path file, byte[] content) throws IOException {
        PrivateFiles.write(file, content);
    }
}
