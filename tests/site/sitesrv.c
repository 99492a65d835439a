/*
 * sitesrv.c - the local test, demo and benchmark site (libmicrohttpd).
 *
 *   sitesrv [--port P] [--pages N] [--fanout K] [--latency MS]
 *           [--page-size BYTES] [--nested 0|1] [--lifetime SEC]
 *           [--robots 0|1|2] [--quote-pages N] [--shop-products N]
 *           [--slow MS]
 *           [--slow-levels N] [--slow-gate 0|1] [--hold N]
 *
 * --nested 1 renders the CPU-heavy profile: deeply nested review sections
 * with a link every ~1.2 KB instead of flat paragraphs.
 *
 * --slow MS makes one page per tree level (1..--slow-levels, default 3;
 * site_slow_page) answer after MS ms.  No slow page lies below another,
 * so a crawler that does not wait for levels finishes in about MS.  With
 * --slow-gate 1 the slow pages above the deepest one wait at most MS for
 * the deepest one to be requested, which only a crawler that fetches
 * ahead of unfinished levels does while they wait; /slow-report then
 * says "opened N timeouts M" (gates opened by that request, gates that
 * gave up) and closes the gate for the next crawl.
 *
 * --hold N holds every request for page N (0 is /index.html) until
 * /release is asked for (or HOLD_MAX_S pass): a test that must act while
 * a crawl is still running makes it so, whatever the machine's speed,
 * instead of hoping the crawl is slow enough.  /hold-report says "held K"
 * (requests waiting at the gate now); /release opens the gate for good.
 *
 * --validators 1 gives the site's pages ETag and Last-Modified headers
 * and answers 304 to a request that sends them back unchanged;
 * /change?page=N revises page N (new content, new validators), with
 * --validators 2 too (then without validators); /validator-report says
 * "conditional N not-modified M" (requests that sent a validator, 304s).
 *
 * /conn-report says "peak N": the most requests answered at once since
 * the last report (a crawler's politeness, seen from the server).
 * /gap-report says "pages N min-gap-ms G": how many site pages were asked
 * for since the last report and the shortest time between two of those
 * requests' arrivals (-1 with fewer than two): --delay seen from the
 * server, free of how long each answer took to reach the crawler.
 *
 * Listens on 127.0.0.1 (or --bind, an address of a test network; port 0
 * = a free one), prints the port on
 * stdout, and serves until SIGTERM/SIGINT or --lifetime seconds (default
 * 900) pass, so a forgotten server never outlives a test run for long.
 * One thread per connection: --latency sleeps in the handler without
 * stalling other requests.
 *
 * Besides the generated site (site.h) it serves fixtures for error paths:
 *   /status/CODE          that HTTP status with a small HTML body
 *   /redirect/N           a chain of N redirects ending at /index.html
 *   /loop                 a redirect to itself
 *   /slow?ms=N            waits N ms, then a small page
 *   /big?bytes=N          N bytes of HTML, chunked (no Content-Length)
 *   /gzip?bytes=N         N bytes of HTML sent gzip-compressed (a bomb
 *                         when N is large: 50 MB compresses to ~50 KB)
 *   /flaky?id=K&fail=N&status=S&after=A
 *                         answers S (default 503) with Retry-After: A (if
 *                         given) to the first N requests for id K, then 200
 *   /robots.txt           with --robots 1: disallow everything for '*'
 *                         and /book/2* but /book/2.html for "scrape";
 *                         with --robots 2: a Sitemap: line for the quotes
 *                         section's sitemap index; with --robots 3: every
 *                         kind of broken sitemap (/hostile-sitemaps/...);
 *                         without --robots but with --crawl-delay MS:
 *                         "Crawl-delay: MS/1000" for '*'; otherwise 404
 *   /sitemap.xml          a urlset of /book/1..3.html
 *   /quotes/...           the quotes section, --quote-pages pages
 *   /shop/...             the shop section (shop.h), --shop-products
 *                         products per category (default 20)
 *                         (default 10; see quotes.h)
 *   /robots-count         how many times /robots.txt was asked for
 *   /header-misses        with --need-header NAME:VALUE (every other
 *                         request without that header, value exact, is a
 *                         403): how many such requests came
 *   /basic/K              K = 1..12: behind Basic auth (alice:s3cret-pw),
 *                         linking to two others and to /basic/away, a
 *                         redirect to /auth-echo on host "localhost"
 *   /auth-leaks           requests to /auth-echo that carried credentials
 *   /limited-count        with --rate-limit N (more than N /book/ pages a
 *                         second are 429s with Retry-After: 1): how many
 *                         429s since the last look
 *   /login                a search form, then a login form with a CSRF
 *                         token; POSTed with the token, alice and
 *                         s3cret-pw: the members' session cookie and a
 *                         redirect to /members/1; else the form again
 *   /set-cookie           sets the cookie session=s3ss10n-42 and links to
 *   /members/K            K = 1..12: pages linking to two others, for a
 *                         request with that cookie; 403 without it
 *   /tracked              links to /book/1..3.html, some under tracking
 *                         parameters (utm_*, fbclid, gclid) beside a
 *                         real one (id=7)
 *   /xss                  a title, heading and link that are scripts
 *                         if a viewer of the records does not escape them
 *   /slow-report          with --slow-gate 1: "opened N timeouts M",
 *                         then closes the gate again for the next crawl
 *   /stall                headers and the first bytes, then nothing for a
 *                         minute (a transfer timeout must end it)
 *   /reset                half a page, then the connection is torn down
 *   /bigheader            a 200 KB response header
 *   /trap/N               a page linking to /trap/N+1, forever
 *   /hostile/html         200,000 nested elements, 50,000 links, a 100 KB
 *                         href, every non-http scheme, NUL bytes and
 *                         invalid UTF-8, nothing closed
 *   /data.json            a non-HTML resource
 *   /charset/header       ISO-8859-1 bytes, charset only in the header
 *   /charset/meta         windows-1252 bytes, charset only in <meta>
 *   /charset/none         ISO-8859-1 bytes, no charset anywhere
 *   /charset/sjis         Shift_JIS bytes, charset in the header
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <limits.h>
#include <microhttpd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "quotes.h"
#include "shop.h"
#include "site.h"

#define LATENCY_MAX_MS 60000
/* The longest a --hold keeps a request: a test that never releases it
 * still ends, with a failure of its own. */
#define HOLD_MAX_S    120
#define BIG_MAX_BYTES (4L * 1024 * 1024 * 1024)

/* Rendered pages are cached (a page never changes) while the cache holds
 * less than this, so the server stays far faster than any crawler. */
#define CACHE_MAX_BYTES (512L * 1024 * 1024)

struct cached {
    char *html;
    size_t len;
};

/* Request counters for /flaky, by id modulo this. */
#define FLAKY_IDS 256

