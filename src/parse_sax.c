/*
 * parse_sax.c - the SAX pass: a page's built-in fields (title, meta,
 * h1, text, links, <base>, canonical) collected as libxml2 reports
 * elements and text, with no tree built, for crawls without --item or
 * --field.  The callbacks follow the order and nesting the tree builder
 * would have seen, so the record is the one parse.c's tree walk gives (a
 * test compares the two on every fixture, and the parse fuzzer on every
 * input).  Links are resolved at the end, against the <base> however
 * late it came.  See parse_int.h.
 */
#include "parse_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/SAX2.h>
#include <libxml/parserInternals.h>

#include "scrape/url.h"
#include "scrape/utf8.h"

/* What the SAX callbacks collect (ctxt->_private during a parse). */
struct sax {
    struct page *pg;
    struct buf text; /* visible text so far, capped as the walk caps it */
    /* The text node being reported (adjacent reports), written straight
     * into `text` from run_start while it fits, its words counted as its
     * pieces come. */
    size_t run_start;
    size_t run_len;     /* its bytes so far, stored or not */
    unsigned run_space; /* count_words_n's carry */
    bool run_fits;      /* it is all in `text` so far */
    bool run_cut;       /* a NUL came: the tree's string ends there */
    bool run_open;      /* a text node is being reported */
    bool run_cdata;     /* ... and it is a CDATA node (script, style) */
    bool run_hidden;    /* ... inside script, style, head... */
    int depth;          /* where the tree builder would be: 1 = in the root */
    unsigned nstack;    /* its node stack (libxml2's nodeNr) */
    int hidden;         /* depth of the outermost hidden element open, or 0 */
    bool root_done;     /* the root element ended, and what follows is not in
                           its subtree (see sax_start) */
    bool before_root;   /* a DOCTYPE, comment or PI came before the root */
    bool root_seen;
    bool root_first;     /* the root is the document's first child */
    bool halted;         /* the tree builder would have stopped here */
    bool started;        /* startDocument came: a document exists */
    int title_at, h1_at; /* depth of the first <title>/<h1> while open */
    bool title_seen, h1_seen;
    struct buf title, h1;
    /* <base>: the first <base> child of the first <head> child of the
     * first top-level <html> (find_base's rule). */
    bool html_seen, head_seen, base_seen;
    bool in_html, in_head;
    char *base_href;  /* raw, or NULL */
    struct buf hrefs; /* raw <a href>s, NUL-separated, in order */
    size_t nhrefs;
    struct buf canon; /* raw <link rel=canonical href>s, likewise */
    size_t ncanon;
    enum err err;
};

static struct sax *sax_of(void *ctx)
{
    return ((htmlParserCtxtPtr)ctx)->_private;
}

static void sax_fail(struct sax *st, enum err e)
{
    if (!st->err)
        st->err = e;
}

/* The value of attribute `name` in SAX attributes `atts`, NULL when
 * absent, "" when present without a value (as xmlGetProp says). */
static const char *att(const xmlChar **atts, const char *name)
{
    size_t i;

    for (i = 0; atts && atts[i]; i += 2)
        if (!strcmp((const char *)atts[i], name))
            return atts[i + 1] ? (const char *)atts[i + 1] : "";
    return NULL;
}

/* The cleaned value of attribute `name`, or NULL (as attr() does). */
static char *att_clean(struct sax *st, const xmlChar **atts, const char *name,
                       bool collapse)
{
    const char *v = att(atts, name);
    char *s;

    if (!v)
        return NULL;
    if (!(s = utf8_clean(v, strlen(v), collapse)))
        sax_fail(st, ERR_NOMEM);
    return s;
}

/* Ends the text node being reported: its text stays in the page's if
 * it fit whole (one space keeps nodes apart), as the tree walk keeps it. */
static void end_run(struct sax *st)
{
    if (!st->run_open)
        return;
    st->run_open = false;
    if (!st->run_hidden && st->run_len && st->run_fits &&
        buf_add(&st->text, " ", 1))
        sax_fail(st, ERR_NOMEM);
}

