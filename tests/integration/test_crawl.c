/*
 * Integration tests: the real scrape binary against the real local site
 * (tests/site/sitesrv on 127.0.0.1), checked through the SQLite file.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "site/site.h"

#define RUN_TIMEOUT_S 60

static struct site site;
static struct sandbox sb;
static char url[256];

/* Absolute URL on the test site. */
static const char *site_url(const char *path)
{
    snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", site.port, path);
    return url;
}

static void start(const char *const *site_args)
{
    sandbox_init(&sb);
    site_start(&site, site_args);
}

static void finish(void)
{
    site_stop(&site);
    sandbox_release(&sb);
}

static void seed_index(void)
{
    char text[300];

    snprintf(text, sizeof(text), "%s\n", site_url("/index.html"));
    write_seeds(&sb, text);
}

Test(crawl, whole_site_each_page_once_with_right_titles_and_fields,
     .fini = finish)
{
    static const char *const args[] = {"--pages", "300", "--page-size", "4000",
                                       NULL};
    const char *const run[] = {"-q",
                               "-d",
                               "3",
                               "--per-host",
                               "32",
                               "--field",
                               "price=//p[@class='price']",
                               "--db",
                               sb.db,
                               sb.seeds,
                               NULL};
    char title[128], price[32], path[64];
    unsigned i;

    start(args);
    seed_index();
    cr_assert_eq(run_scrape(&sb, run, RUN_TIMEOUT_S, 0), 0);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages"), 300);
    cr_assert_eq(db_int(&sb, "SELECT count(DISTINCT url) FROM pages"), 300);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages WHERE error IS NOT"
                             " NULL OR status != 200"),
                 0);
    cr_assert_eq(db_int(&sb, "SELECT pages FROM runs"), 300);
    cr_assert_eq(db_int(&sb, "SELECT errors FROM runs"), 0);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM runs WHERE status ="
                             " 'done' AND mode = 'multi'"),
                 1);
    for (i = 0; i < 300; i++) {
        char *got_title, *got_price;
        site_path(i, path, sizeof(path));
        site_title(i, title, sizeof(title));
        site_price(i, price, sizeof(price));
        got_title = db_text(&sb, "SELECT title FROM pages WHERE url = '%s'",
                            site_url(path));
        got_price = db_text(&sb,
                            "SELECT value FROM fields f JOIN pages p ON"
                            " p.id = f.page_id WHERE p.url = '%s' AND"
                            " f.name = 'price'",
                            site_url(path));
        cr_assert_str_eq(got_title, title);
        cr_assert_str_eq(got_price, price);
        free(got_title);
        free(got_price);
    }
    /* Pages 99, 199 and 299 copy the text of 98, 198 and 298 (one word
     * more): exactly those pairs have close SimHash fingerprints (a 1%
     * change flips ~2 bits on average; unrelated pages differ in ~32).
     * XOR is written (a | b) & ~(a & b): SQLite has no ^. */
    cr_assert_eq(db_int(&sb, "WITH bits(i) AS (SELECT 0 UNION ALL SELECT i + 1"
                             " FROM bits WHERE i < 63),"
                             " d AS (SELECT p.url AS a, q.url AS b, (SELECT"
                             " sum((((p.simhash | q.simhash) & ~(p.simhash &"
                             " q.simhash)) >> i) & 1) FROM bits) AS dist FROM"
                             " pages p JOIN pages q ON p.id < q.id)"
                             " SELECT count(*) = 3 AND sum(min(a, b) LIKE"
                             " '%%98.html' AND max(a, b) LIKE '%%99.html') = 3"
                             " FROM d WHERE dist <= 10"),
                 1);
    /* BFS depth is at most the tree depth (related links can shorten). */
    cr_assert_eq(db_int(&sb, "SELECT max(depth) FROM pages"), 3);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages WHERE words < 100"
                             " OR h1 IS NULL OR lang IS NULL"),
                 0);
}

Test(crawl, max_pages_is_exact, .fini = finish)
{
    const char *const run[] = {"-q",   "-d",  "5",      "--max-pages", "25",
                               "--db", sb.db, sb.seeds, NULL};

    start(NULL);
    seed_index();
    cr_assert_eq(run_scrape(&sb, run, RUN_TIMEOUT_S, 0), 0);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages"), 25);
    cr_assert_eq(db_int(&sb, "SELECT pages FROM runs"), 25);
    /* What the limit left queued is recorded as skipped, not fetched. */
    cr_assert_gt(db_int(&sb, "SELECT count(*) FROM skipped WHERE reason ="
                             " 'max-pages'"),
                 0);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM skipped s JOIN pages p"
                             " ON p.url = s.url"),
                 0);
}

Test(crawl, depth_limits_the_crawl_to_the_index_links, .fini = finish)
{
    const char *const run[] = {"-q", "-d", "1", "--db", sb.db, sb.seeds, NULL};
    long long expect;

    start(NULL);
    seed_index();
    cr_assert_eq(run_scrape(&sb, run, RUN_TIMEOUT_S, 0), 0);
    cr_assert_eq(db_int(&sb, "SELECT max(depth) FROM pages"), 1);
    /* Depth 1 = the index plus each distinct same-host link on it. */
    expect =
        db_int(&sb, "SELECT count(DISTINCT l.url) FROM links l JOIN pages p"
                    " ON p.id = l.page_id WHERE p.depth = 0 AND l.followable"
                    " AND l.url LIKE 'http://127.0.0.1:%%' AND l.url != p.url");
    cr_assert_gt(expect, 10);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages"), expect + 1);
}

Test(crawl, depth_zero_fetches_only_the_seeds, .fini = finish)
{
    const char *const run[] = {"-q", "--db", sb.db, sb.seeds, NULL};
    char text[600];

    start(NULL);
    snprintf(text, sizeof(text), "%s\n", site_url("/index.html"));
    snprintf(text + strlen(text), sizeof(text) - strlen(text),
             "%s\n# and the same page spelled differently\n",
             site_url("/book/1.html"));
    snprintf(text + strlen(text), sizeof(text) - strlen(text),
             "HTTP://127.0.0.1:%u/book/x/../1.html#f\n", site.port);
    write_seeds(&sb, text);
    cr_assert_eq(run_scrape(&sb, run, RUN_TIMEOUT_S, 0), 0);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages"), 2);
}

Test(crawl, other_hosts_are_recorded_not_fetched, .fini = finish)
{
    const char *const run[] = {"-q", "-d", "2", "--db", sb.db, sb.seeds, NULL};
    char like[64];

    start(NULL);
    seed_index();
    cr_assert_eq(run_scrape(&sb, run, RUN_TIMEOUT_S, 0), 0);
    snprintf(like, sizeof(like), "http://localhost:%u/%%", site.port);
    cr_assert_gt(
        db_int(&sb, "SELECT count(*) FROM links WHERE url LIKE '%s'", like), 0);
    cr_assert_eq(
        db_int(&sb, "SELECT count(*) FROM pages WHERE url LIKE '%s'", like), 0);
    cr_assert_gt(db_int(&sb, "SELECT count(*) FROM links WHERE url LIKE"
                             " 'mailto:%%' AND followable = 0"),
                 0);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages WHERE url NOT LIKE"
                             " 'http://127.0.0.1:%%'"),
                 0);
    /* Why they were not fetched, once each. */
    cr_assert_eq(db_int(&sb,
                        "SELECT count(*) FROM skipped WHERE reason ="
                        " 'another host' AND url LIKE '%s'",
                        like),
                 1);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM skipped WHERE reason ="
                             " 'scheme not http or https'"),
                 2);
    cr_assert_eq(db_int(&sb, "SELECT count(*) - count(DISTINCT url) FROM"
                             " skipped"),
                 0);
}

