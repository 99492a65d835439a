/*
 * Integration tests for the three engines and --compare: the real binary
 * against the local site, checked through the database.
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

static void start(const char *const *site_args)
{
    char text[128];

    sandbox_init(&sb);
    site_start(&site, site_args);
    snprintf(text, sizeof(text), "http://127.0.0.1:%u/index.html\n", site.port);
    write_seeds(&sb, text);
}

static void finish(void)
{
    site_stop(&site);
    sandbox_release(&sb);
}

Test(engines, compare_runs_all_three_with_identical_records, .fini = finish)
{
    static const char *const args[] = {"--pages", "300", "--page-size", "6000",
                                       NULL};
    const char *const run[] = {
        "--compare",  "-q",  "-d",      "3",
        "--threads",  "8",   "--procs", "2",
        "--per-host", "16",  "--field", "price=//p[@class='price']",
        "--db",       sb.db, sb.seeds,  NULL};
    char *out;

    start(args);
    cr_assert_eq(run_scrape(&sb, run, RUN_TIMEOUT_S, 0), 0);
    out = read_file_text(&sb, "stdout.txt");
    cr_assert_not_null(strstr(out, "check: all 3 runs fetched the same 300 "
                                   "URLs and extracted the same records"),
                       "%s", out);
    cr_assert_not_null(strstr(out, "threads "), "%s", out);
    cr_assert_not_null(strstr(out, "procs "), "%s", out);
    free(out);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM runs"), 3);
    cr_assert_eq(db_int(&sb, "SELECT group_concat(mode || ':' || workers ||"
                             " ':' || pages, ' ') = 'threads:8:300"
                             " multi:1:300 procs:2:300' FROM runs"),
                 1);
    /* Independently of scrape's own check: one distinct record per URL
     * across the three runs, each present three times. */
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM (SELECT url, title, h1,"
                             " words, outlinks, simhash, count(*) AS n FROM"
                             " pages GROUP BY 1, 2, 3, 4, 5, 6) WHERE n = 3"),
                 300);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages WHERE simhash IS"
                             " NULL OR simhash = 0 OR error IS NOT NULL"),
                 0);
    cr_assert_eq(db_int(&sb, "SELECT count(DISTINCT value) FROM fields"
                             " WHERE name = 'price'"),
                 db_int(&sb, "SELECT count(DISTINCT f.value) FROM fields f"
                             " JOIN pages p ON p.id = f.page_id WHERE"
                             " p.run_id = 3"));
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM runs WHERE cpu_user_ms"
                             " IS NULL OR peak_rss_kb <= 0 OR wall_ms <= 0"),
                 0);
}

/* The figure `col` (0-based, after the mode) of `mode`'s row in the
 * --compare table in `out`. */
static double table_figure(const char *out, const char *mode, int col)
{
    char head[32], fig[12][32];
    const char *line = out;
    int n;

    snprintf(head, sizeof(head), "\n%s ", mode);
    line = strstr(out, head);
    cr_assert_not_null(line, "no %s row in\n%s", mode, out);
    n = sscanf(line + 1, "%*s %31s %31s %31s %31s %31s %31s %31s %31s %31s",
               fig[0], fig[1], fig[2], fig[3], fig[4], fig[5], fig[6], fig[7],
               fig[8]);
    cr_assert_eq(n, 9, "%s", line);
    return strtod(fig[col], NULL);
}

/* Each engine's figures in --compare are those of the engine run alone.
 * Large pages: 32 threads hold several times the memory of 8 transfers
 * in one thread, so an engine run after --threads in the same process
 * would show what --threads left resident (twice --multi's own peak,
 * measured). */
Test(engines, compare_figures_are_each_engine_alone, .fini = finish)
{
    static const char *const args[] = {
        "--pages", "300", "--page-size", "400000", "--latency", "20", NULL};
    const char *const cmp[] = {
        "--compare", "-q",      "-d", "3",    "-c",  "8",      "--per-host",
        "32",        "--procs", "2",  "--db", sb.db, sb.seeds, NULL};
    /* --threads alone: its default 32 threads, as in the comparison. */
    const char *const modes[][2] = {
        {"--multi", NULL}, {"--threads", NULL}, {"--procs", "2"}};
    static const char *const names[] = {"multi", "threads", "procs"};
    char *out;
    int i;

    start(args);
    cr_assert_eq(run_scrape(&sb, cmp, RUN_TIMEOUT_S, 0), 0);
    out = read_file_text(&sb, "stdout.txt");
    cr_assert_not_null(strstr(out, "check: all 3 runs fetched the same 300"),
                       "%s", out);
    for (i = 0; i < 3; i++) {
        const char *const alone[] = {
            "-q",         "-d",        "3",    "-c",  "8",
            "--per-host", "32",        "--db", sb.db, sb.seeds,
            modes[i][0],  modes[i][1], NULL};
        cr_assert_eq(run_scrape(&sb, alone, RUN_TIMEOUT_S, 0), 0);
    }
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM runs WHERE compare_id = 1"
                             " AND status = 'done'"),
                 3);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM runs WHERE compare_id IS"
                             " NULL AND status = 'done'"),
                 3);
    /* The site tells the engines apart, or the test proves nothing.
     * (ASan's quarantine keeps freed memory for every engine alike.) */
