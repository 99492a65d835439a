/*
 * frontier.h - the crawl queue: what to fetch next, and what was seen.
 *
 * Holds every canonical URL ever added (the dedup set, so no URL is
 * fetched twice in a run) and, per host:port, a FIFO of URLs still to
 * fetch with their depth.  frontier_next() hands out URLs round-robin
 * over hosts, never letting one host have more than `per_host` URLs out
 * at once; frontier_release() gives the slot back.  That keeps politeness
 * in the application, where libcurl's own per-host queueing would let
 * waiting transfers time out (LIBRARY-NOTES: CURLMOPT_MAX_HOST_CONNECTIONS).
 *
 * Hand-out is breadth-first by level: depth d+1 URLs wait until every
 * depth d URL is done (frontier_done(): fetched and its links added), so
 * a URL's depth is always its link distance from the seeds and the set
 * of pages within --depth does not depend on timing.  Seeds may arrive
 * while level 0 is still open (a sitemap's URLs): each host's queue is
 * kept sorted by depth, and a URL first queued deeper is moved up
 * (frontier_promote) as long as it has not been handed out.
 *
 * This is the in-memory backend; a shared (PostgreSQL) frontier would
 * implement the same calls.  Not thread-safe: the threads engine locks
 * around it.
 */
#ifndef SCRAPE_FRONTIER_H
#define SCRAPE_FRONTIER_H

#include <stdbool.h>
#include <stddef.h>

#include "scrape/err.h"

struct frontier;
struct frontier_host;

/* A URL handed out for fetching.  `url` is borrowed from the frontier and
 * valid until frontier_free(). */
struct frontier_job {
    const char *url;
    int depth;
    int attempts; /* fetches of this URL before this one (retries) */
    bool robots;  /* this is the host's robots.txt, not a page */
    bool sitemap; /* this is a sitemap (--sitemaps), not a page */
    int nest;     /* sitemap: indexes above it (0 for the first) */
    struct frontier_host *host; /* opaque; give it back to frontier_done */
};

/* Creates an empty frontier allowing `per_host` (>= 1) URLs out per
 * host:port.  Returns NULL when out of memory.  Free with frontier_free. */
struct frontier *frontier_new(unsigned per_host);

/* Sets the least time between the starts of two fetches from one
 * host:port (--delay); 0, the default, for none. */
void frontier_set_delay(struct frontier *f, long delay_ms);

/* Frees everything, including the URL strings jobs borrowed.  NULL ok. */
void frontier_free(struct frontier *f);

/* Queues canonical URL `url` (copied) at `depth` unless it was added
 * before.  *added tells which.  Errors: ERR_NOMEM, ERR_BAD_URL (no host). */
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

/* When page `url` is queued, not handed out yet, at a depth greater than
 * `depth`, queues it at `depth` instead and sets *promoted (a sitemap's
 * seed first found as a link).  ERR_NOMEM. */
enum err frontier_promote(struct frontier *f, const char *url, int depth,
                          bool *promoted);

/* Queues sitemap `url` like frontier_add, marked as a sitemap job with
 * `nest` (0..255) indexes above it. */
enum err frontier_add_sitemap(struct frontier *f, const char *url, int depth,
                              int nest, bool *added);

/* Adds `url` to the dedup set only (a resumed crawl's finished URLs). */
enum err frontier_mark_seen(struct frontier *f, const char *url);

/* True when `url` was ever added. */
bool frontier_seen(const struct frontier *f, const char *url);

/* Takes the next URL whose host has a free slot and whose delay has
 * passed at `now_ms` (a monotonic clock).  Returns false when none is
 * ready (queue empty, every queued host at its limit or waiting, or the
 * current level still has URLs out). */
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
 * Call once per job, after frontier_release or before it. */
void frontier_done(struct frontier *f, const struct frontier_job *job);

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
