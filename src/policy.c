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
