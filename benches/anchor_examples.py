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

    # A rule's negative example is often another rule's positive (Nosey
    # Parker's Slack rules list each other's tokens; gitleaks' Cloudflare
    # rules share one list): a scanner that reports it is right to. Such a
    # negative is counted apart, not as a false hit.
    positives = defaultdict(list)
    for r in rows:
        if r["kind"] == "pos":
            positives[r["source"]].append(r)

    def another_rules_positive(r):
        text = r["text"].strip()
        for q in positives[r["source"]]:
            if q["rule_id"] == r["rule_id"]:
                continue
            if q["text"].strip() == text:
                return True
            if any(v and len(v) >= 12 and v in r["text"] for v in (q.get("expected") or [])):
                return True
        return False

    # Nosey Parker files each rule under categories; those without `secret`
    # (bucket names, ARNs, client IDs, usernames, public keys) are
    # identifiers, not credentials: scored apart.
    def identifier_rule(r):
        cats = r.get("categories")
        return cats is not None and "secret" not in cats

    # The issue asks that templated and low-entropy values not be reported
    # as real findings (`aaaa…`, `xxxx…`, `${VAR}`, `%VAR%`, `######`): a
    # positive whose expected value is one is scored apart.
    def placeholder_value(v):
        if not v:
            return False
        core = v.strip("\"'{}")
        if core and max(core.count(c) for c in set(core)) >= 0.6 * len(core):
            return True
        low = core.lower()
        return ("xxxx" in low or "####" in low or "${" in low
                or re.fullmatch(r"\$[a-z_][a-z0-9_]*|%[a-z_][a-z0-9_]*%", low) is not None)

    def placeholder_positive(r):
        exp = [v for v in (r.get("expected") or []) if v]
        return bool(exp) and all(placeholder_value(v) for v in exp)

    apart = defaultdict(lambda: [0, 0, 0, 0])  # identifiers: n, found; placeholders: n, found
    stats = defaultdict(lambda: [0, 0, 0, 0, 0, 0])  # pos, found, neg, flagged, test_only, cross
    misses, flagged = [], []
    for r in rows:
        fs = found.get(r["_item"], [])
        k = r["source"]
        if r["kind"] == "neg" and another_rules_positive(r):
            stats[k][5] += 1
            continue
        if r["kind"] == "pos" and (identifier_rule(r) or placeholder_positive(r)):
            i = 0 if identifier_rule(r) else 2
            apart[k][i] += 1
            apart[k][i + 1] += overlaps(r, [x for x in fs if not x.get("test_value")])
            continue
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
    tot = [0] * 6
    for k, v in sorted(stats.items()) + [("all", None)]:
        if v is None:
            v = tot
        else:
            tot = [t + x for t, x in zip(tot, v)]
        print(f"{k:12} positives {v[1]}/{v[0]} = {100*v[1]/max(v[0],1):.1f} %   "
              f"negatives flagged {v[3]}/{v[2]} = {100*v[3]/max(v[2],1):.1f} % "
              f"(+{v[4]} as test values only; {v[5]} negatives set apart as another rule's positive)")
    for k, v in sorted(apart.items()):
        print(f"{k:12} set apart: {v[0]} positives of identifier rules ({v[1]} found), "
              f"{v[2]} positives whose value is a placeholder ({v[3]} reported as real)")
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
