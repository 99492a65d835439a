/*
 * Integration tests for spiders: rules per page type (--rule), links
 * chosen by selectors (--follow, --no-follow), options from a file (-K),
 * each page's referrer, export --rule and stats per rule, against the
 * shop section of the local site (tests/site/shop.h), in every engine,
 * through --resume, scrape extract and --recrawl.
 */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>

#include "harness.h"
#include "site/shop.h"

#define RUN_TIMEOUT_S 60
#define PER_CATEGORY  20 /* sitesrv's default --shop-products */

/* The spider of the README: home -> category lists (cards as items, the
 * "next" link) -> products (fields, nothing followed).  %s: the seed. */
#define SPIDER_FILE                                                            \
    "# The shop: home, category lists, products; nothing else.\n"              \
    "--depth 10\n"                                                             \
    "--per-host 8\n"                                                           \
    "\n"                                                                       \
    "--rule home=/shop/$\n"                                                    \
    "--follow \"nav.menu a[href*='/c/']\"\n"                                   \
    "\n"                                                                       \
    "--rule list=/shop/c/[a-z]+/(page/[0-9]+/)?$\n"                            \
    "--item article.card\n"                                                    \
    "--field \"name=css:h3.title a::text\"\n"                                  \
    "--field \"price=css:span.price::text\"\n"                                 \
    "--field \"link=css:h3.title a::attr(href)\"\n"                            \
    "--follow \"h3.title a\"\n"                                                \
    "--follow \"xpath://a[@rel='next']/@href\"\n"                              \
    "\n"                                                                       \
    "--rule product=/shop/p/SKU-[0-9]+/$\n"                                    \
    "--field \"title=css:h1.title::text\"\n"                                   \
    "--field \"price=css:span.price::text\"\n"                                 \
    "--field \"sku=css:span.sku::text\"\n"                                     \
    "--field \"tags[]=css:ul.tags li::text\"\n"                                \
    "--no-follow\n"                                                            \
    "%s\n"

static struct site site;
static struct sandbox sb;
static char seed[256], conf[300];

static void start(void)
{
    sandbox_init(&sb);
    site_start(&site, NULL);
    snprintf(seed, sizeof(seed), "http://127.0.0.1:%u/shop/", site.port);
}

static void finish(void)
{
    site_stop(&site);
    sandbox_release(&sb);
}

static void write_file(const char *name, const char *text, char *path, size_t n)
{
    FILE *f;

    snprintf(path, n, "%s/%s", sb.dir, name);
    cr_assert_not_null(f = fopen(path, "w"));
    fputs(text, f);
    fclose(f);
}

/* The spider in sb.dir/NAME (path in `path`), with the seed or, for
 * scrape extract, without. */
static void write_spider_to(const char *name, bool with_seed, char *path,
                            size_t n)
{
    char text[4096];

    snprintf(text, sizeof(text), SPIDER_FILE, with_seed ? seed : "");
    write_file(name, text, path, n);
}

static void write_spider(void)
{
    write_spider_to("shop.scrape", true, conf, sizeof(conf));
}

/* The price as the shop prints it. */
static void price_text(const struct product *p, char *out, size_t n)
{
    snprintf(out, n, "\xC2\xA3%u.%02u", p->price_cents / 100,
             p->price_cents % 100);
}

/* Run `run` fetched home, every list page (through "next" only) and
 * every product, nothing else; each card and each product exact; each
 * product's referrer the list page of its own category that shows it. */
