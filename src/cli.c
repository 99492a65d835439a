/*
 * cli.c - getopt_long into `struct config` (see cli.h).
 */
#include "scrape/cli.h"
#include "scrape/store.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>
#include <libxml/xmlversion.h>
#include <sqlite3.h>

#include "scrape/argfile.h"
#include "scrape/buf.h"
#include "scrape/css.h"
#include "scrape/dupes.h"
#include "scrape/filter.h"
#include "scrape/json.h"
#include "scrape/subcmd.h"

enum {
    OPT_MULTI = 256,
    OPT_THREADS,
    OPT_PROCS,
    OPT_COMPARE,
    OPT_RETRIES,
    OPT_DELAY,
    OPT_IGNORE_ROBOTS,
    OPT_RESUME,
    OPT_PER_HOST,
    OPT_ANY_HOST,
    OPT_MAX_PAGES,
    OPT_TIMEOUT,
    OPT_CONNECT_TIMEOUT,
    OPT_MAX_BYTES,
    OPT_USER_AGENT,
    OPT_FIELD,
    OPT_ITEM,
    OPT_RULE,
    OPT_STRIP_PARAMS,
    OPT_COOKIES,
    OPT_AUTO_THROTTLE,
    OPT_LOGIN_URL,
    OPT_LOGIN_DATA,
    OPT_CACERT,
    OPT_CAPATH,
    OPT_CERT,
    OPT_KEY,
    OPT_COOKIE_JAR,
    OPT_FOLLOW,
    OPT_NO_FOLLOW,
    OPT_INCLUDE,
    OPT_EXCLUDE,
    OPT_SITEMAPS,
    OPT_DB,
    OPT_JOIN,
    OPT_LEASE,
    OPT_KEEP_BODIES,
    OPT_RUN,
    OPT_RECRAWL,
    OPT_REPEAT,
    OPT_COMPARE_CHILD,
};

static const struct option options[] = {
    {"multi", no_argument, NULL, OPT_MULTI},
    {"threads", optional_argument, NULL, OPT_THREADS},
    {"procs", optional_argument, NULL, OPT_PROCS},
    {"compare", no_argument, NULL, OPT_COMPARE},
    {"repeat", required_argument, NULL, OPT_REPEAT},
    /* Not in --help: how --compare starts each of its runs. */
    {&CONFIG_COMPARE_RUN_ARG[2], required_argument, NULL, OPT_COMPARE_CHILD},
    {"retries", required_argument, NULL, OPT_RETRIES},
    {"delay", required_argument, NULL, OPT_DELAY},
    {"ignore-robots", no_argument, NULL, OPT_IGNORE_ROBOTS},
    {"resume", no_argument, NULL, OPT_RESUME},
    {"concurrency", required_argument, NULL, 'c'},
    {"per-host", required_argument, NULL, OPT_PER_HOST},
    {"depth", required_argument, NULL, 'd'},
    {"any-host", no_argument, NULL, OPT_ANY_HOST},
    {"max-pages", required_argument, NULL, OPT_MAX_PAGES},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT},
    {"max-bytes", required_argument, NULL, OPT_MAX_BYTES},
    {"user-agent", required_argument, NULL, OPT_USER_AGENT},
    {"field", required_argument, NULL, OPT_FIELD},
    {"item", required_argument, NULL, OPT_ITEM},
    {"rule", required_argument, NULL, OPT_RULE},
    {"strip-params", required_argument, NULL, OPT_STRIP_PARAMS},
    {"cookies", required_argument, NULL, OPT_COOKIES},
    {"auto-throttle", no_argument, NULL, OPT_AUTO_THROTTLE},
    {"login-url", required_argument, NULL, OPT_LOGIN_URL},
    {"login-data", required_argument, NULL, OPT_LOGIN_DATA},
    {"cacert", required_argument, NULL, OPT_CACERT},
    {"capath", required_argument, NULL, OPT_CAPATH},
    {"cert", required_argument, NULL, OPT_CERT},
    {"key", required_argument, NULL, OPT_KEY},
    {"insecure", no_argument, NULL, 'k'},
    {"cookie-jar", required_argument, NULL, OPT_COOKIE_JAR},
    {"follow", required_argument, NULL, OPT_FOLLOW},
    {"no-follow", no_argument, NULL, OPT_NO_FOLLOW},
    {"include", required_argument, NULL, OPT_INCLUDE},
    {"exclude", required_argument, NULL, OPT_EXCLUDE},
    {"sitemaps", no_argument, NULL, OPT_SITEMAPS},
    {"db", required_argument, NULL, OPT_DB},
    {"join", required_argument, NULL, OPT_JOIN},
    {"lease", required_argument, NULL, OPT_LEASE},
    {"keep-bodies", no_argument, NULL, OPT_KEEP_BODIES},
    {"run", required_argument, NULL, OPT_RUN},
    {"recrawl", required_argument, NULL, OPT_RECRAWL},
    {"header", required_argument, NULL, 'H'},
    {"user", required_argument, NULL, 'u'},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

