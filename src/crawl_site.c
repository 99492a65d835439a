/*
 * crawl_site.c - the files a crawl reads per host, beside its pages:
 * robots.txt (fetched first, once per host, its rules installed before
 * any page of the host goes out) and, with --sitemaps, the sitemaps it
 * names (or /sitemap.xml), whose URLs enter as seeds.  Neither is a page:
 * no pages row, a sitemaps row for each sitemap.  See crawl_int.h.
 */
#include "crawl_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scrape/filter.h"
#include "scrape/frontier.h"
#include "scrape/policy.h"
#include "scrape/sitemap.h"
#include "scrape/url.h"
#include "scrape/writer.h"

/* The first URL of a host brings its robots.txt in ahead of it (unless
 * --ignore-robots). */
enum err crawl_ensure_robots(struct crawl *c, const char *url, int depth)
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

/* The robots.txt rules for canonical `url`'s host, or NULL (not read
 * yet, or --ignore-robots). */
const struct robots *crawl_rules_for(const struct crawl *c, const char *url)
{
    char key[URL_MAX];
    struct hmap_slot *slot;

    if (!url_hostport_key(url, key, sizeof(key)))
        return NULL;
    slot = hmap_get(&c->robots, key);
    return slot ? slot->value : NULL;
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
    if ((e = crawl_ensure_robots(c, url, 0)) ||
        (e = frontier_add_sitemap(c->frontier, url, 0, nest, &added)))
        return e;
    c->sitemaps += added;
    return ERR_OK;
}

/* Queues, once per seed host:port, its sitemaps: the Sitemap: lines of
 * `rules` (resolved against `url`, a URL on that host), else
 * /sitemap.xml.  Hosts met later through links are not asked: their URLs
 * would enter as seeds after deeper levels started. */
enum err crawl_queue_sitemaps(struct crawl *c, const char *url,
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
        } else if (!crawl_in_scope(c, canon)) {
            e = crawl_note_skipped(c, canon, "another host");
        } else if (frontier_seen(c->frontier, canon)) {
            /* A seed even when a page linked to it first (level 0 is
             * still open: it is not done), whatever the filters say. */
            e = crawl_add_url(c, canon, 0, NULL, &added);
        } else if (!url_filter_allows(c->filter, canon)) {
            e = crawl_note_skipped(c, canon, "filtered");
        } else {
            e = crawl_add_url(c, canon, 0, NULL, &added);
        }
        free(canon);
        canon = NULL;
    }
    return e;
}

/* Reads a fetched sitemap: queues what it lists and records one sitemaps
 * row (with the reason when it could not be read whole).  A sitemap is
 * not a page: no pages row. */
enum err crawl_read_sitemap(struct crawl *c, const struct frontier_job *job,
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
    return e ? crawl_set_fatal(c, e) : ERR_OK;
}

/* Makes the rules of a robots.txt answer (policy_robots says what an
 * answer that is not a file means) the rules of its host; *slot (may be
 * NULL) is the host's entry.  A host that has its rules keeps them. */
/* A host's robots.txt Crawl-delay, capped at CRAWL_DELAY_MAX_MS (with a
 * warning: a day between two pages is a request to stay away, which
 * robots.txt says better with Disallow), spaces that host's fetches on
 * top of --delay. */
static enum err apply_crawl_delay(struct crawl *c, const char *robots_url,
                                  const char *host, const struct robots *r)
{
    long ms = robots_crawl_delay_ms(r);

    if (ms <= 0)
        return ERR_OK;
    if (ms > CRAWL_DELAY_MAX_MS) {
        fprintf(stderr,
                "scrape: warning: %s asks for Crawl-delay: %.3g s; waiting"
                " %d s between its pages\n",
                host, ms / 1000.0, CRAWL_DELAY_MAX_MS / 1000);
        ms = CRAWL_DELAY_MAX_MS;
    }
    return frontier_set_host_delay(c->frontier, robots_url, ms);
}

enum err crawl_install_rules(struct crawl *c, const char *robots_url,
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
        e = apply_crawl_delay(c, robots_url, key, rules);
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
enum err crawl_read_robots(struct crawl *c, const struct frontier_job *job,
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
    enum err e = crawl_install_rules(c, job->url, r->status, r->err, r->body,
                                     r->len, &slot);

    if (!e && c->shared)
        e = writer_put_robots(c->writer, c->run_id, &row);
    if (!e && c->cfg->sitemaps && slot && !robots_denies_all(slot->value))
        e = crawl_queue_sitemaps(c, job->url, slot->value);
    /* After the sitemaps are queued: level 0 holds until they are read. */
    frontier_done(c->frontier, job);
    return e ? crawl_set_fatal(c, e) : ERR_OK;
}
