/*
 * crawl.c - what every engine shares: scope, counters, the page sink.
 *
 * A fetched response becomes exactly one pages row here, whatever
 * happened: success, HTTP error, transport error, parse failure or
 * abandonment.  That is the "nothing is lost" rule in one place.
 */
#include "scrape/crawl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "scrape/clock.h"
#include "scrape/filter.h"
#include "scrape/frame.h"
#include "scrape/held.h"
#include "scrape/hmap.h"
#include "scrape/policy.h"
#include "scrape/record.h"
#include "scrape/robots.h"
#include "scrape/body.h"
#include "scrape/frontier_pg.h"
#include "scrape/store.h"
#include "scrape/sitemap.h"
#include "scrape/url.h"
#include "scrape/workers.h"
#include "scrape/writer.h"

/* Sitemaps read and URLs taken from sitemaps, per run at most: a hostile
 * index of 50,000 sitemaps of 50,000 URLs each must not fill memory. */
#define CRAWL_MAX_SITEMAPS     1000
#define CRAWL_MAX_SITEMAP_URLS 1000000L

/* Pages held for their final depth (frontier_hold) are kept in memory up
 * to the first size, then in a temporary file up to the second; beyond
 * both, only URLs whose depth is final go out until some are recorded. */
#define CRAWL_HELD_MEM_BYTES  (8L * 1024 * 1024)
#define CRAWL_HELD_FILE_BYTES (4ULL * 1024 * 1024 * 1024)

/* Progress redraws per second at most (redrawing per page costs). */
#define PROGRESS_INTERVAL_MS 250

/* How often an idle engine looks for claims of a shared run. */
#define CRAWL_CLAIMS_POLL_MS 10

struct crawl {
    const struct config *cfg;
    struct store *store;
    struct writer *writer; /* owns the store from begin/resume to end */
    const volatile sig_atomic_t *stop;
    struct frontier *frontier;
    struct frontier_pg *claims;  /* a shared run: where work comes from */
    bool shared;                 /* --db postgresql://: a shared run */
    struct hmap scope;           /* seed hosts (owned keys) */
    struct hmap robots;          /* host:port -> struct robots (owned) */
    struct hmap skipped_urls;    /* recorded in skipped (owned keys) */
    struct hmap prev;            /* --recrawl: URL -> struct prev_page */
    struct url_filter *filter;   /* --include/--exclude, NULL for none */
    struct hmap sitemap_hosts;   /* host:port whose sitemaps were queued */
    long sitemaps;               /* sitemap jobs queued (cap above) */
    long sitemap_urls;           /* URLs taken from sitemaps (cap above) */
    long skipped;                /* URLs not fetched on purpose */
    long abandoned;              /* in flight at a stop: left for --resume */
    struct held_store *held;     /* pages fetched before their depth was
                                    final (see hold_page) */
    struct buf held_buf;         /* one held page being encoded or read */
    struct frame_view held_view; /* the arrays of the held page read */
    int64_t run_id;
    const char *mode;
    long started; /* jobs handed out */
    long pages;   /* rows written */
    long errors;  /* rows with an error */
    long items;   /* --item records stored */
    bool fatal;
    enum err fatal_err; /* what made it fatal */
    struct timespec t0, last_draw;
    struct rusage ru0;
    /* The parse workers (crawl_note_workers): their CPU and peak memory,
     * counted as the run's, and what the summary prints of them. */
    long extra_user_ms, extra_sys_ms, extra_rss_kb;
    long workers, workers_one_kb, workers_shared, workers_socket;
    long server_restarts;   /* fork servers replaced during the run */
    struct run_stats final; /* what crawl_end recorded */
    bool progress;          /* draw a progress line */
    bool drawn;             /* a progress line is on screen */
    char fatal_msg[512];
};

static enum err set_fatal(struct crawl *c, enum err e);
static enum err queue_sitemaps(struct crawl *c, const char *url,
                               const struct robots *rules);
static enum err note_skipped(struct crawl *c, const char *url,
                             const char *reason);
static bool in_scope(const struct crawl *c, const char *url);
static void drop_held(struct crawl *c);
static enum err record_ripe(struct crawl *c);

/* What the run being recrawled knew of a URL (--recrawl). */
struct prev_page {
    int64_t id; /* its pages row */
    char *etag, *last_modified;
    char hash[BODY_HASH_LEN]; /* "" when it had no body */
    int depth;
    long status;
};

static void prev_free(struct prev_page *p)
{
    if (!p)
        return;
    free(p->etag);
    free(p->last_modified);
    free(p);
}

/* A page fetched at a depth that was not final yet is kept (held.h) as
 * one byte string: this head, the response's error text, final URL,
 * Content-Type, ETag, Last-Modified, header block and body hash (u32
 * length, 0xFFFFFFFF for none, bytes), the kept body (u64 length,
 * UINT64_MAX for none, bytes: only with --keep-bodies), then the record
 * as a frame payload (frame_put_page, the format --procs uses). */
struct held_head {
    int64_t status, len, fetch_ms, err;
};

static long ms_between(const struct timespec *a, const struct timespec *b)
{
    return (b->tv_sec - a->tv_sec) * 1000 + (b->tv_nsec - a->tv_nsec) / 1000000;
}

enum err crawl_new(const struct config *cfg, struct store *store,
                   const volatile sig_atomic_t *stop, struct crawl **out)
{
    struct crawl *c = calloc(1, sizeof(*c));

    *out = NULL;
    if (!c)
        return ERR_NOMEM;
    c->cfg = cfg;
    c->store = store;
    c->stop = stop;
    hmap_init(&c->scope);
    hmap_init(&c->robots);
    hmap_init(&c->skipped_urls);
    hmap_init(&c->prev);
    hmap_init(&c->sitemap_hosts);
    c->frontier = frontier_new((unsigned)cfg->per_host);
    if (!c->frontier) {
        free(c);
        return ERR_NOMEM;
    }
    /* The patterns were checked at start-up; only memory can fail now. */
    if (url_filter_new(cfg->include, cfg->ninclude, cfg->exclude, cfg->nexclude,
                       &c->filter, c->fatal_msg, sizeof(c->fatal_msg))) {
        frontier_free(c->frontier);
        free(c);
        return ERR_NOMEM;
    }
    buf_init(&c->held_buf, FRAME_MAX);
    if (held_new((size_t)CRAWL_HELD_MEM_BYTES, CRAWL_HELD_FILE_BYTES,
                 &c->held)) {
        frontier_free(c->frontier);
        url_filter_free(c->filter);
        free(c);
        return ERR_NOMEM;
    }
    frontier_set_delay(c->frontier, cfg->delay_ms);
    if ((c->shared = store_is_shared(cfg->db_path)))
        frontier_set_shared(c->frontier);
    /* With --max-pages the first pages fetched are the ones kept: only
     * URLs whose depth is final may take their places. */
    frontier_set_lookahead(c->frontier, !cfg->max_pages);
    if (cfg->sitemaps)
        frontier_expect_late_seeds(c->frontier);
    c->progress = !cfg->quiet && isatty(STDERR_FILENO);
    *out = c;
    return ERR_OK;
}

