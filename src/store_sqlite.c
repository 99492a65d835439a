/*
 * store_sqlite.c - the SQLite backend of the store (store_backend.h):
 * every write to a scrape SQLite file, and the few reads a crawl needs
 * (--resume, --recrawl, --compare).  The read-only subcommands' SQL is in
 * query.c and its neighbours; the SQLite file a shared run exports to is
 * written by pg_export.c.
 *
 * Design: one connection in WAL mode (readers such as `sqlite3` can query
 * while a crawl writes), synchronous=NORMAL (durable at checkpoints, never
 * corrupt), persistent prepared statements, and batched transactions:
 * store_put_page() opens a BEGIN IMMEDIATE batch on the first row and
 * store_tick() commits it when STORE_BATCH_PAGES rows or STORE_BATCH_MS
 * have accumulated.  The schema version lives in PRAGMA user_version;
 * migrations run in order from it.
 */
#include "store_backend.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sqlite3.h>

#include "scrape/body.h"
#include "scrape/clock.h"
#include "scrape/json.h"
#include "store_json.h"
#include "scrape/utf8.h"

#define STORE_BUSY_TIMEOUT_MS 5000

static const char schema_v1[] =
    "CREATE TABLE runs("
    " id INTEGER PRIMARY KEY, mode TEXT NOT NULL, workers INTEGER,"
    " concurrency INTEGER, depth INTEGER, seeds TEXT, started_at TEXT,"
    " finished_at TEXT, wall_ms INTEGER, pages INTEGER, errors INTEGER,"
    " cpu_user_ms INTEGER, cpu_sys_ms INTEGER, peak_rss_kb INTEGER,"
    " status TEXT);"
    "CREATE TABLE pages("
    " id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES runs(id),"
    " url TEXT NOT NULL, final_url TEXT, depth INTEGER, status INTEGER,"
    " content_type TEXT, charset TEXT, bytes INTEGER, fetch_ms INTEGER,"
    " title TEXT, description TEXT, lang TEXT, canonical TEXT, h1 TEXT,"
    " words INTEGER, outlinks INTEGER, error TEXT, fetched_at TEXT);"
    "CREATE TABLE links("
    " page_id INTEGER NOT NULL REFERENCES pages(id), url TEXT NOT NULL,"
    " followable INTEGER NOT NULL);"
    "CREATE TABLE fields("
    " page_id INTEGER NOT NULL REFERENCES pages(id), name TEXT NOT NULL,"
    " value TEXT);"
    "CREATE INDEX pages_run_url ON pages(run_id, url);"
    "CREATE INDEX links_page ON links(page_id);"
    "CREATE INDEX fields_page ON fields(page_id);";

/* Version 2: the SimHash fingerprint of each page's visible text.  Signed
 * in SQL (INTEGER is 64-bit signed); compare bits, not magnitudes. */
static const char schema_v2[] = "ALTER TABLE pages ADD COLUMN simhash INTEGER;";

/* Version 3: how many fetches the page took (retries after 429/503). */
static const char schema_v3[] =
    "ALTER TABLE pages ADD COLUMN attempts INTEGER;";

/* Version 4: URLs not fetched on purpose, with the reason. */
static const char schema_v4[] =
    "CREATE TABLE skipped("
    " run_id INTEGER NOT NULL REFERENCES runs(id), url TEXT NOT NULL,"
    " reason TEXT NOT NULL);"
    "CREATE INDEX skipped_run ON skipped(run_id);";

/* Version 5: the frontier journal and each run's command line, for
 * --resume. */
static const char schema_v5[] =
    "CREATE TABLE frontier("
    " run_id INTEGER NOT NULL REFERENCES runs(id), url TEXT NOT NULL,"
    " depth INTEGER NOT NULL, done INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY(run_id, url));"
    "ALTER TABLE runs ADD COLUMN args TEXT;";

/* Version 6: full-text search over titles and visible text (FTS5; rowid
 * = pages.id).  SQLite-specific like the rest of this backend (PostgreSQL
 * would use a tsvector). */
static const char schema_v6[] =
    "CREATE VIRTUAL TABLE pages_fts USING fts5(title, body,"
    " tokenize = 'unicode61 remove_diacritics 2', detail = column);";

/* Version 7: items (--item records: one row per match, its fields as a
 * JSON object), the selectors each run extracted with, and the sitemaps
 * --sitemaps read. */
static const char schema_v7[] =
    "CREATE TABLE items("
    " id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES runs(id),"
    " page_id INTEGER NOT NULL REFERENCES pages(id), idx INTEGER NOT NULL,"
    " data TEXT NOT NULL);"
    "CREATE INDEX items_page ON items(page_id);"
    "CREATE INDEX items_run ON items(run_id);"
    "CREATE TABLE selectors("
    " run_id INTEGER NOT NULL REFERENCES runs(id), pos INTEGER NOT NULL,"
    " kind TEXT NOT NULL, name TEXT, selector TEXT NOT NULL,"
    " xpath TEXT NOT NULL, list INTEGER NOT NULL);"
    "CREATE TABLE sitemaps("
    " run_id INTEGER NOT NULL REFERENCES runs(id), url TEXT NOT NULL,"
    " status INTEGER, kind TEXT, urls INTEGER NOT NULL DEFAULT 0,"
    " error TEXT, fetched_at TEXT);"
    "CREATE INDEX sitemaps_run ON sitemaps(run_id);";

/* Version 8: each response's validators and body hash (SHA-256 hex of
 * the body as received, decompressed) on its pages row, its status line
 * and headers with --keep-bodies, and the bodies themselves, one row per
 * distinct body (zstd; a rowid table: as WITHOUT ROWID, 5 KB rows took
 * 3.4 times the space, measured). */
static const char schema_v8[] =
    "ALTER TABLE pages ADD COLUMN etag TEXT;"
    "ALTER TABLE pages ADD COLUMN last_modified TEXT;"
    "ALTER TABLE pages ADD COLUMN body_hash TEXT;"
    "ALTER TABLE pages ADD COLUMN headers TEXT;"
    "CREATE TABLE bodies(hash TEXT PRIMARY KEY, size INTEGER NOT NULL,"
    " codec TEXT NOT NULL, data BLOB NOT NULL);";

/* Version 9: what a recrawl found for each page ('new', 'changed',
 * 'unchanged', 'gone', 'failed'; NULL outside recrawls), and for a page
 * carried forward unchanged the pages row whose search text it shares
 * (indexing a page's text again was 80 % of an all-304 recrawl's
 * instructions, callgrind). */
static const char schema_v9[] =
    "ALTER TABLE pages ADD COLUMN change TEXT;"
    "ALTER TABLE pages ADD COLUMN text_of INTEGER;"
    "CREATE INDEX pages_text_of ON pages(text_of) WHERE text_of IS NOT NULL;";

/* Version 10: comparisons (--compare), one row each, and on each of
 * their runs the comparison's id, so reports show one comparison's runs
 * side by side rather than the latest run of each mode. */
static const char schema_v10[] =
    "CREATE TABLE comparisons("
    " id INTEGER PRIMARY KEY, seeds TEXT, args TEXT,"
    " repeat INTEGER NOT NULL, started_at TEXT, finished_at TEXT,"
    " status TEXT, verdict TEXT);"
    "ALTER TABLE runs ADD COLUMN compare_id INTEGER"
    " REFERENCES comparisons(id);";

