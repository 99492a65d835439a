/* Unit tests for parse.c: records from ordinary, broken and non-UTF-8
 * HTML.  Fixtures live in tests/fixtures (tests run from the repo root). */
#include <criterion/criterion.h>
#include <libxml/parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scrape/parse.h"
#include "spider1.h"
#include "scrape/utf8.h"

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *data;
    long n;

    cr_assert_not_null(f, "cannot open fixture %s", path);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    data = malloc((size_t)n + 1);
    cr_assert_eq(fread(data, 1, (size_t)n, f), (size_t)n);
    data[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return data;
}

static void parse_fixture(const char *name, const char *ctype, struct parser *p,
                          struct page *pg)
{
    char path[256];
    size_t len;
    char *body;

    snprintf(path, sizeof(path), "tests/fixtures/%s", name);
    body = slurp(path, &len);
    cr_assert_eq(
        parse_page(p, body, len, "http://site.test/a/page.html", ctype, pg),
        ERR_OK);
    free(body);
}

static struct parser *plain_parser(void)
{
    struct parser *p = NULL;
    char why[256];

    xmlInitParser();
    cr_assert_eq(parser_new(NULL, &p, why, sizeof(why)), ERR_OK);
    return p;
}

Test(parse, recovers_from_broken_markup)
{
    struct parser *p = plain_parser();
    struct page pg;

    parse_fixture("broken.html", "text/html", p, &pg);
    /* libxml2 2.9 drops tags inside <title> (a browser would keep the
     * text "<b>"): pinned to the library's behaviour. */
    cr_assert_str_eq(pg.title, "Broken page");
    cr_assert_str_eq(pg.description, "an unclosed world");
    cr_assert_str_eq(pg.lang, "fr");
    cr_assert_str_eq(pg.h1, "First heading");
    cr_assert_str_eq(pg.canonical, "http://base.example/canon");
    cr_assert_eq(pg.nlinks, 4, "a tags with href: %zu", pg.nlinks);
    cr_assert_str_eq(pg.links[0].url, "http://base.example/dir/rel.html");
    cr_assert(pg.links[0].followable);
    cr_assert_str_eq(pg.links[1].url, "http://base.example/abs");
    cr_assert_str_eq(pg.links[2].url, "mailto:x@y.z");
    cr_assert_not(pg.links[2].followable);
    cr_assert_eq(pg.links[2].why, ERR_SCHEME);
    /* An empty href is the document itself (its base). */
    cr_assert_str_eq(pg.links[3].url, "http://base.example/dir/");
    page_release(&pg);
    page_release(&pg);
    parser_free(p);
}

Test(parse, word_count_skips_script_style_and_head)
{
    static const char html[] =
        "<html><head><title>t i t l e</title><style>a b c</style></head>"
        "<body><p>one two  three</p><script>x y z</script>"
        "<noscript>n o</noscript><p>four\nfive</p></body></html>";
    struct parser *p = plain_parser();
    struct page pg;

    cr_assert_eq(parse_page(p, html, sizeof(html) - 1, "http://h/", NULL, &pg),
                 ERR_OK);
    cr_assert_eq(pg.words, 5);
    page_release(&pg);
    parser_free(p);
}

Test(parse, charset_from_header_wins)
{
    struct parser *p = plain_parser();
    struct page pg;

    parse_fixture("euckr-header.html", "text/html; charset=EUC-KR", p, &pg);
    cr_assert_str_eq(pg.title, "한국어");
    cr_assert_eq(pg.words, 2);
    cr_assert_str_eq(pg.charset, "EUC-KR");
    page_release(&pg);
    parser_free(p);
}

Test(parse, charset_from_meta)
{
    struct parser *p = plain_parser();
    struct page pg;

    parse_fixture("latin1-meta.html", "text/html", p, &pg);
    cr_assert_str_eq(pg.title, "Café crème");
    /* iso-8859-1 is decoded as windows-1252: 0x80 is the euro sign. */
    cr_assert_str_eq(pg.charset, "windows-1252");
    page_release(&pg);
    parse_fixture("sjis-meta.html", NULL, p, &pg);
    cr_assert_str_eq(pg.title, "日本語のページ");
    page_release(&pg);
    parser_free(p);
}

