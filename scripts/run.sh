#!/usr/bin/env bash
# One command for a newcomer: install, start a local central service with the demo hospital
# (SQLite, built once), then open the nurse's desk against it. Without a display (a headless
# machine) it syncs the desk's cache from the service and prints today's worklist instead.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export FOLLOWUP_HOME="${FOLLOWUP_HOME:-$PWD/var/demo}"
export FOLLOWUP_PORT="${FOLLOWUP_PORT:-8765}"
mkdir -p "$FOLLOWUP_HOME"
bash scripts/with-keyring.sh bash -c '
  set -euo pipefail
  SERVER_DB="sqlite:///$FOLLOWUP_HOME/server.db"
  SERVER_URL="http://127.0.0.1:$FOLLOWUP_PORT"
  # The desk cache of this demo PC (kept apart from a cache built by "nurse-station demo-data").
  DESK_CACHE="$FOLLOWUP_HOME/desk-cache.db"
  if [ ! -f "$FOLLOWUP_HOME/server.db" ]; then
    echo "Building the demo hospital on the central service (once, about half a minute)…"
    .venv/bin/followup-server migrate --db "$SERVER_DB"
    if ! .venv/bin/followup-server seed-demo --db "$SERVER_DB" --patients 3000 --seed 7 --password demo1234; then
      rm -f "$FOLLOWUP_HOME/server.db"
      exit 1
    fi
  fi
  .venv/bin/followup-server serve --db "$SERVER_DB" --host 127.0.0.1 --port "$FOLLOWUP_PORT" \
    >"$FOLLOWUP_HOME/server.log" 2>&1 &
  SERVER_PID=$!
  trap "kill $SERVER_PID 2>/dev/null || true; wait $SERVER_PID 2>/dev/null || true" EXIT
  for _ in $(seq 1 150); do
    if .venv/bin/python -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)" \
      "$SERVER_URL/ready" 2>/dev/null; then
      break
    fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      echo "The central service did not start; see $FOLLOWUP_HOME/server.log" >&2
      exit 1
    fi
    sleep 0.2
  done
  echo "Central service: $SERVER_URL (log: $FOLLOWUP_HOME/server.log)"
  echo "Demo accounts: demo.nurse / demo1234 (also demo.manager, admin; same password)"
  if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
    .venv/bin/nurse-station --cache "$DESK_CACHE" desk --server "$SERVER_URL" --user demo.nurse
  else
    echo "No display: syncing the desk cache and printing the worklist instead of opening the window."
    echo demo1234 | .venv/bin/nurse-station --cache "$DESK_CACHE" sync --server "$SERVER_URL" --user demo.nurse --password-stdin
    .venv/bin/nurse-station --cache "$DESK_CACHE" worklist --ward CARD1
    echo
    echo "On a desktop, bash scripts/run.sh opens the window itself; or, with this service running:"
    echo "  .venv/bin/nurse-station --cache "$DESK_CACHE" desk --server $SERVER_URL --user demo.nurse"
  fi
'
