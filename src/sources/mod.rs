//! Where items come from: files on disk, the bundled demo site, and the
//! Atlassian crawler (`atlassian`). Every source yields the same units.

pub mod atlassian;
pub mod connectors;
pub mod demo;
pub mod files;
pub mod memory;

use crate::model::{Container, ContainerId, Document, Item, Product};
use std::collections::BTreeMap;

/// One item with the documents extracted from it.
#[derive(Debug, Clone)]
pub struct ItemUnit {
    pub item: Item,
    pub documents: Vec<Document>,
    /// Extraction warnings (malformed but readable bodies); the item still
    /// counts as scanned.
    pub warnings: Vec<String>,
    /// Documents of the item that could not be read to the end (or at all),
    /// each with why: the item counts as failed, not scanned, and its
    /// container is partial. What was read of them is still in `documents`.
    pub unread: Vec<String>,
    /// Comment id → what the source knows about the comment besides its
    /// text (who can see it, which comment it answers), for the comments
    /// whose source says; empty elsewhere. A side table so that
    /// [`crate::model::Origin`] stays product-neutral.
    pub comments: BTreeMap<String, CommentMeta>,
}

/// What a source knows about one comment besides its text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommentMeta {
    /// Whether customers can see it (JSM `jsdPublic`), when the source says.
    pub public: Option<bool>,
    /// The comment it answers (Confluence `parentCommentId`), for a reply.
    pub reply_to: Option<String>,
    /// The comment's own `version.number` (Confluence): an incremental rescan
    /// compares it, since a new or edited comment leaves its page's version as it was.
    pub version: Option<u64>,
}

/// An item that could not be read: its container becomes partial.
#[derive(Debug, Clone)]
pub struct ItemFailure {
    pub container: ContainerId,
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

/// What a source hands the scan pipeline, one at a time.
#[derive(Debug, Clone)]
pub enum SourceEvent {
    /// A container, first seen; `name` is the document of its name (metadata),
    /// where the product contributes names.
    Container {
        container: Container,
        name: Option<Document>,
    },
    /// One item with all its documents.
    Unit(ItemUnit),
    /// More documents of an item sent before (a comment streamed on its own):
    /// scanned like any other, not counted as another item.
    Documents(ItemUnit),
    /// One item that could not be read.
    Failure(ItemFailure),
    /// A container's listing could not be read to the end: it cannot be
    /// complete, whatever its items say.
    ContainerIncomplete { id: ContainerId, reason: String },
    /// Only the container's inventory record can be read (a connector).
    ContainerInventoryOnly { id: ContainerId },
    /// A product whose containers could not all be listed: containers may
    /// be missing altogether, so the product's app cannot be complete.
    ProductIncomplete { product: Product, reason: String },
    /// An item (`comment_id: None`) or one comment of an item that the site
    /// no longer has (a rescan found it deleted): the store marks it removed
    /// and resolves its findings.
    Removed {
        container: ContainerId,
        item_id: String,
        comment_id: Option<String>,
    },
    /// Where one listing stands: everything it yielded before this event has
    /// been sent, so a resume may go on from `cursor` (`None`: the listing
    /// was read to the end). The store writes it after those items.
    Checkpoint {
        listing: String,
        cursor: Option<String>,
    },
    /// The source listed everything it was asked to and ended without
    /// error: what a full read of a container did not send is gone from the
    /// site. A source that stops early (an error, a signal) never sends it,
    /// so nothing is called deleted that was merely not reached.
    Finished,
}

impl SourceData {
    /// The data as the event stream the scan pipeline consumes.
    pub fn into_events(self) -> impl Iterator<Item = SourceEvent> {
        let mut names = self.container_documents;
        let containers: Vec<SourceEvent> = self
            .containers
            .into_iter()
            .map(|container| {
                let name = names
                    .iter()
                    .position(|d| d.origin.container() == container.identity())
                    .map(|i| names.swap_remove(i));
                SourceEvent::Container { container, name }
            })
            .collect();
        containers
            .into_iter()
            .chain(self.units.into_iter().map(SourceEvent::Unit))
            .chain(self.failures.into_iter().map(SourceEvent::Failure))
    }
}