Test(parse, undeclared_non_utf8_is_decoded_as_windows_1252)
{
    struct parser *p = plain_parser();
    struct page pg;

    parse_fixture("latin1-none.html", "text/html", p, &pg);
    cr_assert_str_eq(pg.title, "naïve");
    cr_assert_str_eq(pg.charset, "windows-1252");
    page_release(&pg);
    parser_free(p);
}

/* No charset in the header or the page, not UTF-8: detected. */
Test(parse, undeclared_cjk_charsets_are_detected)
{
    struct parser *p = plain_parser();
    struct page pg;

    parse_fixture("euckr-none.html", "text/html", p, &pg);
    cr_assert_str_eq(pg.title, "한국어 웹 페이지");
    /* UHC (CP949) is EUC-KR's superset: either name is right. */
    cr_assert(!strcmp(pg.charset, "EUC-KR") || !strcmp(pg.charset, "UHC"), "%s",
              pg.charset);
    page_release(&pg);
    parse_fixture("sjis-none.html", "text/html", p, &pg);
    cr_assert_str_eq(pg.title, "日本語のページ");
    page_release(&pg);
    parse_fixture("eucjp-none.html", NULL, p, &pg);
    cr_assert_str_eq(pg.title, "日本語のページ");
    page_release(&pg);
    parser_free(p);
}

Test(parse, unknown_header_charset_falls_back)
{
    static const char html[] = "<title>caf\xC3\xA9</title>";
    struct parser *p = plain_parser();
    struct page pg;

    cr_assert_eq(parse_page(p, html, sizeof(html) - 1, "http://h/",
                            "text/html; charset=x-no-such-thing", &pg),
                 ERR_OK);
    cr_assert_str_eq(pg.title, "café");
    cr_assert_str_eq(pg.charset, "UTF-8");
    page_release(&pg);
    parser_free(p);
}

/* Bytes 0x00-0xFF in a fixed pseudo-random order (NULs, C1 controls,
 * lone continuation bytes, overlongs, surrogates' lead bytes). */
static void garbage(char *out, size_t n, unsigned seed)
{
    size_t i;

    for (i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        out[i] = (char)(seed >> 16);
    }
}

/* Garbage where the title, a heading, a link and the text are: every
 * string that comes out is valid UTF-8 and non-empty, in both parse
 * paths (SAX and tree). */
