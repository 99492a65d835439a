/*
 * parse.h - turn one HTML response into a record (libxml2).
 *
 * parse_page() takes bytes, the page's URL and its Content-Type, and
 * fills a `struct page`: title, meta description, language, canonical
 * link, first h1, word count and the visible text, every <a href>
 * (resolved and canonicalised where it is http/https), and the user's
 * --field values.  The SimHash fingerprint of the text is a separate step
 * (page_fingerprint), so it can run on another thread.
 * The document is walked once, iteratively, so 200,000 nested elements
 * cannot overflow the stack.
 *
 * Charset: the Content-Type charset wins, then a <meta> charset in the
 * first bytes, then a UTF-8 check, else windows-1252 (the WHATWG default
 * for unlabelled Western pages).  Every string in a page is valid UTF-8.
 *
 * A `struct parser` holds the compiled --field XPath expressions; make one
 * per thread or worker process (libxml2 documents and XPath contexts are
 * not shared).  Parsing knows nothing about I/O or storage.
 */
#ifndef SCRAPE_PARSE_H
#define SCRAPE_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scrape/err.h"

/* Visible text kept per page for search; the rest is still counted. */
#define PARSE_TEXT_MAX (256 * 1024)

/* Bodies larger than this are not parsed (libxml2 takes an int length). */
#define PARSE_MAX_BYTES (1024L * 1024 * 1024)

/* A user field: NAME=XPATH from the command line.  Whoever fills one
 * owns the strings (cli.c does, for the command line). */
struct field_spec {
    const char *name;
    const char *xpath;
};

/* One <a href>.  `url` is canonical when `followable`; otherwise it is the
 * href as written (cleaned to UTF-8, cut at URL_MAX bytes) and `why`
 * says why it cannot be fetched. */
struct link {
    char *url;
    bool followable;
    enum err why;
};

/* The record of one HTML page.  All strings are owned, UTF-8, and NULL
 * when the page lacks them.  Release with page_release(). */
struct page {
    char *title;
    char *description;
    char *lang;
    char *canonical;
    char *h1;
    char *charset;    /* encoding the bytes were decoded from */
    char *text;       /* visible text (UTF-8, raw whitespace), at most
                         PARSE_TEXT_MAX bytes (for full-text search) */
    long words;       /* visible text, script/style/head excluded */
    uint64_t simhash; /* SimHash of the text (page_fingerprint); 0 when
                         there is none or it was not computed */
    struct link *links;
    size_t nlinks;
    char **fields; /* nfields values, index-aligned with the specs */
    size_t nfields;
};

struct parser;

/* Compiles `n` field specs (borrowed; must outlive the parser).  On a bad
 * XPath returns ERR_INVALID and names the field in *bad_field (borrowed).
 * Caller frees the parser with parser_free(). */
enum err parser_new(const struct field_spec *fields, size_t n,
                    struct parser **out, const char **bad_field);

/* Frees a parser.  NULL ok. */
void parser_free(struct parser *p);

/* True when a response with this Content-Type (may be NULL) and body
 * should be parsed as HTML. */
bool parse_is_html(const char *content_type, const char *body, size_t len);

/* Parses `len` bytes of `body` fetched from canonical `url`.  Fills `out`
 * (caller releases it, also on error).  Errors: ERR_TOO_LARGE, ERR_NOMEM,
 * ERR_PARSE (libxml2 produced no document at all). */
enum err parse_page(struct parser *p, const char *body, size_t len,
                    const char *url, const char *content_type,
                    struct page *out);

/* Fills pg->simhash: the SimHash of pg->text, the visible text
 * parse_page() kept (at most PARSE_TEXT_MAX bytes; text nodes joined with
 * spaces, so words never run across nodes).  parse_page() leaves simhash
 * 0: fingerprinting is ~15 % of the cost of a page and needs only the
 * text, so the crawl runs it on the writer thread, off the thread that
 * drives the transfers.  Pure; cannot fail. */
void page_fingerprint(struct page *pg);

/* Frees everything a page owns and zeroes it.  Twice is a no-op. */
void page_release(struct page *pg);

#endif
