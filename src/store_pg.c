/*
 * store_pg.c - the store on PostgreSQL (see store_pg.h and pg.h).
 *
 * A record is assembled from the writer's calls (store_pg_put_page, the
 * frontier adds and skipped rows of its links) and closed by its
 * store_pg_frontier_done, which turns it into one statement:
 *
 *   WITH g AS (UPDATE frontier SET state = 2 WHERE <url claimed by us>
 *              RETURNING host),
 *        h AS (UPDATE hosts SET out = out - 1 ... FROM g),
 *        p AS (INSERT INTO pages ... SELECT ... FROM g ... RETURNING id),
 *        ... links, fields, items, text FROM p; skipped, queued FROM g ...
 *   SELECT <1 when refused>
 *
 * so nothing of it lands unless the claim is still ours, and running it
 * again after it committed changes nothing.  Calls outside a record (the
 * seeds, robots.txt answers) become statements of their own.
 */
#include "scrape/store_pg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "scrape/json.h"
#include "scrape/pg.h"
#include "scrape/url.h"

/* Largest batch of statements (a page's text may be megabytes). */
#define STORE_PG_SQL_MAX (1024L * 1024 * 1024)

struct store_pg {
    char *uri;
    PGconn *conn;
    int64_t node;
    struct buf batch; /* statements not sent yet, ';'-separated */
    /* The record being assembled (VALUES lists, "" when empty). */
    bool has_page;
    struct buf page, text, links, fields, items, skipped, adds;
    struct buf json;
    long refused;   /* records refused: their claim was taken over */
    int64_t run_id; /* of the rows being assembled */
    char msg[512];
};

const char *store_pg_errmsg(const struct store_pg *p)
{
    return p->msg;
}

int64_t store_pg_node(const struct store_pg *p)
{
    return p->node;
}

const char *store_pg_uri(const struct store_pg *p)
{
    return p->uri;
}

static struct buf *record_bufs(struct store_pg *p, size_t i)
{
    struct buf *all[] = {&p->page,  &p->text,    &p->links, &p->fields,
                         &p->items, &p->skipped, &p->adds,  NULL};
    return all[i];
}

static void record_reset(struct store_pg *p)
{
    size_t i;

    for (i = 0; record_bufs(p, i); i++)
        buf_reset(record_bufs(p, i));
    p->has_page = false;
}

enum err store_pg_open(const char *uri, struct store_pg **out, char **why)
{
    struct store_pg *p = calloc(1, sizeof(*p));
    enum err e = ERR_NOMEM;
    size_t i;

    *out = NULL;
    *why = NULL;
    if (!p || !(p->uri = strdup(uri)))
        goto fail;
    buf_init(&p->batch, STORE_PG_SQL_MAX);
    buf_init(&p->json, STORE_JSON_MAX);
    for (i = 0; record_bufs(p, i); i++)
        buf_init(record_bufs(p, i), STORE_PG_SQL_MAX);
    p->node = pg_node_id();
    e = ERR_DB;
    if (!(p->conn = pg_connect(uri, p->msg, sizeof(p->msg))) ||
        (e = pg_schema(p->conn, p->msg, sizeof(p->msg))))
        goto fail;
    *out = p;
    return ERR_OK;
fail:
    *why = strdup(p ? p->msg : "out of memory");
    store_pg_close(p);
    return e ? e : ERR_DB;
}

enum err store_pg_close(struct store_pg *p)
{
    enum err e;
    size_t i;

    if (!p)
        return ERR_OK;
    e = p->conn ? store_pg_flush(p) : ERR_OK;
    PQfinish(p->conn);
    buf_release(&p->batch);
    buf_release(&p->json);
    for (i = 0; record_bufs(p, i); i++)
        buf_release(record_bufs(p, i));
    free(p->uri);
    free(p);
    return e;
}

/* Sends the batch as one transaction; counts refused records.  A lost
 * connection is re-established and the batch sent again. */
static enum err send_batch(struct store_pg *p)
{
    enum err e;

