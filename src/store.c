/*
 * store.c - the store's one door (store.h): picks the backend a database
 * names (a postgresql:// URI: store_pg.c; anything else: a SQLite file,
 * store_sqlite.c) and hands every call to its ops (store_backend.h).  An
 * operation the backend does not have is refused here, with one message.
 */
#include "scrape/store.h"

#include <stdio.h>
#include <stdlib.h>

#include "scrape/body.h"
#include "scrape/pg.h"
#include "store_backend.h"

struct store {
    struct store_backend *b; /* its ops first */
    char msg[256];           /* a refused operation's message, or "" */
};

bool store_is_shared(const char *path)
{
    return pg_is_uri(path);
}

enum err store_open(const char *path, struct store **out, char **why)
{
    struct store *s = calloc(1, sizeof(*s));
    enum err e;

    *out = NULL;
    *why = NULL;
    if (!s)
        return ERR_NOMEM;
    e = store_is_shared(path) ? store_pg_open(path, &s->b, why)
                              : store_sqlite_open(path, &s->b, why);
    if (e) {
        free(s);
        return e;
    }
    *out = s;
    return ERR_OK;
}

enum err store_close(struct store *s)
{
    enum err e;

    if (!s)
        return ERR_OK;
    e = s->b->ops->close(s->b);
    free(s);
    return e;
}

const char *store_errmsg(const struct store *s)
{
    return s->msg[0] ? s->msg : s->b->ops->errmsg(s->b);
}

/* An operation this backend does not have. */
static enum err refuse(struct store *s, const char *what)
{
    snprintf(s->msg, sizeof(s->msg), "%s is not available on %s runs", what,
             s->b->ops->name);
    return ERR_INVALID;
}

int64_t store_node(const struct store *s)
{
    return s->b->ops->node ? s->b->ops->node(s->b) : 0;
}

/* Calls operation OP with the arguments that follow, or refuses it as
 * WHAT when the backend has none. */
#define DISPATCH(s, op, what, ...)                                             \
    ((s)->b->ops->op ? (s)->b->ops->op((s)->b, __VA_ARGS__)                    \
                     : refuse((s), (what)))

enum err store_run_begin(struct store *s, const struct run_info *info,
                         int64_t *run_id)
{
    return DISPATCH(s, run_begin, "starting a run", info, run_id);
}

enum err store_run_end(struct store *s, int64_t run_id,
                       const struct run_stats *st)
{
    return DISPATCH(s, run_end, "ending a run", run_id, st);
}

enum err store_run_reopen(struct store *s, int64_t run_id, long *pages,
                          long *errors)
{
    return DISPATCH(s, run_reopen, "reopening a run", run_id, pages, errors);
}

enum err store_run_args(struct store *s, int64_t run_id, char **args,
                        char **mode)
{
    *args = *mode = NULL;
    return DISPATCH(s, run_args, "reading a run's options", run_id, args, mode);
}

enum err store_resumable(struct store *s, int64_t *run_id, char **args,
                         char **mode)
{
    return DISPATCH(s, resumable, "--resume", run_id, args, mode);
}

enum err store_put_page(struct store *s, int64_t run_id,
                        const struct page_row *row)
{
    char hash[BODY_HASH_LEN];
    struct page_row hashed;

    /* A body that came unhashed is hashed here, for either backend (on
     * the writer thread, off the engine's). */
    if (row->body && !row->body_hash) {
        body_hash(row->body, row->body_len, hash);
        hashed = *row;
        hashed.body_hash = hash;
        row = &hashed;
    }
    return DISPATCH(s, put_page, "storing a page", run_id, row);
}

enum err store_put_skipped(struct store *s, int64_t run_id, const char *url,
                           const char *reason)
{
    return DISPATCH(s, put_skipped, "storing a skipped URL", run_id, url,
                    reason);
}

enum err store_put_robots(struct store *s, int64_t run_id,
                          const struct robots_row *row)
{
    return DISPATCH(s, put_robots, "storing robots.txt", run_id, row);
}

enum err store_put_sitemap(struct store *s, int64_t run_id,
                           const struct sitemap_row *row)
{
    return DISPATCH(s, put_sitemap, "--sitemaps", run_id, row);
}

