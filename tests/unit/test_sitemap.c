/* Unit tests for sitemap.c: the three formats, gzip, and what a broken
 * sitemap leaves behind. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <zlib.h>

#include "scrape/sitemap.h"

static void parse(const char *body, size_t len, size_t max, struct sitemap *sm)
{
    xmlInitParser();
    cr_assert_eq(sitemap_parse(body, len, max, sm), ERR_OK);
}

Test(sitemap, urlset_locs_trimmed_in_order)
{
    static const char xml[] =
        "\xEF\xBB\xBF<?xml version=\"1.0\"?>\n<urlset xmlns=\"http://www."
        "sitemaps.org/schemas/sitemap/0.9\" xmlns:image=\"http://www.google"
        ".com/schemas/sitemap-image/1.1\"><url><loc>\n  http://h/a  </loc>"
        "<image:image><image:loc>http://h/img.png</image:loc></image:image>"
        "</url><url><loc><![CDATA[http://h/b?x=1&y=2]]></loc></url>"
        "<url><loc>http://h/c&amp;d</loc></url></urlset>";
    struct sitemap sm;

    parse(xml, sizeof(xml) - 1, 1 << 20, &sm);
    cr_assert_eq(sm.kind, SITEMAP_URLSET);
    cr_assert_str_eq(sm.error, "");
    cr_assert_eq(sm.n, 3, "the image's loc is not a page");
    cr_assert_str_eq(sm.urls[0], "http://h/a");
    cr_assert_str_eq(sm.urls[1], "http://h/b?x=1&y=2");
    cr_assert_str_eq(sm.urls[2], "http://h/c&d");
    cr_assert_str_eq(sitemap_kind_name(sm.kind), "urlset");
    sitemap_release(&sm);
}

Test(sitemap, index_and_text)
{
    static const char idx[] = "<sitemapindex><sitemap><loc>/s1.xml</loc>"
                              "</sitemap></sitemapindex>";
    static const char txt[] = "http://h/1\r\n\n   \nhttp://h/2";
    struct sitemap sm;

    parse(idx, sizeof(idx) - 1, 1 << 20, &sm);
    cr_assert_eq(sm.kind, SITEMAP_INDEX);
    cr_assert_eq(sm.n, 1);
    cr_assert_str_eq(sm.urls[0], "/s1.xml");
    sitemap_release(&sm);
    parse(txt, sizeof(txt) - 1, 1 << 20, &sm);
    cr_assert_eq(sm.kind, SITEMAP_TEXT);
    cr_assert_eq(sm.n, 2);
    cr_assert_str_eq(sm.urls[1], "http://h/2");
    sitemap_release(&sm);
}

/* gzip: read by its magic bytes; past `max` decompressed, an error. */
Test(sitemap, gzip_and_its_cap)
{
    static const char xml[] =
        "<urlset><url><loc>http://h/z</loc></url></urlset>";
    unsigned char z[256];
    uLongf zn = sizeof(z);
    z_stream s;
    struct sitemap sm;
    char *big;
    size_t bign = 1 << 20;

    memset(&s, 0, sizeof(s));
    cr_assert_eq(
        deflateInit2(&s, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
    s.next_in = (Bytef *)xml;
    s.avail_in = sizeof(xml) - 1;
    s.next_out = z;
    s.avail_out = (uInt)zn;
    cr_assert_eq(deflate(&s, Z_FINISH), Z_STREAM_END);
    zn = sizeof(z) - s.avail_out;
    deflateEnd(&s);
    parse((const char *)z, zn, 1 << 20, &sm);
    cr_assert_eq(sm.n, 1);
    cr_assert_str_eq(sm.urls[0], "http://h/z");
    sitemap_release(&sm);
    /* Cut short: corrupt. */
    parse((const char *)z, zn / 2, 1 << 20, &sm);
    cr_assert_neq(sm.error[0], '\0');
    sitemap_release(&sm);
    /* A bomb: 1 MB of spaces against a 64 KB cap. */
    big = malloc(bign);
    cr_assert_not_null(big);
    memset(big, ' ', bign);
    memset(&s, 0, sizeof(s));
    cr_assert_eq(
        deflateInit2(&s, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
    {
        unsigned char *out = malloc(bign);
        size_t outn;
        s.next_in = (Bytef *)big;
        s.avail_in = (uInt)bign;
        s.next_out = out;
        s.avail_out = (uInt)bign;
        cr_assert_eq(deflate(&s, Z_FINISH), Z_STREAM_END);
        outn = bign - s.avail_out;
        deflateEnd(&s);
        parse((const char *)out, outn, 64 * 1024, &sm);
        cr_assert_not_null(strstr(sm.error, "over 65536 bytes"), "%s",
                           sm.error);
        cr_assert_eq(sm.n, 0);
        sitemap_release(&sm);
        free(out);
    }
    free(big);
}

/* Broken XML keeps what came before the damage; what is not a sitemap
 * says so; more than the protocol's 50,000 URLs are cut with a reason. */
Test(sitemap, broken_and_oversized)
{
    static const char cut[] = "<urlset><url><loc>http://h/1</loc></url>"
                              "<url><loc>http://h/2</loc></url><url><lo";
    static const char html[] = "<html><body>hi</body></html>";
    size_t n = SITEMAP_MAX_URLS + 10, i, len = 0;
    char *text = malloc(n * 16);
    struct sitemap sm;

    parse(cut, sizeof(cut) - 1, 1 << 20, &sm);
    cr_assert_eq(sm.n, 2);
    cr_assert_not_null(strstr(sm.error, "malformed XML"), "%s", sm.error);
    sitemap_release(&sm);
    parse(html, sizeof(html) - 1, 1 << 20, &sm);
    cr_assert_eq(sm.n, 0);
    cr_assert_str_eq(sm.error, "not a sitemap: the root element is <html>");
    sitemap_release(&sm);
    parse("  \n ", 4, 1 << 20, &sm);
    cr_assert_str_eq(sm.error, "empty sitemap");
    sitemap_release(&sm);
    cr_assert_not_null(text);
    for (i = 0; i < n; i++)
        len += (size_t)snprintf(text + len, n * 16 - len, "http://h/%zu\n", i);
    parse(text, len, 1 << 24, &sm);
    cr_assert_eq(sm.n, SITEMAP_MAX_URLS);
    cr_assert_not_null(strstr(sm.error, "more than 50000 URLs"), "%s",
                       sm.error);
    sitemap_release(&sm);
    free(text);
}
