/*
 * frontier.h - the crawl queue: what to fetch next, and what was seen.
 *
 * Holds every canonical URL ever added (the dedup set, so no URL is
 * fetched twice in a run) and, per host:port, a FIFO of URLs still to
 * fetch with their depth.  frontier_next() hands out URLs round-robin
 * over hosts, never letting one host have more than `per_host` URLs out
 * at once; frontier_release() gives the slot back.  That keeps politeness
 * in the application: with CURLMOPT_MAX_HOST_CONNECTIONS libcurl queues
 * the extra transfers itself, and their timeouts run while they wait.
 *
 * Depths are exact, hand-out is not held back by them.  A URL's depth is
 * the shortest path to it known so far, lowered when a shorter one is
 * added (frontier_add on a known URL, e.g. a sitemap's seed first found
 * as a link).  The level is the smallest depth with a URL not done
 * (frontier_done(): fetched and its links added); depths up to level + 1
 * are exact (only depth 0 while seeds may still arrive: sitemaps).  URLs
 * whose depth is exact always go out; with the lookahead on, deeper
 * ones too, and a page fetched at a depth that is not exact yet is
 * held (frontier_hold) until it is, then comes back from frontier_ripe
 * with its final depth.  So a URL's recorded depth is its link distance
 * from the seeds and the set of pages within --depth does not depend on
 * timing, while one slow page does not idle every fetch slot until its
 * level is done.  Each host's queue is sorted by depth.
 *
 * A shared frontier (frontier_set_shared: a run many nodes crawl through
 * PostgreSQL, frontier_pg.h) keeps the same calls for the engines, but
 * what is fetched here comes from the shared frontier's claims
 * (frontier_add_claimed), each with its final depth, and frontier_add
 * only remembers a URL so it is passed on (journaled) once, or again
 * when found shallower.
 *
 * Not thread-safe: the threads engine locks around it.
 */
#ifndef SCRAPE_FRONTIER_H
#define SCRAPE_FRONTIER_H

#include <stdbool.h>
#include <stddef.h>

#include "scrape/err.h"

struct frontier;
struct frontier_host;
struct frontier_entry;

/* A URL handed out for fetching.  `url` is borrowed from the frontier and
 * valid until frontier_free(). */
struct frontier_job {
    const char *url;
    int depth;
    int attempts; /* fetches of this URL before this one (retries) */
    bool robots;  /* this is the host's robots.txt, not a page */
    bool sitemap; /* this is a sitemap (--sitemaps), not a page */
    int nest;     /* sitemap: indexes above it (0 for the first) */
    struct frontier_host *host;   /* opaque; give it back to frontier_done */
    struct frontier_entry *entry; /* opaque */
};

/* Creates an empty frontier allowing `per_host` (>= 1) URLs out per
 * host:port.  Returns NULL when out of memory.  Free with frontier_free. */
struct frontier *frontier_new(unsigned per_host);

/* Sets the least time between the starts of two fetches from one
 * host:port (--delay); 0, the default, for none. */
void frontier_set_delay(struct frontier *f, long delay_ms);

/* Sets the least time between the starts of two fetches from the
 * host:port of canonical `url` (robots.txt's Crawl-delay), on top of
 * --delay: the larger of the two holds.  ERR_NOMEM, ERR_BAD_URL. */
enum err frontier_set_host_delay(struct frontier *f, const char *url,
                                 long delay_ms);

/* --auto-throttle's view of `job`'s host: the gap --delay and its
 * Crawl-delay impose (frontier_floor_ms), the throttle's own gap now and
 * how long ago it last grew (by the clock frontier_next_at was last
 * given), and a new one for its next fetches (the longest of the three
 * holds). */
long frontier_floor_ms(const struct frontier *f,
                       const struct frontier_job *job);
long frontier_throttle_ms(const struct frontier *f,
                          const struct frontier_job *job, long *since_raise_ms);
void frontier_set_throttle(struct frontier *f, const struct frontier_job *job,
                           long gap_ms);

/* A host as frontier_busiest() reports it (name borrowed). */
struct frontier_busy {
    const char *host; /* host:port */
    unsigned long fetched;
    long throttle_ms;
};

/* The (at most) n hosts with the most fetches handed out, most first, in
 * out[]; returns how many. */
size_t frontier_busiest(const struct frontier *f, struct frontier_busy *out,
                        size_t n);

/* Frees everything, including the URL strings jobs borrowed.  NULL ok. */
void frontier_free(struct frontier *f);

/* Queues canonical URL `url` (copied) at `depth` unless it was added
 * before; a URL added before at a greater depth and not done yet is
 * lowered to `depth`.  *added tells whether either happened.  Errors:
 * ERR_NOMEM, ERR_BAD_URL (no host). */
enum err frontier_add(struct frontier *f, const char *url, int depth,
                      bool *added);

