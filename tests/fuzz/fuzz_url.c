/*
 * libFuzzer target: URL resolution and canonicalisation (url.c).
 * Input: BASE '\n' REF.  Checks, besides memory safety: a result is
 * canonical (canonicalising it again changes nothing), fits URL_MAX, is
 * http/https, is valid UTF-8 and holds no space or control character
 * (only an internationalised host name may hold non-ASCII).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scrape/url.h"
#include "scrape/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1), *ref, *out = NULL, *again = NULL;
    const char *base = NULL;
    size_t i;

    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    ref = memchr(text, '\n', size);
    if (ref) {
        *ref++ = '\0';
        base = text;
        /* The crawler only ever resolves against canonical URLs. */
        if (url_canon(base, &again) != ERR_OK) {
            free(text);
            return 0;
        }
        base = again;
    } else {
        ref = text;
    }
    if (url_resolve(base, ref, &out) == ERR_OK) {
        char *twice = NULL;
        if (strlen(out) > URL_MAX ||
            (strncmp(out, "http://", 7) && strncmp(out, "https://", 8)))
            abort();
        for (i = 0; out[i]; i++)
            if ((unsigned char)out[i] <= ' ' || (unsigned char)out[i] == 0x7f)
                abort();
        if (!utf8_valid(out, strlen(out)))
            abort();
        if (url_canon(out, &twice) != ERR_OK || strcmp(out, twice))
            abort();
        free(twice);
    }
    free(out);
    free(again);
    free(text);
    return 0;
}
