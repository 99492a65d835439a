/*
 * store_pg.c - the store on PostgreSQL, for runs many nodes crawl
 * together (a backend of store.c: store_backend.h; the connection and
 * schema are pg.h's).
 *
 * Writes are statements kept in a batch, sent as one transaction when
 * the writer ticks (after each record).  A page's record - its row,
 * text, links, fields, items, skipped rows, the URLs it queued and its
 * done mark - is one statement whose every part is conditional on the
 * lease: the frontier row must still be claimed by this node.  A node
 * whose lease was taken over has its record refused (counted), never
 * duplicated.  Because a record is one statement that is harmless to run
 * twice, a batch lost with the connection is sent again after
 * reconnecting (pg_recover).
 *
 * A record is assembled from the writer's calls (put_page, the frontier
 * adds and skipped rows of its links) and closed by its frontier_done,
 * which turns it into one execution of the
 * prepared statement ST_RECORD:
 *
 *   WITH g AS (UPDATE frontier SET state = 2 WHERE <url claimed by us>),
 *        p AS (INSERT INTO pages ... SELECT ... FROM g ... RETURNING id),
 *        ... links, fields, items, text FROM p; skipped, queued FROM g ...
 *   SELECT <1 when refused>
 *
 * so nothing of it lands unless the claim is still ours, and running it
 * again after it committed changes nothing.  Lists (links, fields,
 * items, skipped and queued URLs) travel as arrays, so the statement is
 * planned once per connection, not once per page (planning a statement
 * with the lists written out cost 1.6 ms, three times its execution).
 * Calls outside a record (the seeds, robots.txt answers) are statements
 * of their own.  A batch is sent as one pipeline: one round trip, one
 * implicit transaction.
 */
#include "store_backend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "scrape/body.h"
#include "scrape/clock.h"
#include "scrape/json.h"
#include "scrape/pg.h"
#include "scrape/buf.h"
#include "store_json.h"
#include "scrape/url.h"
#include "scrape/utf8.h"

/* Times a batch that lost a deadlock is sent before giving up. */
#define STORE_PG_TRIES 20

/* Largest array parameter (a page's links, or its text). */
#define STORE_PG_PARAM_MAX (1024L * 1024 * 1024)

enum pg_stmt { ST_RECORD, ST_LOOSE, ST_ROBOTS, ST__COUNT };

/* The parameters of ST_RECORD, in order. */
enum rec_param {
    R_RUN,
    R_URL,
    R_NODE,
    R_HAS_PAGE,
    R_FINAL_URL,
    R_DEPTH,
    R_STATUS,
    R_TYPE,
    R_CHARSET,
    R_BYTES,
    R_FETCH_MS,
    R_TITLE,
    R_DESCRIPTION,
    R_LANG,
    R_CANONICAL,
    R_H1,
    R_WORDS,
    R_OUTLINKS,
    R_ERROR,
    R_FETCHED_AT,
    R_SIMHASH,
    R_ATTEMPTS,
    R_TEXT_TITLE,
    R_TEXT_BODY,
    R_HAS_TEXT,
    R_LINK_URLS,
    R_LINK_FOLLOW,
    R_FIELD_NAMES,
    R_FIELD_VALUES,
    R_ITEM_IDX,
    R_ITEM_DATA,
    R_SKIP_URLS,
    R_SKIP_REASONS,
    R_ADD_URLS,
    R_ADD_HOSTS,
    R_ADD_DEPTHS,
    R_ETAG,
    R_LAST_MODIFIED,
    R_BODY_HASH,
    R_HEADERS,
    R_BODY_SIZE,
    R_BODY_DATA,
    R_RULE,
    R_UNFOLLOWED,
    R_ADD_REFS,
    R__COUNT
};

/* The queued URLs' part, shared by ST_RECORD (gated by g) and ST_LOOSE.
 * New URLs are inserted without touching known ones (DO NOTHING takes no
 * row lock, so records of several nodes that link to the same pages do
 * not wait for each other); only a URL found shallower than it is queued
 * is updated.  A new host gets its hosts row. */