#ifndef __SANITIZE_ADDRESS__
    cr_assert_geq(db_int(&sb, "SELECT t.peak_rss_kb * 10 / m.peak_rss_kb FROM"
                              " runs t, runs m WHERE t.id = 5 AND m.id = 4"),
                  20, "--threads alone does not hold twice --multi's memory");
#endif
    for (i = 0; i < 3; i++) {
        long long in = db_int(&sb,
                              "SELECT peak_rss_kb FROM runs WHERE mode = '%s'"
                              " AND compare_id = 1",
                              names[i]),
                  alone = db_int(&sb,
                                 "SELECT peak_rss_kb FROM runs WHERE mode ="
                                 " '%s' AND compare_id IS NULL",
                                 names[i]);
        cr_assert_leq(llabs(in - alone) * 100, alone * 15,
                      "%s: %lld KB in --compare, %lld KB alone", names[i], in,
                      alone);
        /* The table shows what the runs rows hold. */
        cr_assert_float_eq(table_figure(out, names[i], 8), in / 1024.0, 0.051,
                           "%s", out);
    }
    free(out);
}

/* --repeat 3: nine runs, each engine once first, second and last; the
 * table gives each figure's median and spread; the comparison is
 * recorded; reports draw its medians, not a later single run. */
Test(engines, compare_repeat_gives_medians_of_rotated_runs, .fini = finish)
{
    static const char *const args[] = {"--pages", "100", "--page-size", "3000",
                                       NULL};
    const char *const cmp[] = {
        "--compare", "--repeat", "3", "-q",   "-d",  "2",      "-c",
        "16",        "--procs",  "2", "--db", sb.db, sb.seeds, NULL};
    const char *const single[] = {"-q",  "-d",     "2", "--db",
                                  sb.db, sb.seeds, NULL};
    static const char *const names[] = {"threads", "multi", "procs"};
    char html[192];
    const char *const report[] = {"report", "-o", html, "--db", sb.db, NULL};
    const char *const stats[] = {"stats", "--db", sb.db, NULL};
    char *out, *text, *chart, want[128];
    int i;

    start(args);
    cr_assert_eq(run_scrape(&sb, cmp, RUN_TIMEOUT_S, 0), 0);
    out = read_file_text(&sb, "stdout.txt");
    cr_assert_eq(db_int(&sb, "SELECT group_concat(mode, ' ') = 'threads multi"
                             " procs multi procs threads procs threads multi'"
                             " FROM (SELECT mode FROM runs WHERE compare_id"
                             " = 1 AND status = 'done' ORDER BY id)"),
                 1, "%s", out);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM comparisons WHERE id = 1"
                             " AND repeat = 3 AND status = 'done' AND verdict"
                             " LIKE 'all 9 runs fetched the same 100 URLs%%'"),
                 1);
    cr_assert_not_null(strstr(out, "spread (max - min"), "%s", out);
    for (i = 0; i < 3; i++) {
        double mid_wall = db_int(&sb,
                                 "SELECT wall_ms FROM runs WHERE mode = '%s'"
                                 " ORDER BY wall_ms LIMIT 1 OFFSET 1",
                                 names[i]) /
                          1000.0,
               mid_peak = db_int(&sb,
                                 "SELECT peak_rss_kb FROM runs WHERE mode ="
                                 " '%s' ORDER BY peak_rss_kb LIMIT 1 OFFSET 1",
                                 names[i]) /
                          1024.0;
        cr_assert_float_eq(table_figure(out, names[i], 1), 3, 0.01, "%s", out);
        cr_assert_float_eq(table_figure(out, names[i], 4), mid_wall, 0.0051,
                           "%s", out);
        cr_assert_float_eq(table_figure(out, names[i], 8), mid_peak, 0.051,
                           "%s", out);
    }
    free(out);
    /* A single run afterwards: the charts still show the comparison. */
    cr_assert_eq(run_scrape(&sb, single, RUN_TIMEOUT_S, 0), 0);
    snprintf(html, sizeof(html), "%s/report.html", sb.dir);
    cr_assert_eq(run_scrape(&sb, report, RUN_TIMEOUT_S, 0), 0);
    text = read_file_text(&sb, "report.html");
    cr_assert_not_null(strstr(text, "comparison 1 (3 runs of each mode)"));
    chart = strstr(text, "<svg id=\"memory\"");
    cr_assert_not_null(chart);
    snprintf(want, sizeof(want), "data-label=\"multi\" data-value=\"%.1f\"",
             db_int(&sb, "SELECT peak_rss_kb FROM runs WHERE mode = 'multi'"
                         " AND compare_id = 1 ORDER BY peak_rss_kb LIMIT 1"
                         " OFFSET 1") /
                 1024.0);
    cr_assert_not_null(strstr(chart, want), "%s not in\n%.600s", want, chart);
    free(text);
    cr_assert_eq(run_scrape(&sb, stats, RUN_TIMEOUT_S, 0), 0);
    text = read_file_text(&sb, "stdout.txt");
    cr_assert_not_null(strstr(text, "by mode: comparison 1 (3 runs of each"
                                    " mode)"),
                       "%s", text);
    free(text);
}

