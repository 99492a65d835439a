/*
 * Unit tests for dupes.c: near-duplicate clusters from SimHash
 * fingerprints, checked against comparing every pair.
 */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "scrape/dupes.h"

/* The clusters by brute force: connected components of "within d
 * bits", each labelled by its smallest index. */
static void brute(const uint64_t *h, size_t n, int d, size_t *root)
{
    size_t i, j;
    bool changed = true;

    for (i = 0; i < n; i++)
        root[i] = i;
    while (changed) {
        changed = false;
        for (i = 0; i < n; i++)
            for (j = 0; j < n; j++)
                if (__builtin_popcountll(h[i] ^ h[j]) <= d &&
                    root[j] < root[i]) {
                    root[i] = root[j];
                    changed = true;
                }
    }
}

Test(dupes, bands_find_every_pair_within_the_distance)
{
    enum { N = 400 };
    uint64_t h[N], x = 0x9E3779B97F4A7C15ULL;
    size_t got[N], want[N], i;
    int d, k;

    /* Random fingerprints, and copies of some with a few bits flipped
     * anywhere (including across band boundaries). */
    for (i = 0; i < N; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        h[i] = x;
        if (i % 3 == 1) {
            h[i] = h[i - 1];
            for (k = 0; k < (int)(i % 5); k++)
                h[i] ^= 1ULL << ((x >> (6 * k)) % 64);
        }
    }
    for (d = 0; d <= 6; d++) {
        cr_assert_eq(dupes_cluster(h, N, d, got), ERR_OK);
        brute(h, N, d, want);
        for (i = 0; i < N; i++)
            cr_assert_eq(got[i], want[i], "distance %d, fingerprint %zu", d, i);
    }
}

Test(dupes, chains_join_and_bad_distances_are_refused)
{
    /* a~b and b~c within 1 bit, a and c 2 apart: one cluster. */
    uint64_t h[] = {0x0, 0x1, 0x3, 0xF0F0F0F0F0F0F0F0ULL};
    size_t root[4];

    cr_assert_eq(dupes_cluster(h, 4, 1, root), ERR_OK);
    cr_assert_eq(root[0], 0);
    cr_assert_eq(root[1], 0);
    cr_assert_eq(root[2], 0);
    cr_assert_eq(root[3], 3);
    cr_assert_eq(dupes_cluster(h, 4, 64, root), ERR_INVALID);
    cr_assert_eq(dupes_cluster(h, 4, -1, root), ERR_INVALID);
    cr_assert_eq(dupes_cluster(h, 0, 3, root), ERR_OK);
}
