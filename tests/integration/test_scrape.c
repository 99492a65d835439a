/*
 * Integration tests for scraping: items with CSS and XPath
 * selectors, list fields, URL arguments, --include/--exclude and
 * --sitemaps, against the quotes section of the local site
 * (tests/site/quotes.h), checked through the database and exports.
 */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "site/quotes.h"
#include "site/shop.h"

#define RUN_TIMEOUT_S 60
#define QUOTE_PAGES   10

/* The quotes crawl: every quote an item (relative CSS fields, a
 * list field), following only the pagination. */
#define QUOTES_ITEM_ARGS                                                       \
    "--item", "div.quote", "--field", "text=span.text::text", "--field",       \
        "author=small.author", "--field", "tags[]=div.tags a.tag::text",       \
        "--include", "/quotes/page/\\d+/$"

static struct site site;
static struct sandbox sb;
/* URLs on the site, for argument lists: site_url() cycles through them so
 * that several may appear in one initialiser. */
static char urls[8][256];
static unsigned next_url;

static const char *site_url(const char *path)
{
    char *u = urls[next_url++ % 8];

    snprintf(u, sizeof(urls[0]), "http://127.0.0.1:%u%s", site.port, path);
    return u;
}

/* Runs before each test body, so argument lists may use site_url().  The
 * robots.txt names the quotes sitemap index (for --sitemaps) and allows
 * every page. */
static void start(void)
{
    static const char *const args[] = {"--quote-pages", "10", "--robots", "2",
                                       NULL};

    sandbox_init(&sb);
    site_start(&site, args);
}

static void finish(void)
{
    site_stop(&site);
    sandbox_release(&sb);
}

/* The text of the first row of `sql` equals `want`. */
static void expect_text(const char *sql, const char *want)
{
    char *got = db_text(&sb, "%s", sql);

    cr_assert_not_null(got, "%s", sql);
    cr_assert_str_eq(got, want, "%s", sql);
    free(got);
}

/* Appends `s` to `out` as an SQL string literal. */
static void sql_quote(char *out, size_t n, const char *s)
{
    size_t len = strlen(out);

    if (len + 1 < n)
        out[len++] = '\'';
    for (; *s && len + 3 < n; s++) {
        if (*s == '\'')
            out[len++] = '\'';
        out[len++] = *s;
    }
    out[len++] = '\'';
    out[len] = '\0';
}

/* The JSON array of quote q's tags, e.g. ["life","love"]. */
static void tags_json(const struct quote *qt, char *out, size_t n)
{
    unsigned k;

    snprintf(out, n, "[");
    for (k = 0; k < qt->ntags; k++)
        snprintf(out + strlen(out), n - strlen(out), "%s\"%s\"", k ? "," : "",
                 qt->tags[k]);
    snprintf(out + strlen(out), n - strlen(out), "]");
}

/* Every quote of the section is exactly one item of run `run`, on the
 * page it is on, at its place there, with its text, author and tags.
 * Page 1 was fetched as `page1` ("/quotes/" or "/quotes/page/1/"). */
static void expect_quotes(int run, const char *page1)
{
    unsigned q;

    cr_assert_eq(
        db_int(&sb, "SELECT count(*) FROM items WHERE run_id = %d", run),
        QUOTE_PAGES * QUOTES_PER_PAGE);
    for (q = 0; q < QUOTE_PAGES * QUOTES_PER_PAGE; q++) {
        struct quote qt;
        char sql[4096] = "", tags[256], page[64];

        quotes_get(q, &qt);
        tags_json(&qt, tags, sizeof(tags));
        snprintf(page, sizeof(page), "/quotes/page/%u/",
                 q / QUOTES_PER_PAGE + 1);
        if (q < QUOTES_PER_PAGE)
            snprintf(page, sizeof(page), "%s", page1);
        snprintf(sql, sizeof(sql),
                 "SELECT count(*) FROM items i JOIN pages p ON p.id ="
                 " i.page_id WHERE i.run_id = %d AND p.url = '%s' AND i.idx ="
                 " %u AND i.data ->> '$.text' = ",
                 run, site_url(page), q % QUOTES_PER_PAGE);
        sql_quote(sql, sizeof(sql), qt.text);
        snprintf(sql + strlen(sql), sizeof(sql) - strlen(sql), "%s",
                 " AND i.data ->> '$.author' = ");
        sql_quote(sql, sizeof(sql), qt.author);
        snprintf(sql + strlen(sql), sizeof(sql) - strlen(sql), "%s",
                 " AND i.data -> '$.tags' = ");
        sql_quote(sql, sizeof(sql), tags);
        cr_assert_eq(db_int(&sb, "%s", sql), 1, "quote %u: %s", q, sql);
    }
}