    do {
        PGresult *res;
        bool failed = false;
        long refused = 0;

        e = ERR_OK;
        if (!PQsendQuery(p->conn, p->batch.data))
            failed = true;
        while (!failed && (res = PQgetResult(p->conn))) {
            ExecStatusType st = PQresultStatus(res);
            if (st == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
                PQgetvalue(res, 0, 0)[0] == '1')
                refused++;
            else if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
                failed = true;
            PQclear(res);
        }
        if (!failed) {
            if (refused)
                fprintf(stderr,
                        "scrape: %ld page(s) not recorded: their claim had"
                        " run out and another node took them over\n",
                        refused);
            p->refused += refused;
            break;
        }
        /* Drain what is left of a failed exchange. */
        while ((res = PQgetResult(p->conn)))
            PQclear(res);
        pg_why(p->conn, "cannot write to PostgreSQL", p->msg, sizeof(p->msg));
        e = ERR_DB;
    } while (pg_recover(p->uri, &p->conn, "writer", NULL));
    return e;
}

static enum err close_record(struct store_pg *p, int64_t run_id,
                             const char *url);

/* The writer flushes and ticks only between records: rows pending now
 * were written outside one (the seeds). */
enum err store_pg_flush(struct store_pg *p)
{
    enum err e = p->has_page ? ERR_OK : close_record(p, p->run_id, NULL);

    if (!e && p->batch.len)
        e = send_batch(p);
    buf_reset(&p->batch);
    return e;
}

/* Called after every record: a claim holds its host's slot (--per-host
 * across the nodes) until its record commits, so records are not kept
 * back to make batches; a batch is what arrived while the last one was
 * being sent. */
enum err store_pg_tick(struct store_pg *p)
{
    return store_pg_flush(p);
}

/* Appends one statement (built in `sql`) to the batch. */
static enum err batch_add(struct store_pg *p, const struct buf *sql)
{
    enum err e;

    if (p->batch.len && (e = buf_add(&p->batch, ";\n", 2)))
        return e;
    return buf_add(&p->batch, sql->data, sql->len);
}

/* The host key of canonical `url`: its scheme://host:port. */
static enum err add_host(struct buf *b, const char *url)
{
    const char *path = url_path(url);
    char host[URL_MAX];

    snprintf(host, sizeof(host), "%.*s", (int)(path - url), url);
    return pg_lit(b, host);
}

/* A VALUES row separator: "," unless `b` is empty. */
static enum err comma(struct buf *b)
{
    return b->len ? buf_add(b, ",", 1) : ERR_OK;
}

/* ---- the record ------------------------------------------------------- */

static enum err page_values_sql(struct store_pg *p, int64_t run_id,
                                const struct page_row *row)
{
    const struct page *pg = row->page;
    struct buf *b = &p->page;
    struct timespec ts;
    struct tm tm;
    char now[64], day[32];
    enum err e;

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(now, sizeof(now), "%.20s.%03dZ", day,
             (int)(ts.tv_nsec / 1000000) % 1000);
    e = buf_addf(b, "%lld,", (long long)run_id);
    e = e ? e : pg_lit(b, row->url);
    e = e ? e : buf_add(b, ",", 1);
    e = e ? e : pg_lit(b, row->final_url);
    e = e ? e : buf_addf(b, ",%d,%ld,", row->depth, row->status);
    e = e ? e : pg_lit(b, row->content_type);
    e = e ? e : buf_add(b, ",", 1);
    e = e ? e : pg_lit(b, pg ? pg->charset : NULL);
    e = e ? e : buf_addf(b, ",%lld,%ld,", row->bytes, row->fetch_ms);
    e = e ? e : pg_lit(b, pg ? pg->title : NULL);
    e = e ? e : buf_add(b, ",", 1);
    e = e ? e : pg_lit(b, pg ? pg->description : NULL);
    e = e ? e : buf_add(b, ",", 1);
    e = e ? e : pg_lit(b, pg ? pg->lang : NULL);
    e = e ? e : buf_add(b, ",", 1);
    e = e ? e : pg_lit(b, pg ? pg->canonical : NULL);
    e = e ? e : buf_add(b, ",", 1);
    e = e ? e : pg_lit(b, pg ? pg->h1 : NULL);
    if (pg)
        e = e ? e
              : buf_addf(b, ",%lld,%lld,", (long long)pg->words,
                         (long long)pg->nlinks);
    else
        e = e ? e : buf_adds(b, ",NULL::bigint,NULL::bigint,");
    e = e ? e : pg_lit(b, row->error);
    e = e ? e : buf_add(b, ",", 1);
    e = e ? e : pg_lit(b, now);
    if (pg && pg->simhash)
        e = e ? e : buf_addf(b, ",%lld", (long long)(int64_t)pg->simhash);
    else
        e = e ? e : buf_adds(b, ",NULL::bigint");
    return e ? e : buf_addf(b, ",%d", row->attempts);
}