/* The high ends: 256 threads, and 500 transfers in one multi handle. */
Test(engines, threads_256_and_multi_500_complete_the_site, .fini = finish)
{
    static const char *const args[] = {
        "--pages", "1000", "--page-size", "2000", "--latency", "20", NULL};
    const char *const threads[] = {"-q",  "--threads",  "256", "-d",
                                   "3",   "--per-host", "256", "--db",
                                   sb.db, sb.seeds,     NULL};
    const char *const multi[] = {"-q",  "-d",         "3",   "-c",
                                 "500", "--per-host", "500", "--db",
                                 sb.db, sb.seeds,     NULL};

    start(args);
    cr_assert_eq(run_scrape(&sb, threads, RUN_TIMEOUT_S, 0), 0);
    cr_assert_eq(run_scrape(&sb, multi, RUN_TIMEOUT_S, 0), 0);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM runs WHERE (mode ="
                             " 'threads' AND workers = 256) OR (mode ="
                             " 'multi' AND concurrency = 500)"),
                 2);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages WHERE status = 200"
                             " AND error IS NULL AND title IS NOT NULL"),
                 2000);
    cr_assert_eq(db_int(&sb, "SELECT count(DISTINCT run_id || url) FROM"
                             " pages"),
                 2000);
}

/* One slow page on each of levels 1..3 (1 + 10 + 100 + 1000 pages), none
 * below another.  The slow pages of levels 1 and 2 answer only once the
 * level-3 one has been asked for (or after 20 s, a failure): each engine
 * must fetch deeper levels while a slow page keeps its level open.  And
 * it must still give every page once, at its link distance: the same
 * pages and depths as a crawl of the same site without slow pages. */
Test(engines, a_slow_page_does_not_idle_the_crawl, .fini = finish)
{
    /* ~150 KB of text a page: the 90 level-3 pages fetched before the
     * deepest slow one (the children of pages 22-30) are more than held
     * pages may take in memory (8 MB), so the crawl gets there only
     * through the held pages' file. */
    static const char *const args[] = {
        "--pages", "1111",  "--fanout",    "10", "--page-size", "200000",
        "--slow",  "20000", "--slow-gate", "1",  NULL};
    static const char *const plain_args[] = {
        "--pages", "1111", "--fanout", "10", "--page-size", "200000", NULL};
    /* Each engine: its flag and value (--multi takes none: "-q" twice). */
    const char *const engines[][2] = {
        {"--multi", "-q"}, {"--threads", "16"}, {"--procs", "2"}};
    struct site plain;
    char report[64], seed[128];
    size_t i;

    start(args);
    for (i = 0; i < 3; i++) {
        const char *const run[] = {"-q",  engines[i][0], engines[i][1],
                                   "-d",  "3",           "--db",
                                   sb.db, sb.seeds,      NULL};
        cr_assert_eq(run_scrape(&sb, run, RUN_TIMEOUT_S, 0), 0);
        site_get(&site, "/slow-report", report, sizeof(report));
        cr_assert_str_eq(report, "opened 2 timeouts 0\n", "%s: %s",
                         engines[i][0], report);
    }
    site_start(&plain, plain_args);
    snprintf(seed, sizeof(seed), "http://127.0.0.1:%u/index.html", plain.port);
    {
        const char *const run[] = {"-q",   "-d",  "3",  "--max-pages", "100000",
                                   "--db", sb.db, seed, NULL};
        cr_assert_eq(run_scrape(&sb, run, RUN_TIMEOUT_S, 0), 0);
    }
    site_stop(&plain);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages WHERE run_id = 4"),
                 1111);
    /* Path and depth, as one set across the four runs. */
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM (SELECT substr(url,"
                             " instr(substr(url, 8), '/') + 7) AS path, depth, "
                             "count(*) AS n FROM pages"
                             " GROUP BY 1, 2) WHERE n = 4"),
                 1111);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages WHERE error IS NOT"
                             " NULL OR depth > 3"),
                 0);
}

