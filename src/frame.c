/*
 * frame.c - framed messages between the parent and parse workers (see
 * frame.h for the wire format).
 */
#include "scrape/frame.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NULL_STRING 0xFFFFFFFFu

static void put_u32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static enum err write_all(int fd, const void *data, size_t n)
{
    const char *p = data;

    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return ERR_IO;
        p += w;
        n -= (size_t)w;
    }
    return ERR_OK;
}

/* Reads exactly n bytes; *got says how many arrived before EOF/error. */
static enum err read_all(int fd, void *data, size_t n, size_t *got)
{
    char *p = data;

    *got = 0;
    while (*got < n) {
        ssize_t r = read(fd, p + *got, n - *got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            if (r == 0)
                errno = 0;
            return ERR_IO;
        }
        *got += (size_t)r;
    }
    return ERR_OK;
}

enum err frame_write(int fd, uint8_t type, const void *payload, size_t len)
{
    unsigned char hdr[FRAME_HEADER];
    enum err e;

    if (len > FRAME_MAX)
        return ERR_TOO_LARGE;
    put_u32(hdr, (uint32_t)len);
    hdr[4] = type;
    if ((e = write_all(fd, hdr, sizeof(hdr))))
        return e;
    return write_all(fd, payload, len);
}

enum err frame_read(int fd, uint8_t *type, struct buf *payload, size_t max,
                    bool *eof)
{
    unsigned char hdr[FRAME_HEADER];
    size_t got, len;
    enum err e;

    *eof = false;
    buf_reset(payload);
    if ((e = read_all(fd, hdr, sizeof(hdr), &got))) {
        *eof = got == 0 && errno == 0;
        return e;
    }
    len = get_u32(hdr);
    *type = hdr[4];
    if (len > max || len > payload->max)
        return ERR_TOO_LARGE;
    if ((e = buf_grow(payload, len)))
        return e;
    if ((e = read_all(fd, payload->data, len, &got)))
        return e;
    payload->len = len;
    payload->data[len] = '\0';
    return ERR_OK;
}

/* Encoding helpers. */

static enum err put_str(struct buf *out, const char *s, size_t n)
{
    unsigned char len[4];
    enum err e;

    put_u32(len, s ? (uint32_t)n : NULL_STRING);
    if ((e = buf_add(out, len, 4)) || !s)
        return e;
    return buf_add(out, s, n);
}

static enum err put_cstr(struct buf *out, const char *s)
{
    return put_str(out, s, s ? strlen(s) : 0);
}

static enum err put_u64(struct buf *out, uint64_t v)
{
    unsigned char b[8];

    put_u32(b, (uint32_t)v);
    put_u32(b + 4, (uint32_t)(v >> 32));
    return buf_add(out, b, 8);
}

/* A bounds-checked reader over a payload. */
struct cursor {
    const unsigned char *p;
    size_t left;
    bool bad;
};

static const unsigned char *take(struct cursor *c, size_t n)
{
    const unsigned char *p = c->p;

    if (c->bad || n > c->left) {
        c->bad = true;
        return NULL;
    }
    c->p += n;
    c->left -= n;
    return p;
}

static uint32_t take_u32(struct cursor *c)
{
    const unsigned char *p = take(c, 4);

    return p ? get_u32(p) : 0;
}