#define QUEUED_SQL(gate, run, s_urls, s_reasons, urls, hosts, depths, refs)    \
    "s AS (INSERT INTO skipped(run_id, url, reason) SELECT " run ", v.u, v.r"  \
    " FROM " gate "unnest(" s_urls "::text[], " s_reasons "::text[]) v(u, r)"  \
    " ON CONFLICT DO NOTHING),"                                                \
    "v AS (SELECT DISTINCT ON (v.u) v.u, v.h, v.d, v.r FROM " gate             \
    "unnest(" urls "::text[], " hosts "::text[], " depths "::int[], " refs     \
    "::text[])"                                                                \
    " v(u, h, d, r) ORDER BY v.u, v.d),"                                       \
    "a AS (INSERT INTO frontier(run_id, url, host, depth, referrer) "          \
    "SELECT " run                                                              \
    ", u, h, d, r FROM v ORDER BY u ON CONFLICT (run_id, url) DO NOTHING"      \
    " RETURNING host),"                                                        \
    "ad AS (UPDATE frontier SET depth = v.d FROM v WHERE frontier.run_id "     \
    "= " run " AND frontier.url = v.u AND frontier.state = 0"                  \
    " AND v.d < frontier.depth),"                                              \
    "ah AS (INSERT INTO hosts(run_id, host, robots) SELECT DISTINCT " run      \
    ", host, CASE WHEN (SELECT ignore_robots FROM cluster_runs WHERE run_id =" \
    " " run ") THEN 2 ELSE 0 END FROM a ON CONFLICT DO NOTHING)"

static const char *const stmt_sql[ST__COUNT] = {
    [ST_RECORD] =
        "WITH g AS (UPDATE frontier SET state = 2 WHERE run_id = $1::bigint"
        " AND url = $2::text AND state = 1 AND owner = $3::bigint"
        " RETURNING host),"
        "p AS (INSERT INTO pages(run_id, url, final_url, depth, status,"
        " content_type, charset, bytes, fetch_ms, title, description, lang,"
        " canonical, h1, words, outlinks, error, fetched_at, simhash,"
        " attempts, etag, last_modified, body_hash, headers, rule,"
        " unfollowed, referrer)"
        " SELECT $1, $2, $5::text, $6::int, $7::int, $8::text,"
        " $9::text, $10::bigint, $11::bigint, $12::text, $13::text,"
        " $14::text, $15::text, $16::text, $17::bigint, $18::bigint,"
        " $19::text, $20::text, $21::bigint, $22::int, $37::text, $38::text,"
        " $39::text, $40::text, $43::text, $44::bigint, (SELECT r.id FROM"
        " frontier f JOIN pages r ON r.run_id = f.run_id AND r.url ="
        " f.referrer WHERE f.run_id = $1 AND f.url = $2) FROM g"
        " WHERE $4::boolean ON CONFLICT (run_id, url) DO NOTHING"
        " RETURNING id),"
        /* The body, once per distinct body (--keep-bodies). */
        "b AS (INSERT INTO bodies(hash, size, codec, data) SELECT $39,"
        " $41::bigint, 'zstd', $42::bytea FROM p WHERE $42 IS NOT NULL"
        " ON CONFLICT DO NOTHING),"
        "t AS (INSERT INTO pages_text(page_id, title, body)"
        " SELECT p.id, $23::text, $24::text FROM p WHERE $25::boolean),"
        "l AS (INSERT INTO links(page_id, url, followable) SELECT p.id, v.u,"
        " v.f FROM p, unnest($26::text[], $27::int[]) v(u, f)),"
        "f AS (INSERT INTO fields(page_id, name, value) SELECT p.id, v.n, v.v"
        " FROM p, unnest($28::text[], $29::text[]) v(n, v)),"
        "i AS (INSERT INTO items(run_id, page_id, idx, data, rule) SELECT"
        " $1, p.id, v.i, v.d, $43::text FROM p, unnest($30::int[],"
        " $31::text[]) v(i, d)),"
        /* A URL robots.txt forbids (no page) does not count for
         * --max-pages: a single-node run does not count it either. */
        "m AS (UPDATE cluster_runs SET claimed = greatest(claimed - 1, 0)"
        " FROM g WHERE cluster_runs.run_id = $1 AND NOT $4)," QUEUED_SQL(
            "g, ", "$1", "$32", "$33", "$34", "$35", "$36", "$45")
    /* Refused unless the claim was ours now or the record is already
     * in (a batch sent again after a lost connection). */
    " SELECT CASE WHEN EXISTS (SELECT 1 FROM g) OR EXISTS (SELECT 1 FROM"
    " frontier WHERE run_id = $1 AND state = 2 AND owner = $3"
    " AND url = $2) THEN 0 ELSE 1 END",
    [ST_LOOSE] = "WITH " QUEUED_SQL("", "$1::bigint", "$2", "$3", "$4", "$5",
                                    "$6", "$7") " SELECT 0",
    [ST_ROBOTS] = "UPDATE hosts SET robots = 2, robots_status = $3::int,"
                  " robots_err = $4::int, robots_owner = NULL,"
                  " robots_body = $5::bytea WHERE run_id = $1::bigint"
                  " AND host = $2::text AND robots < 2",
};

static const int stmt_params[ST__COUNT] = {
    [ST_RECORD] = R__COUNT, [ST_LOOSE] = 7, [ST_ROBOTS] = 5};

/* One statement of a batch: its parameters (owned; NULL is SQL NULL). */
struct pg_exec {
    enum pg_stmt stmt;
    char *v[R__COUNT];
};

