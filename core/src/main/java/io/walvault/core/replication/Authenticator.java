package io.walvault.core.replication;

import com.ongres.scram.client.ScramClient;
import com.ongres.scram.common.StringPreparation;
import com.ongres.scram.common.exception.ScramException;
import com.ongres.scram.common.util.TlsServerEndpoint;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.replication.conn.ChannelBinding;
import io.walvault.core.replication.conn.ConnectionSettings;
import io.walvault.core.replication.wire.BackendMessage;
import io.walvault.core.replication.wire.FrontendMessages;
import io.walvault.core.replication.wire.MessageReader;
import io.walvault.core.replication.wire.Transport;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Supplier;

/**
 * Answers the server's authentication requests: trust, cleartext password, MD5 and
 * SCRAM-SHA-256 (with SCRAM-SHA-256-PLUS channel binding, type {@code tls-server-end-point},
 * when TLS is on). Runs between StartupMessage and AuthenticationOk; the password is asked
 * for (from settings or the password file) only if the server wants one, and never logged.
 */
final class Authenticator {

    private static final int AUTH_OK = 0;
    private static final int AUTH_CLEARTEXT = 3;
    private static final int AUTH_MD5 = 5;
    private static final int AUTH_SASL = 10;
    private static final int AUTH_SASL_CONTINUE = 11;
    private static final int AUTH_SASL_FINAL = 12;

    private final Transport transport;
    private final ConnectionSettings settings;
    private final Supplier<String> password;
    private ScramClient scram;
    private boolean usedChannelBinding;

    Authenticator(Transport transport, ConnectionSettings settings, Supplier<String> password) {
        this.transport = transport;
        this.settings = settings;
        this.password = password;
    }

    /**
     * Handles one AuthenticationXXX message.
     *
     * @return true when it was AuthenticationOk
     */
    boolean handle(BackendMessage m) {
        MessageReader r = m.reader("Authentication");
        int code = r.int32("code");
        switch (code) {
            case AUTH_OK -> {
                r.end();
                if (settings.channelBinding() == ChannelBinding.REQUIRE && !usedChannelBinding) {
                    throw new WalvaultException(ErrorCode.AUTHENTICATION_FAILED, "channel binding required, but the server"
                            + " authenticated the client without it HINT: use scram-sha-256 in pg_hba.conf over TLS,"
                            + " or set channel_binding=prefer");
                }
                return true;
            }
            case AUTH_CLEARTEXT -> {
                r.end();
                refuseWithoutBinding("password");
                transport.send(FrontendMessages.password(password.get()), "PasswordMessage");
            }
            case AUTH_MD5 -> {
                byte[] salt = r.bytes(4, "salt");
                r.end();
                refuseWithoutBinding("md5");
                transport.send(FrontendMessages.password(md5(password.get(), settings.user(), salt)), "PasswordMessage(md5)");
            }
            case AUTH_SASL -> {
                List<String> mechanisms = new ArrayList<>();
                for (String s = r.cstring("mechanism"); !s.isEmpty(); s = r.cstring("mechanism")) {
                    mechanisms.add(s);
                }
                r.end();
                startScram(mechanisms);
            }
            case AUTH_SASL_CONTINUE -> {
                String serverFirst = r.rest().toString(StandardCharsets.UTF_8);
                continueScram(serverFirst);
            }
            case AUTH_SASL_FINAL -> {
                String serverFinal = r.rest().toString(StandardCharsets.UTF_8);
                finishScram(serverFinal);
            }
            default -> throw new WalvaultException(ErrorCode.AUTHENTICATION_FAILED, "the server asks for authentication method "
                    + code + " (" + methodName(code) + "), which walvault does not support"
                    + " HINT: use scram-sha-256 for this role in pg_hba.conf");
        }
        return false;
    }

    private void refuseWithoutBinding(String method) {
        if (settings.channelBinding() == ChannelBinding.REQUIRE) {
            throw new WalvaultException(ErrorCode.AUTHENTICATION_FAILED, "channel binding required, but the server asks for '"
                    + method + "' authentication HINT: use scram-sha-256 in pg_hba.conf over TLS, or set channel_binding=prefer");
        }
    }

