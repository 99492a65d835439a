/*
 * hmap.h - string-keyed hash map (open addressing, linear probing).
 *
 * Used for the frontier's dedup set and its host table.  The map borrows
 * keys: the caller keeps each key alive (and unchanged) for as long as it
 * is in the map.  Lookups and inserts are O(1) on average; the table
 * doubles at 50% load so probe runs stay short at 100,000+ entries.
 *
 * Not thread-safe.
 */
#ifndef SCRAPE_HMAP_H
#define SCRAPE_HMAP_H

#include <stddef.h>
#include <stdint.h>

#include "scrape/err.h"

struct hmap_slot {
    const char *key; /* NULL = empty slot */
    uint64_t hash;
    void *value;
};

struct hmap {
    struct hmap_slot *slots;
    size_t cap; /* power of two, or 0 before the first insert */
    size_t len;
};

/* Initialises an empty map; allocates nothing. */
void hmap_init(struct hmap *m);

/* Frees the table (not the keys or values).  Twice is a no-op. */
void hmap_release(struct hmap *m);

/* Returns the slot holding `key`, or NULL when absent. */
struct hmap_slot *hmap_get(const struct hmap *m, const char *key);

/* Inserts `key` -> `value` unless the key is present.  Sets *slot to the
 * key's slot (new or existing) and returns ERR_OK, or ERR_NOMEM. */
enum err hmap_put(struct hmap *m, const char *key, void *value,
                  struct hmap_slot **slot);

/* 64-bit FNV-1a of a NUL-terminated string, with its high bits folded
 * into the low ones (h ^ h >> 29): the table index uses the low bits. */
uint64_t hmap_hash(const char *s);

#endif