/* A piece of the text node being reported: its words, and its bytes
 * into the page's text while the whole node still fits there. */
static void run_piece(struct sax *st, const char *p, size_t n)
{
    const char *nul = memchr(p, '\0', n);

    if (st->run_cut)
        return;
    if (nul) {
        n = (size_t)(nul - p);
        st->run_cut = true;
    }
    st->pg->words += parse_count_words_n(p, n, &st->run_space);
    st->run_len += n;
    if (!st->run_fits)
        return;
    if (st->run_start + st->run_len + 1 > st->text.max) {
        /* Too long for the rest of the text: none of it is kept. */
        st->run_fits = false;
        st->text.len = st->run_start;
        if (st->text.cap)
            st->text.data[st->run_start] = '\0';
        return;
    }
    if (buf_add(&st->text, p, n))
        sax_fail(st, ERR_NOMEM);
}

/* Copies `v` and a NUL to `b` (a list of raw strings). */
static void push_raw(struct sax *st, struct buf *b, const char *v, size_t *n)
{
    if (buf_add(b, v, strlen(v) + 1))
        sax_fail(st, ERR_NOMEM);
    else
        (*n)++;
}

static void sax_start_document(void *ctx)
{
    sax_of(ctx)->started = true;
}

/* The name the tree builder gives element `qname`: it splits a prefix
 * off at the first ':' (xmlSplitQName), unless the ':' is first or last
 * ("<div:head>" is a head element, "<a:>" is "a:"). */
static const char *local_name(const char *qname)
{
    const char *c = strchr(qname, ':');

    return c && c != qname && c[1] ? c + 1 : qname;
}

/* What the tree walk does on entering element `name` (visit_element),
 * and find_base's look for <base>. */
static void sax_start(void *ctx, const xmlChar *xname, const xmlChar **atts)
{
    struct sax *st = sax_of(ctx);
    struct page *pg = st->pg;
    const char *name = local_name((const char *)xname), *v;
    char *s;

    end_run(st);
    if (st->halted)
        return;
    /* Deeper than libxml2's limit, the tree builder's nodePush fails and
     * halts the parser: nothing from here on is in the tree. */
    if (st->nstack > xmlParserMaxDepth) {
        st->halted = true;
        xmlStopParser(ctx);
        return;
    }
    if (st->depth == 0) {
        if (!st->root_seen) {
            st->root_seen = true;
            st->root_first = !st->before_root;
        } else if (st->root_done && st->root_first) {
            /* A top-level element after the root: the tree builder hangs
             * it under the document's first child, which is the root. */
            st->depth = 1;
            st->root_done = false;
        }
    }
    /* find_base looks at every top-level <html>, even past the root. */
    if (st->nstack == 0 && !st->html_seen && !strcmp(name, "html"))
        st->html_seen = st->in_html = true;
    else if (st->nstack == 1 && st->in_html && !st->head_seen &&
             !strcmp(name, "head"))
        st->head_seen = st->in_head = true;
    else if (st->nstack == 2 && st->in_head && !st->base_seen &&
             !strcmp(name, "base")) {
        st->base_seen = true;
        if ((v = att(atts, "href")) && !(st->base_href = strdup(v)))
            sax_fail(st, ERR_NOMEM);
    }
    st->nstack++;
    st->depth++;
    if (st->root_done)
        return;
    if (!strcmp(name, "a")) {
        if ((v = att(atts, "href")) && st->nhrefs < PARSE_MAX_LINKS)
            push_raw(st, &st->hrefs, v, &st->nhrefs);
    } else if (!strcmp(name, "title") && !st->title_seen) {
        st->title_seen = true;
        st->title_at = st->depth;
    } else if (!strcmp(name, "h1") && !st->h1_seen) {
        st->h1_seen = true;
        st->h1_at = st->depth;
    } else if (!strcmp(name, "html") && !pg->lang) {
        pg->lang = att_clean(st, atts, "lang", true);
    } else if (!strcmp(name, "meta") && !pg->description) {
        s = att_clean(st, atts, "name", true);
        if (s && !strcasecmp(s, "description"))
            pg->description = att_clean(st, atts, "content", true);
        free(s);
    } else if (!strcmp(name, "link") && !pg->canonical) {
        s = att_clean(st, atts, "rel", true);
        if (parse_has_token(s, "canonical") && (v = att(atts, "href")))
            push_raw(st, &st->canon, v, &st->ncanon);
        free(s);
    }
    if (!st->hidden && (!strcmp(name, "script") || !strcmp(name, "style") ||
                        !strcmp(name, "head") || !strcmp(name, "template") ||
                        !strcmp(name, "noscript")))
        st->hidden = st->depth;
}

