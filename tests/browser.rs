//! `report.html` in a real headless Chromium: the DOM Chromium builds from the
//! file holds every ranked row and the three charts with their bars, and a
//! screenshot of the page is taken (kept in `target/tmp/report-screenshot.png`).
//!
//! Ignored in plain `cargo test` because it needs Chromium (Debian package
//! `chromium`); `.ci/run` installs it and runs `cargo test -- --include-ignored`.
//! `WITHHOLD_CHROMIUM` names another binary.

#[path = "support/cli.rs"]
mod cli;
use cli::withhold;
use regex::Regex;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn chromium() -> PathBuf {
    if let Some(p) = std::env::var_os("WITHHOLD_CHROMIUM") {
        return PathBuf::from(p);
    }
    [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
    .expect("no Chromium: install the Debian package `chromium` or set WITHHOLD_CHROMIUM")
}

/// Chromium, headless, with a fresh profile and nothing reaching out on its own.
fn headless(profile: &Path, args: &[String]) -> Output {
    Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .output()
        .expect("Chromium starts")
}

/// Width and height from a PNG's IHDR chunk.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert!(bytes.len() > 24, "a PNG");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "a PNG signature");
    assert_eq!(&bytes[12..16], b"IHDR");
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    (be(&bytes[16..20]), be(&bytes[20..24]))
}

#[test]
#[ignore = "needs Chromium; .ci/run runs it with --include-ignored"]
fn chromium_renders_the_ranked_rows_and_the_charts() {
    let dir = tempfile::tempdir().unwrap();
    let out = withhold(dir.path(), &["scan", "--demo", "--quiet", "--out", "out"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("out/summary.json")).unwrap(),
    )
    .unwrap();
    let verdicts = summary["verdicts"].as_array().unwrap();
    let report = dir.path().join("out/report.html");
    let url = format!("file://{}", report.display());

    // The DOM as Chromium parsed and built it.
    let dom = headless(
        &dir.path().join("profile-dom"),
        &["--dump-dom".to_string(), url.clone()],
    );
    assert!(
        dom.status.success(),
        "{}",
        String::from_utf8_lossy(&dom.stderr)
    );
    let dom = String::from_utf8(dom.stdout).expect("UTF-8 DOM");
    assert!(
        dom.contains("<title>Data contribution report"),
        "{dom:.400}"
    );

    // Every ranked row, in rank order, inside the ranked table's body.
    let table = &dom[dom
        .find(r#"<table class="ranked">"#)
        .expect("the ranked table")..];
    let table = &table[..table.find("</table>").unwrap()];
    let row = Regex::new(
        r#"<tr class="verdict (\w+)" data-rank="(\d+)" data-key="([^"]*)" data-product="(\w+)""#,
    )
    .unwrap();
    let rows: Vec<(String, u64, String, String)> = row
        .captures_iter(table)
        .map(|c| {
            (
                c[1].to_string(),
                c[2].parse().unwrap(),
                c[3].to_string(),
                c[4].to_string(),
            )
        })
        .collect();
    assert_eq!(rows.len(), verdicts.len(), "one row per verdict");
    for (r, v) in rows.iter().zip(verdicts) {
        assert_eq!(r.0, v["recommendation"].as_str().unwrap());
        assert_eq!(r.1, v["rank"].as_u64().unwrap());
        assert_eq!(r.2, v["key"].as_str().unwrap());
        assert_eq!(r.3, v["product"].as_str().unwrap());
    }
    assert_eq!(
        table.matches("<td").count(),
        verdicts.len() * 7,
        "seven cells a row: nothing misnested"
    );

    // The three charts as SVG elements, with a bar for every container they draw.
    let with_findings = verdicts
        .iter()
        .filter(|v| v["by_category"].as_object().is_some_and(|m| !m.is_empty()))
        .count();
    let not_apps = verdicts.iter().filter(|v| v["kind"] != "app").count();
    let bar =
        Regex::new(r#"<rect class="bar[^"]*" data-key="([^"]*)" data-product="(\w+)""#).unwrap();
    for (id, rows) in [
        ("chart-score", verdicts.len()),
        ("chart-categories", with_findings),
        ("chart-coverage", not_apps),
    ] {
        let start = dom
            .find(&format!(r#"<svg class="chart" id="{id}""#))
            .unwrap_or_else(|| panic!("{id} is in the DOM"));
        let svg = &dom[start..];
        let svg = &svg[..svg.find("</svg>").unwrap()];
        assert!(svg.contains(&format!(r#"data-rows="{rows}""#)), "{id} rows");
        // A container is (product, key): a space and a project may share a key.
        let keys: std::collections::BTreeSet<(&str, &str)> = bar
            .captures_iter(svg)
            .map(|c| (c.get(1).unwrap().as_str(), c.get(2).unwrap().as_str()))
            .collect();
        assert_eq!(keys.len(), rows, "{id}: a bar for each drawn container");
    }
    assert!(dom.contains(r#"<section id="posture">"#));

    // A screenshot of the page, kept for people to look at.
    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-screenshot.png");
    let _ = std::fs::remove_file(&shot);
    let taken = headless(
        &dir.path().join("profile-shot"),
        &[
            "--window-size=1280,2400".to_string(),
            format!("--screenshot={}", shot.display()),
            url,
        ],
    );
    assert!(
        taken.status.success(),
        "{}",
        String::from_utf8_lossy(&taken.stderr)
    );
    let png = std::fs::read(&shot).expect("the screenshot was saved");
    assert_eq!(png_size(&png), (1280, 2400));
    // A blank page compresses to a few kilobytes; the report's text and charts do not.
    assert!(png.len() > 50_000, "screenshot of {} bytes", png.len());
}
