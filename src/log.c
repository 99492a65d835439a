/*
 * log.c - leveled stderr logging.
 *
 * The whole line is formatted first and written with one fputs so lines
 * from several threads never interleave mid-line.
 */
#include "scrape/log.h"

#include <stdarg.h>
#include <stdio.h>

/* Lines longer than this are truncated; messages are one-liners. */
#define LOG_LINE_MAX 1024

void log_msg(enum log_level threshold, enum log_level level, const char *fmt,
             ...)
{
    char line[LOG_LINE_MAX];
    va_list ap;
    int n;

    if (level > threshold)
        return;
    n = snprintf(line, sizeof(line), "scrape: ");
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s\n", line);
}