void crawl_free(struct crawl *c)
{
    size_t i;

    if (!c)
        return;
    frontier_pg_stop(c->claims); /* crawl_end was not reached */
    writer_stop(c->writer, NULL, 0);
    drop_held(c);
    held_free(c->held);
    buf_release(&c->held_buf);
    frame_view_release(&c->held_view);
    for (i = 0; i < c->scope.cap; i++)
        free((char *)c->scope.slots[i].key);
    hmap_release(&c->scope);
    for (i = 0; i < c->robots.cap; i++) {
        free((char *)c->robots.slots[i].key);
        robots_free(c->robots.slots[i].value);
    }
    hmap_release(&c->robots);
    for (i = 0; i < c->skipped_urls.cap; i++)
        free((char *)c->skipped_urls.slots[i].key);
    hmap_release(&c->skipped_urls);
    for (i = 0; i < c->prev.cap; i++) {
        free((char *)c->prev.slots[i].key);
        prev_free(c->prev.slots[i].value);
    }
    hmap_release(&c->prev);
    for (i = 0; i < c->sitemap_hosts.cap; i++)
        free((char *)c->sitemap_hosts.slots[i].key);
    hmap_release(&c->sitemap_hosts);
    frontier_free(c->frontier);
    url_filter_free(c->filter);
    free(c);
}

/* The first URL of a host brings its robots.txt in ahead of it (unless
 * --ignore-robots). */
static enum err ensure_robots(struct crawl *c, const char *url, int depth)
{
    char robots_url[URL_MAX + 16];
    const char *path;

    /* A shared run's robots.txt jobs come with its claims. */
    if (c->cfg->ignore_robots || c->shared ||
        frontier_knows_host(c->frontier, url))
        return ERR_OK;
    path = url_path(url);
    snprintf(robots_url, sizeof(robots_url), "%.*s/robots.txt",
             (int)(path - url), url);
    return frontier_add_robots(c->frontier, robots_url, depth);
}

/* Queues canonical `url`, after its host's robots.txt. */
static enum err queue_url(struct crawl *c, const char *url, int depth,
                          bool *added)
{
    enum err e = ensure_robots(c, url, depth);

    *added = false;
    return e ? e : frontier_add(c->frontier, url, depth, added);
}

/* queue_url, and journal a new URL in the store (for --resume). */
static enum err add_url(struct crawl *c, const char *url, int depth,
                        bool *added)
{
    enum err e = queue_url(c, url, depth, added);

    if (!e && *added)
        e = writer_frontier_add(c->writer, c->run_id, url, depth);
    return e;
}

static enum err add_scope_host(struct crawl *c, const char *url)
{
    const char *h;
    size_t n = url_host(url, &h);
    char *copy;
    struct hmap_slot *slot;
    enum err e;

    if (!n)
        return ERR_BAD_URL;
    if (!(copy = strndup(h, n)))
        return ERR_NOMEM;
    if ((e = hmap_put(&c->scope, copy, NULL, &slot)) || slot->key != copy)
        free(copy);
    return e;
}

/* True when a link to canonical `url` stays within the seeds' hosts. */
static bool in_scope(const struct crawl *c, const char *url)
{
    const char *h;
    size_t n = url_host(url, &h);
    char host[URL_MAX];

    if (c->cfg->any_host)
        return true;
    if (!n || n >= sizeof(host))
        return false;
    memcpy(host, h, n);
    host[n] = '\0';
    return hmap_get(&c->scope, host) != NULL;
}

/* A shared run: starts taking work from the shared frontier. */
static enum err start_claims(struct crawl *c)
{
    return frontier_pg_start(c->cfg->db_path, c->run_id, store_node(c->store),
                             &c->claims, c->fatal_msg, sizeof(c->fatal_msg));
}

/* One pages row of the run being recrawled. */
static enum err load_prev(void *ctx, int64_t id, const char *url, int depth,
                          long status, const char *etag,
                          const char *last_modified, const char *hash)
{
    struct crawl *c = ctx;
    struct prev_page *p;
    struct hmap_slot *slot;
    char *key;
    enum err e;

    if (hmap_get(&c->prev, url))
        return ERR_OK;
    if (!(p = calloc(1, sizeof(*p))) || !(key = strdup(url))) {
        free(p);
        return ERR_NOMEM;
    }
    p->id = id;
    p->depth = depth;
    p->status = status;
    p->etag = etag ? strdup(etag) : NULL;
    p->last_modified = last_modified ? strdup(last_modified) : NULL;
    snprintf(p->hash, sizeof(p->hash), "%s", hash ? hash : "");
    if ((etag && !p->etag) || (last_modified && !p->last_modified) ||
        (e = hmap_put(&c->prev, key, p, &slot))) {
        free(key);
        prev_free(p);
        return ERR_NOMEM;
    }
    return depth == 0 ? add_scope_host(c, url) : ERR_OK;
}

enum err crawl_recrawl_load(struct crawl *c, int64_t of)
{
    enum err e = store_recrawl_load(c->store, of, load_prev, c);

    if (e)
        snprintf(c->fatal_msg, sizeof(c->fatal_msg), "%s",
                 e == ERR_NOMEM ? err_str(e) : store_errmsg(c->store));
    else if (!c->prev.len) {
        snprintf(c->fatal_msg, sizeof(c->fatal_msg),
                 "run %lld has no pages to recrawl", (long long)of);
        e = ERR_INVALID;
    }
    return e;
}

enum err crawl_recrawl_seed(struct crawl *c)
{
    enum err e = ERR_OK;
    bool added;
    size_t i;

    /* Every URL of the run, at the depth it had, whether or not anything
     * links to it now. */
    for (i = 0; i < c->prev.cap && !e; i++) {
        const struct prev_page *p = c->prev.slots[i].value;
        /* A host's robots.txt counts at depth 0, ahead of its URLs
         * whatever their depths (as when resuming). */
        if (p && !(e = ensure_robots(c, c->prev.slots[i].key, 0)))
            e = add_url(c, c->prev.slots[i].key, p->depth, &added);
    }
    return e ? e : writer_flush(c->writer);
}

/* Run N's knowledge of `url` when recrawling, else NULL. */
static const struct prev_page *prev_of(const struct crawl *c, const char *url)
{
    struct hmap_slot *slot = c->prev.len ? hmap_get(&c->prev, url) : NULL;

    return slot ? slot->value : NULL;
}