Test(parse, binary_garbage_gives_valid_utf8_only)
{
    struct spider1 s1; /* the spider the parser borrows */
    static const struct field_spec f[] = {{.name = "h", .xpath = "//h1"}};
    static const struct extract_spec spec = {.fields = f, .nfields = 1};
    char junk[4][600], html[4096];
    struct parser *p;
    struct page pg;
    char why[256];
    size_t i, k, len;
    int tree;

    for (k = 0; k < 4; k++) {
        garbage(junk[k], sizeof(junk[k]) - 1, (unsigned)k + 7);
        junk[k][sizeof(junk[k]) - 1] = '\0';
        /* Markup delimiters would end the element early: keep the bytes
         * inside it (NULs included: the length is given). */
        for (i = 0; i < sizeof(junk[k]) - 1; i++)
            if (strchr("<>\"&", junk[k][i]) && junk[k][i])
                junk[k][i] = (char)0xC3;
    }
    len = 0;
#define ADD(s, n) (memcpy(html + len, s, n), len += n)
    ADD("<html><head><title>", 19);
    ADD(junk[0], 599);
    ADD("</title></head><body><h1>", 25);
    ADD(junk[1], 599);
    ADD("</h1><a href=\"http://h/", 23);
    ADD(junk[2], 100);
    ADD("\">x</a><p>", 10);
    ADD(junk[3], 599);
    ADD("</p></body></html>", 18);
#undef ADD
    /* Undeclared (detected) and declared UTF-8 (a lie), in each path. */
    for (tree = 0; tree < 4; tree++) {
        xmlInitParser();
        cr_assert_eq(parser_new(tree % 2 ? spider1_of(&s1, &spec) : NULL, &p,
                                why, sizeof(why)),
                     ERR_OK);
        cr_assert_eq(
            parse_page(p, html, len, "http://h/",
                       tree < 2 ? "text/html" : "text/html; charset=utf-8",
                       &pg),
            ERR_OK);
        cr_assert_not_null(pg.title);
        cr_assert_gt(strlen(pg.title), 100, "the title was cut short");
        cr_assert(utf8_valid(pg.title, strlen(pg.title)));
        cr_assert_not_null(pg.h1);
        cr_assert(utf8_valid(pg.h1, strlen(pg.h1)));
        cr_assert_not_null(pg.text);
        cr_assert_gt(strlen(pg.text), 500, "the text was cut short");
        cr_assert(utf8_valid(pg.text, strlen(pg.text)));
        cr_assert_eq(pg.nlinks, 1);
        cr_assert(utf8_valid(pg.links[0].url, strlen(pg.links[0].url)));
        cr_assert_not_null(pg.charset);
        for (i = 0; i < pg.nvals; i++)
            cr_assert(utf8_valid(pg.vals[i], strlen(pg.vals[i])));
        cr_assert_eq(pg.nvals, (size_t)(tree % 2), "the h1 field");
        page_release(&pg);
        parser_free(p);
    }
}

/* The whole garbage fixture (no markup at all) is text: valid UTF-8. */
Test(parse, a_page_of_binary_bytes_is_valid_utf8_text)
{
    struct parser *p = plain_parser();
    struct page pg;

    parse_fixture("garbage.html", "text/html", p, &pg);
    cr_assert_not_null(pg.text);
    cr_assert_gt(strlen(pg.text), 1000);
    cr_assert(utf8_valid(pg.text, strlen(pg.text)));
    page_release(&pg);
    parser_free(p);
}

/* A page of `depth` nested divs around a link, between two links. */
static char *nested(size_t depth, size_t *len)
{
    char *html = malloc(depth * 11 + 128);
    size_t i;

    *len = (size_t)sprintf(html, "<title>T</title><a href=first>one</a>");
    for (i = 0; i < depth; i++)
        *len += (size_t)sprintf(html + *len, "<div>");
    *len += (size_t)sprintf(html + *len, "<a href=deep>deep</a>");
    for (i = 0; i < depth; i++)
        *len += (size_t)sprintf(html + *len, "</div>");
    *len += (size_t)sprintf(html + *len, "<a href=after>after</a>");
    return html;
}

/* libxml2 2.9 stops an HTML document at 256 open elements (html, body
 * and 254 more): what lies deeper, and everything after it, is not in
 * the record (parse.h).  Up to the cut every link counts; past it the
 * parse still succeeds, with what came before, and 200,000 levels do not
 * overflow the stack in either parse path. */
