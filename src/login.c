/*
 * login.c - log in through a site's form before a crawl (see login.h).
 */
#include "scrape/login.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>
#include <libxml/xpath.h>

#include "scrape/buf.h"
#include "scrape/url.h"

/* Form fields: names and values, in order (owned strings). */
struct fields {
    char **name, **value;
    size_t n;
};

static void fields_release(struct fields *f)
{
    size_t i;

    for (i = 0; i < f->n; i++) {
        free(f->name[i]);
        free(f->value[i]);
    }
    free(f->name);
    free(f->value);
    memset(f, 0, sizeof(*f));
}

/* Sets field `name` to `value` (both copied), adding it when absent. */
static enum err fields_set(struct fields *f, const char *name,
                           const char *value, bool replace)
{
    char **nn, **nv;
    size_t i;

    for (i = 0; i < f->n; i++)
        if (!strcmp(f->name[i], name)) {
            char *v;
            if (!replace)
                return ERR_OK;
            if (!(v = strdup(value)))
                return ERR_NOMEM;
            free(f->value[i]);
            f->value[i] = v;
            return ERR_OK;
        }
    if (!(nn = realloc(f->name, (f->n + 1) * sizeof(*nn))))
        return ERR_NOMEM;
    f->name = nn;
    if (!(nv = realloc(f->value, (f->n + 1) * sizeof(*nv))))
        return ERR_NOMEM;
    f->value = nv;
    if (!(nn[f->n] = strdup(name)) || !(nv[f->n] = strdup(value))) {
        free(nn[f->n]);
        return ERR_NOMEM;
    }
    f->n++;
    return ERR_OK;
}

/* s[0..n) with %XX and '+' decoded: a new string, or NULL. */
static char *decode(const char *s, size_t n)
{
    char *out = malloc(n + 1), *o = out;
    size_t i;

    if (!out)
        return NULL;
    for (i = 0; i < n; i++) {
        if (s[i] == '+') {
            *o++ = ' ';
        } else if (s[i] == '%' && i + 2 < n &&
                   isxdigit((unsigned char)s[i + 1]) &&
                   isxdigit((unsigned char)s[i + 2])) {
            char hex[3] = {s[i + 1], s[i + 2], 0};
            *o++ = (char)strtol(hex, NULL, 16);
            i += 2;
        } else {
            *o++ = s[i];
        }
    }
    *o = '\0';
    return out;
}

/* The --login-data pairs. */
static enum err parse_data(const char *data, struct fields *f)
{
    const char *p = data;
    enum err e = ERR_OK;

    while (*p && !e) {
        size_t len = strcspn(p, "&"), eq = strcspn(p, "=");
        char *name = decode(p, eq < len ? eq : len);
        char *value = eq < len ? decode(p + eq + 1, len - eq - 1) : strdup("");
        if (!name || !value)
            e = ERR_NOMEM;
        else if (*name)
            e = fields_set(f, name, value, true);
        free(name);
        free(value);
        p += len + (p[len] == '&');
    }
    return e;
}

static char *prop(xmlNodePtr n, const char *name)
{
    xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
    char *s = v ? strdup((const char *)v) : NULL;

    xmlFree(v);
    return s;
}

/* True when input element `n` is submitted with the form: named, not a
 * button or file, a checkbox or radio only when checked. */
static bool submitted(xmlNodePtr n, char **type)
{
    char *t = prop(n, "type");
    bool ok;

    *type = t;
    if (!t)
        return true;
    ok = strcasecmp(t, "submit") && strcasecmp(t, "button") &&
         strcasecmp(t, "image") && strcasecmp(t, "reset") &&
         strcasecmp(t, "file");
    if (ok && (!strcasecmp(t, "checkbox") || !strcasecmp(t, "radio"))) {
        xmlChar *c = xmlGetProp(n, (const xmlChar *)"checked");
        ok = c != NULL;
        xmlFree(c);
    }
    return ok;
}

/* The form's fields as the browser would send them; *password set when
 * it has a password input. */
static enum err form_fields(xmlXPathContextPtr ctx, xmlNodePtr form,
                            struct fields *f, bool *password)
{
    xmlXPathObjectPtr o;
    enum err e = ERR_OK;
    int i;

    *password = false;
    ctx->node = form;
    o = xmlXPathEvalExpression(
        (const xmlChar *)".//input[@name] | .//textarea[@name] |"
                         " .//select[@name]",
        ctx);
    for (i = 0; o && o->nodesetval && i < o->nodesetval->nodeNr && !e; i++) {
        xmlNodePtr n = o->nodesetval->nodeTab[i];
        char *name = prop(n, "name"), *type = NULL, *value = NULL;
        if (!strcmp((const char *)n->name, "input")) {
            if (submitted(n, &type))
                value = prop(n, "value");
            else
                free(name), name = NULL;
            if (type && !strcasecmp(type, "password"))
                *password = true;
        } else if (!strcmp((const char *)n->name, "textarea")) {
            xmlChar *t = xmlNodeGetContent(n);
            value = t ? strdup((const char *)t) : NULL;
            xmlFree(t);
        }
        if (name && *name)
            e = fields_set(f, name, value ? value : "", false);
        free(name);
        free(type);
        free(value);
    }
    xmlXPathFreeObject(o);
    return e;
}

/* True when every name of `want` is a field of `have`. */
static bool has_all(const struct fields *have, const struct fields *want)
{
    size_t i, k;

    for (i = 0; i < want->n; i++) {
        for (k = 0; k < have->n && strcmp(have->name[k], want->name[i]); k++)
            ;
        if (k == have->n)
            return false;
    }
    return true;
}

/* The form to log in with in `doc`: its fields (*f), action and method.
 * *found false when none fits. */
