#!/usr/bin/env bash
# Installs and starts a Docker engine that can run --privileged containers (kind
# nodes need them). Idempotent: when a working engine of a recent enough version
# answers already, it does nothing.
#
# Why not Debian bookworm's docker.io: its 20.10 engine fails "--privileged" in
# sandboxes whose capability bounding set lacks CAP_SYS_RESOURCE ("unable to apply
# caps"). dockerd 28.5 and containerd 2.1 from Debian forky's packages, unpacked
# under /opt/kubelab/engine, with bookworm's runc, run them (measured in DESIGN.md).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${KUBELAB_CACHE:-/var/cache/kubelab}
prefix=/opt/kubelab/engine
log=/var/log/kubelab-dockerd.log
min_major=25

say() { printf '%s\n' "$*"; }
fail() { printf 'ERROR: %s\nHint: %s\n' "$1" "$2" >&2; exit 1; }

engine_ok() {
  local v
  v=$(timeout 10 docker version --format '{{.Server.Version}}' 2>/dev/null) || return 1
  [ "${v%%.*}" -ge "$min_major" ] 2>/dev/null
}

# Users in the `docker` group may use the engine without sudo (a non-root
# learner): the group must exist when dockerd creates its socket, and a socket
# made before it existed is handed to it.
docker_group() {
  [ "$(id -u)" = 0 ] || return 0
  getent group docker >/dev/null || groupadd --system docker
  if [ -S /var/run/docker.sock ] && [ "$(stat -c %G /var/run/docker.sock)" != docker ]; then
    chgrp docker /var/run/docker.sock && chmod g+rw /var/run/docker.sock
  fi
}

if engine_ok; then
  docker_group
  say "✓ docker engine $(docker version --format '{{.Server.Version}}') already running"
  exit 0
fi
if timeout 10 docker version --format '{{.Server.Version}}' >/dev/null 2>&1; then
  fail "a Docker engine older than $min_major.x is running ($(docker version --format '{{.Server.Version}}'))" \
       "stop it (systemctl stop docker containerd, or kill dockerd) and run $0 again; old engines cannot run kind's privileged nodes here"
fi
[ "$(id -u)" = 0 ] || fail "installing the engine needs root" "run: sudo $0"

# Host packages from the machine's own suite: runc, iptables and friends.
need=()
for p in runc iptables tini ca-certificates procps; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  say "… apt-get install ${need[*]}"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# The packages come through debian-fetch.sh, which checks what it reuses from its
# cache; an engine unpacked earlier is compared file by file with them (tar -d)
# and unpacked again when anything differs or is missing.
debs="$cache/debs/forky"
pkgs=(docker.io containerd)
{ command -v docker >/dev/null && [ "$(readlink -f "$(command -v docker)")" != "$prefix/usr/bin/docker" ]; } || pkgs+=(docker-cli)
say "… checking docker.io and containerd from Debian forky (cache: $debs)"
"$here/debian-fetch.sh" forky "$debs" "${pkgs[@]}"
for p in "${pkgs[@]}"; do
  deb=$(ls "$debs/${p}"_*.deb | head -1)
  if ! dpkg-deb --fsys-tarfile "$deb" | tar -C "$prefix" -d >/dev/null 2>&1; then
    say "… unpacking $(basename "$deb") into $prefix"
    mkdir -p "$prefix"
    dpkg-deb -x "$deb" "$prefix"
  fi
done
command -v docker >/dev/null || ln -sf "$prefix/usr/bin/docker" /usr/local/bin/docker
# dockerd looks up containerd, the shim, runc and docker-init on PATH.
export PATH="$prefix/usr/bin:$prefix/usr/sbin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH"

# An engine that is still shutting down holds its pid file: give it time to go.
for _ in $(seq 1 30); do pgrep -x dockerd >/dev/null || break; engine_ok && break; sleep 1; done
if engine_ok; then docker_group; say "✓ docker engine $(docker version --format '{{.Server.Version}}') running"; exit 0; fi
if pgrep -x dockerd >/dev/null; then
  fail "a dockerd process runs but does not answer" "stop it (pkill dockerd), wait for it to exit, run $0 again"
fi
# A stale pid file from a killed engine would stop dockerd from starting.
for pidf in /var/run/docker.pid /run/containerd/containerd.pid; do
  if [ -f "$pidf" ] && ! kill -0 "$(cat "$pidf")" 2>/dev/null; then rm -f "$pidf"; fi
done
mkdir -p /etc/docker
docker_group
# dockerd's own log is rotated at each start, three generations of at most 10 MiB
# kept; containers' logs are capped by the daemon.json written here when absent.
if [ -f "$log" ] && [ "$(stat -c %s "$log")" -gt $((10 * 1024 * 1024)) ]; then
  for i in 2 1; do [ -f "$log.$i" ] && mv -f "$log.$i" "$log.$((i + 1))"; done
  mv -f "$log" "$log.1"
fi
[ -f /etc/docker/daemon.json ] || cat > /etc/docker/daemon.json <<'JSON'
{"log-driver": "json-file", "log-opts": {"max-size": "10m", "max-file": "3"}}
JSON
say "… starting dockerd (log: $log)"
nohup setsid dockerd --host=unix:///var/run/docker.sock >>"$log" 2>&1 < /dev/null &
for _ in $(seq 1 60); do
  engine_ok && break
  sleep 1
done
engine_ok || fail "dockerd did not answer within 60 s; last lines of $log:
$(tail -n 15 "$log")" "read $log; a port or pid file held by another engine is the usual cause"
say "✓ docker engine $(docker version --format '{{.Server.Version}}') running"
