/*
 * pg.h - what the PostgreSQL backend's modules share: connecting (with
 * back-off when the server goes away), the schema, and SQL literals.
 *
 * A run on PostgreSQL (--db postgresql://...) keeps its frontier and its
 * records in one database that many scrape processes on many machines
 * use at once (store_pg.c writes records, frontier_pg.c claims work).
 * Each process talks to it over its own connections; nothing here is
 * shared between threads.
 */
#ifndef SCRAPE_PG_H
#define SCRAPE_PG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "scrape/buf.h"
#include "scrape/err.h"

/* How long a lost server is retried, with back-off from PG_RETRY_MIN_MS
 * doubling up to PG_RETRY_MAX_MS, before the crawl gives up. */
#define PG_RETRY_TOTAL_MS (5L * 60 * 1000)
#define PG_RETRY_MIN_MS   100
#define PG_RETRY_MAX_MS   5000

/* True when `db` names a PostgreSQL database (a libpq URI), not a file. */
bool pg_is_uri(const char *db);

/* Connects to `uri` and sets the session up (UTF-8, a name that shows in
 * pg_stat_activity); `oltp` for a crawl's connections, whose statements
 * touch few rows (the planner is kept to index lookups).  On failure
 * returns NULL with the reason in `why`. */
PGconn *pg_connect(const char *uri, bool oltp, char *why, size_t n);

/* After a failed command on `*conn`: when the connection itself is gone,
 * reconnects (pg_connect with `oltp`), retrying with back-off (reported on
 * stderr as `who`) for at most PG_RETRY_TOTAL_MS or until *stop is set (may be
 * NULL). Returns true when the caller should run its command again, false when
 * the failure was not a lost connection or the server did not come
 * back. */
bool pg_recover(const char *uri, bool oltp, PGconn **conn, const char *who,
                const int *stop);

/* Runs `sql` (no parameters, no rows wanted).  ERR_DB with the server's
 * message in `why` on failure. */
enum err pg_exec(PGconn *conn, const char *sql, char *why, size_t n);

/* Creates the tables when missing (serialised by an advisory lock, so
 * nodes starting together do not race); refuses a database whose scrape
 * schema is another version. */
enum err pg_schema(PGconn *conn, char *why, size_t n);

/* Appends `s` (NULL: an SQL NULL) to the text[] literal being built in
 * `b` ("{" before the first element, "," between; quotes and
 * backslashes escaped; invalid UTF-8 repaired as the SQLite store does).
 * pg_array_end closes it ("{}" when nothing was added). */
enum err pg_array_add(struct buf *b, const char *s);
enum err pg_array_end(struct buf *b);

/* A random non-zero node id (claims and commits are checked against
 * it). */
int64_t pg_node_id(void);

/* The first line of the connection's last error (libpq ends them with a
 * newline). */
void pg_why(PGconn *conn, const char *what, char *why, size_t n);

#endif
