/*
 * parse.h - turn one HTML response into a record (libxml2).
 *
 * parse_page() takes bytes, the page's URL and its Content-Type, and
 * fills a `struct page`: title, meta description, language, canonical
 * link, first h1, word count and the visible text, every <a href>
 * (resolved and canonicalised where it is http/https), and the user's
 * --item records and --field values (XPath; CSS was translated before).
 * With rules (--rule), the page's rule picks which items, fields and
 * --follow selectors apply; a rule with --follow or --no-follow also
 * gets the list of links it chose.
 * The SimHash fingerprint of the text is a separate step
 * (page_fingerprint), so it can run on another thread.
 * A page whose rule has no --item, --field or --follow is read in one
 * SAX pass that builds no tree; otherwise the tree is built and walked once,
 * iteratively (so 200,000 nested elements cannot overflow the stack), for the
 * XPaths. Both give the same built-in fields.
 *
 * Depth: libxml2 2.9's HTML parser stops a document at 256 open
 * elements (without HTML_PARSE_HUGE, which scrape does not set): what
 * lies deeper, and everything after it, is not in the record.  The parse
 * still succeeds with what came before.
 *
 * Charset: the Content-Type charset wins, then a <meta> charset in the
 * first bytes, then a byte-order mark, then a UTF-8 check, then
 * uchardet's guess, else windows-1252 (the WHATWG default for unlabelled
 * Western pages).  Every string in a page is valid UTF-8.
 *
 * A `struct parser` holds the compiled rules and XPaths; make one
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

/* Most items kept per page, values and bytes of values per page (all
 * records and fields), and steps spent per page on --item/--field (by
 * libxml2's XPath engine, and again by the walks that collect element
 * text): a hostile page (200,000 nested elements, a selector matching
 * each) must not cost minutes or gigabytes.  Hitting one sets
 * page.extract_error; what was extracted before is kept. */
#define PARSE_MAX_ITEMS       100000
#define PARSE_MAX_VALUES      1000000
#define PARSE_MAX_VALUE_BYTES (64L * 1024 * 1024)
#define PARSE_MAX_XPATH_OPS   50000000UL

/* A user field (--field NAME=SEL or NAME[]=SEL).  Whoever fills one owns
 * the strings (cli.c does, for the command line). */
struct field_spec {
    const char *name;     /* as given, without "[]" */
    const char *xpath;    /* XPath 1.0 evaluated (CSS already translated) */
    bool list;            /* NAME[]=: every match, in document order */
    const char *selector; /* as written, for the record; NULL = xpath */
};

/* What to extract from each page: with `item_xpath`, every node it selects
 * is a record (an item) and the fields are evaluated with that node as
 * their context; without, the page is the one record (when there are
 * fields).  Borrowed by parsers and workers: must outlive them. */
struct extract_spec {
    const char *item_xpath;    /* NULL: records are pages */
    const char *item_selector; /* as written (NULL = item_xpath) */
    const struct field_spec *fields;
    size_t nfields;
};

/* A --follow selector: the links of a rule's pages to follow. */
struct follow_spec {
    const char *xpath;    /* XPath 1.0 (CSS already translated) */
    const char *selector; /* as written, for the record */
};

/* One rule of a spider (--rule NAME=REGEX and the --item, --field,
 * --follow and --no-follow options after it): what is extracted from
 * the pages whose URL it matches, and which of their links are
 * followed. */
struct rule_spec {
    const char *name;    /* NULL for the pages no rule matches */
    const char *pattern; /* PCRE2 on the canonical URL; NULL likewise */
    struct extract_spec spec;
    const struct follow_spec *follow; /* follow only what these select */
    size_t nfollow;
    bool no_follow; /* follow nothing from these pages */
};

/* Every rule of a crawl: rules[0] holds the options given before the
 * first --rule and applies to pages no rule matches; rules[1..] are the
 * --rule options in order, the first whose pattern matches a page's URL
 * winning.  Borrowed by parsers and workers: must outlive them. */
struct spider {
    const struct rule_spec *rules;
    size_t nrules; /* 0 (nothing to extract) or 1 + the --rule options */
};

struct url_filter;

/* Compiles the --rule patterns of `sp` into *out for spider_rule() (NULL
 * when there are none: every page is then rule 0).  ERR_INVALID with the
 * reason in `why` for a bad pattern, ERR_NOMEM. */
enum err spider_patterns(const struct spider *sp, struct url_filter **out,
                         char *why, size_t n);

