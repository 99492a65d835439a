/*
 * Integration tests for kept bodies and scrape extract:
 * bodies stored once each (zstd), validators and hashes on every row,
 * and extract's records equal to a live crawl's from the same bytes.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define RUN_TIMEOUT_S 60

#define ITEM_ARGS                                                              \
    "--item", "div.quote", "--field", "text=span.text::text", "--field",       \
        "author=css:.author::text", "--field", "tags[]=a.tag::text"

/* A page's record as both runs must agree on it (items included). */
#define RECORD                                                                 \
    "url, depth, status, content_type, title, h1, words, outlinks, simhash,"   \
    " error, body_hash, (SELECT group_concat(idx || '=' || data, ';') FROM"    \
    " items i WHERE i.page_id = p.id), (SELECT group_concat(url || ' ' ||"     \
    " followable, ';') FROM links l WHERE l.page_id = p.id)"

static struct site site;
static struct sandbox sb;
static char seed[256];

static void start(void)
{
    static const char *const args[] = {"--quote-pages", "10", "--robots", "2",
                                       NULL};

    sandbox_init(&sb);
    site_start(&site, args);
    snprintf(seed, sizeof(seed), "http://127.0.0.1:%u/quotes/page/1/",
             site.port);
}

static void finish(void)
{
    site_stop(&site);
    sandbox_release(&sb);
}

/* Records of run a that run b does not have, and the reverse. */
static long long records_differing(int a, int b)
{
    return db_int(&sb,
                  "SELECT (SELECT count(*) FROM (SELECT " RECORD
                  " FROM pages p WHERE run_id = %d EXCEPT SELECT " RECORD
                  " FROM pages p WHERE run_id = %d)) + (SELECT count(*) FROM"
                  " (SELECT " RECORD " FROM pages p WHERE run_id = %d EXCEPT"
                  " SELECT " RECORD " FROM pages p WHERE run_id = %d))",
                  a, b, b, a);
}

Test(bodies, kept_once_each_and_hashed_always, .init = start, .fini = finish)
{
    const char *const keep[] = {"-q",   "-d",  "2",  "--keep-bodies",
                                "--db", sb.db, seed, NULL};
    const char *const plain[] = {"-q", "-d", "2", "--db", sb.db, seed, NULL};

    cr_assert_eq(run_scrape(&sb, keep, RUN_TIMEOUT_S, 0), 0);
    cr_assert_eq(run_scrape(&sb, plain, RUN_TIMEOUT_S, 0), 0);
    /* Every answered page has its hash, in both runs. */
    cr_assert_gt(db_int(&sb, "SELECT count(*) FROM pages WHERE run_id = 1"),
                 20);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages WHERE status > 0"
                             " AND body_hash IS NULL"),
                 0);
    /* Bodies of run 1 only, one row per distinct body, compressed, and
     * the hash is the body's SHA-256 (sqlite3 has no sha256: checked in
     * the unit tests; here, equal bodies have equal hashes across runs). */
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM bodies"),
                 db_int(&sb, "SELECT count(DISTINCT body_hash) FROM pages"
                             " WHERE run_id = 1"));
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages a JOIN pages b ON"
                             " a.url = b.url AND a.run_id = 1 AND b.run_id = 2"
                             " WHERE a.body_hash IS NOT b.body_hash"),
                 0);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM bodies b JOIN pages p ON"
                             " p.body_hash = b.hash AND p.run_id = 1 WHERE"
                             " b.size <> p.bytes"),
                 0);
    cr_assert_lt(db_int(&sb, "SELECT sum(length(data)) FROM bodies"),
                 db_int(&sb, "SELECT sum(size) FROM bodies") / 2);
    /* Headers as received, with the status line, only when kept. */
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages WHERE run_id = 1 AND"
                             " status = 200 AND headers NOT LIKE"
                             " 'HTTP/1.1 200 OK' || char(13, 10) || '%%'"),
                 0);
    cr_assert_eq(db_int(&sb, "SELECT count(headers) FROM pages WHERE"
                             " run_id = 2"),
                 0);
}

