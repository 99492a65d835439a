/*
 * frontier_mem.c - how the frontier's memory grows per queued URL.
 *
 *   frontier-mem [N]
 *
 * Queues N (default 100,000) distinct canonical URLs shaped like the
 * bookstore site's (http://127.0.0.1:PORT/book/I.html) and prints the heap
 * bytes in use per URL (glibc mallinfo2: what malloc handed out, its
 * per-chunk overhead included), after queueing and again once every URL
 * has been handed out and finished (only the dedup set is left).
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>

#include "scrape/frontier.h"

static size_t heap_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();

    return mi.uordblks + mi.hblkhd;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? strtol(argv[1], NULL, 10) : 100000;
    struct frontier *f;
    struct frontier_job job;
    char url[128];
    size_t before, queued, done;
    bool added;
    long i;

    if (n < 1 || n > 100000000) {
        fprintf(stderr, "usage: frontier-mem [N]\n");
        return 2;
    }
    before = heap_in_use();
    if (!(f = frontier_new(100)))
        return 1;
    for (i = 0; i < n; i++) {
        snprintf(url, sizeof(url), "http://127.0.0.1:43215/book/%ld.html", i);
        if (frontier_add(f, url, 1, &added) || !added) {
            fprintf(stderr, "frontier-mem: cannot queue %s\n", url);
            return 1;
        }
    }
    queued = heap_in_use();
    while (frontier_next(f, &job)) {
        frontier_release(f, &job);
        frontier_done(f, &job);
    }
    done = heap_in_use();
    printf("frontier: %ld URLs of ~%zu bytes: %.0f bytes per queued URL,"
           " %.0f bytes per URL once fetched (dedup set only)\n",
           n, sizeof("http://127.0.0.1:43215/book/50000.html") - 1,
           (double)(queued - before) / (double)n,
           (double)(done - before) / (double)n);
    frontier_free(f);
    return 0;
}