/* Version 11: spiders.  The rule each page and item belongs to (--rule;
 * NULL: none matched), how many of a page's links its rule left out
 * (--follow, --no-follow; NULL when it follows every link), the page
 * through which a URL was first queued (pages.id; the frontier keeps its
 * URL, as the page that queues a link may be recorded after it), and
 * the rule of each selector. */
static const char schema_v11[] =
    "ALTER TABLE pages ADD COLUMN rule TEXT;"
    "ALTER TABLE pages ADD COLUMN unfollowed INTEGER;"
    "ALTER TABLE pages ADD COLUMN referrer INTEGER;"
    "ALTER TABLE items ADD COLUMN rule TEXT;"
    "ALTER TABLE selectors ADD COLUMN rule TEXT;"
    "ALTER TABLE frontier ADD COLUMN referrer TEXT;";

/* Version 12: runs that did not verify TLS certificates (-k). */
static const char schema_v12[] =
    "ALTER TABLE runs ADD COLUMN insecure INTEGER;";

/* Migration steps, index i takes the schema from version i to i + 1. */
static const char *const migrations[STORE_SCHEMA_VERSION] = {
    schema_v1, schema_v2, schema_v3, schema_v4,  schema_v5,  schema_v6,
    schema_v7, schema_v8, schema_v9, schema_v10, schema_v11, schema_v12};

/* What two runs must agree on, per page (see store_diff_runs): its
 * record, its rule and the links its rule left out.  Not its referrer:
 * which of two pages linking to a URL queues it first is a matter of
 * timing. */
#define RECORD_COLUMNS                                                         \
    "SELECT url, status, title, h1, words, outlinks, simhash, rule,"           \
    " unfollowed, error IS NULL AS ok, (SELECT group_concat(name || '=' ||"    \
    " coalesce(value, ''), ';') FROM fields f WHERE f.page_id = p.id) AS fv,"  \
    " (SELECT group_concat(idx || '=' || data, ';') FROM items i"              \
    " WHERE i.page_id = p.id) AS iv"                                           \
    " FROM pages p"

/* The pages row of the page through which URL ?2 of run ?1 was first
 * queued (the frontier journal names it), when that page is recorded
 * already. */
#define PAGE_REFERRER                                                          \
    "(SELECT r.id FROM frontier f JOIN pages r ON r.run_id = f.run_id AND"     \
    " r.url = f.referrer WHERE f.run_id = ?1 AND f.url = ?2"                   \
    " ORDER BY r.id LIMIT 1)"

enum stmt_id {
    ST_DIFF,
    ST_RUN_BEGIN,
    ST_RUN_END,
    ST_PAGE,
    ST_LINK,
    ST_LINKS,
    ST_FIELD,
    ST_SKIPPED,
    ST_FRONTIER_ADD,
    ST_FRONTIER_DONE,
    ST_FTS,
    ST_ITEM,
    ST_SELECTOR,
    ST_SITEMAP,
    ST_BODY_HAS,
    ST_BODY,
    ST_CARRY,
    ST_CARRY_LINKS,
    ST_CARRY_FIELDS,
    ST_CARRY_ITEMS,
    ST_REFERRERS,
    ST__COUNT
};

/* Links rows per ST_LINKS statement (?1 the page, then URL and flag
 * pairs). */
#define STORE_LINK_BATCH 16

static const char *const stmt_sql[ST__COUNT] = {
    [ST_DIFF] =
        "SELECT count(*), min(url) FROM ("
        "SELECT * FROM (" RECORD_COLUMNS
        " WHERE run_id = ?1 EXCEPT " RECORD_COLUMNS " WHERE run_id = ?2)"
        " UNION ALL SELECT * FROM (" RECORD_COLUMNS " WHERE run_id = ?2"
        " EXCEPT " RECORD_COLUMNS " WHERE run_id = ?1))",
    [ST_RUN_BEGIN] = "INSERT INTO runs(mode, workers, concurrency, depth,"
                     " seeds, started_at, status, args, compare_id,"
                     " insecure)"
                     " VALUES(?, ?, ?, ?, ?, ?, 'running', ?, ?, ?)",
    [ST_RUN_END] = "UPDATE runs SET finished_at = ?, wall_ms = ?, pages = ?,"
                   " errors = ?, cpu_user_ms = ?, cpu_sys_ms = ?,"
                   " peak_rss_kb = ?, status = ? WHERE id = ?",
    [ST_PAGE] = "INSERT INTO pages(run_id, url, final_url, depth, status,"
                " content_type, charset, bytes, fetch_ms, title, description,"
                " lang, canonical, h1, words, outlinks, error, fetched_at,"
                " simhash, attempts, etag, last_modified, body_hash, headers,"
                " change, text_of, rule, unfollowed, referrer)"
                " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,"
                " ?, ?, " PAGE_REFERRER ")",
    [ST_LINK] = "INSERT INTO links(page_id, url, followable) VALUES(?, ?, ?)",
    /* STORE_LINK_BATCH rows in one statement: a page's links go in 16 at
     * a time (one step instead of 16, a third of the instructions per
     * link on link-heavy pages). */
    [ST_LINKS] = "INSERT INTO links(page_id, url, followable) VALUES"
                 " (?1, ?2, ?3), (?1, ?4, ?5), (?1, ?6, ?7), (?1, ?8, ?9),"
                 " (?1, ?10, ?11), (?1, ?12, ?13), (?1, ?14, ?15),"
                 " (?1, ?16, ?17), (?1, ?18, ?19), (?1, ?20, ?21),"
                 " (?1, ?22, ?23), (?1, ?24, ?25), (?1, ?26, ?27),"
                 " (?1, ?28, ?29), (?1, ?30, ?31), (?1, ?32, ?33)",
    [ST_FIELD] = "INSERT INTO fields(page_id, name, value) VALUES(?, ?, ?)",
    [ST_SKIPPED] = "INSERT INTO skipped(run_id, url, reason) VALUES(?, ?, ?)",
    /* A URL queued again shallower (a sitemap's seed first found as a
     * link) keeps the smaller depth. */
    [ST_FRONTIER_ADD] = "INSERT INTO frontier(run_id, url, depth, referrer)"
                        " VALUES(?, ?, ?, ?) ON CONFLICT(run_id, url)"
                        " DO UPDATE SET depth = min(depth, excluded.depth)",
    [ST_FRONTIER_DONE] = "UPDATE frontier SET done = 1"
                         " WHERE run_id = ? AND url = ?",
    [ST_FTS] = "INSERT INTO pages_fts(rowid, title, body) VALUES(?, ?, ?)",
    [ST_ITEM] = "INSERT INTO items(run_id, page_id, idx, data, rule)"
                " VALUES(?, ?, ?, ?, ?)",
    [ST_SELECTOR] = "INSERT INTO selectors(run_id, pos, kind, name, selector,"
                    " xpath, list, rule) VALUES(?, ?, ?, ?, ?, ?, ?, ?)",
    /* Pages recorded before the page that queued them (a held page's
     * links are fetched early): their referrer, once the run is over. */
    [ST_REFERRERS] = "UPDATE pages SET referrer = (SELECT r.id FROM frontier"
                     " f JOIN pages r ON r.run_id = f.run_id AND"
                     " r.url = f.referrer WHERE f.run_id = pages.run_id AND"
                     " f.url = pages.url ORDER BY r.id LIMIT 1)"
                     " WHERE run_id = ?1 AND referrer IS NULL AND depth > 0",
    [ST_SITEMAP] = "INSERT INTO sitemaps(run_id, url, status, kind, urls,"
                   " error, fetched_at) VALUES(?, ?, ?, ?, ?, ?, ?)",
    [ST_BODY_HAS] = "SELECT 1 FROM bodies WHERE hash = ?",
    [ST_BODY] = "INSERT INTO bodies(hash, size, codec, data)"
                " VALUES(?, ?, 'zstd', ?)",
    /* --recrawl: an unchanged page's record carried forward (?1 run,
     * ?2 the old row, then this fetch's depth, time, validators). */
    [ST_CARRY] = "INSERT INTO pages(run_id, url, final_url, depth, status,"
                 " content_type, charset, bytes, fetch_ms, title, description,"
                 " lang, canonical, h1, words, outlinks, error, fetched_at,"
                 " simhash, attempts, etag, last_modified, body_hash, headers,"
                 " change, text_of, rule, unfollowed) SELECT ?1, url,"
                 " final_url, ?3, status, content_type, charset, bytes, ?4,"
                 " title, description, lang, canonical, h1, words, outlinks,"
                 " error, ?5, simhash, ?6, coalesce(?7, etag),"
                 " coalesce(?8, last_modified), body_hash, headers,"
                 " 'unchanged', coalesce(text_of, id), rule, unfollowed"
                 " FROM pages WHERE id = ?2",
    [ST_CARRY_LINKS] = "INSERT INTO links(page_id, url, followable)"
                       " SELECT ?1, url, followable FROM links"
                       " WHERE page_id = ?2",
    [ST_CARRY_FIELDS] =
        "INSERT INTO fields(page_id, name, value)"
        " SELECT ?1, name, value FROM fields WHERE page_id = ?2",
    [ST_CARRY_ITEMS] = "INSERT INTO items(run_id, page_id, idx, data, rule)"
                       " SELECT ?3, ?1, idx, data, rule FROM items"
                       " WHERE page_id = ?2 ORDER BY idx",
};

