/*
 * body.h - response bodies as a store keeps them: named by their
 * SHA-256 (hex), compressed with zstd, and read back with every length
 * checked, so a corrupt stored body is an error, never a crash.
 */
#ifndef SCRAPE_BODY_H
#define SCRAPE_BODY_H

#include <stddef.h>

#include "scrape/err.h"

/* Hex SHA-256 plus NUL. */
#define BODY_HASH_LEN 65

/* zstd level: 3 is zstd's default, ~300 MB/s here on HTML. */
#define BODY_ZSTD_LEVEL 3

/* The SHA-256 of `n` bytes as lowercase hex into `out`. */
void body_hash(const void *data, size_t n, char out[BODY_HASH_LEN]);

/* Compresses `n` bytes into a new buffer (*out, caller frees; *out_n its
 * length).  ERR_NOMEM. */
enum err body_pack(const void *data, size_t n, void **out, size_t *out_n);

/* Decompresses a stored body into a new NUL-terminated buffer (*out,
 * caller frees; *out_n its length, at most `max`).  ERR_INVALID with a
 * reason in `why` when the data is not a zstd frame of at most `max`
 * bytes whose content is `expect_n` bytes long. */
enum err body_unpack(const void *data, size_t n, size_t expect_n, size_t max,
                     char **out, size_t *out_n, char *why, size_t wn);

#endif
