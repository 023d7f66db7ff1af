#!/usr/bin/env bash
# Builds Earshot in release mode and installs it on this machine as a service:
#   Deploy/install.sh [recv|send|both]   (default: recv, for a speaker box)
# Binaries go to /usr/local/bin, options to /etc/default/earshot-*, units to /etc/systemd/system.
set -euo pipefail
cd "$(dirname "$0")/.."
role=${1:-recv}
case "$role" in recv) roles=(recv) ;; send) roles=(send) ;; both) roles=(recv send) ;;
  *) echo "usage: $0 [recv|send|both]" >&2; exit 2 ;; esac

./Deploy/install-dependencies.sh build
swift build -c release --product earshot-recv
swift build -c release --product earshot-send
bin=$(swift build -c release --show-bin-path)

id earshot >/dev/null 2>&1 || useradd --system --no-create-home --gid audio --shell /usr/sbin/nologin earshot
for r in "${roles[@]}"; do
  install -m 0755 "$bin/earshot-$r" /usr/local/bin/
  [ -f "/etc/default/earshot-$r" ] || install -m 0644 "Deploy/default/earshot-$r" /etc/default/
  install -m 0644 "Deploy/systemd/earshot-$r.service" /etc/systemd/system/
done
install -d /usr/local/share/doc/earshot && install -m 0644 README.md /usr/local/share/doc/earshot/
if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  # restart, not just start: a reinstall replaces the binary and the unit of a running service.
  for r in "${roles[@]}"; do systemctl enable "earshot-$r.service" && systemctl restart "earshot-$r.service"; done
  echo "installed and started: ${roles[*]/#/earshot-}; state: systemctl status earshot-${roles[0]}; logs: journalctl -u earshot-${roles[0]} -f"
else
  echo "installed ${roles[*]/#/earshot-} (no systemd here: start /usr/local/bin/earshot-${roles[0]} by hand)"
fi
