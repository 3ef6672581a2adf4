#!/usr/bin/env bash
# The local devnet from a fresh clone: builds the `datanet` binary (release) and runs
# `datanet devnet`, which starts daemons on loopback, creates a datanet, contributes sample
# data, retrieves it from another node, verifies it by sampling and keeps the nodes running
# until Ctrl-C. Arguments go to `datanet devnet` (for example --nodes 6, --exit).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --quiet -p datanet-daemon --bin datanet
exec target/release/datanet devnet "$@"
