/*
 * ftsq.c - FTS5 query parsing, relaxing and evaluation (see ftsq.h).
 *
 * Recursive descent over the grammar of sqlite.org/fts5.html section 3:
 *
 *   or    := and ("OR" and)*
 *   and   := not (["AND"] not)*          juxtaposition is AND
 *   not   := unary ("NOT" unary)*
 *   unary := [["-"] colspec ":"] ( "(" or ")" | near | ["^"] phrase )
 *   near  := "NEAR" "(" phrase+ ["," N] ")"
 *   phrase:= word ("+" word)* ["*"]      word = string or bareword
 *
 * Column filters are pushed down to the phrases as a bit mask when
 * parsed, so evaluation needs no context.  Every phrase keeps its tokens
 * (as the index's tokenizer folds them); a NEAR group keeps its phrases.
 */
#include "scrape/ftsq.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* NEAR's distance when none is given (FTS5's default). */
#define NEAR_DEFAULT 10

/* Nesting of parentheses accepted (the parser recurses), and terms and
 * operators in one query (evaluation recurses over the tree). */
#define MAX_DEPTH 100
#define MAX_NODES 4096

enum kind { PHRASE, NEAR, AND, OR, NOT };

struct phrase {
    char **tok;
    size_t *len;
    size_t n;
    bool prefix;  /* the last token matches as a prefix */
    bool initial; /* ^: must be the column's first token */
};

struct node {
    enum kind kind;
    unsigned cols;     /* PHRASE, NEAR: the columns searched */
    struct phrase *ph; /* PHRASE: one; NEAR: nph */
    size_t nph;
    long dist;          /* NEAR */
    struct node *l, *r; /* AND, OR, NOT */
};

struct ftsq {
    struct node *root;
    size_t ncols;
    const char *const *cols;
    bool positions;
};

struct parser {
    const char *s;
    size_t p;
    int depth;
    int nodes;
    const char *const *cols;
    size_t ncols;
    ftsq_tokenize_fn tok;
    void *tctx;
    bool positions;
    char *why;
    size_t nwhy;
    enum err err;
};

static void phrase_release(struct phrase *ph)
{
    size_t i;

    for (i = 0; i < ph->n; i++)
        free(ph->tok[i]);
    free(ph->tok);
    free(ph->len);
}

static void node_free(struct node *n)
{
    size_t i;

    if (!n)
        return;
    for (i = 0; i < n->nph; i++)
        phrase_release(&n->ph[i]);
    free(n->ph);
    node_free(n->l);
    node_free(n->r);
    free(n);
}

void ftsq_free(struct ftsq *q)
{
    if (!q)
        return;
    node_free(q->root);
    free(q);
}

bool ftsq_needs_positions(const struct ftsq *q)
{
    return q->positions;
}

/* Records the first error: a syntax error with its byte position. */
static void fail(struct parser *ps, enum err e, const char *msg)
{
    if (ps->err)
        return;
    ps->err = e;
    if (e == ERR_INVALID)
        snprintf(ps->why, ps->nwhy, "%s at position %zu", msg, ps->p);
}

static void skip_space(struct parser *ps)
{
    while (ps->s[ps->p] == ' ' || ps->s[ps->p] == '\t' ||
           ps->s[ps->p] == '\n' || ps->s[ps->p] == '\r')
        ps->p++;
}

/* FTS5's bareword characters. */
static bool is_bare(unsigned char c)
{
    return c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
           (c >= 'A' && c <= 'Z') || c == '_' || c == 0x1A;
}

static size_t bare_len(const struct parser *ps)
{
    size_t n = 0;

    while (is_bare((unsigned char)ps->s[ps->p + n]))
        n++;
    return n;
}

/* True when the bareword at the cursor is exactly keyword `kw`. */
static bool at_keyword(const struct parser *ps, const char *kw)
{
    size_t n = strlen(kw);

    return bare_len(ps) == n && !strncmp(ps->s + ps->p, kw, n);
}

/* True at NEAR followed by "(". */
static bool at_near(const struct parser *ps)
{
    size_t q;

    if (!at_keyword(ps, "NEAR"))
        return false;
    for (q = ps->p + 4; ps->s[q] == ' ' || ps->s[q] == '\t'; q++)
        ;
    return ps->s[q] == '(';
}

struct collect {
    struct phrase *ph;
    enum err err;
};