static enum err children_sql(struct store_pg *p, const struct page_row *row)
{
    const struct page *pg = row->page;
    enum err e = ERR_OK;
    size_t i, n;

    if (pg->title || pg->text) {
        e = pg_lit(&p->text, pg->title);
        e = e ? e : buf_add(&p->text, ",", 1);
        e = e ? e : pg_lit(&p->text, pg->text);
    }
    for (i = 0; i < pg->nlinks && !e; i++) {
        e = comma(&p->links);
        e = e ? e : buf_add(&p->links, "(", 1);
        e = e ? e : pg_lit(&p->links, pg->links[i].url);
        e = e ? e : buf_addf(&p->links, ",%d)", pg->links[i].followable);
    }
    for (i = 0; pg->items && i < pg->nrecords && !e; i++) {
        buf_reset(&p->json);
        e = store_item_json(&p->json, row, i);
        e = e ? e : comma(&p->items);
        e = e ? e : buf_addf(&p->items, "(%zu,", i);
        e = e ? e : pg_lit(&p->items, p->json.data);
        e = e ? e : buf_add(&p->items, ")", 1);
    }
    for (i = 0; !pg->items && pg->nrecords && i < pg->nfields &&
                i < row->spec->nfields && !e;
         i++) {
        char *const *v = page_values(pg, 0, i, &n);
        const char *value = n ? v[0] : NULL;
        if (row->spec->fields[i].list) {
            buf_reset(&p->json);
            if ((e = store_field_json(&p->json, row, i)))
                break;
            value = p->json.data;
        } else if (!n) {
            continue;
        }
        e = comma(&p->fields);
        e = e ? e : buf_add(&p->fields, "(", 1);
        e = e ? e : pg_lit(&p->fields, row->spec->fields[i].name);
        e = e ? e : buf_add(&p->fields, ",", 1);
        e = e ? e : pg_lit(&p->fields, value);
        e = e ? e : buf_add(&p->fields, ")", 1);
    }
    return e;
}

enum err store_pg_put_page(struct store_pg *p, int64_t run_id,
                           const struct page_row *row)
{
    enum err e;

    if (p->has_page) /* a record has one page; never here in a crawl */
        record_reset(p);
    p->has_page = true;
    if ((e = page_values_sql(p, run_id, row)) ||
        (row->page && (e = children_sql(p, row))))
        record_reset(p);
    return e;
}

enum err store_pg_put_skipped(struct store_pg *p, int64_t run_id,
                              const char *url, const char *reason)
{
    enum err e = comma(&p->skipped);

    p->run_id = run_id;
    e = e ? e : buf_add(&p->skipped, "(", 1);
    e = e ? e : pg_lit(&p->skipped, url);
    e = e ? e : buf_add(&p->skipped, ",", 1);
    e = e ? e : pg_lit(&p->skipped, reason);
    return e ? e : buf_add(&p->skipped, ")", 1);
}

enum err store_pg_frontier_add(struct store_pg *p, int64_t run_id,
                               const char *url, int depth)
{
    enum err e = comma(&p->adds);

    p->run_id = run_id;
    e = e ? e : buf_add(&p->adds, "(", 1);
    e = e ? e : pg_lit(&p->adds, url);
    e = e ? e : buf_add(&p->adds, ",", 1);
    e = e ? e : add_host(&p->adds, url);
    return e ? e : buf_addf(&p->adds, ",%d)", depth);
}

/* The parts every record and the seeds share: `src` is "g, " when gated
 * by the claim, "" when not. */
