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

/* --auto-throttle: the longest gap it sets between two fetch starts on
 * one host. */
#define POLICY_THROTTLE_MAX_MS 60000

/* --auto-throttle: a host's next gap between fetch starts after an
 * answer with `status` (0: none) that took `fetch_ms`, from its gap now
 * (`current_ms`, last raised `since_raise_ms` ago), with `per_host`
 * fetches allowed in flight.  The rule (additive-increase/multiplicative-
 * decrease on the rate, as TCP treats a loss):
 *   - 429 or 503: twice the gap, at least 100 ms; but once per gap: the
 *     fetches that were in flight when the site started refusing come
 *     back refused too, and must not double it again each.  (The
 *     Retry-After itself holds the host for the retry: policy above.)
 *   - a slower host: the gap moves half way up to latency / per_host, so
 *     that about per_host fetches stay in flight at its latency;
 *   - a fast, good answer (2xx, 3xx, 404, 410): the gap shrinks by a
 *     sixteenth, down to latency / per_host: some sixteen good answers to
 *     come halfway back down, not one;
 *   - a refusal, a 5xx or no answer never shrinks it;
 *   - never below `floor_ms` (--delay, Crawl-delay), never above
 *     POLICY_THROTTLE_MAX_MS.
 * Scrapy's AutoThrottle moves towards latency / target concurrency by
 * halves both ways and only stops speeding up on errors; here a 429 or
 * 503 slows down at once, and speeding up is slow, because a site that
 * said "too many" once will say it again if we jump back. */
long policy_throttle_ms(long current_ms, long since_raise_ms, long floor_ms,
                        long status, long fetch_ms, long retry_after_s,
                        long per_host);

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
