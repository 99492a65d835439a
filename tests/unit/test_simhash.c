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
