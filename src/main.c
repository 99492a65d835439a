/*
 * main.c - scrape's entry point: parse the command line, initialise the
 * libraries once, read the seeds, open the store, run the chosen engine,
 * and turn the outcome into an exit status.
 *
 * Exit status: 0 the crawl ran (failed pages are rows, not failures),
 * 1 fatal (database, no valid seeds), 2 usage, 128+signal when stopped.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <libxml/parser.h>

#include "scrape/cli.h"
#include "scrape/compare.h"
#include "scrape/crawl.h"
#include "scrape/engine.h"
#include "scrape/extract.h"
#include "scrape/filter.h"
#include "scrape/parse.h"
#include "scrape/pg_export.h"
#include "scrape/query.h"
#include "scrape/subcmd.h"
#include "scrape/run.h"
#include "scrape/seeds.h"
#include "scrape/store.h"
#include "scrape/workers.h"

#define EXIT_FATAL 1
#define EXIT_USAGE 2

/* Which signal asked us to stop, 0 while running: the only global a
 * signal handler may write, so the one piece of global mutable state
 * the crawl reads (everything else is owned by a struct and passed). */
static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

static void install_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
    /* Past a file size limit, writes should fail (SQLite reports it and
     * we exit cleanly) rather than kill the process. */
    sigaction(SIGXFSZ, &sa, NULL);
}

/* Checks, before any transfer starts and before the database is opened,
 * that every --item/--field XPath compiles and every --include/--exclude
 * pattern is a valid regular expression. */
static int check_selectors(const struct config *cfg)
{
    char why[FILTER_WHY_MAX];
    struct url_filter *f = NULL;
    struct parser *p = NULL;
    enum err e = parser_new(&cfg->spider, &p, why, sizeof(why));

    parser_free(p);
    if (!e) {
        e = url_filter_new(cfg->include, cfg->ninclude, cfg->exclude,
                           cfg->nexclude, &f, why, sizeof(why));
        url_filter_free(f);
    }
    if (e == ERR_INVALID) {
        fprintf(stderr, "scrape: %s\n", why);
        return EXIT_USAGE;
    }
    if (e) {
        fprintf(stderr, "scrape: %s\n", err_str(e));
        return EXIT_FATAL;
    }
    return 0;
}

/* Copies every URL of `from` to the end of `to`. */
static enum err copy_seeds(struct seeds *to, const struct seeds *from)
{
    enum err e = ERR_OK;
    size_t i;

    for (i = 0; i < from->n && !e; i++)
        e = seeds_add_url(to, from->urls[i]);
    return e;
}

/* Reads one seeds file (or stdin) and appends its URLs; those of stdin
 * also to `piped` when it is not NULL. */
static int load_file(const char *path, struct seeds *seeds, struct seeds *piped)
{
    struct seeds one;
    enum err e = seeds_read(path, &one, stderr);

    if (e == ERR_IO) {
        int err = errno;
        fprintf(stderr, "scrape: cannot read '%s': %s%s\n", path, strerror(err),
                strstr(path, "://") ? " (only http:// and https:// URLs are"
                                      " fetched)"
                : err == ENOENT     ? " (a URL starts with http:// or"
                                      " https://)"
                                    : "");
        seeds_release(&one);
        return EXIT_FATAL;
    }
    if (!e && piped && !strcmp(path, "-"))
        e = copy_seeds(piped, &one);
    if (!e)
        e = seeds_take(seeds, &one);
    seeds_release(&one);
    if (e) {
        fprintf(stderr, "scrape: reading '%s': %s\n", path, err_str(e));
        return EXIT_FATAL;
    }
    return 0;
}

/* The seeds from every input argument, in order: URLs as given, files
 * read line by line.  Those read from stdin are also put in `piped`
 * (when not NULL): --compare passes them on to each of its runs. */
static int load_seeds(const struct config *cfg, struct seeds *seeds,
                      struct seeds *piped)
{
    size_t i;
    enum err e;
    int status;

