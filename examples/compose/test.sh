#!/usr/bin/env bash
# Checks the compose examples on this machine: every file must pass `docker-compose config`;
# the ones that can run without a registry or bridge networking are started and driven with the
# host's docker CLI:
#   compose.host.yml           the three tiers on loopback ports, each allowing what its rules say,
#                              plus the busybox `client` container (network_mode: host)
#   compose.socket-socket.yml  the proxy serving a Unix socket in a volume (network_mode: none)
#   compose.tls-tls.host.yml   TLS with client certificates on both hops (certificates from
#                              mkcerts.sh)
# The client tools' images (Traefik, Portainer, Homepage, Dozzle, Netdata, dind, docker:cli)
# cannot be pulled here: those files are checked on paper only.
#
# Usage: bash examples/compose/test.sh      (exits non-zero on the first failure, cleans up)
# Environment: CETUSGUARD_IMAGE (default cetusguard-test/cetusguard:latest; built with
#              examples/build-image.sh when absent), COMPOSE (default docker-compose).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$here"

export CETUSGUARD_IMAGE="${CETUSGUARD_IMAGE:-cetusguard-test/cetusguard:latest}"
export CLIENT_IMAGE=cetusguard-test/busybox:latest
export HEALTH_INTERVAL=2s   # the image's health check, every 2 s instead of 30 s
COMPOSE="${COMPOSE:-docker-compose}"
SOCK=/var/run/docker.sock
T0=$SECONDS
PROJECTS=()

log() { printf '[compose-test %3ds] %s\n' $((SECONDS - T0)) "$*" >&2; }
fail() { printf '[compose-test %3ds] FAILED: %s\n' $((SECONDS - T0)) "$*" >&2; exit 1; }

DOCKER_CFG="$(mktemp -d /tmp/cg-img-compose-cfg.XXXXXX)"
CERTS=""
cleanup() {
  local rc=$? p
  for p in "${PROJECTS[@]+"${PROJECTS[@]}"}"; do
    if [ "$rc" -ne 0 ]; then
      echo "--- logs of $p:" >&2
      $COMPOSE -p "${p%%:*}" -f "${p#*:}" logs --tail 20 >&2 2>&1 || true
    fi
    $COMPOSE -p "${p%%:*}" -f "${p#*:}" --profile client down -v --remove-orphans >/dev/null 2>&1 || true
  done
  rm -rf "$DOCKER_CFG" "$CERTS"
  log "exit $rc"
}
trap cleanup EXIT

bash "$root/src/test/scripts/testbed.sh" up 2>/dev/null
CLI="$(bash "$root/src/test/scripts/testbed.sh" docker-cli)"
dk() { env -u DOCKER_CONTEXT -u DOCKER_TLS_VERIFY -u DOCKER_CERT_PATH DOCKER_CONFIG="$DOCKER_CFG" DOCKER_HOST="$1" "$CLI" "${@:2}"; }
direct() { dk "unix://$SOCK" "$@"; }
command -v "$COMPOSE" >/dev/null || fail "$COMPOSE not found (Debian: apt-get install docker-compose)"
export DOCKER_GID
DOCKER_GID="$(stat -c %g "$SOCK")"

if ! direct image inspect "$CETUSGUARD_IMAGE" >/dev/null 2>&1; then
  bash "$root/examples/build-image.sh" "$CETUSGUARD_IMAGE"
fi

# --- on paper: every file is valid compose ----------------------------------------------------
export CERTS_DIR=./certs
for f in compose*.yml; do
  $COMPOSE -f "$f" config -q || fail "$f: docker-compose config failed"
done
log "ok: docker-compose config accepts $(ls compose*.yml | wc -l) files"

free_port() {
  local p
  for p in $(shuf -i 20000-29999 -n 50); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  fail "no free loopback port"
}
wait_healthy() { # wait_healthy PROJECT FILE SERVICE...
  local p="$1" f="$2" s id deadline=$((SECONDS + 90))
  shift 2
  for s in "$@"; do
    id="$($COMPOSE -p "$p" -f "$f" ps -q "$s")"
    [ -n "$id" ] || fail "$p: no container for $s"
    until [ "$(direct inspect --format '{{.State.Health.Status}}' "$id")" = healthy ]; do
      [ "$(direct inspect --format '{{.State.Running}}' "$id")" = true ] || fail "$p/$s stopped"
      [ "$SECONDS" -lt "$deadline" ] || fail "$p/$s not healthy: $(direct inspect --format '{{json .State.Health}}' "$id")"
      sleep 1
    done
  done
  log "ok: $p: healthy: $*"
}
expect_ok() { # expect_ok DESCRIPTION HOST ARGS...
  local what="$1" out
  out="$(dk "${@:2}" 2>&1)" || fail "$what: $out"
  log "ok: $what"
}
expect_denied() { # expect_denied DESCRIPTION HOST ARGS...
  local what="$1" out
  if out="$(dk "${@:2}" 2>&1)"; then fail "$what: allowed, expected a denial: $out"; fi
  [[ "$out" == *"forbidden by CetusGuard"* ]] || fail "$what: expected 'forbidden by CetusGuard', got: $out"
  log "ok: $what: denied"
}