static enum err choose_form(xmlDocPtr doc, const struct fields *data,
                            struct fields *f, char **action, bool *post,
                            bool *found)
{
    xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
    xmlXPathObjectPtr forms;
    xmlNodePtr pick = NULL, first_pw = NULL;
    enum err e = ERR_OK;
    int i;

    *found = false;
    if (!ctx)
        return ERR_NOMEM;
    forms = xmlXPathEvalExpression((const xmlChar *)"//form", ctx);
    for (i = 0; forms && forms->nodesetval && i < forms->nodesetval->nodeNr &&
                !pick && !e;
         i++) {
        struct fields ff = {0};
        bool pw;
        xmlNodePtr form = forms->nodesetval->nodeTab[i];
        if ((e = form_fields(ctx, form, &ff, &pw)))
            break;
        if (data->n && has_all(&ff, data))
            pick = form;
        else if (pw && !first_pw)
            first_pw = form;
        fields_release(&ff);
    }
    if (!pick)
        pick = first_pw;
    if (!e && pick) {
        char *method = prop(pick, "method");
        bool pw;
        *post = !method || strcasecmp(method, "get");
        free(method);
        *action = prop(pick, "action");
        e = form_fields(ctx, pick, f, &pw);
        *found = true;
    }
    xmlXPathFreeObject(forms);
    xmlXPathFreeContext(ctx);
    return e;
}

/* The form's fields as application/x-www-form-urlencoded text. */
static enum err encode(CURL *h, const struct fields *f, struct buf *out)
{
    enum err e = ERR_OK;
    size_t i;

    for (i = 0; i < f->n && !e; i++) {
        char *n = curl_easy_escape(h, f->name[i], 0);
        char *v = curl_easy_escape(h, f->value[i], 0);
        if (!n || !v)
            e = ERR_NOMEM;
        else
            e = buf_addf(out, "%s%s=%s", i ? "&" : "", n, v);
        curl_free(n);
        curl_free(v);
    }
    return e;
}

/* Fetches what `t` is set up for; *doc the answer parsed (caller frees),
 * `why` when it failed. */
static enum err fetch(struct transfer *t, const char *what, xmlDocPtr *doc,
                      char **final, char *why, size_t n)
{
    struct response r;
    CURLcode rc = curl_easy_perform(t->easy);
    enum err e = ERR_OK;

    *doc = NULL;
    http_transfer_result(t, rc, &r);
    if (r.err) {
        snprintf(why, n, "%s: %s", what, r.error);
        e = ERR_INVALID;
    } else {
        *final = r.final_url ? strdup(r.final_url) : NULL;
        *doc = htmlReadMemory(r.len ? r.body : " ", r.len ? (int)r.len : 1,
                              r.final_url, NULL,
                              HTML_PARSE_RECOVER | HTML_PARSE_NOERROR |
                                  HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
        if (!*doc)
            e = ERR_NOMEM;
    }
    response_release(&r);
    return e;
}

enum err login_run(const struct http_opts *o, const char *url, const char *data,
                   char *why, size_t n)
{
    struct fields want = {0}, form = {0}, again = {0};
    struct transfer t = {0};
    struct buf body, get;
    xmlDocPtr doc = NULL;
    char *action = NULL, *target = NULL, *page = NULL;
    bool post = true, found = false;
    enum err e;

    buf_init(&body, 1 << 20);
    buf_init(&get, URL_MAX + (1 << 20));
    if ((e = parse_data(data, &want)) || (e = http_transfer_init(&t, o)) ||
        (e = http_transfer_prepare(&t, url)) ||
        (e = fetch(&t, "the login page", &doc, &page, why, n)) ||
        (e = choose_form(doc, &want, &form, &action, &post, &found)))
        goto out;
    if (!found) {
        snprintf(why, n,
                 "%s has no form with the fields of --login-data, nor"
                 " one with a password",
                 url);
        e = ERR_INVALID;
        goto out;
    }
    if ((e = url_resolve(page ? page : url, action && *action ? action : "",
                         &target)) ||
        (e = parse_data(data, &form)) || (e = encode(t.easy, &form, &body)))
        goto out;
    xmlFreeDoc(doc);
    doc = NULL;
    free(page);
    page = NULL;
    if (post) {
        e = http_transfer_prepare(&t, target);
        if (!e &&
            (curl_easy_setopt(t.easy, CURLOPT_POSTFIELDSIZE, (long)body.len) ||
             curl_easy_setopt(t.easy, CURLOPT_COPYPOSTFIELDS,
                              body.data ? body.data : "")))
            e = ERR_NOMEM;
    } else if (!(e = buf_addf(&get, "%.*s?%s", (int)strcspn(target, "?#"),
                              target, body.data ? body.data : ""))) {
        e = http_transfer_prepare(&t, get.data);
    }
    if (e || (e = fetch(&t, "the login", &doc, &page, why, n)))
        goto out;
    /* Shown the form again: the site did not take the login. */
    {
        char *a2 = NULL;
        bool post2;
        if ((e = choose_form(doc, &want, &again, &a2, &post2, &found)))
            goto out;
        free(a2);
        if (found && has_all(&again, &form)) {
            snprintf(why, n,
                     "the site answered with its login form again"
                     " (wrong user or password?)");
            e = ERR_INVALID;
        }
    }
out:
    if (e == ERR_NOMEM)
        snprintf(why, n, "out of memory");
    else if (e && e != ERR_INVALID) {
        snprintf(why, n, "%s", err_str(e));
        e = ERR_INVALID;
    }
    xmlFreeDoc(doc);
    http_transfer_release(&t);
    buf_release(&body);
    buf_release(&get);
    fields_release(&want);
    fields_release(&form);
    fields_release(&again);
    free(action);
    free(target);
    free(page);
    return e;
}
