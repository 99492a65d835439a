/*
 * Integration tests for --recrawl: the validators of the run
 * recrawled are sent (the site counts them), a 304 or an unchanged body
 * carries the record forward, exactly the pages changed on the site are
 * found changed, pages gone are found gone, and export --changed writes
 * only those.
 */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define RUN_TIMEOUT_S 60
#define PAGES         120

/* A page's record as a carried-forward row must keep it. */
#define RECORD                                                                 \
    "url, depth, status, title, h1, words, outlinks, simhash, body_hash,"      \
    " (SELECT group_concat(name || '=' || value, ';') FROM fields f WHERE"     \
    " f.page_id = p.id), (SELECT group_concat(url, ';') FROM links l WHERE"    \
    " l.page_id = p.id)"

static struct site site;
static struct sandbox sb;
static char seed[128], port[16];

static void start_with(const char *validators, const char *pages)
{
    const char *const args[] = {
        "--pages", pages, "--validators", validators, "--port", port, NULL};

    site_start(&site, args);
    snprintf(port, sizeof(port), "%u", site.port);
    snprintf(seed, sizeof(seed), "http://127.0.0.1:%u/", site.port);
}

static void finish(void)
{
    site_stop(&site);
    sandbox_release(&sb);
}

/* GET http://127.0.0.1:PORT/path; returns the body (caller frees). */
static char *get(const char *path)
{
    struct buf_s {
        char *p;
        size_t n;
    } b = {NULL, 0};
    char url[256];
    FILE *f = open_memstream(&b.p, &b.n);
    CURL *c = curl_easy_init();

    snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", site.port, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
    cr_assert_eq(curl_easy_perform(c), CURLE_OK, "%s", url);
    curl_easy_cleanup(c);
    fclose(f);
    return b.p;
}

static void validators(unsigned *conditional, unsigned *not_modified)
{
    char *r = get("/validator-report");

    cr_assert_eq(
        sscanf(r, "conditional %u not-modified %u", conditional, not_modified),
        2, "%s", r);
    free(r);
}

static void crawl_then_change(const char *mode)
{
    const char *const crawl[] = {
        "-q",   "-d",  "4",  "--field", "h=css:h1::text",
        "--db", sb.db, seed, NULL};

    sandbox_init(&sb);
    port[0] = '0';
    port[1] = '\0';
    start_with(mode, "120");
    cr_assert_eq(run_scrape(&sb, crawl, RUN_TIMEOUT_S, 0), 0);
    /* The books and the index, as / and /index.html. */
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages"), PAGES + 1);
    free(get("/change?page=5"));
    free(get("/change?page=17"));
}

static long long count_change(const char *what)
{
    return db_int(&sb,
                  "SELECT count(*) FROM pages WHERE run_id = 2 AND change ="
                  " '%s'",
                  what);
}

