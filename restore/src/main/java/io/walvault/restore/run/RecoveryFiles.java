package io.walvault.restore.run;

import static java.util.Objects.requireNonNull;

import io.walvault.core.config.RepositorySettings;
import io.walvault.core.config.Settings;
import io.walvault.core.pipeline.Sink;
import io.walvault.core.repo.BackupCatalog;
import io.walvault.core.repo.BackupInfo;
import io.walvault.core.wal.Lsn;
import io.walvault.restore.plan.RestorePlan;
import io.walvault.restore.plan.TargetPlanning;
import io.walvault.restore.plan.TargetResolver;
import io.walvault.restore.recovery.RecoveryConfigWriter;
import io.walvault.restore.recovery.RecoveryExpectation;
import io.walvault.restore.recovery.RecoveryMode;
import io.walvault.restore.recovery.RecoveryTarget;
import io.walvault.restore.recovery.RecoverySettings;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.Set;

/**
 * What turns restored files into a server that recovers to the target: the files PostgreSQL
 * reads when it starts from a backup, the recovery settings with restore_command and
 * recovery_end_command, and walvault's own recovery plan (what archive-get holds recovery to).
 */
final class RecoveryFiles {

    private final Restore.Options options;
    private final Settings settings;
    private final RepositorySettings repositorySettings;

    RecoveryFiles(Restore.Options options, Settings settings, RepositorySettings repositorySettings) {
        this.options = requireNonNull(options, "options is null");
        this.settings = requireNonNull(settings, "settings is null");
        this.repositorySettings = requireNonNull(repositorySettings, "repositorySettings is null");
    }

    /** Where the last record recovery replays ends, as far as the restore knows. */
    private Optional<Lsn> replayedUntil(TargetPlanning.Planned planned) {
        if (planned.resolution().isPresent()) {
            return planned.resolution().map(TargetResolver.Resolution::replayedUntil);
        }
        if (planned.plan().target() instanceof RecoveryTarget.AtLsn l && !options.inclusive()) {
            return Optional.of(RecoveryExpectation.replayedBefore(l.lsn(), planned.plan().segmentSize()));
        }
        return Optional.empty();
    }

    /**
     * Writes the server's backup_manifest, tablespace_map (when a tablespace moved), the
     * restore_command's private files, the recovery plan, the recovery settings and, last,
     * backup_label under its own name. Returns the commands written.
     */
    RecoveryAccess.Commands write(BackupCatalog catalog, long systemId, TargetPlanning.Planned planned, ManifestSpool manifest,
                                  TablespaceLayout layout, Path launcher) throws IOException {
        RestorePlan plan = planned.plan();
        Path data = options.dataDirectory();
        BackupInfo info = manifest.info();
        if (Boolean.TRUE.equals(info.serverManifest())) {
            Path target = data.resolve("backup_manifest");
            try (FileChannel ch = FileChannel.open(target, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
                catalog.readServerManifest(info.id(), new Sink() {
                    @Override
                    public void write(byte[] b, int off, int len) throws IOException {
                        ByteBuffer buf = ByteBuffer.wrap(b, off, len);
                        while (buf.hasRemaining()) {
                            ch.write(buf);
                        }
                    }

                    @Override
                    public void finish() throws IOException {
                        ch.force(true);
                    }

                    @Override
                    public void close() {
                    }
                });
            }
        }
        if (layout.remapped()) {
            // PostgreSQL re-creates pg_tblspc's links from tablespace_map when it starts from backup_label
            Path map = data.resolve("tablespace_map");
            Path tmp = data.resolve("tablespace_map.walvault.tmp");
            Files.writeString(tmp, layout.tablespaceMap(), StandardCharsets.UTF_8);
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
            Files.move(tmp, map, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
        RecoveryAccess.Commands commands = RecoveryAccess.write(data, launcher, settings, repositorySettings, systemId);
        if (!plan.wal().isEmpty() && options.mode() instanceof RecoveryMode.Targeted) {
            // what archive-get holds recovery to: every planned segment delivered, no promotion before the last
            // (a standby never ends recovery on its own, and may stream what the archive lacks from its primary)
            RecoveryExpectation.of(systemId, plan.segmentSize(), plan.wal().stream().map(RestorePlan.PlannedWal::file).toList(),
                    plan.backup().timeline(), plan.targetTimeline(), replayedUntil(planned))
                    .write(data);
        }
        RecoveryConfigWriter.write(data, new RecoverySettings(commands.restoreCommand(), commands.recoveryEndCommand(),
                plan.target(), options.inclusive(), options.action(),
                options.timeline(), options.disableArchiving(), options.mode(), options.extraSettings()));
        TargetDirectory.fsync(data.resolve("pg_wal"));
        Path label = data.resolve(TablespaceLayout.PENDING_BACKUP_LABEL);
        if (Files.exists(label)) {
            Files.move(label, data.resolve("backup_label"), StandardCopyOption.ATOMIC_MOVE);
        }
        return commands;
    }
}
