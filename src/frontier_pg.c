/*
 * frontier_pg.c - the shared frontier's claims thread (see
 * frontier_pg.h).
 */
#include "scrape/frontier_pg.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "scrape/buf.h"
#include "scrape/clock.h"
#include "scrape/hmap.h"
#include "scrape/pg.h"

/* Most URLs one claim takes, and how long the thread waits before asking
 * again when nothing could be claimed: from CLAIM_IDLE_MS, doubling up to
 * CLAIM_IDLE_MAX_MS while claims come back empty (a level whose last
 * pages are still out, a host at its --per-host share). */
#define CLAIM_MAX         256
#define CLAIM_IDLE_MS     10
#define CLAIM_IDLE_MAX_MS 80

struct frontier_pg {
    char *uri;
    int64_t run_id, node;
    PGconn *conn;
    pthread_t thread;
    bool started;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    /* Under the lock. */
    struct frontier_claim *inbox;
    size_t head, count, cap;
    size_t want;
    bool finished;
    int quit; /* atomic: set by frontier_pg_stop */
    enum err err;
    char msg[256];
    /* The thread's own. */
    struct hmap told; /* hosts whose robots.txt answer was handed over */
    long next_renew;
    long lease_s;
    bool ignore_robots;
};

void frontier_claim_release(struct frontier_claim *c)
{
    free(c->url);
    free(c->body);
    memset(c, 0, sizeof(*c));
}

/* ---- the inbox (locked) ------------------------------------------------ */

static enum err push(struct frontier_pg *fp, struct frontier_claim *c)
{
    enum err e = ERR_OK;

    pthread_mutex_lock(&fp->lock);
    if (fp->count == fp->cap) {
        size_t ncap = fp->cap ? fp->cap * 2 : 64, i;
        struct frontier_claim *n = malloc(ncap * sizeof(*n));
        if (!n) {
            e = ERR_NOMEM;
        } else {
            for (i = 0; i < fp->count; i++)
                n[i] = fp->inbox[(fp->head + i) % fp->cap];
            free(fp->inbox);
            fp->inbox = n;
            fp->cap = ncap;
            fp->head = 0;
        }
    }
    if (!e) {
        fp->inbox[(fp->head + fp->count) % fp->cap] = *c;
        fp->count++;
        memset(c, 0, sizeof(*c));
    }
    pthread_mutex_unlock(&fp->lock);
    return e;
}

bool frontier_pg_take(struct frontier_pg *fp, struct frontier_claim *c)
{
    bool got = false;

    pthread_mutex_lock(&fp->lock);
    if (fp->count) {
        *c = fp->inbox[fp->head];
        fp->head = (fp->head + 1) % fp->cap;
        fp->count--;
        got = true;
    }
    pthread_mutex_unlock(&fp->lock);
    return got;
}

void frontier_pg_want(struct frontier_pg *fp, size_t n)
{
    pthread_mutex_lock(&fp->lock);
    if (n > fp->want + fp->count)
        pthread_cond_signal(&fp->cond);
    fp->want = n;
    pthread_mutex_unlock(&fp->lock);
}

bool frontier_pg_finished(struct frontier_pg *fp)
{
    bool done;

    pthread_mutex_lock(&fp->lock);
    done = fp->finished && fp->count == 0;
    pthread_mutex_unlock(&fp->lock);
    return done;
}

enum err frontier_pg_status(struct frontier_pg *fp, char *why, size_t n)
{
    enum err e;

    pthread_mutex_lock(&fp->lock);
    e = fp->err;
    snprintf(why, n, "%s", fp->msg);
    pthread_mutex_unlock(&fp->lock);
    return e;
}

static void fail(struct frontier_pg *fp, enum err e, const char *why)
{
    pthread_mutex_lock(&fp->lock);
    if (!fp->err) {
        fp->err = e;
        snprintf(fp->msg, sizeof(fp->msg), "%s", why);
    }
    pthread_mutex_unlock(&fp->lock);
}

/* ---- SQL ---------------------------------------------------------------- */

/* Runs a parameterised query; NULL on failure (the transaction, if any,
 * is then aborted). */
