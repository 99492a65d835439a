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

/* Without the lookahead only exact depths go out: level + 1 while the
 * level is open.  A depth-2 URL waits while a depth-0 page is out: that
 * page may link to it at depth 1. */
Test(frontier, depths_beyond_level_plus_one_wait_without_lookahead)
{
    struct frontier *f = frontier_new(100);
    struct frontier_job seed, a, b, j;
    bool added;

    frontier_add(f, "http://h/", 0, &added);
    cr_assert(frontier_next(f, &seed));
    frontier_add(f, "http://h/a", 1, &added);
    frontier_add(f, "http://h/b", 1, &added);
    /* Level 0 is open, but depth 1 is exact already. */
    cr_assert(frontier_next(f, &a));
    cr_assert(frontier_next(f, &b));
    cr_assert(frontier_exact(f, &b));
    /* b finishes first and finds c at depth 2: c waits for the seed. */
    frontier_add(f, "http://other/c", 2, &added);
    frontier_release(f, &b);
    frontier_done(f, &b);
    cr_assert_not(frontier_next(f, &j), "the seed (depth 0) is still out");
    cr_assert_eq(frontier_queued(f), 1);
    frontier_release(f, &seed);
    frontier_done(f, &seed);
    cr_assert(frontier_next(f, &j), "level 1 is open: depth 2 is exact");
    cr_assert_str_eq(j.url, "http://other/c");
    cr_assert_eq(j.depth, 2);
    frontier_free(f);
}

/* With the lookahead, deeper URLs go out at once; a page fetched at a
 * depth that may shrink is held until its level comes, and comes back
 * from frontier_ripe with its final depth. */
Test(frontier, lookahead_holds_pages_until_their_depth_is_final)
{
    struct frontier *f = frontier_new(100);
    struct frontier_job seed, a, c, d, j;
    void *data;
    int tag_c, tag_d;
    bool added;

    frontier_set_lookahead(f, true);
    frontier_add(f, "http://h/", 0, &added);
    cr_assert(frontier_next(f, &seed));
    frontier_add(f, "http://h/a", 1, &added);
    cr_assert(frontier_next(f, &a));
    /* a links to c and d (depth 2) while the seed is still out. */
    frontier_add(f, "http://h/c", 2, &added);
    frontier_add(f, "http://h/d", 2, &added);
    frontier_release(f, &a);
    frontier_done(f, &a);
    cr_assert(frontier_next(f, &c), "the lookahead lets depth 2 out");
    cr_assert(frontier_next(f, &d));
    cr_assert_not(frontier_exact(f, &c), "the seed may link to c");
    frontier_release(f, &c);
    frontier_hold(f, &c, &tag_c);
    frontier_release(f, &d);
    frontier_hold(f, &d, &tag_d);
    cr_assert_eq(frontier_held(f), 2);
    cr_assert_not(frontier_ripe(f, &j, &data));
    /* The seed links to d: d's depth becomes 1, final now. */
    cr_assert_eq(frontier_add(f, "http://h/d", 1, &added), ERR_OK);
    cr_assert(added, "a shorter path lowers a held URL");
    cr_assert(frontier_ripe(f, &j, &data));
    cr_assert_str_eq(j.url, "http://h/d");
    cr_assert_eq(frontier_depth(&j), 1);
    cr_assert_eq(data, &tag_d);
    frontier_done(f, &j);
    cr_assert_not(frontier_ripe(f, &j, &data), "c waits for the seed");
    frontier_release(f, &seed);
    frontier_done(f, &seed);
    cr_assert(frontier_ripe(f, &j, &data));
    cr_assert_str_eq(j.url, "http://h/c");
    cr_assert_eq(frontier_depth(&j), 2);
    cr_assert_eq(data, &tag_c);
    frontier_done(f, &j);
    cr_assert_eq(frontier_held(f), 0);
    cr_assert_not(frontier_next(f, &j));
    frontier_free(f);
}

/* A URL out at a depth lowered while it is out is recorded at the lower
 * depth; a held page dropped by a stop stays pending and is freed with
 * the frontier. */
