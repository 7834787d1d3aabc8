//! Faults of hostile or broken servers, injected on purpose (issue 8): each
//! is off by default and switched on through [`Faults`] in the site's
//! configuration. The list, with what each one does, is in the module docs
//! of `fake_site`.

use super::util::Reply;
use super::{error_reply, Product};
use axum::http::StatusCode;
use std::collections::HashMap;
use std::io::Write as _;
use std::sync::Mutex;

/// A fault that hits the first `times` requests whose path contains `path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub path: String,
    pub times: u32,
}

impl Hit {
    pub fn new(path: impl Into<String>, times: u32) -> Hit {
        Hit {
            path: path.into(),
            times,
        }
    }
}

/// The faults a fake site injects.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Confluence listings hold at most this many results a page (the API
    /// may return fewer than `limit`): small pages make long listings.
    pub confluence_page_size: Option<usize>,
    /// Jira search pages hold at most this many issues.
    pub jira_page_size: Option<usize>,
    /// `(path, n)`: in Confluence listings whose path contains `path`, the
    /// next link of page `n` (1-based) leads back to the first page: a cursor
    /// cycle of length `n` (1 = a page that links to itself).
    pub cursor_cycle: Option<(String, usize)>,
    /// `project/search` never says `isLast: true` (past the end: empty pages).
    pub project_is_last_never_true: bool,
    /// `project/search` ignores `startAt`: every page is the first.
    pub project_start_at_ignored: bool,
    /// The enhanced search answers a `nextPageToken` with the same token.
    pub search_token_repeated: bool,
    /// Offset paging drift: every next page starts one item early, so the
    /// last item of a page is listed again on the next (Confluence listings
    /// and Jira search).
    pub offset_drift: bool,
    /// 429 with `Retry-After: secs` on the first `times` requests to a path,
    /// for that endpoint only (no tenant header).
    pub retry_after: Option<(Hit, u64)>,
    /// Paths (without the gateway prefix) answered 404, e.g. `/rest/api/3/field`.
    pub not_found: Vec<String>,
    /// `(hit, base)`: 302 to `base` + the same path and query.
    pub redirect: Option<(Hit, String)>,
    /// 200 with an HTML error page (a proxy's), not JSON.
    pub html_ok: Option<Hit>,
    /// 200 with the JSON body cut in half (and a matching Content-Length).
    pub truncated_json: Option<Hit>,
    /// `(hit, bytes)`: a gzip body that inflates to `bytes` zeros.
    pub gzip_bomb: Option<(Hit, u64)>,
    /// `(hit, bytes)`: a JSON body of `bytes` bytes.
    pub huge_body: Option<(Hit, u64)>,
    /// `(issue key, depth)`: the issue's ADF description nests lists `depth` deep.
    pub deep_issue: Option<(String, usize)>,
    /// This issue's `fields` comes as a string: a shape the crawler must reject.
    pub malformed_issue: Option<String>,
    /// The site-wide comment listings also list the comments of pages and
    /// blog posts the account cannot see (a server that filters comments by
    /// the comment, not its page; or comments of a trashed page). Their
    /// `/children` answer 404 like the page.
    pub hidden_comments_listed: bool,
}

/// Counts how often each hit fault has fired.
#[derive(Default)]
pub(crate) struct FaultState {
    fired: Mutex<HashMap<&'static str, u32>>,
}

impl FaultState {
    /// Whether `hit` fires for a request to `path` (and count it).
    fn fires(&self, name: &'static str, hit: &Option<Hit>, path: &str) -> bool {
        let Some(hit) = hit else { return false };
        if !path.contains(&hit.path) {
            return false;
        }
        let mut m = match self.fired.lock() {
            Ok(m) => m,
            Err(p) => p.into_inner(),
        };
        let n = m.entry(name).or_default();
        if *n >= hit.times {
            return false;
        }
        *n += 1;
        true
    }
}

