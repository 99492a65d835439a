/*
 * json.h - JSON string literals and arrays: for item records and list
 * fields (store_json.c), the command line kept for --resume (cli.c) and
 * scrape serve's JSON API (serve_api.c).
 *
 * Input strings are UTF-8 (every string from a page went through
 * utf8_clean); '"', '\' and control characters are escaped, everything
 * else is copied.  Pure.
 */
#ifndef SCRAPE_JSON_H
#define SCRAPE_JSON_H

#include "scrape/buf.h"
#include "scrape/err.h"

/* Appends `s` as a JSON string literal (with its quotes). */
enum err json_add_string(struct buf *b, const char *s);

/* Appends the JSON array of the `n` strings in `v`. */
enum err json_add_array(struct buf *b, char *const *v, size_t n);

#endif
