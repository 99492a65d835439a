/*
 * simhash.c - SimHash over word shingles (see simhash.h).
 *
 * A fingerprint bit is set when more than half of the shingle hashes have
 * it set.  Counting 64 bits per shingle one by one cost ~100 us on a 20 KB
 * page.  Instead the 64 counters are kept bit-sliced: planes[k] holds bit
 * k of every counter, and adding a hash is a binary increment of all 64
 * counters at once (a ripple of AND/XOR through the planes, two planes on
 * average), flushed to 32-bit counts every 65,535 shingles.  (A table
 * that spread each hash byte over 8 packed byte counters, 8 lookups and 8
 * adds per shingle, cost 3-4 times as many instructions.)  Words are
 * split with one table lookup per byte.
 */
#include "scrape/simhash.h"

#include <pthread.h>
#include <string.h>

/* splitmix64 finaliser: spreads a word/shingle hash over all 64 bits. */
static uint64_t mix(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

/* word_char[c]: c lower-cased when it belongs to a word, else 0. */
static unsigned char word_char[256];

static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

/* Fills the tables, once per process (pthread_once: engines may call
 * simhash_init from several threads). */
static void init_tables(void)
{
    int b;

    for (b = 0; b < 256; b++) {
        word_char[b] =
            (unsigned char)((b >= 'a' && b <= 'z') || (b >= '0' && b <= '9') ||
                                    b >= 0x80
                                ? b
                            : (b >= 'A' && b <= 'Z') ? b + 32
                                                     : 0);
    }
}

void simhash_init(struct simhash *s)
{
    pthread_once(&tables_once, init_tables);
    memset(s, 0, sizeof(*s));
}

/* Moves the bit-sliced counters into counts[] and clears them. */
static void flush(struct simhash *s)
{
    int i, k;

    for (k = 0; k < SIMHASH_PLANES; k++) {
        for (i = 0; s->planes[k] && i < 64; i++)
            s->counts[i] += (uint32_t)((s->planes[k] >> i) & 1) << k;
        s->planes[k] = 0;
    }
    s->in_planes = 0;
}

/* Counts the set bits of h into the 64 counters: adds h to them all as
 * one binary increment per counter. */
static void count_bits(struct simhash *s, uint64_t h)
{
    uint64_t carry = h;
    int k;

    for (k = 0; carry; k++) {
        uint64_t t = s->planes[k] & carry;
        s->planes[k] ^= carry;
        carry = t;
    }
    s->shingles++;
    if (++s->in_planes == SIMHASH_FLUSH)
        flush(s);
}

/* One hash for the words in the window, order-sensitive. */
static uint64_t shingle(const struct simhash *s)
{
    uint64_t h = 0;
    int i;

    for (i = 0; i < SIMHASH_SHINGLE; i++)
        h = (h << 7 | h >> 57) ^ s->window[i];
    return mix(h);
}

/* Shifts a finished word into the window; counts once the window is full. */
static void add_word(struct simhash *s, uint64_t word)
{
    memmove(s->window, s->window + 1,
            (SIMHASH_SHINGLE - 1) * sizeof(s->window[0]));
    s->window[SIMHASH_SHINGLE - 1] = word;
    s->nwords++;
    if (s->nwords >= SIMHASH_SHINGLE)
        count_bits(s, shingle(s));
}

void simhash_add(struct simhash *s, const char *text, size_t n)
{
    const unsigned char *p = (const unsigned char *)text;
    uint64_t h = 14695981039346656037ULL;
    int in_word = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned char c = word_char[p[i]];
        if (c) {
            h = (h ^ c) * 1099511628211ULL;
            in_word = 1;
        } else if (in_word) {
            add_word(s, h);
            h = 14695981039346656037ULL;
            in_word = 0;
        }
    }
    if (in_word)
        add_word(s, h);
}

uint64_t simhash_value(const struct simhash *s)
{
    struct simhash tmp = *s;
    uint64_t v = 0;
    int i;

    if (tmp.nwords == 0)
        return 0;
    /* Too short for one shingle: the words present form one. */
    if (tmp.nwords < SIMHASH_SHINGLE)
        count_bits(&tmp, shingle(&tmp));
    flush(&tmp);
    for (i = 0; i < 64; i++)
        if ((uint64_t)tmp.counts[i] * 2 > tmp.shingles)
            v |= 1ULL << i;
    return v;
}

int simhash_distance(uint64_t a, uint64_t b)
{
    return __builtin_popcountll(a ^ b);
}
