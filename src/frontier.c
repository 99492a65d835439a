/*
 * frontier.c - per-host FIFO queues over one dedup set (see frontier.h).
 *
 * Design:
 *   seen   hmap url -> entry         owns every URL string (one copy);
 *                                    the value is the URL's entry while
 *                                    it is queued, out or held, then NULL
 *   hosts  hmap host:port -> host    each host owns a FIFO of entries
 *   ready  FIFO of hosts that have queued URLs and a free slot
 *
 * A host is on the ready list iff it has queued entries, active <
 * per_host, its first entry is within the horizon, and in_ready is set.
 * next() pops the head host, takes one entry, and puts the host back at
 * the tail if it still qualifies, which makes hand-out round-robin across
 * hosts.  release() re-qualifies a host that had been held back by its
 * limit.
 *
 * Time: a host whose next_at lies in the future (--delay since its last
 * fetch started, or a server's Retry-After) waits on the sleeping list;
 * frontier_next_at() wakes the hosts whose time has come.
 *
 * Levels (breadth-first by depth, exactly, without waiting for them).
 * An entry's depth is the shortest path to it known so far: an upper
 * bound on its link distance from the seeds, lowered (relax()) when a
 * shorter path turns up.  pending[d] counts entries of depth d queued,
 * out or held (not done); `level` is the smallest d with pending[d] > 0.
 * Every page of depth < level is done, and done pages added their links,
 * so every depth <= level + 1 is exact (only 0 while seeds may still
 * arrive: a sitemap's seed may be a URL queued deeper), and those entries
 * may go out at any time: their records are final when they come back.
 * With the lookahead open (frontier_set_lookahead), deeper entries go out
 * too, but a page fetched at a depth that may still shrink is held
 * (frontier_hold) until the level reaches it, then handed back as ripe
 * (frontier_ripe) with its exact depth, so the set of pages within
 * --depth and every depth recorded never depend on timing while no slow
 * page idles the fetch slots.  Hosts whose next entry lies beyond the
 * horizon wait on the parked list.  A host's queue is sorted by depth
 * (enqueue()), so its head is its shallowest URL; relaxing a queued
 * entry marks it dead and queues a shallower copy, and dead entries are
 * freed when they reach the head (purge_dead).
 */
#include "scrape/clock.h"
#include "scrape/frontier.h"

#include <assert.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "scrape/hmap.h"
#include "scrape/url.h"

enum entry_state {
    QUEUED, /* in its host's queue */
    OUT,    /* handed out, not done (a ripe entry is out again) */
    HELD,   /* fetched at a depth that may shrink: on the held list */
    SENT,   /* shared: passed on to the shared frontier, not claimed here */
};

struct frontier_entry {
    const char *url; /* owned by the seen set */
    int depth;
    int attempts;
    bool robots;
    bool sitemap;
    bool dead; /* replaced by a shallower copy (relax) */
    unsigned char nest;
    unsigned char state; /* enum entry_state */
    struct frontier_entry
        *next; /* in the host queue, the held or the ripe list */
    struct frontier_entry *prev; /* in the held list */
    void *data;                  /* held: the caller's record */
};

