//! The one way a scan's results enter the store (DESIGN §1): containers,
//! items, comments, findings, failures, removals and crawl checkpoints,
//! written batch by batch in transactions.
//!
//! Findings are kept per *part*: an item's own fields (title, body, issue
//! fields) are one part, each comment another, a container's name a third
//! kind. A part read again replaces what the store held for it: a value
//! found again keeps its row (so it is not "new"), one no longer there is
//! resolved, one not there before is added. A part not read again is left
//! as it was; that is what lets a rescan read only what changed and a resume
//! go on where a scan stopped.

use super::scans::{fingerprint_bytes, serde_name, ContainerRow, ScanId};
use super::{sql_error, Store, StoreError};
use crate::model::{Container, ContainerId, ContainerKind, CoverageStatus, Finding, Item};
use crate::sources::CommentMeta;
use rusqlite::params;
use std::collections::HashMap;

/// The part id of an item's own fields.
pub const ITEM_PART: &str = "";
/// The part id of a container's name (metadata). Never a comment id: those
/// are numbers on every product.
pub const NAME_PART: &str = "#name";

/// Writes one scan into the store.
pub struct StoreSink<'s> {
    store: &'s Store,
    scan: ScanId,
    rows: HashMap<ContainerId, ContainerRow>,
    /// Whether a container held unresolved findings when this process first
    /// wrote to it: only then is a part compared with what it held (a first
    /// scan writes without reading anything back).
    prior: HashMap<ContainerRow, bool>,
    in_transaction: bool,
}

