#!/usr/bin/env bash
# Builds the CetusGuard image and runs it on the real Docker daemon the way the deployment guide
# users copy does (seed 001): read-only, 64 MiB, all capabilities dropped, no-new-privileges, the
# daemon socket mounted read-only and reached through its group (--group-add), the "high trust"
# rules. Then drives the docker CLI through it and checks the container stayed healthy and was
# never OOM-killed, that its log carries no JVM notes, and that a proxy whose rules allow nothing
# (CETUSGUARD_NO_BUILTIN_RULES=true) is healthy too. Exits non-zero on the first failure; removes
# what it started.
#
# Usage: bash examples/run-image.sh
# Environment: IMAGE (default cetusguard-test/cetusguard:latest), SKIP_BUILD=1 (use IMAGE as is),
#              PORT, PORT2, PORT3 (loopback ports of the three proxies it runs: the guide's, one
#              without the socket's group, one without rules; default: free ones), DOCKER_CLI
#              (default: the test bed's choice, the 28.x CLI in /usr/local/bin if present).
#
# Here there is no bridge networking, so the proxy runs with --network host on a loopback port;
# a real deployment publishes nothing and puts the clients on a dedicated network instead (see
# examples/compose/).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

IMAGE="${IMAGE:-cetusguard-test/cetusguard:latest}"
TEST_IMAGE=cetusguard-test/busybox:latest
SOCK=/var/run/docker.sock
NAME="cg-img-run-$$"
T0=$SECONDS

log() { printf '[run-image %3ds] %s\n' $((SECONDS - T0)) "$*" >&2; }
fail() { printf '[run-image %3ds] FAILED: %s\n' $((SECONDS - T0)) "$*" >&2; exit 1; }

DOCKER_CFG="$(mktemp -d /tmp/cg-img-docker-config.XXXXXX)"
CONTAINERS=("$NAME")
cleanup() {
  local rc=$?
  if [ "$rc" -ne 0 ] && direct inspect "$NAME" >/dev/null 2>&1; then
    echo "--- last lines of the proxy's log:" >&2
    direct logs --tail 30 "$NAME" >&2 2>&1 || true
  fi
  direct rm -f "${CONTAINERS[@]}" >/dev/null 2>&1 || true
  rm -rf "$DOCKER_CFG"
  log "exit $rc"
}
trap cleanup EXIT

# --- the test bed: a daemon on the default socket and the busybox test image ---------------------
bash src/test/scripts/testbed.sh up
CLI="${DOCKER_CLI:-$(bash src/test/scripts/testbed.sh docker-cli)}"
direct() { env -u DOCKER_CONTEXT -u DOCKER_TLS_VERIFY -u DOCKER_CERT_PATH DOCKER_HOST="unix://$SOCK" DOCKER_CONFIG="$DOCKER_CFG" "$CLI" "$@"; }

if [ "${SKIP_BUILD:-}" != 1 ]; then
  tb=$SECONDS
  bash examples/build-image.sh "$IMAGE"
  log "image built in $((SECONDS - tb))s"
fi
direct image inspect "$IMAGE" >/dev/null || fail "no image $IMAGE"

free_port() {
  local p
  for p in $(shuf -i 20000-29999 -n 50); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  fail "no free loopback port found"
}
PORT="${PORT:-$(free_port)}"
PROXY="tcp://127.0.0.1:$PORT"
proxied() { env -u DOCKER_CONTEXT -u DOCKER_TLS_VERIFY -u DOCKER_CERT_PATH DOCKER_HOST="$PROXY" DOCKER_CONFIG="$DOCKER_CFG" "$CLI" "$@"; }

# The deployment guide's "high trust" tier (seed 001), verbatim.
RULES='GET %API_PREFIX_EVENTS%
GET,HEAD,POST %API_PREFIX_EXEC%(/.*)?
GET,HEAD,POST %API_PREFIX_CONTAINERS%(/.*)?
GET,HEAD %API_PREFIX_IMAGES%(/.*)?
GET,HEAD %API_PREFIX_VOLUMES%(/.*)?
GET,HEAD %API_PREFIX_NETWORKS%(/.*)?
GET,HEAD %API_PREFIX_BUILD%(/.*)?'

