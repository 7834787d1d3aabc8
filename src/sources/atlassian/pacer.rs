//! Pacing: when the next request may go, from what the server announced.
//!
//! Atlassian announces its budget on answers, 200s and 429s alike
//! (atlassian-api.md §4 and §8): `X-RateLimit-Limit`, `-Remaining`, `-Reset`
//! (an ISO-8601 minute such as `2026-03-26T16:00Z`, not epoch seconds),
//! `X-RateLimit-NearLimit: true` (under 20 % left), `RateLimit-Reason`, and the
//! beta forms `Beta-RateLimit-Policy: "<policy>";q=<quota>;w=<window s>`,
//! `Beta-RateLimit: "<policy>";r=<remaining>;t=<seconds to reset>` and
//! `X-Beta-RateLimit-{Limit,Remaining,Reset,NearLimit,Reason}`.
//!
//! [`announcement`] reads one answer's headers. The [`Pacer`] keeps, per
//! scope (the whole site, or one endpoint), an estimate of the server's
//! budget, a token bucket of its own that it keeps *below* the server's:
//! - it refills at [`RATE_MARGIN`] (90 %) of the announced rate (`q / w`),
//!   and holds at most [`burst_allowance`] (half) of the announced limit, so
//!   that requests sent apart but arriving together, or a server clock that
//!   ticks a little behind ours, do not turn into 429s;
//! - an answer lowers it to the announced `remaining` less the requests
//!   still in flight; only an answer with nothing else in flight, to the
//!   latest request answered so far, may raise it (answers come back out of
//!   order, and an older count is too high);
//! - with no rate announced (`X-RateLimit-*` alone), the rate is measured
//!   between such answers (what the server refilled, plus what it spent on
//!   us); until it is known, a spent budget is *probed*: one request at a
//!   time, a short pause after the last answer, each answer telling the true
//!   `remaining` again. A reset (`X-RateLimit-Reset`, minute precision)
//!   refills to the limit only while no rate is known.
//!
//! Before a request goes, [`Pacer::ready`] waits just long enough for the
//! estimate to hold one more token.
//!
//! Which scope an announcement speaks for: a reason naming a tenant or a
//! quota (`jira-quota-tenant-based`, `confluence-quota-*`, a policy such as
//! `"tenant-app-quota"`) is the site; a burst or per-issue reason is the
//! endpoint (Atlassian counts burst limits per endpoint). Answers that give
//! no reason (most 200s) follow the last 429, and before any 429 the site:
//! one estimate for a budget that is per endpoint only waits more than
//! needed, one per endpoint for a site budget overspends it.
//!
//! Without any rate-limit header the pacer holds nothing and adds no delay.

use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};
use tokio::sync::Notify;
use tokio::time::Instant;

/// Whom a rate limit covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The whole site (a tenant or quota limit).
    Site,
    /// One endpoint (a burst limit).
    Endpoint,
}

/// What one answer said about the budget. Numbers are `None` when absent or
/// not a number (headers are outside input: garbage is ignored, not trusted).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Announcement {
    /// Requests allowed per window (`X-RateLimit-Limit`, or `q`).
    pub limit: Option<f64>,
    /// Requests left (`X-RateLimit-Remaining`, or `r`).
    pub remaining: Option<f64>,
    /// Time until the budget is full again (`t`, or `X-RateLimit-Reset`).
    pub reset_in: Option<Duration>,
    /// Refill per second (`q / w` of `Beta-RateLimit-Policy`).
    pub rate: Option<f64>,
    /// `X-RateLimit-NearLimit: true` (or its beta form).
    pub near_limit: bool,
    /// Whom it covers, when a reason or policy says so.
    pub scope: Option<Scope>,
}

impl Announcement {
    /// Whether it says anything about the budget at all.
    pub fn is_empty(&self) -> bool {
        self.limit.is_none()
            && self.remaining.is_none()
            && self.reset_in.is_none()
            && self.rate.is_none()
            && !self.near_limit
    }
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok()).map(str::trim)
}

/// A count or a rate: finite and not negative.
fn number(v: &str) -> Option<f64> {
    let v = v.trim().trim_matches('"');
    v.parse::<f64>().ok().filter(|x| x.is_finite() && *x >= 0.0)
}

/// `X-RateLimit-Reset`: an ISO-8601 instant, minute precision allowed
/// (`2026-03-26T16:00Z`); one in the past means now.
pub fn parse_reset(v: &str, now: SystemTime) -> Option<Duration> {
    let v = v.trim();
    let ts = v.parse::<jiff::Timestamp>().ok().or_else(|| {
        // Minute precision: jiff wants the seconds spelled out.
        let (minute, zone) = v.split_at(v.find(['Z', 'z', '+']).filter(|i| *i >= 16)?);
        format!("{minute}:00{zone}").parse::<jiff::Timestamp>().ok()
    })?;
    let when = SystemTime::from(ts);
    let left = when.duration_since(now).unwrap_or(Duration::ZERO);
    (left <= Duration::from_secs(86_400)).then_some(left)
}

