#!/usr/bin/env python3
"""check_history.py HISTORY...: the leader-only commands of several agorads
never ran at the same instant. Each history (coordinator/history.h) holds
cmd_started / cmd_stopped events stamped on the one machine's monotonic
clock; cmd_started is stamped before the fork and cmd_stopped after the
whole process group is gone, so the recorded intervals contain the real
ones. A command still running at the end lasts until +infinity.
Prints the intervals; exit 0 if none overlap, 1 otherwise."""
import json
import sys

intervals = []
for path in sys.argv[1:]:
    start = None
    node = path
    with open(path) as f:
        for line in f:
            e = json.loads(line)
            node = e.get("node", node)
            if e["event"] == "cmd_started":
                start = e["t"]
            elif e["event"] == "cmd_stopped" and start is not None:
                intervals.append((start, e["t"], e["node"]))
                start = None
    if start is not None:
        intervals.append((start, float("inf"), node))
intervals.sort(key=lambda i: i[0])
bad = 0
for i, (a, b, node) in enumerate(intervals):
    print("    node %s: command %.3f .. %s" % (node, a / 1e9, "running" if b == float("inf") else "%.3f" % (b / 1e9)))
    if i > 0 and a < intervals[i - 1][1]:
        print("    OVERLAP with the previous interval")
        bad = 1
sys.exit(bad)
