package io.walvault.core.replication;

import static java.util.Objects.requireNonNull;

import io.walvault.core.compress.GzipDecompressStage;
import io.walvault.core.compress.Lz4DecompressStage;
import io.walvault.core.compress.ZstdDecompressStage;
import io.walvault.core.pipeline.Sink;
import io.walvault.core.pipeline.Stage;
import java.util.Locale;
import java.util.OptionalInt;

/**
 * What the server is asked to compress the base backup's archives with (BASE_BACKUP
 * {@code COMPRESSION}, PostgreSQL 15 and newer). The server then sends each tablespace's tar
 * compressed ({@code base.tar.lz4}, {@code .zst}, {@code .gz}); walvault decompresses it
 * strictly ({@link #decoder}) into the same tar splitting and manifest check as an uncompressed
 * stream. The socket carries fewer bytes; the server spends CPU compressing them.
 *
 * <p>Written like pg_basebackup's {@code --compress=server-...} detail: {@code off}, {@code lz4},
 * {@code lz4:1}, {@code zstd:level=1,workers=2}, {@code gzip:1}.
 *
 * @param method the algorithm
 * @param level its level, or the server's default
 * @param workers zstd worker threads on the server, or none (single-threaded)
 */
public record ServerCompression(Method method, OptionalInt level, OptionalInt workers) {

    /** The algorithms the server offers and walvault reads. */
    public enum Method {
        NONE(""), LZ4(".lz4"), ZSTD(".zst"), GZIP(".gz");

        private final String suffix;

        Method(String suffix) {
            this.suffix = suffix;
        }

        /** What the server appends to an archive's name ({@code base.tar.lz4}). */
        public String suffix() {
            return suffix;
        }

        /** The name BASE_BACKUP's COMPRESSION option takes. */
        public String option() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public static final ServerCompression NONE = new ServerCompression(Method.NONE, OptionalInt.empty(), OptionalInt.empty());

    public ServerCompression {
        requireNonNull(method, "method is null");
        requireNonNull(level, "level is null");
        requireNonNull(workers, "workers is null");
        if (method == Method.NONE && (level.isPresent() || workers.isPresent())) {
            throw new IllegalArgumentException("no server compression takes no level or workers");
        }
        if (workers.isPresent() && method != Method.ZSTD) {
            throw new IllegalArgumentException("only zstd takes workers");
        }
        level.ifPresent(l -> {
            int min = method == Method.ZSTD ? -7 : 1;
            int max = method == Method.LZ4 ? 12 : method == Method.ZSTD ? 22 : 9;
            if (l < min || l > max) {
                throw new IllegalArgumentException(method.option() + " level " + l + " is outside " + min + " to " + max);
            }
        });
        workers.ifPresent(w -> {
            if (w < 0 || w > 64) {
                throw new IllegalArgumentException("zstd workers " + w + " is outside 0 to 64");
            }
        });
    }

    /**
     * Parses {@code off}, {@code lz4}, {@code lz4:LEVEL}, {@code zstd:level=N,workers=N},
     * {@code gzip:LEVEL}; an {@link IllegalArgumentException} says what is wrong.
     */
    public static ServerCompression parse(String text) {
        requireNonNull(text, "text is null");
        String t = text.trim().toLowerCase(Locale.ROOT);
        if (t.equals("off") || t.equals("none")) {
            return NONE;
        }
        int colon = t.indexOf(':');
        String name = colon < 0 ? t : t.substring(0, colon);
        Method method = switch (name) {
            case "lz4" -> Method.LZ4;
            case "zstd" -> Method.ZSTD;
            case "gzip" -> Method.GZIP;
            default -> throw new IllegalArgumentException("server compression '" + text + "' is not off, lz4, zstd or gzip");
        };
        OptionalInt level = OptionalInt.empty();
        OptionalInt workers = OptionalInt.empty();
        if (colon >= 0) {
            for (String item : t.substring(colon + 1).split(",")) {
                String[] kv = item.split("=", 2);
                try {
                    if (kv.length == 1) {
                        level = OptionalInt.of(Integer.parseInt(kv[0].trim()));
                    } else if (kv[0].trim().equals("level")) {
                        level = OptionalInt.of(Integer.parseInt(kv[1].trim()));
                    } else if (kv[0].trim().equals("workers")) {
                        workers = OptionalInt.of(Integer.parseInt(kv[1].trim()));
                    } else {
                        throw new IllegalArgumentException("server compression '" + text + "': unknown detail '" + item
                                + "' (level=N, and workers=N for zstd)");
                    }
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("server compression '" + text + "': '" + item + "' is not a number");
                }
            }
        }
        return new ServerCompression(method, level, workers);
    }

    public boolean enabled() {
        return method != Method.NONE;
    }

    /** The options for BASE_BACKUP's parenthesized form, starting with ", ", or "" when off. */
    String commandOptions() {
        if (!enabled()) {
            return "";
        }
        String detail = detail();
        return ", COMPRESSION '" + method.option() + "'" + (detail.isEmpty() ? "" : ", COMPRESSION_DETAIL '" + detail + "'");
    }

    /** {@code level=N,workers=N} as far as given, as COMPRESSION_DETAIL and pg_basebackup write it. */
    private String detail() {
        StringBuilder detail = new StringBuilder();
        level.ifPresent(l -> detail.append("level=").append(l));
        workers.ifPresent(w -> detail.append(detail.length() > 0 ? "," : "").append("workers=").append(w));
        return detail.toString();
    }

    /**
     * A strict decoder of one compressed archive into {@code next}: a damaged frame, a frame cut
     * short or bytes after its end are a {@link io.walvault.core.error.CorruptDataException}
     * naming {@code subject}.
     */
    Stage decoder(Sink next, String subject) {
        return switch (method) {
            case LZ4 -> Lz4DecompressStage.acceptingLinkedBlocks(next, subject);
            case ZSTD -> ZstdDecompressStage.forStream(next, subject);
            case GZIP -> new GzipDecompressStage(next, subject);
            case NONE -> throw new IllegalStateException("no compression, no decoder");
        };
    }

    @Override
    public String toString() {
        if (!enabled()) {
            return "off";
        }
        String detail = detail();
        return method.option() + (detail.isEmpty() ? "" : ":" + detail);
    }
}