Test(frontier, out_urls_are_lowered_and_held_ones_can_be_dropped)
{
    struct frontier *f = frontier_new(100);
    struct frontier_job seed, a, x, j;
    int tag;
    bool added;

    frontier_set_lookahead(f, true);
    frontier_add(f, "http://h/", 0, &added);
    frontier_add(f, "http://h/a", 1, &added);
    frontier_add(f, "http://h/x", 3, &added);
    cr_assert(frontier_next(f, &seed));
    cr_assert(frontier_next(f, &a));
    cr_assert(frontier_next(f, &x));
    cr_assert_eq(x.depth, 3);
    frontier_add(f, "http://h/x", 1, &added);
    cr_assert(added);
    cr_assert_eq(frontier_depth(&x), 1);
    cr_assert(frontier_exact(f, &x));
    frontier_hold(f, &a, &tag); /* exact: straight to ripe */
    cr_assert(frontier_take_held(f, &j) == &tag);
    cr_assert_null(frontier_take_held(f, &j));
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
 * its level pending (URLs two levels down still wait). */
Test(frontier, retry_requeues_after_not_before)
{
    struct frontier *f = frontier_new(8);
    struct frontier_job j, r, deep;
    bool added;

    frontier_add(f, "http://a/x", 0, &added);
    cr_assert(frontier_next_at(f, 0, &j));
    frontier_add(f, "http://a/deeper", 2, &added);
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
 * first queued as a link is lowered and goes out once, at depth 0; and
 * while seeds may arrive, no depth but 0 is final. */
Test(frontier, late_seeds_keep_levels_exact)
{
    struct frontier *f = frontier_new(8);
    struct frontier_job seed, sitemap, early, j;
    void *data;
    int tag;
    bool added;
    int n;

    frontier_expect_late_seeds(f);
    frontier_add(f, "http://a/", 0, &added);
    frontier_add_sitemap(f, "http://a/sitemap.xml", 0, 0, &added);
    cr_assert(frontier_next(f, &seed));
    cr_assert(frontier_next(f, &sitemap));
    cr_assert(sitemap.sitemap);
    /* The seed's links, one level down. */
    frontier_add(f, "http://a/l1", 1, &added);
    frontier_add(f, "http://a/both", 1, &added);
    frontier_add(f, "http://a/early", 1, &added);
    frontier_release(f, &seed);
    frontier_done(f, &seed);
    cr_assert_not(frontier_next(f, &j), "level 1 went out before level 0");
    /* Out anyway (the lookahead), and fetched: not final yet. */
    frontier_set_lookahead(f, true);
    cr_assert(frontier_next(f, &early));
    cr_assert_str_eq(early.url, "http://a/l1");
    cr_assert_not(frontier_exact(f, &early), "a sitemap may list it");
    frontier_release(f, &early);
    frontier_hold(f, &early, &tag);
    frontier_set_lookahead(f, false);
    /* The sitemap lists a new URL and two the seed linked to. */
    frontier_add(f, "http://a/s1", 0, &added);
    cr_assert(added);
    frontier_add(f, "http://a/both", 0, &added);
    cr_assert(added);
    frontier_add(f, "http://a/l1", 0, &added);
    cr_assert(added);
    cr_assert(frontier_ripe(f, &j, &data));
    cr_assert_str_eq(j.url, "http://a/l1");
    cr_assert_eq(frontier_depth(&j), 0);
    frontier_done(f, &j);
    frontier_add(f, "http://a/s1", 0, &added);
    cr_assert_not(added);
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
        cr_assert_str_eq(j.url, "http://a/early");
        cr_assert_eq(j.depth, 1);
        frontier_release(f, &j);
        frontier_done(f, &j);
    }
    cr_assert_eq(n, 1, "the lowered URL went out twice");
    cr_assert_eq(frontier_queued(f), 0);
    frontier_free(f);
}

/* A shared frontier (a run many nodes crawl): links are only remembered
 * (passed on once, again only shallower), work comes from claims with
 * its final depth, robots.txt first for its host. */
Test(frontier, shared_passes_links_on_and_fetches_only_claims)
{
    struct frontier *f = frontier_new(4);
    struct frontier_job j;
    bool added;

    frontier_set_shared(f);
    cr_assert_eq(frontier_add(f, "http://a/x", 3, &added), ERR_OK);
    cr_assert(added, "a new URL is passed on");
    cr_assert_eq(frontier_queued(f), 0, "but not queued here");
    cr_assert_not(frontier_next(f, &j));
    frontier_add(f, "http://a/x", 3, &added);
    cr_assert_not(added, "the same depth is not passed on again");
    frontier_add(f, "http://a/x", 2, &added);
    cr_assert(added, "a shorter path is passed on");
    frontier_add(f, "http://a/x", 4, &added);
    cr_assert_not(added);

    /* Claims: robots.txt gates its host. */
    cr_assert_eq(frontier_add_claimed(f, "http://a/x", 2, false), ERR_OK);
    cr_assert_eq(frontier_add_claimed(f, "http://a/robots.txt", 0, true),
                 ERR_OK);
    cr_assert_eq(frontier_queued(f), 2);
    cr_assert(frontier_next(f, &j));
    cr_assert(j.robots, "robots.txt goes out first");
    cr_assert_not(frontier_next(f, &j), "the page waits for robots.txt");
    frontier_release(f, &j);
    frontier_done(f, &j);
    cr_assert(frontier_next(f, &j));
    cr_assert_str_eq(j.url, "http://a/x");
    cr_assert_eq(j.depth, 2);
    /* A claimed depth is final whatever the local levels say. */
    cr_assert(frontier_exact(f, &j));
    /* Claimed again while out here (a lease we renewed): ignored. */
    frontier_add_claimed(f, "http://a/x", 2, false);
    cr_assert_eq(frontier_queued(f), 0);
    frontier_release(f, &j);
    frontier_done(f, &j);
    /* Done here: neither passed on nor claimed again. */
    frontier_add(f, "http://a/x", 0, &added);
    cr_assert_not(added);
    frontier_add_claimed(f, "http://a/x", 2, false);
    cr_assert_eq(frontier_queued(f), 0);
    /* A URL claimed that this node never saw. */
    frontier_add_claimed(f, "http://a/y", 5, false);
    cr_assert(frontier_next(f, &j));
    cr_assert_str_eq(j.url, "http://a/y");
    cr_assert_eq(j.depth, 5);
    frontier_free(f);
}
