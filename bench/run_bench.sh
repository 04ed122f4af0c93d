#!/usr/bin/env bash
# The end-to-end benchmark of bench/README.md, in one run of about four minutes:
#   (a) build bklit, bklit-loadgen and chdb_insert_bench (BUILD_DIR, default build-bench)
#   (b) start `bklit serve` on a fresh data directory and a free loopback port, with the
#       rate limits raised, and create projects with `bklit admin create-project --json`
#   (c) time from spawn to the first 200 of /readyz, and the idle resident memory
#   (d) loadgen at max rate, then at 10 000 events/s with ack-to-queryable probes
#   (e) check that the Stats API counts exactly what was acked (end to end = acked + stored)
#   (f) nginx answering 204 and bklit's POST /api/track under wrk, same request bodies
#   (g) the raw chDB insert rate of identical rows (bench/chdb_insert_bench.cpp)
# and prints a summary with the ratios. Everything stays on 127.0.0.1 and every step has a
# duration. Results go to OUT_DIR (default BUILD_DIR/bench-results/<time>).
#
# Knobs (environment): BUILD_DIR, OUT_DIR, SKIP_BUILD=1, MAX_DURATION (30), RATE (10000),
# RATE_DURATION (30), CONNECTIONS (200), PIPELINE (32), HTTP_FRACTION (0.1), HTTP_BATCH (20),
# LOADGEN_THREADS (1), WRK_DURATION (10), WRK_CONNECTIONS (64), PERF=1 (CPU profile of the
# server during the max-rate run, when perf works here).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build-bench}
OUT_DIR=${OUT_DIR:-$BUILD_DIR/bench-results/$(date +%Y%m%d-%H%M%S)}
MAX_DURATION=${MAX_DURATION:-30}
RATE=${RATE:-10000}
RATE_DURATION=${RATE_DURATION:-30}
CONNECTIONS=${CONNECTIONS:-200}
PIPELINE=${PIPELINE:-32}
HTTP_FRACTION=${HTTP_FRACTION:-0.1}
HTTP_BATCH=${HTTP_BATCH:-20}
LOADGEN_THREADS=${LOADGEN_THREADS:-1}
WRK_DURATION=${WRK_DURATION:-10}
WRK_CONNECTIONS=${WRK_CONNECTIONS:-64}
PERF=${PERF:-0}

