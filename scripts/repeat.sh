#!/bin/sh
# `make test-repeat`: run the integration suite N times in a row and count
# the rounds that failed; with BUSY=1 one core is kept busy meanwhile
# (`yes > /dev/null`), the loaded machine a CI runner often is.
#   repeat.sh N BUSY TESTS LOGDIR     (the test environment comes from make)
set -u
n=$1 busy=$2 tests=$3 logs=$4
mkdir -p "$logs"
hog=
if [ "$busy" = 1 ]; then
    yes >/dev/null &
    hog=$!
fi
trap '[ -n "$hog" ] && kill "$hog" 2>/dev/null' EXIT INT TERM
failed=0
i=1
while [ "$i" -le "$n" ]; do
    start=$(date +%s)
    if "$tests" ${CRITERION_FLAGS:-} >"$logs/round-$i.log" 2>&1; then
        verdict=pass
    else
        verdict=FAIL
        failed=$((failed + 1))
    fi
    echo "test-repeat: round $i of $n: $verdict in $(($(date +%s) - start)) s:" \
        "$(grep -a 'Synthesis' "$logs/round-$i.log" | tail -n 1)"
    [ "$verdict" = FAIL ] && grep -a -B2 -A6 'FAIL\|Crash\|Timeout' \
        "$logs/round-$i.log" | head -n 40
    i=$((i + 1))
done
echo "test-repeat: $failed of $n rounds failed$([ "$busy" = 1 ] && echo ' (one core kept busy)')"
[ "$failed" -eq 0 ]
