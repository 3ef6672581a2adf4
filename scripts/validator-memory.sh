#!/usr/bin/env bash
# Validators judging one large contribution: 4 daemons (release build) on 127.0.0.1, each a
# validator of a JSON Lines datanet with a 5-field schema; SIZE MiB (default 1024) of records
# (the generator of scripts/validate-bench.sh) contributed at node 0. Each validator fetches
# the whole payload (nodes 1-3 rebuild it from columns) and checks it streaming. Prints the
# time from the end of `contribute` to acceptance at node 3, and each daemon's peak RSS
# (VmHWM), the figure to hold under 512 MiB. Not part of the test suite.
#
# Usage: scripts/validator-memory.sh [--size-mib S] [--keep]
#   DATANET_BIN=path skips the cargo build of the daemon.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/nodes.sh

SIZE_MIB=1024
while [[ $# -gt 0 ]]; do
  case $1 in
    --size-mib) SIZE_MIB=$2; shift 2 ;;
    --keep) KEEP_WORK=1; shift ;;
    *) sed -n '/^# Usage:/,/DATANET_BIN=/p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
  esac
done
[[ $SIZE_MIB =~ ^[1-9][0-9]*$ ]] || die "--size-mib must be a positive whole number"

datanet_bin
cargo build --release --locked --quiet -p datanet-policy --example validate_file
GEN=${CARGO_TARGET_DIR:-target}/release/examples/validate_file
WORK=$(mktemp -d "${TMPDIR:-/tmp}/validator-memory.XXXXXX")
nodes_setup
echo "validator-memory: 4 validators, $SIZE_MIB MiB of JSON lines; $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p')"
"$GEN" schema > "$WORK/schema.json"
"$GEN" generate "$SIZE_MIB" "$WORK/records.jsonl" > /dev/null

mapfile -t PORTS < <(python3 "$BENCH_PY" ports 4)
boot=""
keys=()
for i in 0 1 2 3; do
  VALIDATOR=1 node_init "$i" "${PORTS[i]}" "$boot"
  keys+=("$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["validator"])' "$(home_of "$i").init.json")")
  node_start "$i"
  wait_up "$i" 30
  [[ -n $boot ]] || boot="/ip4/127.0.0.1/tcp/${PORTS[0]}/p2p/$(peer_id 0)"
done
for i in 0 1 2 3; do
  deadline=$((SECONDS + 60))
  until [[ $(cli "$i" --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)["peers"])') == 3 ]]; do
    ((SECONDS < deadline)) || die "node $i did not connect to the other three"
    sleep 0.5
  done
done
args=()
for k in "${keys[@]}"; do args+=(--validator "$k"); done
echo '{"max_contribution_bytes": 4294967296}' > "$WORK/policy.json"
id=$(cli 0 --json create memory --policy "$WORK/policy.json" --format jsonl --schema "$WORK/schema.json" \
  --max-records 100000000 "${args[@]}" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
for i in 1 2 3; do
  until cli "$i" --json list | grep -q "$id"; do sleep 0.2; done
done
t0=$(now)
contribution=$(cli 0 --json contribute "$WORK/records.jsonl" --datanet "$id" --media-type application/jsonl |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
t1=$(now)
echo "contributed in $(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$t0" "$t1") s"
deadline=$((SECONDS + 1800))
while :; do
  status=$(cli 3 --json show "$contribution" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')
  [[ $status == accepted ]] && break
  [[ $status == rejected ]] && die "the contribution was rejected: $(cli 3 show "$contribution")"
  ((SECONDS < deadline)) || die "not accepted within 30 minutes (status $status)"
  sleep 1
done
t2=$(now)
echo "accepted at node 3 $(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$t1" "$t2") s after contribute returned"
for i in 0 1 2 3; do
  echo "node $i peak RSS $(( $(rss_kib "${NODE_PID[i]}" VmHWM) / 1024 )) MiB"
done
