/*
 * css.c - CSS selector to XPath 1.0 (see css.h).
 *
 * A recursive-descent parser over the selector text that writes XPath as
 * it goes.  Each compound selector (type + conditions) becomes one
 * location step "axis::name[cond][cond]"; the combinator before it picks
 * the axis:
 *
 *   first     descendant-or-self::E       (relative to the context node)
 *   A B       A/descendant::B
 *   A > B     A/B
 *   A ~ B     A/following-sibling::B
 *   A + B     A/following-sibling::*[1]/self::B
 *   A, B      A | B                       (a node-set: document order)
 *
 * Conditions follow python cssselect's translations (class and ~= via
 * concat(' ', normalize-space(@a), ' '); $= via substring(), as XPath 1.0
 * has no ends-with; :nth-child via count(preceding-sibling::*) + 1).
 * Errors carry the byte offset of the token that broke the grammar.
 */
#include "scrape/css.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scrape/buf.h"
#include "scrape/utf8.h"

/* Longest selector and XPath we handle (command-line text). */
#define CSS_MAX_XPATH (64 * 1024)
/* :not() inside :not() inside ... */
#define CSS_MAX_NESTING 8

enum pseudo_element { PE_NONE, PE_TEXT, PE_ATTR };

struct parser {
    const char *s;
    size_t i;
    bool failed;
    enum err e;
    size_t err_pos;
    char *why;
    size_t nwhy;
    int nesting;
};

/* One compound selector, parsed. */
struct compound {
    struct buf type;  /* lowercased element name; "" = any */
    struct buf preds; /* "[...]" conditions */
    enum pseudo_element pe;
    struct buf attr; /* ::attr(NAME) */
};

static void fail_at(struct parser *p, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail_at(struct parser *p, size_t pos, const char *fmt, ...)
{
    va_list ap;

    if (p->failed)
        return;
    p->failed = true;
    p->e = ERR_INVALID;
    p->err_pos = pos;
    va_start(ap, fmt);
    vsnprintf(p->why, p->nwhy, fmt, ap);
    va_end(ap);
}

static void nomem(struct parser *p, enum err e)
{
    if (e && !p->failed) {
        p->failed = true;
        p->e = e == ERR_TOO_LARGE ? ERR_INVALID : e;
        p->err_pos = p->i;
        snprintf(p->why, p->nwhy, "%s",
                 e == ERR_TOO_LARGE ? "selector too long" : err_str(e));
    }
}

static void put(struct parser *p, struct buf *b, const char *s)
{
    if (!p->failed)
        nomem(p, buf_adds(b, s));
}

static char peek(const struct parser *p)
{
    return p->s[p->i];
}

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static bool skip_ws(struct parser *p)
{
    size_t start = p->i;

    while (is_ws(peek(p)))
        p->i++;
    return p->i > start;
}

/* A character that may continue an identifier (CSS nmchar, escapes
 * handled by the caller). */
static bool is_nmchar(unsigned char c)
{
    return isalnum(c) || c == '_' || c == '-' || c >= 0x80;
}

static bool is_nmstart(unsigned char c)
{
    return isalpha(c) || c == '_' || c >= 0x80;
}

/* Appends code point `cp` as UTF-8 (U+FFFD for what cannot be one). */
static void put_codepoint(struct parser *p, struct buf *b, unsigned long cp)
{
    char u[4];
    size_t n;

    /* What is not an XML character cannot appear in XPath text either. */
    if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE ||
        cp == 0xFFFF)
        cp = 0xFFFD;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | cp >> 6);
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | cp >> 12);
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | cp >> 18);
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    if (!p->failed)
        nomem(p, buf_add(b, u, n));
}

