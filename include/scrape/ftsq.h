/*
 * ftsq.h - FTS5 queries with phrases and NEAR over an index without word
 * positions.
 *
 * The search index is built with detail = column (it keeps which column
 * a word is in, not where), which makes the crawl cheaper to index but
 * makes FTS5 refuse phrase queries ("burning machine"), NEAR groups and
 * ^ (first word).  This module parses the user's FTS5 query and gives
 *   - a relaxed query FTS5 accepts on that index: every phrase and NEAR
 *     group becomes the AND of its words, so it matches a superset of the
 *     rows (the candidates), ranked by bm25 as any word query;
 *   - an evaluator that decides the original query on one row's stored
 *     text, tokenized by the same tokenizer, so only rows where the words
 *     really are adjacent (or near, or first) remain.
 * FTS5's query syntax is followed (https://sqlite.org/fts5.html, section
 * 3): strings and barewords, + concatenation, prefix *, ^, column filters
 * (col:, {a b}:, -col:), NEAR(... , N), AND, OR, NOT (NOT binds tightest,
 * then AND, then OR), implicit AND, parentheses.
 *
 * Tokens are produced by a caller-supplied function (the FTS5 table's own
 * tokenizer), so the query and the rows are split exactly as the index
 * splits them.  No SQLite calls here.
 */
#ifndef SCRAPE_FTSQ_H
#define SCRAPE_FTSQ_H

#include <stdbool.h>
#include <stddef.h>

#include "scrape/buf.h"
#include "scrape/err.h"

/* Columns a query can name, at most this many. */
#define FTSQ_MAX_COLUMNS 8

/* Phrases in one NEAR group, at most. */
#define FTSQ_MAX_NEAR 64

struct ftsq;

/* Splits `text` into tokens, calling `emit(ectx, token, len)` for each in
 * order; returns non-zero to fail.  Tokens are folded as the index folds
 * them. */
typedef int (*ftsq_tokenize_fn)(void *tctx, const char *text, size_t len,
                                int (*emit)(void *ectx, const char *tok,
                                            size_t n),
                                void *ectx);

/* Parses FTS5 query `text` over columns `cols` (ncols <= FTSQ_MAX_COLUMNS),
 * tokenizing its strings with `tok`.  On a syntax error returns
 * ERR_INVALID with a one-line reason and position in `why` (n bytes).
 * ERR_NOMEM.  Free with ftsq_free(). */
enum err ftsq_parse(const char *text, const char *const *cols, size_t ncols,
                    ftsq_tokenize_fn tok, void *tctx, struct ftsq **out,
                    char *why, size_t n);

void ftsq_free(struct ftsq *q);

/* True when the query needs word positions (a phrase of two or more
 * words, a NEAR group or ^): its rows must be confirmed. */
bool ftsq_needs_positions(const struct ftsq *q);

/* Writes the relaxed query (see above) into `out`, NUL-terminated.
 * ERR_NOMEM. */
enum err ftsq_relaxed(const struct ftsq *q, struct buf *out);

/* One row's text as tokens: column c's tokens in order. */
struct ftsq_doc {
    size_t ntok[FTSQ_MAX_COLUMNS];
    const char **tok[FTSQ_MAX_COLUMNS];
    size_t *len[FTSQ_MAX_COLUMNS];
};

/* True when row `doc` matches the original query. */
bool ftsq_match(const struct ftsq *q, const struct ftsq_doc *doc);

#endif
