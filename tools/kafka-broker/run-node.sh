#!/usr/bin/env bash
# Runs one Kafka node (`java "$@"`) and ties its life to our caller's: the caller holds our stdin, and when it
# closes (the caller exited, even by kill -9) the node is stopped with SIGTERM, then SIGKILL after 10 s. Without
# this a JVM would outlive a crashed test run and keep its ports. Prints "pid=<java's pid>" first, so the caller
# signals the JVM itself (kill -9, SIGSTOP for fault injection), and exits with the JVM's status.
set -uo pipefail

# A background job's stdin is /dev/null: keep ours on fd 3 for the watcher.
exec 3<&0
java "$@" </dev/null 3<&- &
node_pid=$!
echo "pid=$node_pid"

(
  while read -r _ <&3; do :; done
  kill -TERM "$node_pid" 2>/dev/null || exit 0
  for _ in $(seq 100); do
    kill -0 "$node_pid" 2>/dev/null || exit 0
    sleep 0.1
  done
  kill -CONT "$node_pid" 2>/dev/null
  kill -KILL "$node_pid" 2>/dev/null
) &
watcher=$!

wait "$node_pid"
status=$?
kill "$watcher" 2>/dev/null
exit "$status"
