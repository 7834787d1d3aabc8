#!/usr/bin/env bash
# Crawl a generated 100,000-item fake site with the release binary and report
# items/s, requests/s against the server's limit, requests per 1,000 items
# against the crawl's own minimum for its strategy, and peak RSS.
#   benches/crawl-100k.sh [ITEMS] [RATE_PER_SEC] [CONCURRENCY] [roots-only]
# `roots-only`: the fake site's site-wide comment listings hold no replies,
# so the crawler's check takes the per-comment fallback.
set -euo pipefail
cd "$(dirname "$0")/.."
items="${1:-100000}"
rate="${2:-1000}"
concurrency="${3:-16}"
mode="${4:-}"
work="target/crawl-bench"
rm -rf "$work" && mkdir -p "$work"
cargo build --release -q --bin withhold --example fake_site_serve
target/release/examples/fake_site_serve "$items" 1 "$rate" 0 $mode > "$work/serve.log" &
server=$!
trap 'kill -INT $server 2>/dev/null || true' EXIT
until grep -q '^url=' "$work/serve.log"; do sleep 0.2; done
url=$(sed -n 's/^url=//p' "$work/serve.log")
email=$(sed -n 's/^email=//p' "$work/serve.log")
echo fake-token > "$work/token"
start=$(date +%s.%N)
WITHHOLD_KEY_FILE="$work/key" /usr/bin/time -v target/release/withhold scan \
  --site "$url" --email "$email" --token-file "$work/token" \
  --concurrency "$concurrency" --out "$work/out" --quiet 2> "$work/time.log" || true
end=$(date +%s.%N)
kill -INT $server; wait $server || true
trap - EXIT
python3 - "$work" "$start" "$end" "$rate" <<'PY'
import json, re, sys
work, start, end, rate = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
s = json.load(open(f"{work}/out/summary.json"))
t = s["totals"]; req = s["crawl"]["requests"]
secs = end - start
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", open(f"{work}/time.log").read()).group(1))
print(open(f"{work}/serve.log").read().strip())
print(f"items scanned {t['items_scanned']} of {t['items_seen']} seen, {t['documents']} documents, {t['bytes']/1e6:.1f} MB, {t['findings']} findings")
print(f"wall {secs:.1f} s: {t['items_scanned']/secs:.0f} items/s, {req['total']/secs:.0f} requests/s (server limit {rate:.0f}/s), "
      f"{req['total']} requests = {1000*req['total']/max(1,t['items_scanned']):.1f} per 1,000 items, retries {req['retries']}, 429s {req['rate_limited']} "
      f"= {req.get('rate_limited_per_1000', 1000*req['rate_limited']/max(1,req['total'])):.1f} per 1,000 requests, "
      f"paced {req.get('paced', 0)} ({req.get('paced_ms', 0)/1000:.1f} s of waits)")
print(f"peak RSS {rss/1024:.0f} MiB")
import os
store = sum(os.path.getsize(f"{work}/out/{n}") for n in os.listdir(f"{work}/out") if n.startswith("withhold.db"))
print(f"store {store/1e6:.1f} MB = {store/max(1,t['items_seen']):.0f} bytes per item ({t['findings']} findings stored)")
print("coverage:", sorted({c['status'] for c in s['containers']}))
minimum = s["crawl"].get("requests_minimum", 0)
if minimum:
    print(f"strategy minimum {minimum} requests = {1000*minimum/max(1,t['items_scanned']):.1f} per 1,000 items; "
          f"sent / minimum = {req['total']/minimum:.3f}")
cc = s["crawl"].get("confluence_comments")
if cc:
    for kind in ("footer", "inline"):
        k = cc[kind]
        print(f"{kind} comments: {cc['strategy']}, {k['comments']} read, sample {k['sampled']} "
              f"({k['sample_replies']} replies, {k['missing_from_listing']} missing), verified {k['verified']}, "
              f"fallback {k['fallback']} ({k['fallback_requests']} requests)")
print("per endpoint:", json.dumps(req["by_endpoint"]))
PY