struct sqlite_store {
    struct store_backend base; /* first: its ops, for store.c */
    int64_t selectors_run;     /* put_selectors' run */
    sqlite3 *db;
    sqlite3_stmt *st[ST__COUNT];
    bool in_batch;
    int pending;            /* pages in the open batch */
    struct timespec opened; /* when the batch began */
    struct buf json;        /* scratch for item and list-field JSON */
    char msg[512];          /* detail of the last error */
};

static const char *sq_errmsg(const struct store_backend *b)
{
    return ((const struct sqlite_store *)b)->msg;
}

/* Records sqlite's message for `what` and maps rc to an enum err. */
static enum err fail(struct sqlite_store *s, int rc, const char *what)
{
    snprintf(s->msg, sizeof(s->msg), "%s: %s", what,
             s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
    switch (rc & 0xff) {
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
        return ERR_IO;
    case SQLITE_NOMEM:
        return ERR_NOMEM;
    default:
        return ERR_DB;
    }
}

static enum err exec(struct sqlite_store *s, const char *sql, const char *what)
{
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);

    return rc == SQLITE_OK ? ERR_OK : fail(s, rc, what);
}

static int user_version(struct sqlite_store *s)
{
    sqlite3_stmt *st = NULL;
    int v = -1;

    if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) ==
            SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

