/*
 * frame.h - length-prefixed frames over pipes and sockets, and the
 * encoding of parse jobs and page records inside them.
 *
 * Wire format (after git's pkt-line): a 5-byte header {u32 payload
 * length, little-endian; u8 type} then the payload.  The length is checked
 * against the caller's maximum before anything is allocated, so a corrupt
 * or hostile peer cannot make the reader allocate gigabytes.  I/O is plain
 * read/write loops that survive EINTR and short transfers; no stdio.
 *
 * Payload encodings use u32 lengths for strings (0xFFFFFFFF = NULL), each
 * string followed by its bytes and a NUL, little-endian integers, and are
 * fully bounds-checked when decoded.  Decoding copies nothing: strings
 * are pointers into the payload (so a payload can be read where it lies,
 * in a worker's shared area, without a copy or a write).
 * Pure functions plus blocking fd I/O; no global state.
 */
#ifndef SCRAPE_FRAME_H
#define SCRAPE_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scrape/buf.h"
#include "scrape/err.h"
#include "scrape/parse.h"

#define FRAME_HEADER 5
/* Largest payload: a body at the --max-bytes cap plus its metadata. */
#define FRAME_MAX ((size_t)PARSE_MAX_BYTES + 64 * 1024)

enum frame_type {
    FRAME_JOB = 1,  /* parent -> worker: parse this response */
    FRAME_PAGE = 2, /* worker -> parent: the record, or why there is none */
    /* The same, with the payload in the worker's shared area: the frame
     * holds only its length (u64). */
    FRAME_JOB_SHM = 3,
    FRAME_PAGE_SHM = 4,
    /* parent -> a spawned fork server: what its workers extract */
    FRAME_SPEC = 5,
};

/* Writes one frame (all of it, retrying on EINTR and short writes).
 * Returns ERR_IO (errno set; EPIPE when the peer is gone) or ERR_TOO_LARGE. */
enum err frame_write(int fd, uint8_t type, const void *payload, size_t len);

/* Reads one frame into `payload` (reset first).  Returns ERR_OK, or
 * ERR_IO with *eof set when the peer closed cleanly before a header, or
 * ERR_IO for a short frame / read error, or ERR_TOO_LARGE when the header
 * announces more than `max` bytes (nothing allocated). */
enum err frame_read(int fd, uint8_t *type, struct buf *payload, size_t max,
                    bool *eof);

/* The length a FRAME_JOB_SHM or FRAME_PAGE_SHM payload `in` names (a
 * u64 in the host's order: both ends are one machine), when it fits an
 * area of `area_size` bytes: a frame must never make its reader trust
 * bytes beyond the mapping.  False for a payload of another size, no
 * area, or a length past it. */
bool frame_shm_len(const struct buf *in, size_t area_size, size_t *len);

/* A parse job as decoded: pointers borrowed from the payload buffer. */
struct frame_job {
    const char *url;
    const char *final_url;    /* may be NULL */
    const char *content_type; /* may be NULL */
    long status;
    bool want_hash; /* the parent has no hash of the body yet */
    const char *body;
    size_t len;
};

/* Appends a job payload to `out`. */
enum err frame_put_job(struct buf *out, const struct frame_job *job);

/* Decodes a job payload; strings and body point into `p` (which must
 * stay alive and unchanged while they are used).  ERR_INVALID on any
 * malformed field. */
enum err frame_get_job(const char *p, size_t n, struct frame_job *job);

/* A response kept while its page waits for its final depth (crawl.c's
 * held pages, held.h): its figures, its strings (any may be NULL) and,
 * when it is kept, its body (len bytes).  Decoded, strings and body
 * point into the payload. */
struct frame_held {
    long status;
    size_t len;
    long fetch_ms;
    int err; /* enum err of the transfer */
    const char *error, *final_url, *content_type, *etag, *last_modified;
    const char *headers, *body_hash;
    const char *body; /* NULL: the body is not kept */
};

/* Appends a held response to `out`. */
enum err frame_put_held(struct buf *out, const struct frame_held *h);

/* Decodes a held response at the start of `p` (n bytes); *used says how
 * many it took (what follows is the caller's).  ERR_INVALID on any
 * malformed field. */
enum err frame_get_held(const char *p, size_t n, struct frame_held *h,
                        size_t *used);

/* Appends a spec payload: every rule of `spider` (NULL: none) with its
 * pattern, item selector, fields and links to follow. */
enum err frame_put_spec(struct buf *out, const struct spider *spider);

/* Decodes a spec payload into `spider`: its strings point into `p`, its
 * arrays are new (free them with frame_spider_release, which leaves
 * `p` alone).  ERR_INVALID on any malformed field or a field without a
 * name or XPath, ERR_NOMEM. */
enum err frame_get_spec(const char *p, size_t n, struct spider *spider);

/* Frees the arrays frame_get_spec() made. */
void frame_spider_release(struct spider *spider);

/* Appends a page payload: `pg` when parsed (may be NULL: not parsed),
 * `parse_error` and the body's hash (either may be NULL). */
enum err frame_put_page(struct buf *out, const struct page *pg,
                        const char *parse_error, const char *body_hash);

/* The arrays a decoded page points into (links, record offsets, values,
 * chosen links),
 * kept from one decode to the next so that decoding allocates only when
 * a page has more of them than any before.  Zero-initialise; one owner. */
struct frame_view {
    struct link *links;
    size_t links_cap;
    struct link *follow; /* the links the page's rule chose */
    size_t follow_cap;
    size_t *off;
    size_t off_cap;
    char **vals;
    size_t vals_cap;
};

/* Frees a view's arrays (pages decoded with it are then invalid). */
void frame_view_release(struct frame_view *v);

/* Decodes a page payload into `pg` and sets *parsed, *parse_error and
 * *body_hash (NULL when absent).  Strings point into `p`, arrays into
 * `view`: both must stay alive and unchanged while `pg` is used, and `pg`
 * is never page_release()d.  ERR_INVALID on any malformed field,
 * ERR_NOMEM. */
enum err frame_get_page(const char *p, size_t n, struct frame_view *view,
                        struct page *pg, bool *parsed, const char **parse_error,
                        const char **body_hash);

#endif
