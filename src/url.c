/*
 * url.c - RFC 3986 reference resolution and canonicalisation.
 *
 * Design: split the reference into its five components (RFC 3986
 * appendix B) as borrowed spans, resolve them against the base's spans
 * (section 5.2.2), then write the canonical form into one capped buffer,
 * normalising each component on the way.  libcurl's own relative
 * resolution (CURLU) is not used because 7.88 resolves "" and "#frag"
 * to the base's directory rather than to the base itself (RFC 3986 5.4.1);
 * The host is checked against RFC 3986 reg-name/IP-literal syntax.
 */
#include "scrape/url.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "scrape/buf.h"
#include "scrape/utf8.h"

/* References longer than this are refused before any work is done: even
 * after dot-segment removal they could not fit in URL_MAX. */
#define URL_REF_MAX (4 * URL_MAX)

struct span {
    const char *p;
    size_t n;
    bool set; /* component present (an empty query "?" is present) */
};

struct parts {
    struct span scheme, auth, path, query;
};

static bool is_alpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static bool is_unreserved(int c)
{
    return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' ||
           c == '~';
}

static bool is_subdelim(int c)
{
    return c && strchr("!$&'()*+,;=", c) != NULL;
}

/* Characters that may stay raw in a path (pchar and "/") or, with
 * `query`, in a query ("?" too). */
static bool raw_ok(int c, bool query)
{
    return is_unreserved(c) || is_subdelim(c) || c == ':' || c == '@' ||
           c == '/' || (query && c == '?');
}