Test(crawl, any_host_follows_other_hosts, .fini = finish)
{
    const char *const run[] = {"-q",   "-d",  "1",      "--any-host",
                               "--db", sb.db, sb.seeds, NULL};
    char like[64];

    start(NULL);
    seed_index();
    cr_assert_eq(run_scrape(&sb, run, RUN_TIMEOUT_S, 0), 0);
    snprintf(like, sizeof(like), "http://localhost:%u/book/1.html", site.port);
    cr_assert_eq(db_int(&sb,
                        "SELECT count(*) FROM pages WHERE url = '%s' AND"
                        " status = 200",
                        like),
                 1);
}

Test(crawl, bad_seed_lines_are_reported_and_skipped, .fini = finish)
{
    const char *const run[] = {"-q", "--db", sb.db, sb.seeds, NULL};
    char text[600], *err;

    start(NULL);
    snprintf(text, sizeof(text),
             "# seeds\n%s\nftp://files.example/x\n\nnot a url at all\r\n"
             "http://127.0.0.1:%u/book/2.html",
             site_url("/index.html"), site.port);
    write_seeds(&sb, text);
    cr_assert_eq(run_scrape(&sb, run, RUN_TIMEOUT_S, 0), 0);
    err = read_stderr(&sb);
    cr_assert_not_null(strstr(err, "seeds.txt:3: not an http or https URL:"
                                   " 'ftp://files.example/x'"),
                       "%s", err);
    cr_assert_not_null(strstr(err, "seeds.txt:5: malformed URL"), "%s", err);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages"), 2);
    free(err);
}

Test(crawl, fatal_and_usage_errors_have_exit_codes)
{
    const char *const no_seeds[] = {"--db", sb.db, sb.seeds, NULL};
    const char *const missing[] = {"--db", sb.db, "/nonexistent/seeds", NULL};
    const char *const usage[] = {"--concurrency", "zero", sb.seeds, NULL};
    const char *const bad_db[] = {"--db", "/nonexistent-dir/sub/x.db", sb.seeds,
                                  NULL};
    const char *const bad_xpath[] = {"--field", "x=//p[", sb.seeds, NULL};
    char *err;

    sandbox_init(&sb);
    write_seeds(&sb, "# nothing but a comment\nftp://x/\n");
    cr_assert_eq(run_scrape(&sb, no_seeds, RUN_TIMEOUT_S, 0), 1);
    err = read_stderr(&sb);
    cr_assert_not_null(strstr(err, "no valid seed URLs"), "%s", err);
    free(err);
    cr_assert_eq(run_scrape(&sb, missing, RUN_TIMEOUT_S, 0), 1);
    err = read_stderr(&sb);
    cr_assert_not_null(strstr(err, "cannot read '/nonexistent/seeds'"), "%s",
                       err);
    free(err);
    cr_assert_eq(run_scrape(&sb, usage, RUN_TIMEOUT_S, 0), 2);
    write_seeds(&sb, "http://127.0.0.1:1/\n");
    cr_assert_eq(run_scrape(&sb, bad_db, RUN_TIMEOUT_S, 0), 1);
    err = read_stderr(&sb);
    cr_assert_not_null(strstr(err, "cannot open database"), "%s", err);
    free(err);
    cr_assert_eq(run_scrape(&sb, bad_xpath, RUN_TIMEOUT_S, 0), 2);
    err = read_stderr(&sb);
    cr_assert_not_null(strstr(err, "--field 'x': invalid XPath"), "%s", err);
    free(err);
    sandbox_release(&sb);
}

/* Looks up the error text recorded for `path`. */
static char *error_for(const char *path)
{
    return db_text(&sb, "SELECT error FROM pages WHERE url = '%s'",
                   site_url(path));
}

Test(crawl, every_failure_is_one_readable_row, .fini = finish)
{
    const char *const run[] = {"-q",  "--max-bytes", "1000000", "--db",
                               sb.db, sb.seeds,      NULL};
    static const char *const paths[] = {
        "/status/404", "/status/500", "/loop",          "/big?bytes=20000000",
        "/redirect/3", "/data.json",  "/big?bytes=5000"};
    char text[2048] = "", *v;
    size_t i;

    start(NULL);
    for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
        snprintf(text + strlen(text), sizeof(text) - strlen(text), "%s\n",
                 site_url(paths[i]));
    strcat(text, "http://127.0.0.1:1/closed\n");
    write_seeds(&sb, text);
    cr_assert_eq(run_scrape(&sb, run, RUN_TIMEOUT_S, 0), 0);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages"), 8);
    v = db_text(&sb, "SELECT group_concat(url || ' = ' ||"
                     " coalesce(error, 'ok'), '; ') FROM pages");
    cr_assert_eq(db_int(&sb, "SELECT errors FROM runs"), 5, "%s", v);
    free(v);

    v = error_for("/status/404");
    cr_assert_str_eq(v, "HTTP 404 Not Found");
    free(v);
    cr_assert_eq(db_int(&sb, "SELECT status FROM pages WHERE url LIKE"
                             " '%%/status/500'"),
                 500);
    v = error_for("/loop");
    cr_assert_str_eq(v, "too many redirects (over 10)");
    free(v);
    v = error_for("/big?bytes=20000000");
    cr_assert_str_eq(v, "body over 1000000 bytes");
    free(v);
    v = db_text(&sb, "SELECT error FROM pages WHERE url LIKE '%%:1/closed'");
    cr_assert_str_eq(v, "connection refused");
    free(v);
    /* Successes: a redirect chain records where it ended. */
    v = db_text(&sb, "SELECT final_url FROM pages WHERE url = '%s'",
                site_url("/redirect/3"));
    cr_assert_str_eq(v, site_url("/index.html"));
    free(v);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages WHERE url LIKE"
                             " '%%/data.json' AND title IS NULL AND status ="
                             " 200 AND content_type = 'application/json'"
                             " AND bytes = 13 AND error IS NULL"),
                 1);
    cr_assert_eq(db_int(&sb, "SELECT bytes FROM pages WHERE url LIKE"
                             " '%%bytes=5000'"),
                 5000);
}

Test(crawl, compressed_bodies_are_capped_after_decompression, .fini = finish)
{
    const char *const run[] = {"-q",  "--max-bytes", "1000000", "--db",
                               sb.db, sb.seeds,      NULL};
    char text[600], *v;

    start(NULL);
    snprintf(text, sizeof(text), "%s\n", site_url("/gzip?bytes=5000"));
    snprintf(text + strlen(text), sizeof(text) - strlen(text), "%s\n",
             site_url("/gzip?bytes=50000000"));
    write_seeds(&sb, text);
    cr_assert_eq(run_scrape(&sb, run, RUN_TIMEOUT_S, 0), 0);
    /* bytes counts what was decoded, not what crossed the wire. */
    cr_assert_eq(db_int(&sb,
                        "SELECT bytes FROM pages WHERE url = '%s' AND"
                        " error IS NULL",
                        site_url("/gzip?bytes=5000")),
                 5000);
    v = error_for("/gzip?bytes=50000000");
    cr_assert_str_eq(v, "body over 1000000 bytes");
    free(v);
    /* The 50 MB bomb never sat in memory. */
    cr_assert_lt(db_int(&sb, "SELECT peak_rss_kb FROM runs"), 48 * 1024);
}

/* Alone in its run: under a loaded machine other fetches could also pass
 * a 1 s timeout, and this test is about the slow one. */
Test(crawl, timeout_is_an_error_row, .fini = finish)
{
    const char *const run[] = {"-q",  "--timeout", "1", "--db",
                               sb.db, sb.seeds,    NULL};
    char text[300], *v;

    start(NULL);
    snprintf(text, sizeof(text), "%s\n", site_url("/slow?ms=5000"));
    write_seeds(&sb, text);
    cr_assert_eq(run_scrape(&sb, run, RUN_TIMEOUT_S, 0), 0);
    v = error_for("/slow?ms=5000");
    cr_assert_str_eq(v, "timeout after 1 s");
    free(v);
    cr_assert_eq(db_int(&sb, "SELECT fetch_ms BETWEEN 900 AND 4000 FROM"
                             " pages"),
                 1);
}