/* Reads a backslash escape (p->i at the backslash) into `b`. */
static void escape(struct parser *p, struct buf *b)
{
    unsigned long cp = 0;
    int digits = 0;
    char c;

    p->i++;
    c = peek(p);
    if (c == '\0' || c == '\n') {
        fail_at(p, p->i - 1, "a backslash must escape something");
        return;
    }
    while (digits < 6 && isxdigit((unsigned char)peek(p))) {
        c = peek(p);
        cp = cp * 16 +
             (unsigned long)(isdigit((unsigned char)c)
                                 ? c - '0'
                                 : tolower((unsigned char)c) - 'a' + 10);
        digits++;
        p->i++;
    }
    if (digits) {
        if (is_ws(peek(p)))
            p->i++; /* one whitespace ends a hex escape */
        put_codepoint(p, b, cp);
        return;
    }
    if (!p->failed)
        nomem(p, buf_add(b, &p->s[p->i], 1));
    p->i++;
}

/* Reads an identifier into `b` (reset first), ASCII-lowercased when
 * `lower`.  False, with nothing consumed, when none starts here. */
static bool ident(struct parser *p, struct buf *b, bool lower)
{
    size_t start = p->i;
    unsigned char c = (unsigned char)peek(p);

    buf_reset(b);
    if (c == '-') {
        unsigned char n = (unsigned char)p->s[p->i + 1];
        if (!(is_nmstart(n) || n == '-' || n == '\\'))
            return false;
    } else if (!is_nmstart(c) && c != '\\') {
        return false;
    }
    while (!p->failed) {
        c = (unsigned char)peek(p);
        if (c == '\\') {
            escape(p, b);
        } else if (is_nmchar(c)) {
            char ch = lower ? (char)tolower(c) : (char)c;
            nomem(p, buf_add(b, &ch, 1));
            p->i++;
        } else {
            break;
        }
    }
    return p->i > start;
}

/* Reads a quoted string (p->i at the quote) into `b`. */
static void string_lit(struct parser *p, struct buf *b)
{
    char q = peek(p);
    size_t start = p->i++;

    buf_reset(b);
    while (!p->failed) {
        char c = peek(p);
        if (c == '\0') {
            fail_at(p, start, "unterminated string");
        } else if (c == q) {
            p->i++;
            return;
        } else if (c == '\n') {
            fail_at(p, p->i, "newline inside a string");
        } else if (c == '\\') {
            if (p->s[p->i + 1] == '\n') {
                p->i += 2; /* an escaped newline continues the string */
                continue;
            }
            escape(p, b);
        } else {
            nomem(p, buf_add(b, &c, 1));
            p->i++;
        }
    }
}

/* Appends `s` as an XPath string literal.  XPath 1.0 has no escapes, so
 * a value holding both quote kinds becomes concat() of pieces. */
static void put_literal(struct parser *p, struct buf *out, const char *s)
{
    const char *q;

    if (!strchr(s, '\'')) {
        put(p, out, "'");
        put(p, out, s);
        put(p, out, "'");
        return;
    }
    if (!strchr(s, '"')) {
        put(p, out, "\"");
        put(p, out, s);
        put(p, out, "\"");
        return;
    }
    put(p, out, "concat(''");
    while (*s && !p->failed) {
        q = strchr(s, '\'');
        if (q == s) {
            put(p, out, ", \"'\"");
            s++;
            continue;
        }
        put(p, out, ", '");
        if (!p->failed)
            nomem(p, buf_add(out, s, q ? (size_t)(q - s) : strlen(s)));
        put(p, out, "'");
        s = q ? q : s + strlen(s);
    }
    put(p, out, ")");
}

/* True when `name` can be written as an XPath name test as it is. */
static bool plain_name(const char *name)
{
    const unsigned char *s = (const unsigned char *)name;

    if (!*s || !(isalpha(*s) || *s == '_'))
        return false;
    for (; *s; s++)
        if (!(isalnum(*s) || *s == '_' || *s == '-' || *s == '.'))
            return false;
    return true;
}

/* Element name test: "div", "*", or *[name()='...'] for names XPath
 * cannot spell. */
