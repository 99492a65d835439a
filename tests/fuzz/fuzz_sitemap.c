/*
 * libFuzzer target: the sitemap reader (sitemap.c): XML, plain text and
 * gzip.  Checks, besides memory safety: at most SITEMAP_MAX_URLS URLs,
 * each non-empty and without surrounding whitespace.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "scrape/sitemap.h"

static void silent(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sitemap sm;
    size_t i;

    xmlSetGenericErrorFunc(NULL, silent);
    if (sitemap_parse((const char *)data, size, 1 << 20, &sm) != ERR_OK)
        abort();
    if (sm.n > SITEMAP_MAX_URLS)
        abort();
    for (i = 0; i < sm.n; i++) {
        size_t n = strlen(sm.urls[i]);
        if (!n || sm.urls[i][0] == ' ' || sm.urls[i][n - 1] == ' ')
            abort();
    }
    sitemap_release(&sm);
    return 0;
}
