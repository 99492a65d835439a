/*
 * compare.c - each engine alone in a process of its own, tabulated and
 * checked (see compare.h).
 *
 * The comparing process does no crawling: it records the comparison,
 * spawns one run after another (scrape's own executable: never a fork,
 * see spawn.h), passes a Ctrl-C or SIGTERM on to the run in progress,
 * and at the end reads every run's figures from its runs row, so the
 * table shows exactly what the database holds.
 */
#define _GNU_SOURCE /* ppoll */
#include "scrape/compare.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "scrape/engine.h"
#include "scrape/spawn.h"
#include "scrape/store.h"

static const char *const engines[COMPARE_ENGINES] = {"threads", "multi",
                                                     "procs"};

/* One comparison in progress. */
struct comparison {
    const struct config *cfg;
    int64_t id;
    char exe[4096];
    long runs, planned; /* engine runs ended, and to run */
    bool interrupted;
    char why[600]; /* a run that failed, or "" */
};

/* Every run of the comparison, read back from the store. */
struct samples {
    struct compare_sample *v;
    size_t n, cap;
};

const char *compare_engine(long round, int k)
{
    return engines[(round + k) % COMPARE_ENGINES];
}

double compare_median(double *v, size_t n)
{
    size_t i, j;

    /* Insertion sort: n is --repeat, at most CLI_MAX_REPEAT. */
    for (i = 1; i < n; i++)
        for (j = i; j > 0 && v[j - 1] > v[j]; j--) {
            double t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

bool compare_child_start(const struct config *cfg)
{
    /* SIGTERM, not SIGKILL: the run ends as "interrupted", its journal
     * committed, and --resume can finish it. */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    return getppid() == (pid_t)cfg->compare_parent;
}

/* ---- running the engines ---- */

/* Writes the seeds to the run's stdin, one per line.  A run that exits
 * early closes its end: the write fails with EPIPE (SIGPIPE is ignored),
 * and the run's own exit status says why. */
static void feed(int fd, const struct seeds *piped)
{
    FILE *f = fdopen(fd, "w");
    size_t i;

    if (!f) {
        close(fd);
        return;
    }
    for (i = 0; i < piped->n && !ferror(f); i++)
        fprintf(f, "%s\n", piped->urls[i]);
    fclose(f);
}

/* Waits for run `pid`, passing a stop signal on to it once; returns its
 * wait status.  Signals are blocked except inside ppoll, so one that
 * arrives between the check and the wait is not missed; the pidfd wakes
 * ppoll when the run ends (without one, ppoll wakes every 100 ms). */
static int wait_run(struct comparison *cmp, pid_t pid,
                    const volatile sig_atomic_t *stop)
{
    struct timespec tick = {0, 100 * 1000 * 1000};
    int pfd = (int)syscall(SYS_pidfd_open, pid, 0), status = 0, err;
    struct pollfd p = {.fd = pfd, .events = POLLIN};
    sigset_t block, old;
    bool passed = false;
    pid_t r;

    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigprocmask(SIG_BLOCK, &block, &old);
    for (;;) {
        if (stop && *stop && !passed) {
            kill(pid, *stop);
            passed = cmp->interrupted = true;
        }
        r = waitpid(pid, &status, WNOHANG);
        if (r == pid || (r < 0 && errno != EINTR))
            break;
        ppoll(pfd >= 0 ? &p : NULL, pfd >= 0, pfd >= 0 ? NULL : &tick, &old);
    }
    err = errno; /* waitpid's, for judge() when the run was lost */
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (pfd >= 0)
        close(pfd);
    errno = err;
    return r == pid ? status : -1;
}

/* Says in cmp->why how run `engine` ended, when that was a failure. */
static void judge(struct comparison *cmp, const char *engine, long round,
                  int status)
{
    char when[64] = "";
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;

    if (status >= 0 && WIFEXITED(status) &&
        (code == 0 || (code > 128 && cmp->interrupted)))
        return;
    if (status >= 0 && WIFSIGNALED(status) && cmp->interrupted)
        return;
    if (cmp->cfg->repeat > 1)
        snprintf(when, sizeof(when), " (round %ld of %ld)", round + 1,
                 cmp->cfg->repeat);
    if (status < 0)
        snprintf(cmp->why, sizeof(cmp->why), "the %s run%s was lost: %s",
                 engine, when, strerror(errno));
    else if (WIFSIGNALED(status))
        snprintf(cmp->why, sizeof(cmp->why),
                 "the %s run%s was killed by signal %d", engine, when,
                 WTERMSIG(status));
    else
        snprintf(cmp->why, sizeof(cmp->why),
                 "the %s run%s failed (exit status %d; its message is above)",
                 engine, when, code);
}

/* Runs one engine in a process of its own and waits for it. */
static void run_engine(struct comparison *cmp, const char *engine, long round,
                       int argc, char *const *argv, const struct seeds *piped,
                       const volatile sig_atomic_t *stop)
{
    char name[] = "scrape", arg[128];
    char **args = calloc((size_t)argc + 2, sizeof(*args));
    int fds[2] = {-1, -1}, i, status = -1;
    pid_t pid;

    if (!args || (piped && pipe2(fds, O_CLOEXEC))) {
        snprintf(cmp->why, sizeof(cmp->why), "cannot start the %s run: %s",
                 engine, strerror(errno));
        free(args);
        return;
    }
    /* The comparison's command line as given, after the option that
     * makes it one engine's run: cli.c keeps that option out of the
     * run's stored command line. */
    snprintf(arg, sizeof(arg), "%s=%lld,%ld,%s", CONFIG_COMPARE_RUN_ARG,
             (long long)cmp->id, (long)getpid(), engine);
    args[0] = name;
    args[1] = arg;
    for (i = 1; i < argc; i++)
        args[i + 1] = argv[i];
    if (!cmp->cfg->quiet)
        fprintf(stderr, "compare: %s (run %ld of %ld)\n", engine, cmp->runs + 1,
                cmp->planned);
    if (spawn_self(cmp->exe, args, fds[0], STDIN_FILENO, &pid)) {
        snprintf(cmp->why, sizeof(cmp->why), "cannot start the %s run: %s",
                 engine, strerror(errno));
    } else {
        if (piped) {
            close(fds[0]);
            fds[0] = -1;
            feed(fds[1], piped);
            fds[1] = -1;
        }
        status = wait_run(cmp, pid, stop);
        judge(cmp, engine, round, status);
        cmp->runs++;
    }
    if (fds[0] >= 0)
        close(fds[0]);
    if (fds[1] >= 0)
        close(fds[1]);
    free(args);
}

/* ---- the table ---- */

/* One engine's figures over its finished runs: medians and spreads. */
struct figures {
    const char *mode;
    long workers;
    size_t n;
    double pages, errors, wall, rate, user, sys, peak; /* medians */
    double d_wall, d_rate, d_user, d_sys, d_peak;      /* max - min */
};

static enum err add_sample(void *ctx, const struct compare_sample *c)
{
    struct samples *s = ctx;

    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        struct compare_sample *v = realloc(s->v, cap * sizeof(*v));
        if (!v)
            return ERR_NOMEM;
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n] = c[0];
    s->v[s->n].stats.status = s->v[s->n].status;
    s->n++;
    return ERR_OK;
}

static double rate(const struct run_stats *st)
{
    return st->wall_ms > 0 ? st->pages * 1000.0 / st->wall_ms : 0.0;
}

/* The median of one figure over `n` values, and its spread. */
static double summarise(double *v, size_t n, double *spread)
{
    double m = compare_median(v, n);

    *spread = v[n - 1] - v[0];
    return m;
}

/* Fills `f` from the finished runs of `mode` in `s`; f->n = 0 if none. */
static bool figures_of(const struct samples *s, const char *mode,
                       struct figures *f)
{
    double *v = malloc(sizeof(double) * 7 * (s->n ? s->n : 1)), ignore;
    double *pages, *errors, *wall, *rt, *user, *sys, *peak;
    size_t i, n = 0;

    memset(f, 0, sizeof(*f));
    f->mode = mode;
    if (!v)
        return false;
    /* Seven columns of s->n values each, in one block. */
    pages = v;
    errors = pages + s->n;
    wall = errors + s->n;
    rt = wall + s->n;
    user = rt + s->n;
    sys = user + s->n;
    peak = sys + s->n;
    for (i = 0; i < s->n; i++) {
        const struct run_stats *st = &s->v[i].stats;
        if (strcmp(s->v[i].mode, mode) || strcmp(s->v[i].status, "done"))
            continue;
        f->workers = s->v[i].workers;
        pages[n] = (double)st->pages;
        errors[n] = (double)st->errors;
        wall[n] = st->wall_ms / 1000.0;
        rt[n] = rate(st);
        user[n] = st->cpu_user_ms / 1000.0;
        sys[n] = st->cpu_sys_ms / 1000.0;
        peak[n] = st->peak_rss_kb / 1024.0;
        n++;
    }
    if ((f->n = n)) {
        f->pages = summarise(pages, n, &ignore);
        f->errors = summarise(errors, n, &ignore);
        f->wall = summarise(wall, n, &f->d_wall);
        f->rate = summarise(rt, n, &f->d_rate);
        f->user = summarise(user, n, &f->d_user);
        f->sys = summarise(sys, n, &f->d_sys);
        f->peak = summarise(peak, n, &f->d_peak);
    }
    free(v);
    return true;
}

static void print_row(FILE *out, const struct config *cfg,
                      const struct figures *f, double slowest)
{
    const struct engine_ops *engine = engine_find(f->mode);
    char wc[32];

    if (engine->blocking)
        snprintf(wc, sizeof(wc), "%ld", f->workers);
    else
        snprintf(wc, sizeof(wc), "%ld/c%ld", f->workers, cfg->concurrency);
    fprintf(out,
            "%-8s %8s %4zu %7.0f %6.0f %8.2f %8.0f %9.2f %9.2f %8.1f %6.2fx\n",
            f->mode, wc, f->n, f->pages, f->errors, f->wall, f->rate, f->user,
            f->sys, f->peak, slowest > 0 ? f->rate / slowest : 0.0);
}

static void print_table(FILE *out, const struct comparison *cmp,
                        const struct figures *f)
{
    const struct config *cfg = cmp->cfg;
    double slowest = 0;
    int i;

    for (i = 0; i < COMPARE_ENGINES; i++)
        if (f[i].n && (slowest == 0 || f[i].rate < slowest))
            slowest = f[i].rate;
    fprintf(out, "\ncompare: %s, depth %ld, concurrency %ld, per-host %ld\n",
            cfg->seeds_desc, cfg->depth, cfg->concurrency, cfg->per_host);
    if (cfg->repeat > 1)
        fprintf(out,
                "each engine %ld times, alone in its own process, the order"
                " rotated; medians\n",
                cfg->repeat);
    else
        fprintf(out, "each engine once, alone in its own process (--repeat N:"
                     " medians of N)\n");
    fprintf(out, "%-8s %8s %4s %7s %6s %8s %8s %9s %9s %8s %7s\n", "mode",
            "workers", "runs", "pages", "errors", "wall_s", "pages/s",
            "cpu_user", "cpu_sys", "peak_MB", "speed");
    for (i = 0; i < COMPARE_ENGINES; i++)
        if (f[i].n)
            print_row(out, cfg, &f[i], slowest);
    if (cfg->repeat < 2)
        return;
    fprintf(out, "spread (max - min over each engine's runs):\n");
    for (i = 0; i < COMPARE_ENGINES; i++)
        if (f[i].n)
            fprintf(out, "%-8s %28s %8.2f %8.0f %9.2f %9.2f %8.1f\n", f[i].mode,
                    "", f[i].d_wall, f[i].d_rate, f[i].d_user, f[i].d_sys,
                    f[i].d_peak);
}

/* Checks every finished run against the first; the verdict goes to `out`
 * and into `verdict` (stored with the comparison). */
static enum err check(FILE *out, struct store *store, const struct samples *s,
                      char *verdict, size_t vn)
{
    const struct compare_sample *first = NULL;
    char example[600];
    long differ, bad = 0;
    size_t i, n = 0;
    enum err e;

    for (i = 0; i < s->n; i++) {
        const struct compare_sample *c = &s->v[i];
        if (strcmp(c->status, "done"))
            continue;
        n++;
        if (!first) {
            first = c;
            continue;
        }
        if ((e = store_diff_runs(store, first->run_id, c->run_id, &differ,
                                 example, sizeof(example))))
            return e;
        if (differ)
            snprintf(verdict, vn,
                     "MISMATCH %s (run %lld) vs %s (run %lld): %ld records"
                     " differ, e.g. %s",
                     first->mode, (long long)first->run_id, c->mode,
                     (long long)c->run_id, differ, example);
        else if (c->stats.items != first->stats.items)
            snprintf(verdict, vn,
                     "MISMATCH %s (run %lld) vs %s (run %lld): %ld vs %ld"
                     " items",
                     first->mode, (long long)first->run_id, c->mode,
                     (long long)c->run_id, first->stats.items, c->stats.items);
        else
            continue;
        fprintf(out, "check: %s\n", verdict);
        bad++;
    }
    if (bad || !first)
        return ERR_OK;
    if (first->stats.items)
        snprintf(verdict, vn,
                 "all %zu runs fetched the same %ld URLs and extracted the"
                 " same records (%ld items each)",
                 n, first->stats.pages, first->stats.items);
    else
        snprintf(verdict, vn,
                 "all %zu runs fetched the same %ld URLs and extracted the"
                 " same records",
                 n, first->stats.pages);
    fprintf(out, "check: %s\n", verdict);
    return ERR_OK;
}

/* Reads the runs back, prints the table and the check, and records how
 * the comparison ended. */
static enum err conclude(struct comparison *cmp, struct store *store, FILE *out)
{
    struct figures f[COMPARE_ENGINES];
    struct samples s = {0};
    char verdict[800] = "";
    const char *status = "done";
    enum err e;
    int i;

    if ((e = store_compare_runs(store, cmp->id, add_sample, &s)))
        goto out;
    for (i = 0; i < COMPARE_ENGINES; i++)
        if (!figures_of(&s, engines[i], &f[i])) {
            e = ERR_NOMEM;
            goto out;
        }
    print_table(out, cmp, f);
    if (*cmp->why) {
        status = "failed";
    } else if (cmp->interrupted || cmp->runs < cmp->planned) {
        status = "interrupted";
        fprintf(out,
                "compare: interrupted with %zu of %ld runs done; not"
                " checked\n",
                f[0].n + f[1].n + f[2].n, cmp->planned);
    } else {
        e = check(out, store, &s, verdict, sizeof(verdict));
    }
    if (!e)
        e = store_compare_end(store, cmp->id, status,
                              *verdict ? verdict : NULL);
out:
    free(s.v);
    return e;
}

/* Opens the store for the comparing process's own few statements; the
 * runs write to it in between, each from its own process. */
static enum err open_store(const struct config *cfg, struct store **store,
                           char *why, size_t n)
{
    char *msg = NULL;
    enum err e = store_open(cfg->db_path, store, &msg);

    if (e)
        snprintf(why, n, "%s", msg ? msg : "cannot open the database");
    free(msg);
    return e;
}

enum err compare_run(const struct config *cfg, int argc, char *const *argv,
                     const struct seeds *piped,
                     const volatile sig_atomic_t *stop, FILE *out, char *why,
                     size_t n)
{
    struct compare_info info = {.seeds = cfg->seeds_desc,
                                .args = cfg->args_json,
                                .repeat = cfg->repeat};
    struct comparison cmp = {.cfg = cfg,
                             .planned = cfg->repeat * COMPARE_ENGINES};
    struct store *store = NULL;
    long r;
    int k;
    enum err e;

    why[0] = '\0';
    if (spawn_self_path(cmp.exe, sizeof(cmp.exe))) {
        snprintf(why, n, "cannot find scrape's executable: %s",
                 strerror(errno));
        return ERR_IO;
    }
    if ((e = open_store(cfg, &store, why, n)))
        return e;
    e = store_compare_begin(store, &info, &cmp.id);
    if (e)
        snprintf(why, n, "%s", store_errmsg(store));
    if (store_close(store) && !e) {
        snprintf(why, n, "cannot write '%s'", cfg->db_path);
        e = ERR_DB;
    }
    if (e)
        return e;
    for (r = 0; r < cfg->repeat; r++)
        for (k = 0; k < COMPARE_ENGINES; k++) {
            if (*cmp.why || cmp.interrupted || (stop && *stop))
                continue;
            run_engine(&cmp, compare_engine(r, k), r, argc, argv, piped, stop);
        }
    if (!(e = open_store(cfg, &store, why, n))) {
        if ((e = conclude(&cmp, store, out)))
            snprintf(why, n, "cannot compare the runs: %s",
                     store_errmsg(store));
        if (store_close(store) && !e) {
            snprintf(why, n, "cannot write '%s'", cfg->db_path);
            e = ERR_DB;
        }
    }
    /* A run that failed is the first thing to say. */
    if (*cmp.why) {
        snprintf(why, n, "%s", cmp.why);
        e = ERR_IO;
    }
    return e;
}
