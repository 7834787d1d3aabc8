//! A faithful fake Atlassian Cloud site (Confluence v2, Jira v3) on loopback,
//! for tests, the demo and benchmarks.
//!
//! It reproduces the quirks of `shared/atlassian-api.md`: Basic auth (and
//! Bearer on the `/ex/{product}/{cloudId}` gateway), Confluence cursor
//! pagination through both the `Link` header and `_links.next`, root-only
//! comment lists with replies under `/children`, hidden pages that 404 and are
//! left out of every list, bounded-JQL-only enhanced search with
//! `nextPageToken`, default `fields=id`, at most 20 comments embedded in a
//! search result, 410 on the removed `/rest/api/3/search`, a token-bucket rate
//! limiter answering 429 with `Retry-After` and the `X-RateLimit-*` headers,
//! and seeded error injection (503 with `Retry-After: 1`, or 500).
//!
//! Choices where the real API is unknown or too large to copy:
//! - The site-wide `GET /wiki/api/v2/footer-comments` and `/inline-comments`
//!   list every visible comment, replies included, each with its
//!   `pageId`/`blogPostId` and, for a reply, `parentCommentId` (what the v2
//!   OpenAPI and confluence.js models indicate; not stated by Atlassian).
//!   [`FakeSiteConfig::site_comments_roots_only`] makes them list root
//!   comments only (the unconfirmed alternative): replies are then reachable
//!   only through `/{kind}-comments/{id}/children`. The per-page listings
//!   (`/pages/{id}/footer-comments`) always list roots only, as the spec says.
//! - CQL search (`GET /wiki/rest/api/search`) understands only counts:
//!   `type = comment|page|blogpost` or `type in (…)` of those, optionally
//!   `AND space in ("A", "B")` or `AND space = "A"`; it answers `totalSize`
//!   and at most `limit` results. Anything else is a 400.
//! - The site-wide `GET /wiki/api/v2/pages`, `/blogposts` and comment lists
//!   honour `sort=[-]id|created-date|modified-date` (modified = the object's
//!   `version.createdAt`); `/pages` and `/blogposts` filter by `id` (≤ 250).
//! - Confluence `limit` above 250 is clamped to 250 (not rejected); 0 or
//!   non-numbers get 400.
//! - Only `body-format=storage` is served; other formats get 400. Without
//!   `body-format`, objects carry `"body": {}` as the real API does.
//! - Jira `maxResults`: project search default and cap 50; `search/jql`
//!   accepts 1–5000 (else 400), default 50, pages of at most 100 when more
//!   than `id`/`key` is asked for (5000 otherwise); `issue/{key}/comment`
//!   default and cap 100; `GET /issue/{key}` and `POST /issue/bulkfetch`
//!   (1–100 `issueIdsOrKeys`, else 400; unknown or hidden ones in
//!   `issueErrors`) embed at most 100 comments with the true `total` (the
//!   bulk fetch's cap is not stated by Atlassian; the crawler pages the rest
//!   whatever it is).
//! - JSM: `GET /rest/servicedeskapi/servicedesk` and
//!   `GET /rest/servicedeskapi/request/{key}/comment` (`public`, `internal`,
//!   `start`, `limit` ≤ 50); comment bodies are plain text from the ADF.
//! - JQL understood: `project = KEY`, `project = "KEY"`, `project in (A, B)`,
//!   `updated|created >=|>|<=|< "yyyy-MM-dd[ HH:mm]"` or a relative date
//!   (`"-125m"`, `-2h`, `-7d`, `-1w`; from now, in the account's time zone,
//!   UTC) joined by `AND`, and
//!   `ORDER BY id|key|created|updated [ASC|DESC]`. Anything else is a 400.
//! - `retry_after_violations`: after a 429/503 announcing `Retry-After: N` is
//!   sent at time t, a request counts as a violation when it arrives before
//!   t+N either on the same connection that got the announcement, or on any
//!   connection more than [`RETRY_GRACE`] after the window opened (requests
//!   already in flight from a concurrent client are not its fault). A
//!   window announced for one route (the `retry_after` fault) counts only
//!   requests to that route. The token bucket's 429s carry
//!   `X-Beta-Ratelimit-Reason: {product}-quota-tenant-based`: the bucket is
//!   site-wide, and says so.
//! - With a rate limit on, every answered request (and every 429) announces
//!   the bucket the way Atlassian announces its limits: `X-RateLimit-Limit`
//!   (the bucket size), `X-RateLimit-Remaining` (whole tokens left),
//!   `X-RateLimit-Reset` (when the bucket is full again, rounded up to the
//!   ISO minute as Atlassian does), `X-RateLimit-NearLimit: true` under
//!   `near_limit_below`, and the beta pair
//!   `Beta-RateLimit-Policy: "tenant-burst";q={rate};w=1` and
//!   `Beta-RateLimit: "tenant-burst";r={remaining};t={seconds to full}`
//!   (one policy: the bucket is the site's). Answers carry no reason, as on
//!   the real API: only a 429 says what was limited.
//!   [`FakeSiteConfig::rate_limit_headers`] drops the beta pair
//!   ([`RateLimitHeaders::NoBeta`]: a client then knows no rate) or every
//!   budget header ([`RateLimitHeaders::None`]: 429s keep `Retry-After` and
//!   their reasons, so a client still knows what to wait for, but cannot
//!   pace).
//!
//! Faults a test can inject (all off by default): `rate_limit_per_sec` /
//! `burst` (429 with `Retry-After`), `error_rate` (503 / 500), `latency`
//! (every answer late: a slow site, to stop a scan mid-way), `no_jira` /
//! `no_confluence` (a site without that product: every one of its paths is a
//! 404).
//!
//! Faults of hostile or broken servers ([`Faults`] in
//! [`FakeSiteConfig::faults`], all off by default; a [`Hit`] fires on the
//! first `times` requests whose path contains its `path`):
//! - `confluence_page_size`, `jira_page_size`: smaller pages than asked for;
//! - `cursor_cycle (path, n)`: page `n` of a Confluence listing links back to
//!   the first page (1 = a page linking to itself, 2+ = a longer cycle);
//! - `project_is_last_never_true`: `project/search` never says `isLast: true`;
//! - `project_start_at_ignored`: `project/search` answers every `startAt`
//!   with the first page;
//! - `search_token_repeated`: the enhanced search answers a `nextPageToken`
//!   with the same token;
//! - `offset_drift`: each next page starts one item early, so an item is
//!   listed on two pages;
//! - `retry_after (hit, secs)`: 429 with a long `Retry-After` on one endpoint
//!   only (no tenant header);
//! - `not_found`: these paths answer 404 (e.g. `/rest/api/3/field` only);
//! - `redirect (hit, base)`: 302 to another host or port;
//! - `html_ok`: a 200 whose body is a proxy's HTML page;
//! - `truncated_json`: a 200 whose JSON is cut in half;
//! - `gzip_bomb (hit, bytes)`: a small gzip body inflating to `bytes`;
//! - `huge_body (hit, bytes)`: a JSON body of `bytes` bytes;
//! - `deep_issue (key, depth)`: that issue's ADF description nests lists
//!   `depth` deep (past serde_json's default 128);
//! - `malformed_issue (key)`: that issue's `fields` is a string;
//! - `hidden_comments_listed`: the site-wide comment listings also list the
//!   comments of pages the account cannot see.
//!
//! [`FakeSiteStats::order`] records every route in arrival order, and
//! `authorized_requests` how many carried credentials, so that tests assert
//! on what was asked, never on timing.

