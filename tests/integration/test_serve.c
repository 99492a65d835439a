/*
 * Integration tests for scrape serve: the real binary serving a database
 * made by real crawls of the local site, asked with curl; JSON checked
 * with jq and against the database itself.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define RUN_TIMEOUT_S 90

static struct site site;
static struct sandbox sb;
static pid_t server;
static unsigned port;

/* Two runs: 40 quote pages with items (run 1), 300 book pages with a
 * field (run 2). */
static void crawl(void)
{
    static const char *const args[] = {"--pages", "300", "--quote-pages", "40",
                                       NULL};
    char url[128], xss[128];
    FILE *f;
    int i;

    sandbox_init(&sb);
    site_start(&site, args);
    f = fopen(sb.seeds, "w");
    cr_assert_not_null(f);
    for (i = 1; i <= 40; i++)
        fprintf(f, "http://127.0.0.1:%u/quotes/page/%d/\n", site.port, i);
    fclose(f);
    {
        const char *const run[] = {"-q",
                                   "--item",
                                   "div.quote",
                                   "--field",
                                   "text=span.text::text",
                                   "--field",
                                   "author=small.author",
                                   "--field",
                                   "tags[]=div.tags a.tag::text",
                                   "--db",
                                   sb.db,
                                   sb.seeds,
                                   NULL};
        cr_assert_eq(run_scrape(&sb, run, RUN_TIMEOUT_S, 0), 0);
    }
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/index.html", site.port);
    snprintf(xss, sizeof(xss), "http://127.0.0.1:%u/xss", site.port);
    {
        const char *const run[] = {
            "-q",   "-d",  "5", "--field", "price=p.price",
            "--db", sb.db, url, xss,       NULL};
        cr_assert_eq(run_scrape(&sb, run, RUN_TIMEOUT_S, 0), 0);
    }
}

/* Starts scrape serve on a free port with `time_limit` (ms, as text). */
static void start_server(const char *time_limit)
{
    const char *const args[] = {"serve",    "--db",        sb.db,
                                "--listen", "127.0.0.1:0", "--time-limit",
                                time_limit, NULL};
    char *out = NULL, *p, path[300];
    int i;

    /* Not the last server's line: the new one may not have opened (and
     * emptied) the file yet when it is first read. */
    snprintf(path, sizeof(path), "%s/stdout.txt", sb.dir);
    unlink(path);
    port = 0;
    server = start_scrape(&sb, args);
    /* Bounded: 20 s, for a sanitizer build on a loaded machine. */
    for (i = 0; i < 400; i++) {
        usleep(50000);
        if (access(path, F_OK))
            continue;
        free(out);
        out = read_file_text(&sb, "stdout.txt");
        if ((p = strstr(out, "serving http://127.0.0.1:"))) {
            port = (unsigned)strtoul(p + 25, NULL, 10);
            break;
        }
    }
    cr_assert_gt(port, 0, "no 'serving' line: %s", out);
    free(out);
}

static void stop_server(void)
{
    if (server > 0) {
        kill(server, SIGTERM);
        cr_assert_eq(wait_scrape(server, 30, 0), 0, "serve must stop cleanly");
    }
    server = 0;
    port = 0;
}

static void setup(void)
{
    crawl();
    start_server("2000");
}

static void teardown(void)
{
    stop_server();
    site_stop(&site);
    sandbox_release(&sb);
}

/* Runs `cmd` (a shell line); its stdout as a new string. */
static char *sh(const char *cmd)
{
    FILE *p = popen(cmd, "r");
    char *out = calloc(1, 1);
    size_t len = 0;
    char chunk[4096];
    size_t k;

    cr_assert_not_null(p);
    while ((k = fread(chunk, 1, sizeof(chunk), p)) > 0) {
        out = realloc(out, len + k + 1);
        memcpy(out + len, chunk, k);
        len += k;
        out[len] = '\0';
    }
    pclose(p);
    return out;
}

/* The HTTP status of GET `path` (curl -w). */
static long status_of(const char *path, const char *extra)
{
    char cmd[1024], *out;
    long code;

    snprintf(cmd, sizeof(cmd),
             "curl -s -o /dev/null -w '%%{http_code}' %s"
             " 'http://127.0.0.1:%u%s'",
             extra ? extra : "", port, path);
    out = sh(cmd);
    code = strtol(out, NULL, 10);
    free(out);
    return code;
}