static void put_type(struct parser *p, struct buf *out, const char *type)
{
    if (!*type) {
        put(p, out, "*");
    } else if (plain_name(type)) {
        put(p, out, type);
    } else {
        put(p, out, "*[name()=");
        put_literal(p, out, type);
        put(p, out, "]");
    }
}

/* Attribute reference: "@href" or @*[name()='...']. */
static void put_attr(struct parser *p, struct buf *out, const char *name)
{
    if (plain_name(name)) {
        put(p, out, "@");
        put(p, out, name);
    } else {
        put(p, out, "@*[name()=");
        put_literal(p, out, name);
        put(p, out, "]");
    }
}

static void compound_init(struct compound *cp)
{
    buf_init(&cp->type, CSS_MAX_XPATH);
    buf_init(&cp->preds, CSS_MAX_XPATH);
    buf_init(&cp->attr, CSS_MAX_XPATH);
    cp->pe = PE_NONE;
}

static void compound_release(struct compound *cp)
{
    buf_release(&cp->type);
    buf_release(&cp->preds);
    buf_release(&cp->attr);
}

/* The whitespace-separated list in ATTR holds VALUE (.class, [a~=v]):
 * contains(concat(' ', normalize-space(ATTR), ' '), ' VALUE '), after two
 * cheaper tests that usually decide. */
static void put_token_test(struct parser *p, struct buf *out, const char *attr,
                           const char *value)
{
    struct buf padded;

    /* An empty token or one with whitespace can never be in the list. */
    if (!*value || strpbrk(value, " \t\n\r\f")) {
        put(p, out, "[false()]");
        return;
    }
    buf_init(&padded, CSS_MAX_XPATH);
    if (!p->failed)
        nomem(p, buf_addf(&padded, " %s ", value));
    /* Cheap tests first, since 'or' and 'and' stop early: the exact value
     * (the usual class="quote") accepts, a value that does not even
     * contain the token rejects, and only what is left pays for the
     * three strings the general test builds.  Measured with callgrind on
     * the quotes crawl: a fifth fewer instructions in extraction. */
    put(p, out, "[");
    put_attr(p, out, attr);
    put(p, out, " = ");
    put_literal(p, out, value);
    put(p, out, " or contains(");
    put_attr(p, out, attr);
    put(p, out, ", ");
    put_literal(p, out, value);
    put(p, out, ") and contains(concat(' ', normalize-space(");
    put_attr(p, out, attr);
    put(p, out, "), ' '), ");
    put_literal(p, out, padded.data);
    put(p, out, ")]");
    buf_release(&padded);
}

