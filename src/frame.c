/*
 * frame.c - framed messages between the parent and parse workers (see
 * frame.h for the wire format).
 */
#include "scrape/frame.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
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
    struct iovec iov[2];
    ssize_t w;

    if (len > FRAME_MAX)
        return ERR_TOO_LARGE;
    put_u32(hdr, (uint32_t)len);
    hdr[4] = type;
    /* Header and payload in one call (one wakeup of the reader for a
     * small frame); what a short write leaves goes out as before. */
    iov[0] = (struct iovec){hdr, sizeof(hdr)};
    iov[1] = (struct iovec){(void *)payload, len};
    while ((w = writev(fd, iov, len ? 2 : 1)) < 0 && errno == EINTR)
        ;
    if (w < 0)
        return ERR_IO;
    if ((size_t)w < sizeof(hdr)) {
        enum err e = write_all(fd, hdr + w, sizeof(hdr) - (size_t)w);
        return e ? e : write_all(fd, payload, len);
    }
    return write_all(fd, (const char *)payload + ((size_t)w - sizeof(hdr)),
                     len - ((size_t)w - sizeof(hdr)));
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

bool frame_shm_len(const struct buf *in, size_t area_size, size_t *len)
{
    uint64_t n;

    if (in->len != sizeof(n) || !area_size)
        return false;
    memcpy(&n, in->data, sizeof(n));
    if (n > area_size)
        return false;
    *len = (size_t)n;
    return true;
}

/* Encoding helpers.  A string is its u32 length (NULL_STRING for NULL),
 * its bytes and a NUL, so that a decoder can hand out pointers into the
 * payload as C strings without writing to it. */

static enum err put_str(struct buf *out, const char *s, size_t n)
{
    unsigned char len[4];
    enum err e;

    put_u32(len, s ? (uint32_t)n : NULL_STRING);
    if ((e = buf_add(out, len, 4)) || !s)
        return e;
    if (n && (e = buf_add(out, s, n)))
        return e;
    return buf_add(out, "", 1);
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

/* The next string, NUL-terminated in the payload, or NULL.  NULL with
 * c->bad unset means a NULL string.  A string whose NUL is not where its
 * length says (or that holds one) is malformed: the pointer must be a C
 * string of exactly that length. */
static const char *take_cstr(struct cursor *c)
{
    uint32_t len = take_u32(c);
    const char *s;

    if (c->bad || len == NULL_STRING)
        return NULL;
    if (len >= c->left) { /* the bytes and the NUL */
        c->bad = true;
        return NULL;
    }
    s = (const char *)take(c, (size_t)len + 1);
    if (s[len] != '\0' || memchr(s, '\0', len)) {
        c->bad = true;
        return NULL;
    }
    return s;
}

enum err frame_put_job(struct buf *out, const struct frame_job *job)
{
    enum err e;

    if ((e = put_cstr(out, job->url)) || (e = put_cstr(out, job->final_url)) ||
        (e = put_cstr(out, job->content_type)) ||
        (e = put_u64(out, (uint64_t)job->status)) ||
        (e = buf_add(out, job->want_hash ? "\1" : "\0", 1)))
        return e;
    return put_str(out, job->body ? job->body : "", job->len);
}

enum err frame_get_job(const char *p, size_t n, struct frame_job *job)
{
    struct cursor c = {(const unsigned char *)p, n, false};
    const unsigned char *flag;
    const char *body;
    uint32_t nb;

    job->url = take_cstr(&c);
    job->final_url = take_cstr(&c);
    job->content_type = take_cstr(&c);
    job->status = (long)take_u64(&c);
    flag = take(&c, 1);
    job->want_hash = flag && *flag;
    /* The body may hold NULs: only its terminator is checked. */
    nb = take_u32(&c);
    body = nb == NULL_STRING ? NULL : (const char *)take(&c, (size_t)nb + 1);
    if (c.bad || !job->url || !body || body[nb] || c.left != 0)
        return ERR_INVALID;
    job->body = body;
    job->len = nb;
    return ERR_OK;
}

enum err frame_put_held(struct buf *out, const struct frame_held *h)
{
    enum err e;