Test(parse, deep_nesting_does_not_overflow)
{
    struct spider1 s1; /* the spider the parser borrows */
    static const struct field_spec f[] = {
        {.name = "a", .xpath = "//a/@href", .list = true}};
    static const struct extract_spec spec = {.fields = f, .nfields = 1};
    const size_t depths[] = {254, 255, 200000};
    struct parser *p;
    struct page pg;
    char why[256], *html;
    size_t k, len;
    int tree;

    for (tree = 0; tree < 2; tree++) {
        xmlInitParser();
        cr_assert_eq(parser_new(tree ? spider1_of(&s1, &spec) : NULL, &p, why,
                                sizeof(why)),
                     ERR_OK);
        for (k = 0; k < 3; k++) {
            html = nested(depths[k], &len);
            cr_assert_eq(
                parse_page(p, html, len, "http://h/", "text/html", &pg),
                ERR_OK);
            cr_assert_str_eq(pg.title, "T");
            cr_assert_geq(pg.nlinks, 1);
            cr_assert_str_eq(pg.links[0].url, "http://h/first");
            if (depths[k] <= 254) {
                cr_assert_eq(pg.nlinks, 3, "depth %zu", depths[k]);
                cr_assert_str_eq(pg.links[1].url, "http://h/deep");
                cr_assert_str_eq(pg.links[2].url, "http://h/after");
                cr_assert_eq(pg.words, 3);
                cr_assert_eq(pg.nvals, tree ? 3u : 0u);
            } else {
                cr_assert_eq(pg.nlinks, 1, "depth %zu: cut at 256", depths[k]);
                cr_assert_eq(pg.words, 1);
            }
            page_release(&pg);
            free(html);
        }
        parser_free(p);
    }
}

/* The one value of a plain field of record `rec`, or NULL when absent. */
static const char *value(const struct page *pg, size_t rec, size_t field)
{
    size_t n;
    char *const *v = page_values(pg, rec, field, &n);

    cr_assert_leq(n, 1);
    return n ? v[0] : NULL;
}

/* A list field's values of record `rec`, joined with '|'. */
static char *list(const struct page *pg, size_t rec, size_t field)
{
    static char out[512];
    size_t n, i;
    char *const *v = page_values(pg, rec, field, &n);

    out[0] = '\0';
    for (i = 0; i < n; i++)
        snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s",
                 i ? "|" : "", v[i]);
    return out;
}

Test(parse, fields_from_compiled_xpath)
{
    struct spider1 s1; /* the spider the parser borrows */
    static const struct field_spec fields[] = {
        {.name = "price", .xpath = "//p[@class='price']"},
        {.name = "rating",
         .xpath = "substring-after(//p[contains(@class,'star')]/@class,' ')"},
        {.name = "missing", .xpath = "//nothing"},
        {.name = "count", .xpath = "count(//a)"},
        {.name = "hrefs", .xpath = "//a/@href", .list = true},
        {.name = "none", .xpath = "//nothing", .list = true},
    };
    static const struct extract_spec spec = {.fields = fields, .nfields = 6};
    static const char html[] = "<p class=price>\n  \xC2\xA3"
                               "12.50 </p><p class='star Four'>x</p>"
                               "<a href=a>a</a><a href=b>b</a>";
    struct parser *p = NULL;
    char why[256];
    struct page pg;

    xmlInitParser();
    cr_assert_eq(parser_new(spider1_of(&s1, &spec), &p, why, sizeof(why)),
                 ERR_OK);
    cr_assert_eq(parse_page(p, html, sizeof(html) - 1, "http://h/", NULL, &pg),
                 ERR_OK);
    cr_assert_not(pg.items);
    cr_assert_eq(pg.nrecords, 1);
    cr_assert_eq(pg.nfields, 6);
    cr_assert_str_eq(value(&pg, 0, 0), "£12.50");
    cr_assert_str_eq(value(&pg, 0, 1), "Four");
    cr_assert_null(value(&pg, 0, 2));
    cr_assert_str_eq(value(&pg, 0, 3), "2");
    cr_assert_str_eq(list(&pg, 0, 4), "a|b");
    cr_assert_str_eq(list(&pg, 0, 5), "");
    cr_assert_null(pg.extract_error);
    page_release(&pg);
    parser_free(p);
}

/* --item: one record per match, fields relative to it; an absolute field
 * sees the whole page (the trap cli.c warns about). */