struct server {
    struct site_opts site;
    unsigned flaky[FLAKY_IDS]; /* atomic */
    int robots;                /* robots.txt: 0 none, 1 rules, 2 sitemaps */
    long crawl_delay_ms;       /* --crawl-delay: a robots.txt asking it */
    const char *need_header;   /* --need-header NAME:VALUE, or NULL */
    char *tls_cert, *tls_key;  /* --tls-cert/--tls-key: HTTPS (PEM text) */
    unsigned auth_leaks;       /* atomic: credentials seen at /auth-echo */
    long rate_limit;           /* --rate-limit N: book pages per second */
    long rate_window;          /* the current second (ms), under rate_lock */
    long rate_count;           /* book pages asked for in it */
    unsigned limited;          /* atomic: 429s the limit answered */
    pthread_mutex_t rate_lock;
    unsigned header_misses; /* atomic: requests without it */
    unsigned quote_pages;   /* pages of the quotes section */
    unsigned shop_products; /* products per category of the shop */
    unsigned robots_hits;   /* atomic */
    unsigned latency_ms;
    unsigned slow_ms;     /* --slow */
    unsigned slow_levels; /* --slow-levels */
    int slow_gate;        /* --slow-gate */
    pthread_mutex_t gate_lock;
    pthread_cond_t gate_cond;
    bool gate_open;          /* the deepest slow page was requested */
    unsigned gate_opened;    /* under gate_lock */
    unsigned gate_timeouts;  /* under gate_lock */
    unsigned long hold_page; /* --hold: page N + 1, 0 = none */
    unsigned held;           /* requests waiting at the hold, under gate_lock */
    bool released;           /* /release was asked for, under gate_lock */
    struct timespec last_page; /* the last page request's arrival, and */
    long min_gap_ms;           /* the shortest gap since /gap-report, */
    unsigned gap_pages;        /* over this many pages; under gate_lock */
    struct cached *cache;      /* one slot per page, filled on first request */
    size_t cached_bytes;       /* updated atomically */
    int validators;            /* --validators: 0 none, 1 ETag and
                                  Last-Modified (304s), 2 none but /change */
    unsigned *version;         /* per page: bumped by /change (atomic) */
    unsigned conditional;      /* requests with a validator (atomic) */
    unsigned not_modified;     /* 304s sent (atomic) */
    unsigned active;           /* requests being answered (atomic) */
    unsigned peak;             /* most at once (/conn-report; atomic) */
};

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}

static enum MHD_Result send_buf(struct MHD_Connection *c, unsigned code,
                                const char *ctype, const char *body, size_t len)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        len, (void *)body, MHD_RESPMEM_MUST_COPY);
    enum MHD_Result ret;

    if (!r)
        return MHD_NO;
    if (ctype)
        MHD_add_response_header(r, "Content-Type", ctype);
    ret = MHD_queue_response(c, code, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result send_str(struct MHD_Connection *c, unsigned code,
                                const char *ctype, const char *body)
{
    return send_buf(c, code, ctype, body, strlen(body));
}

/* Sends a cached page without copying it (the cache lives until exit). */
static enum MHD_Result send_persistent(struct MHD_Connection *c,
                                       const char *html, size_t len)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        len, (void *)html, MHD_RESPMEM_PERSISTENT);
    enum MHD_Result ret;

    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", "text/html; charset=utf-8");
    ret = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result redirect(struct MHD_Connection *c, const char *to)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    enum MHD_Result ret;

    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Location", to);
    ret = MHD_queue_response(c, MHD_HTTP_FOUND, r);
    MHD_destroy_response(r);
    return ret;
}

/* Parses a decimal query argument; `def` when absent or bad. */
static long arg_long(struct MHD_Connection *c, const char *key, long def,
                     long max)
{
    const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, key);
    char *end;
    long n;

    if (!v)
        return def;
    n = strtol(v, &end, 10);
    return (*end || n < 0 || n > max) ? def : n;
}

/* Streams `cls` (a heap long: bytes left) of filler HTML. */
static ssize_t big_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    long *left = cls;
    size_t n = max;

    (void)pos;
    if (*left <= 0)
        return MHD_CONTENT_READER_END_OF_STREAM;
    if ((long)n > *left)
        n = (size_t)*left;
    memset(buf, 'x', n);
    if (pos == 0 && n >= 6)
        memcpy(buf, "<html>", 6);
    *left -= (long)n;
    return (ssize_t)n;
}

/* /stall: 1 KB, then sleeps up to a minute per call (bounded by the
 * server's lifetime; curl gives up long before). */
static ssize_t stall_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)cls;
    if (pos == 0 && max >= 1024) {
        memset(buf, ' ', 1024);
        memcpy(buf, "<html><title>stalled</title>", 28);
        return 1024;
    }
    sleep_ms(60000);
    return MHD_CONTENT_READER_END_OF_STREAM;
}

/* /reset: announces 100 KB, sends 8 KB, then drops the connection. */
static ssize_t reset_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)cls;
    if (pos >= 8192)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    if (max > 8192 - pos)
        max = (size_t)(8192 - pos);
    memset(buf, 'x', max);
    return (ssize_t)max;
}

