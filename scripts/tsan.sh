#!/bin/sh
# `make tsan`: under ThreadSanitizer, on the local site: --threads 32;
# --compare (each engine's run is the TSan build too); --threads with
# items and sitemaps; --procs with workers killed at random while the
# writer works; a shared run of two nodes on a throwaway PostgreSQL; a
# recrawl and an extract.  Any data race fails the run.
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
# --procs with workers killed at random while the writer thread works:
# every page one row, replacements from the fork server, no race.
site_stop
site_start 0 --pages 800 --page-size 40000
_k=1
{
    echo "http://127.0.0.1:$SITE_PORT/index.html"
    while [ "$_k" -lt 800 ]; do
        echo "http://127.0.0.1:$SITE_PORT/book/$_k.html"
        _k=$((_k + 1))
    done
} >"$tmp/seeds.txt"
"$BIN" -q --procs 2 -c 32 --per-host 32 --db "$tmp/k.db" "$tmp/seeds.txt" &
_pid=$!
_kills=0
_i=0
while [ "$_i" -lt 200 ] && [ "$_kills" -lt 10 ] && kill -0 "$_pid" 2>/dev/null; do
    sleep 0.05
    _srv=$(pgrep -P "$_pid" scrape-forksrv || true)
    _w=$(if [ -n "$_srv" ]; then pgrep -P "$_srv" scrape-parse | head -1; fi)
    if [ -n "$_w" ]; then
        kill -9 "$_w" 2>/dev/null && _kills=$((_kills + 1))
    fi
    _i=$((_i + 1))
done
wait "$_pid"
rows=$(sqlite3 "$tmp/k.db" 'SELECT count(DISTINCT url) || "/" || count(*) FROM pages')
echo "tsan: no data races with $_kills workers killed; $rows pages"
[ "$rows" = "800/800" ]
# A shared run (PostgreSQL): the claims thread, the writer's pipelines and
# the engines' threads, two nodes (--threads and --multi) on one run.
site_stop
site_start 0 --pages 300 --latency 5
chmod 755 "$tmp" # the server runs as postgres when we are root
# Below the ephemeral range (32768-60999): no socket on port 0 has it.
_port=$((20000 + $$ % 12000))
scripts/pg.sh start "$tmp/pg" "$_port"
trap 'site_stop; scripts/pg.sh stop "$tmp/pg"; rm -rf "$tmp"' EXIT INT TERM
_uri=postgresql://scrape@127.0.0.1:$_port/scrape
"$BIN" -q --db "$_uri" --threads 8 -d 3 --per-host 6 \
    "http://127.0.0.1:$SITE_PORT/" >"$tmp/run" &
_pid=$!
_i=0
while [ ! -s "$tmp/run" ] && [ "$_i" -lt 200 ]; do sleep 0.05; _i=$((_i + 1)); done
"$BIN" -q --db "$_uri" --join "$(head -1 "$tmp/run")"
wait "$_pid"
rows=$(psql -X -qAt "$_uri" -c 'SELECT count(DISTINCT url) || '"'/'"' || count(*) FROM pages')
echo "tsan: no data races in a shared run of two nodes; $rows pages"
[ "$rows" = "301/301" ]
# A recrawl through the thread pool (validators asked for from every
# thread), and extract with its writer thread.
site_stop
site_start 0 --pages 200 --validators 1
"$BIN" -q --threads 8 -d 3 --keep-bodies --db "$tmp/r.db" \
    "http://127.0.0.1:$SITE_PORT/"
curl -s "http://127.0.0.1:$SITE_PORT/change?page=7" >/dev/null
"$BIN" -q --recrawl 1 --db "$tmp/r.db"
"$BIN" extract -q --procs 2 --db "$tmp/r.db" --run 1
rows=$(sqlite3 "$tmp/r.db" "SELECT count(*) FILTER (WHERE change = 'changed') || '/' || count(*) FILTER (WHERE run_id = 3) FROM pages")
echo "tsan: no data races in a recrawl and an extract; changed/extracted $rows"
[ "$rows" = "1/201" ]
