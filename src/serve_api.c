/*
 * serve_api.c - the JSON answers of scrape serve (see serve.h and
 * serve_api.h).
 *
 * Every value a request brings is checked (ids are digits, limits in
 * range, field names those the run extracted) and then bound to a
 * prepared statement; the SQL text itself only ever varies with how many
 * field filters there are.  Rows become JSON objects column by column
 * (names from the statement, types from SQLite), and JSON the database
 * already holds (items, list fields) is passed through json() so it is
 * valid whatever was stored.
 */
#include "scrape/serve_api.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scrape/dupes.h"
#include "scrape/json.h"
#include "scrape/search.h"
#include "scrape/serve.h"

/* Field filters one items request may carry. */
#define API_MAX_FILTERS 8
/* Links listed with one page at most. */
#define API_MAX_LINKS 10000

void api_error(struct api_req *r, int status, const char *msg)
{
    r->status = status;
    r->link[0] = r->etag[0] = '\0';
    buf_reset(&r->body);
    if (buf_adds(&r->body, "{\"error\": ") || json_add_string(&r->body, msg) ||
        buf_adds(&r->body, "}\n"))
        r->status = 500;
}

enum err api_html(struct buf *b, const char *s, size_t n)
{
    enum err e = ERR_OK;
    size_t i;

    for (i = 0; i < n && !e; i++) {
        switch (s[i]) {
        case '&':
            e = buf_adds(b, "&amp;");
            break;
        case '<':
            e = buf_adds(b, "&lt;");
            break;
        case '>':
            e = buf_adds(b, "&gt;");
            break;
        case '"':
            e = buf_adds(b, "&quot;");
            break;
        case '\'':
            e = buf_adds(b, "&#39;");
            break;
        default:
            e = buf_add(b, s + i, 1);
        }
    }
    return e;
}

/* The answer when a statement failed: the time limit, or the database. */
static void db_error(struct api_req *r)
{
    char msg[300];

    if (r->timed_out) {
        api_error(r, 503,
                  "the query took longer than this server's time limit;"
                  " narrow it (a smaller limit, a filter) or try again");
        return;
    }
    snprintf(msg, sizeof(msg), "database error: %s", sqlite3_errmsg(r->db));
    api_error(r, 500, msg);
}

static sqlite3_stmt *prep(struct api_req *r, const char *sql)
{
    sqlite3_stmt *st = NULL;

    if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) != SQLITE_OK) {
        db_error(r);
        return NULL;
    }
    return st;
}

bool api_number(const char *s, long long *out)
{
    long long v = 0;

    if (!s || !*s || strlen(s) > 16)
        return false;
    for (; *s; s++) {
        if (!isdigit((unsigned char)*s))
            return false;
        v = v * 10 + (*s - '0');
    }
    *out = v;
    return true;
}

/* An id: 1 to 2^53. */
static bool parse_id(const char *s, long long *out)
{
    return api_number(s, out) && *out >= 1 && *out <= (1LL << 53);
}

/* Optional integer argument `name` in [lo, hi]; *out keeps its default
 * when absent.  False (and a 400) when present and bad. */
static bool int_arg(struct api_req *r, const char *name, long long lo,
                    long long hi, long long *out)
{
    const char *v = r->arg(r->conn, name);
    long long x = 0;
    char msg[160];

    if (!v)
        return true;
    if (!api_number(v, &x) || x < lo || x > hi) {
        snprintf(msg, sizeof(msg),
                 "%s must be a whole number from %lld to %lld", name, lo, hi);
        api_error(r, 400, msg);
        return false;
    }
    *out = x;
    return true;
}

/* Optional text argument, at most `max` bytes. */
static bool text_arg(struct api_req *r, const char *name, size_t max,
                     const char **out)
{
    const char *v = r->arg(r->conn, name);
    char msg[120];

    *out = NULL;
    if (!v || !*v)
        return true;
    if (strlen(v) > max) {
        snprintf(msg, sizeof(msg), "%s is longer than %zu bytes", name, max);
        api_error(r, 400, msg);
        return false;
    }
    *out = v;
    return true;
}

