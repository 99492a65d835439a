/*
 * serve.c - the HTTP side of scrape serve (see serve.h): libmicrohttpd,
 * the connection pool, routing, limits and error answers.  What each
 * path answers is serve_api.c's.
 *
 * libmicrohttpd runs a small pool of threads; each request borrows one
 * read-only SQLite connection for its whole answer (there are as many as
 * threads, so borrowing never waits long), with a progress handler that
 * interrupts a statement past the request's deadline.
 */
#include "scrape/serve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

#include <microhttpd.h>
#include <sqlite3.h>

#include "scrape/clock.h"
#include "scrape/query.h"
#include "scrape/search.h"
#include "scrape/serve_api.h"
#include "scrape/serve_html.h"

/* Bytes of request (line, headers) one connection may use. */
#define SERVE_CONN_MEMORY (64 * 1024)

/* The longest request target (path and query) and the most query
 * arguments one request may carry.  libmicrohttpd 0.9.75 stores every
 * argument (~50 bytes each) in the connection's memory pool before
 * scrape sees the request; when the pool runs out it cannot build even
 * its own error answer, and the client hears nothing until the idle
 * timeout (1,000 arguments did it with a 64 KB pool).  So the target is
 * checked as it arrives (check_target, before the arguments are parsed)
 * and a request past these limits is answered there.  Within them the
 * arguments take at most ~4 KB of the pool.  No path needs more than a
 * dozen arguments (at most 8 field filters). */
#define SERVE_MAX_TARGET 8192
#define SERVE_MAX_ARGS   64

struct pool {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    sqlite3 **db;
    struct search **search; /* one per connection */
    bool *busy;
    unsigned n;
};

struct server {
    const struct serve_opts *o;
    struct pool pool;
};

static sqlite3 *borrow(struct pool *p, struct search **search)
{
    sqlite3 *db = NULL;
    unsigned i;

    pthread_mutex_lock(&p->lock);
    while (!db) {
        for (i = 0; i < p->n && !db; i++)
            if (!p->busy[i]) {
                p->busy[i] = true;
                db = p->db[i];
                *search = p->search[i];
            }
        if (!db)
            pthread_cond_wait(&p->cond, &p->lock);
    }
    pthread_mutex_unlock(&p->lock);
    return db;
}

static void give_back(struct pool *p, sqlite3 *db)
{
    unsigned i;

    pthread_mutex_lock(&p->lock);
    for (i = 0; i < p->n; i++)
        if (p->db[i] == db)
            p->busy[i] = false;
    pthread_cond_signal(&p->cond);
    pthread_mutex_unlock(&p->lock);
}

static void pool_close(struct pool *p)
{
    unsigned i;

    for (i = 0; p->db && i < p->n; i++)
        sqlite3_close(p->db[i]);
    /* After the connections: FTS5 points into them until then. */
    for (i = 0; p->search && i < p->n; i++)
        search_free(p->search[i]);
    free(p->search);
    free(p->db);
    free(p->busy);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->cond);
}

static enum err pool_open(struct pool *p, const char *path, unsigned n,
                          char *why, size_t wn)
{
    unsigned i;
    enum err e;

    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->cond, NULL);
    p->n = n;
    p->db = calloc(n, sizeof(*p->db));
    p->search = calloc(n, sizeof(*p->search));
    p->busy = calloc(n, sizeof(*p->busy));
    if (!p->db || !p->search || !p->busy)
        return ERR_NOMEM;
    for (i = 0; i < n; i++) {
        if (sqlite3_open_v2(path, &p->db[i],
                            SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
                            NULL) != SQLITE_OK) {
            snprintf(why, wn, "cannot open '%.300s': %s", path,
                     sqlite3_errmsg(p->db[i]));
            return ERR_IO;
        }
        sqlite3_busy_timeout(p->db[i], 2000);
        if ((e = search_new(p->db[i], &p->search[i], why, wn)))
            return e;
    }
    return ERR_OK;
}

