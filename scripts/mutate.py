#!/usr/bin/env python3
"""make mutate: plant known bugs one at a time and check a test fails.

Each mutation below is one small, plausible bug in one source file (a
wrong operator, a dropped check, a missed case).  For each, the tree is
copied to a scratch directory, the bug is planted, the tests named are
built and run, and the mutation counts as caught when they fail.  Most
are caught by the unit tests (seconds); a few live in modules only the
whole pipeline exercises (extract, warc) and name an integration filter.
A mutation whose original text is not in the file exactly once is
reported as stale: the code moved, and the list must follow it.

    scripts/mutate.py [NAME-SUBSTRING...]    (default: every mutation)

Exit status 1 when any mutation survived or is stale.
"""
import os
import shutil
import subprocess
import sys
import tempfile

TIMEOUT = int(os.environ.get("MUTATE_TIMEOUT", "300"))
UNIT = None  # the whole unit suite

# (name, file, original text, planted text, integration filter or UNIT)
MUTATIONS = [
    ("robots: our empty group falls back to '*'", "src/robots.c",
     "    if (ps.found_us) {", "    if (ps.found_us && ps.us.n) {", UNIT),
    ("url: a default port dropped for the other scheme", "src/url.c",
     "port != (https ? 443 : 80)", "port != 443 && port != 80", UNIT),
    ("css: [a|=v] as a prefix match", "src/css.c",
     '        nomem(p, buf_adds(&value, "-"));\n', "", UNIT),
    ("serve_api: items keyset 'after' inclusive", "src/serve_api.c",
     "WHERE i.run_id = ?1 AND i.id > ?2",
     "WHERE i.run_id = ?1 AND i.id >= ?2", UNIT),
    ("frame: a shared-area length trusted past the area", "src/frame.c",
     "    if (n > area_size)\n        return false;\n", "", UNIT),
    ("writer: a page committed before its done mark", "src/writer.c",
     "boundary = m->kind == MSG_FRONTIER_DONE ||",
     "boundary = m->kind == MSG_PAGE || m->kind == MSG_FRONTIER_DONE ||",
     UNIT),
    ("search: a phrase matches words apart", "src/search.c",
     "    confirm = ftsq_needs_positions(fq);", "    confirm = false;", UNIT),
    ("frontier: one more fetch per host than --per-host", "src/frontier.c",
     "h->active >= f->per_host", "h->active > f->per_host", UNIT),
    ("frontier: a retry's wait shortened", "src/frontier.c",
     "    if (not_before_ms > h->next_at)", "    if (not_before_ms < h->next_at)",
     UNIT),
    ("policy: a 300 robots.txt parsed as a 2xx", "src/policy.c",
     "status >= 200 && status < 300", "status >= 200 && status <= 300", UNIT),
    ("policy: one retry more than --retries", "src/policy.c",
     "attempts < retries", "attempts <= retries", UNIT),
    ("filter: a pattern with a group never matches", "src/filter.c",
     "f->md, NULL) >= 0)", "f->md, NULL) > 0)", UNIT),
    ("filter: --exclude ignored when --include is given", "src/filter.c",
     "    return first_match(f, f->exclude, f->nexclude, url, len) < 0;",
     "    return f->ninclude || first_match(f, f->exclude, f->nexclude, url,"
     " len) < 0;", UNIT),
    ("sitemap: a <loc> nested deeper than <url> taken", "src/sitemap.c",
     'named(r, "loc") && xmlTextReaderDepth(r) == 2',
     'named(r, "loc") && xmlTextReaderDepth(r) >= 2', UNIT),
    ("sitemap: one URL past the cap", "src/sitemap.c",
     "    if (sm->n >= SITEMAP_MAX_URLS) {", "    if (sm->n > SITEMAP_MAX_URLS) {",
     UNIT),
    ("held: the file emptied while a record is in it", "src/held.c",
     "    } else if (--s->in_file == 0) {", "    } else if (--s->in_file <= 1) {",
     UNIT),
    ("held: the memory budget ignored", "src/held.c",
     "if (s->mem + n > s->mem_budget && to_file",
     "if (s->mem > s->mem_budget && to_file", UNIT),
    ("frame: trailing bytes after a job accepted", "src/frame.c",
     "    if (c.bad || !job->url || !body || body[nb] || c.left != 0)",
     "    if (c.bad || !job->url || !body || body[nb])", UNIT),
    ("parse: a page declared UTF-8 taken at its word", "src/charset.c",
     "        if (utf8_valid(*body, *len))\n            return ERR_OK;\n",
     "        if (*len || utf8_valid(*body, *len))\n            return ERR_OK;\n",
     UNIT),
    ("parse: links below a depth of 64 dropped", "src/parse_sax.c",
     "    st->depth++;\n", "    if (st->depth++ > 64)\n        return;\n",
     UNIT),
    ("robots: the matcher retries a star forever", "src/robots.c",
     "            si = ++mark;", "            si = mark;", UNIT),
    ("workers: a dead worker not replaced", "src/workers.c",
     "    e = finish(w, s, done, ctx, NULL, why);\n    if (spawn(w, s)) {",
     "    e = finish(w, s, done, ctx, NULL, why);\n    if (0 && spawn(w, s)) {",
     "engines/killed_worker*"),
    ("workers: a lost fork server ends the crawl", "src/workers.c",
     "    w->restarts++;\n    if (start_server(w))",
     "    w->restarts++;\n    if (1 || start_server(w))",
     "engines/*fork_server*"),
    ("serve: query arguments left to libmicrohttpd to count", "src/serve.c",
     "MHD_OPTION_URI_LOG_CALLBACK, check_target,\n        NULL, ", "",
     "serve/oversized*"),
    ("serve: the connection limit idle sockets filled", "include/scrape/serve.h",
     "#define SERVE_MAX_CONNS   2048", "#define SERVE_MAX_CONNS   256",
     "serve/idle*"),
    ("serve: one timeout before and between requests", "src/serve.c",
     "(unsigned)o->first_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT",
     "(unsigned)o->keepalive_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT",
     "serve/idle*"),
    ("serve: a GET's body refused only after it is read", "src/serve.c",
     "        if (announces_body(c))\n", "        if (0 && announces_body(c))\n",
     "serve/bad_requests*"),
    ("extract: a page's parse error kept as a fetch error", "src/extract.c",
     "    if (error && !parse_made(error)) {", "    if (error) {",
     "bodies/*"),
    ("warc: a record's Content-Length one too long", "src/warc.c",
     "extra, ctype, bd, block->len);", "extra, ctype, bd, block->len + 1);",
     "bodies/warc*"),
    ("frame: a held body of another length than its response's taken",
     "src/frame.c", "(h->body[nb] || nb != h->len)", "(h->body[nb])", UNIT),
    ("store: a body that came unhashed stored without its hash",
     "src/store.c", "    if (row->body && !row->body_hash) {",
     "    if (0) {", "bodies/*"),
    ("cli: a bad value in a config file names no file and line",
     "src/cli.c", "    if (!*origin(cfg, at, where, sizeof(where)) ||",
     "    if (1 || !*origin(cfg, at, where, sizeof(where)) ||",
     "crawl/options_and*"),
    ("cli: the config file's arguments placed past the command line's",
     "src/cli.c", "    cfg->argv_owned[0] = (*argv)[0];\n",
     "    cfg->argv_owned[0] = (*argv)[0];\n    n = *argc;\n", "crawl/options_and*"),
    ("spider: a link chosen twice followed twice", "src/parse.c",
     "    if (hmap_get(seen, l->url)) {", "    if (0) {", UNIT),
    ("spider: --no-follow without selectors follows everything",
     "src/parse.c", "        if (!e && pr->spec->no_follow) {",
     "        if (0) {", UNIT),
    ("spider: the crawl follows every link, not the chosen ones",
     "src/crawl.c",
     "    const struct link *links = pg->chosen ? pg->follow : pg->links;\n"
     "    size_t i, n = pg->chosen ? pg->nfollow : pg->nlinks;\n",
     "    const struct link *links = pg->links;\n"
     "    size_t i, n = pg->nlinks;\n", "spider/config_file*"),
    ("spider: a worker's page loses its chosen links", "src/frame.c",
     "    pg->chosen = flag && *flag;", "    pg->chosen = false;",
     "spider/every_engine*"),
    ("spider: the frontier journal forgets who queued a URL",
     "src/store_sqlite.c", "    rc = rc ? rc : bind_text(st, 4, referrer);\n",
     "", "spider/config_file*"),
    ("http: credentials follow a redirect to another host", "src/http.c",
     "    rc = curl_easy_setopt(t->easy, CURLOPT_USERPWD, t->opts->userpwd);\n",
     "    rc = curl_easy_setopt(t->easy, CURLOPT_USERPWD, t->opts->userpwd);\n"
     "    curl_easy_setopt(t->easy, CURLOPT_UNRESTRICTED_AUTH, 1L);\n",
     "crawl/user_auth*"),
    ("http: a Set-Cookie value kept with the headers", "src/http.c",
     '        bool secret = !strcasecmp(h->name, "Set-Cookie");',
     "        bool secret = false;", "crawl/cookies*"),
    ("robots: the '*' group's Crawl-delay ignored", "src/robots.c",
     "            ps->delay_star = ms;\n", "", UNIT),
    ("cli: a secret header stored with the run", "src/cli.c",
     "    if (kind == 'H' && !cli_secret_header(v))",
     "    if (kind == 'H')", UNIT),
    ("crawl: --strip-params not applied to seeds", "src/crawl.c",
     "    url = crawl_strip(c, url, buf);\n", "", "crawl/strip*"),
    ("policy: every refused fetch in flight doubles the throttle",
     "src/policy.c", "        if (since_raise_ms >= current_ms)\n", "        if (1)\n",
     UNIT),
    ("frontier: the Crawl-delay not part of a host's gap", "src/frontier.c",
     "    if (h->delay_ms > gap)\n        gap = h->delay_ms;\n", "",
     "crawl/robots_crawl_delay*"),
    ("login: the form's hidden inputs left out", "src/login.c",
     "            if (submitted(n, &type))\n",
     "            if (submitted(n, &type) &&\n"
     "                !(type && !strcasecmp(type, \"hidden\")))\n",
     "crawl/login*"),
    ("compare: every round in the same order", "src/compare.c",
     "    return engines[(round + k) % COMPARE_ENGINES];",
     "    return engines[k];", UNIT),
    ("compare: a run keeps the comparison's engine option", "src/cli.c",
     "        cfg->engine = cfg->compare_engine;\n", "", UNIT),
    ("compare: a stop not passed on to the run", "src/compare.c",
     "            kill(pid, *stop);\n", "", "engines/compare_stops*"),
    ("compare: a run outlives a killed comparison", "src/compare.c",
     "    prctl(PR_SET_PDEATHSIG, SIGTERM);\n", "", "engines/compare_stops*"),
    ("report: charts of the latest runs, not the comparison",
     "src/query_db.h",
     "\" mode) ELSE status = 'done' AND compare_id",
     "\" mode) ELSE 0 AND compare_id", "engines/compare_repeat*"),
]


