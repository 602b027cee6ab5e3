#!/bin/sh
# leader_cmd_demo.sh NAME FILE: a stand-in for the leader-only command
# (Jupyter in the original setup): appends "NAME TIME" to FILE every 0.2 s
# while it runs, and says when it starts and stops.
name=$1 out=$2
trap 'echo "$name stopping (SIGTERM)"; echo "$name stop $(date +%s.%N)" >>"$out"; exit 0' TERM
echo "$name started, writing to $out"
echo "$name start $(date +%s.%N)" >>"$out"
while :; do
    echo "$name tick $(date +%s.%N)" >>"$out"
    sleep 0.2
done
