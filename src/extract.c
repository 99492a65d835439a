/*
 * extract.c - scrape extract (see extract.h).
 *
 * One read-only connection steps through the source run's rows, joined
 * with their bodies, while the store (another connection to the same
 * WAL file, owned by a writer thread as in a crawl) writes the new run.  Rows
 * are handed to the workers as they are read and written in the order the
 * workers finish, as a crawl does.
 */
#include "scrape/extract.h"

#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <sqlite3.h>

#include "scrape/body.h"
#include "scrape/clock.h"
#include "scrape/filter.h"
#include "scrape/record.h"
#include "scrape/writer.h"

/* How long one wait for a worker lasts before the stop flag is looked
 * at again. */
#define EXTRACT_POLL_MS 100

struct extract {
    const struct config *cfg;
    struct store *store;
    struct workers *pool;
    struct writer *writer;    /* owns the store from the run's start to end */
    sqlite3 *db;              /* the source run, read-only */
    struct url_filter *rules; /* the --rule patterns, NULL for none */
    int64_t source, run_id;
    long pages, errors, items;
    char why[512];
};

/* The newest run whose pages kept a body. */
static int64_t latest_with_bodies(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    int64_t id = 0;

    if (sqlite3_prepare_v2(db,
                           "SELECT max(p.run_id) FROM pages p JOIN bodies b"
                           " ON b.hash = p.body_hash",
                           -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return id;
}

/* Counts the source run's rows and those with a stored body. */
static void count_rows(sqlite3 *db, int64_t run, long *rows, long *kept)
{
    sqlite3_stmt *st = NULL;

    *rows = *kept = 0;
    if (sqlite3_prepare_v2(db,
                           "SELECT count(*), count(b.hash) FROM pages p LEFT"
                           " JOIN bodies b ON b.hash = p.body_hash"
                           " WHERE p.run_id = ?",
                           -1, &st, NULL) == SQLITE_OK &&
        sqlite3_bind_int64(st, 1, run) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
        *rows = (long)sqlite3_column_int64(st, 0);
        *kept = (long)sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
}

static char *col_dup(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);

    return t ? strdup((const char *)t) : NULL;
}

/* True when a stored row's error came from parsing (made again now),
 * not from the transfer. */
static bool parse_made(const char *error)
{
    return !strncmp(error, RECORD_PARSE_ERROR, strlen(RECORD_PARSE_ERROR)) ||
           !strncmp(error, RECORD_EXTRACT_ERROR, strlen(RECORD_EXTRACT_ERROR));
}

/* Rebuilds the response of source row `st` (columns as in `rows_sql`),
 * its body from the store.  A body that cannot be read makes it an
 * error response saying why. */
static void response_of(struct extract *x, sqlite3_stmt *st, struct response *r)
{
    const char *error = (const char *)sqlite3_column_text(st, 9);
    const char *hash = (const char *)sqlite3_column_text(st, 12);
    const void *data = sqlite3_column_blob(st, 15);
    size_t zn = (size_t)sqlite3_column_bytes(st, 15);
    char why[256];
    enum err e;

    memset(r, 0, sizeof(*r));
    r->body = "";
    r->status = sqlite3_column_int(st, 4);
    r->final_url = col_dup(st, 2);
    r->content_type = col_dup(st, 5);
    r->fetch_ms = (long)sqlite3_column_int64(st, 7);
    r->etag = col_dup(st, 10);
    r->last_modified = col_dup(st, 11);
    r->body_hash = col_dup(st, 12);
    r->headers = col_dup(st, 13);
    if (error && !parse_made(error)) {
        r->err = ERR_NETWORK;
        snprintf(r->error, sizeof(r->error), "%s", error);
    }
    if (!hash) /* the transfer gave no body: the row as it was */
        return;
    if (sqlite3_column_type(st, 14) == SQLITE_NULL) {
        r->err = ERR_INVALID;
        snprintf(r->error, sizeof(r->error),
                 "body not kept (run %lld did not use --keep-bodies)",
                 (long long)x->source);
        return;
    }
    e = body_unpack(data, zn, (size_t)sqlite3_column_int64(st, 14),
                    x->cfg->max_bytes, &r->owned_body, &r->len, why,
                    sizeof(why));
    if (e) {
        r->err = e == ERR_NOMEM ? ERR_NOMEM : ERR_INVALID;
        snprintf(r->error, sizeof(r->error), "%s", why);
        return;
    }
    r->body = r->owned_body;
}

/* Writes one row of the new run. */
static enum err record(struct extract *x, const struct frontier_job *job,
                       const struct response *r, struct page *pg,
                       const char *parse_error, int64_t text_of,
                       const char *referrer)
{
    char why[HTTP_ERROR_MAX + 64];
    struct page_row row;
    enum err e;

    record_row(x->cfg, job, job->depth, spider_rule(x->rules, job->url), r, pg,
               parse_error, &row, why, sizeof(why));
    /* The body is stored already, under the same hash; the search text
     * is the source row's (the same bytes through the same parser). */
    row.body = NULL;
    row.body_len = 0;
    row.keep_body = true;
    row.text_of = pg ? text_of : 0;
    /* The new run journals each page with the source's referrer (a
     * worker may give a page back before the page that linked to it: the
     * store links them when the run ends, as in a crawl); the done mark
     * closes the record for the writer (it commits between records). */
    if ((e = writer_frontier_add(x->writer, x->run_id, job->url, job->depth,
                                 referrer)) ||
        (e = writer_put_page(x->writer, x->run_id, &row)) ||
        (e = writer_frontier_done(x->writer, x->run_id, job->url))) {
        writer_errmsg(x->writer, x->why, sizeof(x->why));
        return e;
    }
    x->pages++;
    x->errors += row.error != NULL;
    x->items += pg && pg->items ? (long)pg->nrecords : 0;
    return ERR_OK;
}

/* A job on the pool: its URL (the job's, which must outlive the row of
 * the statement it came from), the row whose search text it has, and
 * the URL of its referrer in the source run (after the URL's NUL), if
 * any. */
struct pool_job {
    int64_t text_of;
    bool has_referrer;
    char url[];
};

/* A page back from a worker; its URL is a pool_job's. */
static enum err on_parsed(void *ctx, const struct frontier_job *job,
                          const struct response *r, const struct page *pg,
                          const char *parse_error)
{
    struct pool_job *pj =
        (struct pool_job *)(job->url - offsetof(struct pool_job, url));
    const char *ref = pj->has_referrer ? pj->url + strlen(pj->url) + 1 : NULL;
    enum err e =
        record(ctx, job, r, (struct page *)pg, parse_error, pj->text_of, ref);

    free(pj);
    return e;
}

/* Waits until a worker finishes (or EXTRACT_POLL_MS) and records what
 * finished. */
static enum err wait_workers(struct extract *x)
{
    struct curl_waitfd w[256];
    struct pollfd p[256];
    unsigned n = workers_waitfds(x->pool, w, 256), i;
    enum err e;

    for (i = 0; i < n; i++) {
        p[i].fd = w[i].fd;
        p[i].events = POLLIN;
        p[i].revents = 0;
    }
    poll(p, n, EXTRACT_POLL_MS);
    if ((e = workers_collect(x->pool, on_parsed, x)) && !x->why[0])
        snprintf(x->why, sizeof(x->why), "%s", err_str(e));
    return e;
}

/* Records one source row, or hands it to the pool to be parsed. */
static enum err one_row(struct extract *x, sqlite3_stmt *st)
{
    struct frontier_job job = {
        .url = (const char *)sqlite3_column_text(st, 1),
        .depth = sqlite3_column_int(st, 3),
        .attempts = sqlite3_column_int(st, 8) - 1,
    };
    const char *ref = (const char *)sqlite3_column_text(st, 17);
    struct response r;
    enum err e;

    if (job.attempts < 0)
        job.attempts = 0;
    response_of(x, st, &r);
    if (r.err == ERR_NOMEM) {
        response_release(&r);
        return ERR_NOMEM;
    }
    if (!record_is_html(&r)) {
        e = record(x, &job, &r, NULL, NULL, 0, ref);
    } else {
        size_t n = strlen(job.url) + 1, rn = ref ? strlen(ref) + 1 : 0;
        struct pool_job *pj;
        while (workers_busy(x->pool) >= workers_size(x->pool))
            if ((e = wait_workers(x)))
                goto out;
        pj = malloc(sizeof(*pj) + n + rn);
        /* The pool keeps the job until it comes back (on_parsed frees
         * it). */
        if (!pj) {
            e = ERR_NOMEM;
            goto out;
        }
        pj->text_of = sqlite3_column_int64(st, 16);
        memcpy(pj->url, job.url, n);
        if ((pj->has_referrer = ref != NULL))
            memcpy(pj->url + n, ref, rn);
        job.url = pj->url;
        if ((e = workers_submit(x->pool, &job, &r)))
            free(pj);
    }
out:
    response_release(&r);
    return e;
}

/* The source run's rows with their bodies, in the order crawled. */
static const char rows_sql[] =
    "SELECT p.id, p.url, p.final_url, p.depth, p.status, p.content_type,"
    " p.bytes, p.fetch_ms, p.attempts, p.error, p.etag, p.last_modified,"
    " p.body_hash, p.headers, b.size, b.data, coalesce(p.text_of, p.id),"
    " (SELECT r.url FROM pages r WHERE r.id = p.referrer)"
    " FROM pages p LEFT JOIN bodies b ON b.hash = p.body_hash"
    " WHERE p.run_id = ? ORDER BY p.id";

/* Opens the source and checks run `want` (0: the latest with bodies). */
static enum err open_source(struct extract *x, int64_t want)
{
    long rows, kept;

    if (sqlite3_open_v2(x->cfg->db_path, &x->db, SQLITE_OPEN_READONLY, NULL) !=
        SQLITE_OK) {
        snprintf(x->why, sizeof(x->why), "cannot open '%s': %s",
                 x->cfg->db_path, sqlite3_errmsg(x->db));
        return ERR_DB;
    }
    sqlite3_busy_timeout(x->db, 5000);
    x->source = want ? want : latest_with_bodies(x->db);
    count_rows(x->db, x->source, &rows, &kept);
    if (!x->source || !rows) {
        snprintf(x->why, sizeof(x->why),
                 want ? "there is no run %lld (or it has no pages)"
                      : "no run in this database kept bodies (crawl with"
                        " --keep-bodies)",
                 (long long)want);
        return ERR_INVALID;
    }
    if (!kept) {
        snprintf(x->why, sizeof(x->why),
                 "run %lld kept no bodies (crawl with --keep-bodies)",
                 (long long)x->source);
        return ERR_INVALID;
    }
    return ERR_OK;
}

static long tv_ms(const struct timeval *t)
{
    return (long)t->tv_sec * 1000 + (long)(t->tv_usec / 1000);
}

/* The new run's figures: this process and its workers. */
static void figures(const struct extract *x, long t0, const struct rusage *ru0,
                    const char *status, struct run_stats *st)
{
    struct workers_usage wu = {0};
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    workers_usage(x->pool, &wu);
    *st = (struct run_stats){
        .pages = x->pages,
        .errors = x->errors,
        .items = x->items,
        .wall_ms = clock_ms() - t0,
        .cpu_user_ms = tv_ms(&ru.ru_utime) - tv_ms(&ru0->ru_utime) + wu.user_ms,
        .cpu_sys_ms = tv_ms(&ru.ru_stime) - tv_ms(&ru0->ru_stime) + wu.sys_ms,
        .peak_rss_kb = ru.ru_maxrss + wu.peak_rss_kb,
        .status = status,
    };
}

enum err extract_run(const struct config *cfg, struct store *store,
                     struct workers *pool, const volatile sig_atomic_t *stop,
                     struct run_result *out)
{
    struct extract x = {.cfg = cfg, .store = store, .pool = pool};
    char seeds[64];
    struct run_info info = {
        .mode = "extract",
        .workers = (int)workers_size(pool),
        .concurrency = (int)workers_size(pool),
        .seeds = seeds,
        .args = cfg->args_json,
        .spider = &cfg->spider,
    };
    sqlite3_stmt *st = NULL;
    struct rusage ru0;
    long t0 = clock_ms();
    enum err e;
    int rc = SQLITE_DONE;

    memset(out, 0, sizeof(*out));
    getrusage(RUSAGE_SELF, &ru0);
    if ((e = open_source(&x, cfg->extract_run)) ||
        (e = spider_patterns(&cfg->spider, &x.rules, x.why, sizeof(x.why))))
        goto out;
    snprintf(seeds, sizeof(seeds), "run %lld", (long long)x.source);
    if ((e = store_run_begin(store, &info, &x.run_id))) {
        snprintf(x.why, sizeof(x.why), "%s", store_errmsg(store));
        goto out;
    }
    /* Storing (the search index above all) costs as much as parsing: on
     * a thread of its own, as in a crawl. */
    if ((e = writer_start(store, page_fingerprint_once, &x.writer))) {
        snprintf(x.why, sizeof(x.why), "%s", err_str(e));
        goto end;
    }
    if (sqlite3_prepare_v2(x.db, rows_sql, -1, &st, NULL) != SQLITE_OK ||
        sqlite3_bind_int64(st, 1, x.source) != SQLITE_OK) {
        snprintf(x.why, sizeof(x.why), "cannot read run %lld: %s",
                 (long long)x.source, sqlite3_errmsg(x.db));
        e = ERR_DB;
        goto end;
    }
    while (!(stop && *stop) && (rc = sqlite3_step(st)) == SQLITE_ROW)
        if ((e = one_row(&x, st)))
            goto end;
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        snprintf(x.why, sizeof(x.why), "cannot read run %lld: %s",
                 (long long)x.source, sqlite3_errmsg(x.db));
        e = ERR_DB;
    }
end:
    while (!e && workers_busy(pool))
        e = wait_workers(&x);
    if (x.writer && writer_stop(x.writer, x.why, sizeof(x.why)) && !e)
        e = ERR_DB;
    figures(&x, t0, &ru0,
            e               ? "failed"
            : stop && *stop ? "interrupted"
                            : "done",
            &out->stats);
    if (store_run_end(store, x.run_id, &out->stats) && !e) {
        snprintf(x.why, sizeof(x.why), "%s", store_errmsg(store));
        e = ERR_DB;
    }
    out->run_id = x.run_id;
out:
    url_filter_free(x.rules);
    sqlite3_finalize(st);
    sqlite3_close(x.db);
    if (e && x.why[0])
        snprintf(out->why, sizeof(out->why), "%s", x.why);
    else if (e)
        snprintf(out->why, sizeof(out->why), "%s", err_str(e));
    return e;
}
