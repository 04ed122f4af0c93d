#!/usr/bin/env bash
# The end-to-end benchmark of bench/README.md in one run (about 25 minutes; SHORT=1: about 8):
#   (a) build bklit, bklit-loadgen, bklit-ws-ceiling and chdb_insert_bench (BUILD_DIR)
#   (b) start `bklit serve` on a fresh data directory and a free loopback port, with the
#       rate limits raised; one project per run (`bklit admin create-project --json`)
#   (c) time from spawn to the first 200 of /readyz, idle resident memory, and the resident
#       memory per idle SDK socket with IDLE_SOCKETS (10 000) authenticated sockets open
#   (d) every traffic shape at max rate (MAX_DURATION, 120 s) with the store's lag when the
#       load stops, per-thread CPU, and a flat CPU profile of some of them (PERF_SHAPES), each
#       in a run of its own, so that the measured runs do not pay for the sampling
#   (e) every shape at RATE (10 000) events/s and the realistic one at LOW_RATE (1 000)
#       events/s, open loop, with ack-to-queryable probes
#   (f) end to end = acked and stored: each run waits until the Stats API counts what was
#       acked, and the script queries the counts again
#   (g) nginx answering 204 and bklit's POST /api/track under wrk, same request bodies
#   (h) the WebSocket ceiling: bklit-ws-ceiling (acks and does nothing else) under the same
#       loadgen shapes, and its memory per idle socket
#   (i) the raw chDB insert rate of identical rows (bench/chdb_insert_bench.cpp)
# and prints one summary with the ratios. Everything stays on 127.0.0.1. Results go to
# OUT_DIR (default BUILD_DIR/bench-results/<time>).
#
# Shapes (SHAPES, default all four): persistent50 = 50 WebSockets open for the whole run,
# 10 pageviews in flight each; realistic = 200 clients of realistic sessions (a new socket,
# auth and session_end every 3-11 messages, 32 in flight); persistent500 = persistent50 with
# 500 sockets; http = 64 keep-alive clients posting /api/track batches of 20.
#
# Knobs (environment): BUILD_DIR, OUT_DIR, SKIP_BUILD=1, SHORT=1 (20 s runs, for checking the
# tooling), SHAPES, MAX_DURATION (120), RATE (10000), LOW_RATE (1000), RATE_DURATION (60),
# CEILING_DURATION (30), IDLE_SOCKETS (10000), IDLE_HOLD (30), REALISTIC_CONNECTIONS (200),
# REALISTIC_PIPELINE (32), PERSISTENT_PIPELINE (10), HTTP_CONNECTIONS (64), HTTP_BATCH (20),
# LOADGEN_THREADS (2: one per core, the loadgen's own default), VERIFY_TIMEOUT (600),
# WRK_DURATION (10), WRK_CONNECTIONS (64),
# PERF (auto: profile when `perf record -e cpu-clock` works; 0 = never), PERF_SHAPES
# ("persistent50 realistic"), PERF_SECONDS (20).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build-bench}
OUT_DIR=${OUT_DIR:-$BUILD_DIR/bench-results/$(date +%Y%m%d-%H%M%S)}
SHORT=${SHORT:-0}
short_or() { [[ "$SHORT" == 1 ]] && echo "$1" || echo "$2"; }
SHAPES=${SHAPES:-persistent50 realistic persistent500 http}
MAX_DURATION=${MAX_DURATION:-$(short_or 20 120)}
RATE=${RATE:-10000}
LOW_RATE=${LOW_RATE:-1000}
RATE_DURATION=${RATE_DURATION:-$(short_or 20 60)}
CEILING_DURATION=${CEILING_DURATION:-$(short_or 10 30)}
IDLE_SOCKETS=${IDLE_SOCKETS:-10000}
IDLE_HOLD=${IDLE_HOLD:-$(short_or 20 30)}
REALISTIC_CONNECTIONS=${REALISTIC_CONNECTIONS:-200}
REALISTIC_PIPELINE=${REALISTIC_PIPELINE:-32}
PERSISTENT_PIPELINE=${PERSISTENT_PIPELINE:-10}
HTTP_CONNECTIONS=${HTTP_CONNECTIONS:-64}
HTTP_BATCH=${HTTP_BATCH:-20}
LOADGEN_THREADS=${LOADGEN_THREADS:-2}
VERIFY_TIMEOUT=${VERIFY_TIMEOUT:-600}
WRK_DURATION=${WRK_DURATION:-$(short_or 5 10)}
WRK_CONNECTIONS=${WRK_CONNECTIONS:-64}
PERF=${PERF:-auto}
PERF_SHAPES=${PERF_SHAPES:-persistent50 realistic}
PERF_SECONDS=${PERF_SECONDS:-$(short_or 8 20)}

