#!/usr/bin/env bash
# Runs a command with a usable OS keyring. On a desktop the session's keyring is used as is;
# on a headless machine (no D-Bus session) a private D-Bus session with gnome-keyring is started,
# its login keyring unlocked with FOLLOWUP_KEYRING_PASSWORD (IT sets a real one on kiosks).
set -euo pipefail
if [ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ]; then
  exec "$@"
fi
export FOLLOWUP_KEYRING_PASSWORD="${FOLLOWUP_KEYRING_PASSWORD:-followup-demo}"
exec dbus-run-session -- bash -c '
  printf %s "$FOLLOWUP_KEYRING_PASSWORD" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  unset FOLLOWUP_KEYRING_PASSWORD
  exec "$@"' with-keyring "$@"
