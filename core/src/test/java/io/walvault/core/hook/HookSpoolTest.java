package io.walvault.core.hook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HookSpoolTest {

    private static final String SEG = "000000010000000000000007";

    @Test
    void openMakesAnOwnerOnlyVersionedSpool(@TempDir Path walDir) throws Exception {
        HookSpool spool = new HookSpool(walDir);
        assertTrue(spool.open("file:///r 42"), "a new spool: nothing to keep");
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(spool.root())));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(spool.dir(HookSpool.Role.GET))));
        assertEquals(List.of("walvault-spool 1"), Files.readAllLines(spool.root().resolve("FORMAT")));
        assertEquals("file:///r 42", spool.origin());
        spool.markOk(SEG);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(spool.dir(HookSpool.Role.PUSH)
                .resolve(SEG + ".ok"))));
        assertFalse(spool.open("file:///r 42"), "same origin: statuses kept");
        assertEquals(Optional.of(new HookSpool.Status.Ok()), spool.status(HookSpool.Role.PUSH, SEG));
    }

    @Test
    void twoFirstOpenersOfAFreshSpoolKeepWhatEachWroteUnderTheirOrigin(@TempDir Path base) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int i = 0; i < 300; i++) {
                Path walDir = Files.createDirectories(base.resolve("w" + i));
                CyclicBarrier together = new CyclicBarrier(2);
                List<Future<?>> openers = new ArrayList<>();
                for (String seg : List.of("000000010000000000000001", "000000010000000000000002")) {
                    openers.add(pool.submit(() -> {
                        together.await();
                        HookSpool spool = new HookSpool(walDir);
                        spool.open("file:///r 42");
                        spool.markOk(seg);
                        return null;
                    }));
                }
                for (Future<?> f : openers) {
                    f.get(10, TimeUnit.SECONDS);
                }
                HookSpool spool = new HookSpool(walDir);
                assertEquals(Optional.of(new HookSpool.Status.Ok()), spool.status(HookSpool.Role.PUSH, "000000010000000000000001"),
                        "round " + i);
                assertEquals(Optional.of(new HookSpool.Status.Ok()), spool.status(HookSpool.Role.PUSH, "000000010000000000000002"),
                        "round " + i);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void anotherOriginOrFormatForgetsEveryStatus(@TempDir Path walDir) throws Exception {
        HookSpool spool = new HookSpool(walDir);
        spool.open("file:///r 42");
        spool.markOk(SEG);
        Files.writeString(spool.ready(SEG), "segment");
        assertTrue(spool.open("file:///other 42"));
        assertEquals(Optional.empty(), spool.status(HookSpool.Role.PUSH, SEG));
        assertEquals(Optional.empty(), spool.status(HookSpool.Role.GET, SEG));

        spool.markMissing(SEG);
        Files.writeString(spool.root().resolve("FORMAT"), "walvault-spool 0\n");
        assertTrue(spool.open("file:///other 42"), "an older spool's statuses are not read");
        assertEquals(Optional.empty(), spool.status(HookSpool.Role.GET, SEG));
        assertEquals(List.of("walvault-spool 1"), Files.readAllLines(spool.root().resolve("FORMAT")));
    }

    @Test
    void statusesAsTheLauncherReadsThem(@TempDir Path walDir) throws Exception {
        HookSpool spool = new HookSpool(walDir);
        spool.open("o");
        spool.markError(HookSpool.Role.PUSH, SEG, 44, "store unreachable\nsecond line");
        // bin/walvault: first line the exit code, the rest the message
        assertEquals(List.of("44", "store unreachable", "second line"), Files.readAllLines(spool.dir(HookSpool.Role.PUSH)
                .resolve(SEG + ".error")));
        assertEquals(Optional.of(new HookSpool.Status.Error(44, "store unreachable\nsecond line")),
                spool.status(HookSpool.Role.PUSH, SEG));
        spool.markOk(SEG);
        assertEquals(Optional.of(new HookSpool.Status.Ok()), spool.status(HookSpool.Role.PUSH, SEG), "an ok replaces the error");

        spool.markMissing(SEG);
        assertEquals(Optional.of(new HookSpool.Status.Missing()), spool.status(HookSpool.Role.GET, SEG));
        Files.writeString(spool.ready(SEG), "x");
        assertEquals(Optional.of(new HookSpool.Status.Ready(spool.ready(SEG))), spool.status(HookSpool.Role.GET, SEG));
        spool.clear(HookSpool.Role.GET, SEG);
        assertEquals(Optional.empty(), spool.status(HookSpool.Role.GET, SEG));

        // a status being written (no whole first line) reads as none
        Files.writeString(spool.dir(HookSpool.Role.GET).resolve(SEG + ".error"), "1");
        assertEquals(Optional.of(new HookSpool.Status.Error(1, "")), spool.status(HookSpool.Role.GET, SEG));
        Files.writeString(spool.dir(HookSpool.Role.GET).resolve(SEG + ".error"), "");
        assertEquals(Optional.empty(), spool.status(HookSpool.Role.GET, SEG));
        assertThrows(IllegalArgumentException.class, () -> spool.markError(HookSpool.Role.GET, SEG, 0, "x"));
    }

    @Test
    void claimNamesTheWorkerAndItsCommandLineAndMeetsARequestForIt(@TempDir Path walDir) throws Exception {
        HookSpool spool = new HookSpool(walDir);
        spool.open("o");
        spool.requestWorker(HookSpool.Role.GET);
        assertTrue(Files.exists(spool.root().resolve("get.start")), "the name bin/walvault looks for");
        spool.claim(HookSpool.Role.GET, "archive-get --config c");
        assertFalse(Files.exists(spool.root().resolve("get.start")), "a worker came: the request is met");
        assertEquals(List.of("archive-get --config c"), Files.readAllLines(spool.root().resolve("get.caller")));
        assertEquals(List.of(Long.toString(ProcessHandle.current().pid())), Files.readAllLines(spool.root().resolve("get.pid")));
        spool.release(HookSpool.Role.GET);
        assertFalse(Files.exists(spool.root().resolve("get.caller")));
        assertFalse(Files.exists(spool.root().resolve("get.pid")));
    }

    @Test
    void aTemporaryFileIsAFetchInFlightAndNeverAStatus(@TempDir Path walDir) throws Exception {
        HookSpool spool = new HookSpool(walDir);
        spool.open("o");
        assertFalse(spool.inFlight(HookSpool.Role.GET, SEG));
        for (String near : new String[] {"." + SEG + ".tmp", "." + SEG + ".1.tmp.x", SEG + ".1.tmp", "." + SEG + "1.2.tmp"}) {
            Files.writeString(spool.dir(HookSpool.Role.GET).resolve(near), "");
            assertFalse(spool.inFlight(HookSpool.Role.GET, SEG), near + " is not a temporary file of " + SEG);
            Files.delete(spool.dir(HookSpool.Role.GET).resolve(near));
        }
        Path tmp = spool.temporary(HookSpool.Role.GET, SEG);
        Files.writeString(tmp, "half");
        assertTrue(spool.inFlight(HookSpool.Role.GET, SEG));
        assertFalse(spool.inFlight(HookSpool.Role.GET, "000000010000000000000008"));
        assertEquals(Optional.empty(), spool.status(HookSpool.Role.GET, SEG));
        spool.purge(HookSpool.Role.GET);
        try (Stream<Path> left = Files.list(spool.dir(HookSpool.Role.GET))) {
            assertEquals(0, left.count());
        }
    }

    @Test
    void pendingUntilAnsweredAndForgottenByTheNextWorker(@TempDir Path walDir) throws Exception {
        HookSpool spool = new HookSpool(walDir);
        spool.open("o");
        spool.markPending(HookSpool.Role.PUSH, SEG);
        assertEquals(Optional.of(new HookSpool.Status.Pending()), spool.status(HookSpool.Role.PUSH, SEG));
        spool.markOk(SEG);
        assertEquals(Optional.of(new HookSpool.Status.Ok()), spool.status(HookSpool.Role.PUSH, SEG));
        assertFalse(Files.exists(spool.dir(HookSpool.Role.PUSH).resolve(SEG + ".pending")), "withdrawn once answered");

        spool.markPending(HookSpool.Role.GET, SEG);
        spool.markError(HookSpool.Role.GET, SEG, 150, "gone");
        assertFalse(Files.exists(spool.dir(HookSpool.Role.GET).resolve(SEG + ".pending")));
        spool.markPending(HookSpool.Role.GET, "000000010000000000000008");
        spool.claim(HookSpool.Role.GET, "archive-get");
        assertEquals(Optional.empty(), spool.status(HookSpool.Role.GET, "000000010000000000000008"),
                "a killed worker's pending marks are not waited for");
    }

    @Test
    void onlyWalFileNames(@TempDir Path walDir) {
        HookSpool spool = new HookSpool(walDir);
        for (String bad : new String[] {"../x", "a/b", ".hidden", "", "x y", "caf\u00e9", "x\u0660", "a\\b", "a:b", "a-b", "a_b"}) {
            assertThrows(IllegalArgumentException.class, () -> spool.ready(bad), bad);
        }
        for (String good : new String[] {"000000010000000000000001", "00000002.history", "0000000100000000000000A1.00000028.backup",
                "000000010000000000000001.partial", "a.b", "Zz09"}) {
            assertEquals(walDir.resolve(".walvault/get").resolve(good), spool.ready(good), good);
        }
    }
}
