#!/bin/sh
# `make bench`: scrape's own figures, each section measured in one run of
# this script.  The site is the generated bookstore (build/sitegen) served
# as static files by nginx on 127.0.0.1 (scripts/nginx.sh; per-request
# latency with the echo module), so the server is never the limit.
#
# ceiling  PAGES (2000) pages of ~PAGE_SIZE (20000) bytes, LATENCY (50) ms:
#          every URL with `curl --parallel --parallel-max C` (fetch only),
#          then the same list with `scrape --multi -c C` (fetch, parse,
#          store); RUNS runs alternating, median by wall time, the ratio.
# io       I/O-bound profile: 2000 pages of ~20 KB at 50 ms from the index,
#          `scrape --compare --repeat RUNS` (threads 100, multi -c 100,
#          procs 2), and a sequential crawl (--threads 1) of its first
#          100 pages.
# cpu      CPU-bound profile: 300 pages of ~1 MB nested HTML, no latency,
#          `scrape --compare --repeat RUNS` (2 threads, 2 processes, 32
#          transfers).
# targets  the 5000-page site (~22 KB pages) of `make bench-peers`: --multi
#          and --procs 2 at 0 ms; --multi -c 100 and -c 500 at 50 ms
#          against curl -Z 100 and the latency bound (100 / 50 ms = 2000
#          pages/s); peak memory of --multi and --threads 64.
# scale    100,000 pages of ~4 KB, one --multi run: pages/s over the first
#          and the last tenth of the crawl (from pages.fetched_at), peak
#          memory, and the frontier's bytes per queued URL.
# items    2000 quote pages (10 quotes each), no latency, every page a
#          seed: --multi and --procs 2, each with --item and three fields
#          (CSS, one a list) against the same crawl with no fields, RUNS
#          runs alternating, medians and the ratio (the target: at most
#          15 % fewer pages/s).
# slow     1 + 10 + 100 + 1000 pages (-d 3) on build/sitesrv --slow 4000:
#          one page per level answers after 4 s, none below another, so
#          the longest chain of slow pages is 4 s and the sum of the
#          levels' slowest pages 12 s.  Wall time of each engine against
#          both, and of --max-pages (which turns the lookahead off: levels
#          wait for their slowest page, as crawlers without lookahead do).
# corpus   a real documentation corpus from a Debian package: git-doc's
#          HTML (/usr/share/doc/git-doc, ~220 pages, ~8.4 MB, up to
#          400 KB a page) served by nginx, crawled from index.html with
#          --multi and --procs 2, RUNS runs alternating: CPU seconds per
#          MB of HTML and peak memory (medians); then 40 generated pages
#          of 2.5 MB each, --multi's peak memory at the default
#          --per-host 8 and at --per-host 2.
# serve    scrape serve on a 2000-page crawl: wrk, 200 connections, 10 s,
#          on /api/search and on a /pages/ID page: requests/s, p50 and
#          p99 latency, errors, the server's peak memory; then the same
#          while 500 idle connections are held open (reopened as the
#          server closes them).
# bodies   5000 pages of ~20 KB behind nginx (which sends ETag and
#          Last-Modified and answers 304), no latency: a crawl without and
#          with --keep-bodies (database sizes), then --recrawl of the
#          unchanged site (all 304: wall and CPU as ratios to the first
#          crawl), then scrape extract over the 5000 stored bodies against
#          the live crawl (wall and CPU).
# procs    PAIRS (5) alternating --multi / --procs 2 pairs on
#          the CPU-bound profile (300 x 1 MB nested pages, no latency,
#          -d 3 -c 32) and on the I/O-bound one (2000 x 20 KB at 50 ms,
#          -d 4 -c 100): each run's figures; --multi's CPU seconds as
#          (max - min) / median next to the same spread of a fixed CPU
#          job (gzip of the site) timed between the pairs, which is this
#          machine's own noise; the median of the pairs' speedups; what
#          the workers held at their peak.
# alone    --compare against each engine run alone: on 300 generated
#          pages of ~400 KB at 20 ms (-d 3 -c 8 --per-host 32: 32 threads
#          hold several times the memory of 8 transfers) and on a real
#          manual, the Python 3.11 documentation's HTML (Debian package
#          python3.11-doc, ~530 pages, -d 50 -c 100 --per-host 100):
#          ALONE_RUNS (5) rounds of `--compare` followed by each engine
#          alone in the same order; medians of wall, CPU and peak memory
#          side by side, and their ratios.
# spider   the shop section of build/sitesrv (--shop-products 1000 per
#          category: ~3,500 list and product pages), no latency, -c 100
#          --per-host 100, RUNS runs alternating: the same four fields
#          given without rules and under two --rule options (the same
#          pages fetched, --include keeping both to lists and products):
#          the rules' cost as a ratio of pages/s (target >= 0.90); then
#          seeds/shop.scrape (--follow chooses cards and "next",
#          products follow nothing) against the same rules following
#          every link: pages fetched and wall time saved.
# SECTIONS="ceiling io cpu targets scale items slow corpus serve bodies
# procs alone spider" selects which run.
set -eu
cd "$(dirname "$0")/.."
. scripts/nginx.sh
. scripts/site.sh

