/*
 * clock.h - the monotonic clock in milliseconds, for deadlines and
 * waits (never the wall clock, which can jump).
 */
#ifndef SCRAPE_CLOCK_H
#define SCRAPE_CLOCK_H

/* CLOCK_MONOTONIC now, in milliseconds. */
long clock_ms(void);

#endif
