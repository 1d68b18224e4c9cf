package io.walvault.core.replication;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;

/**
 * A front for a real server that accepts TLS (answers 'S' to SSLRequest) and then breaks the
 * handshake with garbage, but relays any plaintext connection to the server unchanged.
 */
final class BrokenTlsFront implements AutoCloseable {

    private static final int SSL_REQUEST = 80877103;

    private final ServerSocket listener;

    BrokenTlsFront(String host, int port) throws IOException {
        listener = new ServerSocket(0, 10, InetAddress.getByName("127.0.0.1"));
        Thread t = new Thread(() -> {
            while (!listener.isClosed()) {
                try {
                    Socket client = listener.accept();
                    Thread h = new Thread(() -> handle(client, host, port), "front-conn");
                    h.setDaemon(true);
                    h.start();
                } catch (IOException e) {
                    return;
                }
            }
        }, "front");
        t.setDaemon(true);
        t.start();
    }

    int port() {
        return listener.getLocalPort();
    }

    private static void handle(Socket client, String host, int port) {
        try (client) {
            DataInputStream in = new DataInputStream(client.getInputStream());
            int len = in.readInt();
            int code = in.readInt();
            if (len == 8 && code == SSL_REQUEST) {
                OutputStream out = client.getOutputStream();
                out.write('S');
                out.flush();
                in.read(new byte[4096]); // the ClientHello
                out.write(new byte[] {0x16, 0x03, 0x03, 0x00, 0x02, (byte) 0xFF, (byte) 0xFF}); // not a ServerHello
                out.flush();
                return;
            }
            try (Socket server = new Socket(host, port)) {
                OutputStream toServer = server.getOutputStream();
                java.io.DataOutputStream d = new java.io.DataOutputStream(toServer);
                d.writeInt(len);
                d.writeInt(code);
                d.flush();
                Thread up = new Thread(() -> pump(in, toServer), "front-up");
                up.setDaemon(true);
                up.start();
                pump(server.getInputStream(), client.getOutputStream());
            }
        } catch (IOException e) {
            // closed
        }
    }

    private static void pump(InputStream in, OutputStream out) {
        byte[] buf = new byte[65536];
        try {
            for (int n; (n = in.read(buf)) > 0; ) {
                out.write(buf, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // closed
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
    }
}