    for (i = 0; i < cfg->ninputs; i++) {
        const char *in = cfg->inputs[i];
        if (!cli_input_is_url(in)) {
            if ((status = load_file(in, seeds, piped)))
                return status;
            continue;
        }
        if ((e = seeds_add_url(seeds, in)) == ERR_NOMEM) {
            fprintf(stderr, "scrape: %s\n", err_str(e));
            return EXIT_FATAL;
        }
        if (e) {
            fprintf(stderr, "scrape: '%s': %s\n", in,
                    e == ERR_SCHEME ? "not an http or https URL"
                                    : "malformed URL");
            return EXIT_USAGE;
        }
    }
    if (seeds->n == 0) {
        fprintf(stderr, "scrape: no valid seed URLs in '%s'\n",
                cfg->seeds_desc);
        return EXIT_FATAL;
    }
    return 0;
}

/* Crawls with the chosen engine. */
static int crawl(const struct config *cfg, const struct seeds *seeds,
                 struct store *store, struct workers *pool, int64_t resume_run)
{
    const struct engine_ops *engine = engine_find(cfg->engine);
    struct run_result res;
    enum err e;

    if (resume_run)
        e = run_resume(cfg, resume_run, store, engine, pool, &stop_signal,
                       &res);
    else
        e = run_crawl(cfg, seeds, store, engine, pool, &stop_signal, &res);
    if (e) {
        fprintf(stderr, "scrape: %s\n", res.why);
        return EXIT_FATAL;
    }
    return stop_signal ? 128 + stop_signal : 0;
}

/* scrape extract: the pool first (a pool that cannot start costs
 * nothing to undo), then the store, then the run. */
static int extract(const struct config *cfg)
{
    struct workers *pool = NULL;
    struct store *store = NULL;
    struct run_result res;
    char *why = NULL;
    int status = 0;

    if ((status = check_selectors(cfg)))
        return status;
    if (workers_start((size_t)cfg->procs, &cfg->spider, &pool)) {
        fprintf(stderr, "scrape extract: cannot start %ld parse workers: %s\n",
                cfg->procs, strerror(errno));
        return EXIT_FATAL;
    }
    install_signals();
    if (store_open(cfg->db_path, &store, &why)) {
        fprintf(stderr, "scrape extract: %s\n", why ? why : "cannot open");
        status = EXIT_FATAL;
    } else if (extract_run(cfg, store, pool, &stop_signal, &res)) {
        fprintf(stderr, "scrape extract: %s\n", res.why);
        status = EXIT_FATAL;
    } else if (!cfg->quiet) {
        fprintf(stderr,
                "scrape extract: run %lld: %ld pages, %ld errors, %ld items in"
                " %.2f s (%.1f s CPU), %s -> %s\n",
                (long long)res.run_id, res.stats.pages, res.stats.errors,
                res.stats.items, res.stats.wall_ms / 1000.0,
                (res.stats.cpu_user_ms + res.stats.cpu_sys_ms) / 1000.0,
                res.stats.status, cfg->db_path);
    }
    if (store_close(store) && !status)
        status = EXIT_FATAL;
    workers_stop(pool);
    free(why);
    return status ? status : stop_signal ? 128 + stop_signal : 0;
}

