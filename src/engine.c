/*
 * engine.c - the engine registry.
 */
#include "scrape/engine.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "scrape/login.h"

extern const struct engine_ops engine_multi;
extern const struct engine_ops engine_threads;
extern const struct engine_ops engine_procs;

static const struct engine_ops *const engines[] = {
    &engine_multi,
    &engine_threads,
    &engine_procs,
};

const struct engine_ops *engine_find(const char *name)
{
    size_t i;

    for (i = 0; i < sizeof(engines) / sizeof(engines[0]); i++)
        if (!strcmp(engines[i]->name, name))
            return engines[i];
    return NULL;
}

void engine_http_opts(const struct config *cfg, const struct crawl *c,
                      struct http_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->timeout_s = cfg->timeout_s;
    o->connect_timeout_s = cfg->connect_timeout_s;
    o->max_bytes = cfg->max_bytes;
    o->user_agent = cfg->user_agent;
    o->stop = crawl_stop_flag(c);
    o->stop_grace_ms = ENGINE_STOP_GRACE_MS;
    o->keep_headers = cfg->keep_bodies;
    o->headers = cfg->headers;
    o->nheaders = cfg->nheaders;
    o->userpwd = cfg->user;
    o->cacert = cfg->cacert;
    o->capath = cfg->capath;
    o->cert = cfg->cert;
    o->key = cfg->key;
    o->insecure = cfg->insecure;
}

enum err engine_cookies_start(const struct config *cfg,
                              const struct http_opts *o)
{
    char why[512];
    enum err e;

    curl_share_setopt(o->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_COOKIE);
    if (cfg->cookies && (e = http_cookies_load(o->share, cfg->cookies)))
        return e;
    if (!cfg->login_url)
        return ERR_OK;
    if ((e = login_run(o, cfg->login_url, cfg->login_data, why, sizeof(why))))
        fprintf(stderr, "scrape: login at %s failed: %s\n", cfg->login_url,
                why);
    return e;
}

void engine_cookies_end(const struct config *cfg, CURLSH *share)
{
    if (cfg->cookie_jar && http_cookies_save(share, cfg->cookie_jar))
        fprintf(stderr, "scrape: cannot write the cookie jar '%s': %s\n",
                cfg->cookie_jar, strerror(errno));
}

enum err engine_prepare(const struct crawl *c, struct transfer *t,
                        const struct frontier_job *job)
{
    const char *etag, *last_modified;
    enum err e = http_transfer_prepare(t, job->url);

    if (e || (e = http_transfer_auth(t, t->opts->userpwd &&
                                            crawl_seed_host(c, job->url))))
        return e;
    crawl_validators(c, job->url, &etag, &last_modified);
    return http_transfer_validators(t, etag, last_modified);
}
