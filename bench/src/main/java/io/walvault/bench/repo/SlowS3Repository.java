package io.walvault.bench.repo;

import io.walvault.core.config.RepositorySettings;
import io.walvault.core.config.Settings;
import io.walvault.core.pipeline.Sink;
import io.walvault.core.repo.Repositories;
import io.walvault.core.storage.Storage;
import io.walvault.testkit.Fault;
import io.walvault.testkit.FaultProxy;
import io.walvault.testkit.ProxyExchange;
import io.walvault.testkit.S3Bucket;
import io.walvault.testkit.S3Server;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A copy of a local repository served by the S3 emulator behind a proxy that holds every GET
 * (reads and listings) for a fixed time, as an object store's first-byte latency: to time
 * whole commands against a store with round trips. Prints the config file to use, then serves
 * until killed; each line on its standard input prints the requests made since the last.
 *
 * <pre>
 * java -cp "$(cat bench/target/classpath.txt):bench/target/classes" io.walvault.bench.repo.SlowS3Repository REPO_DIR GET_DELAY_MS CONFIG_OUT [PASSPHRASE_FILE]
 * </pre>
 */
public final class SlowS3Repository {

    private SlowS3Repository() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: SlowS3Repository REPO_DIR GET_DELAY_MS CONFIG_OUT [PASSPHRASE_FILE]");
            System.exit(2);
        }
        Path repo = Path.of(args[0]);
        Duration delay = Duration.ofMillis(Long.parseLong(args[1]));
        Path config = Path.of(args[2]);
        S3Server server = S3Server.start();
        S3Bucket bucket = server.createBucket();
        List<Path> files;
        try (Stream<Path> s = Files.walk(repo)) {
            files = s.filter(Files::isRegularFile).sorted().toList();
        }
        // copied with walvault's own S3 driver, straight to the emulator
        Files.writeString(config, bucket.config("r"));
        Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-------"));
        try (RepositorySettings rs = RepositorySettings.from(Settings.load(Map.of(), config, Map.of()));
             Storage storage = Repositories.storage(rs)) {
            byte[] buf = new byte[1 << 16];
            for (Path f : files) {
                try (InputStream in = Files.newInputStream(f); Sink out = storage.newWrite(repo.relativize(f).toString())) {
                    int n;
                    while ((n = in.read(buf)) > 0) {
                        out.write(buf, 0, n);
                    }
                    out.finish();
                }
            }
        }
        FaultProxy proxy = FaultProxy.inFrontOf(server);
        proxy.rule().method("GET").always().inject(new Fault.StallResponse(delay));
        String text = bucket.through(proxy).config("r")
                + (args.length > 3 ? "encryption = passphrase\npassphrase-file = " + args[3] + "\n" : "");
        Files.writeString(config, text);
        Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-------"));
        System.out.println(files.size() + " objects served with every GET held " + delay.toMillis() + " ms; config: " + config);
        // each line read from standard input prints the requests made since the last one
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        int seen = 0;
        while (in.readLine() != null) {
            List<ProxyExchange> log = proxy.exchanges();
            log.subList(Math.min(seen, log.size()), log.size()).forEach(x -> System.out.println(x.method() + " " + x.target()));
            System.out.println((log.size() - seen) + " requests");
            seen = log.size();
        }
        Thread.sleep(Long.MAX_VALUE);
    }
}