static const char usage_text[] =
    "usage: scrape [OPTIONS] SEEDS...\n"
    "       scrape --resume [--db PATH]\n"
    "       scrape --db postgresql://... --join N\n"
    "       scrape extract [--db PATH] [--run N] [--rule ...] [--item SEL]"
    " [--field ...]\n"
    "                      [--procs N]\n"
    "       scrape stats|dupes|export|report|search|serve ..."
    " (scrape stats --help)\n"
    "\n"
    "Crawl from SEEDS and store every page, and every item found on it, in\n"
    "a SQLite database (or a PostgreSQL one that several scrape processes\n"
    "crawl together).  Each SEEDS argument is an http:// or https:// URL,\n"
    "a file of URLs (one per line, '#' comments) or '-' (stdin); several\n"
    "may be given and mixed: scrape https://example.com/ just works.\n"
    "\n"
    "Engine:\n"
    "      --multi               one thread, one libcurl multi handle"
    " (default)\n"
    "      --threads [N]         N threads doing blocking transfers"
    " (default 32)\n"
    "      --procs [N]           --multi transfers, parsing in N worker\n"
    "                            processes (default: one per core), pages\n"
    "                            through shared memory\n"
    "      --compare             run --threads, --multi and --procs on the"
    " same\n"
    "                            seeds, each alone in a process of its own,"
    " and\n"
    "                            print what each cost\n"
    "      --repeat N            with --compare: each engine N times, the"
    " order\n"
    "                            rotated each round; medians and spread"
    " (default 1)\n"
    "  -c, --concurrency N       transfers in flight (default 100)\n"
    "\n"
    "Scope:\n"
    "  -d, --depth N             follow links N levels from the seeds"
    " (default 0)\n"
    "      --any-host            follow links to other hosts too\n"
    "      --include REGEX       follow only links whose absolute URL matches"
    "\n"
    "                            (repeatable: any may match; PCRE2 syntax)\n"
    "      --exclude REGEX       never follow links that match (repeatable);"
    "\n"
    "                            seeds are always fetched\n"
    "      --sitemaps            also seed from each seed host's sitemaps\n"
    "                            (robots.txt Sitemap: lines, else"
    " /sitemap.xml)\n"
    "      --max-pages N         stop after N pages (default: no limit)\n"
    "      --strip-params REGEX  drop the query parameters whose names match"
    "\n"
    "                            from every URL before it is deduplicated and"
    "\n"
    "                            fetched ('^(utm_.*|fbclid|gclid)$';"
    " repeatable)\n"
    "\n"
    "Politeness:\n"
    "      --per-host N          transfers in flight per host (default 8)\n"
    "      --delay MS            least time between two fetches from one"
    " host\n"
    "                            (default 0)\n"
    "      --auto-throttle       per host, a gap between fetches that grows"
    " with\n"
    "                            latency and doubles on 429/503, and shrinks"
    " again\n"
    "                            while answers are fast and good (never below"
    "\n"
    "                            --delay or Crawl-delay)\n"
    "      --retries N           retry 429/503 answers N times, honouring\n"
    "                            Retry-After (default 2)\n"
    "      --ignore-robots       do not fetch or obey robots.txt\n"
    "\n"
    "Transfers:\n"
    "      --timeout SEC         per transfer (default 30)\n"
    "      --connect-timeout SEC per connection attempt (default 10)\n"
    "      --max-bytes N         cap on one body after decompression\n"
    "                            (default 10485760); larger is an error row\n"
    "      --user-agent STR      (default \"scrape/" SCRAPE_VERSION "\")\n"
    "      --login-url URL       log in through the form on that page first"
    " (its\n"
    "                            hidden inputs, a CSRF token, go with it); the"
    "\n"
    "                            session's cookies are the crawl's\n"
    "      --login-data 'k=v&k2=v2'\n"
    "                            the fields to fill in, or @FILE; not stored"
    " with\n"
    "                            the run (an @FILE's path is)\n"
    "      --cookies FILE        cookies to start with (Netscape format, as"
    " curl,\n"
    "                            wget and browser exports write); what sites"
    " set\n"
    "                            is kept and sent back in every engine\n"
    "      --cookie-jar FILE     write the crawl's cookies there at its end\n"
    "      --cacert FILE         also trust the CAs in FILE (PEM)\n"
    "      --capath DIR          also trust the CAs in DIR (hashed, as"
    " openssl\n"
    "                            rehash makes it)\n"
    "  -k, --insecure            do not verify TLS certificates (warned,"
    " and\n"
    "                            marked on the run)\n"
    "      --cert FILE           client certificate (PEM); --key FILE its key"
    "\n"
    "      --key FILE            the client certificate's private key\n"
    "  -u, --user USER:PASSWORD  HTTP authentication (Basic or Digest, as the"
    "\n"
    "                            server asks), sent only to the seeds' hosts;"
    "\n"
    "                            the password is not stored with the run\n"
    "  -H, --header 'Name: value'\n"
    "                            sent with every request, robots.txt and"
    " sitemaps\n"
    "                            too (repeatable; not Host or Content-Length)."
    "\n"
    "                            Authorization, Cookie and Proxy-Authorization"
    "\n"
    "                            values are not stored with the run: give"
    " them\n"
    "                            again to --resume, --recrawl or --join\n"
    "\n"
    "Records and output:\n"
    "      --item SEL            every node SEL selects is one record (an"
    " item);\n"
    "                            fields are then evaluated inside each item\n"
    "      --field NAME=SEL      a field: the first match, absent when none\n"
    "      --field NAME[]=SEL    a list field: every match, in document"
    " order\n"
    "                            (repeatable; per page without --item)\n"
    "         SEL is css:SELECTOR or xpath:EXPR; unprefixed, it is XPath when"
    "\n"
    "         it starts with / ./ ../ ( or @, is '.', or is a function call\n"
    "         (normalize-space(...)), and CSS otherwise.  CSS adds ::text and"
    "\n"
    "         ::attr(NAME), as in Scrapy.\n"
    "\n"
    "Spiders (rules per page type):\n"
    "      --rule NAME=REGEX     pages whose URL matches REGEX (PCRE2) belong"
    " to\n"
    "                            rule NAME; the first rule that matches wins."
    "\n"
    "                            --item, --field, --follow and --no-follow\n"
    "                            after it, up to the next --rule, are its;"
    " given\n"
    "                            before any --rule, they are for pages no rule"
    "\n"
    "                            matches\n"
    "      --follow SEL          from these pages follow only the links SEL"
    "\n"
    "                            selects (an <a> gives its href, an attribute"
    " or\n"
    "                            string a URL; repeatable); the rest is"
    " counted\n"
    "                            in pages.unfollowed\n"
    "      --no-follow           follow no link from these pages\n"
    "         (a spider in a file: -K below)\n"
    "\n"
    "Output:\n"
    "      --keep-bodies         store every response body (zstd, one copy per"
    " distinct\n"
    "                            body) and its headers, for scrape extract\n"
    "      --recrawl N           crawl run N's URLs again with its options,"
    " sending its\n"
    "                            validators; unchanged pages carry their"
    " record over\n"
    "      --run N               scrape extract: the run whose bodies to parse"
    "\n"
    "                            again (default: the latest that kept them)\n"
    "      --db PATH             database (default out/scrape.db); runs"
    " append\n"
    "      --resume              continue the last unfinished run in --db"
    " (no SEEDS:\n"
    "                            its own options are used)\n"
    "      --db postgresql://USER@HOST:PORT/DB\n"
    "                            a shared run in PostgreSQL that other nodes"
    " join\n"
    "      --join N              crawl shared run N with its own options"
    " (no SEEDS)\n"
    "      --lease S             a shared run's claims expire after S seconds"
    " unless\n"
    "                            renewed (default 60)\n"
    "  -K, --config FILE         options (and SEEDS) from FILE, one per line"
    " as on\n"
    "                            the command line (\"quotes\", # comments);"
    " the\n"
    "                            command line's own come after\n"
    "  -q, --quiet               no progress line, no summary\n"
    "  -h, --help                this text\n"
    "  -V, --version             version of scrape and its libraries\n"
    "\n"
    "Exit status: 0 crawl ran (failed pages are recorded), 1 fatal error,\n"
    "2 usage error, 130/143 interrupted.\n";

/* scrape extract: no SEEDS, a SQLite file; its command line kept. */
static enum cli_result check_extract(struct config *cfg, int argc, char **argv,
                                     FILE *err)
{
    int rest = argc - optind;
    const char *no = rest ? "scrape extract takes no SEEDS (--run N says"
                            " which run)"
                     : store_is_shared(cfg->db_path)
                         ? "scrape extract reads a SQLite file; export the run"
                           " first (scrape export --format sqlite)"
                     : cfg->resume || cfg->compare || cfg->join
                         ? "scrape extract does not fetch: no --resume,"
                           " --compare or --join"
                         : NULL;
    if (no) {
        fprintf(err, "scrape: %s\n", no);
        return CLI_USAGE;
    }
    cfg->engine = "procs";
    /* argv[0] is "extract": what follows is the command line kept. */
    if (!(cfg->args_json = cli_args_to_json(argc - 1, argv + 1)))
        return CLI_USAGE;
    return CLI_RUN;
}

/* --follow and --no-follow choose among the links a crawl follows: with
 * --depth 0 it follows none, and the choice is surely a forgotten
 * --depth.  (scrape extract takes them: it counts what they leave out.) */
static bool check_follow(const struct config *cfg, FILE *err)
{
    size_t k;

    for (k = 0; cfg->depth == 0 && k < cfg->spider.nrules; k++) {
        const struct rule_spec *r = &cfg->spider.rules[k];
        if (r->nfollow || r->no_follow) {
            fprintf(err,
                    "scrape: %s%s%s%s chooses links to follow, but --depth is"
                    " 0 (follow none): give --depth N\n",
                    r->nfollow ? "--follow" : "--no-follow",
                    r->name ? " (rule '" : "", r->name ? r->name : "",
                    r->name ? "')" : "");
            return false;
        }
    }
    return true;
}

/* What a PostgreSQL --db (a shared run) allows. */
static bool check_shared(const struct config *cfg, bool seeds, FILE *err)
{
    const char *no = NULL;

    if (!store_is_shared(cfg->db_path)) {
        if (cfg->join)
            no = "--join needs --db postgresql://... (a shared run)";
    } else if (cfg->resume) {
        no = "--resume is for SQLite files; a node of a shared run starts"
             " again with --join N";
    } else if (cfg->compare) {
        no = "--compare writes to a SQLite file, not to a shared run";
    } else if (cfg->sitemaps) {
        no = "--sitemaps is not available in a shared run (PostgreSQL)";
    } else if (cfg->recrawl) {
        no = "--recrawl is not available in a shared run (PostgreSQL) yet";
    } else if (cfg->join && seeds) {
        no = "--join takes no SEEDS: the run has its own";
    }
    if (no)
        fprintf(err, "scrape: %s\n", no);
    return no == NULL;
}

/* --repeat belongs to --compare; a run --compare spawned is one engine's
 * run (the options it was given are the comparison's, kept as they are
 * so its runs row shows the command line the user typed). */
static bool check_compare(struct config *cfg, FILE *err)
{
    if (cfg->repeat && !cfg->compare) {
        fprintf(err, "scrape: --repeat N is for --compare\n");
        return false;
    }
    if (!cfg->repeat)
        cfg->repeat = 1;
    if (cfg->compare_id) {
        cfg->compare = false;
        cfg->engine = cfg->compare_engine;
    }
    return true;
}

/* Parses a whole decimal number in [min, max] (strtol + range check). */
static bool parse_long(const char *s, long min, long max, long *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return false;
    *out = v;
    return true;
}

