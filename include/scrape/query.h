/*
 * query.h - the read side of a scrape SQLite file: what the read-only
 * subcommands ask (stats, dupes, export as JSON lines, CSV or WARC,
 * report, search; their options are subcmd.c's table), and the charts
 * scrape serve borrows from the report.
 *
 * The database is opened read-only (SQLITE_OPEN_READONLY): a subcommand
 * never writes to what it reads.  The SQL of the read side lives in
 * query.c and its neighbours (export.c, report.c, search.c, warc.c);
 * serve_api.c and serve_html.c keep their own page-sized queries; the
 * writes are the store's (store.h).  Output goes to a stream, row by
 * row: an export of 100,000 pages uses constant memory.
 */
#ifndef SCRAPE_QUERY_H
#define SCRAPE_QUERY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "scrape/err.h"

struct query;

/* A query over a connection the caller opened and keeps (scrape serve's
 * per-thread connections): query_close frees it and leaves `db` open. */
struct sqlite3;
enum err query_on(struct sqlite3 *db, struct query **out);

/* Opens the scrape database at `path` read-only.  On failure returns
 * ERR_IO or ERR_DB with a one-line reason in *why (new string, caller
 * frees): missing file, not a scrape database, newer schema. */
enum err query_open(const char *path, struct query **out, char **why);

void query_close(struct query *q);

/* Resolves --run: `requested` > 0 must exist; 0 means the latest run.
 * ERR_INVALID with the reason in query_errmsg() when there is none. */
enum err query_run(struct query *q, long requested, int64_t *run_id);

/* Writes the run's report (and, with several runs, a side-by-side of the
 * latest run of each mode) to `out`. */
enum err query_stats(struct query *q, int64_t run_id, FILE *out);

/* Writes clusters of pages whose SimHash fingerprints are within
 * `distance` bits (0..63) of another page in the cluster, largest first. */
enum err query_dupes(struct query *q, int64_t run_id, int distance, FILE *out);

enum query_format { QUERY_JSONL, QUERY_CSV };

/* Streams one record per item when the run had --item (url, idx, then
 * the fields in the order given), else one per page with its --field
 * values; list fields are JSON arrays (JSON text in a CSV cell).  A run
 * with rules (--rule) gives rule `rule`'s records: its items (url, idx,
 * fields) or, for a rule without --item, one per page of the rule (url,
 * fields); with `rule` NULL every rule's, each with a "rule" key (in
 * CSV, the columns are rule, url, idx and every rule's fields).
 * ERR_INVALID (detail set) for a `rule` the run does not have. */
enum err query_export(struct query *q, int64_t run_id, enum query_format format,
                      bool changed, const char *rule, FILE *out);

/* Full-text search (FTS5 over titles and visible text) in run `run_id`:
 * the best `limit` pages by bm25 (title hits weigh 10x), with a snippet
 * whose matches are wrapped in `mark_on`/`mark_off`.  A malformed query
 * is ERR_INVALID with FTS5's message in query_errmsg(). */
enum err query_search(struct query *q, int64_t run_id, const char *match,
                      long limit, const char *mark_on, const char *mark_off,
                      FILE *out);

/* Writes one self-contained HTML page (inline CSS and SVG, no network):
 * wall time, pages/s and peak memory of the latest run of each mode, the
 * status breakdown and fetch-latency histogram of `run_id`, and the table
 * of all runs.  Every bar carries its figure in data-value. */
enum err query_report(struct query *q, int64_t run_id, FILE *out);

/* The last error's detail (borrowed). */
const char *query_errmsg(const struct query *q);

#endif
