#!/usr/bin/env bash
# One command for a newcomer: install, build the demo hospital once, show today's worklist.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export FOLLOWUP_HOME="${FOLLOWUP_HOME:-$PWD/var/demo}"
mkdir -p "$FOLLOWUP_HOME"
bash scripts/with-keyring.sh bash -c '
  set -e
  if [ ! -f "$FOLLOWUP_HOME/cache.db" ]; then
    .venv/bin/nurse-station demo-data --patients 2000 --seed 7
  fi
  .venv/bin/nurse-station worklist --ward CARD1
  .venv/bin/nurse-station stats --from "$(date -d "-90 days" +%F)" --to "$(date -d tomorrow +%F)" --by ward
'
