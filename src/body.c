/*
 * body.c - stored bodies: SHA-256 names, zstd frames (see body.h).
 */
#include "scrape/body.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <zstd.h>

void body_hash(const void *data, size_t n, char out[BODY_HASH_LEN])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0, i;

    if (!EVP_Digest(data, n, md, &len, EVP_sha256(), NULL))
        len = 0;
    for (i = 0; i < len && i < 32; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[2 * i] = '\0';
}

enum err body_pack(const void *data, size_t n, void **out, size_t *out_n)
{
    size_t cap = ZSTD_compressBound(n), z;
    void *buf = malloc(cap ? cap : 1);

    *out = NULL;
    *out_n = 0;
    if (!buf)
        return ERR_NOMEM;
    z = ZSTD_compress(buf, cap, data, n, BODY_ZSTD_LEVEL);
    if (ZSTD_isError(z)) {
        free(buf);
        return ERR_NOMEM; /* only allocation fails with a bound-sized room */
    }
    *out = buf;
    *out_n = z;
    return ERR_OK;
}

enum err body_unpack(const void *data, size_t n, size_t expect_n, size_t max,
                     char **out, size_t *out_n, char *why, size_t wn)
{
    unsigned long long size =
        data ? ZSTD_getFrameContentSize(data, n) : ZSTD_CONTENTSIZE_ERROR;
    char *buf;
    size_t got;

    *out = NULL;
    *out_n = 0;
    if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN) {
        snprintf(why, wn, "stored body is not a zstd frame");
        return ERR_INVALID;
    }
    if (size != expect_n || size > max) {
        snprintf(why, wn,
                 "stored body says %llu bytes, its row %zu (limit %zu)", size,
                 expect_n, max);
        return ERR_INVALID;
    }
    if (!(buf = malloc((size_t)size + 1))) {
        snprintf(why, wn, "out of memory");
        return ERR_NOMEM;
    }
    got = ZSTD_decompress(buf, (size_t)size, data, n);
    if (ZSTD_isError(got) || got != size) {
        snprintf(why, wn, "stored body is corrupt: %s",
                 ZSTD_isError(got) ? ZSTD_getErrorName(got) : "short");
        free(buf);
        return ERR_INVALID;
    }
    buf[got] = '\0';
    *out = buf;
    *out_n = got;
    return ERR_OK;
}
