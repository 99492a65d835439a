/*
 * out.h - a growing text buffer the site's generated sections (quotes.c,
 * shop.c) write their pages into.
 */
#ifndef SCRAPE_TEST_OUT_H
#define SCRAPE_TEST_OUT_H

#include <stdbool.h>
#include <stddef.h>

struct out {
    char *p; /* malloc'd by the caller, grown here */
    size_t len, cap;
    bool failed; /* out of memory: the page is dropped */
};

/* Appends printf-style text. */
void out_put(struct out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Appends `s` with &, < and > escaped. */
void out_escaped(struct out *o, const char *s);

#endif
