/*
 * filter.c - URL include/exclude patterns on PCRE2 (see filter.h).
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "scrape/filter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcre2.h>

struct url_filter {
    pcre2_code **include;
    size_t ninclude;
    pcre2_code **exclude;
    size_t nexclude;
    pcre2_match_data *md; /* shared by every match: not thread-safe */
    char *subject;        /* the URL being matched, zero-padded */
    size_t cap;
};

/* PCRE2's JIT reads whole vectors, past the end of the subject; copying
 * the URL into zeroed room keeps those reads on initialised memory
 * (valgrind would report them otherwise). */
#define FILTER_PAD 64

/* Compiles `pat`; on error writes the one-line reason to `why`. */
static pcre2_code *compile(const char *option, const char *pat, char *why,
                           size_t n)
{
    PCRE2_UCHAR msg[256];
    PCRE2_SIZE offset = 0;
    pcre2_code *code;
    int rc;

    code = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, 0, &rc,
                         &offset, NULL);
    if (!code) {
        pcre2_get_error_message(rc, msg, sizeof(msg));
        snprintf(why, n, "%s '%s': %s at position %zu", option, pat,
                 (const char *)msg, (size_t)offset + 1);
        return NULL;
    }
    /* Without the JIT (not built for this CPU) matching still works,
     * only slower. */
    pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
    return code;
}

/* Compiles `npats` patterns into *out; pattern i is named `option` in
 * errors, or labels[i] when there are labels. */
static enum err compile_all(const char *option, const char *const *labels,
                            const char *const *pats, size_t npats,
                            pcre2_code ***out, char *why, size_t n)
{
    size_t i;

    if (!npats)
        return ERR_OK;
    if (!(*out = calloc(npats, sizeof(**out))))
        return ERR_NOMEM;
    for (i = 0; i < npats; i++)
        if (!((*out)[i] =
                  compile(labels ? labels[i] : option, pats[i], why, n)))
            return ERR_INVALID;
    return ERR_OK;
}

/* A filter of `ninclude` include patterns (labelled, or named --include)
 * and the exclude patterns. */
static enum err filter_new(const char *const *include,
                           const char *const *labels, size_t ninclude,
                           const char *const *exclude, size_t nexclude,
                           struct url_filter **out, char *why, size_t n)
{
    struct url_filter *f;
    enum err e;

    *out = NULL;
    if (n)
        why[0] = '\0';
    if (!ninclude && !nexclude)
        return ERR_OK;
    if (!(f = calloc(1, sizeof(*f))))
        return ERR_NOMEM;
    f->ninclude = ninclude;
    f->nexclude = nexclude;
    if ((e = compile_all("--include", labels, include, ninclude, &f->include,
                         why, n)) ||
        (e = compile_all("--exclude", NULL, exclude, nexclude, &f->exclude, why,
                         n))) {
        url_filter_free(f);
        return e;
    }
    if (!(f->md = pcre2_match_data_create(1, NULL))) {
        url_filter_free(f);
        return ERR_NOMEM;
    }
    *out = f;
    return ERR_OK;
}

enum err url_filter_new(const char *const *include, size_t ninclude,
                        const char *const *exclude, size_t nexclude,
                        struct url_filter **out, char *why, size_t n)
{
    return filter_new(include, NULL, ninclude, exclude, nexclude, out, why, n);
}

enum err url_filter_new_list(const char *const *patterns,
                             const char *const *labels, size_t n,
                             struct url_filter **out, char *why, size_t whyn)
{
    return filter_new(patterns, labels, n, NULL, 0, out, why, whyn);
}

/* The index of the first of the patterns that matches somewhere in
 * `url` (len bytes), or -1.  A match that hits PCRE2's limits (a
 * pathological pattern) counts as none. */
static long first_match(struct url_filter *f, pcre2_code **pats, size_t n,
                        const char *url, size_t len)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (pcre2_match(pats[i], (PCRE2_SPTR)url, len, 0, 0, f->md, NULL) >= 0)
            return (long)i;
    return -1;
}

/* `url` copied into zero-padded room (see FILTER_PAD), or `url` itself
 * when there is no room (out of memory: matching still works). */
static const char *padded(struct url_filter *f, const char *url, size_t len)
{
    if (len + FILTER_PAD > f->cap) {
        size_t ncap = (len + FILTER_PAD) * 2;
        char *ns = realloc(f->subject, ncap);
        if (ns) {
            f->subject = ns;
            f->cap = ncap;
        }
    }
    if (len + FILTER_PAD > f->cap)
        return url;
    memcpy(f->subject, url, len);
    memset(f->subject + len, 0, FILTER_PAD);
    return f->subject;
}

bool url_filter_allows(struct url_filter *f, const char *url)
{
    size_t len;

    if (!f)
        return true;
    len = strlen(url);
    url = padded(f, url, len);
    if (f->ninclude && first_match(f, f->include, f->ninclude, url, len) < 0)
        return false;
    return first_match(f, f->exclude, f->nexclude, url, len) < 0;
}

long url_filter_first(struct url_filter *f, const char *url)
{
    size_t len;

    if (!f)
        return -1;
    len = strlen(url);
    return first_match(f, f->include, f->ninclude, padded(f, url, len), len);
}

static void free_all(pcre2_code **pats, size_t n)
{
    size_t i;

    for (i = 0; pats && i < n; i++)
        pcre2_code_free(pats[i]);
    free(pats);
}

void url_filter_free(struct url_filter *f)
{
    if (!f)
        return;
    free_all(f->include, f->ninclude);
    free_all(f->exclude, f->nexclude);
    pcre2_match_data_free(f->md);
    free(f->subject);
    free(f);
}