/* Appends column i of the current row as a JSON value. */
static enum err put_value(struct buf *b, sqlite3_stmt *st, int i)
{
    switch (sqlite3_column_type(st, i)) {
    case SQLITE_INTEGER:
        return buf_addf(b, "%lld", (long long)sqlite3_column_int64(st, i));
    case SQLITE_FLOAT:
        return buf_addf(b, "%.17g", sqlite3_column_double(st, i));
    case SQLITE_NULL:
        return buf_adds(b, "null");
    default:
        return json_add_string(b, (const char *)sqlite3_column_text(st, i));
    }
}

/* Appends the current row as an object of columns [from, to).  A column
 * whose name ends in '$' holds JSON text made by SQLite's json
 * functions: it is written as it is, under the name without the '$'. */
static enum err put_row(struct buf *b, sqlite3_stmt *st, int from, int to)
{
    enum err e = buf_adds(b, "{");
    int i;

    for (i = from; i < to && !e; i++) {
        const char *name = sqlite3_column_name(st, i);
        size_t n = strlen(name);
        bool raw = n > 1 && name[n - 1] == '$';
        if (i > from)
            e = buf_adds(b, ", ");
        if (!e)
            e = buf_adds(b, "\"");
        if (!e)
            e = buf_add(b, name, raw ? n - 1 : n);
        if (!e)
            e = buf_adds(b, "\": ");
        if (!e && raw && sqlite3_column_type(st, i) == SQLITE_TEXT)
            e = buf_adds(b, (const char *)sqlite3_column_text(st, i));
        else if (!e)
            e = put_value(b, st, i);
    }
    return e ? e : buf_adds(b, "}");
}

/* Runs `st` to the end, appending each row as an object to a JSON array;
 * *last gets column 0 of the last row, *n the count.  False on a failed
 * statement (the error answer is set). */
static bool put_rows(struct api_req *r, sqlite3_stmt *st, long long *last,
                     long long *n)
{
    int rc = SQLITE_DONE, cols = sqlite3_column_count(st);
    enum err e = buf_adds(&r->body, "[");
    long long count = 0;

    while (!e && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (count++)
            e = buf_adds(&r->body, ", ");
        if (!e)
            e = put_row(&r->body, st, 0, cols);
        if (last)
            *last = sqlite3_column_int64(st, 0);
    }
    if (n)
        *n = count;
    if (e) {
        api_error(r, 500, "out of memory");
        return false;
    }
    if (rc != SQLITE_DONE) {
        db_error(r);
        return false;
    }
    return !buf_adds(&r->body, "]");
}

/* A run's status, for the ETag; false (and a 404) when there is none. */
static bool find_run(struct api_req *r, long long run, bool *finished,
                     char *stamp, size_t n)
{
    sqlite3_stmt *st = prep(r, "SELECT status, coalesce(finished_at, ''),"
                               " pages FROM runs WHERE id = ?");
    char msg[80];
    int rc;

    if (!st)
        return false;
    sqlite3_bind_int64(st, 1, run);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char *status = (const char *)sqlite3_column_text(st, 0);
        *finished = status && strcmp(status, "running");
        snprintf(stamp, n, "%s-%lld", sqlite3_column_text(st, 1),
                 (long long)sqlite3_column_int64(st, 2));
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW)
        return true;
    if (rc != SQLITE_DONE) {
        db_error(r);
        return false;
    }
    snprintf(msg, sizeof(msg), "no run %lld in this database", run);
    api_error(r, 404, msg);
    return false;
}

struct hash_ctx {
    uint64_t h;
};

static void hash_str(uint64_t *h, const char *s)
{
    for (; *s; s++)
        *h = (*h ^ (unsigned char)*s) * 1099511628211ULL;
    *h = (*h ^ 0xff) * 1099511628211ULL;
}

