/*
 * url.h - resolve links and canonicalise URLs.
 *
 * A canonical URL is what scrape fetches, stores and deduplicates on:
 *   scheme://[userinfo@]host[:port]/path[?query]
 * with scheme and host in lower case, the default port dropped, the
 * fragment dropped, dot-segments removed, percent-encoding normalised
 * (unreserved characters decoded, hex digits upper case, bytes that may
 * not appear raw encoded) and an empty path written as "/".  Two
 * spellings of the same resource therefore compare equal with strcmp().
 * A crawl may also drop query parameters by name (--strip-params:
 * url_strip_params), tracking parameters above all, before it
 * deduplicates and fetches.
 *
 * Resolution follows RFC 3986 section 5.2 (not a browser's WHATWG rules,
 * except that surrounding whitespace and embedded tab/CR/LF are removed
 * from hrefs as HTML requires).  Hosts must be RFC 3986 reg-names or
 * bracketed IPv6 literals.
 *
 * Pure functions; thread-safe.
 */
#ifndef SCRAPE_URL_H
#define SCRAPE_URL_H

#include <stdbool.h>
#include <stddef.h>

#include "scrape/err.h"

/* Longest URL scrape accepts, in bytes after canonicalisation.  Longer
 * links are recorded but never fetched (common server limit is 8 KiB). */
#define URL_MAX 8192

/* Resolves `ref` against the canonical absolute URL `base` (NULL when
 * `ref` must be absolute) and canonicalises it.
 * Returns ERR_OK and a new string in *out (caller frees), or:
 *   ERR_SCHEME   the result is not http or https (mailto:, javascript:...)
 *   ERR_TOO_LARGE longer than URL_MAX
 *   ERR_BAD_URL  unparseable (no host, bad port, bad characters)
 *   ERR_NOMEM */
enum err url_resolve(const char *base, const char *ref, char **out);

/* url_resolve(NULL, url, out): canonicalises an absolute URL. */
enum err url_canon(const char *url, char **out);

/* Decides whether the query parameter named name[0..n) is dropped. */
typedef bool (*url_param_fn)(void *ctx, const char *name, size_t n);

/* Copies canonical `canon` into `out` (room for n bytes) without the
 * query parameters `drop` says to drop (--strip-params); a query left
 * empty goes with its '?'.  The order of the others is kept, and a URL
 * with nothing to drop is copied as it is.  Returns false when `out` is
 * too small. */
bool url_strip_params(const char *canon, url_param_fn drop, void *ctx,
                      char *out, size_t n);

/* Finds the host (without port or userinfo) of a canonical URL.  Sets
 * *host to point into `canon` (borrowed) and returns its length, or 0
 * when `canon` has no authority. */
size_t url_host(const char *canon, const char **host);

/* Returns the path and query of canonical `canon` ("/a?b"; borrowed,
 * points into canon), or "/" when it has none. */
const char *url_path(const char *canon);

/* Same for the authority used for per-host politeness: host[:port]. */
size_t url_hostport(const char *canon, const char **hostport);

/* Copies canonical `canon`'s host[:port] into `key` (n bytes) as a C
 * string, the key of per-host tables; false when it has none or it does
 * not fit. */
bool url_hostport_key(const char *canon, char *key, size_t n);

#endif