void crawl_validators(const struct crawl *c, const char *url, const char **etag,
                      const char **last_modified)
{
    const struct prev_page *p = prev_of(c, url);

    *etag = p ? p->etag : NULL;
    *last_modified = p ? p->last_modified : NULL;
}

/* Whether a recrawl compares `r`'s body with what the recrawled run
 * stored (`p`, may be NULL): the same status, and a body then and now. */
static bool compares_body(const struct prev_page *p, const struct response *r)
{
    return p && r->status == p->status && response_has_body(r) && p->hash[0];
}

/* True when a recrawl finds `job` unchanged: a 304, or the same status
 * with a body that hashes as before.  Its record is then carried forward,
 * not parsed. */
static bool unchanged(const struct crawl *c, const struct frontier_job *job,
                      const struct response *r)
{
    const struct prev_page *p = prev_of(c, job->url);
    char hash[BODY_HASH_LEN];

    if (!p || job->robots || job->sitemap)
        return false;
    if (r->status == 304)
        return true;
    if (!compares_body(p, r))
        return false;
    if (r->body_hash) /* hashed already (see crawl_wants_parse) */
        return !strcmp(r->body_hash, p->hash);
    body_hash(r->body, r->len, hash);
    return !strcmp(hash, p->hash);
}

enum err crawl_seed(struct crawl *c, const struct seeds *s)
{
    enum err e;
    bool added;
    size_t i;

    for (i = 0; i < s->n; i++) {
        if ((e = add_scope_host(c, s->urls[i])) ||
            (e = add_url(c, s->urls[i], 0, &added)))
            return e;
        /* Without robots.txt there is nothing to wait for. */
        if (c->cfg->sitemaps && c->cfg->ignore_robots &&
            (e = queue_sitemaps(c, s->urls[i], NULL)))
            return e;
    }
    /* Durable at once: a crawl killed now still resumes from its seeds. */
    if ((e = writer_flush(c->writer)))
        return e;
    return c->shared ? start_claims(c) : ERR_OK;
}

void crawl_note_workers(struct crawl *c, long n,
                        const struct workers_usage *before,
                        const struct workers_usage *after)
{
    c->extra_user_ms += after->user_ms - before->user_ms;
    c->extra_sys_ms += after->sys_ms - before->sys_ms;
    c->extra_rss_kb += after->peak_rss_kb;
    c->workers = n;
    c->workers_one_kb = after->peak_one_rss_kb;
    c->workers_shared = after->jobs_shared - before->jobs_shared;
    c->workers_socket = after->jobs_socket - before->jobs_socket;
    c->server_restarts = after->server_restarts - before->server_restarts;
}

static void start_clocks(struct crawl *c)
{
    clock_gettime(CLOCK_MONOTONIC, &c->t0);
    c->last_draw = c->t0;
    getrusage(RUSAGE_SELF, &c->ru0);
}

enum err crawl_begin(struct crawl *c, const struct run_info *info)
{
    enum err e = store_run_begin(c->store, info, &c->run_id);

    c->mode = info->mode;
    if (e)
        snprintf(c->fatal_msg, sizeof(c->fatal_msg), "%s",
                 store_errmsg(c->store));
    else if ((e = writer_start(c->store, page_fingerprint_once, &c->writer)))
        snprintf(c->fatal_msg, sizeof(c->fatal_msg), "%s", err_str(e));
    start_clocks(c);
    return e;
}

/* One journaled URL of the run being resumed. */
static enum err resume_url(void *ctx, const char *url, int depth, bool done)
{
    struct crawl *c = ctx;
    bool added;
    enum err e;

    if (depth == 0 && (e = add_scope_host(c, url)))
        return e;
    /* The sitemaps are read again, at level 0 as in the first session:
     * their URLs were journaled when read, and are deduplicated now; a
     * kill before they were all read left no deeper page fetched. */
    if (depth == 0 && c->cfg->sitemaps &&
        ((e = ensure_robots(c, url, 0)) ||
         (c->cfg->ignore_robots && (e = queue_sitemaps(c, url, NULL)))))
        return e;
    if (done)
        return frontier_mark_seen(c->frontier, url);
    return queue_url(c, url, depth, &added);
}

/* One URL the run being resumed already recorded as skipped. */
static enum err resume_skipped(void *ctx, const char *url)
{
    struct crawl *c = ctx;
    struct hmap_slot *slot;
    char *copy;
    enum err e;

    if (hmap_get(&c->skipped_urls, url))
        return ERR_OK;
    if (!(copy = strdup(url)))
        return ERR_NOMEM;
    if ((e = hmap_put(&c->skipped_urls, copy, NULL, &slot)))
        free(copy);
    return e;
}

enum err crawl_resume(struct crawl *c, int64_t run_id, const char *mode)
{
    enum err e;

    c->run_id = run_id;
    c->mode = mode;
    if (!(e = store_run_reopen(c->store, run_id, &c->pages, &c->errors)) &&
        !(e = store_skipped_load(c->store, run_id, resume_skipped, c)))
        e = store_frontier_load(c->store, run_id, resume_url, c);
    if (e)
        snprintf(c->fatal_msg, sizeof(c->fatal_msg), "%s",
                 e == ERR_NOMEM ? err_str(e) : store_errmsg(c->store));
    else if ((e = writer_start(c->store, page_fingerprint_once, &c->writer)))
        snprintf(c->fatal_msg, sizeof(c->fatal_msg), "%s", err_str(e));
    c->started = c->pages;
    start_clocks(c);
    return e;
}

/* The robots.txt rules for canonical `url`'s host, or NULL (not read
 * yet, or --ignore-robots). */
static const struct robots *rules_for(const struct crawl *c, const char *url)
{
    const char *hp;
    size_t n = url_hostport(url, &hp);
    char key[URL_MAX];
    struct hmap_slot *slot;

    if (!n || n >= sizeof(key))
        return NULL;
    memcpy(key, hp, n);
    key[n] = '\0';
    slot = hmap_get(&c->robots, key);
    return slot ? slot->value : NULL;
}

/* Records a URL robots.txt forbids and finishes its job. */
static enum err skip_job(struct crawl *c, const struct frontier_job *job,
                         const char *reason)
{
    enum err e = writer_put_skipped(c->writer, c->run_id, job->url, reason);

    if (!e)
        e = writer_frontier_done(c->writer, c->run_id, job->url);
    frontier_release(c->frontier, job);
    frontier_done(c->frontier, job);
    if (e)
        return set_fatal(c, e);
    c->skipped++;
    return ERR_OK;
}

static enum err install_rules(struct crawl *c, const char *robots_url,
                              long status, enum err err, const char *body,
                              size_t len, struct hmap_slot **slot);