    private static String methodName(int code) {
        return switch (code) {
            case 2 -> "Kerberos V5";
            case 6 -> "SCM credentials";
            case 7, 8 -> "GSSAPI";
            case 9 -> "SSPI";
            default -> "unknown";
        };
    }

    private void startScram(List<String> mechanisms) {
        if (!mechanisms.contains("SCRAM-SHA-256") && !mechanisms.contains("SCRAM-SHA-256-PLUS")) {
            throw new WalvaultException(ErrorCode.AUTHENTICATION_FAILED, "the server offers SASL mechanisms " + mechanisms
                    + ", none of which walvault supports");
        }
        var builder = ScramClient.builder().advertisedMechanisms(mechanisms).username("*")
                .password(password.get().toCharArray()).stringPreparation(StringPreparation.POSTGRESQL_PREPARATION);
        X509Certificate cert = transport.serverCertificate().orElse(null);
        if (cert != null && settings.channelBinding() != ChannelBinding.DISABLE) {
            byte[] data = null;
            try {
                data = TlsServerEndpoint.getChannelBindingData(cert);
            } catch (CertificateEncodingException | RuntimeException e) {
                // a signature algorithm without a defined hash (RFC 5929): binding is impossible
                if (settings.channelBinding() == ChannelBinding.REQUIRE) {
                    throw new WalvaultException(ErrorCode.AUTHENTICATION_FAILED, "channel binding required, but the server's"
                            + " certificate (signed with " + cert.getSigAlgName() + ") cannot be used for it", e);
                }
            }
            if (data != null && data.length > 0) {
                builder.channelBinding(TlsServerEndpoint.TLS_SERVER_END_POINT, data);
            }
        }
        try {
            scram = builder.build();
        } catch (IllegalArgumentException e) {
            throw new WalvaultException(ErrorCode.AUTHENTICATION_FAILED, "cannot start SCRAM authentication: " + e.getMessage(), e);
        }
        String mechanism = scram.getScramMechanism().getName();
        usedChannelBinding = scram.getScramMechanism().isPlus();
        if (settings.channelBinding() == ChannelBinding.REQUIRE && !usedChannelBinding) {
            throw new WalvaultException(ErrorCode.AUTHENTICATION_FAILED, "channel binding required, but the server does not offer"
                    + " SCRAM-SHA-256-PLUS" + (cert == null ? " (TLS is off)" : "")
                    + " HINT: connect with TLS to a server that uses scram-sha-256, or set channel_binding=prefer");
        }
        byte[] first = scram.clientFirstMessage().toString().getBytes(StandardCharsets.UTF_8);
        transport.send(FrontendMessages.saslInitialResponse(mechanism, first), "SASLInitialResponse(" + mechanism + ")");
    }

    private void continueScram(String serverFirst) {
        if (scram == null) {
            throw new ProtocolException("server sent SASLContinue before SASL started");
        }
        try {
            scram.serverFirstMessage(serverFirst);
        } catch (ScramException e) {
            throw new WalvaultException(ErrorCode.AUTHENTICATION_FAILED, "invalid SCRAM server-first message: " + e.getMessage(), e);
        }
        byte[] fin = scram.clientFinalMessage().toString().getBytes(StandardCharsets.UTF_8);
        transport.send(FrontendMessages.saslResponse(fin), "SASLResponse");
    }

    private void finishScram(String serverFinal) {
        if (scram == null) {
            throw new ProtocolException("server sent SASLFinal before SASL started");
        }
        try {
            scram.serverFinalMessage(serverFinal);
        } catch (ScramException e) {
            throw new WalvaultException(ErrorCode.AUTHENTICATION_FAILED, "the server's SCRAM signature is invalid: "
                    + e.getMessage() + " HINT: the server does not know the password; someone may be impersonating it", e);
        }
    }

    /** {@code "md5" + hex(md5(hex(md5(password + user)) + salt))}. */
    static String md5(String password, String user, byte[] salt) {
        try {
            MessageDigest md = MessageDigest.getInstance("MD5");
            md.update(password.getBytes(StandardCharsets.UTF_8));
            md.update(user.getBytes(StandardCharsets.UTF_8));
            String inner = HexFormat.of().formatHex(md.digest());
            md.update(inner.getBytes(StandardCharsets.US_ASCII));
            md.update(salt);
            return "md5" + HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("MD5 is missing from this JDK", e);
        }
    }
}
