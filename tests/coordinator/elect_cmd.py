#!/usr/bin/env python3
"""elect_cmd.py TAG OUT SECONDS [EXIT]: the command test_elect.sh runs under
`agoractl elect`. Appends "TAG start PID NS" to OUT when it starts and
"TAG stop PID NS" when it ends (NS: CLOCK_MONOTONIC), after SECONDS (then
exits EXIT) or at SIGTERM (then exits 143). A SIGKILL leaves no stop line:
the test then writes "TAG gone PID NS" once it sees the process gone."""
import os
import signal
import sys
import time


def stamp(out, tag, what):
    with open(out, "a", encoding="ascii") as f:
        f.write(f"{tag} {what} {os.getpid()} {time.monotonic_ns()}\n")


def main():
    tag, out, secs = sys.argv[1], sys.argv[2], float(sys.argv[3])
    code = int(sys.argv[4]) if len(sys.argv) > 4 else 0

    def on_term(signo, frame):
        stamp(out, tag, "stop")
        os._exit(143)

    signal.signal(signal.SIGTERM, on_term)
    stamp(out, tag, "start")
    time.sleep(secs)
    stamp(out, tag, "stop")
    sys.exit(code)


if __name__ == "__main__":
    main()