/// Whom a reason or policy name covers (`None`: it does not say).
pub fn reason_scope(v: &str) -> Option<Scope> {
    let v = v.to_ascii_lowercase();
    if v.contains("tenant") || v.contains("quota") {
        Some(Scope::Site)
    } else if v.contains("burst") || v.contains("per-issue") {
        Some(Scope::Endpoint)
    } else {
        None
    }
}

/// One item of a structured header: `"name";k=v;k=v`.
struct Item<'a> {
    name: &'a str,
    params: Vec<(&'a str, &'a str)>,
}

impl Item<'_> {
    fn get(&self, key: &str) -> Option<f64> {
        self.params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .and_then(|(_, v)| number(v))
    }
}

fn items(v: &str) -> Vec<Item<'_>> {
    v.split(',')
        .filter_map(|item| {
            let mut parts = item.split(';');
            let name = parts.next()?.trim().trim_matches('"');
            let params = parts
                .filter_map(|p| p.split_once('='))
                .map(|(k, v)| (k.trim(), v.trim()))
                .collect();
            Some(Item { name, params })
        })
        .collect()
}

/// The legacy `X-RateLimit-*` announcement (or its `X-Beta-` twin).
fn legacy(h: &HeaderMap, prefix: &str, now: SystemTime) -> Announcement {
    let get = |suffix: &str| header(h, &format!("{prefix}{suffix}"));
    Announcement {
        limit: get("limit").and_then(number),
        remaining: get("remaining").and_then(number),
        reset_in: get("reset").and_then(|v| parse_reset(v, now)),
        rate: None,
        near_limit: get("nearlimit").is_some_and(|v| v.eq_ignore_ascii_case("true")),
        scope: None,
    }
}

/// `Beta-RateLimit-Policy` with `Beta-RateLimit`: of several policies, the
/// one with the least left.
fn beta(h: &HeaderMap) -> Announcement {
    let policies = header(h, "beta-ratelimit-policy")
        .map(items)
        .unwrap_or_default();
    let states = header(h, "beta-ratelimit").map(items).unwrap_or_default();
    let policy_of = |name: &str| {
        policies
            .iter()
            .find(|p| p.name == name)
            .or(if policies.len() == 1 {
                policies.first()
            } else {
                None
            })
    };
    let state = states
        .iter()
        .filter(|s| s.get("r").is_some())
        .min_by(|a, b| {
            a.get("r")
                .partial_cmp(&b.get("r"))
                .unwrap_or(std::cmp::Ordering::Equal)
        });
    let policy = match state {
        Some(s) => policy_of(s.name),
        None => policies.first(),
    };
    let quota = policy.and_then(|p| p.get("q"));
    let window = policy.and_then(|p| p.get("w")).filter(|w| *w > 0.0);
    Announcement {
        limit: quota,
        remaining: state.and_then(|s| s.get("r")),
        reset_in: state
            .and_then(|s| s.get("t"))
            .filter(|t| *t <= 86_400.0)
            .map(Duration::from_secs_f64),
        rate: quota.zip(window).map(|(q, w)| q / w),
        near_limit: false,
        scope: policy
            .map(|p| p.name)
            .and_then(reason_scope)
            .filter(|s| *s == Scope::Site),
    }
}

/// Everything one answer's headers say about the budget. The beta headers
/// are preferred (they carry the rate and a reset in seconds); the legacy
/// ones fill what they leave out, and the smaller `remaining` and `limit` of
/// the two are kept, being the ones that run out first.
pub fn announcement(h: &HeaderMap, now: SystemTime) -> Announcement {
    let old = legacy(h, "x-ratelimit-", now);
    let beta_old = legacy(h, "x-beta-ratelimit-", now);
    let new = beta(h);
    let min = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let reasons = ["ratelimit-reason", "x-beta-ratelimit-reason"]
        .iter()
        .filter_map(|n| header(h, n))
        .filter_map(reason_scope)
        .chain(new.scope);
    // A site-wide reason outranks a burst one: the site is the larger wait.
    let scope = reasons.fold(None, |acc, s| match (acc, s) {
        (Some(Scope::Site), _) | (_, Scope::Site) => Some(Scope::Site),
        _ => Some(s),
    });
    Announcement {
        // The smallest limit caps the estimate: a quota `q` per window may
        // still come with a smaller burst (`X-RateLimit-Limit`).
        limit: min(min(new.limit, beta_old.limit), old.limit),
        remaining: min(min(new.remaining, beta_old.remaining), old.remaining),
        reset_in: new.reset_in.or(beta_old.reset_in).or(old.reset_in),
        rate: new.rate,
        near_limit: old.near_limit || beta_old.near_limit,
        scope,
    }
}

/// The share of an announced rate the pacer spends. Pacing at exactly the
/// server's rate turns every late packet into a 429: the server's clock and
/// ours tick apart by scheduling and network delay.
pub const RATE_MARGIN: f64 = 0.9;

