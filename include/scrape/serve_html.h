/*
 * serve_html.h - the HTML pages of scrape serve (see serve.h):
 *   /                  the runs and the report's charts, a search box
 *   /runs/N            one run: its figures and its pages (?status=
 *                      ?after=, 50 a page)
 *   /runs/N/items      its items as a table, a column per field
 *   /pages/ID          one page: record, fields, items, links
 *   /search?q=&run=    search with highlighted snippets
 *   /static/style.css  the style sheet
 */
#ifndef SCRAPE_SERVE_HTML_H
#define SCRAPE_SERVE_HTML_H

#include <stdbool.h>

#include "scrape/serve_api.h"

/* Answers `r` when its path is one of the pages (true), else false. */
bool html_answer(struct api_req *r);

#endif
