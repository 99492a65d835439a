/* dbfile.c - see dbfile.h. */
#include "dbfile.h"

#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

static char dir[64];
char dbfile_path[128];

void dbfile_setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/scrape-store-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(dbfile_path, sizeof(dbfile_path), "%s/t.db", dir);
}

void dbfile_teardown(void)
{
    char cmd[160];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

long long dbfile_int(const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    long long v;

    cr_assert_eq(sqlite3_open_v2(dbfile_path, &db, SQLITE_OPEN_READONLY, NULL),
                 SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, "%s",
                 sql);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "%s", sql);
    v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

void dbfile_expect_text(const char *sql, const char *want)
{
    sqlite3 *db;
    sqlite3_stmt *st;

    cr_assert_eq(sqlite3_open_v2(dbfile_path, &db, SQLITE_OPEN_READONLY, NULL),
                 SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "%s", sql);
    cr_assert_str_eq((const char *)sqlite3_column_text(st, 0), want, "%s", sql);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

struct store *dbfile_open_store(void)
{
    struct store *s = NULL;
    char *why = NULL;

    cr_assert_eq(store_open(dbfile_path, &s, &why), ERR_OK, "%s", why);
    return s;
}