/// The reply a response-level fault puts in place of `reply`, if any fires.
pub(crate) fn replace(
    faults: &Faults,
    state: &FaultState,
    product: Product,
    route: &str,
    path: &str,
    query: &str,
    reply: Reply,
) -> Reply {
    if faults.not_found.iter().any(|p| p == path) {
        return error_reply(product, StatusCode::NOT_FOUND, "Not Found");
    }
    let first = |h: &Option<(Hit, u64)>| h.as_ref().map(|(h, _)| h.clone());
    if state.fires("retry_after", &first(&faults.retry_after), path) {
        let secs = faults.retry_after.as_ref().map_or(1, |(_, s)| *s);
        let mut r = error_reply(
            product,
            StatusCode::TOO_MANY_REQUESTS,
            "Rate limit exceeded.",
        )
        .header("RateLimit-Reason", "jira-burst-based");
        r.retry_after = Some(secs);
        r.retry_scope = Some(route.into());
        return r;
    }
    let redirect = faults.redirect.as_ref().map(|(h, _)| h.clone());
    if state.fires("redirect", &redirect, path) {
        let base = faults.redirect.as_ref().map_or("", |(_, b)| b.as_str());
        let sep = if query.is_empty() { "" } else { "?" };
        let mut r = Reply::json(StatusCode::FOUND, serde_json::Value::Null)
            .header("Location", format!("{base}{path}{sep}{query}"));
        r.raw = Some(Box::new(RawBody::plain(Vec::new(), "text/plain")));
        return r;
    }
    if state.fires("html_ok", &faults.html_ok, path) {
        let mut r = Reply::ok(serde_json::Value::Null);
        let page = "<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>";
        r.raw = Some(Box::new(RawBody::plain(
            page.as_bytes().to_vec(),
            "text/html",
        )));
        return r;
    }
    if state.fires("truncated_json", &faults.truncated_json, path) {
        let full = reply.body.to_string().into_bytes();
        let cut = full[..full.len() / 2].to_vec();
        let mut r = reply;
        r.raw = Some(Box::new(RawBody::plain(
            cut,
            "application/json;charset=UTF-8",
        )));
        return r;
    }
    if state.fires("gzip_bomb", &first(&faults.gzip_bomb), path) {
        let bytes = faults.gzip_bomb.as_ref().map_or(0, |(_, b)| *b);
        let mut r = Reply::ok(serde_json::Value::Null);
        r.raw = Some(Box::new(RawBody {
            bytes: gzip_bomb(bytes),
            content_type: "application/json;charset=UTF-8",
            gzip: true,
        }));
        return r;
    }
    if state.fires("huge_body", &first(&faults.huge_body), path) {
        let bytes = faults.huge_body.as_ref().map_or(0, |(_, b)| *b);
        let mut r = Reply::ok(serde_json::Value::Null);
        r.raw = Some(Box::new(RawBody::plain(
            huge_json(bytes),
            "application/json",
        )));
        return r;
    }
    reply
}

/// A body sent as is, not as JSON.
#[derive(Debug, Clone)]
pub(crate) struct RawBody {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
    /// Sent with `Content-Encoding: gzip`.
    pub gzip: bool,
}

impl RawBody {
    fn plain(bytes: Vec<u8>, content_type: &'static str) -> RawBody {
        RawBody {
            bytes,
            content_type,
            gzip: false,
        }
    }
}

/// `{"results":["aaaa…"]}` of about `bytes` bytes.
fn huge_json(bytes: u64) -> Vec<u8> {
    let n = usize::try_from(bytes)
        .unwrap_or(usize::MAX)
        .saturating_sub(16);
    let mut v = Vec::with_capacity(n + 16);
    v.extend_from_slice(b"{\"results\":[\"");
    v.resize(v.len() + n, b'a');
    v.extend_from_slice(b"\"]}");
    v
}

/// Gzip members of one MiB of zeros each, concatenated (RFC 1952 allows
/// several members): about a kilobyte per MiB inflated, built quickly.
fn gzip_bomb(bytes: u64) -> Vec<u8> {
    const MIB: u64 = 1024 * 1024;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    // Writing to a Vec cannot fail.
    let member = match enc.write_all(&vec![0u8; MIB as usize]) {
        Ok(()) => enc.finish().unwrap_or_default(),
        Err(_) => Vec::new(),
    };
    let count = bytes.div_ceil(MIB);
    let mut out = Vec::with_capacity(member.len() * count as usize);
    for _ in 0..count {
        out.extend_from_slice(&member);
    }
    out
}

/// An ADF document whose bullet lists nest `depth` levels deep, with text at
/// the top and at the bottom.
pub(crate) fn deep_adf(depth: usize, top: &str, bottom: &str) -> serde_json::Value {
    use serde_json::json;
    let mut node = json!({"type": "paragraph", "content": [{"type": "text", "text": bottom}]});
    for _ in 0..depth {
        node = json!({"type": "bulletList", "content": [
            {"type": "listItem", "content": [node]}
        ]});
    }
    json!({"type": "doc", "version": 1, "content": [
        {"type": "paragraph", "content": [{"type": "text", "text": top}]},
        node
    ]})
}
