/*
 * export.c - scrape export: a run's records as JSON lines or CSV (see
 * query_export in query.h).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "scrape/buf.h"
#include "scrape/query.h"
#include "query_db.h"

/* The page columns every record has, in order. */
static const char *const export_cols[] = {
    "url",       "final_url", "depth",     "status",      "content_type",
    "bytes",     "fetch_ms",  "title",     "description", "lang",
    "canonical", "h1",        "words",     "outlinks",    "simhash",
    "attempts",  "error",     "fetched_at"};
#define NCOLS (sizeof(export_cols) / sizeof(export_cols[0]))

/* What export reads of a page (export_cols, then its id). */
#define PAGE_COLS                                                              \
    "url, final_url, depth, status, content_type, bytes, fetch_ms, title,"     \
    " description, lang, canonical, h1, words, outlinks,"                      \
    " printf('%016x', simhash), attempts, error, fetched_at, id"

/* export --changed: what a recrawl found changed (and pages it found
 * gone: their rows say how). */
#define EXPORT_CHANGES "('new', 'changed', 'gone')"

static void csv_value(FILE *out, const char *v)
{
    /* RFC 4180: quote when needed, double the quotes inside. */
    if (!strpbrk(v, ",\"\r\n")) {
        fputs(v, out);
        return;
    }
    fputc('"', out);
    for (; *v; v++) {
        if (*v == '"')
            fputc('"', out);
        fputc(*v, out);
    }
    fputc('"', out);
}