/* True when jq's `expr` holds for the JSON at `path`. */
static bool jq(const char *path, const char *expr)
{
    char cmd[2048];

    snprintf(cmd, sizeof(cmd),
             "curl -s --max-time 20 'http://127.0.0.1:%u%s' | jq -e '%s'"
             " >/dev/null",
             port, path, expr);
    return system(cmd) == 0;
}

/* One value from jq -r. */
static long long jq_int(const char *path, const char *expr)
{
    char cmd[2048], *out;
    long long v;

    snprintf(cmd, sizeof(cmd),
             "curl -s --max-time 20 'http://127.0.0.1:%u%s' | jq -r '%s'", port,
             path, expr);
    out = sh(cmd);
    v = strtoll(out, NULL, 10);
    free(out);
    return v;
}

TestSuite(serve, .init = setup, .fini = teardown);

Test(serve, runs_and_one_run_have_their_figures)
{
    cr_assert(jq("/api/runs", ".runs | length == 2"));
    cr_assert(
        jq("/api/runs", ".runs[0].id == 2 and .runs[1].mode == \"multi\""));
    cr_assert_eq(jq_int("/api/runs/2", ".run.pages"),
                 db_int(&sb, "SELECT pages FROM runs WHERE id = 2"));
    cr_assert_eq(jq_int("/api/runs/1", ".counts[0].items"),
                 db_int(&sb, "SELECT count(*) FROM items WHERE run_id = 1"));
    cr_assert(jq("/api/runs/2", "[.by_status[].pages] | add > 0"));
    cr_assert(jq("/api/runs/2", ".hosts[0].host | startswith(\"127.0.0.1:\")"));
}

/* Keyset pages: every row once, in id order, whatever the page size. */
Test(serve, pages_paginate_every_row_exactly_once)
{
    char path[256], cmd[512], *ids, *p;
    long long want = db_int(&sb, "SELECT count(*) FROM pages WHERE run_id = 2");
    long long n = 0, prev = 0, pages = 0;

    snprintf(path, sizeof(path), "/api/runs/2/pages?limit=7");
    while (path[0] && pages++ < 200) {
        snprintf(cmd, sizeof(cmd),
                 "curl -s 'http://127.0.0.1:%u%s' | jq -r '.pages[].id,"
                 " \"next\", (.next // \"\")'",
                 port, path);
        ids = sh(cmd);
        for (p = strtok(ids, "\n"); p && strcmp(p, "next");
             p = strtok(NULL, "\n")) {
            long long id = strtoll(p, NULL, 10);
            cr_assert_gt(id, prev, "ids out of order or repeated");
            prev = id;
            n++;
        }
        p = strtok(NULL, "\n");
        snprintf(path, sizeof(path), "%s", p ? p : "");
        free(ids);
    }
    cr_assert_eq(n, want);
}

Test(serve, link_header_and_filters)
{
    char cmd[256], *out;

    snprintf(cmd, sizeof(cmd),
             "curl -s -i 'http://127.0.0.1:%u/api/runs/2/pages?limit=3"
             "&status=200'",
             port);
    out = sh(cmd);
    cr_assert_not_null(strstr(out, "Link: </api/runs/2/pages?after="), "%s",
                       out);
    cr_assert_not_null(strstr(out, "&limit=3&status=200>; rel=\"next\""), "%s",
                       out);
    cr_assert_not_null(strstr(out, "Content-Type: application/json"));
    free(out);
    cr_assert_eq(
        jq_int("/api/runs/2/pages?status=404&limit=1000", ".pages | length"),
        db_int(&sb, "SELECT count(*) FROM pages WHERE run_id = 2 AND"
                    " status = 404"));
    cr_assert(jq("/api/runs/2/pages?q=book/4&limit=1000",
                 "[.pages[].url | contains(\"book/4\")] | all"));
    cr_assert_eq(jq_int("/api/runs/2/pages?host=127.0.0.1&limit=1000",
                        ".pages | length"),
                 db_int(&sb, "SELECT count(*) FROM pages WHERE run_id = 2"));
    cr_assert_eq(jq_int("/api/runs/2/pages?host=localhost&limit=1000",
                        ".pages | length"),
                 0);
}

