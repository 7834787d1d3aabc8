//! Reading the store: the site as the last scan left it (containers, their
//! coverage, the findings they hold now), what a rescan compares with, and
//! where an unfinished scan stopped. Reports, ranking and diffs read this,
//! never the pipeline's own state.

use super::scans::{fingerprint_text, ContainerRow, ScanId};
use super::sink::{ITEM_PART, NAME_PART};
use super::{sql_error, Store, StoreError};
use crate::model::{
    Category, Container, ContainerId, ContainerKind, Coverage, CoverageStatus, Field, Finding,
    ItemKind, Origin, Product, Severity,
};
use crate::sources::memory::{KnownContainer, KnownItem, KnownSite, ListedItem, ResumePoint};
use crate::sources::CommentMeta;
use rusqlite::params;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

/// A unit enum variant from the name serde gives it.
pub(crate) fn parse_name<T: serde::de::DeserializeOwned>(s: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(s.to_string())).ok()
}

/// One container as the store has it after a scan.
#[derive(Debug, Clone)]
pub struct ContainerState {
    pub row: ContainerRow,
    pub container: Container,
    pub coverage: Coverage,
    /// The scan that first saw it.
    pub first_scan: ScanId,
}

/// Triage decisions, looked up per finding.
#[derive(Debug, Default)]
pub struct TriageSet {
    /// Fingerprint → the containers it applies in (`None`: everywhere) and the decision.
    by_fingerprint: HashMap<Vec<u8>, Vec<(Option<String>, String)>>,
}

impl TriageSet {
    /// The decision that removes a finding of `fingerprint` in `container`, if any.
    pub fn decision(&self, fingerprint: &[u8], container: &ContainerId) -> Option<&str> {
        let scoped = container.to_string();
        self.by_fingerprint.get(fingerprint).and_then(|all| {
            all.iter()
                .find(|(c, _)| {
                    c.as_ref()
                        .is_none_or(|c| *c == scoped || *c == container.key)
                })
                .map(|(_, d)| d.as_str())
        })
    }

    pub fn is_empty(&self) -> bool {
        self.by_fingerprint.is_empty()
    }
}

impl Store {
    fn sql<T>(&self, r: rusqlite::Result<T>) -> Result<T, StoreError> {
        r.map_err(|e| sql_error(self.path(), e))
    }

    /// The containers scan `scan` saw and that are still there, with their
    /// coverage as the store has it now: items seen are the live items,
    /// failed those whose last read failed, and the reasons are this scan's
    /// (listings cut short) and those failures'.
    pub fn containers_of(&self, scan: ScanId) -> Result<Vec<ContainerState>, StoreError> {
        self.containers_seen_by(scan, false)
    }

    /// [`Store::containers_of`] for a reader of an ended scan while a later
    /// scan may be running (`withhold report`): a container that later scan
    /// has already seen again is still one scan `scan` saw; one it found
    /// new is not.
    pub fn containers_of_ended(&self, scan: ScanId) -> Result<Vec<ContainerState>, StoreError> {
        self.containers_seen_by(scan, true)
    }

