#!/usr/bin/env bash
# Installs a gateway bundle the way docs/deploy.md says, on a machine with a real systemd and no
# network, and checks what the docs claim of the unit: doctor passes, the agent runs hardened with
# every device healthy, kill -9 and a hang (the watchdog) are restarted, an upgrade while running
# keeps config and state, a bad site file is refused by ExecStartPre.
#
# The "gateway" is this machine's own root booted by systemd-nspawn on a throwaway overlay
# (tmpfs: nothing of the host is changed) with --private-network (loopback only). It needs root,
# systemd-nspawn (Debian: apt-get install systemd-container), and this machine's systemd and
# mosquitto-clients (used inside). Not part of `npm test`: it boots a whole system (~3 minutes).
#
#   npm run bundle -- --arch x64 && sudo bash scripts/deploy-check/under-systemd.sh bundle/roomgate-*-linux-x64.tar.gz
set -euo pipefail
tarball=$(readlink -f "${1:?usage: under-systemd.sh roomgate-VERSION-linux-x64.tar.gz}")
here=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" -eq 0 ] || { echo "under-systemd.sh: run as root" >&2; exit 1; }
command -v systemd-nspawn >/dev/null || { echo "under-systemd.sh: needs systemd-nspawn (apt-get install systemd-container)" >&2; exit 1; }

ov=$(mktemp -d /dev/shm/roomgate-gw.XXXXXX)
mount -t tmpfs tmpfs "$ov"
mkdir -p "$ov"/{upper,work,root}
mount -t overlay overlay -o "lowerdir=/,upperdir=$ov/upper,workdir=$ov/work" "$ov/root"
nspawn=""
cleanup() {
  [ -n "$nspawn" ] && kill "$nspawn" 2>/dev/null && wait "$nspawn" 2>/dev/null
  umount "$ov/root" 2>/dev/null || true
  umount "$ov" 2>/dev/null || true
  rmdir "$ov" 2>/dev/null || true
}
trap cleanup EXIT

# What a technician brings: the tarball. The run inside starts from a clean slate.
mkdir -p "$ov/root/root/usb"
cp "$tarball" "$ov/root/root/usb/"
cp "$here/gateway-walk.sh" "$ov/root/root/gateway-walk.sh"
rm -rf "$ov/root"/{opt/roomgate,etc/roomgate,var/lib/roomgate,usr/local/bin/roomgate,etc/systemd/system/roomgate-agent.service}

machine="roomgate-gw-$$"
systemd-nspawn -q -D "$ov/root" -b --private-network --register=no --keep-unit -M "$machine" >"$ov/console.log" 2>&1 &
nspawn=$!
leader=""
for _ in $(seq 100); do
  leader=$(pgrep -P "$nspawn" -x systemd || true)
  [ -n "$leader" ] && break
  sleep 0.2
done
[ -n "$leader" ] || { echo "the container did not boot:"; cat "$ov/console.log"; exit 1; }
state=""
for _ in $(seq 120); do
  state=$(nsenter -t "$leader" -a systemctl is-system-running 2>/dev/null || true)
  case "$state" in running | degraded) break ;; esac
  sleep 0.5
done
echo "container booted: $state"
status=0
nsenter -t "$leader" -a bash /root/gateway-walk.sh "/root/usb/$(basename "$tarball")" || status=$?
nsenter -t "$leader" -a systemctl poweroff || true
wait "$nspawn" 2>/dev/null || true
nspawn=""
echo "under-systemd.sh: $([ "$status" -eq 0 ] && echo "every check held" || echo "FAILED ($status)")"
exit "$status"
