/*
 * buf.c - growable byte buffer with a hard cap (see buf.h for invariants).
 */
#include "scrape/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* First real allocation; small enough for header lines, large enough that
 * a 20 KB page needs only a handful of doublings. */
#define BUF_MIN_ALLOC 256

static char empty_data[1];

void buf_init(struct buf *b, size_t max)
{
    b->data = empty_data;
    b->len = 0;
    b->cap = 0;
    b->max = max;
    b->fixed = false;
}

void buf_init_fixed(struct buf *b, char *mem, size_t size)
{
    b->data = mem;
    b->len = 0;
    b->cap = size;
    b->max = size - 1;
    b->fixed = true;
    mem[0] = '\0';
}

void buf_release(struct buf *b)
{
    if (b->fixed) {
        buf_reset(b);
        return;
    }
    if (b->cap)
        free(b->data);
    buf_init(b, b->max);
}

void buf_reset(struct buf *b)
{
    b->len = 0;
    if (b->cap)
        b->data[0] = '\0';
}

enum err buf_grow(struct buf *b, size_t extra)
{
    size_t need, ncap;
    char *p;

    if (extra > b->max - b->len) {
        buf_release(b);
        return ERR_TOO_LARGE;
    }
    need = b->len + extra + 1;
    if (need <= b->cap)
        return ERR_OK;
    ncap = b->cap ? b->cap : BUF_MIN_ALLOC;
    while (ncap < need)
        ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
    /* Never allocate much beyond what max allows. */
    if (ncap > b->max + 1)
        ncap = b->max + 1;
    p = b->cap ? realloc(b->data, ncap) : malloc(ncap);
    if (!p)
        return ERR_NOMEM;
    if (!b->cap)
        p[0] = '\0';
    b->data = p;
    b->cap = ncap;
    return ERR_OK;
}

enum err buf_add(struct buf *b, const void *data, size_t n)
{
    enum err e = buf_grow(b, n);

    if (e)
        return e;
    if (n)
        memcpy(b->data + b->len, data, n);
    b->len += n;
    if (b->cap)
        b->data[b->len] = '\0';
    return ERR_OK;
}

enum err buf_adds(struct buf *b, const char *s)
{
    return buf_add(b, s, strlen(s));
}

enum err buf_addf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;
    enum err e;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return ERR_INVALID;
    e = buf_grow(b, (size_t)n);
    if (e)
        return e;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return ERR_OK;
}

char *buf_detach(struct buf *b, size_t *len_out)
{
    char *s;

    if (len_out)
        *len_out = b->len;
    if (!b->cap || b->fixed) {
        /* Nothing allocated, or not ours to hand over: a copy. */
        s = malloc(b->len + 1);
        if (s) {
            memcpy(s, b->data, b->len);
            s[b->len] = '\0';
            buf_reset(b);
        }
        return s;
    }
    s = b->data;
    buf_init(b, b->max);
    return s;
}