/* True when a selector without a css:/xpath: prefix is XPath: it starts
 * with '/', './', '../', '(' or '@', is '.' or '..', or is a function call
 * such as normalize-space(...).  CSS otherwise. */
static bool looks_like_xpath(const char *sel)
{
    const char *p = sel;

    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == '/' || *p == '(' || *p == '@' || !strncmp(p, "./", 2) ||
        !strncmp(p, "../", 3) || !strcmp(p, ".") || !strcmp(p, ".."))
        return true;
    if (!(isalpha((unsigned char)*p) || *p == '_'))
        return false;
    while (isalnum((unsigned char)*p) || (*p && strchr("_-.", *p)))
        p++;
    while (*p == ' ' || *p == '\t')
        p++;
    return *p == '(';
}

/* Turns selector `sel` given to `option` into XPath text (*xpath, new
 * string).  False, with a one-line message, for a bad CSS selector. */
static bool selector_xpath(const char *option, const char *sel, char **xpath,
                           FILE *err)
{
    char why[CSS_WHY_MAX];
    const char *body = sel;
    bool css;
    size_t pos;
    enum err e;

    if (!strncmp(sel, "css:", 4)) {
        css = true;
        body = sel + 4;
    } else if (!strncmp(sel, "xpath:", 6)) {
        css = false;
        body = sel + 6;
    } else {
        css = !looks_like_xpath(sel);
    }
    if (!*body) {
        fprintf(err, "scrape: %s: empty selector\n", option);
        return false;
    }
    if (!css) {
        *xpath = strdup(body);
        return *xpath != NULL;
    }
    e = css_to_xpath(body, xpath, &pos, why, sizeof(why));
    if (e == ERR_INVALID)
        fprintf(
            err, "scrape: %s: bad CSS selector '%s' at position %zu: %s%s\n",
            option, body, pos + 1, why,
            body == sel && strchr(body, '/') ? " (for XPath, write xpath:EXPR)"
                                             : "");
    else if (e)
        fprintf(err, "scrape: %s: %s\n", option, err_str(e));
    return e == ERR_OK;
}

/* The rule the --item, --field, --follow and --no-follow options being
 * read belong to: the last --rule, or rules[0] before any. */
static struct rule_spec *current_rule(struct config *cfg)
{
    struct spider *sp = &cfg->spider;

    if (!sp->nrules) {
        if (!(sp->rules = calloc(1, sizeof(*sp->rules))))
            return NULL;
        sp->nrules = 1;
    }
    /* cli.c owns the rules it makes (config.h): they are its to fill. */
    return (struct rule_spec *)&sp->rules[sp->nrules - 1];
}

/* " in rule 'NAME'" for an option of a named rule, "" otherwise. */
static const char *in_rule(const struct rule_spec *r, char *buf, size_t n)
{
    buf[0] = '\0';
    if (r->name)
        snprintf(buf, n, " in rule '%s'", r->name);
    return buf;
}

/* --field NAME=SEL or NAME[]=SEL, for the current rule. */
static bool add_field(struct config *cfg, const char *arg, FILE *err)
{
    const char *eq = strchr(arg, '=');
    struct rule_spec *r = current_rule(cfg);
    struct extract_spec *spec;
    struct field_spec *nf, *f;
    char option[160], in[160];
    size_t i, n;
    bool list;

    if (!r)
        return false;
    spec = &r->spec;
    if (!eq || eq == arg || !eq[1]) {
        fprintf(err,
                "scrape: --field wants NAME=SELECTOR or NAME[]=SELECTOR,"
                " got '%s'\n",
                arg);
        return false;
    }
    n = (size_t)(eq - arg);
    list = n > 2 && !strncmp(eq - 2, "[]", 2);
    if (list)
        n -= 2;
    for (i = 0; i < n; i++) {
        /* Names become JSON keys and JSON paths ($."name") in exports. */
        if ((unsigned char)arg[i] < 0x20 || arg[i] == '"' || arg[i] == '\\' ||
            arg[i] == '[' || arg[i] == ']') {
            fprintf(err,
                    "scrape: --field '%.*s': a name may not contain quotes,"
                    " backslashes, brackets or control characters\n",
                    (int)n, arg);
            return false;
        }
    }
    if (spec->nfields >= CLI_MAX_LIST) {
        fprintf(err, "scrape: more than %d --field options%s\n", CLI_MAX_LIST,
                in_rule(r, in, sizeof(in)));
        return false;
    }
    for (i = 0; i < spec->nfields; i++) {
        if (strlen(spec->fields[i].name) == n &&
            !strncmp(spec->fields[i].name, arg, n)) {
            fprintf(err, "scrape: --field '%.*s' given twice%s\n", (int)n, arg,
                    in_rule(r, in, sizeof(in)));
            return false;
        }
    }
    nf = realloc((void *)spec->fields, (spec->nfields + 1) * sizeof(*nf));
    if (!nf)
        return false;
    spec->fields = nf;
    f = &nf[spec->nfields];
    memset(f, 0, sizeof(*f));
    f->list = list;
    if (!(f->name = strndup(arg, n)) || !(f->selector = strdup(eq + 1))) {
        free((char *)f->name);
        return false;
    }
    snprintf(option, sizeof(option), "--field '%s'", f->name);
    if (!selector_xpath(option, eq + 1, (char **)&f->xpath, err)) {
        free((char *)f->name);
        free((char *)f->selector);
        return false;
    }
    spec->nfields++;
    return true;
}

static bool set_item(struct config *cfg, const char *arg, FILE *err)
{
    struct rule_spec *r = current_rule(cfg);
    char in[160];

    if (!r)
        return false;
    if (r->spec.item_xpath) {
        fprintf(err, "scrape: --item given twice%s\n",
                in_rule(r, in, sizeof(in)));
        return false;
    }
    if (!(r->spec.item_selector = strdup(arg)))
        return false;
    return selector_xpath("--item", arg, (char **)&r->spec.item_xpath, err);
}

/* --follow SEL, for the current rule. */
static bool add_follow(struct config *cfg, const char *arg, FILE *err)
{
    struct rule_spec *r = current_rule(cfg);
    struct follow_spec *nf, *f;
    char in[160];

    if (!r)
        return false;
    if (r->no_follow) {
        fprintf(err, "scrape: --follow and --no-follow%s: choose one\n",
                in_rule(r, in, sizeof(in)));
        return false;
    }
    if (r->nfollow >= CLI_MAX_LIST) {
        fprintf(err, "scrape: more than %d --follow options%s\n", CLI_MAX_LIST,
                in_rule(r, in, sizeof(in)));
        return false;
    }
    if (!(nf = realloc((void *)r->follow, (r->nfollow + 1) * sizeof(*nf))))
        return false;
    r->follow = nf;
    f = &nf[r->nfollow];
    memset(f, 0, sizeof(*f));
    if (!(f->selector = strdup(arg)))
        return false;
    if (!selector_xpath("--follow", arg, (char **)&f->xpath, err)) {
        free((char *)f->selector);
        return false;
    }
    r->nfollow++;
    return true;
}

static bool set_no_follow(struct config *cfg, FILE *err)
{
    struct rule_spec *r = current_rule(cfg);
    char in[160];

    if (!r)
        return false;
    if (r->nfollow) {
        fprintf(err, "scrape: --follow and --no-follow%s: choose one\n",
                in_rule(r, in, sizeof(in)));
        return false;
    }
    r->no_follow = true;
    return true;
}

/* True when `name` is fit to be a rule's name: it becomes a JSON value,
 * a CSV cell and a serve query parameter. */
static bool rule_name_ok(const char *name, size_t n)
{
    size_t i;

    if (!n || n > 64)
        return false;
    for (i = 0; i < n; i++)
        if (!isalnum((unsigned char)name[i]) && !strchr("_-.", name[i]))
            return false;
    return true;
}

