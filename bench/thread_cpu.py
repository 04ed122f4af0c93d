#!/usr/bin/env python3
"""Per-thread CPU of some processes over an interval, from /proc (top -H mislabels rows).

Usage: thread_cpu.py SECONDS LABEL=PID [LABEL=PID ...]
Prints each thread's share of one core, each process's total, and how busy the whole
machine was (so CPU taken by other processes shows up too).
"""
import os
import sys
import time

HZ = os.sysconf("SC_CLK_TCK")


def system_jiffies():
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields), idle


def threads(pid):
    out = {}
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{tid}/stat") as f:
                    raw = f.read()
                comm = raw[raw.index("(") + 1 : raw.rindex(")")]
                rest = raw[raw.rindex(")") + 2 :].split()
                out[int(tid)] = (comm, int(rest[11]) + int(rest[12]))
            except (OSError, ValueError):
                pass
    except OSError:
        pass
    return out


def main():
    seconds = float(sys.argv[1])
    procs = [arg.split("=", 1) for arg in sys.argv[2:]]
    before = {pid: threads(pid) for _, pid in procs}
    total0, idle0 = system_jiffies()
    t0 = time.monotonic()
    time.sleep(seconds)
    elapsed = time.monotonic() - t0
    total1, idle1 = system_jiffies()
    after = {pid: threads(pid) for _, pid in procs}
    ncpu = os.cpu_count() or 1
    busy = 100.0 * (1 - (idle1 - idle0) / max(1, total1 - total0))
    print(f"interval {elapsed:.1f} s, {ncpu} CPUs, machine busy {busy:.0f}% "
          f"(= {busy * ncpu / 100:.2f} cores)")
    ours = 0.0
    for label, pid in procs:
        rows = []
        for tid, (comm, ticks) in after[pid].items():
            prev = before[pid].get(tid, (comm, 0))[1]
            pct = 100.0 * (ticks - prev) / HZ / elapsed
            rows.append((pct, tid, comm))
        rows.sort(reverse=True)
        total = sum(r[0] for r in rows)
        ours += total
        print(f"{label} (pid {pid}): {total:.0f}% of one core in {len(rows)} threads")
        for pct, tid, comm in rows:
            if pct >= 1.0:
                print(f"  {tid:>8} {comm:<16} {pct:5.1f}%")
    others = busy * ncpu - ours
    print(f"everything else on the machine: {max(0.0, others):.0f}% of one core")


if __name__ == "__main__":
    main()
