/*
 * subcmd.h - the read-only subcommands in one table: name, usage, help
 * and the function that runs each.  cli.c parses with it, main.c runs
 * with it, --help prints it; a new report on a SQLite file is one entry
 * here.  Not in it: scrape extract, which writes a run (cli_parse and
 * main.c's extract()); serve's server loop and export --format sqlite of
 * a shared run, which main.c runs itself (`serves`, shared_subcommand).
 */
#ifndef SCRAPE_SUBCMD_H
#define SCRAPE_SUBCMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "scrape/err.h"

struct query;
struct subcommand;

struct subcmd_def {
    const char *name;
    const char *usage;          /* its options, after "scrape NAME " */
    const char *help;           /* what it does, for --help */
    bool wants_query;           /* takes one positional QUERY (search) */
    bool wants_format;          /* needs --format jsonl|csv (export) */
    const char *default_output; /* -o when not given, or NULL: stdout */
    /* Writes its report on `run_id` to `out`; on failure the detail is
     * query_errmsg(q) (ERR_IO: writing failed). */
    enum err (*run)(struct query *q, int64_t run_id,
                    const struct subcommand *sub, FILE *out);
    bool serves; /* runs until stopped (serve): no run is chosen and `run`
                    is NULL; main serves instead */
};

/* The subcommand called `name`, or NULL. */
const struct subcmd_def *subcmd_find(const char *name);

/* The i-th subcommand (for --help), or NULL past the last. */
const struct subcmd_def *subcmd_at(size_t i);

#endif