pub mod change_confluence;
pub mod change_jira;
mod confluence;
mod data;
mod faults;
mod generate;
mod jira;
mod jsm;
mod limits;
mod util;

pub use change_confluence::{change_confluence, ConfluenceChanges};
pub use data::{
    Collection, ContentFacts, Facts, FieldFacts, IssueFacts, ProjectFacts, SiteData, SiteSummary,
    SpaceFacts, Values,
};
pub use faults::{Faults, Hit};

use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use base64::Engine;
use data::Index;
use limits::Limits;
use serde_json::json;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;
use util::Reply;

/// How long after a retry window opens requests on other connections are
/// still forgiven (they were in flight before the client saw the answer).
pub const RETRY_GRACE: Duration = Duration::from_millis(100);

/// What the token bucket announces on answered requests and 429s.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RateLimitHeaders {
    /// `X-RateLimit-*` and the beta `Beta-RateLimit-Policy` / `Beta-RateLimit`.
    #[default]
    All,
    /// `X-RateLimit-*` only: no rate is announced.
    NoBeta,
    /// No budget at all: a 429 carries `Retry-After` and its reasons only,
    /// answered requests nothing (a client cannot pace).
    None,
}

/// How a fake site behaves.
#[derive(Debug, Clone)]
pub struct FakeSiteConfig {
    /// Basic auth must be `email:token`; the gateway also takes `Bearer token`.
    pub email: String,
    pub token: String,
    /// Token bucket over all requests: refill rate per second (None: no limit).
    pub rate_limit_per_sec: Option<f64>,
    /// Bucket size.
    pub burst: u32,
    /// Which rate-limit headers announce the bucket.
    pub rate_limit_headers: RateLimitHeaders,
    /// Fraction of requests answered 503 (with `Retry-After: 1`) or 500.
    pub error_rate: f64,
    /// Added to every response.
    pub latency: Duration,
    /// Seeds error injection.
    pub seed: u64,
    /// Send `X-RateLimit-NearLimit: true` while the bucket is below this fraction.
    pub near_limit_below: f64,
    /// A site without Jira: every Jira path (`/rest/...`) answers 404.
    pub no_jira: bool,
    /// A site without Confluence: every `/wiki/...` path answers 404.
    pub no_confluence: bool,
    /// The site-wide comment listings (`GET /wiki/api/v2/footer-comments`,
    /// `/inline-comments`) list root comments only, not their replies: the
    /// unconfirmed alternative to what the v2 OpenAPI indicates (replies
    /// included, with `parentCommentId`), so that the crawler's check and
    /// its fallback are tested.
    pub site_comments_roots_only: bool,
    /// Faults of hostile or broken servers (all off by default).
    pub faults: Box<Faults>,
}

