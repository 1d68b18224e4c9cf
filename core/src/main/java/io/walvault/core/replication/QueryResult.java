package io.walvault.core.replication;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * One result set of a replication command, in text form (replication commands always answer
 * in text): column names, rows (a value is {@code null} for SQL NULL) and the command tag.
 */
record QueryResult(List<String> columns, List<List<String>> rows, String commandTag) {

    public QueryResult {
        columns = List.copyOf(columns);
        List<List<String>> copy = new ArrayList<>(rows.size());
        for (List<String> row : rows) {
            if (row.size() != columns.size()) {
                throw new IllegalArgumentException("row has " + row.size() + " values for " + columns.size() + " columns");
            }
            copy.add(Collections.unmodifiableList(new ArrayList<>(row)));
        }
        rows = Collections.unmodifiableList(copy);
        requireNonNull(commandTag, "commandTag is null");
    }

    /** The value of {@code column} in row {@code row}, or null. */
    public String value(int row, String column) {
        int i = columns.indexOf(column);
        if (i < 0) {
            throw new ProtocolException("result has no column '" + column + "' (columns: " + columns + ")");
        }
        if (row >= rows.size()) {
            throw new ProtocolException("result has " + rows.size() + " rows, row " + row + " was expected");
        }
        return rows.get(row).get(i);
    }

    /** The value of {@code column} in the only row; a protocol error unless there is exactly one row. */
    public String single(String column) {
        if (rows.size() != 1) {
            throw new ProtocolException("result has " + rows.size() + " rows, exactly one was expected");
        }
        return value(0, column);
    }
}