/// How much of an announced bucket the pacer lets go at once: half of it,
/// so that requests sent apart but arriving together (delayed by the
/// network, or by a busy server) still find tokens.
pub fn burst_allowance(cap: f64) -> f64 {
    (cap / 2.0).floor().max(1.0)
}

/// How the pacer behaves where the server leaves things out.
#[derive(Debug, Clone)]
pub struct PacerConfig {
    /// With the budget spent and no rate announced: the pause after the last
    /// answer before a lone probe goes.
    pub probe_pause: Duration,
    /// An estimate without a rate or a reset is forgotten this long after the
    /// last announcement (the server stopped talking about it).
    pub hold: Duration,
    /// Longest single pacing wait; beyond it the server's 429 and its
    /// `Retry-After` are the better judge.
    pub max_wait: Duration,
}

/// The client's estimate of one scope's budget.
#[derive(Debug, Clone)]
struct Estimate {
    /// Tokens left once every request in flight is counted.
    tokens: f64,
    /// When `tokens` was last brought up to date.
    at: Instant,
    /// When the server last announced something for this scope.
    synced: Instant,
    /// The refill per second the server announced.
    rate: Option<f64>,
    /// Without an announced rate: the refill measured between two answers
    /// that had nothing else in flight (see [`measure`]).
    measured: Option<f64>,
    /// The last such answer: when, the `remaining` it gave, and
    /// `consumed` then.
    truth: Option<(Instant, f64, u64)>,
    /// Requests of this scope the server answered other than with a 429
    /// (each took a token).
    consumed: u64,
    cap: Option<f64>,
    reset_at: Option<Instant>,
}

impl Estimate {
    /// The refill per second: announced, else measured.
    fn refill_rate(&self) -> Option<f64> {
        self.rate.or(self.measured)
    }

    /// Refill up to `now`: at the rate, or, with no rate known, to the cap
    /// once the reset is past. A reset is the instant the bucket would be
    /// full *had nothing been spent since it was announced*, rounded up to
    /// the minute; with a rate the refill is already counted, and a jump to
    /// the cap at a minute boundary would spend tokens the server may not
    /// have.
    fn refresh(&mut self, now: Instant, in_flight: f64) {
        if let Some(rate) = self.refill_rate() {
            let dt = now.saturating_duration_since(self.at).as_secs_f64();
            self.tokens += RATE_MARGIN * rate * dt;
            self.reset_at = None;
        }
        if let (Some(reset), Some(cap)) = (self.reset_at, self.cap) {
            if reset <= now {
                self.tokens = self.tokens.max(cap - in_flight);
                self.reset_at = None;
            }
        }
        if let Some(cap) = self.cap {
            self.tokens = self.tokens.min(burst_allowance(cap));
        }
        self.at = now;
    }
}

/// What one estimate allows now.
enum Verdict {
    Go,
    /// Wait this long (or until an answer changes the estimate).
    Wait(Duration),
    /// Wait for an answer (a probe is in flight), at most this long.
    Answer(Duration),
}

#[derive(Debug, Default)]
struct State {
    site: Option<Estimate>,
    endpoints: HashMap<String, Estimate>,
    in_flight_site: u32,
    in_flight: HashMap<String, u32>,
    /// Where answers that give no reason belong (learnt from the last 429).
    unstated: Option<Scope>,
    /// Requests let through so far (the last one's `seq`).
    let_through: u64,
    /// The latest-sent request answered so far: an answer to one sent
    /// before it is stale (the server counted it before the other).
    newest_answered: u64,
}

/// Decides when the next request may go; see the module docs.
#[derive(Debug)]
pub struct Pacer {
    config: PacerConfig,
    state: Mutex<State>,
    /// Woken whenever an answer changes an estimate.
    changed: Notify,
}

/// A request let through: counts as in flight until answered or dropped.
#[derive(Debug)]
pub struct Ticket<'a> {
    pacer: &'a Pacer,
    endpoint: String,
    /// How long the pacer held it back.
    pub waited: Duration,
    /// Its place in the order requests were let through.
    seq: u64,
    done: bool,
}

impl Drop for Ticket<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.pacer.release(&self.endpoint);
        }
    }
}

impl Ticket<'_> {
    /// The answer arrived: no longer in flight, and its headers (if any)
    /// bring the estimate up to date.
    pub fn answered(mut self, status: StatusCode, headers: &HeaderMap) {
        self.done = true;
        self.pacer
            .observe(&self.endpoint, self.seq, status, headers, SystemTime::now());
    }
}

fn verdict(e: &Estimate, in_flight: u32, now: Instant, c: &PacerConfig) -> Verdict {
    if e.tokens >= 1.0 {
        return Verdict::Go;
    }
    if let Some(rate) = e.refill_rate().filter(|r| *r > 0.0) {
        let secs = ((1.0 - e.tokens) / (RATE_MARGIN * rate)).min(c.max_wait.as_secs_f64());
        return Verdict::Wait(Duration::from_secs_f64(secs));
    }
    // No rate: probe, one request at a time, a pause after the last answer.
    if in_flight == 0 {
        let at = e.synced + c.probe_pause;
        if at <= now {
            Verdict::Go
        } else {
            Verdict::Wait(at - now)
        }
    } else {
        Verdict::Answer(c.hold)
    }
}

