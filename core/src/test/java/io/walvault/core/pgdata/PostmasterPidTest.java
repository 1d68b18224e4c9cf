package io.walvault.core.pgdata;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PostmasterPidTest {

    @TempDir
    Path data;

    @Test
    void noFileOrNoNumberIsNoServer() throws IOException {
        assertEquals(OptionalLong.empty(), PostmasterPid.running(data));
        Files.writeString(data.resolve(PostmasterPid.NAME), "\n");
        assertEquals(OptionalLong.empty(), PostmasterPid.running(data));
    }

    @Test
    void aDeadProcessIsAStaleFile() throws IOException, InterruptedException {
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        Files.writeString(data.resolve(PostmasterPid.NAME), p.pid() + "\n" + data + "\n");
        assertEquals(OptionalLong.of(p.pid()), PostmasterPid.recorded(data));
        assertEquals(OptionalLong.empty(), PostmasterPid.running(data));
    }

    @Test
    void aLiveProgramOtherThanPostgresIsAReusedId() throws IOException {
        // this JVM is alive, but it is not a postgres program
        Files.writeString(data.resolve(PostmasterPid.NAME), ProcessHandle.current().pid() + "\n");
        assertEquals(OptionalLong.empty(), PostmasterPid.running(data));
    }

    @Test
    void aStandaloneBackendWritesItsIdNegated() throws IOException {
        Files.writeString(data.resolve(PostmasterPid.NAME), "-" + ProcessHandle.current().pid() + "\n");
        assertEquals(OptionalLong.of(ProcessHandle.current().pid()), PostmasterPid.recorded(data));
    }
}
