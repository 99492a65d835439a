/*
 * serve_api.h - what scrape serve answers on each path (see serve.h for
 * the list), independent of the HTTP library: serve.c fills a request,
 * api_answer() fills the status, body and headers.
 */
#ifndef SCRAPE_SERVE_API_H
#define SCRAPE_SERVE_API_H

#include <stdbool.h>

#include <sqlite3.h>

#include "scrape/buf.h"
#include "scrape/err.h"

struct search;

/* Called for each query argument; false stops. */
typedef bool (*api_arg_fn)(void *ctx, const char *name, const char *value);

struct api_req {
    /* In: */
    const char *path;          /* decoded path, without the query */
    sqlite3 *db;               /* a read-only connection, borrowed */
    struct search *search;     /* searches on db (search.h) */
    long deadline;             /* clock_ms() past which queries stop */
    const char *if_none_match; /* the header, or NULL */
    void *conn;                /* for arg and each_arg */
    const char *(*arg)(void *conn, const char *name);
    void (*each_arg)(void *conn, api_arg_fn fn, void *ctx);
    /* Out: */
    int status;
    const char *ctype; /* Content-Type; NULL: JSON */
    struct buf body;
    char link[1024]; /* Link header, or "" */
    char etag[80];   /* ETag header, or "" */
    bool timed_out;  /* set by the progress handler */
};

/* Answers request `r`. */
void api_answer(struct api_req *r);

/* Makes `r` the error answer {"error": msg} with `status`. */
void api_error(struct api_req *r, int status, const char *msg);

/* Decimal digits only (at most 16) as a number: what ids, limits and
 * other numeric arguments must be. */
bool api_number(const char *s, long long *out);

/* True when run `run` has a selector of `kind` ("field", "rule")
 * called `name`. */
bool api_has_selector(struct api_req *r, long long run, const char *kind,
                      const char *name);

/* The marks search_run puts around matches in snippets: control
 * characters, which are not XML characters and so never reach a page's
 * text through libxml2; they cannot be confused with the text. */
#define API_MARK_ON  "\x02"
#define API_MARK_OFF "\x03"

/* Appends a snippet marked with API_MARK_ON/OFF as HTML: the text
 * escaped, the matches in <mark>.  ERR_NOMEM, ERR_TOO_LARGE. */
enum err api_snippet_html(struct buf *b, const char *snippet);

/* Appends s[0..n) with HTML's special characters (& < > " ') escaped, for
 * element text and attribute values.  ERR_NOMEM, ERR_TOO_LARGE. */
enum err api_html(struct buf *b, const char *s, size_t n);

#endif
