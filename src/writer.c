/*
 * writer.c - a FIFO of copied records and the thread that stores them.
 *
 * Each record is copied into one allocation (the message header, then its
 * arrays and strings), sized by a first pass of the same packing code
 * that fills it, so a page costs one malloc and one free however many
 * links it has.
 */
#define _GNU_SOURCE /* pthread_setname_np */
#include "scrape/writer.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum msg_kind {
    MSG_PAGE,
    MSG_SKIPPED,
    MSG_SITEMAP,
    MSG_FRONTIER_ADD,
    MSG_FRONTIER_DONE,
    MSG_ROBOTS,
    MSG_FLUSH,
};

struct msg {
    struct msg *next;
    enum msg_kind kind;
    size_t size; /* the whole allocation, counted against the queue cap */
    int64_t run_id;
    const char *url;            /* SKIPPED, FRONTIER_* */
    const char *reason;         /* SKIPPED; FRONTIER_ADD: the referrer */
    int depth;                  /* FRONTIER_ADD */
    unsigned long seq;          /* FLUSH */
    struct sitemap_row sitemap; /* SITEMAP */
    struct robots_row robots;   /* ROBOTS */
    struct page_row row;        /* PAGE; row.page points at `page` or is NULL */
    struct page page;
    /* arrays and strings follow */
};

struct writer {
    struct store *store;
    writer_prepare_fn prepare;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t work;  /* the writer thread waits for records */
    pthread_cond_t space; /* callers wait for room or for a flush */
    struct msg *head, *tail;
    size_t bytes; /* queued or being applied */
    unsigned long flush_asked, flush_done;
    bool stopping;
    enum err err; /* first failure; sticky */
    char msg[512];
};

/* Packing: with `base` NULL only measures (`off` grows), otherwise copies
 * into base + off.  Running the same code twice keeps size and layout in
 * agreement. */
struct pack {
    char *base;
    size_t off;
};

static void *pack_raw(struct pack *k, size_t n, size_t align)
{
    void *p;

    k->off = (k->off + align - 1) & ~(align - 1);
    p = k->base ? k->base + k->off : NULL;
    k->off += n;
    return p;
}

/* A copy of `s` (NULL stays NULL). */
static const char *pack_str(struct pack *k, const char *s)
{
    size_t n;
    char *p;

    if (!s)
        return NULL;
    n = strlen(s) + 1;
    p = pack_raw(k, n, 1);
    if (p)
        memcpy(p, s, n);
    return p;
}

/* The message header; a scratch one while measuring. */
static struct msg *pack_header(struct pack *k, struct msg *scratch)
{
    struct msg *m = pack_raw(k, sizeof(*m), alignof(max_align_t));

    return m ? m : scratch;
}

static void pack_page(struct pack *k, struct page *dst, const struct page *src)
{
    size_t i, noff = src->off ? src->nrecords * src->nfields + 1 : 0;
    struct link *links;
    size_t *off;
    char **vals;

    links = pack_raw(k, src->nlinks * sizeof(*links), alignof(struct link));
    off = pack_raw(k, noff * sizeof(*off), alignof(size_t));
    vals = pack_raw(k, src->nvals * sizeof(*vals), alignof(char *));
    if (off && noff)
        memcpy(off, src->off, noff * sizeof(*off));
    for (i = 0; i < src->nlinks; i++) {
        const char *u = pack_str(k, src->links[i].url);
        if (links)
            links[i] = (struct link){(char *)u, src->links[i].followable,
                                     src->links[i].why};
    }
    for (i = 0; i < src->nvals; i++) {
        const char *v = pack_str(k, src->vals[i]);
        if (vals)
            vals[i] = (char *)v;
    }
    /* Strings a page owns are char *; these point into the message and are
     * never freed on their own (no page_release on a copy). */
    *dst = (struct page){
        .title = (char *)pack_str(k, src->title),
        .description = (char *)pack_str(k, src->description),
        .lang = (char *)pack_str(k, src->lang),
        .canonical = (char *)pack_str(k, src->canonical),
        .h1 = (char *)pack_str(k, src->h1),
        .charset = (char *)pack_str(k, src->charset),
        .text = (char *)pack_str(k, src->text),
        .words = src->words,
        .simhash = src->simhash,
        .links = links,
        .nlinks = src->nlinks,
        .items = src->items,
        .nrecords = src->nrecords,
        .nfields = src->nfields,
        .off = noff ? off : NULL,
        .vals = vals,
        .nvals = src->nvals,
        .extract_error = (char *)pack_str(k, src->extract_error),
        .rule = src->rule,
        .chosen = src->chosen,
        .unfollowed = src->unfollowed,
    };
}

