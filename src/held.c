/*
 * held.c - records in memory, then in an unlinked file (see held.h).
 */
#define _GNU_SOURCE /* mkostemp */
#include "scrape/held.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct held_rec {
    char *mem;    /* the bytes, or NULL when in the file */
    uint64_t off; /* in the file */
    size_t len;
};

struct held_store {
    size_t mem_budget, mem;
    uint64_t file_budget, file_end; /* bytes appended since the last reset */
    size_t in_file;                 /* records in the file */
    int fd;                         /* -1 until needed */
    bool file_failed;               /* a write failed: the file is done */
};

enum err held_new(size_t mem_bytes, uint64_t file_bytes,
                  struct held_store **out)
{
    struct held_store *s = calloc(1, sizeof(*s));

    *out = s;
    if (!s)
        return ERR_NOMEM;
    s->mem_budget = mem_bytes;
    s->file_budget = file_bytes;
    s->fd = -1;
    return ERR_OK;
}

void held_free(struct held_store *s)
{
    if (!s)
        return;
    if (s->fd >= 0)
        close(s->fd);
    free(s);
}

/* Creates the file, unlinked: it lives only as long as the descriptor. */
static bool open_file(struct held_store *s)
{
    const char *dir = getenv("TMPDIR");
    char path[4096];

    if (!dir || !*dir)
        dir = "/tmp";
    if ((size_t)snprintf(path, sizeof(path), "%s/scrape-held-XXXXXX", dir) >=
        sizeof(path))
        return false;
    if ((s->fd = mkostemp(path, O_CLOEXEC)) < 0)
        return false;
    unlink(path);
    return true;
}

/* Appends data to the file; false when it cannot (then never again). */
static bool to_file(struct held_store *s, const void *data, size_t n,
                    uint64_t *off)
{
    const char *p = data;
    uint64_t at = s->file_end;
    size_t done = 0;

    if (s->file_failed || s->file_end + n > s->file_budget ||
        (s->fd < 0 && !open_file(s))) {
        s->file_failed = s->file_failed || s->fd < 0;
        return false;
    }
    while (done < n) {
        ssize_t k = pwrite(s->fd, p + done, n - done, (off_t)(at + done));
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            s->file_failed = true;
            return false;
        }
        done += (size_t)k;
    }
    *off = at;
    s->file_end += n;
    s->in_file++;
    return true;
}

enum err held_put(struct held_store *s, const void *data, size_t n,
                  struct held_rec **out)
{
    struct held_rec *r = calloc(1, sizeof(*r));

    *out = NULL;
    if (!r)
        return ERR_NOMEM;
    r->len = n;
    if (s->mem + n > s->mem_budget && to_file(s, data, n, &r->off)) {
        *out = r;
        return ERR_OK;
    }
    if (!(r->mem = malloc(n ? n : 1))) {
        free(r);
        return ERR_NOMEM;
    }
    memcpy(r->mem, data, n);
    s->mem += n;
    *out = r;
    return ERR_OK;
}

/* Forgets record r's place; the file starts over once it holds none. */
static void release(struct held_store *s, struct held_rec *r)
{
    if (r->mem) {
        s->mem -= r->len;
        free(r->mem);
    } else if (--s->in_file == 0) {
        s->file_end = 0;
        if (s->fd >= 0 && ftruncate(s->fd, 0) != 0)
            s->file_failed = true;
    }
    free(r);
}

enum err held_take(struct held_store *s, struct held_rec *r, struct buf *out)
{
    enum err e = ERR_OK;
    size_t done = 0;

    buf_reset(out);
    if (r->mem) {
        e = buf_add(out, r->mem, r->len);
    } else if (!(e = buf_grow(out, r->len))) {
        while (done < r->len) {
            ssize_t k = pread(s->fd, out->data + done, r->len - done,
                              (off_t)(r->off + done));
            if (k < 0 && errno == EINTR)
                continue;
            if (k <= 0) {
                e = ERR_IO;
                break;
            }
            done += (size_t)k;
        }
        if (!e) {
            out->len = r->len;
            out->data[r->len] = '\0';
        }
    }
    release(s, r);
    return e;
}

void held_drop(struct held_store *s, struct held_rec *r)
{
    if (r)
        release(s, r);
}

bool held_has_room(const struct held_store *s)
{
    return s->mem < s->mem_budget ||
           (!s->file_failed && s->file_end < s->file_budget);
}

size_t held_mem_bytes(const struct held_store *s)
{
    return s->mem;
}

uint64_t held_file_bytes(const struct held_store *s)
{
    return s->file_end;
}
