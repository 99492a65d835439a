/*
 * record.h - one response to one record: parse it, and make its pages
 * row.
 *
 * What turns a fetched response into what the store keeps, with no
 * crawl state: the engines' threads, the --procs workers, scrape extract
 * and the crawl itself all call down to it.  Nothing here is shared
 * between calls, so it is safe from any thread or process.
 */
#ifndef SCRAPE_RECORD_H
#define SCRAPE_RECORD_H

#include <stdbool.h>
#include <stddef.h>

#include "scrape/config.h"
#include "scrape/err.h"
#include "scrape/frontier.h"
#include "scrape/http.h"
#include "scrape/parse.h"
#include "scrape/store.h"

/* How a row's error starts when parsing failed, or when extraction was
 * cut short (scrape extract tells these from the transfer's errors). */
#define RECORD_PARSE_ERROR   "cannot parse HTML: "
#define RECORD_EXTRACT_ERROR "extraction cut short: "

/* A successful (2xx) HTML response: one record_parse would parse. */
bool record_is_html(const struct response *r);

/* Parses `r`, fetched for canonical `url`, into `pg` with `p` when it is a
 * successful (2xx) HTML response, as a page of the rule `url` belongs
 * to; links resolve against its final URL.
 * Sets *parsed when `pg` was filled (caller releases it).  When parsing
 * fails, sets *parse_error to a static reason for the error row.  Returns
 * ERR_NOMEM only. */
enum err record_parse(struct parser *p, const char *url,
                      const struct response *r, struct page *pg, bool *parsed,
                      const char **parse_error);

/* The pages row a crawl with `cfg` stores for `job` fetched as `r` (and
 * parsed into `pg`, or not: `parse_error`), at `depth`, a page of rule
 * `rule` (spider_rule of its URL); `why` (n bytes) holds an error text
 * it composes.  Everything is borrowed. */
void record_row(const struct config *cfg, const struct frontier_job *job,
                int depth, size_t rule, const struct response *r,
                const struct page *pg, const char *parse_error,
                struct page_row *row, char *why, size_t n);

#endif