static void expect_shop(long long run)
{
    unsigned lists = shop_list_pages(PER_CATEGORY), i;
    unsigned products = SHOP_CATEGORIES * PER_CATEGORY;

    cr_assert_eq(
        db_int(&sb, "SELECT count(*) FROM pages WHERE run_id = %lld", run),
        1 + SHOP_CATEGORIES * lists + products);
    cr_assert_eq(db_int(&sb,
                        "SELECT count(*) FROM pages WHERE run_id = %lld AND"
                        " (status != 200 OR rule IS NULL OR url LIKE '%%?%%')",
                        run),
                 0);
    cr_assert_eq(db_int(&sb,
                        "SELECT count(*) FROM pages WHERE run_id = %lld AND"
                        " rule = 'home' AND depth = 0 AND referrer IS NULL",
                        run),
                 1);
    cr_assert_eq(db_int(&sb,
                        "SELECT count(*) FROM pages WHERE run_id = %lld AND"
                        " rule = 'list'",
                        run),
                 SHOP_CATEGORIES * lists);
    cr_assert_eq(db_int(&sb,
                        "SELECT count(*) FROM items WHERE run_id = %lld AND"
                        " rule = 'list'",
                        run),
                 products);
    cr_assert_eq(db_int(&sb,
                        "SELECT count(*) FROM items WHERE run_id = %lld AND"
                        " rule IS NOT 'list'",
                        run),
                 0);
    for (i = 0; i < products; i++) {
        struct product p;
        char price[32];
        shop_get(i, &p);
        price_text(&p, price, sizeof(price));
        /* The card: on one list page of its category, exact. */
        cr_assert_eq(
            db_int(&sb,
                   "SELECT count(*) FROM items i JOIN pages g ON g.id ="
                   " i.page_id WHERE i.run_id = %lld AND g.url LIKE"
                   " '%%/shop/c/%s/%%' AND i.data ->> '$.name' = '%s' AND"
                   " i.data ->> '$.price' = '%s' AND i.data ->> '$.link' ="
                   " '/shop/p/%s/'",
                   run, p.category, p.name, price, p.sku),
            1, "card of %s", p.sku);
        /* The product page: its fields, and the list page it came from. */
        cr_assert_eq(
            db_int(&sb,
                   "SELECT count(*) FROM pages g JOIN fields t ON t.page_id ="
                   " g.id AND t.name = 'title' JOIN fields c ON c.page_id ="
                   " g.id AND c.name = 'price' JOIN fields k ON k.page_id ="
                   " g.id AND k.name = 'sku' JOIN pages r ON r.id ="
                   " g.referrer WHERE g.run_id = %lld AND g.rule = 'product'"
                   " AND g.url LIKE '%%/shop/p/%s/' AND t.value = '%s' AND"
                   " c.value = '%s' AND k.value = '%s' AND r.rule = 'list'"
                   " AND r.url LIKE '%%/shop/c/%s/%%' AND EXISTS (SELECT 1"
                   " FROM items i WHERE i.page_id = r.id AND i.data ->>"
                   " '$.link' = '/shop/p/%s/') AND (SELECT"
                   " json_array_length(value) FROM fields WHERE page_id ="
                   " g.id AND name = 'tags') = %u",
                   run, p.sku, p.name, price, p.sku, p.category, p.sku,
                   p.ntags),
            1, "product %s (%s)", p.sku, p.name);
    }
    /* Every page but the seed was found through another; products follow
     * nothing and count what they left out; no row per link left out. */
    cr_assert_eq(db_int(&sb,
                        "SELECT count(*) FROM pages WHERE run_id = %lld AND"
                        " depth > 0 AND referrer IS NULL",
                        run),
                 0);
    cr_assert_eq(db_int(&sb,
                        "SELECT count(*) FROM pages WHERE run_id = %lld AND"
                        " rule = 'product' AND unfollowed >= 10",
                        run),
                 products);
    cr_assert_eq(
        db_int(&sb, "SELECT count(*) FROM skipped WHERE run_id = %lld", run),
        0);
}

/* The spider from one file: exactly the pages and records a person
 * would expect; the selectors rows say which rule each belongs to. */
Test(spider, config_file_fetches_lists_and_products_only, .init = start,
     .fini = finish)
{
    const char *const run[] = {"-q", "-K", conf, "--db", sb.db, NULL};

    write_spider();
    cr_assert_eq(run_scrape(&sb, run, RUN_TIMEOUT_S, 0), 0);
    expect_shop(1);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM selectors WHERE kind ="
                             " 'rule' AND name = rule"),
                 3);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM selectors WHERE rule ="
                             " 'list' AND kind IN ('item', 'field',"
                             " 'follow')"),
                 6);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM selectors WHERE rule ="
                             " 'product' AND kind = 'no-follow'"),
                 1);
    /* The home page's menu links other than the categories (home, blog,
     * cart, account) and the footer's sign-in: left out, counted. */
    cr_assert_eq(db_int(&sb, "SELECT unfollowed FROM pages WHERE rule ="
                             " 'home'"),
                 5);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages WHERE unfollowed IS"
                             " NULL"),
                 0);
}

/* Without rules nothing changes: every link is followed, no page has a
 * rule or a count of links left out, and the selectors name no rule. */