/* The progress handler: non-zero interrupts the statement. */
static int past_deadline(void *arg)
{
    struct api_req *r = arg;

    /* Strictly before: a limit of 0 stops every query at its first
     * check (1,000 virtual machine steps). */
    if (clock_ms() < r->deadline)
        return 0;
    r->timed_out = true;
    return 1;
}

static const char *arg_of(void *ctx, const char *name)
{
    return MHD_lookup_connection_value(ctx, MHD_GET_ARGUMENT_KIND, name);
}

struct each_ctx {
    api_arg_fn fn;
    void *fctx;
};

static enum MHD_Result each_arg_cb(void *cls, enum MHD_ValueKind kind,
                                   const char *key, const char *value)
{
    struct each_ctx *e = cls;

    (void)kind;
    return e->fn(e->fctx, key, value ? value : "") ? MHD_YES : MHD_NO;
}

static void each_arg(void *ctx, api_arg_fn fn, void *fctx)
{
    struct each_ctx e = {fn, fctx};

    MHD_get_connection_values(ctx, MHD_GET_ARGUMENT_KIND, each_arg_cb, &e);
}

static enum MHD_Result send_answer(struct MHD_Connection *c,
                                   const struct api_req *r)
{
    struct MHD_Response *resp;
    enum MHD_Result ret;
    bool empty = r->status == 304;

    /* MUST_COPY: the buffer is only read (the cast is libmicrohttpd's). */
    resp = MHD_create_response_from_buffer(empty ? 0 : r->body.len,
                                           empty ? NULL : (void *)r->body.data,
                                           MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, "Content-Type",
                            r->ctype ? r->ctype
                                     : "application/json; charset=utf-8");
    /* No page may run a script, inline or fetched, nor be framed. */
    MHD_add_response_header(resp, "Content-Security-Policy",
                            "default-src 'none'; style-src 'self'; img-src"
                            " 'self' data:; form-action 'self'; base-uri"
                            " 'none'; frame-ancestors 'none'");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Cache-Control", "no-cache");
    if (r->status == 405)
        MHD_add_response_header(resp, "Allow", "GET, HEAD");
    if (r->link[0])
        MHD_add_response_header(resp, "Link", r->link);
    if (r->etag[0])
        MHD_add_response_header(resp, "ETag", r->etag);
    ret = MHD_queue_response(c, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* What check_target returns for a request it answered itself: the
 * handler then closes the connection without answering. */
static char refused_mark;

/* Answers a request that cannot be read whole on its socket, at once:
 * `status` and {"error": msg} (a short page for the HTML paths), then
 * shuts the connection down, whatever libmicrohttpd does with the rest. */
static void refuse(struct MHD_Connection *c, const char *uri, int status,
                   const char *reason, const char *msg)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    bool api = !strncmp(uri, "/api", 4);
    char body[256], out[512];
    int len, k;

    if (!ci)
        return;
    len = snprintf(body, sizeof(body),
                   api ? "{\"error\": \"%s\"}\n"
                       : "<!DOCTYPE html><title>%s</title><p>%s</p>\n",
                   msg, msg);
    k = snprintf(out, sizeof(out),
                 "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d"
                 "\r\nConnection: close\r\n\r\n%s",
                 status, reason,
                 api ? "application/json; charset=utf-8"
                     : "text/html; charset=utf-8",
                 len, body);
    /* The connection's own thread runs this callback: nothing else
     * writes the socket meanwhile.  Small enough for one send; if it
     * fails the client is gone and there is nobody to tell. */
    (void)send(ci->connect_fd, out, (size_t)k, MSG_NOSIGNAL | MSG_DONTWAIT);
    shutdown(ci->connect_fd, SHUT_RDWR);
}

/* MHD_OPTION_URI_LOG_CALLBACK: sees each request target before
 * libmicrohttpd parses its arguments (see SERVE_MAX_ARGS). */
static void *check_target(void *cls, const char *uri, struct MHD_Connection *c)
{
    size_t args = 0;
    const char *q = strchr(uri, '?');

    (void)cls;
    if (strlen(uri) > SERVE_MAX_TARGET) {
        refuse(c, uri, 414, "URI Too Long", "request target over 8192 bytes");
        return &refused_mark;
    }
    for (; q && *q; q++)
        args += *q == '?' || *q == '&';
    if (args > SERVE_MAX_ARGS) {
        refuse(c, uri, 414, "URI Too Long", "more than 64 query arguments");
        return &refused_mark;
    }
    return NULL;
}

/* True when the request's headers say a body follows. */
static bool announces_body(struct MHD_Connection *c)
{
    const char *cl =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
    const char *te =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Transfer-Encoding");

    return te || (cl && strspn(cl, "0") != strlen(cl));
}

/* Answers {"error": msg} with `status` at once. */
static enum MHD_Result answer_error(struct MHD_Connection *c, int status,
                                    const char *msg)
{
    struct api_req r;
    enum MHD_Result ret;

    memset(&r, 0, sizeof(r));
    buf_init(&r.body, 4096);
    api_error(&r, status, msg);
    ret = send_answer(c, &r);
    buf_release(&r.body);
    return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c,
                              const char *url, const char *method,
                              const char *version, const char *upload,
                              size_t *upload_size, void **state)
{
    struct server *s = cls;
    struct api_req r;
    enum MHD_Result ret;

    (void)version;
    (void)upload;
    (void)upload_size;
    if (*state == &refused_mark)
        return MHD_NO; /* answered by check_target */
    if (!*state) {
        /* First call per request: headers only, answer on the next.  A
         * whole request arrived: from now on the connection may wait
         * for the next one as long as keep-alive allows. */
        *state = (void *)1;
        MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT,
                                  (unsigned)s->o->keepalive_s);
        /* Refused now, before any body is read: answered later, a
         * request with a body got no answer at all (libmicrohttpd 0.9.75
         * will not queue one while upload data is pending). */
        if (strcmp(method, "GET") && strcmp(method, "HEAD"))
            return answer_error(c, 405, "only GET and HEAD");
        if (announces_body(c))
            return answer_error(c, 400, "this server takes no request body");
        return MHD_YES;
    }
    memset(&r, 0, sizeof(r));
    buf_init(&r.body, (size_t)64 * 1024 * 1024);
    r.path = url;
    r.conn = c;
    r.arg = arg_of;
    r.each_arg = each_arg;
    r.if_none_match =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, "If-None-Match");
    /* A GET or HEAD without a body: the first call refused the rest. */
    r.db = borrow(&s->pool, &r.search);
    r.deadline = clock_ms() + s->o->time_limit_ms;
    sqlite3_progress_handler(r.db, 1000, past_deadline, &r);
    if (strncmp(url, "/api/", 5) && strcmp(url, "/api")) {
        if (!html_answer(&r))
            api_error(&r, 404, "no such path; try / or /api/runs");
    } else {
        api_answer(&r);
    }
    sqlite3_progress_handler(r.db, 0, NULL, NULL);
    give_back(&s->pool, r.db);
    ret = send_answer(c, &r);
    buf_release(&r.body);
    return ret;
}

