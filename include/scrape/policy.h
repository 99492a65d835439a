/*
 * policy.h - what the crawl does with an answer it did not want: when to
 * try a page again and how long to wait first, and what a robots.txt
 * answer that is not a file means.  Pure functions, so the rules are
 * tested on their own.
 */
#ifndef SCRAPE_POLICY_H
#define SCRAPE_POLICY_H

#include <stdbool.h>

#include "scrape/err.h"

/* Back-off before the first retry when the server gives no Retry-After
 * (doubled for each further retry, up to 2^10 times), and the longest
 * Retry-After obeyed. */
#define POLICY_BACKOFF_MS        1000L
#define POLICY_RETRY_AFTER_MAX_S 120L

/* True when an answer `status` to a fetch that was tried `attempts` times
 * before should be tried again under --retries `retries`: only 429 and
 * 503 mean "later". */
bool policy_should_retry(long status, int attempts, long retries);

/* Milliseconds to wait before that retry: the server's Retry-After
 * (seconds, 0 when none; capped), else exponential back-off. */
long policy_retry_wait_ms(int attempts, long retry_after_s);

enum policy_robots {
    POLICY_ROBOTS_PARSE,     /* a 2xx file: its rules apply */
    POLICY_ROBOTS_ALLOW_ALL, /* no rules to obey */
    POLICY_ROBOTS_DENY_ALL,  /* the host may not be crawled now */
};

/* What a robots.txt fetch that ended with `status` (0: no answer) and
 * `e` means, after RFC 9309 2.3.1: 2xx is parsed; 4xx allows everything;
 * 5xx and a timeout forbid everything; a host that cannot be reached at
 * all is allowed (its pages then fail with the real reason instead of a
 * robots.txt skip). */
enum policy_robots policy_robots(long status, enum err e);

#endif
