package io.walvault.archiver.check;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UnixSocketFactoryTest {

    @TempDir
    Path dir;

    @Test
    void carriesBytesBothWaysThroughTheSocketFileWhateverAddressTheDriverGives() throws Exception {
        Path file = dir.resolve(".s.PGSQL.5432");
        byte[] request = new byte[300_000]; // more than the socket's buffers: writes wait for the reader
        new Random(5432).nextBytes(request);
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(file));
            CompletableFuture<Void> echo = CompletableFuture.runAsync(() -> {
                try (SocketChannel c = server.accept()) {
                    ByteBuffer b = ByteBuffer.allocate(request.length);
                    while (b.hasRemaining() && c.read(b) >= 0) {
                        // read it all
                    }
                    b.flip();
                    while (b.hasRemaining()) {
                        c.write(b);
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            Socket s = new UnixSocketFactory(file.toString()).createSocket();
            s.connect(new InetSocketAddress("localhost", 5432), 1000); // as the driver does: the address is not used
            s.setTcpNoDelay(true);
            assertTrue(s.isConnected());
            OutputStream out = s.getOutputStream();
            out.write(request);
            out.flush();
            InputStream in = s.getInputStream();
            assertArrayEquals(request, in.readNBytes(request.length));
            echo.get();
            assertEquals(-1, in.read(), "the server closed its end");
            s.close();
            assertTrue(s.isClosed());
            assertThrows(SocketException.class, s::getInputStream);
        }
    }

    @Test
    void aReadWaitsNoLongerThanTheTimeout() throws Exception {
        Path file = dir.resolve(".s.PGSQL.5433");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(file));
            try (Socket s = new UnixSocketFactory(file.toString()).createSocket("ignored", 1);
                 SocketChannel accepted = server.accept()) {
                s.setSoTimeout(200);
                long start = System.nanoTime();
                SocketTimeoutException e = assertThrows(SocketTimeoutException.class, () -> s.getInputStream().read());
                assertTrue(System.nanoTime() - start >= 150_000_000L, "it waited for the timeout");
                assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
                accepted.write(ByteBuffer.wrap(new byte[] {42}));
                assertEquals(42, s.getInputStream().read(), "the socket is still usable after a timeout");
            }
        }
    }

    @Test
    void namesTheSocketFileItCannotReach() {
        Path missing = dir.resolve(".s.PGSQL.5434");
        SocketException e = assertThrows(SocketException.class,
                () -> new UnixSocketFactory(missing.toString()).createSocket().connect(new InetSocketAddress("localhost", 5434)));
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
    }
}
