/*
 * store_backend.h - the contract between store.c (the dispatcher every
 * caller of store.h goes through) and the backends that keep the rows:
 * store_sqlite.c (a SQLite file) and store_pg.c (a PostgreSQL database
 * that several nodes crawl into together).  Private to those three
 * files, as curl keeps its lib/ headers private.
 *
 * A backend is a struct whose first member is `struct store_backend`
 * (its ops); each operation receives that pointer and casts it back.
 * An operation a backend does not have is NULL: store.c answers it with
 * ERR_INVALID and "WHAT is not available on <name> runs".  Each
 * operation means what the store.h function of the same name says.
 */
#ifndef SCRAPE_STORE_BACKEND_H
#define SCRAPE_STORE_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scrape/err.h"
#include "scrape/store.h"

struct store_backend {
    const struct store_ops *ops;
};

struct store_ops {
    const char *name; /* "SQLite", "PostgreSQL": for messages */
    enum err (*close)(struct store_backend *b);
    const char *(*errmsg)(const struct store_backend *b);
    int64_t (*node)(const struct store_backend *b); /* NULL: 0 */
    enum err (*run_begin)(struct store_backend *b, const struct run_info *info,
                          int64_t *run_id);
    enum err (*run_end)(struct store_backend *b, int64_t run_id,
                        const struct run_stats *st);
    enum err (*run_reopen)(struct store_backend *b, int64_t run_id,
                           long *pages, long *errors);
    enum err (*run_args)(struct store_backend *b, int64_t run_id, char **args,
                         char **mode);
    enum err (*resumable)(struct store_backend *b, int64_t *run_id,
                          char **args, char **mode);
    enum err (*put_page)(struct store_backend *b, int64_t run_id,
                         const struct page_row *row);
    enum err (*put_skipped)(struct store_backend *b, int64_t run_id,
                            const char *url, const char *reason);
    enum err (*put_robots)(struct store_backend *b, int64_t run_id,
                           const struct robots_row *row);
    enum err (*put_sitemap)(struct store_backend *b, int64_t run_id,
                            const struct sitemap_row *row);
    enum err (*frontier_add)(struct store_backend *b, int64_t run_id,
                             const char *url, int depth, const char *referrer);
    enum err (*frontier_done)(struct store_backend *b, int64_t run_id,
                              const char *url);
    enum err (*frontier_load)(struct store_backend *b, int64_t run_id,
                              store_frontier_fn fn, void *ctx);
    enum err (*seeds_load)(struct store_backend *b, int64_t run_id,
                           store_url_fn fn, void *ctx);
    enum err (*skipped_load)(struct store_backend *b, int64_t run_id,
                             store_url_fn fn, void *ctx);
    enum err (*recrawl_load)(struct store_backend *b, int64_t run_id,
                             store_prev_fn fn, void *ctx);
    enum err (*tick)(struct store_backend *b);
    enum err (*flush)(struct store_backend *b);
    enum err (*diff_runs)(struct store_backend *b, int64_t a, int64_t b2,
                          long *differ, char *example, size_t n);
    enum err (*compare_begin)(struct store_backend *b,
                              const struct compare_info *info, int64_t *id);
    enum err (*compare_end)(struct store_backend *b, int64_t id,
                            const char *status, const char *verdict);
    enum err (*compare_runs)(struct store_backend *b, int64_t id,
                             store_sample_fn fn, void *ctx);
};

/* One selectors row: what a run extracts and follows with. */
struct selector_row {
    const char *kind; /* "rule", "item", "field", "follow", "no-follow" */
    const char *name; /* a field's or rule's name, else NULL */
    const char *selector; /* as written (a rule's: its pattern) */
    const char *xpath;    /* what runs (a rule's: its pattern) */
    bool list;            /* a list field */
    const char *rule;     /* the rule it belongs to; NULL: none */
};

typedef enum err (*store_selector_fn)(void *ctx, int pos,
                                      const struct selector_row *row);

/* Calls `fn` for each selectors row of `spider` (NULL: none), `pos`
 * numbering them from 0 in the order given: rule by rule, the --rule
 * itself, its --item, its fields, its --follow (or --no-follow). */
enum err store_selector_rows(const struct spider *spider, store_selector_fn fn,
                             void *ctx);

/* Opens each backend; as store_open. */
enum err store_sqlite_open(const char *path, struct store_backend **out,
                           char **why);
enum err store_pg_open(const char *uri, struct store_backend **out,
                       char **why);

#endif
