package io.walvault.cli.repo;

import io.walvault.cli.options.RepositoryOptions;
import io.walvault.core.config.RepositorySettings;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.pipeline.OutputStreamSink;
import io.walvault.core.pipeline.Sink;
import io.walvault.core.repo.ObjectResult;
import io.walvault.core.repo.Repositories;
import io.walvault.core.repo.Repository;
import io.walvault.core.storage.Storage;
import io.walvault.core.storage.StorageErrors;
import java.io.FileOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code walvault cat KEY}: the incident tool, any object decoded to stdout. */
@Command(name = "cat", mixinStandardHelpOptions = true,
        footerHeading = "%nExample:%n", footer = {"  walvault cat --config /etc/walvault/main.conf \\", "      clusters/7400000000000000001/wal/000000010000000000000002.lz4 -o seg"},
        description = {"Decode any repository object (decrypt, decompress, verify) to stdout or a file.",
                "KEY is the object's key in the repository, e.g."
                        + " clusters/7400000000000000001/wal/00000001/0000000100000000/000000010000000000000001.lz4.enc",
                "The output is complete only when the exit code is 0; on damage the error names the object and"
                        + " what was written before it is verified data."})
public final class CatCommand implements Callable<Integer> {

    @Mixin
    RepositoryOptions options;

    @Parameters(index = "0", paramLabel = "KEY", description = "The object's key.")
    String key;

    @Option(names = "--as", paramLabel = "KEY", description = "The key the object was written under, when decoding a copy"
            + " stored under another key (encryption binds objects to their key).")
    String boundKey;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write to FILE (created 0600) instead of stdout."
            + " FILE must not exist: an existing file is never overwritten (exit code 2).")
    Path output;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        try (RepositorySettings s = options.repository(System.getenv())) {
            OutputStream out = open();
            try {
                return decode(s, out);
            } catch (RuntimeException | IOException e) {
                // an output file this run created and wrote nothing to (a wrong key, a missing object)
                // would only stand in the way of the next try
                if (output != null && Files.size(output) == 0) {
                    Files.deleteIfExists(output);
                }
                throw e;
            }
        }
    }

    private int decode(RepositorySettings s, OutputStream stream) throws IOException {
        try (OutputStream out = stream; Sink sink = new OutputStreamSink(out, false)) {
            ObjectResult r;
            Repository repo;
            try {
                repo = Repositories.open(s);
            } catch (WalvaultException e) {
                if (e.code() != ErrorCode.REPOSITORY_NOT_FOUND) {
                    throw e;
                }
                // no descriptor: unencrypted objects can still be read
                try (Storage storage = Repositories.storage(s)) {
                    r = Repository.decodeWithoutRepository(storage, key, sink);
                }
                report(r);
                return 0;
            }
            try (Repository open = repo) {
                r = open.decode(key, boundKey == null ? key : boundKey, sink);
            }
            report(r);
        }
        return 0;
    }

    private void report(ObjectResult r) {
        spec.commandLine().getErr().printf("decoded '%s': %d bytes, sha256 %s%n", r.key(), r.size(), r.sha256());
    }

    private OutputStream open() throws IOException {
        if (output == null) {
            // stdout is not ours to close
            return new FilterOutputStream(System.out) {
                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    out.write(b, off, len);
                }

                @Override
                public void close() throws IOException {
                    flush();
                }
            };
        }
        try {
            Files.createFile(output, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (FileAlreadyExistsException e) {
            throw new WalvaultException(ErrorCode.USAGE, "the output file '" + output + "' already exists: nothing was written"
                    + " HINT: remove it, or choose another path with -o");
        } catch (IOException e) {
            throw new WalvaultException(ErrorCode.USAGE, "cannot create the output file '" + output + "': "
                    + StorageErrors.describe(e) + " HINT: choose a path in an existing directory"
                    + " you may write to", e);
        }
        return new OutputErrors(new FileOutputStream(output.toFile()), output);
    }

    /** A failure to write the output file (disk full) names the file, as its creation does. */
    private static final class OutputErrors extends FilterOutputStream {
        private final Path file;

        OutputErrors(OutputStream out, Path file) {
            super(out);
            this.file = file;
        }

        private WalvaultException failed(IOException e) {
            return new WalvaultException(ErrorCode.USAGE, "cannot write the output file '" + file + "': "
                    + StorageErrors.describe(e) + "; what it holds is incomplete"
                    + " HINT: choose another path with -o, or make room", e);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            try {
                out.write(b, off, len);
            } catch (IOException e) {
                throw failed(e);
            }
        }

        @Override
        public void flush() {
            try {
                out.flush();
            } catch (IOException e) {
                throw failed(e);
            }
        }

        @Override
        public void close() {
            try {
                out.close();
            } catch (IOException e) {
                throw failed(e);
            }
        }
    }
}
