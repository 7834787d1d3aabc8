//! The Atlassian Cloud crawler (DESIGN §6): Confluence v2 spaces → pages and
//! blog posts → footer/inline comments and all their replies; Jira v3 projects
//! → issues (enhanced JQL search) → comments; JSM as the service-desk projects
//! of Jira.
//!
//! [`crawl`] streams [`CrawlEvent`]s into a bounded channel as it goes, so the
//! consumer (detection) overlaps with the crawl and memory stays flat, and
//! returns a [`CrawlReport`] (requests, retries, preflight, warnings) at the end.
//!
//! Request strategy (what a crawl of a site costs; `P(n)` = pages of a listing
//! of `n` objects at the given page size, at least 1):
//! - preflight: Confluence `user/current?expand=operations` (1), Jira `myself`
//!   (1) and `mypermissions` (1); `_edge/tenant_info` (1) with the gateway;
//! - Confluence: `P₂₅₀(spaces)`; per space `P₂₅₀(pages) + P₂₅₀(blog posts)`;
//!   then the comments (`confluence_comments`): site-wide
//!   `P₂₅₀(footer comments) + P₂₅₀(inline comments)`, replies included, plus
//!   the check of the listings: `min(20, n)` reply listings per kind (or
//!   `min(100, n)` when the listing shows no reply), `n` its comments; if
//!   the check finds a reply missing, the fallback adds `P₂₅₀(children)` per
//!   comment. A scoped crawl may take per item instead (1–2 CQL counts, then
//!   `P₂₅₀(roots)` per item and kind plus `P₂₅₀(children)` per comment);
//! - Jira: `P₅₀(projects)` + 1 (`/field`); per project `P₁₀₀(issues)` (asked
//!   at `maxResults=5000`, the API's limit; it gives about 100 with the
//!   fields asked for); per project, `P₁₀₀(issues whose comment.total
//!   exceeds the comments the search embedded)` bulk fetches
//!   (`POST /issue/bulkfetch`), and per issue whose total still exceeds what
//!   the bulk fetch embedded, `P₁₀₀(total − embedded)` more.
//!
//! [`CrawlReport::requests_minimum`] adds these up for what the crawl read,
//! so that `requests.total / requests_minimum` is the crawl's overhead
//! (retries, pages shorter than asked for).
//!
//! Coverage: an item is reported by a [`CrawlEvent::Unit`] (scanned) or a
//! [`CrawlEvent::Failure`] (could not be read). A container whose listing
//! failed partway, or one of whose items lost some comments, gets a
//! [`CrawlEvent::ContainerStatus`] saying `partial` or `failed` with the
//! reason; a container without one was read completely. A product whose
//! container listing failed gets a [`CrawlEvent::ProductStatus`].
//!
//! Products: [`CrawlReport::products`] says for Confluence and Jira whether
//! the product is `present`, `absent` (its first container listing answered
//! 404: the site says it does not have it, the only reason to skip it),
//! `skipped` (by the user) or `failed` (its listing could not be read), with
//! the reason. A 404 on any other call (the Jira custom field list, say) is a
//! failure of that call, never "product absent".
//!
//! Hostile or broken servers (issue 8): listings end on a repeated page and
//! are bounded (`paging`, `--max-pages`); bodies are bounded before and after
//! decompression (`--max-response-mb`); a 200 that is not the endpoint's JSON
//! is retried; `Retry-After` is honoured up to `--max-wait`, per endpoint;
//! redirects to another host are refused; JSON of any depth is read, and one
//! issue of a search page that cannot be read fails alone.

pub mod client;
mod compact_ids;
mod confluence;
pub mod confluence_comments;
mod confluence_rescan;
pub mod convert;
mod jira;
pub mod pacer;
pub mod paging;
pub mod preflight;

pub use client::{Auth, ClientConfig, RequestError, RequestStats, TOKEN_HELP_URL};
pub use preflight::{Preflight, ProductAccess};

use crate::interrupt::Interrupt;
use crate::model::{Container, ContainerId, CoverageStatus, Document, Product};
use crate::sources::{ItemFailure, ItemUnit};
use client::{check_scheme, Client};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

