/* Unit tests for store.c on a real SQLite file in a temporary directory. */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scrape/store.h"
#include "scrape/writer.h"

static char dir[64];
static char path[128];

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/scrape-store-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/t.db", dir);
}

static void teardown(void)
{
    char cmd[160];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

static long long query_int(const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    long long v;

    cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
                 SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, "%s",
                 sql);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "%s", sql);
    v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

/* Asserts that `sql` gives one text value equal to `want`. */
static void expect_text(const char *sql, const char *want)
{
    sqlite3 *db;
    sqlite3_stmt *st;

    cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
                 SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "%s", sql);
    cr_assert_str_eq((const char *)sqlite3_column_text(st, 0), want, "%s", sql);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static struct store *open_store(void)
{
    struct store *s = NULL;
    char *why = NULL;

    cr_assert_eq(store_open(path, &s, &why), ERR_OK, "%s", why);
    return s;
}

TestSuite(store, .init = setup, .fini = teardown);

Test(store, writes_page_links_and_fields)
{
    static const struct field_spec fields[] = {
        {.name = "price", .xpath = "//p"},
        {.name = "none", .xpath = "//q"},
        {.name = "tags", .xpath = "//a", .list = true}};
    static const struct extract_spec spec = {.fields = fields, .nfields = 3};
    struct link links[] = {{(char *)"http://h/a", true, ERR_OK},
                           {(char *)"mailto:x", false, ERR_SCHEME}};
    char *values[] = {(char *)"£1", (char *)"a \"b\"", (char *)"c"};
    size_t off[] = {0, 1, 1, 3};
    struct page pg = {.title = (char *)"T",
                      .h1 = (char *)"H",
                      .words = 7,
                      .links = links,
                      .nlinks = 2,
                      .nrecords = 1,
                      .nfields = 3,
                      .off = off,
                      .vals = values,
                      .nvals = 3,
                      .charset = (char *)"UTF-8"};
    struct page_row row = {.url = "http://h/",
                           .final_url = "http://h/",
                           .status = 200,
                           .content_type = "text/html",
                           .bytes = 10,
                           .page = &pg,
                           .spec = &spec};
    struct run_info info = {
        .mode = "multi", .workers = 1, .concurrency = 5, .seeds = "s.txt"};
    struct run_stats st = {.pages = 1, .wall_ms = 3, .status = "done"};
    struct store *s = open_store();
    int64_t run;

    cr_assert_eq(store_run_begin(s, &info, &run), ERR_OK);
    cr_assert_eq(store_put_page(s, run, &row), ERR_OK);
    cr_assert_eq(store_run_end(s, run, &st), ERR_OK);
    cr_assert_eq(store_close(s), ERR_OK);
    cr_assert_eq(query_int("SELECT count(*) FROM pages"), 1);
    cr_assert_eq(query_int("SELECT words FROM pages"), 7);
    cr_assert_eq(query_int("SELECT outlinks FROM pages"), 2);
    cr_assert_eq(query_int("SELECT count(*) FROM links WHERE followable"), 1);
    /* The absent plain field has no row; the list is a JSON array. */
    cr_assert_eq(query_int("SELECT count(*) FROM fields"), 2);
    expect_text("SELECT value FROM fields WHERE name = 'price'", "£1");
    expect_text("SELECT value FROM fields WHERE name = 'tags'",
                "[\"a \\\"b\\\"\",\"c\"]");
    expect_text("SELECT group_concat(j.value, '|') FROM fields,"
                " json_each(fields.value) j WHERE name = 'tags'",
                "a \"b\"|c");
    expect_text("SELECT mode || ':' || status || ':' || pages FROM runs",
                "multi:done:1");
}

/* --item records: one items row each, fields as a JSON object in the
 * order given, lists as arrays, absent plain fields without a key; the
 * run's selectors are recorded. */