SECTIONS=${SECTIONS:-ceiling io cpu targets scale items slow corpus serve bodies procs alone spider}
PAGES=${PAGES:-2000}
LATENCY=${LATENCY:-50}
PAGE_SIZE=${PAGE_SIZE:-20000}
C=${C:-200}
RUNS=${RUNS:-3}
PAIRS=${PAIRS:-5}
ALONE_RUNS=${ALONE_RUNS:-5}
TIME=/usr/bin/time

tmp=$(mktemp -d)
trap 'nginx_stop; site_stop; rm -rf "$tmp"' EXIT INT TERM

# One crawl of $tmp/seeds.txt into a fresh $tmp/s.db with the given
# options; prints "pages/s cpu_s peak_MB errors" from its runs row.
crawl() {
    rm -f "$tmp/s.db" "$tmp/s.db-wal" "$tmp/s.db-shm"
    ./scrape -q "$@" --db "$tmp/s.db" "$tmp/seeds.txt"
    sqlite3 "$tmp/s.db" "SELECT printf('%.0f %.2f %.1f %d',
        pages * 1000.0 / wall_ms, (cpu_user_ms + cpu_sys_ms) / 1000.0,
        peak_rss_kb / 1024.0, errors) FROM runs"
}

# curl -Z over $tmp/curl.cfg with $1 in flight; prints pages/s.
curl_rate() {
    "$TIME" -f "%e" -o "$tmp/time" curl -s -Z --parallel-max "$1" \
        -K "$tmp/curl.cfg" 2>/dev/null
    awk -v p="$(nginx_pages "$tmp")" '{ printf "%.0f\n", ($1 > 0 ? p / $1 : 0) }' \
        "$tmp/time"
}

ceiling() {
    nginx_site "$tmp" "$PAGES" "$PAGE_SIZE"
    nginx_start "$tmp" "$LATENCY"
    nginx_urls "$tmp" "$PAGES"
    cp "$tmp/urls.txt" "$tmp/seeds.txt"
    : >"$tmp/curl.runs"
    : >"$tmp/scrape.runs"
    r=0
    while [ "$r" -lt "$RUNS" ]; do
        nginx_pages "$tmp" >/dev/null
        "$TIME" -f "%e %U %S %M" -o "$tmp/time" curl -s --parallel \
            --parallel-max "$C" -K "$tmp/curl.cfg" 2>/dev/null
        echo "$(nginx_pages "$tmp") $(cat "$tmp/time")" >>"$tmp/curl.runs"
        rm -f "$tmp/s.db" "$tmp/s.db-wal" "$tmp/s.db-shm"
        "$TIME" -f "%e %U %S %M" -o "$tmp/time" ./scrape -q --multi -c "$C" \
            --per-host "$C" --db "$tmp/s.db" "$tmp/urls.txt"
        echo "$(sqlite3 "$tmp/s.db" "SELECT count(*) FROM pages WHERE
              status = 200 AND error IS NULL") $(cat "$tmp/time")" \
            >>"$tmp/scrape.runs"
        r=$((r + 1))
    done
    nginx_stop
    cm=$(sort -k2 -n "$tmp/curl.runs" | awk -v n="$RUNS" 'NR == int((n + 1) / 2)')
    sm=$(sort -k2 -n "$tmp/scrape.runs" | awk -v n="$RUNS" 'NR == int((n + 1) / 2)')
    echo "bench: $PAGES pages of ~$PAGE_SIZE bytes, $LATENCY ms latency," \
        "$C in flight, median of $RUNS runs"
    printf '%-28s %7s %8s %10s %8s %10s\n' tool pages wall_s pages/s cpu_s \
        peak_MB
    for row in "curl --parallel (fetch only)|$cm" "scrape --multi (all work)|$sm"; do
        set -- ${row#*|}
        awk -v name="${row%%|*}" -v p="$1" -v w="$2" -v u="$3" -v s="$4" \
            -v m="$5" 'BEGIN { printf "%-28s %7d %8.2f %10.0f %8.2f %10.1f\n",
                               name, p, w, (w > 0 ? p / w : 0), u + s, m / 1024 }'
    done
    set -- $cm
    crate=$(awk -v p="$1" -v w="$2" 'BEGIN { print (w > 0 ? p / w : 0) }')
    set -- $sm
    awk -v p="$1" -v w="$2" -v c="$crate" \
        'BEGIN { printf "scrape / curl pages/s ratio: %.2f (target >= 0.80)\n",
                 (c > 0 && w > 0 ? p / w / c : 0) }'
}

# Crawls the site's index with --compare and the given options.
compare() {
    echo "http://127.0.0.1:$NGINX_PORT/index.html" >"$tmp/index.txt"
    ./scrape -q --compare --repeat "$RUNS" "$@" --db "$tmp/compare.db" \
        "$tmp/index.txt"
}

io_profile() {
    echo
    echo "bench: I/O-bound profile: 2000 pages of ~20 KB, 50 ms latency"
    nginx_site "$tmp" 2000 20000
    nginx_start "$tmp" 50
    compare -d 4 -c 100 --threads 100 --procs 2 --per-host 100
    echo "http://127.0.0.1:$NGINX_PORT/index.html" >"$tmp/seeds.txt"
    set -- $(crawl --threads 1 -d 4 --max-pages 100 --per-host 1)
    echo "sequential --threads 1 (first 100 pages): $1 pages/s, $2 s CPU," \
        "peak $3 MB"
    nginx_stop
}

