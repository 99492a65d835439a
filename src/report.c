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
#include "query_db.h"
#include "scrape/report.h"

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

/* The report's style sheet, shared with scrape serve's pages. */
const char report_css[] =
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
    ".m0{stroke:#3b7dd8;fill:#3b7dd8}.m1{stroke:#d8743b;fill:#d8743b}"
    ".m2{stroke:#2e9e5b;fill:#2e9e5b}.m3{stroke:#8a4bd8;fill:#8a4bd8}"
    "polyline.line{fill:none;stroke-width:2}.axis{stroke:#999}\n";

static const char report_head_a[] =
    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
    "<title>scrape report</title>\n<style>\n";
static const char report_head_b[] = "</style></head><body>\n";

/* Pages completed over time for one run of each mode (the latest of
 * QUERY_COMPARED_RUNS; at most four), one line each: where a model stalls or
 * saturates shows as a flat or a straight stretch.  At most TIMELINE_POINTS
 * points a line. */
#define TIMELINE_POINTS 120
#define TIMELINE_MODES  4

struct timeline {
    char mode[TIMELINE_MODES][16];
    double *t[TIMELINE_MODES];
    size_t n[TIMELINE_MODES], cap[TIMELINE_MODES];
    int nmodes;
};

static enum err load_timeline(struct query *q, struct timeline *tl)
{
    sqlite3_stmt *st = NULL;
    enum err e;
    int rc, m = -1;

    if ((e = query_prep(q,
                        "SELECT r.mode, (julianday(p.fetched_at) -"
                        " julianday(r.started_at)) * 86400.0 FROM pages p"
                        " JOIN runs r ON r.id = p.run_id WHERE r.id IN"
                        " (SELECT max(id) FROM runs WHERE id IN"
                        " " QUERY_COMPARED_RUNS " GROUP BY mode) AND"
                        " p.fetched_at IS NOT NULL ORDER BY r.mode,"
                        " p.fetched_at, p.id",
                        &st)))
        return e;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *mode = (const char *)sqlite3_column_text(st, 0);
        if (m < 0 || strcmp(tl->mode[m], mode ? mode : "")) {
            if (m + 1 == TIMELINE_MODES)
                break;
            m++;
            snprintf(tl->mode[m], sizeof(tl->mode[m]), "%s", mode ? mode : "");
            tl->nmodes = m + 1;
        }
        if (tl->n[m] == tl->cap[m]) {
            size_t ncap = tl->cap[m] ? tl->cap[m] * 2 : 256;
            double *nt = realloc(tl->t[m], ncap * sizeof(*nt));
            if (!nt) {
                sqlite3_finalize(st);
                return ERR_NOMEM;
            }
            tl->t[m] = nt;
            tl->cap[m] = ncap;
        }
        tl->t[m][tl->n[m]++] = sqlite3_column_double(st, 1);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW
               ? ERR_OK
               : query_fail(q, "cannot read the pages' times");
}

static void timeline_chart(FILE *out, const struct timeline *tl)
{
    double tmax = 0.001, nmax = 1;
    size_t i;
    int m;

    for (m = 0; m < tl->nmodes; m++) {
        if (tl->n[m] && tl->t[m][tl->n[m] - 1] > tmax)
            tmax = tl->t[m][tl->n[m] - 1];
        if ((double)tl->n[m] > nmax)
            nmax = (double)tl->n[m];
    }
    fputs("<figure id=\"timeline\"><figcaption>Pages completed over time"
          " (one run of each mode)</figcaption>\n<svg width=\"580\""
          " height=\"230\" viewBox=\"0 0 580 230\" role=\"img\">\n"
          "<line class=\"axis\" x1=\"40\" y1=\"190\" x2=\"570\""
          " y2=\"190\"/><line class=\"axis\" x1=\"40\" y1=\"10\" x2=\"40\""
          " y2=\"190\"/>\n",
          out);
    fprintf(out,
            "<text x=\"0\" y=\"18\" class=\"value\">%.0f</text><text"
            " x=\"530\" y=\"206\" class=\"value\">%.*f s</text>\n",
            nmax, tmax < 10 ? 2 : 1, tmax);
    for (m = 0; m < tl->nmodes; m++) {
        size_t step = tl->n[m] / TIMELINE_POINTS + 1;
        fprintf(out,
                "<polyline class=\"line m%d\" data-mode=\"%s\""
                " data-pages=\"%zu\" points=\"40,190",
                m, tl->mode[m], tl->n[m]);
        for (i = 0; i < tl->n[m]; i++)
            if ((i + 1) % step == 0 || i + 1 == tl->n[m])
                fprintf(out, " %.1f,%.1f", 40 + 530 * tl->t[m][i] / tmax,
                        190 - 180 * (double)(i + 1) / nmax);
        fputs("\"/>\n", out);
        fprintf(out,
                "<rect class=\"m%d\" x=\"%d\" y=\"214\" width=\"10\""
                " height=\"10\"/><text x=\"%d\" y=\"224\""
                " class=\"label\">%s</text>\n",
                m, 50 + 120 * m, 64 + 120 * m, tl->mode[m]);
    }
    if (!tl->nmodes)
        fputs("<text x=\"50\" y=\"100\" class=\"label\">no data</text>\n", out);
    fputs("</svg></figure>\n", out);
}