/* A shared run: says how much room the local queue has and takes what
 * the claims thread got (robots.txt answers before the pages they
 * rule). */
static enum err pull_claims(struct crawl *c)
{
    size_t queued = frontier_queued(c->frontier);
    size_t room = (size_t)c->cfg->concurrency + (size_t)c->cfg->per_host;
    struct frontier_claim cl;
    enum err e = ERR_OK;

    /* Claims are transactions serialised across the nodes: ask for a
     * batch when a quarter of the room is free, not for every page. */
    frontier_pg_want(c->claims, queued <= room - room / 4 ? room - queued : 0);
    while (!e && frontier_pg_take(c->claims, &cl)) {
        if (cl.kind == CLAIM_RULES)
            e = install_rules(c, cl.url, cl.status, (enum err)cl.err, cl.body,
                              cl.len, NULL);
        else
            e = frontier_add_claimed(c->frontier, cl.url, cl.depth,
                                     cl.kind == CLAIM_ROBOTS);
        frontier_claim_release(&cl);
    }
    if (!e && (e = frontier_pg_status(c->claims, c->fatal_msg,
                                      sizeof(c->fatal_msg)))) {
        c->fatal = true; /* with the claims thread's detail */
        c->fatal_err = e;
        return e;
    }
    return e;
}

enum crawl_next crawl_next(struct crawl *c, struct frontier_job *job)
{
    for (;;) {
        const struct robots *rules;
        enum err e;

        if (c->fatal || (c->stop && *c->stop))
            return CRAWL_DONE;
        if (c->claims && (e = pull_claims(c))) {
            if (!c->fatal)
                set_fatal(c, e);
            return CRAWL_DONE;
        }
        /* A page skipped below may have ended a level. */
        if ((e = record_ripe(c))) {
            set_fatal(c, e);
            return CRAWL_DONE;
        }
        if (c->cfg->max_pages && c->started >= c->cfg->max_pages)
            return CRAWL_DONE;
        if (!frontier_next(c->frontier, job))
            return frontier_queued(c->frontier) ||
                           (c->claims && !frontier_pg_finished(c->claims))
                       ? CRAWL_WAIT
                       : CRAWL_DONE;
        /* Sitemaps are fetched as listed (a host names them on purpose);
         * with a robots.txt that forbids everything none is queued. */
        if (job->robots || job->sitemap)
            return CRAWL_JOB;
        rules = rules_for(c, job->url);
        if (rules && !robots_allowed(rules, url_path(job->url))) {
            if (skip_job(c, job,
                         robots_denies_all(rules)
                             ? "robots.txt unavailable: all disallowed"
                             : "robots.txt"))
                return CRAWL_DONE;
            continue;
        }
        c->started += job->attempts == 0; /* retries are not new pages */
        return CRAWL_JOB;
    }
}

/* Records, once per run, a link that will not be fetched and why. */
static enum err note_skipped(struct crawl *c, const char *url,
                             const char *reason)
{
    struct hmap_slot *slot;
    char *copy;
    enum err e;

    if (hmap_get(&c->skipped_urls, url))
        return ERR_OK;
    if (!(copy = strdup(url)))
        return ERR_NOMEM;
    if ((e = hmap_put(&c->skipped_urls, copy, NULL, &slot))) {
        free(copy);
        return e;
    }
    c->skipped++;
    return writer_put_skipped(c->writer, c->run_id, url, reason);
}

/* Why link `l` of a page at `depth` is not followed, or NULL when it is
 * (or is a duplicate, which is not worth a row). */
static const char *skip_reason(const struct crawl *c, const struct link *l,
                               int depth)
{
    if (!l->followable)
        return l->why == ERR_SCHEME      ? "scheme not http or https"
               : l->why == ERR_TOO_LARGE ? "URL too long"
                                         : "malformed URL";
    if (!in_scope(c, l->url))
        return "another host";
    /* Only a link that would be turned away needs the dedup lookup (a
     * known URL is not worth a row); one to follow is deduplicated by
     * frontier_add itself. */
    if (!c->filter && depth < c->cfg->depth)
        return NULL;
    if (frontier_seen(c->frontier, l->url))
        return NULL;
    if (!url_filter_allows(c->filter, l->url))
        return "filtered";
    if (depth >= c->cfg->depth)
        return "depth";
    return NULL;
}

/* Queues the links of page `pg` found at `depth`.  When the depth is
 * final, a link not followed gets its skipped row; when it may still
 * shrink (a held page), only the links within --depth are queued, to be
 * fetched early, and the rest waits for the final depth. */
static enum err follow_links(struct crawl *c, int depth, const struct page *pg,
                             bool final)
{
    const char *why;
    bool added;
    size_t i;
    enum err e;

    for (i = 0; i < pg->nlinks; i++) {
        const struct link *l = &pg->links[i];
        if ((why = skip_reason(c, l, depth))) {
            if (!final)
                continue;
            e = note_skipped(c, l->url, why);
        } else if (depth < c->cfg->depth) {
            e = add_url(c, l->url, depth + 1, &added);
        } else {
            continue;
        }
        if (e)
            return e;
    }
    return ERR_OK;
}

/* A seed of the run being joined: its host is in scope. */
static enum err join_seed(void *ctx, const char *url)
{
    return add_scope_host(ctx, url);
}

enum err crawl_join(struct crawl *c, int64_t run_id, const char *mode)
{
    enum err e;
    long pages, errors;

    c->run_id = run_id;
    c->mode = mode;
    if ((e = store_run_reopen(c->store, run_id, &pages, &errors)) ||
        (e = store_seeds_load(c->store, run_id, join_seed, c)))
        snprintf(c->fatal_msg, sizeof(c->fatal_msg), "%s",
                 e == ERR_NOMEM ? err_str(e) : store_errmsg(c->store));
    else if ((e = writer_start(c->store, page_fingerprint_once, &c->writer)))
        snprintf(c->fatal_msg, sizeof(c->fatal_msg), "%s", err_str(e));
    else
        e = start_claims(c);
    start_clocks(c);
    return e;
}

static enum err set_fatal(struct crawl *c, enum err e)
{
    c->fatal = true;
    c->fatal_err = e;
    /* While the writer runs, store failures happen on its thread, which
     * keeps their detail, and the store is not ours to read. */
    if (c->writer && writer_status(c->writer))
        writer_errmsg(c->writer, c->fatal_msg, sizeof(c->fatal_msg));
    else
        snprintf(c->fatal_msg, sizeof(c->fatal_msg), "%s",
                 c->writer || e == ERR_NOMEM ? err_str(e)
                                             : store_errmsg(c->store));
    return e;
}

void crawl_release(struct crawl *c, const struct frontier_job *job)
{
    frontier_release(c->frontier, job);
}

/* Queues sitemap `url` (canonical) with `nest` indexes above it, after
 * its host's robots.txt when the host is new. */