cpu_profile() {
    echo
    echo "bench: CPU-bound profile: 300 pages of ~1 MB nested HTML, no latency"
    nginx_site "$tmp" 300 1000000 --nested 1
    nginx_start "$tmp" 0
    compare -d 3 -c 32 --threads 2 --procs 2 --per-host 32
    nginx_stop
}

# Median of $RUNS runs of crawl "$@": "pages/s cpu_s peak_MB errors",
# the run with the median pages/s.
crawl_median() {
    : >"$tmp/med"
    _r=0
    while [ "$_r" -lt "$RUNS" ]; do
        crawl "$@" >>"$tmp/med"
        _r=$((_r + 1))
    done
    sort -n "$tmp/med" | awk -v n="$RUNS" 'NR == int((n + 1) / 2)'
}

targets() {
    echo
    echo "bench: targets on the 5000-page site (~22 KB pages), median of" \
        "$RUNS runs"
    nginx_site "$tmp" 5000 22000
    echo "http://127.0.0.1:$NGINX_PORT/index.html" >"$tmp/seeds.txt"
    nginx_urls "$tmp" 5000
    nginx_start "$tmp" 0
    printf '%-34s %9s %7s %8s %7s\n' "0 ms latency" pages/s cpu_s peak_MB \
        errors
    set -- $(crawl_median --multi -d 1000 -c 100 --per-host 100)
    multi0=$1
    printf '%-34s %9s %7s %8s %7s\n' "scrape --multi -c 100" "$@"
    set -- $(crawl_median --procs 2 -d 1000 -c 100 --per-host 100)
    printf '%-34s %9s %7s %8s %7s\n' "scrape --procs 2 -c 100" "$@"
    awk -v p="$1" -v m="$multi0" 'BEGIN { printf "--procs 2 / --multi:" \
        " %.2f (target >= 1.00)\n", (m > 0 ? p / m : 0) }'
    set -- $(crawl_median --threads 64 -d 1000 --per-host 64)
    printf '%-34s %9s %7s %8s %7s\n' "scrape --threads 64" "$@"
    echo "memory targets: --multi <= 32 MB, --threads 64 <= 96 MB"
    nginx_stop
    nginx_start "$tmp" 50
    printf '%-34s %9s %7s %8s %7s\n' "50 ms latency" pages/s cpu_s peak_MB \
        errors
    : >"$tmp/med"
    _r=0
    while [ "$_r" -lt "$RUNS" ]; do
        curl_rate 100 >>"$tmp/med"
        _r=$((_r + 1))
    done
    curl50=$(sort -n "$tmp/med" | awk -v n="$RUNS" 'NR == int((n + 1) / 2)')
    printf '%-34s %9s\n' "curl -Z --parallel-max 100 (fetch)" "$curl50"
    set -- $(crawl_median --multi -d 1000 -c 100 --per-host 100)
    printf '%-34s %9s %7s %8s %7s\n' "scrape --multi -c 100" "$@"
    awk -v p="$1" -v c="$curl50" 'BEGIN { printf "--multi -c 100: %.2f of" \
        " the latency bound (target >= 0.90), %.2f of curl (target >= 1.00)\n",
        p / 2000, (c > 0 ? p / c : 0) }'
    set -- $(crawl_median --multi -d 1000 -c 500 --per-host 500)
    printf '%-34s %9s %7s %8s %7s\n' "scrape --multi -c 500" "$@"
    nginx_stop
}

scale() {
    echo
    echo "bench: scale: 100,000 pages of ~4 KB, no latency, one --multi run"
    nginx_site "$tmp" 100000 4000
    nginx_start "$tmp" 0
    echo "http://127.0.0.1:$NGINX_PORT/index.html" >"$tmp/seeds.txt"
    nginx_pages "$tmp" >/dev/null
    set -- $(crawl --multi -d 1000 -c 100 --per-host 100)
    echo "scrape --multi -c 100: $1 pages/s, $2 s CPU, peak $3 MB" \
        "(target <= 64 MB), $4 errors, $(nginx_pages "$tmp") pages in the" \
        "server's log"
    nginx_stop
    # Pages/s over the first and the last tenth of the rows, by fetch time.
    sqlite3 "$tmp/s.db" "
        WITH o AS (SELECT julianday(fetched_at) * 86400.0 AS t,
                          row_number() OVER (ORDER BY fetched_at, id) AS n
                   FROM pages),
             c AS (SELECT count(*) / 10 AS k, count(*) AS n FROM pages),
             f AS (SELECT k / ((SELECT t FROM o WHERE n = c.k) -
                               (SELECT t FROM o WHERE n = 1)) AS first,
                          k / ((SELECT t FROM o WHERE n = c.n) -
                               (SELECT t FROM o WHERE n = c.n - c.k + 1))
                              AS last FROM c)
        SELECT printf('first tenth %.0f pages/s, last tenth %.0f pages/s:'
                      || ' last / first %.2f (target >= 0.80)',
                      first, last, last / first) FROM f"
    ls -l "$tmp/s.db" | awk '{ printf "database: %.1f MB\n", $5 / 1048576 }'
    build/frontier-mem 100000
    rm -rf "$tmp/site"
}

