//! The HTTP client of the crawler: authentication, the in-flight budget of a
//! site, retries that honour `Retry-After`, and request counting.
//!
//! One [`Client`] talks to one site. Every GET goes through [`Client::get`]
//! (or [`Client::get_with`], which decodes the body its own way):
//! - at most `concurrency` requests are in flight (one semaphore);
//! - a 429 or 503 sets a "not before" instant from `Retry-After` (seconds or
//!   an HTTP date), else `Beta-Retry-After`, else exponential backoff with
//!   full jitter. The wait asked for is honoured as sent, up to
//!   [`ClientConfig::max_wait`]; a longer one fails the request at once
//!   ([`RequestError::WaitTooLong`]) instead of stalling the crawl for hours;
//! - which requests a window holds back: a 429 slows only its own endpoint
//!   (the label, e.g. `jira.search`), because Atlassian's burst limits for
//!   API-token traffic are counted per endpoint and the rest of the site is
//!   still served. The whole site waits only when the server says the whole
//!   tenant is limited: a 503 (the site itself is unavailable), or a 429
//!   whose `RateLimit-Reason`, `X-Beta-Ratelimit-Reason` or
//!   `Beta-Ratelimit-Policy` names a tenant quota (`jira-quota-tenant-based`,
//!   `"tenant-app-quota"`; headers seen live in 2026, atlassian-api.md §8);
//! - other 5xx answers, transport errors and 200 answers whose body is not
//!   the endpoint's JSON (an HTML page from a proxy, a body cut short) are
//!   retried with backoff, a bounded number of times;
//! - a body is read as a stream and refused as soon as it passes
//!   [`ClientConfig::max_response_bytes`], compressed or decompressed
//!   (`Content-Length` is checked first). Decompression is ours (flate2,
//!   under the same limit), not reqwest's, so that a gzip bomb is stopped
//!   after the limit rather than inflated into memory;
//! - a redirect to another host (or port) is refused: the credential never
//!   leaves the site it was given for ([`RequestError::RedirectRefused`]);
//! - before each request, the [`Pacer`](super::pacer::Pacer) waits just
//!   long enough to stay under the budget the server announced
//!   (`X-RateLimit-*`, `Beta-RateLimit*`, `X-RateLimit-NearLimit`), so that a
//!   long crawl gets few 429s; without those headers it adds no delay;
//! - 401 is [`RequestError::Unauthorized`] (never retried), 404 is
//!   [`RequestError::NotFound`] (Atlassian hides what the account cannot see).
//!
//! The token is kept only inside the prepared `Authorization` header, marked
//! sensitive, and never appears in errors, logs or `Debug` output.

use super::pacer::{Pacer, PacerConfig, Ticket};
use crate::text::deep_json;
use base64::Engine as _;
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT_ENCODING, AUTHORIZATION, CONTENT_ENCODING};
use reqwest::StatusCode;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::io::Write as _;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};
use tokio::sync::Semaphore;
use tokio::time::Instant;
use url::Url;

/// How the crawler proves who it is.
#[derive(Clone)]
pub enum Auth {
    /// Atlassian account email + API token (HTTP Basic).
    Basic { email: String, token: String },
    /// OAuth 2.0 access token (gateway only).
    Bearer { token: String },
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::Basic { email, .. } => write!(f, "Basic({email}, token: ***)"),
            Auth::Bearer { .. } => f.write_str("Bearer(***)"),
        }
    }
}

impl Auth {
    /// Names the credential without revealing it.
    pub fn describe(&self) -> String {
        match self {
            Auth::Basic { email, .. } => format!("the API token of {email} (Basic auth)"),
            Auth::Bearer { .. } => "the OAuth bearer token".to_string(),
        }
    }

    fn header(&self) -> Result<HeaderValue, RequestError> {
        let raw = match self {
            Auth::Basic { email, token } => format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{email}:{token}"))
            ),
            Auth::Bearer { token } => format!("Bearer {token}"),
        };
        let mut v = HeaderValue::from_str(&raw).map_err(|_| {
            RequestError::Config(
                "the credential contains characters not allowed in a header".into(),
            )
        })?;
        v.set_sensitive(true);
        Ok(v)
    }
}

/// Where to create an API token (shown with every 401).
pub const TOKEN_HELP_URL: &str = "https://id.atlassian.com/manage-profile/security/api-tokens";