/* [a], [a=v], [a~=v], [a|=v], [a^=v], [a$=v], [a*=v] (p->i after '['). */
static void attrib(struct parser *p, struct compound *cp)
{
    struct buf name, value;
    char op[3] = {0};
    size_t op_pos;

    buf_init(&name, CSS_MAX_XPATH);
    buf_init(&value, CSS_MAX_XPATH);
    skip_ws(p);
    if (!ident(p, &name, true)) {
        fail_at(p, p->i, "expected an attribute name after '['");
        goto out;
    }
    skip_ws(p);
    op_pos = p->i;
    if (peek(p) == ']') {
        p->i++;
        put(p, &cp->preds, "[");
        put_attr(p, &cp->preds, name.data);
        put(p, &cp->preds, "]");
        goto out;
    }
    if (peek(p) == '=') {
        op[0] = '=';
        p->i++;
    } else if (peek(p) && strchr("~|^$*", peek(p)) && p->s[p->i + 1] == '=') {
        op[0] = peek(p);
        op[1] = '=';
        p->i += 2;
    } else {
        fail_at(p, op_pos,
                "expected ']' or an operator (= ~= |= ^= $= *=)"
                " in an attribute selector");
        goto out;
    }
    skip_ws(p);
    if (peek(p) == '"' || peek(p) == '\'') {
        string_lit(p, &value);
    } else if (!ident(p, &value, false)) {
        fail_at(p, p->i, "expected a value after '%s'", op);
        goto out;
    }
    skip_ws(p);
    if (p->failed)
        goto out;
    if (peek(p) != ']') {
        fail_at(p, p->i, "expected ']' to close the attribute selector");
        goto out;
    }
    p->i++;
    switch (op[0]) {
    case '=':
        put(p, &cp->preds, "[");
        put_attr(p, &cp->preds, name.data);
        put(p, &cp->preds, "=");
        put_literal(p, &cp->preds, value.data);
        put(p, &cp->preds, "]");
        break;
    case '~':
        put_token_test(p, &cp->preds, name.data, value.data);
        break;
    case '|':
        put(p, &cp->preds, "[");
        put_attr(p, &cp->preds, name.data);
        put(p, &cp->preds, "=");
        put_literal(p, &cp->preds, value.data);
        put(p, &cp->preds, " or starts-with(");
        put_attr(p, &cp->preds, name.data);
        put(p, &cp->preds, ", ");
        nomem(p, buf_adds(&value, "-"));
        put_literal(p, &cp->preds, value.data);
        put(p, &cp->preds, ")]");
        break;
    default:
        /* ^= $= *= with an empty value match nothing (Selectors 3). */
        if (!value.len) {
            put(p, &cp->preds, "[false()]");
            break;
        }
        put(p, &cp->preds,
            op[0] == '^'   ? "[starts-with("
            : op[0] == '*' ? "[contains("
                           : "[substring(");
        put_attr(p, &cp->preds, name.data);
        if (op[0] == '$') {
            put(p, &cp->preds, ", string-length(");
            put_attr(p, &cp->preds, name.data);
            put(p, &cp->preds, ") - string-length(");
            put_literal(p, &cp->preds, value.data);
            put(p, &cp->preds, ") + 1) = ");
            put_literal(p, &cp->preds, value.data);
            put(p, &cp->preds, "]");
        } else {
            put(p, &cp->preds, ", ");
            put_literal(p, &cp->preds, value.data);
            put(p, &cp->preds, ")]");
        }
    }
out:
    buf_release(&name);
    buf_release(&value);
}

/* Reads a signed decimal number at p->i; false when there is none. */
static bool number(struct parser *p, long *out)
{
    char *end;
    long v;

    if (!isdigit((unsigned char)peek(p)))
        return false;
    errno = 0;
    v = strtol(p->s + p->i, &end, 10);
    if (errno || v > INT_MAX / 2) {
        fail_at(p, p->i, "number too large");
        return false;
    }
    p->i = (size_t)(end - p->s);
    *out = v;
    return true;
}

/* Parses an+b (p->i after '('; consumes the ')'): odd, even, 3, -n+3,
 * 2n, 2n+1, +n - 1 ... */
static void nth_args(struct parser *p, long *a, long *b)
{
    size_t start;
    long sign = 1, v;
    struct buf word;

    *a = 0;
    *b = 0;
    buf_init(&word, 16);
    skip_ws(p);
    start = p->i;
    if (ident(p, &word, true) &&
        (!strcmp(word.data, "odd") || !strcmp(word.data, "even"))) {
        *a = 2;
        *b = word.data[0] == 'o';
        goto close;
    }
    p->i = start;
    if (peek(p) == '+' || peek(p) == '-') {
        sign = peek(p) == '-' ? -1 : 1;
        p->i++;
    }
    if (!number(p, &v))
        v = 1; /* "n" alone, "-n" */
    else if (tolower((unsigned char)peek(p)) != 'n') {
        *b = sign * v; /* just b */
        goto close;
    }
    if (tolower((unsigned char)peek(p)) != 'n') {
        fail_at(p, p->i, "expected an+b, odd or even");
        goto out;
    }
    p->i++;
    *a = sign * v;
    skip_ws(p);
    if (peek(p) == '+' || peek(p) == '-') {
        sign = peek(p) == '-' ? -1 : 1;
        p->i++;
        skip_ws(p);
        if (!number(p, &v)) {
            fail_at(p, p->i, "expected a number after the sign in an+b");
            goto out;
        }
        *b = sign * v;
    }
close:
    skip_ws(p);
    if (!p->failed && peek(p) != ')')
        fail_at(p, p->i, "expected ')' after an+b");
    else
        p->i++;
out:
    buf_release(&word);
}