enum err report_mode_charts(struct query *q, FILE *out)
{
    char label[128];
    struct timeline tl;
    struct bars b;
    enum err e;
    int m;

    if ((e = query_compared_label(q, label, sizeof(label))))
        return e;
    fputs("<p class=\"meta\" id=\"compared\">", out);
    html_text(out, label);
    fputs("; a bar is the median of a mode's runs</p>\n", out);
    if ((e = load_bars(q, QUERY_MODE_MEDIAN("wall_ms / 1000.0"), 0, &b)))
        return e;
    svg_chart(out, "wall", "Wall time by mode", "s", 2, &b);
    if ((e = load_bars(q, QUERY_MODE_MEDIAN("pages * 1000.0 / max(wall_ms, 1)"),
                       0, &b)))
        return e;
    svg_chart(out, "rate", "Pages per second by mode", "pages/s", 0, &b);
    if ((e = load_bars(q, QUERY_MODE_MEDIAN("peak_rss_kb / 1024.0"), 0, &b)))
        return e;
    svg_chart(out, "memory", "Peak memory by mode", "MB", 1, &b);
    memset(&tl, 0, sizeof(tl));
    e = load_timeline(q, &tl);
    if (!e)
        timeline_chart(out, &tl);
    for (m = 0; m < TIMELINE_MODES; m++)
        free(tl.t[m]);
    return e;
}

static enum err report_runs(struct query *q, FILE *out)
{
    static const char *const heads[] = {
        "run",    "mode",    "workers",   "conc.", "pages",
        "errors", "wall s",  "pages/s",   "CPU s", "peak MB",
        "status", "started", "comparison"};
    sqlite3_stmt *st = NULL;
    enum err e;
    int rc, i;

    fputs("<h2>Runs</h2>\n<table id=\"runs\"><tr>", out);
    for (i = 0; i < 13; i++)
        fprintf(out, "<th>%s</th>", heads[i]);
    fputs("</tr>\n", out);
    if ((e = query_prep(
             q,
             "SELECT id, mode, workers, concurrency, pages, errors,"
             " printf('%.2f', wall_ms / 1000.0),"
             " printf('%.0f', pages * 1000.0 / max(wall_ms, 1)),"
             " printf('%.2f', (cpu_user_ms + cpu_sys_ms) / 1000.0),"
             " printf('%.1f', peak_rss_kb / 1024.0), status, started_at,"
             " compare_id FROM runs ORDER BY id",
             &st)))
        return e;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        fputs("<tr>", out);
        for (i = 0; i < 13; i++) {
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

enum err query_report(struct query *q, int64_t run_id, FILE *out)
{
    struct bars b;
    enum err e;

    fputs(report_head_a, out);
    fputs(report_css, out);
    fputs(report_head_b, out);
    fprintf(out,
            "<h1>scrape report</h1>\n<p class=\"meta\">run %lld"
            " (latest unless --run)</p>\n<h2>Concurrency models</h2>\n"
            "<div class=\"grid\">\n",
            (long long)run_id);
    if ((e = report_mode_charts(q, out)))
        return e;
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