Test(crawl, non_utf8_pages_are_stored_as_utf8, .fini = finish)
{
    const char *const run[] = {"-q", "--db", sb.db, sb.seeds, NULL};
    static const char *const kinds[] = {"header", "meta", "none", "sjis"};
    static const char *const titles[] = {"Café crème déjà vu",
                                         "Café crème déjà vu – € 5",
                                         "Café crème déjà vu", "日本語"};
    char text[1024] = "", path[64], *v;
    size_t i;

    start(NULL);
    for (i = 0; i < 4; i++) {
        snprintf(path, sizeof(path), "/charset/%s", kinds[i]);
        snprintf(text + strlen(text), sizeof(text) - strlen(text), "%s\n",
                 site_url(path));
    }
    write_seeds(&sb, text);
    cr_assert_eq(run_scrape(&sb, run, RUN_TIMEOUT_S, 0), 0);
    for (i = 0; i < 4; i++) {
        snprintf(path, sizeof(path), "/charset/%s", kinds[i]);
        v = db_text(&sb, "SELECT title FROM pages WHERE url = '%s'",
                    site_url(path));
        cr_assert_str_eq(v, titles[i], "%s", kinds[i]);
        free(v);
    }
}

Test(crawl, runs_append_to_one_database, .fini = finish)
{
    const char *const run[] = {"-q", "-d", "1", "--db", sb.db, sb.seeds, NULL};

    start(NULL);
    seed_index();
    cr_assert_eq(run_scrape(&sb, run, RUN_TIMEOUT_S, 0), 0);
    cr_assert_eq(run_scrape(&sb, run, RUN_TIMEOUT_S, 0), 0);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM runs"), 2);
    cr_assert_eq(db_int(&sb, "SELECT count(DISTINCT run_id) FROM pages"), 2);
    cr_assert_eq(db_int(&sb, "SELECT (SELECT pages FROM runs WHERE id = 1) ="
                             " (SELECT pages FROM runs WHERE id = 2)"),
                 1);
}

/* On a terminal (script(1) provides one) scrape draws a progress line;
 * into a file or pipe it does not. */
Test(crawl, progress_line_on_a_terminal_only, .fini = finish)
{
    /* 20 ms a page, 4 at a time: at least 1.5 s, several progress
     * intervals, however fast the machine. */
    static const char *const args[] = {"--pages", "300", "--latency", "20",
                                       NULL};
    const char *bin =
        getenv("SCRAPE_BIN") ? getenv("SCRAPE_BIN") : "build/scrape";
    char cmd[1024], out[128], *text;
    FILE *f;
    size_t n;

    start(args);
    seed_index();
    snprintf(out, sizeof(out), "%s/tty.txt", sb.dir);
    snprintf(cmd, sizeof(cmd),
             "timeout 60 script -qec '%s -d 3 -c 4 --per-host 4 --db %s %s'"
             " /dev/null > %s 2>&1",
             bin, sb.db, sb.seeds, out);
    cr_assert_eq(system(cmd), 0);
    f = fopen(out, "r");
    cr_assert_not_null(f);
    text = calloc(1, 1 << 20);
    n = fread(text, 1, (1 << 20) - 1, f);
    fclose(f);
    text[n] = '\0';
    cr_assert_not_null(strstr(text, " in flight, "), "%s", text);
    cr_assert_not_null(strstr(text, " pages/s, "), "%s", text);
    cr_assert_not_null(strstr(text, "300 pages, 0 errors"), "%s", text);
    free(text);
    /* The same crawl with stderr in a file: summary only. */
    {
        const char *const run[] = {"-d", "3", "--db", sb.db, sb.seeds, NULL};
        cr_assert_eq(run_scrape(&sb, run, RUN_TIMEOUT_S, 0), 0);
        text = read_stderr(&sb);
        cr_assert_null(strstr(text, " in flight, "), "%s", text);
        cr_assert_not_null(strstr(text, "300 pages, 0 errors"), "%s", text);
        free(text);
    }
}

/* 429 and 503 are retried, honouring Retry-After; one row per URL with
 * the final outcome and the number of attempts. */
Test(crawl, retries_honour_retry_after, .fini = finish)
{
    const char *const run[] = {"-q",  "--retries", "2", "--db",
                               sb.db, sb.seeds,    NULL};
    char text[800], *v;

    start(NULL);
    snprintf(text, sizeof(text), "%s\n",
             site_url("/flaky?id=1&fail=2&status=429&after=1"));
    snprintf(text + strlen(text), sizeof(text) - strlen(text), "%s\n",
             site_url("/flaky?id=2&fail=5&status=503"));
    snprintf(text + strlen(text), sizeof(text) - strlen(text), "%s\n",
             site_url("/status/500"));
    write_seeds(&sb, text);
    cr_assert_eq(run_scrape(&sb, run, RUN_TIMEOUT_S, 0), 0);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages"), 3);
    v = db_text(&sb, "SELECT status || ' ' || attempts || ' ' || title FROM"
                     " pages WHERE url LIKE '%%id=1%%'");
    cr_assert_str_eq(v, "200 3 flaky ok");
    free(v);
    v = db_text(&sb, "SELECT status || ' ' || attempts || ' ' || error FROM"
                     " pages WHERE url LIKE '%%id=2%%'");
    cr_assert_str_eq(v, "503 3 HTTP 503 Service Unavailable");
    free(v);
    /* 500 is not retried. */
    cr_assert_eq(db_int(&sb, "SELECT attempts FROM pages WHERE url LIKE"
                             " '%%/status/500'"),
                 1);
    /* Two Retry-After: 1 waits (id=1), then 1 s + 2 s of back-off (id=2)
     * run alongside: the crawl cannot be faster than ~3 s. */
    cr_assert_geq(db_int(&sb, "SELECT wall_ms FROM runs"), 2900);
}

/* The shortest gap the site saw between two page requests since the
 * last look, and how many pages were asked for. */
static long min_gap_ms(long *pages)
{
    char line[64];
    long gap = -2;

    site_get(&site, "/gap-report", line, sizeof(line));
    cr_assert_eq(sscanf(line, "pages %ld min-gap-ms %ld", pages, &gap), 2, "%s",
                 line);
    return gap;
}

/* Seeds /book/1.html .. /book/N.html. */
static void seed_books(int n)
{
    char text[4000] = "", path[64];
    int i;

    for (i = 1; i <= n; i++) {
        snprintf(path, sizeof(path), "/book/%d.html", i);
        snprintf(text + strlen(text), sizeof(text) - strlen(text), "%s\n",
                 site_url(path));
    }
    write_seeds(&sb, text);
}

/* Runs `run` (engine `i` in messages): all `pages` asked for, no two
 * requests closer than 200 ms. */
static void expect_spaced(const char *const *run, long pages, int i)
{
    long seen;

    cr_assert_eq(run_scrape(&sb, run, RUN_TIMEOUT_S, 0), 0);
    cr_assert_geq(min_gap_ms(&seen), 200, "engine %d", i);
    cr_assert_eq(seen, pages);
}

/* --delay 300 spaces the requests to one host by 300 ms in every engine,
 * as the site sees them arrive (without --delay they arrive ~1 ms
 * apart).  200 ms, not 300: a request's arrival moves with the
 * scheduler (by over 50 ms on a loaded machine under ASan, seen); no
 * answer's duration counts. */
