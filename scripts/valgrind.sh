#!/bin/sh
# `make valgrind`: a full crawl of the local site, plus its error pages,
# under valgrind; fails on any invalid access or leak.
set -eu
cd "$(dirname "$0")/.."
. scripts/site.sh
command -v valgrind >/dev/null || { echo "valgrind: not installed" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'site_stop; rm -rf "$tmp"' EXIT INT TERM
site_start 0 --pages 300 --page-size 8000
base="http://127.0.0.1:$SITE_PORT"
cat >"$tmp/seeds.txt" <<SEEDS
$base/index.html
$base/status/404
$base/loop
$base/big?bytes=3000000
$base/charset/header
$base/charset/sjis
$base/data.json
$base/gzip?bytes=30000000
$base/reset
$base/bigheader
$base/stall
$base/flaky?id=7&fail=1&status=429&after=1
$base/trap/1
http://127.0.0.1:1/closed
not a url
SEEDS
# Every engine; --procs workers are forked, not traced (they run the same
# parse code the other two engines run in-process).
for engine in --multi "--threads 8" "--procs 2"; do
    # shellcheck disable=SC2086
    valgrind --quiet --error-exitcode=99 --leak-check=full \
        --show-leak-kinds=definite,indirect,possible \
        --errors-for-leak-kinds=definite,indirect,possible \
        ./scrape -q $engine -d 3 --max-bytes 1000000 --timeout 3 \
        --field price="//p[@class='price']" \
        --db "$tmp/v.db" "$tmp/seeds.txt" 2>>"$tmp/err" || {
        cat "$tmp/err" >&2
        exit 1
    }
done
pages=$(sqlite3 "$tmp/v.db" 'SELECT count(*) FROM pages')
echo "valgrind: clean for --multi, --threads and --procs; $pages pages recorded"
[ "$pages" -eq 948 ]
