/*
 * store.h - where records go: runs, pages, links, fields, items (with
 * the selectors that made them), sitemaps, skipped URLs, the frontier
 * journal and comparisons.
 *
 * The store is the single writer.  Rows are written in batched
 * transactions (committed every STORE_BATCH_PAGES pages or
 * STORE_BATCH_MS milliseconds, whichever comes first, and at the end), so
 * a crash loses at most the last open batch and never corrupts the file.
 *
 * Two backends keep the rows (store_backend.h, private to src/): a
 * SQLite file (store_sqlite.c: WAL, prepared statements) and a
 * postgresql:// database several nodes crawl into together
 * (store_pg.c: the same tables and columns, plus the shared frontier's).
 * store.c picks one by the database's name and dispatches every call
 * below.  A shared run has no use for --resume (store_resumable,
 * store_frontier_load, store_skipped_load: a node joins again instead),
 * --sitemaps (store_put_sitemap), --recrawl (store_recrawl_load) or
 * --compare (store_diff_runs, store_compare_*): on PostgreSQL those
 * return ERR_INVALID with "X is not available on PostgreSQL runs" (the
 * command line refuses them before).  The tables use no SQLite-only
 * types (ISO-8601 text timestamps; items as JSON text).
 *
 * Not thread-safe: one store, one thread.
 */
#ifndef SCRAPE_STORE_H
#define SCRAPE_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "scrape/err.h"
#include "scrape/parse.h"

/* Rows per transaction and the longest a batch stays open. */
#define STORE_BATCH_PAGES 256
#define STORE_BATCH_MS    500

/* Database page size of files scrape creates (a string: it goes into a
 * PRAGMA). */
#define STORE_PAGE_SIZE "16384"

/* Schema version this scrape writes (PRAGMA user_version). */
#define STORE_SCHEMA_VERSION 12

/* Largest JSON text of one item or list field (parse.c caps a page's
 * values at PARSE_MAX_VALUE_BYTES, so this is never reached in a crawl). */
#define STORE_JSON_MAX (512L * 1024 * 1024)

struct store;

/* What a run was asked to do (borrowed strings). */
struct run_info {
    const char *mode; /* "multi", "threads", "procs", "extract" */
    int workers;      /* threads or processes; 1 for multi */
    int concurrency;  /* transfers in flight */
    int depth;
    const char *seeds; /* the seeds: files and URLs, space-separated */
    const char *args;  /* the command line as a JSON array, for --resume */
    const struct spider *spider; /* what it extracts with, or NULL */
    /* What the nodes of a shared run (PostgreSQL) apply together. */
    long per_host;
    long delay_ms;
    long max_pages;
    long lease_s;
    bool ignore_robots;
    int64_t compare_id; /* the comparison this run is part of, or 0 */
    bool insecure;      /* -k: TLS certificates not verified */
};

/* What a run cost, written when it ends. */
struct run_stats {
    long pages;
    long errors;
    long items; /* --item records (not stored in runs: count items rows) */
    long wall_ms;
    long cpu_user_ms;
    long cpu_sys_ms;
    long peak_rss_kb;
    const char *status; /* "done", "interrupted", "failed" */
};

/* One fetch attempt as stored: a success or an error row.  Borrowed. */
struct page_row {
    const char *url;       /* canonical URL that was requested */
    const char *final_url; /* after redirects, or NULL */
    int depth;
    long status;              /* HTTP status, 0 when none */
    const char *content_type; /* may be NULL */
    long long bytes;
    long fetch_ms;
    int attempts;            /* fetches it took (1 + retries) */
    const char *error;       /* NULL on success */
    const struct page *page; /* the record when HTML was parsed, or NULL */
    const struct extract_spec *spec; /* names and kinds of page's values */
    const char *rule; /* the page's --rule, or NULL (borrowed, lives as
                         long as the run) */
    const char *etag; /* the response's validators, or NULL */
    const char *last_modified;
    /* The body as received (decompressed), hashed into pages.body_hash;
     * NULL when there was none.  body_hash, when set, is that hash
     * already computed (the body is then not needed for it). */
    const char *body;
    size_t body_len;
    const char *body_hash;
    bool keep_body;      /* --keep-bodies: store the body and headers */
    const char *headers; /* status line and headers (keep_body), or NULL */
    /* --recrawl: "new", "changed", "unchanged", "gone" or "failed"; and
     * for an unchanged page the pages row whose record it carries
     * forward (0: none; `page` is then NULL). */
    const char *change;
    int64_t carry_from;
    /* The pages row whose search text this page's is (scrape extract:
     * the same bytes parsed by the same code), so it is not indexed
     * again; 0: index this page's own. */
    int64_t text_of;
};