/* The rule a page fetched as canonical `url` belongs to: the index of the
 * first --rule whose pattern matches it, or 0.  Not thread-safe (one
 * compiled set per thread). */
size_t spider_rule(struct url_filter *patterns, const char *url);

/* The name of rule `i` (NULL for rule 0 or none). */
const char *spider_rule_name(const struct spider *sp, size_t i);

/* True when rule `r` follows only what its selectors choose (--follow or
 * --no-follow), not every link. */
bool rule_follows_chosen(const struct rule_spec *r);

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
    /* Extracted values.  Records are the page's items (with --item, in
     * document order) or the page itself (one record, when there are
     * fields but no --item).  Field f of record r has the values
     * vals[off[r * nfields + f]] up to (not including)
     * vals[off[r * nfields + f + 1]]: a plain field 0 (absent) or 1, a
     * list field any number.  Read them with page_values(). */
    bool items; /* records are items, not the page */
    size_t nrecords;
    size_t nfields;
    size_t *off; /* nrecords * nfields + 1 entries; NULL when none */
    char **vals;
    size_t nvals;
    char *extract_error; /* why extraction was cut short, or NULL */
    /* The rule the page belongs to (index into the spider's rules; 0: no
     * rule matched).  When that rule chooses its links (--follow,
     * --no-follow), `follow` holds the URLs it chose (each once, in
     * document order, canonical when followable) and `unfollowed` counts
     * the page's distinct followable links it left out; the crawl
     * follows `follow` instead of `links`. */
    size_t rule;
    bool chosen;
    struct link *follow;
    size_t nfollow;
    long unfollowed;
};

struct parser;

/* Compiles every rule's URL pattern and its item, field and follow
 * XPaths (`spider` is borrowed and must outlive the parser; NULL =
 * extract nothing).  On a bad XPath or pattern returns ERR_INVALID with
 * a one-line reason in `why` (n bytes) naming the option, the position
 * and the library's complaint.  Caller frees the parser with
 * parser_free(). */
enum err parser_new(const struct spider *spider, struct parser **out, char *why,
                    size_t n);

/* The rule a page fetched as canonical `url` belongs to: the index of
 * the first --rule whose pattern matches it, or 0. */
size_t parser_rule(struct parser *p, const char *url);

/* Frees a parser.  NULL ok. */
void parser_free(struct parser *p);

/* Makes `p` build the document tree even with nothing to extract (the
 * way it parses with --item or --field), instead of the SAX pass that
 * builds none; both give the same record (for tests and the fuzzer). */
void parser_use_tree(struct parser *p, bool tree);

/* True when a response with this Content-Type (may be NULL) and body
 * should be parsed as HTML. */
bool parse_is_html(const char *content_type, const char *body, size_t len);

/* Parses `len` bytes of `body` fetched from canonical `url` as a page of
 * rule `rule` (parser_rule).  Links resolve against `url` (and <base>).
 * Fills `out` (caller releases it, also on error).  Errors: ERR_TOO_LARGE,
 * ERR_NOMEM, ERR_PARSE (libxml2 produced no document at all). */
enum err parse_rule_page(struct parser *p, size_t rule, const char *body,
                         size_t len, const char *url, const char *content_type,
                         struct page *out);

/* parse_rule_page() for the rule `url` itself belongs to. */
enum err parse_page(struct parser *p, const char *body, size_t len,
                    const char *url, const char *content_type,
                    struct page *out);

/* Fills pg->simhash: the SimHash of pg->text, the visible text
 * parse_page() kept (at most PARSE_TEXT_MAX bytes; text nodes joined with
 * spaces, so words never run across nodes).  parse_page() leaves simhash
 * 0: fingerprinting is ~15 % of the cost of a page and needs only the
 * text, so the crawl runs it on the writer thread, off the thread that
 * drives the transfers (a --procs worker runs it itself).  Pure; cannot
 * fail. */
void page_fingerprint(struct page *pg);

/* page_fingerprint() unless pg->simhash is set already (a parse worker
 * computed it; a SimHash that happens to be 0 is computed again, to the
 * same value). */
void page_fingerprint_once(struct page *pg);

/* The values of field `field` in record `rec` (see struct page); *n gets
 * their number.  Borrowed from the page. */
char *const *page_values(const struct page *pg, size_t rec, size_t field,
                         size_t *n);

/* Frees everything a page owns and zeroes it.  Twice is a no-op. */
void page_release(struct page *pg);

#endif
