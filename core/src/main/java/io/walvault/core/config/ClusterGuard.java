package io.walvault.core.config;

import static java.util.Objects.requireNonNull;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import java.io.IOException;
import java.util.OptionalLong;
import java.util.function.Consumer;

/**
 * Guards a {@code [cluster NAME]} section against a server it was not written for (a
 * configuration copied onto the wrong server): the first command that learns the server's system
 * identifier under the section records it in the config file's {@link ClusterIdentityFile}; from
 * then on every command that learns it refuses another one with {@link ErrorCode#CLUSTER_MISMATCH}.
 * Commands call {@link #check} where they learn the identifier anyway (IDENTIFY_SYSTEM, a WAL
 * segment's header). No section selected, or a {@code system-identifier} setting (which pins
 * the cluster by itself): no guard. Thread-safe.
 */
public final class ClusterGuard {

    /** No section selected: nothing to guard. */
    public static final ClusterGuard NONE = new ClusterGuard(null, null, null, w -> { });

    private final String cluster;
    private final ClusterIdentityFile file;
    private final String configFile;
    private final Consumer<String> warnings;
    /** The identifier recorded (or just recorded), once read. */
    private OptionalLong known;

    private ClusterGuard(String cluster, ClusterIdentityFile file, String configFile, Consumer<String> warnings) {
        this.cluster = cluster;
        this.file = file;
        this.configFile = configFile;
        this.warnings = warnings;
    }

    /**
     * The guard of the section {@code settings} select, or {@link #NONE}; {@code warnings} gets
     * the line to log when the record cannot be written.
     */
    public static ClusterGuard of(Settings settings, Consumer<String> warnings) {
        requireNonNull(settings, "settings is null");
        requireNonNull(warnings, "warnings is null");
        if (settings.cluster().isEmpty() || settings.configFile().isEmpty() || settings.get("system-identifier").isPresent()) {
            return NONE;
        }
        return new ClusterGuard(settings.cluster().get(), ClusterIdentityFile.beside(settings.configFile().get()),
                settings.configFile().get().toString(), warnings);
    }

    /**
     * Refuses {@code systemId} when the section was first used with another cluster; records it
     * when the section has no record yet (a record that cannot be written is logged, and the
     * command goes on: the guard then starts at the next use that can write it).
     */
    public synchronized void check(long systemId) {
        if (file == null) {
            return;
        }
        if (known == null) {
            known = file.recorded(cluster);
        }
        if (known.isEmpty()) {
            try {
                file.record(cluster, systemId);
            } catch (IOException e) {
                warnings.accept("cannot record the system identifier of [cluster " + cluster + "] in '" + file.path() + "': "
                        + e + "; the section is not guarded against another server until it is HINT: let walvault's OS user"
                        + " write the config file's directory, or set system-identifier = " + Long.toUnsignedString(systemId)
                        + " in the section");
            }
            known = OptionalLong.of(systemId);
            return;
        }
        if (known.getAsLong() != systemId) {
            String recorded = Long.toUnsignedString(known.getAsLong());
            throw new WalvaultException(ErrorCode.CLUSTER_MISMATCH, "the server is cluster " + Long.toUnsignedString(systemId)
                    + ", but [cluster " + cluster + "] of config file '" + configFile + "' was first used with cluster " + recorded
                    + " (recorded in '" + file.path() + "'): refused, nothing written HINT: is this the configuration of another"
                    + " server? Select this server's own section with --cluster; if this server replaces that cluster"
                    + " (pg_upgrade, a new initdb), remove the line '" + cluster + " " + recorded + "' from '" + file.path() + "'");
        }
    }
}
