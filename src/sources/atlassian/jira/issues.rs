//! One Jira search's issues on their way out: each issue parsed and
//! converted, compared with the store's memory (an issue the store has with
//! the same `updated` is not sent again, an issue a resumed scan already
//! sent is skipped), held for its cut-short comments (bulk fetch, then
//! per-issue paging), sent with `Removed` for each comment the store has
//! that the issue no longer holds, and the search's checkpoints.
//!
//! Checkpoints: two listings per search, `<name>:issues` (the cursor is the
//! search's `nextPageToken`) and `<name>:waiting` (the keys of issues listed
//! on earlier pages that still wait for their comments, comma-separated).
//! After each page, once every issue of the page has been sent or is in
//! `waiting`, `waiting` is written and then the page's token: a resume
//! hydrates the waiting issues by one bulk fetch (they need one for their
//! comments anyway) and goes on from the token. Without the second listing
//! the token could only move once every waiting issue was out, and since a
//! bulk fetch waits for 100 of them (about 3 in 100 issues have more than
//! the 20 comments a search embeds), a project's checkpoint would stay at its
//! first page, so that a resume re-read nearly every page (measured: see
//! `tests/crawl_rescan_jira.rs`).

use super::super::convert;
use super::super::paging::Listing;
use super::super::{CrawlEvent, Ctx, Fatal};
use super::{bulk_comments, parse_issue, raw_issue_name, CommentTask, Hydrate, Truncated};
use super::{BULK_ISSUES, MAX_COMMENT_TASKS};
use crate::model::Product;
use crate::model::{Container, ContainerId, CoverageStatus};
use crate::sources::{ItemFailure, ItemUnit};
use crate::text::deep_json;
use serde_json::value::RawValue;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use tokio::task::JoinSet;

/// A problem to record on one container (by project key).
pub(super) type Problems = BTreeMap<String, Vec<(CoverageStatus, String)>>;

pub(super) struct Issues {
    pub ctx: Arc<Ctx>,
    text_fields: Arc<Vec<String>>,
    /// Project key → its container: one for a project's own search, many
    /// for the rescan's search of changed issues.
    pub containers: BTreeMap<String, Container>,
    /// The checkpoint listings (`…:issues`, `…:waiting`), when checkpointed.
    names: Option<(String, String)>,
    pub listing: Listing,
    set: JoinSet<CommentTask>,
    batch: Vec<Truncated>,
    /// Issues to read in full with the next bulk fetch.
    batch_keys: Vec<String>,
    /// Issues listed and not yet sent (in `batch` or in a task).
    waiting: BTreeSet<String>,
    waiting_sent: Option<String>,
    pub problems: Problems,
    /// Issue keys listed (sent, skipped or unchanged), per project key: what
    /// the rescan's check for deleted issues compares with the count.
    pub listed: HashMap<String, HashSet<String>>,
    /// Issues listed by the search itself (the strategy's minimum).
    pub seen: u64,
}

impl Issues {
    pub fn new(
        ctx: Arc<Ctx>,
        text_fields: Arc<Vec<String>>,
        containers: impl IntoIterator<Item = Container>,
        name: Option<String>,
    ) -> Issues {
        let max_pages = ctx.config.max_pages;
        Issues {
            ctx,
            text_fields,
            containers: containers.into_iter().map(|c| (c.key.clone(), c)).collect(),
            names: name.map(|n| (format!("{n}:issues"), format!("{n}:waiting"))),
            listing: Listing::new(max_pages),
            set: JoinSet::new(),
            batch: Vec::new(),
            batch_keys: Vec::new(),
            waiting: BTreeSet::new(),
            waiting_sent: None,
            problems: Problems::new(),
            listed: HashMap::new(),
            seen: 0,
        }
    }

    pub fn text_fields(&self) -> &[String] {
        &self.text_fields
    }

