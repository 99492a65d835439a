/*
 * store_json.c - items and list fields as JSON text (see store_json.h).
 */
#include "store_json.h"

#include <stdbool.h>

#include "scrape/json.h"

/* Record r's fields as one JSON object, keys in the order given; a plain
 * field that matched nothing has no key. */
enum err store_json_item(struct buf *b, const struct page_row *row, size_t r)
{
    const struct page *pg = row->page;
    enum err e = buf_add(b, "{", 1);
    bool first = true;
    size_t f, n;

    for (f = 0; f < pg->nfields && f < row->spec->nfields && !e; f++) {
        const struct field_spec *fs = &row->spec->fields[f];
        char *const *v = page_values(pg, r, f, &n);
        if (!n && !fs->list)
            continue;
        if (!first)
            e = buf_add(b, ",", 1);
        first = false;
        if (!e)
            e = json_add_string(b, fs->name);
        if (!e)
            e = buf_add(b, ":", 1);
        if (!e)
            e = fs->list ? json_add_array(b, v, n) : json_add_string(b, v[0]);
    }
    return e ? e : buf_add(b, "}", 1);
}

/* Page-level list field f's values as a JSON array. */
enum err store_json_field(struct buf *b, const struct page_row *row, size_t f)
{
    size_t n;
    char *const *v = page_values(row->page, 0, f, &n);

    return json_add_array(b, v, n);
}
