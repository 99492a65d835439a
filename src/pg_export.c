/*
 * pg_export.c - a shared run into a SQLite file (see pg_export.h).
 *
 * The file is made by store_open (the SQLite schema is store_sqlite.c's), then
 * each table is streamed row by row (libpq's single-row mode, so a big
 * run is never in memory whole) into the same columns: values travel as
 * text and SQLite's column affinity gives them their types back.
 */
#include "scrape/pg_export.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "scrape/pg.h"
#include "scrape/store.h"

/* Each table: the PostgreSQL query ($1 = the run) and the SQLite insert
 * with as many parameters as the query has columns. */
static const struct copy {
    const char *what;
    const char *select;
    const char *insert;
    int blob; /* the column that is bytea (binary in SQLite), or -1 */
} copies[] = {
    {"runs",
     "SELECT id, mode, workers, concurrency, depth, seeds, started_at,"
     " finished_at, wall_ms, pages, errors, cpu_user_ms, cpu_sys_ms,"
     " peak_rss_kb, status, args FROM runs WHERE id = $1",
     "INSERT INTO runs(id, mode, workers, concurrency, depth, seeds,"
     " started_at, finished_at, wall_ms, pages, errors, cpu_user_ms,"
     " cpu_sys_ms, peak_rss_kb, status, args) VALUES(?,?,?,?,?,?,?,?,?,?,?,"
     "?,?,?,?,?)",
     -1},
    {"pages",
     "SELECT id, run_id, url, final_url, depth, status, content_type,"
     " charset, bytes, fetch_ms, title, description, lang, canonical, h1,"
     " words, outlinks, error, fetched_at, simhash, attempts, etag,"
     " last_modified, body_hash, headers FROM pages"
     " WHERE run_id = $1 ORDER BY id",
     "INSERT INTO pages(id, run_id, url, final_url, depth, status,"
     " content_type, charset, bytes, fetch_ms, title, description, lang,"
     " canonical, h1, words, outlinks, error, fetched_at, simhash, attempts,"
     " etag, last_modified, body_hash, headers)"
     " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
     -1},
    {"bodies",
     "SELECT hash, size, codec, data FROM bodies WHERE hash IN (SELECT"
     " body_hash FROM pages WHERE run_id = $1)",
     "INSERT OR IGNORE INTO bodies(hash, size, codec, data) VALUES(?,?,?,?)",
     3},
    {"links",
     "SELECT l.page_id, l.url, l.followable FROM links l JOIN pages p ON"
     " p.id = l.page_id WHERE p.run_id = $1",
     "INSERT INTO links(page_id, url, followable) VALUES(?,?,?)", -1},
    {"fields",
     "SELECT f.page_id, f.name, f.value FROM fields f JOIN pages p ON"
     " p.id = f.page_id WHERE p.run_id = $1",
     "INSERT INTO fields(page_id, name, value) VALUES(?,?,?)", -1},
    {"search text",
     "SELECT t.page_id, t.title, t.body FROM pages_text t JOIN pages p ON"
     " p.id = t.page_id WHERE p.run_id = $1",
     "INSERT INTO pages_fts(rowid, title, body) VALUES(?,?,?)", -1},
    {"items",
     "SELECT id, run_id, page_id, idx, data FROM items WHERE run_id = $1"
     " ORDER BY id",
     "INSERT INTO items(id, run_id, page_id, idx, data) VALUES(?,?,?,?,?)", -1},
    {"selectors",
     "SELECT run_id, pos, kind, name, selector, xpath, list FROM selectors"
     " WHERE run_id = $1 ORDER BY pos",
     "INSERT INTO selectors(run_id, pos, kind, name, selector, xpath, list)"
     " VALUES(?,?,?,?,?,?,?)",
     -1},
    {"sitemaps",
     "SELECT run_id, url, status, kind, urls, error, fetched_at FROM"
     " sitemaps WHERE run_id = $1",
     "INSERT INTO sitemaps(run_id, url, status, kind, urls, error,"
     " fetched_at) VALUES(?,?,?,?,?,?,?)",
     -1},
    {"skipped", "SELECT run_id, url, reason FROM skipped WHERE run_id = $1",
     "INSERT INTO skipped(run_id, url, reason) VALUES(?,?,?)", -1},
    {"frontier",
     "SELECT run_id, url, depth, (state = 2)::int FROM frontier"
     " WHERE run_id = $1 ORDER BY id",
     "INSERT INTO frontier(run_id, url, depth, done) VALUES(?,?,?,?)", -1},
};

/* Streams one table.  false with the reason in `why`. */
static bool copy_table(PGconn *pg, sqlite3 *db, const struct copy *c,
                       const char *run, char *why, size_t n)
{
    const char *params[1] = {run};
    sqlite3_stmt *st = NULL;
    PGresult *res;
    bool ok = true;
    int i;

    if (sqlite3_prepare_v2(db, c->insert, -1, &st, NULL) != SQLITE_OK) {
        snprintf(why, n, "cannot copy %s: %s", c->what, sqlite3_errmsg(db));
        return false;
    }
    if (!PQsendQueryParams(pg, c->select, 1, NULL, params, NULL, NULL, 0) ||
        !PQsetSingleRowMode(pg)) {
        pg_why(pg, "cannot read the run", why, n);
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
                else if (i == c->blob &&
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
