/*
 * report.c - scrape report: one self-contained HTML page with SVG charts
 * (see query_report in query.h).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "scrape/query.h"
#include "scrape/query_db.h"

/* Bars for one chart, read from a query of (label, value) rows. */
struct bars {
    char label[16][64];
    double value[16];
    int n;
};

static enum err load_bars(struct query *q, const char *sql, int64_t run_id,
                          struct bars *b)
{
    sqlite3_stmt *st = NULL;
    enum err e;
    int rc;

    b->n = 0;
    if ((e = query_prep(q, sql, &st)))
        return e;
    if (sqlite3_bind_parameter_count(st) > 0)
        sqlite3_bind_int64(st, 1, run_id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && b->n < 16) {
        const unsigned char *l = sqlite3_column_text(st, 0);
        snprintf(b->label[b->n], sizeof(b->label[0]), "%s",
                 l ? (const char *)l : "-");
        b->value[b->n] = sqlite3_column_double(st, 1);
        b->n++;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW
               ? ERR_OK
               : query_fail(q, "cannot read the database");
}

/* Escapes text for HTML. */
static void html_text(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '<')
            fputs("&lt;", out);
        else if (*s == '>')
            fputs("&gt;", out);
        else if (*s == '&')
            fputs("&amp;", out);
        else if (*s == '"')
            fputs("&quot;", out);
        else
            fputc(*s, out);
    }
}

/* A horizontal bar chart as inline SVG (560 x 30 per bar); values are
 * printed with `decimals` digits. */
static void svg_chart(FILE *out, const char *id, const char *title,
                      const char *unit, int decimals, const struct bars *b)
{
    double max = 0;
    int i;

    for (i = 0; i < b->n; i++)
        if (b->value[i] > max)
            max = b->value[i];
    fprintf(out, "<figure><figcaption>");
    html_text(out, title);
    fprintf(out,
            "</figcaption>\n<svg id=\"%s\" width=\"560\" height=\"%d\""
            " role=\"img\">\n",
            id, 30 * (b->n ? b->n : 1) + 10);
    for (i = 0; i < b->n; i++) {
        double w = max > 0 ? 300.0 * b->value[i] / max : 0;
        fprintf(out, "<text x=\"0\" y=\"%d\" class=\"label\">", 30 * i + 22);
        html_text(out, b->label[i]);
        fprintf(out,
                "</text><rect x=\"110\" y=\"%d\" width=\"%.1f\" height=\"20\""
                " class=\"bar\" data-label=\"",
                30 * i + 7, w > 1 || b->value[i] == 0 ? w : 1);
        html_text(out, b->label[i]);
        fprintf(out,
                "\" data-value=\"%.*f\"><title>%.*f %s</title></rect>"
                "<text x=\"%.1f\" y=\"%d\" class=\"value\">%.*f %s"
                "</text>\n",
                decimals, b->value[i], decimals, b->value[i], unit, 116 + w,
                30 * i + 22, decimals, b->value[i], unit);
    }
    if (!b->n)
        fputs("<text x=\"0\" y=\"22\" class=\"label\">no data</text>\n", out);
    fputs("</svg></figure>\n", out);
}

static const char report_head[] =
    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
    "<title>scrape report</title>\n<style>\n"
    "body{font:15px/1.4 system-ui,sans-serif;margin:24px 40px;color:#222;"
    "background:#fafafa}\nh1{font-size:24px;margin:0 0 4px}"
    "h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd}\n"
    ".grid{display:grid;grid-template-columns:repeat(2,600px);gap:12px}\n"
    "figure{margin:0;background:#fff;border:1px solid #e4e4e4;"
    "border-radius:6px;padding:10px}\nfigcaption{font-weight:600;"
    "margin-bottom:6px}\n.bar{fill:#3b7dd8}.label{font-size:13px}"
    ".value{font-size:12px;fill:#444}\ntable{border-collapse:collapse;"
    "background:#fff}td,th{border:1px solid #ddd;padding:3px 8px;"
    "text-align:right}th{background:#f0f0f0}\n.meta{color:#666}\n"
    "</style></head><body>\n";

