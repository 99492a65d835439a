/*
 * shop.h - the shop section of the local site: the shape of a real shop
 * that a spider must tell apart page by page.
 *
 *   /shop/                          home: the categories, blog, cart,
 *                                   account
 *   /shop/c/CAT/                    a category's list, page 1
 *   /shop/c/CAT/page/N/             list page N: SHOP_PER_PAGE product
 *                                   cards (article.card: h3.title a,
 *                                   span.price), a.next / a.prev, and
 *                                   facet links (?sort=..., ?colour=...)
 *                                   that answer the same list again
 *   /shop/p/SKU/                    a product: h1.title, span.price,
 *                                   span.sku, p.stock, ul.tags li,
 *                                   table.specs (th, td), nav.breadcrumbs,
 *                                   related products, a reviews link and
 *                                   an add-to-cart link
 *   /shop/p/SKU/reviews/            its reviews
 *   /shop/blog/, /shop/blog/N/      posts
 *   /shop/cart/..., /shop/account/  what a spider must never fetch
 *
 * Shared by the server and the tests, so the tests know every product
 * without fetching it.
 */
#ifndef SCRAPE_TEST_SHOP_H
#define SCRAPE_TEST_SHOP_H

#include <stddef.h>

#define SHOP_CATEGORIES 3
#define SHOP_PER_PAGE   6
#define SHOP_MAX_TAGS   3
#define SHOP_BLOG_POSTS 4

struct product {
    char sku[16];         /* "SKU-0001" */
    char name[96];        /* UTF-8, with an '&' in some */
    const char *category; /* its slug */
    unsigned price_cents;
    unsigned stock; /* 0: "Out of stock" */
    const char *tags[SHOP_MAX_TAGS];
    unsigned ntags;
    const char *colour; /* specs: colour, weight */
    unsigned weight_g;
};

/* The slug of category k (0-based). */
const char *shop_category(unsigned k);

/* Fills product i (0-based over the shop; category i % SHOP_CATEGORIES).
 * `per_category` products per category: i < SHOP_CATEGORIES *
 * per_category. */
void shop_get(unsigned i, struct product *out);

/* List pages of a category of `per_category` products. */
unsigned shop_list_pages(unsigned per_category);

/* Renders shop path `path` (query string included) of a shop with
 * `per_category` products per category: a new string (caller frees) with
 * its length, or NULL when `path` is not one (or out of memory). */
char *shop_render(const char *path, unsigned per_category, size_t *len);

#endif
