/*
 * engine_multi.c - the event-loop engines: --multi (one thread, one libcurl
 * multi handle, parsing in it) and --procs (the same loop, parsing in
 * worker processes, workers.h): engine_multi and engine_procs.
 *
 * Every transfer is non-blocking inside one multi handle, which shares
 * its connection cache and DNS cache across them.  Slots (a transfer plus
 * the job it serves) are made on first use and reused, so a crawl of
 * 100,000 pages creates at most --concurrency easy handles.
 *
 * Slot life cycle:
 *
 *   FREE --start()--> BUSY --collect()--> FREE   (response kept in `done`)
 *                      |
 *                      +--abandon_all()--> FREE (stop grace over, or fatal)
 *
 *   start    crawl_next() gave a job: prepare the transfer, add the handle
 *   collect  the multi handle reported DONE: the response (with its body)
 *            moves to the `done` list and the slot is free at once
 *   abandon  remove the handle; the URL stays queued for --resume
 *
 * --procs runs the same loop with a worker pool: collected responses that
 * need parsing wait in `queue` for an idle worker instead of being parsed
 * here, and records come back through workers_collect().  Back-pressure:
 * transfers in flight + queued + being parsed stay within --concurrency,
 * so a slow pool stops new fetches instead of growing memory; beyond
 * that, about MULTI_QUEUE_BYTES of bodies (so many pages of the average
 * size queued so far) may wait for a worker while the freed slots fetch
 * again.  Without that margin, a burst of pages finishing together (as at a
 * latency-bound level) kept their slots idle until the workers had got through
 * all of it (measured: --procs 2 at 0.92x --multi on the 50 ms profile).
 *
 * One loop turn: fill free slots, curl_multi_perform, collect finished
 * transfers, fill the slots they freed and send those requests, and only
 * then parse and store the collected responses.  Parsing a burst of
 * finished pages therefore overlaps with the next transfers instead of
 * leaving their slots idle (measured: 28 ms average idle per slot at 200
 * in flight before this order).
 */
#include "scrape/clock.h"
#include "scrape/engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "scrape/http.h"
#include "scrape/parse.h"
#include "scrape/workers.h"

/* Longest curl_multi_poll wait; bounds how late a stop or tick is seen. */
#define MULTI_POLL_MS 100

/* Bodies that may wait for a parse worker beyond --concurrency. */
#define MULTI_QUEUE_BYTES (4L * 1024 * 1024)

struct slot {
    struct transfer t;
    struct frontier_job job;
    bool ready; /* t is initialised */
    bool busy;
    struct slot *next_free;
};

/* A finished fetch waiting to be parsed and stored. */
struct done {
    struct frontier_job job;
    struct response r;
};

struct multi {
    struct crawl *crawl;
    const struct config *cfg;
    CURLM *multi;
    CURLSH *cookies; /* the crawl's cookie store */
    struct http_opts opts;
    struct parser *parser;
    struct slot *slots;
    size_t nslots;
    struct slot *free_list;
    size_t in_flight;
    struct done *done; /* nslots entries; ndone used */
    size_t ndone;
    struct workers *pool;     /* --procs: parse here when NULL */
    struct done *queue;       /* ring of qcap: awaiting a worker */
    size_t qcap, qhead, qlen; /* qcap: 2 * nslots (see may_start) */
    size_t avg_len; /* running average of the bodies queued for a worker */
    struct curl_waitfd *waitfds; /* one per worker (--procs) */
};

/* Pages out of curl but not yet recorded: collected this turn, queued,
 * or being parsed (with a pool). */
static size_t parsing(const struct multi *m)
{
    return m->pool ? m->ndone + m->qlen + workers_busy(m->pool) : 0;
}

/* Whether another transfer may start (see the back-pressure note above).
 * Transfers in flight + pages out of curl stay below nslots + the
 * margin's pages (at most nslots), so the queue ring (qcap = 2 * nslots
 * entries) never overflows, whatever finishes at once. */
static bool may_start(const struct multi *m)
{
    size_t out = m->in_flight + parsing(m), extra = 0;

    if (!m->free_list)
        return false;
    if (m->pool)
        extra = MULTI_QUEUE_BYTES / (m->avg_len ? m->avg_len : 1);
    if (extra > m->nslots)
        extra = m->nslots;
    return out < m->nslots + extra;
}

static enum err start(struct multi *m, const struct frontier_job *job)
{
    struct slot *s = m->free_list;
    enum err e;

    if (!s->ready) {
        if ((e = http_transfer_init(&s->t, &m->opts))) {
            http_transfer_release(&s->t);
            return e;
        }
        s->t.data = s;
        s->ready = true;
    }
    if ((e = engine_prepare(m->crawl, &s->t, job)))
        return e;
    if (curl_multi_add_handle(m->multi, s->t.easy) != CURLM_OK)
        return ERR_NOMEM;
    /* Only now is the slot taken: a failure above leaves it free. */
    m->free_list = s->next_free;
    s->job = *job;
    s->busy = true;
    m->in_flight++;
    return ERR_OK;
}