items() {
    echo
    echo "bench: items: 2000 quote pages, 10 quotes each, no latency," \
        "median of $RUNS runs"
    nginx_site "$tmp" 1 4000 --quote-pages 2000
    nginx_start "$tmp" 0
    _k=1
    while [ "$_k" -le 2000 ]; do
        echo "http://127.0.0.1:$NGINX_PORT/quotes/page/$_k/"
        _k=$((_k + 1))
    done >"$tmp/seeds.txt"
    printf '%-40s %9s %7s %8s %7s\n' "" pages/s cpu_s peak_MB errors
    for _engine in --multi "--procs 2"; do
        : >"$tmp/plain.runs"
        : >"$tmp/items.runs"
        _r=0
        while [ "$_r" -lt "$RUNS" ]; do
            # shellcheck disable=SC2086
            crawl $_engine -c 100 --per-host 100 >>"$tmp/plain.runs"
            # shellcheck disable=SC2086
            crawl $_engine -c 100 --per-host 100 --item div.quote \
                --field 'text=span.text::text' --field 'author=small.author' \
                --field 'tags[]=div.tags a.tag::text' >>"$tmp/items.runs"
            _items=$(sqlite3 "$tmp/s.db" 'SELECT count(*) FROM items')
            _r=$((_r + 1))
        done
        set -- $(sort -n "$tmp/plain.runs" |
            awk -v n="$RUNS" 'NR == int((n + 1) / 2)')
        _plain=$1
        printf '%-40s %9s %7s %8s %7s\n' "scrape $_engine, no fields" "$@"
        set -- $(sort -n "$tmp/items.runs" |
            awk -v n="$RUNS" 'NR == int((n + 1) / 2)')
        printf '%-40s %9s %7s %8s %7s\n' "scrape $_engine, --item + 3 fields" \
            "$@"
        awk -v i="$1" -v p="$_plain" -v n="$_items" -v e="$_engine" \
            'BEGIN { printf "%s items / plain: %.2f of the pages/s" \
            " (target >= 0.85); %d items stored\n", e,
            (p > 0 ? i / p : 0), n }'
    done
    nginx_stop
    rm -rf "$tmp/site"
}

slow() {
    echo
    echo "bench: slow: 1 + 10 + 100 + 1000 pages, -d 3, one page per level" \
        "answers after 4 s (longest slow chain 4 s, sum of levels 12 s)"
    build/sitesrv --pages 1111 --fanout 10 --page-size 20000 --slow 4000 \
        --lifetime 600 >"$tmp/slow.port" &
    _srv=$!
    _k=0
    while [ ! -s "$tmp/slow.port" ] && [ "$_k" -lt 50 ]; do
        sleep 0.1
        _k=$((_k + 1))
    done
    echo "http://127.0.0.1:$(cat "$tmp/slow.port")/index.html" >"$tmp/seeds.txt"
    printf '%-40s %7s %9s %7s %8s %7s\n' "" wall_s pages/s cpu_s peak_MB \
        errors
    for _engine in --multi "--threads 16" "--procs 2" \
        "--multi --max-pages 1000000"; do
        # shellcheck disable=SC2086
        set -- $(crawl $_engine -d 3)
        _wall=$(sqlite3 "$tmp/s.db" 'SELECT wall_ms / 1000.0 FROM runs')
        printf '%-40s %7.2f %9s %7s %8s %7s\n' "scrape $_engine" "$_wall" "$@"
        awk -v w="$_wall" -v e="$_engine" 'BEGIN { printf "  %s: %.2f x" \
            " the longest slow chain (target close to 1), %.2f x the sum" \
            " of the levels\n", e, w / 4, w / 12 }'
    done
    kill "$_srv"
    wait "$_srv" 2>/dev/null || true
}

corpus() {
    echo
    echo "bench: corpus: git-doc's HTML (Debian package git-doc), no" \
        "latency, median of $RUNS runs"
    NGINX_PORT=$(nginx_free_port)
    rm -rf "$tmp/site"
    mkdir -p "$tmp/site"
    cp -r /usr/share/doc/git-doc/. "$tmp/site/"
    find "$tmp/site" -name '*.gz' -exec gunzip -qf {} + 2>/dev/null || true
    chmod -R a+rX "$tmp"
    nginx_start "$tmp" 0
    echo "http://127.0.0.1:$NGINX_PORT/index.html" >"$tmp/seeds.txt"
    printf '%-28s %7s %8s %7s %10s %8s\n' "" pages MB cpu_s cpu_ms/MB peak_MB
    for _engine in --multi "--procs 2"; do
        : >"$tmp/corpus.runs"
        _r=0
        while [ "$_r" -lt "$RUNS" ]; do
            # shellcheck disable=SC2086
            crawl $_engine -d 50 >/dev/null
            sqlite3 "$tmp/s.db" "SELECT printf('%.3f %d %.2f %.2f %.1f',
                (cpu_user_ms + cpu_sys_ms) * 1.0 /
                    (SELECT sum(bytes) / 1048576.0 FROM pages
                     WHERE status = 200),
                pages, (SELECT sum(bytes) / 1048576.0 FROM pages
                        WHERE status = 200),
                (cpu_user_ms + cpu_sys_ms) / 1000.0,
                peak_rss_kb / 1024.0) FROM runs" >>"$tmp/corpus.runs"
            _r=$((_r + 1))
        done
        set -- $(sort -n "$tmp/corpus.runs" |
            awk -v n="$RUNS" 'NR == int((n + 1) / 2)')
        printf '%-28s %7s %8s %7s %10s %8s\n' "scrape $_engine" "$2" "$3" \
            "$4" "$1" "$5"
    done
    nginx_stop
    echo "40 pages of 2.5 MB (target: peak <= 32 MB)"
    nginx_site "$tmp" 40 2500000
    nginx_start "$tmp" 0
    echo "http://127.0.0.1:$NGINX_PORT/index.html" >"$tmp/seeds.txt"
    for _ph in 8 2; do
        set -- $(crawl --multi -d 10 --per-host "$_ph")
        echo "scrape --multi --per-host $_ph: $1 pages/s, $2 s CPU," \
            "peak $3 MB, $4 errors"
    done
    nginx_stop
    rm -rf "$tmp/site"
}

