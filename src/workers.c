/*
 * workers.c - forked parse workers behind socketpairs and shared areas
 * (see workers.h).
 *
 * Worker slot life cycle:
 *
 *   IDLE --submit()--> BUSY --collect(): a record--> IDLE
 *                       |
 *                       +--collect(): EOF, bad frame or timeout
 *                              --> job returned with an error,
 *                                  worker reaped, respawn() --> IDLE
 *
 *   submit   write the job into the worker's shared area and send a
 *            FRAME_JOB_SHM naming its length; a job too large for the
 *            area goes through the socket whole, as a FRAME_JOB (the
 *            worker is idle, blocked reading, so the write drains as fast
 *            as the worker reads)
 *   collect  one poll for the busy sockets, without waiting; read whole
 *            frames; read the record where it lies (FRAME_PAGE_SHM: in
 *            the area; FRAME_PAGE: in the frame), its strings pointing
 *            into it, no copy
 *   respawn  ask the fork server for a fresh worker in the same slot
 *
 * The shared area.  Each worker has WORKERS_SHM_BYTES of memory (a
 * memfd the fork server maps before forking the worker, and passes to
 * the parent, which maps it too): the job goes in, and once the
 * worker has parsed it (its page owns its strings), the record comes
 * back in the same bytes.  So a page costs two copies - the parent's
 * copy of the body into the area, and the writer's copy of the record
 * out of it (writer.h) - instead of a trip through a socket each way.
 * The area is used by
 * one side at a time: the parent writes it only while the worker waits
 * for a job, the worker only between reading a job and sending its
 * frame.  A fresh area comes with every fresh worker, so a worker that
 * died mid-write leaves nothing behind.  A worker answers in kind: a job
 * that came through the socket is answered through it.
 *
 * The fork server.  POSIX allows a child of a multi-threaded process only
 * async-signal-safe calls, and a worker allocates and runs libxml2; by
 * the time a worker must be replaced the parent runs the writer thread
 * and libcurl's resolver threads.  So the parent never forks: it spawns
 * one small process, scrape's own executable in its fork-server mode
 * (posix_spawn, which only execs in the child, so it is safe from a
 * threaded process: the shape of Python multiprocessing's forkserver),
 * sends it the extract spec, and that single-threaded process forks
 * every worker, then and later, on request over a control socket:
 *
 *   parent -> server   SPEC (a frame, once)
 *   parent -> server   SPAWN            server -> parent  pid + the
 *                                                          worker's socket
 *                                                          and area
 *                                                          (SCM_RIGHTS)
 *   parent -> server   REAP pid         server -> parent  how it ended,
 *                                                          its CPU time
 *
 * Workers are the server's children, so the server reaps them (the
 * parent kills a worker directly: it knows the pid, and the worker stays
 * the server's unreaped child until the parent asks, so the pid cannot
 * be reused meanwhile).  The server dies with the parent, workers with
 * the server (PR_SET_PDEATHSIG); each closes every descriptor it does
 * not need, and leaves with _exit().
 *
 * A server that dies (kill -9, the OOM killer) takes its workers with
 * it.  The parent notices (its control socket reads end-of-file), hands
 * back the jobs those workers held with "parse worker lost with the fork
 * server", spawns a new server and fills every slot again: the crawl
 * goes on.  The lost workers' CPU time is not counted (they were not the
 * parent's to reap).
 */
#define _GNU_SOURCE /* close_range, memfd_create, Linux */
#include "scrape/clock.h"
#include "scrape/spawn.h"
#include "scrape/workers.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "scrape/body.h"
#include "scrape/record.h"
#include "scrape/frame.h"

/* The descriptor a worker's socket gets in the child, and the fork
 * server's control socket in the server. */
#define WORKER_FD 3
#define SERVER_FD 3

/* Frame buffers larger than this are given back after use, and a
 * worker trims its heap after a job or record that needed one (too large
 * for the area): what such a page needed is not kept, with or without
 * an area. */
#define KEEP_BYTES ((size_t)WORKERS_SHM_BYTES + 4096)

/* Descriptors handed over with a fork server reply: a worker's socket
 * and its shared area. */
#define REP_FDS 2

/* Why a worker exits by itself (its exit status). */
enum worker_exit {
    WORKER_EXIT_SETUP = 2, /* could not set up its socket */
    WORKER_EXIT_FRAME = 3, /* the parent sent a malformed job */
    WORKER_EXIT_NOMEM = 4, /* out of memory */
    WORKER_EXIT_REPLY = 5, /* cannot send the record back */
};

