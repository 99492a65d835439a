/*
 * serve_html.c - the pages scrape serve shows people (see serve.h): the
 * runs with the report's charts, one run's pages, one page, search, a
 * run's items.  Server-rendered HTML that works without JavaScript (the
 * Content-Security-Policy serve.c sends forbids every script), every
 * scraped string escaped for where it goes: element text and attribute
 * values through html(), URLs in href only when they are http or https.
 */
#define _GNU_SOURCE /* open_memstream */
#include "scrape/serve_html.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scrape/query.h"
#include "scrape/report.h"
#include "scrape/search.h"
#include "scrape/serve.h"

/* Rows a page shows. */
#define HTML_ROWS 50

static const char style_extra[] =
    "nav a{margin-right:14px}form{margin:10px 0}input[type=search]"
    "{width:22em;max-width:90%;padding:4px}td.l,th.l{text-align:left}"
    "td{vertical-align:top}.snip{color:#444}mark{background:#ffe08a}"
    "dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px}"
    "dt{font-weight:600}dd{margin:0;overflow-wrap:anywhere}"
    "table{max-width:100%}td{overflow-wrap:anywhere}"
    "@media (max-width:700px){body{margin:10px}.grid{grid-template-columns"
    ":1fr}svg{max-width:100%;height:auto}table{display:block;overflow-x:"
    "auto}dl{grid-template-columns:1fr}}\n";

/* Appends `s` escaped for element text and attribute values. */
static void html(struct buf *b, const char *s)
{
    if (s)
        api_html(b, s, strlen(s));
}

/* A URL: a link when it is http(s), else text. */
static void url_link(struct buf *b, const char *u)
{
    if (u &&
        (!strncasecmp(u, "http://", 7) || !strncasecmp(u, "https://", 8))) {
        buf_adds(b, "<a href=\"");
        html(b, u);
        buf_adds(b, "\" rel=\"noreferrer nofollow\">");
        html(b, u);
        buf_adds(b, "</a>");
    } else {
        html(b, u);
    }
}

static void head(struct api_req *r, const char *title)
{
    r->ctype = "text/html; charset=utf-8";
    buf_reset(&r->body);
    buf_adds(&r->body, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta"
                       " charset=\"utf-8\"><meta name=\"viewport\""
                       " content=\"width=device-width, initial-scale=1\">"
                       "<title>");
    html(&r->body, title);
    buf_adds(&r->body, " - scrape</title><link rel=\"stylesheet\""
                       " href=\"/static/style.css\"></head><body>\n<nav><a"
                       " href=\"/\">runs</a><a href=\"/search\">search</a>"
                       "</nav>\n");
}

static void foot(struct api_req *r)
{
    buf_adds(&r->body, "</body></html>\n");
}

static void page_error(struct api_req *r, int status, const char *msg)
{
    head(r, "error");
    r->status = status;
    buf_adds(&r->body, "<h1>");
    html(&r->body, msg);
    buf_adds(&r->body, "</h1>\n");
    foot(r);
}

static sqlite3_stmt *prep(struct api_req *r, const char *sql)
{
    sqlite3_stmt *st = NULL;

    if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) != SQLITE_OK)
        st = NULL;
    return st;
}

/* The answer to a failed statement: the time limit, or the database. */
static void db_failed(struct api_req *r)
{
    page_error(r, r->timed_out ? 503 : 500,
               r->timed_out ? "the query took longer than the time limit"
                            : sqlite3_errmsg(r->db));
}

/* Prepares `sql` with `id` bound to its ?1 and steps to its one row.
 * NULL (the answer set: 404 `missing`, or the database's failure) when
 * there is none. */
static sqlite3_stmt *one_row(struct api_req *r, const char *sql, long long id,
                             const char *missing)
{
    sqlite3_stmt *st = prep(r, sql);
    int rc;

    if (!st) {
        db_failed(r);
        return NULL;
    }
    sqlite3_bind_int64(st, 1, id);
    if ((rc = sqlite3_step(st)) == SQLITE_ROW)
        return st;
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE)
        page_error(r, 404, missing);
    else
        db_failed(r);
    return NULL;
}

static const char *col(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);

    return t ? (const char *)t : "";
}

static void search_form(struct api_req *r, const char *q)
{
    buf_adds(&r->body,
             "<form action=\"/search\" method=\"get\" role=\"search\">"
             "<input type=\"search\" name=\"q\" aria-label=\"search\""
             " placeholder=\"words, &quot;a phrase&quot;, NEAR(a b)\""
             " value=\"");
    html(&r->body, q);
    buf_adds(&r->body, "\"> <button type=\"submit\">Search</button></form>\n");
}

