/* Unit tests for simhash.c: near-duplicates close, unrelated far. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "scrape/simhash.h"

static const char *const vocab[] = {
    "river",  "garden",  "empire", "harbour", "mountain", "library", "forest",
    "tower",  "kingdom", "letter", "island",  "machine",  "winter",  "song",
    "silent", "crimson", "hidden", "golden",  "broken",   "distant", "quiet",
    "wild",   "secret",  "last",   "frozen",  "burning",  "lost",    "iron"};

/* Writes `n` pseudo-random words from seed into out. */
static void text(unsigned seed, size_t n, char *out, size_t cap)
{
    size_t len = 0, i;

    out[0] = '\0';
    for (i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        len += (size_t)snprintf(out + len, cap - len, "%s ",
                                vocab[(seed >> 16) % 28]);
    }
}

static uint64_t fp(const char *t)
{
    struct simhash s;

    simhash_init(&s);
    simhash_add(&s, t, strlen(t));
    return simhash_value(&s);
}

Test(simhash, identical_text_same_fingerprint_case_and_spacing_aside)
{
    cr_assert_eq(fp("The quick brown fox jumps"),
                 fp("the  QUICK\nbrown, fox -- jumps!"));
    cr_assert_neq(fp("The quick brown fox jumps"), 0);
    cr_assert_eq(fp(""), 0);
    cr_assert_eq(fp(" ,.; "), 0);
}

/* Two words changed in 1500 move 6 of ~1500 shingles: a few bits flip
 * where the vote was close.  Unrelated texts (next test) differ in ~32. */
Test(simhash, near_duplicates_are_close)
{
    static char a[20000], b[20000];
    int total = 0, worst = 0, i, d;
    char *p;

    for (i = 0; i < 20; i++) {
        text(42 + (unsigned)i, 1500, a, sizeof(a));
        memcpy(b, a, sizeof(a));
        p = strstr(b + 3000, " ");
        memcpy(p + 1, "changed", 7);
        p = strstr(b + 9000, " ");
        memcpy(p + 1, "different", 9);
        d = simhash_distance(fp(a), fp(b));
        total += d;
        worst = d > worst ? d : worst;
    }
    cr_assert_leq(total / 20, 4, "mean distance %d", total / 20);
    cr_assert_leq(worst, 10, "worst distance %d", worst);
}

Test(simhash, unrelated_texts_are_far)
{
    static char a[20000], b[20000];
    int total = 0, i;

    for (i = 0; i < 20; i++) {
        text(1000 + (unsigned)i, 1500, a, sizeof(a));
        text(5000 + (unsigned)i, 1500, b, sizeof(b));
        total += simhash_distance(fp(a), fp(b));
        cr_assert_geq(simhash_distance(fp(a), fp(b)), 12);
    }
    /* Independent fingerprints differ in about half their bits. */
    cr_assert_geq(total / 20, 24);
}

Test(simhash, pieces_end_words)
{
    struct simhash s;

    simhash_init(&s);
    simhash_add(&s, "alpha be", 8);
    simhash_add(&s, "ta gamma", 8);
    cr_assert_eq(simhash_value(&s), fp("alpha be ta gamma"));
    cr_assert_eq(simhash_distance(0, ~0ULL), 64);
}

/* The definition, counted the plain way: words (ASCII letters and
 * digits lower-cased, bytes >= 0x80) hashed with FNV-1a, 3-word shingles
 * (fewer when the text has fewer words), each shingle's mixed hash voting
 * per bit.  The batched, bit-sliced, branch-free code must agree with it
 * bit for bit. */
static uint64_t mix_ref(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

/* One shingle (the window's 3 word hashes) votes on the 64 bits. */
static void vote(const uint64_t win[3], uint64_t counts[64], uint64_t *shingles)
{
    uint64_t s = 0;
    int k;

    for (k = 0; k < 3; k++)
        s = (s << 7 | s >> 57) ^ win[k];
    s = mix_ref(s);
    for (k = 0; k < 64; k++)
        counts[k] += s >> k & 1;
    (*shingles)++;
}

static uint64_t reference(const unsigned char *p, size_t n)
{
    static uint64_t counts[64];
    uint64_t win[3] = {0, 0, 0}, h = 14695981039346656037ULL, shingles = 0;
    uint64_t nwords = 0, v = 0;
    size_t i;
    int in = 0, k;

    memset(counts, 0, sizeof(counts));
    for (i = 0; i <= n; i++) {
        int c = i < n ? p[i] : ' ';
        int w = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80;
        if (c >= 'A' && c <= 'Z') {
            c += 32;
            w = 1;
        }
        if (w) {
            h = (h ^ (uint64_t)c) * 1099511628211ULL;
            in = 1;
            continue;
        }
        if (!in)
            continue;
        win[0] = win[1];
        win[1] = win[2];
        win[2] = h;
        h = 14695981039346656037ULL;
        in = 0;
        if (++nwords >= 3)
            vote(win, counts, &shingles);
    }
    if (nwords == 0)
        return 0;
    if (nwords < 3)
        vote(win, counts, &shingles);
    for (k = 0; k < 64; k++)
        if (counts[k] * 2 > shingles)
            v |= 1ULL << k;
    return v;
}

Test(simhash, agrees_with_the_plain_count)
{
    /* Lengths around the batch and chunk sizes, two past the flush
     * every 65,535 shingles, bytes of every kind (NUL aside). */
    static const size_t lens[] = {
        0, 1, 2, 5, 7, 8, 9, 17, 63, 511, 512, 513, 1025, 4096, 300000, 700000};
    unsigned seed = 7;
    size_t t, i;

    for (t = 0; t < sizeof(lens) / sizeof(lens[0]); t++) {
        size_t n = lens[t];
        unsigned char *p = malloc(n + 1);

        for (i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            /* Mostly short words, as generated and real text has. */
            p[i] = (seed >> 16) % 4 == 0
                       ? (unsigned char)" .\n\t"[(seed >> 8) % 4]
                       : (unsigned char)(1 + (seed >> 20) % 255);
        }
        p[n] = '\0';
        cr_assert_eq(fp((const char *)p), reference(p, n), "length %zu", n);
        free(p);
    }
}