/* --rule NAME=REGEX: a new rule, which the options after it fill. */
static bool add_rule(struct config *cfg, const char *arg, FILE *err)
{
    const char *eq = strchr(arg, '='), *pattern;
    struct spider *sp = &cfg->spider;
    struct url_filter *check = NULL;
    struct rule_spec *nr, *r;
    char why[FILTER_WHY_MAX], label[96];
    size_t i, n;
    enum err e;

    if (!current_rule(cfg))
        return false;
    n = eq ? (size_t)(eq - arg) : 0;
    if (!eq || !rule_name_ok(arg, n) || !eq[1]) {
        fprintf(err,
                "scrape: --rule wants NAME=REGEX (NAME: 1 to 64 letters,"
                " digits, '_', '-' or '.'; REGEX not empty), got '%s'\n",
                arg);
        return false;
    }
    for (i = 1; i < sp->nrules; i++)
        if (strlen(sp->rules[i].name) == n &&
            !strncmp(sp->rules[i].name, arg, n)) {
            fprintf(err, "scrape: --rule '%.*s' given twice\n", (int)n, arg);
            return false;
        }
    if (sp->nrules > CLI_MAX_LIST) {
        fprintf(err, "scrape: more than %d --rule options\n", CLI_MAX_LIST);
        return false;
    }
    pattern = eq + 1;
    snprintf(label, sizeof(label), "--rule '%.*s'", (int)n, arg);
    {
        const char *labels[1] = {label};
        e = url_filter_new_list(&pattern, labels, 1, &check, why, sizeof(why));
    }
    url_filter_free(check);
    if (e == ERR_INVALID)
        fprintf(err, "scrape: %s\n", why);
    if (e)
        return false;
    if (!(nr = realloc((void *)sp->rules, (sp->nrules + 1) * sizeof(*nr))))
        return false;
    sp->rules = nr;
    r = &nr[sp->nrules];
    memset(r, 0, sizeof(*r));
    if (!(r->name = strndup(arg, n)) || !(r->pattern = strdup(pattern))) {
        free((char *)r->name);
        return false;
    }
    sp->nrules++;
    return true;
}

/* Appends a borrowed string to a list option. */
static bool add_to_list(const char ***list, size_t *n, const char *arg,
                        const char *option, FILE *err)
{
    const char **nl;

    if (*n >= CLI_MAX_LIST) {
        fprintf(err, "scrape: more than %d %s options\n", CLI_MAX_LIST, option);
        return false;
    }
    if (!(nl = realloc(*list, (*n + 1) * sizeof(*nl))))
        return false;
    nl[(*n)++] = arg;
    *list = nl;
    return true;
}

/* --login-data 'k=v&k2=v2', or @FILE holding that (one line). */
static bool login_data(struct config *cfg, const char *arg, FILE *err)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f;

    free(cfg->login_data);
    cfg->login_data = NULL;
    if (arg[0] != '@')
        return (cfg->login_data = strdup(arg)) != NULL;
    if (!(f = fopen(arg + 1, "r"))) {
        fprintf(err, "scrape: --login-data: cannot read '%s': %s\n", arg + 1,
                strerror(errno));
        return false;
    }
    if (getline(&text, &len, f) < 0) {
        free(text);
        text = strdup("");
    }
    fclose(f);
    if (text)
        text[strcspn(text, "\r\n")] = '\0';
    return (cfg->login_data = text) != NULL;
}

/* A file (or directory) option whose path must be readable now: a typo
 * is a usage error before anything is fetched, not an error on every
 * page. */
static bool readable(const char *option, const char *path, const char **slot,
                     FILE *err)
{
    if (access(path, R_OK)) {
        fprintf(err, "scrape: %s: cannot read '%s': %s\n", option, path,
                strerror(errno));
        return false;
    }
    *slot = path;
    return true;
}

/* -H "Name: value": a header name (RFC 9110 token characters), a
 * colon, a value without CR or LF; not one libcurl must compute itself
 * (Host: the URL's; Content-Length: the body's). */
static bool header_ok(const char *arg, FILE *err)
{
    size_t n =
        strspn(arg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                    "0123456789!#$%&'*+-.^_`|~");

    if (!n || arg[n] != ':' || strpbrk(arg, "\r\n")) {
        fprintf(err, "scrape: -H wants 'Name: value' (one line), got '%s'\n",
                arg);
        return false;
    }
    if ((n == 4 && !strncasecmp(arg, "Host", 4)) ||
        (n == 14 && !strncasecmp(arg, "Content-Length", 14))) {
        fprintf(err,
                "scrape: -H '%.*s' is not for you to set: scrape sends it"
                " from the URL and the request\n",
                (int)n, arg);
        return false;
    }
    return true;
}

/* A pattern option checked now (a bad one is a usage error before
 * anything is fetched) and kept, borrowed, in its list. */
static bool add_pattern(const char ***list, size_t *n, const char *arg,
                        const char *option, FILE *err)
{
    struct url_filter *check = NULL;
    char why[FILTER_WHY_MAX];
    enum err e =
        url_filter_new_list(&arg, &option, 1, &check, why, sizeof(why));

    url_filter_free(check);
    if (e == ERR_INVALID)
        fprintf(err, "scrape: %s\n", why);
    return !e && add_to_list(list, n, arg, option, err);
}

/* True when an item field's XPath starts from the document root ("//x",
 * "/x", "(//x)[1]", "normalize-space(//x)"): it searches the whole page,
 * not the item.  Looks for a '/' that begins a path: first in the
 * expression or after '(', ',' or '|', outside string literals. */
static bool absolute_xpath(const char *x)
{
    char prev = '(', quote = 0;

    for (; *x; x++) {
        if (quote) {
            if (*x == quote)
                quote = 0;
            continue;
        }
        if (*x == '\'' || *x == '"') {
            quote = *x;
            prev = 'a';
            continue;
        }
        if (*x == ' ' || *x == '\t' || *x == '\n')
            continue;
        if (*x == '/' && strchr("(,|", prev))
            return true;
        prev = *x;
    }
    return false;
}

/* Warns about item fields that escape the item (the classic trap). */
static void warn_absolute_fields(const struct config *cfg, FILE *err)
{
    size_t i, k;
    char in[160];

    for (k = 0; k < cfg->spider.nrules; k++) {
        const struct rule_spec *r = &cfg->spider.rules[k];
        for (i = 0; r->spec.item_xpath && i < r->spec.nfields; i++) {
            const struct field_spec *f = &r->spec.fields[i];
            if (absolute_xpath(f->xpath))
                fprintf(err,
                        "scrape: warning: --field '%s'%s is absolute ('%s'):"
                        " with --item it searches the whole page, not the"
                        " item; write '.%s' for the item's own\n",
                        f->name, in_rule(r, in, sizeof(in)), f->xpath,
                        f->xpath[strspn(f->xpath, " \t")] == '/' ? f->xpath
                                                                 : "//...");
        }
    }
}

/* --threads and --procs take an optional number; accept "--threads 64" as
 * well as "--threads=64" by taking a following all-digit argument. */
static const char *optional_value(int opt, int argc, char **argv)
{
    const char *next;

    if (optarg || (opt != OPT_THREADS && opt != OPT_PROCS) || optind >= argc)
        return optarg;
    next = argv[optind];
    if (!*next || strspn(next, "0123456789") != strlen(next))
        return NULL;
    optind++;
    return next;
}

/* CONFIG_COMPARE_RUN_ARG=ID,PARENT,MODE: this process is one run of
 * comparison ID, spawned by process PARENT (compare.c). */
static bool set_compare_child(struct config *cfg, const char *arg, FILE *err)
{
    static const char *const modes[] = {"threads", "multi", "procs"};
    long id, parent;
    char *end;
    size_t i;

    errno = 0;
    id = strtol(arg, &end, 10);
    if (!errno && *end == ',' && id > 0) {
        parent = strtol(end + 1, &end, 10);
        for (i = 0; !errno && *end == ',' && parent > 0 && i < 3; i++)
            if (!strcmp(end + 1, modes[i])) {
                cfg->compare_id = id;
                cfg->compare_parent = parent;
                cfg->compare_engine = modes[i];
                return true;
            }
    }
    fprintf(err, "scrape: malformed %s\n", CONFIG_COMPARE_RUN_ARG);
    return false;
}

static void defaults(struct config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->db_path = CLI_DEFAULT_DB;
    cfg->lease_s = CLI_DEFAULT_LEASE;
    cfg->engine = "multi";
    cfg->concurrency = CLI_DEFAULT_CONCURRENCY;
    cfg->per_host = CLI_DEFAULT_PER_HOST;
    cfg->timeout_s = CLI_DEFAULT_TIMEOUT;
    cfg->connect_timeout_s = CLI_DEFAULT_CONNECT;
    cfg->max_bytes = (size_t)CLI_DEFAULT_MAX_BYTES;
    cfg->threads = CLI_DEFAULT_THREADS;
    cfg->retries = CLI_DEFAULT_RETRIES;
    cfg->procs = sysconf(_SC_NPROCESSORS_ONLN);
    if (cfg->procs < 1)
        cfg->procs = 1;
}