/* Array parameters being built ("{...}" text literals). */
struct arrays {
    struct buf link_urls, link_follow, field_names, field_values, item_idx,
        item_data, skip_urls, skip_reasons, add_urls, add_hosts, add_depths,
        add_refs;
};

#define ARRAYS(a)                                                              \
    {                                                                          \
        &(a)->link_urls, &(a)->link_follow, &(a)->field_names,                 \
            &(a)->field_values, &(a)->item_idx, &(a)->item_data,               \
            &(a)->skip_urls, &(a)->skip_reasons, &(a)->add_urls,               \
            &(a)->add_hosts, &(a)->add_depths, &(a)->add_refs                  \
    }
#define NARRAYS 12

struct store_pg {
    struct store_backend base; /* first: its ops, for store.c */
    char *uri;
    PGconn *conn;
    bool prepared; /* on this connection */
    int64_t node;
    struct pg_exec *batch; /* statements not sent yet */
    size_t nbatch, capbatch;
    /* The record being assembled. */
    int64_t run_id;
    struct pg_exec cur;
    bool has_page;
    struct arrays arr;
    struct buf json;
    long refused; /* records refused: their claim was taken over */
    char msg[512];
};

static const char *pgstore_errmsg(const struct store_backend *b)
{
    return ((const struct store_pg *)b)->msg;
}

static int64_t pgstore_node(const struct store_backend *b)
{
    return ((const struct store_pg *)b)->node;
}

static void exec_release(struct pg_exec *x)
{
    size_t i;

    for (i = 0; i < R__COUNT; i++)
        free(x->v[i]);
    memset(x, 0, sizeof(*x));
}

static void record_reset(struct store_pg *p)
{
    struct buf *all[NARRAYS] = ARRAYS(&p->arr);
    size_t i;

    exec_release(&p->cur);
    for (i = 0; i < NARRAYS; i++)
        buf_reset(all[i]);
    p->has_page = false;
}

static void batch_clear(struct store_pg *p)
{
    size_t i;

    for (i = 0; i < p->nbatch; i++)
        exec_release(&p->batch[i]);
    p->nbatch = 0;
}

static enum err pgstore_close(struct store_backend *b);
static enum err pgstore_flush(struct store_backend *b);
static const struct store_ops pg_ops;

enum err store_pg_open(const char *uri, struct store_backend **out, char **why)
{
    struct store_pg *p = calloc(1, sizeof(*p));
    struct buf *all[NARRAYS];
    enum err e = ERR_NOMEM;
    size_t i;

    *out = NULL;
    *why = NULL;
    if (!p || !(p->uri = strdup(uri)))
        goto fail;
    p->base.ops = &pg_ops;
    {
        struct buf *a[NARRAYS] = ARRAYS(&p->arr);
        memcpy(all, a, sizeof(all));
    }
    for (i = 0; i < NARRAYS; i++)
        buf_init(all[i], STORE_PG_PARAM_MAX);
    buf_init(&p->json, STORE_JSON_MAX);
    p->node = pg_node_id();
    e = ERR_DB;
    if (!(p->conn = pg_connect(uri, true, p->msg, sizeof(p->msg))) ||
        (e = pg_schema(p->conn, p->msg, sizeof(p->msg))))
        goto fail;
    *out = &p->base;
    return ERR_OK;
fail:
    *why = strdup(p ? p->msg : "out of memory");
    pgstore_close(p ? &p->base : NULL);
    return e ? e : ERR_DB;
}

static enum err pgstore_close(struct store_backend *b)
{
    struct store_pg *p = (struct store_pg *)b;
    struct buf *all[NARRAYS];
    enum err e;
    size_t i;

    if (!p)
        return ERR_OK;
    e = p->conn ? pgstore_flush(&p->base) : ERR_OK;
    PQfinish(p->conn);
    record_reset(p);
    batch_clear(p);
    free(p->batch);
    {
        struct buf *a[NARRAYS] = ARRAYS(&p->arr);
        memcpy(all, a, sizeof(all));
    }
    for (i = 0; i < NARRAYS; i++)
        buf_release(all[i]);
    buf_release(&p->json);
    free(p->uri);
    free(p);
    return e;
}

/* ---- sending ---------------------------------------------------------- */

/* Prepares the statements on a (new) connection. */
static bool prepare_all(struct store_pg *p)
{
    int i;

    for (i = 0; i < ST__COUNT && !p->prepared; i++) {
        char name[32];
        PGresult *res;
        snprintf(name, sizeof(name), "scrape_%d", i);
        res = PQprepare(p->conn, name, stmt_sql[i], stmt_params[i], NULL);
        if (PQresultStatus(res) != PGRES_COMMAND_OK) {
            pg_why(p->conn, "cannot prepare a statement", p->msg,
                   sizeof(p->msg));
            PQclear(res);
            return false;
        }
        PQclear(res);
    }
    p->prepared = true;
    return true;
}