impl Default for FakeSiteConfig {
    fn default() -> Self {
        FakeSiteConfig {
            email: "admin@acme-demo.test".to_string(),
            token: "fake-token".to_string(),
            rate_limit_per_sec: None,
            burst: 10,
            rate_limit_headers: RateLimitHeaders::All,
            error_rate: 0.0,
            latency: Duration::ZERO,
            seed: 1,
            near_limit_below: 0.2,
            no_jira: false,
            no_confluence: false,
            site_comments_roots_only: false,
            faults: Box::default(),
        }
    }
}

/// What a fake site has answered so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FakeSiteStats {
    /// Requests per normalised route, e.g. `GET /wiki/api/v2/spaces/{id}/pages`
    /// (gateway requests count under the same route).
    pub per_endpoint: BTreeMap<String, u64>,
    pub total: u64,
    /// 429 answers.
    pub throttled: u64,
    /// Injected 503/500 answers.
    pub injected_errors: u64,
    /// 401 answers.
    pub unauthorized: u64,
    /// Requests that arrived while an announced `Retry-After` window was open.
    pub retry_after_violations: u64,
    /// Every request's route, in the order they arrived.
    pub order: Vec<String>,
    /// Requests that carried an `Authorization` header.
    pub authorized_requests: u64,
}

impl FakeSiteStats {
    /// Requests to one route template.
    pub fn endpoint(&self, route: &str) -> u64 {
        self.per_endpoint.get(route).copied().unwrap_or(0)
    }
}

pub(crate) struct Shared {
    pub data: Arc<SiteData>,
    pub ix: Index,
    pub config: FakeSiteConfig,
    pub base_url: String,
    pub cloud_id: String,
    stats: Mutex<FakeSiteStats>,
    limits: Limits,
    fault_state: faults::FaultState,
}

