/*
 * report.h - the report's charts, for scrape report (query_report in
 * query.h) and the front page of scrape serve.
 */
#ifndef SCRAPE_REPORT_H
#define SCRAPE_REPORT_H

#include <stdio.h>

#include "scrape/err.h"

struct query;

/* The style sheet the charts' classes need (CSS text). */
extern const char report_css[];

/* Writes the charts comparing the latest run of each mode (figures with
 * SVG inside, no script): wall time, pages/s, peak memory, and pages
 * completed over time, one line per mode.  ERR_DB (query_errmsg),
 * ERR_NOMEM. */
enum err report_mode_charts(struct query *q, FILE *out);

#endif
