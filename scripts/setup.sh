#!/usr/bin/env bash
# Idempotent set-up, sourced by demo.sh and test.sh: Debian packages, then a virtualenv
# (.venv) holding this project and its test extra. A second run changes nothing. Everything it says,
# and everything apt and pip say, goes to stderr: `demo.sh --json` prints only the summary on stdout.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
APT_PACKAGES=(mosquitto mosquitto-clients xvfb xauth fonts-noto-cjk libzbar0
    # aplay plays the kiosk's verdict sounds
    alsa-utils
    # what Qt's xcb platform loads on a desktop (the windowed demo, the panel, a kiosk under X)
    libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 libxcb-shape0
    libxcb-xfixes0 libxcb-xinerama0 libxcb-xkb1 libxkbcommon-x11-0 libegl1 libgl1 libfontconfig1 libdbus-1-3
    # promtool checks and unit-tests the shipped alert rules (deploy/prometheus)
    prometheus
    # the board packages (scripts/build_packages.py compiles them with Debian's own Python) and their tests:
    # a fresh Debian root, its own network namespace, a relay to the mirror
    python3.11 debootstrap iproute2 socat)

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing_debs() {
    local package
    for package in "$@"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || echo "$package"
    done
}

install_debs() {
    local -a wanted
    mapfile -t wanted < <(missing_debs "$@")
    [ "${#wanted[@]}" -eq 0 ] && return 0
    echo "setup: installing Debian packages: ${wanted[*]}" >&2
    as_root apt-get update -qq >&2
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${wanted[@]}" >&2
}

ensure_python() {
    # Debian's own python3 lacks venv until python3-venv is installed.
    if ! command -v python3 >/dev/null || ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
        install_debs python3 python3-venv
    fi
    python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
        echo "setup: Python 3.11 or newer is needed, found $(python3 --version)" >&2; exit 1; }
}

drop_plain_opencv() {
    # The extras want opencv-contrib-python-headless, which ships the same cv2 package as opencv-python-headless:
    # a venv made before holds the plain one, and uninstalling either after the other is installed breaks cv2. So
    # the plain one goes first, with the contrib one if both are there, and pip then installs the contrib one whole.
    "$VENV/bin/python" -m pip show -q opencv-python-headless >/dev/null 2>&1 || return 0
    echo "setup: replacing opencv-python-headless with opencv-contrib-python-headless" >&2
    "$VENV/bin/python" -m pip uninstall -y -q opencv-python-headless opencv-contrib-python-headless >&2
}

ensure_venv() {
    local stamp="$VENV/.officepass-installed" want
    want="$(sha256sum "$ROOT/pyproject.toml" | cut -d' ' -f1)"
    [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV" >&2
    if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
        echo "setup: installing the project into $VENV" >&2
        "$VENV/bin/python" -m pip install -q --upgrade pip >&2
        drop_plain_opencv
        "$VENV/bin/python" -m pip install -q -e "$ROOT[test]" >&2
        echo "$want" > "$stamp"
    fi
}

ensure_node_tools() {
    # The AsyncAPI project's own parser (tests/asyncapi), pinned by its package-lock.json.
    local folder="$ROOT/tests/asyncapi" stamp want
    command -v node >/dev/null && command -v npm >/dev/null || install_debs nodejs npm
    stamp="$folder/node_modules/.officepass-installed"
    want="$(sha256sum "$folder/package-lock.json" | cut -d' ' -f1)"
    if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
        echo "setup: installing the AsyncAPI parser into $folder/node_modules" >&2
        npm ci --prefix "$folder" --no-audit --no-fund --ignore-scripts >&2
        echo "$want" > "$stamp"
    fi
}

install_debs "${APT_PACKAGES[@]}"
ensure_python
ensure_venv
ensure_node_tools
