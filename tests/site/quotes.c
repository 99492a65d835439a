/*
 * quotes.c - the quotes section (see quotes.h).
 */
#include "quotes.h"
#include "out.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *const authors[] = {"Albert Einstein",  "Jane Austen",
                                      "Marilyn Monroe",   "Andr\xC3\xA9 Gide",
                                      "Thomas A. Edison", "Eleanor Roosevelt",
                                      "Steve Martin"};
static const char *const tag_names[] = {
    "change", "deep-thoughts", "thinking", "world",        "life",
    "love",   "humor",         "books",    "inspirational"};
/* Pieces of text: non-ASCII, and characters the page must escape. */
static const char *const openings[] = {
    "The world as we have created it is a process of our thinking",
    "It is our choices, Harry, that show what we truly are",
    "There are only two ways to live your life",
    "The person, be it gentleman or lady, who has not pleasure in a good"
    " novel",
    "Imperfection is beauty, madness is genius & it's better to be"
    " absolutely ridiculous",
    "Try not to become a man of success < a man of value",
    "It is better to be hated for what you are than loved for what you are"
    " not \xE2\x80\x94 caf\xC3\xA9 na\xC3\xAFve Z\xC3\xBCrich",
    "I have not failed. I've just found 10,000 ways that won't work",
    "A woman is like a tea bag; you never know how strong it is \"until\""
    " it's in hot water",
    "A day without sunshine is like, you know, night \xE6\x97\xA5\xE6\x9C\xAC"};

void quotes_get(unsigned q, struct quote *out)
{
    unsigned k;

    memset(out, 0, sizeof(*out));
    snprintf(out->text, sizeof(out->text),
             "\xE2\x80\x9C%s (no. %u).\xE2\x80\x9D",
             openings[q % COUNT(openings)], q + 1);
    out->author = authors[(q / 3) % COUNT(authors)];
    out->ntags = q % (QUOTES_MAX_TAGS + 1);
    for (k = 0; k < out->ntags; k++)
        out->tags[k] = tag_names[(q * 2 + k) % COUNT(tag_names)];
}

void quotes_sitemap_pages(unsigned pages, unsigned k, unsigned *first,
                          unsigned *last)
{
    unsigned half = (pages + 1) / 2;

    *first = k == 1 ? 1 : half + 1;
    *last = k == 1 ? half : pages;
}

/* Writes `s` HTML-escaped; "é" as &eacute; and the first space as a
 * newline and indentation, which a scraper must fold back. */
static void put_text(struct out *o, const char *s)
{
    bool first_space = true;

    for (; *s && !o->failed; s++) {
        if (*s == '&')
            out_put(o, "&amp;");
        else if (*s == '<')
            out_put(o, "&lt;");
        else if (*s == '>')
            out_put(o, "&gt;");
        else if (*s == '\'')
            out_put(o, "&#39;");
        else if (*s == '"')
            out_put(o, "&quot;");
        else if (!strncmp(s, "\xC3\xA9", 2) && ++s)
            out_put(o, "&eacute;");
        else if (*s == ' ' && first_space && !(first_space = false))
            out_put(o, "\n        ");
        else
            out_put(o, "%c", *s);
    }
}

static void slug(const char *s, char *out, size_t n)
{
    size_t i = 0;

    for (; *s && i + 1 < n; s++)
        out[i++] = *s == ' ' || *s == '.' ? '-' : *s;
    out[i] = '\0';
}

static void head(struct out *o, const char *title)
{
    out_put(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"UTF-8\">"
        "\n<title>%s</title>\n</head>\n<body>\n<div class=\"container\">\n"
        "<div class=\"header-box\"><h1><a href=\"/quotes/\">Quotes to"
        " Scrape</a></h1><a href=\"/quotes/login\">Login</a></div>\n",
        title);
}

static void quote_div(struct out *o, unsigned q)
{
    struct quote qt;
    char s[128];
    unsigned k;

    quotes_get(q, &qt);
    slug(qt.author, s, sizeof(s));
    out_put(o, "<div class=\"quote\" itemscope itemtype=\"http://schema.org/"
               "CreativeWork\">\n    <span class=\"text\" itemprop=\"text\">");
    put_text(o, qt.text);
    out_put(
        o,
        "</span>\n    <span>by <small class=\"author\" itemprop=\"author\">");
    put_text(o, qt.author);
    out_put(o,
            "</small>\n    <a href=\"/quotes/author/%s/\">(about)</a>\n"
            "    </span>\n    <div class=\"tags\">\n        Tags:\n",
            s);
    for (k = 0; k < qt.ntags; k++)
        out_put(o,
                "        <a class=\"tag\" href=\"/quotes/tag/%s/page/1/\">%s"
                "</a>\n",
                qt.tags[k], qt.tags[k]);
    out_put(o, "    </div>\n</div>\n");
}

