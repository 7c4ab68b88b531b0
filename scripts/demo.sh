#!/usr/bin/env bash
# The main command of README.md: set up (idempotent), then run the simulated facility demo.
# Extra arguments go to the demo, e.g. scripts/demo.sh --json
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$ROOT"
exec "$VENV/bin/officepass-sim" demo "$@"
