/*
 * simhash.c - SimHash over word shingles (see simhash.h).
 *
 * Cost: one 64-step vote per word, which is the deliberately CPU-heavy
 * part of building a record (what --procs parallelises).
 */
#include "scrape/simhash.h"

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

void simhash_init(struct simhash *s)
{
    memset(s, 0, sizeof(*s));
}

static void vote(struct simhash *s, uint64_t h)
{
    int i;

    for (i = 0; i < 64; i++)
        s->votes[i] += ((h >> i) & 1) ? 1 : -1;
}

/* Shifts a finished word into the window; votes once the window is full. */
static void add_word(struct simhash *s, uint64_t word)
{
    uint64_t h = 0;
    int i;

    memmove(s->window, s->window + 1,
            (SIMHASH_SHINGLE - 1) * sizeof(s->window[0]));
    s->window[SIMHASH_SHINGLE - 1] = word;
    s->nwords++;
    if (s->nwords < SIMHASH_SHINGLE)
        return;
    for (i = 0; i < SIMHASH_SHINGLE; i++)
        h = mix(h ^ s->window[i]);
    vote(s, h);
}

static int word_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           (c >= 'A' && c <= 'Z') || c >= 0x80;
}

void simhash_add(struct simhash *s, const char *text, size_t n)
{
    const unsigned char *p = (const unsigned char *)text;
    uint64_t h = 14695981039346656037ULL;
    int in_word = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned char c = p[i];
        if (word_byte(c)) {
            if (c >= 'A' && c <= 'Z')
                c = (unsigned char)(c + ('a' - 'A'));
            h = (h ^ c) * 1099511628211ULL;
            in_word = 1;
        } else if (in_word) {
            add_word(s, mix(h));
            h = 14695981039346656037ULL;
            in_word = 0;
        }
    }
    if (in_word)
        add_word(s, mix(h));
}

uint64_t simhash_value(const struct simhash *s)
{
    struct simhash tmp;
    uint64_t v = 0, h = 0;
    int i;

    if (s->nwords == 0)
        return 0;
    if (s->nwords < SIMHASH_SHINGLE) {
        /* Too short for one shingle: the words present form one. */
        tmp = *s;
        for (i = 0; i < SIMHASH_SHINGLE; i++)
            h = mix(h ^ tmp.window[i]);
        vote(&tmp, h);
        s = &tmp;
    }
    for (i = 0; i < 64; i++)
        if (s->votes[i] > 0)
            v |= 1ULL << i;
    return v;
}

int simhash_distance(uint64_t a, uint64_t b)
{
    return __builtin_popcountll(a ^ b);
}