/* Appends "[POS = b]"-style tests: POS (an XPath number expression, the
 * element's 1-based place) equals a*n + b for some n >= 0. */
static void put_nth(struct parser *p, struct buf *out, const char *pos, long a,
                    long b)
{
    char num[64];

    put(p, out, "[");
    if (a == 0) {
        put(p, out, pos);
        snprintf(num, sizeof(num), " = %ld]", b);
        put(p, out, num);
        return;
    }
    put(p, out, pos);
    snprintf(num, sizeof(num), a > 0 ? " >= %ld and (" : " <= %ld and (", b);
    put(p, out, num);
    if (a > 0) {
        put(p, out, pos);
        snprintf(num, sizeof(num), " - %ld) mod %ld = 0]", b, a);
    } else {
        snprintf(num, sizeof(num), "%ld - ", b);
        put(p, out, num);
        put(p, out, pos);
        snprintf(num, sizeof(num), ") mod %ld = 0]", -a);
    }
    put(p, out, num);
}

static void compound(struct parser *p, struct compound *cp, bool top);

/* :not(compound) (p->i after '('). */
static void negation(struct parser *p, struct compound *cp)
{
    struct compound inner;

    if (++p->nesting > CSS_MAX_NESTING) {
        fail_at(p, p->i, ":not() nested too deeply");
        return;
    }
    compound_init(&inner);
    skip_ws(p);
    compound(p, &inner, false);
    skip_ws(p);
    if (!p->failed && peek(p) != ')')
        fail_at(p, p->i,
                "expected ')' to close :not() (one compound"
                " selector inside)");
    if (!p->failed) {
        p->i++;
        put(p, &cp->preds, "[not(self::");
        put_type(p, &cp->preds, inner.type.data);
        put(p, &cp->preds, inner.preds.data);
        put(p, &cp->preds, ")]");
    }
    compound_release(&inner);
    p->nesting--;
}

/* The sibling axis test for the *-of-type family, which needs a name. */
static bool of_type(struct parser *p, struct compound *cp, size_t at,
                    const char *name, const char *axis, struct buf *test)
{
    if (!cp->type.len) {
        fail_at(p, at,
                "':%s' needs an element name before it (as in"
                " p:%s)",
                name, name);
        return false;
    }
    buf_reset(test);
    if (!p->failed)
        nomem(p, buf_addf(test, "count(%s::", axis));
    put_type(p, test, cp->type.data);
    put(p, test, ") + 1");
    return !p->failed;
}

