#!/bin/sh
# `make fuzz`: each libFuzzer target for FUZZ_SECONDS (default 60) from
# the corpus in tests/fuzz/corpus; new inputs go to build/fuzz/corpus so
# the committed corpus stays small.  Crashes are saved in build/fuzz/.
set -eu
cd "$(dirname "$0")/.."
SECONDS_EACH=${FUZZ_SECONDS:-60}
for t in url parse seeds css sitemap ftsq; do
    mkdir -p "build/fuzz/corpus/$t"
    echo "fuzz: $t for ${SECONDS_EACH}s"
    "build/fuzz/fuzz_$t" -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 \
        -max_len=65536 -artifact_prefix="build/fuzz/$t-" -print_final_stats=0 \
        "build/fuzz/corpus/$t" "tests/fuzz/corpus/$t" 2>"build/fuzz/$t.log" || {
        tail -40 "build/fuzz/$t.log" >&2
        echo "fuzz: $t found a problem (see build/fuzz/$t-*)" >&2
        exit 1
    }
    tail -1 "build/fuzz/$t.log"
done