/* GET / */
static void front(struct api_req *r)
{
    struct query *q = NULL;
    sqlite3_stmt *st;
    char *charts = NULL;
    size_t clen = 0;
    FILE *mem;
    int rc;

    head(r, "runs");
    buf_adds(&r->body, "<h1>scrape</h1>\n");
    search_form(r, "");
    buf_adds(&r->body, "<h2>Runs</h2>\n<table id=\"runs\"><tr><th>run</th>"
                       "<th class=\"l\">mode</th><th class=\"l\">status</th>"
                       "<th>pages</th><th>errors</th><th>wall s</th>"
                       "<th>pages/s</th><th class=\"l\">started</th></tr>\n");
    if (!(st = prep(r, "SELECT id, mode, status, pages, errors,"
                       " printf('%.2f', wall_ms / 1000.0), printf('%.0f',"
                       " pages * 1000.0 / max(wall_ms, 1)), started_at FROM"
                       " runs ORDER BY id DESC LIMIT 1000"))) {
        db_failed(r);
        return;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        buf_addf(&r->body, "<tr><td><a href=\"/runs/%lld\">%lld</a></td>",
                 (long long)sqlite3_column_int64(st, 0),
                 (long long)sqlite3_column_int64(st, 0));
        for (int i = 1; i < 8; i++) {
            buf_adds(&r->body,
                     i == 1 || i == 2 || i == 7 ? "<td class=\"l\">" : "<td>");
            html(&r->body, col(st, i));
            buf_adds(&r->body, "</td>");
        }
        buf_adds(&r->body, "</tr>\n");
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        db_failed(r);
        return;
    }
    buf_adds(&r->body, "</table>\n<h2>Concurrency models</h2>\n"
                       "<div class=\"grid\">\n");
    /* The report's own charts, written into memory. */
    if ((mem = open_memstream(&charts, &clen))) {
        enum err e = query_on(r->db, &q);
        if (!e)
            e = report_mode_charts(q, mem);
        query_close(q);
        fclose(mem);
        if (!e)
            buf_add(&r->body, charts, clen);
        free(charts);
        if (e) {
            db_failed(r);
            return;
        }
    }
    buf_adds(&r->body, "</div>\n");
    foot(r);
}

/* GET /runs/N */
static void run_page(struct api_req *r, long long run)
{
    long long after = 0, status = 0, last = 0, n = 0, items = 0;
    const char *sv = r->arg(r->conn, "status");
    sqlite3_stmt *st;
    char title[64];
    int rc;

    if ((r->arg(r->conn, "after") &&
         !api_number(r->arg(r->conn, "after"), &after)) ||
        (sv && *sv && (!api_number(sv, &status) || status > 999))) {
        page_error(r, 400, "after and status are whole numbers");
        return;
    }
    if (!(st = one_row(r,
                       "SELECT mode, status, pages, errors, printf('%.2f',"
                       " wall_ms / 1000.0), (SELECT count(*) FROM items WHERE"
                       " run_id = ?1) FROM runs WHERE id = ?1",
                       run, "no such run")))
        return;
    snprintf(title, sizeof(title), "run %lld", run);
    head(r, title);
    buf_addf(&r->body,
             "<h1>Run %lld</h1>\n<dl id=\"summary\"><dt>mode</dt><dd>", run);
    html(&r->body, col(st, 0));
    buf_adds(&r->body, "</dd><dt>status</dt><dd>");
    html(&r->body, col(st, 1));
    buf_addf(&r->body,
             "</dd><dt>pages</dt><dd>%s</dd><dt>errors</dt><dd>%s"
             "</dd><dt>wall</dt><dd>%s s</dd></dl>\n",
             col(st, 2), col(st, 3), col(st, 4));
    items = sqlite3_column_int64(st, 5);
    sqlite3_finalize(st);
    if (items)
        buf_addf(&r->body,
                 "<p><a href=\"/runs/%lld/items\">%lld items</a></p>\n", run,
                 items);
    buf_addf(&r->body,
             "<form action=\"/runs/%lld\" method=\"get\"><label>HTTP"
             " status <input name=\"status\" size=\"4\" value=\"",
             run);
    if (status)
        buf_addf(&r->body, "%lld", status);
    buf_adds(&r->body, "\"></label> <button type=\"submit\">Filter</button>"
                       "</form>\n<table id=\"pages\"><tr><th>id</th>"
                       "<th class=\"l\">url</th><th>status</th><th>depth</th>"
                       "<th class=\"l\">title</th></tr>\n");
    if (!(st = prep(r, "SELECT id, url, status, depth, coalesce(title,"
                       " error, '') FROM pages WHERE run_id = ?1 AND id > ?2"
                       " AND (?3 = 0 OR status = ?3) ORDER BY id LIMIT ?4"))) {
        db_failed(r);
        return;
    }
    sqlite3_bind_int64(st, 1, run);
    sqlite3_bind_int64(st, 2, after);
    sqlite3_bind_int64(st, 3, status);
    sqlite3_bind_int64(st, 4, HTML_ROWS);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        last = sqlite3_column_int64(st, 0);
        n++;
        buf_addf(&r->body,
                 "<tr><td><a href=\"/pages/%lld\">%lld</a></td>"
                 "<td class=\"l\">",
                 last, last);
        url_link(&r->body, col(st, 1));
        buf_addf(&r->body, "</td><td>%s</td><td>%s</td><td class=\"l\">",
                 col(st, 2), col(st, 3));
        html(&r->body, col(st, 4));
        buf_adds(&r->body, "</td></tr>\n");
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        db_failed(r);
        return;
    }
    buf_adds(&r->body, "</table>\n");
    if (n == HTML_ROWS) {
        buf_addf(&r->body, "<p><a rel=\"next\" href=\"/runs/%lld?after=%lld",
                 run, last);
        if (status)
            buf_addf(&r->body, "&amp;status=%lld", status);
        buf_adds(&r->body, "\">next page</a></p>\n");
    }
    foot(r);
}