/* Runs the crawl `cfg` describes, or continues run `resume_run`. */
static int run(const struct config *cfg, int64_t resume_run)
{
    const struct engine_ops *engine = engine_find(cfg->engine);
    struct workers *pool = NULL;
    struct seeds seeds;
    struct store *store = NULL;
    char *why = NULL;
    int status;

    memset(&seeds, 0, sizeof(seeds));
    /* Selectors first: a typo in one is a usage error before anything
     * is fetched or written. */
    if ((status = check_selectors(cfg)) ||
        (!resume_run && !cfg->recrawl &&
         (status = load_seeds(cfg, &seeds, NULL))))
        goto out;
    /* Workers before the database: a pool that cannot start costs
     * nothing to undo.  (The fork server is spawned, not forked, so
     * threads would not matter.) */
    if (engine->needs_workers &&
        workers_start((size_t)cfg->procs, &cfg->spider, &pool)) {
        fprintf(stderr, "scrape: cannot start %ld parse workers: %s\n",
                cfg->procs, strerror(errno));
        status = EXIT_FATAL;
        goto out;
    }
    if (store_open(cfg->db_path, &store, &why)) {
        fprintf(stderr, "scrape: %s\n", why ? why : "cannot open database");
        status = EXIT_FATAL;
        goto out;
    }
    status = crawl(cfg, &seeds, store, pool, resume_run);
out:
    if (store_close(store) && !status) {
        fprintf(stderr, "scrape: cannot finish writing '%s'\n", cfg->db_path);
        status = EXIT_FATAL;
    }
    workers_stop(pool);
    free(why);
    seeds_release(&seeds);
    return status;
}

/* --compare: the seeds are read here first (a bad one is an error
 * before any run starts), then each engine runs in a process of its own
 * with the command line `argv` (compare.h). */
static int compare(const struct config *cfg, int argc, char *const *argv)
{
    struct seeds seeds, piped;
    char why[600];
    int status;

    memset(&seeds, 0, sizeof(seeds));
    memset(&piped, 0, sizeof(piped));
    if (!(status = check_selectors(cfg)) &&
        !(status = load_seeds(cfg, &seeds, &piped))) {
        if (compare_run(cfg, argc, argv, piped.n ? &piped : NULL, &stop_signal,
                        stdout, why, sizeof(why))) {
            fprintf(stderr, "scrape: %s\n", why);
            status = EXIT_FATAL;
        } else if (stop_signal) {
            status = 128 + stop_signal;
        }
    }
    seeds_release(&seeds);
    seeds_release(&piped);
    return status;
}

/* Finds the unfinished run in cfg->db_path: its id, command line and
 * mode.  The database is closed again before anything is forked. */
static int find_resumable(const struct config *cfg, int64_t *run_id,
                          char **args, char **mode)
{
    struct store *store = NULL;
    char *why = NULL;
    int status = 0;

    if (store_open(cfg->db_path, &store, &why)) {
        fprintf(stderr, "scrape: %s\n", why ? why : "cannot open database");
        free(why);
        return EXIT_FATAL;
    }
    if (cfg->join || cfg->recrawl) {
        *run_id = cfg->join ? cfg->join : cfg->recrawl;
        if (store_run_args(store, *run_id, args, mode)) {
            fprintf(stderr, "scrape: cannot %s run %lld: %s\n",
                    cfg->join ? "join" : "recrawl", (long long)*run_id,
                    store_errmsg(store));
            status = EXIT_FATAL;
        }
    } else if (store_resumable(store, run_id, args, mode)) {
        fprintf(stderr, "scrape: cannot resume '%s': %s\n", cfg->db_path,
                store_errmsg(store));
        status = EXIT_FATAL;
    }
    store_close(store);
    return status;
}

/* --resume: continue the last unfinished run with its own options (the
 * database given now, the engine it ran with). */