Test(store, writes_items_as_json_objects)
{
    static const struct field_spec fields[] = {
        {.name = "text", .xpath = "span.text", .selector = "css:span.text"},
        {.name = "tags", .xpath = ".//a", .list = true}};
    static const struct extract_spec spec = {.item_xpath = "//div",
                                             .item_selector = "div",
                                             .fields = fields,
                                             .nfields = 2};
    char *values[] = {(char *)"One", (char *)"x", (char *)"y"};
    size_t off[] = {0, 1, 3, 3, 3};
    struct page pg = {.items = true,
                      .nrecords = 2,
                      .nfields = 2,
                      .off = off,
                      .vals = values,
                      .nvals = 3};
    struct page_row row = {
        .url = "http://h/", .status = 200, .page = &pg, .spec = &spec};
    struct run_info info = {.mode = "multi", .spec = &spec};
    struct store *s = open_store();
    int64_t run;

    cr_assert_eq(store_run_begin(s, &info, &run), ERR_OK);
    cr_assert_eq(store_put_page(s, run, &row), ERR_OK);
    cr_assert_eq(store_close(s), ERR_OK);
    cr_assert_eq(query_int("SELECT count(*) FROM items"), 2);
    expect_text("SELECT data FROM items WHERE idx = 0",
                "{\"text\":\"One\",\"tags\":[\"x\",\"y\"]}");
    expect_text("SELECT data FROM items WHERE idx = 1", "{\"tags\":[]}");
    expect_text("SELECT group_concat(kind || ':' || coalesce(name, '-') ||"
                " ':' || selector || ':' || list, ' ') FROM selectors"
                " ORDER BY pos",
                "item:-:div:1 field:text:css:span.text:0 field:tags:.//a:1");
    cr_assert_eq(query_int("SELECT count(*) FROM fields"), 0);
}

Test(store, batches_are_visible_after_flush_and_runs_append)
{
    struct page_row row = {
        .url = "http://h/x", .status = 0, .error = "connection refused"};
    struct run_info info = {.mode = "multi"};
    struct store *s = open_store();
    int64_t r1, r2;
    int i;

    cr_assert_eq(store_run_begin(s, &info, &r1), ERR_OK);
    for (i = 0; i < 1000; i++)
        cr_assert_eq(store_put_page(s, r1, &row), ERR_OK);
    cr_assert_eq(store_flush(s), ERR_OK);
    cr_assert_eq(query_int("SELECT count(*) FROM pages"), 1000);
    cr_assert_eq(store_close(s), ERR_OK);
    s = open_store();
    cr_assert_eq(store_run_begin(s, &info, &r2), ERR_OK);
    cr_assert_gt(r2, r1);
    cr_assert_eq(store_close(s), ERR_OK);
    cr_assert_eq(query_int("SELECT count(*) FROM runs"), 2);
    cr_assert_eq(query_int("SELECT count(*) FROM pages WHERE error IS NULL"),
                 0);
}

Test(store, invalid_utf8_from_servers_is_repaired)
{
    struct page_row row = {.url = "http://h/x",
                           .status = 200,
                           .content_type = "text/html; x=\xFF\xFE"};
    struct run_info info = {.mode = "multi"};
    struct store *s = open_store();
    int64_t r;

    cr_assert_eq(store_run_begin(s, &info, &r), ERR_OK);
    cr_assert_eq(store_put_page(s, r, &row), ERR_OK);
    cr_assert_eq(store_close(s), ERR_OK);
    expect_text("SELECT content_type FROM pages",
                "text/html; x=\xEF\xBF\xBD\xEF\xBF\xBD");
}

Test(store, wal_mode_schema_version_and_page_size)
{
    struct store *s = open_store();

    cr_assert_eq(store_close(s), ERR_OK);
    expect_text("PRAGMA journal_mode", "wal");
    cr_assert_eq(query_int("PRAGMA user_version"), STORE_SCHEMA_VERSION);
    cr_assert_eq(query_int("PRAGMA page_size"),
                 strtol(STORE_PAGE_SIZE, NULL, 10));
}

