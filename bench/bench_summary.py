#!/usr/bin/env python3
"""The summary of one bench/run_bench.sh run, from the files it left in OUT_DIR.

Usage: bench_summary.py OUT_DIR
"""
import json
import os
import re
import sys

SHAPE_LABEL = {
    "persistent50": "(a) persistent, 50 sockets x 10 in flight",
    "realistic": "(b) realistic sessions",
    "persistent500": "(a) persistent, 500 sockets x 10 in flight",
    "http": "batched HTTP",
}
# A max-rate figure counts as sustained end to end only when the store's lag at the stop is
# at most this many seconds of traffic (issue 7).
MAX_LAG_S = 2.0


def main():
    out = sys.argv[1]
    meta = {}
    try:
        for line in open(os.path.join(out, "meta.env")):
            k, _, v = line.rstrip("\n").partition("=")
            meta[k] = v
    except OSError:
        pass
    shapes = meta.get("shapes", "").split()
    batch = int(meta.get("http_batch", "20") or 20)

    def load(name):
        try:
            return json.load(open(os.path.join(out, name)))
        except (OSError, ValueError):
            return None

    def text(name):
        try:
            return open(os.path.join(out, name)).read()
        except OSError:
            return None

    def kv(name):
        t = text(name)
        if t is None:
            return None
        return dict(line.split("=", 1) for line in t.split() if "=" in line)

    rows = []

    def row(k, v="", target=""):
        rows.append((k, str(v), target))

    def section(title):
        rows.append((None, title, ""))

    def ms(p):
        return f"{p['p50']:.1f} / {p['p99']:.1f} ms"

    def errors(d):
        e = dict(d["errors"])
        if d.get("unanswered"):
            e["unanswered"] = d["unanswered"]
        return json.dumps(e) if e else "none"

    def stored_ok(d, name):
        s = load(f"{name}_stored.json")
        try:
            m = s["results"][0]["metrics"]
            got = (int(m[0]), int(m[1]))
        except (TypeError, KeyError, IndexError, ValueError):
            got = None
        exp = (d["acked_pageviews"] + d["probes"]["acked"], d["acked_events"])
        ok = d["verify"]["matched"] and got == exp
        after = d["verify"].get("seconds_after_stop_to_match", 0)
        detail = f"{after:.1f} s after the stop" if ok else d["verify"]["error"] or "mismatch"
        return f"{'yes' if ok else 'NO'}: {exp[0]} pageviews + {exp[1]} events ({detail})"

    def lag(d):
        a = d.get("at_stop")
        if not a or not a["ran"]:
            return "not measured", None
        if not a["ok"]:
            return f"not measured ({a['error']})", None
        s = a["lag_seconds_of_traffic"]
        return (f"{a['lag_events']} events = {s:.2f} s of traffic "
                f"(acked {a['acked_before_stop']}, queryable {a['stored']})"), s

    def cpu(name):
        t = text(f"threads_{name}.txt")
        if not t:
            return None
        busy = re.search(r"machine busy (\d+)%", t)
        server = re.search(r"^server \(pid \d+\): (\d+)% of one core in (\d+) threads", t, re.M)
        loadgen = re.search(r"^loadgen \(pid \d+\): (\d+)%", t, re.M)
        server_block = t.split("\nloadgen (pid", 1)[0]
        top = re.findall(r"^\s+\d+ (\S.{0,15}?)\s+([\d.]+)%$", server_block, re.M)
        parts = []
        if busy:
            parts.append(f"machine {busy.group(1)}%")
        if server:
            parts.append(f"server {server.group(1)}%")
        if loadgen:
            parts.append(f"loadgen {loadgen.group(1)}%")
        if top:
            parts.append("top server threads " + ", ".join(f"{c} {p}%" for c, p in top[:4]))
        return "; ".join(parts)

    def cpu_us_per_event(name, rate_s):
        t = text(f"threads_{name}.txt")
        m = t and re.search(r"^server \(pid \d+\): (\d+)% of one core", t, re.M)
        if not m or rate_s <= 0:
            return None
        return f"{float(m.group(1)) / 100 * 1e6 / rate_s:.0f} us"

    section("server")
    row("time to ready (spawn -> /readyz 200)", f"{meta.get('ready_ms', '?')} ms", "< 2000 ms")
    if meta.get("idle_rss_kb"):
        row("idle RSS after ready", f"{int(meta['idle_rss_kb']) / 1024:.0f} MiB", "< 300 MiB")
    if meta.get("loaded_hwm_kb"):
        row("peak RSS after the max-rate runs", f"{int(meta['loaded_hwm_kb']) / 1024:.0f} MiB")
    if meta.get("stop_ms"):
        row("graceful stop (SIGTERM -> exit)", f"{meta['stop_ms']} ms")

    def idle_row(name, label, target=""):
        mem, d = kv(f"idle_{name}.mem"), load(f"idle_{name}.json")
        if not mem or not d:
            return
        n = d["idle_authenticated"]
        if n <= 0:
            row(f"{label}: idle sockets", "none authenticated", target)
            return
        delta = int(mem["with_sockets_kb"]) - int(mem["before_kb"])
        kept = int(mem["after_close_kb"]) - int(mem["before_kb"])
        row(f"{label}: RSS per idle socket ({n} authenticated)",
            f"{delta * 1024 / n / 1024:.1f} KiB (+{delta / 1024:.0f} MiB with the sockets, "
            f"{kept / 1024:+.0f} MiB after they closed; {mem['server_fds']} fds open)", target)

    idle_row("bklit", "bklit", "< 20 KB")
    idle_row("ceiling", "WebSocket ceiling")

    ours = {}
    for shape in shapes:
        d = load(f"max_{shape}.json")
        if not d:
            continue
        section(f"max rate, {SHAPE_LABEL.get(shape, shape)}: {d['connections']} connections, "
                f"{d['duration_s']:.0f} s")
        lag_text, lag_s = lag(d)
        sustained = lag_s is not None and lag_s <= MAX_LAG_S
        ours[shape] = (d["accepted_per_s"], sustained)
        row("accepted events/s (acked, durable)", f"{d['accepted_per_s']:.0f}", ">= 50 000")
        row("ack latency p50 / p99", ms(d["ack_latency_ms"]))
        row("store lag when the load stopped", lag_text, f"<= {MAX_LAG_S:.0f} s of traffic")
        row("sustained end to end (lag within bound)", "yes" if sustained else "NO")
        row("stored == acked", stored_ok(d, f"max_{shape}"))
        row("errors", errors(d))
        c = cpu(f"max_{shape}")
        if c:
            row("per-thread CPU (threads_max_" + shape + ".txt)", c)
        per_event = cpu_us_per_event(f"max_{shape}", d["accepted_per_s"])
        if per_event:
            row("server CPU per accepted event (5 s sample)", per_event)

    rate = meta.get("rate", "10000")
    for name, shape, r in [(f"rate_{s}", s, rate) for s in shapes] + [
            ("rate_low", "realistic", meta.get("low_rate", "1000"))]:
        d = load(f"{name}.json")
        if not d:
            continue
        section(f"{int(float(r))} events/s, open loop, {SHAPE_LABEL.get(shape, shape)}")
        row("accepted events/s", f"{d['accepted_per_s']:.0f}")
        row("ack latency p50 / p99 / max",
            f"{ms(d['ack_latency_ms'])[:-3]} / {d['ack_latency_ms']['max']:.1f} ms", "p99 < 20 ms")
        p = d["probes"]["ack_to_queryable_ms"]
        row("ack -> queryable p50 / p99",
            f"{p['p50']:.0f} / {p['p99']:.0f} ms ({p['samples']} probes, "
            f"{d['probes']['timed_out']} lost)", "p99 < 2000 ms")
        lag_text, _ = lag(d)
        row("store lag when the load stopped", lag_text)
        row("stored == acked", stored_ok(d, name))
        row("errors", errors(d))

    def wrk(name):
        t = text(f"wrk_{name}.txt")
        if not t:
            return None, None, 0
        rps = re.search(r"Requests/sec:\s+([\d.]+)", t)
        p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", t)
        bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", t)
        p99_ms = None
        if p99:
            v, unit = float(p99.group(1)), p99.group(2)
            p99_ms = v / 1000 if unit == "us" else v * 1000 if unit == "s" else v
        return (float(rps.group(1)) if rps else None), p99_ms, int(bad.group(1)) if bad else 0

    section("ceilings, same run")
    ceilings = {}
    for shape in shapes:
        d = load(f"ceiling_{shape}.json")
        if not d:
            continue
        ceilings[shape] = d["accepted_per_s"]
        row(f"WebSocket ceiling, {SHAPE_LABEL.get(shape, shape)}",
            f"{d['accepted_per_s']:.0f} events/s (ack p50 / p99 {ms(d['ack_latency_ms'])}, "
            f"errors {errors(d)})")
        c = cpu(f"ceiling_{shape}")
        if c:
            row("  per-thread CPU", c)
    ngs, _, _ = wrk("nginx_single")
    ngb, _, _ = wrk("nginx_batch")
    bks, bks_p99, bks_bad = wrk("bklit_single")
    bkb, bkb_p99, bkb_bad = wrk("bklit_batch")
    if ngs:
        row("nginx 204, 1-message body: requests/s", f"{ngs:.0f}")
    if ngb:
        row(f"nginx 204, {batch}-message body: requests/s (x{batch} = events/s)",
            f"{ngb:.0f} ({ngb * batch:.0f})")
    if bks:
        row("bklit POST /api/track (wrk), 1 message: events/s",
            f"{bks:.0f} (p99 {bks_p99} ms, non-2xx {bks_bad})")
    if bkb:
        row(f"bklit POST /api/track (wrk), {batch} messages: events/s",
            f"{bkb * batch:.0f} ({bkb:.0f} req/s, p99 {bkb_p99} ms, non-2xx {bkb_bad})")
    raw = None
    ch = load("chdb.json")
    if ch:
        for ph in ch["phases"]:
            row(f"chDB: {ph['name']}", f"{ph['rows_per_s']:.0f} rows/s")
        raw = ch["phases"][0]["rows_per_s"]

    section("ratios (bklit max rate / ceiling)")
    for shape, (rate_s, sustained) in ours.items():
        note = "" if sustained else " (store lag above bound)"
        label = SHAPE_LABEL.get(shape, shape)
        if shape in ceilings and ceilings[shape]:
            row(f"{label} / WebSocket ceiling", f"{rate_s / ceilings[shape]:.2f}{note}")
        if shape == "http" and ngb:
            row(f"{label} / nginx 204 ({batch} events per request)",
                f"{rate_s / (ngb * batch):.3f}{note}")
        elif shape != "http" and ngs:
            row(f"{label} / nginx 204 (1 event per request)", f"{rate_s / ngs:.2f}{note}")
        if raw:
            row(f"{label} / raw chDB insert (write_events)", f"{rate_s / raw:.2f}{note}")

    for shape in meta.get("perf_shapes", meta.get("perf_shape", "")).split():
        top = text(f"profile_top_{shape}.txt")
        if not top:
            continue
        prof = load(f"profile_{shape}.json")
        rate_note = f", {prof['accepted_per_s']:.0f} events/s while sampled" if prof else ""
        section(f"flat profile of the server, max rate {shape} in a run of its own"
                f" (profile_{shape}.txt; perf record -e cpu-clock{rate_note})")
        for line in top.splitlines():
            row("  " + " ".join(line.split()))
        dso = text(f"profile_dso_{shape}.txt")
        if dso:
            row("  by library: " + "; ".join(" ".join(line.split()) for line in dso.splitlines()))
        threads = text(f"profile_threads_{shape}.txt")
        if threads:
            row("  by thread: " + "; ".join(" ".join(line.split()) for line in threads.splitlines()))

    section(f"machine: load average {meta.get('load_before', '?')} before, "
            f"{meta.get('load_after', '?')} after"
            + ("; SHORT=1 (20 s runs: tooling check, not a result)" if meta.get("short") == "1"
               else ""))

    keyed = [r for r in rows if r[0] is not None]
    width = min(60, max(len(r[0]) for r in keyed)) if keyed else 20
    for k, v, t in rows:
        if k is None:
            print(f"\n== {v}")
        elif v == "":
            print(k)
        else:
            print(f"{k:<{width}}  {v}{'   [target ' + t + ']' if t else ''}")


if __name__ == "__main__":
    main()