static enum err queued_sql(struct store_pg *p, struct buf *b, int64_t run_id,
                           const char *src)
{
    long long r = (long long)run_id;
    enum err e = ERR_OK;

    if (p->skipped.len)
        e = buf_addf(b,
                     "s AS (INSERT INTO skipped(run_id, url, reason)"
                     " SELECT %lld, v.u, v.r FROM %s(VALUES %s) v(u, r)"
                     " ON CONFLICT DO NOTHING),",
                     r, src, p->skipped.data);
    if (!e && p->adds.len)
        e = buf_addf(
            b,
            "a AS (INSERT INTO frontier(run_id, url, host, depth)"
            " SELECT DISTINCT ON (v.u) %lld, v.u, v.h, v.d"
            " FROM %s(VALUES %s) v(u, h, d) ORDER BY v.u, v.d"
            " ON CONFLICT (run_id, url) DO UPDATE SET depth = excluded.depth"
            " WHERE frontier.state = 0 AND excluded.depth < frontier.depth"
            " RETURNING host),"
            "ah AS (INSERT INTO hosts(run_id, host, robots)"
            " SELECT DISTINCT %lld, host, CASE WHEN (SELECT ignore_robots"
            " FROM cluster_runs WHERE run_id = %lld) THEN 2 ELSE 0 END"
            " FROM a ON CONFLICT DO NOTHING),",
            r, src, p->adds.data, r, r);
    return e;
}

static enum err record_sql(struct store_pg *p, struct buf *b, int64_t run_id,
                           const char *url)
{
    long long r = (long long)run_id, n = (long long)p->node;
    enum err e;

    e = buf_addf(b,
                 "WITH g AS (UPDATE frontier SET state = 2"
                 " WHERE run_id = %lld AND url = ",
                 r);
    e = e ? e : pg_lit(b, url);
    e = e ? e
          : buf_addf(b,
                     " AND state = 1 AND owner = %lld RETURNING host),"
                     "h AS (UPDATE hosts SET out = greatest(out - 1, 0)"
                     " FROM g WHERE hosts.run_id = %lld"
                     " AND hosts.host = g.host),",
                     n, r);
    if (!e && p->has_page)
        e = buf_addf(
            b,
            "p AS (INSERT INTO pages(run_id, url, final_url, depth, status,"
            " content_type, charset, bytes, fetch_ms, title, description,"
            " lang, canonical, h1, words, outlinks, error, fetched_at,"
            " simhash, attempts) SELECT v.* FROM g, (VALUES (%s)) v"
            " ON CONFLICT (run_id, url) DO NOTHING RETURNING id),",
            p->page.data);
    if (!e && p->has_page && p->text.len)
        e = buf_addf(b,
                     "t AS (INSERT INTO pages_text(page_id, title, body)"
                     " SELECT p.id, v.t, v.b FROM p, (VALUES (%s)) v(t, b)),",
                     p->text.data);
    if (!e && p->has_page && p->links.len)
        e = buf_addf(b,
                     "l AS (INSERT INTO links(page_id, url, followable)"
                     " SELECT p.id, v.u, v.f FROM p, (VALUES %s) v(u, f)),",
                     p->links.data);
    if (!e && p->has_page && p->fields.len)
        e = buf_addf(b,
                     "f AS (INSERT INTO fields(page_id, name, value)"
                     " SELECT p.id, v.n, v.v FROM p, (VALUES %s) v(n, v)),",
                     p->fields.data);
    if (!e && p->has_page && p->items.len)
        e = buf_addf(b,
                     "i AS (INSERT INTO items(run_id, page_id, idx, data)"
                     " SELECT %lld, p.id, v.i, v.d FROM p,"
                     " (VALUES %s) v(i, d)),",
                     r, p->items.data);
    e = e ? e : queued_sql(p, b, run_id, "g, ");
    /* Refused unless the claim was ours now or the record is already in
     * (a batch sent again after a lost connection). */
    e = e ? e
          : buf_addf(b,
                     "z AS (SELECT 1) SELECT CASE WHEN EXISTS (SELECT 1 FROM"
                     " g) OR EXISTS (SELECT 1 FROM frontier WHERE run_id ="
                     " %lld AND state = 2 AND owner = %lld AND url = ",
                     r, n);
    e = e ? e : pg_lit(b, url);
    return e ? e : buf_adds(b, ") THEN 0 ELSE 1 END");
}

/* The seeds (and any row written outside a page's record). */
static enum err loose_sql(struct store_pg *p, struct buf *b, int64_t run_id)
{
    enum err e = buf_adds(b, "WITH ");

    e = e ? e : queued_sql(p, b, run_id, "");
    return e ? e : buf_adds(b, "z AS (SELECT 1) SELECT 0");
}

