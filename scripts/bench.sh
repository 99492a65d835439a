#!/bin/sh
# `make bench`: the fetch-only ceiling against scrape, measured in one run.
#
# Serves the local site (PAGES pages of ~PAGE_SIZE bytes, LATENCY ms per
# request), fetches every URL with `curl --parallel --parallel-max C`
# (fetch only, bodies discarded), then crawls the same list with
# `scrape --multi -c C --per-host C` (fetch, parse, store everything).
# Each is run RUNS times, alternating; the median run by wall time is
# reported: pages/s, CPU seconds (user+sys), peak RSS, and scrape's rate
# as a ratio of curl's.  Override with env: PAGES LATENCY PAGE_SIZE C RUNS.
set -eu
cd "$(dirname "$0")/.."
. scripts/site.sh

PAGES=${PAGES:-2000}
LATENCY=${LATENCY:-50}
PAGE_SIZE=${PAGE_SIZE:-20000}
C=${C:-200}
RUNS=${RUNS:-3}
TIME=/usr/bin/time

tmp=$(mktemp -d)
trap 'site_stop; rm -rf "$tmp"' EXIT INT TERM
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
