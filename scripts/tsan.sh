#!/bin/sh
# `make tsan`: the --threads engine (and --compare) under ThreadSanitizer
# on a crawl of the local site; any data race fails the run.
set -eu
cd "$(dirname "$0")/.."
. scripts/site.sh
BIN=build/tsan/scrape
tmp=$(mktemp -d)
trap 'site_stop; rm -rf "$tmp"' EXIT INT TERM
site_start 0 --pages 500 --latency 5 --page-size 8000
echo "http://127.0.0.1:$SITE_PORT/index.html" >"$tmp/seeds.txt"
export TSAN_OPTIONS="halt_on_error=1 exitcode=66 report_signal_unsafe=0"
"$BIN" -q --threads 32 -d 3 --per-host 32 --db "$tmp/t.db" "$tmp/seeds.txt"
"$BIN" -q --compare --threads 16 --procs 2 -d 3 --per-host 16 \
    --db "$tmp/t.db" "$tmp/seeds.txt" >/dev/null
pages=$(sqlite3 "$tmp/t.db" 'SELECT count(*) FROM pages')
echo "tsan: no data races; $pages pages recorded in 4 runs"
[ "$pages" -eq 2000 ]
# Items, filters and sitemaps through the thread pool.
site_stop
site_start 0 --robots 2 --quote-pages 10
"$BIN" -q --threads 8 --sitemaps -d 20 --item div.quote \
    --field 'text=span.text::text' --field 'tags[]=a.tag::text' \
    --include '/quotes/page/\d+/$' --db "$tmp/q.db" \
    "http://127.0.0.1:$SITE_PORT/quotes/page/1/"
items=$(sqlite3 "$tmp/q.db" 'SELECT count(*) FROM items')
echo "tsan: no data races with items and sitemaps; $items items"
[ "$items" -eq 100 ]