mkdir -p "$OUT_DIR"
WORK=$(mktemp -d /tmp/bklit-bench-XXXXXX)
SERVER_PID=""
NGINX_PID=""
CEILING_PID=""
cleanup() {
  [[ -n "$SERVER_PID" ]] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  [[ -n "$NGINX_PID" ]] && kill "$NGINX_PID" 2>/dev/null && wait "$NGINX_PID" 2>/dev/null
  [[ -n "$CEILING_PID" ]] && kill "$CEILING_PID" 2>/dev/null && wait "$CEILING_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
vmrss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
meta() { echo "$1=$2" >> "$OUT_DIR/meta.env"; }

# 10 000 idle sockets need that many descriptors in the server and in the loadgen.
HARD_NOFILE=$(ulimit -Hn)
[[ "$HARD_NOFILE" == unlimited ]] && HARD_NOFILE=1048576
ulimit -n "$HARD_NOFILE" 2>/dev/null || true
if (( $(ulimit -n) < IDLE_SOCKETS + 256 )); then
  log "open-file limit $(ulimit -n) is too low for $IDLE_SOCKETS idle sockets; using fewer"
  IDLE_SOCKETS=$(( $(ulimit -n) - 256 ))
fi

# (a) build ---------------------------------------------------------------------------------
if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  if [[ ! -f "$BUILD_DIR/build.ninja" ]]; then
    cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBKLIT_BENCH=ON
  fi
  log "building bklit, bklit-loadgen, bklit-ws-ceiling and chdb_insert_bench in $BUILD_DIR"
  ninja -C "$BUILD_DIR" -j2 bklit bklit-loadgen bklit-net-ceiling bklit-ws-ceiling chdb_insert_bench >&2
fi
BKLIT=$BUILD_DIR/bklit
LOADGEN=$BUILD_DIR/bklit-loadgen
CEILING=${CEILING_BIN:-$BUILD_DIR/bklit-net-ceiling}
CHDB_BENCH=$BUILD_DIR/bench/chdb_insert_bench
for bin in "$BKLIT" "$LOADGEN" "$CEILING" "$CHDB_BENCH"; do
  [[ -x "$bin" ]] || { echo "missing $bin (build it first)" >&2; exit 1; }
done

if [[ "$PERF" == auto ]]; then
  if perf record -e cpu-clock -o "$WORK/perf-check.data" -- true >/dev/null 2>&1; then
    PERF=1
  else
    PERF=0
  fi
fi

{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "nproc: $(nproc)"
  lscpu | head -20
  free -m | head -2
  echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "open-file limit: $(ulimit -n)"
} > "$OUT_DIR/machine.txt"
: > "$OUT_DIR/meta.env"
meta short "$SHORT"
meta shapes "$SHAPES"
meta max_duration "$MAX_DURATION"
meta rate "$RATE"
meta low_rate "$LOW_RATE"
meta rate_duration "$RATE_DURATION"
meta ceiling_duration "$CEILING_DURATION"
meta http_batch "$HTTP_BATCH"
meta perf_shapes "$PERF_SHAPES"
meta load_before "$(cut -d' ' -f1 /proc/loadavg)"

# (b)+(c) start the server, time to ready, idle RSS -------------------------------------------
PORT=$(free_port)
DATA=$WORK/data
mkdir -p "$DATA"
log "starting bklit serve on 127.0.0.1:$PORT (data in $DATA)"
T0=$(date +%s%N)
"$BKLIT" serve --data-dir "$DATA" --listen "127.0.0.1:$PORT" --log-level warn \
  --trusted-proxies 127.0.0.1 \
  --rate-limit-connection-per-s 1000000 --rate-limit-connection-burst 1000000 \
  --rate-limit-project-per-s 10000000 --rate-limit-project-burst 10000000 \
  > "$OUT_DIR/server.log" 2>&1 &
SERVER_PID=$!
READY_MS=""
for _ in $(seq 1 3000); do
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/readyz" || true)
  if [[ "$code" == 200 ]]; then
    READY_MS=$(( ($(date +%s%N) - T0) / 1000000 ))
    break
  fi
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$OUT_DIR/server.log" >&2; exit 1; }
  sleep 0.01
done
[[ -n "$READY_MS" ]] || { echo "bklit did not become ready in 30 s" >&2; exit 1; }
sleep 2
IDLE_RSS_KB=$(vmrss_kb "$SERVER_PID")
grep -E '^(VmRSS|VmHWM|Threads)' "/proc/$SERVER_PID/status" > "$OUT_DIR/idle_status.txt"
log "ready after ${READY_MS} ms; idle RSS $((IDLE_RSS_KB / 1024)) MiB"
meta ready_ms "$READY_MS"
meta idle_rss_kb "$IDLE_RSS_KB"

domain_of() { echo "${1//_/-}.bench.example"; }
create_project() {  # create_project NAME -> JSON line (domain: domain_of NAME)
  "$BKLIT" admin create-project --data-dir "$DATA" --name "Bench $1" --domain "$(domain_of "$1")" \
    --json
}

# Resident memory per idle socket: VmRSS before, with every socket authenticated, and after
# they closed. Writes idle_NAME.txt (loadgen), idle_NAME.json and idle_NAME.mem.
measure_idle() {  # measure_idle NAME SERVER_PID URL PROJECT_JSON
  local name=$1 pid=$2 url=$3 project=$4 ready=$WORK/idle_$1.ready
  log "$IDLE_SOCKETS idle authenticated sockets against $name"
  sleep 1
  local before after closed fds lg
  before=$(vmrss_kb "$pid")
  "$LOADGEN" --url "$url" --project "$(field "$project" project_id)" \
    --token "$(field "$project" ingest_token)" --origin "https://$(domain_of idle)" \
    --idle --connections "$IDLE_SOCKETS" --duration "$IDLE_HOLD" --threads 1 \
    --ready-file "$ready" --json "$OUT_DIR/idle_$name.json" > "$OUT_DIR/idle_$name.txt" 2>&1 &
  lg=$!
  for _ in $(seq 1 $((IDLE_HOLD * 10))); do
    [[ -f "$ready" ]] && break
    kill -0 "$lg" 2>/dev/null || break
    sleep 0.1
  done
  sleep 2  # let the last handshakes' buffers go back to the allocator
  after=$(vmrss_kb "$pid")
  fds=$(find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 | wc -l)
  wait "$lg" || true
  sleep 2
  closed=$(vmrss_kb "$pid")
  printf 'before_kb=%s\nwith_sockets_kb=%s\nafter_close_kb=%s\nserver_fds=%s\nready=%s\n' \
    "$before" "$after" "$closed" "$fds" "$([[ -f "$ready" ]] && cat "$ready" || echo 0)" \
    > "$OUT_DIR/idle_$name.mem"
  cat "$OUT_DIR/idle_$name.txt" >&2
}

P_IDLE=$(create_project idle)
measure_idle bklit "$SERVER_PID" "ws://127.0.0.1:$PORT" "$P_IDLE"

shape_args() {  # shape_args SHAPE -> loadgen flags
  case $1 in
    persistent50) echo --persistent --connections 50 --pipeline "$PERSISTENT_PIPELINE" ;;
    persistent500) echo --persistent --connections 500 --pipeline "$PERSISTENT_PIPELINE" ;;
    realistic) echo --connections "$REALISTIC_CONNECTIONS" --pipeline "$REALISTIC_PIPELINE" ;;
    http) echo --connections "$HTTP_CONNECTIONS" --http-fraction 1 --http-batch "$HTTP_BATCH" ;;
    *) echo "unknown shape $1" >&2; return 1 ;;
  esac
}

