/*
 * query.c - read-only queries behind the subcommands (see query.h).
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

#include "scrape/buf.h"
#include "scrape/dupes.h"
#include "scrape/ftsq.h"
#include "scrape/store.h"
#include "scrape/utf8.h"

struct query {
    sqlite3 *db;
    char msg[512];
};

const char *query_errmsg(const struct query *q)
{
    return q->msg;
}

static enum err fail(struct query *q, const char *what)
{
    snprintf(q->msg, sizeof(q->msg), "%s: %s", what, sqlite3_errmsg(q->db));
    return ERR_DB;
}

static enum err prep(struct query *q, const char *sql, sqlite3_stmt **st)
{
    if (sqlite3_prepare_v2(q->db, sql, -1, st, NULL) != SQLITE_OK)
        return fail(q, "cannot query the database");
    return ERR_OK;
}

/* Runs a one-value query; -1 on error. */
static long long scalar(struct query *q, const char *sql, int64_t run_id)
{
    sqlite3_stmt *st = NULL;
    long long v = -1;

    if (prep(q, sql, &st))
        return -1;
    sqlite3_bind_int64(st, 1, run_id);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
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
    version = scalar(q, "PRAGMA user_version", 0);
    if (version < 0) {
        snprintf(msg, sizeof(msg), "cannot read '%.400s': %s", path,
                 sqlite3_errmsg(q->db));
        goto fail;
    }
    if (version == 0 || scalar(q,
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

void query_close(struct query *q)
{
    if (!q)
        return;
    sqlite3_close(q->db);
    free(q);
}

enum err query_run(struct query *q, long requested, int64_t *run_id)
{
    long long id =
        requested > 0 ? scalar(q, "SELECT id FROM runs WHERE id = ?", requested)
                      : scalar(q, "SELECT max(id) FROM runs", 0);

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

    if ((e = prep(q, sql, &st)))
        return e;
    if (sqlite3_bind_parameter_count(st) > 0)
        sqlite3_bind_int64(st, 1, run_id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        print_row(out, tmpl, st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? ERR_OK : fail(q, "cannot read the database");
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
    if (!e && scalar(q, "SELECT count(*) FROM selectors WHERE run_id = ?",
                     run_id) > 0)
        e = rows(q, out,
                 "SELECT (SELECT count(*) FROM items WHERE run_id = ?1),"
                 " (SELECT count(DISTINCT page_id) FROM items"
                 " WHERE run_id = ?1),"
                 " (SELECT count(*) FROM selectors WHERE run_id = ?1"
                 " AND kind = 'field')",
                 run_id, "  items {} (on {} pages), {} fields\n");
    if (!e &&
        scalar(q, "SELECT count(*) FROM sitemaps WHERE run_id = ?", run_id) > 0)
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
    enum err e;

    if ((e = run_summary(q, run_id, out)) || (e = run_details(q, run_id, out)))
        return e;
    if (scalar(q, "SELECT count(DISTINCT mode) FROM runs", 0) < 2)
        return ERR_OK;
    fprintf(out,
            "\nlatest run of each mode:\n%-8s %5s %7s %8s %8s %7s"
            " %8s\n",
            "mode", "run", "pages", "wall_s", "pages/s", "cpu_s", "peak_MB");
    return rows(q, out,
                "SELECT printf('%-8s %5d %7d %8.2f %8.0f %7.2f %8.1f', mode,"
                " id, pages, wall_ms / 1000.0,"
                " pages * 1000.0 / max(wall_ms, 1),"
                " (cpu_user_ms + cpu_sys_ms) / 1000.0, peak_rss_kb / 1024.0)"
                " FROM runs WHERE id IN (SELECT max(id) FROM runs"
                " WHERE wall_ms IS NOT NULL GROUP BY mode) ORDER BY mode",
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

    if ((e = prep(q,
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
    return rc == SQLITE_DONE ? ERR_OK : fail(q, "cannot read fingerprints");
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

/* ---- export ---- */

/* The page columns every record has, in order. */
static const char *const export_cols[] = {
    "url",       "final_url", "depth",     "status",      "content_type",
    "bytes",     "fetch_ms",  "title",     "description", "lang",
    "canonical", "h1",        "words",     "outlinks",    "simhash",
    "attempts",  "error",     "fetched_at"};
#define NCOLS (sizeof(export_cols) / sizeof(export_cols[0]))

static void csv_value(FILE *out, const char *v)
{
    /* RFC 4180: quote when needed, double the quotes inside. */
    if (!strpbrk(v, ",\"\r\n")) {
        fputs(v, out);
        return;
    }
    fputc('"', out);
    for (; *v; v++) {
        if (*v == '"')
            fputc('"', out);
        fputc(*v, out);
    }
    fputc('"', out);
}

static void json_string(FILE *out, const char *v)
{
    fputc('"', out);
    for (; *v; v++) {
        unsigned char c = (unsigned char)*v;
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", out);
        else if (c == '\r')
            fputs("\\r", out);
        else if (c == '\t')
            fputs("\\t", out);
        else if (c < 0x20)
            fprintf(out, "\\u%04x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

/* One output value: NULL is empty in CSV and null in JSON; numbers stay
 * numbers in JSON. */
static void put_value(FILE *out, enum query_format f, sqlite3_stmt *st, int col)
{
    int type = sqlite3_column_type(st, col);
    const char *text = (const char *)sqlite3_column_text(st, col);

    if (f == QUERY_CSV) {
        csv_value(out, text ? text : "");
    } else if (type == SQLITE_NULL) {
        fputs("null", out);
    } else if (type == SQLITE_INTEGER || type == SQLITE_FLOAT) {
        fputs(text, out);
    } else {
        json_string(out, text);
    }
}

struct field_names {
    char **v;
    bool *json; /* the value is a JSON array (a list field) */
    size_t n;
};

static void field_names_release(struct field_names *fn)
{
    size_t i;

    for (i = 0; i < fn->n; i++)
        free(fn->v[i]);
    free(fn->v);
    free(fn->json);
    memset(fn, 0, sizeof(*fn));
}

/* Loads field names and their list flag from `sql`'s (name, list) rows,
 * its ?1 bound to run_id. */
static enum err load_names(struct query *q, const char *sql, int64_t run_id,
                           struct field_names *fn)
{
    sqlite3_stmt *st = NULL;
    enum err e;

    memset(fn, 0, sizeof(*fn));
    if ((e = prep(q, sql, &st)))
        return e;
    sqlite3_bind_int64(st, 1, run_id);
    while (!e && sqlite3_step(st) == SQLITE_ROW) {
        char **nv = realloc(fn->v, (fn->n + 1) * sizeof(*nv));
        bool *nj;
        if (nv)
            fn->v = nv;
        nj = nv ? realloc(fn->json, (fn->n + 1) * sizeof(*nj)) : NULL;
        if (nj)
            fn->json = nj;
        if (!nj ||
            !(nv[fn->n] = strdup((const char *)sqlite3_column_text(st, 0)))) {
            e = ERR_NOMEM;
            break;
        }
        nj[fn->n++] = sqlite3_column_int(st, 1) != 0;
    }
    sqlite3_finalize(st);
    return e;
}

static void header(FILE *out, enum query_format f, const struct field_names *fn)
{
    size_t i;

    if (f != QUERY_CSV)
        return;
    for (i = 0; i < NCOLS; i++)
        fprintf(out, "%s%s", i ? "," : "", export_cols[i]);
    for (i = 0; i < fn->n; i++) {
        fputc(',', out);
        csv_value(out, fn->v[i]);
    }
    fputs("\r\n", out);
}

/* Writes one record: the page row, then its fields.  `fst` is positioned
 * on this page's first field row (or later); fields come ordered by
 * page_id then name, so the two statements are merged as they stream. */
static int write_record(FILE *out, enum query_format f, sqlite3_stmt *pst,
                        sqlite3_stmt *fst, int frc,
                        const struct field_names *fn)
{
    int64_t id = sqlite3_column_int64(pst, NCOLS);
    size_t i, k = 0;

    if (f == QUERY_JSONL)
        fputc('{', out);
    for (i = 0; i < NCOLS; i++) {
        if (f == QUERY_JSONL)
            fprintf(out, "%s\"%s\":", i ? "," : "", export_cols[i]);
        else if (i)
            fputc(',', out);
        put_value(out, f, pst, (int)i);
    }
    while (frc == SQLITE_ROW && sqlite3_column_int64(fst, 0) < id)
        frc = sqlite3_step(fst);
    for (k = 0; k < fn->n; k++) {
        bool match =
            frc == SQLITE_ROW && sqlite3_column_int64(fst, 0) == id &&
            !strcmp((const char *)sqlite3_column_text(fst, 1), fn->v[k]);
        if (f == QUERY_JSONL) {
            fputc(',', out);
            json_string(out, fn->v[k]);
            fputc(':', out);
        } else {
            fputc(',', out);
        }
        if (match && f == QUERY_JSONL && fn->json[k]) {
            fputs((const char *)sqlite3_column_text(fst, 2), out);
            frc = sqlite3_step(fst);
        } else if (match) {
            put_value(out, f, fst, 2);
            frc = sqlite3_step(fst);
        } else if (f == QUERY_JSONL) {
            fputs("null", out);
        }
    }
    fputs(f == QUERY_JSONL ? "}\n" : "\r\n", out);
    return frc;
}

/* SELECT url, idx and one column per field from the run's items: the
 * field's JSON (JSON lines, and CSV lists) or its text (CSV plain). */
static enum err prep_items(struct query *q, const struct field_names *f,
                           enum query_format format, sqlite3_stmt **st)
{
    struct buf sql, path;
    enum err e;
    size_t i;

    buf_init(&sql, 1 << 20);
    buf_init(&path, 4096);
    e = buf_adds(&sql, "SELECT p.url, i.idx");
    for (i = 0; i < f->n && !e; i++)
        e = buf_addf(&sql, ", i.data %s ?%zu",
                     format == QUERY_CSV && !f->json[i] ? "->>" : "->", i + 2);
    if (!e)
        e = buf_adds(&sql, " FROM items i JOIN pages p ON p.id = i.page_id"
                           " WHERE i.run_id = ?1 ORDER BY i.id");
    if (!e)
        e = prep(q, sql.data, st);
    for (i = 0; i < f->n && !e; i++) {
        /* cli.c keeps '"' and '\' out of names: the path needs no
         * escaping. */
        buf_reset(&path);
        if (!(e = buf_addf(&path, "$.\"%s\"", f->v[i])))
            sqlite3_bind_text(*st, (int)i + 2, path.data, -1, SQLITE_TRANSIENT);
    }
    buf_release(&sql);
    buf_release(&path);
    return e;
}

static void write_item(FILE *out, enum query_format f, sqlite3_stmt *st,
                       const struct field_names *fields)
{
    size_t i;

    if (f == QUERY_CSV) {
        for (i = 0; i < fields->n + 2; i++) {
            const char *v = (const char *)sqlite3_column_text(st, (int)i);
            if (i)
                fputc(',', out);
            csv_value(out, v ? v : "");
        }
        fputs("\r\n", out);
        return;
    }
    fputs("{\"url\":", out);
    json_string(out, (const char *)sqlite3_column_text(st, 0));
    fprintf(out, ",\"idx\":%lld", (long long)sqlite3_column_int64(st, 1));
    for (i = 0; i < fields->n; i++) {
        const char *v = (const char *)sqlite3_column_text(st, (int)i + 2);
        fputc(',', out);
        json_string(out, fields->v[i]);
        fputc(':', out);
        /* Already JSON: the stored item's own value. */
        fputs(v ? v : "null", out);
    }
    fputs("}\n", out);
}

/* One record per item: url, idx, then the fields in the order given. */
static enum err export_items(struct query *q, int64_t run_id,
                             enum query_format format, FILE *out)
{
    struct field_names fn, *f = &fn;
    sqlite3_stmt *st = NULL;
    enum err e;
    size_t i;
    int rc;

    if ((e = load_names(q,
                        "SELECT name, list FROM selectors WHERE run_id = ?1"
                        " AND kind = 'field' ORDER BY pos",
                        run_id, &fn)) ||
        (e = prep_items(q, f, format, &st))) {
        field_names_release(&fn);
        return e;
    }
    sqlite3_bind_int64(st, 1, run_id);
    if (format == QUERY_CSV) {
        fputs("url,idx", out);
        for (i = 0; i < f->n; i++) {
            fputc(',', out);
            csv_value(out, f->v[i]);
        }
        fputs("\r\n", out);
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        write_item(out, format, st, f);
    sqlite3_finalize(st);
    field_names_release(&fn);
    if (rc != SQLITE_DONE)
        return fail(q, "cannot read items");
    return ferror(out) ? ERR_IO : ERR_OK;
}

static enum err export_pages(struct query *q, int64_t run_id,
                             enum query_format format, FILE *out);

enum err query_export(struct query *q, int64_t run_id, enum query_format format,
                      FILE *out)
{
    long long items = scalar(q,
                             "SELECT count(*) FROM selectors WHERE run_id = ?"
                             " AND kind = 'item'",
                             run_id);

    if (items < 0)
        return fail(q, "cannot read the run's selectors");
    return items ? export_items(q, run_id, format, out)
                 : export_pages(q, run_id, format, out);
}

/* One record per page, the page-level --field values as keys or columns
 * (lists as JSON arrays). */
static enum err export_pages(struct query *q, int64_t run_id,
                             enum query_format format, FILE *out)
{
    sqlite3_stmt *pst = NULL, *fst = NULL;
    struct field_names fn;
    enum err e;
    int rc, frc;

    /* Names in order, each with whether the run gave it as a list field
     * (its values are JSON arrays). */
    if ((e = load_names(q,
                        "SELECT f.name, max(coalesce(s.list, 0)) FROM fields f"
                        " JOIN pages p ON p.id = f.page_id LEFT JOIN selectors"
                        " s ON s.run_id = p.run_id AND s.kind = 'field' AND"
                        " s.name = f.name WHERE p.run_id = ?1"
                        " GROUP BY f.name ORDER BY f.name",
                        run_id, &fn)))
        goto out;
    if ((e = prep(q,
                  "SELECT url, final_url, depth, status, content_type, bytes,"
                  " fetch_ms, title, description, lang, canonical, h1, words,"
                  " outlinks, printf('%016x', simhash), attempts, error,"
                  " fetched_at, id FROM pages WHERE run_id = ? ORDER BY id",
                  &pst)) ||
        (e = prep(q,
                  "SELECT f.page_id, f.name, f.value FROM fields f JOIN"
                  " pages p ON p.id = f.page_id WHERE p.run_id = ?"
                  " ORDER BY f.page_id, f.name",
                  &fst)))
        goto out;
    sqlite3_bind_int64(pst, 1, run_id);
    sqlite3_bind_int64(fst, 1, run_id);
    header(out, format, &fn);
    frc = sqlite3_step(fst);
    while ((rc = sqlite3_step(pst)) == SQLITE_ROW)
        frc = write_record(out, format, pst, fst, frc, &fn);
    if (rc != SQLITE_DONE)
        e = fail(q, "cannot read pages");
    else if (ferror(out))
        e = ERR_IO;
out:
    sqlite3_finalize(pst);
    sqlite3_finalize(fst);
    field_names_release(&fn);
    return e;
}

/* ---- report ---- */

/* Bars for one chart, read from a query of (label, value) rows. */
struct bars {
    char label[16][64];
    double value[16];
    int n;
};

static enum err load_bars(struct query *q, const char *sql, int64_t run_id,
                          struct bars *b)
{
    sqlite3_stmt *st = NULL;
    enum err e;
    int rc;

    b->n = 0;
    if ((e = prep(q, sql, &st)))
        return e;
    if (sqlite3_bind_parameter_count(st) > 0)
        sqlite3_bind_int64(st, 1, run_id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && b->n < 16) {
        const unsigned char *l = sqlite3_column_text(st, 0);
        snprintf(b->label[b->n], sizeof(b->label[0]), "%s",
                 l ? (const char *)l : "-");
        b->value[b->n] = sqlite3_column_double(st, 1);
        b->n++;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW
               ? ERR_OK
               : fail(q, "cannot read the database");
}

/* Escapes text for HTML. */
static void html_text(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '<')
            fputs("&lt;", out);
        else if (*s == '>')
            fputs("&gt;", out);
        else if (*s == '&')
            fputs("&amp;", out);
        else if (*s == '"')
            fputs("&quot;", out);
        else
            fputc(*s, out);
    }
}

/* A horizontal bar chart as inline SVG (560 x 30 per bar); values are
 * printed with `decimals` digits. */
static void svg_chart(FILE *out, const char *id, const char *title,
                      const char *unit, int decimals, const struct bars *b)
{
    double max = 0;
    int i;

    for (i = 0; i < b->n; i++)
        if (b->value[i] > max)
            max = b->value[i];
    fprintf(out, "<figure><figcaption>");
    html_text(out, title);
    fprintf(out,
            "</figcaption>\n<svg id=\"%s\" width=\"560\" height=\"%d\""
            " role=\"img\">\n",
            id, 30 * (b->n ? b->n : 1) + 10);
    for (i = 0; i < b->n; i++) {
        double w = max > 0 ? 300.0 * b->value[i] / max : 0;
        fprintf(out, "<text x=\"0\" y=\"%d\" class=\"label\">", 30 * i + 22);
        html_text(out, b->label[i]);
        fprintf(out,
                "</text><rect x=\"110\" y=\"%d\" width=\"%.1f\" height=\"20\""
                " class=\"bar\" data-label=\"",
                30 * i + 7, w > 1 || b->value[i] == 0 ? w : 1);
        html_text(out, b->label[i]);
        fprintf(out,
                "\" data-value=\"%.*f\"><title>%.*f %s</title></rect>"
                "<text x=\"%.1f\" y=\"%d\" class=\"value\">%.*f %s"
                "</text>\n",
                decimals, b->value[i], decimals, b->value[i], unit, 116 + w,
                30 * i + 22, decimals, b->value[i], unit);
    }
    if (!b->n)
        fputs("<text x=\"0\" y=\"22\" class=\"label\">no data</text>\n", out);
    fputs("</svg></figure>\n", out);
}

static const char report_head[] =
    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
    "<title>scrape report</title>\n<style>\n"
    "body{font:15px/1.4 system-ui,sans-serif;margin:24px 40px;color:#222;"
    "background:#fafafa}\nh1{font-size:24px;margin:0 0 4px}"
    "h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd}\n"
    ".grid{display:grid;grid-template-columns:repeat(2,600px);gap:12px}\n"
    "figure{margin:0;background:#fff;border:1px solid #e4e4e4;"
    "border-radius:6px;padding:10px}\nfigcaption{font-weight:600;"
    "margin-bottom:6px}\n.bar{fill:#3b7dd8}.label{font-size:13px}"
    ".value{font-size:12px;fill:#444}\ntable{border-collapse:collapse;"
    "background:#fff}td,th{border:1px solid #ddd;padding:3px 8px;"
    "text-align:right}th{background:#f0f0f0}\n.meta{color:#666}\n"
    "</style></head><body>\n";

static enum err report_runs(struct query *q, FILE *out)
{
    static const char *const heads[] = {
        "run",    "mode",    "workers", "conc.",   "pages",  "errors",
        "wall s", "pages/s", "CPU s",   "peak MB", "status", "started"};
    sqlite3_stmt *st = NULL;
    enum err e;
    int rc, i;

    fputs("<h2>Runs</h2>\n<table id=\"runs\"><tr>", out);
    for (i = 0; i < 12; i++)
        fprintf(out, "<th>%s</th>", heads[i]);
    fputs("</tr>\n", out);
    if ((e = prep(q,
                  "SELECT id, mode, workers, concurrency, pages, errors,"
                  " printf('%.2f', wall_ms / 1000.0),"
                  " printf('%.0f', pages * 1000.0 / max(wall_ms, 1)),"
                  " printf('%.2f', (cpu_user_ms + cpu_sys_ms) / 1000.0),"
                  " printf('%.1f', peak_rss_kb / 1024.0), status, started_at"
                  " FROM runs ORDER BY id",
                  &st)))
        return e;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        fputs("<tr>", out);
        for (i = 0; i < 12; i++) {
            const unsigned char *t = sqlite3_column_text(st, i);
            fputs("<td>", out);
            html_text(out, t ? (const char *)t : "");
            fputs("</td>", out);
        }
        fputs("</tr>\n", out);
    }
    sqlite3_finalize(st);
    fputs("</table>\n", out);
    return rc == SQLITE_DONE ? ERR_OK : fail(q, "cannot read runs");
}

#define LATEST_OF_EACH_MODE                                                    \
    " FROM runs WHERE id IN (SELECT max(id) FROM runs WHERE wall_ms IS NOT"    \
    " NULL GROUP BY mode) ORDER BY mode"

enum err query_report(struct query *q, int64_t run_id, FILE *out)
{
    struct bars b;
    enum err e;

    fputs(report_head, out);
    fprintf(out,
            "<h1>scrape report</h1>\n<p class=\"meta\">run %lld"
            " (latest unless --run); the comparison uses the latest run"
            " of each mode</p>\n<h2>Concurrency models</h2>\n"
            "<div class=\"grid\">\n",
            (long long)run_id);
    if ((e = load_bars(q, "SELECT mode, wall_ms / 1000.0" LATEST_OF_EACH_MODE,
                       0, &b)))
        return e;
    svg_chart(out, "wall", "Wall time by mode", "s", 2, &b);
    if ((e = load_bars(q,
                       "SELECT mode, pages * 1000.0 / max(wall_ms, "
                       "1)" LATEST_OF_EACH_MODE,
                       0, &b)))
        return e;
    svg_chart(out, "rate", "Pages per second by mode", "pages/s", 0, &b);
    if ((e = load_bars(q,
                       "SELECT mode, peak_rss_kb / 1024.0" LATEST_OF_EACH_MODE,
                       0, &b)))
        return e;
    svg_chart(out, "memory", "Peak memory by mode", "MB", 1, &b);
    fputs("</div>\n<h2>This run</h2>\n<div class=\"grid\">\n", out);
    if ((e = load_bars(q,
                       "SELECT CASE WHEN status = 0 THEN 'no answer' ELSE"
                       " (status / 100) || 'xx' END AS k, count(*) FROM pages"
                       " WHERE run_id = ? GROUP BY k ORDER BY k",
                       run_id, &b)))
        return e;
    svg_chart(out, "status", "Pages by status", "pages", 0, &b);
    if ((e = load_bars(q,
                       "SELECT CASE WHEN fetch_ms < 10 THEN '< 10 ms'"
                       " WHEN fetch_ms < 50 THEN '10-50 ms'"
                       " WHEN fetch_ms < 100 THEN '50-100 ms'"
                       " WHEN fetch_ms < 250 THEN '100-250 ms'"
                       " WHEN fetch_ms < 1000 THEN '250 ms-1 s'"
                       " ELSE '>= 1 s' END AS k, count(*), min(fetch_ms) AS o"
                       " FROM pages WHERE run_id = ? GROUP BY k ORDER BY o",
                       run_id, &b)))
        return e;
    svg_chart(out, "latency", "Fetch latency", "pages", 0, &b);
    fputs("</div>\n", out);
    if ((e = report_runs(q, out)))
        return e;
    fputs("</body></html>\n", out);
    return ferror(out) ? ERR_IO : ERR_OK;
}

/* ---- search ---- */

/* The index's columns, in its order, and the tokenizer it was made with
 * (store.c, schema v6). */
static const char *const fts_cols[] = {"title", "body"};
static const char *const fts_tokenizer_args[] = {"remove_diacritics", "2"};

/* FTS5's C API of the connection (sqlite.org/fts5.html section 7.1). */
static fts5_api *fts5_of(sqlite3 *db)
{
    fts5_api *api = NULL;
    sqlite3_stmt *st = NULL;

    if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL);
        sqlite3_step(st);
    }
    sqlite3_finalize(st);
    return api;
}

/* The index's tokenizer, for the query's strings. */
struct fts_tok {
    fts5_tokenizer t;
    Fts5Tokenizer *tok;
    int (*emit)(void *ectx, const char *tok, size_t n);
    void *ectx;
};

static int fts_tok_cb(void *ctx, int flags, const char *tok, int n, int start,
                      int end)
{
    struct fts_tok *ft = ctx;

    (void)start;
    (void)end;
    if (flags & FTS5_TOKEN_COLOCATED)
        return SQLITE_OK;
    return ft->emit(ft->ectx, tok, (size_t)n) ? SQLITE_NOMEM : SQLITE_OK;
}

static int fts_tokenize(void *tctx, const char *text, size_t len,
                        int (*emit)(void *ectx, const char *tok, size_t n),
                        void *ectx)
{
    struct fts_tok *ft = tctx;

    ft->emit = emit;
    ft->ectx = ectx;
    return ft->t.xTokenize(ft->tok, ft, FTS5_TOKENIZE_QUERY, text, (int)len,
                           fts_tok_cb) != SQLITE_OK;
}

/* One row's tokens, gathered by the confirm function (reused per row). */
struct fts_row {
    const struct ftsq *q;
    struct buf bytes; /* every token, NUL-separated */
    size_t *off[FTSQ_MAX_COLUMNS], cap[FTSQ_MAX_COLUMNS];
    size_t col;
    struct ftsq_doc doc;
    bool nomem;
};

static int row_tok_cb(void *ctx, int flags, const char *tok, int n, int start,
                      int end)
{
    struct fts_row *r = ctx;
    size_t c = r->col, k = r->doc.ntok[c];

    (void)start;
    (void)end;
    if (flags & FTS5_TOKEN_COLOCATED)
        return SQLITE_OK;
    if (k == r->cap[c]) {
        size_t ncap = r->cap[c] ? r->cap[c] * 2 : 256;
        size_t *no = realloc(r->off[c], ncap * sizeof(*no));
        size_t *nl = no ? realloc(r->doc.len[c], ncap * sizeof(*nl)) : NULL;
        if (no)
            r->off[c] = no;
        if (!nl)
            return SQLITE_NOMEM;
        r->doc.len[c] = nl;
        r->cap[c] = ncap;
    }
    r->off[c][k] = r->bytes.len;
    r->doc.len[c][k] = (size_t)n;
    r->doc.ntok[c]++;
    if (buf_add(&r->bytes, tok, (size_t)n) || buf_add(&r->bytes, "", 1))
        return SQLITE_NOMEM;
    return SQLITE_OK;
}

/* scrape_confirm(pages_fts): 1 when the current row matches the user's
 * query with its phrases, NEAR groups and ^ (the relaxed query only
 * found it as a candidate), by tokenizing its stored text. */
static void fts_confirm(const Fts5ExtensionApi *api, Fts5Context *fts,
                        sqlite3_context *ctx, int nval, sqlite3_value **val)
{
    struct fts_row *r = api->xUserData(fts);
    const char *text;
    size_t c, k;
    int n, rc = SQLITE_OK;

    (void)nval;
    (void)val;
    buf_reset(&r->bytes);
    for (c = 0; c < sizeof(fts_cols) / sizeof(fts_cols[0]) && !rc; c++) {
        r->doc.ntok[c] = 0;
        r->col = c;
        rc = api->xColumnText(fts, (int)c, &text, &n);
        if (!rc && text)
            rc = api->xTokenize(fts, text, n, r, row_tok_cb);
    }
    if (rc) {
        sqlite3_result_error_code(ctx, rc);
        return;
    }
    /* The bytes may have moved while they grew: point at them now. */
    for (c = 0; c < sizeof(fts_cols) / sizeof(fts_cols[0]); c++) {
        r->doc.tok[c] =
            realloc(r->doc.tok[c], (r->doc.ntok[c] + 1) * sizeof(char *));
        if (!r->doc.tok[c]) {
            sqlite3_result_error_nomem(ctx);
            return;
        }
        for (k = 0; k < r->doc.ntok[c]; k++)
            r->doc.tok[c][k] = r->bytes.data + r->off[c][k];
    }
    sqlite3_result_int(ctx, ftsq_match(r->q, &r->doc));
}

static void fts_row_release(struct fts_row *r)
{
    size_t c;

    buf_release(&r->bytes);
    for (c = 0; c < FTSQ_MAX_COLUMNS; c++) {
        free(r->off[c]);
        free(r->doc.len[c]);
        free((void *)r->doc.tok[c]);
    }
}

/* Parses the user's query with the index's tokenizer. */
static enum err parse_search(struct query *q, fts5_api *api, const char *match,
                             struct ftsq **out)
{
    struct fts_tok ft;
    void *ud = NULL;
    char why[256];
    enum err e;

    if (api->xFindTokenizer(api, "unicode61", &ud, &ft.t) != SQLITE_OK ||
        ft.t.xCreate(ud, (const char **)fts_tokenizer_args, 2, &ft.tok) !=
            SQLITE_OK) {
        snprintf(q->msg, sizeof(q->msg), "the unicode61 tokenizer is missing");
        return ERR_DB;
    }
    e = ftsq_parse(match, fts_cols, sizeof(fts_cols) / sizeof(fts_cols[0]),
                   fts_tokenize, &ft, out, why, sizeof(why));
    ft.t.xDelete(ft.tok);
    if (e == ERR_INVALID)
        snprintf(q->msg, sizeof(q->msg), "bad query '%.200s': %s", match, why);
    return e;
}

enum err query_search(struct query *q, int64_t run_id, const char *match,
                      long limit, const char *mark_on, const char *mark_off,
                      FILE *out)
{
    fts5_api *api = fts5_of(q->db);
    struct fts_row row;
    struct ftsq *fq = NULL;
    sqlite3_stmt *st = NULL;
    struct buf relaxed;
    enum err e;
    long n = 0;
    int rc;

    memset(&row, 0, sizeof(row));
    buf_init(&row.bytes, SIZE_MAX / 2);
    buf_init(&relaxed, 1 << 20);
    if (!api) {
        snprintf(q->msg, sizeof(q->msg), "this SQLite has no FTS5");
        return ERR_DB;
    }
    if ((e = parse_search(q, api, match, &fq)))
        goto done;
    /* Phrases, NEAR and ^ need word positions, which the index does not
     * keep (detail = column): it finds the rows with all the words, and
     * scrape_confirm keeps those where they stand as asked. */
    row.q = fq;
    if ((e = ftsq_relaxed(fq, &relaxed)))
        goto done;
    if (ftsq_needs_positions(fq) &&
        api->xCreateFunction(api, "scrape_confirm", &row, fts_confirm, NULL) !=
            SQLITE_OK) {
        e = fail(q, "cannot search");
        goto done;
    }
    if ((e = prep(q,
                  ftsq_needs_positions(fq)
                      ? "SELECT p.url, coalesce(p.title, ''),"
                        " snippet(pages_fts, 1, ?4, ?5, '...', 16),"
                        " printf('%.3g', -bm25(pages_fts, 10.0, 1.0))"
                        " FROM pages_fts JOIN pages p ON p.id ="
                        " pages_fts.rowid WHERE pages_fts MATCH ?1 AND"
                        " p.run_id = ?2 AND scrape_confirm(pages_fts)"
                        " ORDER BY bm25(pages_fts, 10.0, 1.0), p.id LIMIT ?3"
                      : "SELECT p.url, coalesce(p.title, ''),"
                        " snippet(pages_fts, 1, ?4, ?5, '...', 16),"
                        " printf('%.3g', -bm25(pages_fts, 10.0, 1.0))"
                        " FROM pages_fts JOIN pages p ON p.id ="
                        " pages_fts.rowid WHERE pages_fts MATCH ?1 AND"
                        " p.run_id = ?2"
                        " ORDER BY bm25(pages_fts, 10.0, 1.0), p.id LIMIT ?3",
                  &st)))
        goto done;
    sqlite3_bind_text(st, 1, relaxed.data, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, run_id);
    sqlite3_bind_int64(st, 3, limit);
    sqlite3_bind_text(st, 4, mark_on, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, mark_off, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *snip = (const char *)sqlite3_column_text(st, 2);
        /* The index keeps the page's own whitespace: fold it here. */
        char *folded =
            utf8_clean(snip ? snip : "", snip ? strlen(snip) : 0, true);
        n++;
        fprintf(out, "%s  %s\n    %s\n    score %s\n",
                (const char *)sqlite3_column_text(st, 0),
                (const char *)sqlite3_column_text(st, 1), folded ? folded : "",
                (const char *)sqlite3_column_text(st, 3));
        free(folded);
    }
    if (rc != SQLITE_DONE) {
        /* What FTS5 still refuses arrives here, as text. */
        snprintf(q->msg, sizeof(q->msg), "bad query '%.200s': %s", match,
                 sqlite3_errmsg(q->db));
        e = ERR_INVALID;
    } else {
        fprintf(out, "%ld page%s\n", n, n == 1 ? "" : "s");
    }
done:
    sqlite3_finalize(st);
    ftsq_free(fq);
    buf_release(&relaxed);
    fts_row_release(&row);
    return e;
}
