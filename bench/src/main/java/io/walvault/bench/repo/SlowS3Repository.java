package io.walvault.bench.repo;

import io.walvault.testkit.Fault;
import io.walvault.testkit.FaultProxy;
import io.walvault.testkit.S3Bucket;
import io.walvault.testkit.S3Server;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

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
        try (S3Client client = bucket.newClient()) {
            for (Path f : files) {
                client.putObject(b -> b.bucket(bucket.name()).key("r/" + repo.relativize(f)), RequestBody.fromFile(f));
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
        java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(System.in,
                java.nio.charset.StandardCharsets.UTF_8));
        int seen = 0;
        while (in.readLine() != null) {
            List<io.walvault.testkit.ProxyExchange> log = proxy.exchanges();
            log.subList(Math.min(seen, log.size()), log.size()).forEach(x -> System.out.println(x.method() + " " + x.target()));
            System.out.println((log.size() - seen) + " requests");
            seen = log.size();
        }
        Thread.sleep(Long.MAX_VALUE);
    }
}
