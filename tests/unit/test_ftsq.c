/*
 * Unit tests for ftsq.c: FTS5 query parsing, the relaxed query for a
 * column-detail index, and evaluation of phrases, NEAR and ^ on a row.
 */
#include <criterion/criterion.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "scrape/ftsq.h"

#include "ascii_tok.h"

static const char *const cols[] = {"title", "body"};

static int doc_emit(void *ectx, const char *tok, size_t n)
{
    struct ftsq_doc *d = ((void **)ectx)[0];
    size_t c = *(size_t *)((void **)ectx)[1], k = d->ntok[c];
    char *copy = strndup(tok, n);

    d->tok[c] = realloc((void *)d->tok[c], (k + 1) * sizeof(char *));
    d->len[c] = realloc(d->len[c], (k + 1) * sizeof(size_t));
    d->tok[c][k] = copy;
    d->len[c][k] = n;
    d->ntok[c]++;
    return 0;
}

static void doc_make(struct ftsq_doc *d, const char *title, const char *body)
{
    const char *text[2] = {title, body};
    size_t c;

    memset(d, 0, sizeof(*d));
    for (c = 0; c < 2; c++) {
        void *ctx[2] = {d, &c};
        ascii_tok(NULL, text[c], strlen(text[c]), doc_emit, ctx);
    }
}

static void doc_free(struct ftsq_doc *d)
{
    size_t c, k;

    for (c = 0; c < 2; c++) {
        for (k = 0; k < d->ntok[c]; k++)
            free((void *)d->tok[c][k]);
        free((void *)d->tok[c]);
        free(d->len[c]);
    }
}

/* Does `query` match the row (title, body)? */
static bool matches(const char *query, const char *title, const char *body)
{
    struct ftsq *q = NULL;
    struct ftsq_doc d;
    char why[128];
    bool m;

    cr_assert_eq(
        ftsq_parse(query, cols, 2, ascii_tok, NULL, &q, why, sizeof(why)),
        ERR_OK, "%s: %s", query, why);
    doc_make(&d, title, body);
    m = ftsq_match(q, &d);
    doc_free(&d);
    ftsq_free(q);
    return m;
}

static void expect_relaxed(const char *query, const char *want, bool positions)
{
    struct ftsq *q = NULL;
    struct buf out;
    char why[128];

    buf_init(&out, 1 << 16);
    cr_assert_eq(
        ftsq_parse(query, cols, 2, ascii_tok, NULL, &q, why, sizeof(why)),
        ERR_OK, "%s: %s", query, why);
    cr_assert_eq(ftsq_relaxed(q, &out), ERR_OK);
    cr_assert_str_eq(out.data, want, "%s", query);
    cr_assert_eq(ftsq_needs_positions(q), positions, "%s", query);
    buf_release(&out);
    ftsq_free(q);
}

static void expect_error(const char *query, const char *want)
{
    struct ftsq *q = NULL;
    char why[128];

    cr_assert_eq(
        ftsq_parse(query, cols, 2, ascii_tok, NULL, &q, why, sizeof(why)),
        ERR_INVALID, "%s", query);
    cr_assert_null(q);
    cr_assert_str_eq(why, want, "%s", query);
}

Test(ftsq, relaxed_query_keeps_the_words_and_drops_the_positions)
{
    expect_relaxed("burning", "(\"burning\")", false);
    expect_relaxed("\"burning machine\"", "(\"burning\" AND \"machine\")",
                   true);
    expect_relaxed("a + b*", "(\"a\" AND \"b\"*)", true);
    expect_relaxed("x OR y z", "((\"x\")) OR (((\"y\")) AND ((\"z\")))", false);
    expect_relaxed("NEAR(a \"b c\", 3)", "(\"a\" AND \"b\" AND \"c\")", true);
    expect_relaxed("title:\"a b\"", "{ title } : (\"a\" AND \"b\")", true);
    expect_relaxed("-title: a", "{ body } : (\"a\")", false);
    expect_relaxed("^a", "(\"a\")", true);
    expect_relaxed("a NOT b", "((\"a\")) NOT ((\"b\"))", false);
    expect_relaxed("\"say \"\"hi\"\"\"", "(\"say\" AND \"hi\")", true);
}

Test(ftsq, phrases_need_adjacent_words_in_one_column)
{
    cr_assert(matches("\"burning machine\"", "", "a burning machine here"));
    cr_assert_not(matches("\"burning machine\"", "", "machine burning"));
    cr_assert_not(matches("\"burning machine\"", "burning", "machine"));
    cr_assert(matches("\"Burning-Machine\"", "", "the burning, machine"));
    cr_assert(matches("\"burn\"*", "", "burning"));
    cr_assert(matches("\"a burn\"*", "", "a burning"));
    cr_assert_not(matches("\"a burn\"*", "", "a xburning"));
    cr_assert(matches("title:\"x y\"", "x y", ""));
    cr_assert_not(matches("title:\"x y\"", "", "x y"));
    cr_assert(matches("{title body}:\"x y\"", "", "x y"));
}

Test(ftsq, near_counts_the_words_between)
{
    cr_assert(matches("NEAR(a b, 0)", "", "a b"));
    cr_assert(matches("NEAR(a b, 0)", "", "b a"));
    cr_assert_not(matches("NEAR(a b, 0)", "", "a x b"));
    cr_assert(matches("NEAR(a b, 1)", "", "a x b"));
    cr_assert(matches("NEAR(a b)", "", "a 1 2 3 4 5 6 7 8 9 10 b"));
    cr_assert_not(matches("NEAR(a b)", "", "a 1 2 3 4 5 6 7 8 9 10 11 b"));
    cr_assert(matches("NEAR(a \"b c\" d, 4)", "", "d x b c y a"));
    cr_assert_not(matches("NEAR(a \"b c\" d, 3)", "", "d x b c y a"));
    /* The closest instances count, not the first ones. */
    cr_assert(matches("NEAR(a b, 0)", "", "a x x x x b x x a b"));
    cr_assert_not(matches("NEAR(a b, 0)", "a", "b"));
}

Test(ftsq, boolean_structure_and_initial_tokens)
{
    cr_assert(matches("\"a b\" OR \"c d\"", "", "c d"));
    cr_assert_not(matches("\"a b\" \"c d\"", "", "c d a"));
    cr_assert(matches("\"a b\" NOT c", "", "a b"));
    cr_assert_not(matches("\"a b\" NOT c", "", "a b c"));
    /* NOT binds tighter than AND, AND tighter than OR. */
    cr_assert(matches("x OR \"a b\" NOT c", "", "x c"));
    cr_assert(matches("^a", "", "a b"));
    cr_assert_not(matches("^b", "", "a b"));
    cr_assert(matches("^b", "b", "a b"));
    cr_assert(matches("(\"a b\" OR q) AND z", "", "q z"));
}

Test(ftsq, syntax_errors_name_their_position)
{
    expect_error("\"a b", "unterminated string at position 0");
    expect_error("AND (", "expected a word before the operator at position 0");
    expect_error("a (b", "expected ')' at position 4");
    expect_error("a)", "unbalanced ')' at position 1");
    expect_error("NEAR(a b, x)",
                 "expected a distance after ',' at position 10");
    expect_error("nope: a", "no such column at position 0");
    expect_error("NEAR()", "NEAR needs at least one phrase at position 5");
    expect_error("a ; b", "unexpected character at position 2");
}
