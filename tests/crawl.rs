//! The crawler against the fake site, over real HTTP on loopback.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use withhold::fake_site::{
    FakeSite, FakeSiteConfig, Faults, Hit, RateLimitHeaders, SiteData, SiteSummary,
};
use withhold::model::{Container, CoverageStatus, Document, Field, Product};
use withhold::sources::atlassian::{
    crawl, Auth, CrawlConfig, CrawlError, CrawlEvent, CrawlReport, ProductPresence, TOKEN_HELP_URL,
};
use withhold::sources::{demo, ItemUnit};

const DEMO_WEB: &str = "https://acme-demo.atlassian.net";

/// One crawl at a time: the Retry-After check counts requests that arrive
/// more than 100 ms into an announced window, and several crawls sharing two
/// cores can delay a request already sent by that long.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[derive(Default, Debug)]
struct Collected {
    containers: Vec<Container>,
    name_documents: Vec<Document>,
    units: BTreeMap<String, ItemUnit>,
    failures: Vec<String>,
    failure_reasons: Vec<String>,
    container_status: BTreeMap<String, Vec<(CoverageStatus, String)>>,
    product_status: Vec<(Product, CoverageStatus, String)>,
    /// Confluence comments sent more than once: (item key, comment id).
    comments_sent_twice: Vec<(String, String)>,
    comments_sent: BTreeSet<(String, String)>,
    /// (container key, item id, comment id) a rescan found deleted.
    removed: Vec<(String, String, Option<String>)>,
    /// Listing → its last checkpointed cursor (`None`: read to the end).
    checkpoints: BTreeMap<String, Option<String>>,
}

fn config(site: &FakeSite, fake: &FakeSiteConfig) -> CrawlConfig {
    let mut c = CrawlConfig::new(
        site.base_url(),
        Auth::Basic {
            email: fake.email.clone(),
            token: fake.token.clone(),
        },
    );
    c.web_base = Some(DEMO_WEB.to_string());
    c.client.backoff_base = Duration::from_millis(20);
    c.client.backoff_cap = Duration::from_secs(2);
    c
}

async fn run(config: CrawlConfig) -> (Result<CrawlReport, CrawlError>, Collected) {
    let (tx, mut rx) = mpsc::channel(16);
    let consumer = tokio::spawn(async move {
        let mut got = Collected::default();
        while let Some(ev) = rx.recv().await {
            match ev {
                CrawlEvent::Container {
                    container,
                    name_document,
                } => {
                    // A container listed twice (a server repeating a page)
                    // must still be sent once.
                    assert!(
                        !got.containers
                            .iter()
                            .any(|c| c.product == container.product && c.key == container.key),
                        "a container sent twice: {}",
                        container.key
                    );
                    got.containers.push(container);
                    got.name_documents.push(name_document);
                }
                CrawlEvent::Unit(u) => {
                    let key = format!("{}:{}", u.item.container.key, u.item.id);
                    assert!(got.units.insert(key, u).is_none(), "an item sent twice");
                }
                CrawlEvent::Comments(fragment) => {
                    let key = format!("{}:{}", fragment.item.container.key, fragment.item.id);
                    // Comments follow their item: it must have been sent already.
                    let unit = got.units.get_mut(&key).expect("a comment before its item");
                    // One fragment per comment (its documents travel together).
                    let ids: BTreeSet<String> = fragment
                        .documents
                        .iter()
                        .filter_map(|d| d.origin.comment_id.clone())
                        .collect();
                    for id in ids {
                        if !got.comments_sent.insert((key.clone(), id.clone())) {
                            got.comments_sent_twice.push((key.clone(), id));
                        }
                    }
                    unit.documents.extend(fragment.documents);
                    unit.comments.extend(fragment.comments);
                }
                CrawlEvent::Failure(f) => {
                    got.failures.push(f.item_id);
                    got.failure_reasons.push(f.reason);
                }
                CrawlEvent::ContainerStatus {
                    key,
                    status,
                    reason,
                    ..
                } => got
                    .container_status
                    .entry(key)
                    .or_default()
                    .push((status, reason)),
                CrawlEvent::ProductStatus {
                    product,
                    status,
                    reason,
                } => got.product_status.push((product, status, reason)),
                CrawlEvent::Removed {
                    container,
                    item_id,
                    comment_id,
                } => got.removed.push((container.key, item_id, comment_id)),
                CrawlEvent::Checkpoint { listing, cursor } => {
                    got.checkpoints.insert(listing, cursor);
                }
            }
        }
        got
    });
    let report = crawl(config, tx).await;
    let got = consumer.await.unwrap();
    (report, got)
}

fn offline() -> BTreeMap<String, ItemUnit> {
    demo::collect()
        .unwrap()
        .units
        .into_iter()
        .map(|u| (format!("{}:{}", u.item.container.key, u.item.id), u))
        .collect()
}

/// Documents in a fixed order: comments are streamed as read, so only the
/// set of documents of an item is compared.
fn sorted_docs(docs: &[Document]) -> Vec<Document> {
    let mut d = docs.to_vec();
    d.sort_by_key(|d| (d.origin.field, d.origin.comment_id.clone(), d.text.clone()));
    d
}

/// Crawled units equal the offline demo's: same items, same documents (text
/// and origin), same comment visibility.
fn assert_same_as_offline(got: &Collected) {
    let want = offline();
    let got_keys: BTreeSet<_> = got.units.keys().collect();
    let want_keys: BTreeSet<_> = want.keys().collect();
    assert_eq!(got_keys, want_keys);
    for (k, w) in &want {
        let g = &got.units[k];
        assert_eq!(g.item, w.item, "{k}");
        assert_eq!(sorted_docs(&g.documents), sorted_docs(&w.documents), "{k}");
        assert_eq!(g.comments, w.comments, "{k}");
    }
    let data = demo::collect().unwrap();
    let mut gc = got.containers.clone();
    gc.sort_by(|a, b| a.key.cmp(&b.key));
    let mut wc = data.containers.clone();
    wc.sort_by(|a, b| a.key.cmp(&b.key));
    assert_eq!(gc, wc);
    let mut gd = got.name_documents.clone();
    gd.sort_by(|a, b| a.origin.container_key.cmp(&b.origin.container_key));
    let mut wd = data.container_documents.clone();
    wd.sort_by(|a, b| a.origin.container_key.cmp(&b.origin.container_key));
    assert_eq!(gd, wd);
}

