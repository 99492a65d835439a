/* Unit tests for frontier.c: dedup, per-host limits, round-robin. */
#include <criterion/criterion.h>
#include <stdio.h>

#include "scrape/frontier.h"

Test(frontier, drops_duplicates)
{
    struct frontier *f = frontier_new(4);
    bool added;

    cr_assert_eq(frontier_add(f, "http://a/x", 0, &added), ERR_OK);
    cr_assert(added);
    cr_assert_eq(frontier_add(f, "http://a/x", 3, &added), ERR_OK);
    cr_assert_not(added);
    cr_assert_eq(frontier_queued(f), 1);
    cr_assert_eq(frontier_seen_count(f), 1);
    cr_assert(frontier_seen(f, "http://a/x"));
    cr_assert_not(frontier_seen(f, "http://a/y"));
    frontier_free(f);
}

Test(frontier, hands_out_fifo_with_depth)
{
    struct frontier *f = frontier_new(10);
    struct frontier_job j;
    bool added;

    frontier_add(f, "http://a/1", 0, &added);
    frontier_add(f, "http://a/2", 1, &added);
    cr_assert(frontier_next(f, &j));
    cr_assert_str_eq(j.url, "http://a/1");
    cr_assert_eq(j.depth, 0);
    frontier_release(f, &j);
    frontier_done(f, &j);
    cr_assert(frontier_next(f, &j));
    cr_assert_str_eq(j.url, "http://a/2");
    cr_assert_eq(j.depth, 1);
    cr_assert_not(frontier_next(f, &j));
    /* Handed-out URLs stay seen. */
    frontier_add(f, "http://a/1", 0, &added);
    cr_assert_not(added);
    frontier_free(f);
}

Test(frontier, per_host_limit_holds_until_done)
{
    struct frontier *f = frontier_new(2);
    struct frontier_job j1, j2, j3;
    bool added;
    char url[64];
    int i;

    for (i = 0; i < 5; i++) {
        snprintf(url, sizeof(url), "http://a/%d", i);
        frontier_add(f, url, 0, &added);
    }
    cr_assert(frontier_next(f, &j1));
    cr_assert(frontier_next(f, &j2));
    cr_assert_not(frontier_next(f, &j3), "third URL for one host at limit 2");
    frontier_release(f, &j1);
    cr_assert(frontier_next(f, &j3));
    cr_assert_str_eq(j3.url, "http://a/2");
    frontier_free(f);
}

Test(frontier, round_robin_across_hosts)
{
    struct frontier *f = frontier_new(100);
    struct frontier_job j;
    bool added;

    frontier_add(f, "http://a/1", 0, &added);
    frontier_add(f, "http://a/2", 0, &added);
    frontier_add(f, "http://b/1", 0, &added);
    frontier_add(f, "http://b:81/1", 0, &added);
    cr_assert(frontier_next(f, &j));
    cr_assert_str_eq(j.url, "http://a/1");
    cr_assert(frontier_next(f, &j));
    cr_assert_str_eq(j.url, "http://b/1");
    cr_assert(frontier_next(f, &j));
    cr_assert_str_eq(j.url, "http://b:81/1");
    cr_assert(frontier_next(f, &j));
    cr_assert_str_eq(j.url, "http://a/2");
    frontier_free(f);
}

Test(frontier, scales_to_many_urls)
{
    struct frontier *f = frontier_new(8);
    struct frontier_job j;
    char url[64];
    bool added;
    int i, n = 0;

    for (i = 0; i < 200000; i++) {
        snprintf(url, sizeof(url), "http://h%d/p/%d", i % 7, i);
        cr_assert_eq(frontier_add(f, url, 0, &added), ERR_OK);
    }
    for (i = 0; i < 200000; i += 3) {
        snprintf(url, sizeof(url), "http://h%d/p/%d", i % 7, i);
        frontier_add(f, url, 0, &added);
        cr_assert_not(added);
    }
    while (frontier_next(f, &j)) {
        frontier_release(f, &j);
        frontier_done(f, &j);
        n++;
    }
    cr_assert_eq(n, 200000);
    frontier_free(f);
}

/* A depth-2 URL must not go out while a depth-1 URL is still out: the
 * depth-1 page may link to it (or its children) at a shorter distance. */
Test(frontier, deeper_levels_wait_until_the_level_is_done)
{
    struct frontier *f = frontier_new(100);
    struct frontier_job seed, a, b, j;
    bool added;

    frontier_add(f, "http://h/", 0, &added);
    cr_assert(frontier_next(f, &seed));
    frontier_add(f, "http://h/a", 1, &added);
    frontier_add(f, "http://h/b", 1, &added);
    cr_assert_not(frontier_next(f, &j), "level 0 is still out");
    frontier_release(f, &seed);
    frontier_done(f, &seed);
    cr_assert(frontier_next(f, &a));
    cr_assert(frontier_next(f, &b));
    /* b finishes first and finds c at depth 2: c must wait for a. */
    frontier_add(f, "http://other/c", 2, &added);
    frontier_release(f, &b);
    frontier_done(f, &b);
    cr_assert_not(frontier_next(f, &j), "a (depth 1) is still out");
    cr_assert_eq(frontier_queued(f), 1);
    frontier_release(f, &a);
    frontier_done(f, &a);
    cr_assert(frontier_next(f, &j));
    cr_assert_str_eq(j.url, "http://other/c");
    cr_assert_eq(j.depth, 2);
    frontier_free(f);
}

