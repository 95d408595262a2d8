#!/usr/bin/env bash
# Builds the CetusGuard container image from this checkout, without any registry.
#
# Usage: bash examples/build-image.sh [IMAGE]        (default IMAGE: cetusguard-test/cetusguard:latest)
#
# 1. The release tarball target/cetusguard-<version>.tar.gz (+ .sha256) the image is made from: the
#    one `mvn package` made (the README's previous step) when it is newer than every source it is
#    made of; otherwise `mvn package` makes it. CETUSGUARD_SKIP_MVN=1 uses an existing tarball as is.
# 2. The build stage's base image: when BASE_IMAGE (default local/debian-minbase:bookworm) is absent,
#    it is made with `debootstrap --variant=minbase bookworm` from the Debian mirror apt already uses
#    on this machine and `docker import`ed (about 30 s, once; later runs reuse it).
#    With a registry at hand, BASE_IMAGE=debian:bookworm-slim skips this.
# 3. `docker build` with the classic builder (DOCKER_BUILDKIT=0) and `--network host`: the build
#    stage installs the JDK (for jlink) from the Debian mirror. The runtime stage is FROM scratch.
#    The classic builder keeps the build stage's image (~800 MB, the JDK); it is removed afterwards
#    (KEEP_BUILD_STAGE=1 keeps it, which makes the next build skip the JDK's installation).
#
# Environment: BASE_IMAGE, DOCKER (docker CLI, default: docker), BUILD_NETWORK (default host),
#              CETUSGUARD_SKIP_MVN=1, KEEP_BUILD_STAGE=1,
#              DEBIAN_MIRROR / DEBIAN_SECURITY_MIRROR (override the detection).
# Needs: docker, maven + JDK 17 (step 1), debootstrap (step 2, root; apt-get installs it if absent,
#        waiting while another apt or dpkg holds the package lock).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

IMAGE="${1:-cetusguard-test/cetusguard:latest}"
BASE_IMAGE="${BASE_IMAGE:-local/debian-minbase:bookworm}"
DOCKER="${DOCKER:-docker}"
BUILD_NETWORK="${BUILD_NETWORK:-host}"
SUITE=bookworm

log() { printf '[build-image] %s\n' "$*" >&2; }
die() { printf '[build-image] ERROR: %s\n' "$*" >&2; exit 1; }

t0=$SECONDS

# --- 1. the release tarball ---------------------------------------------------------------------
version="$(sed -n '0,/<version>/s:.*<version>\(.*\)</version>.*:\1:p' pom.xml)"
[ -n "$version" ] || die "cannot read the project version from pom.xml"
dist="target/cetusguard-${version}.tar.gz"
# What the tarball is made of (src/assembly/dist.xml and the jar's sources).
sources=(pom.xml src/main src/assembly bin conf README.md NOTICE LICENSE)
if [ "${CETUSGUARD_SKIP_MVN:-}" = 1 ] && [ -f "$dist" ]; then
  log "using the existing $dist (CETUSGUARD_SKIP_MVN=1)"
elif [ -f "$dist" ] && [ -z "$(find "${sources[@]}" -newer "$dist" -print -quit 2>/dev/null)" ]; then
  log "using $dist: newer than its sources (made by mvn package)"
else
  log "mvn package (tests skipped) -> $dist"
  mvn -B -q package -DskipTests
fi
[ -f "$dist" ] || die "$dist was not made"

# --- 2. the base image for the build stage ------------------------------------------------------
# apt and dpkg take POSIX (fcntl) locks on these files; another apt-get, dpkg or unattended-upgrades
# holding one makes apt-get fail at once. /proc/locks lists the locks held, by device:inode.
APT_LOCKS=(/var/lib/dpkg/lock-frontend /var/lib/dpkg/lock /var/lib/apt/lists/lock /var/cache/apt/archives/lock)
APT_LOCK_WAIT="${APT_LOCK_WAIT:-600}"
apt_locked() {
  local f inode
  for f in "${APT_LOCKS[@]}"; do
    [ -e "$f" ] || continue
    inode="$(stat -c %i "$f")"
    # Lines look like "1: POSIX  ADVISORY  WRITE 812 fd:01:131 0 EOF" ("1: -> POSIX ..." for a waiter).
    if awk -v inode="$inode" '{ for (i = 1; i <= NF; i++) { n = split($i, p, ":"); if (n == 3 && p[3] == inode) found = 1 } }
                              END { exit !found }' /proc/locks; then
      return 0
    fi
  done
  return 1
}
wait_for_apt() {
  local waited=0
  while apt_locked; do
    [ "$waited" -gt 0 ] || log "another apt or dpkg holds the package lock: waiting (at most ${APT_LOCK_WAIT}s)"
    [ "$waited" -lt "$APT_LOCK_WAIT" ] || die "the package lock is still held after ${APT_LOCK_WAIT}s"
    sleep 2
    waited=$((waited + 2))
  done
}

