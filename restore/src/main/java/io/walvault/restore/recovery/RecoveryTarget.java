package io.walvault.restore.recovery;

import static java.util.Objects.requireNonNull;

import io.walvault.core.wal.Lsn;
import java.time.Instant;

/**
 * Where recovery should stop: at most one target, as PostgreSQL allows. {@link EndOfArchive}
 * replays every archived WAL record.
 */
public sealed interface RecoveryTarget {

    /** The target as a DBA reads it, in plan printouts and error messages. */
    default String describe() {
        if (this instanceof Time time) {
            return "time " + time.time();
        } else if (this instanceof AtLsn l) {
            return "LSN " + l.lsn();
        } else if (this instanceof Xid x) {
            return "transaction " + x.xid();
        } else if (this instanceof Name n) {
            return "restore point '" + n.name() + "'";
        } else if (this instanceof Immediate) {
            return "immediate (the end of the backup)";
        }
        return "the end of the archive (all archived WAL replayed)";
    }

    /** No target: replay all WAL the archive has. */
    record EndOfArchive() implements RecoveryTarget {
    }

    /** The end of the backup: the earliest consistent point. */
    record Immediate() implements RecoveryTarget {
    }

    /** The last transaction that committed before (or at, when inclusive) a moment. */
    record Time(Instant time) implements RecoveryTarget {
        public Time {
            requireNonNull(time, "time is null");
        }
    }

    /** A WAL position. */
    record AtLsn(Lsn lsn) implements RecoveryTarget {
        public AtLsn {
            requireNonNull(lsn, "lsn is null");
            if (!lsn.isValid()) {
                throw new IllegalArgumentException("recovery target LSN 0/0 is not a position");
            }
        }
    }

    /** The commit of a transaction. */
    record Xid(long xid) implements RecoveryTarget {
        public Xid {
            if (xid < 3) {
                throw new IllegalArgumentException("recovery target xid " + xid + " is not a normal transaction id");
            }
        }
    }

    /** A restore point made with pg_create_restore_point. */
    record Name(String name) implements RecoveryTarget {
        public Name {
            requireNonNull(name, "name is null");
            if (name.isEmpty() || name.length() >= 64) {
                throw new IllegalArgumentException("restore point name '" + name + "' must be 1 to 63 characters");
            }
        }
    }
}