/* A pseudo-class (p->i after ':'). */
static void pseudo_class(struct parser *p, struct compound *cp)
{
    static const struct {
        const char *name, *pred;
    } simple[] = {
        {"first-child", "[not(preceding-sibling::*)]"},
        {"last-child", "[not(following-sibling::*)]"},
        {"only-child",
         "[not(preceding-sibling::*) and not(following-sibling::*)]"},
        {"empty", "[not(*) and not(text())]"},
        {"root", "[not(parent::*)]"},
    };
    size_t at = p->i - 1, i;
    struct buf name, test;
    long a, b;

    buf_init(&name, CSS_MAX_XPATH);
    buf_init(&test, CSS_MAX_XPATH);
    if (!ident(p, &name, true)) {
        fail_at(p, p->i, "expected a pseudo-class name after ':'");
        goto out;
    }
    if (peek(p) == '(') {
        p->i++;
        if (!strcmp(name.data, "not")) {
            negation(p, cp);
        } else if (!strcmp(name.data, "nth-child") ||
                   !strcmp(name.data, "nth-last-child")) {
            nth_args(p, &a, &b);
            put_nth(p, &cp->preds,
                    name.data[4] == 'l' ? "(count(following-sibling::*) + 1)"
                                        : "(count(preceding-sibling::*) + 1)",
                    a, b);
        } else if (!strcmp(name.data, "nth-of-type") ||
                   !strcmp(name.data, "nth-last-of-type")) {
            bool last = name.data[4] == 'l';
            nth_args(p, &a, &b);
            if (of_type(p, cp, at, name.data,
                        last ? "following-sibling" : "preceding-sibling",
                        &test))
                put_nth(p, &cp->preds, test.data, a, b);
        } else {
            fail_at(p, at, "unsupported pseudo-class ':%s()'", name.data);
        }
        goto out;
    }
    for (i = 0; i < sizeof(simple) / sizeof(simple[0]); i++) {
        if (!strcmp(name.data, simple[i].name)) {
            put(p, &cp->preds, simple[i].pred);
            goto out;
        }
    }
    if (!strcmp(name.data, "first-of-type") ||
        !strcmp(name.data, "last-of-type") ||
        !strcmp(name.data, "only-of-type")) {
        const char *axes[2] = {"preceding-sibling", "following-sibling"};
        for (i = 0; i < 2; i++) {
            if ((name.data[0] == 'f' && i == 1) ||
                (name.data[0] == 'l' && i == 0))
                continue;
            if (!of_type(p, cp, at, name.data, axes[i], &test))
                break;
            put(p, &cp->preds, "[");
            put(p, &cp->preds, test.data);
            put(p, &cp->preds, " = 1]");
        }
        goto out;
    }
    fail_at(p, at, "unsupported pseudo-class ':%s'", name.data);
out:
    buf_release(&name);
    buf_release(&test);
}

/* ::text or ::attr(NAME) (p->i after "::"). */
static void pseudo_element(struct parser *p, struct compound *cp, size_t at)
{
    struct buf name;

    buf_init(&name, CSS_MAX_XPATH);
    if (!ident(p, &name, true)) {
        fail_at(p, p->i, "expected a pseudo-element name after '::'");
    } else if (!strcmp(name.data, "text")) {
        cp->pe = PE_TEXT;
    } else if (!strcmp(name.data, "attr") && peek(p) == '(') {
        p->i++;
        skip_ws(p);
        if (!ident(p, &cp->attr, true))
            fail_at(p, p->i, "expected an attribute name in ::attr()");
        skip_ws(p);
        if (!p->failed && peek(p) != ')')
            fail_at(p, p->i, "expected ')' to close ::attr()");
        p->i++;
        cp->pe = PE_ATTR;
    } else {
        fail_at(p, at,
                "unsupported pseudo-element '::%s' (::text and"
                " ::attr(NAME) are)",
                name.data);
    }
    buf_release(&name);
}

/* type? (#id | .class | [attr] | :pseudo)* ::pseudo-element?  `top` is
 * false inside :not(), where pseudo-elements are not allowed. */
static void compound(struct parser *p, struct compound *cp, bool top)
{
    size_t start = p->i;
    struct buf word;

    buf_init(&word, CSS_MAX_XPATH);
    if (peek(p) == '*') {
        p->i++;
    } else if (ident(p, &cp->type, true)) {
        /* the type */
    }
    while (!p->failed) {
        char c = peek(p);
        size_t at = p->i;
        if (c == '#' || c == '.') {
            p->i++;
            if (!ident(p, &word, false)) {
                fail_at(p, p->i, "expected a name after '%c'", c);
                break;
            }
            if (c == '#') {
                put(p, &cp->preds, "[@id=");
                put_literal(p, &cp->preds, word.data);
                put(p, &cp->preds, "]");
            } else {
                put_token_test(p, &cp->preds, "class", word.data);
            }
        } else if (c == '[') {
            p->i++;
            attrib(p, cp);
        } else if (c == ':' && p->s[p->i + 1] == ':') {
            p->i += 2;
            if (!top)
                fail_at(p, at, "a pseudo-element cannot be inside :not()");
            else
                pseudo_element(p, cp, at);
            break;
        } else if (c == ':') {
            p->i++;
            pseudo_class(p, cp);
        } else {
            break;
        }
    }
    if (!p->failed && p->i == start) {
        if (peek(p))
            fail_at(p, p->i, "unexpected '%c'", peek(p));
        else
            fail_at(p, p->i, "expected a selector");
    }
    buf_release(&word);
}

