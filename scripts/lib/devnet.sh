# Shared by scripts/anchor-latency.sh and scripts/light-follow-bench.sh (sourced after
# nodes.sh, not run): a `datanet devnet` in the background under $WORK/devnet (anvil with the
# hub, daemons on loopback, the devnet's datanet registered and staked), its JSON summary in
# $WORK/summary.json, and what the scripts read from it and from node 0's configuration.
#
# The caller sets BIN, calls devnet_work NAME (which makes $WORK and stops everything on exit),
# then devnet_start NODES. Processes the caller starts go in EXTRA_PIDS, stopped with Ctrl-C
# first.

DEVNET_PID=""
declare -a EXTRA_PIDS=()

# devnet_work NAME: a fresh $WORK, and the traps that stop the devnet and remove it on exit
# (--keep, KEEP_WORK=1, keeps it).
devnet_work() {
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
  trap devnet_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

devnet_cleanup() {
  local pid
  for pid in "${EXTRA_PIDS[@]}"; do
    { kill -INT "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; } || true
  done
  devnet_stop
  if [[ $KEEP_WORK == 1 ]]; then
    echo "kept $WORK" >&2
  else
    rm -rf "$WORK"
  fi
}

# devnet_start NODES: starts the devnet and waits (up to 300 s) for its summary.
devnet_start() {
  if [[ -z ${DATANET_ANVIL:-} ]] && ! compgen -G "contracts/node_modules/@foundry-rs/*/bin/anvil" > /dev/null; then
    npm ci --prefix contracts --no-audit --no-fund --loglevel=error
  fi
  "$BIN" devnet --dir "$WORK/devnet" --nodes "$1" --sample-mib 1 --json \
    > "$WORK/summary.json" 2> "$WORK/devnet.log" &
  DEVNET_PID=$!
  local deadline=$((SECONDS + 300))
  until python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$WORK/summary.json" 2> /dev/null; do
    kill -0 "$DEVNET_PID" 2> /dev/null || die "the devnet exited; its output ends:
$(tail -n 15 "$WORK/devnet.log")"
    ((SECONDS < deadline)) || die "the devnet was not ready within 300 s; see $WORK/devnet.log"
    sleep 0.5
  done
}

# devnet_stop: Ctrl-C for the devnet, which stops its daemons and anvil.
devnet_stop() {
  if [[ -n $DEVNET_PID ]]; then
    kill -INT "$DEVNET_PID" 2>/dev/null || true
    wait "$DEVNET_PID" 2>/dev/null || true
  fi
}

# field EXPR: a Python expression over the summary `d`, printed.
field() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$WORK/summary.json" "$1"; }

# setting SECTION KEY: a key of node 0's config.toml; a duration in seconds.
setting() {
  python3 -c '
import re, sys, tomllib
value = tomllib.load(open(sys.argv[1], "rb"))[sys.argv[2]][sys.argv[3]]
m = re.fullmatch(r"(\d+)(ms|s)", str(value))
print(format(int(m[1]) / (1000 if m[2] == "ms" else 1), "g") if m else value)' "$(field 'd["nodes"][0]["home"]')/config.toml" "$1" "$2"
}