/// What to crawl and how.
#[derive(Debug, Clone)]
pub struct CrawlConfig {
    /// The site, `https://acme.atlassian.net` (`http://` only for loopback).
    pub site: String,
    pub auth: Auth,
    /// Send API calls through the gateway at this root (normally
    /// `https://api.atlassian.com`): `{root}/ex/{confluence|jira}/{cloudId}`.
    /// Needed for scoped tokens and OAuth. `None` calls the site directly.
    pub gateway: Option<String>,
    /// The cloudId for the gateway; `None` reads it from `{site}/_edge/tenant_info`.
    pub cloud_id: Option<String>,
    /// The site address used in item URLs in the outputs; `None` = `site`.
    pub web_base: Option<String>,
    pub confluence: bool,
    pub jira: bool,
    /// Only these space keys (empty = all).
    pub spaces: Vec<String>,
    /// Space types to crawl.
    pub space_types: Vec<String>,
    /// Only these project keys (empty = all).
    pub projects: Vec<String>,
    /// Most pages one listing may take (`--max-pages`); reaching it leaves
    /// the container partial.
    pub max_pages: u64,
    pub client: ClientConfig,
    /// Once set, no further request is sent and no further event emitted:
    /// the crawl ends with [`CrawlError::Cancelled`].
    pub interrupt: Interrupt,
    /// What the last scan of this site saw: read only what changed since
    /// (`None`: read everything). See [`crate::sources::memory`].
    pub known: Option<Arc<crate::sources::memory::KnownSite>>,
    /// Where an interrupted scan of this site stopped: go on from there.
    pub resume: Option<Arc<crate::sources::memory::ResumePoint>>,
}

impl CrawlConfig {
    pub fn new(site: impl Into<String>, auth: Auth) -> CrawlConfig {
        CrawlConfig {
            site: site.into(),
            auth,
            gateway: None,
            cloud_id: None,
            web_base: None,
            confluence: true,
            jira: true,
            spaces: Vec::new(),
            space_types: ["global", "collaboration", "knowledge_base", "personal"]
                .map(String::from)
                .to_vec(),
            projects: Vec::new(),
            max_pages: paging::DEFAULT_MAX_PAGES,
            client: ClientConfig::default(),
            interrupt: Interrupt::default(),
            known: None,
            resume: None,
        }
    }
}

/// What the crawl streams to its consumer.
#[derive(Debug, Clone)]
pub enum CrawlEvent {
    /// A container seen for the first time, with the document of its name.
    Container {
        container: Container,
        name_document: Document,
    },
    /// An item with its own documents (title, body; Jira and JSM comments too).
    Unit(ItemUnit),
    /// More documents of an item already sent: one Confluence comment or reply.
    /// Streamed as read, so that nothing waits on anything else.
    Comments(ItemUnit),
    /// An item that could not be read.
    Failure(ItemFailure),
    /// A container that was not read completely (never sent for a complete one).
    ContainerStatus {
        product: Product,
        key: String,
        status: CoverageStatus,
        reason: String,
    },
    /// A product whose containers could not all be listed, or that was skipped.
    ProductStatus {
        product: Product,
        status: CoverageStatus,
        reason: String,
    },
    /// An item or comment a rescan found deleted (see `SourceEvent::Removed`).
    Removed {
        container: ContainerId,
        item_id: String,
        comment_id: Option<String>,
    },
    /// Where a listing stands (see `SourceEvent::Checkpoint`).
    Checkpoint {
        listing: String,
        cursor: Option<String>,
    },
}

/// Whether the site has a product, as far as the crawl could tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProductPresence {
    /// Listed (its containers may still be partial).
    Present,
    /// The site says it does not have it (404 on its first container listing).
    Absent,
    /// The user asked not to crawl it.
    Skipped,
    /// Its containers could not be listed at all.
    Failed,
}