/* True when `res` failed only because of other transactions (a deadlock
 * or a serialisation failure): the batch rolled back and may be sent
 * again. */
static bool transient(const PGresult *res)
{
    const char *code = PQresultErrorField(res, PG_DIAG_SQLSTATE);

    return code && (!strcmp(code, "40P01") || !strcmp(code, "40001"));
}

/* Sends every statement of the batch in one pipeline (one implicit
 * transaction, up to the sync) and reads the answers: *refused counts
 * records refused, *again says the failure was transient. */
static bool send_pipeline(struct store_pg *p, long *refused, bool *again)
{
    bool ok = PQenterPipelineMode(p->conn) != 0;
    size_t i, answered = 0;
    PGresult *res;

    *refused = 0;
    *again = false;
    for (i = 0; ok && i < p->nbatch; i++) {
        char name[32];
        snprintf(name, sizeof(name), "scrape_%d", (int)p->batch[i].stmt);
        ok = PQsendQueryPrepared(p->conn, name, stmt_params[p->batch[i].stmt],
                                 (const char *const *)p->batch[i].v, NULL, NULL,
                                 0) != 0;
    }
    ok = ok && PQpipelineSync(p->conn);
    /* Each statement's results end with a NULL; then the sync's. */
    while (ok && answered <= p->nbatch) {
        if (!(res = PQgetResult(p->conn))) {
            answered++;
            continue;
        }
        switch (PQresultStatus(res)) {
        case PGRES_PIPELINE_SYNC:
            answered = p->nbatch + 1;
            break;
        case PGRES_TUPLES_OK:
            if (PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == '1')
                (*refused)++;
            break;
        case PGRES_COMMAND_OK:
            break;
        case PGRES_PIPELINE_ABORTED:
            ok = false;
            break;
        default:
            *again = transient(res);
            pg_why(p->conn, "cannot write to PostgreSQL", p->msg,
                   sizeof(p->msg));
            ok = false;
        }
        PQclear(res);
    }
    /* After a failure: read up to the sync, then leave pipeline mode. */
    while (!ok && PQpipelineStatus(p->conn) != PQ_PIPELINE_OFF &&
           PQstatus(p->conn) == CONNECTION_OK) {
        if ((res = PQgetResult(p->conn))) {
            ExecStatusType st = PQresultStatus(res);
            PQclear(res);
            if (st == PGRES_PIPELINE_SYNC)
                break;
        } else if (PQisBusy(p->conn) == 0 && !PQgetResult(p->conn)) {
            break;
        }
    }
    if (PQpipelineStatus(p->conn) != PQ_PIPELINE_OFF)
        PQexitPipelineMode(p->conn);
    return ok;
}

/* Sends the batch; a lost connection is re-established and the batch
 * sent again, and so is a batch that lost a deadlock against another
 * node's (every statement in it may run twice). */
static enum err send_batch(struct store_pg *p)
{
    int tries = 0;
    long refused = 0;
    bool again = false;

    do {
        if (prepare_all(p) && send_pipeline(p, &refused, &again)) {
            if (refused)
                fprintf(stderr,
                        "scrape: %ld page(s) not recorded: their claim had"
                        " run out and another node took them over\n",
                        refused);
            p->refused += refused;
            return ERR_OK;
        }
        if (again && ++tries < STORE_PG_TRIES)
            continue;
        if (PQstatus(p->conn) != CONNECTION_OK)
            p->prepared = false;
    } while (pg_recover(p->uri, true, &p->conn, "writer", NULL));
    return ERR_DB;
}

static enum err close_record(struct store_pg *p, int64_t run_id,
                             const char *url);

/* The writer flushes and ticks only between records: rows pending now
 * were written outside one (the seeds). */
static enum err pgstore_flush(struct store_backend *b)
{
    struct store_pg *p = (struct store_pg *)b;
    enum err e = p->has_page ? ERR_OK : close_record(p, p->run_id, NULL);

    if (!e && p->nbatch)
        e = send_batch(p);
    batch_clear(p);
    return e;
}

/* Called after every record: a claim holds its host's slot (--per-host
 * across the nodes) until its record commits, so records are not kept
 * back to make batches; a batch is what arrived while the last one was
 * being sent. */
static enum err pgstore_tick(struct store_backend *b)
{
    struct store_pg *p = (struct store_pg *)b;
    return pgstore_flush(&p->base);
}

/* Moves `x` into the batch. */
static enum err batch_add(struct store_pg *p, struct pg_exec *x)
{
    if (p->nbatch == p->capbatch) {
        size_t ncap = p->capbatch ? p->capbatch * 2 : 16;
        struct pg_exec *nb = realloc(p->batch, ncap * sizeof(*nb));
        if (!nb)
            return ERR_NOMEM;
        p->batch = nb;
        p->capbatch = ncap;
    }
    p->batch[p->nbatch++] = *x;
    memset(x, 0, sizeof(*x));
    return ERR_OK;
}