/* One sitemap read (--sitemaps).  Borrowed. */
struct sitemap_row {
    const char *url;
    long status;       /* HTTP status, 0 when none */
    const char *kind;  /* "urlset", "index", "text", or NULL when unread */
    long urls;         /* URLs (or child sitemaps) it listed */
    const char *error; /* NULL when it was read whole */
};

/* A host's robots.txt answer (shared runs keep it for every node).
 * Borrowed. */
struct robots_row {
    const char *url; /* the robots.txt URL */
    long status;
    int err; /* enum err of the transfer */
    const char *body;
    size_t len;
};

/* Longest robots.txt body kept for the other nodes (Google reads 500
 * KiB). */
#define STORE_ROBOTS_MAX (512L * 1024)

/* True when `path` names a shared database (a postgresql:// URI) rather
 * than a SQLite file: the one place that decides which backend a
 * database gets. */
bool store_is_shared(const char *path);

/* Opens (creating or migrating) the database at `path`, a file or a
 * postgresql:// URI.  On failure
 * returns ERR_DB or ERR_IO with a readable reason in *why (new string,
 * caller frees) and *out NULL. */
enum err store_open(const char *path, struct store **out, char **why);

/* Commits what is pending, checkpoints, and closes.  NULL ok.  Returns the
 * commit's result so a late write failure is not lost. */
enum err store_close(struct store *s);

/* Inserts a runs row and its selectors rows (committed at once) and
 * returns its id. */
enum err store_run_begin(struct store *s, const struct run_info *info,
                         int64_t *run_id);

/* Records the run's figures and commits everything pending. */
enum err store_run_end(struct store *s, int64_t run_id,
                       const struct run_stats *st);

/* Adds one pages row with its links, fields and items rows, inside the
 * current batch. */
enum err store_put_page(struct store *s, int64_t run_id,
                        const struct page_row *row);

/* The frontier journal, written in the same batches as the pages rows so
 * a killed crawl resumes exactly: every URL queued (frontier_add, with
 * the URL of the page that queued it first, or NULL: its pages row gets
 * that page's id as its referrer) and
 * every URL finished (frontier_done).  robots.txt jobs are not journaled:
 * a resumed crawl reads each host's robots.txt again. */
enum err store_frontier_add(struct store *s, int64_t run_id, const char *url,
                            int depth, const char *referrer);
enum err store_frontier_done(struct store *s, int64_t run_id, const char *url);

/* Calls `fn` for every journaled URL of the run, in the order queued. */
typedef enum err (*store_frontier_fn)(void *ctx, const char *url, int depth,
                                      bool done);
enum err store_frontier_load(struct store *s, int64_t run_id,
                             store_frontier_fn fn, void *ctx);

/* Calls `fn` for every seed (depth-0 URL) of the run. */
typedef enum err (*store_url_fn)(void *ctx, const char *url);
enum err store_seeds_load(struct store *s, int64_t run_id, store_url_fn fn,
                          void *ctx);

/* A pages row of the run a --recrawl revisits (borrowed strings; any
 * but url may be NULL). */
struct prev_row {
    int64_t id;
    const char *url;
    int depth;
    long status;
    const char *etag, *last_modified;
    const char *hash;     /* body_hash */
    const char *referrer; /* the URL of its referrer in that run */
};