/* Writes the site's first n pages as the seeds: no page then depends on
 * another's links. */
static void every_page_a_seed(int n)
{
    FILE *f = fopen(sb.seeds, "w");
    int i;

    cr_assert_not_null(f);
    fprintf(f, "http://127.0.0.1:%u/index.html\n", site.port);
    for (i = 1; i < n; i++)
        fprintf(f, "http://127.0.0.1:%u/book/%d.html\n", site.port, i);
    fclose(f);
}

/* The parse workers of scrape process `pid`: the children of its one
 * child, the fork server (workers are never forked by scrape itself,
 * which has threads).  Returns how many, or -1 when there is no single
 * fork server. */
static int worker_pids(pid_t pid, pid_t *out, int max)
{
    pid_t server[4];

    if (child_pids(pid, server, 4) != 1)
        return -1;
    return child_pids(server[0], out, max);
}

/* How many pages scrape has committed so far (0 before the table). */
static long long pages_so_far(void)
{
    return db_int_or(&sb, 0, "SELECT count(*) FROM pages");
}

/* Waits (bounded: 30 s) until scrape has committed more than n pages. */
static void wait_pages(long long n)
{
    int i;

    for (i = 0; i < 3000 && pages_so_far() <= n; i++)
        usleep(10000);
    cr_assert_gt(pages_so_far(), n, "no progress in 30 s");
}

/* A worker of scrape `pid` caught running (parsing: a worker without a
 * job sleeps in read), or 0 when none was within `ms`. */
static pid_t busy_worker(pid_t pid, int ms)
{
    pid_t kids[8];
    int i, k, n;

    for (i = 0; i < ms; i++) {
        n = worker_pids(pid, kids, 8);
        for (k = 0; k < n; k++)
            if (proc_state(kids[k]) == 'R')
                return kids[k];
        usleep(1000);
    }
    return 0;
}

/* Waits (bounded: 20 s) until scrape `pid` has one fork server, not
 * `old_server`, and two live workers, neither of them `gone`. */
static void wait_two_workers(pid_t pid, pid_t old_server, pid_t gone)
{
    pid_t server[4], kids[8];
    int i, n = -1;

    for (i = 0; i < 2000; i++) {
        if (child_pids(pid, server, 4) == 1 && server[0] != old_server &&
            (n = child_pids(server[0], kids, 8)) == 2 && kids[0] != gone &&
            kids[1] != gone)
            return;
        usleep(10000);
    }
    cr_assert_fail("workers: %d (a lost one not replaced in 20 s)", n);
}

/* 400 pages, every one a seed (no page depends on another's links, so
 * all 400 must be recorded), 200 KB each, 30 ms apart per connection.
 * The site holds the last page until the test releases it: the crawl is
 * certainly still running while the test kills and counts processes,
 * on a fast machine as on a loaded one. */
static const char *const held_site[] = {"--pages", "400",       "--page-size",
                                        "200000",  "--latency", "30",
                                        "--hold",  "399",       NULL};

/* Releases the held page and checks the crawl's outcome: exit 0, each
 * of the `pages` URLs exactly once, at most `lost` error rows, each
 * one's error like `error` (SQL LIKE). */
static void release_and_check(pid_t pid, int pages, int lost, const char *error)
{
    site_wait_held(&site);
    cr_assert(scrape_running(pid), "the crawl ended with a page held");
    site_release(&site);
    cr_assert_eq(wait_scrape(pid, RUN_TIMEOUT_S, 0), 0);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages"), pages);
    cr_assert_eq(db_int(&sb, "SELECT count(DISTINCT url) FROM pages"), pages);
    cr_assert_leq(db_int(&sb, "SELECT count(*) FROM pages WHERE error IS NOT"
                              " NULL"),
                  lost);
    cr_assert_eq(db_int(&sb,
                        "SELECT count(*) FROM pages WHERE error IS NOT NULL"
                        " AND error NOT LIKE '%s'",
                        error),
                 0);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages WHERE error IS NULL"
                             " AND title IS NULL"),
                 0);
}

