/*
 * robots.h - robots.txt (RFC 9309): parse the rules for our user agent,
 * and match URL paths against them.
 *
 * Groups are chosen by the product token of our User-Agent (the part
 * before '/', matched case-insensitively); without a matching group, the
 * '*' group applies (its rules and its Crawl-delay).  Within the chosen
 * groups, the longest matching rule
 * wins and Allow wins a tie; '*' matches any run of characters and a
 * trailing '$' anchors the end.  No rule matching means allowed.
 *
 * Pure; a `struct robots` is read-only after robots_parse(), so several
 * threads may match against it.
 */
#ifndef SCRAPE_ROBOTS_H
#define SCRAPE_ROBOTS_H

#include <stdbool.h>
#include <stddef.h>

#include "scrape/err.h"

/* Sitemap: lines kept from one robots.txt. */
#define ROBOTS_MAX_SITEMAPS 50

/* Bytes of a robots.txt read at most (RFC 9309 asks for at least 500 KiB). */
#define ROBOTS_MAX_BYTES (500 * 1024)

struct robots;

/* Parses `text` (n bytes) for `user_agent`.  Returns ERR_NOMEM or ERR_OK
 * with a new rule set (free with robots_free). */
enum err robots_parse(const char *text, size_t n, const char *user_agent,
                      struct robots **out);

/* A rule set that allows everything (robots.txt missing: 4xx) or nothing
 * (robots.txt unreachable: 5xx or no answer, RFC 9309 section 2.3.1.3). */
enum err robots_all(bool allow, struct robots **out);

void robots_free(struct robots *r);

/* The Sitemap: lines of the robots.txt, in order, as written (at most
 * ROBOTS_MAX_SITEMAPS; any group, or none): *urls borrowed from `r`.
 * Returns how many. */
size_t robots_sitemaps(const struct robots *r, char *const **urls);

/* The Crawl-delay of the group that applies to us (ours, else '*'), in
 * milliseconds (seconds in the file, fractions allowed), or -1 when it
 * names none or the value is not a number.  Not capped here: the crawl
 * decides what it honours. */
long robots_crawl_delay_ms(const struct robots *r);

/* True for the disallow-everything set robots_all(false) made. */
bool robots_denies_all(const struct robots *r);

/* True when `path_and_query` ("/a/b?c", as in a canonical URL) may be
 * fetched. */
bool robots_allowed(const struct robots *r, const char *path_and_query);

#endif