static bool hash_arg(void *ctx, const char *name, const char *value)
{
    struct hash_ctx *hc = ctx;

    hash_str(&hc->h, name);
    hash_str(&hc->h, value);
    return true;
}

/* The ETag of an answer about finished run `run`: the run's end and the
 * request (path and arguments).  True when the client has it already
 * (If-None-Match): the answer is then 304, empty. */
static bool etag_matches(struct api_req *r, long long run, const char *stamp)
{
    struct hash_ctx hc = {14695981039346656037ULL};

    hash_str(&hc.h, r->path);
    r->each_arg(r->conn, hash_arg, &hc);
    hash_str(&hc.h, stamp);
    snprintf(r->etag, sizeof(r->etag), "\"r%lld-%016llx\"", run,
             (unsigned long long)hc.h);
    if (r->if_none_match && strstr(r->if_none_match, r->etag)) {
        r->status = 304;
        buf_reset(&r->body);
        return true;
    }
    return false;
}

/* Appends `s` percent-encoded for a query string. */
static enum err put_escaped(struct buf *b, const char *s)
{
    enum err e = ERR_OK;

    for (; *s && !e; s++) {
        unsigned char c = (unsigned char)*s;
        if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
            e = buf_add(b, s, 1);
        else
            e = buf_addf(b, "%%%02X", c);
    }
    return e;
}

struct next_ctx {
    struct buf *b;
    enum err e;
};

/* Copies every argument but after and limit into the next page's URL. */
static bool keep_arg(void *ctx, const char *name, const char *value)
{
    struct next_ctx *nc = ctx;

    if (!strcmp(name, "after") || !strcmp(name, "limit"))
        return true;
    if (!nc->e)
        nc->e = buf_adds(nc->b, "&");
    if (!nc->e)
        nc->e = put_escaped(nc->b, name);
    if (!nc->e)
        nc->e = buf_adds(nc->b, "=");
    if (!nc->e)
        nc->e = put_escaped(nc->b, value);
    return !nc->e;
}

/* Ends a list answer: "next" (and the Link header) when the page was
 * full, so there may be more after `last`. */
static void end_list(struct api_req *r, long long n, long long limit,
                     long long last)
{
    struct buf url;
    struct next_ctx nc;
    enum err e;

    buf_init(&url, sizeof(r->link) - 32);
    nc.b = &url;
    nc.e = ERR_OK;
    if (n < limit) {
        e = buf_adds(&r->body, ", \"next\": null}\n");
    } else {
        e = buf_addf(&url, "%s?after=%lld&limit=%lld", r->path, last, limit);
        if (!e)
            r->each_arg(r->conn, keep_arg, &nc);
        e = e ? e : nc.e;
        if (!e) {
            snprintf(r->link, sizeof(r->link), "<%s>; rel=\"next\"", url.data);
            e = buf_adds(&r->body, ", \"next\": ");
        }
        if (!e)
            e = json_add_string(&r->body, url.data);
        if (!e)
            e = buf_adds(&r->body, "}\n");
    }
    buf_release(&url);
    if (e)
        api_error(r, e == ERR_TOO_LARGE ? 400 : 500,
                  e == ERR_TOO_LARGE ? "arguments too long" : "out of memory");
}

/* GET /api/runs */
static void runs_list(struct api_req *r)
{
    sqlite3_stmt *st = prep(
        r, "SELECT id, mode, status, workers, concurrency, depth, seeds,"
           " started_at, finished_at, wall_ms, pages, errors, cpu_user_ms,"
           " cpu_sys_ms, peak_rss_kb, compare_id FROM runs ORDER BY id DESC"
           " LIMIT 1000");

    if (!st)
        return;
    buf_adds(&r->body, "{\"runs\": ");
    if (put_rows(r, st, NULL, NULL))
        buf_adds(&r->body, "}\n");
    sqlite3_finalize(st);
}