static int resume(const struct config *cfg)
{
    char *args = NULL, *mode = NULL, **argv = NULL;
    const struct engine_ops *engine;
    struct config rcfg;
    int64_t run_id = 0;
    int argc = 0, status;

    memset(&rcfg, 0, sizeof(rcfg));
    if ((status = find_resumable(cfg, &run_id, &args, &mode)))
        goto out;
    engine = engine_find(mode);
    if (!engine || cli_args_from_json(args, &argc, &argv) ||
        cli_parse(argc, argv, &rcfg, stdout, stderr) != CLI_RUN) {
        fprintf(stderr,
                "scrape: run %lld cannot be resumed: its command line"
                " is not readable\n",
                (long long)run_id);
        status = EXIT_FATAL;
        goto out;
    }
    if (!cli_restore_secrets(&rcfg, cfg, stderr)) {
        status = EXIT_USAGE;
        goto out;
    }
    rcfg.db_path = cfg->db_path;
    rcfg.join = cfg->join;
    rcfg.recrawl = cfg->recrawl;
    rcfg.quiet = rcfg.quiet || cfg->quiet;
    rcfg.compare = false;
    rcfg.engine = engine->name;
    if (!rcfg.quiet)
        fprintf(stderr, "scrape: %s run %lld (%s)\n",
                cfg->join      ? "joining"
                : cfg->recrawl ? "recrawling"
                               : "resuming",
                (long long)run_id, engine->name);
    status = run(&rcfg, cfg->recrawl ? 0 : run_id);
out:
    cli_release(&rcfg);
    cli_args_free(argc, argv);
    free(args);
    free(mode);
    return status;
}

/* A subcommand that serves (the table's `serve`): until SIGINT or
 * SIGTERM. */
static int serve(const struct subcommand *sub)
{
    char why[512];

    install_signals();
    if (sub->def->serve(sub, &stop_signal, why, sizeof(why))) {
        fprintf(stderr, "scrape %s: %s\n", sub->name, why);
        return EXIT_FATAL;
    }
    return 0;
}

/* A subcommand on a shared run (PostgreSQL): export --format sqlite
 * writes the run's file; the others run on such a file made for them in
 * a temporary directory, which *tmpdir names (caller removes it). */
static int shared_subcommand(struct subcommand *sub, char *tmpdir, size_t n,
                             char *path, size_t pn)
{
    const char *base = getenv("TMPDIR");
    int64_t run_id = 0;
    char why[512];

    if (sub->def->serve) {
        fprintf(stderr,
                "scrape serve: serves a SQLite file; write one with scrape"
                " export --db %s --run N --format sqlite -o FILE\n",
                sub->db_path);
        return EXIT_USAGE;
    }
    if (sub->format && !strcmp(sub->format, "sqlite")) {
        if (pg_export_run(sub->db_path, sub->run, sub->output, &run_id, why,
                          sizeof(why))) {
            fprintf(stderr, "scrape export: %s\n", why);
            return EXIT_FATAL;
        }
        fprintf(stderr, "scrape export: run %lld -> %s\n", (long long)run_id,
                sub->output);
        return -1;
    }
    snprintf(tmpdir, n, "%s/scrape-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(tmpdir)) {
        fprintf(stderr, "scrape %s: cannot make a directory in %s: %s\n",
                sub->name, base && *base ? base : "/tmp", strerror(errno));
        tmpdir[0] = '\0';
        return EXIT_FATAL;
    }
    snprintf(path, pn, "%s/run.db", tmpdir);
    if (pg_export_run(sub->db_path, sub->run, path, &run_id, why,
                      sizeof(why))) {
        fprintf(stderr, "scrape %s: %s\n", sub->name, why);
        return EXIT_FATAL;
    }
    sub->db_path = path;
    sub->run = (long)run_id;
    return 0;
}

/* Removes what shared_subcommand made. */
static void remove_tmp(const char *tmpdir)
{
    const char *suffix[] = {"/run.db", "/run.db-wal", "/run.db-shm"};
    char p[PATH_MAX + 16];
    size_t i;

    if (!*tmpdir)
        return;
    for (i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
        snprintf(p, sizeof(p), "%s%s", tmpdir, suffix[i]);
        remove(p);
    }
    rmdir(tmpdir);
}

