/*
 * sitemap.c - sitemap reader (see sitemap.h).
 */
#include "scrape/sitemap.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlreader.h>
#include <zlib.h>

#include "scrape/buf.h"

/* Records the first thing wrong with the sitemap. */
static void set_error(struct sitemap *sm, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void set_error(struct sitemap *sm, const char *fmt, ...)
{
    va_list ap;

    if (sm->error[0])
        return;
    va_start(ap, fmt);
    vsnprintf(sm->error, sizeof(sm->error), fmt, ap);
    va_end(ap);
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' ||
           c == '\v';
}

/* Adds s[0..n) trimmed; false when the list is full (error set). */
static enum err add_url(struct sitemap *sm, const char *s, size_t n, bool *full)
{
    char **nv;

    while (n && is_space(*s)) {
        s++;
        n--;
    }
    while (n && is_space(s[n - 1]))
        n--;
    if (!n)
        return ERR_OK;
    if (sm->n >= SITEMAP_MAX_URLS) {
        set_error(sm, "more than %d URLs: the rest ignored", SITEMAP_MAX_URLS);
        *full = true;
        return ERR_OK;
    }
    if (!(sm->n & (sm->n - 1))) {
        nv = realloc(sm->urls, (sm->n ? sm->n * 2 : 1) * sizeof(*nv));
        if (!nv)
            return ERR_NOMEM;
        sm->urls = nv;
    }
    if (!(sm->urls[sm->n] = strndup(s, n)))
        return ERR_NOMEM;
    sm->n++;
    return ERR_OK;
}

/* Inflates a gzip body into `out`, at most `max` bytes.  False (error
 * set) when it is corrupt or larger. */
static bool gunzip(struct sitemap *sm, const char *body, size_t len, size_t max,
                   struct buf *out)
{
    z_stream z;
    int rc = Z_OK;

    memset(&z, 0, sizeof(z));
    if (inflateInit2(&z, 15 + 16) != Z_OK) {
        set_error(sm, "cannot start gzip decompression");
        return false;
    }
    z.next_in = (Bytef *)body;
    z.avail_in = (uInt)len;
    while (rc != Z_STREAM_END) {
        enum err ge = buf_grow(out, 64 * 1024);
        if (ge == ERR_TOO_LARGE) {
            set_error(sm,
                      "gzip sitemap over %zu bytes when decompressed"
                      " (--max-bytes)",
                      max);
            break;
        }
        if (ge || out->cap - out->len <= 1) {
            set_error(sm, "out of memory decompressing");
            break;
        }
        z.next_out = (Bytef *)out->data + out->len;
        z.avail_out = (uInt)(out->cap - out->len - 1);
        rc = inflate(&z, Z_NO_FLUSH);
        out->len = (size_t)((char *)z.next_out - out->data);
        out->data[out->len] = '\0';
        if (out->len > max) {
            set_error(sm,
                      "gzip sitemap over %zu bytes when decompressed"
                      " (--max-bytes)",
                      max);
            break;
        }
        if (rc != Z_OK && rc != Z_STREAM_END) {
            set_error(sm, "corrupt gzip data");
            break;
        }
        if (rc == Z_OK && z.avail_in == 0 && z.avail_out != 0) {
            set_error(sm, "gzip data ends early");
            break;
        }
    }
    inflateEnd(&z);
    return rc == Z_STREAM_END && !sm->error[0];
}

static void quiet(void *arg, xmlErrorPtr err)
{
    (void)arg;
    (void)err;
}

/* The reader's current element's local name is `name`. */
static bool named(xmlTextReaderPtr r, const char *name)
{
    const xmlChar *n = xmlTextReaderConstLocalName(r);

    return n && !strcmp((const char *)n, name);
}

/* Streams the XML, taking the text of every <loc> under the root. */
static enum err read_xml(struct sitemap *sm, const char *x, size_t len)
{
    xmlTextReaderPtr r;
    enum err e = ERR_OK;
    bool full = false;
    int rc = 0;

    if (len > 0x7fffffff) {
        set_error(sm, "sitemap too large");
        return ERR_OK;
    }
    r = xmlReaderForMemory(x, (int)len, NULL, NULL,
                           XML_PARSE_NONET | XML_PARSE_NOERROR |
                               XML_PARSE_NOWARNING);
    if (!r)
        return ERR_NOMEM;
    xmlTextReaderSetStructuredErrorHandler(r, quiet, NULL);
    while (!e && !full && (rc = xmlTextReaderRead(r)) == 1) {
        if (xmlTextReaderNodeType(r) != XML_READER_TYPE_ELEMENT)
            continue;
        if (xmlTextReaderDepth(r) == 0) {
            if (named(r, "urlset"))
                sm->kind = SITEMAP_URLSET;
            else if (named(r, "sitemapindex"))
                sm->kind = SITEMAP_INDEX;
            else {
                set_error(sm, "not a sitemap: the root element is <%.40s>",
                          (const char *)xmlTextReaderConstLocalName(r));
                break;
            }
        } else if (named(r, "loc") && xmlTextReaderDepth(r) == 2) {
            xmlChar *text = xmlTextReaderReadString(r);
            if (text)
                e = add_url(sm, (const char *)text, strlen((const char *)text),
                            &full);
            xmlFree(text);
        }
    }
    if (!e && !full && !sm->error[0] && rc != 0)
        set_error(sm, "malformed XML near line %d (kept the %zu URLs before)",
                  xmlTextReaderGetParserLineNumber(r), sm->n);
    xmlFreeTextReader(r);
    return e;
}

/* One URL per line (the protocol's text format). */
static enum err read_text(struct sitemap *sm, const char *s, size_t len)
{
    const char *end = s + len;
    bool full = false;
    enum err e = ERR_OK;

    sm->kind = SITEMAP_TEXT;
    while (s < end && !e && !full) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        size_t n = nl ? (size_t)(nl - s) : (size_t)(end - s);
        if (memchr(s, '\0', n)) {
            set_error(sm, "binary data, not a sitemap");
            break;
        }
        e = add_url(sm, s, n, &full);
        s += n + 1;
    }
    return e;
}

