/* Unit tests for store.c on a real SQLite file in a temporary directory. */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scrape/store.h"
#include "spider1.h"

#include "dbfile.h"

TestSuite(store, .init = dbfile_setup, .fini = dbfile_teardown);

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
    struct store *s = dbfile_open_store();
    int64_t run;

    cr_assert_eq(store_run_begin(s, &info, &run), ERR_OK);
    cr_assert_eq(store_put_page(s, run, &row), ERR_OK);
    cr_assert_eq(store_run_end(s, run, &st), ERR_OK);
    cr_assert_eq(store_close(s), ERR_OK);
    cr_assert_eq(dbfile_int("SELECT count(*) FROM pages"), 1);
    cr_assert_eq(dbfile_int("SELECT words FROM pages"), 7);
    cr_assert_eq(dbfile_int("SELECT outlinks FROM pages"), 2);
    cr_assert_eq(dbfile_int("SELECT count(*) FROM links WHERE followable"), 1);
    /* The absent plain field has no row; the list is a JSON array. */
    cr_assert_eq(dbfile_int("SELECT count(*) FROM fields"), 2);
    dbfile_expect_text("SELECT value FROM fields WHERE name = 'price'", "£1");
    dbfile_expect_text("SELECT value FROM fields WHERE name = 'tags'",
                       "[\"a \\\"b\\\"\",\"c\"]");
    dbfile_expect_text("SELECT group_concat(j.value, '|') FROM fields,"
                       " json_each(fields.value) j WHERE name = 'tags'",
                       "a \"b\"|c");
    dbfile_expect_text("SELECT mode || ':' || status || ':' || pages FROM runs",
                       "multi:done:1");
}

/* --item records: one items row each, fields as a JSON object in the
 * order given, lists as arrays, absent plain fields without a key; the
 * run's selectors are recorded. */
/* Links go in 16 to a statement and the rest one by one: every count
 * around those sizes stores each link once, in order, with its flag and
 * its invalid UTF-8 repaired. */
Test(store, links_in_batches_keep_order_and_flags)
{
    static const size_t counts[] = {0, 1, 15, 16, 17, 37};
    struct run_info info = {
        .mode = "multi", .workers = 1, .concurrency = 5, .seeds = "s.txt"};
    struct store *s = dbfile_open_store();
    struct link links[37];
    char urls[37][64];
    int64_t run;
    size_t c, i;

    cr_assert_eq(store_run_begin(s, &info, &run), ERR_OK);
    for (c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
        struct page pg = {
            .title = (char *)"T", .links = links, .nlinks = counts[c]};
        char url[32];
        struct page_row row = {.url = url, .status = 200, .page = &pg};

        snprintf(url, sizeof(url), "http://h/%zu", counts[c]);
        for (i = 0; i < counts[c]; i++) {
            /* Link 5 is not valid UTF-8. */
            snprintf(urls[i], sizeof(urls[i]), "http://h/%zu/%zu%s", counts[c],
                     i, i == 5 ? "\xff" : "");
            links[i] = (struct link){urls[i], i % 3 == 0, ERR_OK};
        }
        cr_assert_eq(store_put_page(s, run, &row), ERR_OK);
    }
    cr_assert_eq(store_close(s), ERR_OK);
    for (c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
        char sql[512];

        snprintf(sql, sizeof(sql),
                 "SELECT count(*) FROM links l JOIN pages p ON p.id ="
                 " l.page_id WHERE p.url = 'http://h/%zu'",
                 counts[c]);
        cr_assert_eq(dbfile_int(sql), (long long)counts[c]);
        /* In order: the n-th row (by rowid) is link n, its flag n % 3. */
        snprintf(sql, sizeof(sql),
                 "SELECT count(*) FROM (SELECT l.url, l.followable,"
                 " row_number() OVER (ORDER BY l.rowid) - 1 AS n FROM links l"
                 " JOIN pages p ON p.id = l.page_id WHERE p.url ="
                 " 'http://h/%zu') WHERE url LIKE 'http://h/%zu/' || n || '%%'"
                 " AND followable = (n %% 3 = 0)",
                 counts[c], counts[c]);
        cr_assert_eq(dbfile_int(sql), (long long)counts[c], "%zu links",
                     counts[c]);
    }
    cr_assert_eq(dbfile_int("SELECT count(*) FROM links WHERE url ="
                            " 'http://h/37/5\xef\xbf\xbd'"),
                 1);
}

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
    struct spider1 s1;
    struct run_info info = {.mode = "multi", .spider = spider1_of(&s1, &spec)};
    struct store *s = dbfile_open_store();
    int64_t run;

    cr_assert_eq(store_run_begin(s, &info, &run), ERR_OK);
    cr_assert_eq(store_put_page(s, run, &row), ERR_OK);
    cr_assert_eq(store_close(s), ERR_OK);
    cr_assert_eq(dbfile_int("SELECT count(*) FROM items"), 2);
    dbfile_expect_text("SELECT data FROM items WHERE idx = 0",
                       "{\"text\":\"One\",\"tags\":[\"x\",\"y\"]}");
    dbfile_expect_text("SELECT data FROM items WHERE idx = 1", "{\"tags\":[]}");
    dbfile_expect_text(
        "SELECT group_concat(kind || ':' || coalesce(name, '-') ||"
        " ':' || selector || ':' || list, ' ') FROM selectors"
        " ORDER BY pos",
        "item:-:div:1 field:text:css:span.text:0 field:tags:.//a:1");
    cr_assert_eq(dbfile_int("SELECT count(*) FROM fields"), 0);
}

