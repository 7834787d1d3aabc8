//! What the store hands a crawl before it starts (DESIGN §8a): for an
//! incremental rescan, what the last scan of the same target saw
//! ([`KnownSite`]); for a resume, where the interrupted scan stopped
//! ([`ResumePoint`]). The crawler only reads these; the store builds them.

use crate::model::{ContainerId, ItemKind};
use std::collections::{HashMap, HashSet};

/// What the last scan of this target read, for a rescan that reads only
/// what changed. Containers absent from `containers` are new: read in full.
#[derive(Debug, Clone, Default)]
pub struct KnownSite {
    /// When the last complete scan started (UTC): the watermark of
    /// modified-since listings. CQL and JQL dates have minute precision, so a
    /// listing overlaps the window; an item listed again with the version the
    /// store has is not read again.
    pub since: Option<jiff::Timestamp>,
    pub containers: HashMap<ContainerId, KnownContainer>,
}

/// The live items of one container as the store has them.
#[derive(Debug, Clone, Default)]
pub struct KnownContainer {
    pub items: HashMap<String, KnownItem>,
}

/// One item as the store has it.
#[derive(Debug, Clone)]
pub struct KnownItem {
    pub kind: ItemKind,
    /// Confluence `version.number`.
    pub version: Option<u64>,
    /// Jira `updated`.
    pub updated: Option<String>,
    /// Comment id → its `version.number` where the product has one (Confluence);
    /// `None` for Jira comments (their `updated` bumps the issue's).
    pub comments: HashMap<String, Option<u64>>,
}

/// Where an interrupted scan of this target stopped, for a resume that
/// neither refetches nor rescans what it already has.
#[derive(Debug, Clone, Default)]
pub struct ResumePoint {
    /// Listing name (chosen by the crawler, e.g. `confluence:space:123:pages`)
    /// → the cursor to go on from; `None` = that listing was read to the end.
    /// A listing not here has not been started.
    pub listings: HashMap<String, Option<String>>,
    /// Items the interrupted scan already read: (container, item id).
    pub items: HashSet<(ContainerId, String)>,
    /// Comments it already read: (container, item id, comment id).
    pub comments: HashSet<(ContainerId, String, String)>,
    /// Every item it listed, read or failed, with what the comments of an
    /// item need (a resumed Confluence crawl does not list those items
    /// again, yet their comments still come from the site-wide listings).
    pub listed: Vec<ListedItem>,
}

/// An item an interrupted scan listed.
#[derive(Debug, Clone)]
pub struct ListedItem {
    pub container: ContainerId,
    pub id: String,
    pub kind: ItemKind,
    pub url: String,
}

impl ResumePoint {
    pub fn has_item(&self, c: &ContainerId, item: &str) -> bool {
        self.items.contains(&(c.clone(), item.to_string()))
    }

    pub fn has_comment(&self, c: &ContainerId, item: &str, comment: &str) -> bool {
        self.comments
            .contains(&(c.clone(), item.to_string(), comment.to_string()))
    }

    /// The cursor to go on from: `Some(None)` = done, `Some(Some(c))` =
    /// continue at `c`, `None` = not started.
    pub fn listing(&self, name: &str) -> Option<Option<&str>> {
        self.listings.get(name).map(|c| c.as_deref())
    }
}