/// A running fake site.
pub struct FakeSite {
    shared: Arc<Shared>,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl FakeSite {
    /// Serve `data` on 127.0.0.1 (a free port) on the current tokio runtime.
    pub async fn start(data: Arc<SiteData>, config: FakeSiteConfig) -> std::io::Result<FakeSite> {
        FakeSite::start_at(data, config, 0).await
    }

    /// Serve `data` on 127.0.0.1:`port` (0: a free one). A rescan test stops
    /// a site and serves the changed data at the same address, so the store
    /// recognises the target.
    pub async fn start_at(
        data: Arc<SiteData>,
        config: FakeSiteConfig,
        port: u16,
    ) -> std::io::Result<FakeSite> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        let addr = listener.local_addr()?;
        let cloud_id = if data.cloud_id.is_empty() {
            "00000000-0000-4000-8000-000000000000".to_string()
        } else {
            data.cloud_id.clone()
        };
        let shared = Arc::new(Shared {
            ix: Index::build(&data),
            data,
            limits: Limits::new(&config),
            config,
            base_url: format!("http://{addr}"),
            cloud_id,
            stats: Mutex::new(FakeSiteStats::default()),
            fault_state: faults::FaultState::default(),
        });
        let (stop, rx) = oneshot::channel::<()>();
        let app = Router::new().fallback(handle).with_state(shared.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await;
        });
        Ok(FakeSite { shared, stop, task })
    }

    /// `http://127.0.0.1:PORT`
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    pub fn cloud_id(&self) -> String {
        self.shared.cloud_id.clone()
    }

    pub fn stats(&self) -> FakeSiteStats {
        match self.shared.stats.lock() {
            Ok(s) => s.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// Stop serving; open connections get a few seconds to finish.
    pub async fn shutdown(self) {
        let _ = self.stop.send(());
        let mut task = self.task;
        if tokio::time::timeout(Duration::from_secs(5), &mut task)
            .await
            .is_err()
        {
            task.abort();
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Product {
    Confluence,
    Jira,
    Edge,
}

/// The parsed request a route sees.
pub(crate) struct Req<'a> {
    pub method: &'a Method,
    /// Path without the gateway prefix (`/wiki/...`, `/rest/...`).
    pub path: String,
    pub query: Vec<(String, String)>,
    pub body: &'a [u8],
}

impl Req<'_> {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a parameter, repeated or comma-separated, trimmed.
    pub fn list(&self, name: &str) -> Vec<String> {
        self.query
            .iter()
            .filter(|(k, _)| k == name)
            .flat_map(|(_, v)| v.split(','))
            .map(|x| x.trim().to_string())
            .filter(|x| !x.is_empty())
            .collect()
    }
}

fn with_stats(sh: &Shared, f: impl FnOnce(&mut FakeSiteStats)) {
    match sh.stats.lock() {
        Ok(mut s) => f(&mut s),
        Err(p) => f(&mut p.into_inner()),
    }
}

/// Split off the gateway prefix. Returns the product, the inner path, whether
/// the gateway was used, and whether the cloud id matched.
fn classify(path: &str, cloud_id: &str) -> (Product, String, bool, bool) {
    if let Some(rest) = path.strip_prefix("/ex/") {
        let mut parts = rest.splitn(3, '/');
        let product = parts.next().unwrap_or("");
        let cid = parts.next().unwrap_or("");
        let inner = format!("/{}", parts.next().unwrap_or(""));
        let product = match product {
            "confluence" => Product::Confluence,
            _ => Product::Jira,
        };
        let prefix_ok = match product {
            Product::Confluence => inner.starts_with("/wiki/"),
            _ => inner.starts_with("/rest/"),
        };
        return (product, inner, true, cid == cloud_id && prefix_ok);
    }
    let product = if path == "/_edge/tenant_info" {
        Product::Edge
    } else if path.starts_with("/wiki") {
        Product::Confluence
    } else {
        Product::Jira
    };
    (product, path.to_string(), false, true)
}

fn authorized(sh: &Shared, headers: &HeaderMap, gateway: bool) -> bool {
    let Some(auth) = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    if let Some(b64) = auth.strip_prefix("Basic ") {
        let want = format!("{}:{}", sh.config.email, sh.config.token);
        return base64::engine::general_purpose::STANDARD
            .decode(b64.trim())
            .is_ok_and(|got| got == want.as_bytes());
    }
    if let Some(tok) = auth.strip_prefix("Bearer ") {
        return gateway && tok.trim() == sh.config.token;
    }
    false
}

fn unauthorized(product: Product) -> Reply {
    match product {
        Product::Confluence => Reply::json(
            StatusCode::UNAUTHORIZED,
            json!({"errors":[{"status":401,"code":"UNAUTHORIZED","title":"Unauthorized","detail":null}]}),
        ),
        _ => Reply::json(
            StatusCode::UNAUTHORIZED,
            json!({"message":"Client must be authenticated to access this resource.","status-code":401}),
        )
        .header("X-Seraph-LoginReason", "AUTHENTICATED_FAILED"),
    }
}

/// The product's error body for a status.
pub(crate) fn error_reply(product: Product, status: StatusCode, message: &str) -> Reply {
    let body = match product {
        Product::Confluence | Product::Edge => {
            let code = match status.as_u16() {
                400 => "INVALID_REQUEST_PARAMETER",
                404 => "NOT_FOUND",
                405 => "METHOD_NOT_ALLOWED",
                429 => "TOO_MANY_REQUESTS",
                503 => "SERVICE_UNAVAILABLE",
                _ => "INTERNAL_SERVER_ERROR",
            };
            json!({"errors":[{"status":status.as_u16(),"code":code,"title":message,"detail":null}]})
        }
        Product::Jira => json!({"errorMessages":[message],"errors":{}}),
    };
    Reply::json(status, body)
}

async fn handle(
    State(sh): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let arrival = Instant::now();
    let (product, path, gateway, cloud_ok) = classify(uri.path(), &sh.cloud_id);
    let query: Vec<(String, String)> =
        serde_urlencoded::from_str(uri.query().unwrap_or("")).unwrap_or_default();
    let req = Req {
        method: &method,
        path,
        query,
        body: &body,
    };
    let absent = match product {
        Product::Confluence => sh.config.no_confluence,
        Product::Jira => sh.config.no_jira,
        Product::Edge => false,
    };
    let (route, reply) = if !cloud_ok {
        (
            format!("{method} /ex/(unknown)"),
            error_reply(product, StatusCode::NOT_FOUND, "Not Found"),
        )
    } else if absent {
        (
            format!("{method} (product not on the site)"),
            error_reply(product, StatusCode::NOT_FOUND, "Not Found"),
        )
    } else {
        match product {
            Product::Edge => (
                format!("{method} /_edge/tenant_info"),
                Reply::json(StatusCode::OK, json!({"cloudId": sh.cloud_id})),
            ),
            Product::Confluence => confluence::route(&sh, &req),
            Product::Jira => jira::route(&sh, &req),
        }
    };

    let violation = sh.limits.is_violation(peer, &route, arrival);
    let mut reply = faults::replace(
        &sh.config.faults,
        &sh.fault_state,
        product,
        &route,
        &req.path,
        uri.query().unwrap_or(""),
        reply,
    );
    let mut counted = (false, false, false);
    if let Some(throttled) = sh.limits.take(product) {
        reply = throttled;
        counted.0 = true;
    } else if let Some(err) = sh.limits.inject_error(product) {
        reply = err;
        counted.1 = true;
    } else {
        if product != Product::Edge && cloud_ok && !authorized(&sh, &headers, gateway) {
            reply = unauthorized(product);
            counted.2 = true;
        }
        sh.limits.annotate(&mut reply);
    }
    with_stats(&sh, |s| {
        s.total += 1;
        *s.per_endpoint.entry(route.clone()).or_default() += 1;
        s.throttled += u64::from(counted.0);
        s.injected_errors += u64::from(counted.1);
        s.unauthorized += u64::from(counted.2);
        s.retry_after_violations += u64::from(violation);
        s.authorized_requests += u64::from(headers.contains_key(axum::http::header::AUTHORIZATION));
        s.order.push(route);
    });

    if !sh.config.latency.is_zero() {
        tokio::time::sleep(sh.config.latency).await;
    }
    if let Some(secs) = reply.retry_after {
        sh.limits.announce(
            peer,
            Instant::now(),
            Duration::from_secs(secs),
            reply.retry_scope.as_deref().map(str::to_string),
        );
    }
    into_response(reply)
}

fn into_response(r: Reply) -> Response {
    let (bytes, content_type, gzip) = match r.raw {
        Some(raw) => {
            let raw = *raw;
            (raw.bytes, raw.content_type, raw.gzip)
        }
        None => (
            r.body.to_string().into_bytes(),
            "application/json;charset=UTF-8",
            false,
        ),
    };
    let mut resp = (r.status, bytes).into_response();
    let h = resp.headers_mut();
    h.insert(
        axum::http::header::CONTENT_TYPE,
        HeaderValue::from_static(content_type),
    );
    if gzip {
        h.insert(
            axum::http::header::CONTENT_ENCODING,
            HeaderValue::from_static("gzip"),
        );
    }
    if let Some(secs) = r.retry_after {
        h.insert(axum::http::header::RETRY_AFTER, HeaderValue::from(secs));
    }
    for (k, v) in r.headers {
        if let Ok(v) = HeaderValue::from_str(&v) {
            h.append(k, v);
        }
    }
    resp
}