/// Why one request finally failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RequestError {
    #[error("401 Unauthorized from {endpoint}")]
    Unauthorized { endpoint: String },
    #[error("403 Forbidden from {endpoint}")]
    Forbidden { endpoint: String },
    #[error("404 Not Found from {endpoint}")]
    NotFound { endpoint: String },
    #[error("HTTP {status} from {endpoint}")]
    Status { status: u16, endpoint: String },
    #[error("{endpoint}: gave up after {attempts} attempts, last: {last}")]
    Exhausted {
        endpoint: String,
        attempts: u32,
        last: String,
    },
    #[error("{endpoint}: the answer is not the JSON expected: {reason}")]
    Decode { endpoint: String, reason: String },
    #[error("{endpoint}: response larger than {limit_mib} MiB; raise --max-response-mb")]
    TooLarge { endpoint: String, limit_mib: u64 },
    #[error(
        "{endpoint}: the server asked to wait {asked_secs} s, longer than --max-wait ({max_secs} s); not waiting"
    )]
    WaitTooLong {
        endpoint: String,
        asked_secs: u64,
        max_secs: u64,
    },
    #[error("{endpoint}: a redirect to another host was refused ({from} to {to})")]
    RedirectRefused {
        endpoint: String,
        from: String,
        to: String,
    },
    #[error("{0}")]
    Config(String),
}

/// Retry policy and budget of one site.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Retries of one request after a 5xx (503 included) or transport error.
    pub max_retries: u32,
    /// Retries of one request after 429s (throttling is expected on a large
    /// crawl, so it has its own, larger budget).
    pub max_throttled: u32,
    /// First backoff step (doubled per retry, full jitter).
    pub backoff_base: Duration,
    /// Longest backoff step of our own (when the server names no wait).
    pub backoff_cap: Duration,
    /// Longest `Retry-After` honoured; a server asking for more fails the
    /// request (`--max-wait`).
    pub max_wait: Duration,
    /// Largest response body, compressed and after decompression
    /// (`--max-response-mb`).
    pub max_response_bytes: u64,
    /// With the announced budget spent and no refill rate announced,
    /// requests go one at a time, this long after the last answer.
    pub probe_pause: Duration,
    /// A budget estimate without a rate or reset is forgotten this long
    /// after the server last announced it.
    pub pace_hold: Duration,
    /// Time limit of one request.
    pub request_timeout: Duration,
    /// Live counters for the progress display (requests and retries per product).
    pub progress: Option<std::sync::Arc<crate::progress::Counters>>,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            concurrency: 8,
            max_retries: 5,
            max_throttled: 30,
            backoff_base: Duration::from_millis(500),
            backoff_cap: Duration::from_secs(30),
            max_wait: Duration::from_secs(15 * 60),
            max_response_bytes: 64 * 1024 * 1024,
            probe_pause: Duration::from_millis(50),
            pace_hold: Duration::from_secs(2),
            request_timeout: Duration::from_secs(60),
            progress: None,
        }
    }
}

/// Requests made, by endpoint.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct RequestStats {
    /// Every request sent, retries included.
    pub total: u64,
    /// Requests sent per endpoint label (`confluence.pages`, `jira.search`...).
    pub by_endpoint: BTreeMap<String, u64>,
    /// Requests that were repeats of a failed attempt.
    pub retries: u64,
    /// 429 answers received.
    pub rate_limited: u64,
    /// 429s per 1,000 requests sent (computed by [`Client::stats`]).
    pub rate_limited_per_1000: f64,
    /// Requests the pacer held back to stay under the announced budget.
    pub paced: u64,
    /// Their delays added up, in milliseconds (requests wait side by side,
    /// so this may exceed the crawl's duration).
    pub paced_ms: u64,
    /// 5xx answers and transport errors received.
    pub server_errors: u64,
    /// Answers that carried `X-RateLimit-NearLimit: true`.
    pub near_limit: u64,
    /// 200 answers whose body was not the endpoint's JSON (retried).
    pub bad_bodies: u64,
}

#[derive(Debug, Default)]
struct Pace {
    /// No request to the site may be sent before this instant (a window the
    /// server set for the whole tenant).
    site_not_before: Option<Instant>,
    /// No request to an endpoint may be sent before its instant (a 429 of
    /// that endpoint).
    endpoint_not_before: HashMap<String, Instant>,
}

/// One answer: its JSON body and the headers that matter for paging.
#[derive(Debug, Clone)]
pub struct Answer {
    pub json: Value,
    /// The `Link` header's `rel="next"` target, if any.
    pub link_next: Option<String>,
}