/* Appends `"key": ` and the rows of `sql` (run id bound to ?1) as an
 * array of objects. */
static bool section(struct api_req *r, const char *key, const char *sql,
                    long long run)
{
    sqlite3_stmt *st = prep(r, sql);
    bool ok;

    if (!st)
        return false;
    sqlite3_bind_int64(st, 1, run);
    ok = !buf_addf(&r->body, ", \"%s\": ", key) && put_rows(r, st, NULL, NULL);
    sqlite3_finalize(st);
    return ok;
}

/* The host:port of pages.url, as SQL. */
#define AUTHORITY_SQL                                                          \
    "substr(url, instr(url, '//') + 2, instr(substr(url, instr(url, '//') "    \
    "+ 2) || '/', '/') - 1)"

/* GET /api/runs/N: its row and what scrape stats breaks down. */
static void run_detail(struct api_req *r, long long run)
{
    sqlite3_stmt *st = prep(r, "SELECT * FROM runs WHERE id = ?");
    int rc;

    if (!st)
        return;
    sqlite3_bind_int64(st, 1, run);
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_finalize(st);
        db_error(r);
        return;
    }
    buf_adds(&r->body, "{\"run\": ");
    put_row(&r->body, st, 0, sqlite3_column_count(st));
    sqlite3_finalize(st);
    if (section(r, "by_status",
                "SELECT CASE WHEN status = 0 THEN 'no answer' ELSE"
                " (status / 100) || 'xx' END AS status, count(*) AS pages"
                " FROM pages WHERE run_id = ?1 GROUP BY 1 ORDER BY 1",
                run) &&
        section(r, "errors",
                "SELECT error, count(*) AS pages FROM pages WHERE run_id ="
                " ?1 AND error IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1"
                " LIMIT 20",
                run) &&
        section(r, "skipped",
                "SELECT reason, count(*) AS urls FROM skipped WHERE run_id ="
                " ?1 GROUP BY 1 ORDER BY 2 DESC, 1",
                run) &&
        section(r, "hosts",
                "SELECT " AUTHORITY_SQL " AS host, count(*) AS pages FROM"
                " pages WHERE run_id = ?1 GROUP BY 1 ORDER BY 2 DESC, 1"
                " LIMIT 10",
                run) &&
        section(r, "slowest",
                "SELECT id, url, fetch_ms FROM pages WHERE run_id = ?1 ORDER"
                " BY fetch_ms DESC, id LIMIT 5",
                run) &&
        section(r, "counts",
                "SELECT (SELECT count(*) FROM items WHERE run_id = ?1) AS"
                " items, (SELECT count(*) FROM sitemaps WHERE run_id = ?1)"
                " AS sitemaps, (SELECT count(*) FROM skipped WHERE run_id ="
                " ?1) AS skipped",
                run))
        buf_adds(&r->body, "}\n");
}

/* GET /api/runs/N/pages */
static void pages_list(struct api_req *r, long long run)
{
    long long after = 0, limit = SERVE_LIMIT_DEFAULT, status = -1, last = 0,
              n = 0;
    const char *host, *q;
    sqlite3_stmt *st;

    if (!int_arg(r, "after", 0, 1LL << 53, &after) ||
        !int_arg(r, "limit", 1, SERVE_LIMIT_MAX, &limit) ||
        !int_arg(r, "status", 0, 999, &status) ||
        !text_arg(r, "host", 255, &host) || !text_arg(r, "q", 2048, &q))
        return;
    if (!(st = prep(r, "SELECT id, url, final_url, depth, status,"
                       " content_type, bytes, fetch_ms, title, words,"
                       " outlinks, error, fetched_at FROM pages WHERE run_id"
                       " = ?1 AND id > ?2 AND (?3 < 0 OR status = ?3) AND"
                       " (?4 IS NULL OR " AUTHORITY_SQL
                       " = ?4 OR rtrim(" AUTHORITY_SQL
                       ", '0123456789') = ?4 || ':') AND (?5 IS NULL OR"
                       " instr(url, ?5) > 0) ORDER BY id LIMIT ?6")))
        return;
    sqlite3_bind_int64(st, 1, run);
    sqlite3_bind_int64(st, 2, after);
    sqlite3_bind_int64(st, 3, status);
    sqlite3_bind_text(st, 4, host, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, q, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, limit);
    buf_addf(&r->body, "{\"run\": %lld, \"pages\": ", run);
    if (put_rows(r, st, &last, &n))
        end_list(r, n, limit, last);
    sqlite3_finalize(st);
}

