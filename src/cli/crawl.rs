//! Crawling into the scan pipeline: the crawler runs on a tokio runtime and
//! streams events through a bounded channel; this thread feeds them to the
//! pipeline as they come, so memory holds one batch however large the site.

use crate::cli::{CliError, ProductChoice, SiteArgs};
use crate::fake_site::{FakeSite, FakeSiteConfig, SiteData};
use crate::interrupt::until_interrupted;
use crate::model::{ContainerId, CoverageStatus, Product};
use crate::progress::{Counters, ProductCounters};
use crate::report::summary::{ProductLine, ProductStatus};
use crate::scan::{run as run_scan, ScanOutcome, ScanRequest};
use crate::sources::atlassian::{crawl, Auth, CrawlConfig, CrawlError, CrawlEvent, CrawlReport};
use crate::sources::SourceEvent;
use std::sync::Arc;

/// Events in flight between the crawler and the pipeline. Enough to keep
/// detection busy, and few: what is in the channel when a scan is killed is
/// asked for again on resume (a checkpoint is written only once the units
/// before it are stored), so a longer queue costs requests on every stop.
const CHANNEL_EVENTS: usize = 64;

const TOKEN_HELP: &str = "create an API token at https://id.atlassian.com/manage-profile/security/api-tokens and pass it in ATLASSIAN_API_TOKEN or --token-file";

/// The crawl configuration from the command line; secrets come from files or
/// the environment, never from arguments.
pub fn site_config(args: &SiteArgs, site: &str) -> Result<CrawlConfig, CliError> {
    let read_secret = |path: &std::path::Path| -> Result<String, CliError> {
        let raw = std::fs::read_to_string(path).map_err(|e| {
            CliError::Config(format!("{}: cannot read the token: {e}", path.display()))
        })?;
        let token = raw.trim().to_string();
        if token.is_empty() {
            return Err(CliError::Config(format!(
                "{}: the token file is empty",
                path.display()
            )));
        }
        Ok(token)
    };
    let auth = if let Some(path) = &args.bearer_token_file {
        Auth::Bearer {
            token: read_secret(path)?,
        }
    } else {
        let email = args.email.clone().ok_or_else(|| {
            CliError::Config("--email (or ATLASSIAN_EMAIL) is required with an API token".into())
        })?;
        let token = match &args.token_file {
            Some(path) => read_secret(path)?,
            None => std::env::var("ATLASSIAN_API_TOKEN")
                .ok()
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty())
                .ok_or_else(|| CliError::Config(format!("no API token: {TOKEN_HELP}")))?,
        };
        Auth::Basic { email, token }
    };
    let mut config = CrawlConfig::new(site, auth);
    config.gateway = args.gateway.clone().or_else(|| {
        // OAuth tokens only work through the gateway.
        args.bearer_token_file
            .as_ref()
            .map(|_| "https://api.atlassian.com".to_string())
    });
    config.spaces = args.spaces.clone();
    if !args.space_type.is_empty() {
        config.space_types = args.space_type.clone();
    }
    config.projects = args.projects.clone();
    config.client.concurrency = args.concurrency.max(1);
    apply_products(&mut config, &args.products);
    config.max_pages = args.max_pages.max(1);
    config.client.max_response_bytes = args.max_response_mb.max(1).saturating_mul(1024 * 1024);
    config.client.max_wait = args.max_wait;
    Ok(config)
}

/// `--products`: crawl only these (empty: all).
pub fn apply_products(config: &mut CrawlConfig, products: &[ProductChoice]) {
    if !products.is_empty() {
        config.confluence = products.contains(&ProductChoice::Confluence);
        config.jira = products.contains(&ProductChoice::Jira);
    }
}

/// The demo site's own (fake) credentials.
pub fn demo_auth() -> Auth {
    let defaults = FakeSiteConfig::default();
    Auth::Basic {
        email: defaults.email,
        token: defaults.token,
    }
}

