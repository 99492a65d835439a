/*
 * parse.c - HTML bytes to `struct page` with libxml2 (see parse.h).
 *
 * Choose the encoding and make the bytes UTF-8 (charset.c), then one of
 * two ways through libxml2's recovering HTML parser (its contexts reused
 * across pages):
 *   - no --item or --field (the default crawl): the SAX pass of
 *     parse_sax.c, which builds no tree and gives the record the tree
 *     walk below gives.
 *   - with selectors: build the DOM, find <base>, walk the tree once
 *     without recursion collecting the same fields, then evaluate the
 *     pre-compiled --item/--field XPaths.
 * Strings leave this module through utf8_clean(), so nothing invalid
 * reaches the store.
 */
#include "parse_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <ctype.h>
#include <string.h>
#include <strings.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include <libxml/HTMLparser.h>
#include <libxml/SAX2.h>
#include <libxml/parserInternals.h>
#include <libxml/encoding.h>
#include <libxml/xpath.h>

#include "scrape/buf.h"
#include "scrape/charset.h"
#include "scrape/filter.h"
#include "scrape/hmap.h"
#include "scrape/simhash.h"
#include "scrape/url.h"
#include "scrape/utf8.h"

/* libxml2 prints encoding and XPath errors through its generic error
 * handler; records carry our own messages instead. */
