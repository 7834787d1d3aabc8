//! A scan that is stopped: by SIGINT (everything read is written, marked
//! interrupted, exit code 3) or by kill -9 (the output directory holds the new
//! partial outputs without a summary.json, never the previous run's mixed in).
//! The binary crawls a slow fake site on loopback, so that it is mid-way when
//! the signal comes.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use withhold::fake_site::{FakeSite, FakeSiteConfig, SiteData};

#[path = "support/cli.rs"]
mod cli;

/// A site big enough that, one request at a time and every answer late, a
/// crawl of it is still going when the test signals it.
fn slow_site(runtime: &tokio::runtime::Runtime) -> FakeSite {
    let config = FakeSiteConfig {
        latency: Duration::from_millis(40),
        ..FakeSiteConfig::default()
    };
    runtime
        .block_on(FakeSite::start(
            Arc::new(SiteData::generate(300, 3)),
            config,
        ))
        .unwrap()
}

/// `withhold scan --site SITE --out out` in `dir`, running in the background.
fn spawn_crawl(dir: &Path, site: &FakeSite) -> Child {
    std::fs::write(dir.join("token"), "fake-token\n").unwrap();
    Command::new(env!("CARGO_BIN_EXE_withhold"))
        .args([
            "scan",
            "--site",
            &site.base_url(),
            "--email",
            &FakeSiteConfig::default().email,
            "--token-file",
            "token",
            "--concurrency",
            "1",
            "--out",
            "out",
            // Another target than the offline demo scans of these tests: its own store.
            "--db",
            "site.db",
            "--quiet",
        ])
        .current_dir(dir)
        .env("WITHHOLD_KEY_FILE", dir.join("key"))
        .env_remove("ATLASSIAN_API_TOKEN")
        .env_remove("ATLASSIAN_EMAIL")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts")
}

/// Wait until `ready` holds; a scan that ends first, or a minute without it,
/// fails the test (a safety net, not a measurement).
fn wait_until(child: &mut Child, what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !ready() {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the scan ended ({status}) before {what}");
        }
        assert!(Instant::now() < deadline, "never saw {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The outputs in `dir`: the store (`withhold.db`, its lock and journal)
/// is state kept across runs, not an output, and is left out.
fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with("withhold.db"))
        .collect();
    names.sort();
    names
}

#[test]
fn sigint_mid_crawl_writes_every_output_marked_interrupted_and_exits_3() {
    signal_mid_crawl("INT");
}

#[test]
fn sigterm_mid_crawl_writes_every_output_marked_interrupted_and_exits_3() {
    signal_mid_crawl("TERM");
}

/// Send SIG`signal` to a crawl under way and check every output says so.
fn signal_mid_crawl(signal: &str) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let site = slow_site(&runtime);
    let items = {
        let s = SiteData::generate(300, 3).summary();
        s.pages + s.blogposts + s.issues
    };
    let dir = tempfile::tempdir().unwrap();
    let mut child = spawn_crawl(dir.path(), &site);
    let out = dir.path().join("out");
    wait_until(&mut child, "the crawl under way", || {
        out.join("findings.jsonl.tmp").exists() && site.stats().total >= 15
    });
    let status = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let done = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&done.stderr);
    assert_eq!(done.status.code(), Some(3), "{stderr}");

    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["interrupted"], true, "{summary}");
    assert_eq!(summary["status"], "interrupted");
    assert!(summary["interruption"]
        .as_str()
        .unwrap()
        .contains(&format!("interrupted (SIG{signal})")));
    // The crawl stopped: not everything was read, and nothing is complete.
    assert!(
        summary["totals"]["items_scanned"].as_u64().unwrap() < items as u64,
        "{}",
        summary["totals"]
    );
    for c in summary["containers"].as_array().unwrap() {
        assert_ne!(c["status"], "complete", "{c}");
    }
    for v in summary["verdicts"].as_array().unwrap() {
        assert_ne!(v["recommendation"], "keep", "{v}");
    }
    let report = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        report.contains(r#"<p class="headline danger">This scan was interrupted: "#),
        "the report's headline says so"
    );
    let checklist = std::fs::read_to_string(out.join("checklist.md")).unwrap();
    assert!(checklist.contains("**This scan was interrupted**"));
    assert!(out.join("exclusions.csv").exists() && out.join("findings.jsonl").exists());
    // Finished: no marker, no temporary file left.
    assert_eq!(
        names_in(&out),
        [
            "checklist.md",
            "exclusions.csv",
            "findings.jsonl",
            "report.html",
            "summary.json"
        ]
    );
    runtime.block_on(site.shutdown());
}

#[test]
fn kill_9_mid_scan_leaves_no_output_of_the_previous_run() {
    let dir = tempfile::tempdir().unwrap();
    let first = cli::withhold(
        dir.path(),
        &["scan", "--demo", "--offline", "--quiet", "--out", "out"],
    );
    assert_eq!(first.status.code(), Some(0));
    let out = dir.path().join("out");
    assert!(out.join("summary.json").exists());

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let site = slow_site(&runtime);
    let mut child = spawn_crawl(dir.path(), &site);
    wait_until(&mut child, "findings.jsonl.tmp", || {
        out.join("findings.jsonl.tmp").exists()
    });
    child.kill().unwrap(); // SIGKILL: no handler runs.
    child.wait().unwrap();
    // The new run's partial state only: nothing of the previous run, and
    // nothing that looks like a finished scan.
    assert_eq!(names_in(&out), ["findings.jsonl.tmp", "in-progress"]);
    let marker = std::fs::read_to_string(out.join("in-progress")).unwrap();
    assert!(marker.contains("Without summary.json"), "{marker}");

    // The next complete run puts a whole set back and clears the rest.
    let again = cli::withhold(
        dir.path(),
        &["scan", "--demo", "--offline", "--quiet", "--out", "out"],
    );
    assert_eq!(again.status.code(), Some(0));
    assert_eq!(
        names_in(&out),
        [
            "checklist.md",
            "exclusions.csv",
            "findings.jsonl",
            "report.html",
            "summary.json"
        ]
    );
    runtime.block_on(site.shutdown());
}
