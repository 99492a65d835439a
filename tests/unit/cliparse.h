/*
 * cliparse.h - cli_parse() on an argument vector with its messages caught
 * in a string, for the unit tests of the command line.
 */
#ifndef TESTS_CLIPARSE_H
#define TESTS_CLIPARSE_H

#include <stdio.h>

#include "scrape/cli.h"

/* cli_parse() with stdout thrown away and stderr in *msg (caller frees). */
static inline enum cli_result cliparse(struct config *cfg, char **msg, int argc,
                                       char **argv)
{
    size_t len;
    FILE *err = open_memstream(msg, &len);
    FILE *out = fopen("/dev/null", "w");
    enum cli_result r = cli_parse(argc, argv, cfg, out, err);

    fclose(err);
    fclose(out);
    return r;
}

#endif
