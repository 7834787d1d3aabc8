//! A scan's row in the store: begin, resume, finish, and which scans of a
//! target exist. What a scan reads goes in through [`super::sink`]; what the
//! reports need comes out through [`super::state`].

use super::{sql_error, Store, StoreError};
use crate::model::Container;
use rusqlite::{params, OptionalExtension};

/// How a scan reads its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanMode {
    /// Everything is read; what was not seen is gone.
    Full,
    /// Only what changed since the last scan is read (`KnownSite`).
    Rescan,
}

impl ScanMode {
    pub fn as_str(self) -> &'static str {
        match self {
            ScanMode::Full => "full",
            ScanMode::Rescan => "rescan",
        }
    }
}

/// What a scan was run on and with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanMeta {
    /// Site URL, export file(s) or path: one store holds one target.
    pub target: String,
    pub mode: ScanMode,
    pub tool_version: String,
    pub rules_version: String,
    pub policy_hash: String,
}

/// A scan's row id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ScanId(pub i64);

/// A container's row id in this store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ContainerRow(pub i64);

/// How a scan ended (or that it has not).
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

    fn parse(s: &str) -> ScanStatus {
        match s {
            "running" => ScanStatus::Running,
            "complete" => ScanStatus::Complete,
            "partial" => ScanStatus::Partial,
            // The CHECK constraint keeps other values out.
            _ => ScanStatus::Interrupted,
        }
    }

    /// A scan that did not reach its end (killed, or stopped by a signal):
    /// the next scan of its target resumes it.
    pub fn unfinished(self) -> bool {
        matches!(self, ScanStatus::Running | ScanStatus::Interrupted)
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
pub(crate) fn serde_name<T: serde::Serialize>(v: &T) -> String {
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

/// A stored fingerprint as the outputs write it.
pub fn fingerprint_text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        // Stored as text only when it was not hex to begin with.
        Ok(s) if bytes.len() != 16 => s.to_string(),
        _ => hex::encode(bytes),
    }
}

pub(crate) fn now() -> String {
    jiff::Timestamp::now().to_string()
}

const SCAN_COLUMNS: &str =
    "id, started_at, ended_at, target, mode, tool_version, rules_version, policy_hash, status";

fn scan_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ScanRow> {
    let mode: String = r.get(4)?;
    let status: String = r.get(8)?;
    Ok(ScanRow {
        id: ScanId(r.get(0)?),
        started_at: r.get(1)?,
        ended_at: r.get(2)?,
        meta: ScanMeta {
            target: r.get(3)?,
            mode: if mode == "rescan" {
                ScanMode::Rescan
            } else {
                ScanMode::Full
            },
            tool_version: r.get(5)?,
            rules_version: r.get(6)?,
            policy_hash: r.get(7)?,
        },
        status: ScanStatus::parse(&status),
    })
}

impl Store {
    /// Start a scan: a `running` row, its id.
    pub fn begin_scan(&self, meta: &ScanMeta) -> Result<ScanId, StoreError> {
        self.conn
            .execute(
                "INSERT INTO scans (started_at, target, mode, tool_version, rules_version, policy_hash, status)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'running')",
                params![
                    now(),
                    meta.target,
                    meta.mode.as_str(),
                    meta.tool_version,
                    meta.rules_version,
                    meta.policy_hash
                ],
            )
            .map_err(|e| sql_error(&self.path, e))?;
        Ok(ScanId(self.conn.last_insert_rowid()))
    }