static void expect_every_quote_once(int run)
{
    expect_quotes(run, "/quotes/page/1/");
}

/* The quotes crawl: items, relative CSS fields, a list field, and
 * --include keeping it to the pagination.  A URL is the argument. */
Test(scrape, items_with_css_fields_each_quote_once, .init = start,
     .fini = finish)
{
    const char *const run[] = {"-q",
                               "-d",
                               "20",
                               QUOTES_ITEM_ARGS,
                               "--db",
                               sb.db,
                               site_url("/quotes/page/1/"),
                               NULL};

    cr_assert_eq(run_scrape(&sb, run, RUN_TIMEOUT_S, 0), 0);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages"), QUOTE_PAGES);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages WHERE url LIKE"
                             " '%%/author/%%' OR url LIKE '%%/tag/%%'"),
                 0);
    cr_assert_gt(db_int(&sb, "SELECT count(*) FROM skipped WHERE reason ="
                             " 'filtered' AND url LIKE '%%/tag/%%'"),
                 0);
    cr_assert_gt(db_int(&sb, "SELECT count(*) FROM skipped WHERE reason ="
                             " 'filtered' AND url LIKE '%%/author/%%'"),
                 0);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM skipped WHERE reason ="
                             " 'filtered' AND url LIKE '%%/quotes/page/%%'"),
                 0);
    expect_every_quote_once(1);
    /* Lists are queryable: tags as rows with json_each. */
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM items, json_each(items.data,"
                             " '$.tags')"),
                 db_int(&sb, "SELECT sum(json_array_length(data, '$.tags'))"
                             " FROM items"));
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM items WHERE"
                             " json_array_length(data, '$.tags') = 0"),
                 QUOTE_PAGES * QUOTES_PER_PAGE / 5);
    expect_text("SELECT group_concat(kind || ':' ||"
                " coalesce(name, '') || ':' || list, ' ')"
                " FROM selectors ORDER BY pos",
                "item::1 field:text:0 field:author:0 field:tags:1");
}

/* The same items through XPath: prefixed, and by the unprefixed rule;
 * the records equal the CSS run's. */
Test(scrape, xpath_and_css_selectors_extract_the_same, .init = start,
     .fini = finish)
{
    const char *const css[] = {"-q",
                               "-d",
                               "20",
                               "--item",
                               "css:div.quote",
                               "--field",
                               "text=css:span.text",
                               "--field",
                               "author=small.author::text",
                               "--field",
                               "tags[]=.tags > a.tag",
                               "--include",
                               "/quotes/page/",
                               "--exclude",
                               "/quotes/page/1/$",
                               "--db",
                               sb.db,
                               site_url("/quotes/"),
                               NULL};
    const char *const xpath[] = {"-q",
                                 "-d",
                                 "20",
                                 "--item",
                                 "//div[@class='quote']",
                                 "--field",
                                 "text=normalize-space(./span[@class='text'])",
                                 "--field",
                                 "author=xpath:span/small",
                                 "--field",
                                 "tags[]=.//a[@class='tag']/text()",
                                 "--include",
                                 "/quotes/page/",
                                 "--exclude",
                                 "/quotes/page/1/$",
                                 "--db",
                                 sb.db,
                                 site_url("/quotes/"),
                                 NULL};

    cr_assert_eq(run_scrape(&sb, css, RUN_TIMEOUT_S, 0), 0);
    cr_assert_eq(run_scrape(&sb, xpath, RUN_TIMEOUT_S, 0), 0);
    expect_quotes(1, "/quotes/");
    expect_quotes(2, "/quotes/");
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM (SELECT p.url, i.idx,"
                             " i.data FROM items i JOIN pages p ON p.id ="
                             " i.page_id WHERE i.run_id = 1 EXCEPT SELECT"
                             " p.url, i.idx, i.data FROM items i JOIN pages p"
                             " ON p.id = i.page_id WHERE i.run_id = 2)"),
                 0);
    cr_assert_eq(db_int(&sb,
                        "SELECT count(*) FROM skipped WHERE run_id = 1"
                        " AND reason = 'filtered' AND url = '%s'",
                        site_url("/quotes/page/1/")),
                 1);
}