/* kill -9 a parse worker while it parses: its page becomes an error row,
 * a new worker replaces it, every other page is recorded, nothing
 * hangs. */
Test(engines, killed_worker_is_replaced_and_no_page_is_lost, .fini = finish)
{
    const char *const run[] = {"-q",   "--procs", "2",      "--per-host", "16",
                               "--db", sb.db,     sb.seeds, NULL};
    pid_t pid, victim;
    int killed = 0;
    long long errors = 0;

    start(held_site);
    every_page_a_seed(400);
    pid = start_scrape(&sb, run);
    wait_pages(20);
    /* A worker caught running holds a page (a worker between pages
     * sleeps); up to three tries, each waiting for the error row. */
    while (killed < 3 && !errors && pages_so_far() < 399 &&
           (victim = busy_worker(pid, 5000))) {
        int i;
        cr_assert_eq(kill(victim, SIGKILL), 0);
        killed++;
        wait_two_workers(pid, 0, victim);
        for (i = 0; i < 300 && !errors; i++, usleep(10000))
            errors = db_int_or(&sb, 0,
                               "SELECT count(*) FROM pages WHERE error ="
                               " 'cannot parse HTML: parse worker killed by"
                               " signal 9'");
    }
    cr_assert_gt(killed, 0, "no worker was seen parsing");
    cr_assert_gt(errors, 0, "%d workers killed mid-page, no error row", killed);
    wait_two_workers(pid, 0, 0);
    release_and_check(pid, 400, killed,
                      "cannot parse HTML: parse worker killed by signal 9");
}

/* kill -9 the fork server mid-crawl (once alone, once with a worker): a
 * new one is spawned with new workers, the pages the lost workers held
 * are error rows, and the crawl goes on to the end. */
static void kill_fork_server(bool and_a_worker)
{
    const char *const run[] = {"--procs", "2",   "--per-host", "16",
                               "--db",    sb.db, sb.seeds,     NULL};
    pid_t pid, server[4], victim;
    char *err;

    start(held_site);
    every_page_a_seed(400);
    pid = start_scrape(&sb, run);
    wait_pages(20);
    cr_assert_eq(child_pids(pid, server, 4), 1, "one fork server");
    /* With a page in a worker, so a page is lost with it. */
    victim = busy_worker(pid, 5000);
    if (and_a_worker && victim)
        kill(victim, SIGKILL);
    cr_assert_eq(kill(server[0], SIGKILL), 0);
    wait_two_workers(pid, server[0], victim);
    release_and_check(pid, 400, 2, "cannot parse HTML: parse worker %");
    err = read_stderr(&sb);
    cr_assert_not_null(strstr(err, "fork server was lost and replaced 1 time "),
                       "%s", err);
    cr_assert_not_null(strstr(err, "400 pages"), "%s", err);
    free(err);
}

Test(engines, killed_fork_server_is_replaced_and_the_crawl_goes_on,
     .fini = finish)
{
    kill_fork_server(false);
}

Test(engines, fork_server_and_a_worker_killed_together, .fini = finish)
{
    kill_fork_server(true);
}

/* Workers killed at random all through a crawl, while the writer thread
 * is busy indexing: each replacement comes from the fork server, every
 * page still gets exactly one row (an error row for a page whose worker
 * died with it), and nothing hangs.  The site holds the last page, so
 * the crawl runs until the test has done its killing. */
Test(engines, workers_killed_at_random_lose_no_page, .fini = finish)
{
    static const char *const args[] = {"--pages", "1200",      "--page-size",
                                       "60000",   "--latency", "20",
                                       "--hold",  "1199",      NULL};
    const char *const run[] = {"-q", "--procs", "2",   "--per-host", "32", "-c",
                               "32", "--db",    sb.db, sb.seeds,     NULL};
    pid_t pid, kids[8];
    unsigned seed = 12345;
    int i, n, kills = 0;

    start(args);
    every_page_a_seed(1200);
    pid = start_scrape(&sb, run);
    wait_pages(10);
    /* Bounded: at most 400 looks of 5-25 ms, at most 30 kills, while
     * pages still flow (all but the held one recorded: no more). */
    for (i = 0; i < 400 && kills < 30 && pages_so_far() < 1199; i++) {
        seed = seed * 1103515245u + 12345u;
        usleep(5000 + (seed >> 16) % 20000);
        n = worker_pids(pid, kids, 8);
        if (n > 0) {
            kill(kids[(seed >> 8) % (unsigned)n], SIGKILL);
            kills++;
        }
    }
    cr_assert_geq(kills, 5, "only %d kills while pages flowed", kills);
    release_and_check(pid, 1200, kills,
                      "cannot parse HTML: parse worker killed by signal 9");
}