# Runs the loadgen in the background, samples per-thread CPU of SERVER and the loadgen in
# the middle of the run (5 s around it), optionally records a profile, and waits.
run_loadgen() {  # run_loadgen NAME SERVER_PID URL SHAPE RATE DURATION PROFILE [extra args...]
  local name=$1 server=$2 url=$3 shape=$4 rate=$5 duration=$6 profile=$7
  shift 7
  local args
  args=$(shape_args "$shape")
  log "$name: $shape at $([[ "$rate" == 0 ]] && echo max rate || echo "$rate/s") for ${duration} s"
  # shellcheck disable=SC2086
  "$LOADGEN" --url "$url" $args --threads "$LOADGEN_THREADS" --rate "$rate" \
    --duration "$duration" --json "$OUT_DIR/$name.json" "$@" > "$OUT_DIR/$name.txt" 2>&1 &
  local lg=$! sampler perf_pid=""
  (sleep $(( duration / 2 > 3 ? duration / 2 - 2 : 1 )); python3 "$ROOT/bench/thread_cpu.py" 5 "server=$server" "loadgen=$lg" \
    > "$OUT_DIR/threads_$name.txt" 2>&1 || true) &
  sampler=$!
  if [[ "$profile" == 1 ]]; then
    (sleep $((duration / 3)); perf record -e cpu-clock -F 999 -o "$OUT_DIR/perf_$shape.data" \
      -p "$server" -- sleep "$PERF_SECONDS" > "$OUT_DIR/perf_record_$shape.log" 2>&1 \
      || echo "perf record failed" >> "$OUT_DIR/perf_record_$shape.log") &
    perf_pid=$!
  fi
  wait "$lg" || true
  wait "$sampler" || true
  [[ -n "$perf_pid" ]] && { wait "$perf_pid" || true; }
  cat "$OUT_DIR/$name.txt" >&2
}

