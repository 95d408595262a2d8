#!/usr/bin/env bash
# Test bed for CetusGuard's integration tests and CI: a local Docker daemon plus a local test image.
#
# Usage: bash src/test/scripts/testbed.sh [up|stop|status|docker-cli|missing-packages|help]
#   up (default)  install what is missing (root only), make sure a Docker daemon answers on
#                 /var/run/docker.sock (reuse a running one, else start one), build the test image
#                 cetusguard-test/busybox:latest if absent, and check that a container runs.
#   stop          stop the daemon that THIS script started (by its recorded pid); never any other.
#   status        say whether the daemon answers, who started it, and whether the image exists.
#   docker-cli    print the path of the docker CLI the tests should use.
#   missing-packages  print the Debian packages it needs that are not installed (for .ci/run).
#
# Environment:
#   TESTBED_TCP_PORT    also expose a daemon we start on tcp://127.0.0.1:$TESTBED_TCP_PORT
#   TESTBED_DOCKER_CLI  force the docker CLI binary (default: /usr/local/bin/docker, else `docker` on PATH)
#   TESTBED_STATE_DIR   where the pid file, log and lock live (default /tmp/cetusguard-testbed)
#   TESTBED_START_TIMEOUT seconds to wait for a started daemon to answer (default 60)
#
# House rules: only loopback and Unix sockets; no registry; no bridge networking; every
# container runs with --network none. The image is made locally from busybox-static.
set -euo pipefail

readonly SOCK=/var/run/docker.sock
readonly DOCKER_HOST_URL="unix://${SOCK}"
readonly IMAGE="cetusguard-test/busybox:latest"
readonly STATE_DIR="${TESTBED_STATE_DIR:-/tmp/cetusguard-testbed}"
readonly PID_FILE="${STATE_DIR}/dockerd.pid"
readonly LOG_FILE="${STATE_DIR}/dockerd.log"
readonly LOCK_FILE="${STATE_DIR}/testbed.lock"
readonly START_TIMEOUT="${TESTBED_START_TIMEOUT:-60}"

log() { printf '[testbed] %s\n' "$*" >&2; }
die() { printf '[testbed] ERROR: %s\n' "$*" >&2; exit 1; }

is_root() { [ "$(id -u)" -eq 0 ]; }

# The docker CLI the tests should use: the 28.x one in /usr/local/bin if present (docker.io puts
# its own 20.10 client in /usr/bin), else whatever `docker` is on PATH.
docker_cli() {
  if [ -n "${TESTBED_DOCKER_CLI:-}" ]; then
    printf '%s\n' "$TESTBED_DOCKER_CLI"
  elif [ -x /usr/local/bin/docker ]; then
    printf '%s\n' /usr/local/bin/docker
  elif command -v docker >/dev/null 2>&1; then
    command -v docker
  else
    return 1
  fi
}

# Run the docker CLI against the default socket only, with no user config in the way.
DOCKER_CFG=""
dk_argv() {
  local cli
  cli="$(docker_cli)" || die "no docker CLI found (install docker.io, or set TESTBED_DOCKER_CLI)"
  [ -n "$DOCKER_CFG" ] || die "internal: DOCKER_CFG not set up"
  DK=(env -u DOCKER_CONTEXT -u DOCKER_TLS_VERIFY -u DOCKER_CERT_PATH -u DOCKER_API_VERSION
      DOCKER_HOST="$DOCKER_HOST_URL" DOCKER_CONFIG="$DOCKER_CFG" DOCKER_CLI_HINTS=false "$cli")
}
dk() {
  local DK
  dk_argv
  "${DK[@]}" "$@"
}

# Readiness probe: the daemon's /_ping on the Unix socket via curl when present, else `docker version`.
daemon_answers() {
  [ -S "$SOCK" ] || return 1
  if command -v curl >/dev/null 2>&1; then
    [ "$(curl -s --max-time 5 --unix-socket "$SOCK" http://docker/_ping 2>/dev/null || true)" = "OK" ]
    return
  fi
  local DK
  dk_argv
  timeout 10 "${DK[@]}" version >/dev/null 2>&1
}

