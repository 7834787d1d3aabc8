//! Small pieces shared by the routes: replies, opaque tokens, time, a PRNG.

use axum::http::{HeaderName, StatusCode};
use base64::Engine;
use serde_json::Value;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A response before it becomes HTTP.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub status: StatusCode,
    pub headers: Vec<(HeaderName, String)>,
    pub body: Value,
    /// Seconds announced in `Retry-After`, if any.
    pub retry_after: Option<u64>,
    /// The route a `Retry-After` holds back; `None`: the whole site.
    pub retry_scope: Option<Box<str>>,
    /// A body sent as is instead of `body` (a fault's HTML page, gzip bomb...).
    pub raw: Option<Box<super::faults::RawBody>>,
}

impl Reply {
    pub fn json(status: StatusCode, body: Value) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body,
            retry_after: None,
            retry_scope: None,
            raw: None,
        }
    }

    pub fn ok(body: Value) -> Reply {
        Reply::json(StatusCode::OK, body)
    }

    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Reply {
        self.headers
            .push((HeaderName::from_static(lower(name)), value.into()));
        self
    }
}

/// Header names must be lower case for `from_static`; every name passed here
/// is a literal, so map the few we use.
fn lower(name: &'static str) -> &'static str {
    match name {
        "X-Seraph-LoginReason" => "x-seraph-loginreason",
        "Link" => "link",
        "X-RateLimit-Limit" => "x-ratelimit-limit",
        "X-RateLimit-Remaining" => "x-ratelimit-remaining",
        "X-RateLimit-Reset" => "x-ratelimit-reset",
        "X-RateLimit-NearLimit" => "x-ratelimit-nearlimit",
        "RateLimit-Reason" => "ratelimit-reason",
        "Beta-Retry-After" => "beta-retry-after",
        "X-Beta-Ratelimit-Reason" => "x-beta-ratelimit-reason",
        "Beta-Ratelimit-Policy" | "Beta-RateLimit-Policy" => "beta-ratelimit-policy",
        "Beta-RateLimit" => "beta-ratelimit",
        "Location" => "location",
        other => other,
    }
}

/// An opaque token for an offset (Confluence cursors, Jira page tokens).
pub(crate) fn encode_offset(tag: &str, offset: usize) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{tag}:{offset}"))
}

pub(crate) fn decode_offset(tag: &str, token: &str) -> Option<usize> {
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token.trim())
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let rest = text.strip_prefix(tag)?.strip_prefix(':')?;
    rest.parse().ok()
}

/// `2026-03-26T16:00Z`: the time rounded up to the next whole minute, in the
/// minute-precision ISO-8601 form Atlassian uses in `X-RateLimit-Reset`.
pub(crate) fn iso_minute_ceil(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs();
    let secs = secs.div_ceil(60) * 60;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60
    )
}

/// Days since 1970-01-01 to (year, month, day) (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// SplitMix64: a tiny deterministic PRNG.
#[derive(Debug, Clone)]
pub(crate) struct SplitMix(pub u64);

impl SplitMix {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }

    /// Uniform in [0, 1).
    pub fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [0, n) (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        (self.next_u64() % n as u64) as usize
    }

    /// Uniform in [lo, hi].
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi.saturating_sub(lo) + 1)
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

pub(crate) fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minute_ceiling() {
        let t = UNIX_EPOCH + Duration::from_secs(1_774_540_801); // 2026-03-26T16:00:01Z
        assert_eq!(iso_minute_ceil(t), "2026-03-26T16:01Z");
        let t = UNIX_EPOCH + Duration::from_secs(1_774_540_800);
        assert_eq!(iso_minute_ceil(t), "2026-03-26T16:00Z");
    }

    #[test]
    fn tokens_round_trip() {
        let t = encode_offset("c", 250);
        assert_eq!(decode_offset("c", &t), Some(250));
        assert_eq!(decode_offset("j", &t), None);
        assert_eq!(decode_offset("c", "!!"), None);
    }
}
