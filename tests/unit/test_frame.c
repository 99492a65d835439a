/* Unit tests for frame.c: framing over real pipes, and the payload
 * encodings, including truncated and hostile input. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "scrape/frame.h"

struct trickle {
    int fd;
    const unsigned char *data;
    size_t len;
};

/* Writes a prepared byte string one byte at a time (short writes for the
 * reader), then closes. */
static void *trickle_writer(void *arg)
{
    struct trickle *t = arg;
    size_t i;

    for (i = 0; i < t->len; i++) {
        if (write(t->fd, t->data + i, 1) != 1)
            break;
        if (i % 97 == 0)
            usleep(100);
    }
    close(t->fd);
    return NULL;
}

Test(frame, reads_frames_arriving_in_pieces)
{
    unsigned char wire[64] = {11, 0, 0, 0, FRAME_PAGE};
    struct trickle t;
    struct buf b;
    pthread_t th;
    uint8_t type;
    bool eof;
    int fds[2];

    memcpy(wire + 5, "hello world", 11);
    memcpy(wire + 16, "\3\0\0\0\1abc", 8);
    cr_assert_eq(pipe(fds), 0);
    t = (struct trickle){fds[1], wire, 24};
    pthread_create(&th, NULL, trickle_writer, &t);
    buf_init(&b, 1024);
    cr_assert_eq(frame_read(fds[0], &type, &b, 1024, &eof), ERR_OK);
    cr_assert_eq(type, FRAME_PAGE);
    cr_assert_eq(b.len, 11);
    cr_assert_str_eq(b.data, "hello world");
    cr_assert_eq(frame_read(fds[0], &type, &b, 1024, &eof), ERR_OK);
    cr_assert_eq(type, FRAME_JOB);
    cr_assert_str_eq(b.data, "abc");
    cr_assert_eq(frame_read(fds[0], &type, &b, 1024, &eof), ERR_IO);
    cr_assert(eof, "clean end after a whole frame");
    pthread_join(th, NULL);
    close(fds[0]);
    buf_release(&b);
}

Test(frame, truncated_frame_is_an_error_not_eof)
{
    static const unsigned char wire[] = {10, 0, 0, 0, FRAME_PAGE, 'a', 'b'};
    struct buf b;
    uint8_t type;
    bool eof;
    int fds[2];

    cr_assert_eq(pipe(fds), 0);
    cr_assert_eq(write(fds[1], wire, sizeof(wire)), (ssize_t)sizeof(wire));
    close(fds[1]);
    buf_init(&b, 1024);
    cr_assert_eq(frame_read(fds[0], &type, &b, 1024, &eof), ERR_IO);
    cr_assert_not(eof);
    close(fds[0]);
    buf_release(&b);
}

Test(frame, oversized_frame_is_refused_before_allocating)
{
    static const unsigned char wire[] = {0xff, 0xff, 0xff, 0x7f, FRAME_JOB};
    struct buf b;
    uint8_t type;
    bool eof;
    int fds[2];

    cr_assert_eq(pipe(fds), 0);
    cr_assert_eq(write(fds[1], wire, sizeof(wire)), (ssize_t)sizeof(wire));
    buf_init(&b, FRAME_MAX);
    cr_assert_eq(frame_read(fds[0], &type, &b, 1 << 20, &eof), ERR_TOO_LARGE);
    cr_assert_eq(b.cap, 0, "nothing was allocated");
    close(fds[0]);
    close(fds[1]);
}

Test(frame, write_and_read_a_large_frame_through_a_pipe)
{
    size_t n = 3 * 1024 * 1024;
    unsigned char *big = malloc(n);
    struct buf b;
    uint8_t type;
    bool eof;
    int fds[2], status;
    pid_t pid;

    /* 3 MB through a 64 KB pipe: frame_write must loop over short
     * writes while the reader drains. */
    cr_assert_eq(pipe(fds), 0);
    memset(big, 'z', n);
    buf_init(&b, FRAME_MAX);
    pid = fork();
    if (pid == 0) {
        close(fds[0]);
        _exit(frame_write(fds[1], FRAME_JOB, big, n) == ERR_OK ? 0 : 1);
    }
    close(fds[1]);
    cr_assert_eq(frame_read(fds[0], &type, &b, FRAME_MAX, &eof), ERR_OK);
    cr_assert_eq(b.len, n);
    cr_assert_eq(b.data[n - 1], 'z');
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert_eq(status, 0);
    close(fds[0]);
    buf_release(&b);
    free(big);
}