/// The demo: the fake site serves `fixtures/demo/` on loopback and the real
/// crawler reads it, so the first command of the README exercises every part.
pub fn demo_config(site: &FakeSite) -> Result<CrawlConfig, CliError> {
    let mut config = CrawlConfig::new(site.base_url(), demo_auth());
    // Item URLs name the demo's own address, as the offline reading does.
    config.web_base = Some(crate::sources::demo::base_url()?);
    Ok(config)
}

fn to_source_event(e: CrawlEvent, counters: &Counters) -> SourceEvent {
    match e {
        CrawlEvent::Container {
            container,
            name_document,
        } => {
            ProductCounters::add(&counters.product(container.product).containers_total, 1);
            SourceEvent::Container {
                container,
                name: Some(name_document),
            }
        }
        CrawlEvent::Unit(unit) => {
            let product = unit
                .documents
                .first()
                .map_or(Product::Jira, |d| d.origin.product);
            ProductCounters::add(&counters.product(product).items, 1);
            SourceEvent::Unit(unit)
        }
        CrawlEvent::Comments(fragment) => SourceEvent::Documents(fragment),
        CrawlEvent::Failure(f) => SourceEvent::Failure(f),
        CrawlEvent::ContainerStatus {
            product,
            key,
            reason,
            ..
        } => SourceEvent::ContainerIncomplete {
            id: ContainerId::new(product, key),
            reason,
        },
        CrawlEvent::ProductStatus {
            product, reason, ..
        } => SourceEvent::ProductIncomplete { product, reason },
        CrawlEvent::Removed {
            container,
            item_id,
            comment_id,
        } => SourceEvent::Removed {
            container,
            item_id,
            comment_id,
        },
        CrawlEvent::Checkpoint { listing, cursor } => SourceEvent::Checkpoint { listing, cursor },
    }
}

/// What to crawl.
pub enum Target {
    /// A real (or any) site.
    Site(Box<CrawlConfig>),
    /// A fake site started on loopback first, serving this data (the demo).
    Fake(Arc<SiteData>, FakeSiteConfig),
}

/// What a crawl left: the scan of everything that arrived, and the crawl's own
/// report, or why it stopped (then every container is marked partial).
pub struct CrawlOutcome {
    pub scan: ScanOutcome,
    /// `None` for a source that was not crawled, or a crawl that was interrupted.
    pub crawl: Result<Option<CrawlReport>, CliError>,
    /// Which products the crawl was asked for and which the site lacks
    /// (`None` for a source that was not crawled).
    pub scope: Option<CrawlScope>,
}

impl CrawlOutcome {
    /// The outcome of a scan that crawled nothing.
    pub fn offline(scan: ScanOutcome) -> CrawlOutcome {
        CrawlOutcome {
            scan,
            crawl: Ok(None),
            scope: None,
        }
    }
}

/// The products a crawl was asked for, and those the site turned out not to have.
#[derive(Debug, Clone, Default)]
pub struct CrawlScope {
    pub confluence: bool,
    pub jira: bool,
    pub absent: Vec<Product>,
}

impl CrawlScope {
    /// `--products confluence`: how the user asked, for "skipped (...)".
    fn asked(&self) -> String {
        let mut asked = Vec::new();
        if self.confluence {
            asked.push("confluence");
        }
        if self.jira {
            asked.push("jira");
        }
        format!("--products {}", asked.join(","))
    }

    /// Products the crawl was asked to list, for what an interruption left unlisted.
    pub fn listed(&self) -> Vec<Product> {
        let mut p = Vec::new();
        if self.confluence {
            p.push(Product::Confluence);
        }
        if self.jira {
            p.push(Product::Jira);
        }
        p
    }

    /// Skipped products have containers nobody listed: their apps stay in the
    /// verdicts, unread (review), and the scan is partial.
    pub fn record_skipped(&self, summary: &mut crate::report::summary::Summary) {
        let reason = format!("skipped ({})", self.asked());
        for (product, crawled) in [
            (Product::Confluence, self.confluence),
            (Product::Jira, self.jira),
        ] {
            if !crawled {
                summary
                    .totals
                    .incomplete_products
                    .entry(product)
                    .or_default()
                    .push(reason.clone());
            }
        }
    }

