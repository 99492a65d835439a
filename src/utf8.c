/*
 * utf8.c - UTF-8 validation and repair (see utf8.h).
 */
#include "scrape/utf8.h"

#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Length of the well-formed sequence at s (n bytes left), or 0. */
static size_t seq_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len, i;
    unsigned long cp;

    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

bool utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, k;

    while (i < n) {
        /* Fast path: 8 ASCII bytes at a time (most of most pages). */
        if (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, p + i, 8);
            if (!(w & 0x8080808080808080ULL)) {
                i += 8;
                continue;
            }
        }
        k = seq_len(p + i, n - i);
        if (!k)
            return false;
        i += k;
    }
    return true;
}

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
           c == '\v';
}

char *utf8_clean(const char *s, size_t n, bool collapse)
{
    const unsigned char *p = (const unsigned char *)s;
    /* Worst case: every byte becomes the 3-byte U+FFFD. */
    char *out = malloc(n * 3 + 1), *o = out;
    bool pending_space = false;
    size_t i = 0, k;

    if (!out)
        return NULL;
    while (i < n) {
        if (collapse && is_space(p[i])) {
            pending_space = o != out;
            i++;
            continue;
        }
        if (pending_space) {
            *o++ = ' ';
            pending_space = false;
        }
        /* ASCII, the usual byte, needs no sequence check. */
        if (p[i] && p[i] < 0x80) {
            *o++ = (char)p[i++];
            continue;
        }
        k = p[i] ? seq_len(p + i, n - i) : 0;
        if (k) {
            memcpy(o, p + i, k);
            o += k;
            i += k;
        } else {
            memcpy(o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        }
    }
    *o = '\0';
    return out;
}

/* Unicode code points of windows-1252 bytes 0x80..0x9F. */
static const unsigned short cp1252_high[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
    0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

char *utf8_from_cp1252(const char *s, size_t n, size_t *out_len)
{
    char *out = malloc(n * 3 + 1), *o = out;
    size_t i;

    if (!out)
        return NULL;
    for (i = 0; i < n; i++) {
        unsigned c = (unsigned char)s[i];
        if (c >= 0x80 && c < 0xA0)
            c = cp1252_high[c - 0x80];
        if (c < 0x80) {
            *o++ = (char)c;
        } else if (c < 0x800) {
            *o++ = (char)(0xC0 | (c >> 6));
            *o++ = (char)(0x80 | (c & 0x3F));
        } else {
            *o++ = (char)(0xE0 | (c >> 12));
            *o++ = (char)(0x80 | ((c >> 6) & 0x3F));
            *o++ = (char)(0x80 | (c & 0x3F));
        }
    }
    *o = '\0';
    *out_len = (size_t)(o - out);
    return out;
}

enum err utf8_convert(const char *charset, const char *s, size_t n, char **out,
                      size_t *out_len)
{
    /* No charset needs more than 4 UTF-8 bytes per input byte, and a
     * replaced byte (1 in) becomes 3 out. */
    size_t cap = n * 4 + 4, in_left = n, out_left = cap;
    char *in = (char *)s, *buf, *o;
    iconv_t cd = iconv_open("UTF-8", charset);

    *out = NULL;
    if (cd == (iconv_t)-1)
        return ERR_INVALID;
    buf = malloc(cap + 1);
    if (!buf) {
        iconv_close(cd);
        return ERR_NOMEM;
    }
    o = buf;
    while (in_left > 0) {
        if (iconv(cd, &in, &in_left, &o, &out_left) != (size_t)-1)
            break;
        if (errno != EILSEQ && errno != EINVAL)
            break; /* E2BIG cannot happen with this cap */
        memcpy(o, "\xEF\xBF\xBD", 3);
        o += 3;
        out_left -= 3;
        in++;
        in_left--;
        iconv(cd, NULL, NULL, NULL, NULL); /* reset shift state */
    }
    iconv_close(cd);
    *o = '\0';
    *out = buf;
    *out_len = (size_t)(o - buf);
    return ERR_OK;
}