static int collect_token(void *ctx, const char *tok, size_t n)
{
    struct collect *c = ctx;
    struct phrase *ph = c->ph;
    char **nt = realloc(ph->tok, (ph->n + 1) * sizeof(*nt));
    size_t *nl;
    char *copy;

    if (!nt)
        goto nomem;
    ph->tok = nt;
    if (!(nl = realloc(ph->len, (ph->n + 1) * sizeof(*nl))))
        goto nomem;
    ph->len = nl;
    if (!(copy = malloc(n + 1)))
        goto nomem;
    memcpy(copy, tok, n);
    copy[n] = '\0';
    ph->tok[ph->n] = copy;
    ph->len[ph->n] = n;
    ph->n++;
    return 0;
nomem:
    c->err = ERR_NOMEM;
    return 1;
}

/* Reads one word (a "string" with "" for a quote, or a bareword) and
 * appends its tokens to `ph`. */
static void parse_word(struct parser *ps, struct phrase *ph)
{
    struct collect c = {ph, ERR_OK};
    char *text;
    size_t n = 0, start;

    if (ps->s[ps->p] == '"') {
        start = ++ps->p;
        if (!(text = malloc(strlen(ps->s + start) + 1))) {
            fail(ps, ERR_NOMEM, NULL);
            return;
        }
        for (;;) {
            char ch = ps->s[ps->p];
            if (!ch) {
                free(text);
                ps->p = start - 1;
                fail(ps, ERR_INVALID, "unterminated string");
                return;
            }
            ps->p++;
            if (ch == '"') {
                if (ps->s[ps->p] != '"')
                    break;
                ps->p++;
            }
            text[n++] = ch;
        }
    } else {
        n = bare_len(ps);
        if (!n) {
            fail(ps, ERR_INVALID, "expected a word or a \"string\"");
            return;
        }
        if (!(text = strndup(ps->s + ps->p, n))) {
            fail(ps, ERR_NOMEM, NULL);
            return;
        }
        ps->p += n;
    }
    if (ps->tok(ps->tctx, text, n, collect_token, &c) || c.err)
        fail(ps, c.err ? c.err : ERR_INVALID, "cannot tokenize the query");
    free(text);
}

/* phrase := word ("+" word)* ["*"] */
static void parse_phrase(struct parser *ps, struct phrase *ph)
{
    parse_word(ps, ph);
    for (;;) {
        size_t save = ps->p;
        skip_space(ps);
        if (ps->err || ps->s[ps->p] != '+') {
            ps->p = save;
            break;
        }
        ps->p++;
        skip_space(ps);
        parse_word(ps, ph);
    }
    if (!ps->err && ps->s[ps->p] == '*') {
        ps->p++;
        ph->prefix = true;
    }
    if (ph->n > 1)
        ps->positions = true;
}

static struct node *new_node(struct parser *ps, enum kind k, unsigned cols)
{
    struct node *n;

    if (++ps->nodes > MAX_NODES) {
        fail(ps, ERR_INVALID, "too many terms and operators");
        return NULL;
    }
    if (!(n = calloc(1, sizeof(*n))))
        fail(ps, ERR_NOMEM, NULL);
    else {
        n->kind = k;
        n->cols = cols;
    }
    return n;
}

static struct node *parse_or(struct parser *ps, unsigned cols);

/* Reads a column filter (name or {names}) into *mask; false when none
 * is at the cursor (nothing consumed). */
static bool parse_colspec(struct parser *ps, unsigned *mask)
{
    size_t save = ps->p, i, n;
    bool neg = false, braces = false;
    unsigned m = 0;

    if (ps->s[ps->p] == '-') {
        neg = true;
        ps->p++;
        skip_space(ps);
    }
    if (ps->s[ps->p] == '{') {
        braces = true;
        ps->p++;
    }
    for (;;) {
        skip_space(ps);
        if (braces && ps->s[ps->p] == '}') {
            ps->p++;
            break;
        }
        n = bare_len(ps);
        if (!n || (!braces && (at_keyword(ps, "AND") || at_keyword(ps, "OR") ||
                               at_keyword(ps, "NOT") || at_near(ps))))
            goto not_one;
        for (i = 0; i < ps->ncols; i++)
            if (strlen(ps->cols[i]) == n &&
                !strncasecmp(ps->cols[i], ps->s + ps->p, n))
                break;
        if (i == ps->ncols) {
            size_t q = ps->p + n;
            while (ps->s[q] == ' ')
                q++;
            if (!braces && ps->s[q] != ':')
                goto not_one;
            fail(ps, ERR_INVALID, "no such column");
            return false;
        }
        m |= 1u << i;
        ps->p += n;
        if (!braces)
            break;
    }
    skip_space(ps);
    if (ps->s[ps->p] != ':')
        goto not_one;
    ps->p++;
    *mask = neg ? ~m : m;
    return true;
not_one:
    if (braces) {
        fail(ps, ERR_INVALID, "expected column names and '}:'");
        return false;
    }
    ps->p = save;
    return false;
}

