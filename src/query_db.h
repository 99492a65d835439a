/*
 * query_db.h - what the modules of the read side share: the open
 * database and its error text, and the SQL that picks the runs compared
 * by mode.  Private to src/: query.c, export.c, report.c, search.c and
 * warc.c; everyone else (main.c, subcmd.c, serve) uses query.h.
 */
#ifndef SCRAPE_QUERY_DB_H
#define SCRAPE_QUERY_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "scrape/err.h"
#include "scrape/query.h"

struct search;

struct query {
    sqlite3 *db;           /* read-only connection */
    bool borrowed;         /* query_on: the caller's, not closed here */
    struct search *search; /* on db, made by the first search */
    char msg[512];         /* the last error's detail */
};

/* The runs that figures "by mode" describe, as a subquery of runs ids:
 * those that ended "done" in the latest comparison (--compare) when the
 * database has one, else the latest run of each mode that has figures.
 * A comparison's runs side by side, not runs of different days. */
#define QUERY_COMPARED_RUNS                                                    \
    "(SELECT id FROM runs WHERE wall_ms IS NOT NULL AND CASE WHEN"             \
    " (SELECT max(compare_id) FROM runs WHERE status = 'done') IS NULL THEN"   \
    " id IN (SELECT max(id) FROM runs WHERE wall_ms IS NOT NULL GROUP BY"      \
    " mode) ELSE status = 'done' AND compare_id = (SELECT max(compare_id)"     \
    " FROM runs WHERE status = 'done') END)"

/* (mode, median of EXPR) over QUERY_COMPARED_RUNS, one row per mode in
 * mode order: with --repeat N a comparison has N runs of each mode; with
 * one run the median is that run's figure.  EXPR is a column expression
 * of runs. */
#define QUERY_MODE_MEDIAN(EXPR)                                                \
    "SELECT mode, avg(v) FROM (SELECT mode, v, row_number() OVER"              \
    " (PARTITION BY mode ORDER BY v) AS k, count(*) OVER (PARTITION BY"        \
    " mode) AS c FROM (SELECT mode, " EXPR " AS v FROM runs WHERE id IN"       \
    " " QUERY_COMPARED_RUNS ")) WHERE k IN ((c + 1) / 2, (c + 2) / 2)"         \
    " GROUP BY mode ORDER BY mode"

/* What QUERY_COMPARED_RUNS chose, in words for a caption: "comparison N
 * (R runs of each mode)" or "the latest run of each mode".
 * Returns ERR_DB with the detail set. */
enum err query_compared_label(struct query *q, char *out, size_t n);

/* Sets the error detail to "what: SQLite's message"; returns ERR_DB. */
enum err query_fail(struct query *q, const char *what);

/* Prepares `sql`; ERR_DB with the detail set. */
enum err query_prep(struct query *q, const char *sql, sqlite3_stmt **st);

/* Runs a one-value query with `run_id` bound to its ?; -1 on error. */
long long query_scalar(struct query *q, const char *sql, int64_t run_id);

#endif