/* Without --item, fields stay per page; a list field is a JSON array. */
Test(scrape, page_fields_with_lists, .init = start, .fini = finish)
{
    const char *const run[] = {"-q",
                               "--field",
                               "first=small.author",
                               "--field",
                               "authors[]=small.author",
                               "--field",
                               "none[]=blink",
                               "--db",
                               sb.db,
                               site_url("/quotes/page/2/"),
                               NULL};

    cr_assert_eq(run_scrape(&sb, run, RUN_TIMEOUT_S, 0), 0);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM items"), 0);
    cr_assert_eq(db_int(&sb, "SELECT json_array_length(value) FROM fields"
                             " WHERE name = 'authors'"),
                 QUOTES_PER_PAGE);
    expect_text("SELECT value FROM fields WHERE name ="
                " 'none'",
                "[]");
    expect_text("SELECT value FROM fields WHERE name ="
                " 'first'",
                "Andr\xC3\xA9 Gide");
}

/* Every bad selector or pattern: exit 2, one line naming the option and
 * the position, before any fetch and before the database exists. */
Test(scrape, bad_selectors_are_usage_errors_before_anything, .init = start,
     .fini = finish)
{
    static const char *const cases[][3] = {
        {"--field", "x=div.quote > ", "--field 'x': bad CSS selector"},
        {"--field", "x=//p[@class=", "--field 'x': invalid XPath"},
        {"--item", "li:hover", "--item: bad CSS selector"},
        {"--field", "x=a/b", "xpath:"},
        {"--include", "page/(\\d+", "--include 'page/(\\d+'"},
        {"--exclude", "*x", "--exclude '*x'"},
        {"--field", "x=xpath:", "empty selector"},
        {"--item", "count(//div)", "computes a number, not nodes"},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *const run[] = {"-q",   cases[i][0], cases[i][1],
                                   "--db", sb.db,       site_url("/quotes/"),
                                   NULL};
        char *err;
        cr_assert_eq(run_scrape(&sb, run, RUN_TIMEOUT_S, 0), 2, "case %zu", i);
        err = read_stderr(&sb);
        cr_assert_not_null(strstr(err, cases[i][2]), "case %zu: %s", i, err);
        cr_assert(strstr(err, "position") || i >= 3, "case %zu: %s", i, err);
        cr_assert_eq(strchr(err, '\n'), err + strlen(err) - 1, "%s", err);
        cr_assert_neq(access(sb.db, F_OK), 0, "case %zu: database created", i);
        free(err);
    }
}

/* An absolute field under --item is warned about (and still runs). */
Test(scrape, absolute_item_field_is_warned_about, .init = start, .fini = finish)
{
    const char *const run[] = {"-q",
                               "--item",
                               "div.quote",
                               "--field",
                               "author=//small[@class='author']",
                               "--db",
                               sb.db,
                               site_url("/quotes/page/3/"),
                               NULL};
    char *err;

    cr_assert_eq(run_scrape(&sb, run, RUN_TIMEOUT_S, 0), 0);
    err = read_stderr(&sb);
    cr_assert_not_null(strstr(err, "warning: --field 'author' is absolute"),
                       "%s", err);
    cr_assert_not_null(strstr(err, ".//small[@class='author']"), "%s", err);
    free(err);
    /* The trap itself: every item got the page's first author. */
    cr_assert_eq(db_int(&sb, "SELECT count(DISTINCT data ->> '$.author')"
                             " FROM items"),
                 1);
}

