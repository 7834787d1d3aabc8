//! Products that were not scanned say so, in summary.json and report.html,
//! in one plain line each; a skipped product keeps its app among the verdicts.

use std::path::Path;
use std::sync::Arc;
use withhold::fake_site::{FakeSite, FakeSiteConfig, SiteData};

#[path = "support/cli.rs"]
mod cli;
use cli::withhold;

fn summary(out: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap()
}

fn product<'a>(s: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    s["products"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["product"] == name)
        .unwrap_or_else(|| panic!("no {name} in {}", s["products"]))
}

#[test]
fn a_product_skipped_with_products_is_named_and_its_app_is_for_review() {
    let dir = tempfile::tempdir().unwrap();
    let o = withhold(
        dir.path(),
        &[
            "scan",
            "--demo",
            "--products",
            "confluence",
            "--quiet",
            "--out",
            "out",
        ],
    );
    // Jira was not read: the scan is partial.
    assert_eq!(
        o.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let out = dir.path().join("out");
    let s = summary(&out);
    assert_eq!(product(&s, "confluence")["status"], "scanned");
    for p in ["jira", "jsm"] {
        assert_eq!(product(&s, p)["status"], "skipped");
        assert_eq!(product(&s, p)["reason"], "--products confluence");
    }
    let jira_app = s["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["kind"] == "app" && v["product"] == "jira")
        .expect("Jira's app stays among the verdicts");
    assert_eq!(jira_app["recommendation"], "review", "{jira_app}");
    assert_ne!(jira_app["coverage"]["status"], "complete");
    let report = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(report.contains("<li>Jira: skipped (--products confluence)</li>"));
    assert!(report.contains("<li>Jira Service Management: skipped (--products confluence)</li>"));
    assert!(report.contains("<li>Confluence: scanned, 6 spaces</li>"));
}

#[test]
fn a_product_the_site_does_not_have_is_not_on_this_site() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let site = runtime
        .block_on(FakeSite::start(
            Arc::new(SiteData::generate(20, 5)),
            FakeSiteConfig {
                no_jira: true,
                ..FakeSiteConfig::default()
            },
        ))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("token"), "fake-token\n").unwrap();
    let o = withhold(
        dir.path(),
        &[
            "scan",
            "--site",
            &site.base_url(),
            "--email",
            &FakeSiteConfig::default().email,
            "--token-file",
            "token",
            "--quiet",
            "--out",
            "out",
        ],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(matches!(o.status.code(), Some(0 | 3)), "{err}");
    let out = dir.path().join("out");
    let s = summary(&out);
    assert_eq!(product(&s, "confluence")["status"], "scanned");
    assert_eq!(
        product(&s, "jira")["status"],
        "not_on_site",
        "{}",
        s["products"]
    );
    assert_eq!(product(&s, "jsm")["status"], "not_on_site");
    // Absent is not unread: no Jira app to review.
    assert!(!s["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .any(|v| v["product"] == "jira"));
    let report = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        report.contains("<li>Jira: not on this site</li>"),
        "{report}"
    );
    assert!(report.contains("<li>Jira Service Management: not on this site</li>"));
    runtime.block_on(site.shutdown());
}