Test(parse, items_with_relative_and_list_fields)
{
    struct spider1 s1; /* the spider the parser borrows */
    static const struct field_spec fields[] = {
        {.name = "text", .xpath = ".//span[@class='text']"},
        {.name = "author", .xpath = "descendant-or-self::small"},
        {.name = "tags", .xpath = ".//a[@class='tag']", .list = true},
        {.name = "first_anywhere", .xpath = "//small"},
    };
    static const struct extract_spec spec = {
        .item_xpath = "//div[@class='quote']", .fields = fields, .nfields = 4};
    static const char html[] =
        "<div class=quote><span class=text>\xE2\x80\x9COne &amp;"
        "   only\xE2\x80\x9D</span><small>Ann</small>"
        "<div class=tags><a class=tag>x</a><a class=tag>y</a></div></div>"
        "<div class=quote><span class=text>Caf&eacute;</span>"
        "<div class=tags></div></div>"
        "<div class=other><small>not an item</small></div>";
    struct parser *p = NULL;
    char why[256];
    struct page pg;

    xmlInitParser();
    cr_assert_eq(parser_new(spider1_of(&s1, &spec), &p, why, sizeof(why)),
                 ERR_OK, "%s", why);
    cr_assert_eq(parse_page(p, html, sizeof(html) - 1, "http://h/", NULL, &pg),
                 ERR_OK);
    cr_assert(pg.items);
    cr_assert_eq(pg.nrecords, 2);
    cr_assert_str_eq(value(&pg, 0, 0), "\xE2\x80\x9COne & only\xE2\x80\x9D");
    cr_assert_str_eq(value(&pg, 0, 1), "Ann");
    cr_assert_str_eq(list(&pg, 0, 2), "x|y");
    cr_assert_str_eq(value(&pg, 1, 0), "Caf\xC3\xA9");
    cr_assert_null(value(&pg, 1, 1));
    cr_assert_str_eq(list(&pg, 1, 2), "");
    cr_assert_str_eq(value(&pg, 1, 3), "Ann");
    page_release(&pg);
    parser_free(p);
}

/* 50,000 items, and fields that search the whole page from each one
 * (quadratic): cut short with the reason, in well under a second each,
 * keeping what was extracted before. */
static void hostile(const char *xpath, bool is_list, const char *reason)
{
    struct spider1 s1; /* the spider the parser borrows */
    const struct field_spec fields[] = {
        {.name = "t", .xpath = "."},
        {.name = "all", .xpath = xpath, .list = is_list}};
    const struct extract_spec spec = {
        .item_xpath = "//p", .fields = fields, .nfields = 2};
    size_t n = 50000, len = 0, i;
    char *html = malloc(n * 15 + 64);
    struct parser *p = NULL;
    char why[256];
    struct page pg;

    cr_assert_not_null(html);
    for (i = 0; i < n; i++, len += 15)
        memcpy(html + len, "<p><b>x</b></p>", 15);
    xmlInitParser();
    cr_assert_eq(parser_new(spider1_of(&s1, &spec), &p, why, sizeof(why)),
                 ERR_OK);
    cr_assert_eq(parse_page(p, html, len, "http://h/", "text/html", &pg),
                 ERR_OK);
    cr_assert_not_null(pg.extract_error);
    cr_assert_not_null(strstr(pg.extract_error, reason), "%s",
                       pg.extract_error);
    cr_assert_gt(pg.nrecords, 0);
    cr_assert_str_eq(value(&pg, 0, 0), "x");
    cr_assert_eq(pg.nlinks, 0);
    page_release(&pg);
    parser_free(p);
    free(html);
}

Test(parse, hostile_extraction_is_bounded_in_values, .timeout = 30)
{
    hostile("//b", true, "values on the page");
}

Test(parse, hostile_extraction_is_bounded_in_steps, .timeout = 30)
{
    hostile("count(//b)", false, "XPath steps");
}

/* A field that computes a string of the whole page (40 KB of text) on
 * each of 2,000 items (80 MB in all) stops at the page's 64 MB byte cap. */
