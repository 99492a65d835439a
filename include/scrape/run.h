/*
 * run.h - one crawl, start to end, with one engine into one store.
 *
 * The life cycle every crawl needs in one place: crawl_new, then
 * crawl_begin and crawl_seed (a new run; a --recrawl loads the run it
 * recrawls first and seeds from its URLs), or crawl_resume / crawl_join
 * (--resume, --join); then the engine's run, crawl_end and crawl_free.
 * Each process runs one crawl (--compare spawns one process per
 * engine, compare.h).
 */
#ifndef SCRAPE_RUN_H
#define SCRAPE_RUN_H

#include <signal.h>
#include <stdint.h>

#include "scrape/config.h"
#include "scrape/engine.h"
#include "scrape/err.h"
#include "scrape/seeds.h"
#include "scrape/store.h"

struct run_result {
    int64_t run_id;
    struct run_stats stats; /* stats.status is static */
    char why[600];          /* the fatal error's detail, or "" */
};

/* Crawls `seeds` with `engine` (and `pool` when it needs workers) into
 * `store`.  `stop` is the signal flag.  Returns ERR_OK (the crawl ran,
 * maybe interrupted: see out->stats.status) or the fatal error with its
 * detail in out->why. */
enum err run_crawl(const struct config *cfg, const struct seeds *seeds,
                   struct store *store, const struct engine_ops *engine,
                   struct workers *pool, const volatile sig_atomic_t *stop,
                   struct run_result *out);

/* Continues unfinished run `run_id` (--resume) with `engine`, from the
 * frontier journal in `store`; same results as run_crawl.  With
 * cfg->join, joins shared run `run_id` instead (crawl_join). */
enum err run_resume(const struct config *cfg, int64_t run_id,
                    struct store *store, const struct engine_ops *engine,
                    struct workers *pool, const volatile sig_atomic_t *stop,
                    struct run_result *out);

#endif