static void pack_row(struct pack *k, const struct page_row *row)
{
    struct msg scratch;
    struct msg *m = pack_header(k, &scratch);

    m->row = *row;
    m->row.url = pack_str(k, row->url);
    m->row.final_url = pack_str(k, row->final_url);
    m->row.content_type = pack_str(k, row->content_type);
    m->row.error = pack_str(k, row->error);
    m->row.etag = pack_str(k, row->etag);
    m->row.last_modified = pack_str(k, row->last_modified);
    m->row.headers = pack_str(k, row->headers);
    m->row.body_hash = pack_str(k, row->body_hash);
    m->row.change = pack_str(k, row->change);
    if (row->body) {
        /* The body, for its hash (and its stored copy): hashed and
         * compressed on the writer's thread, not the engine's. */
        char *body = pack_raw(k, row->body_len, 1);
        if (body && row->body_len)
            memcpy(body, row->body, row->body_len);
        m->row.body = body;
    }
    m->row.page = NULL;
    if (row->page) {
        pack_page(k, &m->page, row->page);
        m->row.page = &m->page;
    }
}

static void pack_url(struct pack *k, const char *url, const char *reason)
{
    struct msg scratch;
    struct msg *m = pack_header(k, &scratch);

    m->url = pack_str(k, url);
    m->reason = pack_str(k, reason);
}

static void pack_sitemap(struct pack *k, const struct sitemap_row *row)
{
    struct msg scratch;
    struct msg *m = pack_header(k, &scratch);

    m->sitemap = *row;
    m->sitemap.url = pack_str(k, row->url);
    m->sitemap.kind = pack_str(k, row->kind);
    m->sitemap.error = pack_str(k, row->error);
}

static void pack_robots(struct pack *k, const struct robots_row *row)
{
    struct msg scratch;
    struct msg *m = pack_header(k, &scratch);
    char *body = pack_raw(k, row->len + 1, 1);

    m->robots = *row;
    m->robots.url = pack_str(k, row->url);
    if (body) {
        if (row->len)
            memcpy(body, row->body, row->len);
        body[row->len] = '\0';
    }
    m->robots.body = body;
}

/* Runs `fill` twice: to size the message, then to copy into it.  Returns
 * a new message (caller frees) or NULL. */
#define NEW_MSG(m, kind_, fill)                                                \
    do {                                                                       \
        struct pack k_ = {NULL, 0};                                            \
        fill;                                                                  \
        (m) = malloc(k_.off);                                                  \
        if (m) {                                                               \
            memset((m), 0, sizeof(struct msg));                                \
            k_ = (struct pack){(char *)(m), 0};                                \
            fill;                                                              \
            (m)->kind = (kind_);                                               \
            (m)->size = k_.off;                                                \
        }                                                                      \
    } while (0)

/* Records the first failure and its detail (lock held). */
static void fail(struct writer *w, enum err e)
{
    if (!e || w->err)
        return;
    w->err = e;
    snprintf(w->msg, sizeof(w->msg), "%s",
             e == ERR_NOMEM ? err_str(e) : store_errmsg(w->store));
}

