/*
 * robots.c - RFC 9309 robots.txt rules (see robots.h).
 *
 * Parsing keeps only the rules of the groups that apply to us: lines are
 * read in order; a run of User-agent lines opens a group, rules that
 * follow belong to it.  Rules of groups naming our token are kept; '*'
 * group rules are kept aside and used only when no group names us.
 */
#include "scrape/robots.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct rule {
    char *pattern;
    size_t len;
    bool allow;
};

struct rules {
    struct rule *v;
    size_t n, cap;
};

struct robots {
    struct rules rules;
    long crawl_delay_ms; /* Crawl-delay of the chosen group; -1: none */
    int fixed;           /* 0: use rules; 1: allow all; -1: disallow all */
    char **sitemaps;     /* Sitemap: lines, in order */
    size_t nsitemaps;
};

static void rules_release(struct rules *rs)
{
    size_t i;

    for (i = 0; i < rs->n; i++)
        free(rs->v[i].pattern);
    free(rs->v);
    memset(rs, 0, sizeof(*rs));
}

static enum err rules_add(struct rules *rs, const char *p, size_t n, bool allow)
{
    struct rule *nv;

    if (rs->n == rs->cap) {
        size_t ncap = rs->cap ? rs->cap * 2 : 8;
        nv = realloc(rs->v, ncap * sizeof(*nv));
        if (!nv)
            return ERR_NOMEM;
        rs->v = nv;
        rs->cap = ncap;
    }
    rs->v[rs->n].pattern = strndup(p, n);
    if (!rs->v[rs->n].pattern)
        return ERR_NOMEM;
    rs->v[rs->n].len = n;
    rs->v[rs->n].allow = allow;
    rs->n++;
    return ERR_OK;
}

/* Trims spaces and a '#' comment; returns the length of what is left. */
static size_t trim(const char **s, size_t n)
{
    const char *hash = memchr(*s, '#', n);

    if (hash)
        n = (size_t)(hash - *s);
    while (n && isspace((unsigned char)**s)) {
        (*s)++;
        n--;
    }
    while (n && isspace((unsigned char)(*s)[n - 1]))
        n--;
    return n;
}

/* True when the User-agent value `v` names our product token. */
static bool names_us(const char *v, size_t n, const char *token)
{
    size_t tn = strlen(token);

    return n == tn && !strncasecmp(v, token, n);
}

struct parse_state {
    bool in_agents;  /* the previous line was a User-agent line */
    bool group_us;   /* the current group names our token */
    bool group_star; /* the current group names '*' */
    bool found_us;   /* some group named us */
    struct rules us, star;
    long delay_us, delay_star; /* their Crawl-delay in ms; -1: none */
    char **sitemaps;
    size_t nsitemaps;
};

/* A Sitemap: line: not part of any group (RFC 9309 2.3.5). */
static enum err add_sitemap(struct parse_state *ps, const char *v, size_t n)
{
    char **nv;

    if (!n || ps->nsitemaps >= ROBOTS_MAX_SITEMAPS)
        return ERR_OK;
    nv = realloc(ps->sitemaps, (ps->nsitemaps + 1) * sizeof(*nv));
    if (!nv)
        return ERR_NOMEM;
    ps->sitemaps = nv;
    if (!(nv[ps->nsitemaps] = strndup(v, n)))
        return ERR_NOMEM;
    ps->nsitemaps++;
    return ERR_OK;
}

/* A Crawl-delay value in milliseconds: seconds, fractions allowed
 * ("0.5", "2", "10.25"), capped at a day so it cannot overflow; -1 for
 * anything else (a negative number, a word, an empty value). */
static long delay_ms(const char *v, size_t n)
{
    long whole = 0, frac = 0, scale = 1000;
    size_t i = 0;

    if (!n || !(isdigit((unsigned char)v[0]) || v[0] == '.'))
        return -1;
    for (; i < n && isdigit((unsigned char)v[i]); i++)
        if ((whole = whole * 10 + (v[i] - '0')) > 86400)
            whole = 86400;
    if (i < n && v[i] == '.')
        for (i++; i < n && isdigit((unsigned char)v[i]); i++)
            if (scale > 1) {
                scale /= 10;
                frac += (v[i] - '0') * scale;
            }
    return i == n ? whole * 1000 + frac : -1;
}

