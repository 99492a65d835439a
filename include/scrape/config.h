/*
 * config.h - what a crawl was asked to do: `struct config`, which the
 * command line (cli.c) fills and the core (run, crawl, engines, extract,
 * compare) reads.  The core never includes cli.h: it does not know how
 * the options were spelled, only what they say.
 */
#ifndef SCRAPE_CONFIG_H
#define SCRAPE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "scrape/parse.h"

struct argfile;

#define SCRAPE_VERSION "0.1.0"

/* The hidden option a --compare gives each run it spawns (compare.h),
 * given as CONFIG_COMPARE_RUN_ARG=ID,PARENT,ENGINE. */
#define CONFIG_COMPARE_RUN_ARG "--internal-compare-run"

/* What a run's stored command line holds in place of a secret (an
 * Authorization, Cookie or Proxy-Authorization header's value). */
#define CONFIG_SECRET "(not stored: give it again)"

struct config {
    char *const *inputs; /* borrowed from argv: seeds files, "-" (stdin)
                            or http(s) URLs */
    size_t ninputs;
    char *seeds_desc; /* owned: the inputs, space-separated (runs.seeds) */
    const char *db_path;
    const char *engine; /* "multi", "threads" or "procs" */
    bool compare;       /* run all three engines, one after another */
    long repeat;        /* --repeat N: each engine N times (--compare) */
    /* Set in a run that a --compare spawned (CONFIG_COMPARE_RUN_ARG):
     * the comparison's id in the store and the comparing process. */
    long compare_id;
    long compare_parent;
    const char *compare_engine; /* the engine of that run (static) */
    long threads;               /* --threads N */
    long procs;                 /* --procs N (default: online CPUs) */
    long concurrency;
    long per_host;
    long depth;
    long max_pages;     /* 0 = no limit */
    long retries;       /* extra attempts after a 429 or 503 */
    long delay_ms;      /* least time between fetch starts per host */
    bool auto_throttle; /* --auto-throttle: per-host gaps that adapt */
    long timeout_s;
    long connect_timeout_s;
    size_t max_bytes;
    char *user_agent; /* owned */
    /* -H "Name: value": sent with every request (array owned, strings
     * borrowed from argv). */
    const char **headers;
    size_t nheaders;
    const char *user; /* -u USER:PASSWORD (borrowed), or NULL */
    /* TLS (borrowed paths): --cacert, --capath, --cert, --key; -k. */
    const char *cacert, *capath, *cert, *key;
    bool insecure;
    const char *cookies;    /* --cookies FILE: loaded before the crawl */
    const char *login_url;  /* --login-url: log in there first */
    char *login_data;       /* --login-data (owned: @FILE read) */
    const char *cookie_jar; /* --cookie-jar FILE: written at its end */
    bool any_host;
    bool resume;     /* --resume: continue the last unfinished run */
    char *args_json; /* owned: argv[1..] as a JSON array */
    bool ignore_robots;
    bool quiet;
    /* --rule, --item, --field, --follow and --no-follow: rules[0] holds
     * the options given before any --rule (cli_parse always makes it);
     * every string and array owned. */
    struct spider spider;
    const char **include; /* --include REGEX (array owned, strings
                             borrowed from argv) */
    size_t ninclude;
    const char **exclude; /* --exclude REGEX, likewise */
    size_t nexclude;
    const char **strip_params; /* --strip-params REGEX, likewise */
    size_t nstrip_params;
    bool sitemaps;    /* --sitemaps: seed from the hosts' sitemaps */
    long join;        /* --join N: crawl shared run N (0: none) */
    bool keep_bodies; /* --keep-bodies: store bodies and headers */
    bool extract;     /* scrape extract: parse stored bodies again */
    long extract_run; /* --run N of scrape extract (0: the latest) */
    long recrawl;     /* --recrawl N: run N again, conditionally */
    long lease_s;     /* --lease: a shared run's claims last this long */
    /* -K/--config: the argument vector with the files' arguments in it
     * (owned array; inputs, include and exclude point into its strings),
     * the files read (owned), and where each argument came from. */
    char **argv_owned;
    struct argfile *argfiles;
    size_t nargfiles;
    const char **arg_file; /* per argv_owned entry: its file, or NULL */
    int *arg_line;         /* ... and its line there */
    int argc_owned;
};

#endif
