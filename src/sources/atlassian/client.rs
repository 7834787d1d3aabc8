//! The HTTP client of the crawler: authentication, the in-flight budget of a
//! site, retries that honour `Retry-After`, and request counting.
//!
//! One [`Client`] talks to one site. Every GET goes through [`Client::get`]:
//! - at most `concurrency` requests are in flight (one semaphore);
//! - a 429 or 503 sets a shared "not before" instant from `Retry-After`
//!   (seconds or an HTTP date), else `Beta-Retry-After`, else exponential
//!   backoff with full jitter; no request to the site is sent before it;
//! - other 5xx answers and transport errors are retried with backoff, a
//!   bounded number of times;
//! - `X-RateLimit-NearLimit: true` slows the pace for a while: requests go
//!   one at a time, each after a short pause;
//! - 401 is [`RequestError::Unauthorized`] (never retried), 404 is
//!   [`RequestError::NotFound`] (Atlassian hides what the account cannot see).
//!
//! The token is kept only inside the prepared `Authorization` header, marked
//! sensitive, and never appears in errors, logs or `Debug` output.

use base64::Engine as _;
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION};
use reqwest::StatusCode;
use serde_json::Value;
use std::collections::BTreeMap;
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
    /// Longest backoff step and longest honoured `Retry-After`.
    pub backoff_cap: Duration,
    /// Pause before each request while the site says it is near its limit
    /// (requests then also go one at a time).
    pub near_limit_pause: Duration,
    /// How long a `X-RateLimit-NearLimit: true` keeps the pace slow.
    pub near_limit_hold: Duration,
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
            near_limit_pause: Duration::from_millis(50),
            near_limit_hold: Duration::from_secs(2),
            request_timeout: Duration::from_secs(60),
            progress: None,
        }
    }
}

/// Requests made, by endpoint.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct RequestStats {
    /// Every request sent, retries included.
    pub total: u64,
    /// Requests sent per endpoint label (`confluence.pages`, `jira.search`...).
    pub by_endpoint: BTreeMap<String, u64>,
    /// Requests that were repeats of a failed attempt.
    pub retries: u64,
    /// 429 answers received.
    pub rate_limited: u64,
    /// 5xx answers and transport errors received.
    pub server_errors: u64,
    /// Answers that carried `X-RateLimit-NearLimit: true`.
    pub near_limit: u64,
}

#[derive(Debug, Default)]
struct Pace {
    /// No request may be sent before this instant (a Retry-After window).
    not_before: Option<Instant>,
    /// Requests pause a little until this instant (near the limit).
    slow_until: Option<Instant>,
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
    /// One request at a time while the site says it is near its limit.
    slow_lane: Semaphore,
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
                    .gzip(true)
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
            slow_lane: Semaphore::new(1),
            config,
            pace: Mutex::new(Pace::default()),
            gate: tokio::sync::RwLock::new(()),
            stats: Mutex::new(RequestStats::default()),
        })
    }

    /// What was sent so far.
    pub fn stats(&self) -> RequestStats {
        self.stats.lock().map(|s| s.clone()).unwrap_or_default()
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

    /// How long to wait before sending (a Retry-After window still open), if at all.
    fn wait_needed(&self) -> Option<Instant> {
        let now = Instant::now();
        let pace = self.pace.lock().ok()?;
        pace.not_before.filter(|t| *t > now)
    }

    fn slow(&self) -> bool {
        let now = Instant::now();
        self.pace
            .lock()
            .ok()
            .and_then(|p| p.slow_until)
            .is_some_and(|t| t > now)
    }

    fn push_not_before(&self, until: Instant) {
        if let Ok(mut p) = self.pace.lock() {
            if p.not_before.is_none_or(|t| t < until) {
                p.not_before = Some(until);
            }
        }
    }

    fn mark_near_limit(&self) {
        let until = Instant::now() + self.config.near_limit_hold;
        if let Ok(mut p) = self.pace.lock() {
            p.slow_until = Some(until);
        }
    }

    /// GET `url` (absolute) and parse its JSON, with retries. `endpoint` labels
    /// the request in the statistics and in errors (never the full URL: it may
    /// carry cursors, but never credentials).
    pub async fn get(&self, url: &str, endpoint: &str) -> Result<Answer, RequestError> {
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
            // Wait out any open window, then take a slot, then re-check: the
            // window may have opened while we queued for the slot.
            while let Some(t) = self.wait_needed() {
                tokio::time::sleep_until(t).await;
            }
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
            // Near the limit, requests go one at a time with a pause, so
            // that few are in flight when a 429 announces a window.
            let lane = if self.slow() {
                let lane = self
                    .slow_lane
                    .acquire()
                    .await
                    .map_err(|_| RequestError::Config("the client was closed".into()))?;
                tokio::time::sleep(self.config.near_limit_pause).await;
                Some(lane)
            } else {
                None
            };
            // The window may have opened while we queued: never send inside it.
            let gate = self.gate.read().await;
            if self.wait_needed().is_some() {
                drop(gate);
                drop(lane);
                drop(permit);
                continue;
            }
            let retry = sent_before;
            sent_before = true;
            let sent = self.http[permit.index % self.http.len()]
                .get(url)
                .header(AUTHORIZATION, self.auth.clone())
                .header(reqwest::header::ACCEPT, "application/json")
                .send()
                .await;
            drop(gate);
            let resp = match sent {
                Ok(r) => r,
                Err(e) => {
                    drop(permit);
                    attempt += 1;
                    self.count(endpoint, retry, |s| s.server_errors += 1);
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
                self.mark_near_limit();
                self.bump(|s| s.near_limit += 1);
            }
            if status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::SERVICE_UNAVAILABLE
            {
                if status == StatusCode::TOO_MANY_REQUESTS {
                    throttled += 1;
                } else {
                    attempt += 1;
                }
                // Announce the window before releasing the slot, so that no
                // queued request slips in.
                let wait = retry_after(&headers, SystemTime::now())
                    .map(|d| d.min(self.config.backoff_cap))
                    .unwrap_or_else(|| self.backoff(attempt.max(throttled)));
                {
                    // Waits for the requests already past their check; new
                    // ones wait for this, then see the window.
                    let _announcing = self.gate.write().await;
                    self.push_not_before(Instant::now() + wait);
                }
                drop(permit);
                self.count(endpoint, retry, |s| {
                    if status == StatusCode::TOO_MANY_REQUESTS {
                        s.rate_limited += 1
                    } else {
                        s.server_errors += 1
                    }
                });
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
            let body = match resp.bytes().await {
                Ok(b) => b,
                Err(e) => {
                    drop(permit);
                    attempt += 1;
                    last = transport_reason(e);
                    tokio::time::sleep(self.backoff(attempt)).await;
                    continue;
                }
            };
            drop(permit);
            // Any depth: an ADF description nested past serde_json's own
            // limit must not cost the page of results it is on.
            let json =
                crate::text::deep_json::parse_slice(&body).map_err(|e| RequestError::Decode {
                    endpoint: ep,
                    reason: e.to_string(),
                })?;
            return Ok(Answer { json, link_next });
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
