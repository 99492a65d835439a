/*
 * harness.h - integration test helpers: start the local site, run the
 * real scrape binary, query the database it wrote.
 *
 * Every wait is bounded: the site must print its port within
 * HARNESS_START_S, scrape must exit within the timeout given, else the
 * process is killed and the test fails.
 */
#ifndef SCRAPE_TEST_HARNESS_H
#define SCRAPE_TEST_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define HARNESS_START_S 10

struct site {
    pid_t pid;
    unsigned port;
};

/* A per-test temporary directory with db and seeds paths inside. */
struct sandbox {
    char dir[64];
    char db[128];
    char seeds[128];
    char err[128]; /* scrape's stderr */
};

/* Starts sitesrv with extra args (NULL-terminated list). */
void site_start(struct site *s, const char *const *args);
void site_stop(struct site *s);

/* Starts tests/site/rawpeer, the hostile HTTP peer; stop with
 * site_stop. */
void peer_start(struct site *s);

void sandbox_init(struct sandbox *sb);
void sandbox_release(struct sandbox *sb);

/* Writes `text` to the sandbox's seeds file. */
void write_seeds(const struct sandbox *sb, const char *text);

/* Runs scrape with argv (NULL-terminated, without argv[0]), stderr to
 * sb->err; returns the exit status (128+sig if killed by a signal).
 * Fails the test after `timeout_s`.  When `interrupt_after_ms` > 0, sends
 * SIGINT that long after the start. */
int run_scrape(const struct sandbox *sb, const char *const *args, int timeout_s,
               int interrupt_after_ms);

/* Starts scrape in the background (stdout to sb->dir/stdout.txt, stderr
 * to sb->err); returns its pid. */
pid_t start_scrape(const struct sandbox *sb, const char *const *args);

/* Like start_scrape, with RLIMIT_FSIZE set to `max_file_bytes` in the
 * child (a full disk, as far as the database is concerned). */
pid_t start_scrape_fsize(const struct sandbox *sb, const char *const *args,
                         long max_file_bytes);

/* Waits for a scrape started by start_scrape; same result and timeout
 * rules as run_scrape. */
int wait_scrape(pid_t pid, int timeout_s, int interrupt_after_ms);

/* True while the scrape started as `pid` has not exited.  It never reaps
 * it (waitid with WNOWAIT): the exit status stays for wait_scrape, which
 * a test must still call.  Tests never call waitpid on scrape themselves:
 * a child reaped outside the harness is a child wait_scrape cannot see. */
bool scrape_running(pid_t pid);

/* The state letter of process `pid` from /proc (R running, S sleeping,
 * ...), or 0 when it is gone. */
char proc_state(pid_t pid);

/* GET http://127.0.0.1:PORT`path` from a test server (its report and
 * gate URLs): the first line of the answer, "" when there is none. */
void site_get(const struct site *s, const char *path, char *out, size_t n);

/* --hold: waits (bounded) until a request is held at the site's gate,
 * so the crawl is known to be in progress; then /release opens it. */
void site_wait_held(const struct site *s);
void site_release(const struct site *s);

/* PIDs of pid's living (not zombie) child processes; returns how many
 * (at most max). */
int child_pids(pid_t pid, pid_t *out, int max);

/* Returns the file sb->dir/name as a new string (caller frees). */
char *read_file_text(const struct sandbox *sb, const char *name);

/* Returns scrape's stderr as a new string (caller frees). */
char *read_stderr(const struct sandbox *sb);

/* First column of the first row of `sql` on sb->db. */
/* Runs `sql` on the sandbox's database read-write (to damage it on
 * purpose); fails the test when it cannot. */
void db_exec(const struct sandbox *sb, const char *sql);

long long db_int(const struct sandbox *sb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Like db_int, but `def` when the database or table is not there yet
 * (for polling a crawl in progress). */
long long db_int_or(const struct sandbox *sb, long long def, const char *sql);
/* Same as text; caller frees; NULL for SQL NULL. */
char *db_text(const struct sandbox *sb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
