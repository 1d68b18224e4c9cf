package io.walvault.core.replication;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.replication.conn.ConnectionSettings;
import io.walvault.core.replication.conn.SslMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;

/**
 * Builds the TLS client context for a {@link ConnectionSettings}, following libpq's sslmode:
 * require checks nothing unless a root certificate is configured (then it checks the chain, as
 * libpq does); verify-ca checks the chain; verify-full also the host name (done by the
 * transport). {@code sslrootcert=system} uses the JDK's trust store.
 */
final class TlsContexts {

    private TlsContexts() {
    }

    /** Whether the host name is checked against the certificate. */
    static boolean verifiesHostname(ConnectionSettings s) {
        return s.sslMode() == SslMode.VERIFY_FULL
                || s.sslMode().verifiesCertificate() && s.sslRootCert().equals(Optional.of(ConnectionSettings.SYSTEM_ROOT_CERT));
    }

    static SslContext forSettings(ConnectionSettings s) {
        try {
            SslContextBuilder b = SslContextBuilder.forClient().sslProvider(SslProvider.JDK);
            Optional<Path> root = s.sslRootCert();
            boolean checkChain = s.sslMode().verifiesCertificate()
                    || s.sslMode() == SslMode.REQUIRE && root.isPresent() && Files.isReadable(root.get());
            if (!checkChain) {
                b.trustManager(InsecureTrustManagerFactory.INSTANCE);
            } else if (root.get().equals(ConnectionSettings.SYSTEM_ROOT_CERT)) {
                b.trustManager((TrustManagerFactory) null);
            } else {
                if (!Files.isReadable(root.get())) {
                    throw new WalvaultException(ErrorCode.TLS_FAILED, "cannot read root certificate file '" + root.get()
                            + "' HINT: set sslrootcert to the certificate authority that signed the server's certificate");
                }
                b.trustManager(root.get().toFile());
            }
            if (s.sslCert().isPresent() && s.sslKey().isPresent()
                    && Files.isReadable(s.sslCert().get()) && Files.isReadable(s.sslKey().get())) {
                b.keyManager(s.sslCert().get().toFile(), s.sslKey().get().toFile());
            }
            return b.build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new WalvaultException(ErrorCode.TLS_FAILED, "cannot set up TLS: " + e.getMessage()
                    + " HINT: check sslrootcert, sslcert and sslkey (PEM files; the key in PKCS#8 form)", e);
        }
    }
}
