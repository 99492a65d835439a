/*
 * site.c - deterministic generation of the bookstore site (see site.h).
 */
#include "site.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const adjectives[] = {
    "Silent", "Crimson", "Hidden", "Golden", "Broken",  "Distant", "Quiet",
    "Wild",   "Secret",  "Last",   "Frozen", "Burning", "Lost",    "Iron"};
static const char *const nouns[] = {
    "River", "Garden",  "Empire", "Harbour", "Mountain", "Library", "Forest",
    "Tower", "Kingdom", "Letter", "Island",  "Machine",  "Winter",  "Song"};
static const char *const ratings[] = {"One", "Two", "Three", "Four", "Five"};
static const char *const words[] = {
    "the",    "reader",  "story",  "journey", "of",     "a",      "young",
    "writer", "who",     "finds",  "old",     "maps",   "and",    "hidden",
    "truths", "across",  "cities", "seas",    "during", "long",   "nights",
    "with",   "friends", "under",  "strange", "skies",  "beyond", "time"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Small deterministic PRNG so every server renders the same site. */
static unsigned next_rand(unsigned *state)
{
    *state = *state * 1103515245u + 12345u;
    return (*state >> 16) & 0x7fff;
}

void site_path(unsigned i, char *out, size_t n)
{
    if (i == 0)
        snprintf(out, n, "/index.html");
    else
        snprintf(out, n, "/book/%u.html", i);
}

void site_title(unsigned i, char *out, size_t n)
{
    if (i == 0)
        snprintf(out, n, "Scrape Books - All products");
    else
        snprintf(out, n, "%s %s, volume %u | Scrape Books",
                 adjectives[i % COUNT(adjectives)],
                 nouns[(i / COUNT(adjectives)) % COUNT(nouns)], i);
}

void site_price(unsigned i, char *out, size_t n)
{
    i = site_text_of(i);
    snprintf(out, n, "\xC2\xA3%u.%02u", 10 + (i * 7919) % 90, (i * 31) % 100);
}

unsigned site_depth(unsigned i, unsigned fanout)
{
    unsigned d = 0;

    while (i > 0) {
        i = (i - 1) / fanout;
        d++;
    }
    return d;
}

unsigned site_slow_page(unsigned level, unsigned fanout)
{
    unsigned i = level, k;

    for (k = 1; k < level; k++)
        i = i * fanout + 1;
    return i;
}

unsigned site_slow_level(unsigned i, unsigned fanout, unsigned levels)
{
    unsigned k;

    for (k = 1; k <= levels && k <= fanout; k++)
        if (site_slow_page(k, fanout) == i)
            return k;
    return 0;
}

int site_has_external(unsigned i)
{
    return i % 50 == 0;
}

struct out {
    char *p;
    size_t len, cap;
    int failed;
};

/* Makes room for n more bytes and a NUL; false (and o->failed) when out
 * of memory. */
static bool reserve(struct out *o, size_t n)
{
    size_t ncap;
    char *np;

    if (o->cap - o->len > n)
        return true;
    ncap = (o->cap + n) * 2;
    np = realloc(o->p, ncap);
    if (!np) {
        o->failed = 1;
        return false;
    }
    o->p = np;
    o->cap = ncap;
    return true;
}

static void put(struct out *o, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (o->failed)
        return;
    for (;;) {
        va_start(ap, fmt);
        n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            o->failed = 1;
            return;
        }
        if ((size_t)n < o->cap - o->len || !reserve(o, (size_t)n))
            break;
    }
    if (!o->failed)
        o->len += (size_t)n;
}