/* near := "NEAR" "(" phrase+ ["," N] ")" */
static struct node *parse_near(struct parser *ps, unsigned cols)
{
    struct node *n = new_node(ps, NEAR, cols);
    struct phrase *np;

    if (!n)
        return NULL;
    n->dist = NEAR_DEFAULT;
    ps->p += 4;
    skip_space(ps);
    ps->p++; /* "(", checked by at_near */
    for (;;) {
        skip_space(ps);
        if (ps->err || ps->s[ps->p] == ')' || ps->s[ps->p] == ',')
            break;
        if (!(np = realloc(n->ph, (n->nph + 1) * sizeof(*np)))) {
            fail(ps, ERR_NOMEM, NULL);
            break;
        }
        n->ph = np;
        memset(&n->ph[n->nph], 0, sizeof(*np));
        if (n->nph == FTSQ_MAX_NEAR) {
            fail(ps, ERR_INVALID, "too many phrases in NEAR(");
            break;
        }
        n->nph++;
        parse_phrase(ps, &n->ph[n->nph - 1]);
    }
    if (!ps->err && ps->s[ps->p] == ',') {
        char *end;
        long d;
        ps->p++;
        skip_space(ps);
        d = strtol(ps->s + ps->p, &end, 10);
        if (end == ps->s + ps->p || d < 0 || d > INT_MAX)
            fail(ps, ERR_INVALID, "expected a distance after ','");
        ps->p = (size_t)(end - ps->s);
        n->dist = d;
        skip_space(ps);
    }
    if (!ps->err && !n->nph)
        fail(ps, ERR_INVALID, "NEAR needs at least one phrase");
    if (!ps->err && ps->s[ps->p] != ')')
        fail(ps, ERR_INVALID, "expected ')' to close NEAR(");
    if (!ps->err)
        ps->p++;
    ps->positions = true;
    return n;
}

static struct node *parse_unary(struct parser *ps, unsigned cols)
{
    struct node *n;
    unsigned mask;

    skip_space(ps);
    if (parse_colspec(ps, &mask)) {
        cols &= mask;
        skip_space(ps);
    }
    if (ps->err)
        return NULL;
    if (ps->s[ps->p] == '(') {
        if (++ps->depth > MAX_DEPTH) {
            fail(ps, ERR_INVALID, "parentheses nested too deep");
            return NULL;
        }
        ps->p++;
        n = parse_or(ps, cols);
        skip_space(ps);
        if (!ps->err && ps->s[ps->p] != ')')
            fail(ps, ERR_INVALID, "expected ')'");
        ps->p += !ps->err;
        ps->depth--;
        return n;
    }
    if (at_near(ps))
        return parse_near(ps, cols);
    if (at_keyword(ps, "AND") || at_keyword(ps, "OR") ||
        at_keyword(ps, "NOT")) {
        fail(ps, ERR_INVALID, "expected a word before the operator");
        return NULL;
    }
    if (!(n = new_node(ps, PHRASE, cols)) ||
        !(n->ph = calloc(1, sizeof(*n->ph)))) {
        fail(ps, ERR_NOMEM, NULL);
        return n;
    }
    n->nph = 1;
    if (ps->s[ps->p] == '^') {
        n->ph->initial = true;
        ps->positions = true;
        ps->p++;
    }
    parse_phrase(ps, n->ph);
    return n;
}

static struct node *binary(struct parser *ps, enum kind k, struct node *l,
                           struct node *r)
{
    struct node *n = new_node(ps, k, 0);

    if (!n) {
        node_free(l);
        node_free(r);
        return NULL;
    }
    n->l = l;
    n->r = r;
    return n;
}