/* Writes one compound's step after the axis. */
static void put_step(struct parser *p, struct buf *out,
                     const struct compound *cp)
{
    put_type(p, out, cp->type.data);
    put(p, out, cp->preds.data);
    if (cp->pe == PE_TEXT) {
        put(p, out, "/text()");
    } else if (cp->pe == PE_ATTR) {
        put(p, out, "/");
        put_attr(p, out, cp->attr.data);
    }
}

/* compound (combinator compound)*, up to ',' or the end. */
static void selector(struct parser *p, struct buf *out)
{
    const char *axis = "descendant-or-self::";

    for (;;) {
        struct compound cp;
        enum pseudo_element pe;
        bool had_ws;
        char c;

        compound_init(&cp);
        compound(p, &cp, true);
        put(p, out, axis);
        put_step(p, out, &cp);
        pe = cp.pe;
        compound_release(&cp);
        if (p->failed)
            return;
        had_ws = skip_ws(p);
        c = peek(p);
        if (c == '\0' || c == ',')
            return;
        if (pe != PE_NONE) {
            fail_at(p, p->i,
                    "a pseudo-element (::text, ::attr()) must end"
                    " the selector");
            return;
        }
        if (c == '>' || c == '+' || c == '~') {
            p->i++;
            skip_ws(p);
            axis = c == '>'   ? "/"
                   : c == '~' ? "/following-sibling::"
                              : "/following-sibling::*[1]/self::";
        } else if (had_ws) {
            axis = "/descendant::";
        } else {
            fail_at(p, p->i, "unexpected '%c'", c);
            return;
        }
        if (peek(p) == '\0' || peek(p) == ',') {
            fail_at(p, p->i, "a combinator must be followed by a selector");
            return;
        }
    }
}

/* The selector must be UTF-8 without control characters: XPath text
 * cannot carry them (libxml2 refuses what is not an XML character). */
static bool check_text(struct parser *p)
{
    const unsigned char *s = (const unsigned char *)p->s;
    size_t len = strlen(p->s), i, n;

    for (i = 0; i < len; i += n) {
        n = s[i] < 0x80 ? 1 : s[i] >= 0xF0 ? 4 : s[i] >= 0xE0 ? 3 : 2;
        if (s[i] < 0x20 && s[i] != '\t' && s[i] != '\n' && s[i] != '\r') {
            fail_at(p, i, "control character 0x%02x in the selector", s[i]);
            return false;
        }
        if (n > len - i || !utf8_valid(p->s + i, n)) {
            fail_at(p, i, "the selector is not valid UTF-8");
            return false;
        }
    }
    return true;
}

enum err css_to_xpath(const char *css, char **xpath, size_t *pos, char *why,
                      size_t n)
{
    struct parser p = {.s = css, .why = why, .nwhy = n};
    struct buf out;

    *xpath = NULL;
    *pos = 0;
    if (n)
        why[0] = '\0';
    if (!check_text(&p)) {
        *pos = p.err_pos;
        return p.e;
    }
    buf_init(&out, CSS_MAX_XPATH);
    skip_ws(&p);
    for (;;) {
        selector(&p, &out);
        if (p.failed)
            break;
        skip_ws(&p);
        if (peek(&p) != ',')
            break;
        p.i++;
        skip_ws(&p);
        put(&p, &out, " | ");
    }
    if (p.failed) {
        buf_release(&out);
        *pos = p.err_pos;
        return p.e;
    }
    if (!(*xpath = buf_detach(&out, NULL)))
        return ERR_NOMEM;
    return ERR_OK;
}
