#!/bin/sh
# Install the Debian 12 packages a make target needs, and only those.
# Idempotent: installs only what is missing, so every target may call it
# every time.  Used by .ci/run as well.
#
#   deps.sh demo    build scrape and the local site, run the demo: the
#                   libraries' -dev packages and the sqlite3 shell
#   deps.sh test    the above, Criterion, and what the tests drive: curl,
#                   jq, GNU time, man, headless Chromium with ChromeDriver
#                   and Selenium (the browser tests of `serve`), Node.js
#                   and npm (warcio.js, the independent WARC reader)
#   deps.sh pg      test, plus a PostgreSQL server and iproute2 (make
#                   test-pg, make tsan)
#   deps.sh fuzz    test, plus clang with libFuzzer (make fuzz)
#   deps.sh bench   test, plus nginx with the echo module, which serves
#                   the benchmark site, git-doc (the real documentation
#                   corpus it also serves), wrk, PostgreSQL (make bench,
#                   make bench-cluster)
#   deps.sh peers   bench, plus the crawlers scrape is compared with
#                   (make bench-peers)
set -eu

BUILD_PKGS="pkg-config libcurl4-openssl-dev libxml2-dev libsqlite3-dev \
libmicrohttpd-dev libuchardet-dev libpcre2-dev zlib1g-dev libpq-dev \
libzstd-dev libssl-dev sqlite3"
TEST_PKGS="libcriterion-dev curl time jq man-db chromium chromium-driver \
python3-selenium openssl"
BENCH_PKGS="nginx libnginx-mod-http-echo python3 git-doc python3.11-doc wrk \
postgresql postgresql-client iproute2"

mode=${1:-test}
case "$mode" in
demo) PKGS="$BUILD_PKGS" ;;
test) PKGS="$BUILD_PKGS $TEST_PKGS" ;;
pg) PKGS="$BUILD_PKGS $TEST_PKGS postgresql postgresql-client iproute2" ;;
fuzz) PKGS="$BUILD_PKGS $TEST_PKGS clang libclang-rt-14-dev" ;;
bench) PKGS="$BUILD_PKGS $TEST_PKGS $BENCH_PKGS" ;;
peers) PKGS="$BUILD_PKGS $TEST_PKGS $BENCH_PKGS wget wget2 python3-scrapy" ;;
*)
    echo "deps: unknown set '$mode' (demo, test, pg, fuzz, bench, peers)" >&2
    exit 2
    ;;
esac

# The tests' WARC reader comes from npm; the machine's own Node.js is
# used when there is one.
if [ "$mode" != demo ] && ! command -v npm >/dev/null 2>&1; then
    PKGS="$PKGS nodejs npm"
fi

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
        grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done

[ -z "$missing" ] && exit 0

echo "deps: installing for '$mode':$missing" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "deps: missing packages:$missing (run as root or install them)" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "deps: done" >&2