Test(parse, computed_values_count_against_the_byte_cap)
{
    struct spider1 s1; /* the spider the parser borrows */
    static const struct field_spec fields[] = {
        {.name = "all", .xpath = "string(/html)"}};
    static const struct extract_spec spec = {
        .item_xpath = "//p", .fields = fields, .nfields = 1};
    size_t n = 2000, text = 40000, len = 0, i;
    char *html = malloc(text + n * 7 + 64);
    struct parser *p = NULL;
    char why[256];
    struct page pg;

    cr_assert_not_null(html);
    memcpy(html, "<div>", 5);
    memset(html + 5, 'x', text);
    len = 5 + text;
    memcpy(html + len, "</div>", 6);
    len += 6;
    for (i = 0; i < n; i++, len += 7)
        memcpy(html + len, "<p></p>", 7);
    xmlInitParser();
    cr_assert_eq(parser_new(spider1_of(&s1, &spec), &p, why, sizeof(why)),
                 ERR_OK);
    cr_assert_eq(parse_page(p, html, len, "http://h/", "text/html", &pg),
                 ERR_OK);
    cr_assert_not_null(pg.extract_error);
    cr_assert_not_null(strstr(pg.extract_error, "bytes on the page"), "%s",
                       pg.extract_error);
    /* 64 MB of 40 KB values: about 1,680 of the 2,000. */
    cr_assert_lt(pg.nvals, n, "%zu values kept", pg.nvals);
    cr_assert_gt(pg.nvals, 1000, "%zu values kept", pg.nvals);
    page_release(&pg);
    parser_free(p);
    free(html);
}

Test(parse, bad_xpath_is_named_with_its_position)
{
    struct spider1 s1; /* the spider the parser borrows */
    static const struct field_spec fields[] = {
        {.name = "ok", .xpath = "//p"},
        {.name = "broken", .xpath = "//p[@class="},
    };
    static const struct extract_spec spec = {.fields = fields, .nfields = 2};
    static const struct extract_spec item = {
        .item_xpath = "//div[", .fields = fields, .nfields = 1};
    struct parser *p = NULL;
    char why[256];

    xmlInitParser();
    cr_assert_eq(parser_new(spider1_of(&s1, &spec), &p, why, sizeof(why)),
                 ERR_INVALID);
    cr_assert_null(p);
    cr_assert_not_null(strstr(why, "--field 'broken': invalid XPath"), "%s",
                       why);
    cr_assert_not_null(strstr(why, "at position 12"), "%s", why);
    cr_assert_eq(parser_new(spider1_of(&s1, &item), &p, why, sizeof(why)),
                 ERR_INVALID);
    cr_assert_not_null(strstr(why, "--item: invalid XPath '//div['"), "%s",
                       why);
    /* An item that is not a node could never match. */
    {
        static const struct extract_spec number = {
            .item_xpath = "count(//div)", .fields = fields, .nfields = 1};
        cr_assert_eq(parser_new(spider1_of(&s1, &number), &p, why, sizeof(why)),
                     ERR_INVALID);
        cr_assert_not_null(strstr(why, "computes a number, not nodes"), "%s",
                           why);
    }
}

Test(parse, html_detection)
{
    cr_assert(parse_is_html("text/html", "", 0));
    cr_assert(parse_is_html("TEXT/HTML; charset=utf-8", "", 0));
    cr_assert(parse_is_html("application/xhtml+xml", "", 0));
    cr_assert_not(parse_is_html("application/json", "<html>", 6));
    cr_assert_not(parse_is_html("text/htmlx", "", 0));
    cr_assert(parse_is_html(NULL, "\n <!DOCTYPE html>", 17));
    cr_assert_not(parse_is_html(NULL, "{\"a\":1}", 7));
}

Test(parse, many_links)
{
    size_t n = 50000, i, len = 0;
    char *html = malloc(n * 32 + 16);
    struct parser *p = plain_parser();
    struct page pg;

    for (i = 0; i < n; i++)
        len += (size_t)sprintf(html + len, "<a href=/p%zu>x</a>", i);
    cr_assert_eq(parse_page(p, html, len, "http://h/", "text/html", &pg),
                 ERR_OK);
    cr_assert_eq(pg.nlinks, n);
    cr_assert_str_eq(pg.links[n - 1].url, "http://h/p49999");
    page_release(&pg);
    parser_free(p);
    free(html);
}