    fn containers_seen_by(
        &self,
        scan: ScanId,
        seen_again: bool,
    ) -> Result<Vec<ContainerState>, StoreError> {
        let conn = self.connection();
        let seen = if seen_again {
            "c.first_scan <= ?1 AND c.last_seen_scan >= ?1"
        } else {
            "c.last_seen_scan = ?1"
        };
        let mut st = self.sql(conn.prepare(&format!(
            "SELECT c.id, c.product, c.kind, c.key, c.product_id, c.name, c.url, c.created_at, c.first_scan,
                    cov.status, cov.reasons
             FROM containers c
             LEFT JOIN coverage cov ON cov.container_id = c.id AND cov.scan_id = ?1
             WHERE {seen} AND c.removed_scan IS NULL
             ORDER BY c.product, c.key"
        )))?;
        let rows = self.sql(st.query_map(params![scan.0], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, Option<String>>(7)?,
                r.get::<_, i64>(8)?,
                r.get::<_, Option<String>>(9)?,
                r.get::<_, Option<String>>(10)?,
            ))
        }))?;
        let mut out = Vec::new();
        for r in rows {
            let (id, product, kind, key, product_id, name, url, created, first, status, reasons) =
                self.sql(r)?;
            let reasons: Vec<String> = reasons
                .and_then(|r| serde_json::from_str(&r).ok())
                .unwrap_or_default();
            let status = match status.as_deref() {
                Some("inventory") => CoverageStatus::Inventory,
                Some("failed") => CoverageStatus::Failed,
                Some("partial") => CoverageStatus::Partial,
                _ => CoverageStatus::Complete,
            };
            out.push(ContainerState {
                row: ContainerRow(id),
                container: Container {
                    product: parse_name(&product).unwrap_or(Product::Files),
                    kind: parse_name(&kind).unwrap_or(ContainerKind::Directory),
                    id: product_id,
                    key,
                    name,
                    url,
                    created,
                },
                coverage: Coverage {
                    status,
                    reasons,
                    ..Coverage::default()
                },
                first_scan: ScanId(first),
            });
        }
        drop(st);
        // Items: live ones, and why those that failed did.
        let mut counts: HashMap<i64, (u64, Vec<(String, String)>)> = HashMap::new();
        {
            let mut st = self.sql(conn.prepare(
                "SELECT container_id, count(*) FROM items WHERE removed_scan IS NULL GROUP BY container_id",
            ))?;
            let rows = self.sql(st.query_map([], |r| Ok((r.get(0)?, r.get(1)?))))?;
            for r in rows {
                let (c, n): (i64, i64) = self.sql(r)?;
                counts.entry(c).or_default().0 = n.max(0) as u64;
            }
            let mut st = self.sql(conn.prepare(
                "SELECT container_id, item_id, failed FROM items
                 WHERE removed_scan IS NULL AND failed IS NOT NULL ORDER BY container_id, item_id",
            ))?;
            let rows = self.sql(st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))))?;
            for r in rows {
                let (c, item, why): (i64, String, String) = self.sql(r)?;
                counts.entry(c).or_default().1.push((item, why));
            }
        }
        for s in &mut out {
            let (seen, failed) = counts.remove(&s.row.0).unwrap_or_default();
            let cov = &mut s.coverage;
            cov.items_seen = seen;
            cov.items_scanned = seen;
            for (item, why) in failed {
                cov.items_scanned = cov.items_scanned.saturating_sub(1);
                cov.record_failure(format!("{item}: {why}"));
            }
            // Nothing read at all is a failure, not a partial read.
            if matches!(cov.status, CoverageStatus::Partial | CoverageStatus::Failed)
                && cov.items_scanned == 0
            {
                cov.status = CoverageStatus::Failed;
            }
        }
        Ok(out)
    }

    /// The triage decisions in force.
    pub fn triage_set(&self) -> Result<TriageSet, StoreError> {
        let conn = self.connection();
        let mut st =
            self.sql(conn.prepare("SELECT fingerprint, container, decision FROM triage"))?;
        let rows = self.sql(st.query_map([], |r| {
            Ok((
                r.get::<_, Vec<u8>>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, String>(2)?,
            ))
        }))?;
        let mut set = TriageSet::default();
        for r in rows {
            let (fp, c, d) = self.sql(r)?;
            set.by_fingerprint.entry(fp).or_default().push((c, d));
        }
        Ok(set)
    }

    /// Every unresolved finding of `containers`, in order (container, item,
    /// part, position), with what its comment's source said; findings a
    /// triage decision removes are counted in `triaged` (by decision) and
    /// not passed on.
    pub fn current_findings(
        &self,
        containers: &[ContainerState],
        triage: &TriageSet,
        triaged: &mut BTreeMap<String, u64>,
        mut each: impl FnMut(&ContainerState, Finding, Option<CommentMeta>) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let conn = self.connection();
        let mut st = self.sql(conn.prepare_cached(
            "SELECT item_id, comment_id, field, url, rule, entity, category, severity, confidence,
                    test_value, start, end, masked, fingerprint, raw, customer_visible, reply_to
             FROM findings WHERE container_id = ?1 AND resolved_scan IS NULL
             ORDER BY comment_id = '#name' DESC, item_id, comment_id, start, id",
        ))?;
        // Interned so a million findings do not each own their rule name.
        let mut names: HashSet<Arc<str>> = HashSet::new();
        let mut intern = |s: String| -> Arc<str> {
            if let Some(a) = names.get(s.as_str()) {
                return a.clone();
            }
            let a: Arc<str> = Arc::from(s);
            names.insert(a.clone());
            a
        };
        for c in containers {
            let id = c.container.identity();
            let mut rows = self.sql(st.query(params![c.row.0]))?;
            let mut origin: Option<Arc<Origin>> = None;
            while let Some(r) = self.sql(rows.next())? {
                let fp: Vec<u8> = self.sql(r.get(13))?;
                if let Some(d) = triage.decision(&fp, &id) {
                    *triaged.entry(d.to_string()).or_default() += 1;
                    continue;
                }
                let item_id: String = self.sql(r.get(0))?;
                let part: String = self.sql(r.get(1))?;
                let field: String = self.sql(r.get(2))?;
                let url: String = self.sql(r.get(3))?;
                let field: Field = parse_name(&field).unwrap_or(Field::Body);
                let comment_id = match part.as_str() {
                    ITEM_PART | NAME_PART => None,
                    other => Some(other.to_string()),
                };
                let same = origin.as_ref().is_some_and(|o| {
                    o.item_id == item_id
                        && o.comment_id == comment_id
                        && o.field == field
                        && o.item_url == url
                });
                if !same {
                    origin = Some(Arc::new(Origin {
                        product: c.container.product,
                        container_key: c.container.key.clone(),
                        item_id,
                        item_url: url,
                        field,
                        comment_id,
                    }));
                }
                let Some(o) = origin.clone() else { continue };
                let public: Option<bool> = self.sql(r.get(15))?;
                let reply_to: Option<String> = self.sql(r.get(16))?;
                let meta = (public.is_some() || reply_to.is_some()).then_some(CommentMeta {
                    public,
                    reply_to,
                    version: None,
                });
                let category: String = self.sql(r.get(6))?;
                let severity: String = self.sql(r.get(7))?;
                let confidence: f64 = self.sql(r.get(8))?;
                let start: i64 = self.sql(r.get(10))?;
                let end: i64 = self.sql(r.get(11))?;
                let f = Finding {
                    rule: intern(self.sql(r.get(4))?),
                    entity: intern(self.sql(r.get(5))?),
                    category: parse_name(&category).unwrap_or(Category::Custom),
                    severity: parse_name(&severity).unwrap_or(Severity::High),
                    confidence: confidence as f32,
                    origin: o,
                    start: usize::try_from(start).unwrap_or(0),
                    end: usize::try_from(end).unwrap_or(0),
                    masked: self.sql(r.get(12))?,
                    fingerprint: fingerprint_text(&fp),
                    test_value: self.sql(r.get(9))?,
                    matched: self.sql(r.get(14))?,
                };
                each(c, f, meta)?;
            }
        }
        Ok(())
    }

    /// What the last ended scan of `target` (before `before`) saw, for a
    /// rescan: only containers it read completely, with no item whose read
    /// failed (anything else is read again in full); `None` without such a scan.
    pub fn known_site(
        &self,
        target: &str,
        before: Option<ScanId>,
    ) -> Result<Option<KnownSite>, StoreError> {
        let Some(last) = self.last_ended_scan(target, before)? else {
            return Ok(None);
        };
        let since = last.started_at.parse::<jiff::Timestamp>().ok();
        let conn = self.connection();
        let mut by_row: HashMap<i64, (ContainerId, KnownContainer)> = HashMap::new();
        {
            let mut st = self.sql(conn.prepare(
                "SELECT c.id, c.product, c.key FROM containers c
                 JOIN coverage cov ON cov.container_id = c.id AND cov.scan_id = ?1
                 WHERE c.removed_scan IS NULL AND cov.status = 'complete'
                   AND NOT EXISTS (SELECT 1 FROM items i WHERE i.container_id = c.id
                                   AND i.removed_scan IS NULL AND i.failed IS NOT NULL)",
            ))?;
            let rows = self.sql(st.query_map(params![last.id.0], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            }))?;
            for r in rows {
                let (id, product, key) = self.sql(r)?;
                let Some(product) = parse_name::<Product>(&product) else {
                    continue;
                };
                by_row.insert(
                    id,
                    (ContainerId::new(product, key), KnownContainer::default()),
                );
            }
            let mut st = self.sql(conn.prepare(
                "SELECT container_id, item_id, kind, version, updated FROM items WHERE removed_scan IS NULL",
            ))?;
            let mut rows = self.sql(st.query([]))?;
            while let Some(r) = self.sql(rows.next())? {
                let c: i64 = self.sql(r.get(0))?;
                let Some((_, known)) = by_row.get_mut(&c) else {
                    continue;
                };
                let kind: String = self.sql(r.get(2))?;
                let version: Option<i64> = self.sql(r.get(3))?;
                known.items.insert(
                    self.sql(r.get(1))?,
                    KnownItem {
                        kind: parse_name(&kind).unwrap_or(ItemKind::Page),
                        version: version.and_then(|v| u64::try_from(v).ok()),
                        updated: self.sql(r.get(4))?,
                        comments: HashMap::new(),
                    },
                );
            }
            let mut st = self.sql(conn.prepare(
                "SELECT container_id, item_id, comment_id, version FROM comments WHERE removed_scan IS NULL",
            ))?;
            let mut rows = self.sql(st.query([]))?;
            while let Some(r) = self.sql(rows.next())? {
                let c: i64 = self.sql(r.get(0))?;
                let Some((_, known)) = by_row.get_mut(&c) else {
                    continue;
                };
                let item: String = self.sql(r.get(1))?;
                let version: Option<i64> = self.sql(r.get(3))?;
                if let Some(i) = known.items.get_mut(&item) {
                    i.comments.insert(
                        self.sql(r.get(2))?,
                        version.and_then(|v| u64::try_from(v).ok()),
                    );
                }
            }
        }
        Ok(Some(KnownSite {
            since,
            containers: by_row.into_values().collect(),
        }))
    }

    /// Where unfinished scan `scan` stopped: its checkpoints, and the items
    /// and comments it wrote.
    pub fn resume_point(&self, scan: ScanId) -> Result<ResumePoint, StoreError> {
        let conn = self.connection();
        let mut point = ResumePoint::default();
        let mut st =
            self.sql(conn.prepare("SELECT listing, cursor FROM checkpoints WHERE scan_id = ?1"))?;
        let rows = self.sql(st.query_map(params![scan.0], |r| Ok((r.get(0)?, r.get(1)?))))?;
        for r in rows {
            let (listing, cursor) = self.sql(r)?;
            point.listings.insert(listing, cursor);
        }
        let mut st = self.sql(conn.prepare(
            "SELECT c.product, c.key, i.item_id, i.kind, i.url, i.failed IS NULL
             FROM items i JOIN containers c ON c.id = i.container_id
             WHERE i.last_seen_scan = ?1",
        ))?;
        let mut rows = self.sql(st.query(params![scan.0]))?;
        while let Some(r) = self.sql(rows.next())? {
            let product: String = self.sql(r.get(0))?;
            let kind: String = self.sql(r.get(3))?;
            let (Some(p), Some(kind)) = (
                parse_name::<Product>(&product),
                parse_name::<ItemKind>(&kind),
            ) else {
                continue;
            };
            let container = ContainerId::new(p, self.sql(r.get::<_, String>(1))?);
            let id: String = self.sql(r.get(2))?;
            // A failed item is read again; it is still an owner of comments.
            if self.sql(r.get::<_, bool>(5))? {
                point.items.insert((container.clone(), id.clone()));
            }
            point.listed.push(ListedItem {
                container,
                id,
                kind,
                url: self.sql(r.get(4))?,
            });
        }
        let mut st = self.sql(conn.prepare(
            "SELECT c.product, c.key, m.item_id, m.comment_id FROM comments m
             JOIN containers c ON c.id = m.container_id WHERE m.last_seen_scan = ?1",
        ))?;
        let mut rows = self.sql(st.query(params![scan.0]))?;
        while let Some(r) = self.sql(rows.next())? {
            let product: String = self.sql(r.get(0))?;
            if let Some(p) = parse_name::<Product>(&product) {
                point.comments.insert((
                    ContainerId::new(p, self.sql(r.get::<_, String>(1))?),
                    self.sql(r.get(2))?,
                    self.sql(r.get(3))?,
                ));
            }
        }
        Ok(point)
    }
}