struct frontier_host {
    char *name; /* host:port, the key in `hosts` */
    struct frontier_entry *head, *tail;
    unsigned active;
    bool in_ready;  /* on the ready list */
    bool in_parked; /* on the parked list */
    bool in_sleep;  /* on the sleeping list: next_at is in the future */
    bool gated;     /* robots.txt not fetched yet: only it may go out */
    struct frontier_entry *hint; /* the last entry inserted out of order */
    long next_at;     /* earliest start of its next fetch (--delay, retry) */
    long delay_ms;    /* its own least gap between starts (Crawl-delay) */
    long throttle_ms; /* --auto-throttle's gap, or 0 */
    long raised_at;   /* when it last grew (frontier_next_at's clock) */
    unsigned long fetched;            /* fetches handed out */
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
    int level;       /* the smallest depth not done */
    size_t *pending; /* per depth: queued, out or held, not done */
    size_t npending;
    size_t total;    /* the sum of pending */
    bool lookahead;  /* hand out entries deeper than they are exact */
    bool late_seeds; /* level 0 may gain seeds until it is done */
    struct frontier_entry *held; /* held entries (doubly linked) */
    struct frontier_entry *ripe_head, *ripe_tail; /* held entries now exact */
    size_t nheld;
    bool shared; /* a shared frontier hands work out (frontier_set_shared) */
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
    for (i = 0; i < f->seen.cap; i++) {
        struct frontier_entry *e = f->seen.slots[i].value;
        /* Held and out entries are in no host queue. */
        if (e && e->state != QUEUED)
            free(e);
        free((char *)f->seen.slots[i].key);
    }
    for (i = 0; i < f->hosts.cap; i++) {
        struct frontier_host *h = f->hosts.slots[i].value;
        struct frontier_entry *e, *next;
        if (!h)
            continue;
        for (e = h->head; e; e = next) {
            next = e->next;
            free(e);
        }
        free(h->name);
        free(h);
    }
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
        struct frontier_entry *e = h->head;
        h->head = e->next;
        if (!h->head)
            h->tail = NULL;
        if (h->hint == e)
            h->hint = NULL;
        free(e);
    }
}

/* The greatest depth that is exact now: level + 1, but only 0 while
 * seeds may still arrive (a seed may be a URL queued deeper). */
static int exact_limit(const struct frontier *f)
{
    if (f->shared)
        return INT_MAX; /* claimed URLs come with their final depth */
    return f->late_seeds && f->level == 0 ? 0 : f->level + 1;
}

