/*
 * charset.c - which encoding a page is in, and its bytes as UTF-8 (see
 * charset.h).
 */
#include "scrape/charset.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/encoding.h>
#include <uchardet.h>

#include "scrape/utf8.h"

/* How far into the body a <meta charset> is looked for (HTML5: 1024). */
#define META_SCAN_BYTES 1024
/* Bytes of an undeclared page the charset detector looks at. */
#define DETECT_BYTES (64 * 1024)

/* Copies a charset label starting at s (after "charset=") into out. */
static bool copy_label(const char *s, const char *end, char *out)
{
    size_t n = 0;

    while (s < end && (*s == ' ' || *s == '"' || *s == '\''))
        s++;
    while (s < end && n < CHARSET_MAX &&
           (strchr("-_.:", *s) || (*s >= '0' && *s <= '9') ||
            (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
        out[n++] = *s++;
    out[n] = '\0';
    return n > 0;
}

/* Finds "charset=" case-insensitively in s[0..n); returns the position
 * just after "=", or NULL. */
static const char *find_charset_eq(const char *s, size_t n)
{
    size_t i, j;

    for (i = 0; i + 7 <= n; i++) {
        if (strncasecmp(s + i, "charset", 7))
            continue;
        for (j = i + 7; j < n && s[j] == ' '; j++)
            ;
        if (j < n && s[j] == '=')
            return s + j + 1;
    }
    return NULL;
}

static bool charset_from_ctype(const char *ct, char *out)
{
    const char *eq;

    if (!ct)
        return false;
    eq = find_charset_eq(ct, strlen(ct));
    return eq && copy_label(eq, ct + strlen(ct), out);
}

/* The HTML5 prescan, simplified: a charset inside a <meta ...> tag within
 * the first META_SCAN_BYTES bytes. */
static bool charset_from_meta(const char *body, size_t len, char *out)
{
    size_t n = len < META_SCAN_BYTES ? len : META_SCAN_BYTES, i;

    for (i = 0; i + 5 < n; i++) {
        const char *tag = body + i, *end, *eq;
        if (tag[0] != '<' || strncasecmp(tag + 1, "meta", 4))
            continue;
        end = memchr(tag, '>', n - i);
        if (!end)
            return false;
        eq = find_charset_eq(tag, (size_t)(end - tag));
        if (eq && copy_label(eq, end, out))
            return true;
    }
    return false;
}

/* True when libxml2 (built-in or iconv) can decode `name`. */
static bool charset_known(const char *name)
{
    xmlCharEncodingHandlerPtr h = xmlFindCharEncodingHandler(name);

    if (!h)
        return false;
    xmlCharEncCloseFunc(h);
    return true;
}

/* Labels browsers decode as windows-1252, a superset (WHATWG Encoding). */
static const char *whatwg_alias(const char *name)
{
    static const char *const latin1[] = {"iso-8859-1", "iso8859-1", "latin1",
                                         "l1",         "us-ascii",  "ascii",
                                         "cp1252",     "x-cp1252"};
    size_t i;

    for (i = 0; i < sizeof(latin1) / sizeof(latin1[0]); i++)
        if (!strcasecmp(name, latin1[i]))
            return "windows-1252";
    return name;
}

static void set_label(char *out, const char *label)
{
    snprintf(out, CHARSET_MAX + 1, "%s", label);
}

/* Guesses the charset of undeclared, non-UTF-8 bytes with uchardet (the
 * statistical detector Firefox's descends from), from their first
 * DETECT_BYTES.  False when it has no usable answer. */
static bool detect_charset(const char *body, size_t len, char *out)
{
    uchardet_t ud = uchardet_new();
    const char *name;
    bool ok = false;

    if (!ud)
        return false;
    if (uchardet_handle_data(ud, body,
                             len < DETECT_BYTES ? len : DETECT_BYTES) == 0) {
        uchardet_data_end(ud);
        name = uchardet_get_charset(ud);
        if (name && *name && strlen(name) <= CHARSET_MAX &&
            charset_known(whatwg_alias(name))) {
            set_label(out, whatwg_alias(name));
            ok = true;
        }
    }
    uchardet_delete(ud);
    return ok;
}

void charset_pick(const char *ct, const char *body, size_t len, char *out)
{
    const unsigned char *b = (const unsigned char *)body;
    char label[CHARSET_MAX + 1];

    if ((charset_from_ctype(ct, label) ||
         charset_from_meta(body, len, label)) &&
        charset_known(whatwg_alias(label))) {
        set_label(out, whatwg_alias(label));
        return;
    }
    if (len >= 2 && b[0] == 0xFF && b[1] == 0xFE)
        set_label(out, "UTF-16LE");
    else if (len >= 2 && b[0] == 0xFE && b[1] == 0xFF)
        set_label(out, "UTF-16BE");
    else if (utf8_valid(body, len))
        set_label(out, "UTF-8");
    else if (!detect_charset(body, len, out))
        set_label(out, "windows-1252");
}

enum err charset_to_utf8(const char *charset, const char **body, size_t *len,
                         char **decoded)
{
    *decoded = NULL;
    if (!strcasecmp(charset, "UTF-8") || !strcasecmp(charset, "utf8")) {
        if (utf8_valid(*body, *len))
            return ERR_OK;
        *decoded = utf8_clean(*body, *len, false);
        if (*decoded)
            *len = strlen(*decoded);
    } else if (!strcasecmp(charset, "windows-1252")) {
        /* Not iconv: it refuses 1252's five undefined bytes. */
        *decoded = utf8_from_cp1252(*body, *len, len);
    } else {
        enum err e = utf8_convert(charset, *body, *len, decoded, len);
        if (e == ERR_INVALID) {
            /* libxml2 knew the label, iconv does not: read it as 1252. */
            *decoded = utf8_from_cp1252(*body, *len, len);
        } else if (e) {
            return e;
        }
    }
    if (!*decoded)
        return ERR_NOMEM;
    *body = *decoded;
    return ERR_OK;
}