Test(serve, a_page_with_its_fields_links_and_items)
{
    long long id = db_int(&sb, "SELECT min(page_id) FROM items");
    long long book = db_int(&sb, "SELECT min(page_id) FROM fields");
    char path[64];

    snprintf(path, sizeof(path), "/api/pages/%lld", id);
    cr_assert(jq(path, ".page.id and (.items | length) == 10"));
    cr_assert(jq(path, ".items[0].data.tags | type == \"array\""));
    cr_assert(jq(path, ".items[0].data.author | type == \"string\""));
    cr_assert_eq(
        jq_int(path, ".links | length"),
        db_int(&sb, "SELECT count(*) FROM links WHERE page_id = %lld", id));
    snprintf(path, sizeof(path), "/api/pages/%lld", book);
    cr_assert(jq(path, ".fields[0].name == \"price\" and (.fields[0].value |"
                       " startswith(\"£\"))"));
    cr_assert_eq(status_of("/api/pages/999999", NULL), 404);
}

Test(serve, items_filter_on_fields_and_lists)
{
    long long want = db_int(&sb, "SELECT count(*) FROM items WHERE run_id = 1"
                                 " AND data ->> '$.author' = 'Albert"
                                 " Einstein'");
    long long tagged = db_int(
        &sb, "SELECT count(*) FROM items, json_each(items.data, '$.tags') j"
             " WHERE run_id = 1 AND j.value = 'love'");

    cr_assert_gt(want, 0);
    cr_assert_eq(jq_int("/api/runs/1/items?field.author=Albert%20Einstein"
                        "&limit=1000",
                        ".items | length"),
                 want);
    cr_assert(jq("/api/runs/1/items?field.author=Albert%20Einstein",
                 "[.items[].data.author == \"Albert Einstein\"] | all"));
    cr_assert_eq(jq_int("/api/runs/1/items?field.tags=love&limit=1000",
                        ".items | length"),
                 tagged);
    cr_assert_eq(status_of("/api/runs/1/items?field.nope=1", NULL), 400);
}

Test(serve, bad_requests_are_json_errors_never_500)
{
    static const char *const bad[] = {
        "/api/runs/2/pages?limit=0",   "/api/runs/2/pages?limit=5000",
        "/api/runs/2/pages?after=-1",  "/api/runs/2/pages?after=abc",
        "/api/runs/2/pages?status=x",  "/api/runs/2/pages?limit=1e3",
        "/api/runs/1/items?after=%00", NULL};
    size_t i;

    for (i = 0; bad[i]; i++) {
        cr_assert_eq(status_of(bad[i], NULL), 400, "%s", bad[i]);
        cr_assert(jq(bad[i], ".error | type == \"string\""), "%s", bad[i]);
    }
    cr_assert_eq(status_of("/api/runs/9", NULL), 404);
    cr_assert_eq(status_of("/api/runs/abc", NULL), 404);
    cr_assert_eq(status_of("/api/runs/1/nothing", NULL), 404);
    cr_assert_eq(status_of("/etc/passwd", NULL), 404);
    cr_assert_eq(status_of("/api/runs", "-X POST"), 405);
    cr_assert_eq(status_of("/api/runs", "-X DELETE"), 405);
    /* A body on a GET, sent or only announced (once: no answer at all),
     * is refused at once; curl waits 5 s at most. */
    cr_assert_eq(status_of("/api/runs", "-m 5 -X GET --data x=1"), 400);
    cr_assert_eq(
        status_of("/api/runs", "-m 5 -X GET -H 'Content-Length: 9999'"), 400);
    cr_assert_eq(status_of("/api/runs", "-m 5 -X POST --data x=1"), 405);
    cr_assert_eq(status_of("/api/runs", NULL), 200);
}

/* GET `path` (any length) with curl's `extra` options, waiting at most
 * 5 s: "STATUS CONTENT-TYPE", the body in sb.dir/big.txt. */
static char *big_get(const char *path, const char *extra)
{
    size_t n = strlen(path) + strlen(extra) + 512;
    char *cmd = malloc(n), *out;

    snprintf(cmd, n,
             "curl -s -m 5 -o '%s/big.txt' -w '%%{http_code} %%{content_type}'"
             " %s 'http://127.0.0.1:%u%s'",
             sb.dir, extra, port, path);
    out = sh(cmd);
    free(cmd);
    return out;
}