Test(store, batches_are_visible_after_flush_and_runs_append)
{
    struct page_row row = {
        .url = "http://h/x", .status = 0, .error = "connection refused"};
    struct run_info info = {.mode = "multi"};
    struct store *s = dbfile_open_store();
    int64_t r1, r2;
    int i;

    cr_assert_eq(store_run_begin(s, &info, &r1), ERR_OK);
    for (i = 0; i < 1000; i++)
        cr_assert_eq(store_put_page(s, r1, &row), ERR_OK);
    cr_assert_eq(store_flush(s), ERR_OK);
    cr_assert_eq(dbfile_int("SELECT count(*) FROM pages"), 1000);
    cr_assert_eq(store_close(s), ERR_OK);
    s = dbfile_open_store();
    cr_assert_eq(store_run_begin(s, &info, &r2), ERR_OK);
    cr_assert_gt(r2, r1);
    cr_assert_eq(store_close(s), ERR_OK);
    cr_assert_eq(dbfile_int("SELECT count(*) FROM runs"), 2);
    cr_assert_eq(dbfile_int("SELECT count(*) FROM pages WHERE error IS NULL"),
                 0);
}

Test(store, invalid_utf8_from_servers_is_repaired)
{
    struct page_row row = {.url = "http://h/x",
                           .status = 200,
                           .content_type = "text/html; x=\xFF\xFE"};
    struct run_info info = {.mode = "multi"};
    struct store *s = dbfile_open_store();
    int64_t r;

    cr_assert_eq(store_run_begin(s, &info, &r), ERR_OK);
    cr_assert_eq(store_put_page(s, r, &row), ERR_OK);
    cr_assert_eq(store_close(s), ERR_OK);
    dbfile_expect_text("SELECT content_type FROM pages",
                       "text/html; x=\xEF\xBF\xBD\xEF\xBF\xBD");
}

Test(store, wal_mode_schema_version_and_page_size)
{
    struct store *s = dbfile_open_store();

    cr_assert_eq(store_close(s), ERR_OK);
    dbfile_expect_text("PRAGMA journal_mode", "wal");
    cr_assert_eq(dbfile_int("PRAGMA user_version"), STORE_SCHEMA_VERSION);
    cr_assert_eq(dbfile_int("PRAGMA page_size"),
                 strtol(STORE_PAGE_SIZE, NULL, 10));
}

Test(store, refuses_a_database_that_is_not_ours)
{
    struct store *s = NULL;
    char *why = NULL;
    sqlite3 *db;

    cr_assert_eq(sqlite3_open(dbfile_path, &db), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(db, "CREATE TABLE t(x)", NULL, NULL, NULL),
                 SQLITE_OK);
    sqlite3_close(db);
    cr_assert_eq(store_open(dbfile_path, &s, &why), ERR_DB);
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
    cr_assert_eq(sqlite3_open(dbfile_path, &db), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    s = dbfile_open_store();
    cr_assert_eq(store_close(s), ERR_OK);
    cr_assert_eq(dbfile_int("PRAGMA user_version"), STORE_SCHEMA_VERSION);
    cr_assert_eq(dbfile_int("SELECT count(*) FROM pages WHERE simhash IS NULL"
                            " AND url = 'http://old/'"),
                 1);
}