# The Debian mirror apt uses here: deb822 .sources (URIs/Suites) or one-line sources.list entries.
find_mirror() {
  local suite="$1"
  awk -v suite="$suite" '
    FNR == 1 { uris = ""; suites = "" }
    /^[[:space:]]*deb[[:space:]]/ {          # one-line format: deb [opts] URI SUITE COMPONENTS...
      i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
      if ($(i + 1) == suite) { print $i; exit }
      next
    }
    /^URIs:/   { uris = $2 }
    /^Suites:/ { suites = " " substr($0, 8) " " }
    /^[[:space:]]*$/ || /^Components:/ {     # end of (or late in) a deb822 stanza
      if (uris != "" && index(suites, " " suite " ") > 0) { print uris; exit }
      if (/^[[:space:]]*$/) { uris = ""; suites = "" }
    }
    END { }' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list /etc/apt/sources.list 2>/dev/null || true
}

if "$DOCKER" image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
  log "base image $BASE_IMAGE present; not running debootstrap"
else
  case "$BASE_IMAGE" in
    local/*) ;;
    *) die "base image $BASE_IMAGE is absent; pull it, or leave BASE_IMAGE unset to make local/debian-minbase:$SUITE" ;;
  esac
  [ "$(id -u)" -eq 0 ] || die "debootstrap needs root (or make $BASE_IMAGE yourself)"
  if ! command -v debootstrap >/dev/null 2>&1; then
    log "installing debootstrap"
    wait_for_apt
    # DPkg::Lock::Timeout covers the moment between the wait above and apt taking the lock.
    apt_get() { DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout="$APT_LOCK_WAIT" "$@"; }
    apt_get install -y -qq --no-install-recommends debootstrap >/dev/null \
      || { wait_for_apt && apt_get update -qq && wait_for_apt \
           && apt_get install -y -qq --no-install-recommends debootstrap >/dev/null; } \
      || die "cannot install debootstrap"
  fi
  mirror="${DEBIAN_MIRROR:-$(find_mirror "$SUITE")}"
  [ -n "$mirror" ] || die "no Debian mirror for $SUITE in /etc/apt/sources.list{,.d}: set DEBIAN_MIRROR"
  security="${DEBIAN_SECURITY_MIRROR:-$(find_mirror "$SUITE-security")}"
  [ -n "$security" ] || log "no $SUITE-security mirror found (DEBIAN_SECURITY_MIRROR): the base gets no security suite"
  rootfs="$(mktemp -d /tmp/cg-img-rootfs.XXXXXX)"
  trap 'rm -rf "$rootfs"' EXIT
  log "debootstrap --variant=minbase $SUITE from $mirror (about 30 s)"
  tb=$SECONDS
  debootstrap --variant=minbase "$SUITE" "$rootfs" "$mirror" >"$rootfs.log" 2>&1 \
    || { tail -n 20 "$rootfs.log" >&2; rm -f "$rootfs.log"; die "debootstrap failed"; }
  rm -f "$rootfs.log"
  # Updates and security fixes too, so the build stage's `apt-get upgrade` patches the libraries
  # that end up in the image.
  {
    echo "deb $mirror $SUITE main"
    echo "deb $mirror $SUITE-updates main"
    if [ -n "$security" ]; then echo "deb $security $SUITE-security main"; fi
  } >"$rootfs/etc/apt/sources.list"
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar --numeric-owner -C "$rootfs" -c . \
    | "$DOCKER" import --change 'CMD ["/bin/bash"]' \
        --message "debootstrap --variant=minbase $SUITE $mirror" - "$BASE_IMAGE" >/dev/null
  rm -rf "$rootfs"
  trap - EXIT
  log "base image $BASE_IMAGE made in $((SECONDS - tb))s"
fi

# --- 3. the image -------------------------------------------------------------------------------
revision="$(git rev-parse HEAD 2>/dev/null || echo unknown)"
created="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
# Names this build's build-stage image (see the Dockerfile), unique among builds running at once.
stage_id="$(date +%s)-$$-$RANDOM"
remove_build_stage() {
  local ids
  [ "${KEEP_BUILD_STAGE:-}" != 1 ] || { log "keeping the build stage's image (KEEP_BUILD_STAGE=1)"; return 0; }
  ids="$("$DOCKER" image ls -q --filter "label=org.cetusguard.build-stage=$stage_id")"
  [ -n "$ids" ] || return 0
  # An untagged image goes with the untagged layers under it that nothing else uses.
  # shellcheck disable=SC2086
  "$DOCKER" rmi $ids >/dev/null && log "removed the build stage's image" \
    || log "could not remove the build stage's image $ids"
}
log "docker build -t $IMAGE (version $version, base $BASE_IMAGE)"
tb=$SECONDS
DOCKER_BUILDKIT=0 "$DOCKER" build --network "$BUILD_NETWORK" --force-rm \
  --build-arg BASE_IMAGE="$BASE_IMAGE" \
  --build-arg VERSION="$version" \
  --build-arg REVISION="$revision" \
  --build-arg CREATED="$created" \
  --build-arg BUILD_STAGE_ID="$stage_id" \
  -t "$IMAGE" . >&2
remove_build_stage
log "built $IMAGE in $((SECONDS - tb))s ($(
  "$DOCKER" image inspect --format '{{.Size}}' "$IMAGE" | awk '{ printf "%.1f MB", $1 / 1e6 }'
)); total $((SECONDS - t0))s"