/* URLs and seeds files mix as arguments; '-' reads stdin. */
Test(scrape, url_arguments_and_files_mix, .init = start, .fini = finish)
{
    const char *const run[] = {"-q",     "--db",
                               sb.db,    site_url("/quotes/page/1/"),
                               sb.seeds, "http://127.0.0.1:1/unreachable",
                               NULL};
    const char *const bad[] = {"-q", "--db", sb.db, "http://exa mple/", NULL};
    char text[512];

    snprintf(text, sizeof(text), "%s\n", site_url("/quotes/page/2/"));
    write_seeds(&sb, text);
    cr_assert_eq(run_scrape(&sb, run, RUN_TIMEOUT_S, 0), 0);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages"), 3);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages WHERE status = 200"),
                 2);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM runs WHERE seeds LIKE"
                             " '%%seeds.txt%%'"),
                 1);
    cr_assert_eq(run_scrape(&sb, bad, RUN_TIMEOUT_S, 0), 2);
}

/* The three engines extract the same items; --compare says so. */
Test(scrape, compare_engines_agree_on_items, .init = start, .fini = finish)
{
    const char *const run[] = {"--compare",
                               "-q",
                               "--sitemaps",
                               "-d",
                               "20",
                               "--threads",
                               "4",
                               "--procs",
                               "2",
                               QUOTES_ITEM_ARGS,
                               "--db",
                               sb.db,
                               site_url("/quotes/page/1/"),
                               NULL};
    char *out;
    int r;

    cr_assert_eq(run_scrape(&sb, run, RUN_TIMEOUT_S, 0), 0);
    out = read_file_text(&sb, "stdout.txt");
    cr_assert_not_null(strstr(out, "extracted the same records"), "%s", out);
    cr_assert_not_null(strstr(out, "(100 items each)"), "%s", out);
    free(out);
    for (r = 1; r <= 3; r++)
        expect_every_quote_once(r);
}

/* Restarts the site with another robots.txt (--robots MODE). */
static void restart(const char *robots)
{
    const char *const args[] = {"--quote-pages", "10", "--robots", robots,
                                NULL};

    site_stop(&site);
    site_start(&site, args);
}

/* --sitemaps -d 0: the seed and exactly the pages the sitemaps list
 * (robots.txt -> index -> two gzipped sitemaps), all at depth 0. */
Test(scrape, sitemaps_seed_exactly_the_listed_pages, .init = start,
     .fini = finish)
{
    const char *const run[] = {"-q",  "--sitemaps",         "-d", "0", "--db",
                               sb.db, site_url("/quotes/"), NULL};
    const char *const filtered[] = {
        "-q",   "--sitemaps", "--exclude",          "/page/[2-4]/$",
        "--db", sb.db,        site_url("/quotes/"), NULL};
    unsigned n;

    cr_assert_eq(run_scrape(&sb, run, RUN_TIMEOUT_S, 0), 0);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages WHERE run_id = 1"),
                 QUOTE_PAGES + 1);
    for (n = 1; n <= QUOTE_PAGES; n++)
        cr_assert_eq(db_int(&sb,
                            "SELECT count(*) FROM pages WHERE run_id = 1"
                            " AND url = 'http://127.0.0.1:%u/quotes/page"
                            "/%u/' AND depth = 0 AND status = 200",
                            site.port, n),
                     1, "page %u", n);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM sitemaps WHERE run_id = 1"
                             " AND error IS NULL AND status = 200"),
                 3);
    cr_assert_eq(db_int(&sb, "SELECT urls FROM sitemaps WHERE url LIKE"
                             " '%%sitemap_index.xml' AND kind = 'index'"),
                 2);
    cr_assert_eq(db_int(&sb, "SELECT sum(urls) FROM sitemaps WHERE run_id = 1"
                             " AND kind = 'urlset'"),
                 QUOTE_PAGES);
    /* A sitemap is not a page. */
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages WHERE url LIKE"
                             " '%%sitemap%%'"),
                 0);
    cr_assert_eq(run_scrape(&sb, filtered, RUN_TIMEOUT_S, 0), 0);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages WHERE run_id = 2"),
                 QUOTE_PAGES + 1 - 3);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM skipped WHERE run_id = 2"
                             " AND reason = 'filtered'"),
                 3);
}

