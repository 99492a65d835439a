/*
 * dbfile.h - a scratch SQLite file per unit test, for the store and
 * writer tests: created by dbfile_setup (a criterion .init), removed by
 * dbfile_teardown, read back with plain SQLite.
 */
#ifndef SCRAPE_TEST_DBFILE_H
#define SCRAPE_TEST_DBFILE_H

#include "scrape/store.h"

/* The file's path (in a fresh temporary directory). */
extern char dbfile_path[128];

void dbfile_setup(void);
void dbfile_teardown(void);

/* One integer from `sql` on the file. */
long long dbfile_int(const char *sql);

/* Asserts that `sql` gives one text value equal to `want`. */
void dbfile_expect_text(const char *sql, const char *want);

/* store_open on the file, asserting success. */
struct store *dbfile_open_store(void);

#endif
