//! Writing one scan into the store: the scan row, its containers, items,
//! findings and coverage. This is the sink the pipeline will push into
//! (DESIGN §1); ranking, reports and diffs read what it wrote.
//!
//! Identity: a container is its (product, key) (`ContainerId`), across scans;
//! an item is its id inside its container. Findings belong to one scan; a
//! value found again in a later scan is a new row with the same fingerprint,
//! so "new since the last scan" is a comparison of fingerprints per item.

use super::{sql_error, Store, StoreError};
use crate::model::{Container, Coverage, CoverageStatus, Finding, Item};
use rusqlite::{params, OptionalExtension};

/// What a scan was run on and with: a resume must match all of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanMeta {
    /// Site URL, export file(s) or path.
    pub target: String,
    pub tool_version: String,
    pub rules_version: String,
    pub policy_hash: String,
}

/// A scan's row id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ScanId(pub i64);

/// A container's row id in this store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContainerRow(pub i64);

/// How a scan ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanStatus {
    Running,
    Complete,
    Partial,
    Interrupted,
}

impl ScanStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ScanStatus::Running => "running",
            ScanStatus::Complete => "complete",
            ScanStatus::Partial => "partial",
            ScanStatus::Interrupted => "interrupted",
        }
    }

    fn parse(s: &str) -> Option<ScanStatus> {
        Some(match s {
            "running" => ScanStatus::Running,
            "complete" => ScanStatus::Complete,
            "partial" => ScanStatus::Partial,
            "interrupted" => ScanStatus::Interrupted,
            _ => return None,
        })
    }
}

/// A scan as the store holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanRow {
    pub id: ScanId,
    pub started_at: String,
    pub ended_at: Option<String>,
    pub meta: ScanMeta,
    pub status: ScanStatus,
}

/// The lowercase name serde gives a unit enum variant (`space`, `blog_post`).
fn serde_name<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// A fingerprint as stored: its 16 bytes (it is written as 32 hex digits),
/// or its text if it is not hex.
pub fn fingerprint_bytes(fp: &str) -> Vec<u8> {
    hex::decode(fp).unwrap_or_else(|_| fp.as_bytes().to_vec())
}

fn now() -> String {
    jiff::Timestamp::now().to_string()
}

impl Store {
    /// Start a scan: a `running` row, its id.
    pub fn begin_scan(&self, meta: &ScanMeta) -> Result<ScanId, StoreError> {
        self.conn
            .execute(
                "INSERT INTO scans (started_at, target, tool_version, rules_version, policy_hash, status)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'running')",
                params![
                    now(),
                    meta.target,
                    meta.tool_version,
                    meta.rules_version,
                    meta.policy_hash
                ],
            )
            .map_err(|e| sql_error(&self.path, e))?;
        Ok(ScanId(self.conn.last_insert_rowid()))
    }

