#!/usr/bin/env bash
# Measure the engine against ripgrep on the same generated corpus, in one run.
#   benches/compare-ripgrep.sh [DIR] [MEGABYTES]
# Writes the corpus to DIR (default target/bench-corpus), exports the loaded
# rules' patterns, times `rg -j1 -c -f` with hyperfine, runs the criterion
# bench, and prints MB/s for each and the ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-target/bench-corpus}"
mb="${2:-64}"
cargo run --release -q --example bench_corpus -- "$dir" "$mb"
cargo run --release -q -- rules export-patterns > "$dir/patterns.txt"
bytes=$(stat -c %s "$dir/corpus.txt")
hyperfine --warmup 1 --runs 5 --export-json "$dir/rg.json" \
  "rg -j1 -c -f $dir/patterns.txt $dir/corpus.txt" \
  "rg -c -f $dir/patterns.txt $dir/corpus.txt" >/dev/null
WITHHOLD_BENCH_MB="$mb" cargo bench -q --bench engine -- --noplot >/dev/null 2>&1
python3 - "$dir" "$bytes" <<'PY'
import json, sys
d, size = sys.argv[1], int(sys.argv[2])
rg = json.load(open(f"{d}/rg.json"))["results"]
def crit(name):
    est = json.load(open(f"target/criterion/engine/{name}/new/estimates.json"))
    bench = json.load(open(f"target/criterion/engine/{name}/new/benchmark.json"))
    nbytes = bench["throughput"]["Bytes"]
    return nbytes / (est["mean"]["point_estimate"] / 1e9) / 1e6
rg1 = size / rg[0]["mean"] / 1e6
rgn = size / rg[1]["mean"] / 1e6
w1, wn = crit("one_thread"), crit("all_threads")
print(f"corpus: {size/1e6:.1f} MB")
print(f"ripgrep -j1 -c -f (regexes only): {rg1:7.1f} MB/s   all threads: {rgn:7.1f} MB/s")
print(f"withhold engine (+10k clients):   {w1:7.1f} MB/s   all threads: {wn:7.1f} MB/s")
print(f"single-thread ratio withhold/ripgrep: {w1/rg1:.2f}")
PY
