//! `withhold report --db`: the outputs of stores' last ended scans without
//! crawling. One store gives what its scan wrote; two (the demo scanned
//! offline, a `--path` scan of a small tree) give one report ranked
//! together and grouped by organization and site; a store a scan holds is
//! still read, a bad one is refused naming it.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn withhold(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_withhold"))
        .args(args)
        .env("WITHHOLD_KEY_FILE", dir.join("key"))
        .output()
        .expect("the binary runs")
}

fn ok(out: Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

fn json(p: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).expect("readable")).expect("JSON")
}

/// The demo scanned offline into `dir/demo`, a small tree with an `OPS`
/// directory into `dir/files`; their stores.
fn two_stores(dir: &Path) -> (PathBuf, PathBuf) {
    ok(withhold(
        dir,
        &[
            "scan",
            "--demo",
            "--offline",
            "--quiet",
            "--out",
            &s(&dir.join("demo")),
        ],
    ));
    let ops = dir.join("tree/OPS");
    std::fs::create_dir_all(&ops).unwrap();
    std::fs::write(
        ops.join("notes.txt"),
        "refund to card 4929 1234 5678 9015 for jane.doe@client.example\n",
    )
    .unwrap();
    ok(withhold(
        dir,
        &[
            "scan",
            "--path",
            &s(&dir.join("tree")),
            "--quiet",
            "--out",
            &s(&dir.join("files")),
        ],
    ));
    (dir.join("demo/withhold.db"), dir.join("files/withhold.db"))
}

#[test]
fn a_report_of_one_store_is_what_its_scan_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let (demo, _) = two_stores(dir.path());
    let out = dir.path().join("report");
    ok(withhold(
        dir.path(),
        &["report", "--db", &s(&demo), "--out", &s(&out), "--quiet"],
    ));
    let scanned = json(&dir.path().join("demo/summary.json"));
    let reported = json(&out.join("summary.json"));
    assert_eq!(scanned["verdicts"], reported["verdicts"]);
    assert_eq!(scanned["totals"], reported["totals"]);
    assert_eq!(scanned["containers"], reported["containers"]);
    for file in ["findings.jsonl", "exclusions.csv"] {
        assert_eq!(
            std::fs::read(dir.path().join("demo").join(file)).unwrap(),
            std::fs::read(out.join(file)).unwrap(),
            "{file}"
        );
    }
}

#[test]
fn two_stores_make_one_report_grouped_by_organization_and_site() {
    let dir = tempfile::tempdir().unwrap();
    let (demo, files) = two_stores(dir.path());
    let out = dir.path().join("report");
    ok(withhold(
        dir.path(),
        &[
            "report",
            "--db",
            &s(&demo),
            &s(&files),
            "--out",
            &s(&out),
            "--quiet",
        ],
    ));
    let tree = std::fs::canonicalize(dir.path().join("tree")).unwrap();
    let files_site = format!("path:{}", tree.display());

    // Both sites' containers, site-qualified: the demo's Jira OPS and the
    // tree's OPS directory are two rows, ranked together.
    let mut csv = csv::Reader::from_path(out.join("exclusions.csv")).unwrap();
    let rows: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
    let keys: Vec<&str> = rows.iter().map(|r| &r[4]).collect();
    assert!(keys.contains(&"demo-offline/HR"), "{keys:?}");
    assert!(keys.contains(&"demo-offline/OPS"), "{keys:?}");
    assert!(
        keys.contains(&format!("{files_site}/OPS").as_str()),
        "{keys:?}"
    );
    let ranks: Vec<usize> = rows.iter().map(|r| r[0].parse().unwrap()).collect();
    assert_eq!(ranks, (1..=rows.len()).collect::<Vec<_>>());
    let scanned = |d: &str| {
        json(&dir.path().join(d).join("summary.json"))["verdicts"]
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(rows.len(), scanned("demo") + scanned("files"));

    let summary = json(&out.join("summary.json"));
    let sites = summary["sites"].as_array().unwrap();
    assert_eq!(sites.len(), 2);
    assert_eq!(sites[0]["site"], "demo-offline");
    assert_eq!(sites[0]["organization"], "Acme Demo");
    assert_eq!(sites[1]["site"], files_site.as_str());
    let findings = |d: &Path| {
        std::fs::read_to_string(d.join("findings.jsonl"))
            .unwrap()
            .lines()
            .count()
    };
    assert_eq!(
        findings(&out),
        findings(&dir.path().join("demo")) + findings(&dir.path().join("files"))
    );
    assert_eq!(
        summary["totals"]["findings"].as_u64().unwrap() as usize,
        findings(&out)
    );

    let checklist = std::fs::read_to_string(out.join("checklist.md")).unwrap();
    let at = |needle: &str| {
        checklist
            .find(needle)
            .unwrap_or_else(|| panic!("checklist has {needle:?}:\n{checklist}"))
    };
    assert!(at("## Organization: Acme Demo") < at("### Site: demo-offline"));
    assert!(
        at("## Organization: no organization recorded") < at(&format!("### Site: {files_site}"))
    );
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("Organizations and sites"));
    assert!(html.contains("Organization: Acme Demo"));
    assert!(html.contains(&files_site));
}

#[test]
fn a_store_a_scan_holds_is_read_and_a_bad_one_is_refused_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let (demo, _) = two_stores(dir.path());
    // Another scan holds the store and has already seen every container
    // again: the report still shows the last ended scan, in full.
    let running = withhold::store::Store::open(&demo).unwrap();
    let next = running
        .begin_scan(&withhold::store::scans::ScanMeta {
            target: "demo-offline".into(),
            mode: withhold::store::scans::ScanMode::Rescan,
            tool_version: "test".into(),
            rules_version: "test".into(),
            policy_hash: String::new(),
        })
        .unwrap();
    running
        .connection()
        .execute("UPDATE containers SET last_seen_scan = ?1", [next.0])
        .unwrap();
    let refused = withhold(
        dir.path(),
        &[
            "scan",
            "--demo",
            "--offline",
            "--quiet",
            "--out",
            &s(&dir.path().join("demo")),
        ],
    );
    assert_eq!(refused.status.code(), Some(2));
    ok(withhold(
        dir.path(),
        &[
            "report",
            "--db",
            &s(&demo),
            "--out",
            &s(&dir.path().join("r")),
            "--quiet",
        ],
    ));
    assert_eq!(
        json(&dir.path().join("r/summary.json"))["verdicts"],
        json(&dir.path().join("demo/summary.json"))["verdicts"]
    );
    drop(running);

    let bad = dir.path().join("bad.db");
    std::fs::write(&bad, "rank,key\n1,OPS\n").unwrap();
    let newer = dir.path().join("newer.db");
    {
        let c = rusqlite::Connection::open(&newer).unwrap();
        c.pragma_update(None, "user_version", 999).unwrap();
    }
    let missing = dir.path().join("missing.db");
    for (db, words) in [
        (&bad, "not a readable withhold store"),
        (&newer, "newer withhold"),
        (&missing, "missing.db"),
    ] {
        let o = withhold(
            dir.path(),
            &[
                "report",
                "--db",
                &s(&demo),
                &s(db),
                "--out",
                &s(&dir.path().join("r2")),
            ],
        );
        assert_eq!(o.status.code(), Some(2), "{}", db.display());
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(&s(db)) && err.contains(words), "{err}");
        assert!(!dir.path().join("r2/summary.json").exists());
    }
    assert!(!missing.exists());
}