/* GET /api/pages/ID: the record, its fields, links and items. */
static void page_detail(struct api_req *r, long long id)
{
    sqlite3_stmt *st = prep(r, "SELECT p.*, r.status AS run_status FROM pages"
                               " p JOIN runs r ON r.id = p.run_id WHERE p.id"
                               " = ?");
    char msg[80], stamp[128];
    long long run;
    bool finished;
    int rc, cols;

    if (!st)
        return;
    sqlite3_bind_int64(st, 1, id);
    if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE) {
            db_error(r);
            return;
        }
        snprintf(msg, sizeof(msg), "no page %lld in this database", id);
        api_error(r, 404, msg);
        return;
    }
    run = sqlite3_column_int64(st, 1);
    cols = sqlite3_column_count(st);
    buf_adds(&r->body, "{\"page\": ");
    put_row(&r->body, st, 0, cols - 1);
    sqlite3_finalize(st);
    if (!find_run(r, run, &finished, stamp, sizeof(stamp)) ||
        (finished && etag_matches(r, run, stamp)))
        return;
    /* List fields hold JSON arrays: passed on as arrays. */
    if (section(r, "fields",
                "SELECT f.name, CASE WHEN s.list AND json_valid(f.value)"
                " THEN json(f.value) ELSE json_quote(f.value) END AS"
                " \"value$\", coalesce(s.list, 0) AS list FROM fields f"
                " JOIN pages p"
                " ON p.id = f.page_id LEFT JOIN selectors s ON s.run_id ="
                " p.run_id AND s.kind = 'field' AND s.name = f.name AND"
                " s.rule IS p.rule WHERE f.page_id = ?1 ORDER BY f.rowid",
                id) &&
        section(r, "links",
                "SELECT url, followable FROM links WHERE page_id = ?1"
                " ORDER BY rowid LIMIT 10000",
                id) &&
        section(r, "items",
                "SELECT id, idx, json(data) AS \"data$\" FROM items WHERE"
                " page_id = ?1 ORDER BY idx",
                id))
        buf_adds(&r->body, "}\n");
}

/* One field.NAME=VALUE filter of an items request. */
struct filter {
    char path[160]; /* the JSON path of NAME in items.data */
    const char *value;
};

struct filters {
    struct api_req *r;
    long long run;
    struct filter f[API_MAX_FILTERS];
    size_t n;
    bool bad;
};

bool api_has_selector(struct api_req *r, long long run, const char *kind,
                      const char *name)
{
    sqlite3_stmt *st = prep(r, "SELECT 1 FROM selectors WHERE run_id = ? AND"
                               " kind = ? AND name = ?");
    bool found;

    if (!st)
        return false;
    sqlite3_bind_int64(st, 1, run);
    sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
    found = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return found;
}

static bool collect_filter(void *ctx, const char *name, const char *value)
{
    struct filters *fs = ctx;
    char msg[300];

    if (strncmp(name, "field.", 6))
        return true;
    if (fs->n == API_MAX_FILTERS) {
        api_error(fs->r, 400, "at most 8 field filters");
        fs->bad = true;
        return false;
    }
    if (strlen(name + 6) > 100 || strchr(name + 6, '"') ||
        !api_has_selector(fs->r, fs->run, "field", name + 6)) {
        snprintf(msg, sizeof(msg), "run %lld has no field '%.100s'", fs->run,
                 name + 6);
        api_error(fs->r, 400, msg);
        fs->bad = true;
        return false;
    }
    snprintf(fs->f[fs->n].path, sizeof(fs->f[fs->n].path), "$.\"%s\"",
             name + 6);
    fs->f[fs->n++].value = value;
    return true;
}