/* Fork server requests and replies (fixed size, one write each). */
enum ctl_op { CTL_SPAWN = 1, CTL_REAP = 2 };

struct ctl_req {
    int op;
    pid_t pid; /* CTL_REAP */
};

struct ctl_rep {
    pid_t pid;  /* CTL_SPAWN: the worker, or -1 */
    int err;    /* errno when the request failed, else 0 */
    int status; /* CTL_REAP: as from waitpid */
    long user_ms, sys_ms;
};

struct slot {
    pid_t pid;
    int fd;     /* parent's end of the socketpair, or -1 */
    char *area; /* the worker's shared area, or NULL (sockets only) */
    size_t area_size;
    bool busy;
    long since_ms;           /* when the job was submitted */
    const char *error;       /* the job could not be handed over: why */
    struct frontier_job job; /* the job held while busy */
    struct response r;       /* its response, owned while busy */
};

struct workers {
    pid_t server;   /* the fork server */
    int ctl;        /* its control socket, or -1 */
    long restarts;  /* fork servers spawned after the first */
    char exe[4096]; /* scrape's executable, the server's image */
    struct slot *slots;
    size_t n;
    size_t busy;
    const struct spider *spider;
    struct buf out;         /* encode buffer for jobs */
    struct buf in;          /* frames read back */
    struct frame_view view; /* arrays of the record being delivered */
    struct pollfd *pfds;    /* one per slot and the control socket */
    long jobs_shared;       /* jobs sent in a shared area */
    long jobs_socket;       /* jobs sent through a socket */
    long dead_user_ms;      /* CPU of reaped workers */
    long dead_sys_ms;
};

/* Maps shared area `fd` (its size from fstat); NULL when there is none
 * or it cannot be mapped (then jobs travel through the socket). */
static char *map_area(int fd, size_t *size)
{
    struct stat st;
    void *p;

    *size = 0;
    if (fd < 0 || fstat(fd, &st) || st.st_size <= 0)
        return NULL;
    p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
             0);
    if (p == MAP_FAILED)
        return NULL;
    *size = (size_t)st.st_size;
    return p;
}

/* In a worker: sends the record for the job just parsed, in the shared
 * area when the job came that way and the record fits, else through the
 * socket.  (Answering in kind: a parent that could not map the area
 * sends only through the socket, and must get only that back.) */
static bool reply(int fd, char *area, size_t area_size, struct buf *out,
                  const struct page *pg, const char *perr, const char *hash)
{
    struct buf sb;
    uint64_t n;

    if (area) {
        buf_init_fixed(&sb, area, area_size);
        if (frame_put_page(&sb, pg, perr, hash) == ERR_OK) {
            n = sb.len;
            return frame_write(fd, FRAME_PAGE_SHM, &n, sizeof(n)) == ERR_OK;
        }
    }
    buf_reset(out);
    return frame_put_page(out, pg, perr, hash) == ERR_OK &&
           frame_write(fd, FRAME_PAGE, out->data, out->len) == ERR_OK;
}

/* The worker process: parse jobs until the parent closes the socket.
 * `area` (area_size bytes, or NULL) is its shared area, mapped by the
 * fork server before the fork.  Besides the record it computes what
 * needs only the page: the body's hash (when the parent has none) and the
 * text's SimHash, so the parent and its writer thread do not. */
static void child_main(int fd, char *area, size_t area_size,
                       const struct spider *spider)
{
    struct parser *parser = NULL;
    struct buf in, out;
    char why[256];
    uint8_t type;
    bool eof;

    if (parser_new(spider, &parser, why, sizeof(why)))
        _exit(WORKER_EXIT_NOMEM); /* the selectors were checked at start */
    buf_init(&in, FRAME_MAX);
    buf_init(&out, FRAME_MAX);
    while (frame_read(fd, &type, &in, FRAME_MAX, &eof) == ERR_OK) {
        char hash[BODY_HASH_LEN] = "";
        struct frame_job job;
        struct response r;
        const char *perr = NULL, *p = in.data;
        struct page pg;
        bool parsed = false;
        size_t n = in.len;

        if ((type == FRAME_JOB_SHM && !frame_shm_len(&in, area_size, &n)) ||
            (type != FRAME_JOB && type != FRAME_JOB_SHM))
            _exit(WORKER_EXIT_FRAME);
        if (type == FRAME_JOB_SHM)
            p = area;
        if (frame_get_job(p, n, &job))
            _exit(WORKER_EXIT_FRAME);
        memset(&r, 0, sizeof(r));
        r.status = job.status;
        r.final_url = (char *)job.final_url;
        r.content_type = (char *)job.content_type;
        r.body = job.body;
        r.len = job.len;
        if (job.want_hash)
            body_hash(r.body, r.len, hash);
        if (record_parse(parser, job.url, &r, &pg, &parsed, &perr))
            _exit(WORKER_EXIT_NOMEM);
        if (parsed)
            page_fingerprint(&pg);
        /* The job in the area is not needed any more: the page owns its
         * strings, so the record may overwrite it. */
        if (!reply(fd, type == FRAME_JOB_SHM ? area : NULL, area_size, &out,
                   parsed ? &pg : NULL, perr, job.want_hash ? hash : NULL))
            _exit(WORKER_EXIT_REPLY);
        if (parsed)
            page_release(&pg);
        /* A page too large for the area grew the buffers and the heap:
         * give that back, so what a worker holds stays about the area and
         * one page's parse. */
        if (in.cap > KEEP_BYTES || out.cap > KEEP_BYTES) {
            buf_release(&in);
            buf_release(&out);
#ifdef __GLIBC__
            malloc_trim(0);
#endif
        }
    }
    _exit(0);
}