# --- compose.host.yml: three tiers on loopback ------------------------------------------------
tp=$SECONDS
export MANAGE_PORT MONITOR_PORT DISPLAY_PORT
MANAGE_PORT="$(free_port)"; MONITOR_PORT="$(free_port)"; DISPLAY_PORT="$(free_port)"
P=cg-img-compose-host
PROJECTS+=("$P:compose.host.yml")
$COMPOSE -p "$P" -f compose.host.yml up -d
for port in "$MANAGE_PORT" "$MONITOR_PORT" "$DISPLAY_PORT"; do
  deadline=$((SECONDS + 30))
  until dk "tcp://127.0.0.1:$port" version >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || fail "nothing answers on 127.0.0.1:$port"
    sleep 0.3
  done
done
box="cg-img-compose-box-$$"
direct run -d --name "$box" --network none "$CLIENT_IMAGE" sh -c 'echo from-box; exec sleep 120' >/dev/null
trap 'direct rm -f "$box" >/dev/null 2>&1 || true; cleanup' EXIT
M="tcp://127.0.0.1:$MANAGE_PORT" O="tcp://127.0.0.1:$MONITOR_PORT" D="tcp://127.0.0.1:$DISPLAY_PORT"
expect_ok "manage: docker ps" "$M" ps
[ "$(printf 'x\ny\n' | dk "$M" run --rm -i --network none "$CLIENT_IMAGE" wc -l | tr -d ' ')" = 2 ] \
  || fail "manage: docker run -i did not print 2"
log "ok: manage: docker run --rm -i"
expect_ok "manage: docker exec" "$M" exec "$box" true
expect_denied "manage: docker rm" "$M" rm -f "$box"
expect_denied "manage: docker pull" "$M" pull "$CLIENT_IMAGE"
expect_ok "monitor: docker ps" "$O" ps
expect_ok "monitor: docker inspect" "$O" inspect "$box"
[ "$(dk "$O" logs "$box")" = from-box ] || fail "monitor: docker logs"
log "ok: monitor: docker logs"
expect_ok "monitor: docker images" "$O" images
expect_denied "monitor: docker exec" "$O" exec "$box" true
expect_denied "monitor: docker run" "$O" run --rm --network none "$CLIENT_IMAGE" true
expect_ok "display: docker ps" "$D" ps
expect_ok "display: docker stats --no-stream" "$D" stats --no-stream "$box"
expect_denied "display: docker inspect" "$D" inspect --type container "$box"
expect_denied "display: docker images" "$D" images
# The container client: waits for the display proxy to be healthy (the image's check), then
# lists (allowed) and inspects (denied) with busybox wget over loopback.
out="$($COMPOSE -p "$P" -f compose.host.yml --profile client run --rm client 2>&1)" || fail "client container: $out"
[[ "$out" == *"list: allowed"*"inspect: denied"* ]] || fail "client container: unexpected output: $out"
log "ok: client container (busybox wget, network_mode: host): list allowed, inspect denied"
wait_healthy "$P" compose.host.yml cetusguard-manage cetusguard-monitor cetusguard-display
for s in cetusguard-manage cetusguard-monitor cetusguard-display; do
  id="$($COMPOSE -p "$P" -f compose.host.yml ps -q "$s")"
  [ "$(direct inspect --format '{{.State.OOMKilled}} {{.HostConfig.ReadonlyRootfs}} {{.HostConfig.Memory}}' "$id")" = "false true 67108864" ] \
    || fail "$s: OOMKilled/read-only/memory not as expected"
done
log "ok: not OOM-killed, read-only, 64 MiB"
direct rm -f "$box" >/dev/null
$COMPOSE -p "$P" -f compose.host.yml --profile client down -v >/dev/null 2>&1
log "compose.host.yml: passed in $((SECONDS - tp))s"

# --- compose.socket-socket.yml: Unix socket in a volume, no network --------------------------
tp=$SECONDS
P=cg-img-compose-sock
PROJECTS+=("$P:compose.socket-socket.yml")
$COMPOSE -p "$P" -f compose.socket-socket.yml up -d cetusguard
vol="$(direct volume inspect --format '{{.Mountpoint}}' "${P}_cetusguard-socket")"
U="unix://$vol/docker.sock"
deadline=$((SECONDS + 30))
until [ -S "$vol/docker.sock" ] && dk "$U" version >/dev/null 2>&1; do
  [ "$SECONDS" -lt "$deadline" ] || fail "no socket at $vol/docker.sock"
  sleep 0.3
