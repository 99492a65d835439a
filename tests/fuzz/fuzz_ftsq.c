/*
 * libFuzzer target: the FTS5 query parser and evaluator (ftsq.c).  Checks,
 * besides memory safety: an accepted query relaxes to a non-empty query
 * and can be evaluated on a row; a rejected one says why and where.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scrape/ftsq.h"

#include "../unit/ascii_tok.h"

static const char *const cols[] = {"title", "body"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *t0[] = {"a", "b"}, *t1[] = {"a", "b", "c", "a", "d"};
    static size_t l0[] = {1, 1}, l1[] = {1, 1, 1, 1, 1};
    struct ftsq_doc doc = {.ntok = {2, 5}, .tok = {t0, t1}, .len = {l0, l1}};
    struct ftsq *q = NULL;
    struct buf out;
    char why[256], *text;
    enum err e;

    if (size > 4096 || memchr(data, '\0', size))
        return 0;
    if (!(text = strndup((const char *)data, size)))
        abort();
    why[0] = '\0';
    e = ftsq_parse(text, cols, 2, ascii_tok, NULL, &q, why, sizeof(why));
    if (e == ERR_OK) {
        buf_init(&out, 1 << 24);
        if (ftsq_relaxed(q, &out) != ERR_OK || !out.len)
            abort();
        (void)ftsq_match(q, &doc);
        buf_release(&out);
        ftsq_free(q);
    } else if (e != ERR_INVALID || !strstr(why, "at position")) {
        abort();
    }
    free(text);
    return 0;
}
