/*
 * libFuzzer target: the HTML extractor (parse.c, simhash.c, utf8.c).
 * The first byte picks the Content-Type the page arrives with; the rest
 * is the body.  Checks, besides memory safety: every string in the record
 * is valid UTF-8, and canonical links re-canonicalise to themselves.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "scrape/parse.h"
#include "scrape/url.h"
#include "scrape/utf8.h"

static const struct field_spec fields[] = {
    {.name = "price", .xpath = "//p[@class='price']"},
    {.name = "count", .xpath = "count(//a)"},
    {.name = "text", .xpath = ".", .list = true},
    {.name = "hrefs", .xpath = "descendant-or-self::a/@href", .list = true},
};
/* Items: every element with a child, so hostile nesting is exercised. */
static const struct extract_spec spec = {
    .item_xpath = "//*[*]", .fields = fields, .nfields = 4};

static void check(const char *s)
{
    if (s && !utf8_valid(s, strlen(s)))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct parser *p;
    static const char *const types[] = {"text/html",
                                        "text/html; charset=ISO-8859-1",
                                        "text/html; charset=Shift_JIS",
                                        "text/html; charset=UTF-16LE",
                                        "text/html; charset=EUC-KR",
                                        NULL};
    char why[256];
    struct page pg;
    size_t i;

    if (!p) {
        xmlInitParser();
        if (parser_new(&spec, &p, why, sizeof(why)))
            abort();
    }
    if (size == 0)
        return 0;
    if (parse_page(p, (const char *)data + 1, size - 1, "http://fuzz.test/a/",
                   types[data[0] % 6], &pg) == ERR_OK) {
        page_fingerprint(&pg);
        check(pg.title);
        check(pg.description);
        check(pg.lang);
        check(pg.h1);
        check(pg.canonical);
        for (i = 0; i < pg.nlinks; i++) {
            check(pg.links[i].url);
            if (pg.links[i].followable) {
                char *again = NULL;
                if (url_canon(pg.links[i].url, &again) != ERR_OK ||
                    strcmp(again, pg.links[i].url))
                    abort();
                free(again);
            }
        }
        for (i = 0; i < pg.nvals; i++)
            check(pg.vals[i]);
    }
    page_release(&pg);
    return 0;
}