Test(store, refuses_a_database_that_is_not_ours)
{
    struct store *s = NULL;
    char *why = NULL;
    sqlite3 *db;

    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(db, "CREATE TABLE t(x)", NULL, NULL, NULL),
                 SQLITE_OK);
    sqlite3_close(db);
    cr_assert_eq(store_open(path, &s, &why), ERR_DB);
    cr_assert_null(s);
    cr_assert_not_null(strstr(why, "is not a scrape database"), "%s", why);
    free(why);
}

Test(store, unopenable_path_is_a_clear_error)
{
    struct store *s = NULL;
    char *why = NULL;

    cr_assert_neq(store_open("/nonexistent-dir/sub/x.db", &s, &why), ERR_OK);
    cr_assert_null(s);
    cr_assert_not_null(strstr(why, "cannot open database"), "%s", why);
    free(why);
}

Test(store, migrates_a_version_1_database)
{
    struct store *s;
    sqlite3 *db;

    static char sql[8192];
    FILE *f = fopen("tests/fixtures/schema_v1.sql", "r");
    size_t n;

    cr_assert_not_null(f);
    n = fread(sql, 1, sizeof(sql) - 1, f);
    sql[n] = '\0';
    fclose(f);
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    s = open_store();
    cr_assert_eq(store_close(s), ERR_OK);
    cr_assert_eq(query_int("PRAGMA user_version"), STORE_SCHEMA_VERSION);
    cr_assert_eq(query_int("SELECT count(*) FROM pages WHERE simhash IS NULL"
                           " AND url = 'http://old/'"),
                 1);
}

/* The writer (writer.c) on the same kind of file: it copies what it is
 * given, applies it in order on its own thread, and keeps failures. */
TestSuite(writer, .init = setup, .fini = teardown);

Test(writer, copies_records_and_stores_them_in_order)
{
    static const struct field_spec fields[] = {
        {.name = "price", .xpath = "//p"}};
    static const struct extract_spec spec = {.fields = fields, .nfields = 1};
    char title[] = "Zanzibar notes", text[] = "spice island ledger";
    char link_url[] = "http://h/next", value[] = "£3";
    struct link links[] = {{link_url, true, ERR_OK}};
    char *values[] = {value};
    size_t off[] = {0, 1};
    struct page pg = {.title = title,
                      .text = text,
                      .words = 3,
                      .links = links,
                      .nlinks = 1,
                      .nrecords = 1,
                      .nfields = 1,
                      .off = off,
                      .vals = values,
                      .nvals = 1};
    struct page_row row = {
        .url = "http://h/", .status = 200, .page = &pg, .spec = &spec};
    struct run_info info = {.mode = "multi"};
    struct store *s = open_store();
    struct page expect = {0};
    struct writer *w;
    int64_t run;

    cr_assert_eq(store_run_begin(s, &info, &run), ERR_OK);
    cr_assert_eq(writer_start(s, page_fingerprint, &w), ERR_OK);
    cr_assert_eq(writer_frontier_add(w, run, "http://h/", 0), ERR_OK);
    cr_assert_eq(writer_put_page(w, run, &row), ERR_OK);
    /* The caller's memory is its own again at once. */
    memset(title, 'x', sizeof(title) - 1);
    memset(text, 'x', sizeof(text) - 1);
    memset(link_url, 'x', sizeof(link_url) - 1);
    memset(value, 'x', sizeof(value) - 1);
    cr_assert_eq(writer_put_skipped(w, run, "ftp://h/", "scheme"), ERR_OK);
    cr_assert_eq(writer_frontier_done(w, run, "http://h/"), ERR_OK);
    cr_assert_eq(writer_flush(w), ERR_OK);
    /* Committed: another connection sees it while the writer runs. */
    expect_text("SELECT title || '|' || url FROM pages",
                "Zanzibar notes|http://h/");
    expect_text("SELECT url FROM links", "http://h/next");
    expect_text("SELECT value FROM fields", "£3");
    cr_assert_eq(query_int("SELECT count(*) FROM pages_fts"
                           " WHERE pages_fts MATCH 'ledger'"),
                 1);
    /* The prepare step ran on the writer's copy, before storing. */
    expect.text = (char *)"spice island ledger";
    page_fingerprint(&expect);
    cr_assert_neq(expect.simhash, 0);
    cr_assert_eq(query_int("SELECT simhash FROM pages"),
                 (long long)expect.simhash);
    cr_assert_eq(query_int("SELECT done FROM frontier"), 1);
    cr_assert_eq(query_int("SELECT count(*) FROM skipped"), 1);
    cr_assert_eq(writer_stop(w, NULL, 0), ERR_OK);
    cr_assert_eq(store_close(s), ERR_OK);
}