/* Parses "HOST:PORT" or "[HOST6]:PORT" into `addr`. */
static bool parse_listen(const char *spec, struct sockaddr_storage *addr,
                         bool *loopback)
{
    char host[128];
    const char *colon, *h = spec;
    size_t hn;
    char *end;
    long port;

    memset(addr, 0, sizeof(*addr));
    if (*spec == '[') {
        const char *close = strchr(spec, ']');
        if (!close || close[1] != ':')
            return false;
        h = spec + 1;
        hn = (size_t)(close - h);
        colon = close + 1;
    } else {
        if (!(colon = strrchr(spec, ':')))
            return false;
        hn = (size_t)(colon - spec);
    }
    if (!hn || hn >= sizeof(host))
        return false;
    memcpy(host, h, hn);
    host[hn] = '\0';
    errno = 0;
    port = strtol(colon + 1, &end, 10);
    if (errno || *end || end == colon + 1 || port < 0 || port > 65535)
        return false;
    if (!strcmp(host, "localhost"))
        strcpy(host, "127.0.0.1");
    if (*spec == '[') {
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)addr;
        if (inet_pton(AF_INET6, host, &a6->sin6_addr) != 1)
            return false;
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        *loopback = IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr);
    } else {
        struct sockaddr_in *a4 = (struct sockaddr_in *)addr;
        if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
            return false;
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)port);
        *loopback = (ntohl(a4->sin_addr.s_addr) >> 24) == 127;
    }
    return true;
}