static struct node *parse_not(struct parser *ps, unsigned cols)
{
    struct node *n = parse_unary(ps, cols);

    for (;;) {
        skip_space(ps);
        if (ps->err || !at_keyword(ps, "NOT"))
            return n;
        ps->p += 3;
        n = binary(ps, NOT, n, parse_unary(ps, cols));
    }
}

/* True when an operand starts at the cursor (juxtaposition is AND). */
static bool at_operand(const struct parser *ps)
{
    char ch = ps->s[ps->p];

    if (at_keyword(ps, "OR") || at_keyword(ps, "NOT"))
        return false;
    return ch == '"' || ch == '(' || ch == '{' || ch == '-' || ch == '^' ||
           is_bare((unsigned char)ch);
}

static struct node *parse_and(struct parser *ps, unsigned cols)
{
    struct node *n = parse_not(ps, cols);

    for (;;) {
        skip_space(ps);
        if (ps->err)
            return n;
        if (at_keyword(ps, "AND"))
            ps->p += 3;
        else if (!at_operand(ps))
            return n;
        n = binary(ps, AND, n, parse_not(ps, cols));
    }
}

static struct node *parse_or(struct parser *ps, unsigned cols)
{
    struct node *n = parse_and(ps, cols);

    for (;;) {
        skip_space(ps);
        if (ps->err || !at_keyword(ps, "OR"))
            return n;
        ps->p += 2;
        n = binary(ps, OR, n, parse_and(ps, cols));
    }
}

enum err ftsq_parse(const char *text, const char *const *cols, size_t ncols,
                    ftsq_tokenize_fn tok, void *tctx, struct ftsq **out,
                    char *why, size_t n)
{
    struct parser ps = {.s = text,
                        .cols = cols,
                        .ncols = ncols,
                        .tok = tok,
                        .tctx = tctx,
                        .why = why,
                        .nwhy = n};
    unsigned all = (1u << ncols) - 1;
    struct ftsq *q;
    struct node *root;

    *out = NULL;
    if (n)
        why[0] = '\0';
    root = parse_or(&ps, all);
    skip_space(&ps);
    if (!ps.err && ps.s[ps.p])
        fail(&ps, ERR_INVALID,
             ps.s[ps.p] == ')' ? "unbalanced ')'" : "unexpected character");
    if (ps.err) {
        node_free(root);
        return ps.err;
    }
    if (!(q = calloc(1, sizeof(*q)))) {
        node_free(root);
        return ERR_NOMEM;
    }
    q->root = root;
    q->cols = cols;
    q->ncols = ncols;
    q->positions = ps.positions;
    *out = q;
    return ERR_OK;
}

/* ---- the relaxed query ---- */

static enum err put_token(struct buf *out, const char *tok, size_t n)
{
    enum err e = buf_adds(out, "\"");
    size_t i;

    for (i = 0; i < n && !e; i++)
        e = tok[i] == '"' ? buf_add(out, "\"\"", 2) : buf_add(out, tok + i, 1);
    return e ? e : buf_adds(out, "\"");
}

/* A phrase's tokens joined by AND (the last one with its *). */
static enum err put_phrase(struct buf *out, const struct phrase *ph)
{
    enum err e = ERR_OK;
    size_t i;

    /* No token at all ("..." of punctuation): matches no row, as in FTS5. */
    if (!ph->n)
        return buf_adds(out, "\"\"");
    for (i = 0; i < ph->n && !e; i++) {
        if (i)
            e = buf_adds(out, " AND ");
        if (!e)
            e = put_token(out, ph->tok[i], ph->len[i]);
        if (!e && ph->prefix && i + 1 == ph->n)
            e = buf_adds(out, "*");
    }
    return e;
}

static enum err put_node(const struct ftsq *q, const struct node *n,
                         struct buf *out)
{
    unsigned all = (1u << q->ncols) - 1;
    enum err e = ERR_OK;
    size_t i;