/* The deepest entry that may go out now. */
static int horizon(const struct frontier *f)
{
    return f->lookahead ? INT_MAX : exact_limit(f);
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
    if (h->head->depth > horizon(f)) {
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

/* Gives every parked host another look (the horizon moved). */
static void unpark_all(struct frontier *f)
{
    struct frontier_host *h = f->parked, *next;

    f->parked = NULL;
    for (; h; h = next) {
        next = h->next_ready;
        h->in_parked = false;
        ready_push(f, h);
    }
}

static void held_unlink(struct frontier *f, struct frontier_entry *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        f->held = e->next;
    if (e->next)
        e->next->prev = e->prev;
    e->prev = e->next = NULL;
    f->nheld--;
}

static void ripe_push(struct frontier *f, struct frontier_entry *e)
{
    e->state = OUT;
    e->next = NULL;
    if (f->ripe_tail)
        f->ripe_tail->next = e;
    else
        f->ripe_head = e;
    f->ripe_tail = e;
}

/* Moves the held entries whose depth is now exact to the ripe list. */
static void ripen(struct frontier *f)
{
    struct frontier_entry *e = f->held, *next;

    for (; e; e = next) {
        next = e->next;
        if (e->depth <= exact_limit(f)) {
            held_unlink(f, e);
            ripe_push(f, e);
        }
    }
}

/* Moves to the next level while the current one is finished; held pages
 * it makes exact ripen, and parked hosts get another look. */
static void advance(struct frontier *f)
{
    int from = f->level;

    while (f->total && (size_t)f->level < f->npending &&
           f->pending[f->level] == 0)
        f->level++;
    if (f->level == from)
        return;
    ripen(f);
    unpark_all(f);
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
    f->total++;
    return ERR_OK;
}

static void uncount_pending(struct frontier *f, int depth)
{
    if ((size_t)depth < f->npending && f->pending[depth] > 0) {
        f->pending[depth]--;
        f->total--;
    }
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
                    struct frontier_entry *ent)
{
    struct frontier_entry *prev;

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

/* Lowers live entry `old` (of `url`, slot `slot` in seen) to `depth`: a
 * shorter path to it was found.  A queued entry is replaced by a copy
 * queued at its new place; an out or held one just counts at its new
 * depth, and a held one that is now exact ripens. */
static enum err relax(struct frontier *f, struct hmap_slot *slot,
                      struct frontier_entry *old, int depth)
{
    struct frontier_host *h;
    struct frontier_entry *ent;
    enum err e;

    if ((e = count_pending(f, depth)))
        return e;
    uncount_pending(f, old->depth);
    if (old->state != QUEUED) {
        old->depth = depth;
        if (old->state == HELD && depth <= exact_limit(f)) {
            held_unlink(f, old);
            ripe_push(f, old);
        }
        return ERR_OK;
    }
    if ((e = host_for(f, old->url, &h)) || !(ent = calloc(1, sizeof(*ent)))) {
        uncount_pending(f, depth);
        count_pending(f, old->depth); /* cannot fail: counted before */
        return e ? e : ERR_NOMEM;
    }
    *ent = *old;
    ent->next = NULL;
    ent->depth = depth;
    old->dead = true;
    enqueue(f, h, ent);
    slot->value = ent;
    ready_push(f, h);
    return ERR_OK;
}

/* frontier_add: *out is the entry made or lowered, NULL when the URL
 * was known at no greater depth. */
static enum err add_entry(struct frontier *f, const char *url, int depth,
                          struct frontier_entry **out)
{
    struct frontier_host *h;
    struct hmap_slot *slot;
    struct frontier_entry *ent = NULL;
    char *copy = NULL;
    enum err e;

    *out = NULL;
    if ((slot = hmap_get(&f->seen, url))) {
        ent = slot->value;
        if (!ent || ent->depth <= depth || ent->robots || ent->sitemap)
            return ERR_OK;
        if ((e = relax(f, slot, ent, depth)))
            return e;
        *out = slot->value;
        return ERR_OK;
    }
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
        uncount_pending(f, depth);
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

/* frontier_add on a shared frontier: the URL is only remembered, with
 * the smallest depth passed on, so it is passed on again only shallower. */
static enum err add_sent(struct frontier *f, const char *url, int depth,
                         bool *added)
{
    struct hmap_slot *slot = hmap_get(&f->seen, url);
    struct frontier_entry *ent;
    char *copy;
    enum err e;

    *added = false;
    if (slot) {
        ent = slot->value;
        if (ent && ent->state == SENT && depth < ent->depth) {
            ent->depth = depth;
            *added = true;
        }
        return ERR_OK;
    }
    copy = strdup(url);
    ent = calloc(1, sizeof(*ent));
    if (!copy || !ent || (e = hmap_put(&f->seen, copy, ent, NULL))) {
        free(copy);
        free(ent);
        return ERR_NOMEM;
    }
    ent->url = copy;
    ent->depth = depth;
    ent->state = SENT;
    *added = true;
    return ERR_OK;
}

enum err frontier_add(struct frontier *f, const char *url, int depth,
                      bool *added)
{
    struct frontier_entry *ent;
    enum err e;

    if (f->shared)
        return add_sent(f, url, depth, added);
    e = add_entry(f, url, depth, &ent);

    *added = ent != NULL;
    return e;
}

/* The host record of canonical `url`, or NULL when none was made. */
static struct frontier_host *host_of(const struct frontier *f, const char *url)
{
    char key[URL_MAX];
    struct hmap_slot *slot;

    if (!url_hostport_key(url, key, sizeof(key)))
        return NULL;
    slot = hmap_get(&f->hosts, key);
    return slot ? slot->value : NULL;
}

long frontier_floor_ms(const struct frontier *f, const struct frontier_job *job)
{
    const struct frontier_host *h = job->host;

    return h->delay_ms > f->delay_ms ? h->delay_ms : f->delay_ms;
}

long frontier_throttle_ms(const struct frontier *f,
                          const struct frontier_job *job, long *since_raise_ms)
{
    *since_raise_ms = f->now - job->host->raised_at;
    return job->host->throttle_ms;
}

void frontier_set_throttle(struct frontier *f, const struct frontier_job *job,
                           long gap_ms)
{
    struct frontier_host *h = job->host;

    if (gap_ms > h->throttle_ms)
        h->raised_at = f->now;
    h->throttle_ms = gap_ms > 0 ? gap_ms : 0;
}

size_t frontier_busiest(const struct frontier *f, struct frontier_busy *out,
                        size_t n)
{
    size_t k = 0, i, j;

    for (i = 0; n && i < f->hosts.cap; i++) {
        const struct frontier_host *h = f->hosts.slots[i].value;
        if (!f->hosts.slots[i].key || !h || !h->fetched)
            continue;
        if (k < n)
            j = k++;
        else if (out[n - 1].fetched >= h->fetched)
            continue;
        else
            j = n - 1;
        /* Kept sorted, most fetched first. */
        for (; j > 0 && out[j - 1].fetched < h->fetched; j--)
            out[j] = out[j - 1];
        out[j] = (struct frontier_busy){h->name, h->fetched, h->throttle_ms};
    }
    return k;
}

enum err frontier_set_host_delay(struct frontier *f, const char *url,
                                 long delay_ms)
{
    struct frontier_host *h;
    enum err e = host_for(f, url, &h);

    if (!e)
        h->delay_ms = delay_ms > 0 ? delay_ms : 0;
    return e;
}

bool frontier_knows_host(const struct frontier *f, const char *url)
{
    return host_of(f, url) != NULL;
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

enum err frontier_add_sitemap(struct frontier *f, const char *url, int depth,
                              int nest, bool *added)
{
    struct frontier_entry *ent = NULL;
    enum err e = ERR_OK;

    /* A URL known as a page is not turned into a sitemap by lowering it. */
    if (!hmap_get(&f->seen, url))
        e = add_entry(f, url, depth, &ent);
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

void frontier_set_shared(struct frontier *f)
{
    f->shared = true;
}

enum err frontier_add_claimed(struct frontier *f, const char *url, int depth,
                              bool robots)
{
    struct hmap_slot *slot = hmap_get(&f->seen, url);
    struct frontier_entry *ent = slot ? slot->value : NULL;
    struct frontier_host *h;
    char *copy = NULL;
    enum err e;

    /* Done here, or here already (a lease of ours renewed by a claim). */
    if (slot && (!ent || ent->state != SENT))
        return ERR_OK;
    if ((e = host_for(f, url, &h)))
        return e;
    if (!ent) {
        copy = strdup(url);
        ent = calloc(1, sizeof(*ent));
        if (!copy || !ent || hmap_put(&f->seen, copy, ent, NULL)) {
            free(copy);
            free(ent);
            return ERR_NOMEM;
        }
        ent->url = copy;
    }
    if ((e = count_pending(f, depth)))
        return e; /* stays SENT: the claim's lease runs out */
    ent->depth = depth;
    ent->state = QUEUED;
    ent->robots = robots;
    if (robots)
        h->gated = true;
    enqueue(f, h, ent);
    f->queued++;
    ready_push(f, h);
    return ERR_OK;
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

bool frontier_next(struct frontier *f, struct frontier_job *job)
{
    return frontier_next_at(f, clock_ms(), job);
}

enum err frontier_retry(struct frontier *f, const struct frontier_job *job,
                        long not_before_ms)
{
    struct frontier_host *h = job->host;
    struct frontier_entry *ent = job->entry;

    ent->attempts = job->attempts + 1;
    ent->state = QUEUED;
    ent->next = NULL;
    /* In depth order, usually at the head: its depth is the shallowest
     * the host has. */
    enqueue(f, h, ent);
    f->queued++;
    if (not_before_ms > h->next_at)
        h->next_at = not_before_ms;
    /* Parked behind a deeper URL until now. */
    unpark(f, h);
    ready_push(f, h);
    return ERR_OK;
}

/* The least gap between two fetch starts on host `h`: --delay, its
 * Crawl-delay, --auto-throttle's, whichever is longest. */
static long host_gap(const struct frontier *f, const struct frontier_host *h)
{
    long gap = f->delay_ms;

    if (h->delay_ms > gap)
        gap = h->delay_ms;
    return h->throttle_ms > gap ? h->throttle_ms : gap;
}

/* Fills `job` from entry `ent` of host `h`. */
static void fill_job(struct frontier_job *job, struct frontier_entry *ent,
                     struct frontier_host *h)
{
    job->url = ent->url;
    job->depth = ent->depth;
    job->attempts = ent->attempts;
    job->robots = ent->robots;
    job->sitemap = ent->sitemap;
    job->nest = ent->nest;
    job->host = h;
    job->entry = ent;
}

bool frontier_next_at(struct frontier *f, long now_ms, struct frontier_job *job)
{
    struct frontier_host *h;
    struct frontier_entry *ent;

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
        /* A ready host's head may have died (relaxed) or the horizon
         * closed since it was pushed: its next entry decides again. */
        purge_dead(h);
        if (h->head && h->head->depth <= horizon(f))
            break;
        ready_push(f, h);
    }
    ent = h->head;
    h->head = ent->next;
    if (!h->head)
        h->tail = NULL;
    if (h->hint == ent)
        h->hint = NULL;
    ent->next = NULL;
    ent->state = OUT;
    h->active++;
    f->queued--;
    fill_job(job, ent, h);
    h->fetched++;
    if (f->delay_ms || h->delay_ms || h->throttle_ms)
        h->next_at = now_ms + host_gap(f, h);
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
    struct frontier_entry *ent = job->entry;
    struct hmap_slot *slot;

    /* Once per job: a held entry is done only after frontier_ripe or
     * frontier_take_held gave it back. */
    assert(ent && ent->state == OUT);
    slot = hmap_get(&f->seen, ent->url);

    /* The crawl has read the host's robots.txt: its pages may go out. */
    if (job->robots) {
        job->host->gated = false;
        ready_push(f, job->host);
    }
    if (slot && slot->value == ent)
        slot->value = NULL;
    uncount_pending(f, ent->depth);
    free(ent);
    advance(f);
}

int frontier_depth(const struct frontier_job *job)
{
    return job->entry->depth;
}

bool frontier_exact(struct frontier *f, const struct frontier_job *job)
{
    advance(f);
    return job->entry->depth <= exact_limit(f);
}

void frontier_hold(struct frontier *f, const struct frontier_job *job,
                   void *data)
{
    struct frontier_entry *ent = job->entry;

    ent->data = data;
    advance(f);
    if (ent->depth <= exact_limit(f)) {
        ripe_push(f, ent);
        return;
    }
    ent->state = HELD;
    ent->prev = NULL;
    ent->next = f->held;
    if (f->held)
        f->held->prev = ent;
    f->held = ent;
    f->nheld++;
}

bool frontier_ripe(struct frontier *f, struct frontier_job *job, void **data)
{
    struct frontier_entry *ent = f->ripe_head;

    if (!ent)
        return false;
    f->ripe_head = ent->next;
    if (!f->ripe_head)
        f->ripe_tail = NULL;
    ent->next = NULL;
    fill_job(job, ent, host_of(f, ent->url));
    *data = ent->data;
    ent->data = NULL;
    return true;
}

void *frontier_take_held(struct frontier *f, struct frontier_job *job)
{
    struct frontier_entry *ent = f->held;
    void *data;

    if (!ent)
        return frontier_ripe(f, job, &data) ? data : NULL;
    held_unlink(f, ent);
    ent->state = OUT;
    fill_job(job, ent, host_of(f, ent->url));
    data = ent->data;
    ent->data = NULL;
    return data;
}

size_t frontier_held(const struct frontier *f)
{
    return f->nheld;
}

void frontier_expect_late_seeds(struct frontier *f)
{
    f->late_seeds = true;
}

void frontier_set_lookahead(struct frontier *f, bool on)
{
    if (f->lookahead == on)
        return;
    f->lookahead = on;
    if (on)
        unpark_all(f);
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
    const struct frontier_entry *ent;
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