/* `n` query arguments x0=1&x1=1... after `path`. */
static char *with_args(const char *path, int n)
{
    char *p = malloc(strlen(path) + (size_t)n * 12 + 2);
    size_t len = (size_t)sprintf(p, "%s", path);
    int i;

    for (i = 0; i < n; i++)
        len += (size_t)sprintf(p + len, "%cx%d=1", i ? '&' : '?', i);
    return p;
}

/* A request past the limits (3,000 arguments once got no answer at all
 * until the idle timeout) is answered at once with a clear error: JSON
 * on the API, a page on the HTML paths; the server goes on serving. */
/* GET `path` with `n` query arguments: curl's "STATUS CONTENT-TYPE"
 * must start with `want`, and the body hold `says` (NULL: not looked
 * at). */
static void expect_args(const char *path, int n, const char *want,
                        const char *says)
{
    char *full = with_args(path, n), *got = big_get(full, ""), *body;

    cr_assert_eq(strncmp(got, want, strlen(want)), 0, "%s, %d arguments: %s",
                 path, n, got);
    if (says) {
        body = read_file_text(&sb, "big.txt");
        cr_assert_not_null(strstr(body, says), "%s", body);
        free(body);
    }
    free(got);
    free(full);
}

Test(serve, oversized_requests_get_a_clear_error_at_once)
{
    static const char *const json = "application/json; charset=utf-8";
    char *got, headers[16384] = "", want[64];
    int i;

    snprintf(want, sizeof(want), "414 %s", json);
    expect_args("/api/pages/1", 3000, want, "\"error\": \"request target over");
    expect_args("/api/pages/1", 65, want, "more than 64 query arguments");
    /* At the limit, the request is answered as usual. */
    snprintf(want, sizeof(want), "200 %s", json);
    expect_args("/api/pages/1", 64, want, NULL);
    expect_args("/runs/2", 2000, "414 text/html", NULL);
    /* Headers: libmicrohttpd's own answer, also at once. */
    for (i = 0; i < 1000; i++)
        snprintf(headers + strlen(headers), sizeof(headers) - strlen(headers),
                 " -H X%d:1", i);
    got = big_get("/api/runs", headers);
    cr_assert_eq(strncmp(got, "431", 3), 0, "1000 headers: %s", got);
    free(got);
    cr_assert_eq(status_of("/api/runs", NULL), 200);
}

/* The server's peak memory (VmHWM), in KB. */
static long server_peak_kb(void)
{
    char path[64], line[256];
    long kb = -1;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/status", (int)server);
    f = fopen(path, "r");
    cr_assert_not_null(f);
    while (fgets(line, sizeof(line), f))
        if (!strncmp(line, "VmHWM:", 6))
            kb = strtol(line + 6, NULL, 10);
    fclose(f);
    return kb;
}

/* 500 connections held open with nothing sent (more than the old limit
 * of 256), a client trickling its header a line a second, and 50 clients
 * making 40 requests each: every request is answered, and the server's
 * memory stays bounded.  Then idle connections that never sent a request
 * are closed within the short first-request timeout, not the keep-alive
 * one. */
Test(serve, idle_and_slow_connections_do_not_crowd_out_clients)
{
    char cmd[512], *out;
    long answered = -1, failed = -1, closed = -1;

    snprintf(cmd, sizeof(cmd),
             "python3 tests/integration/crowd.py %u 500 50 40 /api/runs", port);
    out = sh(cmd);
    cr_assert_eq(sscanf(out, "answered %ld failed %ld", &answered, &failed), 2,
                 "%s", out);
    cr_assert_eq(answered, 2000, "%s", out);
    cr_assert_eq(failed, 0, "%s", out);
    free(out);
    cr_assert_lt(server_peak_kb(), 96 * 1024, "peak %ld KB", server_peak_kb());
    /* Each recv waits at most 12 s: under the keep-alive timeout (15 s),
     * over the first-request one (5 s). */
    snprintf(cmd, sizeof(cmd),
             "python3 -c \"import socket\n"
             "s = [socket.create_connection(('127.0.0.1', %u)) for i in"
             " range(20)]\n"
             "n = 0\n"
             "for x in s:\n"
             "    x.settimeout(12)\n"
             "    try: n += x.recv(1) == b''\n"
             "    except OSError: pass\n"
             "print(n)\"",
             port);
    out = sh(cmd);
    closed = strtol(out, NULL, 10);
    cr_assert_eq(closed, 20, "idle connections closed: %s", out);
    free(out);
    cr_assert_eq(status_of("/api/runs", NULL), 200);
}