/* The run summary's line about the workers (scrape's stderr, which the
 * caller frees): their peak memory and how many pages went each way. */
static char *workers_line(double *one, double *all, long *shared, long *socket)
{
    char *err = read_stderr(&sb);
    const char *line = strstr(err, "scrape: 2 parse workers: peak ");

    cr_assert_not_null(line, "%s", err);
    cr_assert_eq(sscanf(line,
                        "scrape: 2 parse workers: peak %lf MB the"
                        " largest, %lf MB together; %ld pages through"
                        " shared memory, %ld through sockets",
                        one, all, shared, socket),
                 4, "%s", line);
    return err;
}

/* Pages larger than a worker's shared area (WORKERS_SHM_BYTES, 4 MB) go
 * through the worker's socket instead: each arrives whole and its record
 * equals the one --multi makes of it, field by field and link by link;
 * the workers' peak memory is printed. */
Test(engines, pages_larger_than_the_shared_area_arrive_whole, .fini = finish)
{
    static const char *const args[] = {"--pages", "12", "--page-size",
                                       "6000000", NULL};
    const char *const multi[] = {"-q",   "--multi", "-d",     "3",
                                 "--db", sb.db,     sb.seeds, NULL};
    const char *const procs[] = {"--procs", "2",   "-d",     "3",
                                 "--db",    sb.db, sb.seeds, NULL};
    static const char *const small[] = {"--pages", "40", NULL};
    char *err, seed[128];
    double one = 0, all = 0;
    long shared = -1, socket = -1;
    const char *line;

    start(args);
    cr_assert_eq(run_scrape(&sb, multi, RUN_TIMEOUT_S, 0), 0);
    cr_assert_eq(run_scrape(&sb, procs, RUN_TIMEOUT_S, 0), 0);
    /* The pages really were larger than the area. */
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages WHERE run_id = 2"
                             " AND bytes > 4 * 1024 * 1024 AND error IS NULL"),
                 12);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages a JOIN pages b"
                             " ON a.url = b.url AND a.run_id = 1"
                             " AND b.run_id = 2 WHERE a.bytes = b.bytes"
                             " AND a.body_hash = b.body_hash"
                             " AND a.title IS b.title AND a.h1 IS b.h1"
                             " AND a.words = b.words"
                             " AND a.outlinks = b.outlinks"
                             " AND a.simhash = b.simhash"
                             " AND a.error IS NULL AND b.error IS NULL"),
                 12);
    cr_assert_gt(db_int(&sb, "SELECT count(*) FROM links l JOIN pages p"
                             " ON p.id = l.page_id WHERE p.run_id = 2"),
                 0);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM (SELECT p.url, l.url,"
                             " l.followable FROM links l JOIN pages p"
                             " ON p.id = l.page_id WHERE p.run_id = 1"
                             " EXCEPT SELECT p.url, l.url, l.followable"
                             " FROM links l JOIN pages p ON p.id = l.page_id"
                             " WHERE p.run_id = 2)"),
                 0);
    cr_assert_eq(db_int(&sb, "SELECT (SELECT count(*) FROM links l JOIN pages"
                             " p ON p.id = l.page_id WHERE p.run_id = 1) -"
                             " (SELECT count(*) FROM links l JOIN pages p"
                             " ON p.id = l.page_id WHERE p.run_id = 2)"),
                 0);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages_fts WHERE"
                             " pages_fts MATCH 'scrape' AND rowid IN (SELECT id"
                             " FROM pages WHERE run_id = 2)"),
                 12);
    err = workers_line(&one, &all, &shared, &socket);
    line = strstr(err, "scrape: 2 parse workers");
    cr_assert_eq(shared, 0, "%s", line);
    cr_assert_eq(socket, 12, "%s", line);
    /* Each worker parses one 6 MB page at a time through its socket and
     * gives the buffers back after each: it holds a couple of pages'
     * worth (24 MB measured), not six pages' (a leak per page would pass
     * 70 MB).  ASan keeps freed memory in quarantine: no bound there. */
    cr_assert(one > 0 && one <= all, "%s", line);
#ifndef __SANITIZE_ADDRESS__
    cr_assert_lt(one, 48, "%s", line);
