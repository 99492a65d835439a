#!/bin/sh
# Install the Debian 12 packages scrape needs to build, test, demo and bench.
# Idempotent: installs only what is missing, so `make demo` and `make test`
# may call it every time. Used by .ci/run as well.
set -eu

PKGS="pkg-config libcurl4-openssl-dev libxml2-dev libsqlite3-dev \
libcriterion-dev libmicrohttpd-dev libuchardet-dev libpcre2-dev zlib1g-dev sqlite3 curl time jq chromium \
man-db chromium-driver python3-selenium libpq-dev libzstd-dev libssl-dev"
# `deps.sh fuzz`: clang with libFuzzer as well (make fuzz only).
# `deps.sh bench`: nginx with the echo module, which serves the benchmark
# site, and git-doc, the real documentation corpus it also serves (make
# bench); `deps.sh peers`: those and the crawlers scrape is compared with,
# plus wrk (make bench-peers).
# `deps.sh pg`: a PostgreSQL server and iproute2 (make test-pg,
# make bench-cluster).
case "${1:-}" in
pg) PKGS="$PKGS postgresql postgresql-client iproute2" ;;
fuzz) PKGS="$PKGS clang libclang-rt-14-dev" ;;
bench) PKGS="$PKGS nginx libnginx-mod-http-echo python3 git-doc wrk postgresql postgresql-client iproute2" ;;
peers)
    PKGS="$PKGS nginx libnginx-mod-http-echo python3 git-doc wget wget2 \
python3-scrapy wrk"
    ;;
esac

# npm installs warcio.js, the WARC reader the integration tests use; the
# machine's own Node.js is used when there is one.
command -v npm >/dev/null 2>&1 || PKGS="$PKGS nodejs npm"

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
        grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done

[ -z "$missing" ] && exit 0

echo "deps: installing:$missing" >&2
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
