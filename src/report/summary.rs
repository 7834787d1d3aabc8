//! `summary.json`: totals, coverage, timings, rule pack versions, tool version.

use crate::detect::rules::PackInfo;
use crate::model::{Container, Coverage, Product};
use crate::posture::PostureSection;
use crate::rank::evidence::{EntityStats, MetadataExposure};
use crate::rank::policy::Thresholds;
use crate::rank::{Recommendation, Verdict};
use serde::Serialize;
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
}

#[derive(Debug, Clone, Serialize)]
pub struct ToolInfo {
    pub name: &'static str,
    pub version: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct SourceInfo {
    pub kind: String,
    pub paths: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
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

    /// How many verdicts recommend `r`.
    pub fn recommended(&self, r: Recommendation) -> usize {
        self.verdicts
            .iter()
            .filter(|v| v.recommendation == r)
            .count()
    }

    /// The verdicts whose container name holds a sensitive value, in rank order.
    pub fn to_rename(&self) -> impl Iterator<Item = &Verdict> {
        self.verdicts
            .iter()
            .filter(|v| !v.metadata_exposures.is_empty())
    }
}