static enum err close_record(struct store_pg *p, int64_t run_id,
                             const char *url)
{
    struct buf sql;
    enum err e;

    if (!url && !p->skipped.len && !p->adds.len)
        return ERR_OK;
    buf_init(&sql, STORE_PG_SQL_MAX);
    e = url ? record_sql(p, &sql, run_id, url) : loose_sql(p, &sql, run_id);
    e = e ? e : batch_add(p, &sql);
    buf_release(&sql);
    record_reset(p);
    return e;
}

enum err store_pg_frontier_done(struct store_pg *p, int64_t run_id,
                                const char *url)
{
    return close_record(p, run_id, url);
}

enum err store_pg_put_robots(struct store_pg *p, int64_t run_id,
                             const struct robots_row *row)
{
    struct buf sql;
    size_t len = row->len > STORE_ROBOTS_MAX ? STORE_ROBOTS_MAX : row->len;
    enum err e;

    buf_init(&sql, STORE_PG_SQL_MAX);
    e = buf_addf(&sql,
                 "UPDATE hosts SET robots = 2, robots_status = %ld,"
                 " robots_err = %d, robots_owner = NULL, robots_body = ",
                 row->status, row->err);
    e = e ? e : pg_bytea(&sql, row->body ? row->body : "", len);
    e = e ? e
          : buf_addf(&sql,
                     " WHERE run_id = %lld AND host = ", (long long)run_id);
    e = e ? e : add_host(&sql, row->url);
    e = e ? e : buf_adds(&sql, " AND robots < 2");
    e = e ? e : batch_add(p, &sql);
    buf_release(&sql);
    return e;
}

/* Rows written outside a record (the seeds) go out before anything
 * that is not part of one. */
static enum err settle(struct store_pg *p)
{
    return store_pg_flush(p);
}

/* ---- runs ------------------------------------------------------------- */

/* Runs a parameterised statement; `rows` (may be NULL) gets the result
 * (caller clears). */
static enum err run_params(struct store_pg *p, const char *sql, int n,
                           const char *const *params, PGresult **rows)
{
    PGresult *res;
    ExecStatusType st;

    for (;;) {
        res = PQexecParams(p->conn, sql, n, NULL, params, NULL, NULL, 0);
        st = PQresultStatus(res);
        if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
            break;
        pg_why(p->conn, "PostgreSQL", p->msg, sizeof(p->msg));
        PQclear(res);
        if (!pg_recover(p->uri, &p->conn, "writer", NULL))
            return ERR_DB;
    }
    if (rows)
        *rows = res;
    else
        PQclear(res);
    return ERR_OK;
}

static void iso_now(char *out, size_t n)
{
    struct timespec ts;
    struct tm tm;
    char day[32];

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, n, "%.20s.%03dZ", day, (int)(ts.tv_nsec / 1000000) % 1000);
}

/* This node's nodes row. */
static enum err node_begin(struct store_pg *p, int64_t run_id)
{
    char run[32], node[32], pid[16], host[256] = "", now[64];
    const char *params[5] = {run, node, host, pid, now};

    snprintf(run, sizeof(run), "%lld", (long long)run_id);
    snprintf(node, sizeof(node), "%lld", (long long)p->node);
    snprintf(pid, sizeof(pid), "%d", (int)getpid());
    gethostname(host, sizeof(host) - 1);
    iso_now(now, sizeof(now));
    return run_params(p,
                      "INSERT INTO nodes(run_id, node, hostname, pid,"
                      " started_at, status) VALUES($1, $2, $3, $4, $5,"
                      " 'running')",
                      5, params, NULL);
}

static enum err put_selectors(struct store_pg *p, const char *run,
                              const struct extract_spec *spec)
{
    char pos[16], list[4];
    enum err e = ERR_OK;
    size_t i;

    if (!spec)
        return ERR_OK;
    for (i = 0; i <= spec->nfields && !e; i++) {
        const struct field_spec *f = i ? &spec->fields[i - 1] : NULL;
        const char *sel = f ? f->selector : spec->item_selector;
        const char *xpath = f ? f->xpath : spec->item_xpath;
        const char *params[7] = {run,
                                 pos,
                                 f ? "field" : "item",
                                 f ? f->name : NULL,
                                 sel ? sel : xpath,
                                 xpath,
                                 list};
        if (!xpath)
            continue;
        snprintf(pos, sizeof(pos), "%zu", i);
        snprintf(list, sizeof(list), "%d", f ? f->list : 1);
        e = run_params(p,
                       "INSERT INTO selectors(run_id, pos, kind, name,"
                       " selector, xpath, list) VALUES($1, $2, $3, $4, $5,"
                       " $6, $7)",
                       7, params, NULL);
    }
    return e;
}

