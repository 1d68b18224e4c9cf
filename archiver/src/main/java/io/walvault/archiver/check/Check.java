package io.walvault.archiver.check;

import static java.util.Objects.requireNonNull;

import io.walvault.core.config.ClusterGuard;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.pipeline.OutputStreamSink;
import io.walvault.core.pipeline.Sink;
import io.walvault.core.replication.ReplicationConnection;
import io.walvault.core.replication.SystemIdentity;
import io.walvault.core.replication.conn.ConnectionSettings;
import io.walvault.core.repo.Repository;
import io.walvault.core.repo.RepositoryLayout;
import io.walvault.core.storage.Storage;
import io.walvault.core.wal.WalFileName;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code walvault check}: proves that a server's WAL reaches the repository, one line per fact.
 * Over the replication protocol (the role walvault needs): the role may replicate, the server's
 * wal_level, max_wal_senders, archive_mode and archive_command, summarize_wal (17+, for
 * information), and where a slot is checked the settings that let the server invalidate it
 * (max_slot_wal_keep_size, idle_replication_slot_timeout on 18+). The repository: it opens with
 * the key given, takes a write, and stores an object through its codec (compression and
 * encryption as WAL's), read back where the key may read. Over SQL ({@link ServerSql}): the slot (pg_replication_slots),
 * for a local repository fed by archive_command whether the server's OS user (the owner of its
 * data directory) can write it, archiving is not failing (pg_stat_archiver), and end to end, a WAL
 * switch whose segment must appear in the repository within the timeout. Every check runs even
 * after one fails, so one run lists every problem.
 */
public final class Check {

    private static final Logger LOG = LoggerFactory.getLogger(Check.class);

    /**
     * What to check.
     *
     * @param archiveTimeout how long the switched segment may take to reach the repository
     * @param expectArchiveCommand whether archive_command must run walvault (false where the
     *        agent archives through a slot)
     * @param slot the physical replication slot WAL is streamed from, to check with the settings
     *        that could invalidate it; empty for none
     * @param guard the configuration section's guard: a server of another cluster than the
     *        section's is refused before anything is checked further
     */
    public record Options(Duration archiveTimeout, boolean expectArchiveCommand, Optional<String> slot, ClusterGuard guard) {
        public Options {
            requireNonNull(archiveTimeout, "archiveTimeout is null");
            requireNonNull(slot, "slot is null");
            requireNonNull(guard, "guard is null");
        }

        public Options(Duration archiveTimeout, boolean expectArchiveCommand) {
            this(archiveTimeout, expectArchiveCommand, Optional.empty(), ClusterGuard.NONE);
        }
    }

    /**
     * What the replication connection found: the cluster, the major, and the slot settings' lines
     * for after the slot's.
     *
     * @param archivingOff archive_mode is off while WAL should come through archive_command: no
     *                     segment can reach the repository that way
     */
    private record Server(SystemIdentity id, int major, List<CheckResult> slotSettings, boolean archivingOff) {
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
        Optional<Server> server = server(out);
        ServerSql sql = null;
        ServerSql.SqlFailure sqlFailure = null;
        if (server.isPresent()) {
            try {
                sql = ServerSql.open(connection);
            } catch (ServerSql.SqlFailure e) {
                sqlFailure = e;
            }
        }
        Optional<Repository> repo = Optional.empty();
        try {
            if (server.isPresent() && options.slot().isPresent()) {
                out.add(sql != null ? slot(options.slot().get(), server.get().major(), sql)
                        : CheckResult.failed(slotLine(options.slot().get()), sqlFailure.getMessage(), sqlFailure.hint()));
                out.addAll(server.get().slotSettings());
            }
            repo = repository(open, out);
            if (server.isPresent() && repo.isPresent() && options.expectArchiveCommand()) {
                owner(server.get().id(), repo.get(), sql, sqlFailure).ifPresent(out::add);
            }
            if (server.isPresent() && server.get().archivingOff()) {
                // no WAL switch and no wait: with archive_mode off the server archives nothing
                out.add(CheckResult.failed("archiving end to end", "not tried: archive_mode is off, so the server runs no"
                        + " archive_command", "fix archive_mode first (above)"));
            } else if (server.isPresent() && repo.isPresent() && sql != null) {
                archiving(server.get().id(), repo.get(), sql, out);
            } else if (server.isPresent() && repo.isPresent()) {
                out.add(CheckResult.failed("archiving end to end", sqlFailure.getMessage(), sqlFailure.hint()));
            } else {
                out.add(CheckResult.failed("archiving end to end", "not tried: the server or the repository is unreachable",
                        "fix the checks above first"));
            }
        } finally {
            repo.ifPresent(Repository::close);
            if (sql != null) {
                sql.close();
            }
        }
        return out;
    }

