/*
 * frontier_pg.h - the shared frontier's claims: a thread of its own that
 * takes work for this node from a run's PostgreSQL frontier.
 *
 * The crawl's frontier (frontier.h, set shared) stays what the engines
 * use; this thread fills it.  It claims URLs in batches, in one
 * transaction per claim, serialised across nodes by the run's
 * cluster_runs row:
 *   - only URLs whose depth is final: depth <= level + 1, the level being
 *     the smallest depth not done in the whole run (so depths and the
 *     page set are those of a single-node run);
 *   - per host, no more than --per-host URLs claimed and not committed
 *     across all nodes (its frontier rows in state 1), each live node
 *     holding at most its share of them (nodes.seen_at), and with --delay
 *     one claim per host per delay (hosts.next_at);
 *   - a host's URLs only once its robots.txt is known; the robots.txt
 *     itself is claimed by one node, and its answer (hosts.robots_*) is
 *     handed to every node that claims one of the host's URLs;
 *   - with --max-pages, no more than that many URLs in all.
 * Claimed rows (UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP
 * LOCKED)) carry this node's id and a lease, renewed every third of it
 * while the node lives; a lease that ran out (a node that died) is
 * claimed again by anyone.  The run is finished when nothing is queued
 * or claimed (or --max-pages are claimed and none is out).
 *
 * The database is never waited for on the engine's thread: the crawl
 * says how much room it has (frontier_pg_want) and takes what arrived
 * (frontier_pg_take); both only lock a mutex.
 */
#ifndef SCRAPE_FRONTIER_PG_H
#define SCRAPE_FRONTIER_PG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scrape/err.h"

enum claim_kind {
    CLAIM_PAGE,   /* fetch url at depth */
    CLAIM_ROBOTS, /* fetch url, the robots.txt of its host */
    CLAIM_RULES,  /* the robots.txt answer for url's host: status, err,
                     body (from another node, or an earlier session) */
};

struct frontier_claim {
    enum claim_kind kind;
    char *url; /* owned */
    int depth;
    long status;
    int err;
    char *body; /* owned (CLAIM_RULES), may be NULL */
    size_t len;
};

struct frontier_pg;

/* Starts the claims thread on run `run_id` of database `uri` for node
 * `node`.  ERR_DB (reason in `why`) when it cannot connect or the run has
 * no cluster_runs row. */
enum err frontier_pg_start(const char *uri, int64_t run_id, int64_t node,
                           struct frontier_pg **out, char *why, size_t n);

/* Stops and frees it.  NULL ok. */
void frontier_pg_stop(struct frontier_pg *fp);

/* The crawl has room for `n` more URLs. */
void frontier_pg_want(struct frontier_pg *fp, size_t n);

/* Takes the next claim that arrived; false when none.  Free it with
 * frontier_claim_release. */
bool frontier_pg_take(struct frontier_pg *fp, struct frontier_claim *c);

void frontier_claim_release(struct frontier_claim *c);

/* True once the run has nothing queued or claimed (and everything
 * claimed was taken). */
bool frontier_pg_finished(struct frontier_pg *fp);

/* The thread's sticky error (ERR_OK when none), its detail in `why`. */
enum err frontier_pg_status(struct frontier_pg *fp, char *why, size_t n);

#endif
