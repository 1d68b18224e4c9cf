package io.walvault.core.replication.wire;

import io.netty.buffer.ByteBuf;
import io.walvault.core.replication.ProtocolException;
import io.walvault.core.replication.ServerMessage;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Strict decoders of the backend messages of the simple query protocol that carry data:
 * RowDescription, DataRow (as text, or raw bytes for values whose encoding must not be
 * guessed) and Error/NoticeResponse. Every field is read through {@link MessageReader}'s
 * bounds checks and a message with bytes missing or left over is a {@link ProtocolException}.
 * Stateless.
 */
public final class BackendDecoding {

    private BackendDecoding() {
    }

    public static List<String> readRowDescription(BackendMessage m) {
        MessageReader r = m.reader("RowDescription");
        int n = r.int16("field count");
        if (n < 0) {
            throw new ProtocolException("RowDescription has a negative field count");
        }
        List<String> cols = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            cols.add(r.cstring("field name"));
            r.int32("table oid");
            r.int16("column number");
            r.int32("type oid");
            r.int16("type length");
            r.int32("type modifier");
            int format = r.int16("format");
            if (format != 0) {
                throw new ProtocolException("RowDescription field '" + cols.get(i) + "' is in binary format");
            }
        }
        r.end();
        return cols;
    }

    public static List<String> readDataRow(BackendMessage m, int columns) {
        MessageReader r = m.reader("DataRow");
        int n = r.int16("column count");
        if (n != columns) {
            throw new ProtocolException("DataRow has " + n + " values for " + columns + " columns");
        }
        List<String> row = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int len = r.int32("value length");
            if (len == -1) {
                row.add(null);
            } else {
                ByteBuf v = r.slice(len, "value");
                row.add(v.toString(StandardCharsets.UTF_8));
            }
        }
        r.end();
        return row;
    }

    public static List<byte[]> readRawDataRow(ByteBuf body, int columns) {
        MessageReader r = new MessageReader(body, "DataRow");
        int n = r.int16("column count");
        if (n != columns) {
            throw new ProtocolException("DataRow has " + n + " values for " + columns + " columns");
        }
        List<byte[]> row = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int len = r.int32("value length");
            row.add(len == -1 ? null : r.bytes(len, "value"));
        }
        r.end();
        return row;
    }

    public static ServerMessage readServerMessage(BackendMessage m, String what) {
        MessageReader r = m.reader(what);
        Map<Character, String> fields = new HashMap<>();
        while (true) {
            int code = r.int8("field code");
            if (code == 0) {
                break;
            }
            fields.put((char) code, r.cstring("field value"));
        }
        r.end();
        return new ServerMessage(fields);
    }
}