/* ---- parameters ------------------------------------------------------- */

/* A copy of text `s` (NULL stays NULL), invalid UTF-8 repaired as the
 * SQLite store does.  *e is set when out of memory. */
static char *text(const char *s, enum err *e)
{
    char *c;

    if (!s)
        return NULL;
    c = utf8_valid(s, strlen(s)) ? strdup(s) : utf8_clean(s, strlen(s), false);
    if (!c)
        *e = ERR_NOMEM;
    return c;
}

static char *num(long long v, enum err *e)
{
    char *c = malloc(24);

    if (c)
        snprintf(c, 24, "%lld", v);
    else
        *e = ERR_NOMEM;
    return c;
}

static enum err arr_num(struct buf *b, long long v)
{
    return buf_addf(b, "%s%lld", b->len ? "," : "{", v);
}

/* The array literal of `b` ("{}" when empty), as a new string. */
static char *arr_done(struct buf *b, enum err *e)
{
    char *c;

    if ((*e = pg_array_end(b)))
        return NULL;
    if (!(c = strdup(b->data)))
        *e = ERR_NOMEM;
    buf_reset(b);
    return c;
}

/* scheme://host:port of canonical `url`. */
static void host_of(const char *url, char *host, size_t n)
{
    const char *path = url_path(url);

    snprintf(host, n, "%.*s", (int)(path - url), url);
}

/* ---- the record ------------------------------------------------------- */

/* bytea's text form of `n` bytes: \\x and two hex digits a byte (a new
 * string), or NULL with *e set. */
static char *bytea_hex(const void *data, size_t n, enum err *e)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *d = data;
    char *out = malloc(n * 2 + 3);
    size_t i;

    if (!out) {
        *e = ERR_NOMEM;
        return NULL;
    }
    out[0] = '\\';
    out[1] = 'x';
    for (i = 0; i < n; i++) {
        out[2 + 2 * i] = hex[d[i] >> 4];
        out[3 + 2 * i] = hex[d[i] & 15];
    }
    out[2 + 2 * n] = '\0';
    return out;
}

/* The response's validators, the body's hash and, with --keep-bodies,
 * its headers and compressed body. */
static enum err body_params(struct store_pg *p, const struct page_row *row)
{
    char **v = p->cur.v;
    enum err e = ERR_OK;
    void *z = NULL;
    size_t zn = 0;

    v[R_ETAG] = text(row->etag, &e);
    v[R_LAST_MODIFIED] = text(row->last_modified, &e);
    v[R_BODY_HASH] = text(row->body_hash, &e); /* store.c hashed the body */
    if (!row->keep_body)
        return e;
    v[R_HEADERS] = text(row->headers, &e);
    if (!row->body || e || (e = body_pack(row->body, row->body_len, &z, &zn)))
        return e;
    v[R_BODY_SIZE] = num((long long)row->body_len, &e);
    v[R_BODY_DATA] = bytea_hex(z, zn, &e);
    free(z);
    return e;
}

static enum err page_params(struct store_pg *p, const struct page_row *row)
{
    const struct page *pg = row->page;
    char **v = p->cur.v;
    char now[64];
    enum err e = ERR_OK;

    clock_iso(now, sizeof(now));
    v[R_FINAL_URL] = text(row->final_url, &e);
    v[R_DEPTH] = num(row->depth, &e);
    v[R_STATUS] = num(row->status, &e);
    v[R_TYPE] = text(row->content_type, &e);
    v[R_BYTES] = num(row->bytes, &e);
    v[R_FETCH_MS] = num(row->fetch_ms, &e);
    v[R_ERROR] = text(row->error, &e);
    v[R_FETCHED_AT] = text(now, &e);
    v[R_ATTEMPTS] = num(row->attempts, &e);
    if (row->rule)
        v[R_RULE] = text(row->rule, &e);
    if (!e)
        e = body_params(p, row);
    if (!pg)
        return e;
    if (pg->chosen)
        v[R_UNFOLLOWED] = num(pg->unfollowed, &e);
    v[R_CHARSET] = text(pg->charset, &e);
    v[R_TITLE] = text(pg->title, &e);
    v[R_DESCRIPTION] = text(pg->description, &e);
    v[R_LANG] = text(pg->lang, &e);
    v[R_CANONICAL] = text(pg->canonical, &e);
    v[R_H1] = text(pg->h1, &e);
    v[R_WORDS] = num((long long)pg->words, &e);
    v[R_OUTLINKS] = num((long long)pg->nlinks, &e);
    if (pg->simhash)
        v[R_SIMHASH] = num((long long)(int64_t)pg->simhash, &e);
    if (pg->title || pg->text) {
        v[R_TEXT_TITLE] = text(pg->title, &e);
        v[R_TEXT_BODY] = text(pg->text, &e);
        v[R_HAS_TEXT] = text("t", &e);
    }
    return e;
}

