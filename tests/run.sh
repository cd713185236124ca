#!/usr/bin/env bash
# The test command: installs what the tests need, then runs every check CI runs.
# Usage: bash tests/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== lint: clippy (all crates, generated ones included, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== format: rustfmt on hand-written crates (generated code is checked by codegen --check)"
hand_written=$(cargo metadata --no-deps --format-version 1 --locked \
  | python3 -c 'import json,sys; print(" ".join("-p " + p["name"] for p in json.load(sys.stdin)["packages"] if "/generated/" not in p["manifest_path"]))')
# shellcheck disable=SC2086
cargo fmt $hand_written --check

echo "== drift: generated/ matches specs/"
cargo xtask codegen --check

echo "== tests"
cargo test --workspace --locked