/* Applies one option; false on a bad value (message written). */
static bool apply(struct config *cfg, int opt, const char *arg, FILE *err)
{
    long v = 0;

#define NUM(name, min, max, dst)                                               \
    do {                                                                       \
        if (!parse_long(arg, min, max, &v)) {                                  \
            fprintf(err,                                                       \
                    "scrape: %s wants a number from %ld to %ld, got "          \
                    "'%s'\n",                                                  \
                    name, (long)(min), (long)(max), arg);                      \
            return false;                                                      \
        }                                                                      \
        dst = v;                                                               \
    } while (0)
    switch (opt) {
    case OPT_MULTI:
        cfg->engine = "multi";
        return true;
    case OPT_THREADS:
        cfg->engine = "threads";
        if (arg)
            NUM("--threads", 1, CLI_MAX_WORKERS, cfg->threads);
        return true;
    case OPT_PROCS:
        cfg->engine = "procs";
        if (arg)
            NUM("--procs", 1, CLI_MAX_WORKERS, cfg->procs);
        return true;
    case OPT_COMPARE:
        cfg->compare = true;
        return true;
    case OPT_REPEAT:
        NUM("--repeat", 1, CLI_MAX_REPEAT, cfg->repeat);
        return true;
    case OPT_COMPARE_CHILD:
        return set_compare_child(cfg, arg, err);
    case OPT_RETRIES:
        NUM("--retries", 0, CLI_MAX_RETRIES, cfg->retries);
        return true;
    case OPT_DELAY:
        NUM("--delay", 0, CLI_MAX_DELAY_MS, cfg->delay_ms);
        return true;
    case OPT_IGNORE_ROBOTS:
        cfg->ignore_robots = true;
        return true;
    case OPT_RESUME:
        cfg->resume = true;
        return true;
    case 'c':
        NUM("--concurrency", 1, CLI_MAX_CONCURRENCY, cfg->concurrency);
        return true;
    case OPT_PER_HOST:
        NUM("--per-host", 1, CLI_MAX_CONCURRENCY, cfg->per_host);
        return true;
    case 'd':
        NUM("--depth", 0, CLI_MAX_DEPTH, cfg->depth);
        return true;
    case OPT_ANY_HOST:
        cfg->any_host = true;
        return true;
    case OPT_MAX_PAGES:
        NUM("--max-pages", 1, LONG_MAX, cfg->max_pages);
        return true;
    case OPT_TIMEOUT:
        NUM("--timeout", 1, 86400, cfg->timeout_s);
        return true;
    case OPT_CONNECT_TIMEOUT:
        NUM("--connect-timeout", 1, 3600, cfg->connect_timeout_s);
        return true;
    case OPT_MAX_BYTES:
        NUM("--max-bytes", 1, PARSE_MAX_BYTES, cfg->max_bytes);
        return true;
    case OPT_USER_AGENT:
        free(cfg->user_agent);
        cfg->user_agent = strdup(arg);
        return cfg->user_agent != NULL;
    case OPT_FIELD:
        return add_field(cfg, arg, err);
    case OPT_ITEM:
        return set_item(cfg, arg, err);
    case OPT_RULE:
        return add_rule(cfg, arg, err);
    case OPT_LOGIN_URL:
        if (!cli_input_is_url(arg)) {
            fprintf(err, "scrape: --login-url wants an http(s) URL, got '%s'\n",
                    arg);
            return false;
        }
        cfg->login_url = arg;
        return true;
    case OPT_LOGIN_DATA:
        return login_data(cfg, arg, err);
    case OPT_AUTO_THROTTLE:
        cfg->auto_throttle = true;
        return true;
    case OPT_COOKIES:
        return readable("--cookies", arg, &cfg->cookies, err);
    case OPT_CACERT:
        return readable("--cacert", arg, &cfg->cacert, err);
    case OPT_CAPATH:
        return readable("--capath", arg, &cfg->capath, err);
    case OPT_CERT:
        return readable("--cert", arg, &cfg->cert, err);
    case OPT_KEY:
        return readable("--key", arg, &cfg->key, err);
    case 'k':
        cfg->insecure = true;
        return true;
    case OPT_COOKIE_JAR:
        cfg->cookie_jar = arg;
        return true;
    case OPT_STRIP_PARAMS:
        return add_pattern(&cfg->strip_params, &cfg->nstrip_params, arg,
                           "--strip-params", err);
    case OPT_FOLLOW:
        return add_follow(cfg, arg, err);
    case OPT_NO_FOLLOW:
        return set_no_follow(cfg, err);
    case OPT_INCLUDE:
        return add_to_list(&cfg->include, &cfg->ninclude, arg, "--include",
                           err);
    case OPT_EXCLUDE:
        return add_to_list(&cfg->exclude, &cfg->nexclude, arg, "--exclude",
                           err);
    case OPT_SITEMAPS:
        cfg->sitemaps = true;
        return true;
    case OPT_DB:
        cfg->db_path = arg;
        return true;
    case OPT_JOIN:
        NUM("--join", 1, LONG_MAX, cfg->join);
        return true;
    case OPT_LEASE:
        NUM("--lease", 2, 86400, cfg->lease_s);
        return true;
    case OPT_KEEP_BODIES:
        cfg->keep_bodies = true;
        return true;
    case OPT_RECRAWL:
        NUM("--recrawl", 1, LONG_MAX, cfg->recrawl);
        return true;
    case OPT_RUN:
        if (!cfg->extract) {
            fprintf(err, "scrape: --run is for scrape extract\n");
            return false;
        }
        NUM("--run", 1, LONG_MAX, cfg->extract_run);
        return true;
    case 'q':
        cfg->quiet = true;
        return true;
    case 'u':
        if (!strchr(arg, ':') || arg[0] == ':') {
            fprintf(err, "scrape: -u wants USER:PASSWORD\n");
            return false;
        }
        cfg->user = arg;
        return true;
    case 'H':
        return header_ok(arg, err) &&
               add_to_list(&cfg->headers, &cfg->nheaders, arg, "-H", err);
    default:
        return false;
    }
#undef NUM
}

bool cli_input_is_url(const char *arg)
{
    return !strncasecmp(arg, "http://", 7) || !strncasecmp(arg, "https://", 8);
}

/* The positional arguments: seeds files, '-' at most once, URLs. */
static bool check_inputs(struct config *cfg, int n, char **args, FILE *err)
{
    struct buf desc;
    int i, stdin_seen = 0;

    buf_init(&desc, 1 << 20);
    for (i = 0; i < n; i++) {
        if (!*args[i]) {
            fprintf(err, "scrape: empty SEEDS argument\n");
            goto bad;
        }
        if (!strcmp(args[i], "-") && stdin_seen++) {
            fprintf(err, "scrape: '-' (stdin) given twice\n");
            goto bad;
        }
        if ((i && buf_add(&desc, " ", 1)) || buf_adds(&desc, args[i]))
            goto bad;
    }
    cfg->inputs = args;
    cfg->ninputs = (size_t)n;
    if (!(cfg->seeds_desc = buf_detach(&desc, NULL)))
        goto bad;
    return true;
bad:
    buf_release(&desc);
    return false;
}

/* With --item, export keys are url and idx, then the field names; with
 * rules, every record also has a rule key. */
static bool check_item_fields(const struct config *cfg, FILE *err)
{
    size_t i, k;
    char in[160];

    for (k = 0; k < cfg->spider.nrules; k++) {
        const struct rule_spec *r = &cfg->spider.rules[k];
        for (i = 0; i < r->spec.nfields; i++) {
            const char *name = r->spec.fields[i].name;
            if (r->spec.item_xpath &&
                (!strcmp(name, "url") || !strcmp(name, "idx"))) {
                fprintf(err,
                        "scrape: --field '%s'%s: with --item, 'url' and"
                        " 'idx' are the item's own keys; choose another"
                        " name\n",
                        name, in_rule(r, in, sizeof(in)));
                return false;
            }
            if (cfg->spider.nrules > 1 && !strcmp(name, "rule")) {
                fprintf(err,
                        "scrape: --field 'rule'%s: with --rule, 'rule' is a"
                        " record's own key; choose another name\n",
                        in_rule(r, in, sizeof(in)));
                return false;
            }
        }
    }
    return true;
}

