package io.walvault.cli.repo;

import io.walvault.cli.options.RepositoryOptions;
import io.walvault.core.config.RepositorySettings;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.repo.Repositories;
import io.walvault.core.storage.StorageCheck;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code walvault storage-check}: tries what the repository needs from its storage. */
@Command(name = "storage-check", mixinStandardHelpOptions = true,
        footerHeading = "%nExample:%n", footer = {"  walvault storage-check --repo s3://bucket/pg/check \\", "      --s3-endpoint https://minio.example:9000 --s3-path-style true"},
        description = {"Check that the repository's storage does what walvault needs: write, read, ranged read,"
                + " create-if-absent, a multipart stream, list, remove, and (S3) whether conditional writes are enforced.",
                "Works on throwaway objects under walvault-check/ and removes them; the location need not hold a repository.",
                "A failed step says why and, where a setting fixes it, which one (e.g. s3-chunked-encoding=false for a store"
                        + " that keeps the aws-chunked framing of uploads over plain http as the object's bytes).",
                "Exit code 0 when every step passed, 30 otherwise."})
public final class StorageCheckCommand implements Callable<Integer> {

    @Mixin
    RepositoryOptions options;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        List<StorageCheck.Step> steps;
        try (RepositorySettings s = options.repository(System.getenv())) {
            steps = Repositories.checkStorage(s);
        }
        PrintWriter out = spec.commandLine().getOut();
        boolean ok = true;
        for (StorageCheck.Step s : steps) {
            out.printf("%-4s %s: %s%n", s.ok() ? "ok" : "FAIL", s.name(), s.detail());
            // the conditional-write probe is advice, not a failure: auto mode copes with either answer
            ok &= s.ok() || s.name().startsWith("conditional writes");
        }
        return ok ? 0 : ErrorCode.STORAGE.exitCode();
    }
}
