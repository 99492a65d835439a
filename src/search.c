/*
 * search.c - FTS5 search with phrases, NEAR and ^ confirmed on the stored
 * text (see search.h, ftsq.h), and `scrape search` on top of it
 * (query_search in query.h).
 */
#include "scrape/search.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "scrape/buf.h"
#include "scrape/ftsq.h"
#include "scrape/query.h"
#include "query_db.h"
#include "scrape/utf8.h"

/* The index's columns, in its order, and the tokenizer it was made with
 * (store_sqlite.c, schema v6). */
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

struct search {
    sqlite3 *db;
    fts5_api *api;
    struct fts_row row; /* the confirm function's state (row.q: the query
                           being run) */
};

enum err search_new(sqlite3 *db, struct search **out, char *why, size_t n)
{
    struct search *s = calloc(1, sizeof(*s));

    *out = NULL;
    if (!s)
        return ERR_NOMEM;
    s->db = db;
    buf_init(&s->row.bytes, SIZE_MAX / 2);
    if (!(s->api = fts5_of(db))) {
        snprintf(why, n, "this SQLite has no FTS5");
        free(s);
        return ERR_DB;
    }
    /* Once per connection: FTS5 keeps every function it is given until
     * the connection closes.  No destructor: the state lives in `s`,
     * which search_free frees after the close. */
    if (s->api->xCreateFunction(s->api, "scrape_confirm", &s->row, fts_confirm,
                                NULL) != SQLITE_OK) {
        snprintf(why, n, "cannot register scrape_confirm: %s",
                 sqlite3_errmsg(db));
        free(s);
        return ERR_DB;
    }
    *out = s;
    return ERR_OK;
}

void search_free(struct search *s)
{
    if (!s)
        return;
    fts_row_release(&s->row);
    free(s);
}

/* Parses the user's query with the index's tokenizer. */
static enum err parse_search(struct search *s, const char *match,
                             struct ftsq **out, char *why, size_t n)
{
    struct fts_tok ft;
    void *ud = NULL;
    char msg[256];
    enum err e;

    if (s->api->xFindTokenizer(s->api, "unicode61", &ud, &ft.t) != SQLITE_OK ||
        ft.t.xCreate(ud, (const char **)fts_tokenizer_args, 2, &ft.tok) !=
            SQLITE_OK) {
        snprintf(why, n, "the unicode61 tokenizer is missing");
        return ERR_DB;
    }
    e = ftsq_parse(match, fts_cols, sizeof(fts_cols) / sizeof(fts_cols[0]),
                   fts_tokenize, &ft, out, msg, sizeof(msg));
    ft.t.xDelete(ft.tok);
    if (e == ERR_INVALID)
        snprintf(why, n, "bad query '%.200s': %s", match, msg);
    return e;
}

enum err search_run(struct search *s, int64_t run_id, const char *match,
                    long limit, const char *mark_on, const char *mark_off,
                    search_hit_fn fn, void *ctx, long *hits, char *why,
                    size_t n)
{
    struct ftsq *fq = NULL;
    sqlite3_stmt *st = NULL;
    struct buf relaxed;
    enum err e;
    bool confirm;
    int rc = SQLITE_DONE;

    *hits = 0;
    buf_init(&relaxed, 1 << 20);
    if ((e = parse_search(s, match, &fq, why, n)))
        goto done;
    /* Phrases, NEAR and ^ need word positions, which the index does not
     * keep (detail = column): it finds the rows with all the words, and
     * scrape_confirm keeps those where they stand as asked. */
    confirm = ftsq_needs_positions(fq);
    s->row.q = fq;
    if ((e = ftsq_relaxed(fq, &relaxed)))
        goto done;
    if (sqlite3_prepare_v2(
            s->db,
            confirm ? "SELECT p.id, p.url, coalesce(p.title, ''),"
                      " snippet(pages_fts, 1, ?4, ?5, '...', 16),"
                      " -bm25(pages_fts, 10.0, 1.0)"
                      " FROM pages_fts CROSS JOIN pages p ON (p.id ="
                      " pages_fts.rowid OR p.text_of = pages_fts.rowid) WHERE "
                      "pages_fts MATCH ?1 AND"
                      " p.run_id = ?2 AND scrape_confirm(pages_fts)"
                      " ORDER BY bm25(pages_fts, 10.0, 1.0), p.id LIMIT ?3"
                    : "SELECT p.id, p.url, coalesce(p.title, ''),"
                      " snippet(pages_fts, 1, ?4, ?5, '...', 16),"
                      " -bm25(pages_fts, 10.0, 1.0)"
                      " FROM pages_fts CROSS JOIN pages p ON (p.id ="
                      " pages_fts.rowid OR p.text_of = pages_fts.rowid) WHERE "
                      "pages_fts MATCH ?1 AND"
                      " p.run_id = ?2"
                      " ORDER BY bm25(pages_fts, 10.0, 1.0), p.id LIMIT ?3",
            -1, &st, NULL) != SQLITE_OK) {
        snprintf(why, n, "cannot search: %s", sqlite3_errmsg(s->db));
        e = ERR_DB;
        goto done;
    }
    sqlite3_bind_text(st, 1, relaxed.data, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, run_id);
    sqlite3_bind_int64(st, 3, limit);
    sqlite3_bind_text(st, 4, mark_on, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, mark_off, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *snip = (const char *)sqlite3_column_text(st, 3);
        /* The index keeps the page's own whitespace: fold it here. */
        char *folded =
            utf8_clean(snip ? snip : "", snip ? strlen(snip) : 0, true);
        struct search_hit h = {
            .page_id = sqlite3_column_int64(st, 0),
            .url = (const char *)sqlite3_column_text(st, 1),
            .title = (const char *)sqlite3_column_text(st, 2),
            .snippet = folded ? folded : "",
            .score = sqlite3_column_double(st, 4),
        };
        bool more = fn(ctx, &h);
        free(folded);
        (*hits)++;
        if (!more)
            break;
    }
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        /* What FTS5 still refuses arrives here, as text; so does an
         * interrupt (the caller's time limit). */
        snprintf(why, n, "bad query '%.200s': %s", match,
                 sqlite3_errmsg(s->db));
        e = rc == SQLITE_INTERRUPT ? ERR_DB : ERR_INVALID;
    }
done:
    s->row.q = NULL;
    sqlite3_finalize(st);
    ftsq_free(fq);
    buf_release(&relaxed);
    return e;
}

/* ---- scrape search ---- */

static bool print_hit(void *ctx, const struct search_hit *h)
{
    char score[32];

    snprintf(score, sizeof(score), "%.3g", h->score);
    fprintf(ctx, "%s  %s\n    %s\n    score %s\n", h->url, h->title, h->snippet,
            score);
    return true;
}

enum err query_search(struct query *q, int64_t run_id, const char *match,
                      long limit, const char *mark_on, const char *mark_off,
                      FILE *out)
{
    long n = 0;
    enum err e;

    if (!q->search &&
        (e = search_new(q->db, &q->search, q->msg, sizeof(q->msg))))
        return e;
    e = search_run(q->search, run_id, match, limit, mark_on, mark_off,
                   print_hit, out, &n, q->msg, sizeof(q->msg));
    if (!e)
        fprintf(out, "%ld page%s\n", n, n == 1 ? "" : "s");
    return e;
}
