/*
 * dupes.c - near-duplicate clusters by banded SimHash (see dupes.h).
 */
#include "scrape/dupes.h"

#include <stdlib.h>

/* One fingerprint's value on the band being compared, and its index:
 * sorting these pairs needs no context beside qsort's arguments. */
struct keyed {
    uint64_t key;
    size_t i;
};

static int by_key(const void *a, const void *b)
{
    const struct keyed *x = a, *y = b;

    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

static size_t find_root(size_t *parent, size_t i)
{
    while (parent[i] != i) {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    return i;
}

/* The smaller index becomes the root, so roots are each cluster's
 * first fingerprint whatever the order of the unions. */
static void join(size_t *parent, size_t a, size_t b)
{
    a = find_root(parent, a);
    b = find_root(parent, b);
    if (a < b)
        parent[b] = a;
    else if (b < a)
        parent[a] = b;
}

/* Unions every pair within `distance` bits that agrees on band `mask`. */
static void join_band(const uint64_t *hash, size_t n, uint64_t mask,
                      int distance, struct keyed *k, size_t *parent)
{
    size_t i, j, start;

    for (i = 0; i < n; i++) {
        k[i].key = hash[i] & mask;
        k[i].i = i;
    }
    qsort(k, n, sizeof(*k), by_key);
    for (start = 0; start < n; start = i) {
        for (i = start; i < n && k[i].key == k[start].key; i++)
            for (j = start; j < i; j++)
                if (__builtin_popcountll(hash[k[i].i] ^ hash[k[j].i]) <=
                    distance)
                    join(parent, k[i].i, k[j].i);
    }
}

enum err dupes_cluster(const uint64_t *hash, size_t n, int distance,
                       size_t *root)
{
    struct keyed *k;
    size_t i;
    int b, bands = distance + 1;

    if (distance < 0 || distance > DUPES_DISTANCE_MAX)
        return ERR_INVALID;
    if (!(k = malloc((n + 1) * sizeof(*k))))
        return ERR_NOMEM;
    for (i = 0; i < n; i++)
        root[i] = i;
    /* Pigeonhole: within `distance` bits means equal on one of
     * distance + 1 bands. */
    for (b = 0; b < bands; b++) {
        int lo = 64 * b / bands, hi = 64 * (b + 1) / bands;
        uint64_t mask = (hi - lo == 64 ? ~0ULL : ((1ULL << (hi - lo)) - 1))
                        << lo;
        join_band(hash, n, mask, distance, k, root);
    }
    for (i = 0; i < n; i++)
        root[i] = find_root(root, i);
    free(k);
    return ERR_OK;
}
