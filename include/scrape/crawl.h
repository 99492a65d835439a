/*
 * crawl.h - one run of a crawl: the part every engine shares.
 *
 * A crawl owns the frontier, the scope rules (depth, hosts, --max-pages)
 * and the run's counters, and writes through a borrowed store.  Engines
 * only move bytes: they ask crawl_next() for a URL, fetch it however they
 * like, and hand the outcome to crawl_complete() (parse here) or, when a
 * worker already parsed it, crawl_record().  So the frontier, parser,
 * store and URL code never know which engine drives them.
 *
 * Life cycle:
 *   crawl_new -> crawl_begin -> crawl_seed -> { next / complete / tick }*
 *             -> crawl_end -> crawl_free
 *   (crawl_resume replaces crawl_begin and crawl_seed for --resume, and
 *   crawl_join for a node joining a shared run; a --recrawl calls
 *   crawl_recrawl_load before crawl_begin and crawl_recrawl_seed instead
 *   of crawl_seed: run.c has the order)
 *
 * Not thread-safe: the threads engine serialises calls with its lock.
 */
#ifndef SCRAPE_CRAWL_H
#define SCRAPE_CRAWL_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scrape/config.h"
#include "scrape/err.h"
#include "scrape/frontier.h"
#include "scrape/http.h"
#include "scrape/parse.h"
#include "scrape/seeds.h"
#include "scrape/store.h"

struct crawl;

enum crawl_next {
    CRAWL_JOB,  /* *job is filled: fetch it */
    CRAWL_WAIT, /* nothing ready now; more may come when fetches finish */
    CRAWL_DONE, /* nothing more will be handed out (queue empty, limit
                   reached, stop requested or a fatal error) */
};

/* Creates a crawl for `cfg` writing to `store` (both borrowed, must
 * outlive the crawl).  `stop` is the signal handler's flag (may be NULL).
 * Returns ERR_NOMEM or ERR_OK. */
enum err crawl_new(const struct config *cfg, struct store *store,
                   const volatile sig_atomic_t *stop, struct crawl **out);

/* Frees the crawl.  NULL ok. */
void crawl_free(struct crawl *c);

/* Queues the seeds at depth 0 and records their hosts as the scope. */
enum err crawl_seed(struct crawl *c, const struct seeds *s);

/* Starts the run: a runs row, the clocks.  `info` borrowed. */
enum err crawl_begin(struct crawl *c, const struct run_info *info);

/* Instead of crawl_begin and crawl_seed: continues run `run_id` from its
 * journal in the store (pages already recorded stay; URLs queued or in
 * flight when it stopped are fetched now).  `mode` is static. */
enum err crawl_resume(struct crawl *c, int64_t run_id, const char *mode);

/* Joins shared run `run_id` (a --db postgresql:// run another node
 * began): registers this node, takes the seeds' hosts as the scope and
 * starts claiming work.  Replaces crawl_begin and crawl_seed. */
enum err crawl_join(struct crawl *c, int64_t run_id, const char *mode);

/* --recrawl N: loads run N's pages (URL, depth, validators, body hash)
 * before crawl_begin, then, after it, queues every one of them at its
 * depth (instead of crawl_seed). */
enum err crawl_recrawl_load(struct crawl *c, int64_t of);
enum err crawl_recrawl_seed(struct crawl *c);

/* True when canonical `url`'s host is one of the seeds' (whatever
 * --any-host says): where -u's credentials may go. */
bool crawl_seed_host(const struct crawl *c, const char *url);

/* The validators to send for `url` (If-None-Match, If-Modified-Since):
 * what the recrawled run got, or NULL.  Safe from any engine thread. */
void crawl_validators(const struct crawl *c, const char *url, const char **etag,
                      const char **last_modified);

/* Hands out the next URL to fetch (see enum crawl_next). */
enum crawl_next crawl_next(struct crawl *c, struct frontier_job *job);

/* Gives back the per-host slot `job` held: call it once per job, as soon
 * as its transfer no longer occupies a connection (before or after the
 * outcome is recorded). */
void crawl_release(struct crawl *c, const struct frontier_job *job);

/* True when `r`, fetched for `job`, is a page (not a robots.txt or a
 * sitemap) and a successful (2xx) HTML response: one to parse, unless
 * `c` (may be NULL) recrawls and finds it unchanged (a 304, or the same
 * status with a body that hashes as before: its record is carried
 * forward).  A recrawl's hash of the body is left in r->body_hash.  Safe
 * from any engine thread. */
bool crawl_wants_parse(const struct crawl *c, const struct frontier_job *job,
                       struct response *r);

struct workers_usage;

/* What `n` parse worker processes did in this run (`--procs`): `before`
 * and `after` are workers_usage() at its start and end.  Their CPU time
 * and peak memory count in the run's figures; their peak memory (the
 * largest and all together) and how their jobs travelled are printed
 * with the run's summary. */
void crawl_note_workers(struct crawl *c, long n,
                        const struct workers_usage *before,
                        const struct workers_usage *after);

/* Records the outcome of `job`: parses the body with `p` when it is a
 * successful HTML response, stores one pages row and queues in-scope
 * links (not filtered out by --include/--exclude).  A page fetched before
 * its depth is final (frontier_exact) is held instead, its links within
 * --depth queued at once, and stored with its final depth when the level
 * reaches it (or dropped, to be fetched again by --resume, at a stop).  A
 * robots.txt job stores its host's rules (and, with --sitemaps, queues the
 * host's sitemaps); a sitemap job queues what the sitemap lists and stores one
 * sitemaps row; neither is a page.  Returns a fatal error (the store failed);
 * the engine must then stop. */
enum err crawl_complete(struct crawl *c, const struct frontier_job *job,
                        struct response *r, struct parser *p);

/* Like crawl_complete for a page parsed elsewhere (a worker process):
 * `pg` may be NULL (not HTML), `parse_error` non-NULL when parsing
 * failed. */
enum err crawl_record(struct crawl *c, const struct frontier_job *job,
                      const struct response *r, const struct page *pg,
                      const char *parse_error);

/* Ends `job` without a response because a stop was requested (`why` is
 * kept for the record of a run that was not stopped): no pages row, and
 * the URL stays queued in the journal for --resume. */
enum err crawl_abandon(struct crawl *c, const struct frontier_job *job,
                       const char *why);

/* Periodic housekeeping: notices a store failure on the writer thread
 * (returned: the engine must stop) and redraws the progress line.  Call
 * it at least a few times per second. */
enum err crawl_tick(struct crawl *c, size_t in_flight);

/* Ends the run: final figures into the runs row, summary on stderr
 * unless quiet.  `status` is "done", "interrupted" or "failed". */
enum err crawl_end(struct crawl *c, const char *status);

/* The figures crawl_end() recorded (zero before it).  `status` points at
 * a static string. */
void crawl_stats(const struct crawl *c, struct run_stats *st);

/* Milliseconds until a host waiting out its --delay or a Retry-After may
 * fetch again, or -1 when none is waiting: how long an idle engine may
 * sleep before crawl_next can have a job. */
long crawl_wait_ms(const struct crawl *c);

/* The run's id in the store. */
int64_t crawl_run_id(const struct crawl *c);

/* The stop flag given to crawl_new (may be NULL); borrowed. */
const volatile sig_atomic_t *crawl_stop_flag(const struct crawl *c);

/* The last fatal error's detail, or "" (borrowed). */
const char *crawl_fatal_msg(const struct crawl *c);

#endif
