# The guest side of tests/qemu/guest_kernels_test.cpp (busybox sh): starts
# the real agent on the bundle in /bundle, performs the real syscalls of
# tests/e2e/real_syscalls.h, waits for the alerts, stops the agent with
# SIGTERM, and leaves everything the host checks in $GUEST_RESULTS.
# The test puts TAG, PORT and EXPECTED_ALERTS before this text.
R="$GUEST_RESULTS"
now() { date +%s; }

cat /proc/mounts >"$R/mounts.before"
vigil run --bundle /bundle/pack.bpf.o --output "file:$R/alerts.jsonl,format=json" \
  --status-socket /run/vigil.sock --no-watch 2>"$R/agent.log" &
agent=$!
started=$(now)
while ! grep -q "generation 1 live" "$R/agent.log"; do
  if ! kill -0 "$agent" 2>/dev/null; then
    wait "$agent"
    echo $? >"$R/agent.status"
    echo "the agent exited before going live:"
    cat "$R/agent.log"
    exit 1
  fi
  if [ $(($(now) - started)) -ge 600 ]; then
    echo "the agent was not live after 600 s:"
    cat "$R/agent.log"
    kill -KILL "$agent"
    exit 1
  fi
  sleep 0.2
done
printf %s $(($(now) - started)) >"$R/live.seconds"
cat /proc/mounts >"$R/mounts.after"
vigil status --json --socket /run/vigil.sock >"$R/status.json" 2>&1

vigil-guest-syscalls "$TAG" "$PORT" &
child=$!
wait "$child"
# The child's pid, its exit status, and this shell's pid (its parent).
echo "$child $? $$" >"$R/syscalls"

waited=0
while [ "$(cat "$R/alerts.jsonl" 2>/dev/null | wc -l)" -lt "$EXPECTED_ALERTS" ] && [ $waited -lt 300 ]; do
  sleep 0.1
  waited=$((waited + 1))
done
sleep 1  # an alert too many would arrive now

kill -TERM "$agent"
(sleep 60 && kill -KILL "$agent" 2>/dev/null) &
watchdog=$!
wait "$agent"
echo $? >"$R/agent.status"
kill "$watchdog" 2>/dev/null
echo "--- agent log"
cat "$R/agent.log"
echo "--- $(wc -l <"$R/alerts.jsonl") alerts"
exit 0
