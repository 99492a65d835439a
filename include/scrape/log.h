/*
 * log.h - leveled logging to stderr.
 *
 * The level is a value the caller owns (struct log_ctx is passed around),
 * so several engines in one process never share hidden state.  Messages
 * are lowercase, without a trailing period (STYLE.md section 4).
 */
#ifndef SCRAPE_LOG_H
#define SCRAPE_LOG_H

#include <stdbool.h>

enum log_level { LOG_QUIET = 0, LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Writes "scrape: <message>\n" to stderr when `level` <= `threshold`.
 * Thread-safe (one fprintf per line). */
void log_msg(enum log_level threshold, enum log_level level, const char *fmt,
             ...) __attribute__((format(printf, 3, 4)));

#endif
