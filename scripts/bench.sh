#!/bin/sh
# `make bench`: three measurements, each in one run of this script.
#
# 1. Ceiling: serves the local site (PAGES pages of ~PAGE_SIZE bytes,
#    LATENCY ms per request), fetches every URL with `curl --parallel
#    --parallel-max C` (fetch only, bodies discarded), then crawls the same
#    list with `scrape --multi -c C --per-host C` (fetch, parse, store).
#    Each is run RUNS times, alternating; the median run by wall time is
#    reported: pages/s, CPU seconds (user+sys), peak RSS, and the ratio.
#    Override with env: PAGES LATENCY PAGE_SIZE C RUNS.
# 2. I/O-bound profile: 2000 pages of ~20 KB, 50 ms latency, crawled from
#    the index with `scrape --compare` (threads, multi, procs at 100 in
#    flight), plus a sequential crawl (--threads 1) of its first 100 pages.
# 3. CPU-bound profile: 300 pages of ~1 MB nested HTML, no latency, with
#    `scrape --compare` (2 threads, 2 processes, 32 transfers).
# SECTIONS="ceiling io cpu" selects which run.
set -eu
cd "$(dirname "$0")/.."
. scripts/site.sh

SECTIONS=${SECTIONS:-ceiling io cpu}
PAGES=${PAGES:-2000}
LATENCY=${LATENCY:-50}
PAGE_SIZE=${PAGE_SIZE:-20000}
C=${C:-200}
RUNS=${RUNS:-3}
TIME=/usr/bin/time

tmp=$(mktemp -d)
trap 'site_stop; rm -rf "$tmp"' EXIT INT TERM

ceiling() {
site_start 0 --pages "$PAGES" --latency "$LATENCY" --page-size "$PAGE_SIZE"
base="http://127.0.0.1:$SITE_PORT"

# The site's URL list: /index.html and /book/1.html .. /book/N-1.html.
{
    echo "$base/index.html"
    i=1
    while [ "$i" -lt "$PAGES" ]; do
        echo "$base/book/$i.html"
        i=$((i + 1))
    done
} >"$tmp/urls.txt"
sed 's/.*/url = "&"\noutput = "\/dev\/null"/' "$tmp/urls.txt" >"$tmp/curl.cfg"

# Prints "pages wall user sys maxrss_kb" for one measured command.
measure() {
    _what=$1
    shift
    "$TIME" -f "%e %U %S %M" -o "$tmp/time" "$@" >"$tmp/out" 2>"$tmp/err" || {
        echo "bench: $_what failed:" >&2
        cat "$tmp/err" >&2
        exit 1
    }
    case $_what in
    curl) _pages=$(grep -c '^200$' "$tmp/out" || true) ;;
    scrape) _pages=$(sqlite3 "$tmp/s.db" "SELECT count(*) FROM pages
                     WHERE run_id = (SELECT max(id) FROM runs)
                     AND status = 200 AND error IS NULL") ;;
    esac
    echo "$_pages $(cat "$tmp/time")"
}

run_curl() {
    measure curl curl -s --parallel --parallel-max "$C" -w '%{http_code}\n' \
        -K "$tmp/curl.cfg"
}

run_scrape() {
    measure scrape ./scrape -q --multi -c "$C" --per-host "$C" \
        --db "$tmp/s.db" "$tmp/urls.txt"
}

: >"$tmp/curl.runs"
: >"$tmp/scrape.runs"
r=0
while [ "$r" -lt "$RUNS" ]; do
    run_curl >>"$tmp/curl.runs"
    run_scrape >>"$tmp/scrape.runs"
    r=$((r + 1))
done

# Median run by wall time: "pages wall user sys rss".
median() {
    sort -k2 -n "$1" | awk -v n="$RUNS" 'NR == int((n + 1) / 2)'
}
cm=$(median "$tmp/curl.runs")
sm=$(median "$tmp/scrape.runs")

echo "bench: $PAGES pages of ~$PAGE_SIZE bytes, $LATENCY ms latency," \
    "$C in flight, median of $RUNS runs"
printf '%-28s %7s %8s %10s %8s %10s\n' tool pages wall_s pages/s cpu_s peak_MB
for row in "curl --parallel (fetch only)|$cm" "scrape --multi (all work)|$sm"; do
    name=${row%%|*}
    set -- ${row#*|}
    awk -v name="$name" -v p="$1" -v w="$2" -v u="$3" -v s="$4" -v m="$5" \
        'BEGIN { printf "%-28s %7d %8.2f %10.0f %8.2f %10.1f\n",
                 name, p, w, (w > 0 ? p / w : 0), u + s, m / 1024 }'
done
set -- $cm
crate=$(awk -v p="$1" -v w="$2" 'BEGIN { print (w > 0 ? p / w : 0) }')
set -- $sm
srate=$(awk -v p="$1" -v w="$2" 'BEGIN { print (w > 0 ? p / w : 0) }')
awk -v s="$srate" -v c="$crate" \
    'BEGIN { printf "scrape / curl pages/s ratio: %.2f (target >= 0.80)\n",
             (c > 0 ? s / c : 0) }'
site_stop
}

# Crawls the site's index with --compare and the given options.
compare() {
    echo "http://127.0.0.1:$SITE_PORT/index.html" >"$tmp/index.txt"
    ./scrape -q --compare "$@" --db "$tmp/compare.db" "$tmp/index.txt"
}

io_profile() {
    echo
    echo "bench: I/O-bound profile: 2000 pages of ~20 KB, 50 ms latency"
    site_start 0 --pages 2000 --latency 50 --page-size 20000
    compare -d 4 -c 100 --threads 100 --procs 2 --per-host 100
    echo "http://127.0.0.1:$SITE_PORT/index.html" >"$tmp/index.txt"
    ./scrape -q --threads 1 -d 4 --max-pages 100 --per-host 1 \
        --db "$tmp/seq.db" "$tmp/index.txt"
    q="SELECT printf('sequential --threads 1 (first 100 pages): %.0f pages/s,"
    q="$q %.2f s CPU, peak %.1f MB', pages * 1000.0 / wall_ms,"
    q="$q (cpu_user_ms + cpu_sys_ms) / 1000.0, peak_rss_kb / 1024.0) FROM runs"
    sqlite3 "$tmp/seq.db" "$q"
    site_stop
}

cpu_profile() {
    echo
    echo "bench: CPU-bound profile: 300 pages of ~1 MB nested HTML, no latency"
    site_start 0 --pages 300 --page-size 1000000 --nested 1
    compare -d 3 -c 32 --threads 2 --procs 2 --per-host 32
    site_stop
}

for section in $SECTIONS; do
    case $section in
    ceiling) ceiling ;;
    io) io_profile ;;
    cpu) cpu_profile ;;
    *) echo "bench: unknown section '$section'" >&2; exit 2 ;;
    esac
done