/* Where option `a` is -u/--user (kind 'u') or -H/--header (kind 'H'):
 * the length of what precedes its value in `a` ("-u", "--user=", "" when
 * the value is the next argument: *next set), else -1. */
static long secret_option(const char *a, char *kind, bool *next)
{
    static const struct {
        char kind;
        const char *s, *l;
    } opts[] = {{'u', "-u", "--user"},
                {'H', "-H", "--header"},
                {'L', NULL, "--login-data"}};
    size_t k, ln;

    *next = false;
    for (k = 0; k < sizeof(opts) / sizeof(opts[0]); k++) {
        *kind = opts[k].kind;
        ln = strlen(opts[k].l);
        if ((opts[k].s && !strcmp(a, opts[k].s)) || !strcmp(a, opts[k].l)) {
            *next = true;
            return 0;
        }
        if (!strncmp(a, opts[k].l, ln) && a[ln] == '=')
            return (long)ln + 1;
        if (opts[k].s && !strncmp(a, opts[k].s, 2) && a[2])
            return 2;
    }
    return -1;
}

/* The stored form of argument `a` whose value starts at a + prefix: a new
 * string with the secret (-u's password, a secret header's value) as
 * CONFIG_SECRET, or NULL when it holds none (*nomem on failure). */
static char *redacted(const char *a, size_t prefix, char kind, bool *nomem)
{
    const char *v = a + prefix;
    size_t vn = strcspn(v, ":");
    char *out;

    if ((kind == 'H' && !cli_secret_header(v)) || (kind == 'L' && *v == '@'))
        return NULL;
    if (kind == 'L') /* all of it */
        vn = 0;
    if (!(out = malloc(prefix + vn + sizeof(CONFIG_SECRET) + 3))) {
        *nomem = true;
        return NULL;
    }
    sprintf(out, "%.*s%.*s%s%s", (int)prefix, a, (int)vn, v,
            kind == 'u'   ? ":"
            : kind == 'L' ? ""
                          : ": ",
            CONFIG_SECRET);
    return out;
}

/* argv[1..] as a JSON array, without the option a --compare gave its
 * run (what --resume and --recrawl parse again is the user's command)
 * and without secrets: see redacted(). */
static char *args_json(int argc, char **argv)
{
    size_t len = strlen(CONFIG_COMPARE_RUN_ARG);
    char **kept = calloc((size_t)argc + 1, sizeof(*kept)), *json = NULL;
    char **owned = calloc((size_t)argc + 1, sizeof(*owned));
    bool nomem = false, next;
    char kind;
    long prefix;
    int i, n = 0;

    if (!kept || !owned)
        goto out;
    for (i = 1; i < argc && !nomem; i++) {
        const char *a = argv[i];
        if (!strncmp(a, CONFIG_COMPARE_RUN_ARG, len) && a[len] == '=')
            continue;
        if ((prefix = secret_option(a, &kind, &next)) >= 0 &&
            (!next || i + 1 < argc)) {
            if (next) {
                kept[n++] = argv[i++];
                a = argv[i];
            }
            if ((owned[i] = redacted(a, (size_t)prefix, kind, &nomem)))
                a = owned[i];
        }
        kept[n++] = (char *)a;
    }
    if (!nomem)
        json = cli_args_to_json(n, kept);
out:
    for (i = 0; owned && i <= argc; i++)
        free(owned[i]);
    free(owned);
    free(kept);
    return json;
}

bool cli_secret_header(const char *header)
{
    static const char *const secret[] = {"Authorization", "Cookie",
                                         "Proxy-Authorization"};
    size_t n = strcspn(header, ":"), i;

    for (i = 0; i < sizeof(secret) / sizeof(secret[0]); i++)
        if (n == strlen(secret[i]) && !strncasecmp(header, secret[i], n))
            return true;
    return false;
}

bool cli_restore_secrets(struct config *stored, const struct config *given,
                         FILE *err)
{
    const char *pw = stored->user ? strchr(stored->user, ':') : NULL;
    size_t i, k, n;

    if (stored->login_data && !strcmp(stored->login_data, CONFIG_SECRET)) {
        char *copy;
        if (!given->login_data) {
            fprintf(err, "scrape: the run logged in with --login-data, which"
                         " is not stored with it: give it again\n");
            return false;
        }
        if (!(copy = strdup(given->login_data)))
            return false;
        free(stored->login_data);
        stored->login_data = copy;
    }
    if (pw && !strcmp(pw + 1, CONFIG_SECRET)) {
        if (!given->user) {
            fprintf(err,
                    "scrape: the run used -u %.*s:..., whose password is not"
                    " stored with it: give it again (-u USER:PASSWORD)\n",
                    (int)(pw - stored->user), stored->user);
            return false;
        }
        stored->user = given->user;
    }

    for (i = 0; i < stored->nheaders; i++) {
        const char *h = stored->headers[i], *v = strchr(h, ':');
        if (!v || strcmp(v + strspn(v, ": "), CONFIG_SECRET))
            continue;
        n = (size_t)(v - h);
        for (k = 0; k < given->nheaders; k++)
            if (!strncasecmp(given->headers[k], h, n) &&
                given->headers[k][n] == ':')
                break;
        if (k == given->nheaders) {
            fprintf(err,
                    "scrape: the run sent -H '%.*s: ...', whose value is not"
                    " stored with it: give it again (-H '%.*s: VALUE', or -K"
                    " the file it came from)\n",
                    (int)n, h, (int)n, h);
            return false;
        }
        stored->headers[i] = given->headers[k];
    }
    return true;
}

/* The path of a -K/--config argument at argv[*i] (moving *i past its
 * value), or NULL when argv[*i] is not one.  *missing: it had no value. */
static const char *config_path(int argc, char **argv, int *i, bool *missing)
{
    const char *a = argv[*i];

    *missing = false;
    if (!strncmp(a, "--config=", 9))
        return a + 9;
    if (strcmp(a, "-K") && strcmp(a, "--config"))
        return NULL;
    if (*i + 1 >= argc) {
        *missing = true;
        return NULL;
    }
    return argv[++*i];
}

/* Reads one config file into cfg->argfiles; false with the message
 * written. */
static bool read_config(struct config *cfg, const char *path, FILE *err)
{
    struct argfile *files =
        realloc(cfg->argfiles, sizeof(*files) * (cfg->nargfiles + 1));
    struct argfile *a;
    char why[256];
    enum err e;
    int k;

    if (!files)
        return false;
    cfg->argfiles = files;
    a = &files[cfg->nargfiles];
    e = argfile_read(path, a, why, sizeof(why));
    if (e == ERR_IO)
        fprintf(err, "scrape: cannot read config file '%s': %s\n", path,
                strerror(errno));
    else if (e == ERR_TOO_LARGE)
        fprintf(err, "scrape: config file '%s' is over %ld bytes\n", path,
                ARGFILE_MAX_BYTES);
    else if (e)
        fprintf(err, "scrape: %s:%s\n", path, why);
    if (e)
        return false;
    cfg->nargfiles++;
    for (k = 0; k < a->n; k++)
        if (!strcmp(a->args[k], "-K") || !strncmp(a->args[k], "--config", 8)) {
            fprintf(err,
                    "scrape: %s:%d: a config file cannot read another"
                    " (%s)\n",
                    path, a->lines[k], a->args[k]);
            return false;
        }
    return true;
}

/* -K FILE / --config FILE: a new argument vector, argv[0], then every
 * file's arguments in order, then the command line's other arguments
 * (so they come after the files').  Each argument remembers its file
 * and line for the error messages.  Without -K, argv is left alone. */
