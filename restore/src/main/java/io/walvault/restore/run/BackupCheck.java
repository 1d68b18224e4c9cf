package io.walvault.restore.run;

import static java.util.Objects.requireNonNull;

import io.walvault.core.pipeline.DiscardSink;
import io.walvault.core.repo.BackupCatalog;
import io.walvault.core.repo.BackupInfo;
import io.walvault.core.repo.ChunkId;
import io.walvault.core.repo.ChunkMarks;
import io.walvault.core.repo.ManifestFile;
import io.walvault.restore.extract.BundleExtractSink;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * Checks one backup in the repository without writing files: its manifest reads to the end
 * record, the chunks of its chunked files are marked for a check of each chunk once
 * ({@code restore.verify.ChunkCheck}), every bundle decodes to the files the manifest places in it with their checksums
 * ({@link BundleExtractSink#checkOnly}), the counts agree with the manifest's header, and the
 * server's backup_manifest decodes. Bundles are checked on the caller's pool. Failures are
 * collected, one line each naming the object, never thrown.
 */
public final class BackupCheck {

    /**
     * @param bundles bundles checked
     * @param files files whose checksum matched
     * @param bytes their bytes
     * @param chunkedFiles files stored as chunks, whose chunks were marked for the chunk check
     * @param failures what failed, one line each
     */
    public record Result(int bundles, long files, long bytes, int chunkedFiles, List<String> failures) {
        public Result {
            failures = List.copyOf(failures);
        }
    }

    private BackupCheck() {
    }

    public static Result run(BackupCatalog catalog, ChunkMarks chunks, int tag, BackupInfo backup, ExecutorService pool) {
        requireNonNull(catalog, "catalog is null");
        List<String> failures = new ArrayList<>();
        String id = backup.id();
        ManifestSpool manifest;
        try {
            manifest = ManifestSpool.read(catalog, id);
        } catch (RuntimeException | IOException e) {
            failures.add("backup '" + id + "': manifest '" + catalog.manifestKey(id) + "': " + e.getMessage());
            return new Result(0, 0, 0, 0, failures);
        }
        try (manifest) {
            List<Future<long[]>> results = new ArrayList<>();
            List<String> keys = new ArrayList<>();
            for (int bundle : manifest.bundles()) {
                String key = catalog.bundleKey(id, bundle);
                keys.add(key);
                results.add(pool.submit(() -> {
                    List<ManifestFile> files = manifest.filesOf(bundle);
                    try (BundleExtractSink sink = BundleExtractSink.checkOnly(key, files)) {
                        catalog.readBundle(id, bundle, sink);
                        return new long[] {sink.filesDone(), sink.bytesWritten()};
                    }
                }));
            }
            // files stored as chunks: their chunks are checked once for every backup that names them (ChunkCheck)
            for (int i = 0; i < manifest.chunkedFiles(); i++) {
                for (ChunkId c : manifest.chunkedFile(i).chunks()) {
                    chunks.mark(c, tag);
                }
            }
            long files = 0;
            long bytes = 0;
            for (int i = 0; i < results.size(); i++) {
                try {
                    long[] r = results.get(i).get();
                    files += r[0];
                    bytes += r[1];
                } catch (ExecutionException e) {
                    Throwable c = e.getCause();
                    failures.add("backup '" + id + "': bundle '" + keys.get(i) + "': "
                            + (c.getMessage() == null ? c.toString() : c.getMessage()));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    failures.add("backup '" + id + "': interrupted");
                    break;
                }
            }
            BackupInfo info = manifest.info();
            if (info.files() != 0 && info.files() != manifest.files()) { // 0: not recorded (manifest format 1)
                failures.add("backup '" + id + "': the manifest's header counts " + info.files() + " files, its entries "
                        + manifest.files());
            }
            if (info.bundles() != 0 && manifest.bundles().stream().anyMatch(b -> b >= info.bundles())) {
                failures.add("backup '" + id + "': the manifest places files in bundles beyond its " + info.bundles());
            }
            if (info.serverManifest()) {
                try {
                    catalog.readServerManifest(id, new DiscardSink());
                } catch (RuntimeException | IOException e) {
                    failures.add("backup '" + id + "': backup_manifest '" + catalog.serverManifestKey(id) + "': " + e.getMessage());
                }
            }
            return new Result(manifest.bundles().size(), files, bytes, manifest.chunkedFiles(), failures);
        } catch (IOException e) {
            failures.add("backup '" + id + "': " + e);
            return new Result(0, 0, 0, 0, failures);
        }
    }
}