static enum err apply(struct writer *w, struct msg *m)
{
    switch (m->kind) {
    case MSG_PAGE:
        if (w->prepare && m->row.page)
            w->prepare(&m->page);
        return store_put_page(w->store, m->run_id, &m->row);
    case MSG_SKIPPED:
        return store_put_skipped(w->store, m->run_id, m->url, m->reason);
    case MSG_SITEMAP:
        return store_put_sitemap(w->store, m->run_id, &m->sitemap);
    case MSG_FRONTIER_ADD:
        return store_frontier_add(w->store, m->run_id, m->url, m->depth,
                                  m->reason);
    case MSG_FRONTIER_DONE:
        return store_frontier_done(w->store, m->run_id, m->url);
    case MSG_ROBOTS:
        return store_put_robots(w->store, m->run_id, &m->robots);
    case MSG_FLUSH:
        return store_flush(w->store);
    }
    return ERR_INVALID;
}

static void deadline_after(struct timespec *ts, long ms)
{
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

static void *writer_main(void *arg)
{
    struct writer *w = arg;
    struct timespec until;
    struct msg *m;
    bool boundary = true; /* the last message ended a record */
    enum err e;

    /* Shown by top -H and perf: where the storing time goes. */
    pthread_setname_np(pthread_self(), "scrape-writer");
    pthread_mutex_lock(&w->lock);
    for (;;) {
        while (!w->head && !w->stopping) {
            deadline_after(&until, WRITER_TICK_MS);
            if (pthread_cond_timedwait(&w->work, &w->lock, &until) ==
                    ETIMEDOUT &&
                boundary && !w->err) {
                /* Idle: a batch must still be committed when it ages. */
                pthread_mutex_unlock(&w->lock);
                e = store_tick(w->store);
                pthread_mutex_lock(&w->lock);
                fail(w, e);
            }
        }
        if (!(m = w->head))
            break; /* stopping, and everything is applied */
        w->head = m->next;
        if (!w->head)
            w->tail = NULL;
        e = w->err;
        pthread_mutex_unlock(&w->lock);
        /* After a failure the rest is dropped: the crawl is stopping. */
        if (!e && !(e = apply(w, m))) {
            /* A robots.txt answer is a record of its own. */
            boundary = m->kind == MSG_FRONTIER_DONE || m->kind == MSG_FLUSH ||
                       m->kind == MSG_ROBOTS;
            if (boundary)
                e = store_tick(w->store);
        }
        pthread_mutex_lock(&w->lock);
        fail(w, e);
        if (m->kind == MSG_FLUSH)
            w->flush_done = m->seq;
        w->bytes -= m->size;
        pthread_cond_broadcast(&w->space);
        free(m);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

/* Appends `m` (taken; freed on error), waiting for room first. */
static enum err enqueue(struct writer *w, struct msg *m)
{
    enum err e;

    if (!m)
        return ERR_NOMEM;
    pthread_mutex_lock(&w->lock);
    while (!w->err && w->bytes > 0 && w->bytes + m->size > WRITER_QUEUE_BYTES)
        pthread_cond_wait(&w->space, &w->lock);
    if ((e = w->err)) {
        pthread_mutex_unlock(&w->lock);
        free(m);
        return e;
    }
    if (m->kind == MSG_FLUSH)
        m->seq = ++w->flush_asked;
    if (w->tail)
        w->tail->next = m;
    else
        w->head = m;
    w->tail = m;
    w->bytes += m->size;
    /* The writer thread sleeps until there is a worthwhile amount to do
     * (or WRITER_TICK_MS passes): waking it per record costs a context
     * switch per record on both sides. */
    if (w->bytes >= WRITER_WAKE_BYTES || m->kind == MSG_FLUSH)
        pthread_cond_signal(&w->work);
    pthread_mutex_unlock(&w->lock);
    return ERR_OK;
}

enum err writer_start(struct store *store, writer_prepare_fn prepare,
                      struct writer **out)
{
    struct writer *w = calloc(1, sizeof(*w));
    sigset_t all, old;
    int rc;

    *out = NULL;
    if (!w)
        return ERR_NOMEM;
    w->store = store;
    w->prepare = prepare;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->work, NULL);
    pthread_cond_init(&w->space, NULL);
    /* Signals (Ctrl-C) go to the engine's thread, whose poll they cut
     * short; the writer thread never takes one. */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rc = pthread_create(&w->thread, NULL, writer_main, w);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc) {
        pthread_cond_destroy(&w->space);
        pthread_cond_destroy(&w->work);
        pthread_mutex_destroy(&w->lock);
        free(w);
        return ERR_NOMEM;
    }
    *out = w;
    return ERR_OK;
}

enum err writer_stop(struct writer *w, char *why, size_t n)
{
    enum err e;

    if (!w)
        return ERR_OK;
    pthread_mutex_lock(&w->lock);
    w->stopping = true;
    pthread_cond_signal(&w->work);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    /* The thread is gone: the store is this thread's again. */
    if (!w->err)
        fail(w, store_flush(w->store));
    e = w->err;
    if (why && n)
        snprintf(why, n, "%s", w->msg);
    pthread_cond_destroy(&w->space);
    pthread_cond_destroy(&w->work);
    pthread_mutex_destroy(&w->lock);
    free(w);
    return e;
}

enum err writer_put_page(struct writer *w, int64_t run_id,
                         const struct page_row *row)
{
    struct msg *m;

    NEW_MSG(m, MSG_PAGE, pack_row(&k_, row));
    if (m)
        m->run_id = run_id;
    return enqueue(w, m);
}

enum err writer_put_sitemap(struct writer *w, int64_t run_id,
                            const struct sitemap_row *row)
{
    struct msg *m;

    NEW_MSG(m, MSG_SITEMAP, pack_sitemap(&k_, row));
    if (m)
        m->run_id = run_id;
    return enqueue(w, m);
}

enum err writer_put_skipped(struct writer *w, int64_t run_id, const char *url,
                            const char *reason)
{
    struct msg *m;

    NEW_MSG(m, MSG_SKIPPED, pack_url(&k_, url, reason));
    if (m)
        m->run_id = run_id;
    return enqueue(w, m);
}

enum err writer_frontier_add(struct writer *w, int64_t run_id, const char *url,
                             int depth, const char *referrer)
{
    struct msg *m;

    NEW_MSG(m, MSG_FRONTIER_ADD, pack_url(&k_, url, referrer));
    if (m) {
        m->run_id = run_id;
        m->depth = depth;
    }
    return enqueue(w, m);
}

enum err writer_frontier_done(struct writer *w, int64_t run_id, const char *url)
{
    struct msg *m;

    NEW_MSG(m, MSG_FRONTIER_DONE, pack_url(&k_, url, NULL));
    if (m)
        m->run_id = run_id;
    return enqueue(w, m);
}

enum err writer_put_robots(struct writer *w, int64_t run_id,
                           const struct robots_row *row)
{
    struct msg *m;

    NEW_MSG(m, MSG_ROBOTS, pack_robots(&k_, row));
    if (m)
        m->run_id = run_id;
    return enqueue(w, m);
}

enum err writer_flush(struct writer *w)
{
    struct msg *m;
    unsigned long seq;
    enum err e;

    NEW_MSG(m, MSG_FLUSH, pack_url(&k_, NULL, NULL));
    if ((e = enqueue(w, m)))
        return e;
    pthread_mutex_lock(&w->lock);
    seq = w->flush_asked;
    while (!w->err && w->flush_done < seq)
        pthread_cond_wait(&w->space, &w->lock);
    e = w->err;
    pthread_mutex_unlock(&w->lock);
    return e;
}

enum err writer_status(struct writer *w)
{
    enum err e;

    pthread_mutex_lock(&w->lock);
    e = w->err;
    pthread_mutex_unlock(&w->lock);
    return e;
}

void writer_errmsg(struct writer *w, char *buf, size_t n)
{
    pthread_mutex_lock(&w->lock);
    snprintf(buf, n, "%s", w->msg);
    pthread_mutex_unlock(&w->lock);
}
