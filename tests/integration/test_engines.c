/*
 * Integration tests for the three engines and --compare: the real binary
 * against the local site, checked through the database.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
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

/* What the site's /slow-report says (and resets). */
static void slow_report(char *out, size_t n)
{
    char cmd[128];
    FILE *p;

    snprintf(cmd, sizeof(cmd),
             "curl -s --max-time 5 http://127.0.0.1:%u/slow-report", site.port);
    p = popen(cmd, "r");
    cr_assert_not_null(p);
    if (!fgets(out, (int)n, p))
        out[0] = '\0';
    pclose(p);
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
        slow_report(report, sizeof(report));
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

/* kill -9 a parse worker mid-crawl: its page becomes an error row, a new
 * worker replaces it, every other page is recorded, nothing hangs. */
Test(engines, killed_worker_is_replaced_and_no_page_is_lost, .fini = finish)
{
    static const char *const args[] = {"--pages", "400", "--page-size",
                                       "200000", NULL};
    const char *const run[] = {"-q",   "--procs", "2",      "--per-host", "16",
                               "--db", sb.db,     sb.seeds, NULL};
    pid_t pid, kids[8], after[8];
    int n, i, killed = 0;

    /* Every page is a seed: no page depends on another's links, so all
     * 400 must be recorded, the killed worker's page as an error. */
    start(args);
    every_page_a_seed(400);
    pid = start_scrape(&sb, run);
    /* Kill workers while the crawl runs (bounded: 100 looks, 20 ms). */
    for (i = 0; i < 100 && killed < 2; i++) {
        usleep(20000);
        n = worker_pids(pid, kids, 8);
        if (n == 2 && db_int_or(&sb, 0, "SELECT count(*) FROM pages") > 20) {
            kill(kids[killed % 2], SIGKILL);
            killed++;
            usleep(200000);
        }
    }
    cr_assert_gt(killed, 0, "the crawl ended before a worker could be killed");
    /* Replaced: two living workers again, no zombie among them. */
    n = worker_pids(pid, after, 8);
    /* (Unless the crawl is over and the pool is being shut down.) */
    cr_assert(n == 2 || waitpid(pid, NULL, WNOHANG) != 0 ||
                  db_int_or(&sb, 0, "SELECT count(*) FROM pages") == 400,
              "workers: %d", n);
    cr_assert_eq(wait_scrape(pid, RUN_TIMEOUT_S, 0), 0);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages"), 400);
    cr_assert_eq(db_int(&sb, "SELECT count(DISTINCT url) FROM pages"), 400);
    cr_assert_geq(db_int(&sb, "SELECT count(*) FROM pages WHERE error ="
                              " 'cannot parse HTML: parse worker killed by"
                              " signal 9'"),
                  1);
    cr_assert_leq(db_int(&sb, "SELECT count(*) FROM pages WHERE error IS NOT"
                              " NULL"),
                  killed);
}

/* Workers killed at random all through a crawl, while the writer thread
 * is busy indexing: each replacement comes from the fork server, every
 * page still gets exactly one row (an error row for a page whose worker
 * died with it), and nothing hangs. */
Test(engines, workers_killed_at_random_lose_no_page, .fini = finish)
{
    static const char *const args[] = {"--pages", "1200", "--page-size",
                                       "60000", NULL};
    const char *const run[] = {"-q", "--procs", "2",   "--per-host", "32", "-c",
                               "32", "--db",    sb.db, sb.seeds,     NULL};
    pid_t pid, kids[8];
    unsigned seed = 12345;
    int i, n, kills = 0;

    start(args);
    every_page_a_seed(1200);
    pid = start_scrape(&sb, run);
    /* Bounded: at most 400 looks of 5-25 ms, at most 30 kills. */
    for (i = 0; i < 400 && kills < 30 && waitpid(pid, NULL, WNOHANG) == 0;
         i++) {
        seed = seed * 1103515245u + 12345u;
        usleep(5000 + (seed >> 16) % 20000);
        n = worker_pids(pid, kids, 8);
        if (n > 0 && db_int_or(&sb, 0, "SELECT count(*) FROM pages") > 10) {
            kill(kids[(seed >> 8) % (unsigned)n], SIGKILL);
            kills++;
        }
    }
    cr_assert_geq(kills, 5, "the crawl ended after %d kills", kills);
    cr_assert_eq(wait_scrape(pid, RUN_TIMEOUT_S, 0), 0);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages"), 1200);
    cr_assert_eq(db_int(&sb, "SELECT count(DISTINCT url) FROM pages"), 1200);
    cr_assert_leq(db_int(&sb, "SELECT count(*) FROM pages WHERE error IS NOT"
                              " NULL"),
                  kills);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages WHERE error IS NOT"
                             " NULL AND error <> 'cannot parse HTML: parse"
                             " worker killed by signal 9'"),
                 0);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages WHERE error IS NULL"
                             " AND title IS NULL"),
                 0);
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

    start(args);
    cr_assert_eq(run_scrape(&sb, run, 20, 1200), 130);
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