static enum cli_result expand_config(struct config *cfg, int *argc,
                                     char ***argv, FILE *err)
{
    const char **paths = calloc((size_t)*argc, sizeof(*paths));
    size_t nk = 0, f;
    int i, n = 1, total = 1;
    bool missing;

    if (!paths)
        return CLI_USAGE;
    for (i = 1; i < *argc && strcmp((*argv)[i], "--"); i++) {
        const char *p = config_path(*argc, *argv, &i, &missing);
        if (missing) {
            fprintf(err, "scrape: missing value for '%s' (see --help)\n",
                    (*argv)[i]);
            free(paths);
            return CLI_USAGE;
        }
        if (p)
            paths[nk++] = p;
    }
    for (f = 0; f < nk; f++)
        if (!read_config(cfg, paths[f], err)) {
            free(paths);
            return CLI_USAGE;
        }
    if (!nk) {
        free(paths);
        return CLI_RUN;
    }
    for (f = 0; f < cfg->nargfiles; f++)
        total += cfg->argfiles[f].n;
    total += *argc;
    cfg->argv_owned = calloc((size_t)total + 1, sizeof(char *));
    cfg->arg_file = calloc((size_t)total + 1, sizeof(char *));
    cfg->arg_line = calloc((size_t)total + 1, sizeof(int));
    if (!cfg->argv_owned || !cfg->arg_file || !cfg->arg_line) {
        free(paths);
        return CLI_USAGE;
    }
    cfg->argv_owned[0] = (*argv)[0];
    for (f = 0; f < cfg->nargfiles; f++)
        for (i = 0; i < cfg->argfiles[f].n; i++, n++) {
            cfg->argv_owned[n] = cfg->argfiles[f].args[i];
            cfg->arg_file[n] = paths[f];
            cfg->arg_line[n] = cfg->argfiles[f].lines[i];
        }
    /* The command line's arguments but -K and its file; after "--"
     * every one, as it is. */
    for (i = 1; i < *argc; i++) {
        if (!strcmp((*argv)[i], "--")) {
            while (i < *argc)
                cfg->argv_owned[n++] = (*argv)[i++];
            break;
        }
        if (!config_path(*argc, *argv, &i, &missing))
            cfg->argv_owned[n++] = (*argv)[i];
    }
    cfg->argc_owned = n;
    *argc = n;
    *argv = cfg->argv_owned;
    free(paths);
    return CLI_RUN;
}

/* "FILE:LINE: " when argv[i] came from a config file, else "". */
static const char *origin(const struct config *cfg, int i, char *buf, size_t n)
{
    buf[0] = '\0';
    if (cfg->arg_file && i > 0 && i < cfg->argc_owned && cfg->arg_file[i])
        snprintf(buf, n, "%s:%d: ", cfg->arg_file[i], cfg->arg_line[i]);
    return buf;
}

/* apply(), with its message naming the config file and line the option
 * came from (argv[at]). */
static bool apply_from(struct config *cfg, int opt, const char *arg, int at,
                       FILE *err)
{
    char where[320], *msg = NULL;
    size_t len = 0;
    FILE *mem;
    bool ok;

    if (!*origin(cfg, at, where, sizeof(where)) ||
        !(mem = open_memstream(&msg, &len)))
        return apply(cfg, opt, arg, err);
    ok = apply(cfg, opt, arg, mem);
    fclose(mem);
    if (msg && !strncmp(msg, "scrape: ", 8))
        fprintf(err, "scrape: %s%s", where, msg + 8);
    else if (msg)
        fputs(msg, err);
    free(msg);
    return ok;
}

enum cli_result cli_parse(int argc, char **argv, struct config *cfg, FILE *out,
                          FILE *err)
{
    enum cli_result r;
    char where[320];
    int opt;

    defaults(cfg);
    /* scrape extract [OPTIONS]: the crawl's options, no SEEDS. */
    if (argc > 1 && !strcmp(argv[1], "extract")) {
        cfg->extract = true;
        argc--;
        argv++;
    }
    if ((r = expand_config(cfg, &argc, &argv, err)) != CLI_RUN)
        return r;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":c:d:H:u:kqhV", options, NULL)) !=
           -1) {
        if (opt == 'h') {
            fputs(usage_text, out);
            return CLI_HELP;
        }
        if (opt == 'V') {
            fprintf(out, "scrape %s\n%s libxml2/%s sqlite/%s\n", SCRAPE_VERSION,
                    curl_version(), LIBXML_DOTTED_VERSION,
                    sqlite3_libversion());
            return CLI_VERSION;
        }
        if (opt == '?' || opt == ':') {
            fprintf(err, "scrape: %s%s '%s' (see --help)\n",
                    origin(cfg, optind - 1, where, sizeof(where)),
                    opt == '?' ? "unknown option" : "missing value for",
                    argv[optind - 1]);
            return CLI_USAGE;
        }
        if (!apply_from(cfg, opt, optional_value(opt, argc, argv), optind - 1,
                        err))
            return CLI_USAGE;
    }
    if (!current_rule(cfg) || !check_shared(cfg, optind < argc, err) ||
        !check_compare(cfg, err))
        return CLI_USAGE;
    if (cfg->extract)
        return check_extract(cfg, argc, argv, err);
    if (!check_follow(cfg, err))
        return CLI_USAGE;
    if (!cfg->login_url != !cfg->login_data) {
        fprintf(err, "scrape: --login-url and --login-data go together\n");
        return CLI_USAGE;
    }
    if (cfg->recrawl &&
        (optind < argc || cfg->resume || cfg->join || cfg->compare)) {
        fprintf(err, "scrape: --recrawl N takes no SEEDS (run N's URLs are"
                     " the seeds) and no --resume, --join or --compare\n");
        return CLI_USAGE;
    }
    if ((cfg->resume || cfg->join || cfg->recrawl) && optind == argc)
        return CLI_RUN;
    if (optind == argc) {
        fprintf(err, "scrape: no SEEDS file or URL given (see --help)\n");
        return CLI_USAGE;
    }
    if (!check_inputs(cfg, argc - optind, argv + optind, err) ||
        !check_item_fields(cfg, err))
        return CLI_USAGE;
    warn_absolute_fields(cfg, err);
    if (cfg->insecure)
        fprintf(err, "scrape: warning: -k: TLS certificates are not verified"
                     " (the run is marked insecure)\n");
    if (!(cfg->args_json = args_json(argc, argv)))
        return CLI_USAGE;
    if (!cfg->user_agent &&
        !(cfg->user_agent = strdup("scrape/" SCRAPE_VERSION)))
        return CLI_USAGE;
    return CLI_RUN;
}

/* Frees what one rule owns. */
static void free_rule(const struct rule_spec *r)
{
    size_t i;

    for (i = 0; i < r->spec.nfields; i++) {
        free((char *)r->spec.fields[i].name);
        free((char *)r->spec.fields[i].xpath);
        free((char *)r->spec.fields[i].selector);
    }
    free((void *)r->spec.fields);
    free((char *)r->spec.item_xpath);
    free((char *)r->spec.item_selector);
    for (i = 0; i < r->nfollow; i++) {
        free((char *)r->follow[i].xpath);
        free((char *)r->follow[i].selector);
    }
    free((void *)r->follow);
    free((char *)r->name);
    free((char *)r->pattern);
}

void cli_release(struct config *cfg)
{
    size_t i, k;

    for (i = 0; i < cfg->nargfiles; i++)
        argfile_release(&cfg->argfiles[i]);
    free(cfg->argfiles);
    free(cfg->argv_owned);
    free(cfg->arg_file);
    free(cfg->arg_line);
    cfg->argfiles = NULL;
    cfg->nargfiles = 0;
    cfg->argv_owned = NULL;
    cfg->arg_file = NULL;
    cfg->arg_line = NULL;

    for (k = 0; k < cfg->spider.nrules; k++)
        free_rule(&cfg->spider.rules[k]);
    free((void *)cfg->spider.rules);
    memset(&cfg->spider, 0, sizeof(cfg->spider));
    free(cfg->include);
    free(cfg->exclude);
    free(cfg->strip_params);
    cfg->strip_params = NULL;
    cfg->nstrip_params = 0;
    free(cfg->headers);
    cfg->headers = NULL;
    cfg->nheaders = 0;
    free(cfg->login_data);
    cfg->login_data = NULL;
    cfg->include = cfg->exclude = NULL;
    cfg->ninclude = cfg->nexclude = 0;
    free(cfg->user_agent);
    free(cfg->args_json);
    free(cfg->seeds_desc);
    cfg->seeds_desc = NULL;
    cfg->args_json = NULL;
    cfg->user_agent = NULL;
}

char *cli_args_to_json(int argc, char *const *argv)
{
    struct buf b;
    enum err e;
    int i;

    buf_init(&b, 1 << 20);
    e = buf_add(&b, "[", 1);
    for (i = 0; i < argc && !e; i++) {
        if (i)
            e = buf_add(&b, ",", 1);
        if (!e)
            e = json_add_string(&b, argv[i]);
    }
    if (!e)
        e = buf_add(&b, "]", 1);
    if (e) {
        buf_release(&b);
        return NULL;
    }
    return buf_detach(&b, NULL);
}

