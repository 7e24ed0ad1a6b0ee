#!/usr/bin/env bash
# One command for the whole test suite: install, then run pytest with a real OS keyring
# session and a virtual X screen for the GUI tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"
bash scripts/with-keyring.sh xvfb-run -a -s "-screen 0 1366x768x24" .venv/bin/python -m pytest "$@"
