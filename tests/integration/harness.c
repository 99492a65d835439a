/* harness.c - see harness.h. */
#include "harness.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *env_or(const char *name, const char *def)
{
    const char *v = getenv(name);

    return v && *v ? v : def;
}

/* Starts a test server binary that prints its port on stdout. */
static void server_start(struct site *s, const char *bin,
                         const char *const *args)
{
    const char *argv[32];
    char line[32] = "";
    struct pollfd pfd;
    size_t n = 0, got = 0;
    int fds[2];

    argv[n++] = bin;
    argv[n++] = "--lifetime";
    argv[n++] = "300";
    while (args && *args && n < 30)
        argv[n++] = *args++;
    argv[n] = NULL;
    cr_assert_eq(pipe(fds), 0);
    s->pid = fork();
    cr_assert_neq(s->pid, -1);
    if (s->pid == 0) {
        /* Die with the test process, whatever happens to it. */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    close(fds[1]);
    pfd.fd = fds[0];
    pfd.events = POLLIN;
    while (got < sizeof(line) - 1 && !memchr(line, '\n', got)) {
        ssize_t r;
        int ready = poll(&pfd, 1, HARNESS_START_S * 1000);
        if (ready < 0 && errno == EINTR)
            continue;
        cr_assert_eq(ready, 1, "site server did not start");
        r = read(fds[0], line + got, sizeof(line) - 1 - got);
        if (r < 0 && errno == EINTR)
            continue;
        cr_assert_gt(r, 0, "site server exited (is %s built?): %s", bin,
                     r < 0 ? strerror(errno) : "end of file");
        got += (size_t)r;
        line[got] = '\0';
    }
    close(fds[0]);
    s->port = (unsigned)strtoul(line, NULL, 10);
    cr_assert_gt(s->port, 0);
}

void site_start(struct site *s, const char *const *args)
{
    server_start(s, env_or("SITESRV_BIN", "build/sitesrv"), args);
}

void peer_start(struct site *s)
{
    server_start(s, env_or("RAWPEER_BIN", "build/rawpeer"), NULL);
}

void site_stop(struct site *s)
{
    if (s->pid > 0) {
        kill(s->pid, SIGTERM);
        waitpid(s->pid, NULL, 0);
    }
    s->pid = 0;
}

void sandbox_init(struct sandbox *sb)
{
    snprintf(sb->dir, sizeof(sb->dir), "/tmp/scrape-it-XXXXXX");
    cr_assert_not_null(mkdtemp(sb->dir));
    snprintf(sb->db, sizeof(sb->db), "%s/out.db", sb->dir);
    snprintf(sb->seeds, sizeof(sb->seeds), "%s/seeds.txt", sb->dir);
    snprintf(sb->err, sizeof(sb->err), "%s/stderr.txt", sb->dir);
}

void sandbox_release(struct sandbox *sb)
{
    char cmd[128];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", sb->dir);
    if (system(cmd) != 0)
        cr_log_warn("cannot remove %s", sb->dir);
}

void write_seeds(const struct sandbox *sb, const char *text)
{
    FILE *f = fopen(sb->seeds, "w");

    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
}

static long elapsed_ms(const struct timespec *t0)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - t0->tv_sec) * 1000 +
           (now.tv_nsec - t0->tv_nsec) / 1000000;
}

pid_t start_scrape(const struct sandbox *sb, const char *const *args)
{
    return start_scrape_fsize(sb, args, -1);
}

pid_t start_scrape_fsize(const struct sandbox *sb, const char *const *args,
                         long max_file_bytes)
{
    const char *bin = env_or("SCRAPE_BIN", "build/scrape");
    const char *argv[64];
    char out[160];
    size_t n = 0;
    pid_t pid;
    int fd;

    argv[n++] = bin;
    while (args && *args && n < 63)
        argv[n++] = *args++;
    argv[n] = NULL;
    snprintf(out, sizeof(out), "%s/stdout.txt", sb->dir);
    pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        fd = open(sb->err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0)
            dup2(fd, STDERR_FILENO);
        fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0)
            dup2(fd, STDOUT_FILENO);
        if (max_file_bytes >= 0) {
            struct rlimit rl = {(rlim_t)max_file_bytes, (rlim_t)max_file_bytes};
            setrlimit(RLIMIT_FSIZE, &rl);
        }
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    return pid;
}

int wait_scrape(pid_t pid, int timeout_s, int interrupt_after_ms)
{
    struct timespec t0;
    bool interrupted = false;
    int status;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        pid_t got = waitpid(pid, &status, WNOHANG);
        if (got == pid)
            break;
        /* Reaped by someone else: fail now, not after the timeout. */
        cr_assert_neq(got, -1, "scrape (pid %d) cannot be waited for: %s",
                      (int)pid, strerror(errno));
        if (interrupt_after_ms > 0 && !interrupted &&
            elapsed_ms(&t0) >= interrupt_after_ms) {
            kill(pid, SIGINT);
            interrupted = true;
        }
        if (elapsed_ms(&t0) > timeout_s * 1000L) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            cr_assert_fail("scrape did not finish within %d s", timeout_s);
        }
        usleep(10000);
    }
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

