/*
 * frontier.c - per-host FIFO queues over one dedup set (see frontier.h).
 *
 * Design:
 *   seen   hmap url -> NULL          owns every URL string (one copy)
 *   hosts  hmap host:port -> host    each host owns a FIFO of entries
 *   ready  FIFO of hosts that have queued URLs and a free slot
 *
 * A host is on the ready list iff it has queued entries, active <
 * per_host, and in_ready is set.  next() pops the head host, takes one
 * entry, and puts the host back at the tail if it still qualifies, which
 * makes hand-out round-robin across hosts.  done() re-qualifies a host
 * that had been held back by its limit.
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
    bool in_ready;
    struct frontier_host *next_ready;
};

struct frontier {
    unsigned per_host;
    struct hmap seen;
    struct hmap hosts;
    struct frontier_host *ready_head, *ready_tail;
    size_t queued;
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
    free(f);
}

static void ready_push(struct frontier *f, struct frontier_host *h)
{
    if (h->in_ready || !h->head || h->active >= f->per_host)
        return;
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
    if ((e = hmap_put(&f->seen, copy, NULL, NULL)))
        goto fail;
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

void frontier_done(struct frontier *f, const struct frontier_job *job)
{
    struct frontier_host *h = job->host;

    if (h->active > 0)
        h->active--;
    ready_push(f, h);
}

size_t frontier_queued(const struct frontier *f)
{
    return f->queued;
}

size_t frontier_seen_count(const struct frontier *f)
{
    return f->seen.len;
}