/* Raises the soft limit on open files so that max_conns connections
 * (and the database's and the threads' own) fit, as far as the hard
 * limit allows: the default soft limit of 1024 would refuse clients long
 * before the connection limit does. */
static void room_for_connections(unsigned max_conns)
{
    struct rlimit rl;
    rlim_t want = (rlim_t)max_conns + 256;

    if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur >= want)
        return;
    rl.rlim_cur =
        rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

enum err serve_run(const struct serve_opts *o,
                   const volatile sig_atomic_t *stop, char *why, size_t n)
{
    struct server s = {.o = o};
    struct sockaddr_storage addr;
    struct MHD_Daemon *d = NULL;
    const union MHD_DaemonInfo *info;
    struct query *q = NULL;
    char *qwhy = NULL, shown[160];
    bool loopback = true;
    enum err e;

    if (!parse_listen(o->listen, &addr, &loopback)) {
        snprintf(why, n,
                 "--listen wants HOST:PORT or [HOST6]:PORT, got '%.100s'",
                 o->listen);
        return ERR_INVALID;
    }
    /* The same checks, and one-line reasons, as the other subcommands. */
    if ((e = query_open(o->db_path, &q, &qwhy))) {
        snprintf(why, n, "%s", qwhy ? qwhy : err_str(e));
        free(qwhy);
        return ERR_IO;
    }
    query_close(q);
    room_for_connections(o->max_conns);
    if ((e = pool_open(&s.pool, o->db_path, o->threads, why, n)))
        goto out;
    d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO |
            (addr.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
        0, NULL, NULL, handle, &s, MHD_OPTION_SOCK_ADDR, &addr,
        MHD_OPTION_THREAD_POOL_SIZE, o->threads, MHD_OPTION_CONNECTION_LIMIT,
        o->max_conns, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        loopback ? 0U : o->per_ip, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)o->first_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)SERVE_CONN_MEMORY, MHD_OPTION_URI_LOG_CALLBACK, check_target,
        NULL, MHD_OPTION_END);
    if (!d) {
        snprintf(why, n, "cannot listen on %.100s: %s", o->listen,
                 strerror(errno ? errno : EADDRINUSE));
        e = ERR_IO;
        goto out;
    }
    info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    if (addr.ss_family == AF_INET6) {
        char h[INET6_ADDRSTRLEN];
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&addr)->sin6_addr, h,
                  sizeof(h));
        snprintf(shown, sizeof(shown), "[%s]:%u", h,
                 info ? (unsigned)info->port : 0);
    } else {
        char h[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &((struct sockaddr_in *)&addr)->sin_addr, h,
                  sizeof(h));
        snprintf(shown, sizeof(shown), "%s:%u", h,
                 info ? (unsigned)info->port : 0);
    }
    if (!loopback)
        fprintf(stderr,
                "scrape serve: warning: listening on %s, not a loopback"
                " address: anyone who can reach it can read the whole"
                " database\n",
                shown);
    printf("serving http://%s/ (read-only %s)\n", shown, o->db_path);
    fflush(stdout);
    while (!*stop)
        sleep_ms(100);
out:
    if (d)
        MHD_stop_daemon(d);
    pool_close(&s.pool);
    return e;
}
