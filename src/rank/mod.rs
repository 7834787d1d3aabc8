//! Container verdicts (DESIGN §7): a score 0–100, a level, a recommendation
//! and reasons in plain words, for every space, project, app and connector.
//!
//! The formula (also in the README):
//!
//! ```text
//! raw   = Σ_entities  w(severity) × log2(1 + Σ_distinct values confidence × own-domain factor)
//!       + breadth × (items with findings / items scanned)
//!       + diversity × (categories − 1)
//! score = 100 × raw / (raw + half)
//! ```
//!
//! Every term grows with the findings, so adding a finding never lowers a
//! score. Levels come from the score's thresholds; a critical finding lifts a
//! `low` container to `moderate` (never kept unseen), and a container not fully
//! read with too little found is `unknown`: nothing unread is called clean.
//!
//! Documentation and test values (`AKIAIOSFODNN7EXAMPLE`, `4242 4242 4242
//! 4242`, `@example.com`: the rule packs' `test_values`) are reported but
//! count for nothing: not in the score, not in the breadth, not in the
//! critical floor. A container holding only those is kept.

pub mod apps;
pub mod connectors;
pub mod evidence;
pub mod policy;
pub mod words;

use crate::model::{Category, ContainerKind, Coverage, CoverageStatus, Product, Severity};
use crate::report::summary::ContainerSummary;
use evidence::{EntityStats, MetadataExposure};
use policy::Policy;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use words::{count_of, items_of};

/// How sensitive a container's content is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Low,
    Moderate,
    High,
    /// Not (fully) readable, and too little found in what was read to say.
    Unknown,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Low => "low",
            Level::Moderate => "moderate",
            Level::High => "high",
            Level::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<Level> {
        match s {
            "low" => Some(Level::Low),
            "moderate" => Some(Level::Moderate),
            "high" => Some(Level::High),
            "unknown" => Some(Level::Unknown),
            _ => None,
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the admin should do with a container. Ordered by urgency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Recommendation {
    Exclude,
    Review,
    Keep,
}

impl Recommendation {
    pub fn as_str(self) -> &'static str {
        match self {
            Recommendation::Exclude => "exclude",
            Recommendation::Review => "review",
            Recommendation::Keep => "keep",
        }
    }

    pub(crate) fn of(level: Level) -> Recommendation {
        match level {
            Level::High => Recommendation::Exclude,
            Level::Moderate | Level::Unknown => Recommendation::Review,
            Level::Low => Recommendation::Keep,
        }
    }
}

impl fmt::Display for Recommendation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The tab of Atlassian Administration → Security → Data contribution where
/// a container is excluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tab {
    Spaces,
    AtlassianApps,
    Connectors,
    /// Not an Atlassian container (files scanned from disk).
    None,
}

impl Tab {
    pub fn title(self) -> &'static str {
        match self {
            Tab::Spaces => "Spaces",
            Tab::AtlassianApps => "Atlassian apps",
            Tab::Connectors => "Teamwork Graph connectors",
            Tab::None => "(not in Atlassian)",
        }
    }

    pub fn of(kind: ContainerKind) -> Tab {
        match kind {
            ContainerKind::Space | ContainerKind::Project => Tab::Spaces,
            ContainerKind::App => Tab::AtlassianApps,
            ContainerKind::Connector => Tab::Connectors,
            ContainerKind::Directory => Tab::None,
        }
    }
}

/// A connector's inventory facts, carried into its verdict for the outputs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectorFacts {
    #[serde(rename = "type")]
    pub kind: String,
    pub sync: String,
    pub scope: String,
    pub owner: String,
}

/// One ranked row: a space, project, app or connector and what to do with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    pub rank: usize,
    pub product: Product,
    pub kind: ContainerKind,
    pub key: String,
    pub name: String,
    pub url: String,
    pub tab: Tab,
    pub recommendation: Recommendation,
    pub level: Level,
    /// 0–100, rounded down: rounding never lifts a container over a threshold.
    pub score: u32,
    /// The unrounded score, for ordering.
    pub score_exact: f64,
    pub reasons: Vec<String>,
    pub coverage: Coverage,
    pub items_with_findings: u64,
    /// Distinct values per category, test values left out.
    pub by_category: BTreeMap<Category, u64>,
    /// The entities with the most findings: (entity, findings), at most three.
    pub top_entities: Vec<(String, u64)>,
    /// Sensitive values in the container's own name: rename, excluding does not help.
    pub metadata_exposures: Vec<MetadataExposure>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connector: Option<ConnectorFacts>,
}

/// The raw sum of the formula (module docs) over one container's findings.
pub fn raw_score(
    stats: &[EntityStats],
    items_with_findings: u64,
    items_scanned: u64,
    policy: &Policy,
) -> f64 {
    let mut raw = 0.0;
    let mut categories = std::collections::BTreeSet::new();
    for e in stats {
        raw += severity_weight(e.severity, policy) * (1.0 + e.weighted_values).log2();
        if e.distinct_values > e.test_values {
            categories.insert(e.category);
        }
    }
    let breadth = if items_scanned == 0 {
        0.0
    } else {
        (items_with_findings as f64 / items_scanned as f64).min(1.0)
    };
    raw += policy.breadth * breadth;
    raw += policy.diversity * categories.len().saturating_sub(1) as f64;
    raw
}