static enum err children_params(struct store_pg *p, const struct page_row *row)
{
    const struct page *pg = row->page;
    struct arrays *a = &p->arr;
    enum err e = ERR_OK;
    size_t i, n;

    for (i = 0; i < pg->nlinks && !e; i++) {
        e = pg_array_add(&a->link_urls, pg->links[i].url);
        e = e ? e : arr_num(&a->link_follow, pg->links[i].followable);
    }
    for (i = 0; pg->items && i < pg->nrecords && !e; i++) {
        buf_reset(&p->json);
        e = store_json_item(&p->json, row, i);
        e = e ? e : arr_num(&a->item_idx, (long long)i);
        e = e ? e : pg_array_add(&a->item_data, p->json.data);
    }
    for (i = 0; !pg->items && pg->nrecords && i < pg->nfields &&
                i < row->spec->nfields && !e;
         i++) {
        char *const *v = page_values(pg, 0, i, &n);
        const char *value = n ? v[0] : NULL;
        if (row->spec->fields[i].list) {
            buf_reset(&p->json);
            if ((e = store_json_field(&p->json, row, i)))
                break;
            value = p->json.data;
        } else if (!n) {
            continue;
        }
        e = pg_array_add(&a->field_names, row->spec->fields[i].name);
        e = e ? e : pg_array_add(&a->field_values, value);
    }
    return e;
}

static enum err pgstore_put_page(struct store_backend *b, int64_t run_id,
                                 const struct page_row *row)
{
    struct store_pg *p = (struct store_pg *)b;
    enum err e;

    if (p->has_page) /* a record has one page; never here in a crawl */
        record_reset(p);
    p->has_page = true;
    p->run_id = run_id;
    if ((e = page_params(p, row)) ||
        (row->page && (e = children_params(p, row))))
        record_reset(p);
    return e;
}

static enum err pgstore_put_skipped(struct store_backend *b, int64_t run_id,
                                    const char *url, const char *reason)
{
    struct store_pg *p = (struct store_pg *)b;
    enum err e = pg_array_add(&p->arr.skip_urls, url);

    p->run_id = run_id;
    return e ? e : pg_array_add(&p->arr.skip_reasons, reason);
}

static enum err pgstore_frontier_add(struct store_backend *b, int64_t run_id,
                                     const char *url, int depth,
                                     const char *referrer)
{
    struct store_pg *p = (struct store_pg *)b;
    char host[URL_MAX];
    enum err e = pg_array_add(&p->arr.add_urls, url);

    p->run_id = run_id;
    host_of(url, host, sizeof(host));
    e = e ? e : pg_array_add(&p->arr.add_hosts, host);
    e = e ? e : pg_array_add(&p->arr.add_refs, referrer);
    return e ? e : arr_num(&p->arr.add_depths, depth);
}

/* Closes the record of `url` (or, NULL, the rows written outside one)
 * into the batch. */
static enum err close_record(struct store_pg *p, int64_t run_id,
                             const char *url)
{
    struct pg_exec *x = &p->cur;
    struct arrays *a = &p->arr;
    char **v = x->v;
    enum err e = ERR_OK;

    if (!url && !a->skip_urls.len && !a->add_urls.len)
        return ERR_OK;
    v[R_RUN] = num(run_id, &e);
    if (url) {
        x->stmt = ST_RECORD;
        v[R_URL] = text(url, &e);
        v[R_NODE] = num(p->node, &e);
        v[R_HAS_PAGE] = text(p->has_page ? "t" : "f", &e);
        if (!v[R_HAS_TEXT])
            v[R_HAS_TEXT] = text("f", &e);
        v[R_LINK_URLS] = arr_done(&a->link_urls, &e);
        v[R_LINK_FOLLOW] = arr_done(&a->link_follow, &e);
        v[R_FIELD_NAMES] = arr_done(&a->field_names, &e);
        v[R_FIELD_VALUES] = arr_done(&a->field_values, &e);
        v[R_ITEM_IDX] = arr_done(&a->item_idx, &e);
        v[R_ITEM_DATA] = arr_done(&a->item_data, &e);
        v[R_SKIP_URLS] = arr_done(&a->skip_urls, &e);
        v[R_SKIP_REASONS] = arr_done(&a->skip_reasons, &e);
        v[R_ADD_URLS] = arr_done(&a->add_urls, &e);
        v[R_ADD_HOSTS] = arr_done(&a->add_hosts, &e);
        v[R_ADD_DEPTHS] = arr_done(&a->add_depths, &e);
        v[R_ADD_REFS] = arr_done(&a->add_refs, &e);
    } else {
        /* ST_LOOSE: $1 run, $2..$3 skipped, $4..$7 queued. */
        x->stmt = ST_LOOSE;
        v[1] = arr_done(&a->skip_urls, &e);
        v[2] = arr_done(&a->skip_reasons, &e);
        v[3] = arr_done(&a->add_urls, &e);
        v[4] = arr_done(&a->add_hosts, &e);
        v[5] = arr_done(&a->add_depths, &e);
        v[6] = arr_done(&a->add_refs, &e);
    }
    e = e ? e : batch_add(p, x);
    record_reset(p);
    return e;
}