sock_gid="$(stat -c %g "$SOCK")"
log "starting $IMAGE as $NAME on $PROXY (socket group $sock_gid)"
ts=$SECONDS
direct run -d --name "$NAME" \
  --read-only --memory 64m --memory-swap 64m --memory-reservation 32m \
  --cap-drop ALL --security-opt no-new-privileges \
  --network host \
  -v "$SOCK:$SOCK:ro" --group-add "$sock_gid" \
  -e CETUSGUARD_BACKEND_ADDR="unix://$SOCK" \
  -e CETUSGUARD_FRONTEND_ADDR="$PROXY" \
  -e CETUSGUARD_LOG_LEVEL=7 \
  -e CETUSGUARD_RULES="$RULES" \
  --health-interval 2s --health-start-period 10s \
  "$IMAGE" >/dev/null

# Ready when the proxy answers (the image's HEALTHCHECK is checked further down).
deadline=$((SECONDS + 30))
until proxied version >/dev/null 2>&1; do
  [ "$(direct inspect --format '{{.State.Running}}' "$NAME")" = true ] || fail "the container stopped"
  [ "$SECONDS" -lt "$deadline" ] || fail "no answer on $PROXY within 30 s"
  sleep 0.2
done
log "ok: proxy answers after $((SECONDS - ts))s"

wait_healthy() { # wait_healthy CONTAINER WHAT: until its health check passes (60 s at most)
  local deadline=$((SECONDS + 60))
  until [ "$(direct inspect --format '{{.State.Health.Status}}' "$1")" = healthy ]; do
    [ "$SECONDS" -lt "$deadline" ] || fail "$2: not healthy within 60 s: $(direct inspect --format '{{json .State.Health}}' "$1")"
    sleep 1
  done
  log "ok: $2: healthy ($(direct inspect --format '{{range .State.Health.Log}}{{.Output}}{{end}}' "$1" | grep . | tail -n 1))"
}

check() { # check DESCRIPTION EXPECTED ACTUAL
  [ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"
  log "ok: $1 -> $3"
}

# version: the daemon's, seen through the proxy.
check "docker version (server)" "$(direct version --format '{{.Server.Version}}')" \
  "$(proxied version --format '{{.Server.Version}}')"

# ps: lists what the daemon lists (the proxy's own container at least).
grep -qx "$NAME" <<<"$(proxied ps --format '{{.Names}}')" || fail "docker ps through the proxy does not list $NAME"
log "ok: docker ps lists $NAME"

# run --rm -i with stdin: create, attach (hijacked, half-closed at EOF), start, wait, auto-remove.
check "docker run --rm -i (stdin piped)" 2 \
  "$(printf 'a\nb\n' | proxied run --rm -i --network none "$TEST_IMAGE" wc -l | tr -d ' ')"

# exec -i and logs on a running container.
c="cg-img-run-$$-box"
CONTAINERS+=("$c")
proxied run -d --name "$c" --network none "$TEST_IMAGE" sh -c 'echo hello from busybox; exec sleep 60' >/dev/null
check "docker exec -i (stdin piped)" hi "$(echo hi | proxied exec -i "$c" cat)"
check "docker logs" "hello from busybox" "$(proxied logs "$c")"

# events (bounded): the container's start is in there.
now="$(date +%s)"
events="$(proxied events --since $((now - 120)) --until $((now + 1)) --filter "container=$c" --format '{{.Action}}')"
grep -qx start <<<"$events" || fail "docker events through the proxy does not show the start of $c: $events"
log "ok: docker events"

# A denied call: DELETE is not in the rules; the container must still be there afterwards.
out="$(proxied rm -f "$c" 2>&1)" && fail "docker rm through the proxy succeeded: $out"
case "$out" in
  *"forbidden by CetusGuard: DELETE /v"*"/containers/$c"*) log "ok: denied: $out" ;;
  *) fail "docker rm: unexpected error: $out" ;;