/* More than the queue holds: callers wait, nothing is dropped. */
Test(writer, back_pressure_loses_nothing)
{
    enum { PAGES = 300, TEXT = 64 * 1024 };
    char *text = malloc(TEXT);
    struct page pg = {.title = (char *)"t"};
    struct page_row row = {.status = 200, .page = &pg};
    struct run_info info = {.mode = "multi"};
    struct store *s = open_store();
    struct writer *w;
    char url[64];
    int64_t run;
    int i;

    cr_assert_not_null(text);
    cr_assert_gt((long)PAGES * TEXT, WRITER_QUEUE_BYTES);
    memset(text, 'a', TEXT - 1);
    text[TEXT - 1] = '\0';
    pg.text = text;
    cr_assert_eq(store_run_begin(s, &info, &run), ERR_OK);
    cr_assert_eq(writer_start(s, NULL, &w), ERR_OK);
    for (i = 0; i < PAGES; i++) {
        snprintf(url, sizeof(url), "http://h/%d", i);
        row.url = url;
        cr_assert_eq(writer_put_page(w, run, &row), ERR_OK);
        cr_assert_eq(writer_frontier_done(w, run, url), ERR_OK);
    }
    cr_assert_eq(writer_stop(w, NULL, 0), ERR_OK);
    cr_assert_eq(store_close(s), ERR_OK);
    free(text);
    cr_assert_eq(query_int("SELECT count(DISTINCT url) FROM pages"), PAGES);
    cr_assert_eq(query_int("SELECT count(*) FROM pages_fts"), PAGES);
}

/* A store failure stops the writer: every later call reports it, with
 * the store's own detail, and what was committed before stays. */
Test(writer, a_store_failure_is_sticky_and_explained)
{
    struct page_row good = {.url = "http://h/ok", .status = 200};
    struct page_row bad = {.url = NULL, .status = 200}; /* NOT NULL */
    struct run_info info = {.mode = "multi"};
    struct store *s = open_store();
    struct writer *w;
    char why[256];
    int64_t run;

    cr_assert_eq(store_run_begin(s, &info, &run), ERR_OK);
    cr_assert_eq(writer_start(s, NULL, &w), ERR_OK);
    cr_assert_eq(writer_put_page(w, run, &good), ERR_OK);
    cr_assert_eq(writer_frontier_done(w, run, "http://h/ok"), ERR_OK);
    cr_assert_eq(writer_flush(w), ERR_OK);
    cr_assert_eq(writer_put_page(w, run, &bad), ERR_OK); /* queued */
    cr_assert_eq(writer_flush(w), ERR_DB);
    cr_assert_eq(writer_status(w), ERR_DB);
    cr_assert_eq(writer_put_skipped(w, run, "http://h/s", "depth"), ERR_DB);
    writer_errmsg(w, why, sizeof(why));
    cr_assert_not_null(strstr(why, "NOT NULL"), "%s", why);
    cr_assert_eq(writer_stop(w, why, sizeof(why)), ERR_DB);
    cr_assert_not_null(strstr(why, "NOT NULL"), "%s", why);
    cr_assert_eq(store_close(s), ERR_OK);
    cr_assert_eq(query_int("SELECT count(*) FROM pages"), 1);
    cr_assert_eq(query_int("SELECT count(*) FROM skipped"), 0);
}
