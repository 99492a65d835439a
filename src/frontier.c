/*
 * frontier.c - per-host FIFO queues over one dedup set (see frontier.h).
 *
 * Design:
 *   seen   hmap url -> entry         owns every URL string (one copy);
 *                                    the value is the URL's queued entry
 *                                    until it is handed out, then NULL
 *   hosts  hmap host:port -> host    each host owns a FIFO of entries
 *   ready  FIFO of hosts that have queued URLs and a free slot
 *
 * A host is on the ready list iff it has queued entries, active <
 * per_host, its first entry is at the current level, and in_ready is set.
 * next() pops the head host, takes one entry, and puts the host back at
 * the tail if it still qualifies, which makes hand-out round-robin across
 * hosts.  release() re-qualifies a host that had been held back by its
 * limit.
 *
 * Time: a host whose next_at lies in the future (--delay since its last
 * fetch started, or a server's Retry-After) waits on the sleeping list;
 * frontier_next_at() wakes the hosts whose time has come.
 *
 * Levels (breadth-first by depth, exactly): URLs of depth d+1 are handed
 * out only once every URL of depth d is done (fetched and its links
 * added).  Without this, with many fetches in flight, a page could first
 * be reached by a longer path, get a larger depth than its distance from
 * the seeds, and push its own links past --depth: the set of pages would
 * depend on timing.  pending[d] counts URLs of depth d queued or out;
 * hosts whose next URL is deeper than the level wait on the parked list.
 * A host's queue is sorted by depth (enqueue() inserts a late seed
 * before deeper entries), so its head is always its shallowest URL.
 * frontier_promote() marks the old entry dead and queues a shallower
 * copy; dead entries are freed when they reach the head (purge_dead).
 */
#include "scrape/frontier.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "scrape/hmap.h"
#include "scrape/url.h"

struct entry {
    const char *url; /* owned by the seen set */
    int depth;
    int attempts;
    bool robots;
    bool sitemap;
    bool dead; /* replaced by a shallower copy (frontier_promote) */
    unsigned char nest;
    struct entry *next;
};

struct frontier_host {
    char *name; /* host:port, the key in `hosts` */
    struct entry *head, *tail;
    unsigned active;
    bool in_ready;      /* on the ready list */
    bool in_parked;     /* on the parked list */
    bool in_sleep;      /* on the sleeping list: next_at is in the future */
    bool gated;         /* robots.txt not fetched yet: only it may go out */
    struct entry *hint; /* the last entry inserted out of order */
    long next_at;       /* earliest start of its next fetch (--delay, retry) */
    struct frontier_host *next_ready; /* link in whichever list */
};

struct frontier {
    unsigned per_host;
    struct hmap seen;
    struct hmap hosts;
    struct frontier_host *ready_head, *ready_tail;
    struct frontier_host *parked;
    struct frontier_host *sleeping;
    size_t queued;
    long delay_ms;   /* between fetch starts per host */
    long now;        /* the latest time frontier_next_at was given */
    int level;       /* the depth being handed out */
    size_t *pending; /* per depth: queued or out, not done */
    size_t npending;
};

struct frontier *frontier_new(unsigned per_host)
{
    struct frontier *f = calloc(1, sizeof(*f));

    if (!f)
        return NULL;
    f->per_host = per_host ? per_host : 1;
    hmap_init(&f->seen);
    hmap_init(&f->hosts);
    return f;
}

void frontier_free(struct frontier *f)
{
    size_t i;

    if (!f)
        return;
    for (i = 0; i < f->hosts.cap; i++) {
        struct frontier_host *h = f->hosts.slots[i].value;
        struct entry *e, *next;
        if (!h)
            continue;
        for (e = h->head; e; e = next) {
            next = e->next;
            free(e);
        }
        free(h->name);
        free(h);
    }
    for (i = 0; i < f->seen.cap; i++)
        free((char *)f->seen.slots[i].key);
    hmap_release(&f->hosts);
    hmap_release(&f->seen);
    free(f->pending);
    free(f);
}

/* Frees the dead entries at the head of h's queue (they were queued
 * again, shallower: their copy counts, not they). */
static void purge_dead(struct frontier_host *h)
{
    while (h->head && h->head->dead) {
        struct entry *e = h->head;
        h->head = e->next;
        if (!h->head)
            h->tail = NULL;
        if (h->hint == e)
            h->hint = NULL;
        free(e);
    }
}

