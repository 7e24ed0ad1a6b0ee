#!/usr/bin/env bash
# Installs everything the product and its tests need on Debian/Ubuntu:
# system packages (when run as root or with sudo) and a project virtualenv in .venv.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(
  # OS keyring (Secret Service) that holds the cache key and the sync token
  gnome-keyring dbus dbus-x11
  # Qt on a real or virtual X screen
  xvfb xauth libegl1 libgl1 libfontconfig1 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4
  libxcb-keysyms1 libxcb-shape0 libxcb-render-util0 libxcb-image0 libdbus-1-3
  # Chinese text on screen and in reports
  fonts-noto-cjk
  # PDF reports embed these TrueType fonts (copied into resources/fonts): CJK and Latin
  fonts-droid-fallback fonts-dejavu-core
  # read-aloud (pyttsx3 -> espeak-ng) and microphone capture
  espeak-ng libespeak-ng1 libportaudio2
  # voice tests: resampling espeak-ng's speech to 16/44.1/48 kHz
  sox
  # PDF checks in tests
  poppler-utils
  # installers: the .deb (dpkg-deb, tests install it with dpkg) and the Windows NSIS script
  dpkg-dev fakeroot nsis
)

missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  echo "Installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[test]"
