/*
 * crawl_int.h - the inside of a crawl, shared by the files that make it
 * up (private to src/): crawl.c (the life cycle, scope, the frontier's
 * hand-out, one row per fetch), crawl_site.c (robots.txt and sitemaps:
 * the per-host files read before and beside the pages) and crawl_held.c
 * (pages fetched before their depth was final, kept until it is).
 * Everyone else uses crawl.h.
 */
#ifndef SCRAPE_CRAWL_INT_H
#define SCRAPE_CRAWL_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <time.h>

#include "scrape/body.h"
#include "scrape/buf.h"
#include "scrape/crawl.h"
#include "scrape/frame.h"
#include "scrape/hmap.h"
#include "scrape/robots.h"
#include "scrape/url.h"

/* Sitemaps read and URLs taken from sitemaps, per run at most: a hostile
 * index of 50,000 sitemaps of 50,000 URLs each must not fill memory. */
#define CRAWL_MAX_SITEMAPS     1000
#define CRAWL_MAX_SITEMAP_URLS 1000000L

/* Pages held for their final depth (frontier_hold) are kept in memory up
 * to the first size, then in a temporary file up to the second; beyond
 * both, only URLs whose depth is final go out until some are recorded. */
#define CRAWL_HELD_MEM_BYTES  (8L * 1024 * 1024)
#define CRAWL_HELD_FILE_BYTES (4ULL * 1024 * 1024 * 1024)

/* The longest robots.txt Crawl-delay honoured; longer ones are capped
 * (with a warning). */
#define CRAWL_DELAY_MAX_MS 60000

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
    struct url_filter *rules;    /* the --rule patterns, NULL for none */
    struct url_filter *strip;    /* --strip-params, NULL for none */
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

/* What the run being recrawled knew of a URL (--recrawl). */
struct prev_page {
    int64_t id; /* its pages row */
    char *etag, *last_modified;
    char hash[BODY_HASH_LEN]; /* "" when it had no body */
    int depth;
    long status;
    char *referrer; /* the URL of its referrer then, or NULL */
};

/* crawl.c */

/* Queues canonical `url` at `depth` (after its host's robots.txt), found
 * on the page fetched as `from` (NULL: a seed); *added says whether it
 * was new. */
enum err crawl_add_url(struct crawl *c, const char *url, int depth,
                       const char *from, bool *added);

/* `url` without the query parameters --strip-params names: `buf` (room
 * for URL_MAX + 1 bytes) when there was one to drop, else `url`. */
const char *crawl_strip(struct crawl *c, const char *url,
                        char buf[URL_MAX + 1]);

/* True when canonical `url`'s host is one the crawl may fetch. */
bool crawl_in_scope(const struct crawl *c, const char *url);

/* Records once that `url` was not fetched on purpose, and why. */
enum err crawl_note_skipped(struct crawl *c, const char *url,
                            const char *reason);

/* Queues the links of page `pg`, fetched as `url`, found at `depth`
 * (`final`: its depth is). */
enum err crawl_follow_links(struct crawl *c, const char *url, int depth,
                            const struct page *pg, bool final);

/* Stores page `job`'s row at its final `depth` and queues its links. */
enum err crawl_record_page(struct crawl *c, const struct frontier_job *job,
                           int depth, const struct response *r,
                           const struct page *pg, const char *parse_error);

/* Marks the crawl failed with `e` (its detail kept); returns `e`. */
enum err crawl_set_fatal(struct crawl *c, enum err e);

/* crawl_site.c */

/* The first URL of a host brings its robots.txt in ahead of it. */
enum err crawl_ensure_robots(struct crawl *c, const char *url, int depth);

/* The robots.txt rules for canonical `url`'s host, or NULL. */
const struct robots *crawl_rules_for(const struct crawl *c, const char *url);

/* Makes a robots.txt answer the rules of its host; *slot (may be NULL)
 * is the host's entry. */
enum err crawl_install_rules(struct crawl *c, const char *robots_url,
                             long status, enum err err, const char *body,
                             size_t len, struct hmap_slot **slot);

/* Queues, once per seed host:port, its sitemaps: the Sitemap: lines of
 * `rules` (NULL: none read), else /sitemap.xml. */
enum err crawl_queue_sitemaps(struct crawl *c, const char *url,
                              const struct robots *rules);

/* Reads a fetched robots.txt or sitemap: neither is a page. */
enum err crawl_read_robots(struct crawl *c, const struct frontier_job *job,
                           const struct response *r);
enum err crawl_read_sitemap(struct crawl *c, const struct frontier_job *job,
                            const struct response *r);

/* crawl_held.c */

/* Keeps page `job` until its depth is final, its links queued now. */
enum err crawl_hold_page(struct crawl *c, const struct frontier_job *job,
                         const struct response *r, const struct page *pg,
                         const char *parse_error);

/* Records every held page whose depth became final. */
enum err crawl_record_ripe(struct crawl *c);

/* Records every held page at the depth it has now (the end of a run). */
enum err crawl_record_held_now(struct crawl *c);

/* Frees the pages still held, unrecorded (a stop or a failure). */
void crawl_drop_held(struct crawl *c);

/* Opens the frontier's lookahead while held pages have room. */
void crawl_steer_lookahead(struct crawl *c);

#endif
