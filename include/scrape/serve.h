/*
 * serve.h - scrape serve: a database's runs, pages and items over HTTP,
 * as a JSON API and as pages for people (serve_html.h; libmicrohttpd).
 *
 * GET only, read-only: every request borrows one of the server's own
 * read-only SQLite connections (one per server thread), so a crawl may
 * write the same database (WAL) meanwhile.  Every query runs under a time
 * limit (sqlite3_progress_handler): past it the answer is 503.  Request
 * text never becomes SQL: parameters are bound.  Errors are JSON
 * {"error": "..."}: 400 for a bad parameter, 404 for an unknown run,
 * page or path, 405 for another method, 414 for a request target over
 * 8192 bytes or with more than 64 arguments (answered as it arrives),
 * 503 for the time limit.
 *
 *   /api/runs                     every run, newest first
 *   /api/runs/N                   one run's figures (as scrape stats)
 *   /api/runs/N/pages             its pages: ?status= ?host= ?q= (in the
 *                                 URL) ?after=ID ?limit= (<= 1000)
 *   /api/pages/ID                 one page: record, fields, links, items
 *   /api/runs/N/items             its items: ?field.NAME=VALUE ?after=
 *                                 ?limit=
 *   /api/search                   scrape search: ?q= ?run= ?limit=
 *   /api/runs/N/dupes             scrape dupes: ?distance=
 * Lists are ordered by id and paged by keyset: `after` is the last id
 * seen; the body's "next" and a Link: rel="next" header give the next
 * page's URL while there may be more.  Answers about a finished run
 * carry an ETag and honour If-None-Match (its rows no longer change).
 */
#ifndef SCRAPE_SERVE_H
#define SCRAPE_SERVE_H

#include <signal.h>
#include <stddef.h>

#include "scrape/err.h"

/* Connections: idle ones must not crowd out clients.  An idle
 * connection costs the server ~1 KB (2,000 held open: +1.9 MB of RSS),
 * so thousands fit (serve raises its open-file limit to match); one
 * that has not sent a whole request after SERVE_FIRST_S of silence is
 * closed (idle sockets, abandoned headers), one that has, after
 * SERVE_KEEPALIVE_S between requests.  On an address that is not
 * loopback one client address may hold SERVE_PER_IP of them.  (A client
 * trickling its header a line at a time holds its one connection: the
 * timeouts count silence, not time.) */
#define SERVE_MAX_CONNS   2048
#define SERVE_PER_IP      64
#define SERVE_FIRST_S     5
#define SERVE_KEEPALIVE_S 15

/* Rows a list gives at most, and by default. */
#define SERVE_LIMIT_MAX     1000
#define SERVE_LIMIT_DEFAULT 100

struct serve_opts {
    const char *db_path;
    const char *listen; /* "HOST:PORT" (IPv4 or [IPv6]); port 0: any */
    long time_limit_ms; /* per query */
    unsigned threads;   /* server threads */
    unsigned max_conns; /* open client connections at most */
    unsigned per_ip;    /* ... from one address (not on loopback) */
    long first_s;       /* a connection silent this long before its first
                           request is complete is closed */
    long keepalive_s;   /* ... and this long between requests */
};

/* Serves until *stop becomes non-zero.  Prints "serving http://HOST:PORT/"
 * on stdout once listening (the real port when 0 was asked), and a
 * warning on stderr when HOST is not a loopback address.  Fails before
 * serving with a one-line reason in `why` (n bytes): ERR_IO (the
 * database cannot be opened, is not a scrape database, the address is
 * bad or taken), ERR_NOMEM. */
enum err serve_run(const struct serve_opts *o,
                   const volatile sig_atomic_t *stop, char *why, size_t n);

#endif
