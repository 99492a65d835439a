/*
 * libFuzzer target: the seeds reader (seeds.c).  Checks, besides memory
 * safety: every accepted seed is canonical.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scrape/seeds.h"
#include "scrape/url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *in, *diag;
    struct seeds s;
    size_t i;

    if (size == 0)
        return 0;
    in = fmemopen((void *)data, size, "r");
    diag = fopen("/dev/null", "w");
    if (!in || !diag)
        abort();
    if (seeds_read_stream(in, "fuzz", &s, diag) == ERR_OK) {
        for (i = 0; i < s.n; i++) {
            char *again = NULL;
            if (url_canon(s.urls[i], &again) != ERR_OK ||
                strcmp(again, s.urls[i]))
                abort();
            free(again);
        }
    }
    seeds_release(&s);
    fclose(in);
    fclose(diag);
    return 0;
}
