#!/usr/bin/env bash
# Contribution-to-anchored latency on the devnet: builds the `datanet` binary (release), starts
# `datanet devnet` (anvil with the hub, the daemons on loopback, every one a validator staked on
# the devnet's datanet, its own walk-through with a 1 MiB sample first), then makes C small
# contributions (one JSON line each) at node 0, one after another. For each it records the
# time from `datanet contribute` returning to `datanet show ID` at node 0 reporting
# `validation.anchored.state == "confirmed"` (polled every 0.1 s), then waits a random part of
# an epoch before the next one, so the contributions fall at different points of their epochs.
# It prints the devnet's epoch length, confirmations and anvil's block time; each
# contribution's phases (certificate, proposal, final batch, anchor sent, anchored, from `show`
# and the daemons' logs); and p50 / p90 / max in seconds and in epochs against the target of
# 2 epochs plus the confirmations. The devnet is stopped on exit or Ctrl-C and its folder
# removed (--keep keeps it, with the daemons' logs). Not part of the test suite.
#
# Usage: scripts/anchor-latency.sh [--contributions C] [--nodes N] [--seed S] [--timeout SECS]
#                                  [--keep]
#   defaults: C 20, N 4 (the devnet's), S 1 (the pauses between contributions), timeout 120 s
#   per contribution. DATANET_BIN=path skips the cargo build.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/nodes.sh
source scripts/lib/devnet.sh

usage() {
  sed -n '/^# Usage:/,/DATANET_BIN=/p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

CONTRIBUTIONS=20 NODES=4 SEED=1 TIMEOUT=120
while [[ $# -gt 0 ]]; do
  case $1 in
    --contributions) CONTRIBUTIONS=${2:?}; shift 2 ;;
    --nodes) NODES=${2:?}; shift 2 ;;
    --seed) SEED=${2:?}; shift 2 ;;
    --timeout) TIMEOUT=${2:?}; shift 2 ;;
    --keep) KEEP_WORK=1; shift ;;
    *) usage ;;
  esac
done
[[ $CONTRIBUTIONS =~ ^[1-9][0-9]*$ ]] || die "--contributions must be a positive whole number"
command -v python3 > /dev/null || die "python3 is needed"

datanet_bin
devnet_work anchor-latency

devnet_start "$NODES"
DATANET=$(field 'd["datanet"]["id"]')
HOME0=$(field 'd["nodes"][0]["home"]')
EPOCH_S=$(setting validator epoch)
CONFIRMATIONS=$(setting chain confirmations)
ANVIL_PID=$(pgrep -P "$DEVNET_PID" -x anvil || true)
BLOCK_TIME="a block per transaction (automine)"
if [[ -n $ANVIL_PID ]] && tr '\0' ' ' < "/proc/$ANVIL_PID/cmdline" | grep -q -- '--block-time'; then
  BLOCK_TIME="$(tr '\0' ' ' < "/proc/$ANVIL_PID/cmdline" | sed -n 's/.*--block-time \([0-9]*\).*/\1/p') s"
fi
TARGET=$(python3 -c "print(f'{2 * $EPOCH_S:g}')")
echo "anchor-latency: $NODES validators (devnet), $CONTRIBUTIONS contributions at node 0; epoch $EPOCH_S s, $CONFIRMATIONS confirmation(s), anvil $BLOCK_TIME; $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)"
echo "target: 2 epochs + confirmations = $TARGET s + $CONFIRMATIONS block(s)"

: > "$WORK/results"
RANDOM=$SEED
for c in $(seq "$CONTRIBUTIONS"); do
  printf '{"id":%d,"prompt":"latency sample %d","response":"anchored"}\n' "$c" "$c" > "$WORK/c$c.jsonl"
  made=$("$BIN" --home "$HOME0" --json contribute "$WORK/c$c.jsonl" --datanet "$DATANET" \
    --media-type application/jsonl) || die "contribution $c failed"
  t0=$(now)
  cid=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["id"])' "$made")
  seen=$(python3 "$BENCH_PY" anchor-wait "$BIN" "$HOME0" "$cid" "$TIMEOUT") ||
    die "contribution $c ($cid) was not anchored; logs in $WORK/devnet/node-*/daemon.log (--keep keeps them)"
  echo "$cid $t0 $seen" >> "$WORK/results"
  read -r epoch _ _ _ confirmed <<< "$seen"
  echo "contribution $c: epoch $epoch, confirmed at node 0 after $(python3 -c "print(f'{$confirmed - $t0:.2f}')") s"
  # A pause of 0 to 1 epoch, so the next contribution lands elsewhere in its epoch.
  sleep "$(python3 -c "print(f'{$RANDOM / 32768 * $EPOCH_S:.3f}')")"
done

LOGS=()
for i in $(seq 0 $((NODES - 1))); do LOGS+=("$(field "d['nodes'][$i]['home']")/daemon.log"); done
echo
python3 "$BENCH_PY" anchor-report "$WORK/results" "$EPOCH_S" "${LOGS[@]}"