/// `100 × raw / (raw + half)`: 0 for nothing, 50 at `half`, approaching 100.
pub fn score_of(raw: f64, policy: &Policy) -> f64 {
    let raw = raw.max(0.0);
    // The same value as `100 × raw / (raw + half)`, written so that every
    // step is monotone in `raw`: rounding then never lets a larger raw
    // score come out a hair lower (a property the tests hold it to).
    100.0 - 100.0 * policy.half / (raw + policy.half)
}

fn severity_weight(s: Severity, policy: &Policy) -> f64 {
    let w = &policy.severity;
    match s {
        Severity::Critical => w.critical,
        Severity::High => w.high,
        Severity::Medium => w.medium,
        Severity::Low => w.low,
    }
}

fn level_of(score: f64, policy: &Policy) -> Level {
    if score >= policy.thresholds.high {
        Level::High
    } else if score >= policy.thresholds.moderate {
        Level::Moderate
    } else {
        Level::Low
    }
}

/// The level after the two floors: a critical finding is never `low`, and
/// content not fully read is never `low`.
fn floored_level(
    score: f64,
    stats: &[EntityStats],
    coverage: &Coverage,
    policy: &Policy,
    reasons: &mut Vec<String>,
) -> Level {
    let mut level = level_of(score, policy);
    if level == Level::Low {
        // Real values only: documentation and test values never lift a container.
        if let Some(e) = stats
            .iter()
            .find(|e| e.severity == Severity::Critical && e.distinct_values > e.test_values)
        {
            level = Level::Moderate;
            reasons.push(format!(
                "critical findings ({}) are never kept without a look",
                words::entity_noun(&e.entity).1
            ));
        }
    }
    if level == Level::Low && coverage.status != CoverageStatus::Complete {
        level = Level::Unknown;
    }
    level
}

/// Reasons in plain words, strongest first.
pub(crate) fn finding_reasons(
    stats: &[EntityStats],
    product: Product,
    policy: &Policy,
) -> Vec<String> {
    let mut by_weight: Vec<&EntityStats> = stats.iter().collect();
    by_weight.sort_by(|a, b| {
        let wa = severity_weight(a.severity, policy) * (1.0 + a.weighted_values).log2();
        let wb = severity_weight(b.severity, policy) * (1.0 + b.weighted_values).log2();
        wb.total_cmp(&wa).then(a.entity.cmp(&b.entity))
    });
    let shown = 5;
    let mut reasons: Vec<String> = by_weight
        .iter()
        .take(shown)
        .map(|e| entity_reason(e, product))
        .collect();
    if by_weight.len() > shown {
        let rest: u64 = by_weight[shown..].iter().map(|e| e.findings).sum();
        reasons.push(format!(
            "{rest} more findings of {} other kinds",
            by_weight.len() - shown
        ));
    }
    reasons
}

fn entity_reason(e: &EntityStats, product: Product) -> String {
    let within = items_of(e.items, product);
    let mut s = if e.category == Category::Client && !e.names.is_empty() {
        let names: Vec<String> = e
            .names
            .iter()
            .take(4)
            .map(|(n, c)| format!("{n} ({c})"))
            .collect();
        let more = if e.names.len() > 4 {
            format!(" and {} more", e.names.len() - 4)
        } else {
            String::new()
        };
        format!("client names: {}{more} in {within}", names.join(", "))
    } else if e.distinct_values < e.findings {
        format!(
            "{} ({} distinct) in {within}",
            count_of(e.findings, &e.entity),
            e.distinct_values
        )
    } else {
        format!("{} in {within}", count_of(e.findings, &e.entity))
    };
    if e.test_values > 0 && e.test_values == e.distinct_values {
        s.push_str(" — documentation/test values only");
    } else if e.test_values > 0 {
        s.push_str(&format!(" ({} documentation/test values)", e.test_values));
    }
    if e.own_domain_values > 0 {
        s.push_str(&format!(
            " ({} of your own domains, weighed low)",
            e.own_domain_values
        ));
    }
    s
}

fn coverage_reason(coverage: &Coverage, product: Product) -> Option<String> {
    let first = coverage
        .reasons
        .first()
        .map(|r| format!(": {r}"))
        .unwrap_or_default();
    match coverage.status {
        CoverageStatus::Complete => None,
        CoverageStatus::Partial => Some(format!(
            "only {} of {} read{first}",
            coverage.items_scanned,
            items_of(coverage.items_seen, product)
        )),
        CoverageStatus::Failed => Some(format!("could not be read{first}")),
        CoverageStatus::Inventory => Some(
            "its content cannot be read by any API: judged from its type, sync mode and description"
                .into(),
        ),
    }
}