static void ready_push(struct frontier *f, struct frontier_host *h)
{
    purge_dead(h);
    if (h->in_ready || h->in_parked || h->in_sleep || !h->head ||
        h->active >= f->per_host || (h->gated && !h->head->robots))
        return;
    if (h->next_at > f->now) {
        h->in_sleep = true;
        h->next_ready = f->sleeping;
        f->sleeping = h;
        return;
    }
    if (h->head->depth > f->level) {
        h->in_parked = true;
        h->next_ready = f->parked;
        f->parked = h;
        return;
    }
    h->in_ready = true;
    h->next_ready = NULL;
    if (f->ready_tail)
        f->ready_tail->next_ready = h;
    else
        f->ready_head = h;
    f->ready_tail = h;
}

static struct frontier_host *ready_pop(struct frontier *f)
{
    struct frontier_host *h = f->ready_head;

    if (!h)
        return NULL;
    f->ready_head = h->next_ready;
    if (!f->ready_head)
        f->ready_tail = NULL;
    h->in_ready = false;
    return h;
}

/* Moves to the next level while the current one is finished, and gives
 * parked hosts another look. */
static void advance(struct frontier *f)
{
    struct frontier_host *h, *next;

    if (!f->queued ||
        ((size_t)f->level < f->npending && f->pending[f->level] > 0))
        return;
    while ((size_t)f->level < f->npending && f->pending[f->level] == 0 &&
           f->queued)
        f->level++;
    h = f->parked;
    f->parked = NULL;
    for (; h; h = next) {
        next = h->next_ready;
        h->in_parked = false;
        ready_push(f, h);
    }
}

static enum err count_pending(struct frontier *f, int depth)
{
    size_t need = (size_t)depth + 1;

    if (need > f->npending) {
        size_t ncap = need < 16 ? 16 : need * 2;
        size_t *np = realloc(f->pending, ncap * sizeof(*np));
        if (!np)
            return ERR_NOMEM;
        memset(np + f->npending, 0, (ncap - f->npending) * sizeof(*np));
        f->pending = np;
        f->npending = ncap;
    }
    f->pending[depth]++;
    return ERR_OK;
}

/* Finds or creates the host record for canonical `url`. */
static enum err host_for(struct frontier *f, const char *url,
                         struct frontier_host **out)
{
    const char *hp;
    size_t n = url_hostport(url, &hp);
    struct frontier_host *h;
    struct hmap_slot *slot;
    char *name;
    enum err e;

    if (!n)
        return ERR_BAD_URL;
    name = strndup(hp, n);
    if (!name)
        return ERR_NOMEM;
    slot = hmap_get(&f->hosts, name);
    if (slot) {
        free(name);
        *out = slot->value;
        return ERR_OK;
    }
    h = calloc(1, sizeof(*h));
    if (!h) {
        free(name);
        return ERR_NOMEM;
    }
    h->name = name;
    if ((e = hmap_put(&f->hosts, h->name, h, NULL))) {
        free(name);
        free(h);
        return e;
    }
    *out = h;
    return ERR_OK;
}

/* Takes parked host h off the parked list (a linear unlink, but hosts
 * are unparked this way rarely: retries, out-of-order seeds). */
static void unpark(struct frontier *f, struct frontier_host *h)
{
    struct frontier_host **p = &f->parked;

    if (!h->in_parked)
        return;
    while (*p != h)
        p = &(*p)->next_ready;
    *p = h->next_ready;
    h->in_parked = false;
}

/* Puts `ent` into h's queue, which stays sorted by depth: appended in the
 * usual case (links are found level by level), else after the last
 * entry no deeper than it (a sitemap's seeds arriving after level-1
 * links of the same host).  `hint` makes a run of such inserts linear. */
static void enqueue(struct frontier *f, struct frontier_host *h,
                    struct entry *ent)
{
    struct entry *prev;

    if (!h->tail || h->tail->depth <= ent->depth) {
        if (h->tail)
            h->tail->next = ent;
        else
            h->head = ent;
        h->tail = ent;
        return;
    }
    if (h->head->depth > ent->depth) {
        ent->next = h->head;
        h->head = ent;
        /* Its head is no longer too deep for the level. */
        unpark(f, h);
    } else {
        prev = h->hint && h->hint->depth <= ent->depth ? h->hint : h->head;
        while (prev->next && prev->next->depth <= ent->depth)
            prev = prev->next;
        ent->next = prev->next;
        prev->next = ent;
    }
    h->hint = ent;
}

