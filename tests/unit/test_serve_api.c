/* Unit tests for serve_api.c: answers computed from a real store without
 * HTTP (serve.c only carries them).  Keyset pages of items and pages
 * give every row exactly once, in id order. */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scrape/clock.h"
#include "scrape/serve_api.h"
#include "scrape/store.h"

#include "dbfile.h"

TestSuite(serve_api, .init = dbfile_setup, .fini = dbfile_teardown);

#define PAGES    5
#define PER_PAGE 3

/* Run 1: PAGES pages of PER_PAGE items each, one field "n" per item. */
static void store_items(void)
{
    static const struct field_spec f[] = {{.name = "n", .xpath = "."}};
    static const struct extract_spec spec = {
        .item_xpath = "//li", .item_selector = "li", .fields = f, .nfields = 1};
    struct run_info info = {.mode = "multi", .workers = 1, .concurrency = 1};
    struct run_stats st = {.pages = PAGES, .status = "done"};
    struct store *s = dbfile_open_store();
    char url[32], val[PER_PAGE][16];
    char *vals[PER_PAGE];
    size_t off[PER_PAGE + 1];
    int64_t run;
    int i, k;

    cr_assert_eq(store_run_begin(s, &info, &run), ERR_OK);
    for (i = 0; i < PAGES; i++) {
        for (k = 0; k < PER_PAGE; k++) {
            snprintf(val[k], sizeof(val[k]), "%d", i * PER_PAGE + k);
            vals[k] = val[k];
            off[k] = (size_t)k;
        }
        off[PER_PAGE] = PER_PAGE;
        {
            struct page pg = {.title = (char *)"t",
                              .items = true,
                              .nrecords = PER_PAGE,
                              .nfields = 1,
                              .off = off,
                              .vals = vals,
                              .nvals = PER_PAGE};
            struct page_row row = {
                .url = url, .status = 200, .page = &pg, .spec = &spec};
            snprintf(url, sizeof(url), "http://h/%d", i);
            cr_assert_eq(store_put_page(s, run, &row), ERR_OK);
        }
    }
    cr_assert_eq(store_run_end(s, run, &st), ERR_OK);
    cr_assert_eq(store_close(s), ERR_OK);
}

/* A request's query arguments: "name=value&..." (no escapes needed). */
struct query {
    char text[256];
};

static const char *arg(void *conn, const char *name)
{
    static char value[64];
    struct query *q = conn;
    size_t n = strlen(name);
    const char *p = q->text;

    while (p && *p) {
        if (!strncmp(p, name, n) && p[n] == '=') {
            snprintf(value, sizeof(value), "%.*s", (int)strcspn(p + n + 1, "&"),
                     p + n + 1);
            return value;
        }
        p = strchr(p, '&');
        p = p ? p + 1 : NULL;
    }
    return NULL;
}

static void each_arg(void *conn, api_arg_fn fn, void *ctx)
{
    struct query *q = conn;
    char copy[256], *save = NULL, *kv;

    snprintf(copy, sizeof(copy), "%s", q->text);
    for (kv = strtok_r(copy, "&", &save); kv; kv = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq)
            continue;
        *eq = '\0';
        if (!fn(ctx, kv, eq + 1))
            break;
    }
}

/* Answers `path`?`query`; the body is returned (caller frees), the
 * next page's query (from the Link header) in `next` ("" when none). */
static char *answer(sqlite3 *db, const char *path, const char *query,
                    char *next, size_t n)
{
    struct query q;
    struct api_req r;
    const char *p, *end;
    char *body;

    snprintf(q.text, sizeof(q.text), "%s", query);
    memset(&r, 0, sizeof(r));
    r.path = path;
    r.db = db;
    r.deadline = clock_ms() + 10000;
    r.conn = &q;
    r.arg = arg;
    r.each_arg = each_arg;
    buf_init(&r.body, 1 << 20);
    api_answer(&r);
    cr_assert_eq(r.status, 200, "%s?%s: %d %s", path, query, r.status,
                 r.body.data ? r.body.data : "");
    next[0] = '\0';
    if ((p = strchr(r.link, '?')) && (end = strchr(p, '>')))
        snprintf(next, n, "%.*s", (int)(end - p - 1), p + 1);
    body = strdup(r.body.data);
    buf_release(&r.body);
    return body;
}

/* Pages through `path` `limit` rows at a time; returns how many rows
 * came, and fails on any id not above the one before. */
static int page_through(const char *path, const char *limit)
{
    sqlite3 *db = NULL;
    char query[256], next[256], *body;
    const char *p;
    long long prev = 0, id;
    int rows = 0, rounds = 0;

    cr_assert_eq(sqlite3_open_v2(dbfile_path, &db, SQLITE_OPEN_READONLY, NULL),
                 SQLITE_OK);
    snprintf(query, sizeof(query), "limit=%s", limit);
    do {
        cr_assert_lt(rounds++, 100, "no end to the pages");
        body = answer(db, path, query, next, sizeof(next));
        for (p = body; (p = strstr(p, "{\"id\": ")); p++) {
            id = strtoll(p + 7, NULL, 10);
            cr_assert_gt(id, prev, "%s: id %lld after %lld", path, id, prev);
            prev = id;
            rows++;
        }
        free(body);
        snprintf(query, sizeof(query), "%s", next);
    } while (next[0]);
    sqlite3_close(db);
    return rows;
}

Test(serve_api, items_pages_give_every_item_once)
{
    store_items();
    cr_assert_eq(dbfile_int("SELECT count(*) FROM items"), PAGES * PER_PAGE);
    cr_assert_eq(page_through("/api/runs/1/items", "2"), PAGES * PER_PAGE);
    cr_assert_eq(page_through("/api/runs/1/items", "1"), PAGES * PER_PAGE);
    cr_assert_eq(page_through("/api/runs/1/items", "15"), PAGES * PER_PAGE);
}

Test(serve_api, pages_pages_give_every_page_once)
{
    store_items();
    cr_assert_eq(page_through("/api/runs/1/pages", "2"), PAGES);
    cr_assert_eq(page_through("/api/runs/1/pages", "5"), PAGES);
}
