/*
 * utf8.h - UTF-8 validation and repair.
 *
 * Every string scrape stores must be valid UTF-8 (the database promise),
 * whatever bytes a server sent.  Pure functions; thread-safe.
 */
#ifndef SCRAPE_UTF8_H
#define SCRAPE_UTF8_H

#include <stdbool.h>
#include <stddef.h>

#include "scrape/err.h"

/* True when s[0..n) is well-formed UTF-8 (no overlongs, no surrogates,
 * nothing above U+10FFFF). */
bool utf8_valid(const char *s, size_t n);

/* Returns a new NUL-terminated copy of s[0..n) with each invalid sequence
 * and each NUL byte replaced by U+FFFD and, when `collapse` is set, runs
 * of whitespace folded to one space and the ends trimmed.  Caller frees;
 * NULL when out of memory. */
char *utf8_clean(const char *s, size_t n, bool collapse);

/* Decodes windows-1252 bytes to UTF-8 the WHATWG way (the five bytes
 * 1252 leaves undefined map to the C1 controls, so decoding never fails,
 * unlike iconv's).  Returns a new NUL-terminated string and its length in
 * *out_len; caller frees; NULL when out of memory. */
char *utf8_from_cp1252(const char *s, size_t n, size_t *out_len);

/* Converts `n` bytes in `charset` to UTF-8 with iconv, replacing each
 * byte iconv cannot decode with U+FFFD and going on, so a bad byte never
 * truncates a page.  Sets *out (new string, caller frees) and *out_len.
 * Returns ERR_INVALID for a charset iconv does not know, ERR_NOMEM. */
enum err utf8_convert(const char *charset, const char *s, size_t n, char **out,
                      size_t *out_len);

#endif
