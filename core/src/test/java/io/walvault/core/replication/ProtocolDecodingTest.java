package io.walvault.core.replication;

import io.walvault.core.replication.wire.BackendDecoding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.replication.wire.BackendMessage;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Decoding of the server messages the replication client reads, and what it makes of them. */
class ProtocolDecodingTest {

    private static BackendMessage message(char type, ByteBuf body) {
        return new BackendMessage((byte) type, body);
    }

    private static ByteBuf cstr(ByteBuf b, String s) {
        return b.writeBytes(s.getBytes(StandardCharsets.UTF_8)).writeByte(0);
    }

    private static ByteBuf rowDescription(String... names) {
        ByteBuf b = Unpooled.buffer().writeShort(names.length);
        for (String n : names) {
            cstr(b, n).writeInt(0).writeShort(0).writeInt(25).writeShort(-1).writeInt(-1).writeShort(0);
        }
        return b;
    }

    @Test
    void rowDescriptionAndDataRow() {
        assertEquals(List.of("systemid", "timeline"), BackendDecoding.readRowDescription(message('T', rowDescription("systemid", "timeline"))));
        ByteBuf row = Unpooled.buffer().writeShort(2).writeInt(3).writeBytes("123".getBytes(StandardCharsets.UTF_8)).writeInt(-1);
        List<String> values = BackendDecoding.readDataRow(message('D', row), 2);
        assertEquals("123", values.get(0));
        assertNull(values.get(1));
    }

    @Test
    void rowDescriptionTruncated() {
        ByteBuf b = rowDescription("a");
        b.writerIndex(b.writerIndex() - 1);
        assertThrows(ProtocolException.class, () -> BackendDecoding.readRowDescription(message('T', b)));
    }

    @Test
    void rowDescriptionInBinaryFormat() {
        ByteBuf b = Unpooled.buffer().writeShort(1);
        cstr(b, "a").writeInt(0).writeShort(0).writeInt(25).writeShort(-1).writeInt(-1).writeShort(1);
        assertThrows(ProtocolException.class, () -> BackendDecoding.readRowDescription(message('T', b)));
    }

    @Test
    void dataRowWithTheWrongNumberOfValues() {
        ByteBuf row = Unpooled.buffer().writeShort(1).writeInt(-1);
        assertThrows(ProtocolException.class, () -> BackendDecoding.readDataRow(message('D', row), 2));
    }

    @Test
    void dataRowValueLongerThanTheMessage() {
        ByteBuf row = Unpooled.buffer().writeShort(1).writeInt(10).writeBytes(new byte[3]);
        assertThrows(ProtocolException.class, () -> BackendDecoding.readDataRow(message('D', row), 1));
    }

    @Test
    void dataRowWithTrailingBytes() {
        ByteBuf row = Unpooled.buffer().writeShort(1).writeInt(-1).writeByte(0);
        assertThrows(ProtocolException.class, () -> BackendDecoding.readDataRow(message('D', row), 1));
    }

    @Test
    void errorResponseFieldsAndUnknownCodesKept() {
        ByteBuf b = Unpooled.buffer();
        cstr(b.writeByte('S'), "FATAL");
        cstr(b.writeByte('V'), "FATAL");
        cstr(b.writeByte('C'), "28P01");
        cstr(b.writeByte('M'), "password authentication failed for user \"x\"");
        cstr(b.writeByte('Z'), "future field");
        b.writeByte(0);
        ServerMessage m = BackendDecoding.readServerMessage(message('E', b), "ErrorResponse");
        assertEquals("28P01", m.sqlState());
        assertEquals("FATAL", m.severity());
        assertEquals("future field", m.fields().get('Z'));
    }

    @Test
    void errorResponseWithoutTerminator() {
        ByteBuf b = cstr(Unpooled.buffer().writeByte('S'), "ERROR");
        assertThrows(ProtocolException.class, () -> BackendDecoding.readServerMessage(message('E', b), "ErrorResponse"));
    }

    @Test
    void serverVersions() {
        assertEquals(16, ServerVersion.parse("16.4 (Debian 16.4-1.pgdg120+1)").major());
        assertEquals(17, ServerVersion.parse("17beta2").major());
        assertEquals(14, ServerVersion.parse("14.24").major());
        assertThrows(ProtocolException.class, () -> ServerVersion.parse("devel"));
        WalvaultException e = assertThrows(WalvaultException.class, () -> ServerVersion.parse("13.16").checkSupported(14));
        assertEquals(ErrorCode.SERVER_VERSION_UNSUPPORTED, e.code());
        assertEquals("server version '13.16' is not supported: walvault needs PostgreSQL 14 or later"
                + " HINT: upgrade the server to a supported major version (14 to 18)", e.getMessage());
        ServerVersion.parse("14.0").checkSupported(14);
    }

    @Test
    void sizesAsServersPrintThem() {
        assertEquals(16L << 20, ReplicationConnection.parseSize("16MB"));
        assertEquals(1L << 30, ReplicationConnection.parseSize("1GB"));
        assertEquals(8192, ReplicationConnection.parseSize("8192"));
        assertEquals(64L << 10, ReplicationConnection.parseSize("64kB"));
        assertThrows(ProtocolException.class, () -> ReplicationConnection.parseSize("16XB"));
        assertThrows(ProtocolException.class, () -> ReplicationConnection.parseSize("MB"));
    }

