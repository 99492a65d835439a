/*
 * seeds.h - read the seeds file: one URL per line.
 *
 * Blank lines and lines starting with '#' are skipped; CRLF line ends and
 * a missing final newline are fine.  Each bad line is reported on `diag`
 * as "SEEDS:LINE: reason" and skipped; the good ones are canonicalised.
 */
#ifndef SCRAPE_SEEDS_H
#define SCRAPE_SEEDS_H

#include <stddef.h>
#include <stdio.h>

#include "scrape/err.h"

struct seeds {
    char **urls; /* canonical URLs, owned; duplicates kept */
    size_t n;
    size_t bad; /* lines reported and skipped */
};

/* Reads `path` ("-" = stdin) into `out` (release with seeds_release,
 * also on error).  Bad lines go to `diag`.  Returns ERR_IO when the file
 * cannot be opened or read (errno set), ERR_NOMEM. */
enum err seeds_read(const char *path, struct seeds *out, FILE *diag);

/* Same, from an open stream; `name` is used in messages. */
enum err seeds_read_stream(FILE *in, const char *name, struct seeds *out,
                           FILE *diag);

/* Appends URL `url` given on the command line, canonicalised.  Returns
 * ERR_BAD_URL or ERR_SCHEME (nothing added) when it is not one scrape can
 * fetch, ERR_NOMEM. */
enum err seeds_add_url(struct seeds *s, const char *url);

/* Moves every URL of `from` to the end of `to`; `from` is left empty
 * (also on ERR_NOMEM, when its URLs are freed). */
enum err seeds_take(struct seeds *to, struct seeds *from);

/* Frees the list.  Twice is a no-op. */
void seeds_release(struct seeds *s);

#endif
