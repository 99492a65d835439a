/*
 * argfile.c - options from a file, split as a shell would not (see
 * argfile.h): only double quotes and their backslash escapes.
 */
#include "scrape/argfile.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scrape/buf.h"

/* Appends the argument in `cur` (line `line`) to `out`. */
static enum err push(struct argfile *out, struct buf *cur, int line)
{
    char **args = realloc(out->args, sizeof(*args) * ((size_t)out->n + 1));
    int *lines;
    char *s;

    if (!args)
        return ERR_NOMEM;
    out->args = args;
    lines = realloc(out->lines, sizeof(*lines) * ((size_t)out->n + 1));
    if (!lines)
        return ERR_NOMEM;
    out->lines = lines;
    if (!(s = malloc(cur->len + 1)))
        return ERR_NOMEM;
    memcpy(s, cur->data ? cur->data : "", cur->len);
    s[cur->len] = '\0';
    out->args[out->n] = s;
    out->lines[out->n] = line;
    out->n++;
    buf_reset(cur);
    return ERR_OK;
}

/* The character a backslash escape inside quotes stands for. */
static char unescape(char c)
{
    switch (c) {
    case 't':
        return '\t';
    case 'n':
        return '\n';
    case 'r':
        return '\r';
    default:
        return c; /* \" \\ and anything else: the character itself */
    }
}

/* Splits one line (no newline in it) into arguments. */
static enum err split_line(const char *p, const char *end, int line,
                           struct argfile *out, struct buf *cur, char *why,
                           size_t n)
{
    bool in_arg = false, quoted = false;
    enum err e = ERR_OK;

    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    if (p == end || *p == '#')
        return ERR_OK;
    for (; p < end && !e; p++) {
        char c = *p;
        if (quoted) {
            if (c == '"')
                quoted = false;
            else if (c == '\\' && p + 1 < end)
                e = buf_add(cur, &(char){unescape(*++p)}, 1);
            else
                e = buf_add(cur, &c, 1);
        } else if (c == ' ' || c == '\t') {
            if (in_arg)
                e = push(out, cur, line);
            in_arg = false;
        } else {
            in_arg = true;
            if (c == '"')
                quoted = true;
            else
                e = buf_add(cur, &c, 1);
        }
    }
    if (e)
        return e == ERR_TOO_LARGE ? ERR_NOMEM : e;
    if (quoted) {
        snprintf(why, n, "%d: a double quote is not closed on its line", line);
        return ERR_INVALID;
    }
    return in_arg ? push(out, cur, line) : ERR_OK;
}

enum err argfile_parse(const char *text, size_t len, struct argfile *out,
                       char *why, size_t n)
{
    const char *p = text, *end = text + len;
    struct buf cur;
    enum err e = ERR_OK;
    int line = 0;

    memset(out, 0, sizeof(*out));
    why[0] = '\0';
    if (memchr(text, '\0', len)) {
        snprintf(why, n, "1: a NUL byte: not a text file");
        return ERR_INVALID;
    }
    buf_init(&cur, ARGFILE_MAX_BYTES);
    while (p < end && !e) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end;
        line++;
        /* CRLF files: the CR is not part of the last argument. */
        e = split_line(p, eol > p && eol[-1] == '\r' ? eol - 1 : eol, line, out,
                       &cur, why, n);
        p = nl ? nl + 1 : end;
    }
    buf_release(&cur);
    if (e)
        argfile_release(out);
    return e;
}

enum err argfile_read(const char *path, struct argfile *out, char *why,
                      size_t n)
{
    FILE *f = fopen(path, "rb");
    struct buf text;
    char chunk[8192];
    size_t got;
    enum err e = ERR_OK;

    memset(out, 0, sizeof(*out));
    if (!f)
        return ERR_IO;
    buf_init(&text, ARGFILE_MAX_BYTES);
    while (!e && (got = fread(chunk, 1, sizeof(chunk), f)) > 0)
        e = buf_add(&text, chunk, got);
    if (!e && ferror(f)) {
        e = ERR_IO;
        errno = EIO;
    }
    fclose(f);
    if (!e)
        e = argfile_parse(text.data ? text.data : "", text.len, out, why, n);
    buf_release(&text);
    return e;
}

void argfile_release(struct argfile *a)
{
    int i;

    for (i = 0; i < a->n; i++)
        free(a->args[i]);
    free(a->args);
    free(a->lines);
    memset(a, 0, sizeof(*a));
}