static void release_slot(struct multi *m, struct slot *s)
{
    curl_multi_remove_handle(m->multi, s->t.easy);
    s->busy = false;
    s->next_free = m->free_list;
    m->free_list = s;
    m->in_flight--;
}

/* Moves a finished transfer's outcome to the done list; frees its slot. */
static void collect(struct multi *m, struct slot *s, CURLcode rc)
{
    struct done *d = &m->done[m->ndone++];

    d->job = s->job;
    http_transfer_result(&s->t, rc, &d->r);
    if (http_response_take_body(&s->t, &d->r)) {
        response_release(&d->r);
        d->r.err = ERR_NOMEM;
        snprintf(d->r.error, sizeof(d->r.error), "out of memory");
    }
    crawl_release(m->crawl, &s->job);
    release_slot(m, s);
}

/* Parses and stores every collected response; with a pool, queues the
 * ones that need parsing instead. */
static enum err record_done(struct multi *m)
{
    enum err e = ERR_OK;
    size_t i;

    for (i = 0; i < m->ndone; i++) {
        struct done *d = &m->done[i];
        if (m->pool && crawl_wants_parse(m->crawl, &d->job, &d->r)) {
            /* Moves d (and its response) into the ring; may_start() kept
             * in_flight + ndone + qlen < 2 * nslots. */
            m->queue[(m->qhead + m->qlen++) % m->qcap] = *d;
            /* Weighs the last 8 pages or so; the first sets it. */
            m->avg_len = m->avg_len ? m->avg_len - m->avg_len / 8 + d->r.len / 8
                                    : d->r.len;
            continue;
        }
        if (!e)
            e = crawl_complete(m->crawl, &d->job, &d->r, m->parser);
        response_release(&d->r);
    }
    m->ndone = 0;
    return e;
}

/* Gives queued responses to idle workers. */
static enum err dispatch(struct multi *m)
{
    enum err e;

    while (m->qlen && workers_busy(m->pool) < workers_size(m->pool)) {
        struct done *d = &m->queue[m->qhead];
        m->qhead = (m->qhead + 1) % m->qcap;
        m->qlen--;
        if ((e = workers_submit(m->pool, &d->job, &d->r)))
            return e;
    }
    return ERR_OK;
}

static enum err on_parsed(void *ctx, const struct frontier_job *job,
                          const struct response *r, const struct page *pg,
                          const char *parse_error)
{
    struct multi *m = ctx;

    return crawl_record(m->crawl, job, r, pg, parse_error);
}

/* Records what the workers finished and keeps them busy. */
static enum err pump_workers(struct multi *m)
{
    enum err e;

    if (!m->pool)
        return ERR_OK;
    if ((e = workers_collect(m->pool, on_parsed, m)))
        return e;
    return dispatch(m);
}

/* Waits for network activity, a worker's result, or the moment a host
 * waiting out its --delay or Retry-After may fetch again. */
static void wait_activity(struct multi *m)
{
    unsigned n = m->pool ? workers_waitfds(m->pool, m->waitfds,
                                           (unsigned)workers_size(m->pool))
                         : 0;
    long wait = crawl_wait_ms(m->crawl), ms = MULTI_POLL_MS;

    if (wait >= 0 && wait < ms)
        ms = wait;
    curl_multi_poll(m->multi, n ? m->waitfds : NULL, n, (int)ms, NULL);
}

/* Ends every busy transfer without a response. */
static enum err abandon_all(struct multi *m, bool record)
{
    enum err e = ERR_OK;
    size_t i;

    for (i = 0; i < m->nslots; i++) {
        struct slot *s = &m->slots[i];
        if (!s->busy)
            continue;
        crawl_release(m->crawl, &s->job);
        if (record && !e)
            e = crawl_abandon(m->crawl, &s->job,
                              "interrupted before the transfer ended");
        release_slot(m, s);
    }
    return e;
}

/* Starts transfers while there are free slots and ready URLs. */
static enum err fill(struct multi *m, enum crawl_next *state)
{
    struct frontier_job job;
    enum err e;

    while (may_start(m)) {
        *state = crawl_next(m->crawl, &job);
        if (*state != CRAWL_JOB)
            return ERR_OK;
        if ((e = start(m, &job))) {
            struct response r;
            response_error(&r, e, "cannot start transfer: %s", err_str(e));
            crawl_release(m->crawl, &job);
            if ((e = crawl_record(m->crawl, &job, &r, NULL, NULL)))
                return e;
        }
    }
    *state = CRAWL_WAIT;
    return ERR_OK;
}

/* Collects every finished transfer; returns how many. */
static size_t drain(struct multi *m)
{
    size_t before = m->ndone;
    CURLMsg *msg;
    int left;

    while ((msg = curl_multi_info_read(m->multi, &left))) {
        struct transfer *t = NULL;
        if (msg->msg != CURLMSG_DONE)
            continue;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
        collect(m, t->data, msg->data.result);
    }
    return m->ndone - before;
}

static enum err loop(struct multi *m, const volatile sig_atomic_t *stop)
{
    enum crawl_next state = CRAWL_WAIT;
    long stop_at = 0;
    size_t done;
    int running;
    enum err e;

