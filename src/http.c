/*
 * http.c - configured easy handles and readable fetch errors.
 *
 * Size cap: on libcurl 7.88 CURLOPT_MAXFILESIZE_LARGE only stops bodies
 * whose size is announced, and it counts compressed bytes.  The write
 * callback is therefore the real cap: it sees decompressed data, so a
 * gzip bomb stops at max_bytes too.
 */
#include "scrape/clock.h"
#include "scrape/http.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userp)
{
    struct transfer *t = userp;
    size_t n = size * nmemb;
    curl_off_t announced = -1;

    /* First bytes of an empty buffer: make room for the announced size at
     * once (an uncompressed body is then exactly one allocation, instead
     * of doubling up to 1.6x its size and copying it each time). */
    if (!t->body.len && !t->body.cap &&
        curl_easy_getinfo(t->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T,
                          &announced) == CURLE_OK &&
        announced > (curl_off_t)n && (size_t)announced <= t->body.max)
        (void)buf_grow(&t->body, (size_t)announced); /* else: as it comes */
    if (buf_add(&t->body, ptr, n)) {
        /* Either over the cap or out of memory: both end the transfer. */
        t->over_cap = true;
        return 0;
    }
    return n;
}

/* Aborts a transfer once a stop request is older than the grace period:
 * a blocking curl_easy_perform (the threads engine) has no other way to
 * be interrupted. */
static int on_progress(void *userp, curl_off_t dltotal, curl_off_t dlnow,
                       curl_off_t ultotal, curl_off_t ulnow)
{
    struct transfer *t = userp;
    long now;

    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    if (!t->opts->stop || !*t->opts->stop)
        return 0;
    now = clock_ms();
    if (!t->stop_seen_ms)
        t->stop_seen_ms = now;
    return now - t->stop_seen_ms > t->opts->stop_grace_ms;
}