Test(frame, job_round_trip)
{
    /* A body may hold NULs; the decoded one is still NUL-terminated. */
    struct frame_job in = {
        "http://h/a",   NULL, "text/html; charset=x", 200, true,
        "<p>b\0dy</p>", 11};
    struct frame_job out;
    struct buf b;
    char *copy;
    size_t cut;

    buf_init(&b, 1 << 20);
    cr_assert_eq(frame_put_job(&b, &in), ERR_OK);
    cr_assert_eq(frame_get_job(b.data, b.len, &out), ERR_OK);
    cr_assert_str_eq(out.url, "http://h/a");
    cr_assert_null(out.final_url);
    cr_assert_str_eq(out.content_type, "text/html; charset=x");
    cr_assert_eq(out.status, 200);
    cr_assert(out.want_hash);
    cr_assert_eq(out.len, 11);
    cr_assert_eq(memcmp(out.body, "<p>b\0dy</p>", 11), 0);
    cr_assert_eq(out.body[11], '\0');
    /* Decoding reads the payload where it lies: nothing written to it. */
    copy = malloc(b.len);
    memcpy(copy, b.data, b.len);
    cr_assert_eq(frame_get_job(copy, b.len, &out), ERR_OK);
    cr_assert_eq(memcmp(copy, b.data, b.len), 0);
    for (cut = 0; cut < b.len; cut++)
        cr_assert_eq(frame_get_job(copy, cut, &out), ERR_INVALID, "cut %zu",
                     cut);
    /* A string whose NUL is missing is malformed. */
    copy[4 + 10] = 'x';
    cr_assert_eq(frame_get_job(copy, b.len, &out), ERR_INVALID);
    free(copy);
    buf_release(&b);
}

/* A fixed buffer (a worker's shared area) takes a job that fits and
 * refuses one that does not, never writing past its memory. */
/* A job payload is exactly its fields: a byte more is malformed. */
Test(frame, trailing_bytes_after_a_job_are_refused)
{
    const struct frame_job job = {
        .url = "http://h/", .status = 200, .body = "<p>x</p>", .len = 8};
    struct frame_job got;
    struct buf b;

    buf_init(&b, 1 << 16);
    cr_assert_eq(frame_put_job(&b, &job), ERR_OK);
    cr_assert_eq(frame_get_job(b.data, b.len, &got), ERR_OK);
    cr_assert_eq(got.len, 8);
    buf_add(&b, "", 1);
    cr_assert_eq(frame_get_job(b.data, b.len, &got), ERR_INVALID);
    buf_release(&b);
}

Test(frame, job_into_a_fixed_area)
{
    struct frame_job in = {"http://h/a", NULL, NULL, 200, false, NULL, 0};
    struct frame_job out;
    char *area = malloc(4096 + 1), *body = malloc(8192);
    struct buf b;

    memset(body, 'x', 8192);
    area[4096] = 'G'; /* a guard byte just past the area */
    in.body = body;
    in.len = 4000;
    buf_init_fixed(&b, area, 4096);
    cr_assert_eq(frame_put_job(&b, &in), ERR_OK);
    cr_assert_eq(frame_get_job(area, b.len, &out), ERR_OK);
    cr_assert_eq(out.len, 4000);
    cr_assert_eq(out.body, area + b.len - 4001);
    in.len = 8192;
    buf_reset(&b);
    cr_assert_eq(frame_put_job(&b, &in), ERR_TOO_LARGE);
    cr_assert_eq(b.data, area); /* not freed, not moved */
    cr_assert_eq(b.len, 0);
    cr_assert_eq(area[4096], 'G');
    buf_release(&b); /* the caller's memory: not freed */
    free(area);
    free(body);
}

