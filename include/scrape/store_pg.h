/*
 * store_pg.h - the store (store.h) on PostgreSQL, for runs many nodes
 * crawl together.  store.c hands every call for a postgresql:// --db
 * here; nothing else includes this header.
 *
 * Writes are statements kept in a batch, sent as one transaction when
 * the writer ticks (after each record).  A page's
 * record - its row, text, links, fields, items, skipped rows, the URLs
 * it queued and its done mark - is one statement whose every part is
 * conditional on the lease: the frontier row must still be claimed by
 * this node.  A node whose lease was taken over has its record refused
 * (counted), never duplicated.  Because a record is one statement that
 * is harmless to run twice, a batch lost with the connection is sent
 * again after reconnecting (pg_recover).
 */
#ifndef SCRAPE_STORE_PG_H
#define SCRAPE_STORE_PG_H

#include <stddef.h>
#include <stdint.h>

#include "scrape/buf.h"
#include "scrape/err.h"
#include "scrape/store.h"

struct store_pg;

enum err store_pg_open(const char *uri, struct store_pg **out, char **why);
enum err store_pg_close(struct store_pg *p);
enum err store_pg_run_begin(struct store_pg *p, const struct run_info *info,
                            int64_t *run_id);
enum err store_pg_run_end(struct store_pg *p, int64_t run_id,
                          const struct run_stats *st);
enum err store_pg_run_args(struct store_pg *p, int64_t run_id, char **args,
                           char **mode);
enum err store_pg_run_reopen(struct store_pg *p, int64_t run_id);
enum err store_pg_put_page(struct store_pg *p, int64_t run_id,
                           const struct page_row *row);
enum err store_pg_put_skipped(struct store_pg *p, int64_t run_id,
                              const char *url, const char *reason);
enum err store_pg_put_robots(struct store_pg *p, int64_t run_id,
                             const struct robots_row *row);
enum err store_pg_frontier_add(struct store_pg *p, int64_t run_id,
                               const char *url, int depth);
enum err store_pg_frontier_done(struct store_pg *p, int64_t run_id,
                                const char *url);
enum err store_pg_seeds_load(struct store_pg *p, int64_t run_id,
                             enum err (*fn)(void *ctx, const char *url),
                             void *ctx);
enum err store_pg_tick(struct store_pg *p);
enum err store_pg_flush(struct store_pg *p);
const char *store_pg_errmsg(const struct store_pg *p);
int64_t store_pg_node(const struct store_pg *p);

/* Shared by both backends (store.c): a page's list field or item as the
 * JSON text stored. */
enum err store_field_json(struct buf *b, const struct page_row *row, size_t f);
enum err store_item_json(struct buf *b, const struct page_row *row, size_t r);

#endif
