/*
 * parse_int.h - what the two ways through a page share (private to src/):
 * parse.c (the parser, the tree walk, --item/--field/--follow
 * extraction) and
 * parse_sax.c (the SAX pass of a crawl without selectors, which must give
 * the record the tree walk gives).  Everyone else uses parse.h.
 */
#ifndef SCRAPE_PARSE_INT_H
#define SCRAPE_PARSE_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <libxml/HTMLparser.h>
#include <libxml/xpath.h>

#include "scrape/buf.h"
#include "scrape/parse.h"

/* Links kept per page; beyond this a hostile page only wastes memory. */
#define PARSE_MAX_LINKS 100000

#define PARSE_OPTIONS                                                          \
    (HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |          \
     HTML_PARSE_NONET | HTML_PARSE_COMPACT | HTML_PARSE_IGNORE_ENC)

struct url_filter;

/* One rule's compiled selectors. */
struct parser_rule {
    const struct rule_spec *spec;
    xmlXPathCompExprPtr item;    /* NULL without --item */
    xmlXPathCompExprPtr *fields; /* one per --field */
    xmlXPathCompExprPtr *follow; /* one per --follow */
    bool tree;                   /* its pages need the document tree */
};

struct parser {
    htmlParserCtxtPtr ctxt; /* builds a tree (selectors) */
    htmlParserCtxtPtr sax;  /* builds none (no selectors) */
    bool force_tree;        /* parser_use_tree: always ctxt */
    struct parser_rule *rules;
    size_t nrules;             /* 0: nothing to extract */
    struct url_filter *choose; /* the --rule patterns, in order */
    /* One XPath context for every page (pointed at each document in
     * turn), so its object cache outlives the page: creating and freeing
     * a cached context per page cost ~100,000 instructions a page. */
    xmlXPathContextPtr xctx;
};

/* Per-document walk state. */
struct walk {
    struct page *pg;
    struct buf text;  /* visible text so far */
    const char *base; /* canonical URL links resolve against */
    size_t links_cap;
    size_t follow_cap; /* of pg->follow */
    enum err err;      /* first allocation failure */
};

/* parse.c: the helpers both passes use. */

/* Adds href (as written) to w->pg's links, resolved against w->base. */
void parse_add_link(struct walk *w, const char *href);

/* True when the space-separated `list` holds `token` (ASCII case-folded). */
bool parse_has_token(const char *list, const char *token);

/* Words in text[0..n), *prev carrying whether the byte before was a
 * space across pieces of one text. */
long parse_count_words_n(const char *text, size_t n, unsigned *prev);

/* parse_sax.c */

/* Makes `ctxt` a SAX context whose callbacks collect a page's fields. */
enum err parse_sax_install(htmlParserCtxtPtr ctxt);

/* The SAX pass: body (UTF-8) of `url` into `out`. */
enum err parse_sax(struct parser *p, const char *body, size_t len,
                   const char *url, struct page *out);

#endif
