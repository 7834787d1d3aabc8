//! `withhold triage` over the demo scanned offline: a decision lasts across
//! scans (the finding leaves findings.jsonl and is counted in every output),
//! it can be listed and removed, and a value the store never saw is refused.

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

fn withhold(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_withhold"))
        .args(args)
        .env("WITHHOLD_KEY_FILE", dir.join("key"))
        .env("USER", "reviewer")
        .output()
        .expect("the binary runs")
}

fn ok(out: &Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn scan(dir: &Path, extra: &[&str]) -> Output {
    let out = dir.join("out");
    let out = out.to_str().expect("utf-8 temp dir");
    let mut args = vec!["scan", "--demo", "--offline", "--quiet", "--out", out];
    args.extend_from_slice(extra);
    withhold(dir, &args)
}

fn findings(dir: &Path) -> Vec<Value> {
    std::fs::read_to_string(dir.join("out/findings.jsonl"))
        .expect("findings.jsonl written")
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect()
}

fn summary(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("out/summary.json")).unwrap()).unwrap()
}

fn out_arg(dir: &Path) -> String {
    dir.join("out").display().to_string()
}

/// A fingerprint that occurs once in the demo's findings.
fn a_single_fingerprint(all: &[Value]) -> String {
    all.iter()
        .map(|f| f["fingerprint"].as_str().unwrap().to_string())
        .find(|fp| {
            all.iter()
                .filter(|f| f["fingerprint"] == *fp.as_str())
                .count()
                == 1
        })
        .expect("a value found once")
}

#[test]
fn a_triaged_finding_is_gone_from_the_next_scan_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    ok(&scan(dir.path(), &[]));
    let before = findings(dir.path());
    let fp = a_single_fingerprint(&before);
    let out = out_arg(dir.path());
    let said = ok(&withhold(
        dir.path(),
        &[
            "triage",
            &fp,
            "--false-positive",
            "--note",
            "a documentation address",
            "--out",
            &out,
        ],
    ));
    assert!(said.contains("Recorded triage decision"), "{said}");

    let terminal = String::from_utf8_lossy(&{
        let o = withhold(dir.path(), &["scan", "--demo", "--offline", "--out", &out]);
        ok(&o);
        o.stdout
    })
    .into_owned();
    let after = findings(dir.path());
    assert_eq!(after.len() + 1, before.len());
    assert!(after.iter().all(|f| f["fingerprint"] != fp.as_str()));
    assert_eq!(
        summary(dir.path())["totals"]["triaged"]["false-positive"],
        1
    );
    assert!(terminal.contains("Triage removed 1 finding"), "{terminal}");
    let checklist = std::fs::read_to_string(dir.path().join("out/checklist.md")).unwrap();
    assert!(
        checklist.contains("Triage removed 1 finding"),
        "{checklist}"
    );
    let html = std::fs::read_to_string(dir.path().join("out/report.html")).unwrap();
    assert!(html.contains("Triage removed 1 finding"));

    // Listed with who and why; removed, the finding comes back.
    let list = ok(&withhold(
        dir.path(),
        &["triage", "--list", "--json", "--out", &out],
    ));
    let rows: Vec<Value> = list
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["fingerprint"], fp.as_str());
    assert_eq!(rows[0]["decision"], "false-positive");
    assert_eq!(rows[0]["decided_by"], "reviewer");
    assert_eq!(rows[0]["note"], "a documentation address");
    let table = ok(&withhold(dir.path(), &["triage", "--list", "--out", &out]));
    assert!(
        table.contains(&fp) && table.contains("everywhere"),
        "{table}"
    );
    let id = rows[0]["id"].to_string();
    ok(&withhold(
        dir.path(),
        &["triage", "--remove", &id, "--out", &out],
    ));
    let list = ok(&withhold(
        dir.path(),
        &["triage", "--list", "--json", "--out", &out],
    ));
    assert!(list.trim().is_empty(), "{list}");
    ok(&scan(dir.path(), &[]));
    assert_eq!(findings(dir.path()).len(), before.len());
}

#[test]
fn a_finding_id_and_a_container_scope_name_what_is_triaged() {
    let dir = tempfile::tempdir().unwrap();
    ok(&scan(dir.path(), &[]));
    let out = out_arg(dir.path());
    let listed = ok(&withhold(
        dir.path(),
        &["triage", "--list-findings", "--json", "--out", &out],
    ));
    let refs: Vec<Value> = listed
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(refs.len(), findings(dir.path()).len());
    let first = &refs[0];
    let container = first["container"].as_str().unwrap().to_string();
    let fp = first["fingerprint"].as_str().unwrap().to_string();
    let id = first["id"].to_string();
    ok(&withhold(
        dir.path(),
        &[
            "triage",
            &id,
            "--accepted-risk",
            "--container",
            &container,
            "--note",
            "kept on purpose",
            "--out",
            &out,
        ],
    ));
    ok(&scan(dir.path(), &[]));
    let key = container.split_once(':').unwrap().1;
    let left: Vec<Value> = findings(dir.path())
        .into_iter()
        .filter(|f| f["fingerprint"] == fp.as_str())
        .collect();
    assert!(
        left.iter().all(|f| f["container_key"] != key),
        "scoped to {container}"
    );
    assert!(summary(dir.path())["totals"]["triaged"]["accepted-risk"].as_u64() >= Some(1));
}

#[test]
fn a_fingerprint_the_store_never_saw_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    ok(&scan(dir.path(), &[]));
    let out = out_arg(dir.path());
    for (reference, words) in [
        (
            "0123456789abcdef0123456789abcdef",
            "no scan of this store found",
        ),
        ("999999", "no finding 999999"),
        ("not-a-fingerprint", "neither a fingerprint"),
    ] {
        let o = withhold(
            dir.path(),
            &[
                "triage",
                reference,
                "--false-positive",
                "--note",
                "x",
                "--out",
                &out,
            ],
        );
        assert_eq!(o.status.code(), Some(2), "{reference}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(words), "{reference}: {err}");
    }
    // No store at all: refused, and none is created.
    let o = withhold(
        dir.path(),
        &[
            "triage",
            "--list",
            "--db",
            &dir.path().join("none.db").display().to_string(),
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(!dir.path().join("none.db").exists());
}

#[test]
fn the_allow_files_reviewed_entries_are_imported_once() {
    let dir = tempfile::tempdir().unwrap();
    ok(&scan(dir.path(), &[]));
    let fp = a_single_fingerprint(&findings(dir.path()));
    let allow = dir.path().join("allow.toml");
    std::fs::write(
        &allow,
        format!("[[reviewed]]\nfingerprint = \"{fp}\"\nnote = \"reviewed in the file\"\ndecision = \"accepted-risk\"\n"),
    )
    .unwrap();
    let allow = allow.display().to_string();
    let out = out_arg(dir.path());
    for _ in 0..2 {
        ok(&scan(dir.path(), &["--allow", &allow]));
        let list = ok(&withhold(
            dir.path(),
            &["triage", "--list", "--json", "--out", &out],
        ));
        let rows: Vec<Value> = list
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(rows.len(), 1, "{list}");
        assert_eq!(rows[0]["source"], "allow-file");
        assert_eq!(rows[0]["decision"], "accepted-risk");
        assert_eq!(rows[0]["note"], "reviewed in the file");
    }
    assert!(findings(dir.path())
        .iter()
        .all(|f| f["fingerprint"] != fp.as_str()));
}
