/*
 * search.h - full-text search on a scrape database's FTS5 index, with
 * phrases, NEAR and ^ (ftsq.h), for `scrape search` and `scrape serve`.
 *
 * A `struct search` belongs to one SQLite connection: search_new()
 * registers on it the FTS5 auxiliary function that confirms phrase
 * matches in a candidate's stored text, once, and search_run() uses it
 * query after query.  Free it after closing the connection.  Not
 * thread-safe: one connection, one thread at a time.
 */
#ifndef SCRAPE_SEARCH_H
#define SCRAPE_SEARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "scrape/err.h"

struct search;

/* Prepares searches on `db` (borrowed).  ERR_DB (no FTS5) or ERR_NOMEM,
 * with a reason in `why` (n bytes). */
enum err search_new(sqlite3 *db, struct search **out, char *why, size_t n);

/* Frees `s`; call after sqlite3_close() of its connection.  NULL ok. */
void search_free(struct search *s);

/* One result: borrowed strings, valid during the callback. */
struct search_hit {
    long long page_id;
    const char *url;
    const char *title;   /* "" when the page has none */
    const char *snippet; /* whitespace folded; matches between the marks */
    double score;        /* bm25, higher is better; title hits x10 */
};

/* Called per result, best first; false stops. */
typedef bool (*search_hit_fn)(void *ctx, const struct search_hit *h);

/* Searches run `run_id` for FTS5 query `match` (the best `limit`
 * pages), marking matches in snippets with mark_on/mark_off.  A query
 * that is not valid FTS5 is ERR_INVALID with a one-line reason in `why`
 * ("bad query '...': ... at position N"); ERR_DB (its detail in `why`,
 * or the caller's own time limit interrupting the statement), ERR_NOMEM.
 * *hits gets the number of results. */
enum err search_run(struct search *s, int64_t run_id, const char *match,
                    long limit, const char *mark_on, const char *mark_off,
                    search_hit_fn fn, void *ctx, long *hits, char *why,
                    size_t n);

#endif