/* frontier_add, returning the entry made (NULL when the URL was known). */
static enum err add_entry(struct frontier *f, const char *url, int depth,
                          struct entry **out)
{
    struct frontier_host *h;
    struct entry *ent = NULL;
    char *copy = NULL;
    enum err e;

    *out = NULL;
    if (hmap_get(&f->seen, url))
        return ERR_OK;
    if ((e = host_for(f, url, &h)))
        return e;
    copy = strdup(url);
    ent = calloc(1, sizeof(*ent));
    if (!copy || !ent) {
        e = ERR_NOMEM;
        goto fail;
    }
    if ((e = count_pending(f, depth)))
        goto fail;
    if ((e = hmap_put(&f->seen, copy, ent, NULL))) {
        f->pending[depth]--;
        goto fail;
    }
    ent->url = copy;
    ent->depth = depth;
    enqueue(f, h, ent);
    f->queued++;
    ready_push(f, h);
    *out = ent;
    return ERR_OK;
fail:
    free(copy);
    free(ent);
    return e;
}

enum err frontier_add(struct frontier *f, const char *url, int depth,
                      bool *added)
{
    struct entry *ent;
    enum err e = add_entry(f, url, depth, &ent);

    *added = ent != NULL;
    return e;
}

bool frontier_knows_host(const struct frontier *f, const char *url)
{
    const char *hp;
    size_t n = url_hostport(url, &hp);
    char key[URL_MAX];

    if (!n || n >= sizeof(key))
        return false;
    memcpy(key, hp, n);
    key[n] = '\0';
    return hmap_get(&f->hosts, key) != NULL;
}

enum err frontier_add_robots(struct frontier *f, const char *robots_url,
                             int depth)
{
    struct frontier_host *h;
    bool added;
    enum err e;

    if (frontier_knows_host(f, robots_url))
        return ERR_OK;
    if ((e = frontier_add(f, robots_url, depth, &added)) || !added)
        return e;
    if ((e = host_for(f, robots_url, &h)))
        return e;
    h->head->robots = true;
    h->gated = true;
    return ERR_OK;
}

enum err frontier_promote(struct frontier *f, const char *url, int depth,
                          bool *promoted)
{
    struct hmap_slot *slot = hmap_get(&f->seen, url);
    struct entry *old = slot ? slot->value : NULL, *ent;
    struct frontier_host *h;
    enum err e;

    *promoted = false;
    if (!old || old->depth <= depth || old->robots || old->sitemap)
        return ERR_OK;
    if ((e = host_for(f, url, &h)))
        return e;
    if (!(ent = calloc(1, sizeof(*ent))))
        return ERR_NOMEM;
    if ((e = count_pending(f, depth))) {
        free(ent);
        return e;
    }
    ent->url = old->url;
    ent->depth = depth;
    old->dead = true;
    f->pending[old->depth]--;
    enqueue(f, h, ent);
    slot->value = ent;
    ready_push(f, h);
    *promoted = true;
    return ERR_OK;
}

enum err frontier_add_sitemap(struct frontier *f, const char *url, int depth,
                              int nest, bool *added)
{
    struct entry *ent;
    enum err e = add_entry(f, url, depth, &ent);

    *added = ent != NULL;
    if (ent) {
        ent->sitemap = true;
        ent->nest = (unsigned char)(nest > 255 ? 255 : nest);
    }
    return e;
}

enum err frontier_mark_seen(struct frontier *f, const char *url)
{
    char *copy;
    enum err e;

    if (hmap_get(&f->seen, url))
        return ERR_OK;
    if (!(copy = strdup(url)))
        return ERR_NOMEM;
    if ((e = hmap_put(&f->seen, copy, NULL, NULL)))
        free(copy);
    return e;
}

bool frontier_seen(const struct frontier *f, const char *url)
{
    return hmap_get(&f->seen, url) != NULL;
}

/* Moves sleeping hosts whose time has come back to the lists. */
static void wake(struct frontier *f)
{
    struct frontier_host *h = f->sleeping, *next, **keep = &f->sleeping;

    for (; h; h = next) {
        next = h->next_ready;
        if (h->next_at > f->now) {
            *keep = h;
            keep = &h->next_ready;
            continue;
        }
        h->in_sleep = false;
        ready_push(f, h);
    }
    *keep = NULL;
}