    /// One line per Atlassian app: scanned, partly scanned, skipped, or not on this site.
    pub fn product_lines(&self, summary: &crate::report::summary::Summary) -> Vec<ProductLine> {
        let containers = |product: Product| {
            summary
                .containers
                .iter()
                .filter(|c| c.container.product == product)
                .count()
        };
        let line = |product: Product, crawled: bool, noun: (&str, &str)| {
            let incomplete = summary
                .totals
                .incomplete_products
                .get(&product)
                .filter(|r| !r.is_empty());
            let n = containers(product);
            let (status, reason) = if !crawled {
                (ProductStatus::Skipped, self.asked())
            } else if self.absent.contains(&product) {
                (
                    ProductStatus::NotOnSite,
                    "its first listing answered 404".into(),
                )
            } else if let Some(why) = incomplete {
                (ProductStatus::Partial, why.join("; "))
            } else {
                let noun = if n == 1 { noun.0 } else { noun.1 };
                (ProductStatus::Scanned, format!("{n} {noun}"))
            };
            ProductLine {
                product,
                status,
                reason,
            }
        };
        let mut lines = vec![
            line(Product::Confluence, self.confluence, ("space", "spaces")),
            line(Product::Jira, self.jira, ("project", "projects")),
        ];
        // Service projects are listed by Jira's project search.
        let jira = &lines[1];
        let jsm = match jira.status {
            ProductStatus::Skipped | ProductStatus::NotOnSite => ProductLine {
                product: Product::Jsm,
                status: jira.status,
                reason: jira.reason.clone(),
            },
            _ if containers(Product::Jsm) > 0 => {
                let mut l = line(Product::Jsm, true, ("service project", "service projects"));
                if jira.status == ProductStatus::Partial {
                    l.status = ProductStatus::Partial;
                    l.reason = jira.reason.clone();
                }
                l
            }
            ProductStatus::Partial => ProductLine {
                product: Product::Jsm,
                status: ProductStatus::Partial,
                reason: jira.reason.clone(),
            },
            _ => ProductLine {
                product: Product::Jsm,
                status: ProductStatus::NotOnSite,
                reason: "no service project among the Jira projects listed".into(),
            },
        };
        lines.push(jsm);
        lines
    }
}

/// Crawl `target` and scan what arrives; the crawl report is added to the
/// summary. A crawl that stops keeps what was scanned: the caller writes the
/// outputs and then reports the error.
pub fn crawl_and_scan(
    target: Target,
    req: ScanRequest<'_>,
    counters: Arc<Counters>,
    first: Vec<SourceEvent>,
) -> Result<CrawlOutcome, CliError> {
    crawl_and_scan_with(target, req, counters, first, |_| {})
}