static int hexval(int c)
{
    if (is_digit(c))
        return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Splits `s` (length n) per RFC 3986 appendix B; the fragment is
 * discarded because it never reaches the server. */
static void split(const char *s, size_t n, struct parts *out)
{
    size_t i = 0, start;

    memset(out, 0, sizeof(*out));
    if (n && is_alpha((unsigned char)s[0])) {
        for (i = 1; i < n; i++) {
            int c = (unsigned char)s[i];
            if (!(is_alpha(c) || is_digit(c) || c == '+' || c == '-' ||
                  c == '.'))
                break;
        }
        if (i < n && s[i] == ':') {
            out->scheme = (struct span){s, i, true};
            i++;
        } else {
            i = 0;
        }
    }
    if (n - i >= 2 && s[i] == '/' && s[i + 1] == '/') {
        start = i += 2;
        while (i < n && s[i] != '/' && s[i] != '?' && s[i] != '#')
            i++;
        out->auth = (struct span){s + start, i - start, true};
    }
    start = i;
    while (i < n && s[i] != '?' && s[i] != '#')
        i++;
    out->path = (struct span){s + start, i - start, true};
    if (i < n && s[i] == '?') {
        start = ++i;
        while (i < n && s[i] != '#')
            i++;
        out->query = (struct span){s + start, i - start, true};
    }
}

/* Removes the last segment (and its "/") from `out` (RFC 3986 5.2.4 C). */
static void pop_segment(struct buf *out)
{
    while (out->len > 0 && out->data[out->len - 1] != '/')
        out->len--;
    if (out->len > 0)
        out->len--;
    out->data[out->len] = '\0';
}

/* RFC 3986 5.2.4 remove_dot_segments, appending the result to `out`.
 * `s` is the caller's scratch copy: two rules rewrite the input. */
static enum err remove_dots(char *s, size_t n, struct buf *out)
{
    size_t base = out->len, i = 0, j;
    enum err e;

    while (i < n) {
        const char *r = s + i;
        size_t left = n - i;

        if (left >= 3 && !strncmp(r, "../", 3)) {
            i += 3;
        } else if (left >= 2 && !strncmp(r, "./", 2)) {
            i += 2;
        } else if (left >= 3 && !strncmp(r, "/./", 3)) {
            i += 2;
        } else if (left == 2 && !strncmp(r, "/.", 2)) {
            s[i + 1] = '/';
            i += 1;
        } else if (left >= 4 && !strncmp(r, "/../", 4)) {
            i += 3;
            if (out->len > base)
                pop_segment(out);
        } else if (left == 3 && !strncmp(r, "/..", 3)) {
            s[i + 2] = '/';
            i += 2;
            if (out->len > base)
                pop_segment(out);
        } else if ((left == 1 && r[0] == '.') ||
                   (left == 2 && !strncmp(r, "..", 2))) {
            i = n;
        } else {
            j = i + (s[i] == '/');
            while (j < n && s[j] != '/')
                j++;
            if ((e = buf_add(out, s + i, j - i)))
                return e;
            i = j;
        }
    }
    return ERR_OK;
}

/* Appends span `s` with percent-encoding normalised: %XX of an unreserved
 * character decoded, other %xx upper-cased, a stray "%" and any byte that
 * may not appear raw encoded. */
static enum err add_normalised(struct buf *out, const char *s, size_t n,
                               bool query)
{
    static const char hex[] = "0123456789ABCDEF";
    enum err e = ERR_OK;
    size_t i;

    for (i = 0; i < n && !e; i++) {
        unsigned char c = (unsigned char)s[i];
        int hi, lo;

        if (c == '%' && i + 2 < n &&
            (hi = hexval((unsigned char)s[i + 1])) >= 0 &&
            (lo = hexval((unsigned char)s[i + 2])) >= 0) {
            int v = hi * 16 + lo;
            if (is_unreserved(v)) {
                char ch = (char)v;
                e = buf_add(out, &ch, 1);
            } else {
                char enc[3] = {'%', hex[hi], hex[lo]};
                e = buf_add(out, enc, 3);
            }
            i += 2;
        } else if (c != '%' && raw_ok(c, query)) {
            e = buf_add(out, &s[i], 1);
        } else {
            char enc[3] = {'%', hex[c >> 4], hex[c & 15]};
            e = buf_add(out, enc, 3);
        }
    }
    return e;
}

/* Returns true when `p` (length n) is a decimal port; stores it. */
static bool parse_port(const char *p, size_t n, long *port)
{
    long v = 0;
    size_t i;

    if (n == 0 || n > 5)
        return false;
    for (i = 0; i < n; i++) {
        if (!is_digit((unsigned char)p[i]))
            return false;
        v = v * 10 + (p[i] - '0');
    }
    *port = v;
    return v <= 65535;
}

/* True when host[0..n) is a name libcurl can look up: RFC 3986 reg-name
 * characters, or a bracketed IPv6 literal.  (Checking the whole URL with
 * CURLU cost a dozen allocations per link.) */
static bool host_ok(const char *h, size_t n)
{
    size_t i;

    if (!n)
        return false;
    if (h[0] == '[') {
        if (n < 3 || h[n - 1] != ']')
            return false;
        for (i = 1; i + 1 < n; i++)
            if (!(isxdigit((unsigned char)h[i]) || h[i] == ':' || h[i] == '.'))
                return false;
        return true;
    }
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)h[i];
        if (!(is_unreserved(c) || c == '%' || is_subdelim(c) || c >= 0x80))
            return false;
    }
    /* Bytes >= 0x80: an internationalised name, which must at least be
     * UTF-8 (libcurl converts it with libidn2). */
    return utf8_valid(h, n);
}

/* Appends the canonical authority: userinfo kept, host lower-cased,
 * default or empty port dropped. */
static enum err add_authority(struct buf *out, struct span a, bool https)
{
    const char *host = a.p, *end = a.p + a.n, *at, *colon = NULL, *q;
    long port = -1;
    enum err e;

