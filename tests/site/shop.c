/*
 * shop.c - the shop section (see shop.h).
 */
#include "shop.h"
#include "out.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *const categories[SHOP_CATEGORIES] = {"kettles", "lamps",
                                                        "chairs"};
static const char *const adjectives[] = {
    "Quiet", "Copper", "Nordic", "Tall", "Caf\xC3\xA9", "Folding", "Oak"};
static const char *const tag_names[] = {"new", "sale", "eco", "bestseller",
                                        "gift"};
static const char *const colours[] = {"red", "blue", "green", "black"};

const char *shop_category(unsigned k)
{
    return categories[k % SHOP_CATEGORIES];
}

void shop_get(unsigned i, struct product *out)
{
    const char *cat = categories[i % SHOP_CATEGORIES];
    unsigned k;

    memset(out, 0, sizeof(*out));
    snprintf(out->sku, sizeof(out->sku), "SKU-%04u", i + 1);
    /* Every fifth name holds an '&', which the page escapes. */
    snprintf(out->name, sizeof(out->name), "%s %.*s%s no. %u",
             adjectives[i % COUNT(adjectives)], (int)strlen(cat) - 1, cat,
             i % 5 == 0 ? " & co" : "", i + 1);
    out->category = cat;
    out->price_cents = 999 + (i * 731) % 20000;
    out->stock = i % 7 == 0 ? 0 : (i * 3) % 17 + 1;
    out->ntags = i % (SHOP_MAX_TAGS + 1);
    for (k = 0; k < out->ntags; k++)
        out->tags[k] = tag_names[(i + k * 2) % COUNT(tag_names)];
    out->colour = colours[i % COUNT(colours)];
    out->weight_g = 250 + (i * 37) % 4000;
}

unsigned shop_list_pages(unsigned per_category)
{
    return per_category ? (per_category + SHOP_PER_PAGE - 1) / SHOP_PER_PAGE
                        : 1;
}

