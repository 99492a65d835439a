/*
 * http.h - the one place that configures a libcurl easy handle.
 *
 * A `struct transfer` is one reusable request slot: it owns an easy
 * handle configured once (timeouts, redirects, size cap, http/https only,
 * NOSIGNAL, compression) and a capped body buffer.  Engines prepare it
 * with a URL, run it (blocking or in a multi handle), then turn the
 * outcome into a `struct response` with http_transfer_result(), which
 * translates CURLcode and HTTP status into one readable error string.
 *
 * The transfer is reachable from its easy handle via CURLOPT_PRIVATE.
 * A transfer is used by one thread at a time.
 */
#ifndef SCRAPE_HTTP_H
#define SCRAPE_HTTP_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>

#include "scrape/buf.h"
#include "scrape/err.h"

/* Redirects followed before a fetch is an error ("too many redirects"). */
#define HTTP_MAX_REDIRS 10

/* Room for the readable error text of one fetch. */
#define HTTP_ERROR_MAX 256

/* What a kept header block (--keep-bodies) has in place of a secret
 * value (Set-Cookie). */
#define HTTP_SECRET "(not stored)"

/* Largest header block kept (--keep-bodies); larger ones are not kept. */
#define HTTP_HEADERS_MAX (256L * 1024)

struct http_opts {
    long timeout_s;         /* whole transfer */
    long connect_timeout_s; /* TCP (and TLS) connect */
    size_t max_bytes;       /* body cap, after decompression */
    const char *user_agent; /* borrowed for the life of the transfers */
    /* When *stop becomes non-zero, a running transfer is aborted after
     * stop_grace_ms ("interrupted before the transfer ended").  NULL: never. */
    const volatile sig_atomic_t *stop;
    long stop_grace_ms;
    CURLSH *share;     /* the engine's libcurl share: the crawl's cookie store
                          (and, across threads, DNS and TLS sessions), or NULL */
    bool keep_headers; /* fill response.headers (--keep-bodies) */
    /* -H: "Name: value" lines sent with every request (borrowed; checked
     * by the command line: a name, a colon, no CR or LF). */
    const char *const *headers;
    size_t nheaders;
    const char *userpwd; /* -u USER:PASSWORD, or NULL (borrowed) */
    /* TLS: trust added to the system's (--cacert, --capath), no
     * verification at all (-k), a client certificate (--cert, --key). */
    const char *cacert, *capath, *cert, *key;
    bool insecure;
};

struct transfer {
    CURL *easy;
    struct buf body;   /* capped at opts->max_bytes */
    bool over_cap;     /* the write callback refused the body */
    long stop_seen_ms; /* when the stop request was first seen */
    char errbuf[CURL_ERROR_SIZE];
    const struct http_opts *opts; /* borrowed */
    struct curl_slist *base;      /* the -H headers, or NULL */
    struct curl_slist *headers;   /* this request's: base + validators */
    void *data;                   /* the engine's; untouched here */
};

/* The outcome of one fetch.  Strings are owned by the response.  `body`
 * is borrowed from the transfer until its next prepare, unless
 * http_response_take_body() moved it into `owned_body`. */
struct response {
    long status;        /* HTTP status, 0 when no response */
    char *final_url;    /* after redirects; NULL on failure */
    char *content_type; /* as sent, NULL when absent */
    const char *body;   /* NUL-terminated; "" on failure */
    char *owned_body;   /* the body when taken from the transfer, or NULL */
    size_t len;
    long fetch_ms;
    long retry_after_s;  /* the server's Retry-After, 0 when none */
    char *etag;          /* the ETag header, NULL when absent */
    char *last_modified; /* the Last-Modified header, NULL when absent */
    char *headers;       /* status line and headers (keep_headers), or NULL */
    char *body_hash;     /* the body's hash when computed already, or NULL */
    enum err err;        /* ERR_OK only for a 2xx/3xx response with body */
    char error[HTTP_ERROR_MAX]; /* readable reason when err != ERR_OK */
};

/* Creates the easy handle for `t` and configures it from `o` (borrowed,
 * must outlive t), the -H headers included.  Returns ERR_NOMEM when
 * libcurl cannot. */
enum err http_transfer_init(struct transfer *t, const struct http_opts *o);

/* Frees the handle and body.  Twice is a no-op. */
void http_transfer_release(struct transfer *t);

/* Points the transfer at `url` (copied by libcurl) and empties the body. */
enum err http_transfer_prepare(struct transfer *t, const char *url);

/* After http_transfer_prepare: whether this request may answer an
 * authentication challenge with -u's credentials (Basic or Digest, as
 * the server asks; like curl --anyauth).  Never to a host a redirect
 * leads to: libcurl keeps credentials to the host they were set for.
 * ERR_NOMEM. */
enum err http_transfer_auth(struct transfer *t, bool send);

/* Longest validator sent back (a server's ETag is usually tens of
 * bytes; a longer one is not sent). */
#define HTTP_VALIDATOR_MAX 1024

/* After http_transfer_prepare: asks only for a changed page, sending
 * If-None-Match: `etag` and If-Modified-Since: `last_modified` (either
 * may be NULL). ERR_NOMEM. */
enum err http_transfer_validators(struct transfer *t, const char *etag,
                                  const char *last_modified);

/* Fills `r` from the finished transfer and its CURLcode `rc`.  Release
 * `r` with response_release(). */
void http_transfer_result(struct transfer *t, CURLcode rc, struct response *r);

/* Moves the body out of the transfer into `r`, so the transfer can start
 * its next fetch while the response is still being processed.  Returns
 * ERR_NOMEM (body left borrowed) when the move cannot allocate. */
enum err http_response_take_body(struct transfer *t, struct response *r);

/* The crawl's cookie store is a libcurl share of CURL_LOCK_DATA_COOKIE
 * (every transfer's handle has the cookie engine on).  Loads the
 * Netscape cookie file `file` (as curl, wget and browser exports write
 * it) into it: ERR_NOMEM.  A line libcurl cannot read is skipped, as
 * curl does. */
enum err http_cookies_load(CURLSH *share, const char *file);

/* Writes every cookie of the store to `jar` (Netscape format):
 * ERR_IO (errno set) when the file cannot be written, ERR_NOMEM. */
enum err http_cookies_save(CURLSH *share, const char *jar);

/* Frees the strings a response owns.  Twice is a no-op. */
void response_release(struct response *r);

/* True when `r` carries a body as the server sent it: a success or an
 * HTTP error page, not a transfer that failed or went over --max-bytes. */
bool response_has_body(const struct response *r);

/* Fills `r` as the outcome of a fetch that never got an answer: no
 * status, no body, error `e` with the formatted reason. */
void response_error(struct response *r, enum err e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
