#!/usr/bin/env python3
"""ticker.py HISTORY NODE [PERIOD_MS]: the leader-only command of the
fault-injection runs. Records when it really runs, on CLOCK_MONOTONIC:
cmd_exec at start, then cmd_tick every PERIOD_MS (20) until it is killed.
[cmd_exec, last tick] lies inside the time the command really ran, so two
such intervals that overlap prove two leader commands ran at once
(check_history.py, rule "command")."""
import json
import os
import sys
import time

path, node = sys.argv[1], int(sys.argv[2])
period = (int(sys.argv[3]) if len(sys.argv) > 3 else 20) / 1000.0
fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
pid = os.getpid()
ev = "cmd_exec"
while True:
    line = json.dumps({"t": time.monotonic_ns(), "node": node, "event": ev, "pid": pid}) + "\n"
    os.write(fd, line.encode())   # one write() to an O_APPEND file: never torn
    ev = "cmd_tick"
    time.sleep(period)