static uint64_t take_u64(struct cursor *c)
{
    const unsigned char *p = take(c, 8);

    return p ? (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32 : 0;
}

/* Returns a pointer to a string's bytes (not terminated) or NULL; sets
 * *n.  NULL with c->bad unset means a NULL string. */
static const char *take_str(struct cursor *c, size_t *n)
{
    uint32_t len = take_u32(c);

    *n = 0;
    if (c->bad || len == NULL_STRING)
        return NULL;
    *n = len;
    return (const char *)take(c, len);
}

/* A new NUL-terminated copy of the next string (NULL for a NULL string);
 * sets *nomem on allocation failure. */
static char *take_dup(struct cursor *c, bool *nomem)
{
    size_t n;
    const char *s = take_str(c, &n);
    char *copy;

    if (!s)
        return NULL;
    copy = strndup(s, n);
    if (!copy)
        *nomem = true;
    return copy;
}

enum err frame_put_job(struct buf *out, const struct frame_job *job)
{
    enum err e;

    if ((e = put_cstr(out, job->url)) || (e = put_cstr(out, job->final_url)) ||
        (e = put_cstr(out, job->content_type)) ||
        (e = put_u64(out, (uint64_t)job->status)))
        return e;
    return put_str(out, job->body, job->len);
}

/* Terminates a borrowed string in place: strings are followed by at least
 * one more byte (the next field's length), except the last field, which
 * the frame reader terminates. */
static const char *borrow(char *base, const char *s, size_t n)
{
    if (!s)
        return NULL;
    base[(s - base) + (ptrdiff_t)n] = '\0';
    return s;
}

enum err frame_get_job(char *p, size_t n, struct frame_job *job)
{
    struct cursor c = {(const unsigned char *)p, n, false};
    const char *url, *final_url, *ctype, *body;
    size_t nu, nf, nc, nb;

    url = take_str(&c, &nu);
    final_url = take_str(&c, &nf);
    ctype = take_str(&c, &nc);
    job->status = (long)take_u64(&c);
    body = take_str(&c, &nb);
    if (c.bad || !url || !body || c.left != 0)
        return ERR_INVALID;
    /* Each string is followed by the next field, so writing its NUL
     * overwrites only a length already read; the body ends the payload,
     * whose reader put a NUL after it. */
    job->url = borrow(p, url, nu);
    job->final_url = borrow(p, final_url, nf);
    job->content_type = borrow(p, ctype, nc);
    job->body = body;
    job->len = nb;
    return ERR_OK;
}

/* The extracted records: u8 items, u32 records, u32 fields, then per
 * record and field a u32 count and that many strings; then the
 * extraction error (string or NULL). */
static enum err put_records(struct buf *out, const struct page *pg)
{
    unsigned char b[8];
    size_t r, f, k, n;
    enum err e;

    put_u32(b, (uint32_t)pg->nrecords);
    put_u32(b + 4, (uint32_t)pg->nfields);
    if ((e = buf_add(out, pg->items ? "\1" : "\0", 1)) ||
        (e = buf_add(out, b, 8)))
        return e;
    for (r = 0; r < pg->nrecords && !e; r++) {
        for (f = 0; f < pg->nfields && !e; f++) {
            char *const *v = page_values(pg, r, f, &n);
            put_u32(b, (uint32_t)n);
            e = buf_add(out, b, 4);
            for (k = 0; k < n && !e; k++)
                e = put_cstr(out, v[k]);
        }
    }
    return e ? e : put_cstr(out, pg->extract_error);
}

enum err frame_put_page(struct buf *out, const struct page *pg,
                        const char *parse_error)
{
    unsigned char b[4];
    enum err e;
    size_t i;

    if ((e = buf_add(out, pg ? "\1" : "\0", 1)) ||
        (e = put_cstr(out, parse_error)) || !pg)
        return e;
    if ((e = put_cstr(out, pg->title)) ||
        (e = put_cstr(out, pg->description)) || (e = put_cstr(out, pg->lang)) ||
        (e = put_cstr(out, pg->canonical)) || (e = put_cstr(out, pg->h1)) ||
        (e = put_cstr(out, pg->charset)) ||
        (e = put_u64(out, (uint64_t)pg->words)) ||
        (e = put_u64(out, pg->simhash)) || (e = put_cstr(out, pg->text)))
        return e;
    put_u32(b, (uint32_t)pg->nlinks);
    if ((e = buf_add(out, b, 4)))
        return e;
    for (i = 0; i < pg->nlinks && !e; i++) {
        unsigned char flags[2] = {pg->links[i].followable,
                                  (unsigned char)pg->links[i].why};
        if (!(e = put_cstr(out, pg->links[i].url)))
            e = buf_add(out, flags, 2);
    }
    return e ? e : put_records(out, pg);
}

/* Decodes the records put_records() wrote. */
static bool get_records(struct cursor *c, struct page *pg, bool *nomem)
{
    const unsigned char *flag = take(c, 1);
    uint32_t nrec = take_u32(c), nf = take_u32(c), n, k;
    size_t cells, i;

    /* Each cell takes at least 4 bytes: refuse counts the payload cannot
     * hold before allocating for them. */
    if (c->bad || nrec > PARSE_MAX_ITEMS || (nf && nrec > c->left / 4 / nf))
        return !(c->bad = true);
    cells = (size_t)nrec * nf;
    pg->items = *flag != 0;
    if (nrec || nf) {
        if (!(pg->off = calloc(cells + 1, sizeof(*pg->off))))
            return !(*nomem = true);
        pg->nrecords = nrec;
        pg->nfields = nf;
    }
    for (i = 0; i < cells && !c->bad && !*nomem; i++) {
        n = take_u32(c);
        if (c->bad || n > c->left / 4)
            return !(c->bad = true);
        if (n) {
            char **nv = realloc(pg->vals, (pg->nvals + n) * sizeof(*nv));
            if (!nv)
                return !(*nomem = true);
            pg->vals = nv;
        }
        for (k = 0; k < n; k++) {
            pg->vals[pg->nvals] = take_dup(c, nomem);
            if (!pg->vals[pg->nvals])
                return !(c->bad = !*nomem); /* NULL is not a value */
            pg->nvals++;
        }
        pg->off[i + 1] = pg->nvals;
    }
    if (!c->bad && !*nomem)
        pg->extract_error = take_dup(c, nomem);
    return !c->bad && !*nomem;
}

/* Decodes the links array and the records. */
static bool get_arrays(struct cursor *c, struct page *pg, bool *nomem)
{
    uint32_t n = take_u32(c), i;

    /* Each link takes at least 6 bytes: refuse counts the payload cannot
     * hold before allocating for them. */
    if (c->bad || n > c->left / 6)
        return !(c->bad = true);
    pg->links = calloc(n ? n : 1, sizeof(*pg->links));
    if (!pg->links)
        return !(*nomem = true);
    for (i = 0; i < n && !c->bad && !*nomem; i++) {
        const unsigned char *flags;
        pg->links[i].url = take_dup(c, nomem);
        flags = take(c, 2);
        pg->nlinks++;
        if (!flags || !pg->links[i].url)
            return !(c->bad = !*nomem);
        pg->links[i].followable = flags[0] != 0;
        pg->links[i].why = (enum err)flags[1];
    }
    return !*nomem && get_records(c, pg, nomem);
}

enum err frame_get_page(const char *p, size_t n, struct page *pg, bool *parsed,
                        char **parse_error)
{
    struct cursor c = {(const unsigned char *)p, n, false};
    const unsigned char *flag = take(&c, 1);
    bool nomem = false;

    memset(pg, 0, sizeof(*pg));
    *parsed = flag && *flag;
    *parse_error = take_dup(&c, &nomem);
    if (!c.bad && *parsed) {
        pg->title = take_dup(&c, &nomem);
        pg->description = take_dup(&c, &nomem);
        pg->lang = take_dup(&c, &nomem);
        pg->canonical = take_dup(&c, &nomem);
        pg->h1 = take_dup(&c, &nomem);
        pg->charset = take_dup(&c, &nomem);
        pg->words = (long)take_u64(&c);
        pg->simhash = take_u64(&c);
        pg->text = take_dup(&c, &nomem);
        if (!nomem && !c.bad)
            get_arrays(&c, pg, &nomem);
    }
    if (nomem || c.bad || c.left != 0) {
        page_release(pg);
        free(*parse_error);
        *parse_error = NULL;
        *parsed = false;
        return nomem ? ERR_NOMEM : ERR_INVALID;
    }
    return ERR_OK;
}
