/*
 * err.h - the project-wide error enum and its messages.
 *
 * Every fallible function in scrape returns an `enum err`; results travel
 * through OUT parameters.  Third-party codes (CURLcode, HTTP status,
 * sqlite3 result codes) are translated at the module boundary and their
 * original text is kept by the caller as detail (see http.h, store.h).
 */
#ifndef SCRAPE_ERR_H
#define SCRAPE_ERR_H

enum err {
    ERR_OK = 0,
    ERR_NOMEM,     /* allocation failed */
    ERR_IO,        /* read/write/open failed (errno has the reason) */
    ERR_TOO_LARGE, /* a capped buffer or input would exceed its cap */
    ERR_TIMEOUT,   /* operation timed out */
    ERR_BAD_URL,   /* not a URL we can parse */
    ERR_SCHEME,    /* URL scheme other than http/https */
    ERR_INVALID,   /* malformed input (option value, seed line, frame) */
    ERR_DB,        /* database error (detail from the store) */
    ERR_NETWORK,   /* transfer failed (detail from http) */
    ERR_PARSE,     /* document could not be parsed at all */
    ERR_STOPPED,   /* interrupted by a signal */
    ERR__COUNT
};

/* Returns a static, human-readable description of `e`; never NULL. */
const char *err_str(enum err e);

#endif