/* GET /api/runs/N/items[?rule=NAME][&field.NAME=VALUE...] */
static void items_list(struct api_req *r, long long run)
{
    struct filters fs = {.r = r, .run = run};
    long long after = 0, limit = SERVE_LIMIT_DEFAULT, last = 0, n = 0;
    const char *rule = r->arg(r->conn, "rule");
    char msg[160];
    struct buf sql;
    sqlite3_stmt *st = NULL;
    size_t i;

    if (!int_arg(r, "after", 0, 1LL << 53, &after) ||
        !int_arg(r, "limit", 1, SERVE_LIMIT_MAX, &limit))
        return;
    if (rule && !api_has_selector(r, run, "rule", rule)) {
        snprintf(msg, sizeof(msg), "run %lld has no rule '%.64s'", run, rule);
        api_error(r, 400, msg);
        return;
    }
    r->each_arg(r->conn, collect_filter, &fs);
    if (fs.bad)
        return;
    /* The statement's text depends only on how many filters there are. */
    buf_init(&sql, 8192);
    buf_adds(&sql, "SELECT i.id, i.page_id, p.url, i.idx, i.rule, json(i.data)"
                   " AS \"data$\" FROM items i JOIN pages p ON p.id ="
                   " i.page_id WHERE i.run_id = ?1 AND i.id > ?2");
    for (i = 0; i < fs.n; i++)
        buf_addf(&sql,
                 " AND EXISTS (SELECT 1 FROM json_each(i.data, ?%zu) WHERE"
                 " json_each.value = ?%zu)",
                 4 + 2 * i, 5 + 2 * i);
    if (rule)
        buf_addf(&sql, " AND i.rule = ?%zu", 4 + 2 * fs.n);
    buf_adds(&sql, " ORDER BY i.id LIMIT ?3");
    st = prep(r, sql.data);
    buf_release(&sql);
    if (!st)
        return;
    sqlite3_bind_int64(st, 1, run);
    sqlite3_bind_int64(st, 2, after);
    sqlite3_bind_int64(st, 3, limit);
    for (i = 0; i < fs.n; i++) {
        sqlite3_bind_text(st, (int)(4 + 2 * i), fs.f[i].path, -1,
                          SQLITE_STATIC);
        sqlite3_bind_text(st, (int)(5 + 2 * i), fs.f[i].value, -1,
                          SQLITE_STATIC);
    }
    if (rule)
        sqlite3_bind_text(st, (int)(4 + 2 * fs.n), rule, -1, SQLITE_STATIC);
    buf_addf(&r->body, "{\"run\": %lld, \"items\": ", run);
    if (put_rows(r, st, &last, &n))
        end_list(r, n, limit, last);
    sqlite3_finalize(st);
}

enum err api_snippet_html(struct buf *b, const char *snippet)
{
    enum err e = ERR_OK;
    const char *p;

    for (p = snippet; *p && !e; p++) {
        if (*p == API_MARK_ON[0])
            e = buf_adds(b, "<mark>");
        else if (*p == API_MARK_OFF[0])
            e = buf_adds(b, "</mark>");
        else
            e = api_html(b, p, 1);
    }
    return e;
}

struct hits {
    struct api_req *r;
    struct buf plain, html;
    enum err e;
};

/* One search result as a JSON object: the snippet as plain text and as
 * HTML (escaped, matches in <mark>). */
