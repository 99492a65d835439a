/*
 * charset.h - the encoding of an HTML response, and its bytes as UTF-8.
 *
 * The Content-Type charset wins, then a <meta> charset in the first 1024
 * bytes, then a byte-order mark, then a UTF-8 check, then uchardet's
 * guess, else windows-1252 (the WHATWG default for unlabelled Western
 * pages); labels go through the WHATWG aliases (latin1 is
 * windows-1252).  Pure: no state, safe from any thread.
 */
#ifndef SCRAPE_CHARSET_H
#define SCRAPE_CHARSET_H

#include <stddef.h>

#include "scrape/err.h"

/* Longest charset label considered (out must hold CHARSET_MAX + 1). */
#define CHARSET_MAX 40

/* Chooses the encoding to decode `body` with (Content-Type `ct`, may be
 * NULL); writes its name to `out`. */
void charset_pick(const char *ct, const char *body, size_t len, char *out);

/* Hands libxml2 valid UTF-8 only: libxml2 (through iconv) stops at the
 * first byte it cannot decode, which would silently cut the page short.
 * Decodes `charset` here instead, replacing bad bytes with U+FFFD; on
 * return *body and *len give the bytes to parse, and *decoded owns them
 * (caller frees) when they were converted.  ERR_NOMEM. */
enum err charset_to_utf8(const char *charset, const char **body, size_t *len,
                         char **decoded);

#endif
