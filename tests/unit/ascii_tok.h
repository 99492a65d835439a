/*
 * ascii_tok.h - a stand-in for FTS5's unicode61 tokenizer in the ftsq
 * tests and fuzzer: runs of ASCII letters and digits, lower-cased.
 */
#ifndef SCRAPE_TEST_ASCII_TOK_H
#define SCRAPE_TEST_ASCII_TOK_H

#include <ctype.h>
#include <stddef.h>

static int ascii_tok(void *tctx, const char *text, size_t len,
                     int (*emit)(void *ectx, const char *tok, size_t n),
                     void *ectx)
{
    char w[64];
    size_t i = 0, n;

    (void)tctx;
    while (i < len) {
        if (!isalnum((unsigned char)text[i])) {
            i++;
            continue;
        }
        for (n = 0; i < len && isalnum((unsigned char)text[i]); i++)
            if (n < sizeof(w))
                w[n++] = (char)tolower((unsigned char)text[i]);
        if (emit(ectx, w, n))
            return 1;
    }
    return 0;
}

#endif
