/* Unit tests for search.c on a real store: a phrase is its words next to
 * each other, NEAR counts the words between, as FTS5 itself would with
 * positions (the index keeps none: search.c confirms each candidate). */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "scrape/search.h"
#include "scrape/store.h"

#include "dbfile.h"

TestSuite(search, .init = dbfile_setup, .fini = dbfile_teardown);

/* Run 1: one page per text, its URL http://h/N for text N. */
static void store_texts(const char *const *texts, size_t n)
{
    struct run_info info = {.mode = "multi", .workers = 1, .concurrency = 1};
    struct run_stats st = {.status = "done"};
    struct store *s = dbfile_open_store();
    char url[32];
    int64_t run;
    size_t i;

    cr_assert_eq(store_run_begin(s, &info, &run), ERR_OK);
    for (i = 0; i < n; i++) {
        struct page pg = {.title = (char *)"page", .text = (char *)texts[i]};
        struct page_row row = {.url = url, .status = 200, .page = &pg};
        snprintf(url, sizeof(url), "http://h/%zu", i);
        cr_assert_eq(store_put_page(s, run, &row), ERR_OK);
    }
    st.pages = (long)n;
    cr_assert_eq(store_run_end(s, run, &st), ERR_OK);
    cr_assert_eq(store_close(s), ERR_OK);
}

static bool add_hit(void *ctx, const struct search_hit *h)
{
    char *out = ctx;
    const char *slash = strrchr(h->url, '/');

    strcat(out, out[0] ? " " : "");
    strcat(out, slash ? slash + 1 : h->url);
    return true;
}

/* The pages `query` finds, as their numbers in ascending order. */
static const char *found(const char *query)
{
    static char out[256];
    struct search *s = NULL;
    sqlite3 *db = NULL;
    char why[256] = "", sorted[256] = "";
    long hits = 0;
    int i;

    out[0] = '\0';
    cr_assert_eq(sqlite3_open_v2(dbfile_path, &db, SQLITE_OPEN_READONLY, NULL),
                 SQLITE_OK);
    cr_assert_eq(search_new(db, &s, why, sizeof(why)), ERR_OK, "%s", why);
    cr_assert_eq(search_run(s, 1, query, 100, "[", "]", add_hit, out, &hits,
                            why, sizeof(why)),
                 ERR_OK, "%s: %s", query, why);
    sqlite3_close(db);
    search_free(s);
    /* Ranked order is not the point here: digits 0-9, ascending. */
    for (i = '0'; i <= '9'; i++)
        if (strchr(out, i))
            snprintf(sorted + strlen(sorted), sizeof(sorted) - strlen(sorted),
                     "%s%c", sorted[0] ? " " : "", i);
    strcpy(out, sorted);
    return out;
}

Test(search, phrases_need_the_words_side_by_side)
{
    static const char *const texts[] = {
        "the quick brown fox",    /* 0: the phrase */
        "quick red brown fox",    /* 1: both words, one between */
        "brown quick",            /* 2: both words, reversed */
        "Quick, Brown! and more", /* 3: the phrase across punctuation */
        "quick\nfox jumps over brown" /* 4: far apart */};

    store_texts(texts, 5);
    cr_assert_str_eq(found("quick brown"), "0 1 2 3 4");
    cr_assert_str_eq(found("\"quick brown\""), "0 3");
    cr_assert_str_eq(found("\"brown quick\""), "2");
    cr_assert_str_eq(found("NEAR(quick brown, 0)"), "0 2 3");
    cr_assert_str_eq(found("NEAR(quick brown, 1)"), "0 1 2 3");
    cr_assert_str_eq(found("\"quick brown fox\""), "0");
    cr_assert_str_eq(found("\"quick brown\" NOT fox"), "3");
}
