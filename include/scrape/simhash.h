/*
 * simhash.h - 64-bit SimHash fingerprints of text, for near-duplicates.
 *
 * Text is split into words (runs of ASCII letters and digits, or of bytes
 * >= 0x80 so UTF-8 words stay whole; ASCII lower-cased), consecutive
 * words form 3-word shingles, and each shingle's 64-bit hash votes on the
 * 64 bits of the fingerprint (Charikar 2002).  Pages that share most of
 * their text get fingerprints a few bits apart; unrelated pages differ in
 * about 32 bits.  Compare with simhash_distance().
 *
 * A `struct simhash` accumulates text fed in pieces (one per text node);
 * each piece ends a word.  Pure; thread-safe per object.
 */
#ifndef SCRAPE_SIMHASH_H
#define SCRAPE_SIMHASH_H

#include <stddef.h>
#include <stdint.h>

/* Words per shingle. */
#define SIMHASH_SHINGLE 3

/* Bit planes of the sliced counters, and the shingles counted in them
 * before they are flushed (what SIMHASH_PLANES bits hold). */
#define SIMHASH_PLANES 16
#define SIMHASH_FLUSH  65535

/* Shingle hashes counted together (a carry-save adder tree of 8). */
#define SIMHASH_BATCH 8

struct simhash {
    uint64_t planes[SIMHASH_PLANES];  /* bit k of every counter */
    uint32_t in_planes;               /* shingles counted in planes */
    uint32_t counts[64];              /* flushed: shingles with bit i set */
    uint64_t shingles;                /* all shingles counted */
    uint64_t window[SIMHASH_SHINGLE]; /* hashes of the last words */
    uint64_t nwords;
    uint64_t pend[SIMHASH_BATCH]; /* shingle hashes not counted yet */
    unsigned npend;
};

/* Starts an empty fingerprint.  Cannot fail. */
void simhash_init(struct simhash *s);

/* Adds the words of text[0..n). */
void simhash_add(struct simhash *s, const char *text, size_t n);

/* The fingerprint of everything added (0 when there were no words). */
uint64_t simhash_value(const struct simhash *s);

/* Number of differing bits, 0..64. */
int simhash_distance(uint64_t a, uint64_t b);

#endif
