/*
 * dupes.h - clusters of near-duplicate pages from their SimHash
 * fingerprints (simhash.h).
 *
 * Two fingerprints are near when they differ in at most `distance` bits;
 * a cluster is a connected component of that relation.  Comparing every
 * pair is quadratic, so fingerprints are bucketed by distance + 1 bands of
 * their 64 bits (two fingerprints within `distance` bits agree exactly on
 * at least one band, by pigeonhole) and only those sharing a band value
 * are compared; components come from union-find.  Pure computation.
 */
#ifndef SCRAPE_DUPES_H
#define SCRAPE_DUPES_H

#include <stddef.h>
#include <stdint.h>

#include "scrape/err.h"

/* Distances accepted (bits). */
#define DUPES_DISTANCE_MAX 63

/* Sets root[i], for each of the n fingerprints, to the smallest index in
 * its cluster (root[i] == i for a page near no other).  `distance` is
 * 0..DUPES_DISTANCE_MAX.  ERR_NOMEM, ERR_INVALID (distance). */
enum err dupes_cluster(const uint64_t *hash, size_t n, int distance,
                       size_t *root);

#endif
