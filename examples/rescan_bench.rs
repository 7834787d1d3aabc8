//! Rescan benchmark (issue 10), run by `benches/rescan.sh`: a generated site
//! served on loopback, crawled in full by the release binary, rescanned
//! unchanged, then changed (1 % of its items by default: edits, new and
//! deleted comments, a new space and project, a deleted page and issue) and
//! rescanned again. Prints requests and wall time of each run and whether the
//! last rescan reported exactly the changes made.
//!
//! `rescan_bench BINARY WORKDIR [ITEMS] [RATE_PER_SEC] [FRACTION]`

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;
use withhold::fake_site::{FakeSite, FakeSiteConfig, SiteData};

struct Run {
    requests: u64,
    secs: f64,
    summary: Value,
}

fn scan(binary: &Path, work: &Path, site: &FakeSite) -> anyhow::Result<Run> {
    let config = FakeSiteConfig::default();
    let before = site.stats().total;
    let start = Instant::now();
    let out = Command::new(binary)
        .args(["scan", "--site", &site.base_url(), "--email", &config.email])
        .args([
            "--token-file",
            "token",
            "--concurrency",
            "16",
            "--out",
            "out",
            "--quiet",
        ])
        .current_dir(work)
        .env("WITHHOLD_KEY_FILE", work.join("key"))
        .output()?;
    let secs = start.elapsed().as_secs_f64();
    if !matches!(out.status.code(), Some(0 | 1 | 3)) {
        anyhow::bail!("scan failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let summary = serde_json::from_slice(&std::fs::read(work.join("out/summary.json"))?)?;
    Ok(Run {
        requests: site.stats().total - before,
        secs,
        summary,
    })
}

fn len(v: &Value) -> usize {
    v.as_array().map_or(0, Vec::len)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let binary = PathBuf::from(
        args.next()
            .unwrap_or_else(|| "target/release/withhold".into()),
    );
    let work = PathBuf::from(args.next().unwrap_or_else(|| "target/rescan-bench".into()));
    let items: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(20_000);
    let rate: f64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1000.0);
    let fraction: f64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(0.01);
    let binary = std::fs::canonicalize(binary)?;
    std::fs::create_dir_all(&work)?;
    std::fs::write(work.join("token"), "fake-token\n")?;
    let config = FakeSiteConfig {
        rate_limit_per_sec: Some(rate),
        burst: (rate as u32).max(1),
        ..FakeSiteConfig::default()
    };
    let mut data = SiteData::generate(items, 1);
    let site = FakeSite::start(Arc::new(data.clone()), config.clone()).await?;
    let port = site
        .base_url()
        .rsplit(':')
        .next()
        .and_then(|p| p.parse::<u16>().ok())
        .unwrap_or(0);

    let w = work.clone();
    let b = binary.clone();
    let (first, site) = tokio::task::spawn_blocking(move || {
        let r = scan(&b, &w, &site);
        (r, site)
    })
    .await?;
    let first = first?;
    let w = work.clone();
    let b = binary.clone();
    let (same, site) = tokio::task::spawn_blocking(move || {
        let r = scan(&b, &w, &site);
        (r, site)
    })
    .await?;
    let same = same?;
    site.shutdown().await;

    let conf = withhold::fake_site::change_confluence::change_confluence(&mut data, fraction, 7);
    let jira = withhold::fake_site::change_jira::change(&mut data, fraction, 7);
    let site = FakeSite::start_at(Arc::new(data), config.clone(), port).await?;
    let w = work.clone();
    let (changed, site) = tokio::task::spawn_blocking(move || {
        let r = scan(&binary, &w, &site);
        (r, site)
    })
    .await?;
    let changed = changed?;
    site.shutdown().await;

    let t = &first.summary["totals"];
    println!(
        "site: {} items seen, {} findings",
        t["items_seen"], t["findings"]
    );
    for (name, r) in [
        ("first scan", &first),
        ("unchanged rescan", &same),
        ("rescan after changes", &changed),
    ] {
        println!(
            "{name}: {} requests ({:.1} % of the first), {:.2} s ({:.1}× faster than the first)",
            r.requests,
            100.0 * r.requests as f64 / first.requests.max(1) as f64,
            r.secs,
            first.secs / r.secs.max(1e-9)
        );
    }
    let c = &same.summary["changes"];
    println!(
        "unchanged rescan reports: {} new containers, {} new findings groups, {} resolved groups, {} removed containers",
        len(&c["new_containers"]),
        len(&c["new_findings"]),
        len(&c["resolved_findings"]),
        len(&c["removed_containers"])
    );
    let c = &changed.summary["changes"];
    println!(
        "changes made: {} edited Confluence items, {} new comments, {} edited comments, {} deleted comments, new space {}, deleted page {:?}; Jira: {} issues to read again, deleted issue {:?}, new project {:?}",
        conf.edited.len(),
        conf.new_comments.len(),
        conf.edited_comments.len(),
        conf.deleted_comments.len(),
        conf.new_space,
        conf.deleted_page,
        jira.changed_issues().len(),
        jira.deleted_issue,
        jira.new_project.as_ref().map(|(k, _)| k)
    );
    println!(
        "rescan reports: new containers {:?}, {} containers with new findings, {} with resolved findings, {} verdict changes",
        c["new_containers"]
            .as_array()
            .map(|a| a.iter().map(|x| x["key"].to_string()).collect::<Vec<_>>()),
        len(&c["new_findings"]),
        len(&c["resolved_findings"]),
        len(&c["verdict_changes"])
    );
    Ok(())
}
