/*
 * pg_export.c - a shared run into a SQLite file (see pg_export.h).
 *
 * The file is made by store_open (the SQLite schema is store_sqlite.c's), then
 * each table is streamed row by row (libpq's single-row mode, so a big
 * run is never in memory whole) into the columns of the same name (see
 * `copies`): values travel as text and SQLite's column affinity gives
 * them their types back.
 */
#include "scrape/pg_export.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "scrape/buf.h"
#include "scrape/pg.h"
#include "scrape/store.h"

/* Each table: where its rows are in PostgreSQL ($1 = the run; the
 * table's alias is t) and where they go in the SQLite file.  The columns
 * are not listed here: a column of the SQLite table (store_sqlite.c's
 * schema) is copied from the PostgreSQL column of the same name (pg.c's
 * schema) when there is one, so each backend's schema is the one place
 * its columns are written down.  `map` names the exceptions, as pairs
 * (SQLite column, PostgreSQL expression), NULL-terminated. */
static const struct copy {
    const char *what;
    const char *sqlite_table;
    const char *pg_table;
    const char *from; /* FROM ... WHERE ... ORDER BY, t = pg_table */
    const char *const *map;
    bool or_ignore; /* rows another run already brought (bodies) */
} copies[] = {
    {"runs", "runs", "runs", "FROM runs t WHERE t.id = $1", NULL, false},
    {"pages", "pages", "pages",
     "FROM pages t WHERE t.run_id = $1 ORDER BY t.id", NULL, false},
    {"bodies", "bodies", "bodies",
     "FROM bodies t WHERE t.hash IN (SELECT body_hash FROM pages WHERE"
     " run_id = $1)",
     NULL, true},
    {"links", "links", "links",
     "FROM links t JOIN pages p ON p.id = t.page_id WHERE p.run_id = $1", NULL,
     false},
    {"fields", "fields", "fields",
     "FROM fields t JOIN pages p ON p.id = t.page_id WHERE p.run_id = $1", NULL,
     false},
    /* The search text: PostgreSQL keeps it in a table, SQLite in its FTS5
     * index, whose rowid is the page's id. */
    {"search text", "pages_fts", "pages_text",
     "FROM pages_text t JOIN pages p ON p.id = t.page_id WHERE p.run_id = $1",
     (const char *const[]){"rowid", "t.page_id", NULL}, false},
    {"items", "items", "items",
     "FROM items t WHERE t.run_id = $1 ORDER BY t.id", NULL, false},
    {"selectors", "selectors", "selectors",
     "FROM selectors t WHERE t.run_id = $1 ORDER BY t.pos", NULL, false},
    {"sitemaps", "sitemaps", "sitemaps", "FROM sitemaps t WHERE t.run_id = $1",
     NULL, false},
    {"skipped", "skipped", "skipped", "FROM skipped t WHERE t.run_id = $1",
     NULL, false},
    /* A shared frontier row is done when its state is 2. */
    {"frontier", "frontier", "frontier",
     "FROM frontier t WHERE t.run_id = $1 ORDER BY t.id",
     (const char *const[]){"done", "(t.state = 2)::int", NULL}, false},
};

/* The SELECT and INSERT of one table: the SQLite table's columns, each
 * from its mapping or the PostgreSQL column of its name (skipped when
 * there is neither); *blob is the column that is bytea (-1: none). */
static bool plan_copy(PGconn *pg, sqlite3 *db, const struct copy *c,
                      struct buf *select, struct buf *insert, int *blob,
                      char *why, size_t n)
{
    const char *params[1] = {c->pg_table};
    sqlite3_stmt *ti = NULL;
    PGresult *cols = NULL;
    char sql[128];
    int k = 0, i;
    bool ok = false;

    *blob = -1;
    snprintf(sql, sizeof(sql), "PRAGMA table_info(%s)", c->sqlite_table);
    if (sqlite3_prepare_v2(db, sql, -1, &ti, NULL) != SQLITE_OK) {
        snprintf(why, n, "cannot copy %s: %s", c->what, sqlite3_errmsg(db));
        return false;
    }
    cols = PQexecParams(pg,
                        "SELECT column_name, data_type FROM"
                        " information_schema.columns WHERE table_name = $1"
                        " AND table_schema = current_schema()",
                        1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(cols) != PGRES_TUPLES_OK) {
        pg_why(pg, "cannot read the run's tables", why, n);
        goto out;
    }
    buf_adds(select, "SELECT ");
    buf_addf(insert, "INSERT %sINTO %s(", c->or_ignore ? "OR IGNORE " : "",
             c->sqlite_table);
    /* FTS5 tables list no rowid: the mappings go first. */
    for (i = 0; c->map && c->map[i]; i += 2)
        if (!strcmp(c->map[i], "rowid")) {
            buf_addf(select, "%s%s", k ? ", " : "", c->map[i + 1]);
            buf_addf(insert, "%srowid", k ? ", " : "");
            k++;
        }
    while (sqlite3_step(ti) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(ti, 1);
        const char *expr = NULL, *type = NULL;
        for (i = 0; c->map && c->map[i] && !expr; i += 2)
            if (!strcmp(c->map[i], name))
                expr = c->map[i + 1];
        for (i = 0; !expr && i < PQntuples(cols); i++)
            if (!strcmp(PQgetvalue(cols, i, 0), name))
                type = PQgetvalue(cols, i, 1);
        if (!expr && !type)
            continue; /* not kept on PostgreSQL: the column's default */
        if (type && !strcmp(type, "bytea"))
            *blob = k;
        buf_addf(insert, "%s%s", k ? ", " : "", name);
        if (expr)
            buf_addf(select, "%s%s", k ? ", " : "", expr);
        else
            buf_addf(select, "%st.%s", k ? ", " : "", name);
        k++;
    }
    buf_addf(select, " %s", c->from);
    buf_adds(insert, ") VALUES(");
    for (i = 0; i < k; i++)
        buf_adds(insert, i ? ",?" : "?");
    ok = !buf_adds(insert, ")") && k > 0;
    if (!ok)
        snprintf(why, n, "cannot copy %s: no columns in common", c->what);
out:
    PQclear(cols);
    sqlite3_finalize(ti);
    return ok;
}