Test(serve, finished_runs_carry_an_etag)
{
    char cmd[512], *out, *tag, *end;

    snprintf(cmd, sizeof(cmd),
             "curl -s -i 'http://127.0.0.1:%u/api/runs/2/pages?limit=5'", port);
    out = sh(cmd);
    tag = strstr(out, "ETag: ");
    cr_assert_not_null(tag, "%s", out);
    tag += 6;
    end = strpbrk(tag, "\r\n");
    *end = '\0';
    snprintf(cmd, sizeof(cmd), "-H 'If-None-Match: %s'", tag);
    cr_assert_eq(status_of("/api/runs/2/pages?limit=5", cmd), 304);
    cr_assert_eq(status_of("/api/runs/2/pages?limit=6", cmd), 200,
                 "another request, another tag");
    free(out);
}

/* A query past the time limit is a 503 with a reason, and the server
 * goes on answering. */
Test(serve, slow_queries_get_503)
{
    stop_server();
    start_server("0");
    cr_assert_eq(status_of("/api/runs/2", NULL), 503);
    cr_assert(jq("/api/runs/2", ".error | contains(\"time limit\")"));
    stop_server();
    start_server("2000");
    cr_assert_eq(status_of("/api/runs/2", NULL), 200);
}

/* Paging while a crawl inserts into the same database: ids strictly
 * increase, none is missed or repeated, and the last page catches up. */
Test(serve, pagination_is_stable_while_a_crawl_writes)
{
    static const char *const slow[] = {"--pages", "400", "--latency", "20",
                                       NULL};
    struct site s2;
    char url[128], path[256], cmd[512], *ids, *p;
    long long prev = 0, n = 0, rounds = 0;
    pid_t pid;

    site_start(&s2, slow);
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/index.html", s2.port);
    {
        const char *const run[] = {"-q",   "-d",  "5", "-c", "4",
                                   "--db", sb.db, url, NULL};
        pid = start_scrape(&sb, run);
    }
    /* Run 3 is the one being written. */
    snprintf(path, sizeof(path), "/api/runs/3/pages?limit=5");
    while (rounds++ < 2000) {
        snprintf(cmd, sizeof(cmd),
                 "curl -s 'http://127.0.0.1:%u%s' | jq -r '(.pages // [])[].id,"
                 " \"next\", (.next // \"\")'",
                 port, path);
        ids = sh(cmd);
        for (p = strtok(ids, "\n"); p && strcmp(p, "next");
             p = strtok(NULL, "\n")) {
            long long id = strtoll(p, NULL, 10);
            cr_assert_gt(id, prev, "id %lld after %lld", id, prev);
            prev = id;
            n++;
        }
        p = strtok(NULL, "\n");
        if (p && *p)
            snprintf(path, sizeof(path), "%s", p);
        else if (!scrape_running(pid)) {
            cr_assert_eq(wait_scrape(pid, 5, 0), 0);
            pid = 0;
        }
        if (!pid && !(p && *p)) {
            /* The crawl is over: one more look from the last id. */
            free(ids);
            snprintf(cmd, sizeof(cmd),
                     "curl -s 'http://127.0.0.1:%u/api/runs/3/pages?after=%lld"
                     "&limit=1000' | jq '.pages | length'",
                     port, prev);
            ids = sh(cmd);
            n += strtoll(ids, NULL, 10);
            free(ids);
            break;
        }
        if (!(p && *p)) {
            snprintf(path, sizeof(path), "/api/runs/3/pages?after=%lld&limit=5",
                     prev);
            usleep(50000);
        }
        free(ids);
    }
    cr_assert_eq(pid, 0, "the crawl did not end");
    site_stop(&s2);
    cr_assert_eq(n, db_int(&sb, "SELECT count(*) FROM pages WHERE run_id = 3"));
}

