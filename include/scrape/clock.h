/*
 * clock.h - the monotonic clock in milliseconds, for deadlines and
 * waits (never the wall clock, which can jump), and the wall clock as
 * the timestamps records carry.
 */
#ifndef SCRAPE_CLOCK_H
#define SCRAPE_CLOCK_H

#include <stddef.h>

/* CLOCK_MONOTONIC now, in milliseconds. */
long clock_ms(void);

/* The wall clock (UTC) as ISO-8601 with milliseconds, e.g.
 * 2026-11-25T12:00:00.123Z, into `out` (n >= 32). */
void clock_iso(char *out, size_t n);

#endif
