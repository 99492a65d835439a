/*
 * The SAX pass (no tree, the default crawl) and the tree walk (with
 * selectors) must give the same record for any page: every built-in
 * field, the text, the word count and every link.  Compared here on the
 * fixtures, generated site pages and hand-made corner cases.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scrape/parse.h"
#include "site/site.h"

static void same_str(const char *what, const char *a, const char *b,
                     const char *input)
{
    if (!a || !b)
        cr_assert_eq(a, b, "%s: %s vs %s in %.300s", what, a ? a : "NULL",
                     b ? b : "NULL", input);
    else
        cr_assert_str_eq(a, b, "%s differs in %.300s", what, input);
}

/* Parses `body` both ways and compares the records. */
static void both_ways(const char *body, size_t len, const char *ctype)
{
    struct parser *sax = NULL, *tree = NULL;
    struct page a, b;
    enum err ea, eb;
    char why[128];
    size_t i;

    cr_assert_eq(parser_new(NULL, &sax, why, sizeof(why)), ERR_OK);
    cr_assert_eq(parser_new(NULL, &tree, why, sizeof(why)), ERR_OK);
    parser_use_tree(tree, true);
    ea = parse_page(sax, body, len, "http://site.test/a/page.html", ctype, &a);
    eb = parse_page(tree, body, len, "http://site.test/a/page.html", ctype, &b);
    cr_assert_eq(ea, eb, "errors differ on %.300s", body);
    if (ea == ERR_OK) {
        same_str("title", a.title, b.title, body);
        same_str("description", a.description, b.description, body);
        same_str("lang", a.lang, b.lang, body);
        same_str("canonical", a.canonical, b.canonical, body);
        same_str("h1", a.h1, b.h1, body);
        same_str("charset", a.charset, b.charset, body);
        same_str("text", a.text, b.text, body);
        cr_assert_eq(a.words, b.words, "words %ld vs %ld in %.300s", a.words,
                     b.words, body);
        cr_assert_eq(a.nlinks, b.nlinks, "links %zu vs %zu in %.300s", a.nlinks,
                     b.nlinks, body);
        for (i = 0; i < a.nlinks; i++) {
            same_str("link", a.links[i].url, b.links[i].url, body);
            cr_assert_eq(a.links[i].followable, b.links[i].followable);
            cr_assert_eq(a.links[i].why, b.links[i].why);
        }
        page_release(&a);
        page_release(&b);
    }
    parser_free(sax);
    parser_free(tree);
}

static void both(const char *body)
{
    both_ways(body, strlen(body), "text/html");
}