enum err store_pg_run_begin(struct store_pg *p, const struct run_info *info,
                            int64_t *run_id)
{
    char workers[16], conc[16], depth[16], now[64], run[32];
    char per_host[16], delay[32], max_pages[32], lease[16];
    const char *params[7] = {info->mode,  workers, conc,      depth,
                             info->seeds, now,     info->args};
    const char *cparams[6] = {run,   per_host,
                              delay, max_pages,
                              lease, info->ignore_robots ? "true" : "false"};
    PGresult *res = NULL;
    enum err e;

    snprintf(workers, sizeof(workers), "%d", info->workers);
    snprintf(conc, sizeof(conc), "%d", info->concurrency);
    snprintf(depth, sizeof(depth), "%d", info->depth);
    iso_now(now, sizeof(now));
    if ((e = settle(p)) ||
        (e = pg_exec(p->conn, "BEGIN", p->msg, sizeof(p->msg))) ||
        (e = run_params(p,
                        "INSERT INTO runs(mode, workers, concurrency, depth,"
                        " seeds, started_at, status, args) VALUES($1, $2, $3,"
                        " $4, $5, $6, 'running', $7) RETURNING id",
                        7, params, &res)))
        goto fail;
    *run_id = atoll(PQgetvalue(res, 0, 0));
    PQclear(res);
    snprintf(run, sizeof(run), "%lld", (long long)*run_id);
    snprintf(per_host, sizeof(per_host), "%ld", info->per_host);
    snprintf(delay, sizeof(delay), "%ld", info->delay_ms);
    snprintf(max_pages, sizeof(max_pages), "%ld", info->max_pages);
    snprintf(lease, sizeof(lease), "%ld", info->lease_s);
    if ((e = run_params(p,
                        "INSERT INTO cluster_runs(run_id, per_host, delay_ms,"
                        " max_pages, lease_s, ignore_robots) VALUES($1, $2, $3,"
                        " $4, $5, $6)",
                        6, cparams, NULL)) ||
        (e = put_selectors(p, run, info->spec)) ||
        (e = node_begin(p, *run_id)) ||
        (e = pg_exec(p->conn, "COMMIT", p->msg, sizeof(p->msg))))
        goto fail;
    return ERR_OK;
fail:
    PQclear(PQexec(p->conn, "ROLLBACK"));
    return e;
}

enum err store_pg_run_args(struct store_pg *p, int64_t run_id, char **args,
                           char **mode)
{
    char run[32];
    const char *params[1] = {run};
    PGresult *res = NULL;
    enum err e;

    *args = *mode = NULL;
    snprintf(run, sizeof(run), "%lld", (long long)run_id);
    if ((e = run_params(p, "SELECT args, mode, status FROM runs WHERE id = $1",
                        1, params, &res)))
        return e;
    if (PQntuples(res) != 1) {
        snprintf(p->msg, sizeof(p->msg), "there is no run %lld",
                 (long long)run_id);
        e = ERR_INVALID;
    } else if (strcmp(PQgetvalue(res, 0, 2), "done") == 0) {
        snprintf(p->msg, sizeof(p->msg), "run %lld is done already",
                 (long long)run_id);
        e = ERR_INVALID;
    } else if (PQgetisnull(res, 0, 0)) {
        snprintf(p->msg, sizeof(p->msg), "run %lld has no command line",
                 (long long)run_id);
        e = ERR_INVALID;
    } else {
        *args = strdup(PQgetvalue(res, 0, 0));
        *mode = strdup(PQgetvalue(res, 0, 1));
        e = *args && *mode ? ERR_OK : ERR_NOMEM;
    }
    PQclear(res);
    return e;
}

enum err store_pg_run_reopen(struct store_pg *p, int64_t run_id)
{
    return node_begin(p, run_id);
}

/* Gives back what this node claimed and did not finish (an interrupted
 * or failed node), so the others need not wait for its leases. */
