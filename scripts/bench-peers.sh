#!/bin/sh
# `make bench-peers`: scrape against the crawlers a user could pick instead,
# on the same machine, the same site and the same server.
#
# The bookstore site (PAGES pages of ~PAGE_SIZE bytes, from build/sitegen)
# is served as static files by nginx (scripts/nginx.sh), at each latency in
# LATENCIES (ms per request, nginx's echo_sleep).  Before the crawls, wrk
# measures what the server can give at 100 connections, so the table shows
# the server is not the limit.  Each tool crawls the whole site from
# /index.html, RUNS times, round-robin:
#   scrape --multi -c 100          fetch, parse, store in SQLite (+ price)
#   scrape --procs 2 -c 100        the same, parsing in 2 worker processes
#   wget -r -l inf                 one connection, files on disk
#   wget2 -r --max-threads=50      files on disk
#   Scrapy, CONCURRENT_REQUESTS=100, a CrawlSpider extracting title+price
#                                  (scripts/peers/bookspider.py)
#   curl -Z --parallel-max 100     fetch only, over the known URL list
# Pages are counted from nginx's access log (200 answers for site pages),
# the same way for every tool.  Printed per tool: pages, wall s, pages/s,
# CPU s (user+sys, children included), peak RSS (scrape: its own figure,
# which adds the worker processes'), and the ratio of its pages/s to
# scrape --multi's in the same run; every figure is the median over RUNS
# (wget with latency runs once: a single connection makes it minutes long).
# Override with env: PAGES PAGE_SIZE LATENCIES RUNS TOOLS.
set -eu
cd "$(dirname "$0")/.."
. scripts/nginx.sh

PAGES=${PAGES:-5000}
PAGE_SIZE=${PAGE_SIZE:-22000}
LATENCIES=${LATENCIES:-0 50}
RUNS=${RUNS:-3}
TOOLS=${TOOLS:-scrape scrape-procs wget wget2 scrapy curl}
TIME=/usr/bin/time

for t in $TOOLS; do
    case $t in
    scrape | scrape-procs) ;;
    wget | wget2 | curl | scrapy | wrk)
        command -v "$t" >/dev/null || {
            echo "bench-peers: '$t' is not installed (make deps)" >&2
            exit 1
        }
        ;;
    *) echo "bench-peers: unknown tool '$t'" >&2; exit 2 ;;
    esac
done
command -v wrk >/dev/null || {
    echo "bench-peers: 'wrk' is not installed (make deps)" >&2
    exit 1
}

dir=$(mktemp -d)
trap 'nginx_stop; rm -rf "$dir"' EXIT INT TERM
nginx_site "$dir" "$PAGES" "$PAGE_SIZE"
base="http://127.0.0.1:$NGINX_PORT"
echo "$base/index.html" >"$dir/seeds.txt"
nginx_urls "$dir" "$PAGES"

# Runs tool $1 once; appends "tool pages wall cpu rss_kb" to $dir/runs.
run_tool() {
    _t=$1
    rm -rf "$dir/files" "$dir/s.db" "$dir/s.db-wal" "$dir/s.db-shm" \
        "$dir/items.jsonl"
    mkdir -p "$dir/files"
    case $_t in
    scrape)
        set -- "$PWD/scrape" -q --multi -d 1000 -c 100 --per-host 100 \
            --field "price=//p[@class='price']" --db "$dir/s.db" \
            "$dir/seeds.txt"
        ;;
    scrape-procs)
        set -- "$PWD/scrape" -q --procs 2 -d 1000 -c 100 --per-host 100 \
            --field "price=//p[@class='price']" --db "$dir/s.db" \
            "$dir/seeds.txt"
        ;;
    wget) set -- wget -q -r -l inf -P "$dir/files" "$base/index.html" ;;
    wget2)
        set -- wget2 -q -r --max-threads=50 -P "$dir/files" \
            "$base/index.html"
        ;;
    scrapy)
        set -- scrapy runspider "$PWD/scripts/peers/bookspider.py" \
            -a "start=$base/index.html" -O "$dir/items.jsonl"
        ;;
    curl) set -- curl -s -Z --parallel-max 100 -K "$dir/curl.cfg" ;;
    esac
    # The peers' exit codes are not ours to judge (wget says 8 for any
    # 404); what they fetched is counted from the server's log.
    (cd "$dir/files" && "$TIME" -f "%e %U %S %M" -o "$dir/time" "$@") \
        >"$dir/out" 2>"$dir/err" || case $_t in
        scrape*)
            echo "bench-peers: $_t failed:" >&2
            cat "$dir/err" >&2
            exit 1
            ;;
        esac
    _pages=$(nginx_pages "$dir")
    set -- $(tail -n 1 "$dir/time")
    _rss=$4
    case $_t in
    scrape*)
        _rss=$(sqlite3 "$dir/s.db" "SELECT peak_rss_kb FROM runs")
        # The database must agree with the server's log.
        _db=$(sqlite3 "$dir/s.db" "SELECT count(*) FROM pages WHERE
              status = 200 AND error IS NULL")
        echo "$_t $_db $_pages" >>"$dir/dbcheck"
        ;;
    esac
    echo "$_t $_pages $1 $(awk -v u="$2" -v s="$3" 'BEGIN { print u + s }') $_rss" \
        >>"$dir/runs"
}