Test(parse_sax, corner_cases_match_the_tree_walk)
{
    static const char *const cases[] = {
        "",
        " ",
        "plain text, no markup at all",
        "<title></title><h1></h1>",
        "<title>One</title><title>Two</title><h1>A <b>bold</b> "
        "h1</h1><h1>2</h1>",
        "<html lang=' en  GB '><head><title> T &amp; U </title>"
        "<meta name=Description content='  the   page  '>"
        "<meta name=description content=second>"
        "<link rel='alternate canonical' "
        "href='/c'></head><body>x</body></html>",
        "<link rel=canonical href='http://[bad'><link rel=canonical href=/ok>",
        "<link rel=canonical><link rel=canonical href=/second>",
        "<meta name=description><meta name=description content=later>",
        "<a href=one>1</a><head><base href='http://other.test/dir/'></head>"
        "<a href=two>2</a>",
        "<html><head><base href='/b/'><base href='/c/'></head>"
        "<body><a href=x>x</a></body></html>",
        "<html><head><base></head><body><a href=x>x</a></body></html>",
        "<html><head><base href='javascript:x'></head><a href=x>x</a></html>",
        "<html><head><title>t</title></head><body><base href=/n/>"
        "<a href=y>y</a></body></html>",
        "<a href>empty</a><a>none</a><a href=''>blank</a><a HREF=Up>up</a>",
        "<a href='mailto:x@y'>m</a><a href='javascript:void(0)'>j</a>"
        "<a href='http://a b/'>sp</a><a href='#frag'>f</a>",
        "<p>one<!-- c -->two<?pi x?>three</p><p>four<b>five</b>six</p>",
        "<script>var a = '<p>no</p>'; words here</script>visible "
        "<style>p{}</style> more <noscript>hidden too</noscript> end",
        "<template><p>t</p></template><p>after</p>",
        "<head><title>in head</title>hidden text?</head><body>shown</body>",
        "text before<html><body>inside</body></html>text after",
        "<body>a</body></html><p>after html</p><title>late</title>",
        "<title>unclosed title <b>with bold",
        "<h1>unclosed h1 <i>x",
        "<div><p>un<div>closed<span>tags",
        "&lt;&gt;&amp;&quot;&#x41;&#66;&nbsp;&copy;&bogus; entities",
        "<![CDATA[cdata in html]]> after",
        "<pre>  spaced\n\n  text  </pre>  \n  <p>  </p>\t\t",
        "<table><tr><td>cell<td>cell2</table><ul><li>a<li>b</ul>",
        "<svg><title>svg title</title><text>svg text</text></svg>",
        "<select><option>o1<option>o2</select><textarea>ta <b>x</b></textarea>",
        "<frameset><frame src=f.html></frameset>",
        "<!DOCTYPE html><html><head><meta charset=utf-8></head></html>",
        "<html><html lang=fr><head></head><head><base href=/z/></head>"
        "<a href=q>q</a></html>",
        "\xef\xbb\xbf<title>BOM</title>",
        "<title>bad \xff\xfe utf8 \xc3\x28</title><p>\xe2\x82</p>",
        "<p>nul\0byte</p>",
        /* After the root: hung under it, unless a DOCTYPE or a comment is
         * the document's first child (then a sibling, not walked). */
        "<!DOCTYPE html><body>a</body></html><p>after</p><title>late</title>",
        "<!-- first --><body>a</body></html><p>after</p><title>late</title>",
        "<body>a</body></html><html lang=de><head><base href=/late/></head>"
        "<a href=x>x</a></html>",
        /* Prefixed names are their local part in the tree. */
        "<html lang=fr><div:head><title>t</title>hidden</div:head>"
        "<x:title>second</x:title><p:a href=q>z</p:a><a:>kept</a:>"
        "<b::c>colon</b::c></html>",
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        both(cases[i]);
    both_ways("<p>nul\0byte and after</p><a href=z>z</a>", 40, "text/html");
}

Test(parse_sax, deep_and_wide_documents_match)
{
    char *deep = malloc(400 * 11 + 64), *p = deep;
    int i;

    /* Deeper than libxml2's nesting limit. */
    for (i = 0; i < 400; i++)
        p += sprintf(p, "<div><span>");
    strcpy(p, "bottom <a href=deep>d</a>");
    both(deep);
    free(deep);
}

/* Text nodes larger than what is left of the text cap are left out whole
 * and later small ones still go in; every node's words count either way.
 * libxml2 reports a long node in many pieces. */
Test(parse_sax, text_cap_drops_whole_nodes_the_same_way)
{
    size_t big = 200 * 1024, mid = 100 * 1024, i;
    char *doc = malloc(big + mid + 256), *p = doc;

    p += sprintf(p, "<p>");
    for (i = 0; i + 6 <= big; i += 6)
        p += sprintf(p, "word%c ", 'a' + (int)(i % 26));
    p += sprintf(p, "</p><p>");
    for (i = 0; i + 6 <= mid; i += 6)
        p += sprintf(p, "more%c\n", 'a' + (int)(i % 26));
    p += sprintf(p, "</p><p>tail words</p><!-- c -->end");
    both(doc);
    free(doc);
}

Test(parse_sax, fixtures_match)
{
    DIR *d = opendir("tests/fixtures");
    struct dirent *ent;
    int n = 0;

    cr_assert_not_null(d);
    while ((ent = readdir(d))) {
        char path[512];
        FILE *f;
        char *body;
        long len;
        if (!strstr(ent->d_name, ".html"))
            continue;
        snprintf(path, sizeof(path), "tests/fixtures/%s", ent->d_name);
        f = fopen(path, "rb");
        cr_assert_not_null(f);
        fseek(f, 0, SEEK_END);
        len = ftell(f);
        fseek(f, 0, SEEK_SET);
        body = malloc((size_t)len + 1);
        cr_assert_eq(fread(body, 1, (size_t)len, f), (size_t)len);
        fclose(f);
        both_ways(body, (size_t)len, NULL);
        both_ways(body, (size_t)len, "text/html; charset=iso-8859-1");
        free(body);
        n++;
    }
    closedir(d);
    cr_assert_gt(n, 5);
}

Test(parse_sax, generated_site_pages_match)
{
    struct site_opts o = {.pages = 300, .fanout = 10, .port = 8080};
    unsigned i;

    for (i = 0; i < 300; i += 7) {
        size_t len;
        char *html;
        o.page_size = 2000 + i * 100;
        o.nested = (int)(i % 2);
        html = site_render(&o, i, &len);
        cr_assert_not_null(html);
        both_ways(html, len, "text/html; charset=utf-8");
        free(html);
    }
}