/* GET /pages/ID */
static void page_page(struct api_req *r, long long id)
{
    sqlite3_stmt *st;
    char title[64];
    int i, cols;

    if (!(st = one_row(r, "SELECT * FROM pages WHERE id = ?1", id,
                       "no such page")))
        return;
    snprintf(title, sizeof(title), "page %lld", id);
    head(r, title);
    buf_adds(&r->body, "<h1 id=\"title\">");
    html(&r->body, col(st, 10)); /* title */
    buf_adds(&r->body, "</h1>\n<dl id=\"record\">");
    cols = sqlite3_column_count(st);
    for (i = 0; i < cols; i++) {
        const char *name = sqlite3_column_name(st, i);
        buf_adds(&r->body, "<dt>");
        html(&r->body, name);
        buf_addf(&r->body, "</dt><dd data-col=\"%s\">", name);
        if (!strcmp(name, "url") || !strcmp(name, "final_url") ||
            !strcmp(name, "canonical"))
            url_link(&r->body, col(st, i));
        else if (!strcmp(name, "run_id"))
            buf_addf(&r->body, "<a href=\"/runs/%s\">%s</a>", col(st, i),
                     col(st, i));
        else if (!strcmp(name, "referrer") && *col(st, i))
            buf_addf(&r->body, "<a href=\"/pages/%s\">%s</a>", col(st, i),
                     col(st, i));
        else
            html(&r->body, col(st, i));
        buf_adds(&r->body, "</dd>");
    }
    buf_adds(&r->body, "</dl>\n");
    sqlite3_finalize(st);
    if ((st = prep(r, "SELECT name, value FROM fields WHERE page_id = ? ORDER"
                      " BY rowid"))) {
        sqlite3_bind_int64(st, 1, id);
        buf_adds(&r->body, "<h2>Fields</h2>\n<dl id=\"fields\">");
        while (sqlite3_step(st) == SQLITE_ROW) {
            buf_adds(&r->body, "<dt>");
            html(&r->body, col(st, 0));
            buf_adds(&r->body, "</dt><dd>");
            html(&r->body, col(st, 1));
            buf_adds(&r->body, "</dd>");
        }
        buf_adds(&r->body, "</dl>\n");
        sqlite3_finalize(st);
    }
    if ((st = prep(r, "SELECT idx, data FROM items WHERE page_id = ? ORDER BY"
                      " idx"))) {
        sqlite3_bind_int64(st, 1, id);
        buf_adds(&r->body, "<h2>Items</h2>\n<table id=\"items\"><tr><th>#</th>"
                           "<th class=\"l\">data</th></tr>\n");
        while (sqlite3_step(st) == SQLITE_ROW) {
            buf_addf(&r->body, "<tr><td>%s</td><td class=\"l\">", col(st, 0));
            html(&r->body, col(st, 1));
            buf_adds(&r->body, "</td></tr>\n");
        }
        buf_adds(&r->body, "</table>\n");
        sqlite3_finalize(st);
    }
    if ((st = prep(r, "SELECT url FROM links WHERE page_id = ? ORDER BY rowid"
                      " LIMIT 1000"))) {
        sqlite3_bind_int64(st, 1, id);
        buf_adds(&r->body, "<h2>Links</h2>\n<ul id=\"links\">");
        while (sqlite3_step(st) == SQLITE_ROW) {
            buf_adds(&r->body, "<li>");
            url_link(&r->body, col(st, 0));
            buf_adds(&r->body, "</li>");
        }
        buf_adds(&r->body, "</ul>\n");
        sqlite3_finalize(st);
    }
    foot(r);
}

