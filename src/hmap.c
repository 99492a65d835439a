/*
 * hmap.c - string-keyed open-addressing hash map (see hmap.h).
 *
 * No deletion: the frontier only ever adds keys during a run, which keeps
 * probing simple (no tombstones).
 */
#include "scrape/hmap.h"

#include <stdlib.h>
#include <string.h>

#define HMAP_MIN_CAP 64

void hmap_init(struct hmap *m)
{
    m->slots = NULL;
    m->cap = 0;
    m->len = 0;
}

void hmap_release(struct hmap *m)
{
    free(m->slots);
    hmap_init(m);
}

uint64_t hmap_hash(const char *s)
{
    uint64_t h = 14695981039346656037ULL;

    while (*s) {
        h ^= (unsigned char)*s++;
        h *= 1099511628211ULL;
    }
    /* Mix the high bits down: the index uses the low bits. */
    h ^= h >> 29;
    return h;
}

static struct hmap_slot *find(const struct hmap_slot *slots, size_t cap,
                              const char *key, uint64_t hash)
{
    size_t i = (size_t)hash & (cap - 1);

    for (;;) {
        const struct hmap_slot *s = &slots[i];
        if (!s->key || (s->hash == hash && !strcmp(s->key, key)))
            return (struct hmap_slot *)s;
        i = (i + 1) & (cap - 1);
    }
}

static enum err grow(struct hmap *m)
{
    size_t ncap = m->cap ? m->cap * 2 : HMAP_MIN_CAP, i;
    struct hmap_slot *ns = calloc(ncap, sizeof(*ns));

    if (!ns)
        return ERR_NOMEM;
    for (i = 0; i < m->cap; i++) {
        struct hmap_slot *s = &m->slots[i];
        if (s->key)
            *find(ns, ncap, s->key, s->hash) = *s;
    }
    free(m->slots);
    m->slots = ns;
    m->cap = ncap;
    return ERR_OK;
}

struct hmap_slot *hmap_get(const struct hmap *m, const char *key)
{
    struct hmap_slot *s;

    if (!m->cap)
        return NULL;
    s = find(m->slots, m->cap, key, hmap_hash(key));
    return s->key ? s : NULL;
}

enum err hmap_put(struct hmap *m, const char *key, void *value,
                  struct hmap_slot **slot)
{
    uint64_t h = hmap_hash(key);
    struct hmap_slot *s;
    enum err e;

    if ((m->len + 1) * 2 > m->cap && (e = grow(m)))
        return e;
    s = find(m->slots, m->cap, key, h);
    if (!s->key) {
        s->key = key;
        s->hash = h;
        s->value = value;
        m->len++;
    }
    if (slot)
        *slot = s;
    return ERR_OK;
}