    /// Where a resume goes on from: `Some(None)` = this search was read to
    /// the end, `Some(Some(token))` = from that page, `None` = from the start.
    pub fn resumed_at(&self) -> Option<Option<String>> {
        let (issues, _) = self.names.as_ref()?;
        let r = self.ctx.config.resume.as_ref()?;
        r.listing(issues).map(|c| c.map(str::to_string))
    }

    /// The issues a resumed search's last checkpoint left waiting for their
    /// comments, minus those sent since: read again by bulk fetch.
    pub async fn resume_waiting(&mut self) -> Result<(), Fatal> {
        let Some((_, waiting)) = &self.names else {
            return Ok(());
        };
        let Some(r) = self.ctx.config.resume.clone() else {
            return Ok(());
        };
        let Some(Some(keys)) = r.listing(waiting) else {
            return Ok(());
        };
        let keys: Vec<String> = keys
            .split(',')
            .filter(|k| !k.is_empty())
            .filter(|k| match self.container_of_key(k) {
                Some(c) => !r.has_item(&c.identity(), k),
                None => false,
            })
            .map(str::to_string)
            .collect();
        self.read_in_full(keys).await
    }

    /// Read these issues in full (the search's fields) with the next bulk
    /// fetch, which the search's issues with cut-short comments need anyway:
    /// the issues a resume found waiting, or ones a rescan's listing showed
    /// that it had not read.
    pub async fn read_in_full(&mut self, keys: Vec<String>) -> Result<(), Fatal> {
        for key in keys {
            let Some(c) = self.container_of_key(&key).cloned() else {
                continue;
            };
            if !self.listing.fresh(&key) {
                continue;
            }
            self.listed
                .entry(c.key.clone())
                .or_default()
                .insert(key.clone());
            self.waiting.insert(key.clone());
            self.batch_keys.push(key);
            if self.batch.len() + self.batch_keys.len() >= BULK_ISSUES {
                self.spawn_batch().await?;
            }
        }
        Ok(())
    }

    fn hydrate(&mut self) -> Hydrate {
        Hydrate {
            keys: std::mem::take(&mut self.batch_keys),
            text_fields: self.text_fields.clone(),
            products: Arc::new(
                self.containers
                    .iter()
                    .map(|(k, c)| (k.clone(), c.product))
                    .collect::<BTreeMap<String, Product>>(),
            ),
        }
    }

    /// Every problem so far to every container of the search.
    pub fn problem_all(&mut self, status: CoverageStatus, reason: String) {
        let keys: Vec<String> = self.containers.keys().cloned().collect();
        for k in keys {
            self.problems
                .entry(k)
                .or_default()
                .push((status, reason.clone()));
        }
    }

    fn problem(&mut self, project: &str, reason: String) {
        let key = if self.containers.contains_key(project) {
            project.to_string()
        } else if let Some(k) = self
            .containers
            .keys()
            .next()
            .filter(|_| self.containers.len() == 1)
        {
            k.clone()
        } else {
            self.problem_all(CoverageStatus::Partial, reason);
            return;
        };
        self.problems
            .entry(key)
            .or_default()
            .push((CoverageStatus::Partial, reason));
    }

    /// The container of an issue key (`PAY-12` → `PAY`); the only one when
    /// the search has one.
    fn container_of_key(&self, key: &str) -> Option<&Container> {
        let project = key.rsplit_once('-').map_or(key, |(p, _)| p);
        self.containers.get(project).or_else(|| {
            (self.containers.len() == 1)
                .then(|| self.containers.values().next())
                .flatten()
        })
    }

    fn container_of(&self, is: &Value) -> Option<Container> {
        let project = convert::jira_project_key(is);
        match self.containers.get(&project) {
            Some(c) => Some(c.clone()),
            None => self.container_of_key(&convert::s(is, "key")).cloned(),
        }
    }

