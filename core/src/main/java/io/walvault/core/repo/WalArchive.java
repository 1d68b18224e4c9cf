package io.walvault.core.repo;

import static java.util.Objects.requireNonNull;

import io.walvault.core.pipeline.DigestStage;
import io.walvault.core.pipeline.DiscardSink;
import io.walvault.core.pipeline.OutputStreamSink;
import io.walvault.core.pipeline.Pipelines;
import io.walvault.core.pipeline.Sink;
import io.walvault.core.storage.ObjectExistsException;
import io.walvault.core.storage.ObjectNotFoundException;
import io.walvault.core.storage.ObjectInfo;
import io.walvault.core.storage.Storage;
import io.walvault.core.wal.Lsn;
import io.walvault.core.wal.SegmentIndex;
import io.walvault.core.wal.SegmentIndexStage;
import io.walvault.core.wal.TimelineHistory;
import io.walvault.core.wal.TimelineId;
import io.walvault.core.wal.WalFileName;
import io.walvault.core.wal.WalPipelines;
import io.walvault.core.wal.WalSegmentName;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A cluster's archived WAL: segments, {@code .partial} segments, timeline history and backup
 * history files, one object each, keyed by file name ({@link RepositoryLayout#wal}) so that
 * archive-get needs no listing.
 *
 * <p>{@link #put} is create-if-absent with a content check: pushing a file that is already
 * archived with identical content succeeds ({@link PutResult#alreadyPresent()}), which is what
 * PostgreSQL needs after a crash between upload and acknowledgement; different content fails
 * with {@link ContentMismatchException}. {@code .partial} files are overwritten, since a
 * streaming agent uploads a growing partial segment again and again. Thread-safe.
 *
 * <p>A push hashes its content (SHA-256) only where the repository needs the digest trailer:
 * with public-key encryption, whose archiving hosts cannot decrypt what they compare against.
 * Elsewhere the comparison, needed only when the name is already taken, reads the content again
 * ({@link Source}): the hash was about a third of a push's CPU.
 */
public final class WalArchive {

    private static final Logger LOG = LoggerFactory.getLogger(WalArchive.class);

    /** The content of a WAL file to store, opened once to store it and again only to compare it. */
    @FunctionalInterface
    public interface Source {
        InputStream open() throws IOException;
    }

    private final Repository repository;
    private final long systemId;

    WalArchive(Repository repository, long systemId) {
        this.repository = requireNonNull(repository, "repository is null");
        this.systemId = systemId;
    }

    /**
     * The outcome of {@link #put}.
     *
     * @param object         the object's key, plaintext size and SHA-256
     * @param alreadyPresent true if an identical copy was already archived (nothing written)
     */
    public record PutResult(ObjectResult object, boolean alreadyPresent) {
        public PutResult {
            requireNonNull(object, "object is null");
        }
    }

    /** The object key of {@code name}. */
    public String key(WalFileName name) {
        return RepositoryLayout.wal(systemId, name) + repository.codec().extension();
    }

    /**
     * Archives the content of {@code source} as {@code name}, through the one WAL chain:
     *
     * <pre>
     *  source ─▶ check ({@link WalPipelines#forArchive}: page headers and this cluster's system identifier, or a
     *                   history file's syntax) ─▶ ObjectWriter (compress ▶ encrypt ▶ store)
     * </pre>
     *
     * The check finishes before the writer does, so WAL that is not what its name says is never
     * published ({@link io.walvault.core.wal.InvalidWalException}, nothing stored). When the name
     * is taken already, the content read again for the comparison is checked the same way.
     */
    public PutResult put(WalFileName name, Source source) throws IOException {
        requireNonNull(name, "name is null");
        requireNonNull(source, "source is null");
        String key = key(name);
        Storage.WriteMode mode = name.kind() == WalFileName.Kind.PARTIAL ? Storage.WriteMode.OVERWRITE : Storage.WriteMode.CREATE;
        if (mode == Storage.WriteMode.CREATE && repository.storage().info(key).isPresent()) {
            // already there (a retried push): compare instead of uploading again
            return compareWithStored(name, key, source);
        }
        try (ObjectWriter w = repository.codec().newWriter(key, mode, repository.codec().writersMayNotRead());
             SegmentIndexStage indexed = name.kind() == WalFileName.Kind.SEGMENT ? new SegmentIndexStage(w, name) : null;
             Sink checked = checked(name, indexed != null ? indexed : w);
             InputStream in = source.open()) {
            Pipelines.copy(in, checked);
            try {
                checked.finish();
                if (indexed != null) {
                    indexed.index().ifPresent(i -> storeIndex(name, i));
                    indexed.failure().ifPresent(f -> LOG.warn("WAL file {} is archived without its index ({}); a restore to a"
                            + " time or restore point decodes this segment instead", name, f.toString()));
                }
                return new PutResult(w.result(), false);
            } catch (ObjectExistsException e) {
                // another push won the race: same content is fine
                String sha = w.plainSha256IfKnown();
                return sha != null ? compareWithStored(name, key, sha, w.plainSize()) : compareWithStored(name, key, source);
            }
        }
    }

    /**
     * Stores the index of a segment just archived, after the segment (which is durable whatever
     * happens here). An index is an aid to finding recovery targets: one that cannot be written is
     * left out, with a warning, and restore decodes that segment instead. One already there was
     * replaced.
     */
    private void storeIndex(WalFileName name, SegmentIndex index) {
        byte[] json = Json.write(SegmentIndexJson.of(name.name(), index));
        // overwritten: an index left behind by a segment expired before is never kept for new content
        try (ObjectWriter w = repository.codec().newWriter(indexKey(name), Storage.WriteMode.OVERWRITE, false)) {
            w.write(json, 0, json.length);
            w.finish();
        } catch (IOException | RuntimeException e) {
            LOG.warn("WAL file {} is archived, but its index could not be stored ({}); a restore to a time or restore point"
                    + " decodes this segment instead", name, e.getMessage());
        }
    }

    /** The key of {@code name}'s index. */
    String indexKey(WalFileName name) {
        return RepositoryLayout.walIndex(systemId, name) + repository.codec().extension();
    }

    /**
     * The index of the archived segment {@code name}: empty when it has none (archived before
     * indexes existed, its index lost, or not a complete segment) or when the index cannot be
     * read; either way the segment itself is the answer, and {@link SegmentIndex} only ever saves
     * reading it.
     */
    public Optional<SegmentIndex> index(WalFileName name) {
        requireNonNull(name, "name is null");
        if (name.kind() != WalFileName.Kind.SEGMENT) {
            return Optional.empty();
        }
        String key = indexKey(name);
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
            repository.codec().read(key, new OutputStreamSink(bytes, false), false);
            SegmentIndexJson j = Json.read(bytes.toByteArray(), SegmentIndexJson.class, key);
            if (!j.segment().equals(name.name())) {
                LOG.warn("the WAL index '{}' names segment {}: ignored", key, j.segment());
                return Optional.empty();
            }
            return Optional.of(j.index());
        } catch (ObjectNotFoundException e) {
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            LOG.warn("the WAL index '{}' cannot be read ({}): its segment is decoded instead", key, e.getMessage());
            return Optional.empty();
        }
    }

    /**
     * Archives the history file of {@code timeline} (as the server sent it, TIMELINE_HISTORY),
     * checked to parse as one. Create-if-absent like every WAL file: an identical copy is fine.
     */
    public PutResult putHistory(TimelineId timeline, byte[] content) throws IOException {
        requireNonNull(content, "content is null");
        return put(WalFileName.parse(timeline.historyFileName()), () -> new ByteArrayInputStream(content));
    }

    /** The WAL chain in front of {@code next} for a file of this cluster named {@code name}. */
    private Sink checked(WalFileName name, Sink next) {
        return WalPipelines.forArchive(name, systemId, next);
    }

    private PutResult compareWithStored(WalFileName name, String key, Source source) throws IOException {
        DigestStage digest = new DigestStage(new DiscardSink());
        long size;
        try (Sink checked = checked(name, digest); InputStream in = source.open()) {
            size = Pipelines.copy(in, checked);
            checked.finish();
        }
        return compareWithStored(name, key, digest.hex(), size);
    }

    private PutResult compareWithStored(WalFileName name, String key, String sha256, long size) throws IOException {
        String storedSha = repository.codec().storedPlainSha256(key);
        if (!storedSha.equals(sha256)) {
            throw new ContentMismatchException("WAL file '" + name + "' is already archived in '"
                    + repository.storage().location() + "' with different content (stored SHA-256 " + storedSha
                    + ", new " + sha256 + ")"
                    + " HINT: another cluster, or a restored copy of this one, may be archiving to the same place;"
                    + " check the system identifier and archive settings before removing anything");
        }
        // the writer that stored it may have been stopped before it made its name durable: this answer promises it is
        repository.storage().syncName(key);
        return new PutResult(new ObjectResult(key, size, sha256,
                repository.storage().info(key).map(ObjectInfo::size).orElse(-1L)), true);
    }

    /** Restores {@code name} into {@code out}; {@link io.walvault.core.storage.ObjectNotFoundException} if not archived. */
    public ObjectResult get(WalFileName name, Sink out) throws IOException {
        return repository.codec().read(key(requireNonNull(name, "name is null")), out, false);
    }

    /** Whether and how big {@code name} is in the store, without reading it. */
    public Optional<ObjectInfo> info(WalFileName name) {
        return repository.storage().info(key(name));
    }

    /**
     * The SHA-256 of what is archived as {@code name}: from the encrypted object's digest
     * trailer (no key needed), or by reading it in full.
     */
    public String storedSha256(WalFileName name) throws IOException {
        return repository.codec().storedPlainSha256(key(name));
    }

    /** Removes the archived {@code name} and its index (expire); nothing happens if it is not there. */
    public void remove(WalFileName name) {
        keys(requireNonNull(name, "name is null")).forEach(repository.storage()::remove);
    }

    /**
     * The keys of what archiving {@code name} stored, in the order to remove them: for a segment
     * its index (which may not exist) first, then the file. Removal stopped between the two then
     * leaves a listed segment without an index (read by decoding, removed by the next expire),
     * never an index that no listing shows.
     */
    public List<String> keys(WalFileName name) {
        return name.kind() == WalFileName.Kind.SEGMENT ? List.of(indexKey(name), key(name)) : List.of(key(name));
    }

    /** History files parsed by this process, per open storage, by key: they never change once archived. */
    private static final Map<Storage, Map<String, TimelineHistory>>
            HISTORIES = Collections.synchronizedMap(new WeakHashMap<>());

    /**
     * The history file of a timeline that branched off {@code segment}'s timeline before that
     * segment: then the segment holds WAL the cluster abandoned (an old primary started again
     * after a failover writes such WAL). The segment holding the branch point itself is not
     * abandoned (the old primary's last segment is expected). One listing of the history files;
     * each is read once per process.
     */
    public Optional<TimelineHistory> abandonedBy(WalSegmentName segment)
            throws IOException {
        requireNonNull(segment, "segment is null");
        String ext = repository.codec().extension();
        String dir = RepositoryLayout.walDir(systemId) + "history/";
        List<String> keys;
        try (Stream<ObjectInfo> l = repository.storage().list(dir)) {
            keys = l.map(ObjectInfo::key).filter(k -> k.endsWith(".history" + ext)).toList();
        }
        for (String key : keys) {
            WalFileName name = WalFileName.parse(key.substring(dir.length(), key.length() - ext.length()));
            if (name.timeline().compareTo(segment.timeline()) <= 0) {
                continue;
            }
            Map<String, TimelineHistory> parsed = HISTORIES.computeIfAbsent(repository.storage(),
                    st -> new ConcurrentHashMap<>());
            TimelineHistory h = parsed.get(key);
            if (h == null) {
                ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                get(name, new OutputStreamSink(bytes, false));
                h = TimelineHistory.parse(name.timeline(), bytes.toString(StandardCharsets.UTF_8));
                parsed.put(key, h);
            }
            Optional<Lsn> left = h.endOf(segment.timeline());
            if (left.isPresent() && segment.segmentNumber() > left.get().segmentNumber(segment.segmentSize())) {
                return Optional.of(h);
            }
        }
        return Optional.empty();
    }

    /** Every archived WAL file name, in key order (timeline by timeline, history files last). Close the stream. */
    public Stream<WalFileName> list() {
        return listObjects().map(ArchivedWal::name);
    }

    /**
     * An archived WAL file and its object.
     *
     * @param name   the file name
     * @param object the stored object (key, stored size, time)
     */
    public record ArchivedWal(WalFileName name, ObjectInfo object) {
        public ArchivedWal {
            requireNonNull(name, "name is null");
            requireNonNull(object, "object is null");
        }
    }

    /**
     * {@link #list()} with each file's object, as the storage lists it: lazily, page by page, so
     * memory does not grow with the archive. Close the stream.
     */
    public Stream<ArchivedWal> listObjects() {
        return listObjects(RepositoryLayout.walDir(systemId));
    }

    /**
     * The archived files stored beside {@code name} (those of its timeline and 4 GiB log, at
     * most a few hundred): one listing, for callers that check a range of segments.
     */
    public Stream<ArchivedWal> listBeside(WalFileName name) {
        String key = key(requireNonNull(name, "name is null"));
        return listObjects(key.substring(0, key.lastIndexOf('/') + 1));
    }

    private Stream<ArchivedWal> listObjects(String prefix) {
        String ext = repository.codec().extension();
        return repository.storage().list(prefix)
                .filter(i -> i.key().endsWith(ext))
                .flatMap(i -> WalFileName.tryParse(i.key().substring(i.key().lastIndexOf('/') + 1, i.key().length() - ext.length()))
                        .map(n -> new ArchivedWal(n, i)).stream());
    }
}
