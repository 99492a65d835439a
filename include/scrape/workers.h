/*
 * workers.h - a pool of forked parse worker processes (--procs).
 *
 * The parent hands a worker one fetched response at a time and gets the
 * record back, through a shared memory area both map (a job or record
 * too large for it goes over the worker's socketpair instead).  Workers
 * do the CPU-heavy part: libxml2 parsing, text extraction, SimHash and
 * the body's SHA-256, link resolution, --field XPath.  They never touch
 * libcurl or SQLite.
 *
 * A worker that dies (crash, kill -9) or stays busy longer than
 * WORKERS_JOB_TIMEOUT_S is noticed in workers_collect(): its job comes back
 * with an error ("parse worker killed by signal 9") and a new worker takes
 * its place.  Every submitted job comes back exactly once.
 *
 * Workers are forked by a fork server, scrape's own executable spawned
 * (never forked) in its server mode: the caller may have threads.  The
 * server dies with the caller and workers with the server
 * (PR_SET_PDEATHSIG: with the caller's thread that started the pool, so
 * that thread must outlive the pool).  A server that dies is replaced as
 * a worker is; the jobs its workers held come back with an error.
 * Linux only.  Not thread-safe: one owner.
 */
#ifndef SCRAPE_WORKERS_H
#define SCRAPE_WORKERS_H

#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>

#include "scrape/err.h"
#include "scrape/frontier.h"
#include "scrape/http.h"
#include "scrape/parse.h"

/* A job a worker holds longer than this is taken back and its worker
 * killed: pathological input must not hang the crawl. */
#define WORKERS_JOB_TIMEOUT_S 60

struct workers;

/* What the pool's processes cost, live and reaped together. */
struct workers_usage {
    long user_ms;
    long sys_ms;
    long peak_rss_kb;     /* sum over live workers since the last reset */
    long peak_one_rss_kb; /* the largest of them */
    long jobs_shared;     /* jobs handed over in a shared area, ever */
    long jobs_socket;     /* ... and through a socket (too large) */
    long server_restarts; /* fork servers spawned to replace a lost one */
};

/* Called once per submitted job with its outcome: `pg` when parsed (else
 * NULL), `parse_error` when parsing failed or the worker died; r->body_hash
 * is the worker's hash of the body when the job had none.  The callback
 * owns nothing it is given: `pg` points into the worker's area or frame
 * and `r` is released after it returns. */
typedef enum err (*workers_done_fn)(void *ctx, const struct frontier_job *job,
                                    const struct response *r,
                                    const struct page *pg,
                                    const char *parse_error);

/* Each worker's shared area: a job (body and all) up to about this size
 * and its record travel through memory both processes map; larger ones
 * through the socket.  4 MB holds a 1 MB page and its record with room
 * to spare; what a worker holds beyond it after a larger page is given
 * back. */
#define WORKERS_SHM_BYTES (4L * 1024 * 1024)

/* The fork server's mode of scrape's executable: main() checks
 * workers_is_server() before anything else and then runs
 * workers_server_main(), which never returns. */
#define WORKERS_SERVER_ARG "--internal-fork-server"
bool workers_is_server(int argc, char **argv);
int workers_server_main(char **argv);

/* Starts the fork server and has it fork `n` workers that parse and
 * extract with `spider`'s rules (borrowed; must outlive the pool), each
 * with a
 * shared area of WORKERS_SHM_BYTES (or, when one cannot be made, with
 * its socket only).  Returns ERR_IO (errno set) or ERR_NOMEM. */
enum err workers_start(size_t n, const struct spider *spider,
                       struct workers **out);

/* Closes the pool and reaps every worker (no zombies).  NULL ok. */
void workers_stop(struct workers *w);

/* Number of workers, and how many hold a job. */
size_t workers_size(const struct workers *w);
size_t workers_busy(const struct workers *w);

/* Gives `job` and `r` to an idle worker; takes ownership of `r`'s strings
 * (r is left released).  Requires workers_busy() < workers_size().  The
 * outcome arrives through workers_collect(), even if the worker dies. */
enum err workers_submit(struct workers *w, const struct frontier_job *job,
                        struct response *r);

/* Fills up to `max` curl_waitfd entries with the sockets of busy workers,
 * for curl_multi_poll; returns how many. */
unsigned workers_waitfds(const struct workers *w, struct curl_waitfd *fds,
                         unsigned max);

/* Delivers every finished job to `done` without blocking on idle
 * workers; notices dead or stuck workers, or a dead fork server, and
 * replaces them.  Returns the first error `done` returned, or ERR_IO
 * when a worker or the server cannot be replaced. */
enum err workers_collect(struct workers *w, workers_done_fn done, void *ctx);

/* CPU time of all workers so far, and the sum of their peak RSS since the
 * last workers_reset_peak(). */
void workers_usage(const struct workers *w, struct workers_usage *u);

/* Starts a new peak-RSS measurement for every live worker. */
void workers_reset_peak(const struct workers *w);

#endif
