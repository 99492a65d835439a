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

/* Appends `name` (copied) with its list flag. */
static enum err names_add(struct field_names *fn, const char *name, bool json)
{
    char **nv = realloc(fn->v, (fn->n + 1) * sizeof(*nv));
    bool *nj;

    if (!nv)
        return ERR_NOMEM;
    fn->v = nv;
    if (!(nj = realloc(fn->json, (fn->n + 1) * sizeof(*nj))))
        return ERR_NOMEM;
    fn->json = nj;
    if (!(nv[fn->n] = strdup(name)))
        return ERR_NOMEM;
    nj[fn->n++] = json;
    return ERR_OK;
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
    while (!e && sqlite3_step(st) == SQLITE_ROW)
        e = names_add(fn, (const char *)sqlite3_column_text(st, 0),
                      sqlite3_column_int(st, 1) != 0);
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

/* One rule's part of a run with rules: its name (NULL: the pages no rule
 * matched), whether its records are items, its fields. */
struct rule_part {
    char *name;
    bool items;
    struct field_names fields;
};

/* The SELECT of one rule's records: url, idx (NULL for a page record),
 * then one column per name of `cols` (the rule's own fields, or in CSV
 * with every rule the union of them all: NULL where the rule has none),
 * each the field's JSON (JSON lines) or its text (CSV). */
static enum err prep_rule(struct query *q, const struct rule_part *r,
                          const struct field_names *cols,
                          enum query_format format, bool changed,
                          sqlite3_stmt **st)
{
    struct buf sql;
    enum err e;
    size_t i, k;

    buf_init(&sql, 1 << 20);
    e = buf_adds(&sql, r->items ? "SELECT p.url, i.idx" : "SELECT p.url, NULL");
    for (i = 0; i < cols->n && !e; i++) {
        for (k = 0; k < r->fields.n && strcmp(r->fields.v[k], cols->v[i]); k++)
            ;
        /* cli.c keeps '"', '\' and control characters out of names. */
        if (k == r->fields.n)
            e = buf_adds(&sql, ", NULL");
        else if (r->items)
            e = buf_addf(&sql, ", i.data %s '$.\"%s\"'",
                         format == QUERY_CSV && !r->fields.json[k] ? "->>"
                                                                   : "->",
                         cols->v[i]);
        else
            e = buf_addf(&sql,
                         ", (SELECT %s FROM fields f WHERE f.page_id = p.id"
                         " AND f.name = '%s')",
                         format == QUERY_JSONL && !r->fields.json[k]
                             ? "json_quote(f.value)"
                             : "f.value",
                         cols->v[i]);
    }
    if (!e && r->items)
        e = buf_adds(&sql, " FROM items i JOIN pages p ON p.id = i.page_id"
                           " WHERE i.run_id = ?1 AND i.rule IS ?2");
    else if (!e)
        e = buf_adds(&sql, " FROM pages p WHERE p.run_id = ?1 AND"
                           " p.rule IS ?2");
    if (!e && changed)
        e = buf_adds(&sql, " AND p.change IN " EXPORT_CHANGES);
    if (!e)
        e = buf_adds(&sql, r->items ? " ORDER BY i.id" : " ORDER BY p.id");
    if (!e)
        e = query_prep(q, sql.data, st);
    buf_release(&sql);
    return e;
}

/* Writes one rule's records, with a "rule" key when `keyed`. */
static enum err write_rule(struct query *q, int64_t run_id,
                           const struct rule_part *r,
                           const struct field_names *cols,
                           enum query_format format, bool changed, bool keyed,
                           FILE *out)
{
    sqlite3_stmt *st = NULL;
    enum err e;
    size_t i;
    int rc;

    if ((e = prep_rule(q, r, cols, format, changed, &st)))
        return e;
    sqlite3_bind_int64(st, 1, run_id);
    if (r->name)
        sqlite3_bind_text(st, 2, r->name, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (format == QUERY_CSV) {
            if (keyed) {
                csv_value(out, r->name ? r->name : "");
                fputc(',', out);
            }
            for (i = 0; i < cols->n + 2; i++) {
                const char *v = (const char *)sqlite3_column_text(st, (int)i);
                if (i == 1 && !r->items && !keyed)
                    continue; /* one rule of page records: no idx column */
                if (i)
                    fputc(',', out);
                csv_value(out, v ? v : "");
            }
            fputs("\r\n", out);
            continue;
        }
        fputc('{', out);
        if (keyed) {
            fputs("\"rule\":", out);
            if (r->name)
                json_string(out, r->name);
            else
                fputs("null", out);
            fputc(',', out);
        }
        fputs("\"url\":", out);
        json_string(out, (const char *)sqlite3_column_text(st, 0));
        if (r->items)
            fprintf(out, ",\"idx\":%lld",
                    (long long)sqlite3_column_int64(st, 1));
        for (i = 0; i < cols->n; i++) {
            const char *v = (const char *)sqlite3_column_text(st, (int)i + 2);
            fputc(',', out);
            json_string(out, cols->v[i]);
            fputc(':', out);
            fputs(v ? v : "null", out);
        }
        fputs("}\n", out);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return query_fail(q, "cannot read records");
    return ferror(out) ? ERR_IO : ERR_OK;
}

/* The parts of a run with rules: each --rule in order, then the pages no
 * rule matched when something was extracted from them; only `only` when
 * it is given (ERR_INVALID when the run has no such rule). */
static enum err load_parts(struct query *q, int64_t run_id, const char *only,
                           struct rule_part **out, size_t *n)
{
    sqlite3_stmt *st = NULL;
    struct rule_part *parts = NULL, *np;
    enum err e;
    int rc;

    *out = NULL;
    *n = 0;
    if ((e = query_prep(q,
                        "SELECT name, 0 FROM (SELECT name, pos FROM selectors"
                        " WHERE run_id = ?1 AND kind = 'rule' UNION ALL"
                        " SELECT NULL, 1000000 WHERE EXISTS (SELECT 1 FROM"
                        " selectors WHERE run_id = ?1 AND rule IS NULL AND"
                        " kind IN ('item', 'field'))) WHERE ?2 IS NULL OR"
                        " name = ?2 ORDER BY pos",
                        &st)))
        return e;
    sqlite3_bind_int64(st, 1, run_id);
    if (only)
        sqlite3_bind_text(st, 2, only, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && !e) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        if (!(np = realloc(parts, (*n + 1) * sizeof(*np)))) {
            e = ERR_NOMEM;
            break;
        }
        parts = np;
        memset(&parts[*n], 0, sizeof(parts[*n]));
        if (name && !(parts[*n].name = strdup(name)))
            e = ERR_NOMEM;
        (*n)++;
    }
    sqlite3_finalize(st);
    *out = parts;
    if (!e && only && !*n) {
        snprintf(q->msg, sizeof(q->msg), "run %lld has no rule '%s'",
                 (long long)run_id, only);
        return ERR_INVALID;
    }
    return e;
}

/* Reads each part's fields and whether its records are items. */
static enum err load_part_fields(struct query *q, int64_t run_id,
                                 struct rule_part *r)
{
    sqlite3_stmt *st = NULL;
    struct field_names fn;
    enum err e;

