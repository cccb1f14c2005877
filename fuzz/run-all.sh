#!/usr/bin/env bash
# Runs every fuzz target for SECS seconds (default 600), one after the other (one core), with the stable
# toolchain: RUSTC_BOOTSTRAP=1 lets it take cargo-fuzz's -Z flags (sanitizer). Corpus in fuzz/corpus/<target>
# (git-ignored), seeded from fuzz/seeds/<target>; crashes land in fuzz/artifacts/<target>.
#   bash fuzz/run-all.sh [SECS] [TARGET...]
set -uo pipefail
cd "$(dirname "$0")"
secs=${1:-600}
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(nginx interpolation dotenv compose)
export RUSTC_BOOTSTRAP=1
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  echo "== $t: ${secs}s"
  cargo fuzz run -O "$t" "corpus/$t" "seeds/$t" -- \
    -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 2>&1 |
    grep -E "^(#[0-9]+ +DONE|==|stat::number_of_executed_units|stat::peak_rss|SUMMARY|.*panicked|artifact_prefix|Test unit written)" || true
done