static PGresult *query(struct frontier_pg *fp, const char *sql, int n,
                       const char *const *params)
{
    PGresult *res = PQexecParams(fp->conn, sql, n, NULL, params, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(res);

    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        return res;
    PQclear(res);
    return NULL;
}

/* Runs a statement without parameters or rows. */
static bool command(struct frontier_pg *fp, const char *sql)
{
    PGresult *res = query(fp, sql, 0, NULL);

    PQclear(res);
    return res != NULL;
}

static bool renew(struct frontier_pg *fp, const char *run, const char *node,
                  const char *lease)
{
    const char *params[3] = {run, node, lease};
    PGresult *res =
        query(fp,
              "WITH f AS (UPDATE frontier SET lease_until = now() +"
              " make_interval(secs => $3::int) WHERE run_id = $1 AND owner = $2"
              " AND state = 1), n AS (UPDATE nodes SET seen_at = now() WHERE"
              " run_id = $1 AND node = $2) UPDATE hosts SET robots_lease ="
              " now() +"
              " make_interval(secs => $3::int) WHERE run_id = $1 AND"
              " robots_owner = $2 AND robots = 1",
              3, params);

    PQclear(res);
    return res != NULL;
}

/* Hands over the robots.txt answers of hosts not told yet among `hosts`
 * (a text[] literal). */
static enum err tell_rules(struct frontier_pg *fp, const char *run,
                           const char *hosts)
{
    const char *params[2] = {run, hosts};
    PGresult *res = query(fp,
                          "SELECT host, robots_status, robots_err, robots_body"
                          " FROM hosts WHERE run_id = $1 AND host = ANY($2)"
                          " AND robots = 2",
                          2, params);
    enum err e = res ? ERR_OK : ERR_DB;
    int i;

    for (i = 0; res && i < PQntuples(res) && !e; i++) {
        struct frontier_claim c = {.kind = CLAIM_RULES};
        const char *host = PQgetvalue(res, i, 0);
        size_t len = 0;
        unsigned char *body = NULL;
        char *key;
        struct hmap_slot *slot;

        if (hmap_get(&fp->told, host))
            continue;
        if (!PQgetisnull(res, i, 3))
            body = PQunescapeBytea((const unsigned char *)PQgetvalue(res, i, 3),
                                   &len);
        c.url = malloc(strlen(host) + 12);
        c.body = body ? malloc(len + 1) : NULL;
        key = strdup(host);
        if (!c.url || (body && !c.body) || !key ||
            hmap_put(&fp->told, key, NULL, &slot)) {
            free(key);
            PQfreemem(body);
            frontier_claim_release(&c);
            e = ERR_NOMEM;
            break;
        }
        sprintf(c.url, "%s/robots.txt", host);
        if (body) {
            memcpy(c.body, body, len);
            c.body[len] = '\0';
            c.len = len;
        }
        PQfreemem(body);
        c.status = atol(PQgetvalue(res, i, 1));
        c.err = atoi(PQgetvalue(res, i, 2));
        e = push(fp, &c);
        frontier_claim_release(&c);
    }
    PQclear(res);
    return e;
}

static enum err push_url(struct frontier_pg *fp, enum claim_kind kind,
                         const char *url, int depth)
{
    struct frontier_claim c = {.kind = kind, .depth = depth};
    enum err e;

    if (!(c.url = strdup(url)))
        return ERR_NOMEM;
    e = push(fp, &c);
    frontier_claim_release(&c);
    return e;
}

/* Claims robots.txt jobs of hosts nobody has read yet. */
static enum err claim_robots(struct frontier_pg *fp, const char *run,
                             const char *node, const char *lease, size_t *got)
{
    const char *params[3] = {run, node, lease};
    PGresult *res = query(
        fp,
        "UPDATE hosts SET robots = 1, robots_owner = $2, robots_lease ="
        " now() + make_interval(secs => $3::int) WHERE (run_id, host) IN"
        " (SELECT run_id, host FROM hosts WHERE run_id = $1 AND (robots = 0"
        " OR (robots = 1 AND robots_lease < now())) LIMIT 16 FOR UPDATE SKIP"
        " LOCKED) RETURNING host",
        3, params);
    char url[4096];
    enum err e = res ? ERR_OK : ERR_DB;
    int i;

    for (i = 0; res && i < PQntuples(res) && !e; i++) {
        snprintf(url, sizeof(url), "%s/robots.txt", PQgetvalue(res, i, 0));
        e = push_url(fp, CLAIM_ROBOTS, url, 0);
        (*got)++;
    }
    PQclear(res);
    return e;
}

/* Per host in a claim: how many fresh URLs it may still take. */
struct host_budget {
    char host[1024];
    long left;
    long took;
};

static struct host_budget *budget_for(struct host_budget *b, size_t *n,
                                      size_t cap, const char *host, long left)
{
    size_t i;

    for (i = 0; i < *n; i++)
        if (strcmp(b[i].host, host) == 0)
            return &b[i];
    if (*n == cap || strlen(host) >= sizeof(b->host))
        return NULL;
    snprintf(b[*n].host, sizeof(b->host), "%s", host);
    b[*n].left = left;
    b[*n].took = 0;
    return &b[(*n)++];
}

/* What one claim has picked so far. */
struct picked {
    struct host_budget budgets[CLAIM_MAX];
    size_t nb;
    struct buf ids;  /* "{id,...}" */
    struct buf told; /* hosts whose robots.txt answers to hand over */
    long fresh;      /* URLs never claimed before */
    size_t got;
};

/* Picks, from candidate rows (id, url, depth, state, host, out), those
 * the hosts' budgets allow: a lapsed claim (state 1) moves its slot to
 * us, a fresh one takes one of the host's free slots. */
static enum err choose(struct frontier_pg *fp, PGresult *rows, long per_host,
                       long delay_ms, long fresh_left, struct picked *pk)
{
    enum err e = ERR_OK;
    size_t i;

    for (i = 0; i < (size_t)PQntuples(rows) && !e; i++) {
        const char *host = PQgetvalue(rows, (int)i, 4);
        bool again = PQgetvalue(rows, (int)i, 3)[0] == '1';
        long out = atol(PQgetvalue(rows, (int)i, 5));
        struct host_budget *hb =
            budget_for(pk->budgets, &pk->nb, CLAIM_MAX, host,
                       delay_ms > 0 ? (out < per_host) : per_host - out);
        if (!hb)
            continue;
        if (!again) {
            if (hb->left <= 0 || pk->fresh >= fresh_left)
                continue;
            hb->left--;
            hb->took++;
            pk->fresh++;
        }
        e = buf_addf(&pk->ids, "%s%s", pk->ids.len > 1 ? "," : "",
                     PQgetvalue(rows, (int)i, 0));
        if (!e && !fp->ignore_robots && !hmap_get(&fp->told, host))
            e = pg_array_add(&pk->told, host);
        pk->got++;
    }
    return e;
}

/* The hosts (a text[] literal) that took fresh URLs: their next fetch
 * waits --delay. */
static enum err delayed_hosts(const struct picked *pk, struct buf *hosts)
{
    enum err e = ERR_OK;
    size_t i;

    for (i = 0; i < pk->nb && !e; i++)
        if (pk->budgets[i].took)
            e = pg_array_add(hosts, pk->budgets[i].host);
    return e ? e : pg_array_end(hosts);
}

/* Hands over the claimed rows of `rows` (those in pk->ids). */
static enum err hand_over(struct frontier_pg *fp, PGresult *rows,
                          struct picked *pk)
{
    enum err e = ERR_OK;
    int i;

    /* ids is "{a,b,c}": look for ",id," in ",a,b,c,". */
    pk->ids.data[0] = ',';
    pk->ids.data[pk->ids.len - 1] = ',';
    for (i = 0; rows && i < PQntuples(rows) && !e; i++) {
        char needle[48];
        snprintf(needle, sizeof(needle), ",%s,", PQgetvalue(rows, i, 0));
        if (strstr(pk->ids.data, needle))
            e = push_url(fp, CLAIM_PAGE, PQgetvalue(rows, i, 1),
                         atoi(PQgetvalue(rows, i, 2)));
    }
    pk->ids.data[0] = '{';
    pk->ids.data[pk->ids.len - 1] = '}';
    return e;
}

/* Hosts with a slot this node may take now (robots.txt known, --delay
 * passed): two parallel array literals, host names and their claims out
 * as choose() counts them.  A host's --per-host slots are shared by the
 * live nodes: a node may hold `share` of them, so one that claims less
 * often (or just joined) is not starved by the others. */
static PGresult *open_hosts(struct frontier_pg *fp, const char *run,
                            const char *per_host, const char *node,
                            const char *share, struct buf *names,
                            struct buf *outs)
{
    const char *params[4] = {run, per_host, node, share};
    PGresult *res = query(
        fp,
        "SELECT h.host, greatest(coalesce(o.n, 0), $2::int - $4::int +"
        " coalesce(o.mine, 0)) FROM hosts h LEFT JOIN (SELECT host,"
        " count(*) AS n, count(*) FILTER (WHERE owner = $3::bigint) AS mine"
        " FROM frontier WHERE run_id = $1 AND state = 1 GROUP BY host) o"
        " ON o.host = h.host WHERE h.run_id = $1 AND h.robots = 2 AND"
        " h.next_at <= now() AND coalesce(o.n, 0) < $2::int AND"
        " coalesce(o.mine, 0) < $4::int",
        4, params);
    int i;

    buf_adds(outs, "{");
    for (i = 0; res && i < PQntuples(res); i++) {
        pg_array_add(names, PQgetvalue(res, i, 0));
        buf_addf(outs, "%s%s", i ? "," : "", PQgetvalue(res, i, 1));
    }
    pg_array_end(names);
    buf_adds(outs, "}");
    return res;
}

/* One claim transaction.  *got counts what was claimed. */
/* One claim, from BEGIN to the hand-over: the run's options, what was
 * picked and the results it was picked from (hand_over reads them). */
struct claim_round {
    char run[32], node[32], lease[16];
    long per_host, delay_ms, max_pages, claimed, live;
    bool has_rows, any_out, open_level;
    int min_depth;
    PGresult *opts, *lapsed, *fresh, *open;
    struct buf names, outs, hosts;
    struct picked *pk;
};

/* Reads the run's options and state, locking its cluster_runs row for
 * the claim's transaction. */
static enum err read_options(struct frontier_pg *fp, struct claim_round *cr)
{
    const char *p1[1] = {cr->run};
    PGresult *o;

    if (!command(fp, "BEGIN") ||
        !(cr->opts = query(fp,
                           "SELECT per_host, delay_ms, max_pages, claimed,"
                           " (SELECT min(depth) FROM frontier WHERE run_id ="
                           " $1 AND state < 2), EXISTS (SELECT 1 FROM"
                           " frontier WHERE run_id = $1), EXISTS (SELECT 1"
                           " FROM frontier WHERE run_id = $1 AND state = 1),"
                           " (SELECT greatest(count(*), 1) FROM nodes WHERE"
                           " run_id = $1 AND status = 'running' AND seen_at >"
                           " now() - make_interval(secs => c.lease_s)) FROM"
                           " cluster_runs c WHERE run_id = $1 FOR UPDATE",
                           1, p1)) ||
        PQntuples(cr->opts) != 1)
        return ERR_DB;
    o = cr->opts;
    cr->per_host = atol(PQgetvalue(o, 0, 0));
    cr->delay_ms = atol(PQgetvalue(o, 0, 1));
    cr->max_pages = atol(PQgetvalue(o, 0, 2));
    cr->claimed = atol(PQgetvalue(o, 0, 3));
    cr->open_level = !PQgetisnull(o, 0, 4);
    cr->min_depth = cr->open_level ? atoi(PQgetvalue(o, 0, 4)) : 0;
    cr->has_rows = PQgetvalue(o, 0, 5)[0] == 't';
    cr->any_out = PQgetvalue(o, 0, 6)[0] == 't';
    cr->live = atol(PQgetvalue(o, 0, 7));
    return ERR_OK;
}

/* True when the run has nothing more to hand out: every level done, or
 * --max-pages reached with nothing still out. */
static bool run_finished(const struct claim_round *cr)
{
    return cr->has_rows &&
           (!cr->open_level ||
            (cr->max_pages && cr->claimed >= cr->max_pages && !cr->any_out));
}

/* Chooses URLs whose depth is final (the open level + 1 at most): first
 * claims whose node stopped renewing them, then fresh ones of the hosts
 * with room in this node's share of --per-host. */
static enum err choose_urls(struct frontier_pg *fp, struct claim_round *cr,
                            size_t want)
{
    char level[16], lim[16], ph[16], share[32];
    long fresh_left = cr->max_pages ? cr->max_pages - cr->claimed : CLAIM_MAX;
    const char *pl[3] = {cr->run, level, lim};
    enum err e;

    snprintf(share, sizeof(share), "%ld",
             (cr->per_host + cr->live - 1) / (cr->live > 0 ? cr->live : 1));
    snprintf(ph, sizeof(ph), "%ld", cr->per_host);
    snprintf(lim, sizeof(lim), "%zu",
             want * 2 < CLAIM_MAX ? want * 2 : CLAIM_MAX);
    snprintf(level, sizeof(level), "%d", cr->min_depth + 1);
    if (!(cr->lapsed = query(fp,
                             "SELECT id, url, depth, state, host, 0 FROM"
                             " frontier WHERE run_id = $1 AND state = 1 AND"
                             " lease_until < now() AND depth <= $2 ORDER BY"
                             " depth, id LIMIT $3 FOR UPDATE SKIP LOCKED",
                             3, pl)))
        return ERR_DB;
    if ((e = choose(fp, cr->lapsed, cr->per_host, cr->delay_ms, fresh_left,
                    cr->pk)))
        return e;
    if (!(cr->open = open_hosts(fp, cr->run, ph, cr->node, share, &cr->names,
                                &cr->outs)))
        return ERR_DB;
    if (PQntuples(cr->open) > 0) {
        const char *pf[5] = {cr->run, level, cr->names.data, cr->outs.data,
                             lim};
        if (!(cr->fresh =
                  query(fp,
                        "SELECT f.id, f.url, f.depth, f.state, f.host, o.n FROM"
                        " frontier f JOIN unnest($3::text[], $4::int[]) o(host,"
                        " n) ON o.host = f.host WHERE f.run_id = $1 AND"
                        " f.state = 0 AND f.depth <= $2 ORDER BY f.depth, f.id"
                        " LIMIT $5 FOR UPDATE OF f SKIP LOCKED",
                        5, pf)))
            return ERR_DB;
        return choose(fp, cr->fresh, cr->per_host, cr->delay_ms, fresh_left,
                      cr->pk);
    }
    return ERR_OK;
}

/* Marks what was chosen as this node's (with its lease), moves its
 * hosts' next start past --delay, counts the fresh claims, and commits. */
static enum err commit_claims(struct frontier_pg *fp, struct claim_round *cr)
{
    char delay[32], nfresh[32];
    struct picked *pk = cr->pk;
    const char *pu[3] = {pk->ids.data, cr->node, cr->lease};
    const char *pd[3] = {cr->run, cr->hosts.data, delay};
    const char *pc[2] = {cr->run, nfresh};
    PGresult *r1 = NULL, *r2 = NULL, *r3 = NULL;
    bool ok;

    if (pk->ids.len <= 2)
        return command(fp, "COMMIT") ? ERR_OK : ERR_DB;
    /* (The arrays are complete: their buffers do not move any more.) */
    snprintf(nfresh, sizeof(nfresh), "%ld", pk->fresh);
    snprintf(delay, sizeof(delay), "%ld", cr->delay_ms);
    ok = (r1 = query(fp,
                     "UPDATE frontier SET state = 1, owner = $2,"
                     " lease_until = now() + make_interval(secs =>"
                     " $3::int) WHERE id = ANY($1::bigint[])",
                     3, pu)) &&
         (cr->delay_ms <= 0 ||
          (r2 = query(fp,
                      "UPDATE hosts SET next_at = now() + $3::bigint *"
                      " interval '1 ms' WHERE run_id = $1 AND host ="
                      " ANY($2::text[])",
                      3, pd))) &&
         (r3 = query(fp,
                     "UPDATE cluster_runs SET claimed = claimed + $2"
                     " WHERE run_id = $1",
                     2, pc));
    PQclear(r1);
    PQclear(r2);
    PQclear(r3);
    return ok && command(fp, "COMMIT") ? ERR_OK : ERR_DB;
}

static void claim_round_release(struct claim_round *cr)
{
    PQclear(cr->opts);
    PQclear(cr->lapsed);
    PQclear(cr->fresh);
    PQclear(cr->open);
    buf_release(&cr->names);
    buf_release(&cr->outs);
    buf_release(&cr->hosts);
    if (cr->pk) {
        buf_release(&cr->pk->ids);
        buf_release(&cr->pk->told);
        free(cr->pk);
    }
}

static enum err claim(struct frontier_pg *fp, size_t want, size_t *got,
                      char *why, size_t nwhy)
{
    struct claim_round cr = {.pk = calloc(1, sizeof(*cr.pk))};
    struct picked *pk = cr.pk;
    enum err e;

    *got = 0;
    buf_init(&cr.names, 1L << 24);
    buf_init(&cr.outs, 1L << 20);
    buf_init(&cr.hosts, 1L << 24);
    if (!pk) {
        snprintf(why, nwhy, "out of memory");
        return ERR_NOMEM;
    }
    buf_init(&pk->ids, 1L << 24);
    buf_init(&pk->told, 1L << 24);
    buf_adds(&pk->ids, "{");
    snprintf(cr.run, sizeof(cr.run), "%lld", (long long)fp->run_id);
    snprintf(cr.node, sizeof(cr.node), "%lld", (long long)fp->node);
    snprintf(cr.lease, sizeof(cr.lease), "%ld", fp->lease_s);
    if ((e = read_options(fp, &cr)))
        goto out;
    if (run_finished(&cr)) {
        pthread_mutex_lock(&fp->lock);
        fp->finished = true;
        pthread_mutex_unlock(&fp->lock);
        e = command(fp, "COMMIT") ? ERR_OK : ERR_DB;
        goto out;
    }
    if ((!fp->ignore_robots &&
         (e = claim_robots(fp, cr.run, cr.node, cr.lease, &pk->got))) ||
        (cr.open_level && (e = choose_urls(fp, &cr, want))))
        goto out;
    buf_adds(&pk->ids, "}");
    pg_array_end(&pk->told);
    if (pk->ids.len > 2 && delayed_hosts(pk, &cr.hosts)) {
        snprintf(why, nwhy, "out of memory");
        e = ERR_NOMEM;
        goto out;
    }
    if ((e = commit_claims(fp, &cr)))
        goto out;
    /* The answers first: a page of a host is checked against them. */
    e = pk->told.len > 2 ? tell_rules(fp, cr.run, pk->told.data) : ERR_OK;
    if (!e && pk->ids.len > 2)
        e = hand_over(fp, cr.lapsed, pk);
    if (!e && pk->ids.len > 2)
        e = hand_over(fp, cr.fresh, pk);
    *got = pk->got;
out:
    if (e == ERR_DB)
        pg_why(fp->conn, "cannot claim work", why, nwhy);
    if (e && fp->conn && PQtransactionStatus(fp->conn) != PQTRANS_IDLE)
        PQclear(PQexec(fp->conn, "ROLLBACK"));
    claim_round_release(&cr);
    return e;
}

/* ---- the thread --------------------------------------------------------- */

static void wait_ms(struct frontier_pg *fp, long ms)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += ms * 1000000L;
    ts.tv_sec += ts.tv_nsec / 1000000000L;
    ts.tv_nsec %= 1000000000L;
    pthread_mutex_lock(&fp->lock);
    if (!__atomic_load_n(&fp->quit, __ATOMIC_ACQUIRE))
        pthread_cond_timedwait(&fp->cond, &fp->lock, &ts);
    pthread_mutex_unlock(&fp->lock);
}

