/*
 * query.c - the read-only database behind the subcommands (see query.h):
 * opening it, choosing the run, `scrape stats` and `scrape dupes`.
 * export.c, report.c and search.c hold the other subcommands, on the
 * same struct query (query_db.h).
 *
 * Each report is a handful of SQL statements whose rows are printed as
 * they come.  Near-duplicates are clustered by dupes.c.
 */
#include "scrape/query.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "scrape/dupes.h"
#include "query_db.h"
#include "scrape/search.h"
#include "scrape/store.h"

const char *query_errmsg(const struct query *q)
{
    return q->msg;
}

enum err query_fail(struct query *q, const char *what)
{
    snprintf(q->msg, sizeof(q->msg), "%s: %s", what, sqlite3_errmsg(q->db));
    return ERR_DB;
}

enum err query_prep(struct query *q, const char *sql, sqlite3_stmt **st)
{
    if (sqlite3_prepare_v2(q->db, sql, -1, st, NULL) != SQLITE_OK)
        return query_fail(q, "cannot query the database");
    return ERR_OK;
}

/* Runs a one-value query; -1 on error. */
long long query_scalar(struct query *q, const char *sql, int64_t run_id)
{
    sqlite3_stmt *st = NULL;
    long long v = -1;

    if (query_prep(q, sql, &st))
        return -1;
    sqlite3_bind_int64(st, 1, run_id);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

enum err query_compared_label(struct query *q, char *out, size_t n)
{
    long long id = query_scalar(q,
                                "SELECT coalesce(max(compare_id), 0) FROM runs"
                                " WHERE status = 'done'",
                                0),
              each;

    if (id < 0)
        return query_fail(q, "cannot read runs");
    if (!id) {
        snprintf(out, n, "the latest run of each mode");
        return ERR_OK;
    }
    each = query_scalar(q,
                        "SELECT coalesce(max(c), 0) FROM (SELECT count(*) AS c"
                        " FROM runs WHERE compare_id = ? AND status = 'done'"
                        " GROUP BY mode)",
                        id);
    if (each < 0)
        return query_fail(q, "cannot read runs");
    if (each > 1)
        snprintf(out, n, "comparison %lld (%lld runs of each mode)", id, each);
    else
        snprintf(out, n, "comparison %lld (one run of each mode)", id);
    return ERR_OK;
}

enum err query_open(const char *path, struct query **out, char **why)
{
    struct query *q = calloc(1, sizeof(*q));
    long long version;
    enum err e = ERR_DB;
    char msg[600];

    *out = NULL;
    *why = NULL;
    if (!q)
        return ERR_NOMEM;
    if (sqlite3_open_v2(path, &q->db, SQLITE_OPEN_READONLY, NULL) !=
        SQLITE_OK) {
        snprintf(msg, sizeof(msg), "cannot open '%.400s': %s", path,
                 sqlite3_errmsg(q->db));
        e = ERR_IO;
        goto fail;
    }
    sqlite3_busy_timeout(q->db, 5000);
    version = query_scalar(q, "PRAGMA user_version", 0);
    if (version < 0) {
        snprintf(msg, sizeof(msg), "cannot read '%.400s': %s", path,
                 sqlite3_errmsg(q->db));
        goto fail;
    }
    if (version == 0 || query_scalar(q,
                                     "SELECT count(*) FROM sqlite_master WHERE"
                                     " name = 'runs'",
                                     0) != 1) {
        snprintf(msg, sizeof(msg), "'%.400s' is not a scrape database", path);
        goto fail;
    }
    if (version > STORE_SCHEMA_VERSION) {
        snprintf(msg, sizeof(msg),
                 "'%.400s' was written by a newer scrape (schema %lld)", path,
                 version);
        goto fail;
    }
    if (version < STORE_SCHEMA_VERSION) {
        snprintf(msg, sizeof(msg),
                 "'%.400s' has an old schema (%lld); run a crawl into it once"
                 " to upgrade it",
                 path, version);
        goto fail;
    }
    *out = q;
    return ERR_OK;
fail:
    *why = strdup(msg);
    query_close(q);
    return e;
}

enum err query_on(struct sqlite3 *db, struct query **out)
{
    struct query *q = calloc(1, sizeof(*q));

    *out = q;
    if (!q)
        return ERR_NOMEM;
    q->db = db;
    q->borrowed = true;
    return ERR_OK;
}

void query_close(struct query *q)
{
    if (!q)
        return;
    if (!q->borrowed)
        sqlite3_close(q->db);
    /* After the connection: FTS5 held a pointer into it until then. */
    search_free(q->search);
    free(q);
}

enum err query_run(struct query *q, long requested, int64_t *run_id)
{
    long long id =
        requested > 0
            ? query_scalar(q, "SELECT id FROM runs WHERE id = ?", requested)
            : query_scalar(q, "SELECT max(id) FROM runs", 0);

    if (id <= 0) {
        if (requested > 0)
            snprintf(q->msg, sizeof(q->msg), "no run %ld in this database",
                     requested);
        else
            snprintf(q->msg, sizeof(q->msg), "the database holds no runs");
        return ERR_INVALID;
    }
    *run_id = id;
    return ERR_OK;
}

/* Prints `tmpl` with each "{}" replaced by the next column of the row
 * (NULL as "-").  Column widths come from the SQL (printf('%6d', ...)),
 * so no format string is built at run time. */
static void print_row(FILE *out, const char *tmpl, sqlite3_stmt *st)
{
    int col = 0, n = sqlite3_column_count(st);

    for (; *tmpl; tmpl++) {
        if (tmpl[0] == '{' && tmpl[1] == '}') {
            const unsigned char *t =
                col < n ? sqlite3_column_text(st, col) : NULL;
            fputs(t ? (const char *)t : "-", out);
            col++;
            tmpl++;
        } else {
            fputc(*tmpl, out);
        }
    }
}

/* Prints every row of `sql` (its ?1 bound to run_id) through `tmpl`. */
static enum err rows(struct query *q, FILE *out, const char *sql,
                     int64_t run_id, const char *tmpl)
{
    sqlite3_stmt *st = NULL;
    enum err e;
    int rc;

    if ((e = query_prep(q, sql, &st)))
        return e;
    if (sqlite3_bind_parameter_count(st) > 0)
        sqlite3_bind_int64(st, 1, run_id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        print_row(out, tmpl, st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? ERR_OK
                             : query_fail(q, "cannot read the database");
}

/* The host:port of pages.url, as SQL. */
#define HOST_SQL                                                               \
    "substr(substr(url, instr(url, '://') + 3), 1,"                            \
    " instr(substr(url, instr(url, '://') + 3) || '/', '/') - 1)"

static enum err run_summary(struct query *q, int64_t run_id, FILE *out)
{
    enum err e;

    e = rows(q, out,
             "SELECT id, mode, workers, concurrency, depth, seeds FROM runs"
             " WHERE id = ?",
             run_id,
             "run {}: {}, {} worker(s), concurrency {}, depth {}, seeds {}\n");
    if (!e)
        e = rows(q, out,
                 "SELECT started_at, printf('%.2f', wall_ms / 1000.0),"
                 " printf('%.0f', pages * 1000.0 / max(wall_ms, 1)),"
                 " printf('%.2f', (cpu_user_ms + cpu_sys_ms) / 1000.0),"
                 " printf('%.1f', peak_rss_kb / 1024.0), status"
                 " FROM runs WHERE id = ?",
                 run_id,
                 "  started {}, wall {} s, {} pages/s, CPU {} s, peak {} MB,"
                 " {}\n");
    if (!e)
        e = rows(q, out,
                 "SELECT count(*), sum(status BETWEEN 200 AND 299),"
                 " sum(status BETWEEN 300 AND 399),"
                 " sum(status BETWEEN 400 AND 499),"
                 " sum(status BETWEEN 500 AND 599), sum(status = 0)"
                 " FROM pages WHERE run_id = ?",
                 run_id,
                 "  pages {}: 2xx {}, 3xx {}, 4xx {}, 5xx {}, no answer {}\n");
    if (!e)
        e = rows(q, out,
                 "SELECT printf('%.1f', coalesce(sum(bytes), 0) / 1048576.0),"
                 " coalesce(sum(words), 0), count(error),"
                 " (SELECT count(*) FROM skipped WHERE run_id = ?1)"
                 " FROM pages WHERE run_id = ?1",
                 run_id, "  {} MB, {} words, {} errors, {} skipped\n");
    /* Only for runs that extracted something (--item or --field). */
    if (!e && query_scalar(q, "SELECT count(*) FROM selectors WHERE run_id = ?",
                           run_id) > 0)
        e = rows(q, out,
                 "SELECT (SELECT count(*) FROM items WHERE run_id = ?1),"
                 " (SELECT count(DISTINCT page_id) FROM items"
                 " WHERE run_id = ?1),"
                 " (SELECT count(*) FROM selectors WHERE run_id = ?1"
                 " AND kind = 'field')",
                 run_id, "  items {} (on {} pages), {} fields\n");
    /* Only for spiders (--rule): pages and items per rule, and the links
     * each rule's pages left out (--follow, --no-follow). */
    if (!e && query_scalar(q,
                           "SELECT count(*) FROM selectors WHERE run_id = ?"
                           " AND kind = 'rule'",
                           run_id) > 0)
        e = rows(q, out,
                 "SELECT coalesce(r.name, '(no rule)'), (SELECT count(*) FROM"
                 " pages p WHERE p.run_id = ?1 AND p.rule IS r.name),"
                 " (SELECT count(*) FROM items i WHERE i.run_id = ?1 AND"
                 " i.rule IS r.name), (SELECT coalesce(sum(unfollowed), 0)"
                 " FROM pages p WHERE p.run_id = ?1 AND p.rule IS r.name)"
                 " FROM (SELECT name, pos FROM selectors WHERE run_id = ?1"
                 " AND kind = 'rule' UNION ALL SELECT NULL, 1000000) r"
                 " ORDER BY r.pos",
                 run_id,
                 "  rule {}: {} pages, {} items, {} links not followed\n");
    /* Only for recrawls (--recrawl): what changed since the run recrawled,
     * and that run's URLs this one did not reach again. */
    if (!e && query_scalar(q,
                           "SELECT count(*) FROM pages WHERE run_id = ?"
                           " AND change IS NOT NULL",
                           run_id) > 0)
        e = rows(q, out,
                 "SELECT sum(change = 'unchanged'), sum(change = 'changed'),"
                 " sum(change = 'new'), sum(change = 'gone'),"
                 " sum(change = 'failed') FROM pages WHERE run_id = ?",
                 run_id,
                 "  changes: unchanged {}, changed {}, new {}, gone {},"
                 " failed {}\n");
    if (!e && query_scalar(q, "SELECT count(*) FROM sitemaps WHERE run_id = ?",
                           run_id) > 0)
        e = rows(q, out,
                 "SELECT count(*), coalesce(sum(urls), 0), count(error)"
                 " FROM sitemaps WHERE run_id = ?",
                 run_id, "  sitemaps {} read, {} URLs listed, {} errors\n");
    return e;
}

/* The per-run lists of `scrape stats`: heading, query, row template. */
static const struct {
    const char *heading, *sql, *tmpl;
} details[] = {
    {"errors by kind",
     "SELECT printf('%6d', count(*)), error FROM pages WHERE run_id = ? AND"
     " error IS NOT NULL GROUP BY error ORDER BY count(*) DESC, error"
     " LIMIT 20",
     "    {}  {}\n"},
    {"skipped by reason",
     "SELECT printf('%6d', count(*)), reason FROM skipped WHERE run_id = ?"
     " GROUP BY reason ORDER BY count(*) DESC",
     "    {}  {}\n"},
    {"slowest pages",
     "SELECT printf('%6d', fetch_ms), url FROM pages WHERE run_id = ?"
     " ORDER BY fetch_ms DESC, id LIMIT 10",
     "    {} ms  {}\n"},
    {"top hosts",
     "SELECT printf('%6d', count(*)), " HOST_SQL " AS host FROM pages"
     " WHERE run_id = ? GROUP BY host ORDER BY count(*) DESC, host LIMIT 10",
     "    {}  {}\n"},
};

static enum err run_details(struct query *q, int64_t run_id, FILE *out)
{
    enum err e = ERR_OK;
    size_t i;

    for (i = 0; i < sizeof(details) / sizeof(details[0]) && !e; i++) {
        fprintf(out, "  %s:\n", details[i].heading);
        e = rows(q, out, details[i].sql, run_id, details[i].tmpl);
    }
    return e;
}

enum err query_stats(struct query *q, int64_t run_id, FILE *out)
{
    char label[128];
    enum err e;

    if ((e = run_summary(q, run_id, out)) || (e = run_details(q, run_id, out)))
        return e;
    if (query_scalar(q, "SELECT count(DISTINCT mode) FROM runs", 0) < 2)
        return ERR_OK;
    if ((e = query_compared_label(q, label, sizeof(label))))
        return e;
    fprintf(out, "\nby mode: %s\n%-8s %5s %7s %8s %8s %7s %8s\n", label, "mode",
            "run", "pages", "wall_s", "pages/s", "cpu_s", "peak_MB");
    return rows(q, out,
                "SELECT printf('%-8s %5d %7d %8.2f %8.0f %7.2f %8.1f', mode,"
                " id, pages, wall_ms / 1000.0,"
                " pages * 1000.0 / max(wall_ms, 1),"
                " (cpu_user_ms + cpu_sys_ms) / 1000.0, peak_rss_kb / 1024.0)"
                " FROM runs WHERE id IN " QUERY_COMPARED_RUNS
                " ORDER BY mode, id",
                0, "{}\n");
}

/* ---- near-duplicates ---- */

struct dupes {
    uint64_t *hash;
    char **url;
    size_t n, cap;
    size_t *root; /* dupes_cluster() */
};

static enum err load_fingerprints(struct query *q, int64_t run_id,
                                  struct dupes *d)
{
    sqlite3_stmt *st = NULL;
    enum err e;
    int rc;

    if ((e = query_prep(q,
                        "SELECT simhash, url FROM pages WHERE run_id = ? AND"
                        " simhash IS NOT NULL AND simhash != 0 ORDER BY id",
                        &st)))
        return e;
    sqlite3_bind_int64(st, 1, run_id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (d->n == d->cap) {
            size_t ncap = d->cap ? d->cap * 2 : 256;
            uint64_t *nh = realloc(d->hash, ncap * sizeof(*nh));
            char **nu = nh ? realloc(d->url, ncap * sizeof(*nu)) : NULL;
            if (nh)
                d->hash = nh;
            if (!nu) {
                sqlite3_finalize(st);
                return ERR_NOMEM;
            }
            d->url = nu;
            d->cap = ncap;
        }
        d->hash[d->n] = (uint64_t)sqlite3_column_int64(st, 0);
        d->url[d->n] = strdup((const char *)sqlite3_column_text(st, 1));
        if (!d->url[d->n]) {
            sqlite3_finalize(st);
            return ERR_NOMEM;
        }
        d->n++;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? ERR_OK
                             : query_fail(q, "cannot read fingerprints");
}

static int by_cluster(const void *a, const void *b)
{
    const size_t *x = a, *y = b;

    /* [0] = cluster size (desc), [1] = root, [2] = index */
    if (x[0] != y[0])
        return x[0] < y[0] ? 1 : -1;
    if (x[1] != y[1])
        return x[1] < y[1] ? -1 : 1;
    return x[2] < y[2] ? -1 : x[2] > y[2];
}

static enum err print_clusters(const struct dupes *d, int distance, FILE *out)
{
    size_t *rows3 = malloc(d->n * 3 * sizeof(*rows3) + 1), *size, i;
    size_t clusters = 0, current = (size_t)-1;

    size = calloc(d->n + 1, sizeof(*size));
    if (!rows3 || !size) {
        free(rows3);
        free(size);
        return ERR_NOMEM;
    }
    for (i = 0; i < d->n; i++)
        size[d->root[i]]++;
    for (i = 0; i < d->n; i++) {
        rows3[3 * i] = size[d->root[i]];
        rows3[3 * i + 1] = d->root[i];
        rows3[3 * i + 2] = i;
    }
    qsort(rows3, d->n, 3 * sizeof(*rows3), by_cluster);
    for (i = 0; i < d->n && rows3[3 * i] > 1; i++) {
        if (rows3[3 * i + 1] != current) {
            current = rows3[3 * i + 1];
            fprintf(out, "%scluster %zu: %zu pages\n", clusters ? "\n" : "",
                    clusters + 1, rows3[3 * i]);
            clusters++;
        }
        fprintf(out, "  %016llx  %s\n",
                (unsigned long long)d->hash[rows3[3 * i + 2]],
                d->url[rows3[3 * i + 2]]);
    }
    fprintf(out,
            "%s%zu clusters of near-duplicates (within %d bits) among"
            " %zu pages\n",
            clusters ? "\n" : "", clusters, distance, d->n);
    free(rows3);
    free(size);
    return ERR_OK;
}

enum err query_dupes(struct query *q, int64_t run_id, int distance, FILE *out)
{
    struct dupes d;
    enum err e;
    size_t i;

    memset(&d, 0, sizeof(d));
    if ((e = load_fingerprints(q, run_id, &d)))
        goto out;
    if (!(d.root = malloc((d.n + 1) * sizeof(*d.root)))) {
        e = ERR_NOMEM;
        goto out;
    }
    if (!(e = dupes_cluster(d.hash, d.n, distance, d.root)))
        e = print_clusters(&d, distance, out);
out:
    for (i = 0; i < d.n; i++)
        free(d.url[i]);
    free(d.hash);
    free(d.url);
    free(d.root);
    return e;
}
