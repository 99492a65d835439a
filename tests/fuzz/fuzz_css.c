/*
 * libFuzzer target: the CSS translator (css.c).  Checks, besides memory
 * safety: an accepted selector becomes XPath that libxml2 compiles, and a
 * rejected one names a position inside the selector.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xpath.h>

#include "scrape/css.h"

static void silent(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char why[CSS_WHY_MAX], *css, *xpath = NULL;
    xmlXPathCompExprPtr comp;
    size_t pos = 0;
    enum err e;

    if (size > 4096 || memchr(data, '\0', size))
        return 0;
    xmlSetGenericErrorFunc(NULL, silent);
    if (!(css = strndup((const char *)data, size)))
        abort();
    e = css_to_xpath(css, &xpath, &pos, why, sizeof(why));
    if (e == ERR_OK) {
        comp = xmlXPathCompile((const xmlChar *)xpath);
        if (!comp)
            abort(); /* the translator wrote invalid XPath */
        xmlXPathFreeCompExpr(comp);
    } else if (e != ERR_INVALID || pos > size || !why[0]) {
        abort();
    }
    free(xpath);
    free(css);
    return 0;
}