/// One product's presence, with why when it is not plainly present.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ProductState {
    pub status: ProductPresence,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// What a crawl did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct CrawlReport {
    pub preflight: Preflight,
    /// Confluence and Jira: present, absent per the site, skipped by the
    /// user, or failed (`summary.json` → `crawl.products`).
    pub products: BTreeMap<Product, ProductState>,
    pub requests: RequestStats,
    /// Things the user should know (not an administrator, product skipped...).
    pub warnings: Vec<String>,
    pub containers: u64,
    pub units: u64,
    pub failures: u64,
    /// `ContainerStatus` events sent (containers not read completely).
    pub incomplete_containers: u64,
    /// Products the site does not serve (their first listing was a 404).
    pub absent_products: Vec<Product>,
    /// The fewest requests the crawl's strategy could have made for what it
    /// read: every listing at the API's largest page size, every single call
    /// once, no retries (`requests.total` / this = the crawl's overhead).
    pub requests_minimum: u64,
    /// How Confluence comments and replies were read (strategy, the check
    /// of the site-wide listings, the fallback's cost).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confluence_comments: Option<confluence_comments::CommentsReport>,
}

/// Why a crawl could not run at all.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CrawlError {
    #[error("{credential} was rejected (401). {help}")]
    Unauthorized { credential: String, help: String },
    #[error("configuration: {0}")]
    Config(String),
    #[error("the site could not be reached: {0}")]
    Unreachable(String),
    #[error("the consumer stopped listening")]
    Cancelled,
}

/// Ends the whole crawl from inside a task.
#[derive(Debug)]
pub(crate) enum Fatal {
    Unauthorized { endpoint: String },
    Cancelled,
}

pub(crate) struct Ctx {
    pub client: Client,
    pub conf_base: String,
    pub jira_base: String,
    pub web_base: String,
    pub config: CrawlConfig,
    tx: mpsc::Sender<CrawlEvent>,
    warnings: Mutex<Vec<String>>,
    absent: Mutex<Vec<Product>>,
    products: Mutex<BTreeMap<Product, ProductState>>,
    containers: AtomicU64,
    units: AtomicU64,
    comments: AtomicU64,
    failures: AtomicU64,
    incomplete: AtomicU64,
    minimum: AtomicU64,
}

impl Ctx {
    /// Permits for the containers (spaces, projects) read at once: as many
    /// as requests may be in flight, which keeps every slot busy. Without a
    /// bound every container of a large site would hold a page waiting for
    /// the pipeline, in memory and, at a kill, as a page to read again.
    pub fn container_permits(&self) -> Arc<tokio::sync::Semaphore> {
        Arc::new(tokio::sync::Semaphore::new(
            self.config.client.concurrency.max(1),
        ))
    }

    /// Count `n` requests toward the strategy's minimum (a listing's pages
    /// at the largest page size, or one single call).
    pub fn minimum(&self, n: u64) {
        self.minimum.fetch_add(n, Ordering::Relaxed);
    }

    pub async fn emit(&self, ev: CrawlEvent) -> Result<(), Fatal> {
        // Between items and pages: every page read ends in events.
        if self.config.interrupt.is_set() {
            return Err(Fatal::Cancelled);
        }
        let counter = match &ev {
            CrawlEvent::Container { .. } => Some(&self.containers),
            CrawlEvent::Unit(_) => Some(&self.units),
            CrawlEvent::Comments(_) => Some(&self.comments),
            CrawlEvent::Failure(_) => Some(&self.failures),
            CrawlEvent::ContainerStatus { .. } => Some(&self.incomplete),
            CrawlEvent::ProductStatus { .. } => Some(&self.incomplete),
            CrawlEvent::Removed { .. } | CrawlEvent::Checkpoint { .. } => None,
        };
        if let Some(counter) = counter {
            counter.fetch_add(1, Ordering::Relaxed);
        }
        self.tx.send(ev).await.map_err(|_| Fatal::Cancelled)
    }

    /// A container's own listing is over (for the progress display's ETA).
    pub fn container_listed(&self, product: Product) {
        if let Some(p) = &self.config.client.progress {
            crate::progress::ProductCounters::add(&p.product(product).containers_done, 1);
        }
    }

    pub async fn container(&self, c: Container) -> Result<(), Fatal> {
        let name_document = convert::container_document(&c);
        self.emit(CrawlEvent::Container {
            container: c,
            name_document,
        })
        .await
    }

