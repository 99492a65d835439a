/*
 * simhash.c - SimHash over word shingles (see simhash.h).
 *
 * A fingerprint bit is set when more than half of the shingle hashes have
 * it set.  Counting 64 bits per shingle one by one cost ~100 us on a 20 KB
 * page.  Instead the 64 counters are kept bit-sliced: planes[k] holds bit
 * k of every counter, flushed to 32-bit counts every ~65,535 shingles.
 * Shingle hashes are added SIMHASH_BATCH at a time: a carry-save adder
 * tree sums the 8 hashes' bits per counter into a 4-bit number (~30
 * AND/XOR/OR), which then goes into the planes as one binary addition;
 * adding them one at a time rippled a carry through ~7 planes each.
 * Words are found without a branch per byte: every byte updates the word
 * hash or resets it (a conditional move), and the hash is written out at
 * each word end, so text of short words costs no mispredicted branches.
 * (A table that spread each hash byte over 8 packed byte counters, 8
 * lookups and 8 adds per shingle, cost 3-4 times as many instructions.)
 * Measured on the 1 MB-page bench text (~3 bytes a word): 4.2-4.4 ns a
 * byte, 5.7-6.3 before these two changes.
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

/* Adds the number whose bit j (j < 4) is a[j], per counter, to the
 * planes: a binary addition rippling the carry as far as it goes. */
static void add_planes(struct simhash *s, const uint64_t a[4], unsigned n)
{
    uint64_t carry = 0;
    int k;

    if (s->in_planes > SIMHASH_FLUSH - SIMHASH_BATCH)
        flush(s);
    for (k = 0; k < 4; k++) {
        uint64_t p = s->planes[k], x = p ^ a[k];
        s->planes[k] = x ^ carry;
        carry = (p & a[k]) | (carry & x);
    }
    for (; carry; k++) {
        uint64_t t = s->planes[k] & carry;
        s->planes[k] ^= carry;
        carry = t;
    }
    s->in_planes += n;
    s->shingles += n;
}

/* A full adder over 64 lanes: *sum and the carry (weight 2) of a + b + c. */
static uint64_t csa(uint64_t *sum, uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t u = a ^ b;

    *sum = u ^ c;
    return (a & b) | (u & c);
}

/* Counts the bits of the SIMHASH_BATCH pending hashes into the counters
 * (zero hashes fill a short batch: they add nothing). */
static void count_batch(struct simhash *s, unsigned n)
{
    const uint64_t *v = s->pend;
    uint64_t a[4], o1, o2, o3, t1, t2, t3, t4, u1, f1, f2;

    t1 = csa(&o1, v[0], v[1], v[2]);
    t2 = csa(&o2, o1, v[3], v[4]);
    t3 = csa(&o3, o2, v[5], v[6]);
    a[0] = o3 ^ v[7];
    t4 = o3 & v[7];
    f1 = csa(&u1, t1, t2, t3);
    a[1] = u1 ^ t4;
    f2 = u1 & t4;
    a[2] = f1 ^ f2;
    a[3] = f1 & f2;
    add_planes(s, a, n);
    s->npend = 0;
}

/* Counts a short batch of pending hashes (at the end of the text). */
static void count_pending(struct simhash *s)
{
    unsigned n = s->npend, i;

    if (!n)
        return;
    for (i = n; i < SIMHASH_BATCH; i++)
        s->pend[i] = 0;
    count_batch(s, n);
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

/* Shifts finished words into the window; each full window is a shingle
 * to count. */
static void add_words(struct simhash *s, const uint64_t *words, size_t n)
{
    size_t i;
    int k;

    for (i = 0; i < n; i++) {
        for (k = 0; k < SIMHASH_SHINGLE - 1; k++)
            s->window[k] = s->window[k + 1];
        s->window[SIMHASH_SHINGLE - 1] = words[i];
        if (++s->nwords < SIMHASH_SHINGLE)
            continue;
        s->pend[s->npend++] = shingle(s);
        if (s->npend == SIMHASH_BATCH)
            count_batch(s, SIMHASH_BATCH);
    }
}

/* Bytes scanned before their words are counted (bounds `words` below). */
#define SCAN_CHUNK 512

#define FNV_OFFSET 14695981039346656037ULL
#define FNV_PRIME  1099511628211ULL

void simhash_add(struct simhash *s, const char *text, size_t n)
{
    const unsigned char *p = (const unsigned char *)text;
    uint64_t words[SCAN_CHUNK + 1], h = FNV_OFFSET;
    unsigned in_word = 0;
    size_t i = 0, end, nw;

    while (i < n) {
        end = n - i > SCAN_CHUNK ? i + SCAN_CHUNK : n;
        nw = 0;
        for (; i < end; i++) {
            unsigned c = word_char[p[i]], is = c != 0;
            uint64_t next = (h ^ c) * FNV_PRIME;

            /* Kept (nw advances) only when the word ended just now. */
            words[nw] = h;
            nw += in_word & !is;
            h = is ? next : FNV_OFFSET;
            in_word = is;
        }
        add_words(s, words, nw);
    }
    if (in_word)
        add_words(s, &h, 1);
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
        tmp.pend[tmp.npend++] = shingle(&tmp);
    count_pending(&tmp);
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