/* Search: the CLI's results, as JSON, with escaped HTML snippets. */
Test(serve, search_answers_like_scrape_search)
{
    const char *const cli[] = {"search",  "--run",        "2",
                               "--limit", "1000",         "--db",
                               sb.db,     "hidden under", NULL};
    char *out, *last;
    long want;

    cr_assert_eq(run_scrape(&sb, cli, RUN_TIMEOUT_S, 0), 0);
    out = read_file_text(&sb, "stdout.txt");
    out[strlen(out) - 1] = '\0';
    last = strrchr(out, '\n');
    want = strtol(last ? last + 1 : out, NULL, 10);
    free(out);
    cr_assert_gt(want, 0);
    cr_assert_eq(
        jq_int("/api/search?q=hidden%20under&run=2&limit=1000", ".count"),
        want);
    cr_assert_lt(
        jq_int("/api/search?q=%22hidden%20under%22&run=2&limit=1000", ".count"),
        want, "a phrase finds fewer pages than its words");
    cr_assert(jq("/api/search?q=hidden&run=2&limit=5",
                 "[.results[].snippet_html | ascii_downcase |"
                 " contains(\"<mark>hidden</mark>\")] | all"));
    cr_assert(jq("/api/search?q=hidden&run=2&limit=5",
                 "[.results[].snippet | contains(\"<mark>\") | not] | all"));
    /* The latest run when none is named. */
    cr_assert(jq("/api/search?q=hidden", ".run == 2"));
    cr_assert_eq(status_of("/api/search?q=%22a%20b", NULL), 400);
    cr_assert_eq(status_of("/api/search", NULL), 400);
    cr_assert_eq(status_of("/api/search?q=x&run=99", NULL), 404);
}

/* Near-duplicates: the clusters scrape dupes prints. */
Test(serve, dupes_give_the_clusters)
{
    const char *const cli[] = {"dupes", "--run", "2", "--db", sb.db, NULL};
    char *out, *p;
    long want;

    cr_assert_eq(run_scrape(&sb, cli, RUN_TIMEOUT_S, 0), 0);
    out = read_file_text(&sb, "stdout.txt");
    p = strstr(out, " clusters of near-duplicates");
    cr_assert_not_null(p, "%s", out);
    while (p > out && p[-1] != '\n')
        p--;
    want = strtol(p, NULL, 10);
    free(out);
    cr_assert_gt(want, 0);
    cr_assert_eq(jq_int("/api/runs/2/dupes", ".clusters | length"), want);
    cr_assert(jq("/api/runs/2/dupes", "[.clusters[] | length >= 2] | all"));
    cr_assert_eq(status_of("/api/runs/2/dupes?distance=64", NULL), 400);
}

/* Runs headless Chromium on `url`, its DOM after load on stdout. */
static char *dom_of(const char *url)
{
    char cmd[1200];

    snprintf(cmd, sizeof(cmd),
             "timeout 90 chromium --headless --no-sandbox --disable-gpu"
             " --no-first-run --disable-background-networking"
             " --disable-component-update --disable-sync"
             " --user-data-dir=%s/chromium --window-size=1280,800"
             " --dump-dom '%s' 2>/dev/null",
             sb.dir, url);
    return sh(cmd);
}

/* The pages for people: a search from the form's URL finds page 42, its
 * link leads to its record; every answer forbids scripts. */
Test(serve, html_pages_search_and_record_in_a_browser)
{
    char url[256], *dom, *a, *head;
    long long id = db_int(&sb, "SELECT id FROM pages WHERE run_id = 2 AND"
                               " url LIKE '%%/book/42.html'");
    long long link;

    snprintf(url, sizeof(url), "http://127.0.0.1:%u/search?q=zanzibar&run=2",
             port);
    dom = dom_of(url);
    cr_assert_not_null(strstr(dom, "<ol id=\"results\">"), "%.2000s", dom);
    cr_assert_not_null(strstr(dom, "<mark>zanzibar</mark>"), "%.2000s", dom);
    a = strstr(dom, "class=\"result\" href=\"/pages/");
    cr_assert_not_null(a, "%.2000s", dom);
    link = strtoll(a + strlen("class=\"result\" href=\"/pages/"), NULL, 10);
    cr_assert_eq(link, id);
    free(dom);
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/pages/%lld", port, link);
    dom = dom_of(url);
    cr_assert_not_null(strstr(dom, "Silent Harbour, volume 42"), "%.2000s",
                       dom);
    cr_assert_not_null(strstr(dom, "/book/42.html</a>"), "%.2000s", dom);
    free(dom);
    snprintf(url, sizeof(url), "curl -s -i 'http://127.0.0.1:%u/'", port);
    head = sh(url);
    cr_assert_not_null(strstr(head, "Content-Security-Policy: default-src"
                                    " 'none'; style-src 'self'"));
    cr_assert_not_null(strstr(head, "<table id=\"runs\">"));
    cr_assert_not_null(strstr(head, "id=\"timeline\""), "the new chart");
    free(head);
}

