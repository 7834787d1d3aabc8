#!/usr/bin/env bash
# Rescan benchmark (issue 10): first crawl of a generated site, rescan of the
# unchanged site, rescan after changing a fraction of it, with the release
# binary against the fake site on loopback.
#   benches/rescan.sh [ITEMS] [RATE_PER_SEC] [FRACTION]
set -euo pipefail
cd "$(dirname "$0")/.."
items="${1:-20000}"
rate="${2:-1000}"
fraction="${3:-0.01}"
work="target/rescan-bench"
rm -rf "$work" && mkdir -p "$work"
cargo build --release -q --bin withhold --example rescan_bench
target/release/examples/rescan_bench target/release/withhold "$work" "$items" "$rate" "$fraction"