static enum err add_sitemap_job(struct crawl *c, const char *url, int nest,
                                long *refused)
{
    bool added;
    enum err e;

    if (c->sitemaps >= CRAWL_MAX_SITEMAPS) {
        (*refused)++;
        return ERR_OK;
    }
    if ((e = ensure_robots(c, url, 0)) ||
        (e = frontier_add_sitemap(c->frontier, url, 0, nest, &added)))
        return e;
    c->sitemaps += added;
    return ERR_OK;
}

/* Queues, once per seed host:port, its sitemaps: the Sitemap: lines of
 * `rules` (resolved against `url`, a URL on that host), else
 * /sitemap.xml.  Hosts met later through links are not asked: their URLs
 * would enter as seeds after deeper levels started. */
static enum err queue_sitemaps(struct crawl *c, const char *url,
                               const struct robots *rules)
{
    char fallback[URL_MAX + 16], host[URL_MAX], *key = NULL, *canon = NULL;
    const char *h, *hp, *path = url_path(url);
    size_t n = url_host(url, &h), i, count;
    char *const *list = NULL;
    enum err e = ERR_OK;
    long refused = 0;

    if (!n || n >= sizeof(host))
        return ERR_OK;
    memcpy(host, h, n);
    host[n] = '\0';
    if (!hmap_get(&c->scope, host) || !(n = url_hostport(url, &hp)))
        return ERR_OK;
    if (!(key = strndup(hp, n)))
        return ERR_NOMEM;
    if (hmap_get(&c->sitemap_hosts, key)) {
        free(key);
        return ERR_OK;
    }
    if ((e = hmap_put(&c->sitemap_hosts, key, NULL, NULL))) {
        free(key);
        return e;
    }
    count = rules ? robots_sitemaps(rules, &list) : 0;
    if (!count) {
        snprintf(fallback, sizeof(fallback), "%.*s/sitemap.xml",
                 (int)(path - url), url);
        return add_sitemap_job(c, fallback, 0, &refused);
    }
    for (i = 0; i < count && !e; i++) {
        e = url_resolve(url, list[i], &canon);
        if (e == ERR_OK)
            e = add_sitemap_job(c, canon, 0, &refused);
        else if (e != ERR_NOMEM) {
            struct sitemap_row row = {.url = list[i],
                                      .error = "not an http(s) URL"};
            e = writer_put_sitemap(c->writer, c->run_id, &row);
        }
        free(canon);
        canon = NULL;
    }
    return e;
}

/* A sitemap index: its sitemaps are queued one level deeper; *refused
 * counts those past the run's limit. */
static enum err follow_index(struct crawl *c, const struct frontier_job *job,
                             const char *base, const struct sitemap *sm,
                             struct sitemap_row *row, long *refused)
{
    char *canon = NULL;
    enum err e = ERR_OK;
    size_t i;

    if (job->nest >= SITEMAP_MAX_NESTING) {
        row->error = "sitemap indexes nested deeper than "
                     "10: its sitemaps are ignored";
        return ERR_OK;
    }
    for (i = 0; i < sm->n && !e; i++) {
        e = url_resolve(base, sm->urls[i], &canon);
        if (e == ERR_OK)
            e = add_sitemap_job(c, canon, job->nest + 1, refused);
        else if (e != ERR_NOMEM)
            e = ERR_OK;
        free(canon);
        canon = NULL;
    }
    return e;
}

/* A sitemap's <loc>s (or lines) enter the frontier as seeds (depth 0)
 * when in scope and allowed by --include/--exclude; *bad counts entries
 * that are not URLs, *refused those past the run's limit. */
static enum err seed_locs(struct crawl *c, const char *base,
                          const struct sitemap *sm, long *bad, long *refused)
{
    char *canon = NULL;
    enum err e = ERR_OK;
    bool added;
    size_t i;

    for (i = 0; i < sm->n && !e; i++) {
        if (c->sitemap_urls >= CRAWL_MAX_SITEMAP_URLS) {
            *refused = (long)(sm->n - i);
            break;
        }
        c->sitemap_urls++;
        e = url_resolve(base, sm->urls[i], &canon);
        if (e == ERR_NOMEM)
            break;
        if (e) {
            (*bad)++;
            e = ERR_OK;
        } else if (!in_scope(c, canon)) {
            e = note_skipped(c, canon, "another host");
        } else if (frontier_seen(c->frontier, canon)) {
            /* A seed even when a page linked to it first (level 0 is
             * still open: it is not done), whatever the filters say. */
            e = add_url(c, canon, 0, &added);
        } else if (!url_filter_allows(c->filter, canon)) {
            e = note_skipped(c, canon, "filtered");
        } else {
            e = add_url(c, canon, 0, &added);
        }
        free(canon);
        canon = NULL;
    }
    return e;
}

/* Reads a fetched sitemap: queues what it lists and records one sitemaps
 * row (with the reason when it could not be read whole).  A sitemap is
 * not a page: no pages row. */
static enum err read_sitemap(struct crawl *c, const struct frontier_job *job,
                             const struct response *r)
{
    struct sitemap_row row = {.url = job->url, .status = r->status};
    char why[SITEMAP_ERROR_MAX + 64];
    struct sitemap sm;
    long bad = 0, refused = 0;
    char *base = NULL;
    enum err e = ERR_OK;

    memset(&sm, 0, sizeof(sm));
    /* Relative <loc>s resolve against where the sitemap really is. */
    if (!r->final_url || url_canon(r->final_url, &base) != ERR_OK)
        base = NULL;
    if (r->err) {
        row.error = r->error;
    } else if (!(e = sitemap_parse(r->body, r->len, c->cfg->max_bytes, &sm))) {
        row.kind = sitemap_kind_name(sm.kind);
        row.urls = (long)sm.n;
        row.error = sm.error[0] ? sm.error : NULL;
        e = sm.kind == SITEMAP_INDEX
                ? follow_index(c, job, base ? base : job->url, &sm, &row,
                               &refused)
                : seed_locs(c, base ? base : job->url, &sm, &bad, &refused);
        if (!e && refused && !row.error) {
            snprintf(why, sizeof(why),
                     "%ld entries ignored: the run's limit of %ld %s reached",
                     refused,
                     sm.kind == SITEMAP_INDEX ? (long)CRAWL_MAX_SITEMAPS
                                              : CRAWL_MAX_SITEMAP_URLS,
                     sm.kind == SITEMAP_INDEX ? "sitemaps"
                                              : "URLs from sitemaps");
            row.error = why;
        } else if (!e && bad && !row.error) {
            snprintf(why, sizeof(why), "%ld entries are not http(s) URLs", bad);
            row.error = why;
        }
    }
    if (!e)
        e = writer_put_sitemap(c->writer, c->run_id, &row);
    free(base);
    sitemap_release(&sm);
    frontier_done(c->frontier, job);
    return e ? set_fatal(c, e) : ERR_OK;
}