/* Streams one table.  false with the reason in `why`. */
static bool copy_table(PGconn *pg, sqlite3 *db, const struct copy *c,
                       const char *run, char *why, size_t n)
{
    const char *params[1] = {run};
    sqlite3_stmt *st = NULL;
    struct buf select, insert;
    PGresult *res;
    bool ok = true;
    int i, blob_col;

    buf_init(&select, 1 << 16);
    buf_init(&insert, 1 << 16);
    if (!plan_copy(pg, db, c, &select, &insert, &blob_col, why, n)) {
        ok = false;
    } else if (sqlite3_prepare_v2(db, insert.data, -1, &st, NULL) !=
               SQLITE_OK) {
        snprintf(why, n, "cannot copy %s: %s", c->what, sqlite3_errmsg(db));
        ok = false;
    } else if (!PQsendQueryParams(pg, select.data, 1, NULL, params, NULL, NULL,
                                  0) ||
               !PQsetSingleRowMode(pg)) {
        pg_why(pg, "cannot read the run", why, n);
        ok = false;
    }
    buf_release(&select);
    buf_release(&insert);
    if (!ok) {
        sqlite3_finalize(st);
        return false;
    }
    while ((res = PQgetResult(pg))) {
        ExecStatusType s = PQresultStatus(res);
        if (s == PGRES_SINGLE_TUPLE && ok) {
            unsigned char *blob = NULL;
            size_t bn = 0;
            for (i = 0; i < PQnfields(res); i++) {
                if (PQgetisnull(res, 0, i))
                    sqlite3_bind_null(st, i + 1);
                else if (i == blob_col &&
                         (blob = PQunescapeBytea(
                              (const unsigned char *)PQgetvalue(res, 0, i),
                              &bn)))
                    sqlite3_bind_blob64(st, i + 1, blob, bn, SQLITE_STATIC);
                else
                    sqlite3_bind_text(st, i + 1, PQgetvalue(res, 0, i),
                                      PQgetlength(res, 0, i), SQLITE_STATIC);
            }
            if (sqlite3_step(st) != SQLITE_DONE) {
                snprintf(why, n, "cannot copy %s: %s", c->what,
                         sqlite3_errmsg(db));
                ok = false;
            }
            sqlite3_reset(st);
            PQfreemem(blob);
        } else if (s != PGRES_SINGLE_TUPLE && s != PGRES_TUPLES_OK && ok) {
            pg_why(pg, "cannot read the run", why, n);
            ok = false;
        }
        PQclear(res);
    }
    sqlite3_finalize(st);
    return ok;
}

/* The latest run's id, or 0 when there is none. */
static int64_t latest_run(PGconn *pg)
{
    PGresult *res = PQexec(pg, "SELECT max(id) FROM runs");
    int64_t id = 0;

    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
        !PQgetisnull(res, 0, 0))
        id = atoll(PQgetvalue(res, 0, 0));
    PQclear(res);
    return id;
}

/* Makes the file with the store's schema. */
static enum err create_file(const char *path, char *why, size_t n)
{
    struct store *s = NULL;
    char *reason = NULL;
    struct stat sb;
    enum err e;

    if (stat(path, &sb) == 0) {
        snprintf(why, n, "'%s' exists; the export writes a new file", path);
        return ERR_IO;
    }
    if ((e = store_open(path, &s, &reason))) {
        snprintf(why, n, "%s", reason ? reason : "cannot create the file");
        free(reason);
        return e;
    }
    return store_close(s);
}

enum err pg_export_run(const char *uri, int64_t run_id, const char *path,
                       int64_t *copied, char *why, size_t n)
{
    PGconn *pg = NULL;
    sqlite3 *db = NULL;
    char run[32];
    enum err e = ERR_DB;
    size_t i;

    if (!(pg = pg_connect(uri, false, why, n)))
        return ERR_DB;
    /* One snapshot: a run still crawling exports as it stood. */
    if (pg_exec(pg, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", why, n))
        goto out;
    if (!run_id && !(run_id = latest_run(pg))) {
        snprintf(why, n, "the database has no runs");
        goto out;
    }
    snprintf(run, sizeof(run), "%lld", (long long)run_id);
    {
        const char *params[1] = {run};
        PGresult *res = PQexecParams(pg, "SELECT 1 FROM runs WHERE id = $1", 1,
                                     NULL, params, NULL, NULL, 0);
        bool found =
            PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;
        PQclear(res);
        if (!found) {
            snprintf(why, n, "there is no run %s", run);
            e = ERR_INVALID;
            goto out;
        }
    }
    if ((e = create_file(path, why, n)))
        goto out;
    e = ERR_IO;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
        sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(why, n, "cannot write '%s': %s", path,
                 db ? sqlite3_errmsg(db) : "out of memory");
        goto out;
    }
    for (i = 0; i < sizeof(copies) / sizeof(copies[0]); i++)
        if (!copy_table(pg, db, &copies[i], run, why, n))
            goto out;
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(why, n, "cannot write '%s': %s", path, sqlite3_errmsg(db));
        goto out;
    }
    if (copied)
        *copied = run_id;
    e = ERR_OK;
out:
    sqlite3_close(db);
    if (e && db)
        remove(path);
    PQfinish(pg);
    return e;
}
