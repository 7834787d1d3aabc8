//! A container's identity is (product, key): a Confluence space and a Jira
//! project that share a key are two containers in every output, each with its
//! own counts. Crawled over real HTTP on loopback from the fake site.

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use withhold::fake_site::{FakeSite, FakeSiteConfig, SiteData};

#[path = "support/cli.rs"]
mod cli;
use cli::withhold;

/// Crawl `data` served by the fake site into `dir/out` with every output.
fn crawl(dir: &Path, data: SiteData) -> Value {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let site = runtime
        .block_on(FakeSite::start(Arc::new(data), FakeSiteConfig::default()))
        .unwrap();
    let config = FakeSiteConfig::default();
    std::fs::write(dir.join("token"), format!("{}\n", config.token)).unwrap();
    let out = withhold(
        dir,
        &[
            "scan",
            "--site",
            &site.base_url(),
            "--email",
            &config.email,
            "--token-file",
            "token",
            "--clients",
            "clients.csv",
            "--out",
            "out",
            "--quiet",
        ],
    );
    runtime.block_on(site.shutdown());
    assert!(
        matches!(out.status.code(), Some(0) | Some(1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&std::fs::read_to_string(dir.join("out/summary.json")).unwrap()).unwrap()
}

/// Findings per (product, container key) in `summary.json`'s containers.
fn findings_by_container(summary: &Value) -> BTreeMap<(String, String), u64> {
    summary["containers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                (
                    c["product"].as_str().unwrap().to_string(),
                    c["key"].as_str().unwrap().to_string(),
                ),
                c["findings"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// Findings per (product, container key) in `findings.jsonl`.
fn findings_file_by_container(dir: &Path) -> BTreeMap<(String, String), u64> {
    let mut n = BTreeMap::new();
    for line in std::fs::read_to_string(dir.join("out/findings.jsonl"))
        .unwrap()
        .lines()
    {
        let f: Value = serde_json::from_str(line).unwrap();
        *n.entry((
            f["product"].as_str().unwrap().to_string(),
            f["container_key"].as_str().unwrap().to_string(),
        ))
        .or_default() += 1;
    }
    n
}

fn key(product: &str, key: &str) -> (String, String) {
    (product.to_string(), key.to_string())
}

#[test]
fn a_space_and_a_project_sharing_a_key_are_two_containers_everywhere() {
    // The demo as it is: the HR space and the OPS project, each with findings.
    let before = tempfile::tempdir().unwrap();
    std::fs::write(
        before.path().join("clients.csv"),
        withhold::sources::demo::clients_csv(),
    )
    .unwrap();
    let plain = crawl(before.path(), SiteData::demo().unwrap());
    let counts = findings_by_container(&plain);
    let hr = counts[&key("confluence", "HR")];
    let ops = counts[&key("jira", "OPS")];
    assert!(hr > 0 && ops > 0, "{counts:?}");

    // The same site with the HR space keyed OPS, like the project.
    let mut data = SiteData::demo().unwrap();
    let hr_space = data
        .spaces
        .iter()
        .position(|s| s["key"] == "HR")
        .expect("the demo has an HR space");
    data.spaces.with_mut(hr_space, |space| {
        space["key"] = Value::from("OPS");
        space["_links"]["webui"] = Value::from("/spaces/OPS");
    });
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("clients.csv"),
        withhold::sources::demo::clients_csv(),
    )
    .unwrap();
    let summary = crawl(dir.path(), data);

    // summary.json: two containers, each with its own count.
    let counts = findings_by_container(&summary);
    assert_eq!(
        counts.get(&key("confluence", "OPS")),
        Some(&hr),
        "{counts:?}"
    );
    assert_eq!(counts.get(&key("jira", "OPS")), Some(&ops), "{counts:?}");
    assert!(!counts.contains_key(&key("confluence", "HR")));
    // findings.jsonl says the same.
    let file = findings_file_by_container(dir.path());
    assert_eq!(file.get(&key("confluence", "OPS")), Some(&hr), "{file:?}");
    assert_eq!(file.get(&key("jira", "OPS")), Some(&ops), "{file:?}");

    // Two verdicts, one per product, each with its own coverage.
    let verdicts: Vec<&Value> = summary["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["key"] == "OPS")
        .collect();
    let mut products: Vec<&str> = verdicts
        .iter()
        .map(|v| v["product"].as_str().unwrap())
        .collect();
    products.sort();
    assert_eq!(products, ["confluence", "jira"], "{verdicts:?}");
    let seen = |product: &str| {
        verdicts
            .iter()
            .find(|v| v["product"] == product)
            .map(|v| v["coverage"]["items_seen"].as_u64().unwrap())
            .unwrap()
    };
    let plain_seen = |product: &str, k: &str| {
        plain["verdicts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["product"] == product && v["key"] == k)
            .map(|v| v["coverage"]["items_seen"].as_u64().unwrap())
            .unwrap()
    };
    assert_eq!(seen("confluence"), plain_seen("confluence", "HR"));
    assert_eq!(seen("jira"), plain_seen("jira", "OPS"));

    // exclusions.csv: two rows keyed OPS, one per product.
    let mut csv = csv::Reader::from_path(dir.path().join("out/exclusions.csv")).unwrap();
    let headers = csv.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (product_col, key_col) = (col("product"), col("key"));
    let mut rows: Vec<String> = csv
        .records()
        .map(|r| r.unwrap())
        .filter(|r| &r[key_col] == "OPS")
        .map(|r| r[product_col].to_string())
        .collect();
    rows.sort();
    assert_eq!(rows, ["confluence", "jira"]);

    // report.html: two rows for OPS, told apart by product.
    let html = std::fs::read_to_string(dir.path().join("out/report.html")).unwrap();
    for product in ["confluence", "jira"] {
        let row = format!(r#"data-key="OPS" data-product="{product}" data-recommendation"#);
        assert_eq!(
            html.matches(&row).count(),
            1,
            "{product} row in report.html"
        );
    }

    // checklist.md: a step for each of the two, named with its product.
    let checklist = std::fs::read_to_string(dir.path().join("out/checklist.md")).unwrap();
    for what in ["OPS (Confluence space)", "OPS (Jira project)"] {
        assert_eq!(
            checklist.matches(&format!("— {what}")).count(),
            1,
            "{what} in {checklist}"
        );
    }
}