static long tv_ms(const struct timeval *tv)
{
    return tv->tv_sec * 1000L + tv->tv_usec / 1000;
}

/* Whole-buffer read and write on a blocking socket, through EINTR. */
static bool read_full(int fd, void *p, size_t n)
{
    while (n) {
        ssize_t k = read(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return false;
        p = (char *)p + k;
        n -= (size_t)k;
    }
    return true;
}

static bool write_full(int fd, const void *p, size_t n)
{
    while (n) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return false;
        p = (const char *)p + k;
        n -= (size_t)k;
    }
    return true;
}

/* Sends `rep` with the descriptors fds[0..n-1] (those >= 0) attached. */
static bool send_rep(int ctl, const struct ctl_rep *rep, const int *fds, int n)
{
    char cbuf[CMSG_SPACE(REP_FDS * sizeof(int))];
    struct iovec iov = {(void *)rep, sizeof(*rep)};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
    struct cmsghdr *cm;
    int send[REP_FDS], k = 0, i;
    ssize_t r;

    for (i = 0; i < n && k < REP_FDS; i++)
        if (fds[i] >= 0)
            send[k++] = fds[i];
    if (k) {
        memset(cbuf, 0, sizeof(cbuf));
        msg.msg_control = cbuf;
        msg.msg_controllen = CMSG_SPACE((size_t)k * sizeof(int));
        cm = CMSG_FIRSTHDR(&msg);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN((size_t)k * sizeof(int));
        memcpy(CMSG_DATA(cm), send, (size_t)k * sizeof(int));
    }
    while ((r = sendmsg(ctl, &msg, MSG_NOSIGNAL)) < 0 && errno == EINTR)
        ;
    return r == (ssize_t)sizeof(*rep);
}

/* Receives a reply and the descriptors sent with it, in order, into
 * fds[0..REP_FDS-1] (-1 for each not sent). */