/* Without Sitemap: lines, /sitemap.xml; with --ignore-robots too. */
Test(scrape, sitemaps_fall_back_to_sitemap_xml, .init = start, .fini = finish)
{
    const char *const run[] = {"-q",   "--sitemaps", "-d",    "0",
                               "--db", sb.db,        urls[0], NULL};
    const char *const norobots[] = {"-q",  "--sitemaps", "--ignore-robots",
                                    "-d",  "0",          "--db",
                                    sb.db, urls[0],      NULL};

    restart("0");
    site_url("/index.html");
    cr_assert_eq(run_scrape(&sb, run, RUN_TIMEOUT_S, 0), 0);
    cr_assert_eq(run_scrape(&sb, norobots, RUN_TIMEOUT_S, 0), 0);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages GROUP BY run_id"
                             " HAVING run_id = 1"),
                 4);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages GROUP BY run_id"
                             " HAVING run_id = 2"),
                 4);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM sitemaps WHERE url LIKE"
                             " '%%/sitemap.xml' AND urls = 3 AND error IS"
                             " NULL"),
                 2);
}

/* Every kind of broken sitemap is a recorded error; the good URLs they
 * hold are still crawled; nothing hangs. */
Test(scrape, hostile_sitemaps_are_recorded_errors, .init = start,
     .fini = finish)
{
    const char *const run[] = {"-q",          "--sitemaps", "-d",   "0",
                               "--max-bytes", "4000000",    "--db", sb.db,
                               urls[0],       NULL};
    static const char *const errors[][2] = {
        {"truncated.xml", "malformed XML%"},
        {"bomb.xml.gz", "gzip sitemap over 4000000 bytes%"},
        {"deep/10.xml", "%nested deeper than 10%"},
        {"many.txt", "more than 50000 URLs%"},
        {"binary.xml", "malformed XML%"},
        {"laughs.xml", "%"},
        {"notasitemap.html", "not a sitemap%"},
        {"missing.xml", "%404%"},
    };
    size_t i;

    restart("3");
    site_url("/index.html");
    cr_assert_eq(run_scrape(&sb, run, RUN_TIMEOUT_S, 0), 0);
    /* index, 1 and 2 (truncated.xml), 1..5 (many.txt), 6 (relative). */
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages"), 7);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages WHERE error IS NOT"
                             " NULL"),
                 0);
    for (i = 0; i < sizeof(errors) / sizeof(errors[0]); i++)
        cr_assert_eq(db_int(&sb,
                            "SELECT count(*) FROM sitemaps WHERE url ="
                            " 'http://127.0.0.1:%u/hostile-sitemaps/%s'"
                            " AND error LIKE '%s'",
                            site.port, errors[i][0], errors[i][1]),
                     1, "%s", errors[i][0]);
    cr_assert_eq(db_int(&sb, "SELECT urls FROM sitemaps WHERE url LIKE"
                             " '%%/many.txt'"),
                 50000);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM sitemaps WHERE url LIKE"
                             " '%%/deep/%%'"),
                 11);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM sitemaps WHERE url LIKE"
                             " 'ftp:%%' AND error IS NOT NULL"),
                 1);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM skipped WHERE reason ="
                             " 'another host' AND url LIKE"
                             " 'http://localhost:%%/book/7.html'"),
                 1);
}

/* export: one record per item, keys url, idx, then the fields as given;
 * lists are JSON arrays (JSON text in a CSV cell). */