static bool put_hit(void *ctx, const struct search_hit *h)
{
    struct hits *hs = ctx;
    struct buf *b = &hs->r->body;
    const char *p;
    enum err e;

    buf_reset(&hs->plain);
    buf_reset(&hs->html);
    e = ERR_OK;
    for (p = h->snippet; *p && !e; p++)
        if (*p != API_MARK_ON[0] && *p != API_MARK_OFF[0])
            e = buf_add(&hs->plain, p, 1);
    if (!e)
        e = api_snippet_html(&hs->html, h->snippet);
    if (!e && b->data[b->len - 1] != '[')
        e = buf_adds(b, ", ");
    if (!e)
        e = buf_addf(b, "{\"page_id\": %lld, \"url\": ", h->page_id);
    if (!e)
        e = json_add_string(b, h->url);
    if (!e)
        e = buf_adds(b, ", \"title\": ");
    if (!e)
        e = json_add_string(b, h->title);
    if (!e)
        e = buf_adds(b, ", \"snippet\": ");
    if (!e)
        e = json_add_string(b, hs->plain.data);
    if (!e)
        e = buf_adds(b, ", \"snippet_html\": ");
    if (!e)
        e = json_add_string(b, hs->html.data);
    if (!e)
        e = buf_addf(b, ", \"score\": %.4g}", h->score);
    hs->e = e;
    return !e;
}

/* The latest run, or 0 when there is none (or the query failed). */
static long long latest_run(struct api_req *r)
{
    sqlite3_stmt *st = prep(r, "SELECT coalesce(max(id), 0) FROM runs");
    long long id = 0;

    if (st && sqlite3_step(st) == SQLITE_ROW)
        id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return id;
}

/* GET /api/search?q=&run=&limit= */
static void search(struct api_req *r)
{
    long long run = 0, limit = 20;
    struct hits hs = {.r = r};
    const char *q;
    char why[400], stamp[128];
    bool finished;
    long n = 0;
    enum err e;

    if (!text_arg(r, "q", 2048, &q) || !int_arg(r, "run", 1, 1LL << 53, &run) ||
        !int_arg(r, "limit", 1, SERVE_LIMIT_MAX, &limit))
        return;
    if (!q) {
        api_error(r, 400, "q (the FTS5 query) is missing");
        return;
    }
    if (!run && !(run = latest_run(r))) {
        api_error(r, 404, "the database holds no runs");
        return;
    }
    if (!find_run(r, run, &finished, stamp, sizeof(stamp)) ||
        (finished && etag_matches(r, run, stamp)))
        return;
    buf_init(&hs.plain, 1 << 20);
    buf_init(&hs.html, 1 << 22);
    buf_addf(&r->body, "{\"run\": %lld, \"query\": ", run);
    json_add_string(&r->body, q);
    buf_adds(&r->body, ", \"results\": [");
    e = search_run(r->search, run, q, (long)limit, API_MARK_ON, API_MARK_OFF,
                   put_hit, &hs, &n, why, sizeof(why));
    if (!e && hs.e)
        e = hs.e;
    if (r->timed_out)
        db_error(r);
    else if (e == ERR_INVALID)
        api_error(r, 400, why);
    else if (e)
        api_error(r, 500, e == ERR_NOMEM ? "out of memory" : why);
    else
        buf_addf(&r->body, "], \"count\": %ld}\n", n);
    buf_release(&hs.plain);
    buf_release(&hs.html);
}