impl Pacer {
    pub fn new(config: PacerConfig) -> Pacer {
        Pacer {
            config,
            state: Mutex::new(State::default()),
            changed: Notify::new(),
        }
    }

    /// Wait until a request to `endpoint` may go, then count it in flight.
    pub async fn ready(&self, endpoint: &str) -> Ticket<'_> {
        let started = Instant::now();
        let mut held = false;
        loop {
            // Registered before the check: an answer arriving in between
            // still wakes us.
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let wait = match self.try_reserve(endpoint, Instant::now()) {
                Ok(seq) => {
                    return Ticket {
                        seq,
                        pacer: self,
                        endpoint: endpoint.to_string(),
                        // Zero unless the pacer really held it back.
                        waited: if held {
                            started.elapsed()
                        } else {
                            Duration::ZERO
                        },
                        done: false,
                    };
                }
                Err(w) => w,
            };
            held = true;
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = &mut changed => {}
            }
        }
    }

    /// Count a request in flight if the estimates allow it now; else how
    /// long to wait at most before asking again.
    fn try_reserve(&self, endpoint: &str, now: Instant) -> Result<u64, Duration> {
        let Ok(mut guard) = self.state.lock() else {
            // A poisoned lock: pacing is an optimisation, never a stop.
            return Ok(0);
        };
        let s = &mut *guard;
        let hold = self.config.hold;
        let stale = |e: &Estimate| {
            e.refill_rate().is_none()
                && e.reset_at.is_none()
                && now.saturating_duration_since(e.synced) > hold
        };
        if s.site.as_ref().is_some_and(stale) {
            s.site = None;
        }
        if s.endpoints.get(endpoint).is_some_and(stale) {
            s.endpoints.remove(endpoint);
        }
        let own_in_flight = s.in_flight.get(endpoint).copied().unwrap_or(0);
        let mut wait: Option<Duration> = None;
        let mut consider = |e: &mut Estimate, n: u32| {
            e.refresh(now, f64::from(n));
            match verdict(e, n, now, &self.config) {
                Verdict::Go => {}
                Verdict::Wait(d) | Verdict::Answer(d) => {
                    wait = Some(wait.map_or(d, |w| w.max(d)));
                }
            }
        };
        if let Some(e) = s.site.as_mut() {
            consider(e, s.in_flight_site);
        }
        if let Some(e) = s.endpoints.get_mut(endpoint) {
            consider(e, own_in_flight);
        }
        if let Some(wait) = wait {
            return Err(wait);
        }
        for e in s.site.iter_mut().chain(s.endpoints.get_mut(endpoint)) {
            e.tokens -= 1.0;
        }
        s.in_flight_site += 1;
        *s.in_flight.entry(endpoint.to_string()).or_default() += 1;
        s.let_through += 1;
        Ok(s.let_through)
    }

    fn release_locked(s: &mut State, endpoint: &str) {
        s.in_flight_site = s.in_flight_site.saturating_sub(1);
        if let Some(n) = s.in_flight.get_mut(endpoint) {
            *n = n.saturating_sub(1);
        }
    }

    fn release(&self, endpoint: &str) {
        if let Ok(mut s) = self.state.lock() {
            Pacer::release_locked(&mut s, endpoint);
        }
        self.changed.notify_waiters();
    }

    /// An answer to `endpoint` arrived: its request is no longer in flight,
    /// and what it announced updates the estimates (in one step, so that the
    /// in-flight count used is the one after this answer).
    fn observe(
        &self,
        endpoint: &str,
        seq: u64,
        status: StatusCode,
        h: &HeaderMap,
        now_wall: SystemTime,
    ) {
        let a = announcement(h, now_wall);
        let throttled = (status == StatusCode::TOO_MANY_REQUESTS)
            .then(|| super::client::limits_whole_site(status, h));
        if let Ok(mut s) = self.state.lock() {
            Pacer::release_locked(&mut s, endpoint);
            let fresh = seq >= s.newest_answered;
            s.newest_answered = s.newest_answered.max(seq);
            Pacer::apply_locked(&mut s, endpoint, &a, throttled, fresh, Instant::now());
        }
        self.changed.notify_waiters();
    }

    /// Bring the estimates up to date with `a`, heard from `endpoint`.
    /// `throttled` is `Some(site wide)` for a 429: it teaches where
    /// unexplained announcements belong.
    pub fn apply(&self, endpoint: &str, a: &Announcement, throttled: Option<bool>, now: Instant) {
        if let Ok(mut s) = self.state.lock() {
            Pacer::apply_locked(&mut s, endpoint, a, throttled, true, now);
        }
        self.changed.notify_waiters();
    }

    fn apply_locked(
        s: &mut State,
        endpoint: &str,
        a: &Announcement,
        throttled: Option<bool>,
        fresh: bool,
        now: Instant,
    ) {
        if let Some(site_wide) = throttled {
            let learnt = if site_wide {
                Scope::Site
            } else {
                Scope::Endpoint
            };
            if s.unstated != Some(learnt) {
                // The estimates kept for the other scope came from answers
                // now read differently: forget them.
                match learnt {
                    Scope::Site => s.endpoints.clear(),
                    Scope::Endpoint => s.site = None,
                }
                s.unstated = Some(learnt);
            }
        }
        if a.is_empty() {
            return;
        }
        // Unsaid and not yet learnt from a 429: the site. One estimate for
        // a budget that is really per endpoint only waits more than needed;
        // one per endpoint for a budget that is the site's overspends it by
        // the number of endpoints in use.
        match a.scope.or(s.unstated).unwrap_or(Scope::Site) {
            Scope::Site => {
                let n = s.in_flight_site;
                update(&mut s.site, a, n, now, throttled.is_none(), fresh && n == 0);
            }
            Scope::Endpoint => {
                let n = s.in_flight.get(endpoint).copied().unwrap_or(0);
                let mut slot = s.endpoints.remove(endpoint);
                update(&mut slot, a, n, now, throttled.is_none(), fresh && n == 0);
                if let Some(e) = slot {
                    s.endpoints.insert(endpoint.to_string(), e);
                }
            }
        }
    }
}

