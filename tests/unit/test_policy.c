/* Unit tests for policy.c: retries and robots.txt answers. */
#include <criterion/criterion.h>

#include "scrape/policy.h"

Test(policy, only_429_and_503_are_retried_within_the_budget)
{
    cr_assert(policy_should_retry(429, 0, 2));
    cr_assert(policy_should_retry(503, 1, 2));
    cr_assert_not(policy_should_retry(503, 2, 2), "budget spent");
    cr_assert_not(policy_should_retry(503, 0, 0), "--retries 0");
    cr_assert_not(policy_should_retry(500, 0, 5));
    cr_assert_not(policy_should_retry(404, 0, 5));
    cr_assert_not(policy_should_retry(0, 0, 5), "no answer: not a 'later'");
    cr_assert_not(policy_should_retry(200, 0, 5));
}

Test(policy, retry_waits_back_off_or_follow_retry_after_capped)
{
    cr_assert_eq(policy_retry_wait_ms(0, 0), 1000);
    cr_assert_eq(policy_retry_wait_ms(1, 0), 2000);
    cr_assert_eq(policy_retry_wait_ms(3, 0), 8000);
    cr_assert_eq(policy_retry_wait_ms(10, 0), 1024000);
    cr_assert_eq(policy_retry_wait_ms(40, 0), 1024000, "the shift is capped");
    cr_assert_eq(policy_retry_wait_ms(3, 5), 5000, "Retry-After wins");
    cr_assert_eq(policy_retry_wait_ms(0, 86400), 120000, "and is capped");
}

/* RFC 9309 2.3.1. */
Test(policy, robots_answers)
{
    cr_assert_eq(policy_robots(200, ERR_OK), POLICY_ROBOTS_PARSE);
    cr_assert_eq(policy_robots(299, ERR_OK), POLICY_ROBOTS_PARSE);
    /* A 3xx that is still a 3xx once redirects were followed is not a
     * file to parse. */
    cr_assert_neq(policy_robots(300, ERR_OK), POLICY_ROBOTS_PARSE);
    cr_assert_neq(policy_robots(304, ERR_OK), POLICY_ROBOTS_PARSE);
    cr_assert_neq(policy_robots(199, ERR_OK), POLICY_ROBOTS_PARSE);
    cr_assert_eq(policy_robots(404, ERR_NETWORK), POLICY_ROBOTS_ALLOW_ALL);
    cr_assert_eq(policy_robots(403, ERR_NETWORK), POLICY_ROBOTS_ALLOW_ALL,
                 "4xx, even 401/403: unavailable, so allowed");
    cr_assert_eq(policy_robots(500, ERR_NETWORK), POLICY_ROBOTS_DENY_ALL);
    cr_assert_eq(policy_robots(503, ERR_NETWORK), POLICY_ROBOTS_DENY_ALL);
    cr_assert_eq(policy_robots(0, ERR_TIMEOUT), POLICY_ROBOTS_DENY_ALL,
                 "unreachable for now: assume complete disallow");
    cr_assert_eq(policy_robots(0, ERR_NETWORK), POLICY_ROBOTS_ALLOW_ALL,
                 "no such host or refused: its pages fail for real");
    cr_assert_eq(policy_robots(200, ERR_TOO_LARGE), POLICY_ROBOTS_DENY_ALL,
                 "a 2xx that could not be read whole is not parsed");
}

/* --auto-throttle's rule: a 429 doubles the gap once per gap (at least
 * 100 ms), a good answer shrinks it by a sixteenth down to latency /
 * per_host, a slower host raises it half way there, an error never
 * lowers it, and the floor and the cap hold. */
Test(policy, throttle_rule)
{
    /* current, since raise, floor, status, fetch ms, per host -> next */
    static const long cases[][7] = {
        {0, 0, 0, 429, 5, 10, 100},
        {100, 100, 0, 429, 5, 10, 200},
        {100, 50, 0, 503, 5, 10, 100},
        {160, 999, 0, 200, 5, 10, 150},
        {160, 999, 0, 404, 5, 10, 150},
        {10, 999, 0, 200, 500, 10, 30},
        {160, 999, 0, 500, 5, 10, 160},
        {160, 999, 0, 0, 5, 10, 160},
        {160, 999, 0, 403, 5, 10, 160},
        {0, 999, 300, 200, 5, 10, 300},
        {40000, 40000, 0, 429, 5, 10, POLICY_THROTTLE_MAX_MS},
        {16, 999, 0, 200, 200, 10, 18},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        cr_assert_eq(
            policy_throttle_ms(cases[i][0], cases[i][1], cases[i][2],
                               cases[i][3], cases[i][4], 0, cases[i][5]),
            cases[i][6], "case %zu: %ld", i,
            policy_throttle_ms(cases[i][0], cases[i][1], cases[i][2],
                               cases[i][3], cases[i][4], 0, cases[i][5]));
}
