/*
 * writer.h - the store's writes during a crawl, on a thread of their own.
 *
 * The engines must never wait for SQLite: a pages row with its links,
 * fields and full-text index entry costs ~200-300 us of CPU, as much as
 * fetching and parsing the page.  A writer owns the store while a crawl
 * runs: each write call copies its record into a bounded FIFO and returns;
 * one writer thread applies the records to the store in order and
 * commits batches by count or age, as the store would, but only between
 * records: a record is everything written for one URL, up to and
 * including its writer_frontier_done (its pages row with its items, the
 * links it queued, the skipped rows), so a killed crawl never has a page
 * committed without the links it queued, or the reverse.  A sitemap's
 * rows (its sitemaps row, the URLs it queued) have no frontier_done of
 * their own: they are committed with the next page's record, and a
 * resumed crawl reads the sitemaps again.  A robots.txt answer
 * (writer_put_robots, shared runs) is a record of its own.
 *
 * Back-pressure: when WRITER_QUEUE_BYTES of records wait, callers block
 * until the writer catches up, so memory stays bounded.
 *
 * Errors are sticky: the first store failure is kept, the rest of the
 * queue is dropped, and every later call returns that error (its detail
 * from writer_errmsg), so the crawl stops.
 *
 * The store must not be touched by anyone else between writer_start and
 * writer_stop (both of which hand it over with a happens-before).  The
 * write calls are thread-safe with respect to the writer thread, but
 * callers serialise them among themselves (the crawl does).
 */
#ifndef SCRAPE_WRITER_H
#define SCRAPE_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "scrape/err.h"
#include "scrape/store.h"

/* Bytes of copied records that may wait for the writer thread. */
#define WRITER_QUEUE_BYTES (4L * 1024 * 1024)

/* Queued bytes that wake the writer thread; below that it works every
 * WRITER_TICK_MS, which is also how often it commits a batch that has
 * grown old. */
#define WRITER_WAKE_BYTES (256L * 1024)
#define WRITER_TICK_MS    50

struct writer;

/* Work on a page that can leave the engine's thread: called on the
 * writer thread with the writer's own copy, just before it is stored. */
typedef void (*writer_prepare_fn)(struct page *pg);

/* Starts the writer thread on `store` (borrowed; must outlive the
 * writer); `prepare` (may be NULL) is applied to each page.  Returns
 * ERR_NOMEM when the thread cannot be created. */
enum err writer_start(struct store *store, writer_prepare_fn prepare,
                      struct writer **out);

/* Applies everything queued, commits, stops the thread and frees the
 * writer; the store is the caller's again.  Returns the first error
 * (detail copied into `why`, `n` bytes, when not NULL).  NULL ok. */
enum err writer_stop(struct writer *w, char *why, size_t n);

/* Queue a copy of the arguments (all borrowed) for the matching store_*
 * call (see store.h).  `row->fields` is not copied: it must outlive the
 * writer (it is the command line's).  Return ERR_NOMEM or the sticky
 * error. */
enum err writer_put_page(struct writer *w, int64_t run_id,
                         const struct page_row *row);
enum err writer_put_sitemap(struct writer *w, int64_t run_id,
                            const struct sitemap_row *row);
enum err writer_put_skipped(struct writer *w, int64_t run_id, const char *url,
                            const char *reason);
enum err writer_frontier_add(struct writer *w, int64_t run_id, const char *url,
                             int depth, const char *referrer);
enum err writer_put_robots(struct writer *w, int64_t run_id,
                           const struct robots_row *row);
enum err writer_frontier_done(struct writer *w, int64_t run_id,
                              const char *url);

/* Waits until everything queued so far is committed. */
enum err writer_flush(struct writer *w);

/* The sticky error so far, without waiting (ERR_OK when none). */
enum err writer_status(struct writer *w);

/* Copies the sticky error's detail into `buf` ("" when none). */
void writer_errmsg(struct writer *w, char *buf, size_t n);

#endif
