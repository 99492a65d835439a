/*
 * compare.h - --compare: the three concurrency models on the same seeds.
 *
 * Each engine's run is a process of its own: scrape's own executable,
 * spawned with the comparison's command line and CONFIG_COMPARE_RUN_ARG
 * (which names the engine and the comparison), so every figure is what
 * that engine costs alone.  Run in one process one after another, a
 * later engine inherited what an earlier one left resident (32 threads'
 * malloc arenas made --multi's peak look twice its size).  With --repeat
 * N each engine runs N times, the order rotated each round; the table
 * gives the median of each figure and, below it, the spread.  Then it
 * checks that every run fetched the same URLs and extracted the same
 * records.  The runs rows carry the comparison's id (runs.compare_id).
 */
#ifndef SCRAPE_COMPARE_H
#define SCRAPE_COMPARE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "scrape/config.h"
#include "scrape/err.h"
#include "scrape/seeds.h"

#define COMPARE_ENGINES 3

/* The engine a round runs at position `k` (0..2): round r starts at the
 * r-th of threads, multi, procs, so over three rounds each engine runs
 * first, second and last once (earlier runs warm the site's caches). */
const char *compare_engine(long round, int k);

/* Runs the comparison `cfg` describes; argv[1..argc-1] is its command
 * line as given, passed on to each run.  `piped` holds the seeds read
 * from stdin ('-'), written to each run's stdin (NULL: none).  `stop` is
 * the signal flag: a signal is passed on to the running engine, and no
 * further one starts.  The table goes to `out`.  Returns ERR_OK (also
 * when interrupted, or when the check found a mismatch and printed it)
 * or the first fatal error, its detail in `why`. */
enum err compare_run(const struct config *cfg, int argc, char *const *argv,
                     const struct seeds *piped,
                     const volatile sig_atomic_t *stop, FILE *out, char *why,
                     size_t n);

/* In a run a comparison spawned (cfg->compare_id set): ends with the
 * comparing process (SIGTERM when it dies, so the run ends as
 * "interrupted" and can be resumed).  False when that process is gone
 * already. */
bool compare_child_start(const struct config *cfg);

/* The median of v[0..n-1] (n > 0; v is sorted in place): the middle
 * value, or the mean of the two middle ones. */
double compare_median(double *v, size_t n);

#endif
