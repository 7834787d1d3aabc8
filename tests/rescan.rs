//! Incremental rescans end to end (issue 10): the real binary crawls a
//! generated site over HTTP, the site changes (edits, new and deleted
//! comments, a new space and project, a deleted page and issue), and the
//! rescan, reading only what changed, ends with exactly what a full scan of
//! the changed site finds, reports the new containers first, and reads a
//! small fraction of what the first scan read.

use serde_json::Value;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use withhold::fake_site::{FakeSite, FakeSiteConfig, SiteData};

fn scan(dir: &Path, site: &FakeSite, out: &str, extra: &[&str]) -> Value {
    std::fs::write(dir.join("token"), "fake-token\n").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_withhold"))
        .args(["scan", "--site", &site.base_url()])
        .args(["--email", &FakeSiteConfig::default().email])
        .args(["--token-file", "token", "--out", out, "--quiet"])
        .args(extra)
        .current_dir(dir)
        .env("WITHHOLD_KEY_FILE", dir.join("key"))
        .env_remove("ATLASSIAN_API_TOKEN")
        .env_remove("ATLASSIAN_EMAIL")
        .output()
        .unwrap();
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&std::fs::read(dir.join(out).join("summary.json")).unwrap()).unwrap()
}

/// findings.jsonl without what depends on the run (nothing does today but
/// the order): sorted lines.
fn findings(dir: &Path, out: &str) -> Vec<String> {
    let mut lines: Vec<String> = std::fs::read_to_string(dir.join(out).join("findings.jsonl"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    lines.sort();
    lines
}

fn keys(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|c| c["key"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_rescan_after_changes_equals_a_full_scan_of_the_changed_site() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut data = SiteData::generate(2500, 5);
    let site = runtime
        .block_on(FakeSite::start(
            Arc::new(data.clone()),
            FakeSiteConfig::default(),
        ))
        .unwrap();
    let port: u16 = site.base_url().rsplit(':').next().unwrap().parse().unwrap();

    let first = scan(d, &site, "out", &[]);
    let first_requests = site.stats().total;
    let before = findings(d, "out");

    // Unchanged: nothing new, in a few requests.
    let same = scan(d, &site, "out", &[]);
    let unchanged_requests = site.stats().total - first_requests;
    assert_eq!(findings(d, "out"), before);
    assert_eq!(same["changes"]["since"]["id"], 1, "{}", same["changes"]);
    for list in [
        "new_containers",
        "removed_containers",
        "new_findings",
        "resolved_findings",
    ] {
        assert_eq!(same["changes"][list], Value::Array(vec![]), "{list}");
    }
    // Whatever the site's size: Confluence's preflight, spaces, four sorted
    // listings and two counts; Jira's four preflight and listing calls, one
    // search and one count.
    assert!(
        unchanged_requests <= 14,
        "{unchanged_requests} requests to rescan an unchanged site, {first_requests} to scan it"
    );
    runtime.block_on(site.shutdown());

    let conf = withhold::fake_site::change_confluence::change_confluence(&mut data, 0.01, 3);
    let jira = withhold::fake_site::change_jira::change(&mut data, 0.01, 3);
    let site = runtime
        .block_on(FakeSite::start_at(
            Arc::new(data),
            FakeSiteConfig::default(),
            port,
        ))
        .unwrap();
    let rescan = scan(d, &site, "out", &[]);
    let rescan_requests = site.stats().total;
    let full = scan(d, &site, "full", &["--db", "full.db"]);

    // The rescan's site is the changed site, finding for finding.
    assert_eq!(findings(d, "out"), findings(d, "full"));
    assert_eq!(rescan["totals"]["items_seen"], full["totals"]["items_seen"]);
    let verdicts = |s: &Value| -> Vec<(String, String, String)> {
        s["verdicts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                (
                    v["key"].as_str().unwrap().to_string(),
                    v["level"].as_str().unwrap().to_string(),
                    v["score"].to_string(),
                )
            })
            .collect()
    };
    assert_eq!(verdicts(&rescan), verdicts(&full));
    // New containers, first: the new space and the new project.
    let mut expected: Vec<String> = vec![conf.new_space.clone()];
    expected.extend(jira.new_project.iter().map(|(k, _)| k.clone()));
    expected.sort();
    let mut got = keys(&rescan["changes"]["new_containers"]);
    got.sort();
    assert_eq!(got, expected);
    // The deleted page's and issue's findings are gone.
    let gone_page = &conf.deleted_page.1;
    let out_now = findings(d, "out");
    assert!(!out_now
        .iter()
        .any(|l| l.contains(&format!("\"item_id\":\"{gone_page}\""))));
    if let Some((_, issue)) = &jira.deleted_issue {
        assert!(!out_now
            .iter()
            .any(|l| l.contains(&format!("\"item_id\":\"{issue}\""))));
    }
    println!(
        "first scan {first_requests} requests; unchanged rescan {unchanged_requests}; rescan after changes {rescan_requests}"
    );
    let _ = first;
    runtime.block_on(site.shutdown());
}
