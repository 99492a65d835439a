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
    struct frame_job in = {"http://h/a", NULL,          "text/html; charset=x",
                           200,          "<p>body</p>", 11};
    struct frame_job out;
    struct buf b;

    buf_init(&b, 1 << 20);
    cr_assert_eq(frame_put_job(&b, &in), ERR_OK);
    cr_assert_eq(frame_get_job(b.data, b.len, &out), ERR_OK);
    cr_assert_str_eq(out.url, "http://h/a");
    cr_assert_null(out.final_url);
    cr_assert_str_eq(out.content_type, "text/html; charset=x");
    cr_assert_eq(out.status, 200);
    cr_assert_eq(out.len, 11);
    cr_assert_eq(memcmp(out.body, "<p>body</p>", 11), 0);
    buf_release(&b);
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
    struct page in, out;
    char *const *v;
    struct buf b;
    char *perr;
    bool parsed;
    size_t n;

    sample_page(&in);
    buf_init(&b, 1 << 20);
    cr_assert_eq(frame_put_page(&b, &in, NULL), ERR_OK);
    cr_assert_eq(frame_get_page(b.data, b.len, &out, &parsed, &perr), ERR_OK);
    cr_assert(parsed);
    cr_assert_null(perr);
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
    page_release(&out);
    buf_reset(&b);
    cr_assert_eq(frame_put_page(&b, NULL, "cannot parse"), ERR_OK);
    cr_assert_eq(frame_get_page(b.data, b.len, &out, &parsed, &perr), ERR_OK);
    cr_assert_not(parsed);
    cr_assert_str_eq(perr, "cannot parse");
    free(perr);
    buf_release(&b);
}

/* Every truncation and a sweep of corrupted bytes decode to an error or a
 * page, never a crash or an over-read (ASan checks that in test-san). */
Test(frame, malformed_payloads_are_rejected)
{
    struct page in, out;
    struct buf b;
    char *perr, *copy;
    bool parsed;
    size_t cut, i;

    sample_page(&in);
    buf_init(&b, 1 << 20);
    cr_assert_eq(frame_put_page(&b, &in, NULL), ERR_OK);
    for (cut = 0; cut < b.len; cut++) {
        copy = malloc(cut + 1);
        memcpy(copy, b.data, cut);
        cr_assert_eq(frame_get_page(copy, cut, &out, &parsed, &perr),
                     ERR_INVALID, "cut at %zu of %zu", cut, b.len);
        free(copy);
    }
    for (i = 0; i < b.len; i++) {
        copy = malloc(b.len);
        memcpy(copy, b.data, b.len);
        copy[i] = (char)0xff;
        if (frame_get_page(copy, b.len, &out, &parsed, &perr) == ERR_OK) {
            page_release(&out);
            free(perr);
        }
        free(copy);
    }
    buf_release(&b);
}