/// [`crawl_and_scan`], with the crawl configuration adjusted by `adjust`
/// first (the command line's `--products`, the process's interrupt flag).
pub fn crawl_and_scan_with(
    target: Target,
    req: ScanRequest<'_>,
    counters: Arc<Counters>,
    first: Vec<SourceEvent>,
    adjust: impl FnOnce(&mut CrawlConfig),
) -> Result<CrawlOutcome, CliError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CliError::Other(anyhow::anyhow!("starting the crawler's runtime: {e}")))?;
    let (fake_site, mut config) = match target {
        Target::Fake(data, fake_config) => {
            let site = runtime
                .block_on(FakeSite::start(data, fake_config))
                .map_err(|e| CliError::Other(anyhow::anyhow!("starting the demo site: {e}")))?;
            let config = demo_config(&site)?;
            (Some(site), config)
        }
        Target::Site(config) => (None, *config),
    };
    config.client.progress = Some(counters.clone());
    adjust(&mut config);
    let interrupt = config.interrupt.clone();
    let mut scope = CrawlScope {
        confluence: config.confluence,
        jira: config.jira,
        absent: Vec::new(),
    };
    let (tx, mut rx) = tokio::sync::mpsc::channel::<CrawlEvent>(CHANNEL_EVENTS);
    // Whether the crawl ended without error, known once its events are all
    // read: only then may the scan call what it did not send deleted.
    let (done_tx, done_rx) = std::sync::mpsc::channel::<bool>();
    let crawler = runtime.spawn(async move {
        let result = crawl(config, tx).await;
        let _ = done_tx.send(result.is_ok());
        result
    });
    let finished = std::iter::once(()).filter_map(move |()| {
        done_rx
            .recv()
            .ok()
            .filter(|ok| *ok)
            .map(|_| SourceEvent::Finished)
    });
    let crawled = std::iter::from_fn(|| rx.blocking_recv())
        .map(|e| to_source_event(e, &counters))
        .chain(finished);
    let events = until_interrupted(first.into_iter().chain(crawled), &interrupt);
    let scanned = run_scan(req, events);
    let crawled = runtime
        .block_on(crawler)
        .map_err(|e| CliError::Other(anyhow::anyhow!("the crawler stopped: {e}")))?;
    if let Some(site) = fake_site {
        runtime.block_on(site.shutdown());
    }
    let mut outcome = scanned?;
    let report = match crawled {
        Ok(report) => report,
        // The caller marks what an interruption left unread.
        Err(CrawlError::Cancelled) if interrupt.is_set() => {
            return Ok(CrawlOutcome {
                scan: outcome,
                crawl: Ok(None),
                scope: Some(scope),
            });
        }
        Err(e) => {
            // Whatever was scanned stays, but a crawl that stopped read no
            // container to its end: none may be reported complete.
            let reason = format!("the crawl stopped: {e}");
            for c in &mut outcome.summary.containers {
                if c.coverage.status == CoverageStatus::Complete {
                    c.coverage.status = CoverageStatus::Partial;
                }
                c.coverage.reasons.push(reason.clone());
            }
            // Spaces and projects not listed yet are not containers at all:
            // the apps say that they could not all be listed.
            for product in [Product::Confluence, Product::Jira] {
                outcome
                    .summary
                    .totals
                    .incomplete_products
                    .entry(product)
                    .or_default()
                    .push(reason.clone());
            }
            outcome.summary.totals.warnings.push(reason);
            let error = match e {
                CrawlError::Unauthorized { credential, help } => {
                    CliError::Auth(format!("{credential} was rejected (401). {help}"))
                }
                e => CliError::Other(anyhow::anyhow!("{e}")),
            };
            return Ok(CrawlOutcome {
                scan: outcome,
                crawl: Err(error),
                scope: Some(scope),
            });
        }
    };
    outcome.summary.crawl = serde_json::to_value(&report).ok();
    scope.absent = report.absent_products.clone();
    Ok(CrawlOutcome {
        scan: outcome,
        crawl: Ok(Some(report)),
        scope: Some(scope),
    })
}

/// `--max-wait`: seconds, or a number with `s`, `m` or `h`.
pub fn parse_wait(v: &str) -> Result<std::time::Duration, String> {
    let v = v.trim();
    let (num, unit) = match v.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => (&v[..i], &v[i..]),
        None => (v, "s"),
    };
    let n: u64 = num
        .parse()
        .map_err(|_| format!("{v:?}: expected seconds or a number with s, m or h"))?;
    let secs = match unit {
        "s" => n,
        "m" => n.saturating_mul(60),
        "h" => n.saturating_mul(3600),
        other => return Err(format!("{v:?}: unknown unit {other:?} (use s, m or h)")),
    };
    Ok(std::time::Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::parse_wait;
    use std::time::Duration;

    #[test]
    fn waits_in_seconds_minutes_and_hours() {
        assert_eq!(parse_wait("900"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_wait("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_wait("1h"), Ok(Duration::from_secs(3600)));
        assert!(parse_wait("soon").is_err());
        assert!(parse_wait("5d").is_err());
    }
}
