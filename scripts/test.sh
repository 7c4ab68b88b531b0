#!/usr/bin/env bash
# The test command of README.md: set up (idempotent), then run the whole suite.
# Extra arguments go to pytest, e.g. scripts/test.sh -k tokens
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$ROOT"
export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"
exec "$VENV/bin/python" -m pytest "$@"