static void sample_page(struct page *pg)
{
    static struct link links[] = {{"http://h/x", true, ERR_OK},
                                  {"mailto:a@b", false, ERR_SCHEME}};
    /* Two items, fields "price" (plain) and "tags" (list): item 0 has
     * price £3 and no tags, item 1 no price and tags a, b. */
    static char *vals[] = {"£3", "a", "b"};
    static size_t off[] = {0, 1, 1, 1, 3};

    memset(pg, 0, sizeof(*pg));
    pg->title = "T";
    pg->h1 = "H1";
    pg->charset = "UTF-8";
    pg->words = 1234;
    pg->simhash = 0xfedcba9876543210ULL;
    pg->links = links;
    pg->nlinks = 2;
    pg->items = true;
    pg->nrecords = 2;
    pg->nfields = 2;
    pg->off = off;
    pg->vals = vals;
    pg->nvals = 3;
    pg->extract_error = "cut";
}

Test(frame, page_round_trip)
{
    struct frame_view view = {0};
    struct page in, out;
    char *const *v;
    struct buf b;
    const char *perr, *hash;
    bool parsed;
    size_t n;

    sample_page(&in);
    buf_init(&b, 1 << 20);
    cr_assert_eq(frame_put_page(&b, &in, NULL, "ab12"), ERR_OK);
    cr_assert_eq(
        frame_get_page(b.data, b.len, &view, &out, &parsed, &perr, &hash),
        ERR_OK);
    cr_assert(parsed);
    cr_assert_null(perr);
    cr_assert_str_eq(hash, "ab12");
    /* Strings are read where they lie. */
    cr_assert_geq(out.title, b.data);
    cr_assert_lt(out.title, b.data + b.len);
    cr_assert_str_eq(out.title, "T");
    cr_assert_null(out.description);
    cr_assert_str_eq(out.h1, "H1");
    cr_assert_eq(out.words, 1234);
    cr_assert_eq(out.simhash, 0xfedcba9876543210ULL);
    cr_assert_eq(out.nlinks, 2);
    cr_assert_str_eq(out.links[1].url, "mailto:a@b");
    cr_assert_not(out.links[1].followable);
    cr_assert_eq(out.links[1].why, ERR_SCHEME);
    cr_assert(out.items);
    cr_assert_eq(out.nrecords, 2);
    cr_assert_eq(out.nfields, 2);
    cr_assert_eq(out.nvals, 3);
    v = page_values(&out, 0, 0, &n);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(v[0], "£3");
    page_values(&out, 0, 1, &n);
    cr_assert_eq(n, 0);
    page_values(&out, 1, 0, &n);
    cr_assert_eq(n, 0);
    v = page_values(&out, 1, 1, &n);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(v[0], "a");
    cr_assert_str_eq(v[1], "b");
    cr_assert_str_eq(out.extract_error, "cut");
    buf_reset(&b);
    cr_assert_eq(frame_put_page(&b, NULL, "cannot parse", NULL), ERR_OK);
    cr_assert_eq(
        frame_get_page(b.data, b.len, &view, &out, &parsed, &perr, &hash),
        ERR_OK);
    cr_assert_not(parsed);
    cr_assert_str_eq(perr, "cannot parse");
    cr_assert_null(hash);
    buf_release(&b);
    frame_view_release(&view);
}

/* Every truncation and a sweep of corrupted bytes decode to an error or a
 * page, never a crash or an over-read (ASan checks that in test-san). */