    /// One raw issue of a search page; whether it was new to the listing.
    pub async fn take_raw(&mut self, raw: &RawValue, index: usize) -> Result<bool, Fatal> {
        self.seen += 1;
        match parse_issue(raw) {
            Ok(is) => self.take(is).await,
            Err(reason) => {
                let item_id = raw_issue_name(raw, index);
                if !self.listing.fresh(&item_id) {
                    return Ok(false);
                }
                match self.container_of_key(&item_id).cloned() {
                    Some(c) => {
                        self.ctx
                            .emit(CrawlEvent::Failure(ItemFailure {
                                container: c.identity(),
                                item_id,
                                reason,
                            }))
                            .await?
                    }
                    // Which project it belongs to cannot be told: none of
                    // them may pass for complete.
                    None => self.problem_all(
                        CoverageStatus::Partial,
                        format!("an issue of the search could not be read: {reason}"),
                    ),
                }
                Ok(true)
            }
        }
    }

    /// One parsed issue (from a search page or a bulk fetch).
    async fn take(&mut self, is: Value) -> Result<bool, Fatal> {
        let key = convert::s(&is, "key");
        if !self.listing.fresh(&key) {
            deep_json::dismantle(is);
            return Ok(false);
        }
        let Some(c) = self.container_of(&is) else {
            deep_json::dismantle(is);
            return Ok(true);
        };
        self.listed
            .entry(c.key.clone())
            .or_default()
            .insert(key.clone());
        let id = c.identity();
        let updated = is.pointer("/fields/updated").and_then(Value::as_str);
        if self.already_sent(&id, &key) || self.unchanged(&id, &key, updated) {
            deep_json::dismantle(is);
            return Ok(true);
        }
        let unit = convert::jira_unit(&self.ctx.web_base, c.product, &is, &self.text_fields);
        let embedded = convert::jira_embedded_comments(&is).len() as u64;
        let total = convert::jira_comment_total(&is);
        deep_json::dismantle(is);
        match total {
            Some(total) if total > embedded => {
                self.waiting.insert(key);
                self.batch.push((unit, embedded, total));
                if self.batch.len() + self.batch_keys.len() >= BULK_ISSUES {
                    self.spawn_batch().await?;
                }
            }
            _ => self.deliver(unit, None).await?,
        }
        Ok(true)
    }

    /// A resumed scan sent this issue before it stopped.
    fn already_sent(&self, c: &ContainerId, key: &str) -> bool {
        self.ctx
            .config
            .resume
            .as_ref()
            .is_some_and(|r| r.has_item(c, key))
    }

    /// The store has this issue with this `updated`: nothing changed (a
    /// comment added, edited or deleted bumps the issue's `updated` too).
    fn unchanged(&self, c: &ContainerId, key: &str, updated: Option<&str>) -> bool {
        let Some(updated) = updated else {
            return false;
        };
        self.known_item(c, key)
            .is_some_and(|k| k.updated.as_deref() == Some(updated))
    }

    fn known_item(&self, c: &ContainerId, key: &str) -> Option<&crate::sources::memory::KnownItem> {
        self.ctx
            .config
            .known
            .as_ref()?
            .containers
            .get(c)?
            .items
            .get(key)
    }

    async fn spawn_batch(&mut self) -> Result<(), Fatal> {
        // A bounded number of batches in flight: each holds its issues
        // until their comments are in.
        while self.set.len() >= MAX_COMMENT_TASKS {
            match self.set.join_next().await {
                Some(done) => self.finish(done).await?,
                None => break,
            }
        }
        let b = std::mem::take(&mut self.batch);
        let h = self.hydrate();
        self.set.spawn(bulk_comments(self.ctx.clone(), b, h));
        Ok(())
    }

