/*
 * Unit tests for writer.c on a real SQLite file: it copies what it is
 * given, applies it in order on its own thread, and keeps failures.
 */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scrape/parse.h"
#include "scrape/store.h"
#include "scrape/writer.h"

#include "dbfile.h"

TestSuite(writer, .init = dbfile_setup, .fini = dbfile_teardown);

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
    struct store *s = dbfile_open_store();
    struct page expect = {0};
    struct writer *w;
    int64_t run;

    cr_assert_eq(store_run_begin(s, &info, &run), ERR_OK);
    cr_assert_eq(writer_start(s, page_fingerprint, &w), ERR_OK);
    cr_assert_eq(writer_frontier_add(w, run, "http://h/", 0, NULL), ERR_OK);
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
    dbfile_expect_text("SELECT title || '|' || url FROM pages",
                       "Zanzibar notes|http://h/");
    dbfile_expect_text("SELECT url FROM links", "http://h/next");
    dbfile_expect_text("SELECT value FROM fields", "£3");
    cr_assert_eq(dbfile_int("SELECT count(*) FROM pages_fts"
                            " WHERE pages_fts MATCH 'ledger'"),
                 1);
    /* The prepare step ran on the writer's copy, before storing. */
    expect.text = (char *)"spice island ledger";
    page_fingerprint(&expect);
    cr_assert_neq(expect.simhash, 0);
    cr_assert_eq(dbfile_int("SELECT simhash FROM pages"),
                 (long long)expect.simhash);
    cr_assert_eq(dbfile_int("SELECT done FROM frontier"), 1);
    cr_assert_eq(dbfile_int("SELECT count(*) FROM skipped"), 1);
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
    struct store *s = dbfile_open_store();
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
    cr_assert_eq(dbfile_int("SELECT count(DISTINCT url) FROM pages"), PAGES);
    cr_assert_eq(dbfile_int("SELECT count(*) FROM pages_fts"), PAGES);
}

/* A store failure stops the writer: every later call reports it, with
 * the store's own detail, and what was committed before stays. */
Test(writer, a_store_failure_is_sticky_and_explained)
{
    struct page_row good = {.url = "http://h/ok", .status = 200};
    struct page_row bad = {.url = NULL, .status = 200}; /* NOT NULL */
    struct run_info info = {.mode = "multi"};
    struct store *s = dbfile_open_store();
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
    cr_assert_eq(dbfile_int("SELECT count(*) FROM pages"), 1);
    cr_assert_eq(dbfile_int("SELECT count(*) FROM skipped"), 0);
}

/* A page and its done mark are one record: however long the writer
 * waits between them (here three times the age at which a batch is
 * committed), another connection sees both or neither.  A batch
 * committed between them would lose the page on a crash: resumed, the
 * URL would be fetched again and recorded twice. */
Test(writer, a_page_is_never_committed_without_its_done_mark)
{
    struct page pg = {.title = (char *)"T"};
    struct page_row row = {.url = "http://h/", .status = 200, .page = &pg};
    struct run_info info = {.mode = "multi"};
    struct store *s = dbfile_open_store();
    struct writer *w;
    int64_t run;

    cr_assert_eq(store_run_begin(s, &info, &run), ERR_OK);
    cr_assert_eq(writer_start(s, NULL, &w), ERR_OK);
    cr_assert_eq(writer_frontier_add(w, run, "http://h/", 0, NULL), ERR_OK);
    cr_assert_eq(writer_flush(w), ERR_OK);
    cr_assert_eq(dbfile_int("SELECT count(*) FROM frontier"), 1);
    cr_assert_eq(writer_put_page(w, run, &row), ERR_OK);
    usleep(3 * STORE_BATCH_MS * 1000);
    cr_assert_eq(dbfile_int("SELECT count(*) FROM pages"), 0,
                 "the page was committed before its done mark");
    cr_assert_eq(writer_frontier_done(w, run, "http://h/"), ERR_OK);
    cr_assert_eq(writer_flush(w), ERR_OK);
    /* Now the record is whole, and committed. */
    cr_assert_eq(dbfile_int("SELECT count(*) FROM pages"), 1);
    cr_assert_eq(dbfile_int("SELECT count(*) FROM frontier WHERE done"), 1);
    cr_assert_eq(writer_stop(w, NULL, 0), ERR_OK);
    cr_assert_eq(store_close(s), ERR_OK);
}