struct hits_html {
    struct api_req *r;
    long n;
};

static bool put_hit(void *ctx, const struct search_hit *h)
{
    struct hits_html *hh = ctx;
    struct buf *b = &hh->r->body;

    hh->n++;
    buf_addf(b, "<li><a class=\"result\" href=\"/pages/%lld\">", h->page_id);
    html(b, *h->title ? h->title : h->url);
    buf_adds(b, "</a><br><small>");
    html(b, h->url);
    buf_adds(b, "</small><br><span class=\"snip\">");
    api_snippet_html(b, h->snippet);
    buf_adds(b, "</span></li>\n");
    return true;
}

/* GET /search?q=&run= */
static void search_page(struct api_req *r)
{
    const char *q = r->arg(r->conn, "q"), *rv = r->arg(r->conn, "run");
    struct hits_html hh = {.r = r};
    long long run = 0;
    char why[400];
    sqlite3_stmt *st;
    long n = 0;
    enum err e;

    if (rv && *rv && !api_number(rv, &run)) {
        page_error(r, 400, "run is a whole number");
        return;
    }
    if (!run && (st = prep(r, "SELECT coalesce(max(id), 0) FROM runs"))) {
        if (sqlite3_step(st) == SQLITE_ROW)
            run = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    head(r, q && *q ? q : "search");
    buf_adds(&r->body, "<h1>Search</h1>\n");
    search_form(r, q ? q : "");
    if (!q || !*q) {
        foot(r);
        return;
    }
    if (strlen(q) > 2048) {
        page_error(r, 400, "the query is longer than 2048 bytes");
        return;
    }
    buf_addf(&r->body, "<p class=\"meta\">run %lld</p>\n<ol id=\"results\">\n",
             run);
    e = search_run(r->search, run, q, HTML_ROWS, API_MARK_ON, API_MARK_OFF,
                   put_hit, &hh, &n, why, sizeof(why));
    if (r->timed_out) {
        db_failed(r);
        return;
    }
    if (e == ERR_INVALID) {
        r->status = 400;
        buf_adds(&r->body, "</ol><p class=\"error\">");
        html(&r->body, why);
        buf_adds(&r->body, "</p>\n");
    } else if (e) {
        page_error(r, 500, why);
        return;
    } else {
        buf_addf(&r->body, "</ol>\n<p id=\"count\">%ld page%s</p>\n", n,
                 n == 1 ? "" : "s");
    }
    foot(r);
}

/* GET /runs/N/items[?rule=NAME]: the items (of one rule) as a table, a
 * column per field (the rule's, or every rule's once). */
static void items_page(struct api_req *r, long long run)
{
    char names[16][128], title[64];
    const char *rule = r->arg(r->conn, "rule");
    long long after = 0, last = 0, n = 0;
    int nf = 0, i, rc;
    struct buf sql;
    sqlite3_stmt *st;

    if (r->arg(r->conn, "after") &&
        !api_number(r->arg(r->conn, "after"), &after)) {
        page_error(r, 400, "after is a whole number");
        return;
    }
    if (rule && !api_has_selector(r, run, "rule", rule)) {
        page_error(r, 404, "no such rule in this run");
        return;
    }
    if (!(st = prep(r, "SELECT name FROM selectors WHERE run_id = ?1 AND kind"
                       " = 'field' AND (?2 IS NULL OR rule = ?2) GROUP BY"
                       " name ORDER BY min(pos)"))) {
        db_failed(r);
        return;
    }
    sqlite3_bind_int64(st, 1, run);
    if (rule)
        sqlite3_bind_text(st, 2, rule, -1, SQLITE_STATIC);
    while (sqlite3_step(st) == SQLITE_ROW && nf < 16)
        snprintf(names[nf++], sizeof(names[0]), "%s", col(st, 0));
    sqlite3_finalize(st);
    snprintf(title, sizeof(title), "run %lld items", run);
    head(r, title);
    buf_addf(&r->body, "<h1><a href=\"/runs/%lld\">Run %lld</a>: items", run,
             run);
    if (rule) {
        buf_adds(&r->body, " of rule ");
        html(&r->body, rule);
    }
    buf_adds(&r->body, "</h1>\n<table id=\"items\"><tr><th>id</th>"
                       "<th>page</th><th>rule</th>");
    for (i = 0; i < nf; i++) {
        buf_adds(&r->body, "<th class=\"l\">");
        html(&r->body, names[i]);
        buf_adds(&r->body, "</th>");
    }
    buf_adds(&r->body, "</tr>\n");
    /* A json_extract per field; the text depends only on their count. */
    buf_init(&sql, 8192);
    buf_adds(&sql, "SELECT id, page_id, rule");
    for (i = 0; i < nf; i++)
        buf_addf(&sql, ", json_extract(data, ?%d)", i + 5);
    buf_adds(&sql, " FROM items WHERE run_id = ?1 AND id > ?2 AND (?4 IS"
                   " NULL OR rule = ?4) ORDER BY id LIMIT ?3");
    st = prep(r, sql.data);
    buf_release(&sql);
    if (!st) {
        db_failed(r);
        return;
    }
    sqlite3_bind_int64(st, 1, run);
    sqlite3_bind_int64(st, 2, after);
    sqlite3_bind_int64(st, 3, HTML_ROWS);
    if (rule)
        sqlite3_bind_text(st, 4, rule, -1, SQLITE_STATIC);
    for (i = 0; i < nf; i++) {
        char path[160];
        snprintf(path, sizeof(path), "$.\"%.127s\"", names[i]);
        sqlite3_bind_text(st, i + 5, path, -1, SQLITE_TRANSIENT);
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        last = sqlite3_column_int64(st, 0);
        n++;
        buf_addf(&r->body,
                 "<tr><td>%lld</td><td><a href=\"/pages/%s\">%s</a>"
                 "</td><td>",
                 last, col(st, 1), col(st, 1));
        html(&r->body, col(st, 2));
        buf_adds(&r->body, "</td>");
        for (i = 0; i < nf; i++) {
            buf_adds(&r->body, "<td class=\"l\">");
            html(&r->body, col(st, i + 3));
            buf_adds(&r->body, "</td>");
        }
        buf_adds(&r->body, "</tr>\n");
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        db_failed(r);
        return;
    }
    buf_adds(&r->body, "</table>\n");
    if (n == HTML_ROWS) {
        buf_addf(&r->body,
                 "<p><a rel=\"next\" href=\"/runs/%lld/items?after=%lld", run,
                 last);
        if (rule) {
            buf_adds(&r->body, "&amp;rule=");
            html(&r->body, rule); /* rule names are [A-Za-z0-9_.-] */
        }
        buf_adds(&r->body, "\">next page</a></p>\n");
    }
    foot(r);
}

bool html_answer(struct api_req *r)
{
    const char *p = r->path;
    long long id;
    char num[24];
    size_t k;

    r->status = 200;
    if (!strcmp(p, "/static/style.css")) {
        r->ctype = "text/css; charset=utf-8";
        buf_adds(&r->body, report_css);
        buf_adds(&r->body, style_extra);
        return true;
    }
    if (!strcmp(p, "/")) {
        front(r);
        return true;
    }
    if (!strcmp(p, "/search")) {
        search_page(r);
        return true;
    }
    if (!strncmp(p, "/pages/", 7)) {
        if (api_number(p + 7, &id))
            page_page(r, id);
        else
            page_error(r, 404, "no such page");
        return true;
    }
    if (!strncmp(p, "/runs/", 6)) {
        k = strcspn(p + 6, "/");
        if (!k || k >= sizeof(num)) {
            page_error(r, 404, "no such run");
            return true;
        }
        memcpy(num, p + 6, k);
        num[k] = '\0';
        if (!api_number(num, &id))
            page_error(r, 404, "no such run");
        else if (!p[6 + k])
            run_page(r, id);
        else if (!strcmp(p + 6 + k, "/items"))
            items_page(r, id);
        else
            page_error(r, 404, "no such page");
        return true;
    }
    return false;
}
