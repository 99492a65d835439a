/*
 * buf.h - growable byte buffer with a hard cap.
 *
 * Invariants (after git's strbuf): `data` is never NULL and always
 * NUL-terminated at data[len], so text can be used as a C string; `len`
 * never exceeds `max`.  Growth is geometric.  Appending past `max` frees
 * the contents and returns ERR_TOO_LARGE (after curl's dynbuf), which is
 * how a 2 GB body is refused without ever being held.
 *
 * Not thread-safe: one buffer, one owner.
 */
#ifndef SCRAPE_BUF_H
#define SCRAPE_BUF_H

#include <stdbool.h>
#include <stddef.h>

#include "scrape/err.h"

struct buf {
    char *data; /* never NULL; points at a static "" until first growth */
    size_t len; /* bytes used, excluding the terminating NUL */
    size_t cap; /* bytes allocated (0 while data is the static "") */
    size_t max; /* hard limit on len */
    bool fixed; /* data is the caller's memory (buf_init_fixed) */
};

/* Initialises an empty buffer that may hold at most `max` bytes.  Cannot
 * fail; allocates nothing. */
void buf_init(struct buf *b, size_t max);

/* Initialises an empty buffer over the caller's `size` bytes at `mem`
 * (size >= 1): it never allocates, frees or moves them, and holds at most
 * size - 1 bytes (room for the NUL); appending more is ERR_TOO_LARGE and
 * empties it; buf_detach hands out a copy. */
void buf_init_fixed(struct buf *b, char *mem, size_t size);

/* Frees the contents and leaves `b` empty with the same `max`.  Calling it
 * twice is a no-op. */
void buf_release(struct buf *b);

/* Empties the buffer but keeps its allocation for reuse. */
void buf_reset(struct buf *b);

/* Appends `n` bytes.  Returns ERR_TOO_LARGE (and releases the buffer) when
 * len + n would exceed max, ERR_NOMEM when allocation fails (contents
 * kept). */
enum err buf_add(struct buf *b, const void *data, size_t n);

/* Appends a C string. */
enum err buf_adds(struct buf *b, const char *s);

/* Appends formatted text, same rules as buf_add. */
enum err buf_addf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Makes room for at least `extra` more bytes without changing len. */
enum err buf_grow(struct buf *b, size_t extra);

/* Hands the bytes over: returns a malloc'd NUL-terminated string the
 * caller frees (never NULL unless out of memory), stores its length in
 * *len_out when not NULL, and leaves `b` empty. */
char *buf_detach(struct buf *b, size_t *len_out);

#endif