static int table_count(struct sqlite_store *s)
{
    sqlite3_stmt *st = NULL;
    int n = -1;

    if (sqlite3_prepare_v2(s->db,
                           "SELECT count(*) FROM sqlite_master"
                           " WHERE type = 'table'",
                           -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return n;
}

/* Creates or upgrades the schema; refuses databases that are not ours. */
static enum err migrate(struct sqlite_store *s, const char *path)
{
    int v = user_version(s), tables = table_count(s);
    char sql[64];
    enum err e;

    if (v < 0 || tables < 0)
        return fail(s, sqlite3_errcode(s->db), "cannot read database");
    if (v > STORE_SCHEMA_VERSION) {
        snprintf(s->msg, sizeof(s->msg),
                 "'%.400s' has schema version %d, newer than this scrape (%d)",
                 path, v, STORE_SCHEMA_VERSION);
        return ERR_DB;
    }
    if (v == 0 && tables > 0) {
        snprintf(s->msg, sizeof(s->msg), "'%.400s' is not a scrape database",
                 path);
        return ERR_DB;
    }
    if (v == STORE_SCHEMA_VERSION)
        return ERR_OK;
    if ((e = exec(s, "BEGIN IMMEDIATE", "cannot start schema transaction")))
        return e;
    for (e = ERR_OK; v < STORE_SCHEMA_VERSION && !e; v++)
        e = exec(s, migrations[v], "cannot migrate schema");
    snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
             STORE_SCHEMA_VERSION);
    if (!e)
        e = exec(s, sql, "cannot set schema version");
    if (!e)
        return exec(s, "COMMIT", "cannot commit schema");
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return e;
}

/* Creates the parent directory of `path` when it is missing (out/). */
static void make_parent(const char *path)
{
    char dir[4096];
    char *slash;

    if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
        return;
    slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return;
    *slash = '\0';
    mkdir(dir, 0777);
}

static enum err configure(struct sqlite_store *s)
{
    sqlite3_stmt *st = NULL;
    bool wal = false;
    enum err e;

    sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS);
    /* 16 KB pages for a new file (an existing one keeps its own): a
     * stored page with its text spans a few database pages instead of
     * ~20, and the writer makes 4x fewer pread/pwrite calls (measured:
     * -7..10 % CPU per crawl).  Must precede the switch to WAL. */
    if ((e = exec(s, "PRAGMA page_size = " STORE_PAGE_SIZE,
                  "cannot set the page size")))
        return e;
    if (sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &st, NULL) ==
            SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        wal = !strcmp((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    if (!wal)
        return fail(s, sqlite3_errcode(s->db), "cannot enable WAL mode");
    if ((e = exec(s, "PRAGMA synchronous = NORMAL", "cannot set synchronous")))
        return e;
    return ERR_OK;
}

static enum err prepare_all(struct sqlite_store *s)
{
    int i, rc;

    for (i = 0; i < ST__COUNT; i++) {
        rc = sqlite3_prepare_v3(s->db, stmt_sql[i], -1,
                                SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL);
        if (rc != SQLITE_OK)
            return fail(s, rc, "cannot prepare statement");
    }
    return ERR_OK;
}

static enum err sq_close(struct store_backend *b);
static const struct store_ops sqlite_ops;

enum err store_sqlite_open(const char *path, struct store_backend **out,
                           char **why)
{
    struct sqlite_store *s = calloc(1, sizeof(*s));
    enum err e;
    int rc;

    *out = NULL;
    *why = NULL;
    if (!s)
        return ERR_NOMEM;
    s->base.ops = &sqlite_ops;
    buf_init(&s->json, STORE_JSON_MAX);
    make_parent(path);
    /* NOMUTEX: one thread at a time uses a store (the writer thread hands
     * it over with a happens-before), so SQLite's per-call mutexes (a
     * lock and an unlock per bind, step and reset: ~1 % of a crawl's CPU
     * on link-heavy pages) guard nothing. */
    rc = sqlite3_open_v2(
        path, &s->db,
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        e = fail(s, rc, "cannot open database");
        goto fail;
    }
    if ((e = configure(s)) || (e = migrate(s, path)) || (e = prepare_all(s)))
        goto fail;
    *out = &s->base;
    return ERR_OK;
fail:
    *why = strdup(s->msg);
    sq_close(&s->base);
    return e;
}

static enum err batch_begin(struct sqlite_store *s)
{
    enum err e;

    if (s->in_batch)
        return ERR_OK;
    if ((e = exec(s, "BEGIN IMMEDIATE", "cannot begin transaction")))
        return e;
    s->in_batch = true;
    s->pending = 0;
    clock_gettime(CLOCK_MONOTONIC, &s->opened);
    return ERR_OK;
}

static enum err sq_flush(struct store_backend *b)
{
    struct sqlite_store *s = (struct sqlite_store *)b;
    enum err e;

    if (!s->in_batch)
        return ERR_OK;
    e = exec(s, "COMMIT", "cannot commit");
    if (e) {
        /* A failed COMMIT may leave the transaction open; end it so the
         * database stays consistent (the batch is reported lost). */
        if (!sqlite3_get_autocommit(s->db))
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    }
    s->in_batch = false;
    s->pending = 0;
    return e;
}

static enum err sq_tick(struct store_backend *b)
{
    struct sqlite_store *s = (struct sqlite_store *)b;
    struct timespec now;
    long ms;

    if (!s->in_batch)
        return ERR_OK;
    clock_gettime(CLOCK_MONOTONIC, &now);
    ms = (now.tv_sec - s->opened.tv_sec) * 1000 +
         (now.tv_nsec - s->opened.tv_nsec) / 1000000;
    if (s->pending >= STORE_BATCH_PAGES || ms >= STORE_BATCH_MS)
        return sq_flush(&s->base);
    return ERR_OK;
}

static enum err sq_close(struct store_backend *b)
{
    struct sqlite_store *s = (struct sqlite_store *)b;
    enum err e = ERR_OK;
    int i;

    if (!s)
        return ERR_OK;
    if (s->db) {
        e = sq_flush(&s->base);
        for (i = 0; i < ST__COUNT; i++)
            sqlite3_finalize(s->st[i]);
        if (!e) {
            sqlite3_exec(s->db, "PRAGMA optimize", NULL, NULL, NULL);
            sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_TRUNCATE,
                                      NULL, NULL);
        }
        sqlite3_close(s->db);
    }
    buf_release(&s->json);
    free(s);
    return e;
}

/* Binds UTF-8 text, repairing it if a server sent invalid bytes; valid
 * text is bound with `keep` (SQLITE_TRANSIENT: SQLite copies it;
 * SQLITE_STATIC: `v` must stay unchanged until the statement is run(),
 * which resets it). */
static int bind_utf8(sqlite3_stmt *st, int i, const char *v,
                     sqlite3_destructor_type keep)
{
    size_t n;
    char *clean;

    if (!v)
        return sqlite3_bind_null(st, i);
    n = strlen(v);
    if (utf8_valid(v, n))
        return sqlite3_bind_text(st, i, v, (int)n, keep);
    clean = utf8_clean(v, n, false);
    if (!clean)
        return SQLITE_NOMEM;
    return sqlite3_bind_text(st, i, clean, -1, free);
}

static int bind_text(sqlite3_stmt *st, int i, const char *v)
{
    return bind_utf8(st, i, v, SQLITE_TRANSIENT);
}

/* Without SQLite's own copy, for the long and the many strings of a page
 * (its text, its links). */
static int bind_static(sqlite3_stmt *st, int i, const char *v)
{
    return bind_utf8(st, i, v, SQLITE_STATIC);
}

/* Steps a fully bound statement once and resets it. */
static enum err run(struct sqlite_store *s, sqlite3_stmt *st, int bind_rc,
                    const char *what)
{
    int rc = bind_rc == SQLITE_OK ? sqlite3_step(st) : bind_rc;
    enum err e = ERR_OK;

    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        e = fail(s, rc, what);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return e;
}

/* One selectors row; `pos` orders them as given. */
static enum err put_selector(struct sqlite_store *s, int64_t run_id, int pos,
                             const struct selector_row *sel)
{
    sqlite3_stmt *st = s->st[ST_SELECTOR];
    int rc = sqlite3_bind_int64(st, 1, run_id);

    rc = rc ? rc : sqlite3_bind_int(st, 2, pos);
    rc = rc ? rc : bind_text(st, 3, sel->kind);
    rc = rc ? rc : bind_text(st, 4, sel->name);
    rc = rc ? rc : bind_text(st, 5, sel->selector);
    rc = rc ? rc : bind_text(st, 6, sel->xpath);
    rc = rc ? rc : sqlite3_bind_int(st, 7, sel->list);
    rc = rc ? rc : bind_text(st, 8, sel->rule);
    return run(s, st, rc, "cannot record the selectors");
}

static enum err put_selectors_cb(void *ctx, int pos,
                                 const struct selector_row *sel)
{
    struct sqlite_store *s = ctx;

    return put_selector(s, s->selectors_run, pos, sel);
}

/* What the run extracts and follows with, rule by rule (see
 * store_selector_rows).  In autocommit mode, like the runs row. */
static enum err put_selectors(struct sqlite_store *s, int64_t run_id,
                              const struct spider *spider)
{
    s->selectors_run = run_id;
    return store_selector_rows(spider, put_selectors_cb, s);
}

static enum err sq_run_begin(struct store_backend *b,
                             const struct run_info *info, int64_t *run_id)
{
    struct sqlite_store *s = (struct sqlite_store *)b;
    sqlite3_stmt *st = s->st[ST_RUN_BEGIN];
    char now[64];
    int rc;
    enum err e;

    if ((e = sq_flush(&s->base)))
        return e;
    clock_iso(now, sizeof(now));
    rc = bind_text(st, 1, info->mode);
    rc = rc ? rc : sqlite3_bind_int(st, 2, info->workers);
    rc = rc ? rc : sqlite3_bind_int(st, 3, info->concurrency);
    rc = rc ? rc : sqlite3_bind_int(st, 4, info->depth);
    rc = rc ? rc : bind_text(st, 5, info->seeds);
    rc = rc ? rc : bind_text(st, 6, now);
    rc = rc ? rc : bind_text(st, 7, info->args);
    if (info->compare_id)
        rc = rc ? rc : sqlite3_bind_int64(st, 8, info->compare_id);
    if (info->insecure)
        rc = rc ? rc : sqlite3_bind_int(st, 9, 1);
    if ((e = run(s, st, rc, "cannot insert run")))
        return e;
    *run_id = sqlite3_last_insert_rowid(s->db);
    return put_selectors(s, *run_id, info->spider);
}

static enum err sq_run_end(struct store_backend *b, int64_t run_id,
                           const struct run_stats *r)
{
    struct sqlite_store *s = (struct sqlite_store *)b;
    sqlite3_stmt *st = s->st[ST_RUN_END];
    char now[64];
    enum err e;
    int rc;

    if ((e = sq_flush(&s->base)))
        return e;
    rc = sqlite3_bind_int64(s->st[ST_REFERRERS], 1, run_id);
    if ((e = run(s, s->st[ST_REFERRERS], rc, "cannot link pages to referrers")))
        return e;
    clock_iso(now, sizeof(now));
    rc = bind_text(st, 1, now);
    rc = rc ? rc : sqlite3_bind_int64(st, 2, r->wall_ms);
    rc = rc ? rc : sqlite3_bind_int64(st, 3, r->pages);
    rc = rc ? rc : sqlite3_bind_int64(st, 4, r->errors);
    rc = rc ? rc : sqlite3_bind_int64(st, 5, r->cpu_user_ms);
    rc = rc ? rc : sqlite3_bind_int64(st, 6, r->cpu_sys_ms);
    rc = rc ? rc : sqlite3_bind_int64(st, 7, r->peak_rss_kb);
    rc = rc ? rc : bind_text(st, 8, r->status);
    rc = rc ? rc : sqlite3_bind_int64(st, 9, run_id);
    return run(s, st, rc, "cannot update run");
}

static int bind_page(sqlite3_stmt *st, int64_t run_id,
                     const struct page_row *row)
{
    const struct page *pg = row->page;
    char now[64];
    int rc;

    clock_iso(now, sizeof(now));
    rc = sqlite3_bind_int64(st, 1, run_id);
    rc = rc ? rc : bind_text(st, 2, row->url);
    rc = rc ? rc : bind_text(st, 3, row->final_url);
    rc = rc ? rc : sqlite3_bind_int(st, 4, row->depth);
    rc = rc ? rc : sqlite3_bind_int64(st, 5, row->status);
    rc = rc ? rc : bind_text(st, 6, row->content_type);
    rc = rc ? rc : bind_text(st, 7, pg ? pg->charset : NULL);
    rc = rc ? rc : sqlite3_bind_int64(st, 8, row->bytes);
    rc = rc ? rc : sqlite3_bind_int64(st, 9, row->fetch_ms);
    if (pg) {
        rc = rc ? rc : bind_text(st, 10, pg->title);
        rc = rc ? rc : bind_text(st, 11, pg->description);
        rc = rc ? rc : bind_text(st, 12, pg->lang);
        rc = rc ? rc : bind_text(st, 13, pg->canonical);
        rc = rc ? rc : bind_text(st, 14, pg->h1);
        rc = rc ? rc : sqlite3_bind_int64(st, 15, pg->words);
        rc = rc ? rc : sqlite3_bind_int64(st, 16, (sqlite3_int64)pg->nlinks);
        if (pg->simhash)
            rc = rc ? rc
                    : sqlite3_bind_int64(st, 19, (sqlite3_int64)pg->simhash);
    }
    rc = rc ? rc : bind_text(st, 17, row->error);
    rc = rc ? rc : bind_text(st, 18, now);
    rc = rc ? rc : sqlite3_bind_int(st, 20, row->attempts);
    rc = rc ? rc : bind_text(st, 21, row->etag);
    rc = rc ? rc : bind_text(st, 22, row->last_modified);
    rc = rc ? rc : bind_text(st, 23, row->body_hash);
    rc = rc ? rc : bind_text(st, 24, row->keep_body ? row->headers : NULL);
    rc = rc ? rc : bind_text(st, 25, row->change);
    if (row->text_of)
        rc = rc ? rc : sqlite3_bind_int64(st, 26, row->text_of);
    rc = rc ? rc : bind_text(st, 27, row->rule);
    if (pg && pg->chosen)
        rc = rc ? rc : sqlite3_bind_int64(st, 28, pg->unfollowed);
    return rc;
}

/* Runs one of the ST_CARRY_* copies from page `from` to page `to`. */
static enum err carry_child(struct sqlite_store *s, enum stmt_id id, int64_t to,
                            int64_t from, int64_t run_id)
{
    sqlite3_stmt *st = s->st[id];
    int rc = sqlite3_bind_int64(st, 1, to);

    rc = rc ? rc : sqlite3_bind_int64(st, 2, from);
    if (id == ST_CARRY_ITEMS)
        rc = rc ? rc : sqlite3_bind_int64(st, 3, run_id);
    return run(s, st, rc, "cannot carry a record forward");
}

/* --recrawl: an unchanged page's record and children from
 * row->carry_from, with this fetch's depth, time and validators; its
 * search text is the old row's (pages.text_of). */
static enum err carry_page(struct sqlite_store *s, int64_t run_id,
                           const struct page_row *row)
{
    sqlite3_stmt *st = s->st[ST_CARRY];
    char now[64];
    int64_t id;
    enum err e;
    int rc;

    clock_iso(now, sizeof(now));
    rc = sqlite3_bind_int64(st, 1, run_id);
    rc = rc ? rc : sqlite3_bind_int64(st, 2, row->carry_from);
    rc = rc ? rc : sqlite3_bind_int(st, 3, row->depth);
    rc = rc ? rc : sqlite3_bind_int64(st, 4, row->fetch_ms);
    rc = rc ? rc : bind_text(st, 5, now);
    rc = rc ? rc : sqlite3_bind_int(st, 6, row->attempts);
    rc = rc ? rc : bind_text(st, 7, row->etag);
    rc = rc ? rc : bind_text(st, 8, row->last_modified);
    if ((e = run(s, st, rc, "cannot carry a record forward")))
        return e;
    if (sqlite3_changes(s->db) != 1) {
        snprintf(s->msg, sizeof(s->msg), "the recrawled run's row %lld is gone",
                 (long long)row->carry_from);
        return ERR_DB;
    }
    id = sqlite3_last_insert_rowid(s->db);
    /* The search text stays where it is: text_of points at it. */
    if ((e = carry_child(s, ST_CARRY_LINKS, id, row->carry_from, run_id)) ||
        (e = carry_child(s, ST_CARRY_FIELDS, id, row->carry_from, run_id)))
        return e;
    return carry_child(s, ST_CARRY_ITEMS, id, row->carry_from, run_id);
}

/* Stores body `row->body` under `hash` unless a body with that hash is
 * stored already (the same page twice, a mirror, an error page). */
static enum err put_body(struct sqlite_store *s, const struct page_row *row,
                         const char *hash)
{
    sqlite3_stmt *st = s->st[ST_BODY_HAS];
    void *z = NULL;
    size_t zn = 0;
    enum err e;
    int rc = bind_text(st, 1, hash);

    rc = rc ? rc : sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc == SQLITE_ROW)
        return ERR_OK;
    if (rc != SQLITE_DONE)
        return fail(s, rc, "cannot look up a body");
    if ((e = body_pack(row->body, row->body_len, &z, &zn)))
        return e;
    st = s->st[ST_BODY];
    rc = bind_text(st, 1, hash);
    rc = rc ? rc : sqlite3_bind_int64(st, 2, (sqlite3_int64)row->body_len);
    if (rc)
        free(z);
    else /* takes z: frees it when done, or at once on failure */
        rc = sqlite3_bind_blob64(st, 3, z, zn, free);
    return run(s, st, rc, "cannot store a body");
}

