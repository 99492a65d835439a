/*
 * search.c - scrape search: FTS5 over titles and visible text, with
 * phrases, NEAR and ^ confirmed on the stored text (see ftsq.h and
 * query_search in query.h).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "scrape/buf.h"
#include "scrape/ftsq.h"
#include "scrape/query.h"
#include "scrape/query_db.h"
#include "scrape/utf8.h"

/* The index's columns, in its order, and the tokenizer it was made with
 * (store.c, schema v6). */
static const char *const fts_cols[] = {"title", "body"};
static const char *const fts_tokenizer_args[] = {"remove_diacritics", "2"};

/* FTS5's C API of the connection (sqlite.org/fts5.html section 7.1). */
static fts5_api *fts5_of(sqlite3 *db)
{
    fts5_api *api = NULL;
    sqlite3_stmt *st = NULL;

    if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL);
        sqlite3_step(st);
    }
    sqlite3_finalize(st);
    return api;
}

/* The index's tokenizer, for the query's strings. */
struct fts_tok {
    fts5_tokenizer t;
    Fts5Tokenizer *tok;
    int (*emit)(void *ectx, const char *tok, size_t n);
    void *ectx;
};

static int fts_tok_cb(void *ctx, int flags, const char *tok, int n, int start,
                      int end)
{
    struct fts_tok *ft = ctx;

    (void)start;
    (void)end;
    if (flags & FTS5_TOKEN_COLOCATED)
        return SQLITE_OK;
    return ft->emit(ft->ectx, tok, (size_t)n) ? SQLITE_NOMEM : SQLITE_OK;
}

static int fts_tokenize(void *tctx, const char *text, size_t len,
                        int (*emit)(void *ectx, const char *tok, size_t n),
                        void *ectx)
{
    struct fts_tok *ft = tctx;

    ft->emit = emit;
    ft->ectx = ectx;
    return ft->t.xTokenize(ft->tok, ft, FTS5_TOKENIZE_QUERY, text, (int)len,
                           fts_tok_cb) != SQLITE_OK;
}

/* One row's tokens, gathered by the confirm function (reused per row). */
struct fts_row {
    const struct ftsq *q;
    struct buf bytes; /* every token, NUL-separated */
    size_t *off[FTSQ_MAX_COLUMNS], cap[FTSQ_MAX_COLUMNS];
    size_t col;
    struct ftsq_doc doc;
    bool nomem;
};

static int row_tok_cb(void *ctx, int flags, const char *tok, int n, int start,
                      int end)
{
    struct fts_row *r = ctx;
    size_t c = r->col, k = r->doc.ntok[c];

    (void)start;
    (void)end;
    if (flags & FTS5_TOKEN_COLOCATED)
        return SQLITE_OK;
    if (k == r->cap[c]) {
        size_t ncap = r->cap[c] ? r->cap[c] * 2 : 256;
        size_t *no = realloc(r->off[c], ncap * sizeof(*no));
        size_t *nl = no ? realloc(r->doc.len[c], ncap * sizeof(*nl)) : NULL;
        if (no)
            r->off[c] = no;
        if (!nl)
            return SQLITE_NOMEM;
        r->doc.len[c] = nl;
        r->cap[c] = ncap;
    }
    r->off[c][k] = r->bytes.len;
    r->doc.len[c][k] = (size_t)n;
    r->doc.ntok[c]++;
    if (buf_add(&r->bytes, tok, (size_t)n) || buf_add(&r->bytes, "", 1))
        return SQLITE_NOMEM;
    return SQLITE_OK;
}

/* scrape_confirm(pages_fts): 1 when the current row matches the user's
 * query with its phrases, NEAR groups and ^ (the relaxed query only
 * found it as a candidate), by tokenizing its stored text. */
static void fts_confirm(const Fts5ExtensionApi *api, Fts5Context *fts,
                        sqlite3_context *ctx, int nval, sqlite3_value **val)
{
    struct fts_row *r = api->xUserData(fts);
    const char *text;
    size_t c, k;
    int n, rc = SQLITE_OK;

    (void)nval;
    (void)val;
    buf_reset(&r->bytes);
    for (c = 0; c < sizeof(fts_cols) / sizeof(fts_cols[0]) && !rc; c++) {
        r->doc.ntok[c] = 0;
        r->col = c;
        rc = api->xColumnText(fts, (int)c, &text, &n);
        if (!rc && text)
            rc = api->xTokenize(fts, text, n, r, row_tok_cb);
    }
    if (rc) {
        sqlite3_result_error_code(ctx, rc);
        return;
    }
    /* The bytes may have moved while they grew: point at them now. */
    for (c = 0; c < sizeof(fts_cols) / sizeof(fts_cols[0]); c++) {
        r->doc.tok[c] =
            realloc(r->doc.tok[c], (r->doc.ntok[c] + 1) * sizeof(char *));
        if (!r->doc.tok[c]) {
            sqlite3_result_error_nomem(ctx);
            return;
        }
        for (k = 0; k < r->doc.ntok[c]; k++)
            r->doc.tok[c][k] = r->bytes.data + r->off[c][k];
    }
    sqlite3_result_int(ctx, ftsq_match(r->q, &r->doc));
}

