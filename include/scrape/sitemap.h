/*
 * sitemap.h - read one sitemap (sitemaps.org): an XML <urlset>, an XML
 * <sitemapindex>, or a plain-text list of URLs, any of them gzipped.
 *
 * Gzip is recognised by its magic bytes (a .xml.gz served as
 * application/x-gzip arrives compressed), and decompressed up to the
 * crawl's --max-bytes, so a gzip bomb stops at the cap.  XML is read with
 * libxml2's streaming reader: no tree, no network, entities not
 * substituted.  At most SITEMAP_MAX_URLS <loc>s are kept (the protocol's
 * own limit).  A malformed sitemap keeps the URLs read before the damage
 * and says what went wrong: it is a recorded error, never a failure of
 * the crawl.
 *
 * Pure (libxml2 and zlib only); call it on a thread that ran
 * parser_new() (libxml2's error handler is per thread).
 */
#ifndef SCRAPE_SITEMAP_H
#define SCRAPE_SITEMAP_H

#include <stddef.h>

#include "scrape/err.h"

#define SITEMAP_MAX_URLS 50000
/* Sitemap indexes below the first one (index -> index -> ...). */
#define SITEMAP_MAX_NESTING 10
/* Room for a sitemap's error text. */
#define SITEMAP_ERROR_MAX 200

enum sitemap_kind {
    SITEMAP_UNKNOWN,
    SITEMAP_URLSET,
    SITEMAP_INDEX,
    SITEMAP_TEXT
};

struct sitemap {
    enum sitemap_kind kind;
    char **urls; /* <loc> texts (or lines), trimmed, as written; owned */
    size_t n;
    char error[SITEMAP_ERROR_MAX]; /* "" when read whole */
};

/* Reads `len` bytes of `body` into `out` (release with sitemap_release,
 * also on error).  Returns ERR_NOMEM only; everything wrong with the
 * sitemap itself is in out->error. */
enum err sitemap_parse(const char *body, size_t len, size_t max_bytes,
                       struct sitemap *out);

/* "urlset", "index", "text", or NULL when the kind is unknown. */
const char *sitemap_kind_name(enum sitemap_kind kind);

void sitemap_release(struct sitemap *sm);

#endif