static enum err report_runs(struct query *q, FILE *out)
{
    static const char *const heads[] = {
        "run",    "mode",    "workers", "conc.",   "pages",  "errors",
        "wall s", "pages/s", "CPU s",   "peak MB", "status", "started"};
    sqlite3_stmt *st = NULL;
    enum err e;
    int rc, i;

    fputs("<h2>Runs</h2>\n<table id=\"runs\"><tr>", out);
    for (i = 0; i < 12; i++)
        fprintf(out, "<th>%s</th>", heads[i]);
    fputs("</tr>\n", out);
    if ((e = query_prep(
             q,
             "SELECT id, mode, workers, concurrency, pages, errors,"
             " printf('%.2f', wall_ms / 1000.0),"
             " printf('%.0f', pages * 1000.0 / max(wall_ms, 1)),"
             " printf('%.2f', (cpu_user_ms + cpu_sys_ms) / 1000.0),"
             " printf('%.1f', peak_rss_kb / 1024.0), status, started_at"
             " FROM runs ORDER BY id",
             &st)))
        return e;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        fputs("<tr>", out);
        for (i = 0; i < 12; i++) {
            const unsigned char *t = sqlite3_column_text(st, i);
            fputs("<td>", out);
            html_text(out, t ? (const char *)t : "");
            fputs("</td>", out);
        }
        fputs("</tr>\n", out);
    }
    sqlite3_finalize(st);
    fputs("</table>\n", out);
    return rc == SQLITE_DONE ? ERR_OK : query_fail(q, "cannot read runs");
}

#define LATEST_OF_EACH_MODE                                                    \
    " FROM runs WHERE id IN (SELECT max(id) FROM runs WHERE wall_ms IS NOT"    \
    " NULL GROUP BY mode) ORDER BY mode"

enum err query_report(struct query *q, int64_t run_id, FILE *out)
{
    struct bars b;
    enum err e;

    fputs(report_head, out);
    fprintf(out,
            "<h1>scrape report</h1>\n<p class=\"meta\">run %lld"
            " (latest unless --run); the comparison uses the latest run"
            " of each mode</p>\n<h2>Concurrency models</h2>\n"
            "<div class=\"grid\">\n",
            (long long)run_id);
    if ((e = load_bars(q, "SELECT mode, wall_ms / 1000.0" LATEST_OF_EACH_MODE,
                       0, &b)))
        return e;
    svg_chart(out, "wall", "Wall time by mode", "s", 2, &b);
    if ((e = load_bars(q,
                       "SELECT mode, pages * 1000.0 / max(wall_ms, "
                       "1)" LATEST_OF_EACH_MODE,
                       0, &b)))
        return e;
    svg_chart(out, "rate", "Pages per second by mode", "pages/s", 0, &b);
    if ((e = load_bars(q,
                       "SELECT mode, peak_rss_kb / 1024.0" LATEST_OF_EACH_MODE,
                       0, &b)))
        return e;
    svg_chart(out, "memory", "Peak memory by mode", "MB", 1, &b);
    fputs("</div>\n<h2>This run</h2>\n<div class=\"grid\">\n", out);
    if ((e = load_bars(q,
                       "SELECT CASE WHEN status = 0 THEN 'no answer' ELSE"
                       " (status / 100) || 'xx' END AS k, count(*) FROM pages"
                       " WHERE run_id = ? GROUP BY k ORDER BY k",
                       run_id, &b)))
        return e;
    svg_chart(out, "status", "Pages by status", "pages", 0, &b);
    if ((e = load_bars(q,
                       "SELECT CASE WHEN fetch_ms < 10 THEN '< 10 ms'"
                       " WHEN fetch_ms < 50 THEN '10-50 ms'"
                       " WHEN fetch_ms < 100 THEN '50-100 ms'"
                       " WHEN fetch_ms < 250 THEN '100-250 ms'"
                       " WHEN fetch_ms < 1000 THEN '250 ms-1 s'"
                       " ELSE '>= 1 s' END AS k, count(*), min(fetch_ms) AS o"
                       " FROM pages WHERE run_id = ? GROUP BY k ORDER BY o",
                       run_id, &b)))
        return e;
    svg_chart(out, "latency", "Fetch latency", "pages", 0, &b);
    fputs("</div>\n", out);
    if ((e = report_runs(q, out)))
        return e;
    fputs("</body></html>\n", out);
    return ferror(out) ? ERR_IO : ERR_OK;
}