/// The HTTP client of one site.
pub struct Client {
    /// One HTTP client (one keep-alive connection) per concurrency slot.
    http: Vec<reqwest::Client>,
    free_slots: Mutex<Vec<usize>>,
    auth: HeaderValue,
    config: ClientConfig,
    sem: Semaphore,
    /// When the next request may go, from the budget the server announced.
    pacer: Pacer,
    pace: Mutex<Pace>,
    /// Held (shared) from the last window check until a request's answer
    /// arrives, and exclusively while a 429/503 announces a window: no
    /// request can pass its check and then go out after the window opened.
    gate: tokio::sync::RwLock<()>,
    stats: Mutex<RequestStats>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// A concurrency permit with the slot (connection) it may use.
struct Slot<'a> {
    index: usize,
    free: &'a Mutex<Vec<usize>>,
    _permit: tokio::sync::SemaphorePermit<'a>,
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        // Runs before the permit is released: the slot is free before anyone
        // can be let in to take it.
        if let Ok(mut f) = self.free.lock() {
            f.push(self.index);
        }
    }
}

impl Client {
    pub fn new(auth: &Auth, config: ClientConfig) -> Result<Client, RequestError> {
        // One connection per slot: a connection that has just carried a 429
        // or 503 is used again only by the next holder of its slot, who
        // checks the announced window first. With one shared pool, a request
        // already past its check could pick that connection up at once.
        let slots = config.concurrency.max(1);
        let http = (0..slots)
            .map(|_| {
                reqwest::Client::builder()
                    .user_agent(concat!("withhold/", env!("CARGO_PKG_VERSION")))
                    .timeout(config.request_timeout)
                    // We decompress ourselves, under the body limit.
                    .gzip(false)
                    .redirect(same_host_redirects())
                    .pool_max_idle_per_host(1)
                    .build()
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| RequestError::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(Client {
            http,
            free_slots: Mutex::new((0..slots).rev().collect()),
            auth: auth.header()?,
            sem: Semaphore::new(config.concurrency.max(1)),
            pacer: Pacer::new(PacerConfig {
                probe_pause: config.probe_pause,
                hold: config.pace_hold,
                max_wait: config.backoff_cap,
            }),
            config,
            pace: Mutex::new(Pace::default()),
            gate: tokio::sync::RwLock::new(()),
            stats: Mutex::new(RequestStats::default()),
        })
    }

    /// What was sent so far.
    pub fn stats(&self) -> RequestStats {
        let mut s = self.stats.lock().map(|s| s.clone()).unwrap_or_default();
        s.rate_limited_per_1000 = per_1000(s.rate_limited, s.total);
        s
    }

    fn count(&self, endpoint: &str, retry: bool, f: impl FnOnce(&mut RequestStats)) {
        if let Some(progress) = &self.config.progress {
            // Endpoint labels start with their product: `confluence.pages`, `jira.search`.
            let product = if endpoint.starts_with("confluence") {
                crate::model::Product::Confluence
            } else if endpoint.starts_with("jsm") {
                crate::model::Product::Jsm
            } else {
                crate::model::Product::Jira
            };
            let c = progress.product(product);
            crate::progress::ProductCounters::add(&c.requests, 1);
            if retry {
                crate::progress::ProductCounters::add(&c.retries, 1);
            }
        }
        if let Ok(mut s) = self.stats.lock() {
            s.total += 1;
            *s.by_endpoint.entry(endpoint.to_string()).or_default() += 1;
            if retry {
                s.retries += 1;
            }
            f(&mut s);
        }
    }

    fn bump(&self, f: impl FnOnce(&mut RequestStats)) {
        if let Ok(mut s) = self.stats.lock() {
            f(&mut s);
        }
    }

    /// Until when a request to `endpoint` must wait (a Retry-After window of
    /// the site or of the endpoint still open), if at all.
    fn wait_needed(&self, endpoint: &str) -> Option<Instant> {
        let now = Instant::now();
        let pace = self.pace.lock().ok()?;
        let own = pace.endpoint_not_before.get(endpoint).copied();
        [pace.site_not_before, own]
            .into_iter()
            .flatten()
            .filter(|t| *t > now)
            .max()
    }

    /// Wait out the open windows of `endpoint`, showing until when; a window
    /// longer than `max_wait` fails the request instead.
    async fn wait_for_window(&self, endpoint: &str) -> Result<(), RequestError> {
        while let Some(t) = self.wait_needed(endpoint) {
            let left = t.saturating_duration_since(Instant::now());
            if left > self.config.max_wait {
                return Err(self.too_long(endpoint, left));
            }
            if let Some(progress) = &self.config.progress {
                progress.waiting_until(SystemTime::now() + left);
            }
            tokio::time::sleep_until(t).await;
        }
        Ok(())
    }

    fn too_long(&self, endpoint: &str, asked: Duration) -> RequestError {
        RequestError::WaitTooLong {
            endpoint: endpoint.to_string(),
            asked_secs: asked.as_secs_f64().ceil() as u64,
            max_secs: self.config.max_wait.as_secs(),
        }
    }

    /// Open a window: for the whole site, or for one endpoint.
    fn push_not_before(&self, endpoint: Option<&str>, until: Instant) {
        if let Ok(mut p) = self.pace.lock() {
            let slot = match endpoint {
                None => &mut p.site_not_before,
                Some(e) => {
                    let t = p.endpoint_not_before.entry(e.to_string()).or_insert(until);
                    *t = (*t).max(until);
                    return;
                }
            };
            if slot.is_none_or(|t| t < until) {
                *slot = Some(until);
            }
        }
    }

    /// Wait for the pacer, counting (and, when long, showing) the delay.
    async fn paced(&self, endpoint: &str) -> Ticket<'_> {
        let ticket = self.pacer.ready(endpoint).await;
        if !ticket.waited.is_zero() {
            let ms = u64::try_from(ticket.waited.as_millis()).unwrap_or(u64::MAX);
            self.bump(|s| {
                s.paced += 1;
                s.paced_ms = s.paced_ms.saturating_add(ms);
            });
        }
        ticket
    }

    /// GET `url` (absolute) and parse its JSON (of any depth), with retries.
    /// `endpoint` labels the request in the statistics, in errors and in the
    /// rate-limit windows (never the full URL: it may carry cursors, but never
    /// credentials).
    pub async fn get(&self, url: &str, endpoint: &str) -> Result<Answer, RequestError> {
        let (json, link_next) = self.get_with(url, endpoint, parse_json).await?;
        Ok(Answer { json, link_next })
    }

    /// GET `url` and decode its body with `decode`; a body `decode` refuses
    /// is retried like a 5xx (a proxy's HTML page, a body cut short). Returns
    /// the decoded body and the `Link` header's next target.
    pub async fn get_with<T>(
        &self,
        url: &str,
        endpoint: &str,
        decode: impl Fn(&[u8]) -> Result<T, String>,
    ) -> Result<(T, Option<String>), RequestError> {
        self.request_with(url, None, endpoint, decode).await
    }

    /// POST `body` as JSON to `url` and parse the answer, with the same
    /// retries as a GET. Only for Atlassian's bulk *reads* (`/issue/bulkfetch`):
    /// sending one twice changes nothing.
    pub async fn post_read(
        &self,
        url: &str,
        body: &Value,
        endpoint: &str,
    ) -> Result<Answer, RequestError> {
        let (json, link_next) = self
            .request_with(url, Some(body), endpoint, parse_json)
            .await?;
        Ok(Answer { json, link_next })
    }

    async fn request_with<T>(
        &self,
        url: &str,
        body: Option<&Value>,
        endpoint: &str,
        decode: impl Fn(&[u8]) -> Result<T, String>,
    ) -> Result<(T, Option<String>), RequestError> {
        // `attempt` counts failures that back off; `throttled` counts 429s.
        let mut attempt: u32 = 0;
        let mut throttled: u32 = 0;
        let mut sent_before = false;
        let mut last = String::new();
        loop {
            if attempt > self.config.max_retries || throttled > self.config.max_throttled {
                return Err(RequestError::Exhausted {
                    endpoint: endpoint.to_string(),
                    attempts: attempt + throttled,
                    last,
                });
            }
            // Wait out any open window, then the pacer, then take a slot,
            // then re-check: the window may have opened while we queued.
            // Pacing comes before the slot so that a request held back for
            // its endpoint's budget does not hold a slot another endpoint
            // could use.
            self.wait_for_window(endpoint).await?;
            let ticket = self.paced(endpoint).await;
            let permit = self
                .sem
                .acquire()
                .await
                .map_err(|_| RequestError::Config("the client was closed".into()))?;
            let permit = Slot {
                index: self
                    .free_slots
                    .lock()
                    .ok()
                    .and_then(|mut f| f.pop())
                    .unwrap_or(0),
                free: &self.free_slots,
                _permit: permit,
            };
            // The window may have opened while we queued: never send inside it.
            let gate = self.gate.read().await;
            if self.wait_needed(endpoint).is_some() {
                drop(gate);
                drop(ticket);
                drop(permit);
                continue;
            }
            let retry = sent_before;
            sent_before = true;
            let http = &self.http[permit.index % self.http.len()];
            let request = match body {
                Some(b) => http.post(url).json(b),
                None => http.get(url),
            };
            let sent = request
                .header(AUTHORIZATION, self.auth.clone())
                .header(reqwest::header::ACCEPT, "application/json")
                .header(ACCEPT_ENCODING, "gzip")
                .send()
                .await;
            drop(gate);
            let resp = match sent {
                Ok(r) => r,
                Err(e) => {
                    drop(ticket);
                    drop(permit);
                    self.count(endpoint, retry, |s| s.server_errors += 1);
                    if let Some(refused) = cross_host(&e) {
                        return Err(RequestError::RedirectRefused {
                            endpoint: endpoint.to_string(),
                            from: refused.from.clone(),
                            to: refused.to.clone(),
                        });
                    }
                    attempt += 1;
                    last = transport_reason(e);
                    tokio::time::sleep(self.backoff(attempt)).await;
                    continue;
                }
            };
            let status = resp.status();
            let headers = resp.headers().clone();
            if header_str(&headers, "x-ratelimit-nearlimit")
                .is_some_and(|v| v.eq_ignore_ascii_case("true"))
            {
                self.bump(|s| s.near_limit += 1);
            }
            // Every answer, 429s included, tells the pacer what is left.
            ticket.answered(status, &headers);
            if status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::SERVICE_UNAVAILABLE
            {
                if status == StatusCode::TOO_MANY_REQUESTS {
                    throttled += 1;
                } else {
                    attempt += 1;
                }
                self.count(endpoint, retry, |s| {
                    if status == StatusCode::TOO_MANY_REQUESTS {
                        s.rate_limited += 1
                    } else {
                        s.server_errors += 1
                    }
                });
                // The server's own wait is honoured as sent; our backoff
                // only when it names none.
                let asked = retry_after(&headers, SystemTime::now());
                let wait = asked.unwrap_or_else(|| self.backoff(attempt.max(throttled)));
                let scope = (!limits_whole_site(status, &headers)).then_some(endpoint);
                {
                    // Announce the window before releasing the slot, so that
                    // no queued request slips in. Waits for the requests
                    // already past their check; new ones wait for this, then
                    // see the window.
                    let _announcing = self.gate.write().await;
                    self.push_not_before(scope, Instant::now() + wait);
                }
                drop(permit);
                if wait > self.config.max_wait {
                    return Err(self.too_long(endpoint, wait));
                }
                last = format!("HTTP {}", status.as_u16());
                continue;
            }
            if status.is_server_error() {
                drop(permit);
                attempt += 1;
                self.count(endpoint, retry, |s| s.server_errors += 1);
                last = format!("HTTP {}", status.as_u16());
                tokio::time::sleep(self.backoff(attempt)).await;
                continue;
            }
            self.count(endpoint, retry, |_| {});
            let ep = endpoint.to_string();
            match status {
                StatusCode::UNAUTHORIZED => {
                    return Err(RequestError::Unauthorized { endpoint: ep });
                }
                StatusCode::FORBIDDEN => return Err(RequestError::Forbidden { endpoint: ep }),
                StatusCode::NOT_FOUND => return Err(RequestError::NotFound { endpoint: ep }),
                s if !s.is_success() => {
                    return Err(RequestError::Status {
                        status: s.as_u16(),
                        endpoint: ep,
                    })
                }
                _ => {}
            }
            let link_next = headers
                .get_all(reqwest::header::LINK)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .find_map(link_next);
            let body = read_body(resp, self.config.max_response_bytes).await;
            drop(permit);
            let reason = match body {
                Ok(b) => match decode(&b) {
                    Ok(v) => return Ok((v, link_next)),
                    Err(reason) => format!("the answer is not the JSON expected: {reason}"),
                },
                Err(BodyError::TooLarge) => {
                    return Err(RequestError::TooLarge {
                        endpoint: ep,
                        limit_mib: self.config.max_response_bytes.div_ceil(1024 * 1024),
                    })
                }
                Err(BodyError::Broken(reason)) => reason,
            };
            // A 200 whose body is not the endpoint's JSON is a proxy or a
            // connection at fault, not the data: retried like a 5xx.
            attempt += 1;
            self.bump(|s| s.bad_bodies += 1);
            last = reason;
            tokio::time::sleep(self.backoff(attempt)).await;
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        backoff_delay(
            attempt,
            self.config.backoff_base,
            self.config.backoff_cap,
            random_unit(),
        )
    }
}

fn transport_reason(e: reqwest::Error) -> String {
    // Strip the URL: keep messages short and uniform.
    let e = e.without_url();
    if e.is_timeout() {
        "timed out".to_string()
    } else if e.is_connect() {
        "could not connect".to_string()
    } else {
        format!("transport error: {e}")
    }
}

/// JSON of any depth (the editor nests deeper than serde_json's default 128).
fn parse_json(body: &[u8]) -> Result<Value, String> {
    deep_json::parse_slice(body).map_err(|e| e.to_string())
}

/// Whether a 429/503 limits the whole site rather than the endpoint that got
/// it (see the module docs for the signals and why).
pub fn limits_whole_site(status: StatusCode, h: &HeaderMap) -> bool {
    if status == StatusCode::SERVICE_UNAVAILABLE {
        return true;
    }
    [
        "ratelimit-reason",
        "x-beta-ratelimit-reason",
        "beta-ratelimit-policy",
    ]
    .iter()
    .filter_map(|n| header_str(h, n))
    .any(|v| v.to_ascii_lowercase().contains("tenant"))
}

/// `n` per 1,000 of `total` (0 when nothing was sent).
pub fn per_1000(n: u64, total: u64) -> f64 {
    if total == 0 {
        0.0
    } else {
        n as f64 * 1000.0 / total as f64
    }
}

/// A redirect our policy refused: the hosts only, never a path or a query.
#[derive(Debug, thiserror::Error)]
#[error("a redirect to another host was refused ({from} to {to})")]
struct CrossHostRedirect {
    from: String,
    to: String,
}

/// `scheme://host[:port]` of a URL: enough to name it, nothing it carries.
fn origin(u: &Url) -> String {
    let host = u.host_str().unwrap_or("");
    match u.port() {
        Some(p) => format!("{}://{host}:{p}", u.scheme()),
        None => format!("{}://{host}", u.scheme()),
    }
}

/// Follow redirects on the same scheme, host and port only (at most 10). A
/// redirect elsewhere is refused outright: reqwest would strip the
/// `Authorization` header, but the crawl would then read another host's
/// answers as the site's.
fn same_host_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let Some(prev) = attempt.previous().last() else {
            return attempt.follow();
        };
        let (from, to) = (origin(prev), origin(attempt.url()));
        if from != to {
            attempt.error(CrossHostRedirect { from, to })
        } else if attempt.previous().len() > 10 {
            attempt.error("too many redirects")
        } else {
            attempt.follow()
        }
    })
}

