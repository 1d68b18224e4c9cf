package io.walvault.core.replication;

import static java.util.Objects.requireNonNull;

import io.walvault.core.error.WalvaultException;
import io.walvault.core.replication.wire.BackendDecoding;
import io.walvault.core.replication.wire.BackendMessage;
import io.walvault.core.replication.wire.FrontendMessages;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One command of the simple query protocol on a {@link Session}: Query, then the result sets
 * (RowDescription, DataRows, CommandComplete) up to ReadyForQuery; a server error is thrown
 * once the server is ready again, so the session stays usable.
 */
final class SimpleQuery {

    private static final Logger LOG = LoggerFactory.getLogger(SimpleQuery.class);

    private final Session session;

    private SimpleQuery(Session session) {
        this.session = requireNonNull(session, "session is null");
    }

    /** Runs one simple-protocol command and collects its result sets, and every row's raw values into {@code rawRows} if not null; an error is thrown after ReadyForQuery. */
    static List<QueryResult> query(Session session, String command, String slot, List<List<byte[]>> rawRows) {
        return new SimpleQuery(session).run(command, slot, rawRows);
    }

    /** (the loop) Also collecting every row's raw values into {@code rawRows} if not null. */
    private List<QueryResult> run(String command, String slot, List<List<byte[]>> rawRows) {
        session.ensureOpen();
        LOG.debug("running {}", command);
        session.transport().send(FrontendMessages.query(command), "Query");
        List<QueryResult> results = new ArrayList<>();
        ResultCollector current = null;
        WalvaultException error = null;
        while (true) {
            try (BackendMessage m = session.next()) {
                switch (m.type()) {
                    case 'T' -> current = new ResultCollector(BackendDecoding.readRowDescription(m));
                    case 'D' -> {
                        if (current == null) {
                            throw new ProtocolException("DataRow without RowDescription in the answer to " + command);
                        }
                        if (rawRows != null) {
                            rawRows.add(BackendDecoding.readRawDataRow(m.body().duplicate(), current.columns.size()));
                        }
                        current.rows.add(BackendDecoding.readDataRow(m, current.columns.size()));
                    }
                    case 'C' -> {
                        String tag = m.reader("CommandComplete").cstring("tag");
                        if (current != null) {
                            results.add(new QueryResult(current.columns, current.rows, tag));
                            current = null;
                        }
                    }
                    case 'I' -> { }
                    case 'E' -> error = ServerErrors.toException(BackendDecoding.readServerMessage(m, "ErrorResponse"), session.context(slot));
                    case 'Z' -> {
                        if (error != null) {
                            throw error;
                        }
                        return results;
                    }
                    default -> throw session.unexpected(m, "in the answer to " + command);
                }
            }
        }
    }

    private static final class ResultCollector {
        final List<String> columns;
        final List<List<String>> rows = new ArrayList<>();

        ResultCollector(List<String> columns) {
            this.columns = columns;
        }
    }
}