/* Adds the page's title and visible text to the search index. */
static enum err put_fts(struct sqlite_store *s, int64_t page_id,
                        const struct page *pg)
{
    sqlite3_stmt *st = s->st[ST_FTS];
    int rc = sqlite3_bind_int64(st, 1, page_id);

    rc = rc ? rc : bind_static(st, 2, pg->title);
    rc = rc ? rc : bind_static(st, 3, pg->text);
    return run(s, st, rc, "cannot index page text");
}

/* The page-level --field values (no --item): one fields row per plain
 * field that matched, and one per list field, its value a JSON array. */
static enum err put_fields(struct sqlite_store *s, int64_t page_id,
                           const struct page_row *row)
{
    const struct page *pg = row->page;
    sqlite3_stmt *st = s->st[ST_FIELD];
    enum err e = ERR_OK;
    size_t f, n;
    int rc;

    for (f = 0; f < pg->nfields && f < row->spec->nfields && !e; f++) {
        char *const *v = page_values(pg, 0, f, &n);
        const char *value = n ? v[0] : NULL;
        if (row->spec->fields[f].list) {
            buf_reset(&s->json);
            if ((e = store_json_field(&s->json, row, f)))
                return e;
            value = s->json.data;
        } else if (!n) {
            continue;
        }
        rc = sqlite3_bind_int64(st, 1, page_id);
        rc = rc ? rc : bind_text(st, 2, row->spec->fields[f].name);
        rc = rc ? rc : bind_text(st, 3, value);
        e = run(s, st, rc, "cannot insert field");
    }
    return e;
}

