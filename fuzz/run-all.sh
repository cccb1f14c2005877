#!/usr/bin/env bash
# Runs every fuzz target for SECS seconds (default 600), one after the other (one core), with the stable
# toolchain: RUSTC_BOOTSTRAP=1 lets it take cargo-fuzz's -Z flags (sanitizer). The working corpus is
# fuzz/corpus/<target> (git-ignored), started from the kept, minimized corpus fuzz/corpus-<target>.tar.gz and
# the hand-written seeds in fuzz/seeds/<target>; crashes land in fuzz/artifacts/<target> (copy each into
# testdata/fuzz/<target>/, where tests/fuzz_regressions.rs replays it).
#   bash fuzz/run-all.sh [SECS] [TARGET...]
#   bash fuzz/run-all.sh pack [TARGET...]     # minimize the working corpus (cargo fuzz cmin) and keep it
set -uo pipefail
cd "$(dirname "$0")"
secs=${1:-600}
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(nginx interpolation dotenv compose)
export RUSTC_BOOTSTRAP=1
if [ "$secs" = pack ]; then
  for t in "${targets[@]}"; do
    cargo fuzz cmin -O "$t" "corpus/$t" >/dev/null 2>&1
    tar -C corpus -czf "corpus-$t.tar.gz" "$t"
    echo "corpus-$t.tar.gz: $(ls "corpus/$t" | wc -l) inputs"
  done
  exit 0
fi
for t in "${targets[@]}"; do
  if [ ! -d "corpus/$t" ] && [ -f "corpus-$t.tar.gz" ]; then
    mkdir -p corpus && tar -C corpus -xzf "corpus-$t.tar.gz"
  fi
  mkdir -p "corpus/$t"
  echo "== $t: ${secs}s"
  cargo fuzz run -O "$t" "corpus/$t" "seeds/$t" -- \
    -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 2>&1 |
    grep -E "^(#[0-9]+ +DONE|==|stat::number_of_executed_units|stat::peak_rss|SUMMARY|.*panicked|artifact_prefix|Test unit written)" || true
done
