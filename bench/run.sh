#!/usr/bin/env bash
# Whole-process comparisons, side by side in one run (see README "Performance"):
#   our `parse nginx` vs `crossplane parse`, our `parse compose` vs `docker-compose config -q`, our static
#   `check` vs both of those together; wall time (median, min-max) and peak RSS of each process.
#   bash bench/run.sh [RUNS]      # RUNS per command (default 5; the slow tools get half)
# Needs python3, crossplane (pip install crossplane) and docker-compose. Take the numbers on a quiet machine:
# the load average is printed before and after.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
command -v crossplane >/dev/null || { echo "crossplane missing: pip install crossplane" >&2; exit 2; }
command -v docker-compose >/dev/null || { echo "docker-compose missing" >&2; exit 2; }
cargo build --release --quiet
target=${CARGO_TARGET_DIR:-$PWD/target}
python3 bench/gen.py >/dev/null
python3 bench/compare.py "$target/release/compose-doctor" "$PWD/bench/generated" "$runs"