fn pages(n: usize, size: usize) -> u64 {
    n.div_ceil(size).max(1) as u64
}

/// One kind of Confluence comment, read site-wide: the listing (replies
/// included unless `roots_only`), the check of a sample through `/children`
/// (20 comments, or 100 when the listing shows no reply), and when the
/// listing lacks replies the fallback: one `/children` per comment.
fn comment_bound(roots: usize, replies: usize, roots_only: bool) -> u64 {
    let listed = if roots_only { roots } else { roots + replies };
    let listed_replies = if roots_only { 0 } else { replies };
    let target = if listed_replies > 0 { 20 } else { 100 };
    let sample = listed.min(target) as u64;
    let mut n = pages(listed, 250) + sample;
    if roots_only && replies > 0 {
        // Every comment is asked once: the sample's, then all the others.
        n += (roots + replies) as u64 - sample;
    }
    n
}

/// The fewest requests the crawler's strategy can make on a site (no
/// retries): see the module docs of `sources::atlassian`.
fn lower_bound(data: &SiteData, sum: &SiteSummary, roots_only: bool) -> u64 {
    let preflight = 3; // Confluence user/current, Jira myself, mypermissions.
    let mut conf = pages(sum.spaces, 250);
    for sp in &data.spaces {
        let id = sp
            .get("id")
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string();
        conf += pages(*sum.pages_per_space.get(&id).unwrap_or(&0), 250);
        conf += pages(*sum.blogposts_per_space.get(&id).unwrap_or(&0), 250);
    }
    conf += comment_bound(sum.footer_root_comments, sum.footer_replies, roots_only);
    conf += comment_bound(sum.inline_root_comments, sum.inline_replies, roots_only);
    let mut jira = pages(sum.projects, 50) + 1;
    for n in sum.issues_per_project.values() {
        jira += pages(*n, 100);
    }
    // Projects without issues still cost one search.
    jira += (sum.projects - sum.issues_per_project.len()) as u64;
    // Issues whose 20 embedded comments are not all: one bulk fetch per
    // 100 of a project (it embeds 100 on the fake site), then 100 a page.
    let mut truncated: std::collections::BTreeMap<&str, usize> = Default::default();
    for (key, n) in &sum.comments_per_issue {
        if *n > 20 {
            let project = key.split('-').next().unwrap_or("");
            *truncated.entry(project).or_default() += 1;
            if *n > 100 {
                jira += pages(n - 100, 100);
            }
        }
    }
    for n in truncated.values() {
        jira += pages(*n, 100);
    }
    preflight + conf + jira
}

/// Distinct comments reached (an inline comment has a second document: its
/// original selection).
fn all_comment_docs(got: &Collected) -> usize {
    got.units
        .values()
        .flat_map(|u| &u.documents)
        .filter(|d| d.origin.field == Field::Comment)
        .filter_map(|d| d.origin.comment_id.as_ref().map(|c| (&d.origin.item_id, c)))
        .collect::<std::collections::HashSet<_>>()
        .len()
}

/// Every visible Confluence comment of `data`: (item id, comment id, the
/// comment it answers).
fn expected_threads(data: &SiteData) -> BTreeSet<(String, String, Option<String>)> {
    let visible: BTreeSet<String> = data
        .pages
        .iter()
        .chain(&data.blogposts)
        .filter_map(|p| p["id"].as_str().map(str::to_string))
        .filter(|id| !data.hidden.contains(id))
        .collect();
    data.footer_comments
        .iter()
        .chain(&data.inline_comments)
        .filter_map(|c| {
            let owner = c["pageId"]
                .as_str()
                .or_else(|| c["blogPostId"].as_str())?
                .to_string();
            visible.contains(&owner).then(|| {
                (
                    owner,
                    c["id"].as_str().unwrap_or_default().to_string(),
                    c["parentCommentId"].as_str().map(str::to_string),
                )
            })
        })
        .collect()
}

/// The Confluence comments a crawl sent, with the comment each answers.
fn crawled_threads(got: &Collected) -> BTreeSet<(String, String, Option<String>)> {
    got.units
        .values()
        .filter(|u| u.item.container.product == Product::Confluence)
        .flat_map(|u| {
            u.documents
                .iter()
                .filter(|d| d.origin.field == Field::Comment)
                .filter_map(|d| d.origin.comment_id.clone())
                .map(|id| {
                    let parent = u.comments.get(&id).and_then(|m| m.reply_to.clone());
                    (u.item.id.clone(), id, parent)
                })
        })
        .collect()
}

