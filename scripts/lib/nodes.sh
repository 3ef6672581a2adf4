# Shared by scripts/scale-bench.sh and scripts/soak.sh (sourced, not run): daemons as
# processes on 127.0.0.1, each with its own home under $WORK and its own free port (TCP and
# QUIC), started with the release `datanet` binary and stopped, every one of them, when the
# calling script exits or is interrupted.
#
# The caller sets WORK (a temporary directory) before calling nodes_setup.

LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BENCH_PY="$LIB_DIR/bench.py"
declare -a NODE_PID=() NODE_PORT=()
SSE_PID=""
KEEP_WORK=${KEEP_WORK:-0}

die() {
  echo "error: $*" >&2
  exit 1
}

now() { date +%s.%N; }

# The release binary: $DATANET_BIN if set, else built here (a no-op when up to date).
datanet_bin() {
  if [[ -n ${DATANET_BIN:-} ]]; then
    [[ -x $DATANET_BIN ]] || die "DATANET_BIN=$DATANET_BIN is not an executable"
    BIN=$DATANET_BIN
    return
  fi
  cargo build --release --locked --quiet -p datanet-daemon --bin datanet
  BIN="${CARGO_TARGET_DIR:-target}/release/datanet"
}

# Stops every process started here (each by its own pid) and removes $WORK.
nodes_cleanup() {
  local pid
  for pid in "${NODE_PID[@]}" $SSE_PID; do
    [[ -n $pid ]] && kill -KILL "$pid" 2>/dev/null || true
  done
  for pid in "${NODE_PID[@]}" $SSE_PID; do
    [[ -n $pid ]] && wait "$pid" 2>/dev/null || true
  done
  if [[ $KEEP_WORK == 1 ]]; then
    echo "kept $WORK" >&2
  else
    rm -rf "$WORK"
  fi
}

nodes_setup() {
  command -v python3 > /dev/null || die "python3 is needed"
  command -v curl > /dev/null || die "curl is needed"
  trap nodes_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

home_of() { echo "$WORK/n$1"; }
sock_of() { echo "$WORK/n$1/datanet.sock"; }

# cli I ARGS...: the CLI against node I.
cli() {
  local i=$1
  shift
  "$BIN" --home "$(home_of "$i")" "$@"
}

# api I PATH: GET PATH on node I's socket.
api() { curl -sf --max-time 10 --unix-socket "$(sock_of "$1")" "http://datanet$2"; }

# metric I NAME: one value of node I's /metrics, or nothing if it does not answer.
metric() { { api "$1" /metrics || true; } | awk -v n="$2" '$1 == n { print $2 }'; }

# node_init I PORT [BOOTSTRAP]: a home for node I listening on PORT (TCP and QUIC); a
# validator too when VALIDATOR=1 (its key in the init output's "validator").
node_init() {
  local i=$1 port=$2 boot=${3:-}
  local args=(--listen "/ip4/127.0.0.1/tcp/$port" --listen "/ip4/127.0.0.1/udp/$port/quic-v1")
  [[ -n $boot ]] && args+=(--bootstrap "$boot")
  [[ ${VALIDATOR:-0} == 1 ]] && args+=(--validator)
  cli "$i" --json init "${args[@]}" > "$(home_of "$i").init.json" ||
    die "datanet init of node $i failed"
  NODE_PORT[i]=$port
}

# peer_id I: node I's peer id, from its init output.
peer_id() {
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["peer_id"])' "$(home_of "$1").init.json"
}

# node_start I: runs node I's daemon in the background. Low-memory settings: one upload at a
# time, glibc held to two malloc arenas (the daemon has no knob for its caches), and blocks
# of 1 MiB or more mapped on their own (a fixed mmap threshold), so that the freed buffers of
# squares and pushes go back to the system instead of staying in the arenas.
node_start() {
  local i=$1
  MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=1048576 DATANET_API_MAX_CONCURRENT_UPLOADS=1 \
    "$BIN" --home "$(home_of "$i")" run 2>> "$(home_of "$i")/daemon.log" &
  NODE_PID[i]=$!
}

# node_kill I: SIGKILL to node I's daemon, reaped.
node_kill() {
  local i=$1
  kill -KILL "${NODE_PID[i]}" 2>/dev/null || true
  wait "${NODE_PID[i]}" 2>/dev/null || true
  NODE_PID[i]=""
}

# log_tail I: the end of node I's log, for error messages.
log_tail() { tail -n 5 "$(home_of "$1")/daemon.log" 2>/dev/null | sed 's/^/    /'; }

# wait_up I TIMEOUT: waits until node I answers on its socket; fails with its log if it died
# or did not answer in TIMEOUT seconds.
wait_up() {
  local i=$1 deadline=$((SECONDS + $2))
  until api "$i" /v1/status > /dev/null 2>&1; do
    if ! kill -0 "${NODE_PID[i]}" 2>/dev/null; then
      die "node $i exited before it answered on its socket; its log ends:
$(log_tail "$i")"
    fi
    ((SECONDS < deadline)) || die "node $i did not answer on $(sock_of "$i") within $2 s; its log ends:
$(log_tail "$i")"
    sleep 0.2
  done
}

# rss_kib PID FIELD: VmRSS or VmHWM of PID in KiB.
rss_kib() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }
