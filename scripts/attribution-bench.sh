#!/usr/bin/env bash
# Attribution index at scale: builds one shard over SIZE_MIB (default 1024) MiB of synthetic
# JSON Lines payloads in FOLDER (default a fresh folder under /tmp, removed afterwards), beside
# bare libsais suffix array construction of the same text, then times 1 000 queries of 1 KiB
# outputs and reports the peak RSS while serving. Needs about 5 bytes of disk in FOLDER and
# 6 bytes of memory per byte of text (5 GiB and 6 GiB at the default size).
#
# Usage: scripts/attribution-bench.sh [SIZE_MIB] [FOLDER] [THREADS]
# THREADS (default 1, 0 for all cores) sort the suffixes in both the build and the bare run.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MIB=${1:-1024}
if [ -n "${2:-}" ]; then
    FOLDER=$2
else
    FOLDER=$(mktemp -d)
    trap 'rm -rf "$FOLDER"' EXIT
fi
cargo build --release --locked --quiet -p datanet-attribution --example attribution_bench
lscpu | grep 'Model name' || true
"${CARGO_TARGET_DIR:-target}/release/examples/attribution_bench" --size-mib "$SIZE_MIB" --threads "${3:-1}" "$FOLDER"
