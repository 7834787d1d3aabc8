//! The real binary in a temp dir: configuration errors name file and line,
//! outputs are private, values are masked unless revealed.

use std::path::Path;
use std::process::{Command, Output};

fn withhold(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_withhold"))
        .args(args)
        .current_dir(dir)
        .env("WITHHOLD_KEY_FILE", dir.join("key"))
        .output()
        .expect("the binary runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn malformed_rule_pack_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("myrules");
    std::fs::create_dir(&rules).unwrap();
    std::fs::write(
        rules.join("custom.toml"),
        "[pack]\nname = \"custom\"\nversion = \"1\"\n\n[[rule]]\nid = \"custom.codename\"\nentity = \"CODENAME\"\ncategory = \"custom\"\nseverity = \"high\"\nconfidence = 0.9\npattern = '(Project Bluebird'\nexamples = []\nnegative_examples = []\n",
    )
    .unwrap();
    let o = withhold(dir.path(), &["rules", "check", "--rules", "myrules"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("custom.toml:5: rule custom.codename: bad pattern"),
        "{err}"
    );
}

#[test]
fn malformed_clients_csv_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("clients.csv"),
        "name,aliases,ordinary_word\nContoso,,false\nSummit,,perhaps\n",
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("docs")).unwrap();
    std::fs::write(dir.path().join("docs/a.txt"), "hello").unwrap();
    let o = withhold(
        dir.path(),
        &[
            "scan",
            "--path",
            "docs",
            "--clients",
            "clients.csv",
            "--out",
            "out",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("clients.csv:3:"), "{}", stderr(&o));
}

#[test]
fn clients_csv_with_an_unterminated_quote_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    // Line 3 opens a quote that nothing closes: before, Globex and Initech
    // were swallowed into Contoso's aliases and the scan exited 0.
    std::fs::write(
        dir.path().join("clients.csv"),
        "name,aliases,ordinary_word\nNorthwind,,false\nContoso,\"Contoso Ltd|CTS,false\nGlobex,,false\nInitech,,false\n",
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("docs")).unwrap();
    std::fs::write(dir.path().join("docs/a.txt"), "Globex renewal").unwrap();
    let o = withhold(
        dir.path(),
        &[
            "scan",
            "--path",
            "docs",
            "--clients",
            "clients.csv",
            "--out",
            "out",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("clients.csv:3:"), "{err}");
    assert!(err.contains("never closed"), "{err}");
}

#[test]
fn malformed_allow_file_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("allow.toml"),
        "values = [\"x\"]\npatterns = ['(']\n",
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("docs")).unwrap();
    let o = withhold(
        dir.path(),
        &[
            "scan",
            "--path",
            "docs",
            "--allow",
            "allow.toml",
            "--out",
            "out",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("allow.toml:2:"), "{}", stderr(&o));
}

#[test]
fn path_scan_writes_private_masked_outputs_and_reveals_only_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let docs = dir.path().join("docs");
    std::fs::create_dir_all(docs.join("FIN")).unwrap();
    std::fs::write(
        docs.join("FIN/cards.html"),
        "<p>Card: <strong>4929</strong> 1234 5678 9015</p>",
    )
    .unwrap();
    std::fs::write(docs.join("FIN/notes.txt"), "nothing to see").unwrap();

    let o = withhold(
        dir.path(),
        &["scan", "--path", "docs", "--out", "out", "--threads", "1"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let findings = std::fs::read_to_string(dir.path().join("out/findings.jsonl")).unwrap();
    let card: Vec<serde_json::Value> = findings
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|f: &serde_json::Value| f["entity"] == "CREDIT_CARD")
        .collect();
    assert_eq!(card.len(), 1, "{findings}");
    assert_eq!(card[0]["container_key"], "FIN");
    assert_eq!(card[0]["item_id"], "FIN/cards.html");
    assert!(card[0].get("match").is_none());
    assert!(
        !findings.contains("1234 5678"),
        "raw value leaked: {findings}"
    );
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        !stdout.contains("1234 5678"),
        "raw value on stdout: {stdout}"
    );

    #[cfg(unix)]
    for f in ["findings.jsonl", "summary.json"] {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("out").join(f))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{f}");
    }
    let summary: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("out/summary.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(summary["totals"]["items_scanned"], 2);
    assert_eq!(summary["containers"][0]["status"], "complete");
    assert!(summary["rule_packs"].as_array().unwrap().len() >= 7);

    let o = withhold(
        dir.path(),
        &["scan", "--path", "docs", "--out", "out2", "--reveal"],
    );
    assert_eq!(o.status.code(), Some(0));
    let revealed = std::fs::read_to_string(dir.path().join("out2/findings.jsonl")).unwrap();
    assert!(
        revealed.contains("\"match\":\"4929 1234 5678 9015\""),
        "{revealed}"
    );
}

