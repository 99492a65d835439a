/*
 * out.c - the site's page buffer (see out.h).
 */
#include "out.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void out_put(struct out *o, const char *fmt, ...)
{
    va_list ap;
    int n;

    for (;;) {
        va_start(ap, fmt);
        n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
        va_end(ap);
        if (n < 0 || o->failed) {
            o->failed = true;
            return;
        }
        if ((size_t)n < o->cap - o->len) {
            o->len += (size_t)n;
            return;
        }
        {
            size_t cap = (o->cap + (size_t)n) * 2;
            char *np = realloc(o->p, cap);
            if (!np) {
                o->failed = true;
                return;
            }
            o->p = np;
            o->cap = cap;
        }
    }
}

void out_escaped(struct out *o, const char *s)
{
    for (; *s && !o->failed; s++) {
        if (*s == '&')
            out_put(o, "&amp;");
        else if (*s == '<')
            out_put(o, "&lt;");
        else if (*s == '>')
            out_put(o, "&gt;");
        else
            out_put(o, "%c", *s);
    }
}