    if ((e = query_prep(q,
                        "SELECT name, list, kind FROM selectors WHERE"
                        " run_id = ?1 AND rule IS ?2 AND kind IN ('item',"
                        " 'field') ORDER BY pos",
                        &st)))
        return e;
    sqlite3_bind_int64(st, 1, run_id);
    if (r->name)
        sqlite3_bind_text(st, 2, r->name, -1, SQLITE_STATIC);
    memset(&fn, 0, sizeof(fn));
    while (!e && sqlite3_step(st) == SQLITE_ROW) {
        if (!strcmp((const char *)sqlite3_column_text(st, 2), "item"))
            r->items = true;
        else
            e = names_add(&fn, (const char *)sqlite3_column_text(st, 0),
                          sqlite3_column_int(st, 1) != 0);
    }
    sqlite3_finalize(st);
    r->fields = fn;
    return e;
}

/* Adds the names of `add` missing from `all` (the CSV columns). */
static enum err union_names(struct field_names *all,
                            const struct field_names *add)
{
    size_t i, k;

    enum err e = ERR_OK;

    for (i = 0; i < add->n && !e; i++) {
        for (k = 0; k < all->n && strcmp(all->v[k], add->v[i]); k++)
            ;
        if (k == all->n)
            e = names_add(all, add->v[i], add->json[i]);
    }
    return e;
}

/* A run with rules: `only`'s records, or every rule's with a rule key. */
static enum err export_rules(struct query *q, int64_t run_id, const char *only,
                             enum query_format format, bool changed, FILE *out)
{
    struct field_names all;
    struct rule_part *parts = NULL;
    size_t n = 0, i;
    bool keyed = only == NULL;
    enum err e;

    memset(&all, 0, sizeof(all));
    e = load_parts(q, run_id, only, &parts, &n);
    for (i = 0; i < n && !e; i++)
        if (!(e = load_part_fields(q, run_id, &parts[i])))
            e = union_names(&all, &parts[i].fields);
    if (!e && format == QUERY_CSV) {
        bool idx = keyed || (n && parts[0].items);
        fputs(keyed ? "rule,url" : "url", out);
        if (idx)
            fputs(",idx", out);
        for (i = 0; i < all.n; i++) {
            fputc(',', out);
            csv_value(out, all.v[i]);
        }
        fputs("\r\n", out);
    }
    for (i = 0; i < n && !e; i++)
        e = write_rule(q, run_id, &parts[i],
                       format == QUERY_CSV ? &all : &parts[i].fields, format,
                       changed, keyed, out);
    for (i = 0; i < n; i++) {
        free(parts[i].name);
        field_names_release(&parts[i].fields);
    }
    free(parts);
    field_names_release(&all);
    return e;
}

enum err query_export(struct query *q, int64_t run_id, enum query_format format,
                      bool changed, const char *rule, FILE *out)
{
    long long items, rules;

    rules = query_scalar(q,
                         "SELECT count(*) FROM selectors WHERE run_id = ?"
                         " AND kind = 'rule'",
                         run_id);
    items = query_scalar(q,
                         "SELECT count(*) FROM selectors WHERE run_id = ?"
                         " AND kind = 'item'",
                         run_id);
    if (items < 0 || rules < 0)
        return query_fail(q, "cannot read the run's selectors");
    if (rules)
        return export_rules(q, run_id, rule, format, changed, out);
    if (rule) {
        snprintf(q->msg, sizeof(q->msg), "run %lld has no rules (--rule)",
                 (long long)run_id);
        return ERR_INVALID;
    }
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
