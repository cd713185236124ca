#!/bin/sh
# Fuzzes one target for a while: fuzz/run.sh TARGET [SECONDS]  (needs `cargo install cargo-fuzz`;
# seed the corpora first with `python3 fuzz/seed.py`). Uses a nightly toolchain when there is one,
# else the stable one with RUSTC_BOOTSTRAP=1 (cargo-fuzz passes nightly-only flags).
set -eu
cd "$(dirname "$0")"
target=$1
seconds=${2:-600}
case $target in
    openapi_yaml | openapi_json) dict=dict/openapi.dict ;;
    *) dict=dict/$target.dict ;;
esac
mkdir -p "corpus/$target" "artifacts/$target"
if cargo +nightly --version >/dev/null 2>&1; then
    set -- cargo +nightly fuzz
else
    export RUSTC_BOOTSTRAP=1
    set -- cargo fuzz
fi
exec "$@" run "$target" "corpus/$target" -- \
    -dict="$dict" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1