static bool recv_rep(int ctl, struct ctl_rep *rep, int fds[REP_FDS])
{
    char cbuf[CMSG_SPACE(REP_FDS * sizeof(int))];
    struct iovec iov = {rep, sizeof(*rep)};
    struct msghdr msg = {.msg_iov = &iov,
                         .msg_iovlen = 1,
                         .msg_control = cbuf,
                         .msg_controllen = sizeof(cbuf)};
    struct cmsghdr *cm;
    ssize_t k;
    size_t got;
    int i;

    for (i = 0; i < REP_FDS; i++)
        fds[i] = -1;
    while ((k = recvmsg(ctl, &msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
        ;
    if (k != (ssize_t)sizeof(*rep))
        return false;
    for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
        if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
            continue;
        got = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        if (got > REP_FDS)
            got = REP_FDS;
        memcpy(fds, CMSG_DATA(cm), got * sizeof(int));
    }
    return true;
}

/* Closes the descriptors a reply brought. */
static void close_fds(const int fds[REP_FDS])
{
    int i;

    for (i = 0; i < REP_FDS; i++)
        if (fds[i] >= 0)
            close(fds[i]);
}

/* In the fork server: a new shared area of `size` bytes for a worker, or
 * -1 (the worker then gets its jobs through its socket only). */
static int new_area(size_t size)
{
    int fd = memfd_create("scrape-parse", MFD_CLOEXEC);

    if (fd >= 0 && ftruncate(fd, (off_t)size)) {
        close(fd);
        fd = -1;
    }
    return fd;
}

/* In the fork server: forks one worker and sends the parent its pid, its
 * socket and its shared area (SCM_RIGHTS). */
static void server_spawn(int ctl, const struct spider *spider)
{
    struct ctl_rep rep = {.pid = -1};
    int sv[2], fds[REP_FDS];
    int area = new_area(WORKERS_SHM_BYTES);
    size_t area_size = 0;
    char *map = map_area(area, &area_size);
    pid_t pid;

    /* Mapped here, before the fork, so a worker starts with its area or
     * (when it cannot be made or mapped) without, never half-way. */
    if (!map && area >= 0) {
        close(area);
        area = -1;
    }
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
        rep.err = errno;
        send_rep(ctl, &rep, NULL, 0);
        goto out;
    }
    pid = fork();
    if (pid == 0) {
        /* Die with the server, which dies with the parent. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        prctl(PR_SET_NAME, "scrape-parse");
        if (dup2(sv[1], WORKER_FD) < 0)
            _exit(WORKER_EXIT_SETUP);
        close_range(WORKER_FD + 1, ~0U, 0);
        child_main(WORKER_FD, map, area_size, spider);
    }
    if (pid < 0)
        rep.err = errno;
    rep.pid = pid;
    close(sv[1]);
    fds[0] = pid > 0 ? sv[0] : -1;
    fds[1] = pid > 0 ? area : -1;
    send_rep(ctl, &rep, fds, REP_FDS);
    close(sv[0]);
out:
    if (map)
        munmap(map, area_size);
    if (area >= 0)
        close(area);
}

/* In the fork server: waits for worker `pid` (the parent killed it or
 * closed its socket) and sends how it ended. */
static void server_reap(int ctl, pid_t pid)
{
    struct ctl_rep rep = {.pid = pid};
    struct rusage ru;
    int status = 0;
    pid_t got;

    while ((got = wait4(pid, &status, 0, &ru)) < 0 && errno == EINTR)
        ;
    if (got == pid) {
        rep.status = status;
        rep.user_ms = tv_ms(&ru.ru_utime);
        rep.sys_ms = tv_ms(&ru.ru_stime);
    } else {
        rep.err = errno; /* not ours: nothing to read from ru */
    }
    send_rep(ctl, &rep, NULL, 0);
}

/* The fork server: serves requests until the parent closes the control
 * socket, then reaps what is left. */
static void server_main(int ctl, const struct spider *spider)
{
    struct ctl_req rq;

    while (read_full(ctl, &rq, sizeof(rq))) {
        if (rq.op == CTL_SPAWN)
            server_spawn(ctl, spider);
        else if (rq.op == CTL_REAP)
            server_reap(ctl, rq.pid);
        else
            break;
    }
    /* Workers still alive see their socket close with the parent. */
    while (wait(NULL) > 0 || errno == EINTR)
        ;
    _exit(0);
}

/* The most a spec frame may hold: selectors are command-line text. */
#define SPEC_MAX ((size_t)16 * 1024 * 1024)

bool workers_is_server(int argc, char **argv)
{
    return argc == 3 && !strcmp(argv[1], WORKERS_SERVER_ARG);
}

int workers_server_main(char **argv)
{
    pid_t parent = (pid_t)strtol(argv[2], NULL, 10);
    struct spider spider;
    struct buf in;
    uint8_t type;
    bool eof;

    /* Die with the parent (with the thread that spawned us, to be exact:
     * the pool's owner), and not before it has seen us. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    prctl(PR_SET_NAME, "scrape-forksrv");
    if (getppid() != parent)
        _exit(0);
    /* Ctrl-C is the parent's to handle. */
    signal(SIGINT, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    close_range(SERVER_FD + 1, ~0U, 0);
    buf_init(&in, SPEC_MAX);
    if (frame_read(SERVER_FD, &type, &in, SPEC_MAX, &eof) ||
        type != FRAME_SPEC || frame_get_spec(in.data, in.len, &spider))
        _exit(WORKER_EXIT_SETUP);
    /* `spider` points into `in` and its own arrays for the server's life. */
    server_main(SERVER_FD, &spider);
    return 0; /* not reached: server_main exits */
}

/* Spawns the fork server (scrape's own executable in its server mode)
 * and sends it the spec.  Safe from a threaded caller: nothing runs in
 * the child between the spawn and the exec. */
static enum err start_server(struct workers *w)
{
    char parent[24], name[] = "scrape-forksrv", mode[] = WORKERS_SERVER_ARG;
    char *argv[] = {name, mode, parent, NULL};
    struct buf spec;
    int sv[2];
    pid_t pid;
    enum err e;

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
        return ERR_IO;
    snprintf(parent, sizeof(parent), "%d", (int)getpid());
    /* Every descriptor but the server's end the server closes. */
    e = spawn_self(w->exe, argv, sv[1], SERVER_FD, &pid);
    close(sv[1]);
    if (e) {
        int err = errno;
        close(sv[0]);
        errno = err;
        return ERR_IO;
    }
    w->server = pid;
    w->ctl = sv[0];
    buf_init(&spec, SPEC_MAX);
    e = frame_put_spec(&spec, w->spider);
    if (!e)
        e = frame_write(w->ctl, FRAME_SPEC, spec.data, spec.len);
    buf_release(&spec);
    return e;
}

/* Ends the fork server (if it is not gone already) and reaps it; returns
 * how it ended, as waitpid gives it (0 when there was none). */
static int stop_server(struct workers *w)
{
    int status = 0;

    if (w->ctl >= 0)
        close(w->ctl);
    w->ctl = -1;
    if (w->server > 0) {
        kill(w->server, SIGKILL);
        while (waitpid(w->server, &status, 0) < 0 && errno == EINTR)
            ;
    }
    w->server = 0;
    return status;
}

/* True when the fork server is gone: it never writes unless asked, so a
 * readable control socket means end-of-file. */
static bool server_gone(const struct workers *w)
{
    struct pollfd p = {w->ctl, POLLIN, 0};

    if (w->ctl < 0)
        return true;
    return poll(&p, 1, 0) > 0 && p.revents;
}

/* Asks the fork server for a worker in slot s. */
static enum err spawn(struct workers *w, struct slot *s)
{
    struct ctl_req rq = {.op = CTL_SPAWN};
    struct ctl_rep rep = {0};
    int fds[REP_FDS];

    if (w->ctl < 0 || !write_full(w->ctl, &rq, sizeof(rq)) ||
        !recv_rep(w->ctl, &rep, fds)) {
        errno = EPIPE; /* the fork server is gone */
        return ERR_IO;
    }
    if (rep.pid <= 0 || fds[0] < 0) {
        close_fds(fds);
        errno = rep.err ? rep.err : EAGAIN;
        return ERR_IO;
    }
    s->pid = rep.pid;
    s->fd = fds[0];
    /* Without an area (none could be made or mapped) jobs go through the
     * socket: slower, never wrong. */
    s->area = map_area(fds[1], &s->area_size);
    if (fds[1] >= 0)
        close(fds[1]);
    s->busy = false;
    return ERR_OK;
}

/* Why a worker that exited by itself did. */
static const char *exit_reason(int code)
{
    switch (code) {
    case WORKER_EXIT_SETUP:
        return "could not set up";
    case WORKER_EXIT_FRAME:
        return "received a malformed job";
    case WORKER_EXIT_NOMEM:
        return "ran out of memory";
    case WORKER_EXIT_REPLY:
        return "could not send its record";
    default:
        return "exited unexpectedly";
    }
}

/* Forgets slot s's worker without reaping it (it went with the server). */
static void forget(struct slot *s)
{
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
    if (s->area)
        munmap(s->area, s->area_size);
    s->area = NULL;
    s->area_size = 0;
    s->pid = 0;
}

/* Has slot s's process reaped by the fork server (it has exited or been
 * killed) and describes how it ended.  False when the server is gone
 * (then `why` says so and nobody reaped the worker: it died with the
 * server, whose own parent, not scrape, reaps it). */
static bool reap(struct workers *w, struct slot *s, char *why, size_t n)
{
    struct ctl_req rq = {.op = CTL_REAP, .pid = s->pid};
    struct ctl_rep rep = {0};
    int fds[REP_FDS];

    forget(s);
    if (rq.pid <= 0)
        return true;
    if (w->ctl < 0 || !write_full(w->ctl, &rq, sizeof(rq)) ||
        !recv_rep(w->ctl, &rep, fds)) {
        snprintf(why, n, "parse worker lost with the fork server");
        return false;
    }
    close_fds(fds);
    if (rep.err) {
        snprintf(why, n, "parse worker ended (its status is unknown)");
        return true;
    }
    w->dead_user_ms += rep.user_ms;
    w->dead_sys_ms += rep.sys_ms;
    if (WIFSIGNALED(rep.status))
        snprintf(why, n, "parse worker killed by signal %d",
                 WTERMSIG(rep.status));
    else
        snprintf(why, n, "parse worker %s (status %d)",
                 exit_reason(WEXITSTATUS(rep.status)), WEXITSTATUS(rep.status));
    return true;
}

enum err workers_start(size_t n, const struct spider *spider,
                       struct workers **out)
{
    struct workers *w = calloc(1, sizeof(*w));
    size_t i;

    *out = NULL;
    if (!w)
        return ERR_NOMEM;
    w->slots = calloc(n, sizeof(*w->slots));
    w->pfds = calloc(n + 1, sizeof(*w->pfds));
    if (!w->slots || !w->pfds) {
        free(w->slots);
        free(w->pfds);
        free(w);
        return ERR_NOMEM;
    }
    w->spider = spider;
    w->ctl = -1;
    buf_init(&w->out, FRAME_MAX);
    buf_init(&w->in, FRAME_MAX);
    if (spawn_self_path(w->exe, sizeof(w->exe))) {
        int err = errno;
        workers_stop(w);
        errno = err;
        return ERR_IO;
    }
    if (start_server(w)) {
        workers_stop(w);
        return ERR_IO;
    }
    for (i = 0; i < n; i++) {
        w->slots[i].fd = -1;
        if (spawn(w, &w->slots[i])) {
            workers_stop(w);
            return ERR_IO;
        }
        w->n++;
    }
    *out = w;
    return ERR_OK;
}

void workers_stop(struct workers *w)
{
    char why[128];
    size_t i;

    if (!w)
        return;
    /* Closing the sockets is the workers' signal to exit; one still
     * parsing (only after a fatal error) is not waited for. */
    for (i = 0; i < w->n; i++) {
        if (w->slots[i].fd >= 0)
            close(w->slots[i].fd);
        w->slots[i].fd = -1;
        if (w->slots[i].busy && w->slots[i].pid > 0)
            kill(w->slots[i].pid, SIGKILL);
    }
    for (i = 0; i < w->n; i++) {
        reap(w, &w->slots[i], why, sizeof(why));
        if (w->slots[i].busy)
            response_release(&w->slots[i].r);
    }
    /* The server exits when its control socket closes. */
    if (w->ctl >= 0)
        close(w->ctl);
    w->ctl = -1;
    while (w->server > 0 && waitpid(w->server, NULL, 0) < 0 && errno == EINTR)
        ;
    buf_release(&w->out);
    buf_release(&w->in);
    frame_view_release(&w->view);
    free(w->pfds);
    free(w->slots);
    free(w);
}

size_t workers_size(const struct workers *w)
{
    return w->n;
}

size_t workers_busy(const struct workers *w)
{
    return w->busy;
}

/* Sends slot s's job: into its shared area when it fits, else through
 * the socket.  Returns what encoding it failed with. */
static enum err send_job(struct workers *w, struct slot *s,
                         const struct frame_job *fj)
{
    struct buf sb;
    uint64_t n;
    enum err e;

    if (s->area) {
        buf_init_fixed(&sb, s->area, s->area_size);
        if (frame_put_job(&sb, fj) == ERR_OK) {
            n = sb.len;
            frame_write(s->fd, FRAME_JOB_SHM, &n, sizeof(n));
            w->jobs_shared++;
            return ERR_OK;
        }
    }
    buf_reset(&w->out);
    if ((e = frame_put_job(&w->out, fj)))
        return e;
    frame_write(s->fd, FRAME_JOB, w->out.data, w->out.len);
    w->jobs_socket++;
    /* A page that needed the socket may have grown the buffer far past
     * what the next one needs. */
    if (w->out.cap > KEEP_BYTES)
        buf_release(&w->out);
    return ERR_OK;
}

enum err workers_submit(struct workers *w, const struct frontier_job *job,
                        struct response *r)
{
    struct frame_job fj;
    struct slot *s = NULL;
    size_t i;
    enum err e;

    for (i = 0; i < w->n && !s; i++)
        if (!w->slots[i].busy && w->slots[i].fd >= 0)
            s = &w->slots[i];
    /* The contract: callers check workers_busy() < workers_size(). */
    assert(s && "workers_submit() with no idle worker");
    s->busy = true;
    s->job = *job;
    s->r = *r;
    memset(r, 0, sizeof(*r));
    r->body = "";
    s->since_ms = clock_ms();
    w->busy++;
    fj.url = job->url;
    fj.final_url = s->r.final_url;
    fj.content_type = s->r.content_type;
    fj.status = s->r.status;
    fj.want_hash = !s->r.body_hash;
    fj.body = s->r.body;
    fj.len = s->r.len;
    s->error = NULL;
    /* A failed write means the worker is gone: collect() sees its EOF and
     * hands the job back with the reason.  A job that cannot be encoded
     * comes back from collect() with why, and the worker stays. */
    e = send_job(w, s, &fj);
    if (e && e != ERR_NOMEM)
        s->error = e == ERR_TOO_LARGE ? "page too large for a parse worker"
                                      : "cannot hand the page to a worker";
    return e == ERR_NOMEM ? e : ERR_OK;
}

unsigned workers_waitfds(const struct workers *w, struct curl_waitfd *fds,
                         unsigned max)
{
    unsigned k = 0;
    size_t i;

    for (i = 0; i < w->n && k < max; i++) {
        if (!w->slots[i].busy || w->slots[i].fd < 0)
            continue;
        fds[k].fd = w->slots[i].fd;
        fds[k].events = CURL_WAIT_POLLIN;
        fds[k].revents = 0;
        k++;
    }
    return k;
}

/* Hands slot s's job to `done` with its outcome and frees the slot. */
static enum err finish(struct workers *w, struct slot *s, workers_done_fn done,
                       void *ctx, const struct page *pg, const char *why)
{
    enum err e = done(ctx, &s->job, &s->r, pg, why);

    response_release(&s->r);
    s->busy = false;
    w->busy--;
    return e;
}

/* The fork server is gone, and every worker with it (PR_SET_PDEATHSIG):
 * their jobs come back with the reason, a new server is spawned and each
 * slot gets a fresh worker.  ERR_IO when that cannot be done. */
static enum err server_lost(struct workers *w, workers_done_fn done, void *ctx)
{
    char why[128];
    int status = stop_server(w);
    enum err e = ERR_OK, e2;
    size_t i;

    if (WIFSIGNALED(status))
        snprintf(why, sizeof(why),
                 "parse worker lost with the fork server (killed by signal"
                 " %d)",
                 WTERMSIG(status));
    else
        snprintf(why, sizeof(why), "parse worker lost with the fork server");
    for (i = 0; i < w->n; i++) {
        struct slot *s = &w->slots[i];
        forget(s);
        if (s->busy && (e2 = finish(w, s, done, ctx, NULL, why)) && !e)
            e = e2;
    }
    w->restarts++;
    if (start_server(w))
        return ERR_IO;
    for (i = 0; i < w->n; i++)
        if (spawn(w, &w->slots[i]))
            return ERR_IO;
    return e;
}

/* The worker in s died or hung: return its job with the reason, replace
 * the worker (and the fork server, when that is what died). */
static enum err crashed(struct workers *w, struct slot *s, bool hung,
                        workers_done_fn done, void *ctx)
{
    char why[128];
    enum err e;

    /* A worker whose server is gone is not the server's child any more:
     * its pid may be anyone's by now, so it is not killed. */
    if (server_gone(w))
        return server_lost(w, done, ctx);
    /* Dead already (then this changes nothing and the status keeps the
     * real cause), or alive but hung or talking nonsense: either way it
     * must go before it is reaped. */
    if (s->pid > 0)
        kill(s->pid, SIGKILL);
    if (!reap(w, s, why, sizeof(why)))
        return server_lost(w, done, ctx);
    if (hung)
        snprintf(why, sizeof(why), "parse worker took over %d s: killed",
                 WORKERS_JOB_TIMEOUT_S);
    e = finish(w, s, done, ctx, NULL, why);
    if (spawn(w, s)) {
        enum err e2 = server_gone(w) ? server_lost(w, done, ctx) : ERR_IO;
        if (!e)
            e = e2;
    }
    return e;
}

/* Reads the frame a worker sent and delivers the record, read where it
 * lies (the area or the frame) without copying it. */
static enum err receive(struct workers *w, struct slot *s, workers_done_fn done,
                        void *ctx)
{
    const char *perr = NULL, *hash = NULL, *p;
    size_t n;
    struct page pg;
    bool parsed, eof;
    uint8_t type;
    enum err e;

    if (frame_read(s->fd, &type, &w->in, FRAME_MAX, &eof))
        return crashed(w, s, false, done, ctx);
    /* Only now: reading may have moved the buffer. */
    p = w->in.data;
    n = w->in.len;
    if (type == FRAME_PAGE_SHM && frame_shm_len(&w->in, s->area_size, &n))
        p = s->area;
    else if (type != FRAME_PAGE)
        return crashed(w, s, false, done, ctx);
    if (frame_get_page(p, n, &w->view, &pg, &parsed, &perr, &hash))
        return crashed(w, s, false, done, ctx);
    /* The worker hashed the body: the writer need not (nor copy it for
     * that).  Out of memory here only leaves the hashing to the writer. */
    if (hash && !s->r.body_hash)
        s->r.body_hash = strdup(hash);
    e = finish(w, s, done, ctx, parsed ? &pg : NULL, perr);
    /* Delivered: a record too large for the area may have grown the
     * buffer far past what the next one needs (see send_job). */
    if (w->in.cap > KEEP_BYTES)
        buf_release(&w->in);
    return e;
}

enum err workers_collect(struct workers *w, workers_done_fn done, void *ctx)
{
    long now = clock_ms();
    enum err e = ERR_OK, e2;
    size_t i;

    /* One poll for every busy worker's socket (revents 0 for the rest)
     * and the fork server's, which is readable only once it is gone. */
    for (i = 0; i < w->n; i++) {
        struct slot *s = &w->slots[i];
        bool wait = s->busy && !s->error && s->fd >= 0;

        w->pfds[i] = (struct pollfd){wait ? s->fd : -1, POLLIN, 0};
    }
    w->pfds[w->n] = (struct pollfd){w->ctl, POLLIN, 0};
    if (poll(w->pfds, (nfds_t)w->n + 1, 0) < 0)
        for (i = 0; i <= w->n; i++)
            w->pfds[i].revents = 0; /* EINTR: look again next turn */
    /* Lost with its workers: replaced before any job goes to a dead one. */
    if (w->pfds[w->n].revents || w->ctl < 0)
        e = server_lost(w, done, ctx);
    for (i = 0; i < w->n && w->busy; i++) {
        struct slot *s = &w->slots[i];

        if (!s->busy)
            continue;
        if (s->error)
            e2 = finish(w, s, done, ctx, NULL, s->error);
        else if (w->pfds[i].revents)
            e2 = receive(w, s, done, ctx);
        else if (now - s->since_ms > WORKERS_JOB_TIMEOUT_S * 1000L)
            e2 = crashed(w, s, true, done, ctx);
        else
            continue;
        if (e2 && !e)
            e = e2;
    }
    return e;
}

/* Reads a number from a /proc file line "Key:   value kB". */
static long proc_status_kb(pid_t pid, const char *key)
{
    char path[64], line[256];
    size_t klen = strlen(key);
    long v = 0;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    if (!(f = fopen(path, "r")))
        return 0;
    while (fgets(line, sizeof(line), f))
        if (!strncmp(line, key, klen) && line[klen] == ':')
            v = strtol(line + klen + 1, NULL, 10);
    fclose(f);
    return v;
}

/* utime and stime of a live process, in ms (/proc/PID/stat fields 14-15). */
static void proc_cpu(pid_t pid, long *user_ms, long *sys_ms)
{
    char path[64], text[1024], *p;
    unsigned long ut = 0, st = 0;
    long hz = sysconf(_SC_CLK_TCK);
    size_t n;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    if (!(f = fopen(path, "r")))
        return;
    n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[n] = '\0';
    /* The command name may hold spaces: fields count from its ')'. */
    p = strrchr(text, ')');
    if (p &&
        sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
               &ut, &st) == 2 &&
        hz > 0) {
        *user_ms += (long)(ut * 1000 / (unsigned long)hz);
        *sys_ms += (long)(st * 1000 / (unsigned long)hz);
    }
}

void workers_usage(const struct workers *w, struct workers_usage *u)
{
    size_t i;
    long kb;

    u->user_ms = w->dead_user_ms;
    u->sys_ms = w->dead_sys_ms;
    u->peak_rss_kb = u->peak_one_rss_kb = 0;
    u->jobs_shared = w->jobs_shared;
    u->jobs_socket = w->jobs_socket;
    u->server_restarts = w->restarts;
    for (i = 0; i < w->n; i++) {
        if (w->slots[i].pid <= 0)
            continue;
        proc_cpu(w->slots[i].pid, &u->user_ms, &u->sys_ms);
        kb = proc_status_kb(w->slots[i].pid, "VmHWM");
        u->peak_rss_kb += kb;
        if (kb > u->peak_one_rss_kb)
            u->peak_one_rss_kb = kb;
    }
}

void workers_reset_peak(const struct workers *w)
{
    char path[64];
    size_t i;
    FILE *f;

    for (i = 0; i < w->n; i++) {
        if (w->slots[i].pid <= 0)
            continue;
        /* Writing 5 resets VmHWM to the current RSS (Linux >= 4.0). */
        snprintf(path, sizeof(path), "/proc/%d/clear_refs",
                 (int)w->slots[i].pid);
        if ((f = fopen(path, "w"))) {
            fputs("5", f);
            fclose(f);
        }
    }
}