/* GET /api/runs/N/dupes?distance=K: clusters of near-duplicate pages. */
static void dupes(struct api_req *r, long long run)
{
    long long distance = 3;
    sqlite3_stmt *st;
    uint64_t *hash = NULL;
    long long *ids = NULL;
    size_t n = 0, cap = 0, i, j, *root = NULL, clusters = 0;
    bool *done = NULL;
    int rc;

    if (!int_arg(r, "distance", 0, DUPES_DISTANCE_MAX, &distance))
        return;
    if (!(st = prep(r, "SELECT id, simhash FROM pages WHERE run_id = ? AND"
                       " simhash IS NOT NULL AND simhash != 0 ORDER BY id")))
        return;
    sqlite3_bind_int64(st, 1, run);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 256;
            uint64_t *nh = realloc(hash, ncap * sizeof(*nh));
            long long *ni = nh ? realloc(ids, ncap * sizeof(*ni)) : NULL;
            if (nh)
                hash = nh;
            if (!ni)
                break;
            ids = ni;
            cap = ncap;
        }
        ids[n] = sqlite3_column_int64(st, 0);
        hash[n++] = (uint64_t)sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        if (rc == SQLITE_ROW)
            api_error(r, 500, "out of memory");
        else
            db_error(r);
        goto out;
    }
    root = malloc((n + 1) * sizeof(*root));
    done = calloc(n + 1, 1);
    if (!root || !done || dupes_cluster(hash, n, (int)distance, root)) {
        api_error(r, 500, "out of memory");
        goto out;
    }
    /* Clusters in the order of their first page; each page's id and
     * fingerprint.  (Sorting by size is the client's to do.) */
    buf_addf(&r->body, "{\"run\": %lld, \"distance\": %lld, \"clusters\": [",
             run, distance);
    for (i = 0; i < n; i++) {
        size_t members = 0;
        if (done[i] || root[i] != i)
            continue;
        for (j = i; j < n; j++)
            members += root[j] == i;
        if (members < 2)
            continue;
        buf_addf(&r->body, "%s[", clusters++ ? ", " : "");
        for (j = i, members = 0; j < n; j++)
            if (root[j] == i) {
                done[j] = true;
                buf_addf(&r->body,
                         "%s{\"page_id\": %lld, \"simhash\":"
                         " \"%016llx\"}",
                         members++ ? ", " : "", ids[j],
                         (unsigned long long)hash[j]);
            }
        buf_adds(&r->body, "]");
    }
    buf_addf(&r->body, "], \"pages\": %zu}\n", n);
out:
    free(hash);
    free(ids);
    free(root);
    free(done);
}

void api_answer(struct api_req *r)
{
    const char *p = r->path, *rest;
    char num[24], stamp[128];
    long long id;
    bool finished;
    size_t k;

    r->status = 200;
    if (!strcmp(p, "/api/runs") || !strcmp(p, "/api/runs/")) {
        runs_list(r);
        return;
    }
    if (!strcmp(p, "/api/search")) {
        search(r);
        if (r->status != 200)
            r->etag[0] = '\0';
        return;
    }
    if (!strncmp(p, "/api/pages/", 11)) {
        if (!parse_id(p + 11, &id)) {
            api_error(r, 404, "no such page: ids are whole numbers");
            return;
        }
        page_detail(r, id);
        return;
    }
    if (strncmp(p, "/api/runs/", 10)) {
        api_error(r, 404, "no such path; try /api/runs");
        return;
    }
    k = strcspn(p + 10, "/");
    rest = p + 10 + k;
    if (!k || k >= sizeof(num)) {
        api_error(r, 404, "no such run: ids are whole numbers");
        return;
    }
    memcpy(num, p + 10, k);
    num[k] = '\0';
    if (!parse_id(num, &id)) {
        api_error(r, 404, "no such run: ids are whole numbers");
        return;
    }
    if (strcmp(rest, "") && strcmp(rest, "/pages") && strcmp(rest, "/items") &&
        strcmp(rest, "/dupes")) {
        api_error(r, 404, "no such path; a run has /pages, /items and /dupes");
        return;
    }
    if (!find_run(r, id, &finished, stamp, sizeof(stamp)) ||
        (finished && etag_matches(r, id, stamp)))
        return;
    if (!strcmp(rest, ""))
        run_detail(r, id);
    else if (!strcmp(rest, "/pages"))
        pages_list(r, id);
    else if (!strcmp(rest, "/dupes"))
        dupes(r, id);
    else
        items_list(r, id);
    /* An error answer carries no ETag. */
    if (r->status != 200)
        r->etag[0] = '\0';
}
