package io.walvault.archiver.check;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import javax.net.SocketFactory;

/**
 * Sockets to a PostgreSQL server's Unix-domain socket for the JDBC driver, which speaks only
 * TCP itself: given as its {@code socketFactory}, with the socket file as
 * {@code socketFactoryArg}, so that the SQL checks reach a server the way the replication
 * connection does when the conninfo's host is a directory (peer authentication included). The
 * driver connects the socket to a host and port, which it ignores; read timeouts
 * ({@link Socket#setSoTimeout}) are kept. JDK only (Java 16's Unix-domain socket channels).
 */
public final class UnixSocketFactory extends SocketFactory {
    private final Path socketFile;

    /** @param socketFile the server's socket, {@code <directory>/.s.PGSQL.<port>} */
    public UnixSocketFactory(String socketFile) {
        this.socketFile = Path.of(requireNonNull(socketFile, "socketFile is null"));
    }

    @Override
    public Socket createSocket() {
        return new UnixSocket(socketFile);
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
        return connected();
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
        return connected();
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
        return connected();
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort) throws IOException {
        return connected();
    }

    private Socket connected() throws IOException {
        UnixSocket s = new UnixSocket(socketFile);
        s.connect(null, 0);
        return s;
    }

    /** A socket over a Unix-domain channel, in non-blocking mode with a selector for the waits. */
    static final class UnixSocket extends Socket {
        private final Path file;
        private SocketChannel channel;
        private Selector selector;
        private InputStream in;
        private OutputStream out;
        private volatile int timeoutMillis;
        private volatile boolean closed;

        UnixSocket(Path file) {
            this.file = file;
        }

        /** Connects to the socket file; the address (a TCP host and port) is not used. */
        @Override
        public synchronized void connect(SocketAddress ignored, int timeout) throws IOException {
            if (channel != null) {
                throw new SocketException("already connected");
            }
            SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                ch.connect(UnixDomainSocketAddress.of(file)); // a local connect: done or refused at once
                ch.configureBlocking(false);
                selector = Selector.open();
            } catch (IOException | RuntimeException e) {
                ch.close();
                throw new SocketException("cannot connect to '" + file + "': " + e.getMessage());
            }
            channel = ch;
            in = new ChannelIn();
            out = new ChannelOut();
        }

        @Override
        public void connect(SocketAddress endpoint) throws IOException {
            connect(endpoint, 0);
        }

        @Override
        public boolean isConnected() {
            return channel != null;
        }

        @Override
        public boolean isClosed() {
            return closed;
        }

        @Override
        public InputStream getInputStream() throws IOException {
            return open(in);
        }

        @Override
        public OutputStream getOutputStream() throws IOException {
            return open(out);
        }

        private <T> T open(T stream) throws SocketException {
            if (closed) {
                throw new SocketException("socket to '" + file + "' is closed");
            }
            if (stream == null) {
                throw new SocketException("socket to '" + file + "' is not connected");
            }
            return stream;
        }

        @Override
        public void setSoTimeout(int timeout) throws SocketException {
            if (timeout < 0) {
                throw new IllegalArgumentException("timeout " + timeout + " is negative");
            }
            timeoutMillis = timeout;
        }

        @Override
        public int getSoTimeout() {
            return timeoutMillis;
        }

        // TCP options mean nothing on a Unix-domain socket: accepted and ignored
        @Override
        public void setTcpNoDelay(boolean on) {
        }

        @Override
        public void setKeepAlive(boolean on) {
        }

        @Override
        public void setReceiveBufferSize(int size) {
        }

        @Override
        public void setSendBufferSize(int size) {
        }

        @Override
        public synchronized void close() throws IOException {
            if (closed) {
                return;
            }
            closed = true;
            try {
                if (selector != null) {
                    selector.close();
                }
            } finally {
                if (channel != null) {
                    channel.close();
                }
            }
        }

        @Override
        public String toString() {
            return "unix socket '" + file + "'";
        }

        /** Waits until the channel is ready for {@code op}, at most the read timeout for reads. */
        private void await(int op, boolean timed) throws IOException {
            synchronized (selector) {
                if (closed) {
                    throw new SocketException("socket to '" + file + "' is closed");
                }
                SelectionKey key = channel.register(selector, op);
                try {
                    int t = timed ? timeoutMillis : 0;
                    int ready;
                    try {
                        ready = t > 0 ? selector.select(t) : selector.select();
                    } catch (ClosedSelectorException e) {
                        throw new SocketException("socket to '" + file + "' was closed while waiting");
                    }
                    if (ready == 0 && t > 0) {
                        throw new SocketTimeoutException("no data from '" + file + "' within " + t + " ms");
                    }
                } finally {
                    key.interestOps(0);
                    selector.selectedKeys().clear();
                }
            }
        }

        private final class ChannelIn extends InputStream {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (len == 0) {
                    return 0;
                }
                ByteBuffer buf = ByteBuffer.wrap(b, off, len);
                while (true) {
                    int n = channel.read(buf);
                    if (n != 0) {
                        return n;
                    }
                    await(SelectionKey.OP_READ, true);
                }
            }

            @Override
            public void close() throws IOException {
                UnixSocket.this.close();
            }
        }

        private final class ChannelOut extends OutputStream {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                ByteBuffer buf = ByteBuffer.wrap(b, off, len);
                while (buf.hasRemaining()) {
                    if (channel.write(buf) == 0) {
                        await(SelectionKey.OP_WRITE, false);
                    }
                }
            }

            @Override
            public void close() throws IOException {
                UnixSocket.this.close();
            }
        }
    }
}