# Median of column $2 of the lines of $dir/table for tool $1.
median() {
    awk -v t="$1" -v c="$2" '$1 == t { print $c }' "$dir/table" | sort -g |
        awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'
}

for lat in $LATENCIES; do
    nginx_start "$dir" "$lat"
    wrk_rate=$(wrk -t2 -c100 -d3s "$base/book/1.html" |
        awk '/Requests\/sec/ { printf "%.0f", $2 }')
    sleep 0.2
    nginx_pages "$dir" >/dev/null
    : >"$dir/table"
    : >"$dir/dbcheck"
    r=1
    while [ "$r" -le "$RUNS" ]; do
        : >"$dir/runs"
        for t in $TOOLS; do
            # One connection at 50 ms is ~260 s a run: once is enough.
            if [ "$t" = wget ] && [ "$lat" -gt 0 ] && [ "$r" -gt 1 ]; then
                continue
            fi
            run_tool "$t"
        done
        # This run's ratios to scrape --multi, then one table row per tool:
        # "tool pages wall pages/s cpu rss_mb ratio".
        awk '{ rate[$1] = ($3 > 0 ? $2 / $3 : 0); line[NR] = $0; t[NR] = $1 }
             END { for (i = 1; i <= NR; i++) {
                       split(line[i], f, " ")
                       ratio = (rate["scrape"] > 0 ? rate[f[1]] / rate["scrape"] : 0)
                       printf "%s %d %.2f %.0f %.2f %.1f %.2f\n", f[1], f[2],
                              f[3], rate[f[1]], f[4], f[5] / 1024, ratio } }' \
            "$dir/runs" >>"$dir/table"
        r=$((r + 1))
    done
    nginx_stop
    echo
    echo "bench-peers: $PAGES pages of ~$PAGE_SIZE bytes from nginx," \
        "$lat ms latency, median of $RUNS runs"
    echo "server ceiling (wrk, 100 connections): $wrk_rate requests/s"
    printf '%-28s %6s %8s %9s %7s %8s %9s\n' tool pages wall_s pages/s \
        cpu_s peak_MB vs_scrape
    for t in $TOOLS; do
        case $t in
        scrape) name="scrape --multi -c 100" ;;
        scrape-procs) name="scrape --procs 2 -c 100" ;;
        wget) name="wget -r (1 connection)" ;;
        wget2) name="wget2 -r --max-threads=50" ;;
        scrapy) name="Scrapy (100 concurrent)" ;;
        curl) name="curl -Z 100 (fetch only)" ;;
        esac
        printf '%-28s %6s %8s %9s %7s %8s %8sx\n' "$name" \
            "$(median "$t" 2)" "$(median "$t" 3)" "$(median "$t" 4)" \
            "$(median "$t" 5)" "$(median "$t" 6)" "$(median "$t" 7)"
    done
    awk '$2 != $3 { bad++; printf "bench-peers: %s stored %d pages, the" \
             " server logged %d\n", $1, $2, $3 }
         END { if (!bad && NR) printf "check: every scrape run stored as" \
                   " many pages as the server logged (%d runs)\n", NR }' \
        "$dir/dbcheck"
done