/* A first <title>/<h1> that ends: its text as node_text() gives it. */
static void end_capture(struct sax *st, struct buf *b, char **slot)
{
    if (!(*slot = utf8_clean(b->data, strlen(b->data), true)))
        sax_fail(st, ERR_NOMEM);
}

static void sax_end(void *ctx, const xmlChar *name)
{
    struct sax *st = sax_of(ctx);

    (void)name;
    end_run(st);
    if (st->halted || st->nstack == 0)
        return;
    if (st->depth == st->title_at) {
        st->title_at = 0;
        end_capture(st, &st->title, &st->pg->title);
    }
    if (st->depth == st->h1_at) {
        st->h1_at = 0;
        end_capture(st, &st->h1, &st->pg->h1);
    }
    if (st->depth == st->hidden)
        st->hidden = 0;
    if (st->nstack == 1)
        st->in_html = false;
    if (st->nstack == 2)
        st->in_head = false;
    st->depth--;
    /* Back at the top: whatever the tree builder hung this under. */
    if (--st->nstack == 0) {
        st->depth = 0;
        st->root_done = true;
    }
}

/* Text (or CDATA) in the current element: adjacent reports of one kind
 * are one node, as the tree builder merges them. */
static void add_text(struct sax *st, const xmlChar *ch, int len, bool cdata)
{
    if (st->halted || st->nstack == 0 || st->root_done || len <= 0)
        return;
    if (st->run_open && st->run_cdata != cdata)
        end_run(st);
    if (!st->run_open) {
        st->run_open = true;
        st->run_cdata = cdata;
        st->run_hidden = st->hidden != 0;
        st->run_start = st->text.len;
        st->run_len = 0;
        st->run_space = 1;
        st->run_fits = true;
        st->run_cut = false;
    }
    if (!st->run_hidden)
        run_piece(st, (const char *)ch, (size_t)len);
    if ((st->title_at && buf_add(&st->title, ch, (size_t)len)) ||
        (st->h1_at && buf_add(&st->h1, ch, (size_t)len)))
        sax_fail(st, ERR_NOMEM);
}

static void sax_chars(void *ctx, const xmlChar *ch, int len)
{
    add_text(sax_of(ctx), ch, len, false);
}

static void sax_cdata(void *ctx, const xmlChar *ch, int len)
{
    add_text(sax_of(ctx), ch, len, true);
}

/* Comments and processing instructions are nodes: they end a text node
 * (and hold no text of their own). */
static void sax_node(struct sax *st)
{
    end_run(st);
    if (!st->root_seen)
        st->before_root = true;
}

static void sax_comment(void *ctx, const xmlChar *value)
{
    (void)value;
    sax_node(sax_of(ctx));
}

static void sax_pi(void *ctx, const xmlChar *target, const xmlChar *data)
{
    (void)target;
    (void)data;
    sax_node(sax_of(ctx));
}

/* A DOCTYPE: the document's first child, ahead of the root. */
static void sax_doctype(void *ctx, const xmlChar *name, const xmlChar *id,
                        const xmlChar *sys)
{
    (void)name;
    (void)id;
    (void)sys;
    sax_node(sax_of(ctx));
}