done
perm="$(stat -c '%a %u:%g' "$vol/docker.sock") dir $(stat -c '%a %u:%g' "$vol")"
[ "$perm" = "660 10001:10001 dir 750 10001:10001" ] || fail "socket/dir permissions: $perm"
log "ok: socket 0660 10001:10001 in a 0750 directory"
expect_ok "socket: docker ps" "$U" ps
expect_denied "socket: docker run" "$U" run --rm --network none "$CLIENT_IMAGE" true
# A container client on the volume, no network: the image's own Java health check as the client
# (it has no daemon socket of its own: its "daemon" is the proxy's socket, so /_ping goes through it).
out="$(direct run --rm --network none --read-only --cap-drop ALL --user 20000:20000 --group-add 10001 \
        -v "${P}_cetusguard-socket:/run/cetusguard:ro" --entrypoint /opt/java/bin/java "$CETUSGUARD_IMAGE" \
        -Xint -cp /opt/cetusguard/lib/cetusguard.jar org.cetusguard.Main healthcheck \
        -frontend-addr unix:///run/cetusguard/docker.sock -backend-addr unix:///run/cetusguard/docker.sock 2>&1)" \
  || fail "container client on the socket volume: $out"
log "ok: container client (uid 20000, group 10001, network none): ${out##*$'\n'}"
if out="$(direct run --rm --network none --user 20000:20000 -v "${P}_cetusguard-socket:/run/cetusguard:ro" \
          --entrypoint /opt/java/bin/java "$CETUSGUARD_IMAGE" -Xint \
          -cp /opt/cetusguard/lib/cetusguard.jar org.cetusguard.Main healthcheck \
          -frontend-addr unix:///run/cetusguard/docker.sock -backend-addr unix:///run/cetusguard/docker.sock 2>&1)"; then
  fail "a client without group 10001 reached the socket: $out"
fi
log "ok: a client without group 10001 cannot: ${out##*$'\n'}"
wait_healthy "$P" compose.socket-socket.yml cetusguard
$COMPOSE -p "$P" -f compose.socket-socket.yml --profile client down -v >/dev/null 2>&1
log "compose.socket-socket.yml: passed in $((SECONDS - tp))s"

# --- compose.tls-tls.host.yml: TLS with client certificates on both hops ----------------------
tp=$SECONDS
CERTS="$(mktemp -d /tmp/cg-img-certs.XXXXXX)"
export CERTS_DIR="$CERTS" DAEMON_TLS_PORT PROXY_TLS_PORT
sh mkcerts.sh "$CERTS" >/dev/null
DAEMON_TLS_PORT="$(free_port)"; PROXY_TLS_PORT="$(free_port)"
P=cg-img-compose-tls
PROJECTS+=("$P:compose.tls-tls.host.yml")
$COMPOSE -p "$P" -f compose.tls-tls.host.yml up -d
T="tcp://127.0.0.1:$PROXY_TLS_PORT"
tls() { dk "$T" --tlsverify --tlscacert "$CERTS/client/ca.pem" --tlscert "$CERTS/client/cert.pem" --tlskey "$CERTS/client/key.pem" "$@"; }
deadline=$((SECONDS + 30))
until tls version >/dev/null 2>&1; do
  [ "$SECONDS" -lt "$deadline" ] || fail "no TLS answer on $T: $(tls version 2>&1 | tail -n 2)"
  sleep 0.3
done
[ "$(tls version --format '{{.Server.Version}}')" = "$(direct version --format '{{.Server.Version}}')" ] \
  || fail "TLS: docker version differs from the daemon's"
log "ok: TLS→TLS: docker version (client cert → proxy → client cert → TLS daemon)"
expect_ok "TLS: docker ps" "$T" --tlsverify --tlscacert "$CERTS/client/ca.pem" --tlscert "$CERTS/client/cert.pem" --tlskey "$CERTS/client/key.pem" ps
expect_denied "TLS: docker run" "$T" --tlsverify --tlscacert "$CERTS/client/ca.pem" --tlscert "$CERTS/client/cert.pem" --tlskey "$CERTS/client/key.pem" run --rm --network none "$CLIENT_IMAGE" true
if out="$(dk "$T" --tlsverify --tlscacert "$CERTS/client/ca.pem" version 2>&1)"; then
  fail "TLS without a client certificate was accepted: $out"
fi
log "ok: TLS without a client certificate: refused"
wait_healthy "$P" compose.tls-tls.host.yml dockerd-tls cetusguard
$COMPOSE -p "$P" -f compose.tls-tls.host.yml down -v >/dev/null 2>&1
log "compose.tls-tls.host.yml: passed in $((SECONDS - tp))s"

log "all compose checks passed in $((SECONDS - T0))s"
