/*
 * subcmd.c - the table of read-only subcommands (see subcmd.h).
 */
#include "scrape/subcmd.h"
#include "scrape/warc.h"

#include <string.h>
#include <unistd.h>

#include "scrape/cli.h"
#include "scrape/query.h"
#include "scrape/serve.h"

static enum err run_stats(struct query *q, int64_t run_id,
                          const struct subcommand *sub, FILE *out)
{
    (void)sub;
    return query_stats(q, run_id, out);
}

static enum err run_dupes(struct query *q, int64_t run_id,
                          const struct subcommand *sub, FILE *out)
{
    return query_dupes(q, run_id, (int)sub->distance, out);
}

static enum err run_export(struct query *q, int64_t run_id,
                           const struct subcommand *sub, FILE *out)
{
    if (!strcmp(sub->format, "warc"))
        return query_export_warc(q, run_id, out);
    return query_export(q, run_id,
                        strcmp(sub->format, "csv") ? QUERY_JSONL : QUERY_CSV,
                        sub->changed, sub->rule, out);
}

static enum err run_report(struct query *q, int64_t run_id,
                           const struct subcommand *sub, FILE *out)
{
    (void)sub;
    return query_report(q, run_id, out);
}

static enum err run_search(struct query *q, int64_t run_id,
                           const struct subcommand *sub, FILE *out)
{
    /* Bold on a terminal, brackets in a file or a pipe. */
    bool tty = isatty(fileno(out));

    return query_search(q, run_id, sub->query, sub->limit,
                        tty ? "\x1b[1m" : "[", tty ? "\x1b[0m" : "]", out);
}

/* scrape serve: libmicrohttpd with the limits serve.h sets. */
static enum err run_serve(const struct subcommand *sub,
                          const volatile sig_atomic_t *stop, char *why,
                          size_t n)
{
    struct serve_opts o = {.db_path = sub->db_path,
                           .listen = sub->listen,
                           .time_limit_ms = sub->time_limit_ms,
                           .threads = 4,
                           .max_conns = SERVE_MAX_CONNS,
                           .per_ip = SERVE_PER_IP,
                           .first_s = SERVE_FIRST_S,
                           .keepalive_s = SERVE_KEEPALIVE_S};

    return serve_run(&o, stop, why, n);
}

static const struct subcmd_def table[] = {
    {"stats", "[--db PATH] [--run N]",
     "pages by status, items, sitemaps, errors by kind, skipped\n"
     "          URLs by reason, the slowest pages, top hosts; by mode, the\n"
     "          runs of the latest --compare (or the latest run of each)",
     false, false, NULL, run_stats, NULL},
    {"dupes", "[--db PATH] [--run N] [--distance K]",
     "clusters of near-duplicate pages: SimHash fingerprints\n"
     "          within K bits (default 3)",
     false, false, NULL, run_dupes, NULL},
    {"export",
     "[--db PATH] [--run N] --format jsonl|csv|sqlite|warc [--changed]\n"
     "                     [--rule NAME] [-o FILE]",
     "one record per item (keys url, idx, then the fields) when\n"
     "          the run had --item, else one per page with its --field\n"
     "          values; list fields are JSON arrays.  A run with rules:\n"
     "          --rule NAME's records, or every rule's with a rule key",
     false, true, NULL, run_export, NULL},
    {"report", "[--db PATH] [--run N] [-o FILE]",
     "one self-contained HTML page with charts (default\n"
     "          out/report.html)",
     false, false, "out/report.html", run_report, NULL},
    {"search", "[--db PATH] [--run N] [--limit N] QUERY",
     "full-text search over titles and visible text (FTS5\n"
     "          syntax: words, OR, NOT, prefix*, title:word, \"a phrase\",\n"
     "          NEAR(a b, N), ^first), best first",
     true, false, NULL, run_search, NULL},
    {"serve", "[--db PATH] [--listen HOST:PORT] [--time-limit MS]",
     "the database over HTTP, read-only: pages for people and\n"
     "          a JSON API of runs, pages, items, search and\n"
     "          near-duplicates (default 127.0.0.1:8000)",
     false, false, NULL, NULL, run_serve},
};

const struct subcmd_def *subcmd_find(const char *name)
{
    size_t i;

    for (i = 0; name && i < sizeof(table) / sizeof(table[0]); i++)
        if (!strcmp(table[i].name, name))
            return &table[i];
    return NULL;
}

const struct subcmd_def *subcmd_at(size_t i)
{
    return i < sizeof(table) / sizeof(table[0]) ? &table[i] : NULL;
}