Test(crawl, delay_spaces_requests_to_one_host, .fini = finish)
{
    const char *const run[] = {"-q",  "--delay",    "300", "-c",
                               "10",  "--per-host", "10",  "--db",
                               sb.db, sb.seeds,     NULL};
    const char *const threads[] = {"-q",  "--threads",  "4", "--delay",
                                   "300", "--per-host", "4", "--db",
                                   sb.db, sb.seeds,     NULL};
    const char *const procs[] = {"-q",   "--procs", "2",      "--delay", "300",
                                 "--db", sb.db,     sb.seeds, NULL};
    const char *const nodelay[] = {"-q",   "-c",  "10",     "--per-host", "10",
                                   "--db", sb.db, sb.seeds, NULL};
    const char *const *const runs[] = {run, threads, procs};
    long pages;
    int i;

    start(NULL);
    seed_books(8);
    for (i = 0; i < 3; i++) {
        expect_spaced(runs[i], 8, i);
        cr_assert_eq(db_int(&sb,
                            "SELECT count(*) FROM pages WHERE error IS NULL"
                            " AND run_id = %d",
                            i + 1),
                     8);
    }
    /* 8 fetches 300 ms apart: no run faster than 2.1 s. */
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM runs WHERE wall_ms >="
                             " 2100 AND pages = 8"),
                 3);
    /* The check can fail: without --delay the same pages come at once. */
    cr_assert_eq(run_scrape(&sb, nodelay, RUN_TIMEOUT_S, 0), 0);
    cr_assert_lt(min_gap_ms(&pages), 200);
    cr_assert_eq(pages, 8);
}

/* A robots.txt Crawl-delay of 0.3 s spaces the requests to its host as
 * --delay 300 would, in every engine; --delay 100 does not shorten it
 * (the larger holds); --ignore-robots ignores it with the rest of the
 * file. */
Test(crawl, robots_crawl_delay_spaces_requests, .fini = finish)
{
    static const char *const args[] = {"--crawl-delay", "300", NULL};
    const char *const multi[] = {"-q",  "--delay",    "100", "-c",
                                 "10",  "--per-host", "10",  "--db",
                                 sb.db, sb.seeds,     NULL};
    const char *const threads[] = {"-q",         "--threads", "4",
                                   "--per-host", "4",         "--db",
                                   sb.db,        sb.seeds,    NULL};
    const char *const procs[] = {"-q",  "--procs", "2", "--db",
                                 sb.db, sb.seeds,  NULL};
    const char *const ignoring[] = {
        "-q",  "--ignore-robots", "-c", "10", "--per-host", "10", "--db",
        sb.db, sb.seeds,          NULL};
    const char *const *const runs[] = {multi, threads, procs};
    long pages;
    int i;

    start(args);
    seed_books(6);
    for (i = 0; i < 3; i++)
        expect_spaced(runs[i], 6, i);
    cr_assert_eq(run_scrape(&sb, ignoring, RUN_TIMEOUT_S, 0), 0);
    cr_assert_lt(min_gap_ms(&pages), 200);
    cr_assert_eq(pages, 6);
}

/* --strip-params drops tracking parameters before URLs are deduplicated
 * and fetched: the links to one page under several of them are one page;
 * a parameter that is not matched stays.  Without it, each spelling is a
 * page of its own. */
Test(crawl, strip_params_makes_tracked_links_one_page, .fini = finish)
{
    const char *const strip[] = {"-q",
                                 "-d",
                                 "1",
                                 "--strip-params",
                                 "^(utm_.*|fbclid|gclid)$",
                                 "--db",
                                 sb.db,
                                 sb.seeds,
                                 NULL};
    const char *const keep[] = {"-q", "-d", "1", "--db", sb.db, sb.seeds, NULL};
    const char *const seeds[] = {
        "-q",  "--strip-params", "^utm_", "--strip-params", "^fbclid$", "--db",
        sb.db, sb.seeds,         NULL};
    const char *const bad[] = {"-q", "--strip-params", "utm_(", sb.seeds, NULL};
    char text[600], *err;

    start(NULL);
    snprintf(text, sizeof(text), "%s\n", site_url("/tracked"));
    write_seeds(&sb, text);
    cr_assert_eq(run_scrape(&sb, strip, RUN_TIMEOUT_S, 0), 0);
    /* /tracked, /book/1.html, /book/2.html?id=7, /book/3.html. */
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages WHERE run_id = 1"), 4);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages WHERE run_id = 1"
                             " AND (url LIKE '%%utm_%%' OR url LIKE"
                             " '%%clid%%')"),
                 0);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages WHERE run_id = 1"
                             " AND url LIKE '%%/book/2.html?id=7'"),
                 1);
    /* Without it: every spelling is a page. */
    cr_assert_eq(run_scrape(&sb, keep, RUN_TIMEOUT_S, 0), 0);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages WHERE run_id = 2"), 7);
    /* Seeds too: two spellings of one page are one page. */
    snprintf(text, sizeof(text), "%s\n%s\n",
             site_url("/book/1.html?utm_source=a&utm_medium=b"),
             site_url("/book/1.html?fbclid=c"));
    write_seeds(&sb, text);
    cr_assert_eq(run_scrape(&sb, seeds, RUN_TIMEOUT_S, 0), 0);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages WHERE run_id = 3"
                             " AND url LIKE '%%/book/1.html'"),
                 1);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages WHERE run_id = 3"), 1);
    cr_assert_eq(run_scrape(&sb, bad, RUN_TIMEOUT_S, 0), 2);
    err = read_stderr(&sb);
    cr_assert_not_null(strstr(err, "--strip-params 'utm_(': missing closing"
                                   " parenthesis"),
                       "%s", err);
    free(err);
}

/* The engines the real-site tests run in, as options. */
static const char *const engine_opts[3][3] = {
    {"--multi", NULL, NULL}, {"--threads", "4", NULL}, {"--procs", "2", NULL}};

/* Fills run[] (room for n): -q, engine i's options, `opts` (NULL-ended),
 * --db, the seeds file. */
static void engine_args(const char **run, size_t n, int i,
                        const char *const *opts)
{
    size_t k = 0, j;

    run[k++] = "-q";
    for (j = 0; engine_opts[i][j]; j++)
        run[k++] = engine_opts[i][j];
    for (j = 0; opts[j]; j++)
        run[k++] = opts[j];
    run[k++] = "--db";
    run[k++] = sb.db;
    run[k++] = sb.seeds;
    cr_assert_lt(k, n);
    run[k] = NULL;
}