/* One items row per --item match, `idx` its 0-based place on the page. */
static enum err put_items(struct sqlite_store *s, int64_t run_id,
                          int64_t page_id, const struct page_row *row)
{
    sqlite3_stmt *st = s->st[ST_ITEM];
    enum err e = ERR_OK;
    size_t r;
    int rc;

    for (r = 0; r < row->page->nrecords && !e; r++) {
        buf_reset(&s->json);
        if ((e = store_json_item(&s->json, row, r)))
            return e;
        rc = sqlite3_bind_int64(st, 1, run_id);
        rc = rc ? rc : sqlite3_bind_int64(st, 2, page_id);
        rc = rc ? rc : sqlite3_bind_int64(st, 3, (sqlite3_int64)r);
        rc = rc ? rc
                : sqlite3_bind_text(st, 4, s->json.data, (int)s->json.len,
                                    SQLITE_STATIC);
        rc = rc ? rc : bind_text(st, 5, row->rule);
        e = run(s, st, rc, "cannot insert item");
    }
    return e;
}

static enum err put_children(struct sqlite_store *s, int64_t run_id,
                             int64_t page_id, const struct page_row *row)
{
    const struct page *pg = row->page;
    sqlite3_stmt *st;
    enum err e = ERR_OK;
    size_t i, j, k;
    int rc;

    if (pg && (pg->title || pg->text) && !row->text_of &&
        (e = put_fts(s, page_id, pg)))
        return e;
    for (i = 0; pg && i < pg->nlinks && !e; i += k) {
        k = pg->nlinks - i >= STORE_LINK_BATCH ? STORE_LINK_BATCH : 1;
        st = s->st[k > 1 ? ST_LINKS : ST_LINK];
        rc = sqlite3_bind_int64(st, 1, page_id);
        for (j = 0; j < k && !rc; j++) {
            rc = bind_static(st, 2 + 2 * (int)j, pg->links[i + j].url);
            rc = rc ? rc
                    : sqlite3_bind_int(st, 3 + 2 * (int)j,
                                       pg->links[i + j].followable);
        }
        e = run(s, st, rc, "cannot insert link");
    }
    if (!e && pg && pg->items)
        e = put_items(s, run_id, page_id, row);
    else if (!e && pg && pg->nrecords)
        e = put_fields(s, page_id, row);
    return e;
}

static enum err sq_put_page(struct store_backend *b, int64_t run_id,
                            const struct page_row *row)
{
    struct sqlite_store *s = (struct sqlite_store *)b;
    sqlite3_stmt *st = s->st[ST_PAGE];
    enum err e;

    if ((e = batch_begin(s)))
        return e;
    if (row->carry_from)
        e = carry_page(s, run_id, row);
    else if (!(e = run(s, st, bind_page(st, run_id, row),
                       "cannot insert page")))
        e = put_children(s, run_id, sqlite3_last_insert_rowid(s->db), row);
    if (e || (row->keep_body && row->body &&
              (e = put_body(s, row, row->body_hash)))) {
        /* Never commit half a page: drop the whole batch.  Its URLs are
         * still queued in the committed frontier journal, so --resume
         * fetches them again. */
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        s->in_batch = false;
        s->pending = 0;
        return e;
    }
    s->pending++;
    return ERR_OK;
}

static enum err sq_diff_runs(struct store_backend *b, int64_t run_a,
                             int64_t run_b, long *differ, char *example,
                             size_t n)
{
    struct sqlite_store *s = (struct sqlite_store *)b;
    sqlite3_stmt *st = s->st[ST_DIFF];
    enum err e = ERR_OK;
    int rc;

    *differ = 0;
    example[0] = '\0';
    if ((e = sq_flush(&s->base)))
        return e;
    rc = sqlite3_bind_int64(st, 1, run_a);
    rc = rc ? rc : sqlite3_bind_int64(st, 2, run_b);
    rc = rc ? rc : sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const unsigned char *url = sqlite3_column_text(st, 1);
        *differ = (long)sqlite3_column_int64(st, 0);
        snprintf(example, n, "%s", url ? (const char *)url : "");
    } else {
        e = fail(s, rc, "cannot compare runs");
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return e;
}

/* Binds ?1 = run_id and ?2 = url on `st` inside the current batch (the
 * three small per-URL writes below share this). */
static int begin_url_row(struct sqlite_store *s, sqlite3_stmt *st,
                         int64_t run_id, const char *url, enum err *e)
{
    int rc;

    if ((*e = batch_begin(s)))
        return SQLITE_ERROR;
    rc = sqlite3_bind_int64(st, 1, run_id);
    return rc ? rc : bind_text(st, 2, url);
}

static enum err sq_put_sitemap(struct store_backend *b, int64_t run_id,
                               const struct sitemap_row *row)
{
    struct sqlite_store *s = (struct sqlite_store *)b;
    sqlite3_stmt *st = s->st[ST_SITEMAP];
    enum err e;
    char now[64];
    int rc;

    rc = begin_url_row(s, st, run_id, row->url, &e);
    if (e)
        return e;
    clock_iso(now, sizeof(now));
    rc = rc ? rc : sqlite3_bind_int64(st, 3, row->status);
    rc = rc ? rc : bind_text(st, 4, row->kind);
    rc = rc ? rc : sqlite3_bind_int64(st, 5, row->urls);
    rc = rc ? rc : bind_text(st, 6, row->error);
    rc = rc ? rc : bind_text(st, 7, now);
    return run(s, st, rc, "cannot record a sitemap");
}