    if (n->kind == PHRASE || n->kind == NEAR) {
        if ((n->cols & all) != all) {
            e = buf_adds(out, "{");
            for (i = 0; i < q->ncols && !e; i++)
                if (n->cols & (1u << i))
                    e = buf_addf(out, " %s", q->cols[i]);
            if (!e)
                e = buf_adds(out, " } : ");
        }
        if (!e)
            e = buf_adds(out, "(");
        for (i = 0; i < n->nph && !e; i++) {
            if (i)
                e = buf_adds(out, " AND ");
            if (!e)
                e = put_phrase(out, &n->ph[i]);
        }
        return e ? e : buf_adds(out, ")");
    }
    if ((e = buf_adds(out, "(")) || (e = put_node(q, n->l, out)))
        return e;
    e = buf_adds(out, n->kind == AND  ? ") AND ("
                      : n->kind == OR ? ") OR ("
                                      : ") NOT (");
    if (!e)
        e = put_node(q, n->r, out);
    return e ? e : buf_adds(out, ")");
}

enum err ftsq_relaxed(const struct ftsq *q, struct buf *out)
{
    buf_reset(out);
    return put_node(q, q->root, out);
}

/* ---- evaluation ---- */

static bool token_is(const struct ftsq_doc *d, size_t c, size_t at,
                     const struct phrase *ph, size_t k)
{
    size_t n = ph->len[k];

    if (ph->prefix && k + 1 == ph->n)
        return d->len[c][at] >= n && !memcmp(d->tok[c][at], ph->tok[k], n);
    return d->len[c][at] == n && !memcmp(d->tok[c][at], ph->tok[k], n);
}

/* True when phrase `ph` starts at token `at` of column c. */
static bool phrase_at(const struct ftsq_doc *d, size_t c, size_t at,
                      const struct phrase *ph)
{
    size_t k;

    if (!ph->n || at + ph->n > d->ntok[c])
        return false;
    for (k = 0; k < ph->n; k++)
        if (!token_is(d, c, at + k, ph, k))
            return false;
    return true;
}

/* The first start >= from of phrase `ph` in column c, or SIZE_MAX. */
static size_t next_at(const struct ftsq_doc *d, size_t c, size_t from,
                      const struct phrase *ph)
{
    for (; from < d->ntok[c]; from++)
        if (phrase_at(d, c, from, ph))
            return from;
    return SIZE_MAX;
}

/* A NEAR group in column c: some instance L of one phrase such that the
 * first instances of the others at or after it start at most dist tokens
 * after L ends.  cur[j] is phrase j's first start >= L's: it only moves
 * forward, so a column costs O(tokens x phrases) per phrase. */
static bool near_in(const struct ftsq_doc *d, size_t c, const struct node *n)
{
    size_t cur[FTSQ_MAX_NEAR], i, j, at;

    for (i = 0; i < n->nph; i++) {
        for (j = 0; j < n->nph; j++)
            cur[j] = next_at(d, c, 0, &n->ph[j]);
        for (at = cur[i]; at != SIZE_MAX;
             at = next_at(d, c, at + 1, &n->ph[i])) {
            size_t end = at + n->ph[i].n - 1;
            bool ok = true;
            for (j = 0; j < n->nph && ok; j++) {
                while (cur[j] != SIZE_MAX && cur[j] < at)
                    cur[j] = next_at(d, c, cur[j] + 1, &n->ph[j]);
                ok = cur[j] != SIZE_MAX &&
                     (cur[j] <= end || cur[j] - end - 1 <= (size_t)n->dist);
            }
            if (ok)
                return true;
        }
    }
    return false;
}

static bool match_node(const struct ftsq *q, const struct node *n,
                       const struct ftsq_doc *d)
{
    size_t c, at;

    switch (n->kind) {
    case AND:
        return match_node(q, n->l, d) && match_node(q, n->r, d);
    case OR:
        return match_node(q, n->l, d) || match_node(q, n->r, d);
    case NOT:
        return match_node(q, n->l, d) && !match_node(q, n->r, d);
    case NEAR:
        for (c = 0; c < q->ncols; c++)
            if ((n->cols & (1u << c)) && near_in(d, c, n))
                return true;
        return false;
    case PHRASE:
        for (c = 0; c < q->ncols; c++) {
            if (!(n->cols & (1u << c)))
                continue;
            if (n->ph->initial) {
                if (phrase_at(d, c, 0, n->ph))
                    return true;
                continue;
            }
            for (at = 0; at < d->ntok[c]; at++)
                if (phrase_at(d, c, at, n->ph))
                    return true;
        }
        return false;
    }
    return false;
}

bool ftsq_match(const struct ftsq *q, const struct ftsq_doc *doc)
{
    return match_node(q, q->root, doc);
}
