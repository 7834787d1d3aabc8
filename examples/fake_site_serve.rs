//! Serve a generated fake Atlassian site on loopback until interrupted, for
//! crawl benchmarks against the real binary:
//!
//! `cargo run --release --example fake_site_serve -- ITEMS SEED RATE_PER_SEC [LATENCY_MS] [roots-only]`
//!
//! `roots-only`: the site-wide comment listings hold root comments only (the
//! crawler's check then takes its fallback).
//!
//! Prints `url=…` once listening, and the server's statistics on Ctrl-C.

use std::sync::Arc;
use withhold::fake_site::{FakeSite, FakeSiteConfig, SiteData};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let items: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let seed: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1);
    let rate: f64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1000.0);
    let latency_ms: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(0);
    let roots_only = args.next().is_some_and(|a| a == "roots-only");
    let data = SiteData::generate(items, seed);
    let summary = data.summary();
    let config = FakeSiteConfig {
        rate_limit_per_sec: Some(rate),
        burst: (rate as u32).max(1),
        latency: std::time::Duration::from_millis(latency_ms),
        site_comments_roots_only: roots_only,
        ..FakeSiteConfig::default()
    };
    let site = FakeSite::start(Arc::new(data), config.clone()).await?;
    println!("url={}", site.base_url());
    println!("email={}", config.email);
    println!(
        "items: {} pages, {} blog posts, {} issues; comments: {} footer, {} inline, {} issue",
        summary.pages,
        summary.blogposts,
        summary.issues,
        summary.footer_root_comments + summary.footer_replies,
        summary.inline_root_comments + summary.inline_replies,
        summary.issue_comments
    );
    tokio::signal::ctrl_c().await?;
    let stats = site.stats();
    println!(
        "requests={} throttled={} retry_after_violations={}",
        stats.total, stats.throttled, stats.retry_after_violations
    );
    site.shutdown().await;
    Ok(())
}