/* True when a URL of canonical `url`'s host:port was ever added. */
bool frontier_knows_host(const struct frontier *f, const char *url);

/* Queues `robots_url`, the robots.txt of a host not known yet, ahead of
 * everything else for that host: no other URL of the host is handed out
 * until the robots job is done (frontier_done: its rules are known).
 * Counts at `depth` for the levels.
 * ERR_NOMEM, ERR_BAD_URL. */
enum err frontier_add_robots(struct frontier *f, const char *robots_url,
                             int depth);

/* Queues sitemap `url` like frontier_add, marked as a sitemap job with
 * `nest` (0..255) indexes above it. */
enum err frontier_add_sitemap(struct frontier *f, const char *url, int depth,
                              int nest, bool *added);

/* Adds `url` to the dedup set only (a resumed crawl's finished URLs). */
enum err frontier_mark_seen(struct frontier *f, const char *url);

/* Makes `f` the local part of a shared frontier (see the top): call
 * before adding anything. */
void frontier_set_shared(struct frontier *f);

/* Shared frontier: queues `url`, claimed here at its final `depth`; with
 * `robots` it is its host's robots.txt, ahead of everything else for the
 * host.  A URL queued, out or done here already is left as it is.
 * ERR_NOMEM, ERR_BAD_URL. */
enum err frontier_add_claimed(struct frontier *f, const char *url, int depth,
                              bool robots);

/* True when `url` was ever added. */
bool frontier_seen(const struct frontier *f, const char *url);

/* Takes the next URL whose host has a free slot and whose delay has
 * passed at `now_ms` (a monotonic clock).  Returns false when none is
 * ready (queue empty, every queued host at its limit or waiting, or the
 * next URLs' depths are not final and the lookahead is off). */
bool frontier_next_at(struct frontier *f, long now_ms,
                      struct frontier_job *job);

/* frontier_next_at() with the current CLOCK_MONOTONIC time. */
bool frontier_next(struct frontier *f, struct frontier_job *job);

/* Queues `job`'s URL again (a retry) with one more attempt, and holds its
 * host until `not_before_ms`.  The job stays pending: do not call
 * frontier_done for it.  ERR_NOMEM. */
enum err frontier_retry(struct frontier *f, const struct frontier_job *job,
                        long not_before_ms);

/* Milliseconds from `now_ms` until a waiting host may fetch again, or -1
 * when no host is waiting. */
long frontier_wait_ms(const struct frontier *f, long now_ms);

/* Returns the host slot taken by `job`: its transfer no longer uses a
 * connection.  Call once per job. */
void frontier_release(struct frontier *f, const struct frontier_job *job);

/* Marks `job` finished: its outcome is recorded and its links were added.
 * Call once per job (or once more after frontier_ripe gave it back),
 * after frontier_release or before it. */
void frontier_done(struct frontier *f, const struct frontier_job *job);

/* The depth of `job`'s URL now: at most job->depth (a shorter path may
 * have been found while it was out). */
int frontier_depth(const struct frontier_job *job);

/* True when `job`'s depth is final (no shorter path can turn up): record
 * it.  Otherwise hold it. */
bool frontier_exact(struct frontier *f, const struct frontier_job *job);

/* Keeps fetched `job`, whose depth is not final, with the caller's
 * `data` until it is; it stays pending (the level cannot pass it). */
void frontier_hold(struct frontier *f, const struct frontier_job *job,
                   void *data);

/* Takes a held job whose depth is now final, with its data: record it
 * and call frontier_done.  False when none.  Check after frontier_done,
 * frontier_hold and frontier_add. */
bool frontier_ripe(struct frontier *f, struct frontier_job *job, void **data);

/* Takes one held or ripe job and returns its data (NULL when none),
 * whether or not its depth is final: the caller records it at the depth
 * it has (the run ends before its levels) and calls frontier_done, or
 * drops it (a stop: it stays pending, like a transfer cut short). */
void *frontier_take_held(struct frontier *f, struct frontier_job *job);

/* Jobs held now. */
size_t frontier_held(const struct frontier *f);

/* Says that seeds may be added while level 0 is open (--sitemaps): until
 * it is done, no depth but 0 is final. */
void frontier_expect_late_seeds(struct frontier *f);

/* Lets URLs whose depth is not final go out (on) or not (off, the
 * default).
 * The caller turns it off while held pages take too much memory, and for
 * --max-pages, where a page fetched early would take the place of a
 * shallower one. */
void frontier_set_lookahead(struct frontier *f, bool on);

/* Calls `fn` for every queued URL (not robots.txt jobs) until it returns
 * an error, which is returned. */
enum err frontier_each_queued(const struct frontier *f,
                              enum err (*fn)(void *ctx, const char *url),
                              void *ctx);

/* URLs queued and not yet handed out. */
size_t frontier_queued(const struct frontier *f);

/* URLs ever added (the size of the dedup set). */
size_t frontier_seen_count(const struct frontier *f);

#endif
