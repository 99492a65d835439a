/*
 * site.h - the generated bookstore site served by tests/site/sitesrv.
 *
 * Page 0 is /index.html; page i > 0 is /book/i.html.  The link graph is a
 * `fanout`-ary tree (page i links to its children i*fanout+1 ..
 * i*fanout+fanout), so every page is reachable from the index and the
 * depth needed is site_depth(); on top of that each page links to its
 * parent, the index, and a few "related" pages spelled in equivalent but
 * different ways (fragments, dot-segments, percent-encoding, upper-case
 * scheme, default port) that a crawler must deduplicate.  Some pages link
 * to the same server under another host name ("localhost"), which a
 * crawler that stays on the seeds' host must not follow.
 *
 * Shared by the server and the tests, so the tests know what each page
 * says without fetching it.
 */
#ifndef SCRAPE_TEST_SITE_H
#define SCRAPE_TEST_SITE_H

#include <stddef.h>

struct site_opts {
    unsigned pages;   /* including the index; >= 1 */
    unsigned fanout;  /* children per page; >= 1 */
    size_t page_size; /* approximate bytes of HTML per page */
    unsigned port;    /* the server's port, for absolute links */
    int nested;       /* body as nested sections with many links (the CPU-heavy
                         profile) instead of flat paragraphs */
};

/* Writes the path of page i ("/index.html" or "/book/i.html"). */
void site_path(unsigned i, char *out, size_t n);

/* Writes the <title> text of page i. */
void site_title(unsigned i, char *out, size_t n);

/* Writes the price text of page i (UTF-8, e.g. "£12.34"). */
void site_price(unsigned i, char *out, size_t n);

/* Links the tree needs from the index to page i. */
unsigned site_depth(unsigned i, unsigned fanout);

/* The slow page of tree level `level` (>= 1) with --slow: the first
 * child's first child ... of page `level`, so no slow page lies below
 * another and the longest chain of slow pages is one page deep. */
unsigned site_slow_page(unsigned level, unsigned fanout);

/* The tree level of slow page i, or 0 when page i is not slow (only
 * levels 1..`levels` have one). */
unsigned site_slow_level(unsigned i, unsigned fanout, unsigned levels);

/* True when page i links to the other host name. */
int site_has_external(unsigned i);

/* The page whose text page i copies: i - 1 for every 100th page (99,
 * 199, ...), which is a near-duplicate (same text, other title and
 * price), else i itself. */
unsigned site_text_of(unsigned i);

/* Renders page i; returns a new NUL-terminated string (caller frees) and
 * its length in *len, or NULL when out of memory. */
char *site_render(const struct site_opts *o, unsigned i, size_t *len);

#endif
