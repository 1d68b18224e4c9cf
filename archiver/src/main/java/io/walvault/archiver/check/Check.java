package io.walvault.archiver.check;

import static java.util.Objects.requireNonNull;

import io.walvault.core.config.ClusterGuard;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.pipeline.Sink;
import io.walvault.core.replication.ReplicationConnection;
import io.walvault.core.replication.SystemIdentity;
import io.walvault.core.replication.conn.ConnectionSettings;
import io.walvault.core.repo.Repository;
import io.walvault.core.storage.Storage;
import io.walvault.core.wal.WalFileName;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;

/**
 * {@code walvault check}: proves that a server's WAL reaches the repository, one line per fact.
 * Over the replication protocol (the role walvault needs): the role may replicate, the server's
 * wal_level, max_wal_senders, archive_mode and archive_command. The repository: it opens with
 * the key given and takes a write. Over SQL ({@link ServerSql}): archiving is not failing
 * (pg_stat_archiver), and end to end, a WAL switch whose segment must appear in the repository
 * within the timeout. Every check runs even after one fails, so one run lists every problem.
 */
public final class Check {

    /**
     * What to check.
     *
     * @param archiveTimeout how long the switched segment may take to reach the repository
     * @param expectArchiveCommand whether archive_command must run walvault (false where the
     *        agent archives through a slot)
     * @param guard the configuration section's guard: a server of another cluster than the
     *        section's is refused before anything is checked further
     */
    public record Options(Duration archiveTimeout, boolean expectArchiveCommand, ClusterGuard guard) {
        public Options {
            requireNonNull(archiveTimeout, "archiveTimeout is null");
            requireNonNull(guard, "guard is null");
        }

        public Options(Duration archiveTimeout, boolean expectArchiveCommand) {
            this(archiveTimeout, expectArchiveCommand, ClusterGuard.NONE);
        }
    }

    private final ConnectionSettings connection;
    private final Options options;

    public Check(ConnectionSettings connection, Options options) {
        this.connection = requireNonNull(connection, "connection is null");
        this.options = requireNonNull(options, "options is null");
    }

    /**
     * Runs every check against the repository {@code open} opens; never throws for a failed check,
     * only ({@code CLUSTER_MISMATCH}) when the server is not the cluster the configuration's section is for.
     */
    public List<CheckResult> run(RepositoryOpener open) {
        List<CheckResult> out = new ArrayList<>();
        Optional<SystemIdentity> identity = server(out);
        Optional<Repository> repo = repository(open, out);
        try {
            if (identity.isPresent() && repo.isPresent()) {
                archiving(identity.get(), repo.get(), out);
            } else {
                out.add(CheckResult.failed("archiving end to end", "not tried: the server or the repository is unreachable",
                        "fix the checks above first"));
            }
        } finally {
            repo.ifPresent(Repository::close);
        }
        return out;
    }

    /** Opens the repository the configuration names; its failure is a check's failure. */
    @FunctionalInterface
    public interface RepositoryOpener {
        Repository open();
    }

    private Optional<SystemIdentity> server(List<CheckResult> out) {
        try (ReplicationConnection c = ReplicationConnection.open(connection)) {
            SystemIdentity id = c.identifySystem();
            options.guard().check(Long.parseUnsignedLong(id.systemId()));
            out.add(CheckResult.ok("replication connection", "as '" + connection.user() + "' to " + c.serverVersion().text()
                    + ", cluster " + id.systemId()));
            String walLevel = c.show("wal_level").trim();
            out.add(walLevel.equals("minimal") ? CheckResult.failed("wal_level", walLevel,
                    "set wal_level = replica (or logical) and restart the server")
                    : CheckResult.ok("wal_level", walLevel));
            int senders = Integer.parseInt(c.show("max_wal_senders").trim());
            out.add(senders < 2 ? CheckResult.failed("max_wal_senders", Integer.toString(senders),
                    "a backup uses two walsenders and the agent one: set max_wal_senders to at least 3 and restart")
                    : CheckResult.ok("max_wal_senders", Integer.toString(senders)));
            if (options.expectArchiveCommand()) {
                String mode = c.show("archive_mode").trim();
                out.add(mode.equals("off") ? CheckResult.failed("archive_mode", mode,
                        "set archive_mode = on and restart the server (or stream WAL with 'walvault agent' and check with"
                                + " --no-archive-command)")
                        : CheckResult.ok("archive_mode", mode));
                String command = c.show("archive_command");
                boolean ours = command.contains("walvault") && command.contains("archive-push");
                out.add(ours ? CheckResult.ok("archive_command", command) : CheckResult.failed("archive_command",
                        command.isBlank() ? "empty" : "'" + command + "' does not run walvault archive-push",
                        "set archive_command = '/path/to/walvault archive-push --config /etc/walvault/NAME.conf %p'"
                                + " and reload the server"));
            }
            return Optional.of(id);
        } catch (WalvaultException e) {
            if (e.code() == ErrorCode.CLUSTER_MISMATCH) {
                throw e; // the configuration is another server's: nothing here is worth checking against it
            }
            out.add(CheckResult.failed("replication connection", e.getMessage(), "walvault's role needs LOGIN and"
                    + " REPLICATION, and a pg_hba.conf line for the replication database"));
            return Optional.empty();
        } catch (RuntimeException e) {
            out.add(CheckResult.failed("replication connection", e.toString(), "check the conninfo"));
            return Optional.empty();
        }
    }