Test(spider, rule_less_crawl_is_as_before, .init = start, .fini = finish)
{
    const char *const run[] = {"-q",   "-d",  "1",  "--field", "h=css:h1",
                               "--db", sb.db, seed, NULL};

    cr_assert_eq(run_scrape(&sb, run, RUN_TIMEOUT_S, 0), 0);
    /* Home and every in-scope link it has (menu, categories, sign-in). */
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages"),
                 db_int(&sb, "SELECT 1 + count(DISTINCT url) FROM links WHERE"
                             " page_id = 1 AND url NOT LIKE '%%/shop/'"));
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages WHERE rule IS NOT"
                             " NULL OR unfollowed IS NOT NULL"),
                 0);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages WHERE depth = 1 AND"
                             " referrer = 1"),
                 db_int(&sb, "SELECT count(*) FROM pages") - 1);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM selectors WHERE rule IS"
                             " NOT NULL"),
                 0);
}

/* The same spider spelled as command-line options gives the same
 * records as the file. */
Test(spider, command_line_spider_equals_the_file, .init = start, .fini = finish)
{
    const char *const file[] = {"-q", "-K", conf, "--db", sb.db, NULL};
    const char *const cli[] = {"-q",
                               "--depth",
                               "10",
                               "--per-host",
                               "8",
                               "--rule",
                               "home=/shop/$",
                               "--follow",
                               "nav.menu a[href*='/c/']",
                               "--rule",
                               "list=/shop/c/[a-z]+/(page/[0-9]+/)?$",
                               "--item",
                               "article.card",
                               "--field",
                               "name=css:h3.title a::text",
                               "--field",
                               "price=css:span.price::text",
                               "--field",
                               "link=css:h3.title a::attr(href)",
                               "--follow",
                               "h3.title a",
                               "--follow",
                               "xpath://a[@rel='next']/@href",
                               "--rule",
                               "product=/shop/p/SKU-[0-9]+/$",
                               "--field",
                               "title=css:h1.title::text",
                               "--field",
                               "price=css:span.price::text",
                               "--field",
                               "sku=css:span.sku::text",
                               "--field",
                               "tags[]=css:ul.tags li::text",
                               "--no-follow",
                               "--db",
                               sb.db,
                               seed,
                               NULL};
    const char *const same =
        "SELECT count(*) FROM (SELECT url, depth, rule, unfollowed,"
        " (SELECT r.url FROM pages r WHERE r.id = p.referrer),"
        " (SELECT group_concat(name || '=' || value, ';') FROM (SELECT *"
        " FROM fields WHERE page_id = p.id ORDER BY name)),"
        " (SELECT group_concat(idx || data, ';') FROM (SELECT * FROM items"
        " WHERE page_id = p.id ORDER BY idx)) FROM pages p WHERE run_id = %d"
        " EXCEPT SELECT url, depth, rule, unfollowed, (SELECT r.url FROM"
        " pages r WHERE r.id = p.referrer), (SELECT group_concat(name ||"
        " '=' || value, ';') FROM (SELECT * FROM fields WHERE page_id = p.id"
        " ORDER BY name)), (SELECT group_concat(idx || data, ';') FROM"
        " (SELECT * FROM items WHERE page_id = p.id ORDER BY idx)) FROM"
        " pages p WHERE run_id = %d)";

    write_spider();
    cr_assert_eq(run_scrape(&sb, file, RUN_TIMEOUT_S, 0), 0);
    cr_assert_eq(run_scrape(&sb, cli, RUN_TIMEOUT_S, 0), 0);
    expect_shop(2);
    cr_assert_eq(db_int(&sb, same, 1, 2), 0);
    cr_assert_eq(db_int(&sb, same, 2, 1), 0);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM (SELECT pos, kind, name,"
                             " selector, rule FROM selectors WHERE run_id = 1"
                             " EXCEPT SELECT pos, kind, name, selector, rule"
                             " FROM selectors WHERE run_id = 2)"),
                 0);
}

/* --compare: the threads, multi and procs engines (the workers get every
 * rule) give the same records, rules and links left out. */
Test(spider, every_engine_agrees, .init = start, .fini = finish)
{
    const char *const run[] = {"-q", "-K",   conf,  "--compare", "--procs",
                               "2",  "--db", sb.db, NULL};
    char *out;

    write_spider();
    cr_assert_eq(run_scrape(&sb, run, 3 * RUN_TIMEOUT_S, 0), 0);
    out = db_text(&sb, "SELECT verdict FROM comparisons");
    cr_assert_not_null(out);
    cr_assert_not_null(strstr(out, "extracted the same records (60 items"),
                       "%s", out);
    free(out);
    cr_assert_eq(db_int(&sb, "SELECT count(DISTINCT mode) FROM runs"), 3);
    expect_shop(1);
    expect_shop(2);
    expect_shop(3);
}