static enum err setopts(struct transfer *t)
{
    CURL *e = t->easy;
    const struct http_opts *o = t->opts;
    CURLcode rc = CURLE_OK;

#define SET(opt, val)                                                          \
    do {                                                                       \
        if (rc == CURLE_OK)                                                    \
            rc = curl_easy_setopt(e, opt, val);                                \
    } while (0)
    SET(CURLOPT_PRIVATE, t);
    SET(CURLOPT_WRITEFUNCTION, on_body);
    SET(CURLOPT_WRITEDATA, t);
    SET(CURLOPT_ERRORBUFFER, t->errbuf);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_FOLLOWLOCATION, 1L);
    SET(CURLOPT_MAXREDIRS, (long)HTTP_MAX_REDIRS);
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_TIMEOUT, o->timeout_s);
    SET(CURLOPT_CONNECTTIMEOUT, o->connect_timeout_s);
    SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)o->max_bytes);
    SET(CURLOPT_ACCEPT_ENCODING, "");
    SET(CURLOPT_USERAGENT, o->user_agent);
    SET(CURLOPT_DNS_CACHE_TIMEOUT, 300L);
    SET(CURLOPT_TCP_KEEPALIVE, 1L);
    SET(CURLOPT_PIPEWAIT, 1L);
    if (o->stop) {
        SET(CURLOPT_XFERINFOFUNCTION, on_progress);
        SET(CURLOPT_XFERINFODATA, t);
        SET(CURLOPT_NOPROGRESS, 0L);
    }
    if (o->share)
        SET(CURLOPT_SHARE, o->share);
    if (t->base)
        SET(CURLOPT_HTTPHEADER, t->base);
    /* Trust: a CA file adds to the system's directory of CAs and a CA
     * directory to its bundle (as OpenSSL reads both), so a site's own CA
     * can be trusted without distrusting the rest. */
    if (o->cacert)
        SET(CURLOPT_CAINFO, o->cacert);
    if (o->capath)
        SET(CURLOPT_CAPATH, o->capath);
    if (o->insecure) {
        SET(CURLOPT_SSL_VERIFYPEER, 0L);
        SET(CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (o->cert)
        SET(CURLOPT_SSLCERT, o->cert);
    if (o->key)
        SET(CURLOPT_SSLKEY, o->key);
    /* The cookie engine: what sites set is kept and sent back (RFC 6265),
     * in the crawl's one store when the engine shares it. */
    SET(CURLOPT_COOKIEFILE, "");
#undef SET
    return rc == CURLE_OK ? ERR_OK : ERR_INVALID;
}

/* Appends the lines of `from` to *l; false when out of memory. */
static bool append_all(struct curl_slist **l, const struct curl_slist *from)
{
    struct curl_slist *n;

    for (; from; from = from->next) {
        if (!(n = curl_slist_append(*l, from->data)))
            return false;
        *l = n;
    }
    return true;
}

enum err http_transfer_init(struct transfer *t, const struct http_opts *o)
{
    struct curl_slist *n;
    size_t i;

    memset(t, 0, sizeof(*t));
    t->opts = o;
    buf_init(&t->body, o->max_bytes);
    for (i = 0; i < o->nheaders; i++) {
        if (!(n = curl_slist_append(t->base, o->headers[i])))
            return ERR_NOMEM;
        t->base = n;
    }
    t->easy = curl_easy_init();
    if (!t->easy)
        return ERR_NOMEM;
    return setopts(t);
}

void http_transfer_release(struct transfer *t)
{
    if (t->easy)
        curl_easy_cleanup(t->easy);
    t->easy = NULL;
    curl_slist_free_all(t->headers);
    t->headers = NULL;
    curl_slist_free_all(t->base);
    t->base = NULL;
    buf_release(&t->body);
}

enum err http_transfer_prepare(struct transfer *t, const char *url)
{
    /* Drop a large previous body rather than keep its allocation. */
    if (t->body.cap > 1024 * 1024)
        buf_release(&t->body);
    buf_reset(&t->body);
    if (t->headers) {
        curl_easy_setopt(t->easy, CURLOPT_HTTPHEADER, t->base);
        curl_slist_free_all(t->headers);
        t->headers = NULL;
    }
    t->over_cap = false;
    t->stop_seen_ms = 0;
    t->errbuf[0] = '\0';
    return curl_easy_setopt(t->easy, CURLOPT_URL, url) == CURLE_OK ? ERR_OK
                                                                   : ERR_NOMEM;
}

enum err http_transfer_auth(struct transfer *t, bool send)
{
    CURLcode rc;

    if (!send)
        return curl_easy_setopt(t->easy, CURLOPT_USERPWD, NULL) == CURLE_OK
                   ? ERR_OK
                   : ERR_NOMEM;
    rc = curl_easy_setopt(t->easy, CURLOPT_USERPWD, t->opts->userpwd);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(t->easy, CURLOPT_HTTPAUTH, (long)CURLAUTH_ANY);
    return rc == CURLE_OK ? ERR_OK : ERR_NOMEM;
}

enum err http_transfer_validators(struct transfer *t, const char *etag,
                                  const char *last_modified)
{
    char line[HTTP_VALIDATOR_MAX + 32];
    struct curl_slist *l = NULL, *n;

    if ((!etag || strlen(etag) >= HTTP_VALIDATOR_MAX) &&
        (!last_modified || strlen(last_modified) >= HTTP_VALIDATOR_MAX))
        return ERR_OK; /* the -H headers alone, set already */
    if (!append_all(&l, t->base))
        goto nomem;
    if (etag && strlen(etag) < HTTP_VALIDATOR_MAX) {
        snprintf(line, sizeof(line), "If-None-Match: %s", etag);
        if (!(n = curl_slist_append(l, line)))
            goto nomem;
        l = n;
    }
    if (last_modified && strlen(last_modified) < HTTP_VALIDATOR_MAX) {
        snprintf(line, sizeof(line), "If-Modified-Since: %s", last_modified);
        if (!(n = curl_slist_append(l, line)))
            goto nomem;
        l = n;
    }
    if (!l)
        return ERR_OK;
    t->headers = l;
    return curl_easy_setopt(t->easy, CURLOPT_HTTPHEADER, l) == CURLE_OK
               ? ERR_OK
               : ERR_NOMEM;
nomem:
    curl_slist_free_all(l);
    return ERR_NOMEM;
}

static const char *reason_phrase(long status)
{
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 203:
        return "Non-Authoritative Information";
    case 204:
        return "No Content";
    case 206:
        return "Partial Content";
    case 300:
        return "Multiple Choices";
    case 301:
        return "Moved Permanently";
    case 302:
        return "Found";
    case 303:
        return "See Other";
    case 304:
        return "Not Modified";
    case 307:
        return "Temporary Redirect";
    case 308:
        return "Permanent Redirect";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 410:
        return "Gone";
    case 429:
        return "Too Many Requests";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    default:
        return "";
    }
}

