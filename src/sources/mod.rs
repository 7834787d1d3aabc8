//! Where items come from: files on disk, the bundled demo site, and the
//! Atlassian crawler (`atlassian`). Every source yields the same units.

pub mod atlassian;
pub mod demo;
pub mod files;

use crate::model::{Container, Document, Item};
use std::collections::BTreeMap;

/// One item with the documents extracted from it.
#[derive(Debug, Clone)]
pub struct ItemUnit {
    pub item: Item,
    pub documents: Vec<Document>,
    /// Extraction warnings (malformed bodies); the item still counts as scanned.
    pub warnings: Vec<String>,
    /// Comment id → whether customers can see the comment (JSM `jsdPublic`),
    /// for the comments whose source says; empty elsewhere. A side table so
    /// that [`crate::model::Origin`] stays product-neutral.
    pub comment_public: BTreeMap<String, bool>,
}

/// An item that could not be read: its container becomes partial.
#[derive(Debug, Clone)]
pub struct ItemFailure {
    pub container_key: String,
    pub item_id: String,
    pub reason: String,
}

/// Everything a source produced.
#[derive(Debug, Default)]
pub struct SourceData {
    pub containers: Vec<Container>,
    /// Documents about the containers themselves (their names: metadata).
    pub container_documents: Vec<Document>,
    pub units: Vec<ItemUnit>,
    pub failures: Vec<ItemFailure>,
}