#[test]
fn missing_path_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let o = withhold(dir.path(), &["scan", "--path", "nope", "--out", "out"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("nope"));
}

fn scan_docs(dir: &Path) -> (Output, serde_json::Value) {
    let o = withhold(dir, &["scan", "--path", "docs", "--out", "out", "--quiet"]);
    let summary = serde_json::from_str(
        &std::fs::read_to_string(dir.join("out/summary.json")).expect("summary written"),
    )
    .unwrap();
    (o, summary)
}

fn container<'a>(summary: &'a serde_json::Value, key: &str) -> &'a serde_json::Value {
    summary["containers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["key"] == key)
        .unwrap_or_else(|| panic!("no container {key}: {}", summary["containers"]))
}

#[test]
fn path_scan_reads_hidden_files_where_secrets_live() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("docs/ENG/.config")).unwrap();
    std::fs::write(
        dir.path().join("docs/ENG/.env"),
        "AWS_ACCESS_KEY_ID=AKIAZ7Q3RMXW4PLT2NVB\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("docs/ENG/.config/settings"),
        "card 4929 1234 5678 9015\n",
    )
    .unwrap();
    let (o, summary) = scan_docs(dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let eng = container(&summary, "ENG");
    assert_eq!(eng["status"], "complete");
    assert_eq!(eng["by_entity"]["AWS_ACCESS_KEY"], 1, "{eng}");
    assert_eq!(eng["by_entity"]["CREDIT_CARD"], 1, "{eng}");
}

#[cfg(unix)]
#[test]
fn path_scan_follows_symlinks_and_reports_a_loop_without_hanging() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("docs/ENG")).unwrap();
    std::fs::create_dir_all(dir.path().join("elsewhere")).unwrap();
    std::fs::write(
        dir.path().join("elsewhere/card.txt"),
        "card 4929 1234 5678 9015\n",
    )
    .unwrap();
    std::os::unix::fs::symlink(
        "../../elsewhere/card.txt",
        dir.path().join("docs/ENG/card.txt"),
    )
    .unwrap();
    // A link back to its own ancestor: followed naively, the walk never ends.
    std::os::unix::fs::symlink("..", dir.path().join("docs/ENG/loop")).unwrap();
    let (o, summary) = scan_docs(dir.path());
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let eng = container(&summary, "ENG");
    assert_eq!(
        eng["by_entity"]["CREDIT_CARD"], 1,
        "the linked file was read: {eng}"
    );
    assert_eq!(eng["status"], "partial");
    let reasons = eng["reasons"].to_string();
    assert!(
        reasons.contains("ENG/loop: symbolic link loop"),
        "{reasons}"
    );
}

#[cfg(unix)]
#[test]
fn path_scan_skips_git_objects_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("docs/repo/.git/objects/ab")).unwrap();
    std::fs::write(dir.path().join("docs/repo/.git/objects/ab/cdef"), "x").unwrap();
    // Remote URLs with credentials live in .git/config: plain text, scanned.
    std::fs::write(
        dir.path().join("docs/repo/.git/config"),
        "[remote \"origin\"]\n\turl = https://ci:AKIAZ7Q3RMXW4PLT2NVB@git.example.org/x.git\n",
    )
    .unwrap();
    let (_, summary) = scan_docs(dir.path());
    let repo = container(&summary, "repo");
    assert_eq!(repo["by_entity"]["AWS_ACCESS_KEY"], 1, "{repo}");
    assert_eq!(repo["status"], "partial");
    assert!(
        repo["reasons"]
            .to_string()
            .contains("repo/.git/objects: skipped"),
        "{repo}"
    );
}

#[cfg(unix)]
#[test]
fn path_scan_reports_an_unreadable_file_by_name_and_its_directory_is_partial() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("docs/HR")).unwrap();
    std::fs::write(dir.path().join("docs/HR/open.txt"), "hello").unwrap();
    let locked = dir.path().join("docs/HR/locked.txt");
    std::fs::write(&locked, "card 4929 1234 5678 9015\n").unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&locked).is_ok() {
        // Running as root: every file is readable, there is nothing to report.
        eprintln!("skipped: the tests run as a user who reads mode 000 files");
        return;
    }
    let (o, summary) = scan_docs(dir.path());
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let hr = container(&summary, "HR");
    assert_eq!(hr["status"], "partial");
    assert_eq!(hr["items_failed"], 1);
    let reasons = hr["reasons"].to_string();
    assert!(reasons.contains("HR/locked.txt"), "{reasons}");
    assert!(reasons.contains("ermission denied"), "{reasons}");
}