/* A page whose title, heading and link are scripts shows them as text
 * and runs nothing. */
Test(serve, scraped_scripts_show_as_text_and_never_run)
{
    long long id = db_int(&sb, "SELECT id FROM pages WHERE url LIKE '%%/xss'");
    char url[256], *dom, *raw;

    snprintf(url, sizeof(url), "curl -s 'http://127.0.0.1:%u/pages/%lld'", port,
             id);
    raw = sh(url);
    cr_assert_null(strstr(raw, "<script"), "%s", raw);
    cr_assert_null(strstr(raw, "<img"), "%s", raw);
    cr_assert_null(strstr(raw, "href=\"javascript:"), "%s", raw);
    cr_assert_not_null(strstr(raw, "&lt;script&gt;document.documentElement"));
    free(raw);
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/pages/%lld", port, id);
    dom = dom_of(url);
    cr_assert_not_null(strstr(dom, "<html"), "%.1000s", dom);
    /* The text mentions data-pwned; only a script would set it. */
    cr_assert_null(strstr(dom, "data-pwned=\""), "a script ran: %.1000s", dom);
    cr_assert_not_null(strstr(dom, "&lt;script&gt;"), "%.1000s", dom);
    free(dom);
}

/* Start-up errors are one line, before anything listens. */
Test(serve, a_missing_database_or_a_bad_address_is_one_line)
{
    const char *const missing[] = {
        "serve", "--db", "/nonexistent/x.db", "--listen", "127.0.0.1:0", NULL};
    const char *const bad[] = {"serve",    "--db",      sb.db,
                               "--listen", "localhost", NULL};
    const char *const taken[] = {"serve",    "--db", sb.db,
                                 "--listen", NULL,   NULL};
    const char *const other[] = {"stats", "--listen", "127.0.0.1:0",
                                 "--db",  sb.db,      NULL};
    char addr[64], *err;

    cr_assert_eq(run_scrape(&sb, missing, 30, 0), 1);
    err = read_stderr(&sb);
    cr_assert_not_null(strstr(err, "scrape serve: cannot open"), "%s", err);
    cr_assert_eq(strchr(err, '\n') - err + 1, (long)strlen(err), "%s", err);
    free(err);
    cr_assert_eq(run_scrape(&sb, bad, 30, 0), 1);
    err = read_stderr(&sb);
    cr_assert_not_null(strstr(err, "--listen wants HOST:PORT"), "%s", err);
    free(err);
    /* The running server's own port is taken. */
    snprintf(addr, sizeof(addr), "127.0.0.1:%u", port);
    {
        const char *args[6];
        memcpy(args, taken, sizeof(args));
        args[4] = addr;
        cr_assert_eq(run_scrape(&sb, args, 30, 0), 1);
    }
    err = read_stderr(&sb);
    cr_assert_not_null(strstr(err, "cannot listen on"), "%s", err);
    free(err);
    cr_assert_eq(run_scrape(&sb, other, 30, 0), 2, "--listen is serve's");
}

/* A person's way through the pages, in Chromium driven by WebDriver
 * (tests/browser/serve_flow.py): type a search into the form, follow the
 * first result to its record; a page of scripts shows as text and runs
 * nothing; no page scrolls sideways at 1280x800 or on a phone. */
Test(serve, a_person_searches_follows_and_reads_in_a_browser)
{
    long long id = db_int(&sb, "SELECT id FROM pages WHERE run_id = 2 AND"
                               " url LIKE '%%/book/42.html'");
    long long xss = db_int(&sb, "SELECT id FROM pages WHERE url LIKE"
                                " '%%/xss'");
    char cmd[512], *out;

    snprintf(cmd, sizeof(cmd),
             "timeout 180 /usr/bin/python3 tests/browser/serve_flow.py"
             " http://127.0.0.1:%u %lld %lld 2>&1",
             port, id, xss);
    out = sh(cmd);
    cr_assert_not_null(strstr(out, "ok\n"), "%s", out);
    free(out);
}