static enum err sq_put_skipped(struct store_backend *b, int64_t run_id,
                               const char *url, const char *reason)
{
    struct sqlite_store *s = (struct sqlite_store *)b;
    sqlite3_stmt *st = s->st[ST_SKIPPED];
    enum err e;
    int rc;

    rc = begin_url_row(s, st, run_id, url, &e);
    if (e)
        return e;
    rc = rc ? rc : bind_text(st, 3, reason);
    return run(s, st, rc, "cannot insert skipped URL");
}

static enum err sq_frontier_add(struct store_backend *b, int64_t run_id,
                                const char *url, int depth,
                                const char *referrer)
{
    struct sqlite_store *s = (struct sqlite_store *)b;
    sqlite3_stmt *st = s->st[ST_FRONTIER_ADD];
    enum err e;
    int rc;

    rc = begin_url_row(s, st, run_id, url, &e);
    if (e)
        return e;
    rc = rc ? rc : sqlite3_bind_int(st, 3, depth);
    rc = rc ? rc : bind_text(st, 4, referrer);
    return run(s, st, rc, "cannot journal the frontier");
}

static enum err sq_frontier_done(struct store_backend *b, int64_t run_id,
                                 const char *url)
{
    struct sqlite_store *s = (struct sqlite_store *)b;
    sqlite3_stmt *st = s->st[ST_FRONTIER_DONE];
    enum err e;
    int rc;

    rc = begin_url_row(s, st, run_id, url, &e);
    if (e)
        return e;
    return run(s, st, rc, "cannot journal the frontier");
}

/* Prepares a one-off query (not one of the hot statements). */
static enum err prepare(struct sqlite_store *s, const char *sql,
                        sqlite3_stmt **st)
{
    int rc = sqlite3_prepare_v2(s->db, sql, -1, st, NULL);

    return rc == SQLITE_OK ? ERR_OK : fail(s, rc, "cannot prepare query");
}

static enum err sq_frontier_load(struct store_backend *b, int64_t run_id,
                                 store_frontier_fn fn, void *ctx)
{
    struct sqlite_store *s = (struct sqlite_store *)b;
    sqlite3_stmt *st = NULL;
    enum err e;
    int rc;

    if ((e = sq_flush(&s->base)) ||
        (e = prepare(s,
                     "SELECT url, depth, done FROM frontier WHERE run_id = ?"
                     " ORDER BY rowid",
                     &st)))
        return e;
    sqlite3_bind_int64(st, 1, run_id);
    while (!e && (rc = sqlite3_step(st)) == SQLITE_ROW)
        e = fn(ctx, (const char *)sqlite3_column_text(st, 0),
               sqlite3_column_int(st, 1), sqlite3_column_int(st, 2) != 0);
    if (!e && rc != SQLITE_DONE)
        e = fail(s, rc, "cannot read the frontier");
    sqlite3_finalize(st);
    return e;
}

static enum err sq_resumable(struct store_backend *b, int64_t *run_id,
                             char **args, char **mode)
{
    struct sqlite_store *s = (struct sqlite_store *)b;
    sqlite3_stmt *st = NULL;
    enum err e;
    int rc;

    *args = NULL;
    *mode = NULL;
    if ((e = prepare(s,
                     "SELECT id, args, mode FROM runs WHERE status IN"
                     " ('running',"
                     " 'interrupted') AND args IS NOT NULL"
                     " ORDER BY id DESC LIMIT 1",
                     &st)))
        return e;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *run_id = sqlite3_column_int64(st, 0);
        *args = strdup((const char *)sqlite3_column_text(st, 1));
        *mode = strdup((const char *)sqlite3_column_text(st, 2));
        e = *args && *mode ? ERR_OK : ERR_NOMEM;
    } else if (rc == SQLITE_DONE) {
        snprintf(s->msg, sizeof(s->msg),
                 "no unfinished run to resume (every run is done)");
        e = ERR_INVALID;
    } else {
        e = fail(s, rc, "cannot look for a run to resume");
    }
    sqlite3_finalize(st);
    return e;
}

static enum err sq_run_reopen(struct store_backend *b, int64_t run_id,
                              long *pages, long *errors)
{
    struct sqlite_store *s = (struct sqlite_store *)b;
    sqlite3_stmt *st = NULL;
    enum err e;

    if ((e = prepare(s,
                     "SELECT count(*), count(error) FROM pages"
                     " WHERE run_id = ?",
                     &st)))
        return e;
    sqlite3_bind_int64(st, 1, run_id);
    if (sqlite3_step(st) == SQLITE_ROW) {
        *pages = (long)sqlite3_column_int64(st, 0);
        *errors = (long)sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    if ((e = prepare(s, "UPDATE runs SET status = 'running' WHERE id = ?",
                     &st)))
        return e;
    sqlite3_bind_int64(st, 1, run_id);
    e = run(s, st, SQLITE_OK, "cannot reopen the run");
    sqlite3_finalize(st);
    return e;
}

static enum err sq_skipped_load(struct store_backend *b, int64_t run_id,
                                store_url_fn fn, void *ctx)
{
    struct sqlite_store *s = (struct sqlite_store *)b;
    sqlite3_stmt *st = NULL;
    enum err e;
    int rc = SQLITE_DONE;

    if ((e = sq_flush(&s->base)) ||
        (e = prepare(s, "SELECT url FROM skipped WHERE run_id = ?", &st)))
        return e;
    sqlite3_bind_int64(st, 1, run_id);
    while (!e && (rc = sqlite3_step(st)) == SQLITE_ROW)
        e = fn(ctx, (const char *)sqlite3_column_text(st, 0));
    if (!e && rc != SQLITE_DONE)
        e = fail(s, rc, "cannot read skipped URLs");
    sqlite3_finalize(st);
    return e;
}

static enum err sq_run_args(struct store_backend *b, int64_t run_id,
                            char **args, char **mode)
{
    struct sqlite_store *s = (struct sqlite_store *)b;
    sqlite3_stmt *st = NULL;
    enum err e;
    int rc;

    if ((e = prepare(s, "SELECT args, mode FROM runs WHERE id = ?", &st)))
        return e;
    sqlite3_bind_int64(st, 1, run_id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_text(st, 0)) {
        *args = strdup((const char *)sqlite3_column_text(st, 0));
        *mode = strdup((const char *)sqlite3_column_text(st, 1));
        e = *args && *mode ? ERR_OK : ERR_NOMEM;
    } else if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
        snprintf(s->msg, sizeof(s->msg), "run %lld has no command line",
                 (long long)run_id);
        e = ERR_INVALID;
    } else {
        e = fail(s, rc, "cannot read the run");
    }
    sqlite3_finalize(st);
    return e;
}

/* Nothing to keep: a resumed SQLite run reads each robots.txt again. */
static enum err sq_put_robots(struct store_backend *b, int64_t run_id,
                              const struct robots_row *row)
{
    (void)b;
    (void)run_id;
    (void)row;
    return ERR_OK;
}