Test(bodies, extract_reproduces_the_live_crawl, .init = start, .fini = finish)
{
    const char *const crawl[] = {
        "-q", "-d", "3", ITEM_ARGS, "--keep-bodies", "--db", sb.db, seed, NULL};
    const char *const again[] = {"extract", "-q",  ITEM_ARGS,
                                 "--db",    sb.db, NULL};
    const char *const other[] = {
        "extract", "-q",        "--run",   "1",
        "--item",  "div.quote", "--field", "who=css:.author::text",
        "--procs", "1",         "--db",    sb.db,
        NULL};

    cr_assert_eq(run_scrape(&sb, crawl, RUN_TIMEOUT_S, 0), 0);
    cr_assert_gt(db_int(&sb, "SELECT count(*) FROM items"), 50);
    /* A page whose parse failed in the live crawl (its worker killed) is
     * parsed again, not copied as a failure: extract's record is what the
     * page gives.  Damaged on purpose, after the comparison's copy. */
    db_exec(&sb, "CREATE TABLE live AS SELECT * FROM pages WHERE url LIKE"
                 " '%/quotes/page/4/'");
    db_exec(&sb, "UPDATE pages SET error = 'cannot parse HTML: parse worker"
                 " killed by signal 9', title = NULL WHERE url LIKE"
                 " '%/quotes/page/4/'");
    cr_assert_eq(run_scrape(&sb, again, RUN_TIMEOUT_S, 0), 0);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages p JOIN live l ON"
                             " l.url = p.url WHERE p.run_id = 2 AND p.error"
                             " IS NULL AND p.title = l.title"),
                 1);
    db_exec(&sb, "UPDATE pages SET error = NULL, title = (SELECT title FROM"
                 " live) WHERE run_id = 1 AND url LIKE '%/quotes/page/4/'");
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM runs WHERE id = 2 AND"
                             " mode = 'extract' AND status = 'done'"),
                 1);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages WHERE run_id = 2"),
                 db_int(&sb, "SELECT count(*) FROM pages WHERE run_id = 1"));
    cr_assert_eq(records_differing(1, 2), 0,
                 "extract's records differ from the live crawl's");
    /* Its pages are found by search (sharing the source rows' text). */
    cr_assert_gt(db_int(&sb, "SELECT count(*) FROM pages_fts CROSS JOIN pages p"
                             " ON (p.id = pages_fts.rowid OR p.text_of ="
                             " pages_fts.rowid) WHERE"
                             " p.run_id = 1 AND pages_fts MATCH 'the'"),
                 5);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages_fts CROSS JOIN pages p"
                             " ON (p.id = pages_fts.rowid OR p.text_of ="
                             " pages_fts.rowid) WHERE"
                             " p.run_id = 2 AND pages_fts MATCH 'the'"),
                 db_int(&sb, "SELECT count(*) FROM pages_fts CROSS JOIN pages p"
                             " ON (p.id = pages_fts.rowid OR p.text_of ="
                             " pages_fts.rowid) WHERE"
                             " p.run_id = 1 AND pages_fts MATCH 'the'"));
    /* New selectors: the same items, other fields, no fetch. */
    cr_assert_eq(run_scrape(&sb, other, RUN_TIMEOUT_S, 0), 0);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM items WHERE run_id = 3"),
                 db_int(&sb, "SELECT count(*) FROM items WHERE run_id = 1"));
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM items a JOIN pages pa ON"
                             " pa.id = a.page_id JOIN pages pb ON pb.url ="
                             " pa.url AND pb.run_id = 1 JOIN items b ON"
                             " b.page_id = pb.id AND b.idx = a.idx WHERE"
                             " a.run_id = 3 AND a.data ->> 'who' IS NOT"
                             " b.data ->> 'author'"),
                 0);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM items WHERE run_id = 3 AND"
                             " data ->> 'text' IS NOT NULL"),
                 0);
}

Test(bodies, corrupt_body_is_an_error_row, .init = start, .fini = finish)
{
    const char *const crawl[] = {
        "-q", "-d", "2", ITEM_ARGS, "--keep-bodies", "--db", sb.db, seed, NULL};
    const char *const again[] = {"extract", "-q",  ITEM_ARGS,
                                 "--db",    sb.db, NULL};
    /* Rows of run 1 whose body was damaged (a body may be shared). */
    const char *damaged = "SELECT count(*) FROM pages WHERE run_id = 1 AND"
                          " body_hash IN (SELECT body_hash FROM pages WHERE"
                          " url LIKE '%/quotes/page/_/' AND run_id = 1"
                          " AND substr(url, -2, 1) IN ('1', '2', '3'))";

    cr_assert_eq(run_scrape(&sb, crawl, RUN_TIMEOUT_S, 0), 0);
    /* One body garbled, one cut short, one claiming another size. */
    db_exec(&sb, "UPDATE bodies SET data = x'28b52ffd00deadbeef' WHERE hash ="
                 " (SELECT body_hash FROM pages WHERE url LIKE"
                 " '%/quotes/page/1/')");
    db_exec(&sb, "UPDATE bodies SET data = substr(data, 1, 20) WHERE hash ="
                 " (SELECT body_hash FROM pages WHERE url LIKE"
                 " '%/quotes/page/2/')");
    db_exec(&sb, "UPDATE bodies SET size = size + 1 WHERE hash = (SELECT"
                 " body_hash FROM pages WHERE url LIKE '%/quotes/page/3/')");
    cr_assert_eq(run_scrape(&sb, again, RUN_TIMEOUT_S, 0), 0);
    cr_assert_geq(db_int(&sb, "%s", damaged), 3);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages WHERE run_id = 2 AND"
                             " error LIKE 'stored body%%'"),
                 db_int(&sb, "%s", damaged));
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages WHERE run_id = 2 AND"
                             " error IS NULL"),
                 db_int(&sb, "SELECT count(*) FROM pages WHERE run_id = 1 AND"
                             " error IS NULL") -
                     db_int(&sb, "%s", damaged));
}