static enum err pgstore_frontier_done(struct store_backend *b, int64_t run_id,
                                      const char *url)
{
    struct store_pg *p = (struct store_pg *)b;
    return close_record(p, run_id, url);
}

static enum err pgstore_put_robots(struct store_backend *b, int64_t run_id,
                                   const struct robots_row *row)
{
    struct store_pg *p = (struct store_pg *)b;
    size_t len = row->len > STORE_ROBOTS_MAX ? STORE_ROBOTS_MAX : row->len;
    struct pg_exec x = {.stmt = ST_ROBOTS};
    char host[URL_MAX];
    enum err e = ERR_OK;

    host_of(row->url, host, sizeof(host));
    x.v[0] = num(run_id, &e);
    x.v[1] = text(host, &e);
    x.v[2] = num(row->status, &e);
    x.v[3] = num(row->err, &e);
    x.v[4] = bytea_hex(row->body ? row->body : "", len, &e);
    e = e ? e : batch_add(p, &x);
    exec_release(&x);
    return e;
}

/* Rows written outside a record (the seeds) go out before anything
 * that is not part of one. */
static enum err settle(struct store_pg *p)
{
    return pgstore_flush(&p->base);
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
        if (!pg_recover(p->uri, true, &p->conn, "writer", NULL))
            return ERR_DB;
    }
    if (rows)
        *rows = res;
    else
        PQclear(res);
    return ERR_OK;
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
    clock_iso(now, sizeof(now));
    return run_params(p,
                      "INSERT INTO nodes(run_id, node, hostname, pid,"
                      " started_at, status) VALUES($1, $2, $3, $4, $5,"
                      " 'running')",
                      5, params, NULL);
}

/* put_selectors' state: the store and the run. */
struct selectors_ctx {
    struct store_pg *p;
    const char *run;
};

static enum err put_selector(void *ctx, int pos, const struct selector_row *r)
{
    struct selectors_ctx *c = ctx;
    char spos[16], list[4];
    const char *params[8] = {c->run,      spos,     r->kind, r->name,
                             r->selector, r->xpath, list,    r->rule};

    snprintf(spos, sizeof(spos), "%d", pos);
    snprintf(list, sizeof(list), "%d", r->list);
    return run_params(c->p,
                      "INSERT INTO selectors(run_id, pos, kind, name,"
                      " selector, xpath, list, rule) VALUES($1, $2, $3, $4,"
                      " $5, $6, $7, $8)",
                      8, params, NULL);
}

/* What the run extracts and follows with (store_selector_rows). */
static enum err put_selectors(struct store_pg *p, const char *run,
                              const struct spider *spider)
{
    struct selectors_ctx c = {p, run};

    return store_selector_rows(spider, put_selector, &c);
}

static enum err pgstore_run_begin(struct store_backend *b,
                                  const struct run_info *info, int64_t *run_id)
{
    struct store_pg *p = (struct store_pg *)b;
    char workers[16], conc[16], depth[16], now[64], run[32];
    char per_host[16], delay[32], max_pages[32], lease[16];
    const char *params[8] = {
        info->mode,  workers, conc,       depth,
        info->seeds, now,     info->args, info->insecure ? "1" : NULL};
    const char *cparams[6] = {run,   per_host,
                              delay, max_pages,
                              lease, info->ignore_robots ? "true" : "false"};
    PGresult *res = NULL;
    enum err e;

    snprintf(workers, sizeof(workers), "%d", info->workers);
    snprintf(conc, sizeof(conc), "%d", info->concurrency);
    snprintf(depth, sizeof(depth), "%d", info->depth);
    clock_iso(now, sizeof(now));
    if ((e = settle(p)) ||
        (e = pg_exec(p->conn, "BEGIN", p->msg, sizeof(p->msg))) ||
        (e = run_params(p,
                        "INSERT INTO runs(mode, workers, concurrency, depth,"
                        " seeds, started_at, status, args, insecure)"
                        " VALUES($1, $2, $3, $4, $5, $6, 'running', $7, $8)"
                        " RETURNING id",
                        8, params, &res)))
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
        (e = put_selectors(p, run, info->spider)) ||
        (e = node_begin(p, *run_id)) ||
        (e = pg_exec(p->conn, "COMMIT", p->msg, sizeof(p->msg))))
        goto fail;
    return ERR_OK;
