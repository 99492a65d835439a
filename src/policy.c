/*
 * policy.c - retry and robots.txt rules (see policy.h).
 */
#include "scrape/policy.h"

bool policy_should_retry(long status, int attempts, long retries)
{
    return (status == 429 || status == 503) && attempts < retries;
}

long policy_retry_wait_ms(int attempts, long retry_after_s)
{
    if (retry_after_s > 0)
        return retry_after_s > POLICY_RETRY_AFTER_MAX_S
                   ? POLICY_RETRY_AFTER_MAX_S * 1000L
                   : retry_after_s * 1000L;
    return POLICY_BACKOFF_MS
           << (attempts < 10 ? (attempts < 0 ? 0 : attempts) : 10);
}

enum policy_robots policy_robots(long status, enum err e)
{
    if (e == ERR_OK && status >= 200 && status < 300)
        return POLICY_ROBOTS_PARSE;
    if (status == 0 && e != ERR_TIMEOUT)
        return POLICY_ROBOTS_ALLOW_ALL;
    return status >= 400 && status < 500 ? POLICY_ROBOTS_ALLOW_ALL
                                         : POLICY_ROBOTS_DENY_ALL;
}

long policy_throttle_ms(long current_ms, long since_raise_ms, long floor_ms,
                        long status, long fetch_ms, long retry_after_s,
                        long per_host)
{
    long target = fetch_ms / (per_host > 0 ? per_host : 1), next = current_ms;
    bool good =
        (status >= 200 && status < 400) || status == 404 || status == 410;

    (void)retry_after_s;
    if (status == 429 || status == 503) {
        if (since_raise_ms >= current_ms)
            next = current_ms * 2 < 100 ? 100 : current_ms * 2;
    } else if (target > current_ms) {
        next = (current_ms + target) / 2;
    } else if (good) {
        next = current_ms - current_ms / 16;
        if (next < target)
            next = target;
    }
    if (next > POLICY_THROTTLE_MAX_MS)
        next = POLICY_THROTTLE_MAX_MS;
    return next < floor_ms ? floor_ms : next;
}