    /// Send one issue, and `Removed` for each comment the store has for it
    /// that it no longer holds (only when all its comments were read: a
    /// comment not read is not a comment deleted).
    async fn deliver(&mut self, unit: ItemUnit, problem: Option<String>) -> Result<(), Fatal> {
        let container = unit.item.container.clone();
        let key = unit.item.id.clone();
        let gone: Vec<String> = match (&problem, self.known_item(&container, &key)) {
            (None, Some(k)) => {
                let now: HashSet<&str> = unit
                    .documents
                    .iter()
                    .filter_map(|d| d.origin.comment_id.as_deref())
                    .collect();
                let mut gone: Vec<String> = k
                    .comments
                    .keys()
                    .filter(|id| !now.contains(id.as_str()))
                    .cloned()
                    .collect();
                gone.sort();
                gone
            }
            _ => Vec::new(),
        };
        self.waiting.remove(&key);
        self.ctx.emit(CrawlEvent::Unit(unit)).await?;
        for comment in gone {
            self.ctx
                .emit(CrawlEvent::Removed {
                    container: container.clone(),
                    item_id: key.clone(),
                    comment_id: Some(comment),
                })
                .await?;
        }
        if let Some(p) = problem {
            self.problem(&container.key, p);
        }
        Ok(())
    }

    async fn finish(
        &mut self,
        done: Result<CommentTask, tokio::task::JoinError>,
    ) -> Result<(), Fatal> {
        match done {
            Ok(r) => {
                let (issues, lost) = r?;
                for (unit, problem) in issues {
                    self.deliver(unit, problem).await?;
                }
                for p in lost {
                    self.problem_all(CoverageStatus::Partial, p);
                }
            }
            Err(e) => self.problem_all(
                CoverageStatus::Partial,
                format!("a comment task failed: {e}"),
            ),
        }
        Ok(())
    }

    /// After a page: the comment tasks that are done, then the checkpoints
    /// (waiting issues first, then the token of the next page).
    pub async fn page_end(&mut self, next: Option<&str>) -> Result<(), Fatal> {
        while let Some(done) = self.set.try_join_next() {
            self.finish(done).await?;
        }
        let Some((issues, _)) = self.names.clone() else {
            return Ok(());
        };
        self.checkpoint_waiting().await?;
        if let Some(t) = next {
            self.ctx
                .emit(CrawlEvent::Checkpoint {
                    listing: issues,
                    cursor: Some(t.to_string()),
                })
                .await?;
        }
        Ok(())
    }

    async fn checkpoint_waiting(&mut self) -> Result<(), Fatal> {
        let Some((_, waiting)) = self.names.clone() else {
            return Ok(());
        };
        let now = self.waiting.iter().cloned().collect::<Vec<_>>().join(",");
        if self.waiting_sent.as_deref() == Some(now.as_str())
            || (self.waiting_sent.is_none() && now.is_empty())
        {
            return Ok(());
        }
        self.waiting_sent = Some(now.clone());
        self.ctx
            .emit(CrawlEvent::Checkpoint {
                listing: waiting,
                cursor: Some(now),
            })
            .await
    }

    /// The end of the search: what still waits is fetched and sent; when
    /// the search was read to the end and nothing was lost, it is
    /// checkpointed as done.
    pub async fn end(&mut self, complete: bool) -> Result<(), Fatal> {
        if !self.batch.is_empty() || !self.batch_keys.is_empty() {
            let b = std::mem::take(&mut self.batch);
            let h = self.hydrate();
            self.set.spawn(bulk_comments(self.ctx.clone(), b, h));
        }
        while let Some(done) = self.set.join_next().await {
            self.finish(done).await?;
        }
        let Some((issues, waiting)) = self.names.clone() else {
            return Ok(());
        };
        if complete && self.waiting.is_empty() {
            for listing in [waiting, issues] {
                self.ctx
                    .emit(CrawlEvent::Checkpoint {
                        listing,
                        cursor: None,
                    })
                    .await?;
            }
        } else {
            self.checkpoint_waiting().await?;
        }
        Ok(())
    }
}