def run(cmd, cwd, timeout):
    try:
        p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=timeout)
        return p.returncode, p.stdout.decode("utf-8", "replace")
    except subprocess.TimeoutExpired:
        return -1, "timed out"


def tests_fail(tree, level):
    """Builds and runs the tests of `level`; returns (failed, detail)."""
    if level is UNIT:
        target, cmd = "build/unit-tests", ["build/unit-tests", "--jobs", "2"]
    else:
        target = "build/integration-tests"
        cmd = ["build/integration-tests", "--jobs", "2", "--filter", level]
    code, out = run(["make", "-s", "--no-print-directory", "WERROR=0",
                     "scrape", "build/scrape", "helpers", target], tree, 900)
    if code != 0:
        return True, "does not build"
    code, out = run(cmd, tree, TIMEOUT)
    if code == 0:
        return False, ""
    failing = [l.split("]", 1)[1].rsplit(": (", 1)[0].strip()
               for l in out.splitlines() if l.startswith("[FAIL]")]
    return True, "by " + (", ".join(failing[:3]) or "a timeout or crash")


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    want = sys.argv[1:]
    muts = [m for m in MUTATIONS
            if not want or any(w in m[0] for w in want)]
    scratch = tempfile.mkdtemp(prefix="scrape-mutate-")
    tree = os.path.join(scratch, "tree")
    shutil.copytree(root, tree, symlinks=True, ignore=shutil.ignore_patterns(
        "build", "node_modules", ".git", "out"))
    if os.environ.get("MUTATE_TESTS_FROM"):
        # The suite of another commit against today's code: how many of
        # the same bugs it caught (the figure before tests were added).
        shutil.rmtree(os.path.join(tree, "tests"))
        archive = subprocess.run(
            ["git", "-C", root, "archive", os.environ["MUTATE_TESTS_FROM"],
             "tests"], stdout=subprocess.PIPE, check=True).stdout
        subprocess.run(["tar", "-x", "-C", tree], input=archive, check=True)
    modules = os.path.join(root, "tests", "warc", "node_modules")
    if os.path.isdir(modules):
        os.symlink(modules, os.path.join(tree, "tests", "warc",
                                         "node_modules"))
    os.environ.update(SCRAPE_BIN="build/scrape", SITESRV_BIN="build/sitesrv",
                      RAWPEER_BIN="build/rawpeer")
    for level in sorted({m[4] or "" for m in muts}):
        failed, detail = tests_fail(tree, level or UNIT)
        if failed:
            print(f"mutate: the tests ({level or 'unit'}) fail without any"
                  f" mutation: {detail}")
            return 1
    caught = survived = stale = 0
    for name, file, old, new, level in muts:
        path = os.path.join(tree, file)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        if text.count(old) != 1:
            print(f"STALE    {name}: the original text is in {file}"
                  f" {text.count(old)} times, not once")
            stale += 1
            continue
        with open(path, "w", encoding="utf-8") as f:
            f.write(text.replace(old, new, 1))
        try:
            failed, detail = tests_fail(tree, level)
        finally:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
        if failed:
            caught += 1
            print(f"caught   {name} ({level or 'unit'}): {detail}")
        else:
            survived += 1
            print(f"SURVIVED {name} ({level or 'unit'})")
    shutil.rmtree(scratch, ignore_errors=True)
    print(f"mutate: {caught} caught, {survived} survived, {stale} stale,"
          f" of {len(muts)}")
    return 0 if survived == 0 and stale == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
