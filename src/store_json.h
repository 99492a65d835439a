/*
 * store_json.h - a page's items and list fields as the JSON text both
 * store backends keep (items.data, a list field's value).  Private to
 * store_sqlite.c and store_pg.c.
 */
#ifndef SCRAPE_STORE_JSON_H
#define SCRAPE_STORE_JSON_H

#include <stddef.h>

#include "scrape/buf.h"
#include "scrape/err.h"
#include "scrape/store.h"

/* Record r's fields as one JSON object, keys in the order given; a plain
 * field that matched nothing has no key.  Appended to `b`. */
enum err store_json_item(struct buf *b, const struct page_row *row, size_t r);

/* Page-level list field f's values as a JSON array, appended to `b`. */
enum err store_json_field(struct buf *b, const struct page_row *row, size_t f);

#endif
