#!/usr/bin/env python3
"""Whole-process comparisons for bench/run.sh: wall time (median, min-max over N runs) and peak RSS of each
command, measured with wait4(2) per child. Prints a markdown table.

    python3 bench/compare.py BINARY GENERATED_DIR [RUNS]
"""

import os
import statistics
import subprocess
import sys
import time


def measure(cmd, cwd, runs):
    times, rss = [], []
    for _ in range(runs):
        with open(os.devnull, "wb") as null:
            t0 = time.perf_counter()
            p = subprocess.Popen(cmd, cwd=cwd, stdout=null, stderr=subprocess.PIPE)
            _, status, ru = os.wait4(p.pid, 0)
            t1 = time.perf_counter()
            err = p.stderr.read().decode(errors="replace")
            p.stderr.close()
            p.returncode = os.waitstatus_to_exitcode(status)
        if p.returncode not in (0, 1):
            raise SystemExit("%s failed (%d): %s" % (" ".join(cmd), p.returncode, err[:500]))
        times.append((t1 - t0) * 1e3)
        rss.append(ru.ru_maxrss / 1024)
    return times, max(rss)


def fmt(times):
    return "%.0f (%.0f-%.0f)" % (statistics.median(times), min(times), max(times)) if statistics.median(times) >= 10 else \
        "%.1f (%.1f-%.1f)" % (statistics.median(times), min(times), max(times))


def loadavg():
    return open("/proc/loadavg").read().split()[:3]


def main():
    binary, gen = sys.argv[1], sys.argv[2]
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    slow_runs = max(1, runs // 2)
    print("load average before: %s (%d CPUs)" % (" ".join(loadavg()), os.cpu_count()))
    print()
    print("| input | ours ms median (min-max) | ours peak RSS MB | theirs | theirs ms median (min-max) | theirs peak RSS MB | theirs/ours |")
    print("|---|---|---|---|---|---|---|")
    growth = {}
    rows = []
    for n in [10, 100, 1000, 10000]:
        d = os.path.join(gen, "nginx-%d" % n)
        ours, ours_rss = measure([binary, "parse", "nginx", "nginx.conf"], d, runs)
        theirs, theirs_rss = measure(["crossplane", "parse", "nginx.conf"], d, slow_runs)
        growth.setdefault("parse nginx", []).append((n, statistics.median(ours)))
        rows.append(("nginx %d servers" % n, ours, ours_rss, "crossplane parse", theirs, theirs_rss))
    for s in [10, 100, 1000]:
        d = os.path.join(gen, "compose-%d" % s)
        ours, ours_rss = measure([binary, "parse", "compose"], d, runs)
        theirs, theirs_rss = measure(["docker-compose", "config", "-q"], d, slow_runs)
        growth.setdefault("parse compose", []).append((s, statistics.median(ours)))
        rows.append(("compose %d services" % s, ours, ours_rss, "docker-compose config -q", theirs, theirs_rss))
    for s in [10, 100, 1000]:
        d = os.path.join(gen, "project-%d" % s)
        ours, ours_rss = measure([binary, "check", "--offline", "-q"], d, runs)
        a, a_rss = measure(["docker-compose", "config", "-q"], d, slow_runs)
        b, b_rss = measure(["crossplane", "parse", "nginx/nginx.conf"], d, slow_runs)
        theirs = [x + y for x, y in zip(a, b)]
        growth.setdefault("check --offline", []).append((s, statistics.median(ours)))
        rows.append(("project %d services + %d servers" % (s, 10 * s), ours, ours_rss,
                     "docker-compose config -q + crossplane parse", theirs, max(a_rss, b_rss)))
    for name, ours, ours_rss, what, theirs, theirs_rss in rows:
        print("| %s | %s | %.0f | %s | %s | %.0f | %.0fx |" % (
            name, fmt(ours), ours_rss, what, fmt(theirs), theirs_rss,
            statistics.median(theirs) / statistics.median(ours)))
    print()
    print("growth of our median time for 10x the input (linear: 10x; the smallest inputs are dominated by process start):")
    for name, pts in growth.items():
        steps = ["%d->%d: %.1fx" % (a[0], b[0], b[1] / a[1]) for a, b in zip(pts, pts[1:])]
        print("  %s: %s" % (name, ", ".join(steps)))
    print()
    print("load average after: %s" % " ".join(loadavg()))


if __name__ == "__main__":
    main()