    if ((e = put_u64(out, (uint64_t)h->status)) ||
        (e = put_u64(out, (uint64_t)h->len)) ||
        (e = put_u64(out, (uint64_t)h->fetch_ms)) ||
        (e = put_u64(out, (uint64_t)h->err)) || (e = put_cstr(out, h->error)) ||
        (e = put_cstr(out, h->final_url)) ||
        (e = put_cstr(out, h->content_type)) || (e = put_cstr(out, h->etag)) ||
        (e = put_cstr(out, h->last_modified)) ||
        (e = put_cstr(out, h->headers)) || (e = put_cstr(out, h->body_hash)))
        return e;
    if (h->body && h->len >= NULL_STRING)
        return ERR_TOO_LARGE;
    return put_str(out, h->body, h->len);
}

enum err frame_get_held(const char *p, size_t n, struct frame_held *h,
                        size_t *used)
{
    struct cursor c = {(const unsigned char *)p, n, false};
    uint32_t nb;

    h->status = (long)take_u64(&c);
    h->len = (size_t)take_u64(&c);
    h->fetch_ms = (long)take_u64(&c);
    h->err = (int)take_u64(&c);
    h->error = take_cstr(&c);
    h->final_url = take_cstr(&c);
    h->content_type = take_cstr(&c);
    h->etag = take_cstr(&c);
    h->last_modified = take_cstr(&c);
    h->headers = take_cstr(&c);
    h->body_hash = take_cstr(&c);
    /* The body may hold NULs: only its length and terminator are checked. */
    nb = take_u32(&c);
    h->body = nb == NULL_STRING ? NULL : (const char *)take(&c, (size_t)nb + 1);
    if (c.bad || (h->body && (h->body[nb] || nb != h->len)))
        return ERR_INVALID;
    *used = n - c.left;
    return ERR_OK;
}

/* One rule: its name, pattern, --item, fields, --follow and
 * --no-follow. */
static enum err put_rule(struct buf *out, const struct rule_spec *r)
{
    const struct extract_spec *spec = &r->spec;
    enum err e;
    size_t i;

    if ((e = put_cstr(out, r->name)) || (e = put_cstr(out, r->pattern)) ||
        (e = put_cstr(out, spec->item_xpath)) ||
        (e = put_cstr(out, spec->item_selector)) ||
        (e = put_u64(out, (uint64_t)spec->nfields)))
        return e;
    for (i = 0; i < spec->nfields; i++) {
        const struct field_spec *f = &spec->fields[i];
        if ((e = put_cstr(out, f->name)) || (e = put_cstr(out, f->xpath)) ||
            (e = buf_add(out, f->list ? "\1" : "\0", 1)) ||
            (e = put_cstr(out, f->selector)))
            return e;
    }
    if ((e = put_u64(out, (uint64_t)r->nfollow)))
        return e;
    for (i = 0; i < r->nfollow; i++)
        if ((e = put_cstr(out, r->follow[i].xpath)) ||
            (e = put_cstr(out, r->follow[i].selector)))
            return e;
    return buf_add(out, r->no_follow ? "\1" : "\0", 1);
}

enum err frame_put_spec(struct buf *out, const struct spider *spider)
{
    size_t n = spider ? spider->nrules : 0, i;
    enum err e = put_u64(out, (uint64_t)n);

    for (i = 0; i < n && !e; i++)
        e = put_rule(out, &spider->rules[i]);
    return e;
}

/* Decodes one rule put_rule() wrote; its arrays are new (the caller
 * frees them with frame_spider_release). */
static enum err get_rule(struct cursor *c, struct rule_spec *r)
{
    struct field_spec *f = NULL;
    struct follow_spec *fo = NULL;
    const unsigned char *flag;
    uint64_t nf, nfo;
    size_t i;

    r->name = take_cstr(c);
    r->pattern = take_cstr(c);
    r->spec.item_xpath = take_cstr(c);
    r->spec.item_selector = take_cstr(c);
    nf = take_u64(c);
    /* Each field takes at least 13 bytes: a count beyond what is left
     * is malformed, and allocates nothing. */
    if (c->bad || nf > c->left / 13 || (r->name && !r->pattern))
        return ERR_INVALID;
    if (nf && !(f = calloc((size_t)nf, sizeof(*f))))
        return ERR_NOMEM;
    r->spec.fields = f;
    for (i = 0; i < nf && !c->bad; i++) {
        f[i].name = take_cstr(c);
        f[i].xpath = take_cstr(c);
        flag = take(c, 1);
        f[i].list = flag && *flag;
        f[i].selector = take_cstr(c);
        if (!f[i].name || !f[i].xpath)
            c->bad = true;
    }
    r->spec.nfields = (size_t)nf;
    nfo = take_u64(c);
    /* Each --follow takes at least 8 bytes. */
    if (c->bad || nfo > c->left / 8)
        return ERR_INVALID;
    if (nfo && !(fo = calloc((size_t)nfo, sizeof(*fo))))
        return ERR_NOMEM;
    r->follow = fo;
    for (i = 0; i < nfo && !c->bad; i++) {
        fo[i].xpath = take_cstr(c);
        fo[i].selector = take_cstr(c);
        if (!fo[i].xpath)
            c->bad = true;
    }
    r->nfollow = (size_t)nfo;
    flag = take(c, 1);
    r->no_follow = flag && *flag;
    return c->bad ? ERR_INVALID : ERR_OK;
}

enum err frame_get_spec(const char *p, size_t n, struct spider *spider)
{
    struct cursor c = {(const unsigned char *)p, n, false};
    uint64_t nr = take_u64(&c);
    enum err e = ERR_OK;
    size_t i;