run_bklit() {  # run_bklit NAME SHAPE RATE DURATION [extra args...]
  local name=$1 shape=$2 rate=$3 duration=$4 project profile=0
  shift 4
  project=$(create_project "$name")
  [[ "$name" == profile_* ]] && profile=1
  run_loadgen "$name" "$SERVER_PID" "ws://127.0.0.1:$PORT" "$shape" "$rate" "$duration" \
    "$profile" --project "$(field "$project" project_id)" \
    --token "$(field "$project" ingest_token)" --read-token "$(field "$project" read_token)" \
    --origin "https://$(domain_of "$name")" --verify --verify-timeout "$VERIFY_TIMEOUT" "$@"
  # The stored counts, independently of the loadgen.
  local body
  body='{"site_id":"'$(field "$project" project_id)'","metrics":["pageviews","events","visits"],"date_range":"day"}'
  curl -s -X POST "http://127.0.0.1:$PORT/api/v2/query" \
    -H "Authorization: Bearer $(field "$project" read_token)" -d "$body" \
    > "$OUT_DIR/${name}_stored.json" || true
}

# (d) max rate, (e) fixed rates ---------------------------------------------------------------
for shape in $SHAPES; do
  run_bklit "max_$shape" "$shape" 0 "$MAX_DURATION"
done
# Profiles come from runs of their own (each of PERF_SHAPES at max rate): perf's sampling
# costs the server a few per cent, which the measured runs above should not pay.
if [[ "$PERF" == 1 ]]; then
  for shape in $PERF_SHAPES; do
    run_bklit "profile_$shape" "$shape" 0 $((PERF_SECONDS + 20))
  done
fi
HWM_KB=$(awk '/^VmHWM/ {print $2}' "/proc/$SERVER_PID/status")
meta loaded_hwm_kb "$HWM_KB"
for shape in $SHAPES; do
  run_bklit "rate_$shape" "$shape" "$RATE" "$RATE_DURATION" --probe
done
run_bklit rate_low realistic "$LOW_RATE" "$RATE_DURATION" --probe

# (g) wrk: nginx 204 and bklit /api/track with the same bodies ------------------------------------
P_WRK=$(create_project wrk)
WRK_TOKEN=$(field "$P_WRK" ingest_token)
"$LOADGEN" --project "$(field "$P_WRK" project_id)" --token "$WRK_TOKEN" \
  --origin https://wrk.bench.example --http-batch "$HTTP_BATCH" --dump-http-body "$WORK/batch.json"
cp "$WORK/batch.json" "$OUT_DIR/track_batch_body.json"
cp "$WORK/batch.json.single" "$OUT_DIR/track_single_body.json"
make_lua() {  # make_lua BODY_FILE LUA_FILE
  cat > "$2" <<EOF
wrk.method = "POST"
local f = assert(io.open("$1", "rb"))
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $WRK_TOKEN"
wrk.headers["Origin"] = "https://wrk.bench.example"
wrk.headers["User-Agent"] = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
EOF
}
make_lua "$WORK/batch.json.single" "$WORK/single.lua"
make_lua "$WORK/batch.json" "$WORK/batch.lua"