static enum MHD_Result send_reader(struct MHD_Connection *c, uint64_t size,
                                   MHD_ContentReaderCallback reader)
{
    struct MHD_Response *r =
        MHD_create_response_from_callback(size, 4096, reader, NULL, NULL);
    enum MHD_Result ret;

    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", "text/html");
    ret = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

/* A 200 KB header value: more than libcurl accepts (100 KB). */
static enum MHD_Result send_bigheader(struct MHD_Connection *c)
{
    size_t n = 200 * 1024;
    char *value = malloc(n + 1);
    struct MHD_Response *r;
    enum MHD_Result ret;

    if (!value)
        return MHD_NO;
    memset(value, 'a', n);
    value[n] = '\0';
    r = MHD_create_response_from_buffer(5, (void *)"hello",
                                        MHD_RESPMEM_PERSISTENT);
    if (!r) {
        free(value);
        return MHD_NO;
    }
    MHD_add_response_header(r, "X-Huge", value);
    free(value);
    ret = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

/* /trap/N: an endless chain of pages. */
static enum MHD_Result send_trap(struct MHD_Connection *c, const char *n)
{
    char body[256];
    unsigned long i = strtoul(n, NULL, 10);

    snprintf(body, sizeof(body),
             "<html><title>trap %lu</title><body><a href=\"/trap/%lu\">"
             "deeper</a></body></html>",
             i, i + 1);
    return send_str(c, 200, "text/html", body);
}

/* /hostile/html: the worst page the tests throw at the parser. */
static enum MHD_Result send_hostile(struct MHD_Connection *c)
{
    static const char schemes[] =
        "<a href=\"javascript:alert(1)\">j</a><a href=\"mailto:a@b\">m</a>"
        "<a href=\"data:text/html,hi\">d</a><a href=\"file:///etc/passwd"
        "\">f</a><a href=\"ftp://h/x\">t</a><a href=\"tel:1\">p</a>";
    size_t cap = 8 * 1024 * 1024, len = 0, i;
    char *p = malloc(cap);
    enum MHD_Result ret;

    if (!p)
        return MHD_NO;
    len += (size_t)snprintf(p, cap,
                            "<html><head><title>hostile \xff\xfe"
                            "</title><body>%s",
                            schemes);
    memcpy(p + len, "<a href=\"/", 10);
    len += 10;
    memset(p + len, 'x', 100 * 1024); /* a 100 KB URL */
    len += 100 * 1024;
    memcpy(p + len, "\">long</a>", 10);
    len += 10;
    for (i = 0; i < 50000; i++)
        len += (size_t)snprintf(p + len, cap - len, "<a href=/p%zu>%zu", i, i);
    p[len++] = '\0'; /* a NUL byte in the middle of the page */
    for (i = 0; i < 200000; i++) {
        memcpy(p + len, "<div>", 5);
        len += 5;
    }
    ret = send_buf(c, 200, "text/html", p, len);
    free(p);
    return ret;
}

static enum MHD_Result send_big(struct MHD_Connection *c, long bytes)
{
    long *left = malloc(sizeof(*left));
    struct MHD_Response *r;
    enum MHD_Result ret;

    if (!left)
        return MHD_NO;
    *left = bytes;
    r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024,
                                          big_reader, left, free);
    if (!r) {
        free(left);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", "text/html");
    ret = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result gzip_response(struct MHD_Connection *c, long bytes,
                                     const char *prefix, bool encoding);

/* Sends N bytes of filler HTML gzip-compressed, streaming through zlib so
 * even a huge N costs the server little memory. */
static enum MHD_Result send_gzip(struct MHD_Connection *c, long bytes)
{
    return gzip_response(c, bytes, "<html>", true);
}

/* A .gz file (no Content-Encoding) of `prefix` and N - len(prefix)
 * spaces: a gzip bomb for a sitemap reader. */
static enum MHD_Result send_gzip_body(struct MHD_Connection *c, long bytes,
                                      const char *prefix)
{
    return gzip_response(c, bytes, prefix, false);
}

static enum MHD_Result gzip_response(struct MHD_Connection *c, long bytes,
                                     const char *prefix, bool encoding)
{
    static char chunk[64 * 1024];
    struct MHD_Response *r;
    enum MHD_Result ret;
    unsigned char *out;
    size_t cap = (size_t)bytes / 100 + 4096, len;
    z_stream z;
    long left = bytes;

    memset(&z, 0, sizeof(z));
    if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
        return MHD_NO;
    out = malloc(cap);
    if (!out) {
        deflateEnd(&z);
        return MHD_NO;
    }
    memset(chunk, encoding ? 'x' : ' ', sizeof(chunk));
    memcpy(chunk, prefix, strlen(prefix));
    z.next_out = out;
    z.avail_out = (uInt)cap;
    do {
        size_t n = left > (long)sizeof(chunk) ? sizeof(chunk) : (size_t)left;
        z.next_in = (Bytef *)chunk;
        z.avail_in = (uInt)n;
        left -= (long)n;
        if (deflate(&z, left ? Z_NO_FLUSH : Z_FINISH) == Z_STREAM_ERROR ||
            (z.avail_out == 0 && left)) {
            deflateEnd(&z);
            free(out);
            return MHD_NO;
        }
        /* only the first chunk starts with the prefix */
        memset(chunk, encoding ? 'x' : ' ', strlen(prefix));
    } while (left > 0);
    len = cap - z.avail_out;
    deflateEnd(&z);
    r = MHD_create_response_from_buffer(len, out, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(out);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type",
                            encoding ? "text/html" : "application/x-gzip");
    if (encoding)
        MHD_add_response_header(r, "Content-Encoding", "gzip");
    ret = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result flaky(struct server *s, struct MHD_Connection *c)
{
    long id = arg_long(c, "id", 0, LONG_MAX) % FLAKY_IDS;
    long fail = arg_long(c, "fail", 1, 1000);
    long status = arg_long(c, "status", 503, 599);
    long after = arg_long(c, "after", -1, 3600);
    unsigned seen = __atomic_fetch_add(&s->flaky[id], 1, __ATOMIC_RELAXED);
    struct MHD_Response *r;
    enum MHD_Result ret;
    char value[32];

    if (seen >= (unsigned long)fail)
        return send_str(c, 200, "text/html",
                        "<html><head><title>flaky ok</title></head></html>");
    r = MHD_create_response_from_buffer(9, (void *)"try later",
                                        MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    if (after >= 0) {
        snprintf(value, sizeof(value), "%ld", after);
        MHD_add_response_header(r, "Retry-After", value);
    }
    ret = MHD_queue_response(c, (unsigned)status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result charset_page(struct MHD_Connection *c, const char *kind)
{
    /* "Café crème – déjà vu" with é=E9, è=E8, à=E0, en dash=96 (cp1252). */
    static const char latin1_title[] = "Caf\xE9 cr\xE8me d\xE9j\xE0 vu";
    char body[512];

    if (!strcmp(kind, "header")) {
        snprintf(body, sizeof(body),
                 "<html><head><title>%s</title></head><body><h1>%s</h1>"
                 "</body></html>",
                 latin1_title, latin1_title);
        return send_str(c, 200, "text/html; charset=ISO-8859-1", body);
    }
    if (!strcmp(kind, "meta")) {
        snprintf(body, sizeof(body),
                 "<html><head><meta http-equiv=\"Content-Type\" "
                 "content=\"text/html; charset=windows-1252\"><title>%s "
                 "\x96 \x80 5</title></head><body></body></html>",
                 latin1_title);
        return send_str(c, 200, "text/html", body);
    }
    if (!strcmp(kind, "none")) {
        snprintf(body, sizeof(body),
                 "<html><head><title>%s</title></head><body></body></html>",
                 latin1_title);
        return send_str(c, 200, "text/html", body);
    }
    if (!strcmp(kind, "sjis")) {
        /* "日本語" in Shift_JIS. */
        return send_str(c, 200, "text/html; charset=Shift_JIS",
                        "<html><head><title>\x93\xfa\x96\x7b\x8c\xea"
                        "</title></head><body></body></html>");
    }
    return send_str(c, 404, "text/html", "<title>no such charset</title>");
}

/* Delays slow page i (--slow): a plain wait, or with --slow-gate a wait
 * for the deepest slow page's request. */
static void slow_wait(struct server *s, unsigned long i)
{
    unsigned level =
        site_slow_level((unsigned)i, s->site.fanout, s->slow_levels);
    struct timespec until;
    int rc = 0;

    if (!level)
        return;
    if (!s->slow_gate) {
        sleep_ms(s->slow_ms);
        return;
    }
    pthread_mutex_lock(&s->gate_lock);
    if (level == s->slow_levels) {
        s->gate_open = true;
        pthread_cond_broadcast(&s->gate_cond);
    } else {
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += s->slow_ms / 1000;
        until.tv_nsec += (long)(s->slow_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        while (!s->gate_open && rc != ETIMEDOUT)
            rc = pthread_cond_timedwait(&s->gate_cond, &s->gate_lock, &until);
        if (s->gate_open)
            s->gate_opened++;
        else
            s->gate_timeouts++;
    }
    pthread_mutex_unlock(&s->gate_lock);
}

/* Notes a page request's arrival for /gap-report. */
static void note_arrival(struct server *s)
{
    struct timespec now;
    long gap;

    clock_gettime(CLOCK_MONOTONIC, &now);
    pthread_mutex_lock(&s->gate_lock);
    if (s->gap_pages++) {
        gap = (now.tv_sec - s->last_page.tv_sec) * 1000L +
              (now.tv_nsec - s->last_page.tv_nsec) / 1000000L;
        if (s->min_gap_ms < 0 || gap < s->min_gap_ms)
            s->min_gap_ms = gap;
    }
    s->last_page = now;
    pthread_mutex_unlock(&s->gate_lock);
}

/* --hold: keeps this request until /release (or HOLD_MAX_S). */
static void hold_wait(struct server *s)
{
    struct timespec until;
    int rc = 0;

    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += HOLD_MAX_S;
    pthread_mutex_lock(&s->gate_lock);
    s->held++;
    while (!s->released && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&s->gate_cond, &s->gate_lock, &until);
    s->held--;
    pthread_mutex_unlock(&s->gate_lock);
}

/* Serves /index.html and /book/N.html; other paths are 404. */
/* A page of a site whose pages change (/change) and, with --validators
 * 1, carry ETag and Last-Modified and answer 304 to a request that still
 * has them. */
static enum MHD_Result versioned_page(struct server *s,
                                      struct MHD_Connection *c, unsigned i)
{
    unsigned v = __atomic_load_n(&s->version[i], __ATOMIC_ACQUIRE);
    const char *inm =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, "If-None-Match");
    const char *ims =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, "If-Modified-Since");
    char etag[64], lm[64], *html, *full;
    time_t t = (time_t)1793613600 + (time_t)v * 3600; /* 2026-11-02 */
    struct MHD_Response *r;
    enum MHD_Result ret;
    struct tm tm;
    size_t len, n;

    snprintf(etag, sizeof(etag), "\"b%u-v%u\"", i, v);
    gmtime_r(&t, &tm);
    strftime(lm, sizeof(lm), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (inm || ims)
        __atomic_add_fetch(&s->conditional, 1, __ATOMIC_RELAXED);
    if (s->validators == 1 &&
        ((inm && !strcmp(inm, etag)) || (!inm && ims && !strcmp(ims, lm)))) {
        __atomic_add_fetch(&s->not_modified, 1, __ATOMIC_RELAXED);
        r = MHD_create_response_from_buffer(0, (void *)"",
                                            MHD_RESPMEM_PERSISTENT);
        if (!r)
            return MHD_NO;
        MHD_add_response_header(r, "ETag", etag);
        ret = MHD_queue_response(c, 304, r);
        MHD_destroy_response(r);
        return ret;
    }
    if (!(html = site_render(&s->site, i, &len)))
        return MHD_NO;
    /* A revised page reads differently (and hashes differently). */
    n = len + 64;
    if (!(full = malloc(n))) {
        free(html);
        return MHD_NO;
    }
    memcpy(full, html, len);
    full[len] = '\0';
    if (v) {
        /* Inside the body, where a reader (and scrape's text) sees it. */
        char *at = strstr(full, "</body>");
        size_t head = at ? (size_t)(at - full) : len;
        int add = snprintf(NULL, 0, "<p>Revised edition %u.</p>\n", v);
        memmove(full + head + add, full + head, len - head + 1);
        snprintf(full + head, (size_t)add + 1, "<p>Revised edition %u.</p>\n",
                 v);
        full[head + (size_t)add] = len > head ? '<' : '\0';
        len += (size_t)add;
    }
    free(html);
    r = MHD_create_response_from_buffer(len, full, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(full);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", "text/html; charset=utf-8");
    if (s->validators == 1) {
        MHD_add_response_header(r, "ETag", etag);
        MHD_add_response_header(r, "Last-Modified", lm);
    }
    ret = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result site_page(struct server *s, struct MHD_Connection *c,
                                 const char *url)
{
    unsigned long i = 0;
    char *end, *html;
    size_t len;
    enum MHD_Result ret;

    if (strcmp(url, "/index.html") && strcmp(url, "/")) {
        if (strncmp(url, "/book/", 6))
            return send_str(c, 404, "text/html", "<title>Not found</title>");
        i = strtoul(url + 6, &end, 10);
        if (end == url + 6 || strcmp(end, ".html") || i == 0 ||
            i >= s->site.pages)
            return send_str(c, 404, "text/html", "<title>Not found</title>");
    }
    note_arrival(s);
    if (s->slow_ms)
        slow_wait(s, i);
    if (s->hold_page == i + 1)
        hold_wait(s);
    if (s->validators)
        return versioned_page(s, c, (unsigned)i);
    html = __atomic_load_n(&s->cache[i].html, __ATOMIC_ACQUIRE);
    if (html)
        return send_persistent(c, html, s->cache[i].len);
    html = site_render(&s->site, (unsigned)i, &len);
    if (!html)
        return MHD_NO;
    if (__atomic_add_fetch(&s->cached_bytes, len, __ATOMIC_RELAXED) <=
        CACHE_MAX_BYTES) {
        char *expected = NULL;
        s->cache[i].len = len;
        /* Publish once; a thread that lost the race frees its copy. */
        if (__atomic_compare_exchange_n(&s->cache[i].html, &expected, html,
                                        false, __ATOMIC_RELEASE,
                                        __ATOMIC_ACQUIRE))
            return send_persistent(c, html, len);
    }
    ret = send_buf(c, 200, "text/html; charset=utf-8", html, len);
    free(html);
    return ret;
}

/* --robots 3: a robots.txt naming every kind of broken sitemap. */
static enum MHD_Result send_many(struct MHD_Connection *c, unsigned port);
static enum MHD_Result send_gzip_body(struct MHD_Connection *c, long bytes,
                                      const char *prefix);

static enum MHD_Result hostile_robots(struct server *s,
                                      struct MHD_Connection *c)
{
    static const char *const names[] = {
        "truncated.xml", "bomb.xml.gz",      "loop.xml",
        "deep/0.xml",    "many.txt",         "binary.xml",
        "laughs.xml",    "notasitemap.html", "missing.xml"};
    char body[4096];
    size_t i, n;

    n = (size_t)snprintf(body, sizeof(body),
                         "User-agent: *\nDisallow:\n"
                         "Sitemap: /hostile-sitemaps/relative.xml\n"
                         "Sitemap: ftp://127.0.0.1/sitemap.xml\n"
                         "Sitemap: http://localhost:%u/hostile-sitemaps/"
                         "other-host.xml\n",
                         s->site.port);
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        n += (size_t)snprintf(body + n, sizeof(body) - n,
                              "Sitemap: http://127.0.0.1:%u/hostile-sitemaps"
                              "/%s\n",
                              s->site.port, names[i]);
    return send_str(c, 200, "text/plain", body);
}

static const char urlset_open[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://"
    "www.sitemaps.org/schemas/sitemap/0.9\">\n";

/* The hostile sitemaps (see hostile_robots); each ends as a sitemaps row
 * with an error, never a crash or a hang. */
static enum MHD_Result
hostile_sitemap(struct server *s, struct MHD_Connection *c, const char *name)
{
    unsigned port = s->site.port;
    char body[2048];
    unsigned long n;
    char *end;

    if (!strcmp(name, "relative.xml")) {
        snprintf(body, sizeof(body),
                 "%s<url><loc>/book/6.html</loc></url>\n"
                 "</urlset>\n",
                 urlset_open);
        return send_str(c, 200, "application/xml", body);
    }
    if (!strcmp(name, "other-host.xml")) {
        snprintf(body, sizeof(body),
                 "%s<url><loc>http://localhost:%u/book/"
                 "7.html</loc></url></urlset>\n",
                 urlset_open, port);
        return send_str(c, 200, "application/xml", body);
    }
    if (!strcmp(name, "truncated.xml")) {
        snprintf(body, sizeof(body),
                 "%s<url><loc>http://127.0.0.1:%u/book/1.html</loc></url>\n"
                 "<url><loc>http://127.0.0.1:%u/book/2.html</loc></url>\n"
                 "<url><loc>http://127.0.0.1:%u/book/9",
                 urlset_open, port, port, port);
        return send_str(c, 200, "application/xml", body);
    }
    if (!strcmp(name, "bomb.xml.gz"))
        return send_gzip_body(c, 20L * 1024 * 1024, urlset_open);
    if (!strcmp(name, "loop.xml")) {
        snprintf(body, sizeof(body),
                 "<sitemapindex><sitemap><loc>http://127.0.0.1:%u/hostile-"
                 "sitemaps/loop.xml</loc></sitemap><sitemap><loc>http://"
                 "127.0.0.1:%u/hostile-sitemaps/deep/0.xml</loc></sitemap>"
                 "</sitemapindex>",
                 port, port);
        return send_str(c, 200, "application/xml", body);
    }
    if (!strncmp(name, "deep/", 5) &&
        (n = strtoul(name + 5, &end, 10)) < 1000000 && !strcmp(end, ".xml")) {
        snprintf(body, sizeof(body),
                 "<sitemapindex><sitemap><loc>/hostile-sitemaps/deep/%lu.xml"
                 "</loc></sitemap></sitemapindex>",
                 n + 1);
        return send_str(c, 200, "application/xml", body);
    }
    if (!strcmp(name, "many.txt"))
        return send_many(c, port);
    if (!strcmp(name, "binary.xml")) {
        for (n = 0; n < sizeof(body); n++)
            body[n] = (char)(n * 7 + 1);
        body[0] = '<';
        return send_buf(c, 200, "application/xml", body, sizeof(body));
    }
    if (!strcmp(name, "laughs.xml"))
        return send_str(
            c, 200, "application/xml",
            "<?xml version=\"1.0\"?><!DOCTYPE urlset [<!ENTITY a \"aaaaaaaaaa"
            "\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;"
            "&b;&b;&b;&b;&b;&b;&b;&b;&b;\"><!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;"
            "&c;&c;&c;\"><!ENTITY e \"&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;\">"
            "<!ENTITY f \"&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;\"><!ENTITY g \"&f;&f;"
            "&f;&f;&f;&f;&f;&f;&f;&f;\"><!ENTITY h \"&g;&g;&g;&g;&g;&g;&g;&g;"
            "&g;&g;\">]><urlset><url><loc>&h;</loc></url></urlset>");
    if (!strcmp(name, "notasitemap.html"))
        return send_str(c, 200, "text/html",
                        "<html><body><a href=\"/book/3.html\">x</a></body>"
                        "</html>");
    return send_str(c, 404, "text/html", "<title>Not found</title>");
}

/* many.txt: a plain-text sitemap of 60,000 lines (more than the
 * protocol's 50,000), five distinct book pages over and over. */
static enum MHD_Result send_many(struct MHD_Connection *c, unsigned port)
{
    size_t cap = 60000 * 48, len = 0, i;
    char *p = malloc(cap);
    enum MHD_Result ret;

    if (!p)
        return MHD_NO;
    for (i = 0; i < 60000; i++)
        len += (size_t)snprintf(p + len, cap - len,
                                "http://127.0.0.1:%u/book/%zu.html\n", port,
                                i % 5 + 1);
    ret = send_buf(c, 200, "text/plain", p, len);
    free(p);
    return ret;
}

/* /sitemap.xml: where --sitemaps looks when robots.txt names none. */
static enum MHD_Result plain_sitemap(struct server *s, struct MHD_Connection *c)
{
    char body[1024];

    snprintf(body, sizeof(body),
             "%s<url><loc>http://127.0.0.1:%u/book/1.html</loc></url>\n"
             "<url><loc>http://127.0.0.1:%u/book/2.html</loc></url>\n"
             "<url><loc>http://127.0.0.1:%u/book/3.html</loc></url>\n"
             "</urlset>\n",
             urlset_open, s->site.port, s->site.port, s->site.port);
    return send_str(c, 200, "application/xml", body);
}

/* A generated section's page (freed here), or 404 when it has none. */
static enum MHD_Result send_rendered(struct MHD_Connection *c, char *body,
                                     size_t len, const char *ctype)
{
    enum MHD_Result ret;

    if (!body)
        return send_str(c, 404, "text/html", "<title>Not found</title>");
    ret = send_buf(c, 200, ctype, body, len);
    free(body);
    return ret;
}

/* The shop section (shop.h).  The query string (facets, the cart's sku)
 * is not part of `url`: a facet answers its list again, as a real shop
 * does. */
static enum MHD_Result shop(struct server *s, struct MHD_Connection *c,
                            const char *url)
{
    size_t len = 0;
    char *body = shop_render(url, s->shop_products, &len);

    return send_rendered(c, body, len, "text/html; charset=utf-8");
}

/* The quotes section (quotes.h). */
static enum MHD_Result quotes(struct server *s, struct MHD_Connection *c,
                              const char *url)
{
    const char *ctype = NULL;
    size_t len = 0;
    int gzip;
    char *body =
        quotes_render(url, s->quote_pages, s->site.port, &len, &ctype, &gzip);

    return send_rendered(c, body, len, ctype);
}

/* The session cookie /set-cookie hands out and /members/ demands. */
#define MEMBER_SESSION "s3ss10n-42"
#define MEMBER_PAGES   12

/* /set-cookie: sets the session cookie and links to the members' area;
 * /members/K (1..MEMBER_PAGES): a page linking to the next two, for a
 * request that sends the cookie back, else 403. */
static enum MHD_Result members(struct MHD_Connection *c, const char *url)
{
    char body[512];
    const char *v;
    long k;
    struct MHD_Response *r;
    enum MHD_Result ret;

    if (!strcmp(url, "/set-cookie")) {
        snprintf(body, sizeof(body),
                 "<html><head><title>Welcome</title></head><body>"
                 "<a href=\"/members/1\">members</a></body></html>");
        r = MHD_create_response_from_buffer(strlen(body), body,
                                            MHD_RESPMEM_MUST_COPY);
        if (!r)
            return MHD_NO;
        MHD_add_response_header(r, "Content-Type", "text/html");
        MHD_add_response_header(r, "Set-Cookie",
                                "session=" MEMBER_SESSION "; Path=/; HttpOnly");
        ret = MHD_queue_response(c, 200, r);
        MHD_destroy_response(r);
        return ret;
    }
    k = strtol(url + 9, NULL, 10);
    v = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, "session");
    if (k < 1 || k > MEMBER_PAGES)
        return send_str(c, 404, "text/plain", "no such member page\n");
    if (!v || strcmp(v, MEMBER_SESSION))
        return send_str(c, 403, "text/plain", "members only\n");
    snprintf(body, sizeof(body),
             "<html><head><title>Members %ld</title></head><body>"
             "<a href=\"/members/%ld\">next</a> "
             "<a href=\"/members/%ld\">after</a></body></html>",
             k, k % MEMBER_PAGES + 1, (k + 1) % MEMBER_PAGES + 1);
    return send_str(c, 200, "text/html", body);
}

/* The body of the request being answered on this connection's thread
 * (thread per connection: one request at a time). */
static __thread char post_buf[4096];
static __thread size_t post_len;

/* The value of field `name` in the urlencoded body (no decoding: the
 * test's values need none), copied into out[n]; false when absent. */
static bool post_field(const char *name, char *out, size_t n)
{
    size_t nl = strlen(name);
    const char *p = post_buf;

    while (*p) {
        size_t len = strcspn(p, "&");
        if (len > nl && !strncmp(p, name, nl) && p[nl] == '=') {
            snprintf(out, n, "%.*s", (int)(len - nl - 1), p + nl + 1);
            return true;
        }
        p += len + (p[len] == '&');
    }
    return false;
}

/* /login: GET shows a search form, then the login form with a fresh CSRF
 * token (kept among the last LOGIN_TOKENS issued); POST with a token
 * issued, user alice and password s3cret-pw sets the members' session
 * cookie and redirects to /members/1; anything else shows the form
 * again. */
#define LOGIN_TOKENS 64
static enum MHD_Result login(struct server *s, struct MHD_Connection *c,
                             const char *method)
{
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    static unsigned long tokens[LOGIN_TOKENS], next = 0x5eed;
    char body[1024], tok[32], user[64], pass[64];
    bool ok = false;
    unsigned long t;
    size_t i;

    if (!strcmp(method, "POST")) {
        if (post_field("csrf", tok, sizeof(tok)) &&
            post_field("user", user, sizeof(user)) &&
            post_field("pass", pass, sizeof(pass)) && !strcmp(user, "alice") &&
            !strcmp(pass, "s3cret-pw")) {
            t = strtoul(tok, NULL, 16);
            pthread_mutex_lock(&lock);
            for (i = 0; i < LOGIN_TOKENS && !ok; i++)
                ok = t && tokens[i] == t;
            pthread_mutex_unlock(&lock);
        }
        if (ok) {
            struct MHD_Response *r = MHD_create_response_from_buffer(
                0, (void *)"", MHD_RESPMEM_PERSISTENT);
            enum MHD_Result ret;
            if (!r)
                return MHD_NO;
            MHD_add_response_header(r, "Location", "/members/1");
            MHD_add_response_header(r, "Set-Cookie",
                                    "session=" MEMBER_SESSION "; Path=/");
            ret = MHD_queue_response(c, 303, r);
            MHD_destroy_response(r);
            return ret;
        }
    }
    pthread_mutex_lock(&lock);
    next = next * 6364136223846793005UL + 1442695040888963407UL;
    t = next >> 16 | 1;
    tokens[t % LOGIN_TOKENS] = t;
    pthread_mutex_unlock(&lock);
    (void)s;
    snprintf(body, sizeof(body),
             "<html><head><title>Sign in</title></head><body>"
             "<form action=\"/search\"><input name=\"q\"></form>"
             "<form method=\"post\" action=\"/login\">"
             "<input type=\"hidden\" name=\"csrf\" value=\"%lx\">"
             "<input name=\"user\"><input type=\"password\" name=\"pass\">"
             "<input type=\"submit\" value=\"Sign in\"></form></body></html>",
             t);
    return send_str(c, 200, "text/html", body);
}

/* True when one more book page this second would pass --rate-limit. */
static bool over_limit(struct server *s)
{
    struct timespec ts;
    long now;
    bool over;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    now = ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
    pthread_mutex_lock(&s->rate_lock);
    if (now - s->rate_window >= 1000) {
        s->rate_window = now;
        s->rate_count = 0;
    }
    over = ++s->rate_count > s->rate_limit;
    pthread_mutex_unlock(&s->rate_lock);
    return over;
}

/* /basic/K (1..MEMBER_PAGES): pages behind Basic authentication
 * (alice:s3cret-pw) linking to two others and to /basic/away, which
 * redirects to /auth-echo on another host name ("localhost"). */
static enum MHD_Result basic(struct server *s, struct MHD_Connection *c,
                             const char *url)
{
    char *pass = NULL, *user = NULL, body[512];
    struct MHD_Response *r;
    enum MHD_Result ret;
    bool ok;
    long k;

    user = MHD_basic_auth_get_username_password(c, &pass);
    ok = user && pass && !strcmp(user, "alice") && !strcmp(pass, "s3cret-pw");
    MHD_free(user);
    MHD_free(pass);
    if (!ok) {
        r = MHD_create_response_from_buffer(13, (void *)"who are you?\n",
                                            MHD_RESPMEM_PERSISTENT);
        if (!r)
            return MHD_NO;
        ret = MHD_queue_basic_auth_fail_response(c, "members", r);
        MHD_destroy_response(r);
        return ret;
    }
    if (!strcmp(url, "/basic/away")) {
        snprintf(body, sizeof(body), "http://localhost:%u/auth-echo",
                 s->site.port);
        r = MHD_create_response_from_buffer(0, (void *)"",
                                            MHD_RESPMEM_PERSISTENT);
        if (!r)
            return MHD_NO;
        MHD_add_response_header(r, "Location", body);
        ret = MHD_queue_response(c, 302, r);
        MHD_destroy_response(r);
        return ret;
    }
    k = strtol(url + 7, NULL, 10);
    if (k < 1 || k > MEMBER_PAGES)
        return send_str(c, 404, "text/plain", "no such page\n");
    snprintf(body, sizeof(body),
             "<html><head><title>Basic %ld</title></head><body>"
             "<a href=\"/basic/%ld\">next</a> <a href=\"/basic/%ld\">after</a>"
             " <a href=\"/basic/away\">away</a></body></html>",
             k, k % MEMBER_PAGES + 1, (k + 1) % MEMBER_PAGES + 1);
    return send_str(c, 200, "text/html", body);
}

/* True when the request has header `want` ("Name:value"), its value
 * exactly as given. */
static bool has_header(struct MHD_Connection *c, const char *want)
{
    const char *colon = strchr(want, ':');
    char name[128];
    const char *v;

    if (!colon || (size_t)(colon - want) >= sizeof(name))
        return false;
    memcpy(name, want, (size_t)(colon - want));
    name[colon - want] = '\0';
    v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
    return v && !strcmp(v, colon + 1);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c,
                              const char *url, const char *method,
                              const char *version, const char *upload,
                              size_t *upload_size, void **state)
{
    struct server *s = cls;
    char to[64];

    (void)version;
    if (!*state) {
        /* First call per request: headers only, answer on the next.  The
         * request counts as in flight until MHD says it completed. */
        unsigned now = __atomic_add_fetch(&s->active, 1, __ATOMIC_SEQ_CST);
        unsigned peak = __atomic_load_n(&s->peak, __ATOMIC_SEQ_CST);
        while (now > peak &&
               !__atomic_compare_exchange_n(&s->peak, &peak, now, false,
                                            __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
            ;
        *state = (void *)1;
        post_len = 0;
        return MHD_YES;
    }
    if (*upload_size) {
        /* A request body (the login form's): kept, up to its room. */
        size_t k = *upload_size < sizeof(post_buf) - 1 - post_len
                       ? *upload_size
                       : sizeof(post_buf) - 1 - post_len;
        memcpy(post_buf + post_len, upload, k);
        post_len += k;
        post_buf[post_len] = '\0';
        *upload_size = 0;
        return MHD_YES;
    }
    if (!strcmp(url, "/login"))
        return login(s, c, method);
    if (!strcmp(url, "/header-misses")) {
        snprintf(to, sizeof(to), "%u\n",
                 __atomic_load_n(&s->header_misses, __ATOMIC_RELAXED));
        return send_str(c, 200, "text/plain", to);
    }
    if (s->need_header && !has_header(c, s->need_header)) {
        __atomic_fetch_add(&s->header_misses, 1, __ATOMIC_RELAXED);
        return send_str(c, 403, "text/plain", "a header is missing\n");
    }
    if (!strcmp(url, "/change") && s->validators) {
        long n = arg_long(c, "page", 0, (long)s->site.pages - 1);
        __atomic_add_fetch(&s->version[n], 1, __ATOMIC_RELEASE);
        return send_str(c, 200, "text/plain", "changed\n");
    }
    if (!strcmp(url, "/validator-report")) {
        char body[96];
        snprintf(body, sizeof(body), "conditional %u not-modified %u\n",
                 __atomic_load_n(&s->conditional, __ATOMIC_RELAXED),
                 __atomic_load_n(&s->not_modified, __ATOMIC_RELAXED));
        return send_str(c, 200, "text/plain", body);
    }
    if (!strcmp(url, "/conn-report")) {
        char body[64];
        /* Not counting this request itself. */
        snprintf(body, sizeof(body), "peak %u\n",
                 __atomic_exchange_n(&s->peak, 0, __ATOMIC_SEQ_CST));
        return send_str(c, 200, "text/plain", body);
    }
    if (strcmp(method, "GET") && strcmp(method, "HEAD"))
        return send_str(c, 405, "text/plain", "GET only\n");
    if (s->latency_ms)
        sleep_ms(s->latency_ms);
    if (!strncmp(url, "/status/", 8)) {
        long code = strtol(url + 8, NULL, 10);
        if (code < 100 || code > 599)
            code = 400;
        return send_str(c, (unsigned)code, "text/html",
                        "<html><head><title>status page</title></head>"
                        "<body><a href=\"/index.html\">home</a></body></html>");
    }
    if (!strncmp(url, "/redirect/", 10)) {
        long n = strtol(url + 10, NULL, 10);
        if (n <= 0)
            return redirect(c, "/index.html");
        snprintf(to, sizeof(to), "/redirect/%ld", n - 1);
        return redirect(c, to);
    }
    if (!strcmp(url, "/loop"))
        return redirect(c, "/loop");
    if (!strcmp(url, "/slow")) {
        sleep_ms((unsigned)arg_long(c, "ms", 1000, LATENCY_MAX_MS));
        return send_str(c, 200, "text/html", "<title>slow</title>");
    }
    if (!strcmp(url, "/big"))
        return send_big(c, arg_long(c, "bytes", 1024, BIG_MAX_BYTES));
    if (!strcmp(url, "/gzip"))
        return send_gzip(c, arg_long(c, "bytes", 1024, 512L * 1024 * 1024));
    if (!strcmp(url, "/robots.txt")) {
        __atomic_fetch_add(&s->robots_hits, 1, __ATOMIC_RELAXED);
        if (!s->robots && s->crawl_delay_ms) {
            char body[128];
            snprintf(body, sizeof(body),
                     "User-agent: *\nCrawl-delay: %ld.%03ld\nDisallow:\n",
                     s->crawl_delay_ms / 1000, s->crawl_delay_ms % 1000);
            return send_str(c, 200, "text/plain", body);
        }
        if (!s->robots)
            return send_str(c, 404, "text/plain", "no robots.txt\n");
        if (s->robots == 3)
            return hostile_robots(s, c);
        if (s->robots == 2) {
            char body[256];
            snprintf(body, sizeof(body),
                     "User-agent: *\nDisallow: /private/\n\n"
                     "Sitemap: http://127.0.0.1:%u/quotes/sitemap_index.xml\n",
                     s->site.port);
            return send_str(c, 200, "text/plain", body);
        }
        return send_str(c, 200, "text/plain",
                        "User-agent: *\nDisallow: /\n\n"
                        "User-agent: scrape\nDisallow: /book/2\n"
                        "Allow: /book/2.html\n");
    }
    if (!strcmp(url, "/limited-count")) {
        snprintf(to, sizeof(to), "%u\n",
                 __atomic_exchange_n(&s->limited, 0, __ATOMIC_SEQ_CST));
        return send_str(c, 200, "text/plain", to);
    }
    if (s->rate_limit && !strncmp(url, "/book/", 6) && over_limit(s)) {
        struct MHD_Response *r = MHD_create_response_from_buffer(
            5, (void *)"slow\n", MHD_RESPMEM_PERSISTENT);
        enum MHD_Result ret;
        __atomic_fetch_add(&s->limited, 1, __ATOMIC_RELAXED);
        if (!r)
            return MHD_NO;
        MHD_add_response_header(r, "Retry-After", "1");
        ret = MHD_queue_response(c, 429, r);
        MHD_destroy_response(r);
        return ret;
    }
    if (!strcmp(url, "/auth-echo")) {
        if (MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization"))
            __atomic_fetch_add(&s->auth_leaks, 1, __ATOMIC_RELAXED);
        return send_str(c, 200, "text/html",
                        "<html><head><title>Elsewhere</title></head>"
                        "<body>no secrets here</body></html>");
    }
    if (!strcmp(url, "/auth-leaks")) {
        snprintf(to, sizeof(to), "%u\n",
                 __atomic_load_n(&s->auth_leaks, __ATOMIC_RELAXED));
        return send_str(c, 200, "text/plain", to);
    }
    if (!strncmp(url, "/basic/", 7))
        return basic(s, c, url);
    if (!strcmp(url, "/set-cookie") || !strncmp(url, "/members/", 9))
        return members(c, url);
    if (!strcmp(url, "/tracked"))
        return send_str(
            c, 200, "text/html",
            "<html><head><title>Tracked</title></head><body>"
            "<a href=\"/book/1.html?utm_source=news&amp;utm_medium=mail\">1</a>"
            " <a href=\"/book/1.html?fbclid=IwAR0x\">1 again</a>"
            " <a href=\"/book/1.html\">1 plain</a>"
            " <a href=\"/book/2.html?id=7&amp;utm_campaign=x\">2, id 7</a>"
            " <a href=\"/book/2.html?id=7\">2, id 7 again</a>"
            " <a href=\"/book/3.html?gclid=abc\">3</a></body></html>");
    if (!strcmp(url, "/xss"))
        return send_str(
            c, 200, "text/html",
            "<html><head><title>&lt;script&gt;document.documentElement."
            "setAttribute('data-pwned','1')&lt;/script&gt;</title></head>"
            "<body><h1>&lt;img src=x onerror=alert(1)&gt;</h1>"
            "<a href=\"javascript:document.documentElement.setAttribute("
            "'data-pwned','2')\">click</a> <a href=\"/index.html\">home</a>"
            "</body></html>");
    if (!strcmp(url, "/slow-report")) {
        char body[64];
        pthread_mutex_lock(&s->gate_lock);
        snprintf(body, sizeof(body), "opened %u timeouts %u\n", s->gate_opened,
                 s->gate_timeouts);
        /* Closed again for the next crawl. */
        s->gate_open = false;
        s->gate_opened = s->gate_timeouts = 0;
        pthread_mutex_unlock(&s->gate_lock);
        return send_str(c, 200, "text/plain", body);
    }
    if (!strcmp(url, "/gap-report")) {
        pthread_mutex_lock(&s->gate_lock);
        snprintf(to, sizeof(to), "pages %u min-gap-ms %ld\n", s->gap_pages,
                 s->min_gap_ms);
        s->gap_pages = 0;
        s->min_gap_ms = -1;
        pthread_mutex_unlock(&s->gate_lock);
        return send_str(c, 200, "text/plain", to);
    }
    if (!strcmp(url, "/hold-report")) {
        pthread_mutex_lock(&s->gate_lock);
        snprintf(to, sizeof(to), "held %u\n", s->held);
        pthread_mutex_unlock(&s->gate_lock);
        return send_str(c, 200, "text/plain", to);
    }
    if (!strcmp(url, "/release")) {
        pthread_mutex_lock(&s->gate_lock);
        s->released = true;
        pthread_cond_broadcast(&s->gate_cond);
        pthread_mutex_unlock(&s->gate_lock);
        return send_str(c, 200, "text/plain", "released\n");
    }
    if (!strcmp(url, "/robots-count")) {
        snprintf(to, sizeof(to), "%u\n",
                 __atomic_load_n(&s->robots_hits, __ATOMIC_RELAXED));
        return send_str(c, 200, "text/plain", to);
    }
    if (!strcmp(url, "/hostile/html"))
        return send_hostile(c);
    if (!strcmp(url, "/stall"))
        return send_reader(c, MHD_SIZE_UNKNOWN, stall_reader);
    if (!strcmp(url, "/reset"))
        return send_reader(c, 100 * 1024, reset_reader);
    if (!strcmp(url, "/bigheader"))
        return send_bigheader(c);
    if (!strncmp(url, "/trap/", 6))
        return send_trap(c, url + 6);
    if (!strcmp(url, "/flaky"))
        return flaky(s, c);
    if (!strcmp(url, "/data.json"))
        return send_str(c, 200, "application/json", "{\"books\": 3}\n");
    if (!strncmp(url, "/charset/", 9))
        return charset_page(c, url + 9);
    if (!strncmp(url, "/shop/", 6))
        return shop(s, c, url);
    if (!strncmp(url, "/quotes/", 8))
        return quotes(s, c, url);
    if (!strncmp(url, "/hostile-sitemaps/", 18))
        return hostile_sitemap(s, c, url + 18);
    if (!strcmp(url, "/sitemap.xml"))
        return plain_sitemap(s, c);
    return site_page(s, c, url);
}

/* MHD_OPTION_NOTIFY_COMPLETED: the request is no longer in flight. */
static void completed(void *cls, struct MHD_Connection *c, void **state,
                      enum MHD_RequestTerminationCode why)
{
    struct server *s = cls;

    (void)c;
    (void)why;
    if (*state)
        __atomic_sub_fetch(&s->active, 1, __ATOMIC_SEQ_CST);
    *state = NULL;
}

/* The whole of a small text file (a PEM certificate or key), or NULL. */
static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *text = NULL;
    long n;

    if (!f)
        return NULL;
    if (!fseek(f, 0, SEEK_END) && (n = ftell(f)) > 0 && n < 1 << 20 &&
        !fseek(f, 0, SEEK_SET) && (text = calloc(1, (size_t)n + 1)) &&
        fread(text, 1, (size_t)n, f) != (size_t)n) {
        free(text);
        text = NULL;
    }
    fclose(f);
    return text;
}

static int parse_args(int argc, char **argv, struct server *s, long *port,
                      long *lifetime, struct in_addr *bind)
{
    int i;

    for (i = 1; i + 1 < argc; i += 2) {
        char *end;
        long v = strtol(argv[i + 1], &end, 10);
        if (!strcmp(argv[i], "--bind")) {
            if (inet_pton(AF_INET, argv[i + 1], bind) != 1)
                return -1;
            continue;
        }
        if (!strcmp(argv[i], "--need-header")) {
            s->need_header = argv[i + 1];
            continue;
        }
        if (!strcmp(argv[i], "--tls-cert") || !strcmp(argv[i], "--tls-key")) {
            char **slot = argv[i][6] == 'c' ? &s->tls_cert : &s->tls_key;
            free(*slot);
            if (!(*slot = read_text(argv[i + 1])))
                return -1;
            continue;
        }
        if (*end || v < 0)
            return -1;
        if (!strcmp(argv[i], "--port") && v <= 65535)
            *port = v;
        else if (!strcmp(argv[i], "--pages") && v >= 1 && v <= 10000000)
            s->site.pages = (unsigned)v;
        else if (!strcmp(argv[i], "--fanout") && v >= 1 && v <= 10000)
            s->site.fanout = (unsigned)v;
        else if (!strcmp(argv[i], "--latency") && v <= LATENCY_MAX_MS)
            s->latency_ms = (unsigned)v;
        else if (!strcmp(argv[i], "--page-size") && v <= 64L * 1024 * 1024)
            s->site.page_size = (size_t)v;
        else if (!strcmp(argv[i], "--lifetime"))
            *lifetime = v;
        else if (!strcmp(argv[i], "--nested") && v <= 1)
            s->site.nested = (int)v;
        else if (!strcmp(argv[i], "--robots") && v <= 3)
            s->robots = (int)v;
        else if (!strcmp(argv[i], "--crawl-delay") && v <= 3600000)
            s->crawl_delay_ms = v;
        else if (!strcmp(argv[i], "--rate-limit") && v <= 1000000)
            s->rate_limit = v;
        else if (!strcmp(argv[i], "--quote-pages") && v >= 1 && v <= 100000)
            s->quote_pages = (unsigned)v;
        else if (!strcmp(argv[i], "--shop-products") && v >= 1 && v <= 3000)
            s->shop_products = (unsigned)v;
        else if (!strcmp(argv[i], "--slow") && v <= LATENCY_MAX_MS)
            s->slow_ms = (unsigned)v;
        else if (!strcmp(argv[i], "--slow-levels") && v >= 1 && v <= 32)
            s->slow_levels = (unsigned)v;
        else if (!strcmp(argv[i], "--slow-gate") && v <= 1)
            s->slow_gate = (int)v;
        else if (!strcmp(argv[i], "--hold") && v < 10000000)
            s->hold_page = (unsigned long)v + 1;
        else if (!strcmp(argv[i], "--validators") && v <= 2)
            s->validators = (int)v;
        else
            return -1;
    }
    return i == argc ? 0 : -1;
}

int main(int argc, char **argv)
{
    struct server s = {
        .site = {.pages = 1000, .fanout = 10, .page_size = 16 * 1024},
        .quote_pages = 10,
        .shop_products = 20,
        .slow_levels = 3,
        .min_gap_ms = -1,
        .gate_lock = PTHREAD_MUTEX_INITIALIZER,
        .rate_lock = PTHREAD_MUTEX_INITIALIZER,
        .gate_cond = PTHREAD_COND_INITIALIZER};
    struct sockaddr_in addr;
    struct MHD_Daemon *d;
    const union MHD_DaemonInfo *info;
    long port = 0, lifetime = 900;
    sigset_t set;
    struct timespec limit;
    unsigned i;
    int sig;

    struct in_addr bind = {htonl(INADDR_LOOPBACK)};

    if (parse_args(argc, argv, &s, &port, &lifetime, &bind)) {
        fprintf(stderr, "usage: sitesrv [--port P] [--pages N] [--fanout K]"
                        " [--latency MS] [--page-size B] [--nested 0|1]"
                        " [--robots 0|1|2|3] [--crawl-delay MS]"
                        " [--need-header NAME:VALUE] [--rate-limit N]"
                        " [--tls-cert PEM --tls-key PEM]"
                        " [--quote-pages N]"
                        " [--shop-products N]"
                        " [--slow MS] [--slow-levels N] [--slow-gate 0|1]"
                        " [--hold N]"
                        " [--lifetime S] [--bind IPV4] [--validators 0|1|2]\n");
        return 2;
    }
    s.cache = calloc(s.site.pages, sizeof(*s.cache));
    s.version = calloc(s.site.pages, sizeof(*s.version));
    if (!s.cache || !s.version) {
        fprintf(stderr, "sitesrv: out of memory\n");
        free(s.cache);
        free(s.version);
        return 1;
    }
    /* Absolute links in pages need the port before the first request. */
    s.site.port = (unsigned)port;
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    addr.sin_addr = bind;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    /* Block before MHD starts its threads so they inherit the mask. */
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    d = MHD_start_daemon(
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
            MHD_USE_POLL | (s.tls_cert && s.tls_key ? MHD_USE_TLS : 0),
        0, NULL, NULL, handle, &s, MHD_OPTION_SOCK_ADDR, &addr,
        /* Ignored without MHD_USE_TLS. */
        MHD_OPTION_HTTPS_MEM_CERT, s.tls_cert, MHD_OPTION_HTTPS_MEM_KEY,
        s.tls_key, MHD_OPTION_CONNECTION_LIMIT, (unsigned)4000,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024,
        /* Room for /bigheader's 200 KB header. */
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(512 * 1024),
        MHD_OPTION_NOTIFY_COMPLETED, completed, &s, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "sitesrv: cannot listen on 127.0.0.1:%ld\n", port);
        return 1;
    }
    info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    s.site.port = info ? info->port : (unsigned)port;
    printf("%u\n", s.site.port);
    fflush(stdout);
    limit.tv_sec = lifetime;
    limit.tv_nsec = 0;
    sig = sigtimedwait(&set, NULL, &limit);
    (void)sig;
    MHD_stop_daemon(d);
    for (i = 0; i < s.site.pages; i++)
        free(s.cache[i].html);
    free(s.cache);
    free(s.version);
    return 0;
}
