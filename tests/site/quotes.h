/*
 * quotes.h - the quotes section of the local site, shaped like the public
 * quotes.toscrape.com sandbox: 10 quotes a page (div.quote > span.text,
 * small.author, div.tags a.tag), 0-4 tags each, entities and non-ASCII in
 * the text, li.next pagination, author and tag pages (which a crawl that
 * wants the quotes once must filter out), and sitemaps: an index of two
 * gzipped sitemaps listing the quote pages.
 *
 *   /quotes/                    page 1
 *   /quotes/page/N/             page N, 1 <= N <= pages
 *   /quotes/author/SLUG/        an author's page
 *   /quotes/tag/TAG/page/1/     the quotes of a tag (div.quote again)
 *   /quotes/sitemap_index.xml   -> /quotes/sitemaps/1.xml.gz, 2.xml.gz
 *
 * Shared by the server, sitegen and the tests, so the tests know every
 * quote without fetching it.
 */
#ifndef SCRAPE_TEST_QUOTES_H
#define SCRAPE_TEST_QUOTES_H

#include <stddef.h>

#define QUOTES_PER_PAGE 10
#define QUOTES_MAX_TAGS 4

struct quote {
    char text[512]; /* decoded UTF-8, as a scraper should store it */
    const char *author;
    const char *tags[QUOTES_MAX_TAGS];
    unsigned ntags; /* 0..4 */
};

/* Fills quote q (0-based over the whole section). */
void quotes_get(unsigned q, struct quote *out);

/* The gzip sitemap k (1 or 2) lists pages first..last. */
void quotes_sitemap_pages(unsigned pages, unsigned k, unsigned *first,
                          unsigned *last);

/* Renders the quotes path `path` of a section of `pages` pages on port
 * `port`: a new string (caller frees) with its length and Content-Type,
 * or NULL when `path` is not one (or out of memory).  *gzip is set for
 * the gzipped sitemaps (bytes are gzip; no Content-Encoding). */
char *quotes_render(const char *path, unsigned pages, unsigned port,
                    size_t *len, const char **ctype, int *gzip);

#endif
