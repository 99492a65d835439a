/*
 * cli.h - command line to `struct config` (getopt_long).
 *
 * Parsing only: nothing here opens files or starts transfers.  Every
 * numeric option is range-checked; a bad one is a usage error (exit 2).
 * The core reads the result through config.h and never includes this
 * header: only main.c, cli.c and subcmd.c do.
 */
#ifndef SCRAPE_CLI_H
#define SCRAPE_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "scrape/config.h"
#include "scrape/err.h"

#define CLI_DEFAULT_CONCURRENCY   100
#define CLI_MAX_CONCURRENCY       10000
#define CLI_DEFAULT_PER_HOST      8
#define CLI_DEFAULT_TIMEOUT       30
#define CLI_DEFAULT_CONNECT       10
#define CLI_DEFAULT_MAX_BYTES     (10L * 1024 * 1024)
#define CLI_DEFAULT_DB            "out/scrape.db"
#define CLI_DEFAULT_LEASE         60
#define CLI_MAX_DEPTH             1000
#define CLI_DEFAULT_THREADS       32
#define CLI_DEFAULT_RETRIES       2
#define CLI_MAX_RETRIES           10
#define CLI_MAX_DELAY_MS          600000
#define QUERY_DISTANCE_DEFAULT    3
#define CLI_DEFAULT_LISTEN        "127.0.0.1:8000"
#define CLI_DEFAULT_TIME_LIMIT_MS 2000
#define QUERY_LIMIT_DEFAULT       10
#define CLI_MAX_WORKERS           4096
#define CLI_MAX_REPEAT            99
/* Repeatable options that take a list (--field, --include, --exclude). */
#define CLI_MAX_LIST 1024

/* A read-only subcommand as parsed: scrape NAME [OPTIONS] (the names
 * and what each takes are subcmd.h's table). */
struct subcommand {
    const char *name;             /* argv[1] */
    const struct subcmd_def *def; /* its table entry */
    const char *db_path;
    long run;           /* 0 = the latest */
    long distance;      /* dupes */
    const char *format; /* export: "jsonl" or "csv" */
    bool changed;       /* export --changed: a recrawl's changes only */
    const char *rule;   /* export --rule NAME: that rule's records */
    const char *output; /* -o FILE, or NULL for stdout */
    const char *query;  /* search: the FTS5 query */
    const char *listen; /* serve: HOST:PORT */
    long time_limit_ms; /* serve: per query */
    long limit;         /* search: results shown */
};

/* True when argv[1] names a subcommand. */
bool cli_is_subcommand(int argc, char **argv);

enum cli_result {
    CLI_RUN = 0, /* config is ready */
    CLI_HELP,    /* --help was printed; exit 0 */
    CLI_VERSION, /* --version was printed; exit 0 */
    CLI_USAGE,   /* message written to `err`; exit 2 */
};

/* True when an input argument is a URL rather than a seeds file. */
bool cli_input_is_url(const char *arg);

/* Parses argv into `cfg` (which cli_release frees).  Writes --help and
 * --version text to `out`, usage errors as one line to `err` (and
 * warnings, such as an absolute XPath in an --item field, which do not
 * stop the run).  CSS selectors are translated to XPath here; whether
 * the XPath compiles is parser_new()'s to say. */
enum cli_result cli_parse(int argc, char **argv, struct config *cfg, FILE *out,
                          FILE *err);

/* Parses a subcommand's options (argv[1] is its name); messages as for
 * cli_parse. */
enum cli_result cli_parse_sub(int argc, char **argv, struct subcommand *sub,
                              FILE *out, FILE *err);

/* True when -H `header` carries a secret (Authorization, Cookie,
 * Proxy-Authorization): the run's stored command line has CONFIG_SECRET
 * in its place. */
bool cli_secret_header(const char *header);

/* A run parsed from its stored command line (`stored`: --resume,
 * --recrawl, --join) gets the secret headers back from the command line
 * given now (`given`).  False, with the message on `err`, when one is
 * missing there. */
bool cli_restore_secrets(struct config *stored, const struct config *given,
                         FILE *err);

/* Encodes argv[0..argc) as a JSON array of strings; new string, caller
 * frees; NULL when out of memory. */
char *cli_args_to_json(int argc, char *const *argv);

/* Decodes such an array into a NULL-terminated argv whose argv[0] is
 * "scrape"; *argc counts it.  Free with cli_args_free.  ERR_INVALID for
 * anything that is not an array of strings. */
enum err cli_args_from_json(const char *json, int *argc, char ***argv);
void cli_args_free(int argc, char **argv);

/* Frees what a config owns.  Twice is a no-op. */
void cli_release(struct config *cfg);

#endif
