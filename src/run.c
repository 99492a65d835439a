/*
 * run.c - one crawl's life cycle (see run.h).
 */
#include "scrape/run.h"

#include <stdio.h>
#include <string.h>

#include "scrape/crawl.h"
#include "scrape/store.h"

/* Runs the engine on a started crawl, ends and frees it. */
static enum err finish(struct crawl *c, const struct config *cfg,
                       const struct engine_ops *engine, struct workers *pool,
                       const volatile sig_atomic_t *stop,
                       struct run_result *out)
{
    enum err e = engine->run(c, cfg, pool), end_e;

    end_e = crawl_end(c, e ? "failed" : stop && *stop ? "interrupted" : "done");
    if (!e)
        e = end_e;
    if (e)
        snprintf(out->why, sizeof(out->why), "crawl failed: %s%s%s", err_str(e),
                 *crawl_fatal_msg(c) ? ": " : "", crawl_fatal_msg(c));
    out->run_id = crawl_run_id(c);
    crawl_stats(c, &out->stats);
    crawl_free(c);
    return e;
}

/* Reports a crawl that could not start, and frees it. */
static enum err not_started(struct crawl *c, enum err e, struct run_result *out)
{
    snprintf(out->why, sizeof(out->why), "cannot start the crawl: %s%s%s",
             err_str(e), c && *crawl_fatal_msg(c) ? ": " : "",
             c ? crawl_fatal_msg(c) : "");
    crawl_free(c);
    return e;
}

enum err run_crawl(const struct config *cfg, const struct seeds *seeds,
                   struct store *store, const struct engine_ops *engine,
                   struct workers *pool, const volatile sig_atomic_t *stop,
                   struct run_result *out)
{
    struct run_info info = {
        .mode = engine->name,
        .workers = (int)engine->workers(cfg),
        .concurrency = (int)cfg->concurrency,
        .depth = (int)cfg->depth,
        .seeds = cfg->seeds_desc,
        .args = cfg->args_json,
        .spider = &cfg->spider,
        .per_host = cfg->per_host,
        .delay_ms = cfg->delay_ms,
        .max_pages = cfg->max_pages,
        .lease_s = cfg->lease_s,
        .ignore_robots = cfg->ignore_robots,
        .compare_id = cfg->compare_id,
        .insecure = cfg->insecure,
    };
    struct crawl *c = NULL;
    char recrawl[64];
    enum err e;

    memset(out, 0, sizeof(*out));
    if (cfg->recrawl) {
        snprintf(recrawl, sizeof(recrawl), "recrawl of run %ld", cfg->recrawl);
        info.seeds = recrawl;
    }
    if ((e = crawl_new(cfg, store, stop, &c)) ||
        (cfg->recrawl && (e = crawl_recrawl_load(c, cfg->recrawl))) ||
        (e = crawl_begin(c, &info)) ||
        (e = cfg->recrawl ? crawl_recrawl_seed(c) : crawl_seed(c, seeds)))
        return not_started(c, e, out);
    /* A shared run: the id other nodes join with (--join N). */
    if (store_is_shared(cfg->db_path)) {
        printf("%lld\n", (long long)crawl_run_id(c));
        fflush(stdout);
    }
    return finish(c, cfg, engine, pool, stop, out);
}

enum err run_resume(const struct config *cfg, int64_t run_id,
                    struct store *store, const struct engine_ops *engine,
                    struct workers *pool, const volatile sig_atomic_t *stop,
                    struct run_result *out)
{
    struct crawl *c = NULL;
    enum err e;

    memset(out, 0, sizeof(*out));
    if ((e = crawl_new(cfg, store, stop, &c)) ||
        (e = cfg->join ? crawl_join(c, run_id, engine->name)
                       : crawl_resume(c, run_id, engine->name)))
        return not_started(c, e, out);
    return finish(c, cfg, engine, pool, stop, out);
}
