/*
 * compare.c - run the three engines on the same seeds, tabulate, check.
 *
 * Order: --threads, --multi, --procs.  The worker pool was started with
 * the run (its fork server spawned); it idles during the first two.  Each
 * run's CPU and peak RSS are its own: crawl.c resets the process's peak
 * RSS at the start of each run, and --procs adds its workers' figures.
 */
#include "scrape/compare.h"

#include <string.h>

#include "scrape/engine.h"
#include "scrape/run.h"

#define COMPARE_ENGINES 3

static const char *const order[COMPARE_ENGINES] = {"threads", "multi", "procs"};

static double rate(const struct run_stats *st)
{
    return st->wall_ms > 0 ? st->pages * 1000.0 / st->wall_ms : 0.0;
}

static void print_table(FILE *out, const struct config *cfg,
                        const struct run_result *res, size_t n)
{
    double slowest = 0;
    size_t i;

    for (i = 0; i < n; i++)
        if (slowest == 0 || rate(&res[i].stats) < slowest)
            slowest = rate(&res[i].stats);
    fprintf(out, "%-8s %8s %7s %6s %8s %8s %9s %9s %8s %7s\n", "mode",
            "workers", "pages", "errors", "wall_s", "pages/s", "cpu_user",
            "cpu_sys", "peak_MB", "speed");
    for (i = 0; i < n; i++) {
        const struct run_stats *st = &res[i].stats;
        const struct engine_ops *engine = engine_find(order[i]);
        long workers = engine->workers(cfg);
        char wc[32];

        if (engine->blocking)
            snprintf(wc, sizeof(wc), "%ld", workers);
        else
            snprintf(wc, sizeof(wc), "%ld/c%ld", workers, cfg->concurrency);
        fprintf(
            out, "%-8s %8s %7ld %6ld %8.2f %8.0f %9.2f %9.2f %8.1f %6.2fx\n",
            order[i], wc, st->pages, st->errors, st->wall_ms / 1000.0, rate(st),
            st->cpu_user_ms / 1000.0, st->cpu_sys_ms / 1000.0,
            st->peak_rss_kb / 1024.0, slowest > 0 ? rate(st) / slowest : 0.0);
    }
}

/* Checks every run against the first; prints the verdict. */
static enum err check(FILE *out, struct store *store,
                      const struct run_result *res, size_t n)
{
    char example[600];
    long differ, bad = 0, items = res[0].stats.items;
    size_t i;
    enum err e;

    for (i = 1; i < n; i++) {
        if ((e = store_diff_runs(store, res[0].run_id, res[i].run_id, &differ,
                                 example, sizeof(example))))
            return e;
        if (differ) {
            fprintf(out,
                    "check: MISMATCH %s (run %lld) vs %s (run %lld): %ld "
                    "records differ, e.g. %s\n",
                    order[0], (long long)res[0].run_id, order[i],
                    (long long)res[i].run_id, differ, example);
            bad++;
        } else if (res[i].stats.items != items) {
            fprintf(out,
                    "check: MISMATCH %s (run %lld) vs %s (run %lld): %ld vs"
                    " %ld items\n",
                    order[0], (long long)res[0].run_id, order[i],
                    (long long)res[i].run_id, items, res[i].stats.items);
            bad++;
        }
    }
    if (!bad && !items)
        fprintf(out,
                "check: all %zu runs fetched the same %ld URLs and extracted "
                "the same records\n",
                n, res[0].stats.pages);
    else if (!bad)
        fprintf(out,
                "check: all %zu runs fetched the same %ld URLs and extracted "
                "the same records (%ld items each)\n",
                n, res[0].stats.pages, items);
    return ERR_OK;
}

enum err compare_run(const struct config *cfg, const struct seeds *seeds,
                     struct store *store, struct workers *pool,
                     const volatile sig_atomic_t *stop, FILE *out, char *why,
                     size_t n)
{
    struct run_result res[COMPARE_ENGINES];
    size_t i, done = 0;
    enum err e = ERR_OK;

    why[0] = '\0';
    for (i = 0; i < COMPARE_ENGINES && !(stop && *stop); i++) {
        e = run_crawl(cfg, seeds, store, engine_find(order[i]), pool, stop,
                      &res[i]);
        if (e) {
            snprintf(why, n, "%s run: %s", order[i], res[i].why);
            return e;
        }
        done++;
    }
    fprintf(out, "\ncompare: %s, depth %ld, concurrency %ld, per-host %ld\n",
            cfg->seeds_desc, cfg->depth, cfg->concurrency, cfg->per_host);
    print_table(out, cfg, res, done);
    if (done == COMPARE_ENGINES && (e = check(out, store, res, done)))
        snprintf(why, n, "cannot compare the runs: %s", err_str(e));
    return e;
}
