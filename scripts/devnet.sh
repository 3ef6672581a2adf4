#!/usr/bin/env bash
# The local devnet from a fresh clone: builds the `datanet` and `datanet-light` binaries
# (release) and runs `datanet devnet`, which starts a local chain (anvil, installed here from
# contracts/package-lock.json) with the hub deployed, starts daemons on loopback, creates and
# registers a datanet, contributes sample data, retrieves it from another node, verifies it by
# sampling, waits for the validators to accept it and anchor its batch, checks its
# attribution proof against the chain, has a light client sample it from the chain's anchor,
# and keeps the nodes running until Ctrl-C. Arguments go to `datanet devnet` (for example
# --nodes 6, --exit, --no-chain).
set -euo pipefail
cd "$(dirname "$0")/.."
npm ci --prefix contracts --no-audit --no-fund --loglevel=error
cargo build --release --locked --quiet -p datanet-daemon --bin datanet -p datanet-light --bin datanet-light
exec target/release/datanet devnet "$@"