fail:
    PQclear(PQexec(p->conn, "ROLLBACK"));
    return e;
}

static enum err pgstore_run_args(struct store_backend *b, int64_t run_id,
                                 char **args, char **mode)
{
    struct store_pg *p = (struct store_pg *)b;
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

/* --join: registers this node; a shared run's counts are not its. */
static enum err pgstore_run_reopen(struct store_backend *b, int64_t run_id,
                                   long *pages, long *errors)
{
    struct store_pg *p = (struct store_pg *)b;
    *pages = *errors = 0;
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
        " RETURNING 1), b AS (UPDATE hosts SET robots = 0, robots_owner = NULL"
        " WHERE run_id = $1 AND robots = 1 AND robots_owner = $2)"
        " UPDATE cluster_runs SET claimed = greatest(claimed -"
        " (SELECT count(*) FROM r), 0) WHERE run_id = $1",
        2, params, NULL);
}

static enum err pgstore_run_end(struct store_backend *b, int64_t run_id,
                                const struct run_stats *r)
{
    struct store_pg *p = (struct store_pg *)b;
    char run[32], node[32], now[64], v[6][32], refused[32], lock[96];
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
    clock_iso(now, sizeof(now));
    if ((e = settle(p)))
        return e;
    if (strcmp(r->status, "done") != 0 && (e = release_claims(p, run, node)))
        return e;
    /* Pages recorded before the page that queued them (a held page's
     * links are fetched early, another node's page may come later): their
     * referrer, now that more of the run is in. */
    if ((e = run_params(p,
                        "UPDATE pages SET referrer = (SELECT r.id FROM"
                        " frontier f JOIN pages r ON r.run_id = f.run_id AND"
                        " r.url = f.referrer WHERE f.run_id = pages.run_id"
                        " AND f.url = pages.url) WHERE run_id = $1 AND"
                        " referrer IS NULL AND depth > 0",
                        1, params, NULL)))
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
     * the sums over its nodes (the last node to finish writes them).  The
     * run's row is locked first and the sums read by the next statement:
     * a statement that waited for another node's lock would keep the
     * sums of the snapshot it started with (measured: a 4-node run
     * reported a quarter of its CPU). */
    snprintf(lock, sizeof(lock),
             "BEGIN; SELECT 1 FROM runs WHERE id = %lld FOR UPDATE",
             (long long)run_id);
    if ((e = pg_exec(p->conn, lock, p->msg, sizeof(p->msg))) ||
        (e = run_params(
             p,
             "UPDATE runs SET status = 'done', finished_at = $3::text,"
             " pages = (SELECT count(*) FROM pages WHERE run_id = $1),"
             " errors = (SELECT count(error) FROM pages WHERE run_id = $1),"
             " wall_ms = (extract(epoch FROM ($3::text::timestamptz -"
             " started_at::timestamptz)) * 1000)::bigint,"
             " cpu_user_ms = (SELECT sum(cpu_user_ms) FROM nodes"
             " WHERE run_id = $1),"
             " cpu_sys_ms = (SELECT sum(cpu_sys_ms) FROM nodes"
             " WHERE run_id = $1),"
             " peak_rss_kb = (SELECT max(peak_rss_kb) FROM nodes"
             " WHERE run_id = $1)"
             " WHERE id = $1 AND $2::bigint <> 0 AND NOT EXISTS (SELECT 1"
             " FROM frontier WHERE run_id = $1 AND state = 1)",
             3, params, NULL)) ||
        (e = pg_exec(p->conn, "COMMIT", p->msg, sizeof(p->msg))))
        PQclear(PQexec(p->conn, "ROLLBACK"));
    return e;
}

static enum err pgstore_seeds_load(struct store_backend *b, int64_t run_id,
                                   store_url_fn fn, void *ctx)
{
    struct store_pg *p = (struct store_pg *)b;
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

/* What a shared run has no use for is NULL: resuming (a node joins
 * again instead), sitemaps, recrawls and comparisons. */
static const struct store_ops pg_ops = {
    .name = "PostgreSQL",
    .close = pgstore_close,
    .errmsg = pgstore_errmsg,
    .node = pgstore_node,
    .run_begin = pgstore_run_begin,
    .run_end = pgstore_run_end,
    .run_reopen = pgstore_run_reopen,
    .run_args = pgstore_run_args,
    .put_page = pgstore_put_page,
    .put_skipped = pgstore_put_skipped,
    .put_robots = pgstore_put_robots,
    .frontier_add = pgstore_frontier_add,
    .frontier_done = pgstore_frontier_done,
    .seeds_load = pgstore_seeds_load,
    .tick = pgstore_tick,
    .flush = pgstore_flush,
};
