#!/usr/bin/env bash
# Run inside the booted container by under-systemd.sh: the steps of docs/deploy.md on a gateway with
# no network, each claim checked. $1: the bundle tarball. The centre (a roomgate broker with users) and
# the room (the simulators) stand in as transient units on loopback.
set -uo pipefail
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
tarball=$1
failures=0
ok() { echo "ok    $*"; }
bad() { echo "FAIL  $*"; failures=$((failures + 1)); }
expect() { # expect DESCRIPTION ACTUAL WANTED
  if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: got '$2', wanted '$3'"; fi
}
prop() { systemctl show roomgate-agent -p "$1" --value; }
wait_for() { # wait_for SECONDS COMMAND...: until the command succeeds
  local n=$(($1 * 5)); shift
  for _ in $(seq "$n"); do "$@" && return 0; sleep 0.2; done
  return 1
}

systemctl stop mosquitto redis-server postgresql >/dev/null 2>&1 || true
# A gateway has no Node of its own: the system's is made unrunnable (in this overlay only).
[ -e /usr/bin/node ] && chmod 0644 "$(readlink -f /usr/bin/node)"
if node --version >/dev/null 2>&1; then bad "the system's node still runs"; else ok "no runnable node on the system"; fi

echo "--- install"
cd "$(dirname "$tarball")" && tar -xzf "$tarball"
dir=$(basename "$tarball" .tar.gz)
"./$dir/install.sh" || bad "install.sh exited $?"
expect "roomgate --version runs the bundle's Node" "$(roomgate --version | grep -o 'node v[0-9.]*')" "node v$(. "./$dir/bundle.env"; echo "$NODE_VERSION")"
expect "the service user is in dialout" "$(id -nG roomgate | tr ' ' '\n' | grep -x dialout)" dialout
cp /etc/roomgate/examples/district-room.yaml /etc/roomgate/site.yaml
cp /etc/roomgate/examples/secrets/cam-lectern.password /etc/roomgate/secrets/
# The broker login, and the simulators' serial ports outside /tmp (the unit has PrivateTmp).
sed -i 's#^  username: agent-district-07#  username: agent-district-07\n  passwordFile: secrets/broker.pass#; s#/tmp/roomgate/district-07/#/run/roomgate-sim/#' /etc/roomgate/site.yaml
printf 'gw-walk-secret\n' > /etc/roomgate/secrets/broker.pass
chown root:roomgate /etc/roomgate/site.yaml /etc/roomgate/secrets/*
chmod 0640 /etc/roomgate/site.yaml /etc/roomgate/secrets/*

echo "--- the centre and the room (stand-ins)"
mkdir -p /root/centre /run/roomgate-sim
cp /etc/roomgate/examples/broker.yaml /root/centre/
printf 'gw-walk-secret' | roomgate broker passwd --config /root/centre/broker.yaml agent-district-07 --role agent --site district-07 >/dev/null
printf 'gw-monitor' | roomgate broker passwd --config /root/centre/broker.yaml noc-monitor --role monitor >/dev/null
systemd-run -q --unit centre-broker -E ROOMGATE_STATE_DIR=/root/centre roomgate broker --config /root/centre/broker.yaml
systemd-run -q --unit room-sim sh -c 'sleep infinity | roomgate sim --config /etc/roomgate/site.yaml'
wait_for 20 test -e /run/roomgate-sim/gpio || bad "the simulators did not start"
wait_for 20 timeout 1 bash -c '</dev/tcp/127.0.0.1/1883' 2>/dev/null || bad "the stand-in broker did not start"
for p in /run/roomgate-sim/*; do chgrp dialout "$(readlink -f "$p")"; chmod 0660 "$(readlink -f "$p")"; done
# The simulators' ports are ptys, which DevicePolicy=closed refuses: allowed for this run only.
mkdir -p /etc/systemd/system/roomgate-agent.service.d
printf '[Service]\nDeviceAllow=char-pts rw\n' > /etc/systemd/system/roomgate-agent.service.d/sim-ptys.conf
systemctl daemon-reload

echo "--- doctor, as the service user, no flags"
out=$(runuser -u roomgate -- roomgate doctor); rc=$?
echo "$out" | tail -1
expect "doctor passes before the agent runs" "$rc" 0

echo "--- systemctl enable --now"
systemctl enable -q --now roomgate-agent
online() { timeout 5 mosquitto_sub -h 127.0.0.1 -u noc-monitor -P gw-monitor -t roomgate/v1/district-07/agent/state -C 1 -W 4 2>/dev/null | grep -q '"online"'; }
healthy() { [ "$(timeout 5 mosquitto_sub -h 127.0.0.1 -u noc-monitor -P gw-monitor -t 'roomgate/v1/district-07/dev/+/health' -C 9 -W 4 2>/dev/null | grep -c '"status":"ok"')" = 9 ]; }
wait_for 20 online && ok "the agent is online on the broker" || bad "the agent is not online"
wait_for 20 healthy && ok "all nine devices report ok" || bad "not all devices report ok"
expect "it runs as roomgate" "$(ps -o user= -p "$(prop MainPID)")" roomgate
expect "watchdog set" "$(prop WatchdogUSec)" 1min
pid=$(prop MainPID)
nsenter -t "$pid" -m touch /etc/roomgate/x 2>/dev/null && bad "/etc/roomgate writable by the service" || ok "/etc/roomgate read-only to the service"
nsenter -t "$pid" -m touch /opt/roomgate/x 2>/dev/null && bad "/opt/roomgate writable by the service" || ok "/opt/roomgate read-only to the service"
expect "its /tmp is private" "$(nsenter -t "$pid" -m sh -c 'ls -A /tmp | wc -l')" 0
expect "state files are the service's alone" "$(stat -c %a /var/lib/roomgate/format.json)" 600
systemd-analyze security roomgate-agent --no-pager 2>/dev/null | tail -1
runuser -u roomgate -- roomgate doctor >/dev/null && ok "doctor passes beside the running agent" || bad "doctor fails beside the running agent"

echo "--- a crash and a hang"
restarts=$(prop NRestarts)
kill -9 "$pid"
wait_for 15 sh -c "[ \"\$(systemctl show roomgate-agent -p NRestarts --value)\" -gt $restarts ] && systemctl is-active -q roomgate-agent" && ok "kill -9: restarted" || bad "kill -9: not restarted"
wait_for 20 online || bad "not online after the restart"
pid=$(prop MainPID)
kill -STOP "$pid"
wait_for 90 sh -c "[ \"\$(systemctl show roomgate-agent -p MainPID --value)\" != $pid ] && systemctl is-active -q roomgate-agent" && ok "a hung agent is restarted by the watchdog" || bad "a hung agent was not restarted"
journalctl -u roomgate-agent --no-pager -o cat | grep -q 'Watchdog timeout' && ok "the journal says: watchdog timeout" || bad "no watchdog line in the journal"

echo "--- upgrade while running"
sum() { md5sum /etc/roomgate/site.yaml /etc/roomgate/secrets/* /var/lib/roomgate/format.json | md5sum; }
before=$(sum)
next="${dir%-linux-*}"; next="${next%.*}.$(( ${next##*.} + 1 ))"; next="roomgate-${next#roomgate-}-linux-${dir##*-linux-}"
rm -rf "/root/next/$next" && mkdir -p /root/next && cp -a "$dir" "/root/next/$next"
sed -i "s/^NAME=.*/NAME=$next/" "/root/next/$next/bundle.env"
"/root/next/$next/install.sh" | tail -2
# Type=simple is active from the fork, before the exec: wait for the exec, then compare.
runs_node() { readlink -f "/proc/$(prop MainPID)/exe" 2>/dev/null | grep -q '/node/bin/node$'; }
wait_for 20 runs_node
expect "the agent runs the new release" "$(readlink -f /proc/"$(prop MainPID)"/exe)" "/opt/roomgate/releases/$next/node/bin/node"
expect "config, secrets and state format unchanged" "$(sum)" "$before"
[ -d "/opt/roomgate/releases/$dir" ] && ok "the previous release is kept" || bad "the previous release is gone"
wait_for 20 online && ok "online again after the upgrade" || bad "not online after the upgrade"

echo "--- a bad site file"
cp /etc/roomgate/site.yaml /root/site.good
sed -i 's/^site: district-07/site: "Bad Site!"/' /etc/roomgate/site.yaml
systemctl restart roomgate-agent 2>/dev/null
journalctl -u roomgate-agent --no-pager -o cat -n 20 | grep -q 'site: expected an id' && ok "ExecStartPre names the problem in the journal" || bad "no config problem in the journal"
cp /root/site.good /etc/roomgate/site.yaml
wait_for 20 systemctl is-active -q roomgate-agent && ok "corrected, it comes up by itself" || bad "not active after the fix"

echo "--- secrets"
journalctl --no-pager -o cat | grep -q 'gw-walk-secret' && bad "the broker password is in the journal" || ok "no password in the journal"
systemctl stop roomgate-agent
echo "$failures failed"
exit $((failures > 0))