/* export --rule: one rule's records (items, or one per page); without it
 * every rule's, with a rule key.  stats counts pages and items per rule. */
Test(spider, export_and_stats_per_rule, .init = start, .fini = finish)
{
    char jsonl[200], csv[200], all[200], cmd[2048], line[512];
    const char *const run[] = {"-q", "-K", conf, "--db", sb.db, NULL};
    const char *const products[] = {"export",  "--format", "jsonl", "--rule",
                                    "product", "-o",       jsonl,   "--db",
                                    sb.db,     NULL};
    const char *const lists[] = {"export", "--format", "csv",  "--rule", "list",
                                 "-o",     csv,        "--db", sb.db,    NULL};
    const char *const every[] = {"export", "--format", "jsonl", "-o",
                                 all,      "--db",     sb.db,   NULL};
    const char *const nope[] = {"export", "--format", "jsonl", "--rule",
                                "nope",   "--db",     sb.db,   NULL};
    const char *const stats[] = {"stats", "--db", sb.db, NULL};
    char *text;
    FILE *p;

    snprintf(jsonl, sizeof(jsonl), "%s/products.jsonl", sb.dir);
    snprintf(csv, sizeof(csv), "%s/cards.csv", sb.dir);
    snprintf(all, sizeof(all), "%s/all.jsonl", sb.dir);
    write_spider();
    cr_assert_eq(run_scrape(&sb, run, RUN_TIMEOUT_S, 0), 0);
    cr_assert_eq(run_scrape(&sb, products, RUN_TIMEOUT_S, 0), 0);
    cr_assert_eq(run_scrape(&sb, lists, RUN_TIMEOUT_S, 0), 0);
    cr_assert_eq(run_scrape(&sb, every, RUN_TIMEOUT_S, 0), 0);
    snprintf(cmd, sizeof(cmd),
             "jq -e -s 'length == %d and (map(keys_unsorted) | unique) =="
             " [[\"url\",\"title\",\"price\",\"sku\",\"tags\"]] and all(.[];"
             " . as $r | ($r.tags | type == \"array\") and ($r.url |"
             " endswith(\"/shop/p/\" + $r.sku + \"/\")))' %s && jq -e -s "
             "'(map(.rule) | group_by(.) |"
             " map([.[0], length])) == [[\"home\",1],[\"list\",%d],"
             "[\"product\",%d]] and (map(select(.rule == \"list\") | .idx) |"
             " max) == %d' %s",
             SHOP_CATEGORIES * PER_CATEGORY, jsonl,
             SHOP_CATEGORIES * PER_CATEGORY, SHOP_CATEGORIES * PER_CATEGORY,
             SHOP_PER_PAGE - 1, all);
    p = popen(cmd, "r");
    cr_assert_not_null(p);
    line[0] = '\0';
    while (fgets(line + strlen(line), (int)(sizeof(line) - strlen(line)), p))
        ;
    cr_assert_eq(pclose(p), 0, "jq: %s (%s)", line, cmd);
    text = read_file_text(&sb, "cards.csv");
    cr_assert_eq(strncmp(text, "url,idx,name,price,link\r\n", 25), 0, "%s",
                 text);
    free(text);
    cr_assert_eq(run_scrape(&sb, nope, RUN_TIMEOUT_S, 0), 1);
    text = read_stderr(&sb);
    cr_assert_not_null(strstr(text, "has no rule 'nope'"), "%s", text);
    free(text);
    cr_assert_eq(run_scrape(&sb, stats, RUN_TIMEOUT_S, 0), 0);
    text = read_file_text(&sb, "stdout.txt");
    snprintf(line, sizeof(line), "rule product: %d pages, 0 items",
             SHOP_CATEGORIES * PER_CATEGORY);
    cr_assert_not_null(strstr(text, line), "%s", text);
    snprintf(line, sizeof(line), "rule list: %u pages, %d items",
             SHOP_CATEGORIES * shop_list_pages(PER_CATEGORY),
             SHOP_CATEGORIES * PER_CATEGORY);
    cr_assert_not_null(strstr(text, line), "%s", text);
    free(text);
}