fn metadata_reason(exposures: &[MetadataExposure], kind: ContainerKind) -> Option<String> {
    if exposures.is_empty() {
        return None;
    }
    let noun = match kind {
        ContainerKind::Project => "project",
        ContainerKind::Connector => "connector",
        _ => "space",
    };
    Some(format!(
        "metadata exposure: the {noun}'s name or key holds {} — names are metadata, contributed even when the {noun} is excluded: rename it",
        describe_exposures(exposures)
    ))
}

/// Every exposure of one name, described and joined with commas.
pub fn describe_exposures(exposures: &[MetadataExposure]) -> String {
    exposures
        .iter()
        .map(describe_exposure)
        .collect::<Vec<_>>()
        .join(", ")
}

/// "a client name (Northwind Traders)", "an email address (j•••@client.com)".
pub fn describe_exposure(m: &MetadataExposure) -> String {
    let one = words::entity_noun(&m.entity).0;
    let article = if one.starts_with(['a', 'e', 'i', 'o', 'u', 'A', 'E', 'I', 'O', 'U']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {one} ({})", m.masked)
}

pub(crate) fn by_category(stats: &[EntityStats]) -> BTreeMap<Category, u64> {
    let mut out = BTreeMap::new();
    for e in stats {
        let real = e.distinct_values - e.test_values.min(e.distinct_values);
        if real > 0 {
            *out.entry(e.category).or_default() += real;
        }
    }
    out
}

pub(crate) fn top_entities(stats: &[EntityStats]) -> Vec<(String, u64)> {
    let mut top: Vec<(String, u64)> = stats
        .iter()
        .map(|e| (e.entity.clone(), e.findings))
        .collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    top.truncate(3);
    top
}

/// The verdict of one space, project or directory from its summary.
pub fn container_verdict(c: &ContainerSummary, policy: &Policy) -> Verdict {
    let product = c.container.product;
    let raw = raw_score(
        &c.entities,
        c.items_with_findings,
        c.coverage.items_scanned,
        policy,
    );
    let score = score_of(raw, policy);
    let mut reasons = finding_reasons(&c.entities, product, policy);
    if c.items_with_findings > 0 {
        reasons.push(format!(
            "findings in {} of {}",
            c.items_with_findings,
            items_of(c.coverage.items_scanned, product)
        ));
    } else if c.coverage.status == CoverageStatus::Complete {
        reasons.push(if c.coverage.items_scanned == 0 {
            "no content: nothing to contribute".to_string()
        } else if c.entities.iter().any(|e| e.test_values > 0) {
            format!(
                "nothing but documentation/test values in {}",
                items_of(c.coverage.items_scanned, product)
            )
        } else {
            format!(
                "nothing found in {}",
                items_of(c.coverage.items_scanned, product)
            )
        });
    }
    let level = floored_level(score, &c.entities, &c.coverage, policy, &mut reasons);
    if let Some(r) = coverage_reason(&c.coverage, product) {
        reasons.push(r);
    }
    if let Some(r) = metadata_reason(&c.metadata_exposures, c.container.kind) {
        reasons.push(r);
    }
    Verdict {
        rank: 0,
        product,
        kind: c.container.kind,
        key: c.container.key.clone(),
        name: c.container.name.clone(),
        url: c.container.url.clone(),
        tab: Tab::of(c.container.kind),
        recommendation: Recommendation::of(level),
        level,
        score: score.floor() as u32,
        score_exact: score,
        reasons,
        coverage: c.coverage.clone(),
        items_with_findings: c.items_with_findings,
        by_category: by_category(&c.entities),
        top_entities: top_entities(&c.entities),
        metadata_exposures: c.metadata_exposures.clone(),
        created: c.container.created.clone(),
        connector: None,
    }
}

/// Order verdicts: exclude, review, keep; within each, highest score first;
/// ties broken by product and key, so the order never depends on timing.
pub fn sort_and_number(verdicts: &mut [Verdict]) {
    verdicts.sort_by(|a, b| {
        a.recommendation
            .cmp(&b.recommendation)
            .then(b.score_exact.total_cmp(&a.score_exact))
            .then(b.items_with_findings.cmp(&a.items_with_findings))
            .then(a.product.cmp(&b.product))
            .then(a.key.cmp(&b.key))
    });
    for (i, v) in verdicts.iter_mut().enumerate() {
        v.rank = i + 1;
    }
}

/// Every verdict of a scan: containers, connectors, then the apps they add up
/// to (`unlisted`: the products whose containers could not all be listed, as
/// `totals.incomplete_products`), ranked together.
pub fn rank(
    containers: &[ContainerSummary],
    connectors: &[crate::sources::connectors::ConnectorRecord],
    unlisted: &BTreeMap<Product, Vec<String>>,
    policy: &Policy,
) -> Vec<Verdict> {
    let mut verdicts: Vec<Verdict> = containers
        .iter()
        .map(
            |c| match connectors.iter().find(|r| r.key == c.container.key) {
                Some(record) if c.container.product == Product::Connector => {
                    connectors::connector_verdict(c, record, policy)
                }
                _ => container_verdict(c, policy),
            },
        )
        .collect();
    let apps = apps::app_verdicts(&verdicts, unlisted, policy);
    verdicts.extend(apps);
    sort_and_number(&mut verdicts);
    verdicts
}
