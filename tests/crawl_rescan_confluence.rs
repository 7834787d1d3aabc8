//! Confluence incremental rescans and resumes against the fake site, over
//! real HTTP on loopback: what a rescan sends (exactly the changes), what it
//! costs (requests counted by the crawler), and that a resumed crawl adds up
//! to one uninterrupted crawl.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use withhold::fake_site::{change_confluence, FakeSite, FakeSiteConfig, SiteData};
use withhold::model::{ContainerId, ItemKind, Product};
use withhold::sources::atlassian::{crawl, Auth, CrawlConfig, CrawlEvent, CrawlReport};
use withhold::sources::memory::{KnownContainer, KnownItem, KnownSite};

/// One crawl at a time: they share two cores with other builds.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

type ItemKey = (String, String);
type CommentKey = (String, String, String);

#[derive(Default, Debug)]
struct Seen {
    /// (space key, item id) → (kind, version).
    units: BTreeMap<ItemKey, (ItemKind, Option<u64>)>,
    units_twice: Vec<ItemKey>,
    /// (space key, item id, comment id) → version.
    comments: BTreeMap<CommentKey, Option<u64>>,
    comments_twice: Vec<CommentKey>,
    removed: BTreeSet<(String, String, Option<String>)>,
    checkpoints: BTreeMap<String, Option<String>>,
    containers: BTreeSet<String>,
    partial: Vec<String>,
    events: u64,
}

fn config(site: &FakeSite, fake: &FakeSiteConfig) -> CrawlConfig {
    let mut c = CrawlConfig::new(
        site.base_url(),
        Auth::Basic {
            email: fake.email.clone(),
            token: fake.token.clone(),
        },
    );
    c.jira = false;
    c.client.backoff_base = Duration::from_millis(20);
    c.client.backoff_cap = Duration::from_secs(2);
    c
}

/// Run a crawl; with `stop_after`, set the interrupt after that many events.
async fn run(config: CrawlConfig, stop_after: Option<u64>) -> (Option<CrawlReport>, Seen) {
    let interrupt = config.interrupt.clone();
    let (tx, mut rx) = mpsc::channel(16);
    let consumer = tokio::spawn(async move {
        let mut got = Seen::default();
        while let Some(ev) = rx.recv().await {
            got.events += 1;
            record(&mut got, ev);
            if stop_after.is_some_and(|n| got.events >= n) {
                interrupt.set();
            }
        }
        got
    });
    let report = crawl(config, tx).await.ok();
    (report, consumer.await.expect("the consumer"))
}

fn record(got: &mut Seen, ev: CrawlEvent) {
    match ev {
        CrawlEvent::Container { container, .. } => {
            got.containers.insert(container.key);
        }
        CrawlEvent::Unit(u) => {
            let k = (u.item.container.key.clone(), u.item.id.clone());
            if got
                .units
                .insert(k.clone(), (u.item.kind, u.item.version))
                .is_some()
            {
                got.units_twice.push(k);
            }
        }
        CrawlEvent::Comments(f) => {
            for (id, meta) in &f.comments {
                let k = (f.item.container.key.clone(), f.item.id.clone(), id.clone());
                if got.comments.insert(k.clone(), meta.version).is_some() {
                    got.comments_twice.push(k);
                }
            }
            // A root comment carries no reply_to, but every comment has a version.
            for d in &f.documents {
                if let Some(id) = &d.origin.comment_id {
                    let k = (f.item.container.key.clone(), f.item.id.clone(), id.clone());
                    got.comments.entry(k).or_insert(None);
                }
            }
        }
        CrawlEvent::Removed {
            container,
            item_id,
            comment_id,
        } => {
            got.removed.insert((container.key, item_id, comment_id));
        }
        CrawlEvent::Checkpoint { listing, cursor } => {
            got.checkpoints.insert(listing, cursor);
        }
        CrawlEvent::ContainerStatus { key, reason, .. } => {
            got.partial.push(format!("{key}: {reason}"))
        }
        CrawlEvent::ProductStatus { reason, .. } => got.partial.push(reason),
        CrawlEvent::Failure(f) => got.partial.push(f.reason),
    }
}

/// What the store would hand a rescan after `seen`.
fn known_from(seen: &Seen, since: jiff::Timestamp) -> KnownSite {
    let mut containers: HashMap<ContainerId, KnownContainer> = HashMap::new();
    for ((key, id), (kind, version)) in &seen.units {
        containers
            .entry(ContainerId::new(Product::Confluence, key))
            .or_default()
            .items
            .insert(
                id.clone(),
                KnownItem {
                    kind: *kind,
                    version: *version,
                    updated: None,
                    comments: HashMap::new(),
                },
            );
    }
    for ((key, id, cid), v) in &seen.comments {
        if let Some(it) = containers
            .get_mut(&ContainerId::new(Product::Confluence, key))
            .and_then(|c| c.items.get_mut(id))
        {
            it.comments.insert(cid.clone(), *v);
        }
    }
    KnownSite {
        since: Some(since),
        containers,
    }
}

