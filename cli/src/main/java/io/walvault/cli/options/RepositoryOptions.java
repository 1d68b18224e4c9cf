package io.walvault.cli.options;

import io.walvault.core.config.RepositorySettings;
import io.walvault.core.config.Settings;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;

/**
 * The repository options every command that touches a repository shares, as a picocli mixin.
 * Each option can also be set as {@code WALVAULT_<NAME>} or in the config file; see
 * {@link Settings} for the precedence. Secrets (the passphrase, the S3 secret key) have no flag.
 * Settings are read with every module's names ({@link WalvaultSettings}). The S3 options are
 * left out of each command's help and listed once in the top-level help ({@link #s3Help()}).
 */
public final class RepositoryOptions {

    @Option(names = "--config", paramLabel = "FILE", description = "Config file of 'name = value' lines and [cluster NAME]"
            + " sections (or WALVAULT_CONFIG); every option may stand in it.")
    Path config;

    @Option(names = "--cluster", paramLabel = "NAME", description = "The config file's [cluster NAME] section to use (or"
            + " WALVAULT_CLUSTER); it records the server's system identifier at its first use and refuses another (exit 6).")
    String cluster;

    @Option(names = "--repo", paramLabel = "URI", description = "Repository: file:///path (or /path; file://HOST/ is refused:"
            + " a local path only) or s3://bucket/prefix (WALVAULT_REPO); an S3 repository's options (--s3-*) are listed"
            + " once, in 'walvault --help'.")
    String repo;

    @Option(names = "--s3-endpoint", hidden = true, paramLabel = "URL", description = "S3-compatible endpoint (MinIO, Ceph, R2...).")
    String s3Endpoint;

    @Option(names = "--s3-region", hidden = true, paramLabel = "REGION", description = "S3 region (default: the AWS chain, or us-east-1 with an endpoint).")
    String s3Region;

    @Option(names = "--s3-path-style", hidden = true, paramLabel = "BOOL", description = "Path-style addressing (most S3-compatible stores).")
    String s3PathStyle;

    @Option(names = "--s3-storage-class", hidden = true, paramLabel = "CLASS", description = "Storage class of new objects (e.g. STANDARD_IA).")
    String s3StorageClass;

    @Option(names = "--s3-sse", hidden = true, paramLabel = "MODE", description = "Server-side encryption: none, aes256 or kms.")
    String s3Sse;

    @Option(names = "--s3-kms-key-id", hidden = true, paramLabel = "ID", description = "KMS key for --s3-sse kms.")
    String s3KmsKeyId;

    @Option(names = "--s3-checksums", hidden = true, paramLabel = "WHEN", description = "Request checksums: when-required (default; works with"
            + " S3-compatible stores) or when-supported (AWS only).")
    String s3Checksums;

    @Option(names = "--s3-conditional-write", hidden = true, paramLabel = "MODE", description = "Create-if-absent: auto (default), on, off.")
    String s3ConditionalWrite;

    @Option(names = "--s3-chunked-encoding", hidden = true, paramLabel = "BOOL", description = "Uploads over plain http as aws-chunked"
            + " streams with chunk signatures (default true); false signs each whole payload instead, for stores that keep"
            + " the chunk framing as the object's bytes (storage-check says so).")
    String s3ChunkedEncoding;

    @Option(names = "--s3-part-size", hidden = true, paramLabel = "MIB", description = "Multipart part size in MiB (default 16).")
    String s3PartSize;

    @Option(names = "--s3-part-concurrency", hidden = true, paramLabel = "N", description = "Parts uploaded in parallel per object (default 4).")
    String s3PartConcurrency;

    @Option(names = "--s3-max-attempts", hidden = true, paramLabel = "N", description = "Attempts per S3 request (default 10).")
    String s3MaxAttempts;

    @Option(names = "--s3-access-key-id", hidden = true, paramLabel = "ID", description = "Static access key id (default: the AWS credential chain;"
            + " the secret comes from WALVAULT_S3_SECRET_ACCESS_KEY or the config file).")
    String s3AccessKeyId;

    @Option(names = "--encryption", paramLabel = "MODE", description = "none, passphrase or public-key (required by init;"
            + " elsewhere checked against the repository).")
    String encryption;

    @Option(names = "--passphrase-file", paramLabel = "FILE", description = "File whose first line is the passphrase"
            + " (or WALVAULT_PASSPHRASE); refused unless only its owner may read it (chmod 600).")
    String passphraseFile;

    @Option(names = "--public-key-file", paramLabel = "FILE", description = "Public key: for init, the repository's; elsewhere,"
            + " pinned (the repository must write to it).")
    String publicKeyFile;

    @Option(names = "--private-key-file", paramLabel = "FILE", description = "Private key file(s), comma-separated (restore, decode);"
            + " each refused unless only its owner may read it (chmod 600).")
    String privateKeyFile;

    @Option(names = "--compression", paramLabel = "ALGO", description = "lz4 (default), zstd or none (init only).")
    String compression;

    /** The flags given, by setting name. */
    public Map<String, String> flags() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("repo", repo);
        m.put("s3-endpoint", s3Endpoint);
        m.put("s3-region", s3Region);
        m.put("s3-path-style", s3PathStyle);
        m.put("s3-storage-class", s3StorageClass);
        m.put("s3-sse", s3Sse);
        m.put("s3-kms-key-id", s3KmsKeyId);
        m.put("s3-checksums", s3Checksums);
        m.put("s3-conditional-write", s3ConditionalWrite);
        m.put("s3-part-size", s3PartSize);
        m.put("s3-part-concurrency", s3PartConcurrency);
        m.put("s3-max-attempts", s3MaxAttempts);
        m.put("s3-chunked-encoding", s3ChunkedEncoding);
        m.put("s3-access-key-id", s3AccessKeyId);
        m.put("encryption", encryption);
        m.put("passphrase-file", passphraseFile);
        m.put("public-key-file", publicKeyFile);
        m.put("private-key-file", privateKeyFile);
        m.put("compression", compression);
        return m;
    }

    /** All settings: these flags, then {@code environment}, then the config file. */
    public Settings settings(Map<String, String> environment) {
        return WalvaultSettings.load(flags(), config, cluster, environment);
    }

    /**
     * All settings: these flags plus a command's own {@code extraFlags} (setting name to value,
     * null when not given), then {@code environment}, then the config file.
     */
    public Settings settings(Map<String, String> extraFlags, Map<String, String> environment) {
        Map<String, String> all = flags();
        all.putAll(extraFlags);
        return WalvaultSettings.load(all, config, cluster, environment);
    }

    /** The repository settings resolved from flags, {@code environment} and config file. */
    public RepositorySettings repository(Map<String, String> environment) {
        return RepositorySettings.from(settings(environment));
    }

    /** The S3 options, one line each ({@code --s3-x=LABEL  description}): the top-level help's S3 section. */
    public static List<String> s3Help() {
        List<String> lines = new ArrayList<>();
        for (OptionSpec o : CommandSpec.forAnnotatedObject(new RepositoryOptions()).options()) {
            if (o.longestName().startsWith("--s3-")) {
                lines.add(String.format("  %-28s %s", o.longestName() + "=" + o.paramLabel(), String.join(" ", o.description())));
            }
        }
        return lines;
    }
}
