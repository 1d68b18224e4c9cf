package io.walvault.core.config;

import static java.util.Objects.requireNonNull;

import java.util.Collections;
import java.util.HashSet;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * The setting names a module owns. Each module declares its own: core's are {@link #CORE} (the
 * repository, its storage, encryption and compression, and the cluster), the archiver's and
 * restore's are declared in those modules, and the walvault executable joins them. {@link Settings}
 * accepts exactly the names it is given, so a name no module declares is refused, and it refuses
 * {@linkplain #isSecret secrets} on the command line. Immutable.
 */
public final class SettingNames {

    /** core's: the repository, its storage, encryption and compression, and the cluster it is for. */
    public static final SettingNames CORE = new SettingNames(Set.of("repo", "compression", "encryption", "passphrase",
            "passphrase-file", "public-key-file", "private-key-file", "s3-endpoint", "s3-region", "s3-path-style",
            "s3-storage-class", "s3-sse", "s3-kms-key-id", "s3-checksums", "s3-conditional-write", "s3-chunked-encoding",
            "s3-part-size", "s3-part-concurrency", "s3-max-attempts", "s3-access-key-id", "s3-secret-access-key",
            "system-identifier"), Set.of("passphrase", "s3-secret-access-key"));

    private final Set<String> names;
    private final Set<String> secrets;

    private SettingNames(Set<String> names, Set<String> secrets) {
        this.names = Set.copyOf(names);
        this.secrets = Set.copyOf(secrets);
        if (!this.names.containsAll(this.secrets)) {
            throw new IllegalArgumentException("secrets " + this.secrets + " are not all among the names " + this.names);
        }
    }

    /** {@code names}, none of them a secret. */
    public static SettingNames of(String... names) {
        return new SettingNames(Set.of(names), Set.of());
    }

    /**
     * These names and {@code other}'s. A name both declare must be a secret in both or in
     * neither.
     */
    public SettingNames and(SettingNames other) {
        requireNonNull(other, "other is null");
        Set<String> n = new HashSet<>(names);
        n.addAll(other.names);
        for (String name : n) {
            if (names.contains(name) && other.names.contains(name) && secrets.contains(name) != other.secrets.contains(name)) {
                throw new IllegalArgumentException("setting '" + name + "' is declared a secret once and not the other time");
            }
        }
        Set<String> s = new HashSet<>(secrets);
        s.addAll(other.secrets);
        return new SettingNames(n, s);
    }

    public boolean contains(String name) {
        return names.contains(name);
    }

    /** Whether {@code name} may come only from the environment or the config file. */
    public boolean isSecret(String name) {
        return secrets.contains(name);
    }

    /** The names, sorted. */
    public SortedSet<String> names() {
        return Collections.unmodifiableSortedSet(new TreeSet<>(names));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SettingNames other && names.equals(other.names) && secrets.equals(other.secrets);
    }

    @Override
    public int hashCode() {
        return names.hashCode() * 31 + secrets.hashCode();
    }

    @Override
    public String toString() {
        return "SettingNames" + names() + (secrets.isEmpty() ? "" : ", secrets " + new TreeSet<>(secrets));
    }
}