    /// End a scan with `status`.
    pub fn finish_scan(&self, scan: ScanId, status: ScanStatus) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE scans SET ended_at = ?1, status = ?2 WHERE id = ?3",
                params![now(), status.as_str(), scan.0],
            )
            .map_err(|e| sql_error(&self.path, e))?;
        Ok(())
    }

    /// The latest scan of `target`, whatever its status.
    pub fn last_scan(&self, target: &str) -> Result<Option<ScanRow>, StoreError> {
        self.conn
            .query_row(
                "SELECT id, started_at, ended_at, target, tool_version, rules_version, policy_hash, status
                 FROM scans WHERE target = ?1 ORDER BY id DESC LIMIT 1",
                params![target],
                |r| {
                    let status: String = r.get(7)?;
                    Ok(ScanRow {
                        id: ScanId(r.get(0)?),
                        started_at: r.get(1)?,
                        ended_at: r.get(2)?,
                        meta: ScanMeta {
                            target: r.get(3)?,
                            tool_version: r.get(4)?,
                            rules_version: r.get(5)?,
                            policy_hash: r.get(6)?,
                        },
                        // The CHECK constraint keeps other values out.
                        status: ScanStatus::parse(&status).unwrap_or(ScanStatus::Interrupted),
                    })
                },
            )
            .optional()
            .map_err(|e| sql_error(&self.path, e))
    }

    /// Record that `scan` saw container `c`: a new row the first time, else
    /// its name, URL and last sighting brought up to date (and no longer
    /// removed, if it had been).
    pub fn container(&self, scan: ScanId, c: &Container) -> Result<ContainerRow, StoreError> {
        self.conn
            .query_row(
                "INSERT INTO containers (product, kind, key, product_id, name, url, created_at, first_scan, last_seen_scan)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)
                 ON CONFLICT (product, key) DO UPDATE SET
                     kind = excluded.kind, product_id = excluded.product_id, name = excluded.name,
                     url = excluded.url, created_at = coalesce(excluded.created_at, created_at),
                     last_seen_scan = excluded.last_seen_scan, removed_scan = NULL
                 RETURNING id",
                params![
                    c.product.as_str(),
                    serde_name(&c.kind),
                    c.key,
                    c.id,
                    c.name,
                    c.url,
                    c.created,
                    scan.0
                ],
                |r| r.get(0),
            )
            .map(ContainerRow)
            .map_err(|e| sql_error(&self.path, e))
    }

    /// Record that `scan` read `item` of container `c`, with the hash of its
    /// extracted text.
    pub fn item(
        &self,
        scan: ScanId,
        c: ContainerRow,
        item: &Item,
        content_hash: Option<&[u8]>,
    ) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO items (container_id, item_id, kind, version, updated, content_hash, last_seen_scan)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (container_id, item_id) DO UPDATE SET
                     kind = excluded.kind, version = excluded.version, updated = excluded.updated,
                     content_hash = excluded.content_hash, last_seen_scan = excluded.last_seen_scan,
                     removed_scan = NULL",
                params![
                    c.0,
                    item.id,
                    serde_name(&item.kind),
                    item.version.and_then(|v| i64::try_from(v).ok()),
                    item.updated,
                    content_hash,
                    scan.0
                ],
            )
            .map_err(|e| sql_error(&self.path, e))?;
        Ok(())
    }

    /// Add `findings` of container `c` to `scan`, in one transaction. The raw
    /// value is written only when the finding carries it (`--reveal`).
    pub fn findings(
        &mut self,
        scan: ScanId,
        c: ContainerRow,
        findings: &[Finding],
    ) -> Result<(), StoreError> {
        let path = self.path.clone();
        let err = |e| sql_error(&path, e);
        let tx = self.conn.transaction().map_err(err)?;
        {
            let mut st = tx
                .prepare_cached(
                    "INSERT INTO findings (scan_id, container_id, item_id, field, comment_id, rule, entity,
                         category, severity, confidence, test_value, start, end, masked, fingerprint, raw)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
                )
                .map_err(err)?;
            for f in findings {
                st.execute(params![
                    scan.0,
                    c.0,
                    f.origin.item_id,
                    f.origin.field.as_str(),
                    f.origin.comment_id,
                    &*f.rule,
                    &*f.entity,
                    f.category.as_str(),
                    f.severity.as_str(),
                    f64::from(f.confidence),
                    f.test_value,
                    i64::try_from(f.start).unwrap_or(i64::MAX),
                    i64::try_from(f.end).unwrap_or(i64::MAX),
                    f.masked,
                    fingerprint_bytes(&f.fingerprint),
                    f.matched
                ])
                .map_err(err)?;
            }
        }
        tx.commit().map_err(err)
    }

    /// What `scan` read of container `c`.
    pub fn coverage(
        &self,
        scan: ScanId,
        c: ContainerRow,
        cov: &Coverage,
    ) -> Result<(), StoreError> {
        let reasons = serde_json::to_string(&cov.reasons).unwrap_or_else(|_| "[]".into());
        let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        self.conn
            .execute(
                "INSERT INTO coverage (scan_id, container_id, status, items_seen, items_scanned, items_failed, reasons)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (scan_id, container_id) DO UPDATE SET
                     status = excluded.status, items_seen = excluded.items_seen,
                     items_scanned = excluded.items_scanned, items_failed = excluded.items_failed,
                     reasons = excluded.reasons",
                params![
                    scan.0,
                    c.0,
                    cov.status.as_str(),
                    n(cov.items_seen),
                    n(cov.items_scanned),
                    n(cov.items_failed),
                    reasons
                ],
            )
            .map_err(|e| sql_error(&self.path, e))?;
        Ok(())
    }

    /// The coverage `scan` recorded for container `c`, if any.
    pub fn coverage_of(
        &self,
        scan: ScanId,
        c: ContainerRow,
    ) -> Result<Option<(CoverageStatus, Vec<String>)>, StoreError> {
        let row: Option<(String, String)> = self
            .conn
            .query_row(
                "SELECT status, reasons FROM coverage WHERE scan_id = ?1 AND container_id = ?2",
                params![scan.0, c.0],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(|e| sql_error(&self.path, e))?;
        Ok(row.map(|(status, reasons)| {
            let status = match status.as_str() {
                "complete" => CoverageStatus::Complete,
                "inventory" => CoverageStatus::Inventory,
                "failed" => CoverageStatus::Failed,
                // Anything unknown is not called complete.
                _ => CoverageStatus::Partial,
            };
            (status, serde_json::from_str(&reasons).unwrap_or_default())
        }))
    }

    /// Findings of `scan`, counted by container key.
    pub fn finding_counts(&self, scan: ScanId) -> Result<Vec<(String, u64)>, StoreError> {
        let mut st = self
            .conn
            .prepare(
                "SELECT c.product || ':' || c.key, count(*) FROM findings f
                 JOIN containers c ON c.id = f.container_id
                 WHERE f.scan_id = ?1 GROUP BY c.id ORDER BY 1",
            )
            .map_err(|e| sql_error(&self.path, e))?;
        let rows = st
            .query_map(params![scan.0], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?.max(0) as u64))
            })
            .map_err(|e| sql_error(&self.path, e))?;
        rows.collect::<Result<_, _>>()
            .map_err(|e| sql_error(&self.path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Category, ContainerKind, Field, ItemKind, Origin, Product, Severity};
    use std::sync::Arc;

    fn meta() -> ScanMeta {
        ScanMeta {
            target: "https://acme.atlassian.net".into(),
            tool_version: "0.1.0".into(),
            rules_version: "r1".into(),
            policy_hash: "p".into(),
        }
    }

    fn space(key: &str, name: &str) -> Container {
        Container {
            product: Product::Confluence,
            kind: ContainerKind::Space,
            id: format!("id-{key}"),
            key: key.into(),
            name: name.into(),
            url: format!("https://acme.atlassian.net/wiki/spaces/{key}"),
            created: None,
        }
    }

    fn finding(key: &str, item: &str, fp: &str, raw: Option<&str>) -> Finding {
        Finding {
            rule: Arc::from("card"),
            entity: Arc::from("CREDIT_CARD"),
            category: Category::Financial,
            severity: Severity::High,
            confidence: 0.9,
            origin: Arc::new(Origin {
                product: Product::Confluence,
                container_key: key.into(),
                item_id: item.into(),
                item_url: String::new(),
                field: Field::Body,
                comment_id: None,
            }),
            start: 3,
            end: 22,
            masked: "4111 •••• •••• 1111".into(),
            fingerprint: fp.into(),
            test_value: false,
            matched: raw.map(str::to_string),
        }
    }

    #[test]
    fn a_scan_is_written_and_read_back_and_a_rescan_adds_no_duplicate_container() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(&dir.path().join("withhold.db")).unwrap();
        let first = s.begin_scan(&meta()).unwrap();
        assert_eq!(
            s.last_scan(&meta().target).unwrap().unwrap().status,
            ScanStatus::Running
        );
        let ops = s.container(first, &space("OPS", "Operations")).unwrap();
        let item = Item {
            container: space("OPS", "").identity(),
            id: "101".into(),
            kind: ItemKind::Page,
            title: "Runbook".into(),
            url: String::new(),
            version: Some(7),
            updated: None,
        };
        s.item(first, ops, &item, Some(b"hash")).unwrap();
        s.findings(
            first,
            ops,
            &[
                finding("OPS", "101", "fp1", None),
                finding("OPS", "101", "fp2", None),
            ],
        )
        .unwrap();
        let cov = Coverage {
            items_seen: 2,
            items_scanned: 1,
            items_failed: 1,
            status: CoverageStatus::Partial,
            reasons: vec!["page 102 could not be read".into()],
        };
        s.coverage(first, ops, &cov).unwrap();
        s.finish_scan(first, ScanStatus::Partial).unwrap();

        let last = s.last_scan(&meta().target).unwrap().unwrap();
        assert_eq!((last.id, last.status), (first, ScanStatus::Partial));
        assert!(last.ended_at.is_some());
        assert_eq!(
            s.finding_counts(first).unwrap(),
            [("confluence:OPS".to_string(), 2)]
        );
        assert_eq!(
            s.coverage_of(first, ops).unwrap(),
            Some((CoverageStatus::Partial, cov.reasons.clone()))
        );

        // The next scan sees the space renamed: the same row, brought up to date.
        let second = s.begin_scan(&meta()).unwrap();
        assert!(second > first);
        let again = s.container(second, &space("OPS", "Ops (renamed)")).unwrap();
        assert_eq!(again, ops);
        let (n, name, last_seen): (i64, String, i64) = s
            .connection()
            .query_row(
                "SELECT count(*), max(name), max(last_seen_scan) FROM containers",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!(
            (n, name.as_str(), last_seen),
            (1, "Ops (renamed)", second.0)
        );
        // A Jira project with the same key is another container.
        let jira = Container {
            product: Product::Jira,
            kind: ContainerKind::Project,
            ..space("OPS", "Ops project")
        };
        assert_ne!(s.container(second, &jira).unwrap(), ops);
    }

    #[test]
    fn raw_values_are_stored_only_when_revealed() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(&dir.path().join("withhold.db")).unwrap();
        let scan = s.begin_scan(&meta()).unwrap();
        let c = s.container(scan, &space("PAY", "Payments")).unwrap();
        s.findings(
            scan,
            c,
            &[
                finding("PAY", "1", "a", None),
                finding("PAY", "2", "b", Some("4111111111111111")),
            ],
        )
        .unwrap();
        let raws: Vec<Option<String>> = {
            let mut st = s
                .connection()
                .prepare("SELECT raw FROM findings ORDER BY item_id")
                .unwrap();
            let rows = st.query_map([], |r| r.get(0)).unwrap();
            rows.map(Result::unwrap).collect()
        };
        assert_eq!(raws, [None, Some("4111111111111111".to_string())]);
        let masked: String = s
            .connection()
            .query_row("SELECT masked FROM findings WHERE item_id = '1'", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(masked, "4111 •••• •••• 1111");
    }
}