int run_scrape(const struct sandbox *sb, const char *const *args, int timeout_s,
               int interrupt_after_ms)
{
    return wait_scrape(start_scrape(sb, args), timeout_s, interrupt_after_ms);
}

bool scrape_running(pid_t pid)
{
    siginfo_t si;

    memset(&si, 0, sizeof(si));
    if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT))
        return false; /* not our child any more: certainly not running */
    return si.si_pid == 0;
}

char proc_state(pid_t pid)
{
    char path[64], line[512], state = 0, *p;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    if (!(f = fopen(path, "r")))
        return 0;
    if (fgets(line, sizeof(line), f) && (p = strrchr(line, ')')))
        state = p[1] == ' ' ? p[2] : 0;
    fclose(f);
    return state;
}

void site_get(const struct site *s, const char *path, char *out, size_t n)
{
    char cmd[256];
    FILE *p;

    snprintf(cmd, sizeof(cmd), "curl -s --max-time 5 'http://127.0.0.1:%u%s'",
             s->port, path);
    p = popen(cmd, "r");
    cr_assert_not_null(p);
    if (!fgets(out, (int)n, p))
        out[0] = '\0';
    pclose(p);
}

void site_wait_held(const struct site *s)
{
    char line[64] = "";
    int i;

    for (i = 0; i < 600; i++) {
        site_get(s, "/hold-report", line, sizeof(line));
        if (strcmp(line, "held 0\n") && !strncmp(line, "held ", 5))
            return;
        usleep(50000);
    }
    cr_assert_fail("no request reached the site's hold in 30 s: %s", line);
}

void site_release(const struct site *s)
{
    char line[64];

    site_get(s, "/release", line, sizeof(line));
    cr_assert_str_eq(line, "released\n");
}

int child_pids(pid_t pid, pid_t *out, int max)
{
    char path[64], line[512];
    int n = 0;
    DIR *d = opendir("/proc");
    struct dirent *ent;

    cr_assert_not_null(d);
    while ((ent = readdir(d)) && n < max) {
        FILE *f;
        int ppid = 0;
        char state = 0;
        if (ent->d_name[0] < '0' || ent->d_name[0] > '9')
            continue;
        snprintf(path, sizeof(path), "/proc/%.32s/stat", ent->d_name);
        if (!(f = fopen(path, "r")))
            continue;
        if (fgets(line, sizeof(line), f)) {
            char *p = strrchr(line, ')');
            if (p && sscanf(p + 2, "%c %d", &state, &ppid) == 2 &&
                ppid == pid && state != 'Z')
                out[n++] = (pid_t)atoi(ent->d_name);
        }
        fclose(f);
    }
    closedir(d);
    return n;
}

char *read_file_text(const struct sandbox *sb, const char *name)
{
    char path[192];
    FILE *f;
    char *text = calloc(1, 1 << 20);
    size_t n;

    snprintf(path, sizeof(path), "%s/%s", sb->dir, name);
    f = fopen(path, "r");
    cr_assert_not_null(f, "cannot open %s", path);
    n = fread(text, 1, (1 << 20) - 1, f);
    text[n] = '\0';
    fclose(f);
    return text;
}

char *read_stderr(const struct sandbox *sb)
{
    FILE *f = fopen(sb->err, "r");
    char *text = calloc(1, 1 << 20);
    size_t n;

    cr_assert_not_null(f);
    n = fread(text, 1, (1 << 20) - 1, f);
    text[n] = '\0';
    fclose(f);
    return text;
}

static sqlite3_stmt *query(const struct sandbox *sb, sqlite3 **db,
                           const char *fmt, va_list ap)
{
    char sql[2048];
    sqlite3_stmt *st = NULL;

    vsnprintf(sql, sizeof(sql), fmt, ap);
    cr_assert_eq(sqlite3_open_v2(sb->db, db, SQLITE_OPEN_READONLY, NULL),
                 SQLITE_OK, "cannot open %s", sb->db);
    cr_assert_eq(sqlite3_prepare_v2(*db, sql, -1, &st, NULL), SQLITE_OK,
                 "%s: %s", sql, sqlite3_errmsg(*db));
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "no row: %s", sql);
    return st;
}

long long db_int(const struct sandbox *sb, const char *fmt, ...)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    long long v;
    va_list ap;

    va_start(ap, fmt);
    st = query(sb, &db, fmt, ap);
    va_end(ap);
    v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

char *db_text(const struct sandbox *sb, const char *fmt, ...)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    const unsigned char *t;
    char *v;
    va_list ap;

    va_start(ap, fmt);
    st = query(sb, &db, fmt, ap);
    va_end(ap);
    t = sqlite3_column_text(st, 0);
    v = t ? strdup((const char *)t) : NULL;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

long long db_int_or(const struct sandbox *sb, long long def, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    long long v = def;

    if (sqlite3_open_v2(sb->db, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

void db_exec(const struct sandbox *sb, const char *sql)
{
    sqlite3 *db = NULL;
    char *msg = NULL;
    int rc = sqlite3_open_v2(sb->db, &db, SQLITE_OPEN_READWRITE, NULL);

    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    cr_assert_eq(rc, SQLITE_OK, "%s: %s", sql, msg ? msg : sqlite3_errmsg(db));
    sqlite3_free(msg);
    sqlite3_close(db);
}
