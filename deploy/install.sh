#!/bin/sh
# Installs (or upgrades to) this roomgate bundle. Run from the unpacked bundle, as root:
#   tar -xzf roomgate-VERSION-linux-ARCH.tar.gz && sudo ./roomgate-VERSION-linux-ARCH/install.sh
# Nothing is downloaded. Layout:
#   /opt/roomgate/releases/NAME/   this bundle (the last two releases are kept, for a rollback)
#   /opt/roomgate/current          -> releases/NAME (switched in one rename)
#   /usr/local/bin/roomgate        -> /opt/roomgate/current/bin/roomgate
#   /etc/roomgate/                 site.yaml and secrets/: yours, never overwritten; examples/ refreshed
#   /var/lib/roomgate/             the agent's state (outbox, alarms, boot sequence): never touched here;
#                                  the agent migrates its format at start (agent/state-format.ts)
#   /etc/systemd/system/roomgate-agent.service
# DESTDIR=/some/dir installs under that directory instead of / (no user, no systemctl): for tests
# and for building an image.
set -eu

src=$(cd "$(dirname "$0")" && pwd)
. "$src/bundle.env"   # NAME, VERSION, ARCH, NODE_VERSION
dest=${DESTDIR:-}
as_root=no
if [ -z "$dest" ] && [ "$(id -u)" -eq 0 ]; then as_root=yes; fi
if [ -z "$dest" ] && [ "$as_root" = no ]; then
  echo "install.sh: run as root (sudo), or set DESTDIR to install under a directory" >&2
  exit 1
fi

case "$(uname -m)" in
  x86_64) here=x64 ;;
  aarch64 | arm64) here=arm64 ;;
  *) here=$(uname -m) ;;
esac
if [ "$here" != "$ARCH" ] && [ "${ROOMGATE_ANY_ARCH:-}" != 1 ]; then
  echo "install.sh: this bundle is for linux-$ARCH, this machine is $here: use roomgate-$VERSION-linux-$here.tar.gz" >&2
  exit 1
fi

opt="$dest/opt/roomgate"
etc="$dest/etc/roomgate"
state="$dest/var/lib/roomgate"
unitdir="$dest/etc/systemd/system"
bindir="$dest/usr/local/bin"

# 1. The release, copied whole next to the others, then made current in one rename.
mkdir -p "$opt/releases"
rm -rf "$opt/releases/$NAME.new"
cp -a "$src" "$opt/releases/$NAME.new"
rm -rf "$opt/releases/$NAME"
mv "$opt/releases/$NAME.new" "$opt/releases/$NAME"
previous=$(readlink "$opt/current" 2>/dev/null || true)
[ "$previous" = "releases/$NAME" ] && previous=""
ln -sfn "releases/$NAME" "$opt/current.new"
mv -T "$opt/current.new" "$opt/current"
mkdir -p "$bindir"
ln -sfn /opt/roomgate/current/bin/roomgate "$bindir/roomgate"

# 2. Keep this release and the one before it; remove older ones.
for r in "$opt"/releases/*; do
  name=${r##*/}
  [ "$name" = "$NAME" ] && continue
  [ "releases/$name" = "$previous" ] && continue
  rm -rf "$r"
done

# 3. Config: the examples are refreshed, the site's own files are never touched.
mkdir -p "$etc/secrets"
rm -rf "$etc/examples"
cp -a "$src/app/config/examples" "$etc/examples"
mkdir -p "$state"
chmod 0750 "$etc" "$etc/secrets" "$state"

# 4. The service.
mkdir -p "$unitdir"
cp "$src/deploy/roomgate-agent.service" "$unitdir/roomgate-agent.service"
chmod 0644 "$unitdir/roomgate-agent.service"

if [ "$as_root" = yes ]; then
  if ! getent passwd roomgate >/dev/null; then
    useradd --system --user-group --home-dir /var/lib/roomgate --no-create-home --shell /usr/sbin/nologin roomgate
  fi
  usermod -aG dialout roomgate
  chown root:roomgate "$etc" "$etc/secrets"
  chown -R roomgate:roomgate "$state"
  if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
    systemctl daemon-reload
    if systemctl is-active --quiet roomgate-agent; then
      systemctl restart roomgate-agent
      echo "roomgate-agent restarted on $NAME"
    fi
  fi
fi

echo "installed $NAME (Node $NODE_VERSION) in /opt/roomgate/releases/$NAME${previous:+ (previous: ${previous#releases/})}"
if [ ! -f "$etc/site.yaml" ]; then
  echo "next: write /etc/roomgate/site.yaml (start from /etc/roomgate/examples/district-room.yaml),"
  echo "      put the broker password in /etc/roomgate/secrets/broker.pass (chmod 0640, chown root:roomgate),"
  echo "      then: runuser -u roomgate -- roomgate doctor && systemctl enable --now roomgate-agent"
fi
