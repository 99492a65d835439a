/*
 * argfile.h - options from a file (-K FILE, --config FILE), the way
 * curl's -K reads them: one or more arguments per line, written as on the
 * command line.
 *
 *   # a comment line (its first non-blank character is '#')
 *   --depth 3
 *   --field "title=css:h1::text"      double quotes group; inside them
 *   --field "say=\"hi\" \\ there"      \" and \\ escape, \t \n \r too
 *   https://example.com/              seeds may be here as well
 *
 * Blank lines are skipped; outside quotes, spaces and tabs separate
 * arguments.  A quote left open at the end of its line is an error.
 * Every argument remembers its line, so the command line's errors can
 * name the file and line.  Pure apart from reading the file.
 */
#ifndef SCRAPE_ARGFILE_H
#define SCRAPE_ARGFILE_H

#include <stddef.h>

#include "scrape/err.h"

/* A file's arguments, in order, each with its 1-based line. */
struct argfile {
    char **args; /* owned strings */
    int *lines;
    int n;
};

/* Largest config file read (it is a command line, not a data file). */
#define ARGFILE_MAX_BYTES (1024L * 1024)

/* Splits `text` (len bytes) into arguments.  ERR_INVALID with "LINE:
 * reason" in `why` for a quote left open or a NUL byte; ERR_NOMEM. */
enum err argfile_parse(const char *text, size_t len, struct argfile *out,
                       char *why, size_t n);

/* Reads and splits file `path`.  ERR_IO (errno set) when it cannot be
 * read, ERR_TOO_LARGE past ARGFILE_MAX_BYTES, else as argfile_parse. */
enum err argfile_read(const char *path, struct argfile *out, char *why,
                      size_t n);

/* Frees the arguments.  Twice is a no-op. */
void argfile_release(struct argfile *a);

#endif
