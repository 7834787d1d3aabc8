//! The store across runs of the real binary (DESIGN §8a): what a rescan
//! reports as changed, `withhold diff`, `--fail-on new-high`, and stores
//! that must be refused untouched.

#[path = "support/cli.rs"]
mod cli;

use cli::withhold;
use serde_json::Value;
use std::path::Path;

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn scan(dir: &Path, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["scan", "--path", "data", "--out", "out", "--json"];
    args.extend_from_slice(extra);
    let out = withhold(dir, &args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let json =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("no JSON ({e}): {stderr}"));
    (out.status.code().unwrap_or(-1), json)
}

/// (container key, entity, item) of every finding in findings.jsonl.
fn findings(dir: &Path) -> Vec<(String, String, String)> {
    std::fs::read_to_string(dir.join("out/findings.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
            (s("container_key"), s("entity"), s("item_id"))
        })
        .collect()
}

fn keys(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|c| c["key"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_rescan_reports_exactly_what_changed_and_new_high_pages_only_on_news() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "data/pay/cards.txt", "card 4929 1234 5678 9015");
    write(d, "data/hr/people.txt", "mail j.doe@client.com");
    write(d, "data/hr/clean.txt", "nothing to see");
    let (code, first) = scan(d, &["--fail-on", "new-high"]);
    // The first scan: every container is news, and `pay` is high.
    assert_eq!(code, 1, "{first}");
    assert!(first["changes"]["since"].is_null());
    assert_eq!(keys(&first["changes"]["new_containers"]), ["hr", "pay"]);

    // Unchanged: nothing new, nothing to page about.
    let (code, same) = scan(d, &["--fail-on", "new-high"]);
    assert_eq!(code, 0, "{same}");
    assert_eq!(same["changes"]["since"]["id"], 1);
    for list in [
        "new_containers",
        "removed_containers",
        "new_findings",
        "resolved_findings",
        "verdict_changes",
        "coverage_changes",
    ] {
        assert_eq!(same["changes"][list], Value::Array(vec![]), "{list}");
    }
    let before = findings(d);

    // A new card in pay, the email gone from hr, a new directory holding a
    // key, and a directory deleted.
    write(
        d,
        "data/pay/cards.txt",
        "card 4929 1234 5678 9015 and 4539 1488 0343 6467",
    );
    std::fs::remove_file(d.join("data/hr/people.txt")).unwrap();
    write(d, "data/ops/keys.txt", "aws AKIAIOSFODNN7EXAMPLF");
    write(d, "data/tmp/note.txt", "card 4111 1111 1111 1111");
    let (_, with_tmp) = scan(d, &[]);
    assert_eq!(keys(&with_tmp["changes"]["new_containers"]), ["ops", "tmp"]);
    std::fs::remove_dir_all(d.join("data/tmp")).unwrap();
    let (code, changed) = scan(d, &["--fail-on", "new-high"]);
    let c = &changed["changes"];
    assert_eq!(c["since"]["id"], 3);
    assert_eq!(keys(&c["removed_containers"]), ["tmp"]);
    assert_eq!(code, 0, "nothing new is high since scan 3: {c}");

    // Against scan 2, through `withhold diff`: exactly these changes.
    let out = withhold(d, &["diff", "--out", "out", "--since", "2", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let diff: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(keys(&diff["new_containers"]), ["ops"], "{diff}");
    assert_eq!(diff["new_containers"][0]["verdict"]["level"], "high");
    assert_eq!(keys(&diff["removed_containers"]), Vec::<String>::new());
    assert_eq!(keys(&diff["new_findings"]), ["ops", "pay"]);
    assert_eq!(diff["new_findings"][1]["by_entity"]["CREDIT_CARD"], 1);
    assert_eq!(keys(&diff["resolved_findings"]), ["hr"]);
    assert_eq!(
        diff["resolved_findings"][0]["by_entity"]["EMAIL_ADDRESS"],
        1
    );
    assert_eq!(keys(&diff["verdict_changes"]), ["hr"]);
    let text = withhold(d, &["diff", "--out", "out", "--since", "2"]);
    let text = String::from_utf8_lossy(&text.stdout).into_owned();
    assert!(text.lines().nth(1).unwrap().starts_with("- NEW "), "{text}");
    assert!(!text.contains("AKIAIOSFODNN7EXAMPLF") && !text.contains("4539 1488"));

    // findings.jsonl is the site as it is now, not what this run read.
    let after = findings(d);
    assert!(!after.iter().any(|f| f.0 == "tmp" || f.1 == "EMAIL_ADDRESS"));
    assert!(after.contains(&("ops".into(), "AWS_ACCESS_KEY".into(), "ops/keys.txt".into())));
    assert_eq!(
        after.iter().filter(|f| f.0 == "pay").count(),
        before.iter().filter(|f| f.0 == "pay").count() + 1
    );
    // The report and the checklist head with the changes.
    let checklist = std::fs::read_to_string(d.join("out/checklist.md")).unwrap();
    assert!(checklist.contains("## What changed"), "{checklist}");
    let html = std::fs::read_to_string(d.join("out/report.html")).unwrap();
    assert!(html.contains(r#"<section id="changes">"#));
}

#[test]
fn a_store_that_is_not_ours_to_write_is_refused_untouched_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "data/a/x.txt", "nothing");
    std::fs::create_dir_all(d.join("out")).unwrap();
    let db = d.join("out/withhold.db");
    let run = |d: &Path| {
        let out = withhold(d, &["scan", "--path", "data", "--out", "out", "--quiet"]);
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };

    // Not a database at all.
    std::fs::write(&db, b"these are my notes, not a store").unwrap();
    let (code, err) = run(d);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("withhold.db") && err.contains("untouched"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(&db).unwrap(),
        b"these are my notes, not a store"
    );

    // Written by a newer withhold.
    std::fs::remove_file(&db).unwrap();
    {
        let c = rusqlite::Connection::open(&db).unwrap();
        c.execute_batch("CREATE TABLE future (x); PRAGMA user_version = 999;")
            .unwrap();
    }
    let bytes = std::fs::read(&db).unwrap();
    let (code, err) = run(d);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("newer withhold"), "{err}");
    assert_eq!(std::fs::read(&db).unwrap(), bytes);

    // Damaged: a store whose pages were overwritten.
    std::fs::remove_file(&db).unwrap();
    assert_eq!(run(d).0, Some(0));
    let mut bytes = std::fs::read(&db).unwrap();
    for b in bytes.iter_mut().skip(100).take(4000) {
        *b = 0xA5;
    }
    std::fs::write(&db, &bytes).unwrap();
    let (code, err) = run(d);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("withhold.db"), "{err}");
    assert_eq!(std::fs::read(&db).unwrap(), bytes);

    // Another scan holds it: the second refuses instead of interleaving.
    std::fs::remove_file(&db).unwrap();
    let held = withhold::store::Store::open(&db).unwrap();
    let (code, err) = run(d);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("another withhold scan"), "{err}");
    drop(held);
    assert_eq!(run(d).0, Some(0));

    // A store of another target.
    write(d, "other/b/y.txt", "nothing");
    let out = withhold(d, &["scan", "--path", "other", "--out", "out", "--quiet"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--db"), "{err}");
}