serve_load() {
    echo
    echo "bench: serve: wrk -c 200 -d 10s against scrape serve on a" \
        "2000-page crawl"
    nginx_site "$tmp" 2000 20000
    nginx_start "$tmp" 0
    echo "http://127.0.0.1:$NGINX_PORT/index.html" >"$tmp/seeds.txt"
    crawl --multi -d 1000 -c 100 --per-host 100 >/dev/null
    nginx_stop
    ./scrape serve --db "$tmp/s.db" --listen 127.0.0.1:0 >"$tmp/serve.out" &
    _srv=$!
    _port=
    _k=0
    while [ -z "$_port" ] && [ "$_k" -lt 50 ]; do
        sleep 0.1
        _port=$(sed -n 's|^serving http://127.0.0.1:\([0-9]*\)/.*|\1|p' \
            "$tmp/serve.out")
        _k=$((_k + 1))
    done
    _page=$(sqlite3 "$tmp/s.db" 'SELECT max(id) / 2 FROM pages')
    printf '%-40s %10s %9s %9s %8s\n' "" requests/s p50 p99 errors
    for _idle in 0 500; do
        if [ "$_idle" -gt 0 ]; then
            # 500 connections held open with nothing sent, each one
            # opened again when the server closes it, for the whole run.
            python3 -c "
import socket, time
port, n, until = $_port, $_idle, time.time() + 25
held = []
while time.time() < until:
    held = [s for s in held if s.fileno() >= 0]
    for s in list(held):
        s.setblocking(False)
        try:
            if s.recv(1) == b'':
                s.close(); held.remove(s)
        except BlockingIOError:
            pass
        except OSError:
            s.close(); held.remove(s)
    while len(held) < n:
        held.append(socket.create_connection(('127.0.0.1', port)))
    time.sleep(0.5)
" &
            _holder=$!
            sleep 1
        fi
        for _path in "/api/search?q=harbour" "/pages/$_page"; do
            # wrk's own 2 s timeout would count slow answers as errors;
            # errors are failed requests.
            wrk -t 2 -c 200 -d 10s --timeout 30s --latency \
                "http://127.0.0.1:$_port$_path" >"$tmp/wrk.out" 2>&1
            _rps=$(awk '/^Requests\/sec/ { print $2 }' "$tmp/wrk.out")
            _p50=$(awk '$1 == "50%" { print $2 }' "$tmp/wrk.out")
            _p99=$(awk '$1 == "99%" { print $2 }' "$tmp/wrk.out")
            # "Socket errors: connect 0, read 0, write 0, timeout 3" and
            # "Non-2xx or 3xx responses: 5": their numbers summed.
            _err=$(awk '/Socket errors/ { gsub(/[^0-9 ]/, " "); for (i = 1;
                i <= NF; i++) n += $i } /Non-2xx/ { n += $NF }
                END { print n + 0 }' "$tmp/wrk.out")
            printf '%-40s %10s %9s %9s %8s\n' \
                "$_path ($_idle idle held)" "$_rps" "$_p50" "$_p99" "$_err"
        done
        if [ "$_idle" -gt 0 ]; then
            kill "$_holder" 2>/dev/null || true
            wait "$_holder" 2>/dev/null || true
        fi
    done
    echo "server peak memory: $(awk '/VmHWM/ { printf "%.1f MB", $2 / 1024 }' \
        "/proc/$_srv/status")"
    kill "$_srv"
    wait "$_srv" 2>/dev/null || true
    rm -rf "$tmp/site"
}

# Wall ms and CPU ms of run $2 in database $1: "wall cpu".
run_cost() {
    sqlite3 "$1" "SELECT wall_ms, cpu_user_ms + cpu_sys_ms FROM runs
                  WHERE id = $2" | tr '|' ' '
}

# One crawl as crawl() does, not quiet: prints "pages/s cpu_s peak_MB
# errors workers_one_MB workers_all_MB" (the last two 0 without workers).
crawl_workers() {
    rm -f "$tmp/s.db" "$tmp/s.db-wal" "$tmp/s.db-shm"
    ./scrape "$@" --db "$tmp/s.db" "$tmp/seeds.txt" 2>"$tmp/stderr"
    _w=$(sed -n 's/^scrape: [0-9]* parse workers: peak \([0-9.]*\) MB the largest, \([0-9.]*\) MB together.*$/\1 \2/p' \
        "$tmp/stderr")
    echo "$(sqlite3 "$tmp/s.db" "SELECT printf('%.1f %.2f %.1f %d',
        pages * 1000.0 / wall_ms, (cpu_user_ms + cpu_sys_ms) / 1000.0,
        peak_rss_kb / 1024.0, errors) FROM runs") ${_w:-0 0}"
}

