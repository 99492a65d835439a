/*
 * held.h - records kept aside until they may be stored: the pages the
 * crawl fetched before their depth was final (frontier_hold).
 *
 * Each record is an opaque byte string.  Up to a memory budget they stay
 * in memory; beyond it they go to a temporary file (created on first
 * need in $TMPDIR or /tmp, unlinked at once, so nothing is left behind
 * by a kill), up to a disk budget.  The crawl keeps fetching ahead while
 * held_has_room(): a slow page can then hold its level open for a whole
 * timeout while thousands of deeper pages wait here, not in memory.
 * The file's space is reused once every record in it has been taken.
 *
 * Not thread-safe: one owner.
 */
#ifndef SCRAPE_HELD_H
#define SCRAPE_HELD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scrape/buf.h"
#include "scrape/err.h"

struct held_store;
struct held_rec;

/* An empty store keeping up to `mem_bytes` in memory and `file_bytes` in
 * its file (0: no file).  ERR_NOMEM. */
enum err held_new(size_t mem_bytes, uint64_t file_bytes,
                  struct held_store **out);

/* Frees the store and every record still in it.  NULL ok. */
void held_free(struct held_store *s);

/* Keeps a copy of data[0..n) and returns its handle.  In memory while
 * the memory budget allows, else in the file; when the file cannot take
 * it (its budget, a write error such as a full disk) in memory anyway,
 * and held_has_room() turns false.  ERR_NOMEM. */
enum err held_put(struct held_store *s, const void *data, size_t n,
                  struct held_rec **out);

/* Reads record `r` into `out` (reset first; NUL-terminated) and frees
 * the handle.  ERR_IO when the file cannot be read back (then the handle
 * is freed too), ERR_NOMEM. */
enum err held_take(struct held_store *s, struct held_rec *r, struct buf *out);

/* Frees record `r` unread. */
void held_drop(struct held_store *s, struct held_rec *r);

/* True while another record fits one of the budgets. */
bool held_has_room(const struct held_store *s);

/* Bytes of records in memory, and in the file (for tests and figures). */
size_t held_mem_bytes(const struct held_store *s);
uint64_t held_file_bytes(const struct held_store *s);

#endif
