/*
 * pg.c - connections, schema and literals for the PostgreSQL backend
 * (see pg.h).
 */
#include "scrape/pg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "scrape/clock.h"
#include "scrape/utf8.h"

/* The scrape schema version of the PostgreSQL tables. */
#define PG_SCHEMA_VERSION 4

/* The same tables and columns as the SQLite store's (store_sqlite.c), so the
 * same queries work, without foreign keys: as in the SQLite file (where
 * they are declared but not enforced) a page's rows are written with it,
 * from its RETURNING id, and a check per link would cost more than the
 * link.  Plus what a shared crawl needs: the frontier with
 * its leases, one row per host (robots.txt, politeness), the run's crawl
 * options (cluster_runs) and one row per node.  pages_text holds what
 * the SQLite file's full-text index holds (export rebuilds the index
 * from it).  A page is one row per URL (unique), so a node whose lease
 * was taken over cannot add a second. */
static const char schema_sql[] =
    "CREATE TABLE runs("
    " id bigserial PRIMARY KEY, mode text NOT NULL, workers integer,"
    " concurrency integer, depth integer, seeds text, started_at text,"
    " finished_at text, wall_ms bigint, pages bigint, errors bigint,"
    " cpu_user_ms bigint, cpu_sys_ms bigint, peak_rss_kb bigint,"
    " status text, args text);"
    "CREATE TABLE pages("
    " id bigserial PRIMARY KEY, run_id bigint NOT NULL,"
    " url text NOT NULL, final_url text, depth integer, status integer,"
    " content_type text, charset text, bytes bigint, fetch_ms bigint,"
    " title text, description text, lang text, canonical text, h1 text,"
    " words bigint, outlinks bigint, error text, fetched_at text,"
    " simhash bigint, attempts integer, UNIQUE(run_id, url));"
    "CREATE TABLE links(page_id bigint NOT NULL,"
    " url text NOT NULL, followable integer NOT NULL);"
    "CREATE INDEX links_page ON links(page_id);"
    "CREATE TABLE fields(page_id bigint NOT NULL,"
    " name text NOT NULL, value text);"
    "CREATE INDEX fields_page ON fields(page_id);"
    "CREATE TABLE pages_text(page_id bigint PRIMARY KEY,"
    " title text, body text COMPRESSION lz4);"
    "CREATE TABLE skipped(run_id bigint NOT NULL,"
    " url text NOT NULL, reason text NOT NULL, UNIQUE(run_id, url));"
    "CREATE TABLE items("
    " id bigserial PRIMARY KEY, run_id bigint NOT NULL,"
    " page_id bigint NOT NULL, idx integer NOT NULL,"
    " data text NOT NULL);"
    "CREATE INDEX items_page ON items(page_id);"
    "CREATE INDEX items_run ON items(run_id);"
    "CREATE TABLE selectors(run_id bigint NOT NULL,"
    " pos integer NOT NULL, kind text NOT NULL, name text,"
    " selector text NOT NULL, xpath text NOT NULL, list integer NOT NULL);"
    "CREATE TABLE sitemaps(run_id bigint NOT NULL,"
    " url text NOT NULL, status integer, kind text,"
    " urls integer NOT NULL DEFAULT 0, error text, fetched_at text);"
    /* state: 0 queued, 1 claimed by `owner` until lease_until, 2 done. */
    "CREATE TABLE frontier("
    " id bigserial PRIMARY KEY, run_id bigint NOT NULL,"
    " url text NOT NULL, host text NOT NULL, depth integer NOT NULL,"
    " state smallint NOT NULL DEFAULT 0, owner bigint,"
    " lease_until timestamptz, UNIQUE(run_id, url));"
    "CREATE INDEX frontier_open ON frontier(run_id, depth, id)"
    " WHERE state < 2;"
    "CREATE INDEX frontier_out ON frontier(run_id, host) WHERE state = 1;"
    /* robots: 0 not fetched, 1 claimed, 2 known (robots_* hold the
     * answer every node applies); next_at: --delay.  A host's share of
     * --per-host is its frontier rows claimed and not done (frontier_out),
     * counted when claiming: no row every node's commit must update. */
    "CREATE TABLE hosts("
    " run_id bigint NOT NULL, host text NOT NULL,"
    " robots smallint NOT NULL DEFAULT 0, robots_owner bigint,"
    " robots_lease timestamptz, robots_status integer, robots_err integer,"
    " robots_body bytea,"
    " next_at timestamptz NOT NULL DEFAULT '-infinity',"
    " PRIMARY KEY(run_id, host));"
    "CREATE TABLE cluster_runs("
    " run_id bigint PRIMARY KEY,"
    " per_host integer NOT NULL, delay_ms bigint NOT NULL,"
    " max_pages bigint NOT NULL, lease_s integer NOT NULL,"
    " ignore_robots boolean NOT NULL, claimed bigint NOT NULL DEFAULT 0);"
    "CREATE TABLE nodes("
    " run_id bigint NOT NULL, node bigint NOT NULL,"
    " hostname text, pid integer, started_at text, finished_at text,"
    " pages bigint, errors bigint, refused bigint, wall_ms bigint,"
    " cpu_user_ms bigint, cpu_sys_ms bigint, peak_rss_kb bigint,"
    " status text, PRIMARY KEY(run_id, node));"
    "CREATE TABLE scrape_schema(version integer NOT NULL);"
    "INSERT INTO scrape_schema VALUES(1);";

