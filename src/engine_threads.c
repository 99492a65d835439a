/*
 * engine_threads.c - the --threads engine (engine_threads): N threads,
 * blocking transfers.
 *
 * Each thread owns one transfer (a reused easy handle, so it keeps its
 * connections alive) and one parser.  The crawl, which is not
 * thread-safe, is used only under `lock`; fetching and parsing happen
 * outside it, so N threads fetch and parse in parallel while the crawl's
 * bookkeeping stays serial (it hands each record, in order, to the
 * writer thread, the store's one user).  Threads that find
 * nothing to do wait on `cond` (signalled whenever a job finishes, since
 * that may queue links or free a host slot), with a timeout so the stop
 * flag and the progress line are still seen.  DNS and TLS sessions are
 * shared across threads through a curl_share with per-kind locks.
 *
 * Thread life cycle (each thread):
 *
 *   IDLE --crawl_next()=JOB--> FETCHING --> PARSING --> RECORDING --> IDLE
 *     |  \--WAIT, or DONE with jobs out--> wait on cond --> IDLE
 *     \--DONE and nothing out, or a fatal error--> exit
 *
 *   FETCHING   lock released; curl_easy_perform
 *   PARSING    lock released; record_parse (libxml2), SimHash
 *   RECORDING  lock held; crawl_record, wake the others
 */
#include "scrape/engine.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "scrape/http.h"
#include "scrape/parse.h"
#include "scrape/record.h"

/* Longest wait for work before looking at the stop flag again. */
#define THREADS_WAIT_MS 100
/* Stack per thread: the parser and our walk are iterative; libcurl and
 * libxml2 need far less than the 8 MiB default. */
#define THREADS_STACK (1024 * 1024)

struct pool {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct crawl *crawl; /* guarded by lock */
    const struct config *cfg;
    struct http_opts opts;
    CURLSH *share;
    pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
    size_t active; /* jobs out; guarded by lock */
    enum err err;  /* first fatal error; guarded by lock */
};

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access acc,
                       void *userp)
{
    struct pool *p = userp;

    (void)h;
    (void)acc;
    pthread_mutex_lock(&p->share_locks[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *userp)
{
    struct pool *p = userp;

    (void)h;
    pthread_mutex_unlock(&p->share_locks[data]);
}

/* Waits on cond for at most THREADS_WAIT_MS, or until a host waiting out
 * its --delay or Retry-After may fetch again; lock held on entry/exit. */
static void wait_for_work(struct pool *p)
{
    long wait = crawl_wait_ms(p->crawl), ms = THREADS_WAIT_MS;
    struct timespec ts;

    if (wait >= 0 && wait < ms)
        ms = wait;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += ms * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&p->cond, &p->lock, &ts);
}

/* Fetches and parses `job` with the lock released, then records it.
 * Lock held on entry and exit. */
static void process(struct pool *p, struct transfer *t, struct parser *parser,
                    const struct frontier_job *job)
{
    const char *perr = NULL;
    struct response r;
    struct page pg;
    bool parsed = false;
    enum err e;
    CURLcode rc = CURLE_OUT_OF_MEMORY;

    p->active++;
    /* Under the lock: preparing reads the crawl's state (the seeds' hosts,
     * which sitemaps may add to). */
    e = engine_prepare(p->crawl, t, job);
    pthread_mutex_unlock(&p->lock);
    if (!e)
        rc = curl_easy_perform(t->easy);
    http_transfer_result(t, rc, &r);
    e = crawl_wants_parse(p->crawl, job, &r)
            ? record_parse(parser, job->url, &r, &pg, &parsed, &perr)
            : ERR_OK;
    pthread_mutex_lock(&p->lock);
    crawl_release(p->crawl, job);
    if (!e)
        e = crawl_record(p->crawl, job, &r, parsed ? &pg : NULL, perr);
    if (e && !p->err)
        p->err = e;
    p->active--;
    if (!p->err && crawl_tick(p->crawl, p->active) && !p->err)
        p->err = ERR_DB;
    pthread_cond_broadcast(&p->cond);
    /* Freeing is slow for big pages: not under the lock. */
    pthread_mutex_unlock(&p->lock);
    if (parsed)
        page_release(&pg);
    response_release(&r);
    pthread_mutex_lock(&p->lock);
}

static void *worker(void *arg)
{
    struct pool *p = arg;
    struct transfer t;
    struct parser *parser = NULL;
    struct frontier_job job;
    char why[256];
    enum err e;

    e = http_transfer_init(&t, &p->opts);
    if (!e)
        e = parser_new(&p->cfg->spider, &parser, why, sizeof(why));
    pthread_mutex_lock(&p->lock);
    if (e && !p->err)
        p->err = e;
    while (!p->err) {
        enum crawl_next state = crawl_next(p->crawl, &job);
        if (state == CRAWL_JOB) {
            process(p, &t, parser, &job);
            continue;
        }
        if (state == CRAWL_DONE && p->active == 0)
            break;
        wait_for_work(p);
        if (crawl_tick(p->crawl, p->active) && !p->err)
            p->err = ERR_DB;
    }
    pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->lock);
    parser_free(parser);
    http_transfer_release(&t);
    return NULL;
}

static enum err setup(struct pool *p, struct crawl *c, const struct config *cfg)
{
    int i;

    memset(p, 0, sizeof(*p));
    p->crawl = c;
    p->cfg = cfg;
    engine_http_opts(cfg, c, &p->opts);
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->cond, NULL);
    for (i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_init(&p->share_locks[i], NULL);
    p->share = curl_share_init();
    if (!p->share)
        return ERR_NOMEM;
    curl_share_setopt(p->share, CURLSHOPT_LOCKFUNC, share_lock);
    curl_share_setopt(p->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
    curl_share_setopt(p->share, CURLSHOPT_USERDATA, p);
    curl_share_setopt(p->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(p->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    p->opts.share = p->share;
    return engine_cookies_start(cfg, &p->opts);
}

static void teardown(struct pool *p)
{
    int i;

    if (p->share) {
        engine_cookies_end(p->cfg, p->share);
        curl_share_cleanup(p->share);
    }
    for (i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_destroy(&p->share_locks[i]);
    pthread_cond_destroy(&p->cond);
    pthread_mutex_destroy(&p->lock);
}

static enum err run(struct crawl *c, const struct config *cfg,
                    struct workers *unused)
{
    size_t n = (size_t)cfg->threads, started = 0, i;
    pthread_t *tids = calloc(n, sizeof(*tids));
    pthread_attr_t attr;
    struct pool p;
    enum err e;

    (void)unused;
    if (!tids)
        return ERR_NOMEM;
    e = setup(&p, c, cfg);
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, THREADS_STACK);
    for (i = 0; !e && i < n; i++) {
        if (pthread_create(&tids[i], &attr, worker, &p)) {
            /* Fewer threads still finish the crawl; none is fatal. */
            if (!started)
                e = ERR_NOMEM;
            break;
        }
        started++;
    }
    pthread_attr_destroy(&attr);
    for (i = 0; i < started; i++)
        pthread_join(tids[i], NULL);
    if (!e)
        e = p.err;
    teardown(&p);
    free(tids);
    return e;
}

static long threads_workers(const struct config *cfg)
{
    return cfg->threads;
}

const struct engine_ops engine_threads = {
    .name = "threads",
    .run = run,
    .workers = threads_workers,
    .blocking = true,
};