/* Claims while the crawl has room, renews the leases every third of
 * their time, and reconnects when the server goes away. */
static void *claims_main(void *arg)
{
    struct frontier_pg *fp = arg;
    char run[32], node[32], lease[16], why[256];
    size_t want, got;
    long idle = CLAIM_IDLE_MS;
    bool finished;
    enum err e;

    snprintf(run, sizeof(run), "%lld", (long long)fp->run_id);
    snprintf(node, sizeof(node), "%lld", (long long)fp->node);
    snprintf(lease, sizeof(lease), "%ld", fp->lease_s);
    while (!__atomic_load_n(&fp->quit, __ATOMIC_ACQUIRE)) {
        pthread_mutex_lock(&fp->lock);
        want = fp->want > fp->count ? fp->want - fp->count : 0;
        finished = fp->finished;
        pthread_mutex_unlock(&fp->lock);
        e = ERR_OK;
        got = 0;
        if (clock_ms() >= fp->next_renew) {
            if (renew(fp, run, node, lease))
                fp->next_renew = clock_ms() + fp->lease_s * 1000 / 3;
            else
                e = ERR_DB;
        }
        if (!e && want && !finished)
            e = claim(fp, want, &got, why, sizeof(why));
        else if (e)
            pg_why(fp->conn, "cannot renew leases", why, sizeof(why));
        if (e == ERR_DB &&
            pg_recover(fp->uri, true, &fp->conn, "claims", &fp->quit))
            continue;
        if (e) {
            fail(fp, e, why);
            break;
        }
        if (got) {
            idle = CLAIM_IDLE_MS;
        } else {
            wait_ms(fp, idle);
            idle = idle * 2 > CLAIM_IDLE_MAX_MS ? CLAIM_IDLE_MAX_MS : idle * 2;
        }
    }
    return NULL;
}