    pub async fn container_status(
        &self,
        product: Product,
        key: &str,
        status: CoverageStatus,
        reason: String,
    ) -> Result<(), Fatal> {
        self.emit(CrawlEvent::ContainerStatus {
            product,
            key: key.to_string(),
            status,
            reason,
        })
        .await
    }

    /// The site does not serve `product`: reported in the outputs as "not on
    /// this site", with `w` among the warnings.
    pub fn product_absent(&self, product: Product, w: String) {
        if let Ok(mut v) = self.absent.lock() {
            v.push(product);
        }
        self.warn(w);
    }

    /// What the crawl learned about a product (the first word stands).
    pub fn product_presence(&self, p: Product, status: ProductPresence, reason: Option<String>) {
        if let Ok(mut m) = self.products.lock() {
            m.entry(p).or_insert(ProductState { status, reason });
        }
    }

    pub fn warn(&self, w: String) {
        if let Ok(mut v) = self.warnings.lock() {
            v.push(w);
        }
    }

    /// Before a request: once interrupted, none is sent (the caller's next
    /// event then ends the crawl).
    pub fn not_interrupted(&self) -> Result<(), RequestError> {
        if self.config.interrupt.is_set() {
            return Err(RequestError::Config("the scan was interrupted".into()));
        }
        Ok(())
    }

    /// GET `{base}{path}?{query}` as JSON.
    pub async fn get(
        &self,
        base: &str,
        path: &str,
        query: &str,
        endpoint: &str,
    ) -> Result<client::Answer, RequestError> {
        self.not_interrupted()?;
        let url = if query.is_empty() {
            format!("{base}{path}")
        } else {
            format!("{base}{path}?{query}")
        };
        self.client.get(&url, endpoint).await
    }

    /// POST `body` to `{base}{path}` for a bulk read, as JSON.
    pub async fn post_read(
        &self,
        base: &str,
        path: &str,
        body: &Value,
        endpoint: &str,
    ) -> Result<client::Answer, RequestError> {
        self.not_interrupted()?;
        self.client
            .post_read(&format!("{base}{path}"), body, endpoint)
            .await
    }
}

/// A request error that ends the crawl, or the reason to record.
pub(crate) fn triage(e: RequestError) -> Result<String, Fatal> {
    match e {
        RequestError::Unauthorized { endpoint } => Err(Fatal::Unauthorized { endpoint }),
        other => Ok(other.to_string()),
    }
}

/// `k=v&k=v`, form-encoded.
pub(crate) fn query(pairs: &[(&str, &str)]) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

/// The `results`/`values`/... array of an answer (empty when absent).
pub(crate) fn list<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn unauthorized(config: &CrawlConfig, base: &str, endpoint: &str) -> CrawlError {
    let via = if config.gateway.is_some() {
        "through the API gateway"
    } else {
        "against the site directly"
    };
    CrawlError::Unauthorized {
        credential: format!("{} at {base} ({endpoint})", config.auth.describe()),
        help: format!(
            "Check the email and the token, and that the token has not expired. Create an API \
             token at {TOKEN_HELP_URL}. The request went {via}: a scoped API token or an OAuth \
             token must go through the gateway (--gateway); a classic unscoped token works \
             against the site directly."
        ),
    }
}

fn trim_base(s: &str) -> String {
    s.trim_end_matches('/').to_string()
}