#endif
    free(err);
    /* Pages that fit take the shared area, all of them. */
    site_stop(&site);
    site_start(&site, small);
    snprintf(seed, sizeof(seed), "http://127.0.0.1:%u/index.html\n", site.port);
    write_seeds(&sb, seed);
    cr_assert_eq(run_scrape(&sb, procs, RUN_TIMEOUT_S, 0), 0);
    err = workers_line(&one, &all, &shared, &socket);
    line = strstr(err, "scrape: 2 parse workers");
    cr_assert_eq(shared, 40, "%s", line);
    cr_assert_eq(socket, 0, "%s", line);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages WHERE run_id = 3"
                             " AND error IS NULL AND title IS NOT NULL"),
                 40);
    free(err);
}

/* Ctrl-C in each engine: stop taking URLs, finish or abandon what is in
 * flight, commit, exit 130 with an intact database. */
static void interrupt_engine(const char *engine_flag, const char *n)
{
    static const char *const args[] = {"--pages", "5000", "--latency", "100",
                                       NULL};
    const char *const run[] = {"-q", engine_flag, n,     "-d",     "5", "-c",
                               "8",  "--db",      sb.db, sb.seeds, NULL};
    char *v;

    pid_t pid;

    start(args);
    pid = start_scrape(&sb, run);
    /* 5000 pages at 100 ms, 8 at a time: a minute; Ctrl-C comes once
     * pages are being recorded. */
    wait_pages(4);
    cr_assert(scrape_running(pid), "the crawl ended before Ctrl-C");
    kill(pid, SIGINT);
    cr_assert_eq(wait_scrape(pid, 20, 0), 130);
    v = db_text(&sb, "PRAGMA integrity_check");
    cr_assert_str_eq(v, "ok");
    free(v);
    v = db_text(&sb, "SELECT status FROM runs");
    cr_assert_str_eq(v, "interrupted");
    free(v);
    cr_assert_gt(db_int(&sb, "SELECT count(*) FROM pages"), 4);
    cr_assert_lt(db_int(&sb, "SELECT count(*) FROM pages"), 5000);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages"),
                 db_int(&sb, "SELECT pages FROM runs"));
    cr_assert_eq(db_int(&sb, "SELECT count(*) - count(DISTINCT url) FROM"
                             " pages"),
                 0);
    /* What was not fetched is still queued for --resume; what was is
     * marked done. */
    cr_assert_gt(db_int(&sb, "SELECT count(*) FROM frontier WHERE done = 0"),
                 0);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages p JOIN frontier f"
                             " ON f.url = p.url WHERE f.done = 0"),
                 0);
}

Test(engines, sigint_multi, .fini = finish)
{
    interrupt_engine("-c", "8");
}

Test(engines, sigint_threads, .fini = finish)
{
    interrupt_engine("--threads", "8");
}

Test(engines, sigint_procs, .fini = finish)
{
    interrupt_engine("--procs", "2");
}

/* kill -9 at arbitrary points, then --resume until done: exactly the
 * pages an uninterrupted crawl gets, each once, in one run, intact. */
