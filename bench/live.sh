#!/usr/bin/env bash
# Live mode against the daemon's own floor, on a real project of 50 containers (busybox from the local
# test images, a unique project name, everything removed afterwards):
#   floor: one list call + 50 inspects, sequential on ONE connection (curl --unix-socket, per-request times
#          summed: no process start counted);
#   ours:  docker::gather in process (examples/live_gather.rs), and the whole CLI `check --live` against
#          `check --offline` on the same project.
#   bash bench/live.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
n=50
root=$PWD
target=${CARGO_TARGET_DIR:-$root/target}
sock=/var/run/docker.sock
api=v1.41
name="cdbench$$"
dir=$(mktemp -d "${TMPDIR:-/tmp}/cd-live-bench.XXXXXX")
cleanup() {
  (cd "$dir" && docker-compose -p "$name" down -t 2 --remove-orphans >/dev/null 2>&1) || true
  rm -rf "$dir"
}
trap cleanup EXIT

bash tests/images/build.sh >/dev/null
cargo build --release --quiet --example live_gather --bin compose-doctor

{
  echo "services:"
  for i in $(seq 1 $n); do
    printf '  s%d:\n    image: compose-doctor-test/busybox:1\n    command: ["httpd", "-f", "-p", "8080", "-h", "/"]\n    networks: [net]\n' "$i"
  done
  printf 'networks:\n  net: {}\n'
} > "$dir/compose.yaml"
(cd "$dir" && docker-compose -p "$name" up -d >/dev/null 2>&1)
echo "project $name: $(docker ps -q --filter label=com.docker.compose.project=$name | wc -l) containers running; load average $(cut -d' ' -f1-3 /proc/loadavg)"

ids=$(docker ps -aq --no-trunc --filter label=com.docker.compose.project=$name)
filter=$(python3 -c 'import json,sys,urllib.parse; print(urllib.parse.quote(json.dumps({"label":["com.docker.compose.project=%s" % sys.argv[1]]})))' "$name")
urls=("http://d/$api/containers/json?all=1&filters=$filter")
for id in $ids; do urls+=("http://d/$api/containers/$id/json"); done
floors=()
for _ in $(seq 1 "$runs"); do
  # one curl process: every URL on the same connection; the sum of the transfer times
  t=$(curl -s --unix-socket "$sock" -o /dev/null -w '%{time_total}\n' "${urls[@]}" | awk '{s+=$1} END {printf "%.1f", s*1000}')
  floors+=("$t")
done
echo "floor (list + $n inspects, sequential, one connection): ms ${floors[*]}"

"$target/release/examples/live_gather" "$dir" "$name" "$runs"

cli() {
  local mode=$1 out=()
  for _ in $(seq 1 "$runs"); do
    s=$(date +%s.%N)
    (cd "$dir" && "$target/release/compose-doctor" check -p "$name" "$mode" -q >/dev/null 2>&1) || true
    e=$(date +%s.%N)
    out+=("$(python3 -c "print('%.1f' % (($e - $s) * 1000))")")
  done
  echo "${out[*]}"
}
echo "CLI check --offline: ms $(cli --offline)"
echo "CLI check --live:    ms $(cli --live)"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
