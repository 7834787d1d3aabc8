//! The verdicts a user acts on, through the real binary: the demo's containers
//! rank as its generator intended, every output is written, `exclusions.csv`
//! reads back identically through the csv crate and Python's csv module, and
//! the exit codes of DESIGN §9 hold.

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

#[path = "support/cli.rs"]
mod cli;
use cli::withhold;

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("file written")).expect("JSON")
}

/// The demo scanned offline (same findings as crawled; tests/crawl_scan.rs).
fn demo(dir: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["scan", "--demo", "--offline", "--quiet", "--out", "out"];
    args.extend_from_slice(extra);
    withhold(dir, &args)
}

#[test]
fn the_demo_ranks_sensitive_then_contractual_then_clean() {
    let dir = tempfile::tempdir().unwrap();
    let out = demo(dir.path(), &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let truth = read_json(&Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo/truth.json"));
    let summary = read_json(&dir.path().join("out/summary.json"));
    let verdicts = summary["verdicts"].as_array().unwrap();
    let verdict_of = |key: &str| {
        verdicts
            .iter()
            .find(|v| v["key"] == key && v["kind"] != "app")
            .unwrap_or_else(|| panic!("no verdict for {key}"))
    };
    let mut ranks: Vec<(&str, &str, u64)> = Vec::new();
    for c in truth["containers"].as_array().unwrap() {
        let key = c["key"].as_str().unwrap();
        let intent = c["intent"].as_str().unwrap();
        let v = verdict_of(key);
        ranks.push((intent, key, v["rank"].as_u64().unwrap()));
        let expected = match intent {
            "sensitive" | "contractual" => "exclude",
            _ => "keep",
        };
        assert_eq!(v["recommendation"], expected, "{key}: {v}");
    }
    let order = ["sensitive", "contractual", "clean"];
    let tier = |intent: &str| order.iter().position(|o| *o == intent).unwrap();
    for a in &ranks {
        for b in &ranks {
            if tier(a.0) < tier(b.0) {
                assert!(
                    a.2 < b.2,
                    "{} ({}) must rank above {} ({}): {ranks:?}",
                    a.1,
                    a.0,
                    b.1,
                    b.0
                );
            }
        }
    }
    // Ranks are 1..n without gaps, and the file's order is the rank order.
    let listed: Vec<u64> = verdicts
        .iter()
        .map(|v| v["rank"].as_u64().unwrap())
        .collect();
    assert_eq!(listed, (1..=verdicts.len() as u64).collect::<Vec<_>>());
}

#[test]
fn the_demo_writes_every_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = demo(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0));
    for name in [
        "findings.jsonl",
        "summary.json",
        "exclusions.csv",
        "checklist.md",
        "report.html",
    ] {
        let path = dir.path().join("out").join(name);
        let meta = std::fs::metadata(&path).unwrap_or_else(|_| panic!("{name} written"));
        assert!(meta.len() > 100, "{name} has content");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                meta.permissions().mode() & 0o777,
                0o600,
                "{name} is private"
            );
        }
    }
    let checklist = std::fs::read_to_string(dir.path().join("out/checklist.md")).unwrap();
    for tab in [
        "## Spaces tab",
        "## Atlassian apps tab",
        "## Teamwork Graph connectors tab",
        "## Rename",
    ] {
        assert!(checklist.contains(tab), "checklist has {tab}");
    }
    // In the Spaces tab, excluded spaces come in rank order.
    let hr = checklist.find("— HR (").unwrap();
    let nwm = checklist.find("— NWM (").unwrap();
    assert!(hr < nwm);
    // The connector verdicts follow their inventory.
    let summary = read_json(&dir.path().join("out/summary.json"));
    let rec = |key: &str| {
        summary["verdicts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["key"] == key)
            .map(|v| v["recommendation"].as_str().unwrap().to_string())
            .unwrap()
    };
    assert_eq!(rec("connector-salesforce"), "exclude");
    assert_eq!(rec("connector-google-drive"), "exclude");
    assert_eq!(rec("connector-public-website"), "review");
    assert_eq!(rec("connector-slack"), "keep");
    // The NWM space's name holds a client name: a metadata exposure.
    let nwm = summary["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["key"] == "NWM")
        .unwrap();
    assert_eq!(nwm["metadata_exposures"][0]["entity"], "CLIENT_NAME");
}

/// Rows of a CSV file as the csv crate reads them.
fn rows_by_csv_crate(path: &Path) -> Vec<Vec<String>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(path)
        .unwrap();
    reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

/// Rows of a CSV file as Python's csv module reads them.
fn rows_by_python(path: &Path) -> Vec<Vec<String>> {
    let script = "import csv, json, sys\n\
with open(sys.argv[1], newline='', encoding='utf-8') as f:\n    \
json.dump(list(csv.reader(f)), sys.stdout)\n";
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(path)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn exclusions_csv_round_trips_through_the_csv_crate_and_python() {
    let dir = tempfile::tempdir().unwrap();
    // Names that CSV must quote: a comma, quotes, a newline.
    let tricky = dir.path().join("data").join("Client, \"Q3\"\nplan");
    std::fs::create_dir_all(&tricky).unwrap();
    std::fs::write(
        tricky.join("notes.txt"),
        "card 4929 1234 5678 9015 and j.doe@client.com",
    )
    .unwrap();
    std::fs::create_dir_all(dir.path().join("data/clean")).unwrap();
    std::fs::write(dir.path().join("data/clean/a.txt"), "nothing here").unwrap();
    let out = withhold(
        dir.path(),
        &["scan", "--path", "data", "--quiet", "--out", "out"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let path = dir.path().join("out/exclusions.csv");
    let ours = rows_by_csv_crate(&path);
    let python = rows_by_python(&path);
    assert_eq!(ours, python);
    assert_eq!(ours[0][0], "rank");
    assert!(ours.iter().all(|r| r.len() == ours[0].len()));
    let names: Vec<&str> = ours[1..].iter().map(|r| r[5].as_str()).collect();
    assert!(names.contains(&"Client, \"Q3\"\nplan"), "{names:?}");
    // No matched text: the card number and the address are nowhere.
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains("4929 1234 5678 9015") && !text.contains("j.doe"));

    // The demo's file agrees with summary.json row by row (in a directory
    // of its own: the store in `out` holds the files scanned above).
    let dir = tempfile::tempdir().unwrap();
    let out = demo(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0));
    let path = dir.path().join("out/exclusions.csv");
    let ours = rows_by_csv_crate(&path);
    assert_eq!(ours, rows_by_python(&path));
    let summary = read_json(&dir.path().join("out/summary.json"));
    let verdicts = summary["verdicts"].as_array().unwrap();
    assert_eq!(ours.len(), verdicts.len() + 1);
    let col = |name: &str| ours[0].iter().position(|h| h == name).unwrap();
    for (row, v) in ours[1..].iter().zip(verdicts) {
        assert_eq!(row[col("rank")], v["rank"].to_string());
        assert_eq!(row[col("key")], v["key"].as_str().unwrap());
        assert_eq!(
            row[col("recommendation")],
            v["recommendation"].as_str().unwrap()
        );
        assert_eq!(row[col("score")], v["score"].to_string());
    }
}

#[test]
fn fail_on_sets_exit_code_1_for_scheduled_runs() {
    let dir = tempfile::tempdir().unwrap();
    let out = demo(dir.path(), &["--fail-on", "high"]);
    assert_eq!(out.status.code(), Some(1));
    // Outputs are written all the same.
    assert!(dir.path().join("out/exclusions.csv").exists());

    std::fs::create_dir_all(dir.path().join("clean/docs")).unwrap();
    std::fs::write(dir.path().join("clean/docs/a.txt"), "release notes").unwrap();
    let out = withhold(
        dir.path(),
        &[
            "scan",
            "--path",
            "clean",
            "--quiet",
            "--out",
            "out2",
            "--fail-on",
            "moderate",
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    let out = withhold(
        dir.path(),
        &[
            "scan",
            "--demo",
            "--quiet",
            "--out",
            "o",
            "--fail-on",
            "severe",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "an unknown level is a usage error"
    );
}

#[test]
fn a_bad_policy_or_inventory_is_exit_code_2_naming_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("policy.toml"),
        "[severity]\ncritical = \"high\"\n",
    )
    .unwrap();
    let out = demo(dir.path(), &["--policy", "policy.toml"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("policy.toml") && err.contains("line 2"),
        "{err}"
    );

    std::fs::write(
        dir.path().join("connectors.csv"),
        "name,type,sync\nDrive,google-drive,synced\nWiki,custom-website,weekly\n",
    )
    .unwrap();
    let out = demo(dir.path(), &["--connectors", "connectors.csv"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("connectors.csv") && err.contains("line 3"),
        "{err}"
    );
}

#[test]
fn the_terminal_summary_shows_the_top_containers_and_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = withhold(dir.path(), &["scan", "--demo", "--offline", "--out", "out"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("rank  verdict"), "{text}");
    assert!(text.contains("exclude"), "{text}");
    assert!(text.contains("exclusions.csv"), "{text}");
    assert!(text.contains("checklist.md"), "{text}");
    assert!(text.contains("report.html"), "{text}");
    assert!(
        text.contains("1 name holds a sensitive value: names are metadata"),
        "{text}"
    );
    // The demo brings its org file: the posture in one line.
    assert!(
        text.contains("Posture of Acme Demo (Standard plan) on "),
        "{text}"
    );
    // Nothing matched is printed: the demo's planted card number is not there.
    assert!(!text.contains("4929"), "{text}");
}

/// A directory of files for `scan --path`, one file per (directory, text).
fn files(dir: &Path, files: &[(&str, &str)]) {
    for (i, (sub, text)) in files.iter().enumerate() {
        let d = dir.join("data").join(sub);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join(format!("{i}.txt")), text).unwrap();
    }
}

/// AWS's documented example key and secret, RFC 2606 addresses and
/// processor test cards: what documentation is made of.
const DOCUMENTATION: &str = "Configure the CLI as in the AWS guide: AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE \
and AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY. Send the invite to user@example.com \
or qa-bot@staging.acme.test (never ops@site.invalid). Pay with the test cards 4242 4242 4242 4242, \
4111 1111 1111 1111 or 5555 5555 5555 4444 in the sandbox.";

#[test]
fn documentation_and_test_values_alone_keep_a_container() {
    let dir = tempfile::tempdir().unwrap();
    let real_card = "Refund to card 4929 1234 5678 9015 approved.";
    files(
        dir.path(),
        &[
            ("docs", DOCUMENTATION),
            ("docs", "Release notes for 2.4."),
            ("pay", DOCUMENTATION),
            ("pay", real_card),
            ("card", real_card),
            ("card", "Release notes for 2.5."),
        ],
    );
    let out = withhold(
        dir.path(),
        &["scan", "--path", "data", "--quiet", "--out", "out"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Every documentation value is still written, marked.
    let findings: Vec<Value> = std::fs::read_to_string(dir.path().join("out/findings.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let docs: Vec<&Value> = findings
        .iter()
        .filter(|f| f["container_key"] == "docs")
        .collect();
    let entities: std::collections::BTreeSet<&str> =
        docs.iter().map(|f| f["entity"].as_str().unwrap()).collect();
    for e in [
        "AWS_ACCESS_KEY",
        "AWS_SECRET_KEY",
        "EMAIL_ADDRESS",
        "CREDIT_CARD",
    ] {
        assert!(entities.contains(e), "{e} found: {entities:?}");
    }
    assert!(docs.len() >= 8, "{docs:?}");
    assert!(docs.iter().all(|f| f["test_value"] == true), "{docs:?}");

    let summary = read_json(&dir.path().join("out/summary.json"));
    let verdict = |key: &str| {
        summary["verdicts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["key"] == key)
            .unwrap_or_else(|| panic!("no verdict for {key}"))
            .clone()
    };
    let docs = verdict("docs");
    assert_eq!(docs["recommendation"], "keep", "{docs}");
    assert_eq!(docs["score"], 0, "{docs}");
    assert_eq!(docs["items_with_findings"], 0, "{docs}");
    // The same container with one real card number is what that card alone makes it.
    let (pay, card) = (verdict("pay"), verdict("card"));
    assert_ne!(pay["recommendation"], "keep", "{pay}");
    for field in ["recommendation", "level", "score", "by_category"] {
        assert_eq!(pay[field], card[field], "{field}: {pay} vs {card}");
    }
}

#[test]
fn exclusions_csv_cells_that_spreadsheets_would_run_are_written_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let names = ["=HYPERLINK(\"evil.test\")", "+1+1", "-2+3", "@SUM(A1)"];
    for name in names {
        files(dir.path(), &[(name, "card 4929 1234 5678 9015")]);
    }
    let out = withhold(
        dir.path(),
        &["scan", "--path", "data", "--quiet", "--out", "out"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let path = dir.path().join("out/exclusions.csv");
    let rows = rows_by_csv_crate(&path);
    assert_eq!(rows, rows_by_python(&path));
    let col = |name: &str| rows[0].iter().position(|h| h == name).unwrap();
    for name in names {
        let row = rows[1..]
            .iter()
            .find(|r| r[col("name")] == format!("'{name}"))
            .unwrap_or_else(|| panic!("no row named '{name}: {rows:?}"));
        assert_eq!(row[col("key")], format!("'{name}"));
    }
    // No cell of the file starts a formula.
    for row in &rows {
        for cell in row {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "{cell:?}"
            );
        }
    }
}

#[cfg(unix)]
#[test]
fn a_fingerprint_key_others_may_read_is_refused_naming_the_fix() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    files(dir.path(), &[("a", "hello")]);
    let scan = || {
        withhold(
            dir.path(),
            &["scan", "--path", "data", "--quiet", "--out", "out"],
        )
    };
    assert_eq!(
        scan().status.code(),
        Some(0),
        "the first scan creates the key"
    );
    let key = dir.path().join("key");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = scan();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&key.display().to_string()), "{err}");
    assert!(
        err.contains(&format!("chmod 600 {}", key.display())),
        "{err}"
    );
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert_eq!(scan().status.code(), Some(0));
}
