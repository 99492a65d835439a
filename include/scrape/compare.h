/*
 * compare.h - --compare: the three concurrency models on the same seeds.
 *
 * Runs --threads, --multi and --procs one after another, each as its own
 * run in the database, prints a table of what each cost (wall time,
 * pages/s, CPU, peak RSS, speed relative to the slowest) and checks that
 * all three fetched the same URLs and extracted the same records.
 */
#ifndef SCRAPE_COMPARE_H
#define SCRAPE_COMPARE_H

#include <signal.h>
#include <stdio.h>

#include "scrape/cli.h"
#include "scrape/err.h"
#include "scrape/seeds.h"
#include "scrape/store.h"

struct workers;

/* Runs the comparison; the table goes to `out`.  `pool` is the started
 * worker pool for --procs.  Returns ERR_OK (also when a mismatch was
 * found and printed) or the first fatal error with its detail in `why`. */
enum err compare_run(const struct config *cfg, const struct seeds *seeds,
                     struct store *store, struct workers *pool,
                     const volatile sig_atomic_t *stop, FILE *out, char *why,
                     size_t n);

#endif