/* True when the bytes of file `path` (if it exists) hold `needle`. */
static bool file_holds(const char *path, const char *needle)
{
    FILE *f = fopen(path, "rb");
    size_t n = strlen(needle), len = 0, cap = 0, k;
    char *data = NULL, chunk[65536];
    bool found = false;

    if (!f)
        return false;
    while ((k = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (len + k > cap) {
            cap = (len + k) * 2;
            cr_assert_not_null(data = realloc(data, cap));
        }
        memcpy(data + len, chunk, k);
        len += k;
    }
    fclose(f);
    for (k = 0; !found && k + n <= len; k++)
        found = !memcmp(data + k, needle, n);
    free(data);
    return found;
}

/* Requests the site saw without the header it demands. */
static long header_misses(void)
{
    char out[32];

    site_get(&site, "/header-misses", out, sizeof(out));
    return strtol(out, NULL, 10);
}

/* -H goes with every request (robots.txt and sitemaps too) in every
 * engine; an Authorization header's value is not stored with the run,
 * so --resume asks for it again; Host is refused. */
Test(crawl, headers_go_with_every_request_secrets_stay_out, .fini = finish)
{
    static const char *const args[] = {"--need-header",
                                       "Authorization:Bearer s3cret-t0ken",
                                       "--robots",
                                       "2",
                                       "--pages",
                                       "300",
                                       NULL};
    const char *const hdr[] = {"-H", "Authorization: Bearer s3cret-t0ken",
                               "--header", "X-Extra: 1"};
    char wal[160];
    const char *const opts[] = {"-d",   "2",    "--sitemaps", hdr[0],
                                hdr[1], hdr[2], hdr[3],       NULL};
    const char *run[16];
    const char *const resume[] = {"-q", "--resume", "--db", sb.db, NULL};
    const char *const resume_h[] = {"-q",   "--resume", hdr[0], hdr[1],
                                    "--db", sb.db,      NULL};
    const char *const host[] = {"-q", "-H", "Host: other", sb.seeds, NULL};
    const char *const slow[] = {"-q",   "-d",   "1",   "--delay", "100", hdr[0],
                                hdr[1], "--db", sb.db, sb.seeds,  NULL};
    char *err;
    int i, st;

    start(args);
    seed_index();
    for (i = 0; i < 3; i++) {
        engine_args(run, 16, i, opts);
        cr_assert_eq(run_scrape(&sb, run, RUN_TIMEOUT_S, 0), 0);
        cr_assert_gt(
            db_int(&sb, "SELECT count(*) FROM pages WHERE run_id = %d", i + 1),
            50);
        cr_assert_eq(db_int(&sb,
                            "SELECT count(*) FROM pages WHERE run_id = %d"
                            " AND status = 403",
                            i + 1),
                     0, "engine %d", i);
        cr_assert_gt(db_int(&sb,
                            "SELECT count(*) FROM sitemaps WHERE run_id"
                            " = %d AND status = 200",
                            i + 1),
                     0);
    }
    cr_assert_eq(header_misses(), 0);
    /* The value is nowhere in the database; the run's command line says
     * it was not stored. */
    snprintf(wal, sizeof(wal), "%s-wal", sb.db);
    cr_assert_not(file_holds(sb.db, "s3cret"));
    cr_assert_not(file_holds(wal, "s3cret"));
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM runs WHERE args LIKE"
                             " '%%Authorization: (not stored%%' AND args LIKE"
                             " '%%X-Extra: 1%%'"),
                 3);
    /* Interrupted, then resumed: without the header it is refused, with
     * it the run ends and the site never saw a request without it. */
    st = run_scrape(&sb, slow, RUN_TIMEOUT_S, 400);
    cr_assert_eq(st, 130);
    cr_assert_eq(run_scrape(&sb, resume, RUN_TIMEOUT_S, 0), 2);
    err = read_stderr(&sb);
    cr_assert_not_null(strstr(err, "-H 'Authorization: ...', whose value is"
                                   " not stored"),
                       "%s", err);
    free(err);
    st = run_scrape(&sb, resume_h, RUN_TIMEOUT_S, 0);
    err = read_stderr(&sb);
    cr_assert_eq(st, 0, "%s", err);
    free(err);
    cr_assert_eq(db_int(&sb, "SELECT status = 'done' FROM runs WHERE id = 4"),
                 1);
    cr_assert_eq(header_misses(), 0);
    cr_assert_not(file_holds(sb.db, "s3cret"));
    cr_assert_eq(run_scrape(&sb, host, RUN_TIMEOUT_S, 0), 2);
    err = read_stderr(&sb);
    cr_assert_not_null(strstr(err, "-H 'Host' is not for you to set"), "%s",
                       err);
    free(err);
}

/* Cookies: one store for the crawl in every engine (the cookie /set-cookie
 * sets opens every members' page), loaded from --cookies FILE (a
 * Netscape file opens them without /set-cookie), written to
 * --cookie-jar FILE; the session's value is never in the database, even
 * with --keep-bodies (which keeps response headers). */
Test(crawl, cookies_one_store_in_every_engine, .fini = finish)
{
    char jar[160], file[160], wal[170], *text;
    const char *const from_file[] = {"-q",   "-d",  "20",     "--cookies", file,
                                     "--db", sb.db, sb.seeds, NULL};
    const char *const without[] = {"-q",  "-d",     "20", "--db",
                                   sb.db, sb.seeds, NULL};
    const char *const opts[] = {"-d",           "20", "--keep-bodies",
                                "--cookie-jar", jar,  NULL};
    const char *run[16];
    int i;
    FILE *f;

    start(NULL);
    snprintf(jar, sizeof(jar), "%s/jar.txt", sb.dir);
    snprintf(file, sizeof(file), "%s/cookies.txt", sb.dir);
    snprintf(wal, sizeof(wal), "%s-wal", sb.db);
    write_seeds(&sb, site_url("/set-cookie"));
    for (i = 0; i < 3; i++) {
        engine_args(run, 16, i, opts);
        cr_assert_eq(run_scrape(&sb, run, RUN_TIMEOUT_S, 0), 0);
        /* /set-cookie and the 12 members' pages, none refused. */
        cr_assert_eq(db_int(&sb,
                            "SELECT count(*) FROM pages WHERE run_id = %d"
                            " AND status = 200",
                            i + 1),
                     13, "engine %d", i);
    }
    text = read_file_text(&sb, "jar.txt");
    cr_assert_not_null(strstr(text, "\tsession\ts3ss10n-42"), "%s", text);
    free(text);
    cr_assert_not(file_holds(sb.db, "s3ss10n"));
    cr_assert_not(file_holds(wal, "s3ss10n"));
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages WHERE headers LIKE"
                             " '%%Set-Cookie: (not stored)%%'"),
                 3);
    /* From a file: the members' pages open without /set-cookie. */
    cr_assert_not_null(f = fopen(file, "w"));
    fprintf(f, "# Netscape HTTP Cookie File\n127.0.0.1\tFALSE\t/\tFALSE\t0"
               "\tsession\ts3ss10n-42\n");
    fclose(f);
    write_seeds(&sb, site_url("/members/1"));
    cr_assert_eq(run_scrape(&sb, from_file, RUN_TIMEOUT_S, 0), 0);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages WHERE run_id = 4"
                             " AND status = 200"),
                 12);
    /* The check can fail: without the cookie, members only. */
    cr_assert_eq(run_scrape(&sb, without, RUN_TIMEOUT_S, 0), 0);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages WHERE run_id = 5"
                             " AND status = 403"),
                 1);
}

/* -u: Basic auth opens every protected page in every engine; the
 * credentials never reach another host, though a redirect leads there
 * (/basic/away -> localhost/auth-echo); the password is not stored, and
 * --recrawl asks for it again. */
Test(crawl, user_auth_only_to_the_seeds_hosts, .fini = finish)
{
    const char *const opts[] = {"-d", "20", "--user", "alice:s3cret-pw", NULL};
    const char *const wrong[] = {"-q",   "-d",  "20",     "-u", "alice:nope",
                                 "--db", sb.db, sb.seeds, NULL};
    const char *const recrawl[] = {"-q", "--recrawl", "1", "--db", sb.db, NULL};
    const char *const recrawl_u[] = {
        "-q", "--recrawl", "1", "-u", "alice:s3cret-pw", "--db", sb.db, NULL};
    const char *run[16];
    char leaks[32], *err;
    int i;

    start(NULL);
    write_seeds(&sb, site_url("/basic/1"));
    for (i = 0; i < 3; i++) {
        engine_args(run, 16, i, opts);
        cr_assert_eq(run_scrape(&sb, run, RUN_TIMEOUT_S, 0), 0);
        /* The 12 pages and the redirect's end, all answered. */
        cr_assert_eq(db_int(&sb,
                            "SELECT count(*) FROM pages WHERE run_id = %d"
                            " AND status = 200",
                            i + 1),
                     13, "engine %d", i);
        cr_assert_eq(db_int(&sb,
                            "SELECT count(*) FROM pages WHERE run_id = %d"
                            " AND final_url LIKE 'http://localhost:%%'",
                            i + 1),
                     1);
    }
    site_get(&site, "/auth-leaks", leaks, sizeof(leaks));
    cr_assert_eq(strtol(leaks, NULL, 10), 0, "credentials leaked: %s", leaks);
    cr_assert_not(file_holds(sb.db, "s3cret-pw"));
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM runs WHERE args LIKE"
                             " '%%\"alice:(not stored%%'"),
                 3);
    /* The check can fail: a wrong password is a 401 row. */
    cr_assert_eq(run_scrape(&sb, wrong, RUN_TIMEOUT_S, 0), 0);
    cr_assert_eq(db_int(&sb, "SELECT status FROM pages WHERE run_id = 4"), 401);
    cr_assert_eq(run_scrape(&sb, recrawl, RUN_TIMEOUT_S, 0), 2);
    err = read_stderr(&sb);
    cr_assert_not_null(strstr(err, "-u alice:..., whose password is not"
                                   " stored"),
                       "%s", err);
    free(err);
    cr_assert_eq(run_scrape(&sb, recrawl_u, RUN_TIMEOUT_S, 0), 0);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages WHERE run_id = 5"
                             " AND status IN (200, 304)"),
                 13);
}