Test(parse, word_count_on_long_text_with_mixed_whitespace)
{
    /* Not \f or \v: libxml2 drops them (not XML characters). */
    static const char *const gaps[] = {" ", "\t\n", "  \r\n ", "\r", "\t  "};
    static const char *const words[] = {"a", "word", "longerwordthan16bytes",
                                        "caf\xC3\xA9", "x-y"};
    size_t len = 0, i;
    char *html = malloc(64 * 1024);
    struct parser *p = plain_parser();
    struct page pg;

    len += (size_t)sprintf(html, "<body><p>");
    for (i = 0; i < 1000; i++)
        len += (size_t)sprintf(html + len, "%s%s", words[i % 5],
                               gaps[(i * 7) % 5]);
    len += (size_t)sprintf(html + len, "</p></body>");
    cr_assert_eq(parse_page(p, html, len, "http://h/", "text/html", &pg),
                 ERR_OK);
    cr_assert_eq(pg.words, 1000, "words: %ld", pg.words);
    page_release(&pg);
    parser_free(p);
    free(html);
}

/* A byte the declared charset cannot decode must not end the page: the
 * text and links after it are still there. */
Test(parse, undecodable_bytes_do_not_truncate_the_page)
{
    static const char sjis[] = "<title>\x93\xfa\x96\x7b</title><p>ok \xff\xff"
                               " bad</p><p>after</p><a href=/x>x</a>";
    static const char utf8[] = "<title>caf\xC3\xA9 \xC3</title><p>one \xFE"
                               " two</p><a href=/y>y</a>";
    struct parser *p = plain_parser();
    struct page pg;

    cr_assert_eq(parse_page(p, sjis, sizeof(sjis) - 1, "http://h/",
                            "text/html; charset=Shift_JIS", &pg),
                 ERR_OK);
    cr_assert_str_eq(pg.title, "日本");
    cr_assert_eq(pg.nlinks, 1);
    cr_assert_str_eq(pg.links[0].url, "http://h/x");
    page_release(&pg);
    cr_assert_eq(parse_page(p, utf8, sizeof(utf8) - 1, "http://h/",
                            "text/html; charset=utf-8", &pg),
                 ERR_OK);
    cr_assert_str_eq(pg.title, "café \xEF\xBF\xBD");
    cr_assert_eq(pg.nlinks, 1);
    cr_assert_str_eq(pg.links[0].url, "http://h/y");
    page_release(&pg);
    parser_free(p);
}

Test(parse, simhash_of_visible_text_only)
{
    static const char a[] = "<title>x</title><p>one two three four five</p>"
                            "<script>var six = 7;</script>";
    static const char b[] = "<title>y</title><style>p{}</style>"
                            "<div>One two <b>three</b> four five</div>";
    static const char c[] = "<p>nothing alike here at all, really</p>";
    struct parser *p = plain_parser();
    struct page pa, pb, pc;

    cr_assert_eq(parse_page(p, a, sizeof(a) - 1, "http://h/", NULL, &pa),
                 ERR_OK);
    cr_assert_eq(parse_page(p, b, sizeof(b) - 1, "http://h/", NULL, &pb),
                 ERR_OK);
    cr_assert_eq(parse_page(p, c, sizeof(c) - 1, "http://h/", NULL, &pc),
                 ERR_OK);
    /* parse_page leaves the fingerprint to page_fingerprint. */
    cr_assert_eq(pa.simhash, 0);
    page_fingerprint(&pa);
    page_fingerprint(&pb);
    page_fingerprint(&pc);
    cr_assert_neq(pa.simhash, 0);
    cr_assert_eq(pa.simhash, pb.simhash);
    cr_assert_neq(pa.simhash, pc.simhash);
    page_release(&pa);
    page_release(&pb);
    page_release(&pc);
    parser_free(p);
}