enum err frontier_pg_start(const char *uri, int64_t run_id, int64_t node,
                           struct frontier_pg **out, char *why, size_t n)
{
    struct frontier_pg *fp = calloc(1, sizeof(*fp));
    char run[32];
    const char *params[1] = {run};
    PGresult *res = NULL;
    enum err e = ERR_NOMEM;

    *out = NULL;
    if (!fp || !(fp->uri = strdup(uri))) {
        snprintf(why, n, "out of memory");
        goto fail;
    }
    fp->run_id = run_id;
    fp->node = node;
    hmap_init(&fp->told);
    pthread_mutex_init(&fp->lock, NULL);
    pthread_cond_init(&fp->cond, NULL);
    e = ERR_DB;
    if (!(fp->conn = pg_connect(uri, true, why, n)))
        goto fail;
    snprintf(run, sizeof(run), "%lld", (long long)run_id);
    if (!(res = query(fp,
                      "SELECT lease_s, ignore_robots FROM cluster_runs"
                      " WHERE run_id = $1",
                      1, params))) {
        pg_why(fp->conn, "cannot read the run", why, n);
        goto fail;
    }
    if (PQntuples(res) != 1) {
        snprintf(why, n, "run %lld is not a shared run", (long long)run_id);
        goto fail;
    }
    fp->lease_s = atol(PQgetvalue(res, 0, 0));
    fp->ignore_robots = PQgetvalue(res, 0, 1)[0] == 't';
    PQclear(res);
    res = NULL;
    if (pthread_create(&fp->thread, NULL, claims_main, fp)) {
        snprintf(why, n, "cannot start the claims thread");
        e = ERR_NOMEM;
        goto fail;
    }
    fp->started = true;
    *out = fp;
    return ERR_OK;
fail:
    PQclear(res);
    frontier_pg_stop(fp);
    return e;
}

void frontier_pg_stop(struct frontier_pg *fp)
{
    struct frontier_claim c;
    size_t i;

    if (!fp)
        return;
    if (fp->started) {
        pthread_mutex_lock(&fp->lock);
        __atomic_store_n(&fp->quit, 1, __ATOMIC_RELEASE);
        pthread_cond_signal(&fp->cond);
        pthread_mutex_unlock(&fp->lock);
        pthread_join(fp->thread, NULL);
    }
    while (frontier_pg_take(fp, &c))
        frontier_claim_release(&c);
    free(fp->inbox);
    for (i = 0; i < fp->told.cap; i++)
        free((char *)fp->told.slots[i].key);
    hmap_release(&fp->told);
    pthread_mutex_destroy(&fp->lock);
    pthread_cond_destroy(&fp->cond);
    PQfinish(fp->conn);
    free(fp->uri);
    free(fp);
}