mkdir -p "$OUT_DIR"
WORK=$(mktemp -d /tmp/bklit-bench-XXXXXX)
SERVER_PID=""
NGINX_PID=""
cleanup() {
  [[ -n "$SERVER_PID" ]] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  [[ -n "$NGINX_PID" ]] && kill "$NGINX_PID" 2>/dev/null && wait "$NGINX_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
json_get() {  # json_get FILE python-expression-on-d
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# (a) build ---------------------------------------------------------------------------------
if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  if [[ ! -f "$BUILD_DIR/build.ninja" ]]; then
    cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBKLIT_BENCH=ON
  fi
  log "building bklit, bklit-loadgen and chdb_insert_bench in $BUILD_DIR"
  ninja -C "$BUILD_DIR" -j2 bklit bklit-loadgen chdb_insert_bench >&2
fi
BKLIT=$BUILD_DIR/bklit
LOADGEN=$BUILD_DIR/bklit-loadgen
CHDB_BENCH=$BUILD_DIR/bench/chdb_insert_bench
for bin in "$BKLIT" "$LOADGEN" "$CHDB_BENCH"; do
  [[ -x "$bin" ]] || { echo "missing $bin (build it first)" >&2; exit 1; }
done

{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "nproc: $(nproc)"
  lscpu | head -20
  free -m | head -2
  echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
} > "$OUT_DIR/machine.txt"

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
IDLE_RSS_KB=$(awk '/^VmRSS/ {print $2}' "/proc/$SERVER_PID/status")
grep -E '^(VmRSS|VmHWM|Threads)' "/proc/$SERVER_PID/status" > "$OUT_DIR/idle_status.txt"
log "ready after ${READY_MS} ms; idle RSS $((IDLE_RSS_KB / 1024)) MiB"

create_project() {  # create_project NAME DOMAIN -> JSON line
  "$BKLIT" admin create-project --data-dir "$DATA" --name "$1" --domain "$2" --json
}
P_MAX=$(create_project "Bench max" max.bench.example)
P_RATE=$(create_project "Bench rate" rate.bench.example)
P_WRK=$(create_project "Bench wrk" wrk.bench.example)
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }

run_loadgen() {  # run_loadgen NAME PROJECT_JSON DOMAIN RATE DURATION [extra args...]
  local name=$1 project=$2 domain=$3 rate=$4 duration=$5
  shift 5
  "$LOADGEN" --url "ws://127.0.0.1:$PORT" --project "$(field "$project" project_id)" \
    --token "$(field "$project" ingest_token)" --read-token "$(field "$project" read_token)" \
    --origin "https://$domain" --connections "$CONNECTIONS" --pipeline "$PIPELINE" \
    --http-fraction "$HTTP_FRACTION" --http-batch "$HTTP_BATCH" --threads "$LOADGEN_THREADS" \
    --rate "$rate" --duration "$duration" --verify --json "$OUT_DIR/$name.json" "$@" \
    | tee "$OUT_DIR/$name.txt" >&2
}

# Per-thread CPU of the server and the loadgen in the middle of a run (which thread is busy).
sample_threads() {  # sample_threads DELAY FILE
  sleep "$1"
  local lg
  lg=$(pgrep -n -f "bklit-loadgen --url ws://127.0.0.1:$PORT" || true)
  python3 "$ROOT/bench/thread_cpu.py" 5 "bklit=$SERVER_PID" ${lg:+"loadgen=$lg"} > "$2" 2>&1 || true
}

# (d) max rate ---------------------------------------------------------------------------------
log "loadgen at max rate for ${MAX_DURATION} s ($CONNECTIONS connections, pipeline $PIPELINE)"
sample_threads $((MAX_DURATION / 2)) "$OUT_DIR/threads_max.txt" &
SAMPLER=$!
if [[ "$PERF" == 1 ]]; then
  (sleep $((MAX_DURATION / 3)); perf record -F 499 -g -o "$OUT_DIR/perf.data" -p "$SERVER_PID" \
    -- sleep 10 > /dev/null 2>&1 || echo "perf record failed" > "$OUT_DIR/perf.failed") &
fi
run_loadgen max "$P_MAX" max.bench.example 0 "$MAX_DURATION" || true
wait "$SAMPLER" || true
LOADED_HWM_KB=$(awk '/^VmHWM/ {print $2}' "/proc/$SERVER_PID/status")

# (d) fixed rate with probes ---------------------------------------------------------------------
log "loadgen at $RATE events/s for ${RATE_DURATION} s with ack-to-queryable probes"
sample_threads $((RATE_DURATION / 2)) "$OUT_DIR/threads_rate.txt" &
SAMPLER=$!
run_loadgen rate "$P_RATE" rate.bench.example "$RATE" "$RATE_DURATION" --probe || true
wait "$SAMPLER" || true

# (e) the stored counts, independently of the loadgen ---------------------------------------------
check_stored() {  # check_stored NAME PROJECT_JSON
  local name=$1 project=$2 pid body
  pid=$(field "$project" project_id)
  body='{"site_id":"'$pid'","metrics":["pageviews","events","visits"],"date_range":"day"}'
  curl -s -X POST "http://127.0.0.1:$PORT/api/v2/query" \
    -H "Authorization: Bearer $(field "$project" read_token)" -d "$body" \
    > "$OUT_DIR/${name}_stored.json"
}
check_stored max "$P_MAX"
check_stored rate "$P_RATE"

# (f) wrk: nginx 204 and bklit /api/track with the same bodies ------------------------------------
WRK_PID=$(field "$P_WRK" project_id)
WRK_TOKEN=$(field "$P_WRK" ingest_token)
"$LOADGEN" --project "$WRK_PID" --token "$WRK_TOKEN" --origin https://wrk.bench.example \
  --http-batch "$HTTP_BATCH" --dump-http-body "$WORK/batch.json"
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

# Stop the server (its shutdown time is reported too), then the raw store rate alone.
T_STOP=$(date +%s%N)
kill -TERM "$SERVER_PID"
wait "$SERVER_PID" || true
STOP_MS=$(( ($(date +%s%N) - T_STOP) / 1000000 ))
SERVER_PID=""

# (g) raw chDB insert rate -------------------------------------------------------------------------
log "raw chDB insert rate (20 batches x 5000 events)"
"$CHDB_BENCH" --batches 20 --batch-size 5000 --data-dir "$WORK/chdb" --json "$OUT_DIR/chdb.json" \
  | tee "$OUT_DIR/chdb.txt" >&2

# Summary ----------------------------------------------------------------------------------------
python3 - "$OUT_DIR" "$READY_MS" "$IDLE_RSS_KB" "$LOADED_HWM_KB" "$STOP_MS" "$HTTP_BATCH" "$RATE" \
  <<'PY' | tee "$OUT_DIR/summary.txt"
import json, re, sys
out, ready_ms, idle_kb, hwm_kb, stop_ms, batch, rate = sys.argv[1:8]
batch = int(batch)

def load(name):
    try:
        return json.load(open(f"{out}/{name}"))
    except Exception:
        return None

def wrk(name):
    try:
        text = open(f"{out}/wrk_{name}.txt").read()
    except OSError:
        return None, None, 0
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", text)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    p99_ms = None
    if p99:
        v, unit = float(p99.group(1)), p99.group(2)
        p99_ms = v / 1000 if unit == "us" else v * 1000 if unit == "s" else v
    return (float(rps.group(1)) if rps else None), p99_ms, int(non2xx.group(1)) if non2xx else 0

def stored(name):
    d = load(f"{name}_stored.json")
    try:
        m = d["results"][0]["metrics"]
        return int(m[0]), int(m[1])
    except Exception:
        return None

mx, rt, ch = load("max.json"), load("rate.json"), load("chdb.json")
rows = []
def row(k, v, target=""):
    rows.append((k, v, target))

def verified(d, name):
    if not d:
        return "no run"
    s = stored(name)
    exp = (d["acked_pageviews"] + d["probes"]["acked"], d["acked_events"])
    ok = d["verify"]["matched"] and s == exp
    return (f"{'yes' if ok else 'NO'}: stored {s} vs acked non-bot {exp}"
            f" (+{d['acked_bot']} bot events, excluded from reports)")

e2e = mx["accepted_per_s"] if mx else 0
row("time to ready (spawn -> /readyz 200)", f"{ready_ms} ms", "< 2000 ms")
row("idle RSS after ready", f"{int(idle_kb) / 1024:.0f} MiB", "< 300 MiB")
row("peak RSS after the max-rate run", f"{int(hwm_kb) / 1024:.0f} MiB")
if mx:
    row("max rate: accepted events/s (acked, durable)", f"{e2e:.0f}", ">= 50 000")
    row("max rate: ack latency p50 / p99",
        f"{mx['ack_latency_ms']['p50']:.1f} / {mx['ack_latency_ms']['p99']:.1f} ms")
    row("max rate: errors", json.dumps(mx["errors"]) if mx["errors"] else "none")
    row("max rate: stored == acked", verified(mx, "max"))
    row("max rate: stored after last ack", f"{mx['verify']['seconds_to_match']:.1f} s")
if rt:
    row(f"{int(float(rate))}/s: accepted events/s", f"{rt['accepted_per_s']:.0f}")
    row(f"{int(float(rate))}/s: ack latency p50 / p99 / max",
        f"{rt['ack_latency_ms']['p50']:.1f} / {rt['ack_latency_ms']['p99']:.1f} / "
        f"{rt['ack_latency_ms']['max']:.1f} ms", "p99 < 20 ms")
    p = rt["probes"]["ack_to_queryable_ms"]
    row(f"{int(float(rate))}/s: ack -> queryable p50 / p99 / max",
        f"{p['p50']:.0f} / {p['p99']:.0f} / {p['max']:.0f} ms ({p['samples']} probes, "
        f"{rt['probes']['timed_out']} lost)", "p99 < 2000 ms")
    row(f"{int(float(rate))}/s: errors", json.dumps(rt["errors"]) if rt["errors"] else "none")
    row(f"{int(float(rate))}/s: stored == acked", verified(rt, "rate"))
ngs, ngs_p99, _ = wrk("nginx_single")
ngb, _, _ = wrk("nginx_batch")
bks, bks_p99, bks_bad = wrk("bklit_single")
bkb, bkb_p99, bkb_bad = wrk("bklit_batch")
if ngs:
    row("nginx 204, 1-message body: requests/s", f"{ngs:.0f}")
if ngb:
    row(f"nginx 204, {batch}-message body: requests/s (x{batch} = events/s)",
        f"{ngb:.0f} ({ngb * batch:.0f})")
if bks:
    row("bklit POST /api/track, 1 message: requests/s = events/s",
        f"{bks:.0f} (p99 {bks_p99} ms, non-2xx {bks_bad})")
if bkb:
    row(f"bklit POST /api/track, {batch} messages: events/s",
        f"{bkb * batch:.0f} ({bkb:.0f} req/s, p99 {bkb_p99} ms, non-2xx {bkb_bad})")
raw = None
if ch:
    for ph in ch["phases"]:
        row(f"chDB: {ph['name']}", f"{ph['rows_per_s']:.0f} rows/s")
    raw = ch["phases"][0]["rows_per_s"]
row("graceful stop (SIGTERM -> exit)", f"{stop_ms} ms")
if e2e and ngs:
    row("ratio: bklit end-to-end / nginx 204 (1 event per request)", f"{e2e / ngs:.2f}")
if e2e and ngb:
    row(f"ratio: bklit end-to-end / nginx 204 ({batch} events per request)",
        f"{e2e / (ngb * batch):.3f}")
if e2e and raw:
    row("ratio: bklit end-to-end / raw chDB insert (write_events)", f"{e2e / raw:.2f}")
width = max(len(r[0]) for r in rows)
vwidth = max(len(str(r[1])) for r in rows)
for k, v, t in rows:
    print(f"{k:<{width}}  {v:<{vwidth}}  {t}")
PY
log "results in $OUT_DIR"