fn confluence_requests(r: &CrawlReport) -> u64 {
    r.requests
        .by_endpoint
        .iter()
        .filter(|(k, _)| k.starts_with("confluence.") && k.as_str() != "confluence.user")
        .map(|(_, n)| *n)
        .sum()
}

async fn first_crawl(data: &Arc<SiteData>) -> (FakeSite, FakeSiteConfig, Seen, KnownSite, u64) {
    let fake = FakeSiteConfig::default();
    let site = FakeSite::start(data.clone(), fake.clone()).await.unwrap();
    let since = jiff::Timestamp::now();
    let (report, seen) = run(config(&site, &fake), None).await;
    let report = report.expect("the first crawl");
    assert!(seen.partial.is_empty(), "{:?}", seen.partial);
    let known = known_from(&seen, since);
    (site, fake, seen, known, confluence_requests(&report))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rescan_of_an_unchanged_site_sends_nothing_in_eight_requests() {
    let _serial = SERIAL.lock().await;
    let data = Arc::new(SiteData::generate(20_000, 7));
    let (site, fake, seen, known, full) = first_crawl(&data).await;
    let mut c = config(&site, &fake);
    c.known = Some(Arc::new(known));
    let (report, again) = run(c, None).await;
    let report = report.expect("the rescan");
    let n = confluence_requests(&report);
    println!(
        "Confluence requests: first crawl {full}, rescan {n}: {:?}",
        report.requests.by_endpoint
    );
    assert!(again.units.is_empty(), "{:?}", again.units.keys().take(5));
    assert!(again.comments.is_empty());
    assert!(again.removed.is_empty());
    assert!(again.partial.is_empty(), "{:?}", again.partial);
    assert_eq!(again.containers, seen.containers, "every space announced");
    // The preflight's user check, the spaces, four sorted listings of one
    // page each, two counts.
    assert!(n <= 8, "{n} requests");
    site.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rescan_after_changes_sends_exactly_the_changes() {
    let _serial = SERIAL.lock().await;
    let data = Arc::new(SiteData::generate(4_000, 11));
    let (site, fake, _seen, known, _) = first_crawl(&data).await;
    let port = site
        .base_url()
        .rsplit(':')
        .next()
        .and_then(|p| p.parse::<u16>().ok())
        .expect("a port");
    site.shutdown().await;
    let mut changed = (*data).clone();
    let ch = change_confluence(&mut changed, 0.01, 3);
    let site = FakeSite::start_at(Arc::new(changed), fake.clone(), port)
        .await
        .unwrap();
    let mut c = config(&site, &fake);
    c.known = Some(Arc::new(known));
    let (report, got) = run(c, None).await;
    let report = report.expect("the rescan");
    println!(
        "rescan after changes: {} Confluence requests: {:?}",
        confluence_requests(&report),
        report.requests.by_endpoint
    );
    assert!(got.partial.is_empty(), "{:?}", got.partial);
    let mut want_units: BTreeSet<ItemKey> = ch.edited.iter().cloned().collect();
    want_units.extend(
        ch.new_space_items
            .iter()
            .map(|id| (ch.new_space.clone(), id.clone())),
    );
    let got_units: BTreeSet<ItemKey> = got.units.keys().cloned().collect();
    assert_eq!(got_units, want_units);
    let mut want_comments: BTreeSet<CommentKey> = ch.new_comments.iter().cloned().collect();
    want_comments.extend(ch.edited_comments.iter().cloned());
    want_comments.extend(ch.new_space_comments.iter().cloned());
    let got_comments: BTreeSet<CommentKey> = got.comments.keys().cloned().collect();
    assert_eq!(got_comments, want_comments);
    assert!(got.comments.values().all(Option::is_some), "versions sent");
    let mut want_removed: BTreeSet<(String, String, Option<String>)> = ch
        .deleted_comments
        .iter()
        .map(|(k, i, c)| (k.clone(), i.clone(), Some(c.clone())))
        .collect();
    want_removed.insert((ch.deleted_page.0.clone(), ch.deleted_page.1.clone(), None));
    assert_eq!(got.removed, want_removed);
    assert!(got.containers.contains(&ch.new_space));
    assert!(got.units_twice.is_empty() && got.comments_twice.is_empty());
    site.shutdown().await;
}