/* The site's header: navigation a spider must not take for content. */
static void head(struct out *o, const char *title)
{
    unsigned k;

    out_put(o,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<title>");
    out_escaped(o, title);
    out_put(o,
            " | Scrape Shop</title></head><body>\n<header><nav class=\"menu\">"
            "<a href=\"/shop/\">Home</a>");
    for (k = 0; k < SHOP_CATEGORIES; k++)
        out_put(o, " <a href=\"/shop/c/%s/\">%s</a>", categories[k],
                categories[k]);
    out_put(o,
            " <a href=\"/shop/blog/\">Blog</a> <a href=\"/shop/cart/\">Cart</a>"
            " <a href=\"/shop/account/\">Account</a></nav></header>\n<main>\n");
}

static void foot(struct out *o)
{
    out_put(o, "</main>\n<footer><a href=\"/shop/account/login\">Sign in</a>"
               "</footer></body></html>\n");
}

static void price(struct out *o, unsigned cents)
{
    out_put(o, "<span class=\"price\">\xC2\xA3%u.%02u</span>", cents / 100,
            cents % 100);
}

static void home(struct out *o)
{
    unsigned k;

    head(o, "Scrape Shop");
    out_put(o, "<h1>Scrape Shop</h1>\n<ul class=\"categories\">");
    for (k = 0; k < SHOP_CATEGORIES; k++)
        out_put(o, "<li><a class=\"category\" href=\"/shop/c/%s/\">%s</a></li>",
                categories[k], categories[k]);
    out_put(o, "</ul>\n");
    foot(o);
}

/* List page n of category k, with its cards, pagination and facets. */
static void list_page(struct out *o, unsigned k, unsigned n,
                      unsigned per_category)
{
    unsigned pages = shop_list_pages(per_category), j, i;
    char title[64];

    snprintf(title, sizeof(title), "%s, page %u", categories[k], n);
    head(o, title);
    out_put(o, "<h1>%s</h1>\n<div class=\"facets\">", categories[k]);
    out_put(o,
            "<a href=\"/shop/c/%s/page/%u/?sort=price\">by price</a> "
            "<a href=\"/shop/c/%s/page/%u/?sort=name\">by name</a>",
            categories[k], n, categories[k], n);
    for (j = 0; j < COUNT(colours); j++)
        out_put(o, " <a href=\"/shop/c/%s/page/%u/?colour=%s\">%s</a>",
                categories[k], n, colours[j], colours[j]);
    out_put(o, "</div>\n<section class=\"products\">\n");
    for (j = (n - 1) * SHOP_PER_PAGE; j < n * SHOP_PER_PAGE && j < per_category;
         j++) {
        struct product p;
        i = j * SHOP_CATEGORIES + k;
        shop_get(i, &p);
        out_put(o,
                "<article class=\"card\"><h3 class=\"title\"><a href=\"/shop/"
                "p/%s/\">",
                p.sku);
        out_escaped(o, p.name);
        out_put(o, "</a></h3>");
        price(o, p.price_cents);
        out_put(o,
                "<a class=\"add\" href=\"/shop/cart/add?sku=%s\">Add to"
                " cart</a></article>\n",
                p.sku);
    }
    out_put(o, "</section>\n<nav class=\"pager\">");
    if (n > 1)
        out_put(o,
                "<a class=\"prev\" rel=\"prev\" href=\"/shop/c/%s/page/%u/\">"
                "previous</a> ",
                categories[k], n - 1);
    if (n < pages)
        out_put(o,
                "<a class=\"next\" rel=\"next\" href=\"/shop/c/%s/page/%u/\">"
                "next</a>",
                categories[k], n + 1);
    out_put(o, "</nav>\n");
    foot(o);
}

static void product_page(struct out *o, unsigned i, unsigned per_category)
{
    unsigned total = SHOP_CATEGORIES * per_category, k;
    struct product p;

    shop_get(i, &p);
    head(o, p.name);
    out_put(o,
            "<nav class=\"breadcrumbs\"><a href=\"/shop/\">Home</a> &gt; "
            "<a href=\"/shop/c/%s/\">%s</a></nav>\n<h1 class=\"title\">",
            p.category, p.category);
    out_escaped(o, p.name);
    out_put(o, "</h1>\n");
    price(o, p.price_cents);
    out_put(o, " <span class=\"sku\">%s</span>\n<p class=\"stock\">", p.sku);
    if (p.stock)
        out_put(o, "In stock (%u available)", p.stock);
    else
        out_put(o, "Out of stock");
    out_put(o, "</p>\n<ul class=\"tags\">");
    for (k = 0; k < p.ntags; k++)
        out_put(o, "<li>%s</li>", p.tags[k]);
    out_put(o,
            "</ul>\n<table class=\"specs\"><tr><th>Colour</th><td>%s</td></tr>"
            "<tr><th>Weight</th><td>%u g</td></tr></table>\n",
            p.colour, p.weight_g);
    out_put(o,
            "<a class=\"reviews\" href=\"/shop/p/%s/reviews/\">Reviews</a> "
            "<a class=\"add\" href=\"/shop/cart/add?sku=%s\">Add to cart</a>\n"
            "<aside class=\"related\"><h2>Related</h2>",
            p.sku, p.sku);
    for (k = 1; k <= 3 && total > 1; k++) {
        struct product r;
        shop_get((i + k * SHOP_CATEGORIES) % total, &r);
        out_put(o, "<a class=\"related\" href=\"/shop/p/%s/\">", r.sku);
        out_escaped(o, r.name);
        out_put(o, "</a> ");
    }
    out_put(o, "</aside>\n");
    foot(o);
}

static void simple_page(struct out *o, const char *title, const char *text)
{
    head(o, title);
    out_put(o, "<h1>%s</h1><p>%s</p>\n", title, text);
    foot(o);
}

/* The product index SKU-NNNN names, or -1. */
static long sku_index(const char *s, const char **rest, unsigned total)
{
    char *end;
    unsigned long n;

    if (strncmp(s, "SKU-", 4))
        return -1;
    n = strtoul(s + 4, &end, 10);
    if (end != s + 8 || n < 1 || n > total)
        return -1;
    *rest = end;
    return (long)n - 1;
}

char *shop_render(const char *path, unsigned per_category, size_t *len)
{
    struct out o = {NULL, 0, 0, false};
    unsigned total = SHOP_CATEGORIES * per_category, k, n;
    const char *rest;
    char tail[64];
    long i;

    if (strncmp(path, "/shop/", 6) || !(o.p = malloc(o.cap = 8192)))
        return NULL;
    path += 6;
    /* Facets answer the list again: the query does not change it. */
    snprintf(tail, sizeof(tail), "%s", path);
    if (strchr(tail, '?') && !strncmp(path, "c/", 2))
        *strchr(tail, '?') = '\0';
    if (!*tail) {
        home(&o);
    } else if (!strncmp(tail, "c/", 2)) {
        for (k = 0; k < SHOP_CATEGORIES; k++) {
            size_t cl = strlen(categories[k]);
            if (strncmp(tail + 2, categories[k], cl) || tail[2 + cl] != '/')
                continue;
            rest = tail + 3 + cl;
            n = 0;
            if (!*rest)
                n = 1;
            else if (sscanf(rest, "page/%u/", &n) != 1 ||
                     strchr(rest + 5, '/') != rest + strlen(rest) - 1)
                n = 0;
            if (n >= 1 && n <= shop_list_pages(per_category)) {
                list_page(&o, k, n, per_category);
                break;
            }
        }
        if (k == SHOP_CATEGORIES || !o.len)
            goto none;
    } else if (!strncmp(tail, "p/", 2) &&
               (i = sku_index(tail + 2, &rest, total)) >= 0) {
        if (!strcmp(rest, "/"))
            product_page(&o, (unsigned)i, per_category);
        else if (!strcmp(rest, "/reviews/"))
            simple_page(&o, "Reviews", "Four stars, would boil again.");
        else
            goto none;
    } else if (!strcmp(tail, "blog/")) {
        head(&o, "Blog");
        out_put(&o, "<h1>Blog</h1>");
        for (n = 1; n <= SHOP_BLOG_POSTS; n++)
            out_put(&o,
                    " <a class=\"post\" href=\"/shop/blog/%u/\">Post %u</a>", n,
                    n);
        foot(&o);
    } else if (sscanf(tail, "blog/%u/", &n) == 1 && n >= 1 &&
               n <= SHOP_BLOG_POSTS) {
        simple_page(&o, "A post", "News from the shop.");
    } else if (!strncmp(tail, "cart/", 5) || !strncmp(tail, "account/", 8)) {
        simple_page(&o, "Your basket", "Sign in to continue.");
    } else {
        goto none;
    }
    if (o.failed)
        goto none;
    *len = o.len;
    return o.p;
none:
    free(o.p);
    return NULL;
}