    at = memchr(a.p, '@', a.n);
    if (at) {
        if ((e = add_normalised(out, a.p, (size_t)(at - a.p), false)))
            return e;
        if ((e = buf_add(out, "@", 1)))
            return e;
        host = at + 1;
    }
    /* The port colon is the last one after any IPv6 "]". */
    for (q = end; q > host; q--) {
        if (q[-1] == ']')
            break;
        if (q[-1] == ':') {
            colon = q - 1;
            break;
        }
    }
    if (colon) {
        size_t plen = (size_t)(end - colon - 1);
        if (plen && !parse_port(colon + 1, plen, &port))
            return ERR_BAD_URL;
        end = colon;
    }
    if (!host_ok(host, (size_t)(end - host)))
        return ERR_BAD_URL;
    for (q = host; q < end; q++) {
        char c = (char)tolower((unsigned char)*q);
        if ((e = buf_add(out, &c, 1)))
            return e;
    }
    if (port >= 0 && port != (https ? 443 : 80))
        return buf_addf(out, ":%ld", port);
    return ERR_OK;
}

/* RFC 3986 5.2.3: merge a relative path with the base path. */
static enum err merge_paths(struct buf *tmp, const struct parts *b,
                            struct span rel)
{
    enum err e;

    if (b->auth.set && b->path.n == 0) {
        if ((e = buf_add(tmp, "/", 1)))
            return e;
    } else {
        const char *slash = NULL, *q;
        for (q = b->path.p + b->path.n; q > b->path.p; q--) {
            if (q[-1] == '/') {
                slash = q;
                break;
            }
        }
        if (slash && (e = buf_add(tmp, b->path.p, (size_t)(slash - b->path.p))))
            return e;
    }
    return buf_add(tmp, rel.p, rel.n);
}

/* RFC 3986 5.2.2 with the target written canonically into `out`. */
static enum err resolve(const struct parts *b, const struct parts *r,
                        struct buf *out)
{
    struct span scheme = r->scheme, auth = r->auth, query = r->query;
    struct buf path, norm;
    bool https;
    enum err e;
    size_t i, mark;

    buf_init(&path, URL_REF_MAX);
    buf_init(&norm, URL_REF_MAX * 3);
    if (!scheme.set) {
        scheme = b->scheme;
        if (!auth.set) {
            auth = b->auth;
            if (r->path.n == 0) {
                e = buf_add(&path, b->path.p, b->path.n);
                if (!query.set)
                    query = b->query;
            } else if (r->path.p[0] == '/') {
                e = buf_add(&path, r->path.p, r->path.n);
            } else {
                e = merge_paths(&path, b, r->path);
            }
        } else {
            e = buf_add(&path, r->path.p, r->path.n);
        }
    } else {
        e = buf_add(&path, r->path.p, r->path.n);
    }
    if (e)
        goto out;
    if (!scheme.set || !auth.set) {
        e = ERR_BAD_URL;
        goto out;
    }
    https = scheme.n == 5 && !strncasecmp(scheme.p, "https", 5);
    for (i = 0; i < scheme.n; i++) {
        char c = (char)tolower((unsigned char)scheme.p[i]);
        if ((e = buf_add(out, &c, 1)))
            goto out;
    }
    if ((e = buf_add(out, "://", 3)) || (e = add_authority(out, auth, https)))
        goto out;
    /* Normalise first so "%2E%2E" counts as "..", then drop dot-segments. */
    if ((e = add_normalised(&norm, path.data, path.len, false)))
        goto out;
    mark = out->len;
    if ((e = remove_dots(norm.data, norm.len, out)))
        goto out;
    if (out->len == mark && (e = buf_add(out, "/", 1)))
        goto out;
    if (query.set && ((e = buf_add(out, "?", 1)) ||
                      (e = add_normalised(out, query.p, query.n, true))))
        goto out;
out:
    buf_release(&path);
    buf_release(&norm);
    return e;
}

/* Copies `ref` without surrounding whitespace/controls and without the
 * tab, CR and LF characters HTML allows inside attribute values. */
static enum err clean_ref(const char *ref, struct buf *out)
{
    size_t n = strlen(ref), i;
    enum err e;