/* TLS: a site with its own CA is an error row by default (certificates
 * are verified); --cacert or --capath trusts its CA; -k turns
 * verification off with a warning and a mark on the run; a client
 * certificate that cannot be loaded is a readable error row; a CA file
 * that is not there is a usage error. */
Test(crawl, tls_trust_options, .fini = finish)
{
    char dir[200], cmd[1200], tls_url[128], cert[240], key[240], ca[240];
    char site_args[2][240];
    const char *args[5];
    const char *const plain[] = {"-q", "--db", sb.db, tls_url, NULL};
    const char *const cacert[] = {"-q",  "--cacert", ca,  "--db",
                                  sb.db, tls_url,    NULL};
    const char *const capath[] = {"-q",  "--capath", dir, "--db",
                                  sb.db, tls_url,    NULL};
    const char *const insecure[] = {"-q", "-k", "--db", sb.db, tls_url, NULL};
    const char *const badcert[] = {"-q",  "--cacert", ca,   "--cert",
                                   ca,    "--key",    cert, "--db",
                                   sb.db, tls_url,    NULL};
    const char *const missing[] = {"-q", "--cacert", "/nonexistent.pem",
                                   tls_url, NULL};
    char *err;

    sandbox_init(&sb);
    snprintf(dir, sizeof(dir), "%s/ca", sb.dir);
    snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
    snprintf(cert, sizeof(cert), "%s/srv.pem", sb.dir);
    snprintf(key, sizeof(key), "%s/srv.key", sb.dir);
    snprintf(
        cmd, sizeof(cmd),
        "(set -e; cd %s; mkdir ca; openssl req -x509 -newkey rsa:2048"
        " -nodes -days 2 -subj '/CN=scrape test CA' -keyout ca.key -out"
        " ca/ca.pem; openssl req -newkey rsa:2048 -nodes -subj"
        " '/CN=127.0.0.1' -keyout srv.key -out srv.csr; printf"
        " 'subjectAltName=IP:127.0.0.1\\n' >ext.cnf; openssl x509 -req"
        " -in srv.csr -CA ca/ca.pem -CAkey ca.key -CAcreateserial -days 2"
        " -extfile ext.cnf -out srv.pem; openssl rehash ca) >/dev/null 2>&1",
        sb.dir);
    cr_assert_eq(system(cmd), 0, "openssl");
    snprintf(site_args[0], sizeof(site_args[0]), "%s", cert);
    snprintf(site_args[1], sizeof(site_args[1]), "%s", key);
    args[0] = "--tls-cert";
    args[1] = site_args[0];
    args[2] = "--tls-key";
    args[3] = site_args[1];
    args[4] = NULL;
    site_start(&site, args);
    snprintf(tls_url, sizeof(tls_url), "https://127.0.0.1:%u/book/1.html",
             site.port);
    cr_assert_eq(run_scrape(&sb, plain, RUN_TIMEOUT_S, 0), 0);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages WHERE run_id = 1 AND"
                             " status = 0 AND error LIKE '%%certificate%%'"),
                 1);
    cr_assert_eq(run_scrape(&sb, cacert, RUN_TIMEOUT_S, 0), 0);
    cr_assert_eq(db_int(&sb, "SELECT status FROM pages WHERE run_id = 2"), 200);
    cr_assert_eq(run_scrape(&sb, capath, RUN_TIMEOUT_S, 0), 0);
    cr_assert_eq(db_int(&sb, "SELECT status FROM pages WHERE run_id = 3"), 200);
    cr_assert_eq(run_scrape(&sb, insecure, RUN_TIMEOUT_S, 0), 0);
    cr_assert_eq(db_int(&sb, "SELECT status FROM pages WHERE run_id = 4"), 200);
    err = read_stderr(&sb);
    cr_assert_not_null(strstr(err, "-k: TLS certificates are not verified"),
                       "%s", err);
    free(err);
    cr_assert_eq(db_int(&sb, "SELECT group_concat(id) FROM runs WHERE"
                             " insecure = 1"),
                 4);
    cr_assert_eq(run_scrape(&sb, badcert, RUN_TIMEOUT_S, 0), 0);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages WHERE run_id = 5 AND"
                             " status = 0 AND error LIKE '%%private key%%'"),
                 1);
    cr_assert_eq(run_scrape(&sb, missing, RUN_TIMEOUT_S, 0), 2);
    err = read_stderr(&sb);
    cr_assert_not_null(strstr(err, "--cacert: cannot read '/nonexistent.pem'"),
                       "%s", err);
    free(err);
}

/* 429s the site answered since the last look. */
static long limited_count(void)
{
    char out[32];

    site_get(&site, "/limited-count", out, sizeof(out));
    return strtol(out, NULL, 10);
}

/* A site that answers 429 above 20 pages a second: without
 * --auto-throttle, 10 transfers in flight hit the limit again and again
 * and pages end as 429 rows after their retries; with it, in the multi
 * and threads engines, far fewer 429s and every page fetched. */
Test(crawl, auto_throttle_keeps_under_a_rate_limit, .fini = finish)
{
    static const char *const args[] = {"--rate-limit", "20", "--pages", "200",
                                       NULL};
    const char *const plain[] = {
        "-q",   "-d",        "2",
        "-c",   "10",        "--per-host",
        "10",   "--include", "/book/1?[0-9]?[0-9]\\.html$",
        "--db", sb.db,       sb.seeds,
        NULL};
    const char *const multi[] = {"--auto-throttle",
                                 "-d",
                                 "2",
                                 "-c",
                                 "10",
                                 "--per-host",
                                 "10",
                                 "--include",
                                 "/book/1?[0-9]?[0-9]\\.html$",
                                 "--db",
                                 sb.db,
                                 sb.seeds,
                                 NULL};
    const char *const threads[] = {"-q",         "--auto-throttle",
                                   "--threads",  "10",
                                   "-d",         "2",
                                   "--per-host", "10",
                                   "--include",  "/book/1?[0-9]?[0-9]\\.html$",
                                   "--db",       sb.db,
                                   sb.seeds,     NULL};
    long without, with_multi, with_threads, pages;
    char *err;

    start(args);
    write_seeds(&sb, site_url("/book/1.html"));
    cr_assert_eq(run_scrape(&sb, plain, RUN_TIMEOUT_S, 0), 0);
    without = limited_count();
    pages = db_int(&sb, "SELECT count(*) FROM pages WHERE run_id = 1");
    cr_assert_eq(run_scrape(&sb, multi, RUN_TIMEOUT_S, 0), 0);
    with_multi = limited_count();
    err = read_stderr(&sb);
    cr_assert_not_null(strstr(err, "auto-throttle settled on 127.0.0.1:"), "%s",
                       err);
    free(err);
    cr_assert_eq(run_scrape(&sb, threads, RUN_TIMEOUT_S, 0), 0);
    with_threads = limited_count();
    cr_log_info("rate limit: %ld 429s without --auto-throttle (%lld pages"
                " failed), %ld with it (multi), %ld (threads)",
                without,
                db_int(&sb, "SELECT count(*) FROM pages WHERE run_id = 1 AND"
                            " status = 429"),
                with_multi, with_threads);
    cr_assert_gt(without, 2 * with_multi);
    cr_assert_gt(without, 2 * with_threads);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages WHERE run_id IN"
                             " (2, 3) AND status = 200"),
                 2 * pages);
}