static enum err take_line(struct parse_state *ps, const char *line, size_t n,
                          const char *token)
{
    const char *colon = memchr(line, ':', n), *key = line, *val;
    size_t kn, vn;

    if (!colon)
        return ERR_OK;
    kn = trim(&key, (size_t)(colon - line));
    val = colon + 1;
    vn = trim(&val, n - (size_t)(colon - line) - 1);
    if (kn == 10 && !strncasecmp(key, "user-agent", 10)) {
        if (!ps->in_agents)
            ps->group_us = ps->group_star = false;
        ps->in_agents = true;
        if (vn == 1 && val[0] == '*')
            ps->group_star = true;
        else if (names_us(val, vn, token))
            ps->group_us = ps->found_us = true;
        return ERR_OK;
    }
    if (kn == 7 && !strncasecmp(key, "sitemap", 7))
        return add_sitemap(ps, val, vn);
    ps->in_agents = false;
    if (kn == 11 && !strncasecmp(key, "crawl-delay", 11)) {
        long ms = delay_ms(val, vn);
        if (ms >= 0 && ps->group_us)
            ps->delay_us = ms;
        else if (ms >= 0 && ps->group_star)
            ps->delay_star = ms;
        return ERR_OK;
    }
    if ((kn == 5 && !strncasecmp(key, "allow", 5)) ||
        (kn == 8 && !strncasecmp(key, "disallow", 8))) {
        bool allow = kn == 5;
        /* "Disallow:" with no path allows everything: no rule. */
        if (vn == 0)
            return ERR_OK;
        if (ps->group_us)
            return rules_add(&ps->us, val, vn, allow);
        if (ps->group_star)
            return rules_add(&ps->star, val, vn, allow);
    }
    return ERR_OK;
}

enum err robots_parse(const char *text, size_t n, const char *user_agent,
                      struct robots **out)
{
    struct parse_state ps;
    struct robots *r = calloc(1, sizeof(*r));
    char token[64];
    size_t tn = strcspn(user_agent, "/ ");
    enum err e = ERR_OK;
    const char *p = text, *end;

    *out = NULL;
    if (!r)
        return ERR_NOMEM;
    if (tn >= sizeof(token))
        tn = sizeof(token) - 1;
    memcpy(token, user_agent, tn);
    token[tn] = '\0';
    memset(&ps, 0, sizeof(ps));
    ps.delay_us = ps.delay_star = -1;
    if (n > ROBOTS_MAX_BYTES)
        n = ROBOTS_MAX_BYTES;
    end = text + n;
    while (p < end && !e) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        e = take_line(&ps, p, len, token);
        p += len + 1;
    }
    r->sitemaps = ps.sitemaps;
    r->nsitemaps = ps.nsitemaps;
    if (e) {
        rules_release(&ps.us);
        rules_release(&ps.star);
        robots_free(r);
        return e;
    }
    if (ps.found_us) {
        r->rules = ps.us;
        r->crawl_delay_ms = ps.delay_us;
        rules_release(&ps.star);
    } else {
        r->rules = ps.star;
        r->crawl_delay_ms = ps.delay_star;
        rules_release(&ps.us);
    }
    *out = r;
    return ERR_OK;
}

enum err robots_all(bool allow, struct robots **out)
{
    *out = calloc(1, sizeof(**out));
    if (!*out)
        return ERR_NOMEM;
    (*out)->fixed = allow ? 1 : -1;
    return ERR_OK;
}

void robots_free(struct robots *r)
{
    size_t i;

    if (!r)
        return;
    rules_release(&r->rules);
    for (i = 0; i < r->nsitemaps; i++)
        free(r->sitemaps[i]);
    free(r->sitemaps);
    free(r);
}

size_t robots_sitemaps(const struct robots *r, char *const **urls)
{
    *urls = r->sitemaps;
    return r->nsitemaps;
}

/* Matches pattern p (with '*' and a final '$') against the start of s.
 * Iterative, backtracking only to the last '*': linear in practice and
 * never exponential, whatever a hostile robots.txt holds. */
static bool match(const char *p, size_t pn, const char *s)
{
    bool anchored = pn && p[pn - 1] == '$';
    size_t pi = 0, si = 0, star = (size_t)-1, mark = 0;

    if (anchored)
        pn--;
    while (s[si]) {
        if (pi < pn && p[pi] == '*') {
            star = pi++;
            mark = si;
        } else if (pi < pn && p[pi] == s[si]) {
            pi++;
            si++;
        } else if (pi == pn && !anchored) {
            return true; /* the whole pattern matched a prefix */
        } else if (star != (size_t)-1) {
            pi = star + 1;
            si = ++mark;
        } else {
            return false;
        }
    }
    while (pi < pn && p[pi] == '*')
        pi++;
    return pi == pn;
}

bool robots_allowed(const struct robots *r, const char *path)
{
    size_t best = 0, i;
    bool allowed = true, any = false;

    if (r->fixed)
        return r->fixed > 0;
    for (i = 0; i < r->rules.n; i++) {
        const struct rule *ru = &r->rules.v[i];
        if (!match(ru->pattern, ru->len, path))
            continue;
        if (!any || ru->len > best || (ru->len == best && ru->allow)) {
            best = ru->len;
            allowed = ru->allow;
            any = true;
        }
    }
    return allowed;
}

long robots_crawl_delay_ms(const struct robots *r)
{
    return r->fixed ? -1 : r->crawl_delay_ms;
}

bool robots_denies_all(const struct robots *r)
{
    return r->fixed < 0;
}