/* --recrawl: calls `fn` for every pages row of run `run_id`. */
typedef enum err (*store_prev_fn)(void *ctx, const struct prev_row *row);
enum err store_recrawl_load(struct store *s, int64_t run_id, store_prev_fn fn,
                            void *ctx);

/* Calls `fn` for every URL already in the run's skipped table (a
 * resumed crawl records each skipped URL once, across sessions). */
enum err store_skipped_load(struct store *s, int64_t run_id, store_url_fn fn,
                            void *ctx);

/* Finds the latest run that did not finish ('running': killed, or
 * 'interrupted'): its id in *run_id and its command line in *args (new
 * string, caller frees).  ERR_INVALID (with a message) when there is
 * none. */
enum err store_resumable(struct store *s, int64_t *run_id, char **args,
                         char **mode);

/* The command line and mode of run `run_id` (new strings, caller frees):
 * what --join runs with.  ERR_INVALID (with a message) when there is no
 * such run or it is done. */
enum err store_run_args(struct store *s, int64_t run_id, char **args,
                        char **mode);

/* Records a host's robots.txt answer, inside the current batch.  Only a
 * shared run keeps it (a resumed SQLite run reads robots.txt again). */
enum err store_put_robots(struct store *s, int64_t run_id,
                          const struct robots_row *row);

/* This process's node id in a shared run, 0 on SQLite. */
int64_t store_node(const struct store *s);

/* Reopens run `run_id`: status 'running' again; *pages and *errors get
 * the rows it already has.  On PostgreSQL (--join) it registers this
 * node instead, and both are 0. */
enum err store_run_reopen(struct store *s, int64_t run_id, long *pages,
                          long *errors);

/* Records that `url` was not fetched on purpose, and why ("robots.txt"),
 * inside the current batch. */
enum err store_put_skipped(struct store *s, int64_t run_id, const char *url,
                           const char *reason);

/* Records a sitemap read (or not) for --sitemaps, inside the current
 * batch. */
enum err store_put_sitemap(struct store *s, int64_t run_id,
                           const struct sitemap_row *row);

/* Commits the batch when it is full or old; cheap to call often. */
enum err store_tick(struct store *s);

/* Commits the current batch now. */
enum err store_flush(struct store *s);

/* Compares two runs' records: counts the pages rows of either run that
 * have no identical row (same URL, status, title, h1, words, outlinks,
 * SimHash, success, --field values, items) in the other, into *differ, and puts
 * one such URL in `example` ("" when none). */
enum err store_diff_runs(struct store *s, int64_t a, int64_t b, long *differ,
                         char *example, size_t n);

/* A comparison (--compare, SQLite only): one row in comparisons, whose id
 * each of its runs carries (run_info.compare_id). */
struct compare_info {
    const char *seeds; /* as run_info */
    const char *args;  /* the comparing command line, JSON */
    long repeat;       /* runs of each engine */
};
enum err store_compare_begin(struct store *s, const struct compare_info *info,
                             int64_t *id);

/* Records how comparison `id` ended: `status` "done", "interrupted" or
 * "failed"; `verdict` what the check of the records found (or NULL). */
enum err store_compare_end(struct store *s, int64_t id, const char *status,
                           const char *verdict);

/* One run of a comparison as its runs row says (figures are 0 and status
 * "running" for a run that never ended). */
struct compare_sample {
    int64_t run_id;
    char mode[16];
    long workers;
    struct run_stats stats; /* stats.status points to `status`;
                               stats.items counts its items rows */
    char status[16];
};
typedef enum err (*store_sample_fn)(void *ctx,
                                    const struct compare_sample *sample);

/* Calls `fn` for every run of comparison `id`, in the order they began. */
enum err store_compare_runs(struct store *s, int64_t id, store_sample_fn fn,
                            void *ctx);

/* The last error's detail (the backend's message, or why an operation was
 * refused); borrowed, valid until the next call. */
const char *store_errmsg(const struct store *s);

#endif