esac
direct inspect "$c" >/dev/null || fail "$c is gone although the DELETE was denied"
proxied volume create "cg-img-run-$$-vol" >/dev/null 2>&1 && fail "docker volume create through the proxy succeeded"
log "ok: denied: docker volume create"

# Some load while the health check runs every 2 s: 40 ps and 8 run -i in parallel.
tl=$SECONDS
load() { # load WHAT COMMAND...: run it, and on failure record its exit code and output
  local what="$1" out rc=0
  shift
  out="$("$@" 2>&1 >/dev/null)" || rc=$?
  if [ "$rc" -ne 0 ]; then printf '%s: exit %s: %s\n' "$what" "$rc" "$out" >>"$DOCKER_CFG/errors"; fi
  return "$rc"
}
pids=()
for i in $(seq 1 40); do load "ps #$i" proxied ps -a & pids+=($!); done
for i in $(seq 1 8); do load "run -i #$i" proxied run --rm -i --network none "$TEST_IMAGE" cat <<<"$i" & pids+=($!); done
failed=0
for p in "${pids[@]}"; do wait "$p" || failed=$((failed + 1)); done
[ "$failed" -eq 0 ] || fail "$failed of ${#pids[@]} parallel docker commands failed: $(cat "$DOCKER_CFG/errors")"
log "ok: 40 ps + 8 run -i in parallel in $((SECONDS - tl))s"

# Issue 11's "twice the moderate load", at 64 MiB: 16 connections on the container list and 16 on an
# inspect (wrk), 8 /events and 8 `logs -f` followers (curl), for DOUBLE_LOAD_S seconds. Every request
# must succeed and every follower stay connected to the end (curl's exit 28: its own time limit).
if command -v wrk >/dev/null 2>&1; then
  dl=${DOUBLE_LOAD_S:-20}
  fpids=()
  for i in $(seq 1 8); do
    curl -sN -o /dev/null --max-time "$dl" "http://127.0.0.1:$PORT/v1.41/events" & fpids+=($!)
    curl -sN -o /dev/null --max-time "$dl" "http://127.0.0.1:$PORT/v1.41/containers/$c/logs?follow=1&stdout=1&stderr=1" & fpids+=($!)
  done
  wrk -t1 -c16 -d"${dl}s" "http://127.0.0.1:$PORT/v1.41/containers/json?all=1" >"$DOCKER_CFG/wrk-list" &
  wl=$!
  wrk -t1 -c16 -d"${dl}s" "http://127.0.0.1:$PORT/v1.41/containers/$c/json" >"$DOCKER_CFG/wrk-inspect"
  wait "$wl"
  broken=0
  for p in "${fpids[@]}"; do rc=0; wait "$p" || rc=$?; [ "$rc" -eq 28 ] || broken=$((broken + 1)); done
  for w in list inspect; do
    out="$(cat "$DOCKER_CFG/wrk-$w")"
    if grep -q -e "Socket errors" -e "Non-2xx" <<<"$out"; then fail "double load, $w: $(grep -e 'Socket errors' -e 'Non-2xx' <<<"$out")"; fi
    log "ok: double load, $w: $(awk '/Requests\/sec/ { print $2 }' <<<"$out") req/s at 16 connections, no error"
  done
  [ "$broken" -eq 0 ] || fail "double load: $broken of ${#fpids[@]} followers did not stay connected"
  log "ok: double load: ${#fpids[@]} followers connected for ${dl}s"
else
  log "wrk is not installed: the double load is skipped (CI installs it)"
fi

# Healthy, never OOM-killed, still running; how much memory it used (cgroup v1 or v2).
wait_healthy "$NAME" health
# No JVM of the image prints "NOTE: Picked up JDK_JAVA_OPTIONS" (its flags are in its runtime), neither
# the proxy's nor the health check's; and those flags are in force ({jimage}: from the runtime).
notes="$( (direct logs "$NAME" 2>&1; direct inspect --format '{{range .State.Health.Log}}{{.Output}}{{end}}' "$NAME") | grep -c 'Picked up' || true)"
check "JVM notes in the log and the health checks" 0 "$notes"
flags="$(direct exec "$NAME" /opt/java/bin/java -Xint -Xms4m -Xmx8m -XX:+PrintFlagsFinal -version 2>/dev/null \
  | awk '$2 == "UseSerialGC" || $2 == "ArchiveRelocationMode" || $2 == "UsePerfData" { print $2 "=" $4 " " $NF }' | sort | tr '\n' ' ')"