/* Version 2, as the SQLite store's version 8: validators, body hash and
 * headers on pages, the bodies (zstd) in a table of their own; and when
 * each node was last seen. */
static const char schema_v2[] =
    "ALTER TABLE pages ADD COLUMN etag text,"
    " ADD COLUMN last_modified text, ADD COLUMN body_hash text,"
    " ADD COLUMN headers text;"
    "CREATE TABLE bodies(hash text PRIMARY KEY, size bigint NOT NULL,"
    " codec text NOT NULL, data bytea NOT NULL);"
    /* When each node last renewed its claims: the live ones share each
     * host's --per-host slots. */
    "ALTER TABLE nodes ADD COLUMN seen_at timestamptz DEFAULT now();"
    "UPDATE scrape_schema SET version = 2;";

/* Version 3, as the SQLite store's version 11: rules on pages, items and
 * selectors, the links a rule left out, and each page's referrer (the
 * frontier keeps the URL of the page that first queued each URL). */
static const char schema_v3[] =
    "ALTER TABLE pages ADD COLUMN rule text, ADD COLUMN unfollowed bigint,"
    " ADD COLUMN referrer bigint;"
    "ALTER TABLE items ADD COLUMN rule text;"
    "ALTER TABLE selectors ADD COLUMN rule text;"
    "ALTER TABLE frontier ADD COLUMN referrer text;"
    "UPDATE scrape_schema SET version = 3;";

/* Version 4, as the SQLite store's version 12: runs that did not verify
 * TLS certificates (-k). */
static const char schema_v4[] = "ALTER TABLE runs ADD COLUMN insecure integer;"
                                "UPDATE scrape_schema SET version = 4;";

bool pg_is_uri(const char *db)
{
    return db && (strncmp(db, "postgresql://", 13) == 0 ||
                  strncmp(db, "postgres://", 11) == 0);
}

void pg_why(PGconn *conn, const char *what, char *why, size_t n)
{
    const char *m = conn ? PQerrorMessage(conn) : "out of memory";
    size_t len = strcspn(m, "\n");

    snprintf(why, n, "%s: %.*s", what, (int)len, *m ? m : "unknown error");
}

PGconn *pg_connect(const char *uri, bool oltp, char *why, size_t n)
{
    /* A crawl's statements touch a few rows each through unique indexes;
     * a generic plan that hashes a whole run's frontier to relax the
     * depth of ten links is what the planner picks without this.  Its
     * commits do not wait for the disk: a server crash may lose the last
     * fraction of a second of them, and with them the done marks of the
     * same pages, which are then fetched again (nothing half-written).
     * A node that stops inside a transaction (frozen, cut off) would hold
     * its locks - a claim's lock on the run's row stops every node - so
     * the server ends such a session after 2 s; the node reconnects and
     * sends its batch again when it wakes. */
    const char *keys[] = {"dbname", "options", NULL};
    const char *vals[] = {uri,
                          "-c enable_hashjoin=off -c enable_mergejoin=off"
                          " -c synchronous_commit=off"
                          " -c idle_in_transaction_session_timeout=2000",
                          NULL};
    PGconn *conn = oltp ? PQconnectdbParams(keys, vals, 1) : PQconnectdb(uri);

    if (!conn || PQstatus(conn) != CONNECTION_OK) {
        pg_why(conn, "cannot connect to PostgreSQL", why, n);
        PQfinish(conn);
        return NULL;
    }
    if (pg_exec(conn,
                "SET client_encoding = 'UTF8';"
                " SET standard_conforming_strings = on;"
                " SET application_name = 'scrape';"
                " SET client_min_messages = warning",
                why, n)) {
        PQfinish(conn);
        return NULL;
    }
    return conn;
}

enum err pg_exec(PGconn *conn, const char *sql, char *why, size_t n)
{
    PGresult *res = PQexec(conn, sql);
    ExecStatusType st = PQresultStatus(res);
    enum err e = ERR_OK;

    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        pg_why(conn, "PostgreSQL", why, n);
        e = ERR_DB;
    }
    PQclear(res);
    return e;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