    while (n && (unsigned char)ref[n - 1] <= ' ')
        n--;
    while (n && (unsigned char)*ref <= ' ') {
        ref++;
        n--;
    }
    if (n > URL_REF_MAX)
        return ERR_TOO_LARGE;
    for (i = 0; i < n; i++) {
        if (ref[i] == '\t' || ref[i] == '\r' || ref[i] == '\n')
            continue;
        if ((e = buf_add(out, &ref[i], 1)))
            return e;
    }
    return ERR_OK;
}

static bool scheme_is_http(struct span s)
{
    return (s.n == 4 && !strncasecmp(s.p, "http", 4)) ||
           (s.n == 5 && !strncasecmp(s.p, "https", 5));
}

enum err url_resolve(const char *base, const char *ref, char **out)
{
    struct buf clean, res;
    struct parts b, r;
    enum err e;

    *out = NULL;
    buf_init(&clean, URL_REF_MAX);
    buf_init(&res, URL_MAX);
    if ((e = clean_ref(ref, &clean)))
        goto out;
    split(clean.data, clean.len, &r);
    if (base)
        split(base, strlen(base), &b);
    else
        memset(&b, 0, sizeof(b));
    if (r.scheme.set ? !scheme_is_http(r.scheme)
                     : (!base || !scheme_is_http(b.scheme))) {
        e = r.scheme.set || base ? ERR_SCHEME : ERR_BAD_URL;
        goto out;
    }
    if ((e = resolve(&b, &r, &res)))
        goto out;
    *out = buf_detach(&res, NULL);
    e = *out ? ERR_OK : ERR_NOMEM;
out:
    buf_release(&clean);
    buf_release(&res);
    return e;
}

enum err url_canon(const char *url, char **out)
{
    return url_resolve(NULL, url, out);
}

size_t url_hostport(const char *canon, const char **hostport)
{
    const char *p = strstr(canon, "://"), *end, *at;

    *hostport = NULL;
    if (!p)
        return 0;
    p += 3;
    end = p + strcspn(p, "/?#");
    at = memchr(p, '@', (size_t)(end - p));
    if (at)
        p = at + 1;
    *hostport = p;
    return (size_t)(end - p);
}

bool url_hostport_key(const char *canon, char *key, size_t n)
{
    const char *hp;
    size_t len = url_hostport(canon, &hp);

    if (!len || len >= n)
        return false;
    memcpy(key, hp, len);
    key[len] = '\0';
    return true;
}

size_t url_host(const char *canon, const char **host)
{
    size_t n = url_hostport(canon, host), i;

    if (!n)
        return 0;
    if ((*host)[0] == '[') {
        const char *close = memchr(*host, ']', n);
        return close ? (size_t)(close - *host) + 1 : n;
    }
    for (i = n; i > 0; i--) {
        if ((*host)[i - 1] == ':')
            return i - 1;
    }
    return n;
}

const char *url_path(const char *canon)
{
    const char *p = strstr(canon, "://");

    if (!p)
        return "/";
    p = strchr(p + 3, '/');
    return p ? p : "/";
}

bool url_strip_params(const char *canon, url_param_fn drop, void *ctx,
                      char *out, size_t n)
{
    const char *q = strchr(canon, '?'), *p;
    size_t len = q ? (size_t)(q - canon) : strlen(canon), k = 0;
    bool first = true;

    if (len + 1 > n)
        return false;
    memcpy(out, canon, len);
    k = len;
    for (p = q ? q + 1 : NULL; p && *p;) {
        size_t pn = strcspn(p, "&"), nn = strcspn(p, "=&");
        if (pn && !drop(ctx, p, nn < pn ? nn : pn)) {
            if (k + pn + 2 > n)
                return false;
            out[k++] = first ? '?' : '&';
            memcpy(out + k, p, pn);
            k += pn;
            first = false;
        }
        p += pn + (p[pn] == '&');
    }
    out[k] = '\0';
    return true;
}