Test(bodies, extract_needs_kept_bodies, .init = start, .fini = finish)
{
    const char *const plain[] = {"-q", "--db", sb.db, seed, NULL};
    const char *const again[] = {"extract", "-q", "--db", sb.db, NULL};
    const char *const unknown[] = {"extract", "-q",  "--run", "99",
                                   "--db",    sb.db, NULL};
    const char *const seeds[] = {"extract", "-q", "--db", sb.db, seed, NULL};
    char *err;

    cr_assert_eq(run_scrape(&sb, plain, RUN_TIMEOUT_S, 0), 0);
    cr_assert_eq(run_scrape(&sb, again, RUN_TIMEOUT_S, 0), 1);
    err = read_stderr(&sb);
    cr_assert(strstr(err, "kept bodies") || strstr(err, "kept no bodies"), "%s",
              err);
    free(err);
    cr_assert_eq(run_scrape(&sb, unknown, RUN_TIMEOUT_S, 0), 1);
    err = read_stderr(&sb);
    cr_assert(strstr(err, "no run 99"), "%s", err);
    free(err);
    cr_assert_eq(run_scrape(&sb, seeds, RUN_TIMEOUT_S, 0), 2);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM runs"), 1);
}

/* The WARC export read back by warcio.js (tests/warc/check.mjs): a
 * warcinfo first, a request and a response per kept page naming each
 * other, every payload the stored body (its SHA-256 and the payload
 * digest agree), status and Content-Length as the page's. */
Test(bodies, warc_reads_back_with_an_independent_reader, .init = start,
     .fini = finish)
{
    static char warc[160], expected[160], cmd[512];
    const char *const crawl[] = {"-q",   "-d",  "2",  "--keep-bodies",
                                 "--db", sb.db, seed, NULL};
    const char *const export[] = {"export", "--db", sb.db, "--format",
                                  "warc",   "-o",   warc,  NULL};
    char *lines, *out;
    FILE *f;
    int rc;

    snprintf(warc, sizeof(warc), "%s/run.warc.gz", sb.dir);
    snprintf(expected, sizeof(expected), "%s/expected.tsv", sb.dir);
    cr_assert_eq(run_scrape(&sb, crawl, RUN_TIMEOUT_S, 0), 0);
    cr_assert_gt(db_int(&sb, "SELECT count(*) FROM pages WHERE status = 404"
                             " AND body_hash IS NOT NULL"),
                 0, "an error page's body is kept and exported too");
    cr_assert_eq(run_scrape(&sb, export, RUN_TIMEOUT_S, 0), 0);
    lines = db_text(&sb, "SELECT group_concat(coalesce(final_url, url) ||"
                         " char(9) || body_hash || char(9) || status,"
                         " char(10)) FROM pages WHERE body_hash IN (SELECT"
                         " hash FROM bodies)");
    cr_assert_not_null(f = fopen(expected, "w"));
    fprintf(f, "%s\n", lines);
    fclose(f);
    free(lines);
    snprintf(cmd, sizeof(cmd),
             "node tests/warc/check.mjs %s %s > %s/check.txt"
             " 2>&1",
             warc, expected, sb.dir);
    rc = system(cmd);
    out = read_file_text(&sb, "check.txt");
    cr_assert_eq(rc, 0, "%s", out);
    cr_assert(strstr(out, "ok "), "%s", out);
    cr_assert_eq(atoll(out + 3),
                 db_int(&sb, "SELECT count(*) FROM pages WHERE body_hash IN"
                             " (SELECT hash FROM bodies)"),
                 "%s", out);
    free(out);
}