NGINX_PORT=$(free_port)
mkdir -p "$WORK/nginx"
cat > "$WORK/nginx/nginx.conf" <<EOF
worker_processes 2;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx/body;
  proxy_temp_path $WORK/nginx/proxy;
  fastcgi_temp_path $WORK/nginx/fastcgi;
  uwsgi_temp_path $WORK/nginx/uwsgi;
  scgi_temp_path $WORK/nginx/scgi;
  client_body_buffer_size 64k;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location / { return 204; }
  }
}
EOF
nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" &
NGINX_PID=$!
for _ in $(seq 1 200); do
  curl -s -o /dev/null "http://127.0.0.1:$NGINX_PORT/" && break
  sleep 0.05
done

run_wrk() {  # run_wrk NAME URL LUA
  log "wrk $1 (${WRK_DURATION} s, $WRK_CONNECTIONS connections)"
  wrk -t2 -c"$WRK_CONNECTIONS" -d"${WRK_DURATION}s" --latency -s "$3" "$2" > "$OUT_DIR/wrk_$1.txt" 2>&1 || true
}
run_wrk nginx_single "http://127.0.0.1:$NGINX_PORT/api/track" "$WORK/single.lua"
run_wrk nginx_batch "http://127.0.0.1:$NGINX_PORT/api/track" "$WORK/batch.lua"
kill "$NGINX_PID" && wait "$NGINX_PID" 2>/dev/null || true
NGINX_PID=""
run_wrk bklit_single "http://127.0.0.1:$PORT/api/track" "$WORK/single.lua"
run_wrk bklit_batch "http://127.0.0.1:$PORT/api/track" "$WORK/batch.lua"

# Stop the server (its shutdown time is reported too).
T_STOP=$(date +%s%N)
kill -TERM "$SERVER_PID"
wait "$SERVER_PID" || true
meta stop_ms $(( ($(date +%s%N) - T_STOP) / 1000000 ))
SERVER_PID=""

# (h) the WebSocket ceiling, under the same loadgen shapes -------------------------------------------
"$CEILING" --port 0 --port-file "$WORK/ceiling.port" > "$OUT_DIR/ceiling.log" 2>&1 &
CEILING_PID=$!
for _ in $(seq 1 100); do
  [[ -s "$WORK/ceiling.port" ]] && break
  sleep 0.05
done
CEILING_URL="ws://127.0.0.1:$(cat "$WORK/ceiling.port")"
P_CEIL='{"project_id":"ceiling","ingest_token":"ceiling-token"}'
measure_idle ceiling "$CEILING_PID" "$CEILING_URL" "$P_CEIL"
for shape in $SHAPES; do
  [[ "$shape" == http ]] && continue  # the ceiling speaks WebSocket only; nginx is HTTP's
  run_loadgen "ceiling_$shape" "$CEILING_PID" "$CEILING_URL" "$shape" 0 "$CEILING_DURATION" 0 \
    --project ceiling --token ceiling-token --origin https://ceiling.bench.example
done
kill "$CEILING_PID" && wait "$CEILING_PID" 2>/dev/null || true
CEILING_PID=""

# (i) raw chDB insert rate -------------------------------------------------------------------------
log "raw chDB insert rate (20 batches x 5000 events)"
"$CHDB_BENCH" --batches 20 --batch-size 5000 --data-dir "$WORK/chdb" --json "$OUT_DIR/chdb.json" \
  | tee "$OUT_DIR/chdb.txt" >&2

# Flat profiles: top symbols, libraries and threads of the server in each profile run.
for shape in $PERF_SHAPES; do
  data=$OUT_DIR/perf_$shape.data
  [[ -s "$data" ]] || continue
  log "flat profile of $shape (perf report)"
  perf report -i "$data" --stdio --no-children --sort dso,symbol \
    --percent-limit 0.3 2>/dev/null > "$OUT_DIR/profile_$shape.txt" || true
  grep -v '^#' "$OUT_DIR/profile_$shape.txt" | grep '%' | head -10 \
    | awk '{$NF=""; $(NF-1)=""; sub(/ +$/, ""); print}' > "$OUT_DIR/profile_top_$shape.txt" || true
  perf report -i "$data" --stdio --no-children --sort dso 2>/dev/null \
    | grep -v '^#' | grep '%' | head -8 > "$OUT_DIR/profile_dso_$shape.txt" || true
  perf report -i "$data" --stdio --no-children --sort comm 2>/dev/null \
    | grep -v '^#' | grep '%' | head -10 > "$OUT_DIR/profile_threads_$shape.txt" || true
done
meta load_after "$(cut -d' ' -f1 /proc/loadavg)"

python3 "$ROOT/bench/bench_summary.py" "$OUT_DIR" | tee "$OUT_DIR/summary.txt"
log "results in $OUT_DIR"