/// The refused cross-host redirect behind a transport error, if that is what it was.
fn cross_host(e: &reqwest::Error) -> Option<&CrossHostRedirect> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(r) = s.downcast_ref::<CrossHostRedirect>() {
            return Some(r);
        }
        source = s.source();
    }
    None
}

/// Why a body could not be read.
enum BodyError {
    /// Past the limit, compressed or decompressed: not retried (it would be again).
    TooLarge,
    /// Cut short or corrupt: retried.
    Broken(String),
}

/// A buffer that refuses to grow past its limit (the decompressor's sink).
struct Capped {
    buf: Vec<u8>,
    limit: u64,
    over: bool,
}

impl Capped {
    fn new(limit: u64) -> Capped {
        Capped {
            buf: Vec::new(),
            limit,
            over: false,
        }
    }
}

impl std::io::Write for Capped {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if self.buf.len() as u64 + data.len() as u64 > self.limit {
            self.over = true;
            return Err(std::io::Error::other("response over the size limit"));
        }
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Read a body as a stream under `limit` bytes, both as sent and (gzip)
/// after decompression; stops at the first chunk past the limit.
async fn read_body(mut resp: reqwest::Response, limit: u64) -> Result<Vec<u8>, BodyError> {
    if resp.content_length().is_some_and(|n| n > limit) {
        return Err(BodyError::TooLarge);
    }
    let gzip = header_str(resp.headers(), CONTENT_ENCODING.as_str())
        .is_some_and(|v| v.eq_ignore_ascii_case("gzip"));
    let mut plain = (!gzip).then(|| Capped::new(limit));
    let mut inflating = gzip.then(|| flate2::write::MultiGzDecoder::new(Capped::new(limit)));
    let mut received: u64 = 0;
    let inflate_error = |d: &flate2::write::MultiGzDecoder<Capped>, e: std::io::Error| {
        if d.get_ref().over {
            BodyError::TooLarge
        } else {
            BodyError::Broken(format!("the gzip body is corrupt: {e}"))
        }
    };
    loop {
        let chunk = match resp.chunk().await {
            Ok(Some(c)) => c,
            Ok(None) => break,
            Err(e) => return Err(BodyError::Broken(transport_reason(e))),
        };
        received += chunk.len() as u64;
        if received > limit {
            return Err(BodyError::TooLarge);
        }
        if let Some(d) = inflating.as_mut() {
            if let Err(e) = d.write_all(&chunk) {
                return Err(inflate_error(d, e));
            }
        } else if let Some(p) = plain.as_mut() {
            if p.write_all(&chunk).is_err() {
                return Err(BodyError::TooLarge);
            }
        }
    }
    match (inflating, plain) {
        (Some(mut d), _) => match d.try_finish() {
            Ok(()) => d
                .finish()
                .map(|c| c.buf)
                .map_err(|e| BodyError::Broken(format!("the gzip body is corrupt: {e}"))),
            Err(e) => Err(inflate_error(&d, e)),
        },
        (None, Some(p)) => Ok(p.buf),
        (None, None) => Ok(Vec::new()),
    }
}

fn header_str<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok()).map(str::trim)
}

