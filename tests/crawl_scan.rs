//! The crawl through the whole pipeline, over real HTTP on loopback: the same
//! findings as reading the demo's files, under throttling and server errors
//! too, and a refused token is exit code 2 with a message that helps.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use withhold::cli::crawl::{crawl_and_scan, Target};
use withhold::cli::scan::exit_code;
use withhold::detect::allow::AllowList;
use withhold::detect::dictionary::ClientDictionary;
use withhold::detect::engine::{Engine, EngineOptions};
use withhold::detect::fingerprint::Fingerprinter;
use withhold::detect::rules::RuleSet;
use withhold::fake_site::{FakeSite, FakeSiteConfig, SiteData};
use withhold::model::{CoverageStatus, Product};
use withhold::progress::Counters;
use withhold::report::summary::SourceInfo;
use withhold::scan::{run as run_scan, ScanRequest};
use withhold::sources::{demo, SourceEvent};
use withhold::store::scans::{ScanId, ScanMeta, ScanMode};
use withhold::store::Store;

#[path = "support/cli.rs"]
mod cli;
use cli::withhold;

fn sorted_lines(path: &Path) -> Vec<String> {
    let mut lines: Vec<String> = std::fs::read_to_string(path)
        .expect("findings written")
        .lines()
        .map(str::to_string)
        .collect();
    lines.sort();
    lines
}

#[test]
fn the_crawled_demo_has_exactly_the_findings_of_the_offline_demo() {
    let dir = tempfile::tempdir().unwrap();
    let crawled = withhold(
        dir.path(),
        &["scan", "--demo", "--quiet", "--out", "crawled"],
    );
    assert_eq!(
        crawled.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&crawled.stderr)
    );
    let offline = withhold(
        dir.path(),
        &["scan", "--demo", "--offline", "--quiet", "--out", "offline"],
    );
    assert_eq!(offline.status.code(), Some(0));
    let a = sorted_lines(&dir.path().join("crawled/findings.jsonl"));
    let b = sorted_lines(&dir.path().join("offline/findings.jsonl"));
    assert!(a.len() > 100, "the demo has planted values");
    assert_eq!(a, b);
    let summary: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("crawled/summary.json")).unwrap(),
    )
    .unwrap();
    assert!(summary["crawl"]["requests"]["total"].as_u64().unwrap() > 50);
    for c in summary["containers"].as_array().unwrap() {
        // Connectors' content is out of reach: only their inventory is read.
        let expected = if c["product"] == "connector" {
            "inventory"
        } else {
            "complete"
        };
        assert_eq!(c["status"], expected, "{c}");
    }
}

fn demo_engine() -> (RuleSet, Engine) {
    let rules = RuleSet::load(None).unwrap();
    let clients =
        ClientDictionary::from_csv("clients.csv", demo::clients_csv().as_bytes()).unwrap();
    let engine = Engine::new(
        &rules,
        Some(clients),
        AllowList::default(),
        Fingerprinter::from_key([4; 32]),
        EngineOptions { reveal: true },
    )
    .unwrap();
    (rules, engine)
}

/// A new store in `dir`, with a scan begun.
fn new_store(dir: &std::path::Path) -> (Store, ScanId) {
    std::fs::create_dir_all(dir).unwrap();
    let store = Store::open(&dir.join("withhold.db")).unwrap();
    let scan = store
        .begin_scan(&ScanMeta {
            target: "test".into(),
            mode: ScanMode::Full,
            tool_version: "t".into(),
            rules_version: "r".into(),
            policy_hash: String::new(),
        })
        .unwrap();
    (store, scan)
}

#[test]
fn throttled_and_failing_site_still_yields_the_same_findings() {
    let (rules, engine) = demo_engine();
    let dir = tempfile::tempdir().unwrap();
    let policy = withhold::rank::policy::Policy::default();
    let stores: BTreeMap<&str, (Store, ScanId)> = ["offline", "crawled"]
        .into_iter()
        .map(|out| (out, new_store(&dir.path().join(out))))
        .collect();
    let request = |out: &str| ScanRequest {
        engine: &engine,
        packs: rules.packs.clone(),
        source: SourceInfo {
            kind: "test".into(),
            paths: vec![],
        },
        out_dir: dir.path().join(out),
        threads: Some(1),
        revealed: true,
        policy: &policy,
        store: &stores[out].0,
        scan: stores[out].1,
        known: None,
        complete_products: Vec::new(),
    };
    let offline = run_scan(request("offline"), demo::collect().unwrap().into_events()).unwrap();
    let config = FakeSiteConfig {
        rate_limit_per_sec: Some(10.0),
        burst: 10,
        error_rate: 0.05,
        seed: 11,
        ..FakeSiteConfig::default()
    };
    let target = Target::Fake(Arc::new(SiteData::demo().unwrap()), config);
    let outcome = crawl_and_scan(
        target,
        request("crawled"),
        Arc::new(Counters::default()),
        Vec::new(),
    )
    .unwrap();
    let crawled = outcome.scan;
    let report = outcome.crawl.unwrap().expect("a crawl report");
    assert!(
        report.requests.rate_limited + report.requests.server_errors > 0,
        "the site pushed back"
    );
    assert_eq!(
        sorted_lines(&crawled.findings_path),
        sorted_lines(&offline.findings_path)
    );
    assert!(crawled
        .summary
        .containers
        .iter()
        .all(|c| c.coverage.status == withhold::model::CoverageStatus::Complete));
}