static void silent(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

/* Compiles `xpath`; on failure writes "OPTION: invalid XPath at position
 * N: REASON" to `why`.  libxml2 keeps the offset of its complaint in the
 * last error's int1. */
static xmlXPathCompExprPtr compile(const char *xpath, const char *option,
                                   char *why, size_t n)
{
    xmlXPathCompExprPtr c;
    const xmlError *err;
    char reason[128] = "invalid expression";

    xmlResetLastError();
    c = xmlXPathCompile((const xmlChar *)xpath);
    if (c)
        return c;
    err = xmlGetLastError();
    if (err && err->message) {
        snprintf(reason, sizeof(reason), "%s", err->message);
        reason[strcspn(reason, "\n")] = '\0';
        if (reason[0])
            reason[0] = (char)tolower((unsigned char)reason[0]);
    }
    snprintf(why, n, "%s: invalid XPath '%s' at position %d: %s", option, xpath,
             err && err->domain == XML_FROM_XPATH ? err->int1 + 1 : 1, reason);
    return NULL;
}

/* An item must be a node: an --item XPath that computes a number, string
 * or boolean (count(//div)) would find no item on any page, silently.
 * The result's type does not depend on the document, so one evaluation
 * on an empty one tells.  So for --follow, whose nodes are links. */
static bool selects_nodes(struct parser *p, xmlXPathCompExprPtr comp,
                          const char *option, const char *xpath, char *why,
                          size_t n)
{
    xmlDocPtr doc = xmlNewDoc((const xmlChar *)"1.0");
    xmlXPathObjectPtr obj = NULL;
    bool ok = true;

    if (!doc)
        return true; /* out of memory: the crawl will say so */
    p->xctx->doc = doc;
    p->xctx->node = (xmlNodePtr)doc;
    obj = xmlXPathCompiledEval(comp, p->xctx);
    if (obj && obj->type != XPATH_NODESET && !strcmp(option, "--item")) {
        snprintf(why, n,
                 "--item: '%s' computes a %s, not nodes: an item must be"
                 " an element (or a text or attribute node)",
                 xpath,
                 obj->type == XPATH_NUMBER    ? "number"
                 : obj->type == XPATH_BOOLEAN ? "boolean"
                                              : "string");
        ok = false;
    } else if (obj &&
               (obj->type == XPATH_NUMBER || obj->type == XPATH_BOOLEAN)) {
        snprintf(why, n, "%s: '%s' computes a %s, not links or URLs", option,
                 xpath, obj->type == XPATH_NUMBER ? "number" : "boolean");
        ok = false;
    }
    xmlXPathFreeObject(obj);
    p->xctx->doc = NULL;
    p->xctx->node = NULL;
    xmlFreeDoc(doc);
    return ok;
}

/* " (rule 'NAME')" for the options of a named rule, "" otherwise. */
static void rule_suffix(const struct rule_spec *r, char *out, size_t n)
{
    if (r->name)
        snprintf(out, n, " (rule '%s')", r->name);
    else if (n)
        out[0] = '\0';
}

/* Compiles rule `r`'s selectors into `pr`. */
static enum err compile_rule(struct parser *p, const struct rule_spec *r,
                             struct parser_rule *pr, char *why, size_t n)
{
    const struct extract_spec *spec = &r->spec;
    char option[256], in[140];
    size_t i;

    pr->spec = r;
    pr->tree = spec->item_xpath || spec->nfields || r->nfollow;
    if (!pr->tree)
        return ERR_OK;
    if (!p->xctx && (!(p->xctx = xmlXPathNewContext(NULL)) ||
                     xmlXPathContextSetCache(p->xctx, 1, -1, 0)))
        return ERR_NOMEM;
    if (!(pr->fields = calloc(spec->nfields + 1, sizeof(*pr->fields))) ||
        !(pr->follow = calloc(r->nfollow + 1, sizeof(*pr->follow))))
        return ERR_NOMEM;
    rule_suffix(r, in, sizeof(in));
    snprintf(option, sizeof(option), "--item%s", in);
    if (spec->item_xpath &&
        (!(pr->item = compile(spec->item_xpath, option, why, n)) ||
         !selects_nodes(p, pr->item, "--item", spec->item_xpath, why, n)))
        return ERR_INVALID;
    for (i = 0; i < spec->nfields; i++) {
        snprintf(option, sizeof(option), "--field '%s'%s", spec->fields[i].name,
                 in);
        if (!(pr->fields[i] = compile(spec->fields[i].xpath, option, why, n)))
            return ERR_INVALID;
    }
    for (i = 0; i < r->nfollow; i++) {
        snprintf(option, sizeof(option), "--follow%s", in);
        if (!(pr->follow[i] = compile(r->follow[i].xpath, option, why, n)) ||
            !selects_nodes(p, pr->follow[i], option, r->follow[i].xpath, why,
                           n))
            return ERR_INVALID;
    }
    return ERR_OK;
}

enum err spider_patterns(const struct spider *sp, struct url_filter **out,
                         char *why, size_t n)
{
    const char **pats = NULL, **labels = NULL;
    char *text = NULL;
    size_t i, k = sp && sp->nrules ? sp->nrules - 1 : 0, each = 160;
    enum err e = ERR_NOMEM;

    *out = NULL;
    if (!k)
        return ERR_OK;
    if (!(pats = calloc(k, sizeof(*pats))) ||
        !(labels = calloc(k, sizeof(*labels))) || !(text = malloc(k * each)))
        goto out;
    for (i = 0; i < k; i++) {
        pats[i] = sp->rules[i + 1].pattern;
        labels[i] = text + i * each;
        snprintf(text + i * each, each, "--rule '%s'", sp->rules[i + 1].name);
    }
    e = url_filter_new_list(pats, labels, k, out, why, n);
out:
    free(pats);
    free(labels);
    free(text);
    return e;
}

enum err parser_new(const struct spider *spider, struct parser **out, char *why,
                    size_t n)
{
    struct parser *p = calloc(1, sizeof(*p));
    enum err e = ERR_NOMEM;
    size_t i;

    /* The handler is per-thread state in libxml2, hence set here, in the
     * thread (or worker) that will parse. */
    xmlSetGenericErrorFunc(NULL, silent);
    *out = NULL;
    if (n)
        why[0] = '\0';
    if (!p)
        return ERR_NOMEM;
    p->ctxt = htmlNewParserCtxt();
    p->sax = htmlNewParserCtxt();
    if (!p->ctxt || !p->sax || parse_sax_install(p->sax))
        goto fail;
    if (spider && spider->nrules) {
        if (!(p->rules = calloc(spider->nrules, sizeof(*p->rules))))
            goto fail;
        p->nrules = spider->nrules;
        for (i = 0; i < spider->nrules; i++)
            if ((e = compile_rule(p, &spider->rules[i], &p->rules[i], why, n)))
                goto fail;
        if ((e = spider_patterns(spider, &p->choose, why, n)))
            goto fail;
    }
    *out = p;
    return ERR_OK;
fail:
    parser_free(p);
    return e;
}

size_t spider_rule(struct url_filter *patterns, const char *url)
{
    long i = url_filter_first(patterns, url);

    return i < 0 ? 0 : (size_t)i + 1;
}

const char *spider_rule_name(const struct spider *sp, size_t i)
{
    return sp && i < sp->nrules ? sp->rules[i].name : NULL;
}

size_t parser_rule(struct parser *p, const char *url)
{
    return spider_rule(p->choose, url);
}

void parser_free(struct parser *p)
{
    size_t i, k;

    if (!p)
        return;
    for (i = 0; i < p->nrules; i++) {
        struct parser_rule *pr = &p->rules[i];
        for (k = 0; pr->fields && k < pr->spec->spec.nfields; k++)
            xmlXPathFreeCompExpr(pr->fields[k]);
        for (k = 0; pr->follow && k < pr->spec->nfollow; k++)
            xmlXPathFreeCompExpr(pr->follow[k]);
        free(pr->fields);
        free(pr->follow);
        xmlXPathFreeCompExpr(pr->item);
    }
    free(p->rules);
    url_filter_free(p->choose);
    xmlXPathFreeContext(p->xctx);
    if (p->ctxt)
        htmlFreeParserCtxt(p->ctxt);
    if (p->sax)
        htmlFreeParserCtxt(p->sax);
    free(p);
}

void parser_use_tree(struct parser *p, bool tree)
{
    p->force_tree = tree;
}

bool rule_follows_chosen(const struct rule_spec *r)
{
    return r->nfollow || r->no_follow;
}

bool parse_is_html(const char *content_type, const char *body, size_t len)
{
    size_t i = 0;

    if (content_type) {
        size_t n = strcspn(content_type, "; \t");
        return (n == 9 && !strncasecmp(content_type, "text/html", 9)) ||
               (n == 21 &&
                !strncasecmp(content_type, "application/xhtml+xml", 21));
    }
    /* No Content-Type: sniff, as browsers do, for a leading tag. */
    while (i < len && (body[i] == ' ' || body[i] == '\t' || body[i] == '\n' ||
                       body[i] == '\r'))
        i++;
    return len - i >= 5 && (!strncasecmp(body + i, "<!doc", 5) ||
                            !strncasecmp(body + i, "<html", 5) ||
                            !strncasecmp(body + i, "<head", 5));
}

static bool name_is(const xmlNode *n, const char *name)
{
    return n->name && !strcmp((const char *)n->name, name);
}

/* Returns a new cleaned string of the node's text, or NULL. */
static char *node_text(const xmlNode *n, bool *nomem)
{
    xmlChar *raw = xmlNodeGetContent(n);
    char *s;

    if (!raw)
        return NULL;
    s = utf8_clean((const char *)raw, strlen((const char *)raw), true);
    xmlFree(raw);
    if (!s)
        *nomem = true;
    return s;
}

/* Returns the cleaned value of attribute `name`, or NULL. */
static char *attr(const xmlNode *n, const char *name, bool collapse,
                  bool *nomem)
{
    xmlChar *raw = xmlGetProp(n, (const xmlChar *)name);
    char *s;

    if (!raw)
        return NULL;
    s = utf8_clean((const char *)raw, strlen((const char *)raw), collapse);
    xmlFree(raw);
    if (!s)
        *nomem = true;
    return s;
}

/* True when the space-separated list `list` contains `token`. */
bool parse_has_token(const char *list, const char *token)
{
    size_t tn = strlen(token);

    while (list && *list) {
        size_t n;
        list += strspn(list, " ");
        n = strcspn(list, " ");
        if (n == tn && !strncasecmp(list, token, n))
            return true;
        list += n;
    }
    return false;
}

/* Appends `href` (as written), resolved against w->base, to the link
 * array *links of *n entries and room for *cap; a URL that cannot be
 * fetched is kept as written (cleaned, cut at URL_MAX) with the reason.
 * Returns the new entry, or NULL when none was added (cap reached, or out
 * of memory: w->err set). */
static struct link *append_link(struct walk *w, struct link **links, size_t *n,
                                size_t *cap, const char *href)
{
    struct link *l;
    char *canon = NULL;
    enum err e;

    if (*n >= PARSE_MAX_LINKS)
        return NULL;
    if (*n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 32;
        struct link *nl = realloc(*links, ncap * sizeof(*nl));
        if (!nl) {
            w->err = ERR_NOMEM;
            return NULL;
        }
        *links = nl;
        *cap = ncap;
    }
    l = &(*links)[*n];
    e = url_resolve(w->base, href, &canon);
    if (e == ERR_NOMEM) {
        w->err = e;
        return NULL;
    }
    l->followable = e == ERR_OK;
    l->why = e;
    if (e == ERR_OK) {
        l->url = canon;
    } else {
        size_t len = strlen(href);
        l->url = utf8_clean(href, len < URL_MAX ? len : URL_MAX, false);
        if (!l->url) {
            w->err = ERR_NOMEM;
            return NULL;
        }
    }
    (*n)++;
    return l;
}

void parse_add_link(struct walk *w, const char *href)
{
    append_link(w, &w->pg->links, &w->pg->nlinks, &w->links_cap, href);
}

/* Sets *slot to `value` unless already set; frees `value` otherwise. */
static void set_once(char **slot, char *value)
{
    if (!*slot)
        *slot = value;
    else
        free(value);
}

/* Bit i of the result is set when s[i] is ASCII whitespace (space or
 * \t \n \v \f \r), for the 16 bytes at s. */
#ifdef __SSE2__
static unsigned space_mask16(const unsigned char *s)
{
    __m128i v = _mm_loadu_si128((const __m128i *)s);
    /* \t..\r are 9..13: (v - 9) <= 4 unsigned, via a saturating test. */
    __m128i ctl = _mm_cmpeq_epi8(
        _mm_subs_epu8(_mm_sub_epi8(v, _mm_set1_epi8(9)), _mm_set1_epi8(4)),
        _mm_setzero_si128());
    __m128i sp = _mm_cmpeq_epi8(v, _mm_set1_epi8(' '));

    return (unsigned)_mm_movemask_epi8(_mm_or_si128(ctl, sp));
}
#endif

static bool is_space_byte(unsigned char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

/* Set bits per byte value (a libgcc popcount call costs more here). */
static const unsigned char bits8[256] = {
#define B2(n) n, n + 1, n + 1, n + 2
#define B4(n) B2(n), B2(n + 1), B2(n + 1), B2(n + 2)
#define B6(n) B4(n), B4(n + 1), B4(n + 1), B4(n + 2)
    B6(0), B6(1), B6(1), B6(2)
#undef B6
#undef B4
#undef B2
};

/* Counts words (runs of non-space) in text[0..n), text that follows a
 * space when *prev_space (which it leaves set for the next piece).  This
 * runs over every byte of visible text, the largest cost outside
 * libxml2, so 16 bytes go at a time: a word starts at each non-space
 * byte whose predecessor is a space. */
long parse_count_words_n(const char *text, size_t n, unsigned *prev)
{
    const unsigned char *s = (const unsigned char *)text;
    unsigned prev_space = *prev;
    size_t i = 0;
    long words = 0;

#ifdef __SSE2__
    for (; i + 16 <= n; i += 16) {
        unsigned sp = space_mask16(s + i);
        unsigned starts = ~sp & ((sp << 1) | prev_space) & 0xFFFF;
        words += bits8[starts & 0xFF] + bits8[starts >> 8];
        prev_space = (sp >> 15) & 1;
    }
#endif
    for (; i < n; i++) {
        unsigned sp = is_space_byte(s[i]);
        words += prev_space && !sp;
        prev_space = sp;
    }
    *prev = prev_space;
    return words;
}

/* Words in a whole text node. */
static long count_words(const char *text)
{
    unsigned prev_space = 1;

    return parse_count_words_n(text, strlen(text), &prev_space);
}

/* Handles one element; returns false when its subtree holds no visible
 * text (script, style, head...), so the walk counts no words there. */
static bool visit_element(struct walk *w, const xmlNode *n)
{
    struct page *pg = w->pg;
    bool nomem = false;
    char *v;

    if (name_is(n, "a")) {
        xmlChar *href = xmlGetProp(n, (const xmlChar *)"href");
        if (href) {
            parse_add_link(w, (const char *)href);
            xmlFree(href);
        }
    } else if (name_is(n, "title") && !pg->title) {
        pg->title = node_text(n, &nomem);
    } else if (name_is(n, "h1") && !pg->h1) {
        pg->h1 = node_text(n, &nomem);
    } else if (name_is(n, "html") && !pg->lang) {
        pg->lang = attr(n, "lang", true, &nomem);
    } else if (name_is(n, "meta") && !pg->description) {
        v = attr(n, "name", true, &nomem);
        if (v && !strcasecmp(v, "description"))
            pg->description = attr(n, "content", true, &nomem);
        free(v);
    } else if (name_is(n, "link") && !pg->canonical) {
        v = attr(n, "rel", true, &nomem);
        if (parse_has_token(v, "canonical")) {
            xmlChar *href = xmlGetProp(n, (const xmlChar *)"href");
            char *canon = NULL;
            if (href &&
                url_resolve(w->base, (const char *)href, &canon) == ERR_OK)
                set_once(&pg->canonical, canon);
            xmlFree(href);
        }
        free(v);
    }
    if (nomem)
        w->err = ERR_NOMEM;
    return !(name_is(n, "script") || name_is(n, "style") ||
             name_is(n, "head") || name_is(n, "template") ||
             name_is(n, "noscript"));
}

/* Walks the whole tree once without recursion (parent/next pointers).
 * `hidden` is the outermost script/style/head... being walked: text
 * below it is not counted as words, but its elements are still seen
 * (the title and meta tags live in <head>). */
static void walk_tree(struct walk *w, xmlNode *root)
{
    const xmlNode *hidden = NULL;
    xmlNode *n = root;

    while (n && !w->err) {
        if (n->type == XML_ELEMENT_NODE) {
            if (!visit_element(w, n) && !hidden)
                hidden = n;
            if (n->children) {
                n = n->children;
                continue;
            }
        } else if (!hidden && n->content &&
                   (n->type == XML_TEXT_NODE ||
                    n->type == XML_CDATA_SECTION_NODE)) {
            const char *text = (const char *)n->content;
            size_t len = strlen(text);
            w->pg->words += count_words(text);
            /* Kept up to the cap; one space keeps nodes apart. */
            if (w->text.len + len + 1 <= w->text.max &&
                (buf_add(&w->text, text, len) || buf_add(&w->text, " ", 1)))
                w->err = ERR_NOMEM;
        }
        /* Leave n, and every ancestor that has no next sibling. */
        for (;;) {
            if (n == hidden)
                hidden = NULL;
            if (n == root)
                return;
            if (n->next) {
                n = n->next;
                break;
            }
            n = n->parent;
            if (!n)
                return;
        }
    }
}

/* Finds <base href> (must precede links in the head); returns the URL
 * links resolve against: new string, caller frees. */
static char *find_base(xmlNode *root, const char *url)
{
    xmlNode *html, *head, *n;
    char *resolved = NULL;

    for (html = root; html && !name_is(html, "html"); html = html->next)
        ;
    for (head = html ? html->children : NULL; head && !name_is(head, "head");
         head = head->next)
        ;
    for (n = head ? head->children : NULL; n; n = n->next) {
        if (n->type == XML_ELEMENT_NODE && name_is(n, "base")) {
            xmlChar *href = xmlGetProp(n, (const xmlChar *)"href");
            if (href)
                url_resolve(url, (const char *)href, &resolved);
            xmlFree(href);
            break;
        }
    }
    return resolved ? resolved : strdup(url);
}

/* Why extraction stopped before the end of a page. */
enum cut { CUT_NONE, CUT_VALUES, CUT_ITEMS, CUT_STEPS, CUT_BYTES };

/* Values being collected for a page's records. */
struct extraction {
    struct page *pg;
    size_t cap_vals, cap_off;
    unsigned long steps; /* nodes walked for element text */
    size_t bytes;        /* of values so far */
    enum cut cut;
};

/* The page's extract_error for `cut`: new string, or NULL for none. */
static char *cut_message(enum cut cut)
{
    char msg[160];

    switch (cut) {
    case CUT_VALUES:
        snprintf(msg, sizeof(msg),
                 "more than %d values on the page: the rest dropped",
                 PARSE_MAX_VALUES);
        break;
    case CUT_ITEMS:
        snprintf(msg, sizeof(msg),
                 "more than %d items on the page: the rest dropped",
                 PARSE_MAX_ITEMS);
        break;
    case CUT_BYTES:
        snprintf(msg, sizeof(msg),
                 "values over %ld bytes on the page: the rest dropped",
                 (long)PARSE_MAX_VALUE_BYTES);
        break;
    case CUT_STEPS:
        snprintf(msg, sizeof(msg),
                 "selectors took over %lu XPath steps on the page: the"
                 " rest dropped",
                 PARSE_MAX_XPATH_OPS);
        break;
    default:
        return NULL;
    }
    return strdup(msg);
}

static enum err push_value(struct extraction *x, char *v)
{
    struct page *pg = x->pg;

    if (!v)
        return ERR_NOMEM;
    if (pg->nvals == x->cap_vals) {
        size_t ncap = x->cap_vals ? x->cap_vals * 2 : 16;
        char **nv = realloc(pg->vals, ncap * sizeof(*nv));
        if (!nv) {
            free(v);
            return ERR_NOMEM;
        }
        pg->vals = nv;
        x->cap_vals = ncap;
    }
    pg->vals[pg->nvals++] = v;
    return ERR_OK;
}

/* Collects the text below element or document `root` into `b`, walking
 * without recursion and counting every node visited against the page's
 * budget: xmlNodeGetContent() on each of 200,000 nested elements would
 * walk 200,000 subtrees.  False when the budget or the byte cap ran out
 * (x->cut says which) or memory did (x->cut unset). */
static bool subtree_text(struct extraction *x, xmlNodePtr root, struct buf *b)
{
    xmlNodePtr n = root->children;
    enum err e;

    while (n) {
        if (++x->steps > PARSE_MAX_XPATH_OPS) {
            x->cut = CUT_STEPS;
            return false;
        }
        if ((n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) &&
            n->content &&
            (e = buf_add(b, n->content, strlen((const char *)n->content)))) {
            if (e == ERR_TOO_LARGE)
                x->cut = CUT_BYTES;
            return false;
        }
        if (n->type == XML_ELEMENT_NODE && n->children) {
            n = n->children;
            continue;
        }
        while (n && n != root && !n->next)
            n = n->parent;
        if (!n || n == root)
            break;
        n = n->next;
    }
    return true;
}

/* The cleaned, whitespace-folded copy of `src`, counted against the
 * page's byte cap (already checked when `counted`: the text buffer's own
 * cap).  NULL when out of memory or over the cap (x->cut set). */
static char *fold_value(struct extraction *x, const char *src, bool counted)
{
    size_t len = strlen(src);
    char *s;

    if (!counted && len > PARSE_MAX_VALUE_BYTES - x->bytes) {
        x->cut = CUT_BYTES;
        return NULL;
    }
    if ((s = utf8_clean(src, len, true)))
        x->bytes += strlen(s);
    return s;
}

/* The cleaned, whitespace-folded text of one node: an element's text, an
 * attribute's value, a text node's content.  New string; NULL when out
 * of memory or when the page's budget ran out (x->cut says which). */
static char *node_value(struct extraction *x, xmlNodePtr n)
{
    size_t left = PARSE_MAX_VALUE_BYTES - x->bytes;
    struct buf text;
    xmlChar *raw = NULL;
    const char *src;
    bool counted = false; /* the text buffer's cap already applied */
    char *s = NULL;

    buf_init(&text, left);
    if (n->type == XML_ELEMENT_NODE && n->children && !n->children->next &&
        n->children->type == XML_TEXT_NODE && n->children->content) {
        src = (const char *)n->children->content; /* <small>Ann</small> */
    } else if (n->type == XML_ELEMENT_NODE || n->type == XML_DOCUMENT_NODE ||
               n->type == XML_HTML_DOCUMENT_NODE) {
        if (!subtree_text(x, n, &text))
            goto out;
        src = text.data;
        counted = true;
    } else if ((n->type == XML_TEXT_NODE ||
                n->type == XML_CDATA_SECTION_NODE) &&
               n->content) {
        src = (const char *)n->content; /* no copy for ::text */
    } else if (n->type == XML_ATTRIBUTE_NODE && n->children &&
               !n->children->next && n->children->type == XML_TEXT_NODE &&
               n->children->content) {
        src = (const char *)n->children->content; /* nor for ::attr() */
    } else {
        raw = xmlNodeGetContent(n);
        src = raw ? (const char *)raw : "";
    }
    s = fold_value(x, src, counted);
out:
    xmlFree(raw);
    buf_release(&text);
    return s;
}

/* Appends the values of one XPath result: every node of a node-set for a
 * list field, the first for a plain one; a string, number or boolean
 * result is one value unless it is "" (a string function that matched
 * nothing). */
static enum err push_result(struct extraction *x, xmlXPathObjectPtr obj,
                            bool list)
{
    enum err e = ERR_OK;
    xmlChar *raw;
    char *v;
    int i;

    if (!obj || x->cut)
        return ERR_OK;
    if (obj->type == XPATH_NODESET) {
        for (i = 0; obj->nodesetval && i < obj->nodesetval->nodeNr && !e; i++) {
            if (x->pg->nvals >= PARSE_MAX_VALUES) {
                x->cut = CUT_VALUES;
                break;
            }
            v = node_value(x, obj->nodesetval->nodeTab[i]);
            if (!v && x->cut)
                break;
            e = push_value(x, v);
            if (!list)
                break;
        }
        return e;
    }
    /* A string, number or boolean: one value, within the byte cap like
     * node values (normalize-space(//body) on each of 100,000 items). */
    raw = xmlXPathCastToString(obj);
    if (raw && *raw) {
        v = fold_value(x, (const char *)raw, false);
        if (v || !x->cut)
            e = push_value(x, v);
    }
    xmlFree(raw);
    return e;
}

/* Evaluates every field of rule `pr` with `node` as the context: one
 * record. */
static enum err push_record(const struct parser_rule *pr, struct extraction *x,
                            xmlXPathContextPtr ctx, xmlNodePtr node)
{
    struct page *pg = x->pg;
    size_t f, need = (pg->nrecords + 1) * pg->nfields + 1;
    enum err e;

    if (need > x->cap_off) {
        size_t ncap = need * 2;
        size_t *no = realloc(pg->off, ncap * sizeof(*no));
        if (!no)
            return ERR_NOMEM;
        pg->off = no;
        x->cap_off = ncap;
    }
    for (f = 0; f < pg->nfields; f++) {
        xmlXPathObjectPtr obj;
        ctx->node = node;
        obj = xmlXPathCompiledEval(pr->fields[f], ctx);
        if (!obj && ctx->opLimit && ctx->opCount >= ctx->opLimit)
            x->cut = CUT_STEPS;
        e = push_result(x, obj, pr->spec->spec.fields[f].list);
        xmlXPathFreeObject(obj);
        if (e)
            return e;
        pg->off[pg->nrecords * pg->nfields + f + 1] = pg->nvals;
    }
    pg->nrecords++;
    return ERR_OK;
}

/* Points the parser's XPath context at `doc`, within the page's budget
 * of XPath steps. */
static xmlXPathContextPtr context_on(struct parser *p, xmlDocPtr doc)
{
    xmlXPathContextPtr ctx = p->xctx;

    ctx->doc = doc;
    ctx->node = (xmlNodePtr)doc;
    ctx->contextSize = -1;
    ctx->proximityPosition = -1;
    ctx->opLimit = PARSE_MAX_XPATH_OPS;
    return ctx;
}

/* Fills the page's records: one per --item match of rule `pr`, or the
 * page itself. */
static enum err extract(struct parser *p, const struct parser_rule *pr,
                        xmlDocPtr doc, struct extraction *x)
{
    const struct extract_spec *spec = &pr->spec->spec;
    struct page *pg = x->pg;
    xmlXPathContextPtr ctx;
    xmlXPathObjectPtr items = NULL;
    enum err e = ERR_OK;
    int i;

    if (!pr->item && !spec->nfields)
        return ERR_OK;
    pg->items = pr->item != NULL;
    pg->nfields = spec->nfields;
    x->cap_off = 16;
    pg->off = calloc(x->cap_off, sizeof(*pg->off));
    if (!pg->off)
        return ERR_NOMEM;
    /* The parser's context (with its cache of XPath objects, so node-sets
     * and strings are reused, not malloc'd per evaluation), on this page. */
    ctx = context_on(p, doc);
    if (!pr->item) {
        e = push_record(pr, x, ctx, (xmlNodePtr)doc);
    } else {
        items = xmlXPathCompiledEval(pr->item, ctx);
        if (!items && ctx->opCount >= ctx->opLimit)
            x->cut = CUT_STEPS;
        for (i = 0;
             items && items->type == XPATH_NODESET && items->nodesetval &&
             i < items->nodesetval->nodeNr && !e && !x->cut;
             i++) {
            if (pg->nrecords >= PARSE_MAX_ITEMS) {
                x->cut = CUT_ITEMS;
                break;
            }
            e = push_record(pr, x, ctx, items->nodesetval->nodeTab[i]);
        }
    }
    xmlXPathFreeObject(items);
    return e;
}

/* The URL one --follow result names, as written: an element's href (<a>,
 * <area>, <link>; an element without one names nothing), an attribute's
 * value, a text node's content.  New string, or NULL. */
static char *follow_target(xmlNodePtr n)
{
    xmlChar *raw = NULL;
    char *s;

    if (n->type == XML_ELEMENT_NODE)
        raw = xmlGetProp(n, (const xmlChar *)"href");
    else if (n->type == XML_ATTRIBUTE_NODE || n->type == XML_TEXT_NODE ||
             n->type == XML_CDATA_SECTION_NODE)
        raw = xmlNodeGetContent(n);
    if (!raw)
        return NULL;
    s = strdup((const char *)raw);
    xmlFree(raw);
    return s;
}

/* Adds `href` to the page's chosen links (w->pg->follow), resolved like
 * a link, unless it is there already (`seen` holds their URLs). */
static void choose_link(struct walk *w, struct hmap *seen, const char *href)
{
    struct page *pg = w->pg;
    struct hmap_slot *slot;
    struct link *l;
    enum err e;

    l = append_link(w, &pg->follow, &pg->nfollow, &w->follow_cap, href);
    if (!l)
        return;
    if (hmap_get(seen, l->url)) {
        free(l->url);
        pg->nfollow--;
    } else if ((e = hmap_put(seen, l->url, NULL, &slot))) {
        w->err = e;
    }
}

/* Appends what one --follow result chose. */
static void choose_result(struct walk *w, struct hmap *seen,
                          xmlXPathObjectPtr obj)
{
    xmlChar *raw;
    char *href;
    int i;

    if (!obj)
        return;
    if (obj->type != XPATH_NODESET) {
        if ((raw = xmlXPathCastToString(obj)) && *raw)
            choose_link(w, seen, (const char *)raw);
        xmlFree(raw);
        return;
    }
    for (i = 0; obj->nodesetval && i < obj->nodesetval->nodeNr && !w->err;
         i++) {
        if (!(href = follow_target(obj->nodesetval->nodeTab[i])))
            continue;
        choose_link(w, seen, href);
        free(href);
    }
}

/* Counts the page's distinct followable links that are not among the
 * chosen ones (`seen` holds the chosen URLs). */
static enum err count_unfollowed(struct page *pg, struct hmap *seen)
{
    struct hmap_slot *slot;
    size_t i;
    enum err e;

    for (i = 0; i < pg->nlinks; i++) {
        const struct link *l = &pg->links[i];
        if (!l->followable || hmap_get(seen, l->url))
            continue;
        if ((e = hmap_put(seen, l->url, NULL, &slot)))
            return e;
        pg->unfollowed++;
    }
    return ERR_OK;
}

/* count_unfollowed() with nothing chosen (--no-follow). */
static enum err count_unfollowed_all(struct page *pg)
{
    struct hmap seen;
    enum err e;

    hmap_init(&seen);
    e = count_unfollowed(pg, &seen);
    hmap_release(&seen);
    return e;
}

/* The links rule `pr` chooses to follow (--follow), or none
 * (--no-follow), and how many of the page's links are left out. */
static enum err choose(struct parser *p, const struct parser_rule *pr,
                       xmlDocPtr doc, struct walk *w, struct extraction *x)
{
    xmlXPathContextPtr ctx;
    struct hmap seen; /* keys borrowed from the page's links */
    size_t i;
    enum err e;

    hmap_init(&seen);
    w->pg->chosen = true;
    for (i = 0; i < pr->spec->nfollow && !w->err && !x->cut; i++) {
        xmlXPathObjectPtr obj;
        ctx = context_on(p, doc);
        obj = xmlXPathCompiledEval(pr->follow[i], ctx);
        if (!obj && ctx->opCount >= ctx->opLimit)
            x->cut = CUT_STEPS;
        choose_result(w, &seen, obj);
        xmlXPathFreeObject(obj);
    }
    e = w->err ? w->err : count_unfollowed(w->pg, &seen);
    hmap_release(&seen);
    return e;
}

enum err parse_rule_page(struct parser *p, size_t rule, const char *body,
                         size_t len, const char *url, const char *content_type,
                         struct page *out)
{
    static const struct rule_spec none;
    static const struct parser_rule plain = {.spec = &none};
    const struct parser_rule *pr = rule < p->nrules ? &p->rules[rule] : &plain;
    char charset[CHARSET_MAX + 1];
    struct walk w = {.pg = out};
    struct extraction x = {.pg = out};
    xmlDocPtr doc = NULL;
    char *base = NULL, *decoded = NULL;
    enum err e;

    memset(out, 0, sizeof(*out));
    out->rule = pr == &plain ? 0 : rule;
    if (len > (size_t)PARSE_MAX_BYTES)
        return ERR_TOO_LARGE;
    charset_pick(content_type, body, len, charset);
    if (!(out->charset = strdup(charset)))
        return ERR_NOMEM;
    if ((e = charset_to_utf8(charset, &body, &len, &decoded)))
        return e;
    /* charset_to_utf8() made the bytes UTF-8, whatever the page's charset.
     * --no-follow chooses nothing, which needs no tree either. */
    if (!pr->tree && !p->force_tree) {
        e = parse_sax(p, body, len, url, out);
        free(decoded);
        if (!e && pr->spec->no_follow) {
            out->chosen = true;
            e = count_unfollowed_all(out);
        }
        return e;
    }
    doc = htmlCtxtReadMemory(p->ctxt, len ? body : " ", len ? (int)len : 1, url,
                             "UTF-8", PARSE_OPTIONS);
    if (!doc) {
        free(decoded);
        return ERR_PARSE;
    }
    if (!(base = find_base(xmlDocGetRootElement(doc), url))) {
        e = ERR_NOMEM;
        goto out;
    }
    w.base = base;
    buf_init(&w.text, PARSE_TEXT_MAX);
    walk_tree(&w, xmlDocGetRootElement(doc));
    if ((e = w.err))
        goto out;
    /* Already valid UTF-8 (libxml2 was given UTF-8); whitespace is left
     * as it is, which the search tokenizer ignores anyway. */
    if (!(out->text = buf_detach(&w.text, NULL))) {
        e = ERR_NOMEM;
        goto out;
    }
    if (p->xctx)
        p->xctx->opCount = 0; /* one budget for the page's selectors */
    if (!(e = extract(p, pr, doc, &x)) && rule_follows_chosen(pr->spec))
        e = choose(p, pr, doc, &w, &x);
    if (!e && x.cut && !(out->extract_error = cut_message(x.cut)))
        e = ERR_NOMEM;
out:
    /* The document is freed next: nothing may point into it. */
    if (p->xctx) {
        p->xctx->doc = NULL;
        p->xctx->node = NULL;
    }
    buf_release(&w.text);
    free(base);
    free(decoded);
    xmlFreeDoc(doc);
    return e;
}

enum err parse_page(struct parser *p, const char *body, size_t len,
                    const char *url, const char *content_type, struct page *out)
{
    return parse_rule_page(p, parser_rule(p, url), body, len, url, content_type,
                           out);
}

void page_fingerprint(struct page *pg)
{
    struct simhash sh;

    simhash_init(&sh);
    if (pg->text)
        simhash_add(&sh, pg->text, strlen(pg->text));
    pg->simhash = simhash_value(&sh);
}

void page_fingerprint_once(struct page *pg)
{
    if (!pg->simhash)
        page_fingerprint(pg);
}

void page_release(struct page *pg)
{
    size_t i;

    free(pg->title);
    free(pg->description);
    free(pg->lang);
    free(pg->canonical);
    free(pg->h1);
    free(pg->charset);
    free(pg->text);
    for (i = 0; i < pg->nlinks; i++)
        free(pg->links[i].url);
    free(pg->links);
    for (i = 0; i < pg->nfollow; i++)
        free(pg->follow[i].url);
    free(pg->follow);
    for (i = 0; i < pg->nvals; i++)
        free(pg->vals[i]);
    free(pg->vals);
    free(pg->off);
    free(pg->extract_error);
    memset(pg, 0, sizeof(*pg));
}

char *const *page_values(const struct page *pg, size_t rec, size_t field,
                         size_t *n)
{
    size_t k = rec * pg->nfields + field;

    *n = pg->off[k + 1] - pg->off[k];
    return pg->vals + pg->off[k];
}