/* subcommand(), on a database that is ready to read. */
static int subcommand_on(int argc, char **argv, char *tmpdir, size_t n,
                         char *tmp, size_t tn)
{
    struct subcommand sub;
    struct query *q = NULL;
    FILE *out = stdout;
    int64_t run_id;
    char *why = NULL;
    enum err e;
    int status = 0;

    switch (cli_parse_sub(argc, argv, &sub, stdout, stderr)) {
    case CLI_RUN:
        break;
    case CLI_USAGE:
        return EXIT_USAGE;
    default:
        return 0;
    }
    if (store_is_shared(sub.db_path) &&
        (status = shared_subcommand(&sub, tmpdir, n, tmp, tn)))
        return status < 0 ? 0 : status;
    if (sub.def->serve)
        return serve(&sub);
    if (query_open(sub.db_path, &q, &why)) {
        fprintf(stderr, "scrape %s: %s\n", sub.name, why);
        free(why);
        return EXIT_FATAL;
    }
    if ((e = query_run(q, sub.run, &run_id))) {
        fprintf(stderr, "scrape %s: %s\n", sub.name, query_errmsg(q));
        query_close(q);
        return EXIT_FATAL;
    }
    if (sub.output && !(out = fopen(sub.output, "w"))) {
        fprintf(stderr, "scrape %s: cannot write '%s': %s\n", sub.name,
                sub.output, strerror(errno));
        query_close(q);
        return EXIT_FATAL;
    }
    e = sub.def->run(q, run_id, &sub, out);
    if ((out != stdout && fclose(out)) || fflush(stdout) || e) {
        fprintf(stderr, "scrape %s: %s\n", sub.name,
                e && e != ERR_IO ? query_errmsg(q) : "cannot write output");
        status = EXIT_FATAL;
    }
    query_close(q);
    return status;
}

/* scrape stats|dupes|export|report|search|serve: read-only on a
 * database (subcmd.h). */
static int subcommand(int argc, char **argv)
{
    char tmpdir[PATH_MAX] = "", tmp[PATH_MAX + 16];
    int status;

    status =
        subcommand_on(argc, argv, tmpdir, sizeof(tmpdir), tmp, sizeof(tmp));
    remove_tmp(tmpdir);
    return status;
}

/* The crawl a command line asks for; `argv` as given (cli_parse
 * reorders its argument's entries). */
static int scrape(struct config *cfg, int argc, char **argv)
{
    if (cfg->compare_id && !compare_child_start(cfg)) {
        fprintf(stderr, "scrape: the comparison that started this run has"
                        " ended\n");
        return EXIT_FATAL;
    }
    return cfg->extract                               ? extract(cfg)
           : cfg->resume || cfg->join || cfg->recrawl ? resume(cfg)
           : cfg->compare                             ? compare(cfg, argc, argv)
                                                      : run(cfg, 0);
}

int main(int argc, char **argv)
{
    struct config cfg;
    char **given;
    int status;

    /* A --procs fork server, spawned by the worker pool: nothing else of
     * scrape runs in it. */
    if (workers_is_server(argc, argv))
        return workers_server_main(argv);
    if (cli_is_subcommand(argc, argv))
        return subcommand(argc, argv);
    if (!(given = malloc(sizeof(*given) * ((size_t)argc + 1)))) {
        fprintf(stderr, "scrape: out of memory\n");
        return EXIT_FATAL;
    }
    memcpy(given, argv, sizeof(*given) * ((size_t)argc + 1));
    switch (cli_parse(argc, argv, &cfg, stdout, stderr)) {
    case CLI_RUN:
        break;
    case CLI_USAGE:
        cli_release(&cfg);
        free(given);
        return EXIT_USAGE;
    default:
        cli_release(&cfg);
        free(given);
        return 0;
    }
    if (curl_global_init(CURL_GLOBAL_ALL)) {
        fprintf(stderr, "scrape: cannot initialise libcurl\n");
        cli_release(&cfg);
        return EXIT_FATAL;
    }
    xmlInitParser();
    install_signals();
    status = scrape(&cfg, argc, given);
    xmlCleanupParser();
    curl_global_cleanup();
    cli_release(&cfg);
    free(given);
    return status;
}