/* --delay: one host's fetches start at least delay_ms apart; other hosts
 * are not held up by it. */
Test(frontier, delay_spaces_fetches_per_host)
{
    struct frontier *f = frontier_new(8);
    struct frontier_job j;
    bool added;

    frontier_set_delay(f, 200);
    frontier_add(f, "http://a/1", 0, &added);
    frontier_add(f, "http://a/2", 0, &added);
    frontier_add(f, "http://b/1", 0, &added);
    cr_assert(frontier_next_at(f, 1000, &j));
    cr_assert_str_eq(j.url, "http://a/1");
    cr_assert(frontier_next_at(f, 1000, &j));
    cr_assert_str_eq(j.url, "http://b/1");
    cr_assert_not(frontier_next_at(f, 1100, &j), "a waits until 1200");
    cr_assert_eq(frontier_wait_ms(f, 1100), 100);
    cr_assert(frontier_next_at(f, 1200, &j));
    cr_assert_str_eq(j.url, "http://a/2");
    frontier_free(f);
}

/* A retry comes back with one more attempt, after not_before, and keeps
 * its level pending (deeper URLs still wait). */
Test(frontier, retry_requeues_after_not_before)
{
    struct frontier *f = frontier_new(8);
    struct frontier_job j, r, deep;
    bool added;

    frontier_add(f, "http://a/x", 0, &added);
    cr_assert(frontier_next_at(f, 0, &j));
    frontier_add(f, "http://a/deeper", 1, &added);
    frontier_release(f, &j);
    cr_assert_eq(frontier_retry(f, &j, 5000), ERR_OK);
    cr_assert_not(frontier_next_at(f, 4999, &r));
    cr_assert(frontier_next_at(f, 5000, &r));
    cr_assert_str_eq(r.url, "http://a/x");
    cr_assert_eq(r.attempts, 1);
    cr_assert_not(frontier_next_at(f, 5000, &deep), "level 0 not done");
    frontier_release(f, &r);
    frontier_done(f, &r);
    cr_assert(frontier_next_at(f, 5000, &deep));
    cr_assert_str_eq(deep.url, "http://a/deeper");
    frontier_free(f);
}

/* Seeds that arrive after deeper links of the same host (a sitemap read
 * while level 0 is open) go out at level 0, ahead of those links; a seed
 * first queued as a link is promoted and goes out once, at depth 0. */
Test(frontier, late_seeds_and_promotion_keep_levels_exact)
{
    struct frontier *f = frontier_new(8);
    struct frontier_job seed, sitemap, j;
    bool added, promoted;
    int n;

    frontier_add(f, "http://a/", 0, &added);
    frontier_add_sitemap(f, "http://a/sitemap.xml", 0, 0, &added);
    cr_assert(frontier_next(f, &seed));
    cr_assert(frontier_next(f, &sitemap));
    cr_assert(sitemap.sitemap);
    /* The seed's links, one level down. */
    frontier_add(f, "http://a/l1", 1, &added);
    frontier_add(f, "http://a/both", 1, &added);
    frontier_release(f, &seed);
    frontier_done(f, &seed);
    cr_assert_not(frontier_next(f, &j), "level 1 went out before level 0");
    /* The sitemap lists a new URL and one the seed linked to. */
    frontier_add(f, "http://a/s1", 0, &added);
    cr_assert(added);
    cr_assert_eq(frontier_promote(f, "http://a/both", 0, &promoted), ERR_OK);
    cr_assert(promoted);
    cr_assert_eq(frontier_promote(f, "http://a/s1", 0, &promoted), ERR_OK);
    cr_assert_not(promoted);
    frontier_release(f, &sitemap);
    frontier_done(f, &sitemap);
    cr_assert_eq(frontier_queued(f), 3);
    cr_assert(frontier_next(f, &j));
    cr_assert_str_eq(j.url, "http://a/s1");
    cr_assert_eq(j.depth, 0);
    frontier_release(f, &j);
    frontier_done(f, &j);
    cr_assert(frontier_next(f, &j));
    cr_assert_str_eq(j.url, "http://a/both");
    cr_assert_eq(j.depth, 0);
    frontier_release(f, &j);
    frontier_done(f, &j);
    for (n = 0; frontier_next(f, &j); n++) {
        cr_assert_str_eq(j.url, "http://a/l1");
        cr_assert_eq(j.depth, 1);
        frontier_release(f, &j);
        frontier_done(f, &j);
    }
    cr_assert_eq(n, 1, "the promoted URL went out twice");
    cr_assert_eq(frontier_queued(f), 0);
    frontier_free(f);
}
