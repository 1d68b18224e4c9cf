package io.walvault.core.hook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WorkerTenureTest {

    @Test
    void endsWhenTheServerRestarts(@TempDir Path data) throws Exception {
        HookSpool spool = spool(data);
        Files.writeString(data.resolve("postmaster.pid"), "100\n/data\n1765152000\n5432\n");
        WorkerTenure t = new WorkerTenure(spool, "o", Optional.empty(), Duration.ofMinutes(1));
        assertTrue(t.current());
        Files.writeString(data.resolve("postmaster.pid"), "100\n/data\n1765152000\n5432\n/run/postgresql\n*\nready\n");
        assertTrue(t.current(), "the same postmaster, its later lines written");
        Files.writeString(data.resolve("postmaster.pid"), "100\n/data\n1765152090\n5432\n");
        assertEquals(Optional.of("the server it served has stopped or restarted"), t.reason(),
                "the same pid, started again (pid 1 in a container)");
        Files.writeString(data.resolve("postmaster.pid"), "200\n/data\n1765152000\n5432\n");
        assertEquals(Optional.of("the server it served has stopped or restarted"), t.reason());
        Files.delete(data.resolve("postmaster.pid"));
        assertFalse(t.current());
    }

    @Test
    void endsWhenTheConfigurationFileChanges(@TempDir Path data) throws Exception {
        HookSpool spool = spool(data);
        Path conf = Files.writeString(data.resolve("walvault.conf"), "repo = file:///a\n");
        Files.setLastModifiedTime(conf, FileTime.fromMillis(1_000_000));
        WorkerTenure t = new WorkerTenure(spool, "o", Optional.of(conf), Duration.ofMinutes(1));
        assertTrue(t.current());
        Files.writeString(conf, "repo = file:///b\n");
        assertTrue(t.reason().orElseThrow().contains("walvault.conf' changed"), t.reason().toString());
    }

    @Test
    void endsWhenAnotherCallTookOverTheSpoolOrItsTimeIsUp(@TempDir Path data) throws Exception {
        HookSpool spool = spool(data);
        WorkerTenure t = new WorkerTenure(spool, "o", Optional.empty(), Duration.ofMinutes(1));
        assertTrue(t.current());
        spool.open("other");
        assertEquals(Optional.of("a call with other settings took over the spool"), t.reason());
        assertEquals(Optional.of("its lifetime is over"),
                new WorkerTenure(spool, "other", Optional.empty(), Duration.ofNanos(-1)).reason());
    }

    @Test
    void theCallersCommandLineIsWhatTheLauncherSees() {
        HookCaller push = HookCaller.of(List.of("archive-push", "--config", "/etc/w.conf", "pg_wal/0001", "--worker"), 1,
                Optional.empty());
        assertEquals("archive-push --config /etc/w.conf", push.arguments());
        HookCaller get = HookCaller.of(List.of("archive-get", "--repo", "s3://b/p", "--worker", "0001", "pg_wal/RECOVERYXLOG"), 2,
                Optional.empty());
        assertEquals("archive-get --repo s3://b/p", get.arguments());
    }

    private static HookSpool spool(Path data) throws Exception {
        HookSpool spool = new HookSpool(Files.createDirectories(data.resolve("pg_wal")));
        spool.open("o");
        return spool;
    }
}
