/*
 * json.c - JSON string and array literals (see json.h).
 */
#include "scrape/json.h"

#include <string.h>

enum err json_add_string(struct buf *b, const char *s)
{
    enum err e = buf_add(b, "\"", 1);
    const char *run = s;

    /* Copies runs of plain bytes at once; escapes the rest. */
    for (; *s && !e; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        if (s > run)
            e = buf_add(b, run, (size_t)(s - run));
        if (e)
            break;
        if (c == '"' || c == '\\')
            e = buf_addf(b, "\\%c", c);
        else if (c == '\n')
            e = buf_add(b, "\\n", 2);
        else if (c == '\t')
            e = buf_add(b, "\\t", 2);
        else if (c == '\r')
            e = buf_add(b, "\\r", 2);
        else
            e = buf_addf(b, "\\u%04x", c);
        run = s + 1;
    }
    if (!e && s > run)
        e = buf_add(b, run, (size_t)(s - run));
    return e ? e : buf_add(b, "\"", 1);
}

enum err json_add_array(struct buf *b, char *const *v, size_t n)
{
    enum err e = buf_add(b, "[", 1);
    size_t i;

    for (i = 0; i < n && !e; i++) {
        if (i)
            e = buf_add(b, ",", 1);
        if (!e)
            e = json_add_string(b, v[i]);
    }
    return e ? e : buf_add(b, "]", 1);
}
