/*
 * crawl.c - what every engine shares: scope, counters, the page sink
 * (robots.txt and sitemaps are crawl_site.c's, held pages crawl_held.c's;
 * crawl_int.h joins them).
 *
 * A fetched response becomes exactly one pages row here, whatever
 * happened: success, HTTP error, transport error, parse failure or
 * abandonment.  That is the "nothing is lost" rule in one place.
 */
#include "crawl_int.h"

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

/* Progress redraws per second at most (redrawing per page costs). */
#define PROGRESS_INTERVAL_MS 250

/* How often an idle engine looks for claims of a shared run. */
#define CRAWL_CLAIMS_POLL_MS 10

static void prev_free(struct prev_page *p)
{
    if (!p)
        return;
    free(p->etag);
    free(p->last_modified);
    free(p->referrer);
    free(p);
}

static long ms_between(const struct timespec *a, const struct timespec *b)
{
    return (b->tv_sec - a->tv_sec) * 1000 + (b->tv_nsec - a->tv_nsec) / 1000000;
}

/* The --strip-params patterns, compiled (NULL when there are none). */
static enum err strip_patterns(const struct config *cfg,
                               struct url_filter **out, char *why, size_t n)
{
    const char **labels;
    size_t i;
    enum err e;

    *out = NULL;
    if (!cfg->nstrip_params)
        return ERR_OK;
    if (!(labels = calloc(cfg->nstrip_params, sizeof(*labels))))
        return ERR_NOMEM;
    for (i = 0; i < cfg->nstrip_params; i++)
        labels[i] = "--strip-params";
    e = url_filter_new_list(cfg->strip_params, labels, cfg->nstrip_params, out,
                            why, n);
    free(labels);
    return e;
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
    buf_init(&c->held_buf, FRAME_MAX);
    if (url_filter_new(cfg->include, cfg->ninclude, cfg->exclude, cfg->nexclude,
                       &c->filter, c->fatal_msg, sizeof(c->fatal_msg)) ||
        spider_patterns(&cfg->spider, &c->rules, c->fatal_msg,
                        sizeof(c->fatal_msg)) ||
        strip_patterns(cfg, &c->strip, c->fatal_msg, sizeof(c->fatal_msg)) ||
        held_new((size_t)CRAWL_HELD_MEM_BYTES, CRAWL_HELD_FILE_BYTES,
                 &c->held)) {
        frontier_free(c->frontier);
        url_filter_free(c->filter);
        url_filter_free(c->rules);
        url_filter_free(c->strip);
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
    crawl_drop_held(c);
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
    url_filter_free(c->rules);
    url_filter_free(c->strip);
    free(c);
}

/* Queues canonical `url`, after its host's robots.txt. */
static enum err queue_url(struct crawl *c, const char *url, int depth,
                          bool *added)
{
    enum err e = crawl_ensure_robots(c, url, depth);

    *added = false;
    return e ? e : frontier_add(c->frontier, url, depth, added);
}

/* queue_url, and journal a new URL in the store (for --resume). */
/* True when --strip-params drops the query parameter name[0..n). */
static bool strip_param(void *ctx, const char *name, size_t n)
{
    struct crawl *c = ctx;
    char key[256];

    if (n >= sizeof(key))
        return false;
    memcpy(key, name, n);
    key[n] = '\0';
    return url_filter_first(c->strip, key) >= 0;
}

const char *crawl_strip(struct crawl *c, const char *url, char buf[URL_MAX + 1])
{
    if (!c->strip || !strchr(url, '?'))
        return url;
    return url_strip_params(url, strip_param, c, buf, URL_MAX + 1) ? buf : url;
}

enum err crawl_add_url(struct crawl *c, const char *url, int depth,
                       const char *from, bool *added)
{
    char buf[URL_MAX + 1];
    enum err e;

    url = crawl_strip(c, url, buf);
    e = queue_url(c, url, depth, added);

    if (!e && *added)
        e = writer_frontier_add(c->writer, c->run_id, url, depth, from);
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

bool crawl_seed_host(const struct crawl *c, const char *url)
{
    const char *h;
    size_t n = url_host(url, &h);
    char host[URL_MAX];

    if (!n || n >= sizeof(host))
        return false;
    memcpy(host, h, n);
    host[n] = '\0';
    return hmap_get(&c->scope, host) != NULL;
}

/* True when a link to canonical `url` stays within the seeds' hosts. */
bool crawl_in_scope(const struct crawl *c, const char *url)
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
static enum err load_prev(void *ctx, const struct prev_row *row)
{
    struct crawl *c = ctx;
    struct prev_page *p;
    struct hmap_slot *slot;
    char *key;

    if (hmap_get(&c->prev, row->url))
        return ERR_OK;
    if (!(p = calloc(1, sizeof(*p))) || !(key = strdup(row->url))) {
        free(p);
        return ERR_NOMEM;
    }
    p->id = row->id;
    p->depth = row->depth;
    p->status = row->status;
    p->etag = row->etag ? strdup(row->etag) : NULL;
    p->last_modified = row->last_modified ? strdup(row->last_modified) : NULL;
    p->referrer = row->referrer ? strdup(row->referrer) : NULL;
    snprintf(p->hash, sizeof(p->hash), "%s", row->hash ? row->hash : "");
    if ((row->etag && !p->etag) || (row->last_modified && !p->last_modified) ||
        (row->referrer && !p->referrer) || hmap_put(&c->prev, key, p, &slot)) {
        free(key);
        prev_free(p);
        return ERR_NOMEM;
    }
    return row->depth == 0 ? add_scope_host(c, row->url) : ERR_OK;
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
     * links to it now, through the page it was found through then (so
     * an unchanged page, whose links are not followed again, keeps its
     * referrer). */
    for (i = 0; i < c->prev.cap && !e; i++) {
        const struct prev_page *p = c->prev.slots[i].value;
        /* A host's robots.txt counts at depth 0, ahead of its URLs
         * whatever their depths (as when resuming). */
        if (p && !(e = crawl_ensure_robots(c, c->prev.slots[i].key, 0)))
            e = crawl_add_url(c, c->prev.slots[i].key, p->depth, p->referrer,
                              &added);
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
            (e = crawl_add_url(c, s->urls[i], 0, NULL, &added)))
            return e;
        /* Without robots.txt there is nothing to wait for. */
        if (c->cfg->sitemaps && c->cfg->ignore_robots &&
            (e = crawl_queue_sitemaps(c, s->urls[i], NULL)))
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
        ((e = crawl_ensure_robots(c, url, 0)) ||
         (c->cfg->ignore_robots && (e = crawl_queue_sitemaps(c, url, NULL)))))
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
        return crawl_set_fatal(c, e);
    c->skipped++;
    return ERR_OK;
}

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
            e = crawl_install_rules(c, cl.url, cl.status, (enum err)cl.err,
                                    cl.body, cl.len, NULL);
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
                crawl_set_fatal(c, e);
            return CRAWL_DONE;
        }
        /* A page skipped below may have ended a level. */
        if ((e = crawl_record_ripe(c))) {
            crawl_set_fatal(c, e);
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
        rules = crawl_rules_for(c, job->url);
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
enum err crawl_note_skipped(struct crawl *c, const char *url,
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
    if (!crawl_in_scope(c, l->url))
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

/* Queues the links of page `pg` (fetched as `url`) found at `depth`: all
 * of them, or those its rule chose (pg->chosen).  When the depth is
 * final, a link not followed gets its skipped row; when it may still
 * shrink (a held page), only the links within --depth are queued, to be
 * fetched early, and the rest waits for the final depth. */
enum err crawl_follow_links(struct crawl *c, const char *url, int depth,
                            const struct page *pg, bool final)
{
    const struct link *links = pg->chosen ? pg->follow : pg->links;
    size_t i, n = pg->chosen ? pg->nfollow : pg->nlinks;
    const char *why;
    bool added;
    enum err e;

    for (i = 0; i < n; i++) {
        char buf[URL_MAX + 1];
        struct link stripped = links[i], *l = &stripped;
        if (l->followable)
            l->url = (char *)crawl_strip(c, l->url, buf);
        if ((why = skip_reason(c, l, depth))) {
            if (!final)
                continue;
            e = crawl_note_skipped(c, l->url, why);
        } else if (depth < c->cfg->depth) {
            e = crawl_add_url(c, l->url, depth + 1, url, &added);
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

enum err crawl_set_fatal(struct crawl *c, enum err e)
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
enum err crawl_record_page(struct crawl *c, const struct frontier_job *job,
                           int depth, const struct response *r,
                           const struct page *pg, const char *parse_error)
{
    char why[HTTP_ERROR_MAX + 64];
    struct page_row row;
    enum err e;

    record_row(c->cfg, job, depth, spider_rule(c->rules, job->url), r, pg,
               parse_error, &row, why, sizeof(why));
    if (c->prev.len)
        recrawl_row(c, job, r, &row);
    if ((e = writer_put_page(c->writer, c->run_id, &row)))
        return e;
    c->pages++;
    c->errors += row.error != NULL;
    c->items += pg && pg->items ? (long)pg->nrecords : 0;
    if (pg && (e = crawl_follow_links(c, job->url, depth, pg, true)))
        return e;
    if ((e = writer_frontier_done(c->writer, c->run_id, job->url)))
        return e;
    frontier_done(c->frontier, job);
    return ERR_OK;
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
    if (c->cfg->auto_throttle) {
        long since, gap = frontier_throttle_ms(c->frontier, job, &since);
        frontier_set_throttle(
            c->frontier, job,
            policy_throttle_ms(gap, since, frontier_floor_ms(c->frontier, job),
                               r->status, r->fetch_ms, r->retry_after_s,
                               c->cfg->per_host));
    }
    if (should_retry(c, job, r)) {
        if ((e = frontier_retry(
                 c->frontier, job,
                 clock_ms() +
                     policy_retry_wait_ms(job->attempts, r->retry_after_s))))
            return crawl_set_fatal(c, e);
        return ERR_OK;
    }
    if (job->robots)
        e = crawl_read_robots(c, job, r);
    else if (job->sitemap)
        e = crawl_read_sitemap(c, job, r);
    else if (frontier_exact(c->frontier, job))
        e = crawl_record_page(c, job, frontier_depth(job), r, pg, parse_error);
    else
        e = crawl_hold_page(c, job, r, pg, parse_error);
    if (!e)
        e = crawl_record_ripe(c);
    return e ? crawl_set_fatal(c, e) : ERR_OK;
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
        return crawl_set_fatal(c, e);
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
        return crawl_set_fatal(c, e);
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
    return crawl_note_skipped(ctx, url, "max-pages");
}

/* --auto-throttle: the gaps it settled on for the busiest hosts. */
static void print_throttles(const struct crawl *c)
{
    struct frontier_busy b[3];
    size_t n = frontier_busiest(c->frontier, b, 3), i;

    if (!n)
        return;
    fprintf(stderr, "scrape: auto-throttle settled on");
    for (i = 0; i < n; i++)
        fprintf(stderr, "%s %s %ld ms (%lu fetches)", i ? "," : "", b[i].host,
                b[i].throttle_ms, b[i].fetched);
    fputc('\n', stderr);
}

enum err crawl_end(struct crawl *c, const char *status)
{
    /* Held pages are left only by a stop or a failure (they are fetched
     * again on --resume), or by --max-pages, which ends the run before
     * the levels do: their depth is then the shortest path fetched. */
    if (!c->fatal && !(c->stop && *c->stop) && crawl_record_held_now(c))
        crawl_set_fatal(c, ERR_DB);
    crawl_drop_held(c);
    /* What --max-pages left in the queue is skipped, not lost.  (Not after
     * a stop: --resume will fetch it.) */
    if (!c->fatal && !(c->stop && *c->stop) && c->cfg->max_pages &&
        c->started >= c->cfg->max_pages &&
        frontier_each_queued(c->frontier, skip_for_max_pages, c))
        crawl_set_fatal(c, ERR_DB);
    struct run_stats st = {.status = status};
    char why[sizeof(c->fatal_msg)];
    struct timespec now;
    struct rusage ru;
    enum err e, end_e;

    if (c->cfg->auto_throttle && !c->cfg->quiet)
        print_throttles(c);
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
        e = crawl_set_fatal(c, end_e);
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