/// Crawl the site, streaming events into `tx`.
pub async fn crawl(
    config: CrawlConfig,
    tx: mpsc::Sender<CrawlEvent>,
) -> Result<CrawlReport, CrawlError> {
    let site = trim_base(
        check_scheme(&config.site)
            .map_err(CrawlError::Config)?
            .as_str(),
    );
    let client = Client::new(&config.auth, config.client.clone())
        .map_err(|e| CrawlError::Config(e.to_string()))?;
    let (conf_base, jira_base) = match &config.gateway {
        None => (site.clone(), site.clone()),
        Some(gw) => {
            let gw = trim_base(check_scheme(gw).map_err(CrawlError::Config)?.as_str());
            let cloud_id = match &config.cloud_id {
                Some(id) => id.clone(),
                None => preflight::cloud_id(&client, &site)
                    .await
                    .map_err(|e| match e {
                        RequestError::Unauthorized { endpoint } => {
                            unauthorized(&config, &site, &endpoint)
                        }
                        other => CrawlError::Unreachable(format!(
                            "cannot read the cloudId from {site}/_edge/tenant_info: {other}"
                        )),
                    })?,
            };
            (
                format!("{gw}/ex/confluence/{cloud_id}"),
                format!("{gw}/ex/jira/{cloud_id}"),
            )
        }
    };
    let web_base = config
        .web_base
        .as_deref()
        .map(trim_base)
        .unwrap_or_else(|| site.clone());
    let ctx = Arc::new(Ctx {
        client,
        conf_base,
        jira_base,
        web_base,
        config: config.clone(),
        tx,
        warnings: Mutex::new(Vec::new()),
        absent: Mutex::new(Vec::new()),
        products: Mutex::new(BTreeMap::new()),
        containers: AtomicU64::new(0),
        units: AtomicU64::new(0),
        comments: AtomicU64::new(0),
        failures: AtomicU64::new(0),
        incomplete: AtomicU64::new(0),
        minimum: AtomicU64::new(0),
    });

    if config.gateway.is_some() && config.cloud_id.is_none() {
        ctx.minimum(1); // `_edge/tenant_info`
    }
    let pre = preflight::run(&ctx)
        .await
        .map_err(|f| fatal_error(&ctx, f))?;
    for w in pre.warnings() {
        ctx.warn(w);
    }

    for (wanted, p) in [
        (ctx.config.confluence, Product::Confluence),
        (ctx.config.jira, Product::Jira),
    ] {
        if !wanted {
            ctx.product_presence(p, ProductPresence::Skipped, None);
        }
    }
    let conf = {
        let ctx = ctx.clone();
        async move {
            if ctx.config.confluence {
                confluence::crawl(ctx).await
            } else {
                Ok(None)
            }
        }
    };
    let jira = {
        let ctx = ctx.clone();
        async move {
            if ctx.config.jira {
                jira::crawl(ctx).await
            } else {
                Ok(())
            }
        }
    };
    let (a, b) = tokio::join!(conf, jira);
    b.map_err(|f| fatal_error(&ctx, f))?;
    let confluence_comments = a.map_err(|f| fatal_error(&ctx, f))?;

    let warnings = ctx.warnings.lock().map(|w| w.clone()).unwrap_or_default();
    let products = ctx.products.lock().map(|p| p.clone()).unwrap_or_default();
    Ok(CrawlReport {
        preflight: pre,
        products,
        requests: ctx.client.stats(),
        warnings,
        containers: ctx.containers.load(Ordering::Relaxed),
        units: ctx.units.load(Ordering::Relaxed),
        failures: ctx.failures.load(Ordering::Relaxed),
        incomplete_containers: ctx.incomplete.load(Ordering::Relaxed),
        absent_products: ctx.absent.lock().map(|a| a.clone()).unwrap_or_default(),
        requests_minimum: ctx.minimum.load(Ordering::Relaxed),
        confluence_comments,
    })
}

fn fatal_error(ctx: &Ctx, f: Fatal) -> CrawlError {
    match f {
        Fatal::Cancelled => CrawlError::Cancelled,
        Fatal::Unauthorized { endpoint } => {
            let base = if endpoint.starts_with("jira") {
                &ctx.jira_base
            } else {
                &ctx.conf_base
            };
            unauthorized(&ctx.config, base, &endpoint)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_is_form_encoded() {
        assert_eq!(
            query(&[
                ("jql", "project = \"PAY\" ORDER BY id ASC"),
                ("maxResults", "100")
            ]),
            "jql=project+%3D+%22PAY%22+ORDER+BY+id+ASC&maxResults=100"
        );
    }

    #[test]
    fn unauthorized_names_credential_not_token() {
        let cfg = CrawlConfig::new(
            "https://acme.atlassian.net",
            Auth::Basic {
                email: "me@acme.com".into(),
                token: "TOPSECRET".into(),
            },
        );
        let e = unauthorized(&cfg, "https://acme.atlassian.net", "jira.myself");
        let msg = e.to_string();
        assert!(msg.contains("me@acme.com"));
        assert!(msg.contains(TOKEN_HELP_URL));
        assert!(!msg.contains("TOPSECRET"));
    }
}