    /// Take up an unfinished scan again: `running` once more.
    pub fn resume_scan(&self, scan: ScanId) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE scans SET status = 'running', ended_at = NULL WHERE id = ?1",
                params![scan.0],
            )
            .map_err(|e| sql_error(&self.path, e))?;
        Ok(())
    }

    /// End a scan with `status`, and what the reports show of the run.
    pub fn finish_scan(
        &self,
        scan: ScanId,
        status: ScanStatus,
        run: Option<&str>,
    ) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE scans SET ended_at = ?1, status = ?2, run = coalesce(?3, run) WHERE id = ?4",
                params![now(), status.as_str(), run, scan.0],
            )
            .map_err(|e| sql_error(&self.path, e))?;
        Ok(())
    }

    /// The latest scan of `target`, whatever its status.
    pub fn last_scan(&self, target: &str) -> Result<Option<ScanRow>, StoreError> {
        self.conn
            .query_row(
                &format!(
                    "SELECT {SCAN_COLUMNS} FROM scans WHERE target = ?1 ORDER BY id DESC LIMIT 1"
                ),
                params![target],
                scan_row,
            )
            .optional()
            .map_err(|e| sql_error(&self.path, e))
    }

    /// The latest scan of `target` that reached its end (complete or
    /// partial), before `before` if given: what a rescan compares with.
    pub fn last_ended_scan(
        &self,
        target: &str,
        before: Option<ScanId>,
    ) -> Result<Option<ScanRow>, StoreError> {
        self.conn
            .query_row(
                &format!(
                    "SELECT {SCAN_COLUMNS} FROM scans
                     WHERE target = ?1 AND status IN ('complete', 'partial') AND id < ?2
                     ORDER BY id DESC LIMIT 1"
                ),
                params![target, before.map_or(i64::MAX, |s| s.0)],
                scan_row,
            )
            .optional()
            .map_err(|e| sql_error(&self.path, e))
    }

    /// Every scan, oldest first.
    pub fn scans(&self) -> Result<Vec<ScanRow>, StoreError> {
        let mut st = self
            .conn
            .prepare(&format!("SELECT {SCAN_COLUMNS} FROM scans ORDER BY id"))
            .map_err(|e| sql_error(&self.path, e))?;
        let rows = st
            .query_map([], scan_row)
            .map_err(|e| sql_error(&self.path, e))?;
        rows.collect::<Result<_, _>>()
            .map_err(|e| sql_error(&self.path, e))
    }

    /// What the reports show of scan `scan`'s run (its summary without
    /// containers and verdicts), if it ended.
    pub fn run_of(&self, scan: ScanId) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row(
                "SELECT run FROM scans WHERE id = ?1",
                params![scan.0],
                |r| r.get(0),
            )
            .optional()
            .map(Option::flatten)
            .map_err(|e| sql_error(&self.path, e))
    }

    /// The target this store holds, if it holds one: a store is one site's.
    pub fn target(&self) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row("SELECT target FROM scans ORDER BY id LIMIT 1", [], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| sql_error(&self.path, e))
    }

    /// The reasons scan `scan` recorded for container `c` itself (listings
    /// cut short), if it recorded any.
    pub fn coverage_reasons(
        &self,
        scan: ScanId,
        c: ContainerRow,
    ) -> Result<Option<Vec<String>>, StoreError> {
        let r: Option<String> = self
            .conn
            .query_row(
                "SELECT reasons FROM coverage WHERE scan_id = ?1 AND container_id = ?2",
                params![scan.0, c.0],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| sql_error(&self.path, e))?;
        Ok(r.and_then(|r| serde_json::from_str(&r).ok()))
    }

    /// The verdicts scan `scan` ended with, one per container it ranked.
    pub fn record_verdicts(
        &self,
        scan: ScanId,
        verdicts: &[crate::rank::Verdict],
    ) -> Result<(), StoreError> {
        let err = |e| sql_error(&self.path, e);
        let tx = self.conn.unchecked_transaction().map_err(err)?;
        {
            let mut st = tx
                .prepare(
                    "INSERT OR REPLACE INTO verdicts (scan_id, container_id, level, recommendation, score)
                     SELECT ?1, id, ?4, ?5, ?6 FROM containers WHERE product = ?2 AND key = ?3",
                )
                .map_err(err)?;
            for v in verdicts {
                st.execute(params![
                    scan.0,
                    v.product.as_str(),
                    v.key,
                    v.level.as_str(),
                    v.recommendation.as_str(),
                    i64::from(v.score)
                ])
                .map_err(err)?;
            }
        }
        tx.commit().map_err(err)
    }

    /// The coverage status scan `scan` ends with for each container, as the
    /// final summary has it (a crawl that stopped or a signal leaves none
    /// complete): what the next rescan trusts.
    pub fn settle_coverage(
        &self,
        scan: ScanId,
        statuses: &[(crate::model::ContainerId, crate::model::CoverageStatus)],
    ) -> Result<(), StoreError> {
        let err = |e| sql_error(&self.path, e);
        let tx = self.conn.unchecked_transaction().map_err(err)?;
        {
            let mut st = tx
                .prepare(
                    "UPDATE coverage SET status = ?1 WHERE scan_id = ?2
                     AND container_id = (SELECT id FROM containers WHERE product = ?3 AND key = ?4)",
                )
                .map_err(err)?;
            for (id, status) in statuses {
                st.execute(params![
                    status.as_str(),
                    scan.0,
                    id.product.as_str(),
                    id.key
                ])
                .map_err(err)?;
            }
        }
        tx.commit().map_err(err)
    }

    /// Record that `scan` saw container `c`: a new row the first time, else
    /// its name, URL and last sighting brought up to date (and no longer
    /// removed, if it had been).
    pub fn container(&self, scan: ScanId, c: &Container) -> Result<ContainerRow, StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO containers (product, kind, key, product_id, name, url, created_at, first_scan, last_seen_scan)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)
                 ON CONFLICT (product, key) DO UPDATE SET
                     kind = excluded.kind, product_id = excluded.product_id, name = excluded.name,
                     url = excluded.url, created_at = coalesce(excluded.created_at, created_at),
                     last_seen_scan = excluded.last_seen_scan, removed_scan = NULL
                 RETURNING id",
            )
            .and_then(|mut st| {
                st.query_row(
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
            })
            .map(ContainerRow)
            .map_err(|e| sql_error(&self.path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ContainerKind, Product};

    pub(crate) fn meta() -> ScanMeta {
        ScanMeta {
            target: "https://acme.atlassian.net".into(),
            mode: ScanMode::Full,
            tool_version: "0.1.0".into(),
            rules_version: "r1".into(),
            policy_hash: "p".into(),
        }
    }

    pub(crate) fn space(key: &str, name: &str) -> Container {
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

    #[test]
    fn scans_begin_resume_and_end_and_a_rescan_adds_no_duplicate_container() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("withhold.db")).unwrap();
        let first = s.begin_scan(&meta()).unwrap();
        let last = s.last_scan(&meta().target).unwrap().unwrap();
        assert_eq!(last.status, ScanStatus::Running);
        assert!(last.status.unfinished());
        assert_eq!(s.last_ended_scan(&meta().target, None).unwrap(), None);
        let ops = s.container(first, &space("OPS", "Operations")).unwrap();
        s.finish_scan(first, ScanStatus::Interrupted, None).unwrap();
        s.resume_scan(first).unwrap();
        assert_eq!(
            s.last_scan(&meta().target).unwrap().unwrap().status,
            ScanStatus::Running
        );
        s.finish_scan(first, ScanStatus::Partial, Some("{}"))
            .unwrap();
        let ended = s.last_ended_scan(&meta().target, None).unwrap().unwrap();
        assert_eq!((ended.id, ended.status), (first, ScanStatus::Partial));
        assert_eq!(s.run_of(first).unwrap().as_deref(), Some("{}"));
        assert_eq!(s.target().unwrap().as_deref(), Some(meta().target.as_str()));

        // The next scan sees the space renamed: the same row, brought up to date.
        let second = s.begin_scan(&meta()).unwrap();
        assert!(second > first);
        assert_eq!(
            s.last_ended_scan(&meta().target, Some(second))
                .unwrap()
                .unwrap()
                .id,
            first
        );
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
        assert_eq!(s.scans().unwrap().len(), 2);
    }

    #[test]
    fn fingerprints_are_stored_as_bytes_and_written_back_as_hex() {
        let fp = "00112233445566778899aabbccddeeff";
        assert_eq!(fingerprint_bytes(fp).len(), 16);
        assert_eq!(fingerprint_text(&fingerprint_bytes(fp)), fp);
        assert_eq!(fingerprint_text(&fingerprint_bytes("plain")), "plain");
    }
}