static void kill_and_resume(const char *engine_flag, const char *n)
{
    static const char *const args[] = {"--pages",     "1500", "--latency", "20",
                                       "--page-size", "3000", NULL};
    const char *const run[] = {"-q",
                               engine_flag,
                               n,
                               "-d",
                               "4",
                               "-c",
                               "16",
                               "--per-host",
                               "16",
                               "--field",
                               "price=//p[@class='price']",
                               "--item",
                               "ul.nav li",
                               "--field",
                               "to[]=a::attr(href)",
                               "--db",
                               sb.db,
                               sb.seeds,
                               NULL};
    const char *const again[] = {"-q", "--resume", "--db", sb.db, NULL};
    pid_t pid;
    int i, kills = 0;
    char *v;

    start(args);
    pid = start_scrape(&sb, run);
    for (i = 0; i < 3; i++) {
        long before = db_int_or(&sb, 0, "SELECT count(*) FROM pages"), t;
        /* Let it make progress (bounded), then kill it mid-crawl. */
        for (t = 0; t < 200 && db_int_or(&sb, 0,
                                         "SELECT count(*) FROM"
                                         " pages") < before + 150;
             t++)
            usleep(20000);
        if (db_int_or(&sb, 0, "SELECT count(*) FROM pages") >= 1500)
            break;
        kill(pid, SIGKILL);
        cr_assert_eq(wait_scrape(pid, 30, 0), 128 + SIGKILL);
        kills++;
        v = db_text(&sb, "PRAGMA integrity_check");
        cr_assert_str_eq(v, "ok");
        free(v);
        pid = start_scrape(&sb, again);
    }
    cr_assert_eq(wait_scrape(pid, RUN_TIMEOUT_S, 0), 0);
    cr_assert_geq(kills, 2, "the crawl finished before it could be killed");
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM runs"), 1);
    v = db_text(&sb, "SELECT status FROM runs");
    cr_assert_str_eq(v, "done");
    free(v);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages"), 1500);
    cr_assert_eq(db_int(&sb, "SELECT count(DISTINCT url) FROM pages"), 1500);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages WHERE error IS NOT"
                             " NULL OR title IS NULL"),
                 0);
    /* With --item the price field is per item (absent: no nav item has
     * a price), and every item is stored once: Home on every page, Up on
     * every page but the index. */
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM fields"), 0);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM items"), 2999);
    cr_assert_eq(db_int(&sb, "SELECT count(DISTINCT page_id || ':' || idx)"
                             " FROM items"),
                 2999);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM items WHERE idx = 0 AND"
                             " data ->> '$.to[0]' = '/index.html'"),
                 1500);
    cr_assert_eq(db_int(&sb, "SELECT pages FROM runs"), 1500);
    /* Skipped links too are recorded once across the sessions. */
    cr_assert_gt(db_int(&sb, "SELECT count(*) FROM skipped"), 0);
    cr_assert_eq(db_int(&sb, "SELECT count(*) - count(DISTINCT url) FROM"
                             " skipped"),
                 0);
    /* Every depth is the one an uninterrupted crawl records (pages
     * fetched ahead of their level and killed while held were fetched
     * again, not recorded at a guess). */
    cr_assert_eq(run_scrape(&sb, run, RUN_TIMEOUT_S, 0), 0);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM (SELECT url, depth FROM"
                             " pages WHERE run_id = 1 INTERSECT SELECT url,"
                             " depth FROM pages WHERE run_id = 2)"),
                 1500);
}

Test(engines, resume_after_kill_multi, .fini = finish)
{
    kill_and_resume("-c", "16");
}

Test(engines, resume_after_kill_threads, .fini = finish)
{
    kill_and_resume("--threads", "8");
}

/* A stop reaches the run in progress, and no other run starts; a
 * comparison killed outright takes its run down cleanly (SIGTERM), and
 * --resume finishes that run. */
Test(engines, compare_stops_with_its_run, .fini = finish)
{
    const char *const cmp[] = {"--compare", "-q",  "--per-host", "16",
                               "--db",      sb.db, sb.seeds,     NULL};
    const char *const resume[] = {"-q", "--resume", "--db", sb.db, NULL};
    pid_t pid, run;
    int i;

    start(held_site);
    every_page_a_seed(400);
    /* SIGTERM to the comparing process alone. */
    pid = start_scrape(&sb, cmp);
    site_wait_held(&site);
    cr_assert_eq(child_pids(pid, &run, 1), 1);
    cr_assert_eq(kill(pid, SIGTERM), 0);
    for (i = 0; i < 500 && proc_state(run) && proc_state(run) != 'Z'; i++)
        usleep(10000);
    site_release(&site);
    cr_assert_eq(wait_scrape(pid, RUN_TIMEOUT_S, 0), 128 + SIGTERM);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM runs"), 1);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM runs WHERE status ="
                             " 'interrupted' AND compare_id = 1"),
                 1);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM comparisons WHERE status ="
                             " 'interrupted'"),
                 1);
    /* kill -9 of the comparing process: its run is told to stop.  (A
     * gate once released stays open: a new site.) */
    site_stop(&site);
    site_start(&site, held_site);
    every_page_a_seed(400);
    pid = start_scrape(&sb, cmp);
    site_wait_held(&site);
    cr_assert_eq(child_pids(pid, &run, 1), 1);
    cr_assert_eq(kill(pid, SIGKILL), 0);
    cr_assert_eq(wait_scrape(pid, RUN_TIMEOUT_S, 0), 128 + SIGKILL);
    for (i = 0; i < 500 && proc_state(run) && proc_state(run) != 'Z'; i++)
        usleep(10000);
    cr_assert(!proc_state(run) || proc_state(run) == 'Z',
              "the run outlived its comparison");
    site_release(&site);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM runs WHERE id = 2 AND"
                             " status = 'interrupted' AND compare_id = 2"),
                 1);
    cr_assert_eq(run_scrape(&sb, resume, RUN_TIMEOUT_S, 0), 0);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages WHERE run_id = 2"),
                 400);
    cr_assert_eq(db_int(&sb, "SELECT count(DISTINCT url) FROM pages WHERE"
                             " run_id = 2"),
                 400);
}
