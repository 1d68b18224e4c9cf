package io.walvault.core.replication;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A TCP relay between the client and a real server that flips one byte in transit: the first
 * occurrence of a marker inside a CopyData message from the server. It stands for a stream
 * corrupted on the way (the server's own manifest is computed on what it sent). One connection,
 * plaintext only.
 */
final class CorruptingProxy implements AutoCloseable {

    private final ServerSocket listener;
    private final byte[] marker;
    private final AtomicBoolean flipped = new AtomicBoolean();
    private final Thread acceptor;

    CorruptingProxy(String serverHost, int serverPort, String marker) throws IOException {
        this.listener = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"));
        this.marker = marker.getBytes(StandardCharsets.US_ASCII);
        this.acceptor = new Thread(() -> {
            try (Socket client = listener.accept(); Socket server = new Socket(serverHost, serverPort)) {
                Thread up = new Thread(() -> copy(client, server), "proxy-up");
                up.setDaemon(true);
                up.start();
                relayDown(new DataInputStream(new BufferedInputStream(server.getInputStream())),
                        new DataOutputStream(new BufferedOutputStream(client.getOutputStream())));
            } catch (IOException e) {
                // either side closed: the relay ends
            }
        }, "proxy");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port() {
        return listener.getLocalPort();
    }

    boolean flipped() {
        return flipped.get();
    }

    private static void copy(Socket from, Socket to) {
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            byte[] buf = new byte[65536];
            for (int n; (n = in.read(buf)) > 0; ) {
                out.write(buf, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // closed
        }
    }

    private void relayDown(DataInputStream in, DataOutputStream out) throws IOException {
        while (true) {
            int type = in.readUnsignedByte();
            int len = in.readInt();
            byte[] body = in.readNBytes(len - 4);
            if (type == 'd' && !flipped.get()) {
                int at = indexOf(body, marker);
                if (at >= 0) {
                    body[at + marker.length / 2] ^= 0x01;
                    flipped.set(true);
                }
            }
            out.writeByte(type);
            out.writeInt(len);
            out.write(body);
            if (in.available() == 0) {
                out.flush();
            }
        }
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    @Override
    public void close() throws IOException {
        listener.close();
    }
}
