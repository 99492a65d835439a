/*
 * seeds.c - the seeds file reader (see seeds.h).
 */
#include "scrape/seeds.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "scrape/url.h"

/* How much of a bad line is quoted back in its message. */
#define SEEDS_QUOTE_MAX 60

/* Prints a bad line's message with a short, printable quote of it. */
static void report(FILE *diag, const char *name, size_t lineno,
                   const char *reason, const char *line, size_t n)
{
    char quote[SEEDS_QUOTE_MAX + 4];
    size_t i, q = 0;

    for (i = 0; i < n && q < SEEDS_QUOTE_MAX; i++) {
        unsigned char c = (unsigned char)line[i];
        quote[q++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    if (i < n) {
        memcpy(quote + q, "...", 3);
        q += 3;
    }
    quote[q] = '\0';
    fprintf(diag, "%s:%zu: %s: '%s'\n", name, lineno, reason, quote);
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' ||
           c == '\v';
}

static enum err push(struct seeds *s, char *canon);

/* Handles one line; adds its URL to `out` or reports it. */
static enum err take_line(struct seeds *out, char *line, size_t n,
                          const char *name, size_t lineno, FILE *diag)
{
    const char *reason = NULL;
    char *canon = NULL;
    enum err e;

    while (n && is_blank(line[n - 1]))
        n--;
    while (n && is_blank(*line)) {
        line++;
        n--;
    }
    if (!n || line[0] == '#')
        return ERR_OK;
    if (memchr(line, '\0', n)) {
        reason = "line contains a NUL byte";
    } else if (n > URL_MAX) {
        reason = "line too long for a URL";
    } else {
        line[n] = '\0';
        e = url_canon(line, &canon);
        if (e == ERR_NOMEM)
            return e;
        if (e == ERR_SCHEME)
            reason = "not an http or https URL";
        else if (e)
            reason = "malformed URL";
    }
    if (reason) {
        report(diag, name, lineno, reason, line, n);
        out->bad++;
        return ERR_OK;
    }
    return push(out, canon);
}

enum err seeds_read_stream(FILE *in, const char *name, struct seeds *out,
                           FILE *diag)
{
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    ssize_t n;
    enum err e = ERR_OK;

    memset(out, 0, sizeof(*out));
    errno = 0;
    while ((n = getline(&line, &cap, in)) != -1) {
        if ((e = take_line(out, line, (size_t)n, name, ++lineno, diag)))
            break;
    }
    if (!e && ferror(in))
        e = ERR_IO;
    free(line);
    return e;
}

enum err seeds_read(const char *path, struct seeds *out, FILE *diag)
{
    FILE *in;
    enum err e;

    memset(out, 0, sizeof(*out));
    if (!strcmp(path, "-"))
        return seeds_read_stream(stdin, "<stdin>", out, diag);
    in = fopen(path, "r");
    if (!in)
        return ERR_IO;
    e = seeds_read_stream(in, path, out, diag);
    fclose(in);
    return e;
}

/* Appends canonical `canon` (taken). */
static enum err push(struct seeds *s, char *canon)
{
    char **grown = realloc(s->urls, (s->n + 1) * sizeof(*grown));

    if (!grown) {
        free(canon);
        return ERR_NOMEM;
    }
    s->urls = grown;
    s->urls[s->n++] = canon;
    return ERR_OK;
}

enum err seeds_add_url(struct seeds *s, const char *url)
{
    char *canon = NULL;
    enum err e;

    if (strlen(url) > URL_MAX)
        return ERR_BAD_URL;
    if ((e = url_canon(url, &canon)))
        return e;
    return push(s, canon);
}

enum err seeds_take(struct seeds *to, struct seeds *from)
{
    enum err e = ERR_OK;
    size_t i;

    for (i = 0; i < from->n; i++) {
        if (!e)
            e = push(to, from->urls[i]);
        else
            free(from->urls[i]);
    }
    free(from->urls);
    memset(from, 0, sizeof(*from));
    return e;
}

void seeds_release(struct seeds *s)
{
    size_t i;

    for (i = 0; i < s->n; i++)
        free(s->urls[i]);
    free(s->urls);
    memset(s, 0, sizeof(*s));
}