is_dockerd_pid() {
  local pid="$1"
  [ -n "$pid" ] && [ -r "/proc/$pid/comm" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "dockerd" ]
}

cleanup() {
  if [ -n "$DOCKER_CFG" ] && [ -d "$DOCKER_CFG" ]; then rm -rf "$DOCKER_CFG"; fi
  if [ -n "${ROOTFS_DIR:-}" ] && [ -d "$ROOTFS_DIR" ]; then rm -rf "$ROOTFS_DIR"; fi
}
trap cleanup EXIT

# A clean, empty docker CLI config dir for this run (made in the main shell, so the EXIT trap removes it).
make_docker_cfg() {
  DOCKER_CFG="$(mktemp -d "${TMPDIR:-/tmp}/testbed-docker-config.XXXXXX")"
}

# Serialise concurrent runs (several builds may start the test bed at once).
take_lock() {
  mkdir -p "$STATE_DIR" 2>/dev/null || true
  command -v flock >/dev/null 2>&1 || return 0
  if ! { exec 9>>"$LOCK_FILE"; } 2>/dev/null; then
    log "cannot open $LOCK_FILE; going on without the lock"
    return 0
  fi
  chmod a+rw "$LOCK_FILE" 2>/dev/null || true
  flock -w 600 9 || die "another testbed.sh has held $LOCK_FILE for 10 minutes"
}

# ---------------------------------------------------------------------------------------------
# 1. packages

# A statically linked busybox (Debian's busybox-static owns /bin/busybox; /usr/bin/busybox on usrmerge).
busybox_static_path() {
  local b
  for b in /bin/busybox /usr/bin/busybox; do
    [ -x "$b" ] || continue
    case "$(LC_ALL=C ldd "$b" 2>&1 || true)" in
      *"not a dynamic executable"*|*"statically linked"*) printf '%s\n' "$b"; return 0 ;;
    esac
  done
  return 1
}

# The Debian packages the test bed needs that are not installed, one per line.
missing_packages() {
  command -v dockerd >/dev/null 2>&1 || echo docker.io
  busybox_static_path >/dev/null || echo busybox-static
  command -v openssl >/dev/null 2>&1 || echo openssl
  command -v curl >/dev/null 2>&1 || echo curl
  return 0
}

install_packages() {
  local missing=()
  mapfile -t missing < <(missing_packages)
  if [ "${#missing[@]}" -eq 0 ]; then
    log "packages: docker.io, busybox-static, openssl, curl present"
    return 0
  fi
  if ! is_root; then
    log "packages missing (${missing[*]}) and not root: not installing them"
    return 0
  fi
  command -v apt-get >/dev/null 2>&1 || die "packages missing (${missing[*]}) and no apt-get to install them"
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Keep the package's init scripts from starting a dockerd of their own (with bridge networking).
  local policy_added=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 0755 /usr/sbin/policy-rc.d
    policy_added=1
  fi
  local rc=0
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; } || rc=$?
  if [ -n "$policy_added" ]; then rm -f /usr/sbin/policy-rc.d; fi
  [ "$rc" -eq 0 ] || die "apt-get install ${missing[*]} failed (exit $rc)"
  log "installed: ${missing[*]}"
}

# ---------------------------------------------------------------------------------------------
# 2. daemon

