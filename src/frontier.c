/*
 * frontier.c - per-host FIFO queues over one dedup set (see frontier.h).
 *
 * Design:
 *   seen   hmap url -> NULL          owns every URL string (one copy)
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
 * Levels (breadth-first by depth, exactly): URLs of depth d+1 are handed
 * out only once every URL of depth d is done (fetched and its links
 * added).  Without this, with many fetches in flight, a page could first
 * be reached by a longer path, get a larger depth than its distance from
 * the seeds, and push its own links past --depth: the set of pages would
 * depend on timing.  pending[d] counts URLs of depth d queued or out;
 * hosts whose next URL is deeper than the level wait on the parked list.
 */
#include "scrape/frontier.h"

#include <stdlib.h>
#include <string.h>

#include "scrape/hmap.h"
#include "scrape/url.h"

struct entry {
    const char *url; /* owned by the seen set */
    int depth;
    struct entry *next;
};

struct frontier_host {
    char *name; /* host:port, the key in `hosts` */
    struct entry *head, *tail;
    unsigned active;
    bool in_ready;                    /* on the ready list */
    bool in_parked;                   /* on the parked list */
    struct frontier_host *next_ready; /* link in whichever list */
};

struct frontier {
    unsigned per_host;
    struct hmap seen;
    struct hmap hosts;
    struct frontier_host *ready_head, *ready_tail;
    struct frontier_host *parked;
    size_t queued;
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

static void ready_push(struct frontier *f, struct frontier_host *h)
{
    if (h->in_ready || h->in_parked || !h->head || h->active >= f->per_host)
        return;
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

enum err frontier_add(struct frontier *f, const char *url, int depth,
                      bool *added)
{
    struct frontier_host *h;
    struct entry *ent = NULL;
    char *copy = NULL;
    enum err e;

    *added = false;
    if (hmap_get(&f->seen, url))
        return ERR_OK;
    if ((e = host_for(f, url, &h)))
        return e;
    copy = strdup(url);
    ent = malloc(sizeof(*ent));
    if (!copy || !ent) {
        e = ERR_NOMEM;
        goto fail;
    }
    if ((e = count_pending(f, depth)))
        goto fail;
    if ((e = hmap_put(&f->seen, copy, NULL, NULL))) {
        f->pending[depth]--;
        goto fail;
    }
    ent->url = copy;
    ent->depth = depth;
    ent->next = NULL;
    if (h->tail)
        h->tail->next = ent;
    else
        h->head = ent;
    h->tail = ent;
    f->queued++;
    ready_push(f, h);
    *added = true;
    return ERR_OK;
fail:
    free(copy);
    free(ent);
    return e;
}

bool frontier_seen(const struct frontier *f, const char *url)
{
    return hmap_get(&f->seen, url) != NULL;
}

bool frontier_next(struct frontier *f, struct frontier_job *job)
{
    struct frontier_host *h = ready_pop(f);
    struct entry *ent;

    if (!h) {
        advance(f);
        h = ready_pop(f);
    }
    if (!h)
        return false;
    ent = h->head;
    h->head = ent->next;
    if (!h->head)
        h->tail = NULL;
    h->active++;
    f->queued--;
    job->url = ent->url;
    job->depth = ent->depth;
    job->host = h;
    free(ent);
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
