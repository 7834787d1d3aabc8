//! `report.html` through the real binary: it loads nothing and links nowhere,
//! puts the verdict first, holds every ranked container, the three charts, the
//! posture and the scan's record, and escapes whatever the site calls its
//! containers. The browser test (tests/browser.rs) checks how Chromium renders it.

use regex::Regex;
use serde_json::Value;
use std::path::Path;
use std::process::Output;

#[path = "support/cli.rs"]
mod cli;
use cli::withhold;

fn ok(out: &Output) {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The demo scanned offline into `dir/out`: (report.html, summary.json).
fn demo_report(dir: &Path) -> (String, Value) {
    ok(&withhold(
        dir,
        &["scan", "--demo", "--offline", "--quiet", "--out", "out"],
    ));
    let summary = serde_json::from_str(&read(&dir.join("out/summary.json"))).expect("JSON");
    (read(&dir.join("out/report.html")), summary)
}

#[test]
fn the_report_loads_nothing_and_links_nowhere() {
    let dir = tempfile::tempdir().unwrap();
    let (html, summary) = demo_report(dir.path());
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(
        html.contains(r#"<meta http-equiv="Content-Security-Policy" content="default-src 'none';"#),
        "a CSP forbids every load"
    );
    let lower = html.to_ascii_lowercase();
    for element in [
        "<script",
        "<link",
        "<img",
        "<iframe",
        "<object",
        "<embed",
        "<base",
        "<form",
        "<audio",
        "<video",
        "<source",
        "<image",
        "<use",
        "@import",
        "@font-face",
    ] {
        assert!(!lower.contains(element), "report.html holds {element}");
    }
    // Attributes that load or navigate: only in-page fragments.
    let attrs = Regex::new(r#"(?i)\s(src|href|xlink:href|action|formaction|srcset|poster|data|background|ping)\s*=\s*"([^"]*)""#)
        .unwrap();
    let mut links = 0;
    for c in attrs.captures_iter(&html) {
        assert_eq!(&c[1], "href", "{}", &c[0]);
        assert!(c[2].starts_with('#'), "a link out of the page: {}", &c[0]);
        links += 1;
    }
    assert!(links >= 6, "the section navigation is there");
    // CSS and SVG references: only to the page's own patterns.
    let urls = Regex::new(r"(?i)url\(\s*([^)]*)\)").unwrap();
    for c in urls.captures_iter(&html) {
        assert!(c[1].starts_with('#'), "an external url(): {}", &c[0]);
    }
    // No address inside any tag (inline SVG does without its xmlns in HTML).
    let tag_with_address = Regex::new(r"(?i)<[^>]*(https?:|ftp:|file:|//[a-z0-9])[^>]*>").unwrap();
    assert!(
        tag_with_address.find(&html).is_none(),
        "{:?}",
        tag_with_address.find(&html)
    );
    // The containers' own addresses stay in exclusions.csv and checklist.md.
    for v in summary["verdicts"].as_array().unwrap() {
        let url = v["url"].as_str().unwrap();
        if !url.is_empty() {
            assert!(!html.contains(url), "the report names {url}");
        }
    }
    assert!(
        read(&dir.path().join("out/checklist.md")).contains("https://"),
        "the checklist keeps them"
    );
}

#[test]
fn the_report_puts_the_verdict_first_and_holds_every_ranked_container() {
    let dir = tempfile::tempdir().unwrap();
    let (html, summary) = demo_report(dir.path());
    let verdicts = summary["verdicts"].as_array().unwrap();

    // Sections in the order a compliance officer reads them.
    let at = |id: &str| {
        html.find(&format!(r#"<section id="{id}">"#))
            .unwrap_or_else(|| panic!("no section {id}"))
    };
    let order = [
        "verdict",
        "containers",
        "charts",
        "renames",
        "posture",
        "act",
        "record",
    ];
    for pair in order.windows(2) {
        assert!(at(pair[0]) < at(pair[1]), "{} before {}", pair[0], pair[1]);
    }

    // The verdict states the count of exclusions up front.
    let excluded = verdicts
        .iter()
        .filter(|v| v["recommendation"] == "exclude")
        .count();
    let headline = format!(
        "Exclude {excluded} of {} containers from Atlassian&#x27;s AI data contribution",
        verdicts.len()
    );
    let headline_alt = headline.replace("&#x27;", "'");
    assert!(
        html.contains(&headline) || html.contains(&headline_alt),
        "headline: {headline_alt}"
    );
    assert!(at("verdict") < html.find("Exclude first").unwrap());

    // One row per verdict, in rank order, with its recommendation and reasons.
    let row =
        Regex::new(r#"<tr class="verdict (\w+)" data-rank="(\d+)" data-key="([^"]*)""#).unwrap();
    let rows: Vec<(String, u64, String)> = row
        .captures_iter(&html)
        .map(|c| (c[1].to_string(), c[2].parse().unwrap(), c[3].to_string()))
        .collect();
    assert_eq!(rows.len(), verdicts.len());
    for (r, v) in rows.iter().zip(verdicts) {
        assert_eq!(r.0, v["recommendation"].as_str().unwrap());
        assert_eq!(r.1, v["rank"].as_u64().unwrap());
        assert_eq!(r.2, v["key"].as_str().unwrap());
    }
    let first_reason = verdicts[1]["reasons"][0].as_str().unwrap();
    assert!(
        html.contains(first_reason),
        "reasons are shown: {first_reason}"
    );

    // The three charts, one bar per container in rank order in the score chart.
    for id in ["chart-score", "chart-categories", "chart-coverage"] {
        assert!(
            html.contains(&format!(r#"<svg class="chart" id="{id}""#)),
            "{id}"
        );
    }
    let score_chart = &html[html.find(r#"id="chart-score""#).unwrap()..];
    let score_chart = &score_chart[..score_chart.find("</svg>").unwrap()];
    let bar = Regex::new(r#"<rect class="bar" data-key="([^"]*)""#).unwrap();
    let keys: Vec<&str> = bar
        .captures_iter(score_chart)
        .map(|c| c.get(1).unwrap().as_str())
        .collect();
    let ranked: Vec<&str> = verdicts
        .iter()
        .map(|v| v["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ranked);

    // The demo brings an org file: one row per posture check.
    let checks = summary["posture"]["checks"].as_array().unwrap();
    assert!(checks.len() >= 7);
    assert_eq!(html.matches(r#"<tr class="check "#).count(), checks.len());

    // The scan's record: tool version and every rule pack with its version.
    let record = &html[at("record")..];
    assert!(record.contains(&format!(
        "withhold {}",
        summary["tool"]["version"].as_str().unwrap()
    )));
    for p in summary["rule_packs"].as_array().unwrap() {
        let pack = format!(
            "{} {}",
            p["name"].as_str().unwrap(),
            p["version"].as_str().unwrap()
        );
        assert!(record.contains(&pack), "record names {pack}");
    }
    // The metadata exposure of the demo: its masked value, never a raw finding.
    assert!(html[at("renames")..].contains("Northwind Migration"));
}

#[test]
fn names_from_the_site_are_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let hostile = "<img src=x onerror=alert(1)> & \"Q3\"";
    let container = dir.path().join("data").join(hostile);
    std::fs::create_dir_all(&container).unwrap();
    std::fs::write(
        container.join("notes.txt"),
        "card 4929 1234 5678 9015 for j.doe@client.com",
    )
    .unwrap();
    ok(&withhold(
        dir.path(),
        &["scan", "--path", "data", "--quiet", "--out", "out"],
    ));
    let html = read(&dir.path().join("out/report.html"));
    assert!(!html.contains("<img"), "the name became markup");
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt; &amp;"));
    // Neither the card number nor the address is in the report, only what was found.
    assert!(!html.contains("4929 1234 5678 9015") && !html.contains("j.doe@client.com"));
    assert!(html.contains("card number"));
    // No org file: the posture section says how to get one.
    assert!(html.contains("No org file was given"));
}

#[test]
fn an_org_file_adds_the_posture_to_every_output() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("data/pay")).unwrap();
    std::fs::write(
        dir.path().join("data/pay/a.txt"),
        "card 4929 1234 5678 9015",
    )
    .unwrap();
    let org = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/org/free.toml");
    ok(&withhold(
        dir.path(),
        &[
            "scan",
            "--path",
            "data",
            "--quiet",
            "--out",
            "out",
            "--org",
            org.to_str().unwrap(),
        ],
    ));
    let summary: Value = serde_json::from_str(&read(&dir.path().join("out/summary.json"))).unwrap();
    let posture = &summary["posture"];
    assert_eq!(posture["plan"], "Free");
    let ids: Vec<&str> = posture["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids[0], "in_app_contribution", "{ids:?}");
    assert!(ids.contains(&"data_residency"), "{ids:?}");
    let checklist = read(&dir.path().join("out/checklist.md"));
    assert!(checklist.contains("## Posture: "), "{checklist}");
    assert!(checklist.contains("In-app data is contributed"));
    let html = read(&dir.path().join("out/report.html"));
    assert!(html.contains(r#"data-check="in_app_contribution""#));
}

#[test]
fn a_bad_org_file_stops_the_scan_before_it_starts() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("data/a")).unwrap();
    std::fs::write(dir.path().join("data/a/x.txt"), "hello").unwrap();
    std::fs::write(dir.path().join("org.toml"), "name = 'X'\nplan = 'gold'\n").unwrap();
    let out = withhold(
        dir.path(),
        &[
            "scan", "--path", "data", "--out", "out", "--org", "org.toml",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("org.toml: line 2"), "{err}");
    assert!(!dir.path().join("out/summary.json").exists());
}

/// The raw values planted below, and forms a URL would give them.
const CARD_IN_TITLE: &str = "4929 7301 8842 1004";
const EMAIL_IN_TITLE: &str = "mark.twain@initech.co.uk";
const CARD_IN_NAME: &str = "5425 7339 1884 1000";
const EMAIL_IN_NAME: &str = "payroll.lead@globex-industries.com";

/// Where any part of a planted value shows in `text`: the middle digits of
/// the cards (masks keep the first and last four) and the local parts of the
/// addresses (masks keep the first letter and the domain), raw or URL-encoded.
fn leaks(text: &str) -> Vec<&'static str> {
    [
        "7301",
        "8842",
        "7339",
        "1884",
        "mark.twain",
        "mark%2Etwain",
        "payroll.lead",
        "payroll%2Elead",
    ]
    .into_iter()
    .filter(|needle| text.contains(needle))
    .collect()
}

/// One Confluence space whose name holds a card number and an address, with
/// one page whose title holds others, served as Confluence does: its web link
/// ends in a slug of that title.
fn site_with_values_in_names() -> withhold::fake_site::SiteData {
    use serde_json::json;
    let title = format!("Refund card {CARD_IN_TITLE} for {EMAIL_IN_TITLE}");
    let slug = title.replace(' ', "+").replace('@', "%40");
    withhold::fake_site::SiteData {
        name: "values in names".into(),
        cloud_id: "0b6b1d6e-5d2a-4b8e-9c3f-2d1e0a9b8c7d".into(),
        spaces: vec![json!({
            "id": "98306", "key": "PAY", "type": "global", "status": "current",
            "name": format!("Payroll {CARD_IN_NAME} {EMAIL_IN_NAME}"),
            "createdAt": "2026-01-02T03:04:05.000Z", "homepageId": "1001",
            "_links": {"webui": "/spaces/PAY"}
        })]
        .into(),
        pages: vec![json!({
            "id": "1001", "status": "current", "title": title, "spaceId": "98306",
            "parentId": null, "parentType": null, "position": 0,
            "authorId": "557058:aa", "ownerId": "557058:aa",
            "createdAt": "2026-01-02T03:04:05.000Z",
            "version": {"number": 1, "createdAt": "2026-01-02T03:04:05.000Z", "authorId": "557058:aa"},
            "body": {"storage": {"representation": "storage", "value": "<p>See the title.</p>"}},
            "_links": {"webui": format!("/spaces/PAY/pages/1001/{slug}")}
        })]
        .into(),
        ..Default::default()
    }
}

/// `withhold scan --site` against `site` with the fake site's token, in `dir`.
fn scan_site(dir: &Path, base: &str, extra: &[&str]) -> Output {
    std::fs::write(dir.join("token"), "fake-token\n").unwrap();
    let mut args = vec![
        "scan",
        "--site",
        base,
        "--email",
        "admin@acme-demo.test",
        "--token-file",
        "token",
    ];
    args.extend_from_slice(extra);
    withhold(dir, &args)
}

#[test]
fn values_in_titles_and_container_names_reach_no_output_unmasked() {
    use std::sync::Arc;
    use withhold::fake_site::{FakeSite, FakeSiteConfig};
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let site = runtime
        .block_on(FakeSite::start(
            Arc::new(site_with_values_in_names()),
            FakeSiteConfig::default(),
        ))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = scan_site(dir.path(), &site.base_url(), &["--out", "out", "--json"]);
    ok(&out);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(leaks(&stdout), Vec::<&str>::new(), "--json output");
    for name in [
        "findings.jsonl",
        "summary.json",
        "exclusions.csv",
        "checklist.md",
        "report.html",
    ] {
        let text = read(&dir.path().join("out").join(name));
        assert_eq!(leaks(&text), Vec::<&str>::new(), "{name}");
    }
    // The values were found (in the title and in the name), and the links
    // point at the page by its id.
    let findings: Vec<Value> = read(&dir.path().join("out/findings.jsonl"))
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let fields = |field: &str, entity: &str| {
        findings
            .iter()
            .filter(|f| f["field"] == field && f["entity"] == entity)
            .count()
    };
    for field in ["title", "container_name"] {
        assert_eq!(fields(field, "CREDIT_CARD"), 1, "{field}: {findings:?}");
        assert_eq!(fields(field, "EMAIL_ADDRESS"), 1, "{field}: {findings:?}");
    }
    let base = site.base_url();
    for f in findings.iter().filter(|f| f["field"] == "title") {
        assert_eq!(f["item_url"], format!("{base}/wiki/spaces/PAY/pages/1001"));
    }
    // The admin still recognises the space: its key and the rest of its name.
    let summary: Value = serde_json::from_str(&read(&dir.path().join("out/summary.json"))).unwrap();
    let space = summary["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["key"] == "PAY" && v["kind"] == "space")
        .expect("the PAY space");
    assert_eq!(
        space["name"],
        "Payroll 5425 •••• •••• 1000 p•••@globex-industries.com"
    );
    assert_eq!(space["url"], format!("{base}/wiki/spaces/PAY"));
    assert!(read(&dir.path().join("out/checklist.md")).contains("Payroll 5425 •••• •••• 1000"));

    // With --reveal the raw name may be shown.
    ok(&scan_site(
        dir.path(),
        &base,
        &["--out", "revealed", "--quiet", "--reveal"],
    ));
    let summary: Value =
        serde_json::from_str(&read(&dir.path().join("revealed/summary.json"))).unwrap();
    assert!(summary["containers"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["name"] == format!("Payroll {CARD_IN_NAME} {EMAIL_IN_NAME}")));
    runtime.block_on(site.shutdown());
}

#[test]
fn secrets_must_be_rotated_whatever_is_decided() {
    let dir = tempfile::tempdir().unwrap();
    let (html, summary) = demo_report(dir.path());
    let checklist = read(&dir.path().join("out/checklist.md"));
    // Every container the ranking counted secrets in is listed for rotation,
    // kept ones included.
    let with_secrets: Vec<&str> = summary["verdicts"]
        .as_array()
        .expect("verdicts")
        .iter()
        .filter(|v| v["by_category"]["secret"].as_u64().unwrap_or(0) > 0)
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert!(!with_secrets.is_empty(), "the demo plants secrets");
    assert!(checklist.contains("## Rotate secrets"), "{checklist}");
    assert!(html.contains(r#"<section id="rotate">"#));
    let section = checklist
        .split("## Rotate secrets")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .unwrap();
    for name in &with_secrets {
        assert!(section.contains(name), "{name} missing from:\n{section}");
    }
    assert!(section.contains("whatever is decided"));
}