    for (;;) {
        if ((e = pump_workers(m)) || (e = fill(m, &state)))
            return e;
        if (m->in_flight == 0 && parsing(m) == 0 && state == CRAWL_DONE)
            return ERR_OK;
        if (curl_multi_perform(m->multi, &running) != CURLM_OK)
            return ERR_NETWORK;
        done = drain(m);
        if (done) {
            /* Send the next requests before the CPU-heavy part. */
            if ((e = fill(m, &state)))
                return e;
            if (curl_multi_perform(m->multi, &running) != CURLM_OK)
                return ERR_NETWORK;
        }
        if ((e = record_done(m)) || (e = crawl_tick(m->crawl, m->in_flight)))
            return e;
        if (stop && *stop) {
            if (!stop_at)
                stop_at = clock_ms();
            else if (clock_ms() - stop_at > ENGINE_STOP_GRACE_MS)
                return abandon_all(m, true);
        }
        /* Slots freed this turn were refilled; wait only when idle (at
         * most until a host's --delay or Retry-After has passed). */
        if (!done)
            wait_activity(m);
    }
}

static enum err setup(struct multi *m, const struct config *cfg)
{
    char why[256];
    size_t i;
    enum err e;

    engine_http_opts(cfg, m->crawl, &m->opts);
    m->cfg = cfg;
    if ((e = parser_new(&cfg->spider, &m->parser, why, sizeof(why))))
        return e;
    /* One thread: the store needs no locks. */
    if (!(m->cookies = curl_share_init()))
        return ERR_NOMEM;
    m->opts.share = m->cookies;
    if ((e = engine_cookies_start(cfg, &m->opts)))
        return e;
    m->nslots = (size_t)cfg->concurrency;
    m->slots = calloc(m->nslots, sizeof(*m->slots));
    m->done = calloc(m->nslots, sizeof(*m->done));
    m->qcap = 2 * m->nslots;
    m->queue = calloc(m->qcap, sizeof(*m->queue));
    if (m->pool &&
        !(m->waitfds = calloc(workers_size(m->pool) + 1, sizeof(*m->waitfds))))
        return ERR_NOMEM;
    m->multi = curl_multi_init();
    if (!m->slots || !m->done || !m->queue || !m->multi)
        return ERR_NOMEM;
    for (i = m->nslots; i > 0; i--) {
        m->slots[i - 1].next_free = m->free_list;
        m->free_list = &m->slots[i - 1];
    }
    curl_multi_setopt(m->multi, CURLMOPT_MAX_HOST_CONNECTIONS, cfg->per_host);
    curl_multi_setopt(m->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
                      cfg->concurrency);
    curl_multi_setopt(m->multi, CURLMOPT_MAXCONNECTS, cfg->concurrency);
    return ERR_OK;
}

static void teardown(struct multi *m)
{
    size_t i;

    if (m->multi)
        abandon_all(m, false);
    for (i = 0; i < m->ndone; i++)
        response_release(&m->done[i].r);
    free(m->done);
    for (i = 0; i < m->qlen; i++)
        response_release(&m->queue[(m->qhead + i) % m->qcap].r);
    free(m->queue);
    free(m->waitfds);
    for (i = 0; i < m->nslots; i++)
        if (m->slots[i].ready)
            http_transfer_release(&m->slots[i].t);
    free(m->slots);
    if (m->multi)
        curl_multi_cleanup(m->multi);
    if (m->cookies) {
        engine_cookies_end(m->cfg, m->cookies);
        curl_share_cleanup(m->cookies);
    }
    parser_free(m->parser);
}

static enum err run_with(struct crawl *c, const struct config *cfg,
                         struct workers *pool)
{
    struct multi m;
    enum err e;

    memset(&m, 0, sizeof(m));
    m.crawl = c;
    m.pool = pool;
    e = setup(&m, cfg);
    if (!e)
        e = loop(&m, crawl_stop_flag(c));
    teardown(&m);
    return e;
}

static enum err run_multi(struct crawl *c, const struct config *cfg,
                          struct workers *unused)
{
    (void)unused;
    return run_with(c, cfg, NULL);
}

/* --procs: the multi loop with parsing in the pool; the workers' CPU and
 * memory during this run count as the run's. */
static enum err run_procs(struct crawl *c, const struct config *cfg,
                          struct workers *pool)
{
    struct workers_usage before, after;
    enum err e;

    workers_reset_peak(pool);
    workers_usage(pool, &before);
    e = run_with(c, cfg, pool);
    workers_usage(pool, &after);
    crawl_note_workers(c, (long)workers_size(pool), &before, &after);
    return e;
}

static long one_worker(const struct config *cfg)
{
    (void)cfg;
    return 1;
}

static long procs_workers(const struct config *cfg)
{
    return cfg->procs;
}

const struct engine_ops engine_multi = {
    .name = "multi",
    .needs_workers = false,
    .run = run_multi,
    .workers = one_worker,
};

const struct engine_ops engine_procs = {
    .name = "procs",
    .needs_workers = true,
    .run = run_procs,
    .workers = procs_workers,
};