    private static Optional<Repository> repository(RepositoryOpener open, List<CheckResult> out) {
        Repository repo;
        try {
            repo = open.open();
        } catch (WalvaultException e) {
            out.add(CheckResult.failed("repository", e.getMessage(), "see the message; 'walvault storage-check' tests the store"));
            return Optional.empty();
        }
        String key = "check/" + UUID.randomUUID() + ".tmp";
        Storage storage = repo.storage();
        try {
            try (Sink s = storage.newWrite(key, Storage.WriteMode.CREATE)) {
                s.write(new byte[] {'o', 'k'});
                s.finish();
            }
            storage.remove(key);
            out.add(CheckResult.ok("repository", storage.location() + ": opened with its key, took a write"));
            return Optional.of(repo);
        } catch (IOException | RuntimeException e) {
            out.add(CheckResult.failed("repository", storage.location() + ": cannot write: " + e.getMessage(),
                    "the user archive_command runs as (the server's OS user) must be able to write the repository"));
            repo.close();
            return Optional.empty();
        }
    }

    /**
     * What pg_stat_archiver says of {@code connection}'s server, for {@code backup}'s warning
     * before it starts; empty when the SQL connection cannot be made (the backup needs only
     * replication).
     */
    public static Optional<CheckResult> archiverState(ConnectionSettings connection) {
        try (ServerSql sql = ServerSql.open(connection)) {
            return Optional.of(archiver(sql.archiver()));
        } catch (ServerSql.SqlFailure e) {
            return Optional.empty();
        }
    }

    private static CheckResult archiver(ServerSql.Archiver a) {
        if (a.failing()) {
            return CheckResult.failed("archiving", a.failedCount() + " failed attempts, the last for '" + a.lastFailedWal()
                    + "' at " + a.lastFailedTime() + (a.lastArchivedTime().isEmpty() ? ", none archived"
                    : ", the last success at " + a.lastArchivedTime()), "the server's log says why archive_command"
                    + " fails (pg_stat_archiver counts the failures); 'walvault check' tests the whole set-up");
        }
        return CheckResult.ok("archiving", a.archivedCount() + " archived" + (a.failedCount() > 0 ? ", "
                + a.failedCount() + " failures before the last success" : ", no failures"));
    }

    private void archiving(SystemIdentity id, Repository repo, List<CheckResult> out) {
        long systemId = Long.parseUnsignedLong(id.systemId());
        try (ServerSql sql = ServerSql.open(connection)) {
            out.add(archiver(sql.archiver()));
            WalFileName segment = WalFileName.parse(sql.switchWal());
            Instant deadline = Instant.now().plus(options.archiveTimeout());
            while (repo.cluster(systemId).wal().info(segment).isEmpty()) {
                if (Instant.now().isAfter(deadline)) {
                    out.add(CheckResult.failed("archiving end to end", "switched to a new WAL segment; '" + segment.name()
                            + "' did not reach the repository within " + options.archiveTimeout().toSeconds() + " s",
                            "archive_command must run walvault archive-push into this repository (or the agent must be"
                                    + " running); the server's log says what archive_command did"));
                    return;
                }
                Thread.sleep(250);
            }
            out.add(CheckResult.ok("archiving end to end", String.format(Locale.ROOT, "'%s' is in the repository",
                    segment.name())));
        } catch (ServerSql.SqlFailure e) {
            out.add(CheckResult.failed("archiving end to end", e.getMessage(), e.hint()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            out.add(CheckResult.failed("archiving end to end", "interrupted", "run the check again"));
        }
    }
}