enum err store_frontier_add(struct store *s, int64_t run_id, const char *url,
                            int depth, const char *referrer)
{
    return DISPATCH(s, frontier_add, "queueing a URL", run_id, url, depth,
                    referrer);
}

/* The selectors rows of one rule, from *pos on. */
static enum err rule_rows(const struct rule_spec *r, int *pos,
                          store_selector_fn fn, void *ctx)
{
    const struct extract_spec *spec = &r->spec;
    struct selector_row row = {.rule = r->name};
    enum err e = ERR_OK;
    size_t i;

    if (r->name) {
        row = (struct selector_row){"rule",     r->name, r->pattern,
                                    r->pattern, false,   r->name};
        e = fn(ctx, (*pos)++, &row);
    }
    if (!e && spec->item_xpath) {
        row = (struct selector_row){"item",
                                    NULL,
                                    spec->item_selector ? spec->item_selector
                                                        : spec->item_xpath,
                                    spec->item_xpath,
                                    true,
                                    r->name};
        e = fn(ctx, (*pos)++, &row);
    }
    for (i = 0; i < spec->nfields && !e; i++) {
        const struct field_spec *f = &spec->fields[i];
        row = (struct selector_row){
            "field",  f->name, f->selector ? f->selector : f->xpath,
            f->xpath, f->list, r->name};
        e = fn(ctx, (*pos)++, &row);
    }
    for (i = 0; i < r->nfollow && !e; i++) {
        const struct follow_spec *f = &r->follow[i];
        row = (struct selector_row){
            "follow", NULL, f->selector ? f->selector : f->xpath,
            f->xpath, true, r->name};
        e = fn(ctx, (*pos)++, &row);
    }
    if (!e && r->no_follow) {
        row = (struct selector_row){"no-follow", NULL, "", "", false, r->name};
        e = fn(ctx, (*pos)++, &row);
    }
    return e;
}

enum err store_selector_rows(const struct spider *spider, store_selector_fn fn,
                             void *ctx)
{
    enum err e = ERR_OK;
    size_t k;
    int pos = 0;

    for (k = 0; spider && k < spider->nrules && !e; k++)
        e = rule_rows(&spider->rules[k], &pos, fn, ctx);
    return e;
}

enum err store_frontier_done(struct store *s, int64_t run_id, const char *url)
{
    return DISPATCH(s, frontier_done, "finishing a URL", run_id, url);
}

enum err store_frontier_load(struct store *s, int64_t run_id,
                             store_frontier_fn fn, void *ctx)
{
    return DISPATCH(s, frontier_load, "--resume", run_id, fn, ctx);
}

enum err store_seeds_load(struct store *s, int64_t run_id, store_url_fn fn,
                          void *ctx)
{
    return DISPATCH(s, seeds_load, "reading the seeds", run_id, fn, ctx);
}

enum err store_skipped_load(struct store *s, int64_t run_id, store_url_fn fn,
                            void *ctx)
{
    return DISPATCH(s, skipped_load, "--resume", run_id, fn, ctx);
}

enum err store_recrawl_load(struct store *s, int64_t run_id, store_prev_fn fn,
                            void *ctx)
{
    return DISPATCH(s, recrawl_load, "--recrawl", run_id, fn, ctx);
}

enum err store_tick(struct store *s)
{
    return s->b->ops->tick(s->b);
}

enum err store_flush(struct store *s)
{
    return s->b->ops->flush(s->b);
}

enum err store_diff_runs(struct store *s, int64_t a, int64_t b, long *differ,
                         char *example, size_t n)
{
    return DISPATCH(s, diff_runs, "comparing runs", a, b, differ, example, n);
}

enum err store_compare_begin(struct store *s, const struct compare_info *info,
                             int64_t *id)
{
    return DISPATCH(s, compare_begin, "--compare", info, id);
}

enum err store_compare_end(struct store *s, int64_t id, const char *status,
                           const char *verdict)
{
    return DISPATCH(s, compare_end, "--compare", id, status, verdict);
}

enum err store_compare_runs(struct store *s, int64_t id, store_sample_fn fn,
                            void *ctx)
{
    return DISPATCH(s, compare_runs, "--compare", id, fn, ctx);
}