void frontier_set_delay(struct frontier *f, long delay_ms)
{
    f->delay_ms = delay_ms > 0 ? delay_ms : 0;
}

long frontier_wait_ms(const struct frontier *f, long now_ms)
{
    const struct frontier_host *h;
    long best = -1;

    for (h = f->sleeping; h; h = h->next_ready) {
        long w = h->next_at > now_ms ? h->next_at - now_ms : 0;
        if (best < 0 || w < best)
            best = w;
    }
    return best;
}

static long mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

bool frontier_next(struct frontier *f, struct frontier_job *job)
{
    return frontier_next_at(f, mono_ms(), job);
}

enum err frontier_retry(struct frontier *f, const struct frontier_job *job,
                        long not_before_ms)
{
    struct frontier_host *h = job->host;
    struct entry *ent = calloc(1, sizeof(*ent));

    if (!ent)
        return ERR_NOMEM;
    ent->url = job->url;
    ent->depth = job->depth;
    ent->attempts = job->attempts + 1;
    ent->robots = job->robots;
    ent->sitemap = job->sitemap;
    ent->nest = job->nest;
    /* At the head: host queues stay sorted by depth (the retry is of the
     * current level; anything behind it may be deeper). */
    ent->next = h->head;
    h->head = ent;
    if (!h->tail)
        h->tail = ent;
    f->queued++;
    if (not_before_ms > h->next_at)
        h->next_at = not_before_ms;
    /* Parked behind a deeper URL until now; the retry is of this level. */
    unpark(f, h);
    ready_push(f, h);
    return ERR_OK;
}

bool frontier_next_at(struct frontier *f, long now_ms, struct frontier_job *job)
{
    struct frontier_host *h;
    struct hmap_slot *slot;
    struct entry *ent;

    f->now = now_ms;
    wake(f);
    for (;;) {
        h = ready_pop(f);
        if (!h) {
            advance(f);
            h = ready_pop(f);
        }
        if (!h)
            return false;
        /* Promotions only happen while level 0 is open, so a ready host's
         * head is live; should one have died since it was pushed, its
         * next entry decides again. */
        purge_dead(h);
        if (h->head && h->head->depth <= f->level)
            break;
        ready_push(f, h);
    }
    ent = h->head;
    /* Handed out: no longer promotable. */
    if ((slot = hmap_get(&f->seen, ent->url)) && slot->value == ent)
        slot->value = NULL;
    h->head = ent->next;
    if (!h->head)
        h->tail = NULL;
    if (h->hint == ent)
        h->hint = NULL;
    h->active++;
    f->queued--;
    job->url = ent->url;
    job->depth = ent->depth;
    job->attempts = ent->attempts;
    job->robots = ent->robots;
    job->sitemap = ent->sitemap;
    job->nest = ent->nest;
    job->host = h;
    free(ent);
    if (f->delay_ms)
        h->next_at = now_ms + f->delay_ms;
    ready_push(f, h);
    return true;
}

void frontier_release(struct frontier *f, const struct frontier_job *job)
{
    struct frontier_host *h = job->host;

    if (h->active > 0)
        h->active--;
    ready_push(f, h);
}

void frontier_done(struct frontier *f, const struct frontier_job *job)
{
    /* The crawl has read the host's robots.txt: its pages may go out. */
    if (job->robots) {
        job->host->gated = false;
        ready_push(f, job->host);
    }
    if ((size_t)job->depth < f->npending && f->pending[job->depth] > 0)
        f->pending[job->depth]--;
    advance(f);
}

size_t frontier_queued(const struct frontier *f)
{
    return f->queued;
}

size_t frontier_seen_count(const struct frontier *f)
{
    return f->seen.len;
}

enum err frontier_each_queued(const struct frontier *f,
                              enum err (*fn)(void *ctx, const char *url),
                              void *ctx)
{
    const struct entry *ent;
    enum err e = ERR_OK;
    size_t i;

    for (i = 0; i < f->hosts.cap && !e; i++) {
        const struct frontier_host *h = f->hosts.slots[i].value;
        for (ent = h ? h->head : NULL; ent && !e; ent = ent->next)
            if (!ent->robots && !ent->sitemap && !ent->dead)
                e = fn(ctx, ent->url);
    }
    return e;
}