/* Links to a related page in one of several equivalent spellings. */
static void related_link(struct out *o, const struct site_opts *s, unsigned r,
                         unsigned style)
{
    char path[64];

    site_path(r, path, sizeof(path));
    switch (style % 6) {
    case 0:
        put(o, "<a href=\"%s#reviews\">related</a>\n", path);
        break;
    case 1:
        put(o, "<a href=\"../book/./../%s\">related</a>\n", path + 1);
        break;
    case 2:
        put(o, "<a href=\"HTTP://127.0.0.1:%u%s\">related</a>\n", s->port,
            path);
        break;
    case 3:
        /* %2F stays encoded; %6F is 'o' and must be decoded. */
        put(o, "<a href=\"/b%%6Fok/../%s\">related</a>\n",
            r ? path + 1 : "index.html");
        break;
    case 4:
        put(o, "<a href=\"  %s \">related</a>\n", path);
        break;
    default:
        put(o, "<a href=\"http://127.0.0.1:%u/./%s\">related</a>\n", s->port,
            path + 1);
        break;
    }
}

static void head(struct out *o, const struct site_opts *s, unsigned i)
{
    char title[128], path[64];

    site_title(i, title, sizeof(title));
    site_path(i, path, sizeof(path));
    put(o,
        "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n"
        "<meta charset=\"utf-8\">\n<title>%s</title>\n"
        "<meta name=\"description\" content=\"Book %u of the Scrape Books"
        " catalogue\">\n"
        "<link rel=\"canonical\" href=\"http://127.0.0.1:%u%s\">\n"
        "<style>body { font-family: serif; } .price { color: green; }"
        "</style>\n<script>var hidden = 'these words are not visible';"
        "</script>\n</head>\n",
        i % 3 ? "en" : "en-GB", title, i, s->port, path);
}

static void links(struct out *o, const struct site_opts *s, unsigned i)
{
    unsigned k, seed = i * 2654435761u + 1;
    char path[64];

    put(o, "<ul class=\"nav\">\n<li><a href=\"/index.html\">Home</a></li>\n");
    if (i > 0) {
        site_path((i - 1) / s->fanout, path, sizeof(path));
        put(o, "<li><a href=\"%s\">Up</a></li>\n", path);
    }
    put(o, "</ul>\n<ol class=\"books\">\n");
    for (k = 1; k <= s->fanout; k++) {
        unsigned long c = (unsigned long)i * s->fanout + k;
        if (c >= s->pages)
            break;
        site_path((unsigned)c, path, sizeof(path));
        /* Relative from /book/, root-relative from the index. */
        /* Link text without the number: near-copies differ in links,
         * not in visible text. */
        if (i == 0)
            put(o, "<li><a href=\"%s\">a book</a></li>\n", path + 1);
        else
            put(o, "<li><a href=\"%lu.html\">a book</a></li>\n", c);
    }
    put(o, "</ol>\n<div class=\"related\">\n");
    for (k = 0; k < 3; k++)
        related_link(o, s, next_rand(&seed) % s->pages, i + k);
    put(o, "</div>\n");
    if (site_has_external(i))
        put(o,
            "<p class=\"elsewhere\"><a href=\"http://localhost:%u/book/1"
            ".html\">mirror</a> <a href=\"mailto:shop@example.com\">mail"
            "</a> <a href=\"javascript:void(0)\">js</a></p>\n",
            s->port);
}

/* Appends raw bytes; the filler text is most of a page, and formatting
 * it word by word made the server, not the crawler, the bottleneck. */
static void put_raw(struct out *o, const char *s, size_t n)
{
    if (o->failed || !reserve(o, n))
        return;
    memcpy(o->p + o->len, s, n);
    o->len += n;
    o->p[o->len] = '\0';
}

unsigned site_text_of(unsigned i)
{
    return i % 100 == 99 ? i - 1 : i;
}

