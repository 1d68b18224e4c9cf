/** What walvault reads of a PostgreSQL data directory's own files: pg_control, postmaster.pid. */
package io.walvault.core.pgdata;
