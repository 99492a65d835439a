/*
 * filter.h - --include/--exclude: which links a crawl follows.
 *
 * A link is followed when it matches at least one include pattern (if
 * any was given) and no exclude pattern, matched against its canonical
 * absolute URL.  Patterns are PCRE2 (Perl syntax, the dialect Scrapy's
 * LinkExtractor and wget2 --accept-regex users write: \d, (?:...), lazy
 * quantifiers), compiled once with the JIT, and search anywhere in the
 * URL (anchor with ^ and $).
 *
 * Not thread-safe: one filter, one thread at a time (the crawl's calls
 * are serialised).
 */
#ifndef SCRAPE_FILTER_H
#define SCRAPE_FILTER_H

#include <stdbool.h>
#include <stddef.h>

#include "scrape/err.h"

/* Room for the message of a rejected pattern. */
#define FILTER_WHY_MAX 512

struct url_filter;

/* Compiles the patterns (borrowed; not kept).  With no patterns at all,
 * *out is NULL, which allows everything.  A bad pattern returns
 * ERR_INVALID with "--include 'PAT': REASON at position N" in `why`. */
enum err url_filter_new(const char *const *include, size_t ninclude,
                        const char *const *exclude, size_t nexclude,
                        struct url_filter **out, char *why, size_t n);

/* A list of patterns tried in order (--rule): labels[i] names pattern i
 * in errors ("--rule 'NAME'").  Match with url_filter_first(). */
enum err url_filter_new_list(const char *const *patterns,
                             const char *const *labels, size_t n,
                             struct url_filter **out, char *why, size_t whyn);

/* The index of the first pattern of a list (or include pattern) that
 * matches `url`, or -1 for none.  NULL filter: -1. */
long url_filter_first(struct url_filter *f, const char *url);

/* True when `url` may be followed.  NULL filter: always. */
bool url_filter_allows(struct url_filter *f, const char *url);

/* Frees the filter.  NULL ok. */
void url_filter_free(struct url_filter *f);

#endif