    /** Opens the repository the configuration names; its failure is a check's failure. */
    @FunctionalInterface
    public interface RepositoryOpener {
        Repository open();
    }

    private Optional<Server> server(List<CheckResult> out) {
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
            boolean archivingOff = false;
            if (options.expectArchiveCommand()) {
                String mode = c.show("archive_mode").trim();
                archivingOff = mode.equals("off");
                out.add(archivingOff ? CheckResult.failed("archive_mode", mode,
                        "set archive_mode = on and restart the server (or stream WAL with 'walvault agent' and check with"
                                + " --no-archive-command)")
                        : CheckResult.ok("archive_mode", mode));
                out.add(archiveCommand(c.show("archive_command")));
            }
            int major = c.serverVersion().major();
            if (major >= 17) {
                String summarize = c.show("summarize_wal").trim();
                out.add(CheckResult.ok("summarize_wal", summarize + (summarize.equals("on")
                        ? ": the server keeps WAL summaries, so a backup reads only the blocks changed since the last one"
                        : ": every backup reads every file (with summarize_wal on, the server sends only the blocks changed"
                                + " since the last backup)")));
            }
            List<CheckResult> slotSettings = new ArrayList<>();
            if (options.slot().isPresent()) {
                slotSettings.addAll(slotSettings(c, options.slot().get(), major));
            }
            return Optional.of(new Server(id, major, slotSettings, archivingOff));
        } catch (WalvaultException e) {
            if (e.code() == ErrorCode.CLUSTER_MISMATCH) {
                throw e; // the configuration is another server's: nothing here is worth checking against it
            }
            if (e.code() == ErrorCode.CONNECTION_FAILED) {
                // nothing answered, or the server does not take connections yet: its own hint, not the role's rights
                out.add(CheckResult.failed("replication connection", e.what(), e.hint().orElse("check the conninfo")));
            } else {
                out.add(CheckResult.failed("replication connection", e.getMessage(), "walvault's role needs LOGIN and"
                        + " REPLICATION, and a pg_hba.conf line for the replication database"));
            }
            replicationSettingsOverSql(out);
            return Optional.empty();
        } catch (RuntimeException e) {
            out.add(CheckResult.failed("replication connection", e.toString(), "check the conninfo"));
            return Optional.empty();
        }
    }

    /**
     * The replication connection failed: a server that cannot replicate at all (wal_level
     * minimal, which also forces max_wal_senders 0) refuses it with a message about walsenders;
     * SQL, which every role may use, says which setting to change. Nothing is added when SQL
     * fails too (the connection line says why).
     */
    private void replicationSettingsOverSql(List<CheckResult> out) {
        try (ServerSql sql = ServerSql.open(connection)) {
            Optional<String> walLevel = sql.visibleSetting("wal_level");
            if (walLevel.filter("minimal"::equals).isPresent()) {
                out.add(CheckResult.failed("wal_level", "minimal: the server writes no WAL a backup or the archive can"
                        + " use, and allows no replication connection", "set wal_level = replica and max_wal_senders"
                        + " to at least 3, then restart the server"));
            }
            Optional<String> senders = sql.visibleSetting("max_wal_senders");
            if (senders.filter("0"::equals).isPresent()) {
                out.add(CheckResult.failed("max_wal_senders", "0: the server allows no replication connection",
                        "a backup uses two walsenders and the agent one: set max_wal_senders to at least 3 and restart"));
            }
        } catch (ServerSql.SqlFailure e) {
            // the server cannot be reached over SQL either: the replication connection's line says why
        }
    }

    private static String slotLine(String name) {
        return "slot '" + name + "'";
    }

    /**
     * The settings with which the server drops a slot's WAL on its own: max_slot_wal_keep_size,
     * and on PostgreSQL 18 idle_replication_slot_timeout. Either lets the server remove WAL the
     * archive has not received, a gap no restore can cross, so either set is a failed check.
     */
    private static List<CheckResult> slotSettings(ReplicationConnection c, String slot, int major) {
        List<CheckResult> out = new ArrayList<>();
        String keep = c.show("max_slot_wal_keep_size").trim();
        out.add(keep.equals("-1") ? CheckResult.ok("max_slot_wal_keep_size", "-1: the server keeps all the WAL the slot holds")
                : CheckResult.failed("max_slot_wal_keep_size", keep + ": the server invalidates slot '" + slot + "' once it holds"
                        + " more than " + keep + " of WAL, and the archive then has a gap",
                        "set max_slot_wal_keep_size = -1 and reload the server: a limit spares the server's disk at the cost of"
                                + " WAL the archive has not received, and restores cannot cross the gap; watch"
                                + " walvault_agent_archive_lag_bytes instead"));
        if (major >= 18) {
            String idle = c.show("idle_replication_slot_timeout").trim();
            out.add(c.showDuration("idle_replication_slot_timeout").isZero()
                    ? CheckResult.ok("idle_replication_slot_timeout", idle + ": slots are not invalidated for being idle")
                    : CheckResult.failed("idle_replication_slot_timeout", idle + ": the server invalidates slot '" + slot
                            + "' when nothing has streamed from it for " + idle + " (while walvault agent is stopped), and the"
                            + " archive then has a gap",
                            "set idle_replication_slot_timeout = 0 and reload the server"));
        }
        return out;
    }

    /** The slot WAL is streamed from: there, physical, and holding WAL the server has not dropped. */
    private CheckResult slot(String name, int major, ServerSql sql) {
        String line = slotLine(name);
        Optional<ServerSql.Slot> found;
        try {
            found = sql.slot(name, major);
        } catch (ServerSql.SqlFailure e) {
            return CheckResult.failed(line, e.getMessage(), e.hint());
        }
        if (found.isEmpty()) {
            return CheckResult.failed(line, "the server has no replication slot of that name", options.expectArchiveCommand()
                    ? "name the slot meant (--slot), or create it as a superuser: SELECT pg_create_physical_replication_slot('"
                            + name + "', true)"
                    : "'walvault agent --slot " + name + "' creates it when it starts (until then the server keeps no WAL for"
                            + " the archive): start the agent, or name the slot it uses (--slot)");
        }
        ServerSql.Slot s = found.get();
        if (!s.type().equals("physical")) {
            return CheckResult.failed(line, "a " + s.type() + " slot", "walvault streams from a physical slot: name another"
                    + " (--slot); walvault agent creates it when missing");
        }
        if (s.walStatus().equals("lost")) {
            return CheckResult.failed(line, "invalidated" + (s.invalidationReason().isEmpty() ? "" : " (" + s.invalidationReason()
                    + ")") + ": the server removed WAL the slot held, which the archive may lack",
                    "drop the slot (SELECT pg_drop_replication_slot('" + name + "')) and start walvault agent, which creates it"
                            + " again; take a new backup, and if the agent stops at a gap, start it once with --accept-gap");
        }
        if (s.walStatus().equals("unreserved")) {
            return CheckResult.failed(line, "wal_status unreserved: the slot holds more WAL than max_slot_wal_keep_size"
                    + " allows, and the next checkpoint removes what is past it",
                    "set max_slot_wal_keep_size = -1 and reload the server now; then see why the agent falls behind"
                            + " (walvault_agent_archive_lag_bytes)");
        }
        if (s.restartLsn().isEmpty()) {
            return CheckResult.failed(line, "reserves no WAL: the server keeps none for the archive", "start walvault"
                    + " agent (streaming from the slot makes it hold WAL), or create the slot holding WAL from the start:"
                    + " pg_create_physical_replication_slot('" + name + "', true)");
        }
        return CheckResult.ok(line, "physical, holds WAL from " + s.restartLsn() + " (wal_status " + s.walStatus() + "), "
                + (s.activePid() != 0 ? "streamed from by pid " + s.activePid()
                : "nothing streams from it now" + (options.expectArchiveCommand() ? "" : " (is walvault agent running?)")));
    }

    /**
     * For a local repository that archive_command writes: whether the server's OS user, the owner
     * of its data directory, can write the repository's top (its root, what the root holds, this
     * cluster's directory and what that holds). Empty for a repository in an object store. Not
     * checked, and said so, when the role may not read data_directory or the data directory is
     * not on this machine: {@code check} often runs as root, whose own write proves nothing for
     * the server's user.
     */
    private Optional<CheckResult> owner(SystemIdentity id, Repository repo, ServerSql sql, ServerSql.SqlFailure sqlFailure) {
        String line = "repository owner";
        URI location = URI.create(repo.storage().location());
        if (!"file".equals(location.getScheme())) {
            return Optional.empty();
        }
        Path root = Path.of(location);
        if (sql == null) {
            return Optional.of(CheckResult.notChecked(line, sqlFailure.getMessage(), sqlFailure.hint()));
        }
        Optional<String> dataDirectory;
        try {
            dataDirectory = sql.visibleSetting("data_directory");
        } catch (ServerSql.SqlFailure e) {
            return Optional.of(CheckResult.notChecked(line, e.getMessage(), e.hint()));
        }
        if (dataDirectory.isEmpty()) {
            return Optional.of(CheckResult.notChecked(line, "role '" + connection.user() + "' may not read data_directory, so"
                    + " the server's OS user is not known", "as a superuser, GRANT pg_read_all_settings TO "
                    + ServerSql.quoteIdent(connection.user()) + " to have the repository's owner compared with the server's OS"
                    + " user; or run check as that user, whose write above then proves it"));
        }
        Path data = Path.of(dataDirectory.get());
        if (!Files.isDirectory(data)) {
            return Optional.of(CheckResult.notChecked(line, "the server's data directory '" + data + "' is not on this machine",
                    "run check on the server's machine to compare the repository's owner with the server's OS user"));
        }
        try {
            if (!sameCluster(data, Long.parseUnsignedLong(id.systemId()))) {
                return Optional.of(CheckResult.notChecked(line, "'" + data + "' on this machine is another cluster's data"
                        + " directory", "run check on the server's machine"));
            }
            int uid = (Integer) Files.getAttribute(data, "unix:uid");
            int gid = (Integer) Files.getAttribute(data, "unix:gid");
            PosixFileAttributes owner = Files.readAttributes(data, PosixFileAttributes.class);
            String user = owner.owner().getName();
            List<Path> top = new ArrayList<>(List.of(root));
            top.addAll(children(root));
            Path cluster = root.resolve(RepositoryLayout.cluster(Long.parseUnsignedLong(id.systemId())));
            if (Files.isDirectory(cluster)) {
                top.add(cluster);
                top.addAll(children(cluster));
            }
            List<String> problems = new ArrayList<>();
            for (Path p : top) {
                usable(p, uid, gid, user).ifPresent(problems::add);
            }
            if (!problems.isEmpty()) {
                return Optional.of(CheckResult.failed(line, problems.get(0) + (problems.size() > 1 ? " (and " + (problems.size() - 1)
                        + " more at the repository's top)" : ""), "as root: chown -R " + user + ":" + owner.group().getName() + " "
                        + root + " (archive_command runs as " + user + ", the server's OS user, which must own the repository)"));
            }
            return Optional.of(CheckResult.ok(line, "'" + root + "' is writable by " + user + ", the server's OS user (the owner"
                    + " of " + data + ")"));
        } catch (IOException | RuntimeException e) {
            return Optional.of(CheckResult.notChecked(line, "cannot read the owners of '" + data + "' and '" + root + "': " + e,
                    "run check as root or as the server's OS user"));
        }
    }

    private static List<Path> children(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }

    /**
     * Why the server's OS user ({@code uid}, primary group {@code gid}) cannot write the
     * directory {@code p} or read the file {@code p}; empty when it can. Groups other than the
     * user's primary one are not looked up.
     */
    private static Optional<String> usable(Path p, int uid, int gid, String user) throws IOException {
        boolean dir = Files.isDirectory(p);
        int need = dir ? 3 : 4; // write and search; read
        int mode = (Integer) Files.getAttribute(p, "unix:mode");
        int fileUid = (Integer) Files.getAttribute(p, "unix:uid");
        int fileGid = (Integer) Files.getAttribute(p, "unix:gid");
        int bits = fileUid == uid ? mode >> 6 : fileGid == gid ? mode >> 3 : mode;
        if ((bits & need) == need) {
            return Optional.empty();
        }
        return Optional.of(String.format(Locale.ROOT, "'%s' is owned by %s (mode %04o), the server runs as %s: archive_command"
                + " cannot %s it", p, Files.getOwner(p).getName(), mode & 07777, user, dir ? "write" : "read"));
    }

    /**
     * Whether {@code data} holds the cluster {@code systemId}: the system identifier opens
     * global/pg_control. True when that file cannot be read (check runs as neither root nor the
     * server's user): the directory is taken at its word.
     */
    private static boolean sameCluster(Path data, long systemId) {
        try (InputStream in = Files.newInputStream(data.resolve("global").resolve("pg_control"))) {
            byte[] b = in.readNBytes(8);
            return b.length < 8 || ByteBuffer.wrap(b).order(ByteOrder.nativeOrder()).getLong() == systemId;
        } catch (IOException e) {
            return true;
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
        } catch (IOException | RuntimeException e) {
            out.add(CheckResult.failed("repository", storage.location() + ": cannot write: " + e.getMessage(),
                    "the user archive_command runs as (the server's OS user) must be able to write the repository"));
            repo.close();
            return Optional.empty();
        }
        Optional<WalvaultException> codec = objectRoundTrip(repo);
        if (codec.isPresent()) {
            out.add(CheckResult.failed("repository", storage.location() + ": cannot store an object as its WAL and backups"
                    + " are stored: " + codec.get().what(), codec.get().hint().orElse("see the message")));
            repo.close();
            return Optional.empty();
        }
        String slow = repo.codec().compression().inJava() ? "; lz4 runs in Java here, slower than its native code, which did"
                + " not load (it is unpacked into java.io.tmpdir, '" + System.getProperty("java.io.tmpdir") + "', first: a"
                + " directory that cannot be written or is mounted noexec prevents it; WALVAULT_JAVA_OPTS=-Djava.io.tmpdir=DIR"
                + " moves it)" : "";
        out.add(CheckResult.ok("repository", storage.location() + ": opened with its key, took a write, and an object "
                + (repo.codec().writersMayNotRead() ? "compressed and encrypted as its WAL is" : "compressed, encrypted and read back")
                + slow));
        return Optional.of(repo);
    }

    /**
     * Writes a small object through the repository's codec (its compression's native code, its
     * encryption) and reads it back where this key may read; removed afterwards. Empty when it
     * worked, else why not: a zstd library that cannot load on this host fails here, before the
     * first archive_command does.
     */
    private static Optional<WalvaultException> objectRoundTrip(Repository repo) {
        String key = "check/" + UUID.randomUUID() + repo.codec().extension();
        byte[] probe = ("walvault check " + UUID.randomUUID()).getBytes(StandardCharsets.UTF_8);
        try {
            repo.codec().put(key, new ByteArrayInputStream(probe), Storage.WriteMode.CREATE, false);
            if (!repo.codec().writersMayNotRead()) {
                ByteArrayOutputStream back = new ByteArrayOutputStream();
                repo.codec().read(key, new OutputStreamSink(back, false), false);
                if (!Arrays.equals(probe, back.toByteArray())) {
                    return Optional.of(new WalvaultException(ErrorCode.CORRUPT_DATA, "the object read back differs from"
                            + " the one written", "run 'walvault storage-check' against the store", null));
                }
            }
            return Optional.empty();
        } catch (WalvaultException e) {
            return Optional.of(e);
        } catch (IOException | RuntimeException e) {
            return Optional.of(new WalvaultException(ErrorCode.STORAGE, String.valueOf(e.getMessage()),
                    "run 'walvault storage-check' against the store", e));
        } finally {
            try {
                repo.storage().remove(key);
            } catch (RuntimeException e) {
                LOG.debug("could not remove the check's object '{}': {}", key, e.toString());
            }
        }
    }

    private static CheckResult archiveCommand(String command) {
        boolean ours = command.contains("walvault") && command.contains("archive-push");
        return ours ? CheckResult.ok("archive_command", command) : CheckResult.failed("archive_command",
                command.isBlank() ? "empty" : "'" + command + "' does not run walvault archive-push",
                "set archive_command = '/path/to/walvault archive-push --config /etc/walvault/NAME.conf %p'"
                        + " and reload the server");
    }

    /**
     * The archive part of the checks, for {@code backup} before it starts (a backup is restorable
     * alone, but no point after it is while WAL is not archived): with archive_mode on, whether
     * archive_command runs walvault archive-push and whether pg_stat_archiver shows it failing;
     * with archive_mode off, whether a replication slot (the agent's) exists and is streamed
     * from. Settings the role may not read are not judged; empty when the SQL connection cannot
     * be made (the backup itself needs only replication).
     */
    public static List<CheckResult> archiveSetUp(ConnectionSettings connection) {
        List<CheckResult> out = new ArrayList<>();
        try (ServerSql sql = ServerSql.open(connection)) {
            if (sql.visibleSetting("archive_mode").filter("off"::equals).isPresent()) {
                ServerSql.PhysicalSlots slots = sql.physicalSlots();
                if (slots.total() == 0) {
                    out.add(CheckResult.failed("WAL archiving", "archive_mode is off and the server has no physical"
                            + " replication slot: nothing archives its WAL", "run walvault agent (it streams WAL from a slot"
                            + " it creates), or set archive_mode = on and archive_command to walvault archive-push"));
                } else if (slots.active() == 0) {
                    out.add(CheckResult.failed("WAL archiving", "archive_mode is off and no walsender streams from the"
                            + " server's " + slots.total() + " physical replication slot(s) now", "is walvault agent running?"
                            + " Its log says why it stopped"));
                }
                return out;
            }
            if (sql.visibleSetting("archive_library").filter(l -> !l.isBlank()).isEmpty()) {
                sql.visibleSetting("archive_command").map(Check::archiveCommand).filter(c -> !c.ok()).ifPresent(out::add);
            }
            out.add(archiver(sql.archiver()));
        } catch (ServerSql.SqlFailure e) {
            // no SQL: the backup goes on, and 'walvault check' says what is missing
        }
        return out;
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

    private void archiving(SystemIdentity id, Repository repo, ServerSql sql, List<CheckResult> out) {
        long systemId = Long.parseUnsignedLong(id.systemId());
        try {
            out.add(archiver(sql.archiver()));
            WalFileName segment = WalFileName.parse(sql.switchWal());
            Instant deadline = Instant.now().plus(options.archiveTimeout());
            while (repo.cluster(systemId).wal().info(segment).isEmpty()) {
                if (Instant.now().isAfter(deadline)) {
                    out.add(CheckResult.failed("archiving end to end", "switched to a new WAL segment; '" + segment.name()
                            + "' did not reach the repository within " + options.archiveTimeout().toSeconds() + " s",
                            options.expectArchiveCommand() ? "archive_command must run walvault archive-push into this"
                                    + " repository; the server's log says what archive_command did"
                                    : "walvault agent must be running" + options.slot().map(n -> ", streaming from slot '" + n
                                    + "',").orElse("") + " and writing into this repository; its log says what it does"));
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
