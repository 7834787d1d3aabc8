//! The data model shared by every stage of the pipeline (DESIGN §2).
//!
//! Sources produce [`Item`]s inside [`Container`]s; text extraction turns each
//! field of an item into a [`Document`]; detection sees only Documents and
//! produces [`Finding`]s. Names here are the names used throughout the code,
//! the outputs and the documentation.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

/// The Atlassian product a container belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Product {
    Confluence,
    Jira,
    Jsm,
    Connector,
    /// Files scanned from disk with `scan --path`: not an Atlassian product.
    Files,
}

impl Product {
    pub fn as_str(self) -> &'static str {
        match self {
            Product::Confluence => "confluence",
            Product::Jira => "jira",
            Product::Jsm => "jsm",
            Product::Connector => "connector",
            Product::Files => "files",
        }
    }
}

impl fmt::Display for Product {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What kind of unit an admin can exclude.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ContainerKind {
    Space,
    Project,
    App,
    Connector,
    Directory,
}

/// What an admin can exclude from data contribution: a space, project, app or connector.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Container {
    pub product: Product,
    pub kind: ContainerKind,
    /// The product's own id (Confluence space id, Jira project id).
    pub id: String,
    /// The short key people know (`ENG`, `PAY`).
    pub key: String,
    pub name: String,
    pub url: String,
    /// When the container was created, where the product says (Confluence
    /// spaces): new containers contribute at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
}

impl Container {
    /// The container's identity: (product, key).
    pub fn identity(&self) -> ContainerId {
        ContainerId::new(self.product, &self.key)
    }
}

/// A container's identity: its product and its key. A Confluence space and a
/// Jira project often share a key (`OPS`, `ENG`, `HR`): they are two
/// containers, so nothing is ever looked up, counted or listed by key alone.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ContainerId {
    pub product: Product,
    pub key: String,
}

impl ContainerId {
    pub fn new(product: Product, key: impl Into<String>) -> ContainerId {
        ContainerId {
            product,
            key: key.into(),
        }
    }
}

impl fmt::Display for ContainerId {
    /// `confluence:OPS`: unambiguous in messages and reasons.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.product, self.key)
    }
}

/// The kind of one item inside a container.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    Page,
    BlogPost,
    Issue,
    Request,
    ConnectorRecord,
    File,
}

/// One page, blog post, issue, request, connector record or file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    /// The container the item belongs to.
    pub container: ContainerId,
    /// Confluence content id, Jira issue key (`PAY-123`), or a file's relative path.
    pub id: String,
    pub kind: ItemKind,
    pub title: String,
    pub url: String,
    pub version: Option<u64>,
    pub updated: Option<String>,
}

/// Which field of an item a document holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Title,
    Body,
    Comment,
    /// The space or project name itself: metadata, contributed even when in-app data is off.
    ContainerName,
}

impl Field {
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Title => "title",
            Field::Body => "body",
            Field::Comment => "comment",
            Field::ContainerName => "container_name",
        }
    }
}

/// Where a document's text came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Origin {
    pub product: Product,
    pub container_key: String,
    pub item_id: String,
    pub item_url: String,
    pub field: Field,
    /// The comment's own id when `field` is `comment`.
    pub comment_id: Option<String>,
}

impl Origin {
    /// The identity of the container the document belongs to.
    pub fn container(&self) -> ContainerId {
        ContainerId::new(self.product, &self.container_key)
    }
}

/// The plain text of one field of one item. Detection sees only documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub origin: Origin,
    pub text: String,
    /// Where `text` differs in length from the text it was read from
    /// (invisible characters removed from a title or a plain file): findings
    /// report their span in that original text. Empty: the same offsets.
    pub offsets: OffsetMap,
}

/// Offsets of a normalised text back to its original: checkpoints
/// (offset in the normalised text, offset in the original) at every place the
/// two drift apart; between checkpoints the texts run in step.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OffsetMap(Vec<(usize, usize)>);

impl OffsetMap {
    /// Record that normalised offset `at` is original offset `original`.
    pub fn push(&mut self, at: usize, original: usize) {
        if self.0.last().is_some_and(|&(a, _)| a == at) {
            self.0.pop();
        }
        self.0.push((at, original));
    }

    /// The original offset of normalised offset `at`.
    pub fn original(&self, at: usize) -> usize {
        match self.0.partition_point(|&(a, _)| a <= at) {
            0 => at,
            i => {
                let (a, o) = self.0[i - 1];
                o + (at - a)
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// How bad a finding is if it leaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// The category of an entity (DESIGN §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Secret,
    Financial,
    NationalId,
    Health,
    SpecialCategory,
    ExportControl,
    Client,
    Contact,
    Custom,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Secret => "secret",
            Category::Financial => "financial",
            Category::NationalId => "national_id",
            Category::Health => "health",
            Category::SpecialCategory => "special_category",
            Category::ExportControl => "export_control",
            Category::Client => "client",
            Category::Contact => "contact",
            Category::Custom => "custom",
        }
    }
}

/// One sensitive value found in one document.
///
/// `masked` and `fingerprint` are always present; the raw `matched` value is
/// kept only when the user asked to reveal it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Shared with the rule and every other finding of it: findings are many.
    pub rule: Arc<str>,
    pub entity: Arc<str>,
    pub category: Category,
    pub severity: Severity,
    pub confidence: f32,
    /// Shared by every finding of the same document.
    pub origin: Arc<Origin>,
    /// Byte span of the value in the document text.
    pub start: usize,
    pub end: usize,
    pub masked: String,
    pub fingerprint: String,
    /// A well-known documentation or test value (`AKIAIOSFODNN7EXAMPLE`, `4111 1111 1111 1111`).
    pub test_value: bool,
    #[serde(rename = "match", skip_serializing_if = "Option::is_none")]
    pub matched: Option<String>,
}

/// How completely a container was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CoverageStatus {
    Complete,
    Partial,
    Failed,
    /// Only an inventory record was read (a connector: no API reaches its content).
    Inventory,
}

/// What was read of one container, and why not everything was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coverage {
    pub items_seen: u64,
    pub items_scanned: u64,
    pub items_failed: u64,
    pub status: CoverageStatus,
    pub reasons: Vec<String>,
}

impl CoverageStatus {
    /// The name `summary.json` and `exclusions.csv` use.
    pub fn as_str(self) -> &'static str {
        match self {
            CoverageStatus::Complete => "complete",
            CoverageStatus::Partial => "partial",
            CoverageStatus::Failed => "failed",
            CoverageStatus::Inventory => "inventory",
        }
    }
}

impl Default for Coverage {
    fn default() -> Self {
        Coverage {
            items_seen: 0,
            items_scanned: 0,
            items_failed: 0,
            status: CoverageStatus::Complete,
            reasons: Vec::new(),
        }
    }
}

impl Coverage {
    /// Record an item that could not be read; the container becomes partial.
    pub fn record_failure(&mut self, reason: impl Into<String>) {
        self.items_failed += 1;
        if self.status == CoverageStatus::Complete {
            self.status = CoverageStatus::Partial;
        }
        self.reasons.push(reason.into());
    }
}
