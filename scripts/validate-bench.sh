#!/usr/bin/env bash
# The content checker over a generated JSON Lines file: SIZE MiB (default 1024) of 5-field
# records written to a temporary folder, then checked against a 5-field JSON Schema streaming
# from disk in 1 MiB pieces, beside bare serde_json parsing of the same file in the same run.
# Prints MiB/s and peak RSS for each. Not part of the test suite.
#
#   scripts/validate-bench.sh [--size-mib N]
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MIB=1024
while [ $# -gt 0 ]; do
    case "$1" in
        --size-mib) SIZE_MIB=${2:?--size-mib needs a number of MiB}; shift 2 ;;
        *) echo "usage: $0 [--size-mib N]" >&2; exit 2 ;;
    esac
done
case "$SIZE_MIB" in
    ''|*[!0-9]*|0) echo "--size-mib must be a positive whole number, not '$SIZE_MIB'" >&2; exit 2 ;;
esac
cargo build --release --locked --quiet -p datanet-policy --example validate_file
BIN=${CARGO_TARGET_DIR:-target}/release/examples/validate_file
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

"$BIN" schema > "$WORK/schema.json"
"$BIN" generate "$SIZE_MIB" "$WORK/records.jsonl"
lscpu 2>/dev/null | grep 'Model name' || true
"$BIN" parse "$WORK/records.jsonl"
"$BIN" check "$WORK/schema.json" "$WORK/records.jsonl"