# User CPU seconds of a fixed job: gzip of the first 64 MB of the site
# (gathered once per profile, by procs_pairs).
calibrate() {
    "$TIME" -f "%U" -o "$tmp/time" gzip -6 -c "$tmp/calib.in" >/dev/null
    cat "$tmp/time"
}

# $PAIRS alternating pairs of crawl_workers --multi / --procs 2 with the
# given options; prints each run and the summary lines.
procs_pairs() {
    _opts="$*"
    : >"$tmp/pairs"
    find "$tmp/site" -type f -name '*.html' | sort | head -n 2000 |
        xargs cat 2>/dev/null | head -c 67108864 >"$tmp/calib.in" || true
    _r=1
    while [ "$_r" -le "$PAIRS" ]; do
        # shellcheck disable=SC2086
        set -- $(crawl_workers --multi $_opts) \
            $(crawl_workers --procs 2 $_opts) $(calibrate)
        echo "$*" >>"$tmp/pairs"
        printf '%-5s --multi %7s p/s %6s s CPU %6s MB | --procs 2 %7s p/s' \
            "$_r" "$1" "$2" "$3" "$7"
        printf ' %6s s CPU %6s MB (workers %s MB, largest %s) | %.2fx | gzip %s s\n' \
            "$8" "$9" "${12}" "${11}" "$(awk -v a="$7" -v b="$1" \
            'BEGIN { print (b > 0 ? a / b : 0) }')" "${13}"
        _r=$((_r + 1))
    done
}

# Median of column $1 of $tmp/pairs (an expression over columns).
pairs_median() {
    awk "{ print $1 }" "$tmp/pairs" | sort -g |
        awk '{ v[NR] = $1 }
             END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
                   printf "%.2f", m }'
}

# (max - min) / median of column expression $1, in percent.
pairs_spread() {
    awk "{ print $1 }" "$tmp/pairs" | sort -g |
        awk '{ v[NR] = $1 }
             END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
                   printf "%.0f", (m > 0 ? (v[NR] - v[1]) * 100 / m : 0) }'
}

procs() {
    echo
    echo "bench: procs: $PAIRS alternating --multi / --procs 2 pairs," \
        "CPU-bound profile (300 x ~1 MB nested pages, no latency)"
    nginx_site "$tmp" 300 1000000 --nested 1
    nginx_start "$tmp" 0
    echo "http://127.0.0.1:$NGINX_PORT/index.html" >"$tmp/seeds.txt"
    procs_pairs -d 3 -c 32 --per-host 32
    echo "--multi CPU seconds: median $(pairs_median '$2') s, spread" \
        "$(pairs_spread '$2') % (goal <= 15 %); the fixed gzip job's spread" \
        "over the same minutes: $(pairs_spread '$13') %"
    echo "--procs 2 / --multi pages/s: median of the pairs" \
        "$(pairs_median '($1 > 0 ? $7 / $1 : 0)')x (goal >= 1.6)"
    echo "--procs 2 peak: $(pairs_median '$9') MB, of which the workers" \
        "$(pairs_median '$12') MB ($(pairs_median '$11') MB the largest);" \
        "--multi $(pairs_median '$3') MB"
    nginx_stop
    echo "bench: procs: I/O-bound profile (2000 x ~20 KB pages, 50 ms latency)"
    nginx_site "$tmp" 2000 20000
    nginx_start "$tmp" 50
    echo "http://127.0.0.1:$NGINX_PORT/index.html" >"$tmp/seeds.txt"
    procs_pairs -d 4 -c 100 --per-host 100
    echo "--procs 2 / --multi pages/s: median of the pairs" \
        "$(pairs_median '($1 > 0 ? $7 / $1 : 0)')x (goal >= 1.0)"
    nginx_stop
    rm -rf "$tmp/site"
}