static void sax_end_document(void *ctx)
{
    end_run(sax_of(ctx));
}

/* Makes `ctxt` report to the callbacks above instead of building a tree.
 * Whitespace the parser calls ignorable goes where the tree builder
 * would put it (a text node, or nowhere). */
enum err parse_sax_install(htmlParserCtxtPtr ctxt)
{
    htmlSAXHandler def, *h = xmlMalloc(sizeof(*h));

    if (!h)
        return ERR_NOMEM;
    memset(h, 0, sizeof(*h));
    /* It returns at once when `initialized` is set: start from zeros. */
    memset(&def, 0, sizeof(def));
    xmlSAX2InitHtmlDefaultSAXHandler(&def);
    h->startDocument = sax_start_document;
    h->endDocument = sax_end_document;
    h->startElement = sax_start;
    h->endElement = sax_end;
    h->characters = sax_chars;
    h->cdataBlock = sax_cdata;
    h->ignorableWhitespace =
        def.ignorableWhitespace == xmlSAX2Characters ? sax_chars : NULL;
    h->comment = sax_comment;
    h->processingInstruction = sax_pi;
    h->internalSubset = sax_doctype;
    h->initialized = 1;
    xmlFree(ctxt->sax);
    ctxt->sax = h;
    return ERR_OK;
}

/* The SAX pass over UTF-8 `body`; fills what the tree walk fills. */
enum err parse_sax(struct parser *p, const char *body, size_t len,
                   const char *url, struct page *out)
{
    struct sax st = {.pg = out};
    struct walk w = {.pg = out};
    char *base = NULL, *canon = NULL;
    const char *h;
    size_t i;
    enum err e = ERR_OK;

    buf_init(&st.text, PARSE_TEXT_MAX);
    buf_init(&st.title, PARSE_MAX_BYTES);
    buf_init(&st.h1, PARSE_MAX_BYTES);
    buf_init(&st.hrefs, PARSE_MAX_BYTES);
    buf_init(&st.canon, PARSE_MAX_BYTES);
    p->sax->_private = &st;
    p->sax->userData = p->sax;
    /* No tree is built: nothing is returned to free. */
    htmlCtxtReadMemory(p->sax, len ? body : " ", len ? (int)len : 1, url,
                       "UTF-8", PARSE_OPTIONS);
    p->sax->_private = NULL;
    end_run(&st);
    /* A title or h1 the document left open ends with it. */
    if (st.title_at)
        end_capture(&st, &st.title, &out->title);
    if (st.h1_at)
        end_capture(&st, &st.h1, &out->h1);
    if (!st.started)
        e = ERR_PARSE;
    else if ((e = st.err))
        ;
    else if (st.base_href && url_resolve(url, st.base_href, &base) == ERR_NOMEM)
        e = ERR_NOMEM;
    else if (!base && !(base = strdup(url)))
        e = ERR_NOMEM;
    /* Links and the canonical URL resolve against the final <base>. */
    w.base = base;
    for (i = 0, h = st.hrefs.data; !e && i < st.nhrefs; i++, h += strlen(h) + 1)
        if (parse_add_link(&w, h), w.err)
            e = w.err;
    for (i = 0, h = st.canon.data; !e && i < st.ncanon && !out->canonical;
         i++, h += strlen(h) + 1) {
        enum err r = url_resolve(base, h, &canon);
        if (r == ERR_OK)
            out->canonical = canon;
        else if (r == ERR_NOMEM)
            e = r;
    }
    if (!e && !(out->text = buf_detach(&st.text, NULL)))
        e = ERR_NOMEM;
    buf_release(&st.text);
    buf_release(&st.title);
    buf_release(&st.h1);
    buf_release(&st.hrefs);
    buf_release(&st.canon);
    free(st.base_href);
    free(base);
    return e;
}
