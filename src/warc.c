/*
 * warc.c - WARC export (see warc.h).
 */
#include "scrape/warc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include <openssl/evp.h>
#include <zlib.h>

#include "scrape/body.h"
#include "scrape/buf.h"
#include "scrape/config.h"
#include "query_db.h"

/* Largest WARC record scrape writes: a body (at most --max-bytes when it
 * was kept) and its headers. */
#define WARC_RECORD_MAX (PARSE_MAX_BYTES + 1024L * 1024)

/* <urn:uuid:...>, a random (version 4) UUID. */
static void record_id(char out[48])
{
    unsigned char u[16] = {0};
    size_t i, o = 0;

    if (getrandom(u, sizeof(u), 0) != sizeof(u))
        memset(u, 0x5a, sizeof(u));
    u[6] = (unsigned char)((u[6] & 0x0f) | 0x40);
    u[8] = (unsigned char)((u[8] & 0x3f) | 0x80);
    o += (size_t)sprintf(out, "<urn:uuid:");
    for (i = 0; i < 16; i++) {
        o += (size_t)sprintf(out + o, "%02x", u[i]);
        if (i == 3 || i == 5 || i == 7 || i == 9)
            out[o++] = '-';
    }
    sprintf(out + o, ">");
}

/* "sha256:" and the base32 (RFC 4648) of the SHA-256 of `n` bytes. */
static void digest(const void *data, size_t n, char out[64])
{
    static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0, i, bits = 0, o;
    unsigned long acc = 0;

    EVP_Digest(data, n, md, &len, EVP_sha256(), NULL);
    o = (unsigned)sprintf(out, "sha256:");
    for (i = 0; i < len; i++) {
        acc = (acc << 8) | md[i];
        bits += 8;
        while (bits >= 5) {
            out[o++] = b32[(acc >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    if (bits)
        out[o++] = b32[(acc << (5 - bits)) & 31];
    while ((o - 7) % 8)
        out[o++] = '=';
    out[o] = '\0';
}

/* Compresses one record into its own gzip member on `out`. */
static enum err put_member(FILE *out, const struct buf *rec)
{
    z_stream z;
    unsigned char chunk[65536] = {
        0}; /* (deflate fills it; cppcheck cannot tell) */
    enum err e = ERR_OK;
    int rc;

    memset(&z, 0, sizeof(z));
    if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return ERR_NOMEM;
    z.next_in = (unsigned char *)rec->data;
    z.avail_in = (uInt)rec->len;
    do {
        z.next_out = chunk;
        z.avail_out = sizeof(chunk);
        rc = deflate(&z, Z_FINISH);
        if (fwrite(chunk, 1, sizeof(chunk) - z.avail_out, out) !=
            sizeof(chunk) - z.avail_out)
            e = ERR_IO;
    } while (rc == Z_OK && !e);
    if (!e && rc != Z_STREAM_END)
        e = ERR_NOMEM;
    deflateEnd(&z);
    return e;
}

/* One record: the WARC header block (type-specific lines in `extra`),
 * then `block`. */
static enum err put_record(FILE *out, struct buf *rec, const char *type,
                           const char *id, const char *date, const char *uri,
                           const char *ctype, const char *extra,
                           const struct buf *block)
{
    char bd[64];
    enum err e;

    digest(block->data, block->len, bd);
    buf_reset(rec);
    e = buf_addf(rec,
                 "WARC/1.1\r\nWARC-Type: %s\r\nWARC-Record-ID: %s\r\n"
                 "WARC-Date: %s\r\n",
                 type, id, date);
    if (!e && uri)
        e = buf_addf(rec, "WARC-Target-URI: %s\r\n", uri);
    if (!e)
        e = buf_addf(rec,
                     "%sContent-Type: %s\r\nWARC-Block-Digest: %s\r\n"
                     "Content-Length: %zu\r\n\r\n",
                     extra, ctype, bd, block->len);
    if (!e)
        e = buf_add(rec, block->data, block->len);
    if (!e)
        e = buf_adds(rec, "\r\n\r\n");
    return e ? e : put_member(out, rec);
}

/* True for the response headers the stored (decoded) body no longer
 * matches. */
static bool dropped(const char *line, size_t n)
{
    static const char *const names[] = {
        "content-encoding:", "transfer-encoding:", "content-length:"};
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (n >= strlen(names[i]) &&
            !strncasecmp(line, names[i], strlen(names[i])))
            return true;
    return false;
}

/* The response block: status line and headers as received (or made up
 * from the row when none were kept), Content-Length of the body, the
 * body. */
static enum err response_block(struct buf *b, const char *headers, long status,
                               const char *ctype, const char *body, size_t n)
{
    const char *p = headers, *eol;
    enum err e = ERR_OK;

    buf_reset(b);
    if (!p || strncmp(p, "HTTP/", 5)) {
        e = buf_addf(b, "HTTP/1.1 %ld\r\n", status);
        if (!e && ctype)
            e = buf_addf(b, "Content-Type: %s\r\n", ctype);
        p = NULL;
    }
    while (!e && p && *p && (eol = strstr(p, "\r\n")) && eol != p) {
        size_t len = (size_t)(eol - p);
        if (!dropped(p, len))
            e = buf_add(b, p, len + 2);
        p = eol + 2;
    }
    if (!e)
        e = buf_addf(b, "Content-Length: %zu\r\n\r\n", n);
    return e ? e : buf_add(b, body, n);
}

/* The request block: the GET scrape sent for `uri`. */
static enum err request_block(struct buf *b, const char *uri)
{
    const char *host = strstr(uri, "://"), *path;

    buf_reset(b);
    host = host ? host + 3 : uri;
    path = host + strcspn(host, "/?#");
    return buf_addf(b,
                    "GET %.*s HTTP/1.1\r\nHost: %.*s\r\nAccept: */*\r\n"
                    "Accept-Encoding: deflate, gzip, br, zstd\r\n\r\n",
                    (int)strcspn(path, "#"), *path ? path : "/",
                    (int)(path - host), host);
}

enum err query_export_warc(struct query *q, int64_t run_id, FILE *out)
{
    sqlite3_stmt *st = NULL;
    struct buf rec, block;
    char info_id[48], date[64] = "", why[128];
    long bad = 0;
    enum err e;
    int rc = SQLITE_DONE;

    if (query_scalar(q,
                     "SELECT count(*) FROM pages p JOIN bodies b ON b.hash ="
                     " p.body_hash WHERE p.run_id = ?",
                     run_id) <= 0) {
        fprintf(stderr,
                "scrape export: run %lld kept no bodies (crawl with"
                " --keep-bodies)\n",
                (long long)run_id);
        return ERR_INVALID;
    }
    if ((e = query_prep(q,
                        "SELECT coalesce(p.final_url, p.url), p.fetched_at,"
                        " p.status, p.content_type, p.headers, b.size, b.data"
                        " FROM pages p JOIN bodies b ON b.hash = p.body_hash"
                        " WHERE p.run_id = ? ORDER BY p.id",
                        &st)))
        return e;
    sqlite3_bind_int64(st, 1, run_id);
    buf_init(&rec, WARC_RECORD_MAX);
    buf_init(&block, WARC_RECORD_MAX);
    record_id(info_id);
    {
        const char *started = NULL;
        sqlite3_stmt *r = NULL;
        if (!query_prep(q, "SELECT started_at FROM runs WHERE id = ?", &r)) {
            sqlite3_bind_int64(r, 1, run_id);
            if (sqlite3_step(r) == SQLITE_ROW &&
                (started = (const char *)sqlite3_column_text(r, 0)))
                snprintf(date, sizeof(date), "%s", started);
            sqlite3_finalize(r);
        }
    }
    e = buf_addf(&block,
                 "software: scrape/%s\r\nformat: WARC File Format 1.1\r\n"
                 "conformsTo: https://iipc.github.io/warc-specifications/"
                 "specifications/warc-format/warc-1.1/\r\n"
                 "description: run %lld\r\n",
                 SCRAPE_VERSION, (long long)run_id);
    if (!e)
        e = put_record(out, &rec, "warcinfo", info_id, date, NULL,
                       "application/warc-fields", "", &block);
    while (!e && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *uri = (const char *)sqlite3_column_text(st, 0);
        const char *when = (const char *)sqlite3_column_text(st, 1);
        char req_id[48], resp_id[48], pd[64], extra[256], *body = NULL;
        size_t n = 0;
        if (body_unpack(sqlite3_column_blob(st, 6),
                        (size_t)sqlite3_column_bytes(st, 6),
                        (size_t)sqlite3_column_int64(st, 5), PARSE_MAX_BYTES,
                        &body, &n, why, sizeof(why))) {
            fprintf(stderr, "scrape export: %s: %s (not written)\n", uri, why);
            bad++;
            continue;
        }
        record_id(req_id);
        record_id(resp_id);
        digest(body, n, pd);
        e = request_block(&block, uri);
        snprintf(extra, sizeof(extra), "WARC-Concurrent-To: %s\r\n", resp_id);
        e = e ? e
              : put_record(out, &rec, "request", req_id, when ? when : date,
                           uri, "application/http;msgtype=request", extra,
                           &block);
        e = e ? e
              : response_block(&block, (const char *)sqlite3_column_text(st, 4),
                               (long)sqlite3_column_int64(st, 2),
                               (const char *)sqlite3_column_text(st, 3), body,
                               n);
        snprintf(extra, sizeof(extra),
                 "WARC-Concurrent-To: %s\r\nWARC-Payload-Digest: %s\r\n",
                 req_id, pd);
        e = e ? e
              : put_record(out, &rec, "response", resp_id, when ? when : date,
                           uri, "application/http;msgtype=response", extra,
                           &block);
        free(body);
    }
    if (!e && rc != SQLITE_DONE && rc != SQLITE_ROW)
        e = query_fail(q, "cannot read the run's bodies");
    sqlite3_finalize(st);
    buf_release(&rec);
    buf_release(&block);
    if (bad)
        fprintf(stderr, "scrape export: %ld damaged bodies not written\n", bad);
    return e;
}