    @Test
    void durationsAsServersPrintThem() {
        assertEquals(Duration.ofMinutes(5), ReplicationConnection.parseDuration("5min"));
        assertEquals(Duration.ofSeconds(30), ReplicationConnection.parseDuration("30s"));
        assertEquals(Duration.ofSeconds(30), ReplicationConnection.parseDuration(" 30 "));
        assertEquals(Duration.ofHours(1), ReplicationConnection.parseDuration("1h"));
        assertEquals(Duration.ofMillis(500), ReplicationConnection.parseDuration("500ms"));
        assertEquals(Duration.ofDays(1), ReplicationConnection.parseDuration("1d"));
        assertEquals(Duration.ofNanos(100_000), ReplicationConnection.parseDuration("100us"));
        assertThrows(ProtocolException.class, () -> ReplicationConnection.parseDuration("soon"));
        assertThrows(ProtocolException.class, () -> ReplicationConnection.parseDuration("5 weeks"));
    }

    private static ServerMessage server(String state, String message) {
        return new ServerMessage(Map.of('V', "FATAL", 'C', state, 'M', message));
    }

    @Test
    void serverErrorsBecomeActionableCodes() {
        ServerErrors.Context ctx = new ServerErrors.Context("rep", "db1:5432", "slot1");
        assertEquals(ErrorCode.AUTHENTICATION_FAILED, ServerErrors.toException(server("28P01", "password authentication failed"), ctx).code());
        assertEquals(ErrorCode.CONNECTION_REJECTED, ServerErrors.toException(server("28000",
                "pg_hba.conf rejects replication connection for host \"127.0.0.1\", user \"rep\", no encryption"), ctx).code());
        assertEquals(ErrorCode.CONNECTION_REJECTED, ServerErrors.toException(server("28000",
                "no pg_hba.conf entry for replication connection from host \"10.0.0.1\""), ctx).code());
        WalvaultException norep = ServerErrors.toException(server("42501", "permission denied to start WAL sender"), ctx);
        assertEquals(ErrorCode.REPLICATION_PRIVILEGE_MISSING, norep.code());
        assertEquals(ErrorCode.REPLICATION_PRIVILEGE_MISSING, ServerErrors.toException(server("42501",
                "must be superuser or replication role to start walsender"), ctx).code());
        assertEquals(ErrorCode.TOO_MANY_CONNECTIONS, ServerErrors.toException(server("53300",
                "number of requested standby connections exceeds max_wal_senders (currently 1)"), ctx).code());
        assertEquals(ErrorCode.SLOT_IN_USE, ServerErrors.toException(server("55006",
                "replication slot \"slot1\" is active for PID 42"), ctx).code());
        assertEquals(ErrorCode.DATA_CHECKSUM_FAILURE, ServerErrors.toException(server("XX001",
                "checksum verification failure during base backup"), ctx).code());
        assertEquals(ConnectionLostException.class, ServerErrors.toException(server("57P01",
                "terminating connection due to administrator command"), ctx).getClass());
        assertEquals(ErrorCode.SERVER_ERROR, ServerErrors.toException(server("42601", "syntax error"), ctx).code());
    }

    @Test
    void baseBackupCommandInBothForms() {
        BaseBackupOptions o = BaseBackupOptions.defaults().label("it's").fastCheckpoint(true).verifyChecksums(false).maxRateKbps(1024);
        assertEquals("BASE_BACKUP LABEL 'it''s' PROGRESS FAST NOWAIT MAX_RATE 1024 TABLESPACE_MAP NOVERIFY_CHECKSUMS"
                + " MANIFEST 'yes' MANIFEST_CHECKSUMS 'CRC32C'", o.command(14));
        assertEquals("BASE_BACKUP (LABEL 'it''s', CHECKPOINT 'fast', PROGRESS, WAIT false, TABLESPACE_MAP,"
                + " VERIFY_CHECKSUMS false, MANIFEST 'yes', MANIFEST_CHECKSUMS 'CRC32C', MAX_RATE 1024, TARGET 'client')",
                o.command(15));
        assertThrows(IllegalArgumentException.class, () -> o.manifestChecksums("MD5"));
        assertThrows(IllegalArgumentException.class, () -> o.maxRateKbps(10));
    }

    @Test
    void startReplicationCommand() {
        StartReplicationOptions o = StartReplicationOptions.of("wv_slot", io.walvault.core.wal.Lsn.parse("16/B3000000"),
                io.walvault.core.wal.TimelineId.of(3));
        assertEquals("START_REPLICATION SLOT wv_slot PHYSICAL 16/B3000000 TIMELINE 3", o.command());
        WalvaultException bad = assertThrows(WalvaultException.class, () -> StartReplicationOptions.of("Bad-Slot",
                io.walvault.core.wal.Lsn.INVALID, io.walvault.core.wal.TimelineId.FIRST));
        assertEquals(ErrorCode.CONFIG, bad.code());
    }
}
