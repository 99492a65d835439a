/*
 * extract.h - scrape extract: parse a run's stored bodies again, with
 * the selectors given now, into a new run (mode "extract"), with no
 * network.
 *
 * Every pages row of the source run becomes a row of the new run: a
 * page with a stored body (--keep-bodies) is parsed from those bytes by
 * the same code a crawl uses (on the --procs worker pool), so its record is
 * what a live crawl with these options would have made of the same response; a
 * row whose transfer failed is copied with its error; a body that was not kept,
 * or is corrupt, is an error row that says so.  Links are recorded, not
 * followed.
 */
#ifndef SCRAPE_EXTRACT_H
#define SCRAPE_EXTRACT_H

#include <signal.h>
#include <stdint.h>

#include "scrape/config.h"
#include "scrape/err.h"
#include "scrape/run.h"
#include "scrape/store.h"
#include "scrape/workers.h"

/* Extracts run cfg->extract_run (0: the latest run that kept bodies) of
 * the SQLite file cfg->db_path into a new run of `store` (the same
 * file), parsing on `pool`.  `stop` ends it
 * early (status "interrupted").  ERR_INVALID with a reason in out->why
 * when the run is unknown or kept no bodies. */
enum err extract_run(const struct config *cfg, struct store *store,
                     struct workers *pool, const volatile sig_atomic_t *stop,
                     struct run_result *out);

#endif
