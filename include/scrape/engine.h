/*
 * engine.h - the concurrency models behind one interface.
 *
 * An engine drives transfers for a crawl: it takes URLs from crawl_next(),
 * fetches them its own way, and gives every outcome to crawl_complete()
 * (or crawl_record()).  It returns when crawl_next() says CRAWL_DONE and
 * nothing is in flight, or on a fatal error.  Engines keep all their state
 * in their own run() frame.  engine_multi.c defines engine_multi and
 * engine_procs, engine_threads.c engine_threads; engine.c finds them by
 * name.
 */
#ifndef SCRAPE_ENGINE_H
#define SCRAPE_ENGINE_H

#include <stdbool.h>

#include "scrape/config.h"
#include "scrape/crawl.h"
#include "scrape/err.h"
#include "scrape/http.h"

/* How long in-flight transfers may finish after a stop request before
 * they are abandoned (recorded as "interrupted"). */
#define ENGINE_STOP_GRACE_MS 2000

struct workers;

struct engine_ops {
    const char *name;
    /* True when the engine needs a worker pool (started by the caller,
     * see workers.h). */
    bool needs_workers;
    /* Runs the crawl to the end, with `pool` when needs_workers.  Returns
     * ERR_OK, or the fatal error (detail in crawl_fatal_msg()). */
    enum err (*run)(struct crawl *c, const struct config *cfg,
                    struct workers *pool);
    /* How many workers (threads, processes) it runs with `cfg`: the
     * runs.workers figure. */
    long (*workers)(const struct config *cfg);
    /* True when each worker does one blocking transfer at a time (its
     * workers are its concurrency); false when transfers run -c at a
     * time in an event loop. */
    bool blocking;
};

/* Returns the engine called `name`, or NULL. */
const struct engine_ops *engine_find(const char *name);

/* Fills the transfer options every engine uses from `cfg`, with `c`'s
 * stop flag; `o->share` is left NULL. */
void engine_http_opts(const struct config *cfg, const struct crawl *c,
                      struct http_opts *o);

/* Makes o->share the crawl's cookie store, with the cookies of --cookies
 * FILE in it, and logs in (--login-url: the session's cookies join
 * them).  ERR_NOMEM; ERR_INVALID when the login failed (the reason on
 * stderr): nothing is to be crawled. */
enum err engine_cookies_start(const struct config *cfg,
                              const struct http_opts *o);

/* Writes the store to --cookie-jar FILE, if given; a file that cannot be
 * written is one line on stderr (the crawl's records are stored). */
void engine_cookies_end(const struct config *cfg, CURLSH *share);

/* Points transfer `t` at `job`'s URL, asking (on a recrawl) only for a
 * changed page with the validators the recrawled run got.  ERR_NOMEM. */
enum err engine_prepare(const struct crawl *c, struct transfer *t,
                        const struct frontier_job *job);

#endif
