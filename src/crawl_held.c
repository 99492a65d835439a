/*
 * crawl_held.c - pages fetched before their depth was final.  The
 * frontier hands out URLs of deeper levels while a level is still open
 * (the lookahead), so no slow page idles the fetch slots; a page that
 * comes back early is kept - in memory, then in a temporary file
 * (held.h) - until its level is reached, then recorded at its true
 * depth.  A held page is one byte string: the response (frame_put_held:
 * its figures, strings and, with --keep-bodies, its body), then the
 * record as a page payload (frame_put_page) - the encodings --procs uses
 * with its workers.  See crawl_int.h.
 */
#include "crawl_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scrape/frontier.h"
#include "scrape/held.h"

/* Opens the lookahead while held pages have room. */
void crawl_steer_lookahead(struct crawl *c)
{
    frontier_set_lookahead(c->frontier,
                           !c->cfg->max_pages && held_has_room(c->held));
}

/* Keeps page `job` until its depth is final.  Its links within --depth
 * are queued now (at a depth that may shrink), so what they lead to is
 * fetched early too. */
enum err crawl_hold_page(struct crawl *c, const struct frontier_job *job,
                         const struct response *r, const struct page *pg,
                         const char *parse_error)
{
    struct buf *b = &c->held_buf;
    struct held_rec *rec;
    enum err e;
    char own[BODY_HASH_LEN];
    bool body = response_has_body(r);
    struct frame_held h = {
        .status = r->status,
        .len = r->len,
        .fetch_ms = r->fetch_ms,
        .err = (int)r->err,
        .error = r->err ? r->error : NULL,
        .final_url = r->final_url,
        .content_type = r->content_type,
        .etag = r->etag,
        .last_modified = r->last_modified,
        .headers = r->headers,
        .body_hash = body ? r->body_hash : NULL,
        .body = body && c->cfg->keep_bodies ? r->body : NULL,
    };

    /* The body's hash now (unless it came hashed), so that only a body to
     * keep is held. */
    if (body && !h.body_hash) {
        body_hash(r->body, r->len, own);
        h.body_hash = own;
    }
    buf_reset(b);
    if ((e = frame_put_held(b, &h)) ||
        (e = frame_put_page(b, pg, parse_error, NULL)))
        return e == ERR_TOO_LARGE ? ERR_NOMEM : e;
    if (pg &&
        (e = crawl_follow_links(c, job->url, frontier_depth(job), pg, false)))
        return e;
    if ((e = held_put(c->held, b->data, b->len, &rec)))
        return e;
    frontier_hold(c->frontier, job, rec);
    crawl_steer_lookahead(c);
    return ERR_OK;
}

/* A copy of `s` (NULL stays NULL) into *out. */
static enum err dup_or_null(const char *s, char **out)
{
    *out = s ? strdup(s) : NULL;
    return s && !*out ? ERR_NOMEM : ERR_OK;
}

/* The response a held record decoded as `h`, its strings and kept body
 * copied (response_release frees them). */
static enum err response_of_held(const struct frame_held *h, struct response *r)
{
    enum err e;

    r->status = h->status;
    r->len = h->len;
    r->fetch_ms = h->fetch_ms;
    r->err = (enum err)h->err;
    snprintf(r->error, sizeof(r->error), "%s", h->error ? h->error : "");
    if ((e = dup_or_null(h->final_url, &r->final_url)) ||
        (e = dup_or_null(h->content_type, &r->content_type)) ||
        (e = dup_or_null(h->etag, &r->etag)) ||
        (e = dup_or_null(h->last_modified, &r->last_modified)) ||
        (e = dup_or_null(h->headers, &r->headers)) ||
        (e = dup_or_null(h->body_hash, &r->body_hash)))
        return e;
    if (!h->body)
        return ERR_OK;
    if (!(r->owned_body = malloc(h->len + 1)))
        return ERR_NOMEM;
    memcpy(r->owned_body, h->body, h->len);
    r->owned_body[h->len] = '\0';
    r->body = r->owned_body;
    return ERR_OK;
}

/* Records a held page whose depth became final. */
static enum err record_held(struct crawl *c, const struct frontier_job *job,
                            struct held_rec *rec)
{
    struct frame_held h;
    struct response r;
    struct page pg;
    const char *perr = NULL, *unused;
    bool parsed = false;
    size_t used;
    enum err e;

    memset(&r, 0, sizeof(r));
    r.body = "";
    /* ERR_IO: the temporary file could not be read back. */
    if ((e = held_take(c->held, rec, &c->held_buf)))
        return e;
    if (!(e = frame_get_held(c->held_buf.data, c->held_buf.len, &h, &used)) &&
        !(e = response_of_held(&h, &r)))
        e = frame_get_page(c->held_buf.data + used, c->held_buf.len - used,
                           &c->held_view, &pg, &parsed, &perr, &unused);
    if (!e)
        e = crawl_record_page(c, job, frontier_depth(job), &r,
                              parsed ? &pg : NULL, perr);
    else if (e != ERR_NOMEM)
        e = ERR_INVALID; /* our own encoding: cannot happen */
    response_release(&r);
    return e;
}

/* Records every held page whose depth became final (in turn, their
 * links may ripen more). */
enum err crawl_record_ripe(struct crawl *c)
{
    struct frontier_job job;
    void *data;
    enum err e;

    while (frontier_ripe(c->frontier, &job, &data))
        if ((e = record_held(c, &job, data)))
            return e;
    crawl_steer_lookahead(c);
    return ERR_OK;
}

/* Records every held page at the depth it has now. */
enum err crawl_record_held_now(struct crawl *c)
{
    struct frontier_job job;
    struct held_rec *rec;
    enum err e;

    while ((rec = frontier_take_held(c->frontier, &job)))
        if ((e = record_held(c, &job, rec)))
            return e;
    return ERR_OK;
}

/* Frees the pages still held (a stop or a failure): not recorded, so
 * they stay queued in the journal and --resume fetches them again. */
void crawl_drop_held(struct crawl *c)
{
    struct frontier_job job;
    struct held_rec *rec;

    while ((rec = frontier_take_held(c->frontier, &job))) {
        c->abandoned++;
        held_drop(c->held, rec);
    }
}
