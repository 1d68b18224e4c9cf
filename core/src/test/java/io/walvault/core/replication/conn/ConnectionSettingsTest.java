package io.walvault.core.replication.conn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConnectionSettingsTest {

    @TempDir
    Path home;

    private ConnectionSettings parse(String conninfo, Map<String, String> env) {
        return ConnectionSettings.parse(conninfo, env, home, "osuser");
    }

    @Test
    void keywordValueWithQuotingAndEscapes() {
        ConnectionSettings s = parse("host=db1 port = 6543 user='wal vault' password='it\\'s' application_name=a\\ b", Map.of());
        assertEquals(List.of(Endpoint.of("db1", 6543)), s.endpoints());
        assertEquals("wal vault", s.user());
        assertEquals(Optional.of("it's"), s.password());
        assertEquals("a b", s.applicationName());
    }

    @Test
    void uriWithUserPasswordHostsPortsAndQuery() {
        ConnectionSettings s = parse("postgresql://rep%40l:p%3Ass@db1:5433,[::1]:5434,db3/mydb?sslmode=require&connect_timeout=7", Map.of());
        assertEquals(List.of(Endpoint.of("db1", 5433), Endpoint.of("::1", 5434), Endpoint.of("db3", 5432)), s.endpoints());
        assertEquals("rep@l", s.user());
        assertEquals(Optional.of("p:ss"), s.password());
        assertEquals("mydb", s.database());
        assertEquals(SslMode.REQUIRE, s.sslMode());
        assertEquals(Duration.ofSeconds(7), s.connectTimeout());
    }

    @Test
    void uriWithPercentEncodedSocketDirectory() {
        ConnectionSettings s = parse("postgres://%2Fvar%2Frun%2Fpg:5999", Map.of());
        Endpoint e = s.endpoints().get(0);
        assertTrue(e.isUnixSocket());
        assertEquals(Path.of("/var/run/pg/.s.PGSQL.5999"), e.socketFile());
    }

    @Test
    void uriWithHostInQueryAndNoAuthority() {
        ConnectionSettings s = parse("postgresql:///?host=/sock&port=7777&user=u", Map.of());
        assertEquals(Path.of("/sock/.s.PGSQL.7777"), s.endpoints().get(0).socketFile());
        assertEquals("u", s.user());
    }

    @Test
    void environmentFillsWhatTheStringLeavesOut() {
        Map<String, String> env = Map.of("PGHOST", "envhost", "PGPORT", "6000", "PGUSER", "envuser",
                "PGPASSWORD", "envpw", "PGSSLMODE", "disable", "PGAPPNAME", "envapp", "PGCONNECT_TIMEOUT", "5",
                "PGCHANNELBINDING", "disable");
        ConnectionSettings s = parse("user=kvuser", env);
        assertEquals(List.of(Endpoint.of("envhost", 6000)), s.endpoints());
        assertEquals("kvuser", s.user(), "the connection string wins over PGUSER");
        assertEquals(Optional.of("envpw"), s.password());
        assertEquals(SslMode.DISABLE, s.sslMode());
        assertEquals("envapp", s.applicationName());
        assertEquals(Duration.ofSeconds(5), s.connectTimeout());
        assertEquals(ChannelBinding.DISABLE, s.channelBinding());
    }

    @Test
    void defaults() {
        ConnectionSettings s = parse("", Map.of());
        assertEquals("osuser", s.user());
        assertEquals(5432, s.endpoints().get(0).port());
        assertTrue(s.endpoints().get(0).isUnixSocket());
        assertEquals(SslMode.PREFER, s.sslMode());
        assertEquals(ChannelBinding.PREFER, s.channelBinding());
        assertEquals("walvault", s.applicationName());
        assertEquals(home.resolve(".pgpass"), s.passFile());
        assertEquals("replication", s.database(), "libpq matches replication connections as database 'replication'");
    }

    @Test
    void oneOfSeveralPortsPerHost() {
        ConnectionSettings s = parse("host=a,b port=1,2", Map.of());
        assertEquals(List.of(Endpoint.of("a", 1), Endpoint.of("b", 2)), s.endpoints());
        assertThrows(WalvaultException.class, () -> parse("host=a,b,c port=1,2", Map.of()));
    }

    @Test
    void invalidInputIsRefusedWithAConfigError() {
        for (String bad : List.of("host", "host=a foo=bar", "host='unterminated", "port=abc", "sslmode=sometimes",
                "port=70000", "postgresql://h/?sslmode", "postgresql://h/%zz", "postgresql://h/%00x",
                "postgresql://[::1/", "sslmode=verify-full", "channel_binding=require sslmode=disable")) {
            WalvaultException e = assertThrows(WalvaultException.class, () -> parse(bad, Map.of()), bad);
            assertEquals(ErrorCode.CONFIG, e.code(), bad);
        }
    }

    @Test
    void anErrorInAUriNeverShowsItsPassword() {
        for (String bad : List.of("postgresql://u:s3cret@[::1/db", "postgresql://u:s3cret@[::1]x/db",
                "postgresql://u:s3cret%zz@h/db", "postgresql://u:s3cret%00@h/db", "postgresql://h/db?password=s3cret%zz",
                "postgresql://[::1/db?password=s3cret", "postgresql://h/db?password")) {
            WalvaultException e = assertThrows(WalvaultException.class, () -> parse(bad, Map.of()), bad);
            assertFalse(e.getMessage().contains("s3cret"), e.getMessage());
        }
        assertTrue(assertThrows(WalvaultException.class, () -> parse("postgresql://u:p@[::1/db", Map.of()))
                .getMessage().contains("postgresql://u:***@[::1/db"));
    }

    @Test
    void verifyModesTakeTheDefaultRootCertificate() throws Exception {
        Files.createDirectories(home.resolve(".postgresql"));
        Files.writeString(home.resolve(".postgresql/root.crt"), "x");
        ConnectionSettings s = parse("sslmode=verify-ca", Map.of());
        assertEquals(Optional.of(home.resolve(".postgresql/root.crt")), s.sslRootCert());
    }

    @Test
    void toStringNeverShowsThePassword() {
        ConnectionSettings s = parse("password=s3cret host=h", Map.of());
        assertFalse(s.toString().contains("s3cret"), s.toString());
    }

    @Test
    void passwordFileIsUsedWhenNoPasswordIsGiven() throws Exception {
        Path pass = home.resolve(".pgpass");
        Files.writeString(pass, "# comment\nother:*:*:*:no\ndb1:5432:replication:rep:p\\:w:d\n*:*:*:*:fallback\n");
        Files.setPosixFilePermissions(pass, PosixFilePermissions.fromString("rw-------"));
        ConnectionSettings s = parse("host=db1 user=rep", Map.of());
        assertEquals(Optional.of("p:w:d"), s.passwordFor(s.endpoints().get(0)));
        ConnectionSettings other = parse("host=db2 user=rep", Map.of());
        assertEquals(Optional.of("fallback"), other.passwordFor(other.endpoints().get(0)));
        ConnectionSettings explicit = parse("host=db1 user=rep password=given", Map.of());
        assertEquals(Optional.of("given"), explicit.passwordFor(explicit.endpoints().get(0)));
    }

    @Test
    void passwordFileReadableByOthersIsIgnored() throws Exception {
        Path pass = home.resolve("pgpass");
        Files.writeString(pass, "*:*:*:*:pw\n");
        Files.setPosixFilePermissions(pass, PosixFilePermissions.fromString("rw-r--r--"));
        ConnectionSettings s = parse("host=h", Map.of("PGPASSFILE", pass.toString()));
        assertEquals(Optional.empty(), s.passwordFor(s.endpoints().get(0)));
    }

    @Test
    void unixSocketsMatchLocalhostInThePasswordFile() {
        Endpoint sock = Endpoint.of("/tmp", 5432);
        assertEquals(Optional.of("pw"), PgPassFile.match(List.of("localhost:5432:replication:u:pw"), sock, "replication", "u"));
        assertEquals(Optional.empty(), PgPassFile.match(List.of("localhost:5433:replication:u:pw"), sock, "replication", "u"));
    }
}
