//! Pacing against the fake site's announced budget, over real HTTP on
//! loopback: a paced crawl gets few 429s, and clearly fewer than the same
//! crawl against a site that announces nothing. No assertion on time.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use withhold::fake_site::{FakeSite, FakeSiteConfig, FakeSiteStats, RateLimitHeaders, SiteData};
use withhold::model::{Document, Field};
use withhold::sources::atlassian::{crawl, Auth, CrawlConfig, CrawlEvent, CrawlReport};

/// One crawl at a time: the fake site's Retry-After check forgives requests
/// only 100 ms into a window, and two crawls sharing two cores can delay a
/// request already sent by that long.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// What a crawl delivered.
#[derive(Debug, Default)]
struct Got {
    units: usize,
    /// Distinct comments reached, as (item, comment) (an inline comment
    /// has a second document: its original selection).
    comments: HashSet<(String, String)>,
    failures: usize,
    incomplete: usize,
}

impl Got {
    fn note_comments(&mut self, docs: &[Document]) {
        for d in docs.iter().filter(|d| d.origin.field == Field::Comment) {
            if let Some(c) = &d.origin.comment_id {
                self.comments.insert((d.origin.item_id.clone(), c.clone()));
            }
        }
    }
}

/// Items of the crawled site: enough for a few hundred requests (the crawl
/// reads about 22 per 1,000 items), so that a 429 rate means something.
const SITE_ITEMS: usize = 12_000;

/// The limited site: 100 requests/s, bucket of 10 (a crawl of this site at
/// full speed sends several hundred per second on loopback).
fn limited(headers: RateLimitHeaders) -> FakeSiteConfig {
    FakeSiteConfig {
        rate_limit_per_sec: Some(100.0),
        burst: 10,
        rate_limit_headers: headers,
        ..FakeSiteConfig::default()
    }
}

async fn crawl_limited(headers: RateLimitHeaders) -> (CrawlReport, FakeSiteStats, Got) {
    let data = Arc::new(SiteData::generate(SITE_ITEMS, 7));
    let fake = limited(headers);
    // The site on a runtime of its own: it notes when a request arrives,
    // and the crawler's scheduling must not delay that note.
    let (server_runtime, site) = {
        let (data, fake) = (data.clone(), fake.clone());
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .unwrap();
            let site = rt.block_on(FakeSite::start(data, fake)).unwrap();
            (rt, site)
        })
        .join()
        .unwrap()
    };
    let mut config = CrawlConfig::new(
        site.base_url(),
        Auth::Basic {
            email: fake.email.clone(),
            token: fake.token.clone(),
        },
    );
    config.client.backoff_base = Duration::from_millis(20);
    config.client.backoff_cap = Duration::from_secs(2);
    let (tx, mut rx) = mpsc::channel(16);
    let consumer = tokio::spawn(async move {
        let mut got = Got::default();
        while let Some(ev) = rx.recv().await {
            match ev {
                CrawlEvent::Unit(u) => {
                    got.units += 1;
                    got.note_comments(&u.documents);
                }
                CrawlEvent::Comments(f) => got.note_comments(&f.documents),
                CrawlEvent::Failure(_) => got.failures += 1,
                CrawlEvent::ContainerStatus { .. } => got.incomplete += 1,
                _ => {}
            }
        }
        got
    });
    let started = std::time::Instant::now();
    let report = crawl(config, tx).await.unwrap();
    let took = started.elapsed();
    let got = consumer.await.unwrap();
    let stats = site.stats();
    drop(site);
    server_runtime.shutdown_background();

    let sum = data.summary();
    assert_eq!(got.units, sum.pages + sum.blogposts + sum.issues, "{got:?}");
    assert_eq!(
        got.comments.len(),
        sum.footer_root_comments
            + sum.footer_replies
            + sum.inline_root_comments
            + sum.inline_replies
            + sum.issue_comments,
        "{got:?}"
    );
    assert_eq!((got.failures, got.incomplete), (0, 0), "{got:?}");
    assert_eq!(stats.retry_after_violations, 0, "{stats:?}");
    assert_eq!(stats.total, report.requests.total);
    assert_eq!(stats.throttled, report.requests.rate_limited);
    let per_1000 = 1000.0 * report.requests.rate_limited as f64 / report.requests.total as f64;
    assert!((report.requests.rate_limited_per_1000 - per_1000).abs() < 1e-9);
    eprintln!(
        "{headers:?}: {} requests in {took:.1?}, {} 429s ({:.1} per 1,000), {} paced for {} ms in all",
        report.requests.total,
        report.requests.rate_limited,
        report.requests.rate_limited_per_1000,
        report.requests.paced,
        report.requests.paced_ms
    );
    (report, stats, got)
}

/// Few 429s: at most 2 % of requests (a generous bound: the first burst,
/// before the pacer has heard anything, is allowed to overshoot).
fn assert_few_429s(report: &CrawlReport) {
    let r = &report.requests;
    assert!(r.paced > 0, "the pacer never waited: {r:?}");
    assert!(
        r.rate_limited as f64 <= 0.02 * r.total as f64,
        "{} 429s in {} requests",
        r.rate_limited,
        r.total
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paced_crawl_gets_few_429s_and_far_fewer_than_an_unpaced_one() {
    let _serial = SERIAL.lock().await;
    let (paced, _, _) = crawl_limited(RateLimitHeaders::All).await;
    assert_few_429s(&paced);
    // The same site announcing nothing: the pacer cannot help and adds no
    // delay; only Retry-After slows the crawl.
    let (blind, _, _) = crawl_limited(RateLimitHeaders::None).await;
    assert_eq!(blind.requests.paced, 0, "{:?}", blind.requests);
    assert!(
        blind.requests.rate_limited >= 3 * paced.requests.rate_limited.max(1),
        "paced {:?}, unpaced {:?}",
        paced.requests,
        blind.requests
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x_ratelimit_headers_alone_are_enough_to_pace() {
    let _serial = SERIAL.lock().await;
    let (paced, _, _) = crawl_limited(RateLimitHeaders::NoBeta).await;
    assert_few_429s(&paced);
}