static void body_text(struct out *o, const struct site_opts *s, unsigned i)
{
    unsigned seed = site_text_of(i) + 7;

    put(o, "<div class=\"description\">\n");
    /* A near-copy says one word more than its original. */
    if (site_text_of(i) != i)
        put(o, "<p>revised</p>\n");
    /* A word no other page has, for search tests. */
    if (i == 42)
        put(o, "<p>zanzibar</p>\n");
    while (o->len + 200 < s->page_size && !o->failed) {
        unsigned n = 20 + next_rand(&seed) % 40, w;
        put_raw(o, "<p>", 3);
        for (w = 0; w < n; w++) {
            const char *word = words[next_rand(&seed) % COUNT(words)];
            if (w)
                put_raw(o, " ", 1);
            put_raw(o, word, strlen(word));
        }
        put_raw(o, ".</p>\n", 6);
    }
    put(o, "</div>\n");
}

/* Appends n filler words. */
static void words_n(struct out *o, unsigned *seed, unsigned n)
{
    unsigned w;

    for (w = 0; w < n; w++) {
        const char *word = words[next_rand(seed) % COUNT(words)];
        if (w)
            put_raw(o, " ", 1);
        put_raw(o, word, strlen(word));
    }
}

/* The CPU-heavy body: review threads nested eight deep, tables and lists,
 * with a link to another book about every 1.2 KB (like a real catalogue
 * page of ~1 MB: ~850 links). */
static void body_nested(struct out *o, const struct site_opts *s, unsigned i)
{
    unsigned seed = i + 11, r = 0;
    char path[64];

    put(o, "<div id=\"reviews\" class=\"reviews\">\n");
    while (o->len + 2000 < s->page_size && !o->failed) {
        unsigned d, target = next_rand(&seed) % s->pages;
        site_path(target, path, sizeof(path));
        put(o,
            "<article class=\"review\" id=\"r%u\"><header><span "
            "class=\"user\">reader%u</span> <time>2026-%02u-%02u</time>"
            "</header>\n",
            r, next_rand(&seed) % 1000, 1 + r % 12, 1 + r % 28);
        for (d = 0; d < 8; d++)
            put(o, "<div class=\"level%u\"><span>", d);
        words_n(o, &seed, 20 + next_rand(&seed) % 30);
        put(o, " <a href=\"%s\">see also</a> ", path);
        words_n(o, &seed, 20 + next_rand(&seed) % 30);
        for (d = 0; d < 8; d++)
            put_raw(o, "</span></div>", 13);
        put(o,
            "\n<table class=\"specs\"><tr><th>pages</th><td>%u</td>"
            "</tr><tr><th>format</th><td>paperback</td></tr></table>\n"
            "<ul class=\"tags\"><li>",
            100 + next_rand(&seed) % 900);
        words_n(o, &seed, 3);
        put(o, "</li><li>");
        words_n(o, &seed, 3);
        put(o, "</li></ul></article>\n");
        r++;
    }
    put(o, "</div>\n");
}

char *site_render(const struct site_opts *s, unsigned i, size_t *len)
{
    struct out o = {0};
    char title[128], price[32];

    o.cap = s->page_size + 4096;
    o.p = malloc(o.cap);
    if (!o.p)
        return NULL;
    /* Visible text comes from the page whose text this one copies (a
     * near-copy shows its original's heading, price and stock). */
    site_title(site_text_of(i), title, sizeof(title));
    site_price(i, price, sizeof(price));
    head(&o, s, i);
    put(&o, "<body>\n<h1>%.*s</h1>\n", (int)strcspn(title, "|"), title);
    put(&o,
        "<p class=\"price\">%s</p>\n<p class=\"star-rating %s\">rated</p>\n"
        "<p class=\"availability\">In stock (%u available)</p>\n",
        price, ratings[site_text_of(i) % COUNT(ratings)],
        1 + site_text_of(i) % 20);
    links(&o, s, i);
    if (s->nested)
        body_nested(&o, s, i);
    else
        body_text(&o, s, i);
    put(&o, "</body>\n</html>\n");
    if (o.failed) {
        free(o.p);
        return NULL;
    }
    *len = o.len;
    return o.p;
}
