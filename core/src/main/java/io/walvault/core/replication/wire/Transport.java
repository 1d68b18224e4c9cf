package io.walvault.core.replication.wire;

import static java.util.Objects.requireNonNull;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.DefaultChannelId;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioChannelOption;
import io.netty.channel.socket.nio.NioDomainSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.pipeline.Futures;
import io.walvault.core.replication.ConnectionLostException;
import io.walvault.core.replication.ProtocolException;
import io.walvault.core.replication.conn.Endpoint;
import io.walvault.core.replication.conn.Unreachable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLPeerUnverifiedException;
import jdk.net.ExtendedSocketOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection to a server on Netty, read on demand: the channel never reads ahead of the
 * consumer by more than {@link #HIGH_WATER_BYTES} (auto-read is off; a socket read is requested
 * only when the queue of received messages has fallen below that mark). This is the only
 * backpressure there is: a slow consumer slows the server's sender down through TCP.
 *
 * <pre>
 *  socket ─▶ [SslHandler] ─▶ LengthFieldBasedFrameDecoder ─▶ InboundQueue ══▶ receive() (caller thread)
 *                                                               ▲ channel.read() when below the mark
 *  send() (any thread) ─▶ writeAndFlush ─▶ [SslHandler] ─▶ socket
 * </pre>
 *
 * <p>Thread-safety: {@link #receive} is called by one thread at a time (the protocol's owner);
 * {@link #send} and {@link #close} may be called from any thread (Netty serialises writes).
 * Frames are logged at TRACE as {@code FE=>} and {@code <=BE} with type and length only, never
 * their content (a password message is a frame like any other).
 *
 * <p>Length: the channel, its pipeline and the read-on-demand flow control are one state machine
 * around one Netty channel; splitting them would spread the one backpressure rule over several
 * classes.
 */
public final class Transport implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Transport.class);

    /** Bytes of received messages held before the socket is no longer read. */
    public static final int HIGH_WATER_BYTES = 512 * 1024;
    /** The largest message accepted; CopyData messages are at most a few hundred kB. */
    public static final int MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

    /** TCP keepalive: the first probe after a minute of silence, then every 10 s, six unanswered probes end it. */
    private static final int KEEPALIVE_IDLE_S = 60;
    private static final int KEEPALIVE_INTERVAL_S = 10;
    private static final int KEEPALIVE_PROBES = 6;

    private static final Object CLOSED = new Object();
    private static volatile EventLoopGroup group;
    private static final Object PREPARATION_LOCK = new Object();
    private static Future<Void> preparation;

    private final Channel channel;
    private final InboundQueue inbound;
    private final Endpoint endpoint;
    private volatile X509Certificate serverCertificate;

    private Transport(Channel channel, InboundQueue inbound, Endpoint endpoint) {
        this.channel = channel;
        this.inbound = inbound;
        this.endpoint = endpoint;
    }

    /**
     * Sets Netty up (its classes, the native transport, the event loops, the buffer pool, the
     * channel ids) on a daemon thread of its own, so that a process can do its other start-up
     * work (options, the repository's key) meanwhile: a fresh JVM spends about 0.3 s on it before
     * its first connection. Idempotent; {@link #connect} waits for it before it touches Netty, so
     * that no two threads initialise Netty's classes at once. A failure here is left for
     * {@code connect} to meet and report.
     */
    public static void prepareInBackground() {
        synchronized (PREPARATION_LOCK) {
            if (preparation != null) {
                return;
            }
            preparation = Futures.startOnDaemon("walvault-pg-io-prepare", () -> {
                group();
                ByteBufAllocator.DEFAULT.buffer(64).release();
                DefaultChannelId.newInstance();
                new Bootstrap();
                return null;
            });
        }
    }

    /** Waits for {@link #prepareInBackground}, if it was started. */
    private static void awaitPreparation() {
        Future<Void> p;
        synchronized (PREPARATION_LOCK) {
            p = preparation;
        }
        if (p == null) {
            return;
        }
        try {
            p.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            LOG.debug("setting Netty up ahead failed (the connection does it again): {}", e.getCause().toString());
        }
    }

    private static EventLoopGroup group() {
        EventLoopGroup g = group;
        if (g == null) {
            synchronized (Transport.class) {
                g = group;
                if (g == null) {
                    DefaultThreadFactory tf = new DefaultThreadFactory("walvault-pg-io", true);
                    if (Epoll.isAvailable()) {
                        g = new EpollEventLoopGroup(2, tf);
                    } else {
                        LOG.debug("Netty's native transport is not available here ({}): connecting with the JDK's sockets",
                                Epoll.unavailabilityCause().toString());
                        g = new NioEventLoopGroup(2, tf);
                    }
                    group = g;
                }
            }
        }
        return g;
    }

    /**
     * Stops the process's event loops, waiting at most {@code timeout}, for a process about to
     * exit: HotSpot does not exit while a thread of it waits in a system call (it waits up to 0.3 s
     * for such threads first), and idle event loops wait in one (epoll_wait), so every command that
     * had connected would end 0.3 s later than its work. Connections still open are closed with
     * them; a later connection starts new event loops.
     */
    public static void shutdownEventLoops(Duration timeout) {
        requireNonNull(timeout, "timeout is null");
        awaitPreparation();
        EventLoopGroup g;
        synchronized (Transport.class) {
            g = group;
            group = null;
        }
        if (g != null) {
            g.shutdownGracefully(0, timeout.toMillis(), TimeUnit.MILLISECONDS).awaitUninterruptibly(timeout.toMillis());
        }
    }

    /**
     * Opens a TCP or Unix-socket connection to {@code endpoint}.
     *
     * @throws WalvaultException {@link ErrorCode#CONNECTION_FAILED} when nothing answers
     */
    public static Transport connect(Endpoint endpoint, Duration timeout) {
        requireNonNull(endpoint, "endpoint is null");
        awaitPreparation();
        InboundQueue inbound = new InboundQueue();
        EventLoopGroup g = group();
        Bootstrap b = new Bootstrap().group(g)
                .option(ChannelOption.AUTO_READ, false)
                // large socket reads: one wake-up of the consumer per up to 256 KiB of messages
                .option(ChannelOption.RCVBUF_ALLOCATOR, new AdaptiveRecvByteBufAllocator(4096, 65536, 256 * 1024))
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, timeout.toMillis()))
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast("queue", inbound);
                    }
                });
        SocketAddress address;
        if (endpoint.isUnixSocket()) {
            if (g instanceof EpollEventLoopGroup) {
                b.channel(EpollDomainSocketChannel.class);
                address = new DomainSocketAddress(endpoint.socketFile().toString());
            } else {
                // without Netty's native library (none for this CPU, or the temporary directory it is
                // unpacked into mounted noexec): the JDK's own Unix-domain sockets
                b.channel(NioDomainSocketChannel.class);
                address = UnixDomainSocketAddress.of(endpoint.socketFile());
            }
        } else {
            // a peer that vanished (host down, network cut) is noticed in about two minutes,
            // not the kernel's default two hours: a streaming client would otherwise wait that long
            if (g instanceof EpollEventLoopGroup) {
                b.channel(EpollSocketChannel.class)
                        .option(EpollChannelOption.TCP_KEEPIDLE, KEEPALIVE_IDLE_S)
                        .option(EpollChannelOption.TCP_KEEPINTVL, KEEPALIVE_INTERVAL_S)
                        .option(EpollChannelOption.TCP_KEEPCNT, KEEPALIVE_PROBES);
            } else {
                b.channel(NioSocketChannel.class)
                        .option(NioChannelOption.of(ExtendedSocketOptions.TCP_KEEPIDLE), KEEPALIVE_IDLE_S)
                        .option(NioChannelOption.of(ExtendedSocketOptions.TCP_KEEPINTERVAL), KEEPALIVE_INTERVAL_S)
                        .option(NioChannelOption.of(ExtendedSocketOptions.TCP_KEEPCOUNT), KEEPALIVE_PROBES);
            }
            b.option(ChannelOption.TCP_NODELAY, true)
                    // a window large enough that the server keeps sending while the consumer works
                    .option(ChannelOption.SO_RCVBUF, 1024 * 1024)
                    .option(ChannelOption.SO_KEEPALIVE, true);
            address = new InetSocketAddress(endpoint.address(), endpoint.port());
        }
        ChannelFuture f = b.connect(address);
        boolean done = f.awaitUninterruptibly(timeout.toMillis() + 1000);
        if (!done || !f.isSuccess()) {
            f.channel().close();
            Throwable cause = f.cause();
            String why = !done ? "timeout after " + timeout.toSeconds() + " s" : describe(cause);
            String hint = endpoint.isUnixSocket()
                    ? " HINT: is the server running locally and accepting connections on that socket?"
                    : " HINT: is the server running on that host and accepting TCP/IP connections on that port?";
            Optional<Unreachable> known = Unreachable.of(cause);
            if (known.isPresent()) {
                why = known.get().reason();
                hint = known.get() == Unreachable.NO_SUCH_HOST
                        ? " HINT: check the host in the connection settings (--pg, pg in the config file)"
                        : " HINT: check the port and the socket directory (host=DIR) in the connection settings, and that the server runs";
            }
            throw new WalvaultException(ErrorCode.CONNECTION_FAILED,
                    "cannot connect to '" + endpoint + "': " + why + hint, cause);
        }
        LOG.debug("connected to {}", endpoint);
        return new Transport(f.channel(), inbound, endpoint);
    }

    private static String describe(Throwable t) {
        if (t == null) {
            return "unknown reason";
        }
        String m = t.getMessage();
        return m == null ? t.getClass().getSimpleName() : m;
    }

    public Endpoint endpoint() {
        return endpoint;
    }

    /** Sends an SSLRequest and returns the server's one-byte answer ('S' or 'N'). */
    public char requestSsl(Duration timeout) {
        send(FrontendMessages.sslRequest(), "SSLRequest");
        Object o = inbound.take(timeout);
        if (o == null) {
            throw new ConnectionLostException("no answer to SSLRequest from '" + endpoint + "' within " + timeout.toSeconds() + " s");
        }
        ByteBuf raw = inbound.asBuffer(o, endpoint);
        try {
            if (raw.readableBytes() != 1) {
                // CVE-2021-23222: bytes after the answer would be injected into the TLS-less stream
                throw new ProtocolException("server sent " + raw.readableBytes()
                        + " bytes in answer to SSLRequest, expected exactly one");
            }
            return (char) raw.readByte();
        } finally {
            raw.release();
        }
    }

    /**
     * Puts TLS on the connection and waits for the handshake; {@code verifyHostname} checks the
     * certificate's names against the endpoint's host.
     *
     * @throws WalvaultException {@link ErrorCode#TLS_FAILED}
     */
    public void startTls(SslContext context, boolean verifyHostname, Duration timeout) {
        SSLEngine engine = context.newEngine(channel.alloc(), endpoint.host(), endpoint.port());
        if (verifyHostname) {
            SSLParameters p = engine.getSSLParameters();
            p.setEndpointIdentificationAlgorithm("HTTPS");
            engine.setSSLParameters(p);
        }
        SslHandler ssl = new SslHandler(engine);
        ssl.setHandshakeTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
        channel.pipeline().addFirst("ssl", ssl);
        channel.read();
        ssl.handshakeFuture().awaitUninterruptibly(timeout.toMillis() + 1000);
        if (!ssl.handshakeFuture().isSuccess()) {
            Throwable cause = ssl.handshakeFuture().cause();
            close();
            throw new WalvaultException(ErrorCode.TLS_FAILED, "TLS handshake with '" + endpoint + "' failed: "
                    + describe(rootCause(cause)) + tlsHint(cause), cause);
        }
        try {
            Certificate[] peer = engine.getSession().getPeerCertificates();
            if (peer.length > 0 && peer[0] instanceof X509Certificate x) {
                serverCertificate = x;
            }
        } catch (SSLPeerUnverifiedException e) {
            throw new WalvaultException(ErrorCode.TLS_FAILED, "server '" + endpoint + "' presented no certificate", e);
        }
        LOG.debug("TLS on to {}: {} {}", endpoint, engine.getSession().getProtocol(), engine.getSession().getCipherSuite());
    }

    private static String tlsHint(Throwable cause) {
        Throwable root = rootCause(cause);
        String m = String.valueOf(root.getMessage());
        if (m.contains("No subject alternative") || m.contains("doesn't match")) {
            return " HINT: the certificate's names do not include this host; connect with a name it lists, or use sslmode=verify-ca";
        }
        if (cause instanceof SSLHandshakeException || m.contains("PKIX") || m.contains("certification path")) {
            return " HINT: check that sslrootcert holds the certificate authority that signed the server's certificate";
        }
        return "";
    }

    private static Throwable rootCause(Throwable t) {
        Throwable r = t;
        while (r != null && r.getCause() != null && r.getCause() != r) {
            r = r.getCause();
        }
        return r == null ? new IllegalStateException("unknown") : r;
    }

    /** The server's certificate once TLS is on. */
    public Optional<X509Certificate> serverCertificate() {
        return Optional.ofNullable(serverCertificate);
    }

    public boolean isTls() {
        return serverCertificate != null;
    }

    /** Switches from raw bytes to framed messages (after the SSL negotiation). */
    public void startFraming() {
        channel.pipeline().addBefore("queue", "frames", new CopyingFrameDecoder());
    }

    /**
     * Frames messages as copies, not slices of the read buffer: queued messages that slice the
     * decoder's cumulation buffer keep it alive, so each later read must copy it into a larger
     * one, and a consumer that falls behind made the decoder ask for tens of MiB of direct memory
     * at once. A copy per message keeps memory proportional to what is queued.
     */
    private static final class CopyingFrameDecoder extends LengthFieldBasedFrameDecoder {
        CopyingFrameDecoder() {
            super(MAX_MESSAGE_BYTES, 1, 4, -4, 0, true);
        }

        @Override
        protected ByteBuf extractFrame(ChannelHandlerContext ctx, ByteBuf buffer, int index, int length) {
            ByteBuf frame = ctx.alloc().buffer(length);
            frame.writeBytes(buffer, index, length);
            return frame;
        }
    }

    /** Sends one encoded message; {@code what} names it in the TRACE log. Any thread. */
    public void send(ByteBuf message, String what) {
        if (LOG.isTraceEnabled()) {
            LOG.trace("FE=> {} ({} bytes)", what, message.readableBytes());
        }
        channel.writeAndFlush(message);
    }

    /**
     * The next message, waiting at most {@code timeout}; {@code null} when none came in time.
     *
     * @throws ConnectionLostException when the connection is closed and no message is left
     * @throws ProtocolException when a message is malformed (too long, bad length)
     */
    public BackendMessage receive(Duration timeout) {
        Object o = inbound.take(timeout);
        if (o == null) {
            return null;
        }
        ByteBuf frame = inbound.asBuffer(o, endpoint);
        byte type = frame.readByte();
        frame.skipBytes(4); // the length, already checked by the frame decoder
        BackendMessage m = new BackendMessage(type, frame);
        if (LOG.isTraceEnabled()) {
            LOG.trace("<=BE {}", m);
        }
        return m;
    }

    /** Runs {@code task} on the connection's event loop every {@code period}, until cancelled or closed. */
    public ScheduledFuture<?> every(Duration period, Runnable task) {
        return channel.eventLoop().scheduleAtFixedRate(task, period.toMillis(), period.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * The most bytes ever waiting for the consumer on this connection: stays near
     * {@link #HIGH_WATER_BYTES} plus one socket read, whatever the size of what is received.
     */
    public long maxQueuedBytes() {
        return inbound.maxQueuedBytes.get();
    }

    public boolean isOpen() {
        return channel.isActive();
    }

    /** Closes the socket at once (no Terminate message); pending messages are dropped. Any thread. */
    @Override
    public void close() {
        channel.close().awaitUninterruptibly(5000);
        inbound.drain();
    }

    /** Sends Terminate and closes. */
    public void terminate() {
        if (channel.isActive()) {
            channel.writeAndFlush(FrontendMessages.terminate());
        }
        close();
    }

    /**
     * Receives on the event loop and hands over to the caller's thread, asking the socket for
     * more only while less than {@link #HIGH_WATER_BYTES} wait in the queue.
     */
    private static final class InboundQueue extends ChannelInboundHandlerAdapter {
        private final BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
        private final AtomicLong queuedBytes = new AtomicLong();
        private final AtomicLong maxQueuedBytes = new AtomicLong();
        /** A read was asked for and has not completed: asking again would only cost a wake-up of the event loop. */
        private final AtomicBoolean readPending = new AtomicBoolean();
        private volatile Channel channel;

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            // before the connect promise completes (channelActive comes after it), so that the
            // first receive can ask for a read
            channel = ctx.channel();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof ByteBuf b) {
                long now = queuedBytes.addAndGet(b.readableBytes());
                maxQueuedBytes.accumulateAndGet(now, Math::max);
                queue.add(b);
            } else {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            readPending.set(false);
            maybeRead();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            queue.add(cause);
            ctx.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            queue.add(CLOSED);
            ctx.fireChannelInactive();
        }

        void maybeRead() {
            Channel ch = channel;
            if (ch != null && queuedBytes.get() < HIGH_WATER_BYTES && ch.isActive() && readPending.compareAndSet(false, true)) {
                ch.read();
            }
        }

        Object take(Duration timeout) {
            maybeRead();
            Object o = queue.poll();
            if (o instanceof ByteBuf b) {
                queuedBytes.addAndGet(-b.readableBytes());
                maybeRead();
                return o;
            } else if (o != null) {
                return o;
            }
            try {
                o = queue.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new WalvaultException(ErrorCode.INTERRUPTED, "interrupted while waiting for the server", e);
            }
            if (o instanceof ByteBuf b) {
                queuedBytes.addAndGet(-b.readableBytes());
                maybeRead();
            }
            return o;
        }

        ByteBuf asBuffer(Object o, Endpoint endpoint) {
            if (o instanceof ByteBuf b) {
                return b;
            }
            // keep the terminal state visible to later calls
            queue.add(o);
            if (o == CLOSED) {
                throw new ConnectionLostException("server '" + endpoint + "' closed the connection unexpectedly"
                        + " HINT: the server may have been stopped or restarted, or the session terminated; see its log");
            }
            Throwable t = (Throwable) o;
            if (t instanceof TooLongFrameException || t instanceof DecoderException && t.getCause() instanceof TooLongFrameException) {
                throw new ProtocolException("server '" + endpoint + "' sent a message longer than "
                        + MAX_MESSAGE_BYTES + " bytes", t);
            }
            if (t instanceof DecoderException && t.getCause() instanceof SSLException || t instanceof SSLException) {
                throw new WalvaultException(ErrorCode.TLS_FAILED, "TLS failure on the connection to '" + endpoint + "': "
                        + describe(rootCause(t)), t);
            }
            if (t instanceof DecoderException) {
                throw new ProtocolException("server '" + endpoint + "' sent a malformed message: " + describe(t), t);
            }
            if (t instanceof IOException) {
                throw new ConnectionLostException("connection to '" + endpoint + "' lost: " + describe(t), t);
            }
            throw new ConnectionLostException("connection to '" + endpoint + "' failed: " + describe(t), t);
        }

        void drain() {
            Object o;
            while ((o = queue.poll()) != null) {
                if (o instanceof ByteBuf b) {
                    queuedBytes.addAndGet(-b.readableBytes());
                    b.release();
                } else {
                    queue.add(o);
                    return;
                }
            }
        }
    }
}