/* Writes the readable reason for a failed CURLcode into r->error. */
static void curl_reason(struct transfer *t, CURLcode rc, struct response *r)
{
    const char *detail = t->errbuf[0] ? t->errbuf : curl_easy_strerror(rc);
    long oserr = 0;
    char *sz = r->error;
    size_t n = sizeof(r->error);

    curl_easy_getinfo(t->easy, CURLINFO_OS_ERRNO, &oserr);
    switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
        r->err = ERR_TIMEOUT;
        if (!strncmp(detail, "Connection timed out", 20) ||
            !strncmp(detail, "Failed to connect", 17))
            snprintf(sz, n, "connect timeout after %ld s",
                     t->opts->connect_timeout_s);
        else
            snprintf(sz, n, "timeout after %ld s", t->opts->timeout_s);
        return;
    case CURLE_WRITE_ERROR:
    case CURLE_FILESIZE_EXCEEDED:
        if (rc == CURLE_FILESIZE_EXCEEDED || t->over_cap) {
            r->err = ERR_TOO_LARGE;
            snprintf(sz, n, "body over %zu bytes", t->opts->max_bytes);
            return;
        }
        break;
    case CURLE_COULDNT_CONNECT:
        if (oserr == ECONNREFUSED) {
            r->err = ERR_NETWORK;
            snprintf(sz, n, "connection refused");
            return;
        }
        break;
    case CURLE_COULDNT_RESOLVE_HOST:
        r->err = ERR_NETWORK;
        snprintf(sz, n, "cannot resolve host: %.200s", detail);
        return;
    case CURLE_TOO_MANY_REDIRECTS:
        r->err = ERR_NETWORK;
        snprintf(sz, n, "too many redirects (over %d)", HTTP_MAX_REDIRS);
        return;
    case CURLE_OUT_OF_MEMORY:
        /* libcurl 7.88 reports an over-long header line (its limit is
         * 100 KB) as out of memory, without a message. */
        if (r->status > 0) {
            r->err = ERR_TOO_LARGE;
            snprintf(sz, n, "response header over 100 KB (or out of memory)");
            return;
        }
        break;
    case CURLE_ABORTED_BY_CALLBACK:
        r->err = ERR_STOPPED;
        snprintf(sz, n, "interrupted before the transfer ended");
        return;
    case CURLE_UNSUPPORTED_PROTOCOL:
        if (strstr(detail, "HTTP/0.9")) {
            /* libcurl's name for a reply without a status line. */
            r->err = ERR_NETWORK;
            snprintf(sz, n, "the reply is not HTTP (no status line)");
            return;
        }
        r->err = ERR_SCHEME;
        snprintf(sz, n, "redirect to a non-http(s) URL: %.200s", detail);
        return;
    case CURLE_RECV_ERROR:
        if (oserr == ECONNRESET) {
            r->err = ERR_NETWORK;
            snprintf(sz, n, "connection reset by peer");
            return;
        }
        break;
    default:
        break;
    }
    r->err = ERR_NETWORK;
    snprintf(sz, n, "%s", detail);
}

/* The last response's header `name` (a copy), or NULL. */
static char *dup_header(CURL *e, const char *name)
{
    struct curl_header *h = NULL;

    if (curl_easy_header(e, name, 0, CURLH_HEADER, -1, &h) != CURLHE_OK || !h ||
        !h->value)
        return NULL;
    return strdup(h->value);
}

/* The last response's status line and headers as received (names and
 * values; libcurl keeps no reason phrase, the usual one is written),
 * CRLF-terminated lines and the empty line.  NULL when out of memory. */
static char *header_block(CURL *e, long status)
{
    struct curl_header *h, *prev = NULL;
    struct buf b;
    long version = 0;
    const char *phrase = reason_phrase(status);

    buf_init(&b, HTTP_HEADERS_MAX);
    curl_easy_getinfo(e, CURLINFO_HTTP_VERSION, &version);
    buf_addf(&b, "HTTP/%s %ld%s%s\r\n",
             version == CURL_HTTP_VERSION_1_0   ? "1.0"
             : version == CURL_HTTP_VERSION_2_0 ? "2"
             : version == CURL_HTTP_VERSION_3   ? "3"
                                                : "1.1",
             status, *phrase ? " " : "", phrase);
    while ((h = curl_easy_nextheader(e, CURLH_HEADER, -1, prev))) {
        /* A session is a secret: its value is never stored. */
        bool secret = !strcasecmp(h->name, "Set-Cookie");
        buf_addf(&b, "%s: %s\r\n", h->name,
                 secret     ? HTTP_SECRET
                 : h->value ? h->value
                            : "");
        prev = h;
    }
    if (buf_adds(&b, "\r\n"))
        return NULL; /* too large or out of memory: released */
    return buf_detach(&b, NULL);
}

