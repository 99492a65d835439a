/*
 * query_db.h - what the read-only subcommands share: the open database
 * and its error text.  For query.c, export.c, report.c and search.c only;
 * everyone else uses query.h.
 */
#ifndef SCRAPE_QUERY_DB_H
#define SCRAPE_QUERY_DB_H

#include <stdint.h>

#include <sqlite3.h>

#include "scrape/err.h"
#include "scrape/query.h"

struct search;

struct query {
    sqlite3 *db;           /* read-only connection */
    struct search *search; /* on db, made by the first search */
    char msg[512];         /* the last error's detail */
};

/* Sets the error detail to "what: SQLite's message"; returns ERR_DB. */
enum err query_fail(struct query *q, const char *what);

/* Prepares `sql`; ERR_DB with the detail set. */
enum err query_prep(struct query *q, const char *sql, sqlite3_stmt **st);

/* Runs a one-value query with `run_id` bound to its ?; -1 on error. */
long long query_scalar(struct query *q, const char *sql, int64_t run_id);

#endif