/* Makes the rules of a robots.txt answer (policy_robots says what an
 * answer that is not a file means) the rules of its host; *slot (may be
 * NULL) is the host's entry.  A host that has its rules keeps them. */
static enum err install_rules(struct crawl *c, const char *robots_url,
                              long status, enum err err, const char *body,
                              size_t len, struct hmap_slot **slot)
{
    struct robots *rules = NULL;
    struct hmap_slot *s = NULL;
    const char *hp;
    size_t n = url_hostport(robots_url, &hp);
    char *key = strndup(hp, n);
    enum policy_robots what = policy_robots(status, err);
    enum err e;

    if (what == POLICY_ROBOTS_PARSE)
        e = robots_parse(body, len, c->cfg->user_agent, &rules);
    else
        e = robots_all(what == POLICY_ROBOTS_ALLOW_ALL, &rules);
    if (!e && !key)
        e = ERR_NOMEM;
    if (!e)
        e = hmap_put(&c->robots, key, rules, &s);
    if (e || s->value != rules) {
        free(key);
        robots_free(rules);
    }
    if (slot)
        *slot = s;
    return e;
}

/* Stores the rules a robots.txt response gives and opens the host; a
 * shared run keeps the answer for the other nodes.  A robots.txt is not
 * a page: no pages row. */
static enum err read_robots(struct crawl *c, const struct frontier_job *job,
                            const struct response *r)
{
    struct hmap_slot *slot = NULL;
    struct robots_row row = {
        .url = job->url,
        .status = r->status,
        .err = (int)r->err,
        .body = r->body,
        .len = r->len > STORE_ROBOTS_MAX ? STORE_ROBOTS_MAX : r->len,
    };
    enum err e =
        install_rules(c, job->url, r->status, r->err, r->body, r->len, &slot);

    if (!e && c->shared)
        e = writer_put_robots(c->writer, c->run_id, &row);
    if (!e && c->cfg->sitemaps && slot && !robots_denies_all(slot->value))
        e = queue_sitemaps(c, job->url, slot->value);
    /* After the sitemaps are queued: level 0 holds until they are read. */
    frontier_done(c->frontier, job);
    return e ? set_fatal(c, e) : ERR_OK;
}

/* A retry unless a stop was requested (policy.h has the rules). */
static bool should_retry(const struct crawl *c, const struct frontier_job *job,
                         const struct response *r)
{
    return policy_should_retry(r->status, job->attempts, c->cfg->retries) &&
           !(c->stop && *c->stop);
}

/* --recrawl: what changed since the run recrawled, and an unchanged
 * page's record carried forward from it (no links to follow: every URL
 * the old page linked to within scope is a URL of that run, queued). */
static void recrawl_row(const struct crawl *c, const struct frontier_job *job,
                        const struct response *r, struct page_row *row)
{
    const struct prev_page *p = prev_of(c, job->url);

    if (!p) {
        row->change = "new";
    } else if (unchanged(c, job, r)) {
        row->change = "unchanged";
        row->carry_from = p->id;
        row->page = NULL;
        row->body = NULL; /* the body (or its twin) is stored already */
    } else if ((r->status == 404 || r->status == 410) &&
               p->status != r->status) {
        row->change = "gone";
    } else if (r->err && !response_has_body(r)) {
        row->change = "failed";
    } else {
        row->change = "changed";
    }
}

/* Stores page `job`'s row at its final `depth` and queues its links;
 * only then may its level end (frontier_done). */
static enum err record_page(struct crawl *c, const struct frontier_job *job,
                            int depth, const struct response *r,
                            const struct page *pg, const char *parse_error)
{
    char why[HTTP_ERROR_MAX + 64];
    struct page_row row;
    enum err e;

    record_row(c->cfg, job, depth, r, pg, parse_error, &row, why, sizeof(why));
    if (c->prev.len)
        recrawl_row(c, job, r, &row);
    if ((e = writer_put_page(c->writer, c->run_id, &row)))
        return e;
    c->pages++;
    c->errors += row.error != NULL;
    c->items += pg && pg->items ? (long)pg->nrecords : 0;
    if (pg && (e = follow_links(c, depth, pg, true)))
        return e;
    if ((e = writer_frontier_done(c->writer, c->run_id, job->url)))
        return e;
    frontier_done(c->frontier, job);
    return ERR_OK;
}

/* Opens the lookahead while held pages have room. */
static void steer_lookahead(struct crawl *c)
{
    frontier_set_lookahead(c->frontier,
                           !c->cfg->max_pages && held_has_room(c->held));
}

static enum err put_str(struct buf *b, const char *v)
{
    uint32_t n = v ? (uint32_t)strlen(v) : UINT32_MAX;
    enum err e = buf_add(b, &n, sizeof(n));

    return e || !v ? e : buf_add(b, v, n);
}

/* Reads a string put_str wrote at *p (before end) as a new string, or
 * NULL for none, and moves *p past it. */
static enum err get_str(const char **p, const char *end, char **out)
{
    uint32_t n;

    *out = NULL;
    if ((size_t)(end - *p) < sizeof(n))
        return ERR_INVALID;
    memcpy(&n, *p, sizeof(n));
    *p += sizeof(n);
    if (n == UINT32_MAX)
        return ERR_OK;
    if ((size_t)(end - *p) < n)
        return ERR_INVALID;
    if (!(*out = strndup(*p, n)))
        return ERR_NOMEM;
    *p += n;
    return ERR_OK;
}

/* Keeps page `job` until its depth is final.  Its links within --depth
 * are queued now (at a depth that may shrink), so what they lead to is
 * fetched early too. */
static enum err hold_page(struct crawl *c, const struct frontier_job *job,
                          const struct response *r, const struct page *pg,
                          const char *parse_error)
{
    struct held_head head = {r->status, (int64_t)r->len, r->fetch_ms, r->err};
    struct buf *b = &c->held_buf;
    struct held_rec *rec;
    enum err e;
    char own[BODY_HASH_LEN];
    bool body = response_has_body(r);
    const char *hash = body ? r->body_hash : NULL;
    uint64_t kept = body && c->cfg->keep_bodies ? r->len : UINT64_MAX;

    /* The body's hash now (unless it came hashed), so that only a body to
     * keep is held. */
    if (body && !hash) {
        body_hash(r->body, r->len, own);
        hash = own;
    }
    buf_reset(b);
    if ((e = buf_add(b, &head, sizeof(head))) ||
        (e = put_str(b, r->err ? r->error : NULL)) ||
        (e = put_str(b, r->final_url)) || (e = put_str(b, r->content_type)) ||
        (e = put_str(b, r->etag)) || (e = put_str(b, r->last_modified)) ||
        (e = put_str(b, r->headers)) || (e = put_str(b, hash)) ||
        (e = buf_add(b, &kept, sizeof(kept))) ||
        (kept != UINT64_MAX && (e = buf_add(b, r->body, r->len))) ||
        (e = frame_put_page(b, pg, parse_error, NULL)))
        return e == ERR_TOO_LARGE ? ERR_NOMEM : e;
    if (pg && (e = follow_links(c, frontier_depth(job), pg, false)))
        return e;
    if ((e = held_put(c->held, b->data, b->len, &rec)))
        return e;
    frontier_hold(c->frontier, job, rec);
    steer_lookahead(c);
    return ERR_OK;
}

