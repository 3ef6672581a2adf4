#!/usr/bin/env bash
# The whole test suite, from a fresh clone: formatting, lints, every test, doc tests, and a
# check that the fuzz targets still build. Installs nothing by hand: what a step needs, it
# installs itself.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "contracts: pinned solc and anvil, artifacts match the sources"
npm ci --prefix contracts --no-audit --no-fund --loglevel=error
npm run --prefix contracts --silent check

step "format"
cargo fmt --all --check

step "lints"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "fuzz targets compile"
cargo check --quiet --manifest-path protocol/fuzz/Cargo.toml --bins

step "doc tests"
cargo test --workspace --locked --doc

step "tests"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --locked --no-fail-fast
else
  cargo test --workspace --locked --no-fail-fast
fi