/* --login-url/--login-data: the login form is chosen among the page's
 * forms, submitted with its CSRF token, and the session opens the
 * members' pages in every engine; a wrong password is one line, exit 1,
 * nothing crawled; the data is not stored (an @FILE's path is). */
Test(crawl, login_through_the_form, .fini = finish)
{
    char login[300], data[160], at[170], *err;
    const char *opts[] = {"-d",           "20", "--login-url", login,
                          "--login-data", NULL, NULL};
    const char *const wrong[] = {"-q",
                                 "-d",
                                 "20",
                                 "--login-url",
                                 login,
                                 "--login-data",
                                 "user=alice&pass=nope",
                                 "--db",
                                 sb.db,
                                 sb.seeds,
                                 NULL};
    const char *run[20];
    int i;
    FILE *f;

    start(NULL);
    snprintf(login, sizeof(login), "%s", site_url("/login"));
    snprintf(data, sizeof(data), "%s/login.txt", sb.dir);
    cr_assert_not_null(f = fopen(data, "w"));
    fputs("user=alice&pass=s3cret-pw\n", f);
    fclose(f);
    snprintf(at, sizeof(at), "@%s", data);
    write_seeds(&sb, site_url("/members/1"));
    for (i = 0; i < 3; i++) {
        /* procs reads the data from a file. */
        opts[5] = i == 2 ? at : "user=alice&pass=s3cret-pw";
        engine_args(run, 20, i, opts);
        cr_assert_eq(run_scrape(&sb, run, RUN_TIMEOUT_S, 0), 0);
        cr_assert_eq(db_int(&sb,
                            "SELECT count(*) FROM pages WHERE run_id = %d"
                            " AND status = 200",
                            i + 1),
                     12, "engine %d", i);
    }
    cr_assert_not(file_holds(sb.db, "s3cret-pw"));
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM runs WHERE args LIKE"
                             " '%%\"--login-data\",\"(not stored%%'"),
                 2);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM runs WHERE args LIKE"
                             " '%%\"--login-data\",\"@%%login.txt\"%%'"),
                 1);
    cr_assert_eq(run_scrape(&sb, wrong, RUN_TIMEOUT_S, 0), 1);
    err = read_stderr(&sb);
    cr_assert_not_null(strstr(err, "failed: the site answered with its login"
                                   " form again"),
                       "%s", err);
    free(err);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages WHERE run_id = 4"), 0);
}

/* Asks the site how often /robots.txt was fetched. */
static long robots_hits(void)
{
    char out[32];

    site_get(&site, "/robots-count", out, sizeof(out));
    return strtol(out, NULL, 10);
}

Test(crawl, robots_txt_is_fetched_once_and_obeyed, .fini = finish)
{
    static const char *const args[] = {"--pages",  "300", "--page-size", "3000",
                                       "--robots", "1",   NULL};
    const char *const run[] = {"-q",   "-d",  "3",      "--per-host", "16",
                               "--db", sb.db, sb.seeds, NULL};
    const char *const ignore[] = {"-q",         "-d", "3",    "--ignore-robots",
                                  "--per-host", "16", "--db", sb.db,
                                  sb.seeds,     NULL};
    const char *const other[] = {
        "-q", "--user-agent", "otherbot/1.0", "--db", sb.db, sb.seeds, NULL};

    start(args);
    seed_index();
    cr_assert_eq(run_scrape(&sb, run, RUN_TIMEOUT_S, 0), 0);
    cr_assert_eq(robots_hits(), 1);
    /* Our group: /book/2* is off limits, but /book/2.html is allowed. */
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages WHERE url LIKE"
                             " '%%/book/2_%%.html'"),
                 0);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages WHERE url LIKE"
                             " '%%/book/2.html' AND status = 200"),
                 1);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages WHERE url LIKE"
                             " '%%robots.txt'"),
                 0);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM skipped WHERE url LIKE"
                             " '%%/book/20.html' AND reason = 'robots.txt'"),
                 1);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM skipped WHERE url NOT"
                             " LIKE '%%/book/2_%%.html' AND reason ="
                             " 'robots.txt'"),
                 0);
    /* --ignore-robots: neither fetched nor obeyed. */
    cr_assert_eq(run_scrape(&sb, ignore, RUN_TIMEOUT_S, 0), 0);
    cr_assert_eq(robots_hits(), 1);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages WHERE run_id = 2"),
                 300);
    /* Another user agent falls in the '*' group: nothing allowed. */
    cr_assert_eq(run_scrape(&sb, other, RUN_TIMEOUT_S, 0), 0);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages WHERE run_id = 3"), 0);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM skipped WHERE run_id = 3"),
                 1);
}

/* Servers that misbehave mid-response: each ends as one readable error
 * row, quickly, and the rest of the crawl goes on. */
Test(crawl, hostile_servers_end_as_error_rows, .fini = finish)
{
    const char *const run[] = {"-q",  "--timeout", "2", "--db",
                               sb.db, sb.seeds,    NULL};
    char text[1000] = "", *v;

    start(NULL);
    snprintf(text, sizeof(text), "%s\n", site_url("/stall"));
    snprintf(text + strlen(text), sizeof(text) - strlen(text), "%s\n",
             site_url("/reset"));
    snprintf(text + strlen(text), sizeof(text) - strlen(text), "%s\n",
             site_url("/bigheader"));
    snprintf(text + strlen(text), sizeof(text) - strlen(text), "%s\n",
             site_url("/index.html"));
    write_seeds(&sb, text);
    cr_assert_eq(run_scrape(&sb, run, 30, 0), 0);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages"), 4);
    v = error_for("/stall");
    cr_assert_str_eq(v, "timeout after 2 s");
    free(v);
    v = error_for("/reset");
    cr_assert_not_null(strstr(v, "transfer closed with"), "%s", v);
    free(v);
    v = error_for("/bigheader");
    cr_assert_str_eq(v, "response header over 100 KB (or out of memory)");
    free(v);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages WHERE error IS"
                             " NULL AND url LIKE '%%/index.html'"),
                 1);
}

/* An endless chain of links is stopped by --depth and by --max-pages. */
Test(crawl, link_trap_is_bounded, .fini = finish)
{
    const char *const by_depth[] = {"-q",  "-d",     "5", "--db",
                                    sb.db, sb.seeds, NULL};
    const char *const by_pages[] = {
        "-q", "-d", "1000", "--max-pages", "40", "--db", sb.db, sb.seeds, NULL};
    char text[300];

    start(NULL);
    snprintf(text, sizeof(text), "%s\n", site_url("/trap/1"));
    write_seeds(&sb, text);
    cr_assert_eq(run_scrape(&sb, by_depth, 30, 0), 0);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages WHERE run_id = 1"), 6);
    cr_assert_eq(run_scrape(&sb, by_pages, 30, 0), 0);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages WHERE run_id = 2"),
                 40);
}

/* SIGTERM: like Ctrl-C, but exit 143. */
Test(crawl, sigterm_exits_143, .fini = finish)
{
    static const char *const args[] = {"--pages", "3000", "--latency", "100",
                                       NULL};
    const char *const run[] = {"-q",   "-d",  "5",      "-c", "4",
                               "--db", sb.db, sb.seeds, NULL};
    pid_t pid;
    char *v;
    int i;

    start(args);
    seed_index();
    pid = start_scrape(&sb, run);
    /* 3000 pages at 100 ms, 4 at a time: over a minute, so the crawl is
     * certainly running when the signal comes. */
    for (i = 0; i < 600 && db_int_or(&sb, 0, "SELECT count(*) FROM pages") < 4;
         i++)
        usleep(50000);
    cr_assert(scrape_running(pid), "the crawl ended before it was signalled");
    cr_assert_geq(db_int_or(&sb, 0, "SELECT count(*) FROM pages"), 4);
    kill(pid, SIGTERM);
    cr_assert_eq(wait_scrape(pid, 20, 0), 143);
    v = db_text(&sb, "SELECT status FROM runs");
    cr_assert_str_eq(v, "interrupted");
    free(v);
    v = db_text(&sb, "PRAGMA integrity_check");
    cr_assert_str_eq(v, "ok");
    free(v);
}