/* A held page's kept body (UINT64_MAX: none kept). */
static enum err get_body(const char **p, const char *end, struct response *r)
{
    uint64_t n;

    if ((size_t)(end - *p) < sizeof(n))
        return ERR_INVALID;
    memcpy(&n, *p, sizeof(n));
    *p += sizeof(n);
    if (n == UINT64_MAX)
        return ERR_OK;
    if (n > (uint64_t)(end - *p))
        return ERR_INVALID;
    if (!(r->owned_body = malloc(n + 1)))
        return ERR_NOMEM;
    memcpy(r->owned_body, *p, n);
    r->owned_body[n] = '\0';
    r->body = r->owned_body;
    *p += n;
    return ERR_OK;
}

/* Records a held page whose depth became final. */
static enum err record_held(struct crawl *c, const struct frontier_job *job,
                            struct held_rec *rec)
{
    struct held_head head;
    struct response r;
    struct page pg;
    char *error = NULL;
    const char *p, *end, *perr = NULL, *unused;
    bool parsed = false;
    enum err e;

    memset(&r, 0, sizeof(r));
    r.body = "";
    /* ERR_IO: the temporary file could not be read back. */
    if ((e = held_take(c->held, rec, &c->held_buf)))
        return e;
    p = c->held_buf.data;
    end = p + c->held_buf.len;
    if ((size_t)(end - p) < sizeof(head))
        return ERR_INVALID;
    memcpy(&head, p, sizeof(head));
    p += sizeof(head);
    r.status = (long)head.status;
    r.len = (size_t)head.len;
    r.fetch_ms = (long)head.fetch_ms;
    r.err = (enum err)head.err;
    if (!(e = get_str(&p, end, &error)) &&
        !(e = get_str(&p, end, &r.final_url)) &&
        !(e = get_str(&p, end, &r.content_type)) &&
        !(e = get_str(&p, end, &r.etag)) &&
        !(e = get_str(&p, end, &r.last_modified)) &&
        !(e = get_str(&p, end, &r.headers)) &&
        !(e = get_str(&p, end, &r.body_hash)) && !(e = get_body(&p, end, &r)))
        e = frame_get_page(p, (size_t)(end - p), &c->held_view, &pg, &parsed,
                           &perr, &unused);
    if (!e) {
        snprintf(r.error, sizeof(r.error), "%s", error ? error : "");
        e = record_page(c, job, frontier_depth(job), &r, parsed ? &pg : NULL,
                        perr);
    } else if (e != ERR_NOMEM) {
        e = ERR_INVALID; /* our own encoding: cannot happen */
    }
    free(error);
    response_release(&r);
    return e;
}

/* Records every held page whose depth became final (in turn, their
 * links may ripen more). */
static enum err record_ripe(struct crawl *c)
{
    struct frontier_job job;
    void *data;
    enum err e;

    while (frontier_ripe(c->frontier, &job, &data))
        if ((e = record_held(c, &job, data)))
            return e;
    steer_lookahead(c);
    return ERR_OK;
}

/* Records every held page at the depth it has now. */
static enum err record_held_now(struct crawl *c)
{
    struct frontier_job job;
    struct held_rec *rec;
    enum err e;

    while ((rec = frontier_take_held(c->frontier, &job)))
        if ((e = record_held(c, &job, rec)))
            return e;
    return ERR_OK;
}

/* Frees the pages still held (a stop or a failure): not recorded, so
 * they stay queued in the journal and --resume fetches them again. */
static void drop_held(struct crawl *c)
{
    struct frontier_job job;
    struct held_rec *rec;

    while ((rec = frontier_take_held(c->frontier, &job))) {
        c->abandoned++;
        held_drop(c->held, rec);
    }
}

enum err crawl_record(struct crawl *c, const struct frontier_job *job,
                      const struct response *r, const struct page *pg,
                      const char *parse_error)
{
    enum err e;

    /* Cut short by a stop request: not fetched, so no row.  It stays
     * queued in the journal and --resume fetches it. */
    if (r->err == ERR_STOPPED && c->stop && *c->stop) {
        c->abandoned++;
        return ERR_OK;
    }
    if (should_retry(c, job, r)) {
        if ((e = frontier_retry(
                 c->frontier, job,
                 clock_ms() +
                     policy_retry_wait_ms(job->attempts, r->retry_after_s))))
            return set_fatal(c, e);
        return ERR_OK;
    }
    if (job->robots)
        e = read_robots(c, job, r);
    else if (job->sitemap)
        e = read_sitemap(c, job, r);
    else if (frontier_exact(c->frontier, job))
        e = record_page(c, job, frontier_depth(job), r, pg, parse_error);
    else
        e = hold_page(c, job, r, pg, parse_error);
    if (!e)
        e = record_ripe(c);
    return e ? set_fatal(c, e) : ERR_OK;
}

bool crawl_wants_parse(const struct crawl *c, const struct frontier_job *job,
                       struct response *r)
{
    char hash[BODY_HASH_LEN];

    if (job->robots || job->sitemap)
        return false;
    /* A recrawl compares the body's hash: taken once, here, and kept with
     * the response, so the record and the writer do not take it again
     * (out of memory only leaves it to them). */
    if (c && !r->body_hash && compares_body(prev_of(c, job->url), r)) {
        body_hash(r->body, r->len, hash);
        r->body_hash = strdup(hash);
    }
    return record_is_html(r) && !(c && unchanged(c, job, r));
}

enum err crawl_complete(struct crawl *c, const struct frontier_job *job,
                        struct response *r, struct parser *p)
{
    const char *perr = NULL;
    struct page pg;
    bool parsed = false;
    enum err e;

    /* robots.txt and sitemaps are read by crawl_record, never parsed; nor
     * is a page a recrawl finds unchanged. */
    if (crawl_wants_parse(c, job, r) &&
        (e = record_parse(p, job->url, r, &pg, &parsed, &perr)))
        return set_fatal(c, e);
    e = crawl_record(c, job, r, parsed ? &pg : NULL, perr);
    if (parsed)
        page_release(&pg);
    return e;
}