    struct rule_spec *rules;

    memset(spider, 0, sizeof(*spider));
    /* Each rule takes at least 33 bytes: four NULL strings, two counts
     * and a flag. */
    if (c.bad || nr > c.left / 33)
        return ERR_INVALID;
    if (nr && !(rules = calloc((size_t)nr, sizeof(*rules))))
        return ERR_NOMEM;
    spider->rules = nr ? rules : NULL;
    spider->nrules = (size_t)nr;
    for (i = 0; i < nr && !e; i++)
        e = get_rule(&c, &rules[i]);
    if (!e && (c.bad || c.left != 0))
        e = ERR_INVALID;
    if (e)
        frame_spider_release(spider);
    return e;
}

void frame_spider_release(struct spider *spider)
{
    size_t i;

    for (i = 0; i < spider->nrules; i++) {
        free((void *)spider->rules[i].spec.fields);
        free((void *)spider->rules[i].follow);
    }
    free((void *)spider->rules);
    memset(spider, 0, sizeof(*spider));
}

/* Room for `n` more entries in a view array (geometric growth). */
static bool view_room(void **arr, size_t *cap, size_t need, size_t size)
{
    size_t ncap = *cap ? *cap : 16;
    void *p;

    if (need <= *cap)
        return true;
    while (ncap < need)
        ncap *= 2;
    if (!(p = realloc(*arr, ncap * size)))
        return false;
    *arr = p;
    *cap = ncap;
    return true;
}

void frame_view_release(struct frame_view *v)
{
    free(v->links);
    free(v->follow);
    free(v->off);
    free(v->vals);
    memset(v, 0, sizeof(*v));
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

/* A links array: u32 count, then each URL and its two flags. */
static enum err put_links(struct buf *out, const struct link *links, size_t n)
{
    unsigned char b[4];
    enum err e;
    size_t i;

    put_u32(b, (uint32_t)n);
    if ((e = buf_add(out, b, 4)))
        return e;
    for (i = 0; i < n && !e; i++) {
        unsigned char flags[2] = {links[i].followable,
                                  (unsigned char)links[i].why};
        if (!(e = put_cstr(out, links[i].url)))
            e = buf_add(out, flags, 2);
    }
    return e;
}

enum err frame_put_page(struct buf *out, const struct page *pg,
                        const char *parse_error, const char *body_hash)
{
    enum err e;

    if ((e = buf_add(out, pg ? "\1" : "\0", 1)) ||
        (e = put_cstr(out, parse_error)) || (e = put_cstr(out, body_hash)) ||
        !pg)
        return e;
    if ((e = put_cstr(out, pg->title)) ||
        (e = put_cstr(out, pg->description)) || (e = put_cstr(out, pg->lang)) ||
        (e = put_cstr(out, pg->canonical)) || (e = put_cstr(out, pg->h1)) ||
        (e = put_cstr(out, pg->charset)) ||
        (e = put_u64(out, (uint64_t)pg->words)) ||
        (e = put_u64(out, pg->simhash)) || (e = put_cstr(out, pg->text)))
        return e;
    if ((e = put_links(out, pg->links, pg->nlinks)) ||
        (e = put_records(out, pg)) || (e = put_u64(out, (uint64_t)pg->rule)) ||
        (e = buf_add(out, pg->chosen ? "\1" : "\0", 1)) ||
        (e = put_u64(out, (uint64_t)pg->unfollowed)))
        return e;
    return put_links(out, pg->follow, pg->nfollow);
}

/* Decodes the records put_records() wrote. */
static bool get_records(struct cursor *c, struct frame_view *v, struct page *pg,
                        bool *nomem)
{
    const unsigned char *flag = take(c, 1);
    uint32_t nrec = take_u32(c), nf = take_u32(c), n, k;
    size_t cells, i, nvals = 0;

    /* Each cell takes at least 4 bytes: refuse counts the payload cannot
     * hold before allocating for them. */
    if (c->bad || nrec > PARSE_MAX_ITEMS || (nf && nrec > c->left / 4 / nf))
        return !(c->bad = true);
    cells = (size_t)nrec * nf;
    pg->items = *flag != 0;
    if (nrec || nf) {
        if (!view_room((void **)&v->off, &v->off_cap, cells + 1,
                       sizeof(*v->off)))
            return !(*nomem = true);
        v->off[0] = 0;
        pg->nrecords = nrec;
        pg->nfields = nf;
    }
    for (i = 0; i < cells; i++) {
        n = take_u32(c);
        /* Each value takes at least 5 bytes. */
        if (c->bad || n > c->left / 5)
            return !(c->bad = true);
        if (!view_room((void **)&v->vals, &v->vals_cap, nvals + n,
                       sizeof(*v->vals)))
            return !(*nomem = true);
        for (k = 0; k < n; k++) {
            v->vals[nvals] = (char *)take_cstr(c);
            if (!v->vals[nvals])
                return !(c->bad = true); /* NULL is not a value */
            nvals++;
        }
        v->off[i + 1] = nvals;
    }
    pg->off = nrec || nf ? v->off : NULL;
    pg->vals = nvals ? v->vals : NULL;
    pg->nvals = nvals;
    pg->extract_error = (char *)take_cstr(c);
    return !c->bad;
}

/* Decodes a links array put_links() wrote into *arr (grown as needed). */
static bool get_links(struct cursor *c, struct link **arr, size_t *cap,
                      struct link **links, size_t *nlinks, bool *nomem)
{
    uint32_t n = take_u32(c), i;

    /* Each link takes at least 7 bytes: refuse counts the payload cannot
     * hold before allocating for them. */
    if (c->bad || n > c->left / 7)
        return !(c->bad = true);
    if (!view_room((void **)arr, cap, n ? n : 1, sizeof(**arr)))
        return !(*nomem = true);
    *links = *arr;
    for (i = 0; i < n; i++) {
        const unsigned char *flags;
        const char *url = take_cstr(c);
        flags = take(c, 2);
        if (!flags || !url)
            return !(c->bad = true);
        (*arr)[i] =
            (struct link){(char *)url, flags[0] != 0, (enum err)flags[1]};
        (*nlinks)++;
    }
    return true;
}

/* Decodes the links, the records, the rule and the chosen links. */
static bool get_arrays(struct cursor *c, struct frame_view *v, struct page *pg,
                       bool *nomem)
{
    const unsigned char *flag;

    if (!get_links(c, &v->links, &v->links_cap, &pg->links, &pg->nlinks,
                   nomem) ||
        !get_records(c, v, pg, nomem))
        return false;
    pg->rule = (size_t)take_u64(c);
    flag = take(c, 1);
    pg->chosen = flag && *flag;
    pg->unfollowed = (long)take_u64(c);
    return !c->bad && get_links(c, &v->follow, &v->follow_cap, &pg->follow,
                                &pg->nfollow, nomem);
}

enum err frame_get_page(const char *p, size_t n, struct frame_view *view,
                        struct page *pg, bool *parsed, const char **parse_error,
                        const char **body_hash)
{
    struct cursor c = {(const unsigned char *)p, n, false};
    const unsigned char *flag = take(&c, 1);
    bool nomem = false;

    /* Strings a page owns are char *; these point into the payload and
     * are never freed (no page_release on a decoded page). */
    memset(pg, 0, sizeof(*pg));
    *parsed = flag && *flag;
    *parse_error = take_cstr(&c);
    *body_hash = take_cstr(&c);
    if (!c.bad && *parsed) {
        pg->title = (char *)take_cstr(&c);
        pg->description = (char *)take_cstr(&c);
        pg->lang = (char *)take_cstr(&c);
        pg->canonical = (char *)take_cstr(&c);
        pg->h1 = (char *)take_cstr(&c);
        pg->charset = (char *)take_cstr(&c);
        pg->words = (long)take_u64(&c);
        pg->simhash = take_u64(&c);
        pg->text = (char *)take_cstr(&c);
        if (!c.bad)
            get_arrays(&c, view, pg, &nomem);
    }
    if (nomem || c.bad || c.left != 0) {
        memset(pg, 0, sizeof(*pg));
        *parse_error = *body_hash = NULL;
        *parsed = false;
        return nomem ? ERR_NOMEM : ERR_INVALID;
    }
    return ERR_OK;
}