Test(frame, malformed_payloads_are_rejected)
{
    struct frame_view view = {0};
    struct page in, out;
    struct buf b;
    const char *perr, *hash;
    char *copy;
    bool parsed;
    size_t cut, i, k, n, total;

    sample_page(&in);
    buf_init(&b, 1 << 20);
    cr_assert_eq(frame_put_page(&b, &in, NULL, "ab12"), ERR_OK);
    for (cut = 0; cut < b.len; cut++) {
        /* Exactly `cut` bytes: ASan sees any read past them. */
        copy = malloc(cut ? cut : 1);
        memcpy(copy, b.data, cut);
        cr_assert_eq(
            frame_get_page(copy, cut, &view, &out, &parsed, &perr, &hash),
            ERR_INVALID, "cut at %zu of %zu", cut, b.len);
        free(copy);
    }
    for (i = 0; i < b.len; i++) {
        copy = malloc(b.len);
        memcpy(copy, b.data, b.len);
        copy[i] = (char)0xff;
        if (frame_get_page(copy, b.len, &view, &out, &parsed, &perr, &hash) ==
            ERR_OK) {
            /* Whatever decoded is made of C strings inside the payload. */
            total = (perr ? strlen(perr) : 0) + (hash ? strlen(hash) : 0);
            for (k = 0; parsed && k < out.nlinks; k++)
                total += strlen(out.links[k].url);
            for (k = 0; parsed && k < out.nrecords * out.nfields; k++) {
                char *const *v =
                    page_values(&out, k / out.nfields, k % out.nfields, &n);
                while (n--)
                    total += strlen(v[n]);
            }
            cr_assert_leq(total, b.len);
        }
        free(copy);
    }
    buf_release(&b);
    frame_view_release(&view);
}

/* A shared-area frame's length is trusted only within the area. */
Test(frame, shm_length_is_checked_against_the_area)
{
    struct buf in;
    uint64_t n;
    size_t len = 7;

    buf_init(&in, 64);
    n = 4096;
    buf_add(&in, &n, sizeof(n));
    cr_assert(frame_shm_len(&in, 4096, &len));
    cr_assert_eq(len, 4096);
    len = 7;
    cr_assert_not(frame_shm_len(&in, 4095, &len), "one byte past the area");
    cr_assert_not(frame_shm_len(&in, 0, &len), "no area at all");
    cr_assert_eq(len, 7, "untouched when refused");
    buf_reset(&in);
    n = UINT64_MAX;
    buf_add(&in, &n, sizeof(n));
    cr_assert_not(frame_shm_len(&in, 4096, &len));
    buf_reset(&in);
    n = 10;
    buf_add(&in, &n, 4);
    cr_assert_not(frame_shm_len(&in, 4096, &len), "a short payload");
    buf_release(&in);
}

/* The extract spec a spawned fork server receives: every field, NULLs
 * kept, and any malformed payload refused. */
Test(frame, spec_round_trip)
{
    static const struct field_spec f[] = {
        {.name = "price", .xpath = "//p", .selector = "p.price"},
        {.name = "tags", .xpath = "//a/text()", .list = true}};
    static const struct follow_spec fo[] = {
        {.xpath = "//a[@rel='next']", .selector = "a[rel=next]"},
        {.xpath = "//link/@href"}};
    const struct rule_spec rules[] = {
        {.spec = {.item_xpath = "//li",
                  .item_selector = "li",
                  .fields = f,
                  .nfields = 2}},
        {.name = "list", .pattern = "/c/", .follow = fo, .nfollow = 2},
        {.name = "cart",
         .pattern = "/cart",
         .no_follow = true,
         .spec = {.fields = f + 1, .nfields = 1}}};
    const struct spider spider = {rules, 3};
    struct spider got;
    struct buf out;
    size_t cut;

    buf_init(&out, 1 << 16);
    cr_assert_eq(frame_put_spec(&out, &spider), ERR_OK);
    cr_assert_eq(frame_get_spec(out.data, out.len, &got), ERR_OK);
    cr_assert_eq(got.nrules, 3);
    cr_assert_null(got.rules[0].name);
    cr_assert_null(got.rules[0].pattern);
    cr_assert_str_eq(got.rules[0].spec.item_xpath, "//li");
    cr_assert_str_eq(got.rules[0].spec.item_selector, "li");
    cr_assert_eq(got.rules[0].spec.nfields, 2);
    cr_assert_str_eq(got.rules[0].spec.fields[0].name, "price");
    cr_assert_str_eq(got.rules[0].spec.fields[0].xpath, "//p");
    cr_assert_str_eq(got.rules[0].spec.fields[0].selector, "p.price");
    cr_assert_not(got.rules[0].spec.fields[0].list);
    cr_assert_str_eq(got.rules[0].spec.fields[1].xpath, "//a/text()");
    cr_assert_null(got.rules[0].spec.fields[1].selector);
    cr_assert(got.rules[0].spec.fields[1].list);
    cr_assert_str_eq(got.rules[1].name, "list");
    cr_assert_str_eq(got.rules[1].pattern, "/c/");
    cr_assert_eq(got.rules[1].nfollow, 2);
    cr_assert_str_eq(got.rules[1].follow[0].xpath, "//a[@rel='next']");
    cr_assert_str_eq(got.rules[1].follow[0].selector, "a[rel=next]");
    cr_assert_null(got.rules[1].follow[1].selector);
    cr_assert_not(got.rules[1].no_follow);
    cr_assert_str_eq(got.rules[2].name, "cart");
    cr_assert(got.rules[2].no_follow);
    cr_assert_str_eq(got.rules[2].spec.fields[0].name, "tags");
    frame_spider_release(&got);
    for (cut = 0; cut < out.len; cut++) {
        cr_assert_eq(frame_get_spec(out.data, cut, &got), ERR_INVALID,
                     "cut at %zu", cut);
        cr_assert_null(got.rules);
    }
    buf_reset(&out);
    cr_assert_eq(frame_put_spec(&out, NULL), ERR_OK);
    cr_assert_eq(frame_get_spec(out.data, out.len, &got), ERR_OK);
    cr_assert_eq(got.nrules, 0);
    cr_assert_null(got.rules);
    buf_release(&out);
}