static enum err release_claims(struct store_pg *p, const char *run,
                               const char *node)
{
    const char *params[2] = {run, node};

    return run_params(
        p,
        "WITH r AS (UPDATE frontier SET state = 0, owner = NULL,"
        " lease_until = NULL WHERE run_id = $1 AND owner = $2 AND state = 1"
        " RETURNING host), c AS (SELECT host, count(*) AS n FROM r GROUP BY"
        " host), h AS (UPDATE hosts SET out = greatest(out - c.n, 0) FROM c"
        " WHERE hosts.run_id = $1 AND hosts.host = c.host),"
        " b AS (UPDATE hosts SET robots = 0, robots_owner = NULL"
        " WHERE run_id = $1 AND robots = 1 AND robots_owner = $2)"
        " UPDATE cluster_runs SET claimed = greatest(claimed -"
        " (SELECT count(*) FROM r), 0) WHERE run_id = $1",
        2, params, NULL);
}

enum err store_pg_run_end(struct store_pg *p, int64_t run_id,
                          const struct run_stats *r)
{
    char run[32], node[32], now[64], v[6][32], refused[32];
    const char *params[11] = {run,  node, now,  v[0],    v[1],     v[2],
                              v[3], v[4], v[5], refused, r->status};
    long vals[6] = {r->pages,       r->errors,     r->wall_ms,
                    r->cpu_user_ms, r->cpu_sys_ms, r->peak_rss_kb};
    enum err e;
    int i;

    for (i = 0; i < 6; i++)
        snprintf(v[i], sizeof(v[i]), "%ld", vals[i]);
    snprintf(run, sizeof(run), "%lld", (long long)run_id);
    snprintf(node, sizeof(node), "%lld", (long long)p->node);
    snprintf(refused, sizeof(refused), "%ld", p->refused);
    iso_now(now, sizeof(now));
    if ((e = settle(p)))
        return e;
    if (strcmp(r->status, "done") != 0 && (e = release_claims(p, run, node)))
        return e;
    if ((e = run_params(p,
                        "UPDATE nodes SET finished_at = $3, pages = $4,"
                        " errors = $5, wall_ms = $6, cpu_user_ms = $7,"
                        " cpu_sys_ms = $8, peak_rss_kb = $9, refused = $10,"
                        " status = $11 WHERE run_id = $1 AND node = $2",
                        11, params, NULL)))
        return e;
    if (strcmp(r->status, "done") != 0)
        return ERR_OK;
    /* The run is done when nothing is claimed any more: its figures are
     * the sums over its nodes (the last node to finish writes them). */
    return run_params(
        p,
        "UPDATE runs SET status = 'done', finished_at = $3::text,"
        " pages = (SELECT count(*) FROM pages WHERE run_id = $1),"
        " errors = (SELECT count(error) FROM pages WHERE run_id = $1),"
        " wall_ms = (extract(epoch FROM ($3::text::timestamptz -"
        " started_at::timestamptz)) * 1000)::bigint,"
        " cpu_user_ms = (SELECT sum(cpu_user_ms) FROM nodes WHERE run_id = $1),"
        " cpu_sys_ms = (SELECT sum(cpu_sys_ms) FROM nodes WHERE run_id = $1),"
        " peak_rss_kb = (SELECT max(peak_rss_kb) FROM nodes"
        " WHERE run_id = $1)"
        " WHERE id = $1 AND $2::bigint <> 0 AND NOT EXISTS (SELECT 1 FROM"
        " frontier WHERE run_id = $1 AND state = 1)",
        3, params, NULL);
}

enum err store_pg_seeds_load(struct store_pg *p, int64_t run_id,
                             enum err (*fn)(void *ctx, const char *url),
                             void *ctx)
{
    char run[32];
    const char *params[1] = {run};
    PGresult *res = NULL;
    enum err e;
    int i;

    snprintf(run, sizeof(run), "%lld", (long long)run_id);
    if ((e = run_params(p,
                        "SELECT url FROM frontier WHERE run_id = $1"
                        " AND depth = 0",
                        1, params, &res)))
        return e;
    for (i = 0; i < PQntuples(res) && !e; i++)
        e = fn(ctx, PQgetvalue(res, i, 0));
    PQclear(res);
    return e;
}