check "JVM flags from the image's runtime" "ArchiveRelocationMode=0 {jimage} UsePerfData=false {jimage} UseSerialGC=true {jimage} " "$flags"
check "State.OOMKilled" false "$(direct inspect --format '{{.State.OOMKilled}}' "$NAME")"
check "State.Running" true "$(direct inspect --format '{{.State.Running}}' "$NAME")"
check "user" 10001:10001 "$(direct inspect --format '{{.Config.User}}' "$NAME")"
id="$(direct inspect --format '{{.Id}}' "$NAME")"
for d in "/sys/fs/cgroup/memory/docker/$id" "/sys/fs/cgroup/system.slice/docker-$id.scope" "/sys/fs/cgroup/docker/$id"; do
  if [ -r "$d/memory.max_usage_in_bytes" ]; then
    log "memory: peak $(($(cat "$d/memory.max_usage_in_bytes") / 1048576)) MiB, now $(($(cat "$d/memory.usage_in_bytes") / 1048576)) MiB (rss $(($(awk '$1 == "total_rss" { print $2 }' "$d/memory.stat") / 1048576)) MiB) of 64 MiB"
    break
  elif [ -r "$d/memory.peak" ]; then
    log "memory: peak $(($(cat "$d/memory.peak") / 1048576)) MiB, now $(($(cat "$d/memory.current") / 1048576)) MiB of 64 MiB"
    break
  fi
done

# The proxy logged the denied calls.
grep -q "denied request: DELETE /v[0-9.]*/containers/$c" <<<"$(direct logs "$NAME" 2>&1)" \
  || fail "the proxy's log has no 'denied request: DELETE' line"
log "ok: the denial is in the proxy's log"

# Without the socket's group the non-root user cannot reach the daemon: 502, not a crash.
n2="cg-img-run-$$-nogroup"
CONTAINERS+=("$n2")
port2="${PORT2:-$(free_port)}"
direct run -d --name "$n2" --read-only --memory 64m --cap-drop ALL --security-opt no-new-privileges \
  --network host -v "$SOCK:$SOCK:ro" -e CETUSGUARD_FRONTEND_ADDR="tcp://127.0.0.1:$port2" "$IMAGE" >/dev/null
deadline=$((SECONDS + 30))
until out="$(env DOCKER_HOST="tcp://127.0.0.1:$port2" DOCKER_CONFIG="$DOCKER_CFG" "$CLI" version --format '{{.Server.Version}}' 2>&1)"; \
      [[ "$out" == *"CetusGuard cannot reach the Docker daemon"* ]]; do
  [ "$SECONDS" -lt "$deadline" ] || fail "without --group-add: expected a 502 from the proxy, got: $out"
  sleep 0.3
done
log "ok: without --group-add: $(printf '%s' "$out" | tail -n 1)"

# Rules that allow nothing, not even /_ping: the health check looks at the proxy and the daemon, not
# at what the rules allow, so the container is healthy.
n3="cg-img-run-$$-norules"
CONTAINERS+=("$n3")
port3="${PORT3:-$(free_port)}"
direct run -d --name "$n3" --read-only --memory 64m --cap-drop ALL --security-opt no-new-privileges \
  --network host -v "$SOCK:$SOCK:ro" --group-add "$sock_gid" -e CETUSGUARD_FRONTEND_ADDR="tcp://127.0.0.1:$port3" \
  -e CETUSGUARD_NO_BUILTIN_RULES=true --health-interval 1s --health-start-period 10s "$IMAGE" >/dev/null
wait_healthy "$n3" "without rules"

log "all checks passed in $((SECONDS - T0))s"