Test(recrawl, sends_validators_and_finds_what_changed, .fini = finish)
{
    const char *const again[] = {"-q", "--recrawl", "1", "--db", sb.db, NULL};
    static char out[160];
    const char *const changed[] = {"export",    "--db",     sb.db,
                                   "--changed", "--format", "jsonl",
                                   "-o",        out,        NULL};
    unsigned cond = 0, nm = 0;
    char *text;

    crawl_then_change("1");
    snprintf(out, sizeof(out), "%s/changed.jsonl", sb.dir);
    validators(&cond, &nm);
    cr_assert_eq(cond, 0, "a first crawl sends no validators");
    cr_assert_eq(run_scrape(&sb, again, RUN_TIMEOUT_S, 0), 0);
    validators(&cond, &nm);
    cr_assert_eq(cond, PAGES + 1, "every page asked for conditionally");
    cr_assert_eq(nm, PAGES - 1, "the server answered 304 to the others");
    cr_assert_eq(count_change("changed"), 2);
    cr_assert_eq(count_change("unchanged"), PAGES - 1);
    cr_assert_eq(db_int(&sb,
                        "SELECT count(*) FROM pages WHERE run_id = 2 AND"
                        " change = 'changed' AND (url LIKE '%%/book/5.html'"
                        " OR url LIKE '%%/book/17.html')"),
                 2);
    /* Carried forward: the old record, fields and links included. */
    cr_assert_eq(db_int(&sb,
                        "SELECT count(*) FROM (SELECT " RECORD
                        " FROM pages p WHERE run_id = 1 EXCEPT SELECT " RECORD
                        " FROM pages p WHERE run_id = 2)"),
                 2, "only the changed pages' records differ");
    /* Their search text is the old rows' (text_of), found for run 2. */
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages WHERE run_id = 2 AND"
                             " change = 'unchanged' AND text_of IS NULL"),
                 0);
    cr_assert_gt(db_int(&sb, "SELECT count(*) FROM pages_fts CROSS JOIN pages p"
                             " ON (p.id = pages_fts.rowid OR p.text_of ="
                             " pages_fts.rowid) WHERE"
                             " p.run_id = 2 AND p.change = 'unchanged' AND"
                             " pages_fts MATCH 'scrape'"),
                 PAGES - 10);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages WHERE run_id = 2"),
                 PAGES + 1);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages_fts CROSS JOIN pages p"
                             " ON (p.id = pages_fts.rowid OR p.text_of ="
                             " pages_fts.rowid) WHERE"
                             " p.run_id = 2 AND p.change = 'changed' AND"
                             " pages_fts MATCH 'revised'"),
                 2);
    {
        /* scrape search finds the carried pages of run 2 too. */
        const char *const search[] = {"search",  "--db", sb.db,    "--run", "2",
                                      "--limit", "1000", "scrape", NULL};
        char *last;
        cr_assert_eq(run_scrape(&sb, search, RUN_TIMEOUT_S, 0), 0);
        text = read_file_text(&sb, "stdout.txt");
        last = strrchr(text, '\n');
        while (last > text && last[-1] != '\n')
            last--;
        cr_assert_gt(atoi(last), PAGES - 10, "%s", last);
        free(text);
    }
    cr_assert_eq(run_scrape(&sb, changed, RUN_TIMEOUT_S, 0), 0);
    text = read_file_text(&sb, "changed.jsonl");
    cr_assert(strstr(text, "/book/5.html") && strstr(text, "/book/17.html"),
              "%s", text);
    cr_assert_eq(strchr(strchr(text, '\n') + 1, '\n')[1], '\0',
                 "two records: %s", text);
    free(text);
}

Test(recrawl, without_validators_compares_bodies, .fini = finish)
{
    const char *const again[] = {"-q", "--recrawl", "1", "--db", sb.db, NULL};
    unsigned cond = 0, nm = 0;

    crawl_then_change("2");
    cr_assert_eq(run_scrape(&sb, again, RUN_TIMEOUT_S, 0), 0);
    validators(&cond, &nm);
    cr_assert_eq(cond, 0, "nothing to send back");
    cr_assert_eq(count_change("changed"), 2);
    cr_assert_eq(count_change("unchanged"), PAGES - 1);
}

Test(recrawl, pages_gone_and_bad_use, .fini = finish)
{
    const char *const again[] = {"-q", "--recrawl", "1", "--db", sb.db, NULL};
    const char *const unknown[] = {"-q", "--recrawl", "9", "--db", sb.db, NULL};
    const char *const seeds[] = {"-q",  "--recrawl", "1", "--db",
                                 sb.db, seed,        NULL};
    char *err;

    crawl_then_change("1");
    /* The same site on the same port, 20 pages fewer. */
    site_stop(&site);
    start_with("1", "100");
    cr_assert_eq(run_scrape(&sb, again, RUN_TIMEOUT_S, 0), 0);
    cr_assert_eq(count_change("gone"), 20);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages WHERE run_id = 2 AND"
                             " change = 'gone' AND status <> 404"),
                 0);
    cr_assert_eq(count_change("changed"), 0, "a new server: no /change");
    cr_assert_eq(run_scrape(&sb, unknown, RUN_TIMEOUT_S, 0), 1);
    err = read_stderr(&sb);
    cr_assert(strstr(err, "run 9"), "%s", err);
    free(err);
    cr_assert_eq(run_scrape(&sb, seeds, RUN_TIMEOUT_S, 0), 2);
}
