/*
 * spawn.h - start scrape's own executable again, safely from a threaded
 * process.
 *
 * Two parts of scrape run a second copy of the binary in a hidden mode:
 * the --procs fork server and each run of --compare.  Both need the same
 * two things: the executable's path (not "/proc/self/exe" itself: under
 * valgrind only readlink is translated to the program's own image) and a
 * posix_spawn that execs at once, so no code of the parent runs in the
 * child between fork and exec (the rule: never fork a process that has
 * threads).
 */
#ifndef SCRAPE_SPAWN_H
#define SCRAPE_SPAWN_H

#include <stddef.h>
#include <sys/types.h>

#include "scrape/err.h"

/* Writes the running executable's path into `path` (size `n`).  Returns
 * ERR_IO with errno set when it cannot be read or does not fit. */
enum err spawn_self_path(char *path, size_t n);

/* Spawns `exe` with `argv` (argv[0] included, NULL-terminated) and the
 * parent's environment.  When `fd` >= 0 the child gets it as descriptor
 * `as` (its close-on-exec flag cleared); its other descriptors are
 * inherited as usual.  The child starts with no signal blocked and
 * SIGINT, SIGTERM and SIGPIPE at their defaults, whatever the parent set.
 * Returns ERR_IO with errno set when the spawn failed. */
enum err spawn_self(const char *exe, char *const argv[], int fd, int as,
                    pid_t *pid);

#endif