check_tcp() {
  [ -n "${TESTBED_TCP_PORT:-}" ] || return 0
  if [ "$(curl -s --max-time 5 "http://127.0.0.1:${TESTBED_TCP_PORT}/_ping" 2>/dev/null || true)" = "OK" ]; then
    log "daemon also answers on tcp://127.0.0.1:${TESTBED_TCP_PORT}"
  else
    die "TESTBED_TCP_PORT=${TESTBED_TCP_PORT} is set but the running daemon does not answer on tcp://127.0.0.1:${TESTBED_TCP_PORT} (it was started without it; restart it with this variable set)"
  fi
}

ensure_daemon() {
  if daemon_answers; then
    if [ -f "$PID_FILE" ] && is_dockerd_pid "$(cat "$PID_FILE")"; then
      log "daemon answers on $SOCK (started by testbed.sh, pid $(cat "$PID_FILE")); reusing it"
    else
      log "daemon answers on $SOCK (not started by testbed.sh); reusing it"
    fi
    check_tcp
    return 0
  fi

  # A dockerd may be up but still starting: give it a chance before deciding anything.
  local other=""
  if [ -f /var/run/docker.pid ]; then
    other="$(cat /var/run/docker.pid 2>/dev/null || true)"
    if is_dockerd_pid "$other"; then
      log "dockerd pid $other is running but not answering yet; waiting up to ${START_TIMEOUT}s"
      wait_for_daemon "$other" || die "dockerd pid $other (not ours to stop) does not answer on $SOCK"
      check_tcp
      return 0
    fi
    log "removing stale /var/run/docker.pid (pid '${other}' is not a running dockerd)"
    rm -f /var/run/docker.pid
  fi

  is_root || die "no Docker daemon answers on $SOCK and we are not root, so we cannot start one (start Docker yourself, or run this script as root)"
  command -v dockerd >/dev/null 2>&1 || die "no Docker daemon answers on $SOCK and dockerd is not installed"

  local args=(--bridge=none --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false
              -H "$DOCKER_HOST_URL")
  if [ -n "${TESTBED_TCP_PORT:-}" ]; then
    args+=(-H "tcp://127.0.0.1:${TESTBED_TCP_PORT}")
  fi
  log "starting: dockerd ${args[*]} (log: $LOG_FILE)"
  : >"$LOG_FILE"
  # setsid: its own session, so it outlives this script, the shell and the build that ran it.
  # 9>&-: the daemon must not inherit (and so hold forever) our lock.
  setsid dockerd "${args[@]}" </dev/null >>"$LOG_FILE" 2>&1 9>&- &
  local pid=$!
  echo "$pid" >"$PID_FILE"
  if ! wait_for_daemon "$pid"; then
    log "last lines of $LOG_FILE:"
    tail -n 20 "$LOG_FILE" >&2 || true
    if is_dockerd_pid "$pid"; then
      kill -TERM "$pid" 2>/dev/null || true
    fi
    rm -f "$PID_FILE"
    die "dockerd did not answer on $SOCK within ${START_TIMEOUT}s"
  fi
  log "daemon up: pid $pid, $(dk version --format 'server {{.Server.Version}}, API {{.Server.APIVersion}}' 2>/dev/null || echo 'version unknown')"
  check_tcp
}

# wait_for_daemon PID: until the socket answers (true) or PID died / time ran out (false).
wait_for_daemon() {
  local pid="$1" deadline=$((SECONDS + START_TIMEOUT))
  while [ "$SECONDS" -lt "$deadline" ]; do
    if daemon_answers; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then
      log "dockerd pid $pid exited"
      return 1
    fi
    sleep 0.5
  done
  return 1
}

stop_daemon() {
  if [ ! -f "$PID_FILE" ]; then
    log "no daemon was started by testbed.sh ($PID_FILE absent); leaving any other daemon alone"
    return 0
  fi
  local pid
  pid="$(cat "$PID_FILE")"
  if ! is_dockerd_pid "$pid"; then
    log "pid $pid from $PID_FILE is not a running dockerd; removing the stale pid file"
    rm -f "$PID_FILE"
    return 0
  fi
  log "stopping dockerd pid $pid (started by testbed.sh)"
  kill -TERM "$pid"
  local deadline=$((SECONDS + 30))
  while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.5; done
  if kill -0 "$pid" 2>/dev/null; then
    log "dockerd pid $pid still alive after 30s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$PID_FILE"
  log "stopped"
}

# ---------------------------------------------------------------------------------------------
# 3. image

ensure_image() {
  if dk image inspect "$IMAGE" >/dev/null 2>&1; then
    log "image $IMAGE present"
  else
    build_image
  fi
  local out
  out="$(dk run --rm --network none "$IMAGE" echo ok 2>&1)" \
    || die "test container failed: docker run --rm --network none $IMAGE echo ok: $out"
  [ "$out" = "ok" ] || die "test container printed '$out' instead of 'ok'"
  log "check passed: docker run --rm --network none $IMAGE echo ok -> ok"
}

build_image() {
  local bb
  bb="$(busybox_static_path)" || die "cannot build $IMAGE: no static busybox (install busybox-static)"
  log "building $IMAGE from $bb"
  ROOTFS_DIR="$(mktemp -d /tmp/testbed-rootfs.XXXXXX)"
  local root="$ROOTFS_DIR/rootfs"
  mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,root,home,var,proc,sys,dev,tmp}
  chmod 1777 "$root/tmp"
  chmod 0700 "$root/root"
  cp "$bb" "$root/bin/busybox"
  chmod 0755 "$root/bin/busybox"
  local applet n=0
  while IFS= read -r applet; do
    case "$applet" in
      */*) ;;              # e.g. usr/bin/env
      *) continue ;;       # e.g. linuxrc: no place in a container
    esac
    [ "$applet" = "bin/busybox" ] && continue
    mkdir -p "$root/$(dirname "$applet")"
    [ -e "$root/$applet" ] || [ -L "$root/$applet" ] || { ln -s /bin/busybox "$root/$applet"; n=$((n + 1)); }
  done < <("$bb" --list-full)
  [ "$n" -gt 100 ] || die "busybox listed only $n applets"
  [ -L "$root/bin/sh" ] || die "busybox has no sh applet"
  cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
  cat >"$root/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
EOF
  printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"
  tar --numeric-owner --owner=0 --group=0 -C "$root" -cf "$ROOTFS_DIR/rootfs.tar" .
  local bb_version
  bb_version="$("$bb" 2>&1 || true)"
  bb_version="${bb_version%%$'\n'*}"
  dk import \
    --change 'CMD ["/bin/sh"]' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --message "cetusguard test image: static busybox (${bb_version})" \
    "$ROOTFS_DIR/rootfs.tar" "$IMAGE" >/dev/null || die "docker import of $IMAGE failed"
  log "image $IMAGE built ($n applets linked)"
}

# ---------------------------------------------------------------------------------------------

status() {
  local cli
  cli="$(docker_cli || echo none)"
  log "docker CLI for tests: $cli"
  if daemon_answers; then
    if [ -f "$PID_FILE" ] && is_dockerd_pid "$(cat "$PID_FILE")"; then
      log "daemon answers on $SOCK (started by testbed.sh, pid $(cat "$PID_FILE"), log $LOG_FILE)"
    else
      log "daemon answers on $SOCK (not started by testbed.sh)"
    fi
    if dk image inspect "$IMAGE" >/dev/null 2>&1; then log "image $IMAGE present"; else log "image $IMAGE absent"; fi
  else
    log "no daemon answers on $SOCK"
    return 1
  fi
}

main() {
  local cmd="${1:-up}"
  make_docker_cfg
  case "$cmd" in
    up|start)
      local t0=$SECONDS
      take_lock
      install_packages
      ensure_daemon
      ensure_image
      log "docker CLI for tests: $(docker_cli)"
      log "ready in $((SECONDS - t0))s"
      ;;
    stop)
      take_lock
      stop_daemon
      ;;
    status)
      status
      ;;
    docker-cli)
      docker_cli || die "no docker CLI found"
      ;;
    missing-packages)
      missing_packages
      ;;
    -h|--help|help)
      awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$0"
      ;;
    *)
      die "unknown command '$cmd' (use up, stop, status, docker-cli, missing-packages or help)"
      ;;
  esac
}

main "$@"