static void json_string(FILE *out, const char *v)
{
    fputc('"', out);
    for (; *v; v++) {
        unsigned char c = (unsigned char)*v;
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", out);
        else if (c == '\r')
            fputs("\\r", out);
        else if (c == '\t')
            fputs("\\t", out);
        else if (c < 0x20)
            fprintf(out, "\\u%04x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

/* One output value: NULL is empty in CSV and null in JSON; numbers stay
 * numbers in JSON. */
static void put_value(FILE *out, enum query_format f, sqlite3_stmt *st, int col)
{
    int type = sqlite3_column_type(st, col);
    const char *text = (const char *)sqlite3_column_text(st, col);

    if (f == QUERY_CSV) {
        csv_value(out, text ? text : "");
    } else if (type == SQLITE_NULL) {
        fputs("null", out);
    } else if (type == SQLITE_INTEGER || type == SQLITE_FLOAT) {
        fputs(text, out);
    } else {
        json_string(out, text);
    }
}

struct field_names {
    char **v;
    bool *json; /* the value is a JSON array (a list field) */
    size_t n;
};

static void field_names_release(struct field_names *fn)
{
    size_t i;

    for (i = 0; i < fn->n; i++)
        free(fn->v[i]);
    free(fn->v);
    free(fn->json);
    memset(fn, 0, sizeof(*fn));
}

/* Loads field names and their list flag from `sql`'s (name, list) rows,
 * its ?1 bound to run_id. */
static enum err load_names(struct query *q, const char *sql, int64_t run_id,
                           struct field_names *fn)
{
    sqlite3_stmt *st = NULL;
    enum err e;

    memset(fn, 0, sizeof(*fn));
    if ((e = query_prep(q, sql, &st)))
        return e;
    sqlite3_bind_int64(st, 1, run_id);
    while (!e && sqlite3_step(st) == SQLITE_ROW) {
        char **nv = realloc(fn->v, (fn->n + 1) * sizeof(*nv));
        bool *nj;
        if (nv)
            fn->v = nv;
        nj = nv ? realloc(fn->json, (fn->n + 1) * sizeof(*nj)) : NULL;
        if (nj)
            fn->json = nj;
        if (!nj ||
            !(nv[fn->n] = strdup((const char *)sqlite3_column_text(st, 0)))) {
            e = ERR_NOMEM;
            break;
        }
        nj[fn->n++] = sqlite3_column_int(st, 1) != 0;
    }
    sqlite3_finalize(st);
    return e;
}

static void header(FILE *out, enum query_format f, const struct field_names *fn)
{
    size_t i;

    if (f != QUERY_CSV)
        return;
    for (i = 0; i < NCOLS; i++)
        fprintf(out, "%s%s", i ? "," : "", export_cols[i]);
    for (i = 0; i < fn->n; i++) {
        fputc(',', out);
        csv_value(out, fn->v[i]);
    }
    fputs("\r\n", out);
}

/* Writes one record: the page row, then its fields.  `fst` is positioned
 * on this page's first field row (or later); fields come ordered by
 * page_id then name, so the two statements are merged as they stream. */
static int write_record(FILE *out, enum query_format f, sqlite3_stmt *pst,
                        sqlite3_stmt *fst, int frc,
                        const struct field_names *fn)
{
    int64_t id = sqlite3_column_int64(pst, NCOLS);
    size_t i, k = 0;

    if (f == QUERY_JSONL)
        fputc('{', out);
    for (i = 0; i < NCOLS; i++) {
        if (f == QUERY_JSONL)
            fprintf(out, "%s\"%s\":", i ? "," : "", export_cols[i]);
        else if (i)
            fputc(',', out);
        put_value(out, f, pst, (int)i);
    }
    while (frc == SQLITE_ROW && sqlite3_column_int64(fst, 0) < id)
        frc = sqlite3_step(fst);
    for (k = 0; k < fn->n; k++) {
        bool match =
            frc == SQLITE_ROW && sqlite3_column_int64(fst, 0) == id &&
            !strcmp((const char *)sqlite3_column_text(fst, 1), fn->v[k]);
        if (f == QUERY_JSONL) {
            fputc(',', out);
            json_string(out, fn->v[k]);
            fputc(':', out);
        } else {
            fputc(',', out);
        }
        if (match && f == QUERY_JSONL && fn->json[k]) {
            fputs((const char *)sqlite3_column_text(fst, 2), out);
            frc = sqlite3_step(fst);
        } else if (match) {
            put_value(out, f, fst, 2);
            frc = sqlite3_step(fst);
        } else if (f == QUERY_JSONL) {
            fputs("null", out);
        }
    }
    fputs(f == QUERY_JSONL ? "}\n" : "\r\n", out);
    return frc;
}

/* SELECT url, idx and one column per field from the run's items: the
 * field's JSON (JSON lines, and CSV lists) or its text (CSV plain). */
static enum err prep_items(struct query *q, const struct field_names *f,
                           enum query_format format, bool changed,
                           sqlite3_stmt **st)
{
    struct buf sql, path;
    enum err e;
    size_t i;

    buf_init(&sql, 1 << 20);
    buf_init(&path, 4096);
    e = buf_adds(&sql, "SELECT p.url, i.idx");
    for (i = 0; i < f->n && !e; i++)
        e = buf_addf(&sql, ", i.data %s ?%zu",
                     format == QUERY_CSV && !f->json[i] ? "->>" : "->", i + 2);
    if (!e)
        e = buf_addf(&sql,
                     " FROM items i JOIN pages p ON p.id = i.page_id"
                     " WHERE i.run_id = ?1%s ORDER BY i.id",
                     changed ? " AND p.change IN " EXPORT_CHANGES : "");
    if (!e)
        e = query_prep(q, sql.data, st);
    for (i = 0; i < f->n && !e; i++) {
        /* cli.c keeps '"' and '\' out of names: the path needs no
         * escaping. */
        buf_reset(&path);
        if (!(e = buf_addf(&path, "$.\"%s\"", f->v[i])))
            sqlite3_bind_text(*st, (int)i + 2, path.data, -1, SQLITE_TRANSIENT);
    }
    buf_release(&sql);
    buf_release(&path);
    return e;
}

static void write_item(FILE *out, enum query_format f, sqlite3_stmt *st,
                       const struct field_names *fields)
{
    size_t i;

    if (f == QUERY_CSV) {
        for (i = 0; i < fields->n + 2; i++) {
            const char *v = (const char *)sqlite3_column_text(st, (int)i);
            if (i)
                fputc(',', out);
            csv_value(out, v ? v : "");
        }
        fputs("\r\n", out);
        return;
    }
    fputs("{\"url\":", out);
    json_string(out, (const char *)sqlite3_column_text(st, 0));
    fprintf(out, ",\"idx\":%lld", (long long)sqlite3_column_int64(st, 1));
    for (i = 0; i < fields->n; i++) {
        const char *v = (const char *)sqlite3_column_text(st, (int)i + 2);
        fputc(',', out);
        json_string(out, fields->v[i]);
        fputc(':', out);
        /* Already JSON: the stored item's own value. */
        fputs(v ? v : "null", out);
    }
    fputs("}\n", out);
}

/* One record per item: url, idx, then the fields in the order given. */
static enum err export_items(struct query *q, int64_t run_id,
                             enum query_format format, bool changed, FILE *out)
{
    struct field_names fn, *f = &fn;
    sqlite3_stmt *st = NULL;
    enum err e;
    size_t i;
    int rc;

    if ((e = load_names(q,
                        "SELECT name, list FROM selectors WHERE run_id = ?1"
                        " AND kind = 'field' ORDER BY pos",
                        run_id, &fn)) ||
        (e = prep_items(q, f, format, changed, &st))) {
        field_names_release(&fn);
        return e;
    }
    sqlite3_bind_int64(st, 1, run_id);
    if (format == QUERY_CSV) {
        fputs("url,idx", out);
        for (i = 0; i < f->n; i++) {
            fputc(',', out);
            csv_value(out, f->v[i]);
        }
        fputs("\r\n", out);
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        write_item(out, format, st, f);
    sqlite3_finalize(st);
    field_names_release(&fn);
    if (rc != SQLITE_DONE)
        return query_fail(q, "cannot read items");
    return ferror(out) ? ERR_IO : ERR_OK;
}

static enum err export_pages(struct query *q, int64_t run_id,
                             enum query_format format, bool changed, FILE *out);

enum err query_export(struct query *q, int64_t run_id, enum query_format format,
                      bool changed, FILE *out)
{
    long long items =
        query_scalar(q,
                     "SELECT count(*) FROM selectors WHERE run_id = ?"
                     " AND kind = 'item'",
                     run_id);

    if (items < 0)
        return query_fail(q, "cannot read the run's selectors");
    return items ? export_items(q, run_id, format, changed, out)
                 : export_pages(q, run_id, format, changed, out);
}

/* One record per page, the page-level --field values as keys or columns
 * (lists as JSON arrays). */
static enum err export_pages(struct query *q, int64_t run_id,
                             enum query_format format, bool changed, FILE *out)
{
    sqlite3_stmt *pst = NULL, *fst = NULL;
    struct field_names fn;
    enum err e;
    int rc, frc;

    /* Names in order, each with whether the run gave it as a list field
     * (its values are JSON arrays). */
    if ((e = load_names(q,
                        "SELECT f.name, max(coalesce(s.list, 0)) FROM fields f"
                        " JOIN pages p ON p.id = f.page_id LEFT JOIN selectors"
                        " s ON s.run_id = p.run_id AND s.kind = 'field' AND"
                        " s.name = f.name WHERE p.run_id = ?1"
                        " GROUP BY f.name ORDER BY f.name",
                        run_id, &fn)))
        goto out;
    if ((e = query_prep(q,
                        changed
                            ? "SELECT " PAGE_COLS " FROM pages WHERE run_id = ?"
                              " AND change IN " EXPORT_CHANGES " ORDER BY id"
                            : "SELECT " PAGE_COLS " FROM pages WHERE run_id = ?"
                              " ORDER BY id",
                        &pst)) ||
        (e = query_prep(q,
                        "SELECT f.page_id, f.name, f.value FROM fields f JOIN"
                        " pages p ON p.id = f.page_id WHERE p.run_id = ?"
                        " ORDER BY f.page_id, f.name",
                        &fst)))
        goto out;
    sqlite3_bind_int64(pst, 1, run_id);
    sqlite3_bind_int64(fst, 1, run_id);
    header(out, format, &fn);
    frc = sqlite3_step(fst);
    while ((rc = sqlite3_step(pst)) == SQLITE_ROW)
        frc = write_record(out, format, pst, fst, frc, &fn);
    if (rc != SQLITE_DONE)
        e = query_fail(q, "cannot read pages");
    else if (ferror(out))
        e = ERR_IO;
out:
    sqlite3_finalize(pst);
    sqlite3_finalize(fst);
    field_names_release(&fn);
    return e;
}