static char *dup_info(CURL *e, CURLINFO what)
{
    char *s = NULL;

    if (curl_easy_getinfo(e, what, &s) != CURLE_OK || !s)
        return NULL;
    return strdup(s);
}

void http_transfer_result(struct transfer *t, CURLcode rc, struct response *r)
{
    curl_off_t us = 0, after = 0;

    memset(r, 0, sizeof(*r));
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &r->status);
    curl_easy_getinfo(t->easy, CURLINFO_TOTAL_TIME_T, &us);
    r->fetch_ms = (long)(us / 1000);
    r->content_type = dup_info(t->easy, CURLINFO_CONTENT_TYPE);
    if (curl_easy_getinfo(t->easy, CURLINFO_RETRY_AFTER, &after) == CURLE_OK &&
        after > 0)
        r->retry_after_s = (long)after;
    r->body = t->body.data;
    r->len = t->body.len;
    if (rc != CURLE_OK) {
        curl_reason(t, rc, r);
        r->body = "";
        r->len = 0;
        return;
    }
    r->final_url = dup_info(t->easy, CURLINFO_EFFECTIVE_URL);
    r->etag = dup_header(t->easy, "ETag");
    r->last_modified = dup_header(t->easy, "Last-Modified");
    if (t->opts->keep_headers)
        r->headers = header_block(t->easy, r->status);
    if (r->status >= 400) {
        const char *phrase = reason_phrase(r->status);
        r->err = ERR_NETWORK;
        snprintf(r->error, sizeof(r->error), "HTTP %ld%s%s", r->status,
                 *phrase ? " " : "", phrase);
    }
}

enum err http_response_take_body(struct transfer *t, struct response *r)
{
    char *body;

    if (r->body != t->body.data || !t->body.cap)
        return ERR_OK; /* empty or already taken: nothing to move */
    body = buf_detach(&t->body, NULL);
    if (!body)
        return ERR_NOMEM;
    r->owned_body = body;
    r->body = body;
    return ERR_OK;
}

void response_error(struct response *r, enum err e, const char *fmt, ...)
{
    va_list ap;

    memset(r, 0, sizeof(*r));
    r->body = "";
    r->err = e;
    va_start(ap, fmt);
    vsnprintf(r->error, sizeof(r->error), fmt, ap);
    va_end(ap);
}

void response_release(struct response *r)
{
    free(r->final_url);
    free(r->content_type);
    free(r->owned_body);
    free(r->etag);
    free(r->last_modified);
    free(r->headers);
    free(r->body_hash);
    r->body_hash = NULL;
    r->final_url = NULL;
    r->content_type = NULL;
    r->owned_body = NULL;
    r->etag = r->last_modified = r->headers = NULL;
    r->body = "";
    r->len = 0;
}

bool response_has_body(const struct response *r)
{
    return r->status > 0 && r->status != 304 &&
           (r->err == ERR_OK || r->status >= 400);
}

/* A throwaway handle on the cookie store `share`. */
static CURL *cookie_handle(CURLSH *share)
{
    CURL *e = curl_easy_init();

    if (e && curl_easy_setopt(e, CURLOPT_SHARE, share) != CURLE_OK) {
        curl_easy_cleanup(e);
        e = NULL;
    }
    return e;
}

enum err http_cookies_load(CURLSH *share, const char *file)
{
    CURL *e = cookie_handle(share);
    enum err err = ERR_NOMEM;

    if (e && curl_easy_setopt(e, CURLOPT_COOKIEFILE, file) == CURLE_OK &&
        curl_easy_setopt(e, CURLOPT_COOKIELIST, "RELOAD") == CURLE_OK)
        err = ERR_OK;
    if (e)
        curl_easy_cleanup(e);
    return err;
}

enum err http_cookies_save(CURLSH *share, const char *jar)
{
    CURL *e = cookie_handle(share);
    enum err err = ERR_NOMEM;
    FILE *f;

    /* libcurl says nothing when it cannot write the jar: find out first. */
    if (!(f = fopen(jar, "a"))) {
        if (e)
            curl_easy_cleanup(e);
        return ERR_IO;
    }
    fclose(f);
    if (e && curl_easy_setopt(e, CURLOPT_COOKIEJAR, jar) == CURLE_OK &&
        curl_easy_setopt(e, CURLOPT_COOKIELIST, "FLUSH") == CURLE_OK)
        err = ERR_OK;
    if (e)
        curl_easy_cleanup(e);
    return err;
}