#[test]
fn a_product_not_fully_listed_makes_the_scan_partial_and_its_app_unknown() {
    let (rules, engine) = demo_engine();
    let dir = tempfile::tempdir().unwrap();
    let policy = withhold::rank::policy::Policy::default();
    let (store, scan) = new_store(dir.path());
    let request = ScanRequest {
        engine: &engine,
        packs: rules.packs.clone(),
        source: SourceInfo {
            kind: "test".into(),
            paths: vec![],
        },
        out_dir: dir.path().to_path_buf(),
        threads: Some(1),
        revealed: false,
        policy: &policy,
        store: &store,
        scan,
        known: None,
        complete_products: Vec::new(),
    };
    // Everything of the demo arrives, but Confluence's space listing broke
    // part-way, as the crawler reports with CrawlEvent::ProductStatus.
    let reason = "the space listing failed: HTTP 500".to_string();
    let events = demo::collect()
        .unwrap()
        .into_events()
        .chain(std::iter::once(SourceEvent::ProductIncomplete {
            product: Product::Confluence,
            reason: reason.clone(),
        }));
    let mut summary = run_scan(request, events).unwrap().summary;
    assert_eq!(
        summary.totals.incomplete_products,
        BTreeMap::from([(Product::Confluence, vec![reason])])
    );
    // Every container that was listed was read in full, yet the scan is partial.
    assert!(summary
        .containers
        .iter()
        .all(|c| c.coverage.status == CoverageStatus::Complete));
    summary.verdicts = withhold::rank::rank(
        &summary.containers,
        &[],
        &summary.totals.incomplete_products,
        &policy,
    );
    let app = summary
        .verdicts
        .iter()
        .find(|v| v.key == "confluence")
        .expect("the Confluence app");
    assert_eq!(app.coverage.status, CoverageStatus::Partial);
    assert_eq!(exit_code(&summary, None), 3);
    assert_eq!(exit_code(&summary, Some("high")), 1, "--fail-on still wins");
}

#[test]
fn a_refused_token_is_exit_code_2_with_a_message_that_helps() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let site = runtime
        .block_on(FakeSite::start(
            Arc::new(SiteData::demo().unwrap()),
            FakeSiteConfig::default(),
        ))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("token"), "not-the-token-s3cr3t\n").unwrap();
    let out = withhold(
        dir.path(),
        &[
            "scan",
            "--site",
            &site.base_url(),
            "--email",
            "someone@acme.test",
            "--token-file",
            "token",
            "--out",
            "out",
            "--quiet",
        ],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("401"), "{err}");
    assert!(err.contains("someone@acme.test"), "{err}");
    assert!(
        err.contains("id.atlassian.com/manage-profile/security/api-tokens"),
        "{err}"
    );
    assert!(!err.contains("s3cr3t"), "the token leaked: {err}");
    // What was written says the crawl stopped; nothing is called complete.
    let summary: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("out/summary.json")).unwrap(),
    )
    .unwrap();
    assert!(summary["totals"]["warnings"][0]
        .as_str()
        .unwrap()
        .contains("the crawl stopped"));
    assert!(summary["containers"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["status"] != "complete"));
    // Nothing was listed, so neither product may look clean: their apps are failed, for review.
    for app in ["confluence", "jira"] {
        let v = summary["verdicts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["key"] == app && v["kind"] == "app")
            .unwrap_or_else(|| panic!("a verdict for {app}: {}", summary["verdicts"]));
        assert_eq!(v["coverage"]["status"], "failed", "{v}");
        assert_eq!(v["recommendation"], "review", "{v}");
    }
    // The preflight's three first calls go out together; each is refused
    // once and nothing is retried or sent after them.
    let stats = site.stats();
    assert!(stats.unauthorized <= 3, "{stats:?}");
    assert_eq!(stats.total, stats.unauthorized, "{stats:?}");
    runtime.block_on(site.shutdown());
}

#[test]
fn a_missing_token_is_a_usage_error_naming_where_to_put_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = withhold(
        dir.path(),
        &[
            "scan",
            "--site",
            "https://acme.atlassian.net",
            "--email",
            "a@b.c",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("ATLASSIAN_API_TOKEN"));
}