fn n(v: usize) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl<'s> StoreSink<'s> {
    pub fn new(store: &'s Store, scan: ScanId) -> StoreSink<'s> {
        StoreSink {
            store,
            scan,
            rows: HashMap::new(),
            prior: HashMap::new(),
            in_transaction: false,
        }
    }

    pub fn scan(&self) -> ScanId {
        self.scan
    }

    fn err(&self) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
        move |e| sql_error(self.store.path(), e)
    }

    fn exec(&self, sql: &str, p: impl rusqlite::Params) -> Result<usize, StoreError> {
        self.store
            .connection()
            .prepare_cached(sql)
            .and_then(|mut st| st.execute(p))
            .map_err(self.err())
    }

    /// Start a batch: everything up to [`Self::commit`] lands together or not at all.
    pub fn begin(&mut self) -> Result<(), StoreError> {
        if !self.in_transaction {
            self.store
                .connection()
                .execute_batch("BEGIN IMMEDIATE")
                .map_err(self.err())?;
            self.in_transaction = true;
        }
        Ok(())
    }

    pub fn commit(&mut self) -> Result<(), StoreError> {
        if self.in_transaction {
            self.store
                .connection()
                .execute_batch("COMMIT")
                .map_err(self.err())?;
            self.in_transaction = false;
        }
        Ok(())
    }

    /// A container the source announced.
    pub fn container(&mut self, c: &Container) -> Result<ContainerRow, StoreError> {
        let row = self.store.container(self.scan, c)?;
        self.rows.insert(c.identity(), row);
        Ok(row)
    }

    /// The row of container `id`; a container the source never announced
    /// (a unit on its own) is still recorded, as a directory named by its key.
    pub fn row(&mut self, id: &ContainerId) -> Result<ContainerRow, StoreError> {
        if let Some(row) = self.rows.get(id) {
            return Ok(*row);
        }
        let placeholder = Container {
            product: id.product,
            kind: ContainerKind::Directory,
            id: id.key.clone(),
            key: id.key.clone(),
            name: id.key.clone(),
            url: String::new(),
            created: None,
        };
        // Keep what an earlier scan learnt about it (its kind, name, URL).
        let known: Option<i64> = self
            .store
            .connection()
            .query_row(
                "SELECT id FROM containers WHERE product = ?1 AND key = ?2",
                params![id.product.as_str(), id.key],
                |r| r.get(0),
            )
            .ok();
        let row = match known {
            Some(row) => {
                self.exec(
                    "UPDATE containers SET last_seen_scan = ?1, removed_scan = NULL WHERE id = ?2",
                    params![self.scan.0, row],
                )?;
                ContainerRow(row)
            }
            None => self.store.container(self.scan, &placeholder)?,
        };
        self.rows.insert(id.clone(), row);
        Ok(row)
    }

    /// Item `item` was read (`failed`: why part of it could not be).
    pub fn item(
        &mut self,
        item: &Item,
        content_hash: Option<&[u8]>,
        failed: Option<&str>,
    ) -> Result<ContainerRow, StoreError> {
        let row = self.row(&item.container)?;
        self.exec(
            "INSERT INTO items (container_id, item_id, kind, url, version, updated, content_hash, failed, first_scan, last_seen_scan)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)
             ON CONFLICT (container_id, item_id) DO UPDATE SET
                 kind = excluded.kind, url = excluded.url, version = excluded.version,
                 updated = excluded.updated, content_hash = excluded.content_hash,
                 failed = excluded.failed, last_seen_scan = excluded.last_seen_scan,
                 removed_scan = NULL",
            params![
                row.0,
                item.id,
                serde_name(&item.kind),
                item.url,
                item.version.and_then(|v| i64::try_from(v).ok()),
                item.updated,
                content_hash,
                failed,
                self.scan.0
            ],
        )?;
        Ok(row)
    }

    /// An item that could not be read at all. What the store held of it
    /// stays (its findings are not resolved by a failed read).
    pub fn failure(
        &mut self,
        container: &ContainerId,
        item_id: &str,
        reason: &str,
    ) -> Result<(), StoreError> {
        let row = self.row(container)?;
        self.exec(
            "INSERT INTO items (container_id, item_id, kind, url, failed, first_scan, last_seen_scan)
             VALUES (?1, ?2, 'unknown', '', ?3, ?4, ?4)
             ON CONFLICT (container_id, item_id) DO UPDATE SET
                 failed = excluded.failed, last_seen_scan = excluded.last_seen_scan,
                 removed_scan = NULL",
            params![row.0, item_id, reason, self.scan.0],
        )?;
        Ok(())
    }

    /// Comment `comment_id` of an item was read.
    pub fn comment(
        &mut self,
        row: ContainerRow,
        item_id: &str,
        comment_id: &str,
        version: Option<u64>,
    ) -> Result<(), StoreError> {
        self.exec(
            "INSERT INTO comments (container_id, item_id, comment_id, version, last_seen_scan)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (container_id, item_id, comment_id) DO UPDATE SET
                 version = excluded.version, last_seen_scan = excluded.last_seen_scan,
                 removed_scan = NULL",
            params![
                row.0,
                item_id,
                comment_id,
                version.and_then(|v| i64::try_from(v).ok()),
                self.scan.0
            ],
        )?;
        Ok(())
    }

    fn has_prior(&mut self, row: ContainerRow) -> Result<bool, StoreError> {
        if let Some(p) = self.prior.get(&row) {
            return Ok(*p);
        }
        let p: bool = self
            .store
            .connection()
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM findings WHERE container_id = ?1 AND resolved_scan IS NULL)",
                params![row.0],
                |r| r.get(0),
            )
            .map_err(self.err())?;
        self.prior.insert(row, p);
        Ok(p)
    }

    /// Part `part` of item `item_id` was read and holds `findings`: what the
    /// store held for it is replaced (see the module docs).
    pub fn replace_part(
        &mut self,
        row: ContainerRow,
        item_id: &str,
        part: &str,
        findings: &[&Finding],
        meta: Option<&CommentMeta>,
    ) -> Result<(), StoreError> {
        // (field, rule, fingerprint) → the rows that held it, oldest first.
        let mut held: HashMap<(String, String, Vec<u8>), Vec<i64>> = HashMap::new();
        if self.has_prior(row)? {
            let conn = self.store.connection();
            let mut st = conn
                .prepare_cached(
                    "SELECT id, field, rule, fingerprint FROM findings
                     WHERE container_id = ?1 AND item_id = ?2 AND comment_id = ?3
                       AND resolved_scan IS NULL ORDER BY id",
                )
                .map_err(self.err())?;
            let rows = st
                .query_map(params![row.0, item_id, part], |r| {
                    Ok((r.get::<_, i64>(0)?, (r.get(1)?, r.get(2)?, r.get(3)?)))
                })
                .map_err(self.err())?;
            for r in rows {
                let (id, key) = r.map_err(self.err())?;
                held.entry(key).or_default().push(id);
            }
        }
        for f in findings {
            let fp = fingerprint_bytes(&f.fingerprint);
            let key = (f.origin.field.as_str().to_string(), f.rule.to_string(), fp);
            let kept = held.get_mut(&key).and_then(|ids| {
                if ids.is_empty() {
                    None
                } else {
                    Some(ids.remove(0))
                }
            });
            let public = meta.and_then(|m| m.public);
            let reply_to = meta.and_then(|m| m.reply_to.as_deref());
            match kept {
                Some(id) => {
                    self.exec(
                        "UPDATE findings SET url = ?1, entity = ?2, category = ?3, severity = ?4,
                             confidence = ?5, test_value = ?6, start = ?7, end = ?8, masked = ?9,
                             raw = ?10, customer_visible = ?11, reply_to = ?12, last_scan = ?13
                         WHERE id = ?14",
                        params![
                            f.origin.item_url,
                            &*f.entity,
                            f.category.as_str(),
                            f.severity.as_str(),
                            f64::from(f.confidence),
                            f.test_value,
                            n(f.start),
                            n(f.end),
                            f.masked,
                            f.matched,
                            public,
                            reply_to,
                            self.scan.0,
                            id
                        ],
                    )?;
                }
                None => {
                    self.exec(
                        "INSERT INTO findings (container_id, item_id, comment_id, field, url, rule, entity,
                             category, severity, confidence, test_value, start, end, masked, fingerprint,
                             raw, customer_visible, reply_to, first_scan, last_scan)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                             ?17, ?18, ?19, ?19)",
                        params![
                            row.0,
                            item_id,
                            part,
                            key.0,
                            f.origin.item_url,
                            &*f.rule,
                            &*f.entity,
                            f.category.as_str(),
                            f.severity.as_str(),
                            f64::from(f.confidence),
                            f.test_value,
                            n(f.start),
                            n(f.end),
                            f.masked,
                            key.2,
                            f.matched,
                            public,
                            reply_to,
                            self.scan.0
                        ],
                    )?;
                }
            }
        }
        for id in held.into_values().flatten() {
            self.exec(
                "UPDATE findings SET resolved_scan = ?1 WHERE id = ?2",
                params![self.scan.0, id],
            )?;
        }
        Ok(())
    }

    /// The site no longer has this item (`comment_id: None`) or comment:
    /// it is marked removed and its findings resolved.
    pub fn removed(
        &mut self,
        container: &ContainerId,
        item_id: &str,
        comment_id: Option<&str>,
    ) -> Result<(), StoreError> {
        let row = self.row(container)?;
        let s = self.scan.0;
        match comment_id {
            None => {
                self.exec(
                    "UPDATE items SET removed_scan = ?1 WHERE container_id = ?2 AND item_id = ?3 AND removed_scan IS NULL",
                    params![s, row.0, item_id],
                )?;
                self.exec(
                    "UPDATE comments SET removed_scan = ?1 WHERE container_id = ?2 AND item_id = ?3 AND removed_scan IS NULL",
                    params![s, row.0, item_id],
                )?;
                self.exec(
                    "UPDATE findings SET resolved_scan = ?1 WHERE container_id = ?2 AND item_id = ?3
                         AND comment_id != ?4 AND resolved_scan IS NULL",
                    params![s, row.0, item_id, NAME_PART],
                )?;
            }
            Some(c) => {
                self.exec(
                    "UPDATE comments SET removed_scan = ?1 WHERE container_id = ?2 AND item_id = ?3
                         AND comment_id = ?4 AND removed_scan IS NULL",
                    params![s, row.0, item_id, c],
                )?;
                self.exec(
                    "UPDATE findings SET resolved_scan = ?1 WHERE container_id = ?2 AND item_id = ?3
                         AND comment_id = ?4 AND resolved_scan IS NULL",
                    params![s, row.0, item_id, c],
                )?;
            }
        }
        Ok(())
    }

    /// Where a listing stands (written in the same transaction as the items
    /// it yielded before, so a resume never skips an unwritten item).
    pub fn checkpoint(&mut self, listing: &str, cursor: Option<&str>) -> Result<(), StoreError> {
        self.exec(
            "INSERT INTO checkpoints (scan_id, listing, cursor) VALUES (?1, ?2, ?3)
             ON CONFLICT (scan_id, listing) DO UPDATE SET cursor = excluded.cursor",
            params![self.scan.0, listing, cursor],
        )?;
        Ok(())
    }

    /// Something this scan could not read of a container as a whole (its
    /// listing cut short), or that only its inventory can be read.
    pub fn container_issue(
        &mut self,
        container: &ContainerId,
        status: CoverageStatus,
        reason: Option<&str>,
    ) -> Result<(), StoreError> {
        let row = self.row(container)?;
        let conn = self.store.connection();
        let old: Option<(String, String)> = conn
            .query_row(
                "SELECT status, reasons FROM coverage WHERE scan_id = ?1 AND container_id = ?2",
                params![self.scan.0, row.0],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .ok();
        let mut reasons: Vec<String> = old
            .as_ref()
            .and_then(|(_, r)| serde_json::from_str(r).ok())
            .unwrap_or_default();
        if let Some(r) = reason {
            if !reasons.iter().any(|x| x == r) {
                reasons.push(r.to_string());
            }
        }
        // Inventory-only stays so; otherwise the worse of the two.
        let status = match old.as_ref().map(|(s, _)| s.as_str()) {
            Some("inventory") => CoverageStatus::Inventory,
            Some("failed") if status != CoverageStatus::Inventory => CoverageStatus::Failed,
            _ => status,
        };
        self.exec(
            "INSERT INTO coverage (scan_id, container_id, status, items_seen, items_scanned, items_failed, reasons)
             VALUES (?1, ?2, ?3, 0, 0, 0, ?4)
             ON CONFLICT (scan_id, container_id) DO UPDATE SET status = excluded.status, reasons = excluded.reasons",
            params![
                self.scan.0,
                row.0,
                status.as_str(),
                serde_json::to_string(&reasons).unwrap_or_else(|_| "[]".into())
            ],
        )?;
        Ok(())
    }

    /// The coverage this scan ends with for container `row` (its counts as
    /// the store has them now; `reasons`: this scan's own, beside the items'
    /// failures, which the items table keeps).
    pub fn coverage(
        &mut self,
        row: ContainerRow,
        status: CoverageStatus,
        counts: (u64, u64, u64),
        reasons: &[String],
    ) -> Result<(), StoreError> {
        let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        self.exec(
            "INSERT INTO coverage (scan_id, container_id, status, items_seen, items_scanned, items_failed, reasons)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (scan_id, container_id) DO UPDATE SET
                 status = excluded.status, items_seen = excluded.items_seen,
                 items_scanned = excluded.items_scanned, items_failed = excluded.items_failed,
                 reasons = excluded.reasons",
            params![
                self.scan.0,
                row.0,
                status.as_str(),
                n(counts.0),
                n(counts.1),
                n(counts.2),
                serde_json::to_string(reasons).unwrap_or_else(|_| "[]".into())
            ],
        )?;
        Ok(())
    }

    /// Container `row` was read in full by this scan: whatever of it this
    /// scan did not see is gone from the site.
    pub fn sweep(&mut self, row: ContainerRow) -> Result<(), StoreError> {
        let s = self.scan.0;
        self.exec(
            "UPDATE items SET removed_scan = ?1 WHERE container_id = ?2 AND last_seen_scan < ?1 AND removed_scan IS NULL",
            params![s, row.0],
        )?;
        self.exec(
            "UPDATE comments SET removed_scan = ?1 WHERE container_id = ?2 AND last_seen_scan < ?1 AND removed_scan IS NULL",
            params![s, row.0],
        )?;
        self.exec(
            "UPDATE findings SET resolved_scan = ?1 WHERE container_id = ?2 AND last_scan < ?1 AND resolved_scan IS NULL",
            params![s, row.0],
        )?;
        Ok(())
    }

    /// Containers of `product` that this scan did not announce, when it
    /// listed all of that product's containers: gone from the site.
    pub fn sweep_containers(&mut self, product: crate::model::Product) -> Result<(), StoreError> {
        let s = self.scan.0;
        let gone: Vec<i64> = {
            let conn = self.store.connection();
            let mut st = conn
                .prepare(
                    "SELECT id FROM containers WHERE product = ?1 AND last_seen_scan < ?2 AND removed_scan IS NULL",
                )
                .map_err(self.err())?;
            let rows = st
                .query_map(params![product.as_str(), s], |r| r.get(0))
                .map_err(self.err())?;
            rows.collect::<Result<_, _>>().map_err(self.err())?
        };
        for id in gone {
            self.exec(
                "UPDATE containers SET removed_scan = ?1 WHERE id = ?2",
                params![s, id],
            )?;
            self.exec(
                "UPDATE items SET removed_scan = ?1 WHERE container_id = ?2 AND removed_scan IS NULL",
                params![s, id],
            )?;
            self.exec(
                "UPDATE comments SET removed_scan = ?1 WHERE container_id = ?2 AND removed_scan IS NULL",
                params![s, id],
            )?;
            self.exec(
                "UPDATE findings SET resolved_scan = ?1 WHERE container_id = ?2 AND resolved_scan IS NULL",
                params![s, id],
            )?;
        }
        Ok(())
    }
}

impl Drop for StoreSink<'_> {
    fn drop(&mut self) {
        // A batch left open by an error is rolled back: the store keeps
        // what the last commit wrote, never half a batch.
        if self.in_transaction {
            let _ = self.store.connection().execute_batch("ROLLBACK");
        }
    }
}
