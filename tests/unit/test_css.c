/* Unit tests for css.c: every construct, by the nodes it selects on one
 * fixture document (parsed by libxml2's HTML parser, as pages are), and
 * malformed selectors rejected with the position of the problem. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/HTMLparser.h>
#include <libxml/xpath.h>

#include "scrape/buf.h"
#include "scrape/css.h"

/* Every element that a test may select has an id; text and attribute
 * matches are reported by their content. */
static const char fixture[] =
    "<!DOCTYPE html><HTML id=root><head><title>t</title></head><BODY id=body>"
    "<DIV id=d1 CLASS='quote  big' data-x='a-b'>"
    "<span id=s1 class=text>One</span>"
    "<small id=a1 class=author>Ann</small>"
    "<div id=t1 class=tags><a id=k1 class=tag href='/tag/x'>x</a>"
    "<a id=k2 class='tag hot' href='/tag/y'>y</a></div>"
    "</DIV>"
    "<div id=d2 class=quote lang=en-GB title='it&#39;s \"q\"'>"
    "<span id=s2 class=text>Two <b id=b2>bold</b> tail</span>"
    "<small id=a2 class=author>Bob</small>"
    "<div id=t2 class=tags></div>"
    "</div>"
    "<p id=p1></p><p id=p2>x</p><p id=p3 lang=en>y</p><p id=p4><!--c--></p>"
    "<ul id=u1><li id=l1>1</li><li id=l2>2</li><li id=l3>3</li>"
    "<li id=l4>4</li><li id=l5>5</li><li id=l6>6</li></ul>"
    "<section id=sec><h2 id=h1>a</h2><p id=q1>b</p><h2 id=h2>c</h2>"
    "<p id=q2>d</p><span id=only>e</span></section>"
    "<ol id=o1><li id=single>s</li></ol>"
    "<abbr id=e1 lang=english>e</abbr><abbr id=e2 lang=en>f</abbr>"
    "<a id=z1 href='http://example.com/x.pdf'>pdf</a>"
    "<a id=z2 href='https://example.com/y.html'>html</a>"
    "</BODY></HTML>";

static xmlDocPtr doc;

