//! The token bucket, error injection and the `Retry-After` bookkeeping.

use super::util::{iso_minute_ceil, mix, Reply};
use super::{error_reply, FakeSiteConfig, Product, RateLimitHeaders, RETRY_GRACE};
use axum::http::StatusCode;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

struct Bucket {
    tokens: f64,
    last: Instant,
}

#[derive(Default)]
struct Window {
    /// When the current window opened (first announcement while closed).
    opened: Option<Instant>,
    until: Option<Instant>,
    /// Per connection: the end of the window announced to it.
    per_conn: HashMap<SocketAddr, Instant>,
}

pub(crate) struct Limits {
    rate: Option<f64>,
    burst: f64,
    near_limit_below: f64,
    headers: RateLimitHeaders,
    error_rate: f64,
    seed: u64,
    counter: AtomicU64,
    bucket: Mutex<Bucket>,
    /// Announced windows: `None` holds back the whole site, `Some(route)` one route.
    windows: Mutex<HashMap<Option<String>, Window>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

impl Limits {
    pub fn new(c: &FakeSiteConfig) -> Limits {
        let burst = f64::from(c.burst.max(1));
        Limits {
            rate: c.rate_limit_per_sec.filter(|r| *r > 0.0),
            burst,
            near_limit_below: c.near_limit_below,
            headers: c.rate_limit_headers,
            error_rate: c.error_rate,
            seed: c.seed,
            counter: AtomicU64::new(0),
            bucket: Mutex::new(Bucket {
                tokens: burst,
                last: Instant::now(),
            }),
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Take a token; `Some(429 reply)` when the bucket is empty.
    pub fn take(&self, product: Product) -> Option<Reply> {
        let rate = self.rate?;
        let mut b = lock(&self.bucket);
        let now = Instant::now();
        let elapsed = now.saturating_duration_since(b.last).as_secs_f64();
        b.tokens = (b.tokens + elapsed * rate).min(self.burst);
        b.last = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            return None;
        }
        let wait = (1.0 - b.tokens) / rate;
        drop(b);
        let secs = (wait.ceil() as u64).max(1);
        let reason = match product {
            Product::Confluence => "confluence-burst-based",
            _ => "jira-burst-based",
        };
        // The bucket counts every request of the site: it is a tenant limit,
        // and says so as Atlassian's tenant quotas do.
        let tenant = match product {
            Product::Confluence => "confluence-quota-tenant-based",
            _ => "jira-quota-tenant-based",
        };
        let r = error_reply(
            product,
            StatusCode::TOO_MANY_REQUESTS,
            "Rate limit exceeded.",
        )
        .header("RateLimit-Reason", reason)
        .header("X-Beta-Ratelimit-Reason", tenant);
        let mut r = self.budget(r, 0.0, rate);
        r.retry_after = Some(secs);
        Some(r)
    }

    /// Rate-limit headers on an answered request.
    pub fn annotate(&self, r: &mut Reply) {
        let Some(rate) = self.rate else { return };
        let tokens = lock(&self.bucket).tokens;
        let out = std::mem::replace(r, Reply::ok(serde_json::Value::Null));
        *r = self.budget(out, tokens, rate);
    }

    /// The headers announcing the bucket with `tokens` left (see the module
    /// docs of `fake_site`), as far as [`RateLimitHeaders`] allows.
    fn budget(&self, r: Reply, tokens: f64, rate: f64) -> Reply {
        if self.headers == RateLimitHeaders::None {
            return r;
        }
        let left = tokens.max(0.0).floor() as u64;
        let to_full = ((self.burst - tokens.max(0.0)) / rate).max(0.0);
        let mut r = r
            .header("X-RateLimit-Limit", format!("{}", self.burst as u64))
            .header("X-RateLimit-Remaining", format!("{left}"))
            .header(
                "X-RateLimit-Reset",
                iso_minute_ceil(SystemTime::now() + Duration::from_secs_f64(to_full)),
            );
        if tokens / self.burst < self.near_limit_below {
            r = r.header("X-RateLimit-NearLimit", "true");
        }
        if self.headers == RateLimitHeaders::All {
            // One bucket for the whole site, named as a tenant limit (the
            // 429s say so too): a client must not keep one per product.
            let policy = "tenant-burst";
            r = r
                .header(
                    "Beta-RateLimit-Policy",
                    format!("\"{policy}\";q={rate};w=1"),
                )
                .header(
                    "Beta-RateLimit",
                    format!("\"{policy}\";r={left};t={}", to_full.ceil() as u64),
                );
        }
        r
    }

    /// Deterministic error injection: request n fails when a hash of (seed, n)
    /// falls under `error_rate`; half of them 503 with `Retry-After: 1`.
    pub fn inject_error(&self, product: Product) -> Option<Reply> {
        if self.error_rate <= 0.0 {
            return None;
        }
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let h = mix(self.seed ^ mix(n.wrapping_add(0x5EED)));
        let u = (h >> 11) as f64 / (1u64 << 53) as f64;
        if u >= self.error_rate {
            return None;
        }
        if h & 1 == 0 {
            let mut r = error_reply(
                product,
                StatusCode::SERVICE_UNAVAILABLE,
                "Service Unavailable",
            );
            r.retry_after = Some(1);
            Some(r)
        } else {
            Some(error_reply(
                product,
                StatusCode::INTERNAL_SERVER_ERROR,
                "Internal Server Error",
            ))
        }
    }

    /// A `Retry-After` of `dur` was sent to `peer` at `now`, holding back
    /// `scope` (a route) or, with `None`, the whole site.
    pub fn announce(&self, peer: SocketAddr, now: Instant, dur: Duration, scope: Option<String>) {
        let mut all = lock(&self.windows);
        let w = all.entry(scope).or_default();
        let end = now + dur;
        let open = w.until.is_some_and(|u| u > now);
        if !open {
            w.opened = Some(now);
            w.per_conn.retain(|_, u| *u > now);
        }
        w.until = Some(w.until.map_or(end, |u| u.max(end)));
        let e = w.per_conn.entry(peer).or_insert(end);
        *e = (*e).max(end);
    }

    /// Did a request to `route` from `peer` arriving at `now` ignore an
    /// announced window (of the site, or of that route)?
    pub fn is_violation(&self, peer: SocketAddr, route: &str, now: Instant) -> bool {
        let all = lock(&self.windows);
        [None, Some(route.to_string())]
            .iter()
            .filter_map(|scope| all.get(scope))
            .any(|w| {
                if w.per_conn.get(&peer).is_some_and(|u| now < *u) {
                    return true;
                }
                match (w.opened, w.until) {
                    (Some(o), Some(u)) => now < u && now > o + RETRY_GRACE,
                    _ => false,
                }
            })
    }
}