bodies() {
    echo
    echo "bench: kept bodies: 5000 pages of ~20 KB, no latency, -d 4 from the index"
    nginx_site "$tmp" 5000 20000
    nginx_start "$tmp" 0
    seed="http://127.0.0.1:$NGINX_PORT/index.html"
    rm -f "$tmp/plain.db"* "$tmp/kept.db"*
    ./scrape -q -d 4 --db "$tmp/plain.db" "$seed"
    ./scrape -q -d 4 --keep-bodies --db "$tmp/kept.db" "$seed"
    sqlite3 "$tmp/plain.db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
    sqlite3 "$tmp/kept.db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
    pages=$(sqlite3 "$tmp/kept.db" "SELECT count(*) FROM pages WHERE run_id = 1")
    plain=$(stat -c %s "$tmp/plain.db")
    kept=$(stat -c %s "$tmp/kept.db")
    raw=$(sqlite3 "$tmp/kept.db" "SELECT sum(size), sum(length(data)) FROM bodies" | tr '|' ' ')
    set -- $raw
    awk -v n="$pages" -v p="$plain" -v k="$kept" -v r="$1" -v z="$2" 'BEGIN {
        printf "%d pages: database %.1f MB without bodies, %.1f MB with (%.2fx);", n, p / 1048576, k / 1048576, k / p
        printf " bodies %.1f MB as zstd, %.1f MB raw (%.1fx)\n", z / 1048576, r / 1048576, r / z }'
    ./scrape -q --recrawl 1 --db "$tmp/kept.db"
    ./scrape extract -q --db "$tmp/kept.db" --run 1
    set -- $(run_cost "$tmp/kept.db" 1) $(run_cost "$tmp/kept.db" 2) \
        $(run_cost "$tmp/kept.db" 3)
    unchanged=$(sqlite3 "$tmp/kept.db" "SELECT count(*) FROM pages WHERE run_id = 2 AND change = 'unchanged'")
    awk -v w1="$1" -v c1="$2" -v w2="$3" -v c2="$4" -v w3="$5" -v c3="$6" -v u="$unchanged" -v n="$pages" 'BEGIN {
        printf "first crawl (--keep-bodies): %.2f s wall, %.2f s CPU\n", w1 / 1000, c1 / 1000
        printf "--recrawl, nothing changed:  %.2f s wall, %.2f s CPU (%d of %d unchanged):", w2 / 1000, c2 / 1000, u, n
        printf " wall %.2fx, CPU %.2fx of the first (CPU goal <= 0.2)\n", w2 / w1, c2 / c1
        printf "scrape extract (--procs 2):  %.2f s wall, %.2f s CPU: %.2fx faster than the live crawl (goal >= 3)\n", w3 / 1000, c3 / 1000, w1 / w3 }'
    nginx_stop
}

# Medians of wall s, CPU s and peak MB of each mode's finished runs in
# database $1, one line per mode: "mode wall cpu peak".
mode_medians() {
    for _m in threads multi procs; do
        printf '%s ' "$_m"
        sqlite3 "$1" "WITH r AS (SELECT wall_ms / 1000.0 AS w,
                (cpu_user_ms + cpu_sys_ms) / 1000.0 AS c,
                peak_rss_kb / 1024.0 AS p FROM runs
                WHERE mode = '$_m' AND status = 'done'),
            n AS (SELECT count(*) AS k FROM r)
            SELECT printf('%.2f %.2f %.1f',
                (SELECT avg(w) FROM (SELECT w FROM r ORDER BY w
                    LIMIT 2 - (SELECT k FROM n) % 2
                    OFFSET ((SELECT k FROM n) - 1) / 2)),
                (SELECT avg(c) FROM (SELECT c FROM r ORDER BY c
                    LIMIT 2 - (SELECT k FROM n) % 2
                    OFFSET ((SELECT k FROM n) - 1) / 2)),
                (SELECT avg(p) FROM (SELECT p FROM r ORDER BY p
                    LIMIT 2 - (SELECT k FROM n) % 2
                    OFFSET ((SELECT k FROM n) - 1) / 2)))"
    done
}

# ALONE_RUNS rounds, each a `--compare` with options "$@" on
# $tmp/seeds.txt and then each engine alone in --compare's order (rounds
# interleaved, so the machine's drift falls on both alike); the two sets
# of medians side by side.
compare_vs_alone() {
    rm -f "$tmp"/cmp.db* "$tmp"/alone.db*
    _r=0
    while [ "$_r" -lt "$ALONE_RUNS" ]; do
        ./scrape -q --compare "$@" --db "$tmp/cmp.db" "$tmp/seeds.txt" \
            >/dev/null
        for _e in --threads --multi --procs; do
            ./scrape -q "$@" "$_e" --db "$tmp/alone.db" "$tmp/seeds.txt"
        done
        _r=$((_r + 1))
    done
    mode_medians "$tmp/cmp.db" >"$tmp/cmp.med"
    mode_medians "$tmp/alone.db" >"$tmp/alone.med"
    printf '%-8s %17s %7s %17s %7s %19s %7s\n' mode "wall_s cmp/alone" \
        ratio "cpu_s cmp/alone" ratio "peak_MB cmp/alone" ratio
    join "$tmp/cmp.med" "$tmp/alone.med" | while read -r m w c p wa ca pa; do
        awk -v m="$m" -v w="$w" -v c="$c" -v p="$p" -v wa="$wa" -v ca="$ca" \
            -v pa="$pa" 'BEGIN { printf "%-8s %8.2f / %6.2f %6.2fx %8.2f / %6.2f %6.2fx %9.1f / %7.1f %6.2fx\n",
                m, w, wa, w / wa, c, ca, c / ca, p, pa, p / pa }'
    done
}