static void setup(void)
{
    doc = htmlReadMemory(fixture, (int)strlen(fixture), "http://t/", "UTF-8",
                         HTML_PARSE_RECOVER | HTML_PARSE_NOERROR |
                             HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
    cr_assert_not_null(doc);
}

static void teardown(void)
{
    xmlFreeDoc(doc);
}

/* Translates `css`, evaluates it on the document and returns what it
 * selects, comma-separated: ids of elements, contents of text and
 * attribute nodes.  Caller frees. */
static char *select_css(const char *css)
{
    char why[CSS_WHY_MAX], *xpath = NULL;
    xmlXPathContextPtr ctx;
    xmlXPathObjectPtr obj;
    struct buf out;
    size_t pos;
    int i;

    cr_assert_eq(css_to_xpath(css, &xpath, &pos, why, sizeof(why)), ERR_OK,
                 "'%s' rejected at %zu: %s", css, pos, why);
    ctx = xmlXPathNewContext(doc);
    /* Relative to the document, as --item and page-level fields are. */
    ctx->node = (xmlNodePtr)doc;
    obj = xmlXPathEvalExpression((const xmlChar *)xpath, ctx);
    cr_assert_not_null(obj, "'%s' -> invalid XPath %s", css, xpath);
    cr_assert_eq(obj->type, XPATH_NODESET, "%s", xpath);
    buf_init(&out, 1 << 20);
    for (i = 0; obj->nodesetval && i < obj->nodesetval->nodeNr; i++) {
        xmlNodePtr n = obj->nodesetval->nodeTab[i];
        xmlChar *v = n->type == XML_ELEMENT_NODE
                         ? xmlGetProp(n, (const xmlChar *)"id")
                         : xmlNodeGetContent(n);
        buf_addf(&out, "%s%s", i ? "," : "", v ? (const char *)v : "?");
        xmlFree(v);
    }
    xmlXPathFreeObject(obj);
    xmlXPathFreeContext(ctx);
    free(xpath);
    return buf_detach(&out, NULL);
}

static void expect(const char *css, const char *ids)
{
    char *got = select_css(css);

    cr_expect_str_eq(got, ids, "'%s' selected '%s', expected '%s'", css, got,
                     ids);
    free(got);
}

TestSuite(css, .init = setup, .fini = teardown);

Test(css, type_universal_id_class)
{
    expect("small", "a1,a2");
    expect("SMALL", "a1,a2");
    expect("ol *", "single");
    expect("#d2", "d2");
    expect("span#s2", "s2");
    expect(".quote", "d1,d2");
    expect("div.quote.big", "d1");
    expect(".tag.hot", "k2");
    /* a class is a whole token, not a substring */
    expect(".quot", "");
}

Test(css, attribute_operators)
{
    expect("[lang]", "d2,p3,e1,e2");
    expect("p[LANG]", "p3");
    expect("a[href='/tag/y']", "k2");
    expect("a[href=\"/tag/x\"]", "k1");
    expect("div[class~=big]", "d1");
    expect("div[class~=quote]", "d1,d2");
    /* |= is the whole value or its part before a hyphen, never a prefix
     * of a longer word */
    expect("[lang|=en]", "d2,p3,e2");
    expect("abbr[lang|=en]", "e2");
    expect("abbr[lang|=eng]", "");
    expect("[lang^=en]", "d2,p3,e1,e2");
    expect("a[href^='https:']", "z2");
    expect("a[href$='.pdf']", "z1");
    expect("a[href*=example]", "z1,z2");
    expect("[data-x=a-b]", "d1");
    /* empty values never match ^= $= *= (Selectors 3) */
    expect("a[href^='']", "");
    /* a value holding both quote kinds */
    expect("[title='it\\'s \"q\"']", "d2");
}

Test(css, combinators)
{
    expect("div.quote span", "s1,s2");
    expect("div.quote > span.text", "s1,s2");
    expect("div.quote>div.tags>a", "k1,k2");
    expect("body > span", "");
    expect("h2 + p", "q1,q2");
    expect("h2 ~ p", "q1,q2");
    expect("h2 ~ span", "only");
    expect("h2 + span", "");
    expect("span.text b", "b2");
}

Test(css, groups_are_in_document_order)
{
    expect("small, span.text", "s1,a1,s2,a2");
    expect("#p2 , #p1", "p1,p2");
}

Test(css, structural_pseudo_classes)
{
    expect("li:first-child", "l1,single");
    expect("li:last-child", "l6,single");
    expect("li:only-child", "single");
    expect("ul li:nth-child(2)", "l2");
    expect("ul li:nth-child(odd)", "l1,l3,l5");
    expect("ul li:nth-child(even)", "l2,l4,l6");
    expect("ul li:nth-child(3n+1)", "l1,l4");
    expect("ul li:nth-child( -n + 3 )", "l1,l2,l3");
    expect("ul li:nth-child(n+5)", "l5,l6");
    expect("ul li:nth-last-child(2)", "l5");
    expect("ul li:nth-last-child(-n+2)", "l5,l6");
    expect("section p:first-of-type", "q1");
    expect("section h2:last-of-type", "h2");
    expect("section span:only-of-type", "only");
    expect("section p:nth-of-type(2)", "q2");
    expect("section h2:nth-last-of-type(2)", "h1");
    expect("p:empty", "p1,p4");
    expect("html:root", "root");
    expect(":root", "root");
}

Test(css, negation)
{
    expect("div.quote:not(.big)", "d2");
    expect("ul li:not(:nth-child(odd))", "l2,l4,l6");
    expect("section > :not(h2):not(span)", "q1,q2");
    expect("p:not([lang])", "p1,p2,p4,q1,q2");
}

Test(css, parsel_pseudo_elements)
{
    expect("span.text::text", "One,Two , tail");
    expect("a.tag::attr(href)", "/tag/x,/tag/y");
    expect("a.tag::ATTR( HREF )", "/tag/x,/tag/y");
    expect("small::text, a.tag::attr(href)", "Ann,/tag/x,/tag/y,Bob");
}

Test(css, escapes_in_names)
{
    expect("#\\64 1", "d1");
    expect(".\\71uote", "d1,d2");
}

static void rejected(const char *css, size_t pos, const char *fragment)
{
    char why[CSS_WHY_MAX], *xpath = (char *)1;
    size_t at = 999;

    cr_expect_eq(css_to_xpath(css, &xpath, &at, why, sizeof(why)), ERR_INVALID,
                 "'%s' accepted", css);
    cr_expect_null(xpath);
    cr_expect_eq(at, pos, "'%s': position %zu, expected %zu (%s)", css, at, pos,
                 why);
    cr_expect(strstr(why, fragment), "'%s': '%s' lacks '%s'", css, why,
              fragment);
}

Test(css, malformed_selectors_are_rejected_with_the_position)
{
    rejected("", 0, "expected a selector");
    rejected("div >", 5, "combinator must be followed");
    rejected("div,", 4, "expected a selector");
    rejected("a[href", 6, "expected ']'");
    rejected("a[href=]", 7, "expected a value");
    rejected("a[=x]", 2, "attribute name");
    rejected("a[href!=x]", 6, "operator");
    rejected("a[href='x]", 7, "unterminated string");
    rejected("div.", 4, "expected a name after '.'");
    rejected("#", 1, "expected a name after '#'");
    rejected("li:nth-child(x)", 13, "an+b");
    rejected("li:nth-child(2n+)", 16, "number after the sign");
    rejected("li:hover", 2, "unsupported pseudo-class ':hover'");
    rejected("li:has(a)", 2, "unsupported pseudo-class ':has()'");
    rejected(".a:first-of-type", 2, "needs an element name");
    rejected("span::before", 4, "unsupported pseudo-element");
    rejected("span::text b", 11, "must end the selector");
    rejected("p:not(::text)", 6, "inside :not()");
    rejected("p:not(a b)", 8, "expected ')'");
    rejected("div )", 4, "unexpected ')'");
    rejected("//div", 0, "unexpected '/'");
    rejected("a\\", 1, "backslash");
    /* XPath text cannot carry what is not an XML character. */
    rejected("a\x01", 1, "control character");
    rejected("a.\xff", 2, "not valid UTF-8");
    rejected("p[x='\xc3']", 5, "not valid UTF-8");
}

/* An escape of a character XPath cannot carry becomes U+FFFD (found by
 * the fuzzer: the XPath did not compile). */
Test(css, escaped_control_characters_become_replacement_characters)
{
    char why[CSS_WHY_MAX], *xpath = NULL;
    size_t pos;

    cr_assert_eq(css_to_xpath("#a\\3 1", &xpath, &pos, why, sizeof(why)),
                 ERR_OK);
    cr_assert_str_eq(xpath, "descendant-or-self::*[@id='a\xEF\xBF\xBD"
                            "1']");
    free(xpath);
}