/// Crawl `data` with the site-wide comment listings holding replies, or
/// roots only; check that every comment and reply is read exactly once with
/// its page and parent, what the check and the fallback did, and the request
/// count against the strategy's bound.
async fn crawl_comments_in_mode(data: SiteData, roots_only: bool) -> Collected {
    let _serial = SERIAL.lock().await;
    let data = Arc::new(data);
    let fake = FakeSiteConfig {
        site_comments_roots_only: roots_only,
        ..FakeSiteConfig::default()
    };
    let site = FakeSite::start(data.clone(), fake.clone()).await.unwrap();
    let (report, got) = run(config(&site, &fake)).await;
    let report = report.unwrap();
    let stats = site.stats();
    site.shutdown().await;

    let sum = data.summary();
    assert_eq!(got.units.len(), sum.pages + sum.blogposts + sum.issues);
    assert!(
        got.comments_sent_twice.is_empty(),
        "{:?}",
        got.comments_sent_twice
    );
    assert_eq!(crawled_threads(&got), expected_threads(&data));
    assert_eq!(
        all_comment_docs(&got),
        sum.footer_root_comments
            + sum.footer_replies
            + sum.inline_root_comments
            + sum.inline_replies
            + sum.issue_comments
    );
    for id in &sum.hidden_page_ids {
        assert!(got.units.keys().all(|k| !k.ends_with(&format!(":{id}"))));
    }
    assert!(got.failures.is_empty(), "{:?}", got.failure_reasons);
    assert!(
        got.container_status.is_empty(),
        "{:?}",
        got.container_status
    );
    assert!(got.product_status.is_empty());
    assert_eq!(report.units as usize, got.units.len());

    // What the check of the listings did, and what it cost.
    let cc = report
        .confluence_comments
        .clone()
        .expect("a comments report");
    assert_eq!(cc.strategy, "site-wide");
    for (kind, r, roots, replies) in [
        (
            "footer",
            &cc.footer,
            sum.footer_root_comments,
            sum.footer_replies,
        ),
        (
            "inline",
            &cc.inline,
            sum.inline_root_comments,
            sum.inline_replies,
        ),
    ] {
        let children = stats.endpoint(&format!("GET /wiki/api/v2/{kind}-comments/{{id}}/children"));
        assert_eq!(r.comments as usize, roots + replies, "{kind}: {r:?}");
        assert!(r.sampled > 0, "{kind}: {r:?}");
        if roots_only && replies > 0 {
            assert!(r.fallback && !r.verified, "{kind}: {r:?}");
            assert!(r.missing_from_listing > 0, "{kind}: {r:?}");
            // Every comment asked once: the sample's and then the others.
            assert_eq!(children as usize, roots + replies, "{kind}");
            assert_eq!(r.fallback_requests, children - r.sampled, "{kind}: {r:?}");
        } else {
            assert!(r.verified && !r.fallback, "{kind}: {r:?}");
            // No `/children` call beyond the sample.
            assert_eq!(children, r.sampled, "{kind}: {r:?}");
            assert_eq!(r.fallback_requests, 0);
        }
    }
    let said = report
        .warnings
        .iter()
        .any(|w| w.contains("lacks replies") && w.contains("one request per comment"));
    assert_eq!(said, roots_only, "{:?}", report.warnings);

    // Request count: the crawl's own minimum is the strategy's bound, and
    // the crawl is within 5% of it.
    let bound = lower_bound(&data, &sum, roots_only);
    assert_eq!(stats.total, report.requests.total);
    assert_eq!(report.requests_minimum, bound, "{:?}", stats.per_endpoint);
    eprintln!(
        "{} items, roots only {roots_only}: {} requests, lower bound {bound}",
        sum.pages + sum.blogposts + sum.issues,
        stats.total
    );
    assert!(
        (stats.total as f64) <= 1.05 * bound as f64 && stats.total >= bound,
        "{} requests, lower bound {bound}: {:?}",
        stats.total,
        stats.per_endpoint
    );
    got
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crawl_of_demo_site_equals_offline_demo() {
    let got = crawl_comments_in_mode(SiteData::demo().unwrap(), false).await;
    assert_same_as_offline(&got);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_demo_site_whose_listings_hold_roots_only_is_read_whole_by_the_fallback() {
    let got = crawl_comments_in_mode(SiteData::demo().unwrap(), true).await;
    assert_same_as_offline(&got);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crawl_of_generated_site_reaches_everything_within_request_bound() {
    crawl_comments_in_mode(SiteData::generate(1200, 7), false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_generated_site_whose_listings_hold_roots_only_takes_the_fallback() {
    crawl_comments_in_mode(SiteData::generate(1200, 7), true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crawl_under_rate_limit_and_errors_completes_and_respects_retry_after() {
    let _serial = SERIAL.lock().await;
    let data = Arc::new(SiteData::demo().unwrap());
    // The site announces no budget, so the pacer cannot keep the crawl under
    // the limit (tests/pacing.rs shows that it does when it can): the 429s
    // come, and their Retry-After must be honoured.
    let fake = FakeSiteConfig {
        rate_limit_per_sec: Some(10.0),
        burst: 10,
        rate_limit_headers: RateLimitHeaders::None,
        error_rate: 0.05,
        seed: 42,
        ..FakeSiteConfig::default()
    };
    // The site on a runtime of its own: it notes when a request arrives, and
    // sharing the crawler's worker threads would let the crawler's own
    // scheduling delay that note past the Retry-After grace.
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
    let (report, got) = run(config(&site, &fake)).await;
    let report = report.unwrap();
    let stats = site.stats();
    drop(site);
    server_runtime.shutdown_background();

    assert_same_as_offline(&got);
    assert!(
        got.container_status.is_empty(),
        "{:?}",
        got.container_status
    );
    assert_eq!(stats.retry_after_violations, 0, "{stats:?}");
    assert!(stats.throttled > 0, "the limit was never hit: {stats:?}");
    assert!(report.requests.retries > 0);
    assert_eq!(stats.total, report.requests.total);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listings_that_keep_failing_never_end_complete() {
    let _serial = SERIAL.lock().await;
    let data = Arc::new(SiteData::demo().unwrap());
    let fake = FakeSiteConfig {
        error_rate: 1.0,
        ..FakeSiteConfig::default()
    };
    let site = FakeSite::start(data, fake.clone()).await.unwrap();
    let mut cfg = config(&site, &fake);
    cfg.client.max_retries = 1;
    let (report, got) = run(cfg).await;
    site.shutdown().await;

    let report = report.unwrap();
    assert!(got.units.is_empty());
    // Nothing could be listed: both products say so.
    for p in [Product::Confluence, Product::Jira] {
        assert!(
            got.product_status
                .iter()
                .any(|(q, s, _)| *q == p && *s == CoverageStatus::Failed),
            "{:?}",
            got.product_status
        );
    }
    // Every container seen is marked incomplete.
    for c in &got.containers {
        assert!(got.container_status.contains_key(&c.key), "{}", c.key);
    }
    assert!(!report.warnings.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_token_is_unauthorized_naming_the_credential() {
    let _serial = SERIAL.lock().await;
    let data = Arc::new(SiteData::demo().unwrap());
    let fake = FakeSiteConfig::default();
    let site = FakeSite::start(data, fake.clone()).await.unwrap();
    let mut cfg = config(&site, &fake);
    cfg.auth = Auth::Basic {
        email: fake.email.clone(),
        token: "wrong-token-value".into(),
    };
    let (report, got) = run(cfg).await;
    let stats = site.stats();
    site.shutdown().await;

    match report {
        Err(e @ CrawlError::Unauthorized { .. }) => {
            let msg = e.to_string();
            assert!(msg.contains(&fake.email), "{msg}");
            assert!(msg.contains(TOKEN_HELP_URL), "{msg}");
            assert!(!msg.contains("wrong-token-value"));
        }
        other => panic!("expected Unauthorized, got {other:?}"),
    }
    assert!(got.units.is_empty());
    // 401 is never retried.
    assert_eq!(stats.unauthorized, stats.total);
    assert!(stats.total <= 3, "{stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crawl_through_the_gateway() {
    let _serial = SERIAL.lock().await;
    let data = Arc::new(SiteData::demo().unwrap());
    let fake = FakeSiteConfig::default();
    let site = FakeSite::start(data, fake.clone()).await.unwrap();
    let mut cfg = config(&site, &fake);
    cfg.gateway = Some(site.base_url());
    let (report, got) = run(cfg).await;
    let stats = site.stats();
    site.shutdown().await;
    report.unwrap();
    assert_same_as_offline(&got);
    assert_eq!(stats.endpoint("GET /_edge/tenant_info"), 1);
}

#[tokio::test]
async fn plain_http_to_a_remote_host_is_refused() {
    let _serial = SERIAL.lock().await;
    let cfg = CrawlConfig::new(
        "http://acme.atlassian.net",
        Auth::Bearer { token: "x".into() },
    );
    let (tx, _rx) = mpsc::channel(1);
    assert!(matches!(crawl(cfg, tx).await, Err(CrawlError::Config(_))));
}

/// A proxy in front of the fake site that answers 500 to every request whose
/// path and query contain one of `fail`, and forwards everything else.
async fn failing_proxy(
    upstream: String,
    fail: &'static [&'static str],
) -> (String, tokio::task::JoinHandle<()>) {
    use axum::body::Body;
    use axum::http::{Request, Response, StatusCode};
    let client = reqwest::Client::new();
    let app = axum::Router::new().fallback(move |req: Request<Body>| {
        let client = client.clone();
        let upstream = upstream.clone();
        async move {
            let pq = req
                .uri()
                .path_and_query()
                .map(|p| p.as_str().to_string())
                .unwrap_or_default();
            if fail.iter().any(|f| pq.contains(f)) {
                return Response::builder()
                    .status(StatusCode::INTERNAL_SERVER_ERROR)
                    .body(Body::from("{}"))
                    .unwrap();
            }
            let mut fwd = client.get(format!("{upstream}{pq}"));
            if let Some(a) = req.headers().get("authorization") {
                fwd = fwd.header("authorization", a.as_bytes());
            }
            let resp = fwd.send().await.unwrap();
            let mut out = Response::builder().status(resp.status().as_u16());
            for (k, v) in resp.headers() {
                out = out.header(k.as_str(), v.as_bytes());
            }
            out.body(Body::from(resp.bytes().await.unwrap())).unwrap()
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (format!("http://{addr}"), handle)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_failing_container_ends_incomplete_and_the_others_complete() {
    let _serial = SERIAL.lock().await;
    let data = Arc::new(SiteData::demo().unwrap());
    let fake = FakeSiteConfig::default();
    let site = FakeSite::start(data, fake.clone()).await.unwrap();
    // ENG's page listing and OPS's issue search fail every time.
    let (proxy, handle) =
        failing_proxy(site.base_url(), &["/spaces/98306/pages", "%22OPS%22"]).await;
    let mut cfg = config(&site, &fake);
    cfg.site = proxy;
    cfg.client.max_retries = 1;
    let (report, got) = run(cfg).await;
    handle.abort();
    site.shutdown().await;
    report.unwrap();

    let eng = got
        .container_status
        .get("ENG")
        .expect("ENG must be incomplete");
    assert!(eng
        .iter()
        .all(|(s, _)| *s == CoverageStatus::Partial || *s == CoverageStatus::Failed));
    assert!(
        eng.iter().any(|(_, r)| r.contains("page listing failed")),
        "{eng:?}"
    );
    let ops = got
        .container_status
        .get("OPS")
        .expect("OPS must be incomplete");
    assert_eq!(ops[0].0, CoverageStatus::Failed, "{ops:?}");
    assert_eq!(got.container_status.len(), 2, "{:?}", got.container_status);
    // Everything outside ENG's pages still arrives, identical to offline.
    let want = offline();
    for (k, w) in &want {
        if (w.item.container.key == "ENG" && w.item.kind == withhold::model::ItemKind::Page)
            || w.item.container.key == "OPS"
        {
            assert!(!got.units.contains_key(k));
        } else {
            assert_eq!(
                sorted_docs(&got.units[k].documents),
                sorted_docs(&w.documents),
                "{k}"
            );
        }
    }
}

/// Crawl the demo with `/footer-comments/1081415/children` (the replies of
/// a footer comment on ENG page 1081377) always failing.
async fn crawl_with_unreadable_replies(roots_only: bool) -> Collected {
    let _serial = SERIAL.lock().await;
    let data = Arc::new(SiteData::demo().unwrap());
    let fake = FakeSiteConfig {
        site_comments_roots_only: roots_only,
        ..FakeSiteConfig::default()
    };
    let site = FakeSite::start(data, fake.clone()).await.unwrap();
    let (proxy, handle) =
        failing_proxy(site.base_url(), &["/footer-comments/1081415/children"]).await;
    let mut cfg = config(&site, &fake);
    cfg.site = proxy;
    cfg.client.max_retries = 1;
    let (report, got) = run(cfg).await;
    handle.abort();
    site.shutdown().await;
    report.unwrap();
    got
}

fn comment_ids(got: &Collected, key: &str) -> Vec<String> {
    got.units[key]
        .documents
        .iter()
        .filter_map(|d| d.origin.comment_id.clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreadable_replies_make_their_space_partial() {
    // Roots only: the replies of 1081415 can come from its `/children` alone.
    let got = crawl_with_unreadable_replies(true).await;
    let eng = got
        .container_status
        .get("ENG")
        .expect("ENG must be partial");
    assert!(
        eng.iter()
            .any(|(s, r)| *s == CoverageStatus::Partial && r.contains("1081377")),
        "{eng:?}"
    );
    assert_eq!(got.container_status.len(), 1);
    // The page still arrives, without the unreadable reply.
    let ids = comment_ids(&got, "ENG:1081377");
    assert!(ids.contains(&"1081415".to_string()));
    assert!(!ids.contains(&"1081425".to_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_sample_call_loses_nothing_when_the_listing_holds_replies() {
    let got = crawl_with_unreadable_replies(false).await;
    assert!(
        got.container_status.is_empty(),
        "{:?}",
        got.container_status
    );
    let ids = comment_ids(&got, "ENG:1081377");
    assert!(ids.contains(&"1081415".to_string()));
    assert!(
        ids.contains(&"1081425".to_string()),
        "the reply came from the listing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn comments_of_pages_the_account_cannot_see_are_dropped_without_a_partial() {
    let _serial = SERIAL.lock().await;
    let data = Arc::new(SiteData::demo().unwrap());
    let fake = FakeSiteConfig {
        faults: Box::new(Faults {
            hidden_comments_listed: true,
            ..Faults::default()
        }),
        ..FakeSiteConfig::default()
    };
    let site = FakeSite::start(data.clone(), fake.clone()).await.unwrap();
    let (report, got) = run(config(&site, &fake)).await;
    let report = report.unwrap();
    site.shutdown().await;
    let cc = report.confluence_comments.unwrap();
    // The demo has comments on its hidden page: the listing held them.
    assert!(
        cc.footer.outside_crawl + cc.inline.outside_crawl > 0,
        "{cc:?}"
    );
    assert_same_as_offline(&got);
    assert!(
        got.container_status.is_empty(),
        "{:?}",
        got.container_status
    );
    assert!(got.comments_sent_twice.is_empty());
}

/// A scoped crawl of the generated site: only `keys`.
async fn scoped_crawl(data: Arc<SiteData>, keys: &[String]) -> (CrawlReport, Collected, u64) {
    let _serial = SERIAL.lock().await;
    let fake = FakeSiteConfig::default();
    let site = FakeSite::start(data, fake.clone()).await.unwrap();
    let mut cfg = config(&site, &fake);
    cfg.jira = false;
    cfg.spaces = keys.to_vec();
    let (report, got) = run(cfg).await;
    let total = site.stats().total;
    site.shutdown().await;
    (report.unwrap(), got, total)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scoped_crawl_takes_the_cheaper_comment_strategy_and_reads_its_comments_once() {
    // A generated site plus a tiny space: two pages, three comments, one reply.
    let mut site = SiteData::generate(3000, 11);
    let mut tiny = site.spaces.first().unwrap();
    tiny["id"] = "990001".into();
    tiny["key"] = "TINY".into();
    tiny["name"] = "Tiny".into();
    site.spaces.push(tiny);
    let page = site.pages.first().unwrap();
    let footer = site.footer_comments.first().unwrap();
    for (n, pid) in ["990101", "990102"].iter().enumerate() {
        let mut p = page.clone();
        p["id"] = (*pid).into();
        p["spaceId"] = "990001".into();
        p["parentId"] = serde_json::Value::Null;
        site.pages.push(p);
        let mut c = footer.clone();
        c["id"] = format!("99020{n}").into();
        c["pageId"] = (*pid).into();
        c.as_object_mut().unwrap().remove("parentCommentId");
        c.as_object_mut().unwrap().remove("blogPostId");
        site.footer_comments.push(c);
    }
    let mut reply = site.footer_comments.last().unwrap();
    reply["id"] = "990299".into();
    reply["parentCommentId"] = "990201".into();
    site.footer_comments.push(reply);
    let data = Arc::new(site);
    let sum = data.summary();
    let want = expected_threads(&data);
    // The space with the fewest items, and all spaces but that one.
    let mut by_size: Vec<(usize, String, String)> = data
        .spaces
        .iter()
        .map(|sp| {
            let id = sp["id"].as_str().unwrap().to_string();
            let n = sum.pages_per_space.get(&id).unwrap_or(&0)
                + sum.blogposts_per_space.get(&id).unwrap_or(&0);
            (n, id, sp["key"].as_str().unwrap().to_string())
        })
        .filter(|(n, _, _)| *n > 0)
        .collect();
    by_size.sort();
    let (_, small_id, small_key) = by_size[0].clone();
    assert_eq!(small_key, "TINY");
    let small_items: BTreeSet<String> = data
        .pages
        .iter()
        .chain(&data.blogposts)
        .filter(|p| p["spaceId"] == small_id.as_str())
        .filter_map(|p| p["id"].as_str().map(str::to_string))
        .collect();
    let small_threads: BTreeSet<_> = want
        .iter()
        .filter(|(item, _, _)| small_items.contains(item))
        .cloned()
        .collect();

    // One small space of a large site: per item.
    let (report, got, total) = scoped_crawl(data.clone(), std::slice::from_ref(&small_key)).await;
    let cc = report.confluence_comments.clone().unwrap();
    assert_eq!(cc.strategy, "per-item", "{}", cc.reason);
    assert!(got.comments_sent_twice.is_empty());
    assert_eq!(crawled_threads(&got), small_threads);
    assert!(
        got.container_status.is_empty(),
        "{:?}",
        got.container_status
    );
    // Its bound: preflight (Confluence only), the space listing, its pages
    // and posts, two CQL counts, two root listings per item, one reply
    // listing per comment.
    let items = small_items.len() as u64
        - small_items
            .iter()
            .filter(|i| data.hidden.contains(i))
            .count() as u64;
    let np = *sum.pages_per_space.get(&small_id).unwrap_or(&0);
    let nb = *sum.blogposts_per_space.get(&small_id).unwrap_or(&0);
    let bound =
        1 + 1 + pages(np, 250) + pages(nb, 250) + 2 + 2 * items + small_threads.len() as u64;
    assert_eq!(report.requests_minimum, bound);
    assert!(
        (total as f64) <= 1.05 * bound as f64,
        "{total} requests, bound {bound}"
    );

    // Every space but the smallest: site-wide, comments of the small space dropped.
    let rest: Vec<String> = by_size[1..].iter().map(|(_, _, k)| k.clone()).collect();
    let (report, got, _) = scoped_crawl(data.clone(), &rest).await;
    let cc = report.confluence_comments.clone().unwrap();
    assert_eq!(cc.strategy, "site-wide", "{}", cc.reason);
    assert!(cc.footer.outside_crawl + cc.inline.outside_crawl >= small_threads.len() as u64);
    assert!(got.comments_sent_twice.is_empty());
    let rest_threads: BTreeSet<_> = want.difference(&small_threads).cloned().collect();
    assert_eq!(crawled_threads(&got), rest_threads);
    assert!(
        got.container_status.is_empty(),
        "{:?}",
        got.container_status
    );
}

// --- Hostile or broken servers (issue 8) -----------------------------------

/// Crawl the demo site served with `faults`; `tweak` adjusts the crawl.
async fn crawl_with_faults(
    faults: Faults,
    tweak: impl FnOnce(&mut CrawlConfig),
) -> (CrawlReport, Collected, withhold::fake_site::FakeSiteStats) {
    let data = Arc::new(SiteData::demo().unwrap());
    let fake = FakeSiteConfig {
        faults: Box::new(faults),
        ..FakeSiteConfig::default()
    };
    let site = FakeSite::start(data, fake.clone()).await.unwrap();
    let mut cfg = config(&site, &fake);
    cfg.client.max_retries = 2;
    tweak(&mut cfg);
    let (report, got) = run(cfg).await;
    let stats = site.stats();
    site.shutdown().await;
    (report.unwrap(), got, stats)
}

fn reasons(got: &Collected, key: &str) -> Vec<(CoverageStatus, String)> {
    got.container_status.get(key).cloned().unwrap_or_default()
}

fn assert_partial_because(got: &Collected, key: &str, needle: &str) {
    let r = reasons(got, key);
    assert!(
        r.iter()
            .any(|(s, why)| *s == CoverageStatus::Partial && why.contains(needle)),
        "{key} must be partial because {needle:?}: {r:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_whose_cursor_links_to_itself_leaves_its_space_partial() {
    let _serial = SERIAL.lock().await;
    let faults = Faults {
        confluence_page_size: Some(2),
        cursor_cycle: Some(("/pages".into(), 1)),
        ..Faults::default()
    };
    let (_, got, _) = crawl_with_faults(faults, |_| {}).await;
    // Before: ENG ended after its first page and was called complete.
    assert_partial_because(&got, "ENG", "the server repeated a page");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_two_page_cursor_cycle_ends_the_listing_partial() {
    let _serial = SERIAL.lock().await;
    let faults = Faults {
        confluence_page_size: Some(2),
        cursor_cycle: Some(("/pages".into(), 2)),
        ..Faults::default()
    };
    // Before: this listing never ended (and sent its pages again and again).
    let (_, got, stats) = crawl_with_faults(faults, |_| {}).await;
    assert_partial_because(&got, "ENG", "the server repeated a page");
    // Two pages and the first again: the repeat is noticed at once.
    assert!(
        stats.endpoint("GET /wiki/api/v2/spaces/{id}/pages") < 40,
        "{stats:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_project_listing_that_never_says_it_is_last_is_partial() {
    let _serial = SERIAL.lock().await;
    let faults = Faults {
        project_is_last_never_true: true,
        ..Faults::default()
    };
    let (_, got, _) = crawl_with_faults(faults, |_| {}).await;
    assert!(
        got.product_status
            .iter()
            .any(|(p, s, r)| *p == Product::Jira
                && *s == CoverageStatus::Partial
                && r.contains("said more pages followed but sent an empty page")),
        "{:?}",
        got.product_status
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_project_listing_that_ignores_start_at_ends_on_the_repeated_page() {
    let _serial = SERIAL.lock().await;
    let faults = Faults {
        project_start_at_ignored: true,
        ..Faults::default()
    };
    // Before: the same page was listed forever, each project sent again.
    let (_, got, _) = crawl_with_faults(faults, |_| {}).await;
    assert!(
        got.product_status
            .iter()
            .any(|(p, s, r)| *p == Product::Jira
                && *s == CoverageStatus::Partial
                && r.contains("the server repeated a page")),
        "{:?}",
        got.product_status
    );
    assert_eq!(
        got.containers
            .iter()
            .filter(|c| c.product != Product::Confluence)
            .count(),
        4
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_next_page_token_leaves_the_project_partial() {
    let _serial = SERIAL.lock().await;
    let faults = Faults {
        jira_page_size: Some(2),
        search_token_repeated: true,
        ..Faults::default()
    };
    let (_, got, _) = crawl_with_faults(faults, |_| {}).await;
    // Before: the repeat was taken for the last page, and PAY for complete.
    for key in ["PAY", "OPS", "HELP", "ROAD"] {
        assert_partial_because(&got, key, "the server repeated a page");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listing_that_reaches_max_pages_is_partial_naming_the_flag() {
    let _serial = SERIAL.lock().await;
    let faults = Faults {
        confluence_page_size: Some(2),
        ..Faults::default()
    };
    let (_, got, _) = crawl_with_faults(faults, |c| c.max_pages = 2).await;
    assert_partial_because(&got, "ENG", "--max-pages");
    // The space listing itself (6 spaces, 2 a page) is capped too.
    assert!(
        got.product_status
            .iter()
            .any(|(p, s, r)| *p == Product::Confluence
                && *s == CoverageStatus::Partial
                && r.contains("--max-pages")),
        "{:?}",
        got.product_status
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn items_listed_again_on_the_next_page_are_sent_once() {
    let _serial = SERIAL.lock().await;
    let faults = Faults {
        confluence_page_size: Some(2),
        jira_page_size: Some(2),
        offset_drift: true,
        ..Faults::default()
    };
    // Before: the consumer saw the last item of every page twice.
    let (_, got, _) = crawl_with_faults(faults, |_| {}).await;
    assert_same_as_offline(&got);
    assert!(
        got.container_status.is_empty(),
        "{:?}",
        got.container_status
    );
}

const ENG_PAGES: &str = "/spaces/98306/pages";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gzip_bomb_is_stopped_at_the_limit_and_its_space_is_not_complete() {
    let _serial = SERIAL.lock().await;
    let faults = Faults {
        gzip_bomb: Some((Hit::new(ENG_PAGES, 100), 256 * 1024 * 1024)),
        ..Faults::default()
    };
    let (_, got, _) =
        crawl_with_faults(faults, |c| c.client.max_response_bytes = 1024 * 1024).await;
    let eng = reasons(&got, "ENG");
    assert!(
        eng.iter()
            .any(|(_, r)| r.contains("response larger than 1 MiB; raise --max-response-mb")),
        "{eng:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_body_fails_its_request_with_the_limit_named() {
    let _serial = SERIAL.lock().await;
    let faults = Faults {
        huge_body: Some((Hit::new(ENG_PAGES, 100), 3 * 1024 * 1024)),
        ..Faults::default()
    };
    let (report, got, stats) =
        crawl_with_faults(faults, |c| c.client.max_response_bytes = 1024 * 1024).await;
    let eng = reasons(&got, "ENG");
    assert!(
        eng.iter()
            .any(|(_, r)| r.contains("response larger than 1 MiB; raise --max-response-mb")),
        "{eng:?}"
    );
    // Not retried: the same body would come again.
    assert_eq!(stats.endpoint("GET /wiki/api/v2/spaces/{id}/pages"), 6);
    assert_eq!(report.requests.bad_bodies, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn html_pages_and_cut_bodies_under_200_are_retried_and_nothing_is_lost() {
    let _serial = SERIAL.lock().await;
    let faults = Faults {
        html_ok: Some(Hit::new(ENG_PAGES, 2)),
        truncated_json: Some(Hit::new("/rest/api/3/search/jql", 2)),
        ..Faults::default()
    };
    let (report, got, _) = crawl_with_faults(faults, |c| c.client.max_retries = 3).await;
    // Before: one such answer lost ENG's pages and a project's issues.
    assert_same_as_offline(&got);
    assert!(
        got.container_status.is_empty(),
        "{:?}",
        got.container_status
    );
    assert_eq!(report.requests.bad_bodies, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_stays_broken_fails_after_the_retries() {
    let _serial = SERIAL.lock().await;
    let faults = Faults {
        html_ok: Some(Hit::new(ENG_PAGES, 100)),
        ..Faults::default()
    };
    let (_, got, stats) = crawl_with_faults(faults, |c| c.client.max_retries = 2).await;
    let eng = reasons(&got, "ENG");
    assert!(
        // Partial: ENG's blog posts were read.
        eng.iter().any(|(s, r)| *s == CoverageStatus::Partial
            && r.contains("gave up after 3 attempts")
            && r.contains("not the JSON expected")),
        "{eng:?}"
    );
    // ENG's first try and two retries; the five other spaces once each.
    assert_eq!(stats.endpoint("GET /wiki/api/v2/spaces/{id}/pages"), 3 + 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_retry_after_on_one_endpoint_lets_the_others_go_on() {
    let _serial = SERIAL.lock().await;
    let field = "GET /rest/api/3/field";
    let faults = Faults {
        retry_after: Some((Hit::new("/rest/api/3/field", 1), 3)),
        ..Faults::default()
    };
    let counters = Arc::new(withhold::progress::Counters::default());
    let started = std::time::SystemTime::now();
    let (report, got, stats) = crawl_with_faults(faults, |c| {
        c.client.concurrency = 1;
        c.client.progress = Some(counters.clone());
    })
    .await;
    assert_same_as_offline(&got);
    assert!(got.container_status.is_empty());
    assert_eq!(stats.endpoint(field), 2);
    assert_eq!(stats.retry_after_violations, 0, "{stats:?}");
    assert_eq!(report.requests.rate_limited, 1);
    // Between the 429 and its retry, Confluence kept being served (before,
    // the whole site waited: at most a request already queued went on).
    let first = stats.order.iter().position(|r| r == field).unwrap();
    let retry = first
        + 1
        + stats.order[first + 1..]
            .iter()
            .position(|r| r == field)
            .unwrap();
    let between = stats.order[first + 1..retry]
        .iter()
        .filter(|r| r.contains("/wiki/"))
        .count();
    assert!(between >= 10, "{:?}", &stats.order[first..=retry]);
    // The progress line had a wait to show, ending after the crawl began.
    assert!(counters.waiting_line(started).is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_after_beyond_max_wait_fails_the_request_instead_of_waiting() {
    let _serial = SERIAL.lock().await;
    let faults = Faults {
        retry_after: Some((Hit::new(ENG_PAGES, 100), 3600)),
        ..Faults::default()
    };
    let (_, got, stats) = crawl_with_faults(faults, |c| {
        c.client.max_wait = Duration::from_secs(60);
    })
    .await;
    let eng = reasons(&got, "ENG");
    assert!(
        eng.iter().any(|(s, r)| *s == CoverageStatus::Partial
            && r.contains("asked to wait 3600 s, longer than --max-wait (60 s)")),
        "{eng:?}"
    );
    // Asked once, never again: the page listings not sent yet fail at once
    // for the same reason (the endpoint is limited for an hour), without a
    // request; no listing waited.
    assert!(stats.endpoint("GET /wiki/api/v2/spaces/{id}/pages") <= 6);
    for (key, why) in &got.container_status {
        assert!(
            why.iter().all(|(_, r)| r.contains("--max-wait")),
            "{key}: {why:?}"
        );
    }
    // Another endpoint is not held back: every space's blog posts were read.
    assert_eq!(stats.endpoint("GET /wiki/api/v2/spaces/{id}/blogposts"), 6);
    assert_eq!(stats.retry_after_violations, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_to_another_host_is_refused_and_the_credential_stays_home() {
    let _serial = SERIAL.lock().await;
    let elsewhere = FakeSite::start(
        Arc::new(SiteData::demo().unwrap()),
        FakeSiteConfig::default(),
    )
    .await
    .unwrap();
    let faults = Faults {
        redirect: Some((Hit::new(ENG_PAGES, 100), elsewhere.base_url())),
        ..Faults::default()
    };
    // Before: the redirect was followed, the other host answered 401, and the
    // crawl stopped saying the token was rejected.
    let (_, got, _) = crawl_with_faults(faults, |_| {}).await;
    let other = elsewhere.stats();
    elsewhere.shutdown().await;
    assert_eq!(other.total, 0, "the other host was asked: {other:?}");
    let eng = reasons(&got, "ENG");
    assert!(
        eng.iter().any(
            |(_, r)| r.contains("a redirect to another host was refused")
                && !r.contains("401")
                && !r.contains("cursor")
        ),
        "{eng:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_issue_nested_200_deep_is_read_and_a_malformed_one_fails_alone() {
    let _serial = SERIAL.lock().await;
    let faults = Faults {
        deep_issue: Some(("PAY-203".into(), 200)),
        malformed_issue: Some("PAY-205".into()),
        ..Faults::default()
    };
    let (_, got, _) = crawl_with_faults(faults, |_| {}).await;
    // Before: the deep description failed the whole search page: PAY lost.
    let deep = &got.units["PAY:PAY-203"];
    let text: String = deep.documents.iter().map(|d| d.text.as_str()).collect();
    assert!(text.contains("deep issue top text"), "{text}");
    assert!(text.contains("deep issue bottom text"), "{text}");
    assert_eq!(got.failures, vec!["PAY-205".to_string()]);
    assert!(got.failure_reasons[0].contains("fields are not an object"));
    let pay = got.units.keys().filter(|k| k.starts_with("PAY:")).count();
    assert_eq!(pay, 9);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_404_on_the_field_list_is_a_failed_call_not_an_absent_product() {
    let _serial = SERIAL.lock().await;
    let faults = Faults {
        not_found: vec!["/rest/api/3/field".into()],
        ..Faults::default()
    };
    let (report, got, _) = crawl_with_faults(faults, |c| c.confluence = false).await;
    // Before: Jira was skipped as absent and nothing of it was read.
    assert_eq!(got.units.len(), 34);
    for key in ["PAY", "OPS", "HELP", "ROAD"] {
        assert_partial_because(&got, key, "custom text fields were not scanned");
    }
    assert!(report.warnings.iter().any(|w| w.contains("custom field")));
    let status = |p| report.products.get(&p).map(|s| s.status);
    assert_eq!(status(Product::Jira), Some(ProductPresence::Present));
    assert_eq!(status(Product::Confluence), Some(ProductPresence::Skipped));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_product_the_site_does_not_have_is_absent() {
    let _serial = SERIAL.lock().await;
    let faults = Faults {
        not_found: vec!["/rest/api/3/project/search".into()],
        ..Faults::default()
    };
    let (report, got, _) = crawl_with_faults(faults, |_| {}).await;
    let status = |p| report.products.get(&p).map(|s| s.status);
    assert_eq!(status(Product::Jira), Some(ProductPresence::Absent));
    assert_eq!(status(Product::Confluence), Some(ProductPresence::Present));
    assert!(got.product_status.is_empty(), "{:?}", got.product_status);
}

/// A site without the bulk fetch (a 404, as an older or restricted site
/// answers): every truncated issue's comments are paged one issue at a time,
/// all read once, nothing partial.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_bulk_fetch_each_truncated_issue_is_paged_on_its_own() {
    let _serial = SERIAL.lock().await;
    let data = Arc::new(SiteData::generate(1200, 7));
    let fake = FakeSiteConfig {
        faults: Box::new(Faults {
            not_found: vec!["/rest/api/3/issue/bulkfetch".to_string()],
            ..Faults::default()
        }),
        ..FakeSiteConfig::default()
    };
    let site = FakeSite::start(data.clone(), fake.clone()).await.unwrap();
    let (report, got) = run(config(&site, &fake)).await;
    report.unwrap();
    let stats = site.stats();
    site.shutdown().await;

    let sum = data.summary();
    let truncated: Vec<usize> = sum
        .comments_per_issue
        .values()
        .copied()
        .filter(|n| *n > 20)
        .collect();
    assert!(!truncated.is_empty(), "the site must have long threads");
    assert!(stats.endpoint("POST /rest/api/3/issue/bulkfetch") > 0);
    // Each truncated issue pages what the search left out, 100 a page.
    let per_issue: u64 = truncated
        .iter()
        .map(|n| (n - 20).div_ceil(100) as u64)
        .sum();
    assert_eq!(
        stats.endpoint("GET /rest/api/3/issue/{key}/comment"),
        per_issue,
        "{:?}",
        stats.per_endpoint
    );
    assert_eq!(got.units.len(), sum.pages + sum.blogposts + sum.issues);
    assert!(got.comments_sent_twice.is_empty());
    assert_eq!(
        all_comment_docs(&got),
        sum.footer_root_comments
            + sum.footer_replies
            + sum.inline_root_comments
            + sum.inline_replies
            + sum.issue_comments
    );
    assert!(
        got.container_status.is_empty(),
        "{:?}",
        got.container_status
    );
}