/* A full disk (RLIMIT_FSIZE on the database) is a clear fatal error, and
 * what was committed stays readable and intact. */
Test(crawl, full_disk_is_a_clear_fatal_error, .fini = finish)
{
    static const char *const args[] = {"--pages", "3000", NULL};
    const char *const run[] = {"-q",   "-d",  "4",      "--per-host", "32",
                               "--db", sb.db, sb.seeds, NULL};
    char *err, *v;

    start(args);
    seed_index();
    cr_assert_eq(
        wait_scrape(start_scrape_fsize(&sb, run, 16 * 1024 * 1024), 60, 0), 1);
    err = read_stderr(&sb);
    cr_assert_not_null(strstr(err, "scrape: crawl failed:"), "%s", err);
    cr_assert(strstr(err, "full") || strstr(err, "I/O"), "%s", err);
    cr_assert_eq(strchr(err, '\n'), strrchr(err, '\n'), "one line, got: %s",
                 err);
    free(err);
    v = db_text(&sb, "PRAGMA integrity_check");
    cr_assert_str_eq(v, "ok");
    free(v);
    cr_assert_gt(db_int(&sb, "SELECT count(*) FROM pages"), 0);
    cr_assert_lt(db_int(&sb, "SELECT count(*) FROM pages"), 3000);
}

/* Broken HTTP no library would send (invalid or truncated chunked
 * encoding, no HTTP at all): error rows, and the crawl goes on. */
Test(crawl, broken_http_ends_as_error_rows, .fini = finish)
{
    const char *const run[] = {"-q",  "--timeout", "5", "--db",
                               sb.db, sb.seeds,    NULL};
    struct site peer;
    char text[600], *v;

    start(NULL);
    peer_start(&peer);
    snprintf(text, sizeof(text),
             "http://127.0.0.1:%u/chunked\nhttp://127.0.0.1:%u/truncated\n"
             "http://127.0.0.1:%u/garbage\n%s\n",
             peer.port, peer.port, peer.port, site_url("/index.html"));
    write_seeds(&sb, text);
    cr_assert_eq(run_scrape(&sb, run, 30, 0), 0);
    site_stop(&peer);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages"), 4);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages WHERE url LIKE"
                             " '%%/index.html' AND error IS NULL"),
                 1);
    v = db_text(&sb, "SELECT group_concat(error, ' | ') FROM pages WHERE"
                     " error IS NOT NULL");
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages WHERE error IS NOT"
                             " NULL AND error != ''"),
                 3, "%s", v);
    cr_assert_not_null(strstr(v, "chunked-encoding"), "%s", v);
    cr_assert_not_null(strstr(v, "outstanding read data"), "%s", v);
    cr_assert_not_null(strstr(v, "the reply is not HTTP"), "%s", v);
    free(v);
}

/* The worst page: parsed without a crash, every link recorded cleanly,
 * nothing fetched that should not be. */
Test(crawl, hostile_html_is_recorded_cleanly, .fini = finish)
{
    const char *const run[] = {"-q", "--db", sb.db, sb.seeds, NULL};
    char text[300], *v;

    start(NULL);
    snprintf(text, sizeof(text), "%s\n", site_url("/hostile/html"));
    write_seeds(&sb, text);
    cr_assert_eq(run_scrape(&sb, run, 60, 0), 0);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages WHERE error IS"
                             " NULL AND status = 200"),
                 1);
    v = db_text(&sb, "SELECT title FROM pages");
    cr_assert_str_eq(v, "hostile \xC3\xBF\xC3\xBE", "1252-decoded, valid");
    free(v);
    cr_assert_geq(db_int(&sb, "SELECT outlinks FROM pages"), 50007);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM links WHERE followable"
                             " = 0"),
                 7, "6 schemes and the 100 KB URL");
    cr_assert_leq(db_int(&sb, "SELECT max(length(url)) FROM links"), 8192);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM links WHERE url LIKE"
                             " 'javascript:%%' AND followable = 0"),
                 1);
}

/* Writes `text` to sb.dir/NAME; its path into `path`. */
static void write_conf(const char *name, const char *text, char *path, size_t n)
{
    FILE *f;

    snprintf(path, n, "%s/%s", sb.dir, name);
    cr_assert_not_null(f = fopen(path, "w"));
    fputs(text, f);
    fclose(f);
}

/* Runs `args` (which read sb.dir/bad.conf, path `bad`) with `text` as
 * that file: a usage error whose message holds `want`. */
static void expect_config_error(const char *const *args, char *bad,
                                const char *text, const char *want)
{
    char *err;

    write_conf("bad.conf", text, bad, 200);
    cr_assert_eq(run_scrape(&sb, args, RUN_TIMEOUT_S, 0), 2);
    err = read_stderr(&sb);
    cr_assert_not_null(strstr(err, want), "%s", err);
    free(err);
}

/* -K FILE: options and seeds from a file, the command line's options
 * after the file's (its --depth wins); the run keeps the whole command
 * line for --resume.  A bad line is a usage error naming the file and
 * line, before anything is written. */
Test(crawl, options_and_seeds_from_a_config_file, .fini = finish)
{
    char conf[200], bad[200], never[200], text[600];
    const char *const run[] = {"-q", "-K",   conf,  "--depth",
                               "1",  "--db", sb.db, NULL};
    const char *const broken[] = {"-q", "--config", bad, "--db", never, NULL};

    start(NULL);
    snprintf(text, sizeof(text),
             "# a small spider\n"
             "--depth 3\n"
             "  --field \"price=//p[@class='price']\"\n"
             "--per-host 16\n"
             "\n"
             "%s\n",
             site_url("/index.html"));
    write_conf("spider.conf", text, conf, sizeof(conf));
    cr_assert_eq(run_scrape(&sb, run, RUN_TIMEOUT_S, 0), 0);
    cr_assert_eq(db_int(&sb, "SELECT max(depth) FROM pages"), 1);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages"),
                 db_int(&sb, "SELECT 1 + count(DISTINCT url) FROM links"
                             " WHERE followable = 1 AND page_id = 1 AND url"
                             " LIKE 'http://127.0.0.1:%%' AND url NOT LIKE"
                             " '%%/index.html'"));
    cr_assert_gt(db_int(&sb, "SELECT count(*) FROM fields WHERE name ="
                             " 'price' AND value LIKE '£%%'"),
                 0);
    cr_assert_eq(db_int(&sb, "SELECT args LIKE '%%\"--depth\",\"3\"%%'"
                             " AND args LIKE '%%\"--depth\",\"1\"%%' AND args"
                             " LIKE '%%\"--per-host\",\"16\"%%' FROM runs"),
                 1);
    /* Errors: file and line, exit 2, no database. */
    snprintf(never, sizeof(never), "%s/never.db", sb.dir);
    expect_config_error(broken, bad, "--depth 2\n--field \"oops\n",
                        "bad.conf:2: a double quote is not closed");
    expect_config_error(broken, bad, "--depth 2\n\n--bogus 1\n",
                        "bad.conf:3: unknown option '--bogus'");
    expect_config_error(broken, bad, "--max-pages none\n",
                        "bad.conf:1: --max-pages wants a number");
    cr_assert_neq(access(never, F_OK), 0, "a database was written");
}