/* Runs `args` (reading bad.conf, path `bad`) with `text` as that file: a
 * usage error (exit 2) whose message holds `want`, and no database. */
static void expect_spider_error(const char *const *args, char *bad,
                                const char *never, const char *text,
                                const char *want)
{
    char *err;

    write_file("bad.conf", text, bad, 200);
    cr_assert_eq(run_scrape(&sb, args, RUN_TIMEOUT_S, 0), 2, "%s", text);
    err = read_stderr(&sb);
    cr_assert_not_null(strstr(err, want), "%s", err);
    free(err);
    cr_assert_neq(access(never, F_OK), 0, "a database was written");
}

/* Rules that cannot work are refused before anything is fetched or
 * written, naming the file and line. */
Test(spider, bad_rules_are_usage_errors, .init = start, .fini = finish)
{
    char bad[200], never[200];
    const char *const args[] = {"-q", "-K", bad, "--db", never, seed, NULL};

    snprintf(never, sizeof(never), "%s/never.db", sb.dir);
    expect_spider_error(args, bad, never, "--depth 2\n--rule list=/c/(\n",
                        "bad.conf:2: --rule 'list' '/c/(': missing closing"
                        " parenthesis");
    expect_spider_error(args, bad, never, "--rule =/c/\n",
                        "bad.conf:1: --rule wants NAME=REGEX");
    expect_spider_error(args, bad, never, "--rule list\n",
                        "bad.conf:1: --rule wants NAME=REGEX");
    expect_spider_error(args, bad, never,
                        "--rule a=/x/\n--rule b=/y/\n--rule a=/z/\n",
                        "bad.conf:3: --rule 'a' given twice");
    expect_spider_error(args, bad, never,
                        "--rule a=/x/\n--follow a.next\n--no-follow\n",
                        "bad.conf:3: --follow and --no-follow in rule 'a'");
    expect_spider_error(args, bad, never, "--rule a=/x/\n--follow 'h3 >'\n",
                        "bad.conf:2: --follow: bad CSS selector");
    expect_spider_error(args, bad, never,
                        "-d 1\n--rule a=/x/\n--follow count(//a)\n",
                        "--follow (rule 'a'): 'count(//a)' computes a number");
    expect_spider_error(args, bad, never, "--rule a=/x/\n--no-follow\n",
                        "--no-follow (rule 'a') chooses links to follow, but"
                        " --depth is 0");
    expect_spider_error(args, bad, never,
                        "--rule a=/x/\n--item li\n--field rule=b\n",
                        "--field 'rule' in rule 'a'");
}

/* Ctrl-C in the middle and --resume: the rules come back with the
 * stored command line, every page once, every referrer set. */
Test(spider, resume_keeps_rules_and_referrers, .init = start, .fini = finish)
{
    const char *const run[] = {"-q", "-K",   conf,  "--delay",
                               "15", "--db", sb.db, NULL};
    const char *const resume[] = {"-q", "--resume", "--db", sb.db, NULL};
    int st;

    write_spider();
    st = run_scrape(&sb, run, RUN_TIMEOUT_S, 600);
    /* 73 pages at least 15 ms apart on one host take over a second:
     * the stop at 600 ms always comes in the middle. */
    cr_assert_eq(st, 130);
    cr_assert_lt(db_int(&sb, "SELECT count(*) FROM pages"),
                 1 + SHOP_CATEGORIES * shop_list_pages(PER_CATEGORY) +
                     SHOP_CATEGORIES * PER_CATEGORY);
    cr_assert_eq(run_scrape(&sb, resume, RUN_TIMEOUT_S, 0), 0);
    expect_shop(1);
}

/* scrape extract applies a spider to a run's kept bodies, offline; a
 * recrawl carries the rules (the run's command line) forward. */
