/*
 * spawn.c - scrape's own executable, spawned (see spawn.h).
 */
#include "scrape/spawn.h"

#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>

extern char **environ;

enum err spawn_self_path(char *path, size_t n)
{
    ssize_t k = readlink("/proc/self/exe", path, n - 1);

    if (k <= 0 || (size_t)k >= n - 1) {
        errno = k < 0 ? errno : ENAMETOOLONG;
        return ERR_IO;
    }
    path[k] = '\0';
    return ERR_OK;
}

enum err spawn_self(const char *exe, char *const argv[], int fd, int as,
                    pid_t *pid)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    sigset_t none, defaults;
    int rc;

    sigemptyset(&none);
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGTERM);
    sigaddset(&defaults, SIGPIPE);
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&at);
    /* dup2 clears close-on-exec on the new descriptor, also when `fd` is
     * already `as`. */
    if (fd >= 0)
        posix_spawn_file_actions_adddup2(&fa, fd, as);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &defaults);
    posix_spawnattr_setflags(&at,
                             POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    rc = posix_spawn(pid, exe, &fa, &at, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    if (rc) {
        errno = rc;
        return ERR_IO;
    }
    return ERR_OK;
}