/// Shortest span a refill is measured over: shorter ones are mostly noise
/// (the server's count and our clock tick apart by milliseconds).
const MEASURE_SPAN: Duration = Duration::from_millis(250);

/// With no rate announced, measure it: between two answers that had nothing
/// else in flight, the server refilled what it now has, less what it had,
/// plus what it spent on us in between (`consumed`). A bucket found full at
/// either end may have refilled more than that, so it is not measured; the
/// measure is smoothed, and only ever an underestimate of a steady rate
/// (other clients of the site spend tokens we do not see).
fn measure(e: &mut Estimate, remaining: f64, cap: Option<f64>, now: Instant) {
    let Some((t1, r1, c1)) = e.truth else {
        e.truth = Some((now, remaining, e.consumed));
        return;
    };
    let full = |r: f64| cap.is_some_and(|c| r >= c - 1.0);
    let span = now.saturating_duration_since(t1);
    if span < MEASURE_SPAN && !full(r1) {
        return;
    }
    if !full(r1) && !full(remaining) {
        let spent = e.consumed.saturating_sub(c1) as f64;
        let refill = (remaining - r1 + spent) / span.as_secs_f64();
        if refill > 0.0 {
            e.measured = Some(e.measured.map_or(refill, |m| 0.5 * m + 0.5 * refill));
        }
    }
    e.truth = Some((now, remaining, e.consumed));
}