/* Decodes one JSON string at *p (after its opening quote) into out. */
static bool json_string(const char **p, struct buf *out)
{
    const char *s = *p;

    buf_reset(out);
    while (*s && *s != '"') {
        char ch = *s++;
        if (ch == '\\') {
            ch = *s++;
            if (ch == 'u') {
                char hex[5] = {0};
                if (strlen(s) < 4)
                    return false;
                memcpy(hex, s, 4);
                ch = (char)strtol(hex, NULL, 16);
                s += 4;
            } else if (ch == 'n') {
                ch = '\n';
            } else if (ch == 't') {
                ch = '\t';
            } else if (ch == 'r') {
                ch = '\r';
            } else if (ch != '"' && ch != '\\' && ch != '/') {
                return false;
            }
        }
        if (buf_add(out, &ch, 1))
            return false;
    }
    if (*s != '"')
        return false;
    *p = s + 1;
    return true;
}

enum err cli_args_from_json(const char *json, int *argc, char ***argv)
{
    const char *p = json;
    char **v = calloc(2, sizeof(*v));
    struct buf arg;
    int n = 1;

    *argc = 0;
    *argv = NULL;
    if (!v || !(v[0] = strdup("scrape"))) {
        free(v);
        return ERR_NOMEM;
    }
    buf_init(&arg, 1 << 20);
    if (*p++ != '[')
        goto bad;
    while (*p == '"') {
        char **nv = realloc(v, (size_t)(n + 2) * sizeof(*v));
        p++;
        if (!nv)
            goto bad;
        v = nv;
        if (!json_string(&p, &arg) || !(v[n] = strdup(arg.data)))
            goto bad;
        v[++n] = NULL;
        if (*p == ',')
            p++;
    }
    if (*p != ']')
        goto bad;
    buf_release(&arg);
    *argc = n;
    *argv = v;
    return ERR_OK;
bad:
    buf_release(&arg);
    v[n] = NULL;
    cli_args_free(n, v);
    return ERR_INVALID;
}

void cli_args_free(int argc, char **argv)
{
    int i;

    for (i = 0; argv && i < argc; i++)
        free(argv[i]);
    free(argv);
}

bool cli_is_subcommand(int argc, char **argv)
{
    return argc > 1 && subcmd_find(argv[1]);
}

/* --help of the subcommands, from their table. */
static void sub_help(FILE *out)
{
    const struct subcmd_def *d;
    size_t i;

    for (i = 0; (d = subcmd_at(i)); i++)
        fprintf(out, "%s scrape %-6s %s\n", i ? "      " : "usage:", d->name,
                d->usage);
    fputs("\nRead a scrape database (read-only; default out/scrape.db) and"
          " report\non one run (default: the latest).\n",
          out);
    for (i = 0; (d = subcmd_at(i)); i++)
        fprintf(out, "  %-7s %s\n", d->name, d->help);
}

enum cli_result cli_parse_sub(int argc, char **argv, struct subcommand *sub,
                              FILE *out, FILE *err)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'D'},
        {"run", required_argument, NULL, 'r'},
        {"distance", required_argument, NULL, 'k'},
        {"format", required_argument, NULL, 'f'},
        {"output", required_argument, NULL, 'o'},
        {"limit", required_argument, NULL, 'l'},
        {"listen", required_argument, NULL, 'L'},
        {"time-limit", required_argument, NULL, 'T'},
        {"changed", no_argument, NULL, 'C'},
        {"rule", required_argument, NULL, 'R'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int opt;

    memset(sub, 0, sizeof(*sub));
    sub->name = argv[1];
    if (!(sub->def = subcmd_find(argv[1]))) {
        fprintf(err, "scrape: no subcommand '%s'\n", argv[1]);
        return CLI_USAGE;
    }
    sub->db_path = CLI_DEFAULT_DB;
    sub->distance = QUERY_DISTANCE_DEFAULT;
    sub->limit = QUERY_LIMIT_DEFAULT;
    sub->listen = CLI_DEFAULT_LISTEN;
    sub->time_limit_ms = CLI_DEFAULT_TIME_LIMIT_MS;
    optind = 2;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
        switch (opt) {
        case 'D':
            sub->db_path = optarg;
            break;
        case 'C':
            if (!sub->def->wants_format) {
                fprintf(err, "scrape %s: --changed is for scrape export\n",
                        sub->name);
                return CLI_USAGE;
            }
            sub->changed = true;
            break;
        case 'R':
            if (!sub->def->wants_format) {
                fprintf(err, "scrape %s: --rule is for scrape export\n",
                        sub->name);
                return CLI_USAGE;
            }
            sub->rule = optarg;
            break;
        case 'f':
            sub->format = optarg;
            break;
        case 'o':
            sub->output = optarg;
            break;
        case 'L':
            if (!sub->def->serve) {
                fprintf(err, "scrape %s: --listen is for scrape serve\n",
                        sub->name);
                return CLI_USAGE;
            }
            sub->listen = optarg;
            break;
        case 'T':
            if (!sub->def->serve ||
                !parse_long(optarg, 0, 600000, &sub->time_limit_ms)) {
                fprintf(err,
                        "scrape %s: --time-limit (scrape serve) wants 0 to"
                        " 600000 ms, got '%s'\n",
                        sub->name, optarg);
                return CLI_USAGE;
            }
            break;
        case 'h':
            sub_help(out);
            return CLI_HELP;
        case 'l':
            if (!parse_long(optarg, 1, 100000, &sub->limit)) {
                fprintf(err, "scrape: --limit wants 1 to 100000, got '%s'\n",
                        optarg);
                return CLI_USAGE;
            }
            break;
        case 'r':
            if (!parse_long(optarg, 1, LONG_MAX, &sub->run)) {
                fprintf(err, "scrape: --run wants a run number, got '%s'\n",
                        optarg);
                return CLI_USAGE;
            }
            break;
        case 'k':
            if (!parse_long(optarg, 0, DUPES_DISTANCE_MAX, &sub->distance)) {
                fprintf(err, "scrape: --distance wants 0 to 63, got '%s'\n",
                        optarg);
                return CLI_USAGE;
            }
            break;
        default:
            fprintf(err, "scrape %s: %s '%s' (see --help)\n", sub->name,
                    opt == ':' ? "missing value for" : "unknown option",
                    argv[optind - 1]);
            return CLI_USAGE;
        }
    }
    if (sub->def->wants_query) {
        if (optind != argc - 1) {
            fprintf(err, "scrape search: one QUERY wanted (quote it)\n");
            return CLI_USAGE;
        }
        sub->query = argv[optind++];
    }
    if (optind != argc) {
        fprintf(err, "scrape %s: unexpected '%s' (see --help)\n", sub->name,
                argv[optind]);
        return CLI_USAGE;
    }
    if (!sub->output)
        sub->output = sub->def->default_output;
    if (sub->def->wants_format &&
        (!sub->format ||
         (strcmp(sub->format, "jsonl") && strcmp(sub->format, "csv") &&
          strcmp(sub->format, "sqlite") && strcmp(sub->format, "warc")))) {
        fprintf(err, "scrape export: --format jsonl, csv, sqlite or warc\n");
        return CLI_USAGE;
    }
    if (sub->rule && sub->format &&
        (!strcmp(sub->format, "warc") || !strcmp(sub->format, "sqlite"))) {
        fprintf(err, "scrape export: --rule is for --format jsonl or csv\n");
        return CLI_USAGE;
    }
    if (sub->format && !strcmp(sub->format, "warc") &&
        (!sub->output || sub->changed)) {
        fprintf(err, "scrape export: --format warc writes a gzipped file:"
                     " -o FILE.warc.gz (and no --changed)\n");
        return CLI_USAGE;
    }
    /* A SQLite copy is a run out of a shared (PostgreSQL) database. */
    if (sub->format && !strcmp(sub->format, "sqlite") &&
        (!store_is_shared(sub->db_path) || !sub->output)) {
        fprintf(err, "scrape export: --format sqlite copies a run out of a"
                     " --db postgresql://... database into -o FILE\n");
        return CLI_USAGE;
    }
    return CLI_RUN;
}