enum err crawl_abandon(struct crawl *c, const struct frontier_job *job,
                       const char *why)
{
    struct response r;

    response_error(&r, ERR_STOPPED, "%s", why);
    return crawl_record(c, job, &r, NULL, NULL);
}

static void draw_progress(struct crawl *c, size_t in_flight,
                          const struct timespec *now)
{
    long ms = ms_between(&c->t0, now);
    double rate = ms > 0 ? c->pages * 1000.0 / ms : 0;

    fprintf(stderr,
            "\r%ld pages, %zu in flight, %zu queued, %.0f pages/s, %ld errors"
            "\x1b[K",
            c->pages, in_flight, frontier_queued(c->frontier), rate, c->errors);
    fflush(stderr);
    c->drawn = true;
}

enum err crawl_tick(struct crawl *c, size_t in_flight)
{
    struct timespec now;
    enum err e;

    if ((e = writer_status(c->writer)))
        return set_fatal(c, e);
    if (!c->progress)
        return ERR_OK;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (ms_between(&c->last_draw, &now) >= PROGRESS_INTERVAL_MS) {
        c->last_draw = now;
        draw_progress(c, in_flight, &now);
    }
    return ERR_OK;
}

static long tv_ms(const struct timeval *a, const struct timeval *b)
{
    return (b->tv_sec - a->tv_sec) * 1000 + (b->tv_usec - a->tv_usec) / 1000;
}

static enum err skip_for_max_pages(void *ctx, const char *url)
{
    return note_skipped(ctx, url, "max-pages");
}

enum err crawl_end(struct crawl *c, const char *status)
{
    /* Held pages are left only by a stop or a failure (they are fetched
     * again on --resume), or by --max-pages, which ends the run before
     * the levels do: their depth is then the shortest path fetched. */
    if (!c->fatal && !(c->stop && *c->stop) && record_held_now(c))
        set_fatal(c, ERR_DB);
    drop_held(c);
    /* What --max-pages left in the queue is skipped, not lost.  (Not after
     * a stop: --resume will fetch it.) */
    if (!c->fatal && !(c->stop && *c->stop) && c->cfg->max_pages &&
        c->started >= c->cfg->max_pages &&
        frontier_each_queued(c->frontier, skip_for_max_pages, c))
        set_fatal(c, ERR_DB);
    struct run_stats st = {.status = status};
    char why[sizeof(c->fatal_msg)];
    struct timespec now;
    struct rusage ru;
    enum err e, end_e;

    /* No more claims: what this node holds and did not finish is given
     * back by store_run_end. */
    frontier_pg_stop(c->claims);
    c->claims = NULL;
    /* Everything queued is stored before the run's figures are taken:
     * storing is part of the run's cost. */
    if ((e = writer_stop(c->writer, why, sizeof(why)))) {
        c->fatal = true;
        snprintf(c->fatal_msg, sizeof(c->fatal_msg), "%s", why);
        st.status = "failed";
    } else if (c->fatal && !strcmp(status, "done")) {
        /* The engine ran out of work because the crawl could not go on
         * (crawl_next said done): that is a failure, not the end. */
        e = c->fatal_err ? c->fatal_err : ERR_DB;
        st.status = "failed";
    }
    c->writer = NULL;
    clock_gettime(CLOCK_MONOTONIC, &now);
    getrusage(RUSAGE_SELF, &ru);
    st.pages = c->pages;
    st.errors = c->errors;
    st.items = c->items;
    st.wall_ms = ms_between(&c->t0, &now);
    st.cpu_user_ms = tv_ms(&c->ru0.ru_utime, &ru.ru_utime) + c->extra_user_ms;
    st.cpu_sys_ms = tv_ms(&c->ru0.ru_stime, &ru.ru_stime) + c->extra_sys_ms;
    /* The process's peak: each run is a process of its own (--compare
     * spawns one per engine), so this is the run's. */
    st.peak_rss_kb = ru.ru_maxrss + c->extra_rss_kb;
    if (c->drawn)
        fputs("\r\x1b[K", stderr);
    c->final = st;
    /* Tried even after a failure: the run should say it failed. */
    if ((end_e = store_run_end(c->store, c->run_id, &st)) && !e)
        e = set_fatal(c, end_e);
    if (!c->cfg->quiet)
        fprintf(stderr,
                "scrape: run %lld (%s): %ld pages, %ld errors in %.2f s "
                "(%.0f pages/s), %s -> %s\n",
                (long long)c->run_id, c->mode, st.pages, st.errors,
                st.wall_ms / 1000.0,
                st.wall_ms > 0 ? st.pages * 1000.0 / st.wall_ms : 0.0,
                st.status, c->cfg->db_path);
    if (!c->cfg->quiet && c->workers)
        fprintf(stderr,
                "scrape: %ld parse workers: peak %.1f MB the largest, %.1f MB"
                " together; %ld pages through shared memory, %ld through"
                " sockets (larger than %ld MB)\n",
                c->workers, c->workers_one_kb / 1024.0,
                c->extra_rss_kb / 1024.0, c->workers_shared, c->workers_socket,
                WORKERS_SHM_BYTES / (1024 * 1024));
    if (!c->cfg->quiet && c->server_restarts)
        fprintf(stderr,
                "scrape: the parse workers' fork server was lost and"
                " replaced %ld time%s (pages its workers held are error"
                " rows)\n",
                c->server_restarts, c->server_restarts == 1 ? "" : "s");
    if (!c->cfg->quiet && !strcmp(status, "interrupted") && c->shared)
        fprintf(stderr,
                "scrape: what this node had claimed is given back; join"
                " again with scrape --db URI --join %lld\n",
                (long long)c->run_id);
    else if (!c->cfg->quiet && !strcmp(status, "interrupted"))
        fprintf(stderr,
                "scrape: %ld transfers were cut short; continue with"
                " scrape --resume --db %s\n",
                c->abandoned, c->cfg->db_path);
    return e;
}

void crawl_stats(const struct crawl *c, struct run_stats *st)
{
    *st = c->final;
}

long crawl_wait_ms(const struct crawl *c)
{
    long ms = frontier_wait_ms(c->frontier, clock_ms());

    /* A shared run's claims arrive on another thread: look again soon. */
    if (c->claims && (ms < 0 || ms > CRAWL_CLAIMS_POLL_MS))
        ms = CRAWL_CLAIMS_POLL_MS;
    return ms;
}

int64_t crawl_run_id(const struct crawl *c)
{
    return c->run_id;
}

const char *crawl_fatal_msg(const struct crawl *c)
{
    return c->fatal_msg;
}

const volatile sig_atomic_t *crawl_stop_flag(const struct crawl *c)
{
    return c->stop;
}