static enum err sq_seeds_load(struct store_backend *b, int64_t run_id,
                              store_url_fn fn, void *ctx)
{
    struct sqlite_store *s = (struct sqlite_store *)b;
    sqlite3_stmt *st = NULL;
    enum err e;
    int rc = SQLITE_DONE;

    if ((e = sq_flush(&s->base)) ||
        (e = prepare(s,
                     "SELECT url FROM frontier WHERE run_id = ? AND depth = 0",
                     &st)))
        return e;
    sqlite3_bind_int64(st, 1, run_id);
    while (!e && (rc = sqlite3_step(st)) == SQLITE_ROW)
        e = fn(ctx, (const char *)sqlite3_column_text(st, 0));
    if (!e && rc != SQLITE_DONE)
        e = fail(s, rc, "cannot read the seeds");
    sqlite3_finalize(st);
    return e;
}

static enum err sq_recrawl_load(struct store_backend *b, int64_t run_id,
                                store_prev_fn fn, void *ctx)
{
    struct sqlite_store *s = (struct sqlite_store *)b;
    sqlite3_stmt *st = NULL;
    enum err e;
    int rc = SQLITE_DONE;

    if ((e = sq_flush(&s->base)) ||
        (e = prepare(s,
                     "SELECT id, url, depth, status, etag, last_modified,"
                     " body_hash, (SELECT r.url FROM pages r WHERE r.id ="
                     " p.referrer) FROM pages p WHERE run_id = ? ORDER BY id",
                     &st)))
        return e;
    sqlite3_bind_int64(st, 1, run_id);
    while (!e && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct prev_row row = {
            .id = sqlite3_column_int64(st, 0),
            .url = (const char *)sqlite3_column_text(st, 1),
            .depth = sqlite3_column_int(st, 2),
            .status = (long)sqlite3_column_int64(st, 3),
            .etag = (const char *)sqlite3_column_text(st, 4),
            .last_modified = (const char *)sqlite3_column_text(st, 5),
            .hash = (const char *)sqlite3_column_text(st, 6),
            .referrer = (const char *)sqlite3_column_text(st, 7),
        };
        e = fn(ctx, &row);
    }
    if (!e && rc != SQLITE_DONE)
        e = fail(s, rc, "cannot read the run to recrawl");
    sqlite3_finalize(st);
    return e;
}

static enum err sq_compare_begin(struct store_backend *b,
                                 const struct compare_info *info, int64_t *id)
{
    struct sqlite_store *s = (struct sqlite_store *)b;
    sqlite3_stmt *st = NULL;
    char now[64];
    enum err e;
    int rc;

    if ((e = sq_flush(&s->base)) ||
        (e = prepare(s,
                     "INSERT INTO comparisons(seeds, args, repeat,"
                     " started_at, status) VALUES(?, ?, ?, ?, 'running')",
                     &st)))
        return e;
    clock_iso(now, sizeof(now));
    rc = bind_text(st, 1, info->seeds);
    rc = rc ? rc : bind_text(st, 2, info->args);
    rc = rc ? rc : sqlite3_bind_int64(st, 3, info->repeat);
    rc = rc ? rc : bind_text(st, 4, now);
    e = run(s, st, rc, "cannot insert the comparison");
    sqlite3_finalize(st);
    if (!e)
        *id = sqlite3_last_insert_rowid(s->db);
    return e;
}

static enum err sq_compare_end(struct store_backend *b, int64_t id,
                               const char *status, const char *verdict)
{
    struct sqlite_store *s = (struct sqlite_store *)b;
    sqlite3_stmt *st = NULL;
    char now[64];
    enum err e;
    int rc;

    if ((e = prepare(s,
                     "UPDATE comparisons SET finished_at = ?, status = ?,"
                     " verdict = ? WHERE id = ?",
                     &st)))
        return e;
    clock_iso(now, sizeof(now));
    rc = bind_text(st, 1, now);
    rc = rc ? rc : bind_text(st, 2, status);
    rc = rc ? rc : bind_text(st, 3, verdict);
    rc = rc ? rc : sqlite3_bind_int64(st, 4, id);
    e = run(s, st, rc, "cannot update the comparison");
    sqlite3_finalize(st);
    return e;
}

/* One runs row of a comparison, as store_compare_runs hands it on. */
static void read_sample(sqlite3_stmt *st, struct compare_sample *c)
{
    const unsigned char *mode = sqlite3_column_text(st, 1);
    const unsigned char *status = sqlite3_column_text(st, 9);

    memset(c, 0, sizeof(*c));
    c->run_id = sqlite3_column_int64(st, 0);
    snprintf(c->mode, sizeof(c->mode), "%s", mode ? (const char *)mode : "");
    snprintf(c->status, sizeof(c->status), "%s",
             status ? (const char *)status : "running");
    c->workers = (long)sqlite3_column_int64(st, 2);
    c->stats.pages = (long)sqlite3_column_int64(st, 3);
    c->stats.errors = (long)sqlite3_column_int64(st, 4);
    c->stats.wall_ms = (long)sqlite3_column_int64(st, 5);
    c->stats.cpu_user_ms = (long)sqlite3_column_int64(st, 6);
    c->stats.cpu_sys_ms = (long)sqlite3_column_int64(st, 7);
    c->stats.peak_rss_kb = (long)sqlite3_column_int64(st, 8);
    c->stats.items = (long)sqlite3_column_int64(st, 10);
    c->stats.status = c->status;
}

static enum err sq_compare_runs(struct store_backend *b, int64_t id,
                                store_sample_fn fn, void *ctx)
{
    struct sqlite_store *s = (struct sqlite_store *)b;
    struct compare_sample c;
    sqlite3_stmt *st = NULL;
    enum err e;
    int rc;

    if ((e = sq_flush(&s->base)) ||
        (e = prepare(s,
                     "SELECT id, mode, workers, pages, errors, wall_ms,"
                     " cpu_user_ms, cpu_sys_ms, peak_rss_kb, status,"
                     " (SELECT count(*) FROM items i WHERE i.run_id = r.id)"
                     " FROM runs r WHERE compare_id = ? ORDER BY id",
                     &st)))
        return e;
    sqlite3_bind_int64(st, 1, id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && !e) {
        read_sample(st, &c);
        e = fn(ctx, &c);
    }
    if (!e && rc != SQLITE_DONE)
        e = fail(s, rc, "cannot read the comparison's runs");
    sqlite3_finalize(st);
    return e;
}

static const struct store_ops sqlite_ops = {
    .name = "SQLite",
    .close = sq_close,
    .errmsg = sq_errmsg,
    .run_begin = sq_run_begin,
    .run_end = sq_run_end,
    .run_reopen = sq_run_reopen,
    .run_args = sq_run_args,
    .resumable = sq_resumable,
    .put_page = sq_put_page,
    .put_skipped = sq_put_skipped,
    .put_robots = sq_put_robots,
    .put_sitemap = sq_put_sitemap,
    .frontier_add = sq_frontier_add,
    .frontier_done = sq_frontier_done,
    .frontier_load = sq_frontier_load,
    .seeds_load = sq_seeds_load,
    .skipped_load = sq_skipped_load,
    .recrawl_load = sq_recrawl_load,
    .tick = sq_tick,
    .flush = sq_flush,
    .diff_runs = sq_diff_runs,
    .compare_begin = sq_compare_begin,
    .compare_end = sq_compare_end,
    .compare_runs = sq_compare_runs,
};
