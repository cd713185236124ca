#!/usr/bin/env bash
# The test command: installs what the tests need, then runs every check CI runs.
# Usage: bash tests/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

echo "== setup: Node tools (Prism, Spectral, MCP inspector) and Python tools (mcp, pytest, schemathesis)"
(cd tests/tools && npm ci --no-audit --no-fund --loglevel=error)
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/pip install --quiet --disable-pip-version-check -r tests/requirements.txt
export PATH="$root/tests/tools/node_modules/.bin:$PATH"
# A one-off build gains nothing from incremental caches, which cost disk.
export CARGO_INCREMENTAL=0

echo "== lint: clippy (all crates, generated ones included, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== format: rustfmt on hand-written crates (generated code is checked by codegen --check)"
hand_written=$(cargo metadata --no-deps --format-version 1 --locked \
  | python3 -c 'import json,sys; print(" ".join("-p " + p["name"] for p in json.load(sys.stdin)["packages"] if "/generated/" not in p["manifest_path"]))')
# shellcheck disable=SC2086
cargo fmt $hand_written --check
# The runtime files capgen copies into generated crates as they are.
rustfmt --check --edition 2024 generator/support/client/*.rs generator/support/server/*.rs

echo "== drift: generated/ matches specs/"
cargo xtask codegen --check

echo "== build: every binary (the end-to-end tests start them as processes)"
cargo build --workspace --bins --locked

echo "== tests: Rust"
cargo test --workspace --locked

echo "== corpus: a representative subset of real-world documents generates and compiles"
if [ -d ../shared/corpus ]; then
  cargo xtask corpus --quick
else
  echo "error: ../shared/corpus is missing (CI clones the project beside shared/)" >&2
  exit 1
fi

echo "== tests: OpenAPI lint of the generated REST surfaces (Spectral, spectral:oas)"
for doc in generated/*/openapi.json; do
  spectral lint "$doc" --ruleset tests/spectral.yaml --fail-severity=warn
done

echo "== lint: deployment files (hadolint on each Dockerfile, the Kubernetes 1.37 schemas on each manifest)"
.venv/bin/hadolint --failure-threshold info generated/*/Dockerfile
.venv/bin/kubernetes-validate --strict --quiet generated/*/deploy/kubernetes.yaml

echo "== tests: the test upstream and Prism against the OpenAPI contract (seed + overlay)"
.venv/bin/python -m pytest tests/contract -q -p no:cacheprovider

echo "== tests: Python (real MCP clients, schemathesis) against the generated servers and the test upstream"
.venv/bin/python -m pytest tests/python -q -p no:cacheprovider

echo "== tests: servers generated from Naftiko capabilities alone (engine conformance, the shipyard tutorial)"
.venv/bin/python -m pytest tests/naftiko -q -p no:cacheprovider
