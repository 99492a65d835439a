/*
 * subcmd.h - the read-only subcommands in one table: name, usage, help
 * and the function that runs each.  cli.c parses with it, main.c runs
 * with it, --help prints it; a new report on a SQLite file is one entry
 * here, a server too (`serve`).  Not in it: scrape extract, which
 * writes a run (cli_parse and main.c's extract()), and the copy of a
 * shared run into a SQLite file that main.c makes before any of these
 * runs on it (export --format sqlite is that copy alone).
 */
#ifndef SCRAPE_SUBCMD_H
#define SCRAPE_SUBCMD_H

#include <stdbool.h>
#include <stddef.h>
#include <signal.h>
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
    /* A server (serve), instead of `run`: serves the file until `stop`
     * is set; no run is chosen.  On failure the detail is in `why`. */
    enum err (*serve)(const struct subcommand *sub,
                      const volatile sig_atomic_t *stop, char *why, size_t n);
};

/* The subcommand called `name`, or NULL. */
const struct subcmd_def *subcmd_find(const char *name);

/* The i-th subcommand (for --help), or NULL past the last. */
const struct subcmd_def *subcmd_at(size_t i);

#endif
