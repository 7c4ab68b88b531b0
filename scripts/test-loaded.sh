#!/usr/bin/env bash
# The suite under CPU load and in a shuffled order, several times over (docs/operations.md, "Flaky tests"):
# a test that fails once here is a defect to find, not to retry.
#   scripts/test-loaded.sh             five runs, each in a new random order, with stress-ng on every core
#   scripts/test-loaded.sh 2 -k kiosk  two runs of the kiosk tests
# Each run prints its seed; `scripts/test.sh -p randomly --randomly-seed=SEED` repeats its order.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
install_debs stress-ng
cd "$ROOT"
export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"

runs="${1:-5}"
[ $# -gt 0 ] && shift
# the load: one busy worker per core for as long as the runs take, stopped on every way out
stress-ng --cpu "$(nproc)" --quiet &
stress=$!
trap 'kill "$stress" 2>/dev/null; wait "$stress" 2>/dev/null || true' EXIT

failed=()
for run in $(seq 1 "$runs"); do
    seed="$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')"
    echo "test-loaded: run $run of $runs, seed $seed, stress-ng --cpu $(nproc)" >&2
    if ! "$VENV/bin/python" -m pytest -p randomly --randomly-seed="$seed" "$@"; then
        failed+=("$seed")
    fi
done
if [ "${#failed[@]}" -gt 0 ]; then
    echo "test-loaded: ${#failed[@]} of $runs runs failed; seeds: ${failed[*]}" >&2
    exit 1
fi
echo "test-loaded: all $runs runs passed under load in shuffled order" >&2