/// The wait a 429/503 asks for: `Retry-After`, else `Beta-Retry-After`; each
/// either delta-seconds (fractions accepted) or an HTTP date.
pub fn retry_after(h: &HeaderMap, now: SystemTime) -> Option<Duration> {
    ["retry-after", "beta-retry-after"]
        .iter()
        .find_map(|n| header_str(h, n).and_then(|v| parse_retry_after(v, now)))
}

/// Parse one `Retry-After` value: seconds (`"2"`, `"1.5"`) or an HTTP date
/// (`"Wed, 21 Oct 2026 07:28:00 GMT"`; a date in the past means no wait).
pub fn parse_retry_after(v: &str, now: SystemTime) -> Option<Duration> {
    let v = v.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = v.parse::<f64>() {
        if secs.is_finite() && secs >= 0.0 {
            return Some(Duration::from_secs_f64(secs.min(86_400.0)));
        }
        return None;
    }
    let when = httpdate::parse_http_date(v).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Exponential backoff with full jitter: a uniform pick in
/// `[0, min(cap, base × 2^(attempt-1))]`; `unit` is the random pick in [0, 1).
pub fn backoff_delay(attempt: u32, base: Duration, cap: Duration, unit: f64) -> Duration {
    let exp = base.saturating_mul(1u32 << attempt.saturating_sub(1).min(20));
    let ceiling = exp.min(cap);
    ceiling.mul_f64(unit.clamp(0.0, 1.0))
}

fn random_unit() -> f64 {
    match getrandom::u64() {
        Ok(x) => (x >> 11) as f64 / (1u64 << 53) as f64,
        Err(_) => 0.5,
    }
}

/// The `rel="next"` target of one `Link` header value, if it has one.
pub fn link_next(header: &str) -> Option<String> {
    header.split(',').find_map(|part| {
        let part = part.trim();
        let (target, params) = part.split_once(';')?;
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        let is_next = params.split(';').any(|p| {
            let p = p.trim();
            p.strip_prefix("rel=")
                .map(|r| r.trim_matches('"').split_whitespace().any(|r| r == "next"))
                .unwrap_or(false)
        });
        is_next.then(|| target.to_string())
    })
}

/// The URL of the next page: the next link's *query* joined onto our own base
/// and path, so that paging through the gateway stays on the gateway.
///
/// `next` may be relative (`/wiki/api/v2/pages?cursor=X`) or absolute.
pub fn join_next(base: &str, path: &str, next: &str) -> Option<String> {
    let parsed = Url::parse(next)
        .or_else(|_| Url::parse("https://placeholder.invalid").and_then(|b| b.join(next)))
        .ok()?;
    let query = parsed.query()?;
    Some(format!("{}{}?{}", base.trim_end_matches('/'), path, query))
}

/// Whether `url` may be used: `https`, or `http` to a loopback host only.
pub fn check_scheme(url: &str) -> Result<Url, String> {
    let u = Url::parse(url).map_err(|e| format!("{url:?} is not a URL: {e}"))?;
    match u.scheme() {
        "https" => Ok(u),
        "http" if is_loopback(&u) => Ok(u),
        "http" => Err(format!(
            "refusing plain http:// to {}: credentials would travel unencrypted (http is allowed only for loopback addresses)",
            u.host_str().unwrap_or("")
        )),
        s => Err(format!("unsupported URL scheme {s:?}")),
    }
}

/// 127.0.0.0/8, ::1 and `localhost`.
pub fn is_loopback(u: &Url) -> bool {
    match u.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(parse_retry_after("3", now), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after(" 1.5 ", now),
            Some(Duration::from_millis(1500))
        );
        let later = httpdate::fmt_http_date(now + Duration::from_secs(7));
        assert_eq!(parse_retry_after(&later, now), Some(Duration::from_secs(7)));
        let past = httpdate::fmt_http_date(now - Duration::from_secs(7));
        assert_eq!(parse_retry_after(&past, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-1", now), None);
    }

    #[test]
    fn retry_after_falls_back_to_beta_header() {
        let now = SystemTime::now();
        let mut h = HeaderMap::new();
        h.insert("beta-retry-after", HeaderValue::from_static("4"));
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(4)));
        h.insert("retry-after", HeaderValue::from_static("2"));
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(2)));
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
    }

    #[test]
    fn backoff_is_bounded_and_grows() {
        let base = Duration::from_millis(500);
        let cap = Duration::from_secs(30);
        assert_eq!(backoff_delay(1, base, cap, 0.0), Duration::ZERO);
        assert!(backoff_delay(1, base, cap, 0.999) < base);
        assert!(backoff_delay(3, base, cap, 0.999) > Duration::from_millis(1900));
        for a in 0..100 {
            assert!(backoff_delay(a, base, cap, 1.0) <= cap);
        }
        let r = random_unit();
        assert!((0.0..1.0).contains(&r));
    }

    #[test]
    fn link_header_next() {
        assert_eq!(
            link_next(r#"</wiki/api/v2/pages?limit=5&cursor=XYZ>; rel="next""#).as_deref(),
            Some("/wiki/api/v2/pages?limit=5&cursor=XYZ")
        );
        assert_eq!(
            link_next(r#"<https://a/x?cursor=1>; rel="prev", <https://a/x?cursor=2>; rel="next""#)
                .as_deref(),
            Some("https://a/x?cursor=2")
        );
        assert_eq!(link_next(r#"</x?cursor=1>; rel="prev""#), None);
    }

    #[test]
    fn next_link_query_joins_our_base() {
        let gw = "https://api.atlassian.com/ex/confluence/abc";
        assert_eq!(
            join_next(gw, "/wiki/api/v2/spaces", "/wiki/api/v2/spaces?limit=250&cursor=Z%3D").as_deref(),
            Some("https://api.atlassian.com/ex/confluence/abc/wiki/api/v2/spaces?limit=250&cursor=Z%3D")
        );
        assert_eq!(
            join_next(
                "http://127.0.0.1:9/",
                "/wiki/api/v2/pages",
                "https://acme.atlassian.net/wiki/api/v2/pages?cursor=1"
            )
            .as_deref(),
            Some("http://127.0.0.1:9/wiki/api/v2/pages?cursor=1")
        );
        assert_eq!(join_next(gw, "/x", "/x"), None);
    }

    #[test]
    fn http_only_for_loopback() {
        assert!(check_scheme("https://acme.atlassian.net").is_ok());
        assert!(check_scheme("http://127.0.0.1:8080").is_ok());
        assert!(check_scheme("http://127.1.2.3").is_ok());
        assert!(check_scheme("http://[::1]:80").is_ok());
        assert!(check_scheme("http://localhost:3000").is_ok());
        assert!(check_scheme("http://acme.atlassian.net").is_err());
        assert!(check_scheme("http://10.0.0.1").is_err());
        assert!(check_scheme("http://localhost.evil.com").is_err());
        assert!(check_scheme("ftp://x").is_err());
    }

    #[test]
    fn auth_debug_hides_token() {
        let a = Auth::Basic {
            email: "a@b.c".into(),
            token: "SECRET-TOKEN".into(),
        };
        assert!(!format!("{a:?}").contains("SECRET"));
        assert!(!a.describe().contains("SECRET"));
        let h = a.header().unwrap();
        assert!(h.is_sensitive());
    }
}