static void fts_row_release(struct fts_row *r)
{
    size_t c;

    buf_release(&r->bytes);
    for (c = 0; c < FTSQ_MAX_COLUMNS; c++) {
        free(r->off[c]);
        free(r->doc.len[c]);
        free((void *)r->doc.tok[c]);
    }
}

/* Parses the user's query with the index's tokenizer. */
static enum err parse_search(struct query *q, fts5_api *api, const char *match,
                             struct ftsq **out)
{
    struct fts_tok ft;
    void *ud = NULL;
    char why[256];
    enum err e;

    if (api->xFindTokenizer(api, "unicode61", &ud, &ft.t) != SQLITE_OK ||
        ft.t.xCreate(ud, (const char **)fts_tokenizer_args, 2, &ft.tok) !=
            SQLITE_OK) {
        snprintf(q->msg, sizeof(q->msg), "the unicode61 tokenizer is missing");
        return ERR_DB;
    }
    e = ftsq_parse(match, fts_cols, sizeof(fts_cols) / sizeof(fts_cols[0]),
                   fts_tokenize, &ft, out, why, sizeof(why));
    ft.t.xDelete(ft.tok);
    if (e == ERR_INVALID)
        snprintf(q->msg, sizeof(q->msg), "bad query '%.200s': %s", match, why);
    return e;
}

enum err query_search(struct query *q, int64_t run_id, const char *match,
                      long limit, const char *mark_on, const char *mark_off,
                      FILE *out)
{
    fts5_api *api = fts5_of(q->db);
    struct fts_row row;
    struct ftsq *fq = NULL;
    sqlite3_stmt *st = NULL;
    struct buf relaxed;
    enum err e;
    long n = 0;
    int rc;

    memset(&row, 0, sizeof(row));
    buf_init(&row.bytes, SIZE_MAX / 2);
    buf_init(&relaxed, 1 << 20);
    if (!api) {
        snprintf(q->msg, sizeof(q->msg), "this SQLite has no FTS5");
        return ERR_DB;
    }
    if ((e = parse_search(q, api, match, &fq)))
        goto done;
    /* Phrases, NEAR and ^ need word positions, which the index does not
     * keep (detail = column): it finds the rows with all the words, and
     * scrape_confirm keeps those where they stand as asked. */
    row.q = fq;
    if ((e = ftsq_relaxed(fq, &relaxed)))
        goto done;
    if (ftsq_needs_positions(fq) &&
        api->xCreateFunction(api, "scrape_confirm", &row, fts_confirm, NULL) !=
            SQLITE_OK) {
        e = query_fail(q, "cannot search");
        goto done;
    }
    if ((e = query_prep(
             q,
             ftsq_needs_positions(fq)
                 ? "SELECT p.url, coalesce(p.title, ''),"
                   " snippet(pages_fts, 1, ?4, ?5, '...', 16),"
                   " printf('%.3g', -bm25(pages_fts, 10.0, 1.0))"
                   " FROM pages_fts JOIN pages p ON p.id ="
                   " pages_fts.rowid WHERE pages_fts MATCH ?1 AND"
                   " p.run_id = ?2 AND scrape_confirm(pages_fts)"
                   " ORDER BY bm25(pages_fts, 10.0, 1.0), p.id LIMIT ?3"
                 : "SELECT p.url, coalesce(p.title, ''),"
                   " snippet(pages_fts, 1, ?4, ?5, '...', 16),"
                   " printf('%.3g', -bm25(pages_fts, 10.0, 1.0))"
                   " FROM pages_fts JOIN pages p ON p.id ="
                   " pages_fts.rowid WHERE pages_fts MATCH ?1 AND"
                   " p.run_id = ?2"
                   " ORDER BY bm25(pages_fts, 10.0, 1.0), p.id LIMIT ?3",
             &st)))
        goto done;
    sqlite3_bind_text(st, 1, relaxed.data, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, run_id);
    sqlite3_bind_int64(st, 3, limit);
    sqlite3_bind_text(st, 4, mark_on, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, mark_off, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *snip = (const char *)sqlite3_column_text(st, 2);
        /* The index keeps the page's own whitespace: fold it here. */
        char *folded =
            utf8_clean(snip ? snip : "", snip ? strlen(snip) : 0, true);
        n++;
        fprintf(out, "%s  %s\n    %s\n    score %s\n",
                (const char *)sqlite3_column_text(st, 0),
                (const char *)sqlite3_column_text(st, 1), folded ? folded : "",
                (const char *)sqlite3_column_text(st, 3));
        free(folded);
    }
    if (rc != SQLITE_DONE) {
        /* What FTS5 still refuses arrives here, as text. */
        snprintf(q->msg, sizeof(q->msg), "bad query '%.200s': %s", match,
                 sqlite3_errmsg(q->db));
        e = ERR_INVALID;
    } else {
        fprintf(out, "%ld page%s\n", n, n == 1 ? "" : "s");
    }
done:
    sqlite3_finalize(st);
    ftsq_free(fq);
    buf_release(&relaxed);
    fts_row_release(&row);
    return e;
}