alone() {
    echo
    echo "bench: alone: $ALONE_RUNS rounds of --compare, each followed by" \
        "each engine run alone (medians)"
    echo "300 generated pages of ~400 KB, 20 ms latency," \
        "-d 3 -c 8 --per-host 32 --procs 2"
    nginx_site "$tmp" 300 400000
    nginx_start "$tmp" 20
    echo "http://127.0.0.1:$NGINX_PORT/index.html" >"$tmp/seeds.txt"
    compare_vs_alone -d 3 -c 8 --per-host 32 --procs 2
    nginx_stop
    echo "the Python 3.11 documentation (python3.11-doc), no latency," \
        "-d 50 -c 100 --per-host 100 --procs 2"
    NGINX_PORT=$(nginx_free_port)
    rm -rf "$tmp/site"
    mkdir -p "$tmp/site"
    cp -rL /usr/share/doc/python3.11/html/. "$tmp/site/" 2>/dev/null || true
    chmod -R a+rX "$tmp"
    nginx_start "$tmp" 0
    echo "http://127.0.0.1:$NGINX_PORT/index.html" >"$tmp/seeds.txt"
    compare_vs_alone -d 50 -c 100 --per-host 100 --procs 2
    nginx_stop
    rm -rf "$tmp/site"
}

# One crawl of the shop from its home page with the given options into a
# fresh $tmp/s.db; prints "pages/s cpu_s peak_MB wall_s pages".
shop_crawl() {
    rm -f "$tmp/s.db" "$tmp/s.db-wal" "$tmp/s.db-shm"
    ./scrape -q -c 100 --per-host 100 "$@" --db "$tmp/s.db" \
        "http://127.0.0.1:$SITE_PORT/shop/"
    sqlite3 "$tmp/s.db" "SELECT printf('%.0f %.2f %.1f %.2f %d',
        pages * 1000.0 / wall_ms, (cpu_user_ms + cpu_sys_ms) / 1000.0,
        peak_rss_kb / 1024.0, wall_ms / 1000.0, pages) FROM runs"
}

# The median line (by the first column) of file $1.
median_line() {
    sort -n "$1" | awk -v n="$(wc -l <"$1")" 'NR == int((n + 1) / 2)'
}

spider() {
    echo
    echo "bench: spider: the shop, 1000 products per category, no latency," \
        "-c 100 --per-host 100, median of $RUNS runs"
    site_start 0 --shop-products 1000
    _lists='/shop/c/[a-z]+/(page/[0-9]+/)?$'
    _prods='/shop/p/SKU-[0-9]+/$'
    set -- --field 'title=css:h1.title::text' \
        --field 'price=css:span.price::text' \
        --field 'sku=css:span.sku::text' --field 'tags[]=css:ul.tags li::text'
    : >"$tmp/plain.runs"
    : >"$tmp/rules.runs"
    _r=0
    while [ "$_r" -lt "$RUNS" ]; do
        shop_crawl -d 200 --include "$_lists|$_prods" "$@" >>"$tmp/plain.runs"
        shop_crawl -d 200 --include "$_lists|$_prods" --rule "list=$_lists" \
            "$@" --rule "product=$_prods" "$@" >>"$tmp/rules.runs"
        _r=$((_r + 1))
    done
    printf '%-44s %8s %6s %8s %7s %6s\n' "" pages/s cpu_s peak_MB wall_s pages
    set -- $(median_line "$tmp/plain.runs")
    _plain=$1
    printf '%-44s %8s %6s %8s %7s %6s\n' "4 fields, no rules" "$@"
    set -- $(median_line "$tmp/rules.runs")
    printf '%-44s %8s %6s %8s %7s %6s\n' "the same 4 fields under 2 rules" "$@"
    awk -v r="$1" -v p="$_plain" 'BEGIN { printf "rules / no rules: %.2f of" \
        " the pages/s (target >= 0.90)\n", (p > 0 ? r / p : 0) }'
    sed 's|^http://127.0.0.1:8931/shop/$||' seeds/shop.scrape >"$tmp/shop.scrape"
    grep -v -e '^--follow' -e '^--no-follow' "$tmp/shop.scrape" \
        >"$tmp/all.scrape"
    : >"$tmp/follow.runs"
    : >"$tmp/all.runs"
    _r=0
    while [ "$_r" -lt "$RUNS" ]; do
        shop_crawl -K "$tmp/shop.scrape" -d 200 >>"$tmp/follow.runs"
        shop_crawl -K "$tmp/all.scrape" -d 200 >>"$tmp/all.runs"
        _r=$((_r + 1))
    done
    set -- $(median_line "$tmp/follow.runs")
    _fw=$4
    _fp=$5
    printf '%-44s %8s %6s %8s %7s %6s\n' "seeds/shop.scrape (--follow, --no-follow)" "$@"
    set -- $(median_line "$tmp/all.runs")
    printf '%-44s %8s %6s %8s %7s %6s\n' "the same rules, every link followed" "$@"
    awk -v fw="$_fw" -v fp="$_fp" -v aw="$4" -v ap="$5" 'BEGIN {
        printf "--follow: %d of %d pages fetched, %.2f s of %.2f s wall" \
        " (%.0f %% saved)\n", fp, ap, fw, aw, (aw > 0 ? (aw - fw) * 100 / aw : 0) }'
    site_stop
}

for section in $SECTIONS; do
    case $section in
    ceiling) ceiling ;;
    io) io_profile ;;
    cpu) cpu_profile ;;
    targets) targets ;;
    scale) scale ;;
    items) items ;;
    slow) slow ;;
    corpus) corpus ;;
    serve) serve_load ;;
    bodies) bodies ;;
    procs) procs ;;
    alone) alone ;;
    spider) spider ;;
    *) echo "bench: unknown section '$section'" >&2; exit 2 ;;
    esac
done
