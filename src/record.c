/*
 * record.c - a response to a record and its pages row (see record.h).
 */
#include "scrape/record.h"

#include <stdio.h>
#include <stdlib.h>

#include "scrape/url.h"

bool record_is_html(const struct response *r)
{
    return !r->err && r->status >= 200 && r->status < 300 &&
           parse_is_html(r->content_type, r->body, r->len);
}

enum err record_parse(struct parser *p, const char *url,
                      const struct response *r, struct page *pg, bool *parsed,
                      const char **parse_error)
{
    const char *base = r->final_url ? r->final_url : url;
    char *canon_base = NULL;
    enum err e;

    *parsed = false;
    *parse_error = NULL;
    if (!record_is_html(r))
        return ERR_OK;
    /* Links resolve against where the page really is. */
    if (url_canon(base, &canon_base) == ERR_OK)
        base = canon_base;
    e = parse_rule_page(p, parser_rule(p, url), r->body, r->len, base,
                        r->content_type, pg);
    free(canon_base);
    if (e == ERR_OK) {
        *parsed = true;
        return ERR_OK;
    }
    page_release(pg);
    if (e == ERR_NOMEM)
        return e;
    *parse_error = err_str(e);
    return ERR_OK;
}

void record_row(const struct config *cfg, const struct frontier_job *job,
                int depth, size_t rule, const struct response *r,
                const struct page *pg, const char *parse_error,
                struct page_row *row, char *why, size_t n)
{
    static const struct extract_spec none;
    const struct spider *sp = &cfg->spider;

    *row = (struct page_row){
        .url = job->url,
        .final_url = r->final_url,
        .depth = depth,
        .status = r->status,
        .content_type = r->content_type,
        .bytes = (long long)r->len,
        .fetch_ms = r->fetch_ms,
        .attempts = job->attempts + 1,
        .error = r->err ? r->error : NULL,
        .page = pg,
        .spec = rule < sp->nrules ? &sp->rules[rule].spec : &none,
        .rule = spider_rule_name(sp, rule),
        .etag = r->etag,
        .last_modified = r->last_modified,
        .body_hash = r->body_hash,
        .keep_body = cfg->keep_bodies,
        .headers = r->headers,
    };
    /* A body as the server sent it: a success, or an HTTP error page (not
     * a transfer cut short or over --max-bytes). */
    if (response_has_body(r) && (!r->body_hash || cfg->keep_bodies)) {
        row->body = r->body;
        row->body_len = r->len;
    }
    if (!r->err && parse_error) {
        snprintf(why, n, "%s%s", RECORD_PARSE_ERROR, parse_error);
        row->error = why;
    } else if (!r->err && pg && pg->extract_error) {
        /* The page is kept, and its links followed: only some of its
         * values are missing, and the row says so. */
        snprintf(why, n, "%s%s", RECORD_EXTRACT_ERROR, pg->extract_error);
        row->error = why;
    }
}