Test(spider, extract_and_recrawl_carry_rules, .init = start, .fini = finish)
{
    const char *const crawl[] = {"-q",   "-K",  conf, "--keep-bodies",
                                 "--db", sb.db, NULL};
    char rules[300];
    const char *const extract[] = {"extract", "-q",  "-K", rules,
                                   "--db",    sb.db, NULL};
    const char *const recrawl[] = {"-q", "--recrawl", "1", "--db", sb.db, NULL};

    write_spider();
    write_spider_to("rules.scrape", false, rules, sizeof(rules));
    cr_assert_eq(run_scrape(&sb, crawl, RUN_TIMEOUT_S, 0), 0);
    cr_assert_eq(run_scrape(&sb, extract, RUN_TIMEOUT_S, 0), 0);
    expect_shop(2);
    cr_assert_eq(run_scrape(&sb, recrawl, RUN_TIMEOUT_S, 0), 0);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages WHERE run_id = 3"
                             " AND rule = 'product' AND change ="
                             " 'unchanged'"),
                 SHOP_CATEGORIES * PER_CATEGORY);
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM items WHERE run_id = 3"
                             " AND rule = 'list'"),
                 SHOP_CATEGORIES * PER_CATEGORY);
    /* Unchanged pages follow no link again: each keeps the referrer it
     * had, in the new run. */
    cr_assert_eq(db_int(&sb, "SELECT count(*) FROM pages p JOIN pages r ON"
                             " r.id = p.referrer JOIN pages o ON o.run_id = 1"
                             " AND o.url = p.url JOIN pages q ON q.id ="
                             " o.referrer WHERE p.run_id = 3 AND r.run_id = 3"
                             " AND r.url = q.url"),
                 db_int(&sb, "SELECT count(*) FROM pages WHERE run_id = 3") -
                     1);
}

/* The JSON of GET `path` on a server at `sport`, through jq `expr`: its
 * output, a new string. */
static char *jq_get(unsigned sport, const char *path, const char *expr)
{
    char cmd[1024], *out = calloc(1, 4096);
    size_t len;
    FILE *p;

    snprintf(cmd, sizeof(cmd),
             "curl -s --max-time 20 'http://127.0.0.1:%u%s' | jq -c '%s'",
             sport, path, expr);
    cr_assert_not_null(p = popen(cmd, "r"));
    len = fread(out, 1, 4095, p);
    out[len] = '\0';
    pclose(p);
    return out;
}

/* scrape serve: the page view shows a page's rule and links its
 * referrer; items filter by rule, an unknown rule is a 400. */
Test(spider, serve_shows_rules, .init = start, .fini = finish)
{
    const char *const run[] = {"-q", "-K", conf, "--db", sb.db, NULL};
    const char *const serve[] = {"serve",    "--db",        sb.db,
                                 "--listen", "127.0.0.1:0", NULL};
    char *out = NULL, *s, path[256];
    unsigned sport = 0;
    pid_t pid;
    long long product;
    int i;

    write_spider();
    cr_assert_eq(run_scrape(&sb, run, RUN_TIMEOUT_S, 0), 0);
    product = db_int(&sb, "SELECT min(id) FROM pages WHERE rule = 'product'");
    pid = start_scrape(&sb, serve);
    for (i = 0; i < 400 && !sport; i++) {
        usleep(50000);
        free(out);
        out = read_file_text(&sb, "stdout.txt");
        if (out && (s = strstr(out, "serving http://127.0.0.1:")))
            sport = (unsigned)strtoul(s + 25, NULL, 10);
    }
    free(out);
    cr_assert_gt(sport, 0);
    out = jq_get(sport, "/api/runs/1/items?rule=list&limit=1000",
                 "[.items | length, (map(.rule) | unique)]");
    cr_assert_str_eq(out, "[60,[\"list\"]]\n");
    free(out);
    out = jq_get(sport, "/api/runs/1/items?rule=product", ".items | length");
    cr_assert_str_eq(out, "0\n");
    free(out);
    out = jq_get(sport, "/api/runs/1/items?rule=nope", ".error");
    cr_assert_str_eq(out, "\"run 1 has no rule 'nope'\"\n");
    free(out);
    snprintf(path, sizeof(path), "/api/pages/%lld", product);
    out = jq_get(sport, path,
                 "[.page.rule, (.page.referrer | type), (.page.unfollowed"
                 " > 0)]");
    cr_assert_str_eq(out, "[\"product\",\"number\",true]\n");
    free(out);
    snprintf(path, sizeof(path),
             "curl -s 'http://127.0.0.1:%u/pages/%lld' | grep -o"
             " -e 'data-col=\"rule\">product<' -e"
             " 'data-col=\"referrer\"><a href=\"/pages/' | wc -l",
             sport, product);
    {
        FILE *p = popen(path, "r");
        char line[32] = "";
        cr_assert_not_null(p);
        cr_assert_not_null(fgets(line, sizeof(line), p));
        pclose(p);
        cr_assert_eq(atoi(line), 2, "%s", line);
    }
    kill(pid, SIGTERM);
    cr_assert_eq(wait_scrape(pid, 30, 0), 0);
}
