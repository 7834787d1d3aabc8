#!/usr/bin/env python3
"""Score withhold against other scanners' own rule examples.

The examples are not in this repository and must not be: extract them (with
the search tool's read_file, see BENCHMARKS.md "Secrets against the anchors")
into JSONL outside it, one object a line:

  {"source": "noseyparker", "file": "aws.yml", "rule_id": "np.aws.1",
   "kind": "pos" | "neg", "text": "...", "expected": ["value", ...] | null}

Each example becomes one file; `withhold scan --path --reveal` reads them all.
A positive counts as found when a secret finding overlaps one of its expected
values (or, when `expected` is null, when any secret is found in it). A
negative counts as flagged when any secret finding is reported in it; test
values are counted separately.

  python3 benches/anchor_examples.py /tmp/anchors/noseyparker.jsonl /tmp/anchors/gitleaks.jsonl \
      [--bin target/release/withhold] [--rules DIR] [--only REGEX] [--misses] [--flagged]
"""
import argparse, json, os, re, shutil, subprocess, sys, tempfile
from collections import defaultdict


def load(paths, only):
    rows = []
    for p in paths:
        with open(p, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                line = line.strip()
                if not line:
                    continue
                try:
                    r = json.loads(line)
                except json.JSONDecodeError as e:
                    sys.exit(f"{p}:{n}: not JSON: {e}")
                key = f"{r.get('source')}:{r.get('file')}:{r.get('rule_id')}"
                if only and not re.search(only, key):
                    continue
                rows.append(r)
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("jsonl", nargs="+")
    ap.add_argument("--bin", default="target/release/withhold")
    ap.add_argument("--rules")
    ap.add_argument("--only", help="regex over source:file:rule_id")
    ap.add_argument("--misses", action="store_true", help="print the positives not found")
    ap.add_argument("--flagged", action="store_true", help="print the negatives flagged")
    ap.add_argument("--keep", help="write the example tree and output here")
    a = ap.parse_args()
    rows = load(a.jsonl, a.only)
    work = a.keep or tempfile.mkdtemp(prefix="anchors-")
    tree = os.path.join(work, "ex")
    shutil.rmtree(tree, ignore_errors=True)
    for i, r in enumerate(rows):
        d = os.path.join(tree, f"{r['source']}-{r['kind']}")
        os.makedirs(d, exist_ok=True)
        r["_item"] = f"{r['source']}-{r['kind']}/{i:05}.txt"
        with open(os.path.join(tree, r["_item"]), "w", encoding="utf-8") as f:
            f.write(r["text"])
    out = os.path.join(work, "out")
    cmd = [a.bin, "scan", "--path", tree, "--reveal", "--out", out, "--threads", "2"]
    if a.rules:
        cmd += ["--rules", a.rules]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if not os.path.exists(os.path.join(out, "findings.jsonl")):
        sys.exit(f"scan failed ({p.returncode}): {p.stderr[-2000:]}")
    found = defaultdict(list)
    with open(os.path.join(out, "findings.jsonl"), encoding="utf-8") as f:
        for line in f:
            x = json.loads(line)
            if x.get("category") == "secret":
                found[x["item_id"]].append(x)

    def overlaps(r, fs):
        text = r["text"]
        exp = r.get("expected")
        if not exp:
            return bool(fs)
        for v in exp:
            if not v:
                continue
            s = text.find(v)
            while s >= 0:
                # offsets are bytes in withhold: compare on the encoded text
                bs = len(text[:s].encode()); be = bs + len(v.encode())
                if any(x["start"] < be and bs < x["end"] for x in fs):
                    return True
                s = text.find(v, s + 1)
        return False

    stats = defaultdict(lambda: [0, 0, 0, 0, 0])  # pos, found, neg, flagged, flagged_test_only
    misses, flagged = [], []
    for r in rows:
        fs = found.get(r["_item"], [])
        k = r["source"]
        if r["kind"] == "pos":
            stats[k][0] += 1
            if overlaps(r, fs):
                stats[k][1] += 1
            else:
                misses.append(r)
        else:
            stats[k][2] += 1
            if fs:
                if all(x.get("test_value") for x in fs):
                    stats[k][4] += 1
                else:
                    stats[k][3] += 1
                    flagged.append((r, fs))
    tot = [0] * 5
    for k, v in sorted(stats.items()):
        tot = [t + x for t, x in zip(tot, v)]
        print(f"{k:12} positives {v[1]}/{v[0]} = {100*v[1]/max(v[0],1):.1f} %   "
              f"negatives flagged {v[3]}/{v[2]} = {100*v[3]/max(v[2],1):.1f} % (+{v[4]} as test values only)")
    print(f"{'all':12} positives {tot[1]}/{tot[0]} = {100*tot[1]/max(tot[0],1):.1f} %   "
          f"negatives flagged {tot[3]}/{tot[2]} = {100*tot[3]/max(tot[2],1):.1f} % (+{tot[4]} as test values only)")
    if a.misses:
        print("\n# positives not found")
        for r in misses:
            print(f"- {r['source']}:{r['file']}:{r['rule_id']}: {r['text'][:300]!r}")
    if a.flagged:
        print("\n# negatives flagged")
        for r, fs in flagged:
            rules = sorted({x['rule'] for x in fs})
            print(f"- {r['source']}:{r['file']}:{r['rule_id']} by {rules}: {r['text'][:300]!r}")


if __name__ == "__main__":
    main()
