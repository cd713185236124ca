#!/bin/sh
# Fuzzes one target for a while: fuzz/run.sh TARGET [SECONDS]  (needs `cargo install cargo-fuzz`
# and a nightly toolchain; seed the corpora first with `python3 fuzz/seed.py`).
set -eu
cd "$(dirname "$0")"
target=$1
seconds=${2:-600}
case $target in
    openapi_yaml | openapi_json) dict=dict/openapi.dict ;;
    *) dict=dict/$target.dict ;;
esac
mkdir -p "corpus/$target" "artifacts/$target"
exec cargo +nightly fuzz run "$target" "corpus/$target" -- \
    -dict="$dict" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1