static void quote_page(struct out *o, unsigned page, unsigned pages)
{
    unsigned q;

    head(o, "Quotes to Scrape");
    for (q = (page - 1) * QUOTES_PER_PAGE; q < page * QUOTES_PER_PAGE; q++)
        quote_div(o, q);
    out_put(o, "<nav>\n<ul class=\"pager\">\n");
    if (page > 1)
        out_put(o,
                "<li class=\"previous\"><a href=\"/quotes/page/%u/\"><span"
                " aria-hidden=\"true\">&larr;</span> Previous</a></li>\n",
                page - 1);
    if (page < pages)
        out_put(o,
                "<li class=\"next\"><a href=\"/quotes/page/%u/\">Next <span"
                " aria-hidden=\"true\">&rarr;</span></a></li>\n",
                page + 1);
    out_put(o,
            "</ul>\n</nav>\n<div class=\"tags-box\"><h2>Top Ten tags</h2>\n");
    for (q = 0; q < 10 && q < COUNT(tag_names); q++)
        out_put(o,
                "<span class=\"tag-item\"><a class=\"tag\" href=\"/quotes/tag"
                "/%s/page/1/\">%s</a></span>\n",
                tag_names[q], tag_names[q]);
    out_put(o, "</div>\n</div>\n</body>\n</html>\n");
}

/* A tag's page: the first quotes carrying it (div.quote again). */
static void tag_page(struct out *o, const char *tag, unsigned pages)
{
    unsigned q, k, shown = 0;
    struct quote qt;

    head(o, "Quotes to Scrape");
    out_put(o,
            "<h3>Viewing tag: <a href=\"/quotes/tag/%.40s/page/1/\">%.40s</a>"
            "</h3>\n",
            tag, tag);
    for (q = 0; q < pages * QUOTES_PER_PAGE && shown < 5; q++) {
        quotes_get(q, &qt);
        for (k = 0; k < qt.ntags; k++)
            if (!strcmp(qt.tags[k], tag)) {
                quote_div(o, q);
                shown++;
                break;
            }
    }
    out_put(o, "</div>\n</body>\n</html>\n");
}

static void author_page(struct out *o, const char *who)
{
    head(o, "Quotes to Scrape");
    out_put(o,
            "<div class=\"author-details\"><h3 class=\"author-title\">%.80s"
            "</h3><p>Born somewhere.</p></div>\n</div>\n</body>\n</html>\n",
            who);
}

/* gzip of o's bytes, replacing them. */
static void gzip_out(struct out *o)
{
    size_t cap = o->len + 1024;
    unsigned char *z = malloc(cap);
    z_stream zs;

    memset(&zs, 0, sizeof(zs));
    if (!z || deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 9,
                           Z_DEFAULT_STRATEGY) != Z_OK) {
        free(z);
        o->failed = true;
        return;
    }
    zs.next_in = (unsigned char *)o->p;
    zs.avail_in = (uInt)o->len;
    zs.next_out = z;
    zs.avail_out = (uInt)cap;
    if (deflate(&zs, Z_FINISH) != Z_STREAM_END)
        o->failed = true;
    free(o->p);
    o->p = (char *)z;
    o->len = cap - zs.avail_out;
    deflateEnd(&zs);
}

static void sitemap(struct out *o, unsigned k, unsigned pages, unsigned port)
{
    unsigned first, last, n;

    quotes_sitemap_pages(pages, k, &first, &last);
    out_put(
        o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://"
           "www.sitemaps.org/schemas/sitemap/0.9\">\n");
    for (n = first; n <= last; n++)
        out_put(o,
                "  <url><loc>http://127.0.0.1:%u/quotes/page/%u/</loc>"
                "<changefreq>daily</changefreq></url>\n",
                port, n);
    out_put(o, "</urlset>\n");
}

static void sitemap_index(struct out *o, unsigned port)
{
    out_put(o,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<sitemapindex xmlns=\""
            "http://www.sitemaps.org/schemas/sitemap/0.9\">\n"
            "  <sitemap><loc>http://127.0.0.1:%u/quotes/sitemaps/1.xml.gz</loc>"
            "</sitemap>\n"
            "  <sitemap>\n    <loc>\n      http://127.0.0.1:%u/quotes/sitemaps/"
            "2.xml.gz\n    </loc>\n  </sitemap>\n</sitemapindex>\n",
            port, port);
}

char *quotes_render(const char *path, unsigned pages, unsigned port,
                    size_t *len, const char **ctype, int *gzip)
{
    struct out o = {NULL, 0, 0, false};
    unsigned long n = 0;
    char word[64], *end;

    *gzip = 0;
    *ctype = "text/html; charset=utf-8";
    if (strncmp(path, "/quotes/", 8) || !(o.p = malloc(o.cap = 8192)))
        return NULL;
    path += 8;
    if (!*path) {
        quote_page(&o, 1, pages);
    } else if (!strncmp(path, "page/", 5) &&
               (n = strtoul(path + 5, &end, 10)) >= 1 && n <= pages &&
               !strcmp(end, "/")) {
        quote_page(&o, (unsigned)n, pages);
    } else if (sscanf(path, "tag/%63[^/]/page/1/", word) == 1) {
        tag_page(&o, word, pages);
    } else if (sscanf(path, "author/%63[^/]/", word) == 1) {
        author_page(&o, word);
    } else if (!strcmp(path, "sitemap_index.xml")) {
        *ctype = "application/xml";
        sitemap_index(&o, port);
    } else if ((!strcmp(path, "sitemaps/1.xml.gz") && (n = 1)) ||
               (!strcmp(path, "sitemaps/2.xml.gz") && (n = 2))) {
        *ctype = "application/x-gzip";
        sitemap(&o, (unsigned)n, pages, port);
        gzip_out(&o);
        *gzip = 1;
    } else {
        free(o.p);
        return NULL;
    }
    if (o.failed) {
        free(o.p);
        return NULL;
    }
    *len = o.len;
    return o.p;
}