/// Resynchronise one estimate with an announcement; `n` requests of its
/// scope are still in flight (they may not be counted in `remaining` yet).
/// `alone`: nothing else was in flight when this answer came, and none sent
/// after it was answered sooner: its `remaining` is the server's count as it
/// stands.
fn update(
    slot: &mut Option<Estimate>,
    a: &Announcement,
    n: u32,
    now: Instant,
    took_token: bool,
    alone: bool,
) {
    let n = f64::from(n);
    if let Some(e) = slot.as_mut() {
        e.refresh(now, n);
    }
    let cap = a.limit.or(slot.as_ref().and_then(|e| e.cap));
    if let Some(e) = slot.as_mut() {
        e.consumed += u64::from(took_token);
        if alone && a.rate.is_none() {
            if let Some(r) = a.remaining {
                measure(e, r, cap, now);
            }
        }
    }
    let tokens = match (a.remaining, slot.as_ref()) {
        // An answer with nothing else in flight, sent after every other
        // answered one, is the server's count as it stands: it is taken up
        // or down. Any other answer only ever lowers the estimate: answers
        // come back out of order (a large body is read for milliseconds),
        // so a `remaining` counted before requests answered sooner is too
        // high, and requests still in flight may or may not be counted in
        // it (they are taken as not counted).
        (Some(r), current) => {
            let fresh = (r - n).min(cap.map_or(f64::INFINITY, burst_allowance));
            match current {
                Some(e) if !alone => Some(e.tokens.min(fresh)),
                _ => Some(fresh),
            }
        }
        // Near the limit without a figure: a fifth of the limit at most,
        // else nothing to spend until an answer says more.
        (None, current) if a.near_limit => {
            let ceiling = cap.map_or(0.0, |c| 0.2 * c) - n;
            Some(current.map_or(ceiling, |e| e.tokens.min(ceiling)))
        }
        (None, Some(e)) => Some(e.tokens),
        // A limit or a rate alone says nothing about what is left.
        (None, None) => None,
    };
    let Some(tokens) = tokens else { return };
    let old = slot.take();
    let truth = old.as_ref().and_then(|e| e.truth).or_else(|| {
        // The first answer with nothing else in flight starts the count.
        a.remaining.filter(|_| alone).map(|r| (now, r, 0))
    });
    *slot = Some(Estimate {
        tokens,
        at: now,
        synced: now,
        rate: a.rate.or(old.as_ref().and_then(|e| e.rate)),
        measured: old.as_ref().and_then(|e| e.measured),
        truth,
        consumed: old.as_ref().map_or(0, |e| e.consumed),
        cap,
        reset_at: a
            .reset_in
            .map(|d| now + d)
            .or(old.as_ref().and_then(|e| e.reset_at)),
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    fn at(iso: &str) -> SystemTime {
        let ts: jiff::Timestamp = iso.parse().unwrap();
        SystemTime::from(ts)
    }

    #[test]
    fn legacy_headers() {
        let now = at("2026-03-26T15:59:30Z");
        let a = announcement(
            &headers(&[
                ("x-ratelimit-limit", "350"),
                ("x-ratelimit-remaining", "12"),
                ("x-ratelimit-reset", "2026-03-26T16:00Z"),
                ("x-ratelimit-nearlimit", "true"),
                ("ratelimit-reason", "jira-burst-based"),
            ]),
            now,
        );
        assert_eq!(a.limit, Some(350.0));
        assert_eq!(a.remaining, Some(12.0));
        assert_eq!(a.reset_in, Some(Duration::from_secs(30)));
        assert_eq!(a.rate, None);
        assert!(a.near_limit);
        assert_eq!(a.scope, Some(Scope::Endpoint));
    }

    #[test]
    fn reset_forms() {
        let now = at("2026-03-26T15:59:30Z");
        let secs = |v| parse_reset(v, now).map(|d| d.as_secs());
        assert_eq!(secs("2026-03-26T16:00Z"), Some(30));
        assert_eq!(secs("2026-03-26T16:00:10Z"), Some(40));
        assert_eq!(secs("2026-03-26T16:01+00:00"), Some(90));
        assert_eq!(secs("2026-03-26T15:00Z"), Some(0), "past: now");
        assert_eq!(secs("1774540800"), None, "epoch seconds are not the format");
        assert_eq!(secs("soon"), None);
        assert_eq!(secs("2030-01-01T00:00Z"), None, "years away: garbage");
    }

    #[test]
    fn beta_headers_as_seen_live() {
        let a = announcement(
            &headers(&[
                (
                    "beta-ratelimit-policy",
                    "\"tenant-app-quota\";q=100100;w=3600",
                ),
                ("beta-ratelimit", "\"tenant-app-quota\";r=99000;t=1800"),
                ("x-ratelimit-limit", "350"),
            ]),
            SystemTime::now(),
        );
        assert_eq!(a.limit, Some(350.0), "the smaller limit caps");
        assert_eq!(a.remaining, Some(99_000.0));
        assert_eq!(a.reset_in, Some(Duration::from_secs(1800)));
        let rate = a.rate.unwrap();
        assert!((rate - 100_100.0 / 3600.0).abs() < 1e-9);
        assert_eq!(a.scope, Some(Scope::Site), "a tenant quota covers the site");
    }

    #[test]
    fn beta_twins_and_reasons() {
        let now = at("2026-03-26T15:59:00Z");
        let a = announcement(
            &headers(&[
                ("x-beta-ratelimit-limit", "100"),
                ("x-beta-ratelimit-remaining", "3"),
                ("x-beta-ratelimit-reset", "2026-03-26T16:00Z"),
                ("x-beta-ratelimit-nearlimit", "TRUE"),
                ("x-beta-ratelimit-reason", "jira-quota-tenant-based"),
                ("ratelimit-reason", "jira-burst-based"),
                ("x-ratelimit-remaining", "7"),
            ]),
            now,
        );
        assert_eq!(a.limit, Some(100.0));
        assert_eq!(a.remaining, Some(3.0), "the smaller remaining");
        assert_eq!(a.reset_in, Some(Duration::from_secs(60)));
        assert!(a.near_limit);
        assert_eq!(a.scope, Some(Scope::Site), "the site outranks a burst");
        let q = announcement(
            &headers(&[("ratelimit-reason", "confluence-quota-global-based")]),
            now,
        );
        assert_eq!(q.scope, Some(Scope::Site));
        assert!(q.is_empty(), "a reason alone is no budget");
    }

    #[test]
    fn a_burst_policy_name_does_not_say_whom_it_covers() {
        let a = announcement(
            &headers(&[
                ("beta-ratelimit-policy", "\"jira-burst\";q=40;w=1"),
                ("beta-ratelimit", "\"jira-burst\";r=5;t=1"),
            ]),
            SystemTime::now(),
        );
        assert_eq!(a.rate, Some(40.0));
        assert_eq!(a.remaining, Some(5.0));
        assert_eq!(a.scope, None);
    }

    #[test]
    fn several_policies_keep_the_tightest() {
        let a = announcement(
            &headers(&[
                (
                    "beta-ratelimit-policy",
                    "\"a\";q=100;w=1, \"b\";q=3600;w=3600",
                ),
                ("beta-ratelimit", "\"a\";r=90;t=1, \"b\";r=2;t=100"),
            ]),
            SystemTime::now(),
        );
        assert_eq!(a.remaining, Some(2.0));
        assert_eq!(a.rate, Some(1.0));
        assert_eq!(a.limit, Some(3600.0));
    }

    #[test]
    fn garbage_is_ignored() {
        let a = announcement(
            &headers(&[
                ("x-ratelimit-limit", "lots"),
                ("x-ratelimit-remaining", "-4"),
                ("x-ratelimit-reset", "tomorrow"),
                ("x-ratelimit-nearlimit", "maybe"),
                ("beta-ratelimit-policy", "\"p\";q=NaN;w=0"),
                ("beta-ratelimit", "\"p\";r=inf;t=-1"),
                ("ratelimit-reason", "unknown"),
            ]),
            SystemTime::now(),
        );
        assert_eq!(a, Announcement::default());
        assert!(a.is_empty());
        let b = announcement(
            &headers(&[("beta-ratelimit", ";;;=,,\"\";r=;t=")]),
            SystemTime::now(),
        );
        assert!(b.is_empty());
        let mut h = HeaderMap::new();
        h.insert(
            "x-ratelimit-remaining",
            HeaderValue::from_bytes(b"\xff\xfe").unwrap(),
        );
        assert!(announcement(&h, SystemTime::now()).is_empty());
    }

    fn pacer() -> Pacer {
        Pacer::new(PacerConfig {
            probe_pause: Duration::from_millis(50),
            hold: Duration::from_secs(2),
            max_wait: Duration::from_secs(30),
        })
    }

    fn spent(rate: Option<f64>) -> Announcement {
        Announcement {
            limit: Some(10.0),
            remaining: Some(0.0),
            rate,
            ..Announcement::default()
        }
    }

    #[tokio::test(start_paused = true)]
    async fn without_headers_there_is_no_wait() {
        let p = pacer();
        let t0 = Instant::now();
        let mut held = Vec::new();
        for _ in 0..100 {
            let t = p.ready("jira.search").await;
            assert_eq!(t.waited, Duration::ZERO);
            held.push(t);
        }
        for t in held.drain(..50) {
            t.answered(StatusCode::OK, &HeaderMap::new());
        }
        drop(held);
        assert_eq!(p.ready("jira.search").await.waited, Duration::ZERO);
        assert_eq!(Instant::now(), t0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_spent_budget_at_ten_per_second_waits_a_tenth() {
        let p = pacer();
        let t = p.ready("e").await;
        drop(t);
        p.apply("e", &spent(Some(10.0)), None, Instant::now());
        let t0 = Instant::now();
        let t = p.ready("e").await;
        let waited = Instant::now() - t0;
        // A token takes a tenth of a second at the server's rate; the pacer
        // spends 90 % of it.
        let tenth = Duration::from_secs_f64(0.1 / RATE_MARGIN);
        assert!(
            waited >= tenth - Duration::from_millis(1)
                && waited <= tenth + Duration::from_millis(1),
            "{waited:?}"
        );
        assert_eq!(t.waited, waited);
        // The next one waits as long again: the token was spent.
        let t1 = Instant::now();
        let _u = p.ready("e").await;
        let again = Instant::now() - t1;
        assert!(again >= tenth - Duration::from_millis(1), "{again:?}");
        // Nothing said whom it covers: the site, so another endpoint waits
        // too (one estimate per endpoint would overspend a site budget).
        let t2 = Instant::now();
        let _v = p.ready("other").await;
        assert!(Instant::now() - t2 >= tenth - Duration::from_millis(1));
    }

    #[tokio::test(start_paused = true)]
    async fn a_burst_scoped_budget_holds_back_its_endpoint_only() {
        let p = pacer();
        drop(p.ready("e").await);
        let burst = Announcement {
            scope: Some(Scope::Endpoint),
            ..spent(Some(10.0))
        };
        p.apply("e", &burst, None, Instant::now());
        let t0 = Instant::now();
        let _v = p.ready("other").await;
        assert_eq!(Instant::now(), t0);
        let _e = p.ready("e").await;
        assert!(Instant::now() - t0 >= Duration::from_millis(100));
    }

    #[tokio::test(start_paused = true)]
    async fn requests_in_flight_are_counted_against_the_budget() {
        let p = pacer();
        let a = p.ready("e").await;
        let b = p.ready("e").await;
        let c = p.ready("e").await;
        // The answer of `a` says 3 left; b and c are still in flight, so one
        // more may go at once and the next waits for a refill.
        a.answered(StatusCode::OK, &HeaderMap::new());
        p.apply(
            "e",
            &Announcement {
                remaining: Some(3.0),
                rate: Some(10.0),
                limit: Some(10.0),
                ..Announcement::default()
            },
            None,
            Instant::now(),
        );
        let t0 = Instant::now();
        let _d = p.ready("e").await;
        assert_eq!(Instant::now(), t0);
        let _e = p.ready("e").await;
        assert!(Instant::now() - t0 >= Duration::from_millis(99));
        drop((b, c));
    }

    #[tokio::test(start_paused = true)]
    async fn a_site_wide_429_makes_unexplained_announcements_site_wide() {
        let p = pacer();
        let _ = p.ready("a").await;
        // The 429 said tenant: from now on, reasonless answers are the site's.
        p.apply("a", &spent(Some(10.0)), Some(true), Instant::now());
        let t0 = Instant::now();
        let _b = p.ready("b").await;
        let waited = Instant::now() - t0;
        assert!(waited >= Duration::from_millis(99), "{waited:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn without_a_rate_one_probe_at_a_time() {
        let p = pacer();
        let _ = p.ready("e").await;
        p.apply("e", &spent(None), None, Instant::now());
        let t0 = Instant::now();
        let probe = p.ready("e").await;
        assert_eq!(Instant::now() - t0, Duration::from_millis(50));
        // While the probe is out, nobody else goes; its answer (budget back)
        // lets the next one go at once.
        let waiting = async {
            let t = p.ready("e").await;
            (Instant::now(), t.waited)
        };
        let answer = async {
            tokio::time::sleep(Duration::from_millis(300)).await;
            probe.answered(StatusCode::OK, &headers(&[("x-ratelimit-remaining", "5")]));
            Instant::now()
        };
        let ((went, _), answered) = tokio::join!(waiting, answer);
        assert_eq!(went, answered);
    }

    #[tokio::test(start_paused = true)]
    async fn near_limit_alone_slows_to_probes_and_is_forgotten() {
        let p = pacer();
        let _ = p.ready("e").await;
        let near = Announcement {
            near_limit: true,
            ..Announcement::default()
        };
        p.apply("e", &near, None, Instant::now());
        let t0 = Instant::now();
        drop(p.ready("e").await);
        assert_eq!(Instant::now() - t0, Duration::from_millis(50));
        // Nothing announced for longer than the hold: no more pacing.
        tokio::time::sleep(Duration::from_secs(3)).await;
        let t1 = Instant::now();
        drop(p.ready("e").await);
        assert_eq!(Instant::now(), t1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_reset_refills_the_budget_when_no_rate_is_known() {
        let p = pacer();
        let _ = p.ready("e").await;
        let a = Announcement {
            limit: Some(10.0),
            remaining: Some(0.0),
            reset_in: Some(Duration::from_secs(1)),
            ..Announcement::default()
        };
        p.apply("e", &a, None, Instant::now());
        tokio::time::sleep(Duration::from_secs(1)).await;
        let t0 = Instant::now();
        // Half the limit goes at once (the burst allowance), then probes.
        let held: Vec<_> = futures_ready(&p, 5).await;
        assert_eq!(Instant::now(), t0, "five tokens after the reset");
        let sixth = p.ready("e");
        let waited = tokio::time::timeout(Duration::from_millis(10), sixth).await;
        assert!(waited.is_err(), "the sixth waits for an answer");
        drop(held);
    }

    fn left(n: &'static str) -> HeaderMap {
        headers(&[("x-ratelimit-limit", "10"), ("x-ratelimit-remaining", n)])
    }

    #[tokio::test(start_paused = true)]
    async fn a_stale_answer_never_raises_the_estimate() {
        let p = pacer();
        let a = p.ready("e").await;
        let b = p.ready("e").await;
        // b, sent later, is answered first: nothing left.
        b.answered(StatusCode::OK, &left("0"));
        // a's answer was counted by the server before b: its 5 is stale.
        a.answered(StatusCode::OK, &left("5"));
        let t0 = Instant::now();
        drop(p.ready("e").await);
        assert!(
            Instant::now() - t0 >= Duration::from_millis(50),
            "a probe, not a burst"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_rate_is_measured_when_none_is_announced() {
        let p = pacer();
        p.ready("e").await.answered(StatusCode::OK, &left("0"));
        tokio::time::sleep(Duration::from_millis(500)).await;
        // One probe; half a second after the first answer the server has
        // refilled 5 tokens, less the probe's own: 4 left, so 10 per second.
        p.ready("e").await.answered(StatusCode::OK, &left("4"));
        let now = Instant::now();
        let mut held = futures_ready(&p, 4).await;
        assert_eq!(Instant::now(), now, "the four left go at once");
        // The fifth waits for the measured refill, not for an answer.
        let t0 = Instant::now();
        held.push(p.ready("e").await);
        let waited = Instant::now() - t0;
        let token = Duration::from_secs_f64(0.1 / RATE_MARGIN);
        assert!(
            waited >= token - Duration::from_millis(2)
                && waited <= token + Duration::from_millis(2),
            "{waited:?}"
        );
    }

    async fn futures_ready(p: &Pacer, n: usize) -> Vec<Ticket<'_>> {
        let mut v = Vec::new();
        for _ in 0..n {
            v.push(p.ready("e").await);
        }
        v
    }
}