bool pg_recover(const char *uri, bool oltp, PGconn **conn, const char *who,
                const int *stop)
{
    long start = clock_ms(), wait = PG_RETRY_MIN_MS;
    char why[256];
    PGconn *fresh;

    if (*conn && PQstatus(*conn) == CONNECTION_OK)
        return false;
    pg_why(*conn, "lost", why, sizeof(why));
    fprintf(stderr, "scrape: %s: connection to PostgreSQL %s; reconnecting\n",
            who, why);
    PQfinish(*conn);
    *conn = NULL;
    while (!(stop && __atomic_load_n(stop, __ATOMIC_ACQUIRE)) &&
           clock_ms() - start < PG_RETRY_TOTAL_MS) {
        sleep_ms(wait);
        if ((fresh = pg_connect(uri, oltp, why, sizeof(why)))) {
            fprintf(stderr,
                    "scrape: %s: reconnected to PostgreSQL after %.1f s\n", who,
                    (double)(clock_ms() - start) / 1000.0);
            *conn = fresh;
            return true;
        }
        fprintf(stderr, "scrape: %s: %s; retrying in %.1f s\n", who, why,
                (double)wait / 1000.0);
        wait = wait * 2 > PG_RETRY_MAX_MS ? PG_RETRY_MAX_MS : wait * 2;
    }
    return false;
}

static int schema_version(PGconn *conn)
{
    PGresult *res = PQexec(conn, "SELECT version FROM scrape_schema");
    int v = -1;

    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
        v = atoi(PQgetvalue(res, 0, 0));
    PQclear(res);
    return v;
}

static bool has_table(PGconn *conn, const char *name)
{
    const char *params[1] = {name};
    PGresult *res = PQexecParams(conn, "SELECT to_regclass($1) IS NOT NULL", 1,
                                 NULL, params, NULL, NULL, 0);
    bool yes = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
               PQgetvalue(res, 0, 0)[0] == 't';

    PQclear(res);
    return yes;
}

enum err pg_schema(PGconn *conn, char *why, size_t n)
{
    enum err e;
    int v;

    /* One creator at a time: a transaction-scoped advisory lock. */
    if ((e = pg_exec(conn, "BEGIN; SELECT pg_advisory_xact_lock(7324516)", why,
                     n)))
        return e;
    if (!has_table(conn, "scrape_schema")) {
        if (has_table(conn, "runs") || has_table(conn, "pages")) {
            snprintf(why, n,
                     "the database has a 'runs' or 'pages' table that scrape"
                     " did not create; use an empty database");
            e = ERR_INVALID;
        } else if (!(e = pg_exec(conn, schema_sql, why, n)) &&
                   !(e = pg_exec(conn, schema_v2, why, n)) &&
                   !(e = pg_exec(conn, schema_v3, why, n))) {
            e = pg_exec(conn, schema_v4, why, n);
        }
    } else if ((v = schema_version(conn)) >= 1 && v < PG_SCHEMA_VERSION) {
        if (v == 1)
            e = pg_exec(conn, schema_v2, why, n);
        if (!e && v <= 2)
            e = pg_exec(conn, schema_v3, why, n);
        if (!e)
            e = pg_exec(conn, schema_v4, why, n);
    } else if (v != PG_SCHEMA_VERSION) {
        snprintf(why, n,
                 "the database has scrape schema version %d; this scrape"
                 " writes version %d",
                 v, PG_SCHEMA_VERSION);
        e = ERR_INVALID;
    }
    if (e) {
        PQclear(PQexec(conn, "ROLLBACK"));
        return e;
    }
    return pg_exec(conn, "COMMIT", why, n);
}

enum err pg_array_add(struct buf *b, const char *s)
{
    enum err e = b->len ? ERR_OK : buf_add(b, "{", 1);
    char *clean = NULL;
    const char *q;

    if (!e && b->len > 1)
        e = buf_add(b, ",", 1);
    if (e || !s)
        return e ? e : buf_adds(b, "NULL");
    if (!utf8_valid(s, strlen(s))) {
        if (!(clean = utf8_clean(s, strlen(s), false)))
            return ERR_NOMEM;
        s = clean;
    }
    e = buf_add(b, "\"", 1);
    while (!e && *s) {
        q = s + strcspn(s, "\"\\");
        e = buf_add(b, s, (size_t)(q - s));
        if (!e && *q)
            e = buf_add(b, "\\", 1);
        if (!e && *q)
            e = buf_add(b, q, 1);
        s = *q ? q + 1 : q;
    }
    free(clean);
    return e ? e : buf_add(b, "\"", 1);
}

enum err pg_array_end(struct buf *b)
{
    enum err e = b->len ? ERR_OK : buf_add(b, "{", 1);

    return e ? e : buf_add(b, "}", 1);
}

int64_t pg_node_id(void)
{
    uint64_t v = 0;

    while (v == 0) {
        if (getrandom(&v, sizeof(v), 0) != sizeof(v))
            v = (uint64_t)clock_ms() ^ ((uint64_t)getpid() << 32);
        v &= INT64_MAX;
    }
    return (int64_t)v;
}