enum err sitemap_parse(const char *body, size_t len, size_t max_bytes,
                       struct sitemap *out)
{
    const unsigned char *b = (const unsigned char *)body;
    struct buf plain;
    size_t i = 0;
    enum err e = ERR_OK;

    memset(out, 0, sizeof(*out));
    buf_init(&plain, max_bytes + 64 * 1024 + 1);
    if (len >= 2 && b[0] == 0x1f && b[1] == 0x8b) {
        if (!gunzip(out, body, len, max_bytes, &plain)) {
            buf_release(&plain);
            return ERR_OK;
        }
        body = plain.data;
        len = plain.len;
    }
    if (len >= 3 && !memcmp(body, "\xEF\xBB\xBF", 3))
        i = 3;
    while (i < len && is_space(body[i]))
        i++;
    if (i == len)
        snprintf(out->error, sizeof(out->error), "empty sitemap");
    else if (body[i] == '<')
        e = read_xml(out, body + i, len - i);
    else
        e = read_text(out, body + i, len - i);
    buf_release(&plain);
    return e;
}

const char *sitemap_kind_name(enum sitemap_kind kind)
{
    switch (kind) {
    case SITEMAP_URLSET:
        return "urlset";
    case SITEMAP_INDEX:
        return "index";
    case SITEMAP_TEXT:
        return "text";
    default:
        return NULL;
    }
}

void sitemap_release(struct sitemap *sm)
{
    size_t i;

    for (i = 0; i < sm->n; i++)
        free(sm->urls[i]);
    free(sm->urls);
    memset(sm, 0, sizeof(*sm));
}
