/*
 * pg_export.h - a shared run out of PostgreSQL into a scrape SQLite
 * file, on which every subcommand (stats, search, dupes, report, serve,
 * export) works as on a crawl's own file.
 */
#ifndef SCRAPE_PG_EXPORT_H
#define SCRAPE_PG_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "scrape/err.h"

/* Copies run `run_id` (0: the latest) of database `uri` into a new
 * SQLite file at `path` (which must not exist), from one consistent
 * snapshot: the runs row (same id), pages (same ids), links, fields,
 * items, selectors, sitemaps, skipped URLs, the frontier journal and the
 * full-text index.  *copied (may be NULL) gets the run's id.  ERR_DB or
 * ERR_IO with a readable reason in `why`. */
enum err pg_export_run(const char *uri, int64_t run_id, const char *path,
                       int64_t *copied, char *why, size_t n);

#endif