Test(scrape, export_writes_one_record_per_item, .init = start, .fini = finish)
{
    char jsonl[192], csv[192], cmd[512], line[64] = "";
    const char *const run[] = {"-q",
                               "--item",
                               "div.quote",
                               "--field",
                               "text=span.text::text",
                               "--field",
                               "tags[]=a.tag::text",
                               "--field",
                               "author=small.author",
                               "--db",
                               sb.db,
                               site_url("/quotes/page/1/"),
                               NULL};
    const char *const ej[] = {"export", "--format", "jsonl", "-o",
                              jsonl,    "--db",     sb.db,   NULL};
    const char *const ec[] = {"export", "--format", "csv", "-o",
                              csv,      "--db",     sb.db, NULL};
    char *text;
    FILE *p;

    snprintf(jsonl, sizeof(jsonl), "%s/items.jsonl", sb.dir);
    snprintf(csv, sizeof(csv), "%s/items.csv", sb.dir);
    cr_assert_eq(run_scrape(&sb, run, RUN_TIMEOUT_S, 0), 0);
    cr_assert_eq(run_scrape(&sb, ej, RUN_TIMEOUT_S, 0), 0);
    cr_assert_eq(run_scrape(&sb, ec, RUN_TIMEOUT_S, 0), 0);
    snprintf(cmd, sizeof(cmd),
             "jq -e -s 'length == 10 and (map(keys_unsorted) | unique) =="
             " [[\"url\",\"idx\",\"text\",\"tags\",\"author\"]] and"
             " (map(.idx) == [range(10)]) and all(.[]; .tags | type =="
             " \"array\") and .[2].tags == [\"life\",\"love\"] and"
             " .[0].author == \"Albert Einstein\"' %s",
             jsonl);
    p = popen(cmd, "r");
    cr_assert_not_null(p);
    if (!fgets(line, sizeof(line), p))
        line[0] = '\0';
    cr_assert_eq(pclose(p), 0, "jq: %s", line);
    text = read_file_text(&sb, "items.csv");
    cr_assert_eq(strncmp(text, "url,idx,text,tags,author\r\n", 26), 0, "%s",
                 text);
    cr_assert_not_null(strstr(text, ",2,"), "%s", text);
    cr_assert_not_null(strstr(text, ",\"[\"\"life\"\",\"\"love\"\"]\","), "%s",
                       text);
    free(text);
}

/* The shop section as a spider must see it: list pages (with facet links
 * that answer the same list, and an add-to-cart link per card) lead to
 * product pages.  With --include kept to list and product URLs (the
 * facets' query strings and the cart fall outside it), one crawl fetches
 * exactly home + the categories' list pages + every product, and each
 * product page's fields are the product's (shop.h knows them). */
Test(scrape, shop_lists_lead_to_every_product_once, .init = start,
     .fini = finish)
{
    const char *const run[] = {
        "-q",
        "-d",
        "10",
        "--per-host",
        "16",
        "--include",
        "/shop/(c/[a-z]+/(page/[0-9]+/)?|p/SKU-[0-9]+/)$",
        "--field",
        "title=css:h1.title::text",
        "--field",
        "price=css:span.price::text",
        "--field",
        "sku=css:span.sku::text",
        "--field",
        "tags[]=css:ul.tags li::text",
        "--db",
        sb.db,
        site_url("/shop/"),
        NULL};
    unsigned per = 20, lists = shop_list_pages(per), i;

    cr_assert_eq(run_scrape(&sb, run, RUN_TIMEOUT_S, 0), 0);
    /* Home, each category's /c/X/ and /c/X/page/N/ (page 1 twice: the
     * "previous" link of page 2 spells it so), every product. */
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages"),
                 1 + SHOP_CATEGORIES * (1 + lists) + SHOP_CATEGORIES * per);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages WHERE status != 200"
                             " OR url LIKE '%%?%%' OR url LIKE '%%/cart/%%'"
                             " OR url LIKE '%%/reviews/%%'"),
                 0);
    for (i = 0; i < SHOP_CATEGORIES * per; i++) {
        struct product p;
        char price[32];
        shop_get(i, &p);
        snprintf(price, sizeof(price), "\xC2\xA3%u.%02u", p.price_cents / 100,
                 p.price_cents % 100);
        cr_assert_eq(db_int(&sb,
                            "SELECT count(*) FROM pages g JOIN fields t ON"
                            " t.page_id = g.id AND t.name = 'title' JOIN"
                            " fields c ON c.page_id = g.id AND c.name ="
                            " 'price' JOIN fields k ON k.page_id = g.id AND"
                            " k.name = 'sku' WHERE g.url LIKE '%%/shop/p/%s/'"
                            " AND t.value = '%s' AND c.value = '%s' AND"
                            " k.value = '%s' AND (SELECT json_array_length("
                            "value) FROM fields WHERE page_id = g.id AND name"
                            " = 'tags') = %u",
                            p.sku, p.name, price, p.sku, p.ntags),
                     1, "product %s (%s)", p.sku, p.name);
    }
}