/* A held response (crawl.c's pages waiting for their depth): every
 * figure and string comes back, a body with NULs in it whole, and what
 * follows is left to the caller; any cut is malformed. */
Test(frame, held_response_round_trip)
{
    static const char body[] = "<p>a\0b</p>";
    struct frame_held in = {.status = 404,
                            .len = sizeof(body) - 1,
                            .fetch_ms = 12,
                            .err = 3,
                            .error = "HTTP 404 Not Found",
                            .final_url = "http://h/x",
                            .content_type = NULL,
                            .etag = "\"e1\"",
                            .last_modified = NULL,
                            .headers = "HTTP/1.1 404 Not Found\r\n",
                            .body_hash = "abc",
                            .body = body};
    struct frame_held out, nobody;
    struct buf b;
    size_t used, i;

    buf_init(&b, 1 << 20);
    cr_assert_eq(frame_put_held(&b, &in), ERR_OK);
    cr_assert_eq(buf_add(&b, "tail", 4), ERR_OK);
    cr_assert_eq(frame_get_held(b.data, b.len, &out, &used), ERR_OK);
    cr_assert_eq(used, b.len - 4);
    cr_assert_eq(out.status, 404);
    cr_assert_eq(out.len, sizeof(body) - 1);
    cr_assert_eq(out.fetch_ms, 12);
    cr_assert_eq(out.err, 3);
    cr_assert_str_eq(out.error, "HTTP 404 Not Found");
    cr_assert_str_eq(out.final_url, "http://h/x");
    cr_assert_null(out.content_type);
    cr_assert_str_eq(out.etag, "\"e1\"");
    cr_assert_null(out.last_modified);
    cr_assert_str_eq(out.headers, "HTTP/1.1 404 Not Found\r\n");
    cr_assert_str_eq(out.body_hash, "abc");
    cr_assert_eq(memcmp(out.body, body, sizeof(body) - 1), 0);
    /* Every cut short of the whole is refused, never read past. */
    for (i = 0; i < used; i++)
        cr_assert_eq(frame_get_held(b.data, i, &out, &used), ERR_INVALID,
                     "cut at %zu", i);
    /* A body whose length is not the response's is malformed. */
    {
        char *bad = malloc(used);
        cr_assert_not_null(bad);
        memcpy(bad, b.data, used);
        bad[8] ^= 1; /* the response's length, a u64 after the status */
        cr_assert_eq(frame_get_held(bad, used, &out, &i), ERR_INVALID);
        free(bad);
    }
    /* Without a kept body, the length is still the response's. */
    buf_reset(&b);
    in.body = NULL;
    cr_assert_eq(frame_put_held(&b, &in), ERR_OK);
    cr_assert_eq(frame_get_held(b.data, b.len, &nobody, &used), ERR_OK);
    cr_assert_null(nobody.body);
    cr_assert_eq(nobody.len, sizeof(body) - 1);
    buf_release(&b);
}
