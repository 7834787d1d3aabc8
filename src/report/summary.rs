//! `summary.json`: totals, coverage, timings, rule pack versions, tool version.

use crate::detect::rules::PackInfo;
use crate::model::{Container, Coverage, Product};
use crate::posture::PostureSection;
use crate::rank::evidence::{EntityStats, MetadataExposure};
use crate::rank::policy::Thresholds;
use crate::rank::{Recommendation, Verdict};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub tool: ToolInfo,
    pub started_at: String,
    pub finished_at: String,
    pub duration_ms: u64,
    pub source: SourceInfo,
    pub threads: usize,
    pub rule_packs: Vec<PackInfo>,
    pub clients: usize,
    pub revealed: bool,
    /// How the run ended and what became of each product (`status`,
    /// `interrupted`, `products` at the top level of summary.json).
    #[serde(flatten)]
    pub run: RunInfo,
    pub totals: Totals,
    pub containers: Vec<ContainerSummary>,
    /// Every space, project, app and connector, ranked: what to exclude first.
    pub verdicts: Vec<Verdict>,
    /// The policy's score thresholds the levels were cut at.
    pub thresholds: Thresholds,
    /// The organization's posture checks, when an org file was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub posture: Option<PostureSection>,
    /// What the crawl did: preflight, requests, warnings (crawled sources only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crawl: Option<serde_json::Value>,
    /// What changed since the site's previous scan (from the store).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changes: Option<crate::store::diff::Diff>,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    /// Everything the source offered was read.
    #[default]
    Complete,
    /// Something could not be read (a container, a product's listing).
    Partial,
    /// Stopped by a signal before the end: partial by definition.
    Interrupted,
}

/// The run's own state, beside the totals.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RunInfo {
    pub status: RunStatus,
    pub interrupted: bool,
    /// Why the run stopped early ("the scan was interrupted (SIGINT) ...").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interruption: Option<String>,
    /// What became of each product the source could hold, one line each.
    pub products: Vec<ProductLine>,
}

/// What became of one product: scanned, or why not (fully).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductLine {
    pub product: Product,
    pub status: ProductStatus,
    /// In words, for people: "12 spaces", "not on this site", "--products confluence".
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProductStatus {
    Scanned,
    /// Not every container could be listed or read.
    Partial,
    /// The user left it out (`--products`).
    Skipped,
    /// The site does not have it.
    NotOnSite,
}

impl ProductLine {
    /// One plain line: "Jira Service Management: not on this site",
    /// "Jira: skipped (--products confluence)".
    pub fn line(&self) -> String {
        let name = crate::rank::words::app_name(self.product);
        match self.status {
            ProductStatus::Scanned => format!("{name}: scanned, {}", self.reason),
            ProductStatus::Partial => format!("{name}: partly scanned: {}", self.reason),
            ProductStatus::Skipped => format!("{name}: skipped ({})", self.reason),
            ProductStatus::NotOnSite => format!("{name}: not on this site"),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ToolInfo {
    pub name: &'static str,
    pub version: &'static str,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SourceInfo {
    pub kind: String,
    pub paths: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Totals {
    pub containers: usize,
    pub items_seen: u64,
    pub items_scanned: u64,
    pub items_failed: u64,
    pub documents: u64,
    pub bytes: u64,
    pub findings: u64,
    pub test_values: u64,
    pub by_category: BTreeMap<String, u64>,
    pub by_entity: BTreeMap<String, u64>,
    pub by_severity: BTreeMap<String, u64>,
    /// What allow lists removed: reason → entity → count. Never hidden.
    pub suppressed: BTreeMap<String, BTreeMap<String, u64>>,
    /// Findings triage decisions removed: decision (`false-positive`,
    /// `accepted-risk`) → count. Never hidden.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub triaged: BTreeMap<String, u64>,
    pub extraction_warnings: u64,
    /// Items and comments the source sent again (a listing that shifted while
    /// it was read): scanned and counted once, the repeats dropped.
    pub repeats_dropped: u64,
    /// Source-level problems: a product whose containers could not all be listed.
    pub warnings: Vec<String>,
    /// Per product, why not every container could be listed (or the crawl
    /// stopped): containers may be missing, so nothing of it is complete.
    pub incomplete_products: BTreeMap<Product, Vec<String>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ContainerSummary {
    #[serde(flatten)]
    pub container: Container,
    #[serde(flatten)]
    pub coverage: Coverage,
    /// Items with at least one finding that is not a documentation/test value.
    pub items_with_findings: u64,
    pub findings: u64,
    pub by_category: BTreeMap<String, u64>,
    pub by_entity: BTreeMap<String, u64>,
    /// Per entity: distinct values, items, weight — what the ranking reads.
    pub entities: Vec<EntityStats>,
    /// Sensitive values in the container's own name or key (metadata).
    pub metadata_exposures: Vec<MetadataExposure>,
}

impl Summary {
    pub fn to_json(&self) -> serde_json::Result<String> {
        serde_json::to_string_pretty(self)
    }

    /// Whether anything was not fully read: a product's listing, a
    /// container, or the run itself (interrupted).
    pub fn is_partial(&self) -> bool {
        self.run.interrupted
            || !self.totals.incomplete_products.is_empty()
            || self.containers.iter().any(|c| {
                matches!(
                    c.coverage.status,
                    crate::model::CoverageStatus::Partial | crate::model::CoverageStatus::Failed
                )
            })
    }

    /// Set `run.status` from what the run read (after ranking, before writing).
    pub fn settle_status(&mut self) {
        self.run.status = if self.run.interrupted {
            RunStatus::Interrupted
        } else if self.is_partial() {
            RunStatus::Partial
        } else {
            RunStatus::Complete
        };
    }

    /// How many verdicts recommend `r`.
    pub fn recommended(&self, r: Recommendation) -> usize {
        self.verdicts
            .iter()
            .filter(|v| v.recommendation == r)
            .count()
    }

    /// The verdicts whose container holds secrets (test values left out), in
    /// rank order, with how many: these must be rotated whatever is decided.
    pub fn to_rotate(&self) -> impl Iterator<Item = (&Verdict, u64)> {
        self.verdicts.iter().filter_map(|v| {
            v.by_category
                .get(&crate::model::Category::Secret)
                .filter(|&&n| n > 0)
                .map(|&n| (v, n))
        })
    }

    /// The verdicts whose container name holds a sensitive value, in rank order.
    pub fn to_rename(&self) -> impl Iterator<Item = &Verdict> {
        self.verdicts
            .iter()
            .filter(|v| !v.metadata_exposures.is_empty())
    }
}
