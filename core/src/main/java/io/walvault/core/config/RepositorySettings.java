package io.walvault.core.config;

import static java.util.Objects.requireNonNull;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Where the repository is and how to open it, resolved from {@link Settings}.
 *
 * @param location        {@code file:///path}, {@code file://localhost/path}, {@code /path} or
 *                        {@code s3://bucket/prefix} as given (any other host in a {@code file:} URI is refused)
 * @param localPath       the directory of a {@code file:} repository, else null
 * @param s3              the S3 settings of an {@code s3:} repository, else null
 * @param compression     {@code lz4} (default), {@code zstd} or {@code none}: used by init
 * @param encryption      {@code none}, {@code passphrase}, {@code public-key}, or null if not set
 *                        (init requires it; other commands check it against the repository)
 * @param passphrase      from {@code WALVAULT_PASSPHRASE}, the config file, or {@code passphrase-file}; or null.
 *                        The settings own it: {@link #close} overwrites it, and whoever needs it
 *                        longer takes a copy
 * @param publicKeyFile   or null
 * @param privateKeyFiles maybe empty
 */
public record RepositorySettings(String location, Path localPath, S3Settings s3, String compression, String encryption,
                                 char[] passphrase, Path publicKeyFile, List<Path> privateKeyFiles) implements AutoCloseable {

    public RepositorySettings {
        requireNonNull(location, "location is null");
        requireNonNull(compression, "compression is null");
        privateKeyFiles = List.copyOf(privateKeyFiles);
        if ((localPath == null) == (s3 == null)) {
            throw new IllegalArgumentException("exactly one of localPath and s3 must be set");
        }
    }

    /** Resolves the repository settings, or fails with a {@code CONFIG} error naming the setting's source. */
    public static RepositorySettings from(Settings s) {
        String repo = s.get("repo").orElseThrow(() -> new WalvaultException(ErrorCode.CONFIG,
                "no repository given HINT: pass --repo file:///path or --repo s3://bucket/prefix, or set WALVAULT_REPO"));
        Path local = null;
        S3Settings s3 = null;
        URI uri;
        if (repo.startsWith("/")) {
            // a plain absolute path: the same as file:///path (and spaces need no escaping)
            uri = null;
            local = Path.of(repo);
        } else {
            try {
                uri = new URI(repo);
            } catch (URISyntaxException e) {
                throw config(s, "repo", "'" + repo + "' is not a URI");
            }
        }
        String scheme = uri == null ? "" : uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (uri == null) {
            // the local path above
        } else if (scheme.equals("file")) {
            String authority = uri.getRawAuthority();
            if (authority != null && !authority.equalsIgnoreCase("localhost")) {
                // file://srv/x names host 'srv' and path '/x': never write somewhere else than what was meant
                String path = uri.getRawPath() == null ? "" : uri.getRawPath();
                throw config(s, "repo", "'" + repo + "' names the host '" + authority + "', and walvault writes only to"
                        + " local paths HINT: for the directory '/" + authority + path + "' write 'file:///" + authority + path
                        + "' (three slashes) or the plain path");
            }
            if (uri.getPath() == null || !uri.getPath().startsWith("/")) {
                throw config(s, "repo", "'" + repo + "' must be an absolute file:///path");
            }
            local = Path.of(uri.getPath());
        } else if (scheme.equals("s3")) {
            if (uri.getHost() == null) {
                throw config(s, "repo", "'" + repo + "' has no bucket (s3://bucket/prefix)");
            }
            try {
                s3 = s3(s, uri.getHost(), uri.getPath());
            } catch (IllegalArgumentException e) {
                throw new WalvaultException(ErrorCode.CONFIG, e.getMessage(), e);
            }
        } else {
            throw config(s, "repo", "'" + repo + "' is neither file:///path, /path nor s3://bucket/prefix");
        }
        char[] passphrase = s.get("passphrase").map(String::toCharArray).orElse(null);
        if (passphrase == null && s.get("passphrase-file").isPresent()) {
            passphrase = readPassphrase(Path.of(s.get("passphrase-file").get()));
        }
        List<Path> privateKeys = new ArrayList<>();
        s.get("private-key-file").ifPresent(v -> {
            for (String p : v.split(",")) {
                if (!p.isBlank()) {
                    privateKeys.add(Path.of(p.strip()));
                }
            }
        });
        String compression = s.get("compression").orElse("lz4");
        if (!List.of("lz4", "zstd", "none").contains(compression)) {
            throw config(s, "compression", "'" + compression + "' is not 'lz4', 'zstd' or 'none'");
        }
        String encryption = s.get("encryption").orElse(null);
        if (encryption != null && !List.of("none", "passphrase", "public-key").contains(encryption)) {
            throw config(s, "encryption", "'" + encryption + "' is not 'none', 'passphrase' or 'public-key'");
        }
        return new RepositorySettings(repo, local, s3, compression, encryption, passphrase,
                s.get("public-key-file").map(Path::of).orElse(null), privateKeys);
    }

    private static S3Settings s3(Settings s, String bucket, String path) {
        S3Settings r = S3Settings.of(bucket, path);
        URI endpoint = s.get("s3-endpoint").map(URI::create).orElse(null);
        boolean pathStyle = bool(s, "s3-path-style", false);
        r = r.withEndpoint(endpoint, s.get("s3-region").orElse(null), pathStyle);
        S3Settings.Sse sse = s.get("s3-sse").map(v -> S3Settings.parseEnum(S3Settings.Sse.class, "s3-sse", v))
                .orElse(S3Settings.Sse.NONE);
        r = r.withStorageClass(s.get("s3-storage-class").orElse(null), sse, s.get("s3-kms-key-id").orElse(null));
        r = r.withChecksums(s.get("s3-checksums").map(v -> S3Settings.parseEnum(S3Settings.Checksums.class, "s3-checksums", v))
                .orElse(S3Settings.Checksums.WHEN_REQUIRED));
        r = r.withConditionalWrite(s.get("s3-conditional-write")
                .map(v -> S3Settings.parseEnum(S3Settings.ConditionalWrite.class, "s3-conditional-write", v))
                .orElse(S3Settings.ConditionalWrite.AUTO));
        r = r.withChunkedEncoding(bool(s, "s3-chunked-encoding", true));
        long partMiB = integer(s, "s3-part-size", 16);
        r = r.withParts(partMiB * 1024 * 1024, (int) integer(s, "s3-part-concurrency", 4));
        r = r.withRetries((int) integer(s, "s3-max-attempts", 10));
        if (s.get("s3-access-key-id").isPresent() || s.get("s3-secret-access-key").isPresent()) {
            r = r.withCredentials(s.get("s3-access-key-id").orElse(null), s.get("s3-secret-access-key").orElse(null));
        }
        return r;
    }

    private static boolean bool(Settings s, String name, boolean def) {
        String v = s.get(name).orElse(null);
        if (v == null) {
            return def;
        }
        return switch (v.toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on", "1" -> true;
            case "false", "no", "off", "0" -> false;
            default -> throw config(s, name, "'" + v + "' is not true or false");
        };
    }

    private static long integer(Settings s, String name, long def) {
        String v = s.get(name).orElse(null);
        if (v == null) {
            return def;
        }
        try {
            return Long.parseLong(v.strip());
        } catch (NumberFormatException e) {
            throw config(s, name, "'" + v + "' is not a number");
        }
    }

    /**
     * The first line of {@code file}, without its line end. The file must be the owner's alone
     * (mode 0600 or stricter), as ssh requires of a private key. The array is the caller's, to
     * overwrite once used; every other copy of the file's bytes and characters is overwritten
     * before this returns.
     */
    public static char[] readPassphrase(Path file) {
        SecretFiles.requireOwnerOnly(file, "passphrase file");
        byte[] b;
        try {
            b = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new WalvaultException(ErrorCode.CONFIG, "cannot read passphrase file '" + file + "': " + e.getMessage(), e);
        }
        CharBuffer text = StandardCharsets.UTF_8.decode(ByteBuffer.wrap(b));
        Arrays.fill(b, (byte) 0);
        try {
            // the first line, without its line end: files made with echo carry a newline
            int end = 0;
            while (end < text.limit() && text.get(end) != '\n') {
                end++;
            }
            if (end > 0 && text.get(end - 1) == '\r') {
                end--;
            }
            if (end == 0) {
                throw new WalvaultException(ErrorCode.CONFIG, "passphrase file '" + file + "' is empty");
            }
            char[] line = new char[end];
            text.get(line);
            return line;
        } finally {
            Arrays.fill(text.array(), '\0');
        }
    }

    /** Overwrites the passphrase with zeros, once the command that resolved these settings is done with them. */
    @Override
    public void close() {
        if (passphrase != null) {
            Arrays.fill(passphrase, '\0');
        }
    }

    private static WalvaultException config(Settings s, String name, String what) {
        return new WalvaultException(ErrorCode.CONFIG, "setting " + s.source(name) + " is invalid: " + what);
    }

    @Override
    public String toString() {
        return "RepositorySettings[" + location + ", compression=" + compression + ", encryption=" + encryption
                + ", passphrase=" + (passphrase == null ? "no" : "yes") + ", publicKeyFile=" + publicKeyFile
                + ", privateKeyFiles=" + privateKeyFiles + ", s3=" + s3 + "]";
    }

    @Override
    public boolean equals(Object o) {
        return this == o;
    }

    @Override
    public int hashCode() {
        return System.identityHashCode(this);
    }
}
