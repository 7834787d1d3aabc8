//! Triage decisions in the store: a reviewer says a finding is a false
//! positive or an accepted risk, once, and every later scan of the site
//! leaves it out (and counts it: [`super::state::TriageSet`] is what the
//! read-back applies).
//!
//! A decision names a fingerprint (the keyed hash, never the value), so it
//! follows the value wherever the site repeats it; `container` narrows it to
//! one container (`product:KEY`, or a bare `KEY` for every product).

use super::scans::{fingerprint_bytes, fingerprint_text, now};
use super::{sql_error, Store, StoreError};
use rusqlite::{params, OptionalExtension};
use serde::Serialize;

/// What a decision says of a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Decision {
    FalsePositive,
    AcceptedRisk,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::FalsePositive => "false-positive",
            Decision::AcceptedRisk => "accepted-risk",
        }
    }

    pub fn parse(s: &str) -> Option<Decision> {
        match s {
            "false-positive" => Some(Decision::FalsePositive),
            "accepted-risk" => Some(Decision::AcceptedRisk),
            _ => None,
        }
    }
}

/// Where a decision came from.
pub const FROM_TRIAGE: &str = "triage";
pub const FROM_ALLOW_FILE: &str = "allow-file";

/// A decision to record.
#[derive(Debug, Clone)]
pub struct NewDecision {
    /// 32 hex digits, as findings.jsonl writes it.
    pub fingerprint: String,
    pub container: Option<String>,
    pub decision: Decision,
    pub note: String,
    pub decided_by: String,
    pub source: &'static str,
}

/// A decision as the store holds it.
#[derive(Debug, Clone, Serialize)]
pub struct TriageRow {
    pub id: i64,
    pub fingerprint: String,
    pub container: Option<String>,
    pub decision: String,
    pub note: String,
    pub decided_by: String,
    pub decided_at: String,
    pub source: String,
}

/// A finding of the store's last scan, as `triage --list-findings` shows it:
/// its row id is the reference `withhold triage ID` takes.
#[derive(Debug, Clone, Serialize)]
pub struct FindingRef {
    pub id: i64,
    pub container: String,
    pub item_id: String,
    pub entity: String,
    pub rule: String,
    pub masked: String,
    pub fingerprint: String,
}

impl Store {
    /// Record `d`; a decision for the same fingerprint and container is
    /// replaced (the latest word counts), so importing the same allow file
    /// twice changes nothing. A decision made with `withhold triage` is
    /// never overwritten by the allow file's import. Returns the row id.
    pub fn record_triage(&self, d: &NewDecision) -> Result<i64, StoreError> {
        let err = |e| sql_error(self.path(), e);
        let fp = fingerprint_bytes(&d.fingerprint.to_ascii_lowercase());
        let existing: Option<(i64, String, String, String)> = self
            .connection()
            .query_row(
                "SELECT id, source, decision, note FROM triage WHERE fingerprint = ?1 AND container IS ?2",
                params![fp, d.container],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()
            .map_err(err)?;
        match existing {
            Some((id, source, _, _))
                if d.source == FROM_ALLOW_FILE && source != FROM_ALLOW_FILE =>
            {
                Ok(id)
            }
            Some((id, _, decision, note))
                if d.source == FROM_ALLOW_FILE
                    && decision == d.decision.as_str()
                    && note == d.note =>
            {
                Ok(id)
            }
            Some((id, _, _, _)) => {
                self.connection()
                    .execute(
                        "UPDATE triage SET decision = ?1, note = ?2, decided_by = ?3, decided_at = ?4, source = ?5
                         WHERE id = ?6",
                        params![d.decision.as_str(), d.note, d.decided_by, now(), d.source, id],
                    )
                    .map_err(err)?;
                Ok(id)
            }
            None => {
                self.connection()
                    .execute(
                        "INSERT INTO triage (fingerprint, container, decision, note, decided_by, decided_at, source)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                        params![fp, d.container, d.decision.as_str(), d.note, d.decided_by, now(), d.source],
                    )
                    .map_err(err)?;
                Ok(self.connection().last_insert_rowid())
            }
        }
    }

    /// Every decision, oldest first.
    pub fn triage_rows(&self) -> Result<Vec<TriageRow>, StoreError> {
        let err = |e| sql_error(self.path(), e);
        let mut st = self
            .connection()
            .prepare(
                "SELECT id, fingerprint, container, decision, note, decided_by, decided_at, source
                 FROM triage ORDER BY id",
            )
            .map_err(err)?;
        let rows = st
            .query_map([], |r| {
                Ok(TriageRow {
                    id: r.get(0)?,
                    fingerprint: fingerprint_text(&r.get::<_, Vec<u8>>(1)?),
                    container: r.get(2)?,
                    decision: r.get(3)?,
                    note: r.get(4)?,
                    decided_by: r.get(5)?,
                    decided_at: r.get(6)?,
                    source: r.get(7)?,
                })
            })
            .map_err(err)?;
        rows.collect::<Result<_, _>>().map_err(err)
    }

    /// Remove decision `id`; whether there was one.
    pub fn remove_triage(&self, id: i64) -> Result<bool, StoreError> {
        let n = self
            .connection()
            .execute("DELETE FROM triage WHERE id = ?1", params![id])
            .map_err(|e| sql_error(self.path(), e))?;
        Ok(n > 0)
    }

    /// Whether any scan of this store found a value with `fingerprint`.
    pub fn knows_fingerprint(&self, fingerprint: &str) -> Result<bool, StoreError> {
        let fp = fingerprint_bytes(&fingerprint.to_ascii_lowercase());
        self.connection()
            .query_row(
                "SELECT 1 FROM findings WHERE fingerprint = ?1 LIMIT 1",
                params![fp],
                |_| Ok(()),
            )
            .optional()
            .map(|o| o.is_some())
            .map_err(|e| sql_error(self.path(), e))
    }

    /// Finding `id` (unresolved or not), if the store has it.
    pub fn finding_ref(&self, id: i64) -> Result<Option<FindingRef>, StoreError> {
        Ok(self.finding_refs(Some(id))?.into_iter().next())
    }

    /// The unresolved findings (or finding `only`, whatever its state), in
    /// container and item order.
    pub fn finding_refs(&self, only: Option<i64>) -> Result<Vec<FindingRef>, StoreError> {
        let err = |e| sql_error(self.path(), e);
        let mut st = self
            .connection()
            .prepare(
                "SELECT f.id, c.product, c.key, f.item_id, f.entity, f.rule, f.masked, f.fingerprint
                 FROM findings f JOIN containers c ON c.id = f.container_id
                 WHERE (?1 IS NULL AND f.resolved_scan IS NULL AND c.removed_scan IS NULL) OR f.id = ?1
                 ORDER BY c.product, c.key, f.item_id, f.comment_id, f.start, f.id",
            )
            .map_err(err)?;
        let rows = st
            .query_map(params![only], |r| {
                Ok(FindingRef {
                    id: r.get(0)?,
                    container: format!("{}:{}", r.get::<_, String>(1)?, r.get::<_, String>(2)?),
                    item_id: r.get(3)?,
                    entity: r.get(4)?,
                    rule: r.get(5)?,
                    masked: r.get(6)?,
                    fingerprint: fingerprint_text(&r.get::<_, Vec<u8>>(7)?),
                })
            })
            .map_err(err)?;
        rows.collect::<Result<_, _>>().map_err(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decision(fp: &str, source: &'static str, note: &str) -> NewDecision {
        NewDecision {
            fingerprint: fp.into(),
            container: None,
            decision: Decision::FalsePositive,
            note: note.into(),
            decided_by: "tester".into(),
            source,
        }
    }

    #[test]
    fn importing_the_same_decision_twice_keeps_one_row() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("withhold.db")).unwrap();
        let fp = "00112233445566778899aabbccddeeff";
        let a = s
            .record_triage(&decision(fp, FROM_ALLOW_FILE, "test card"))
            .unwrap();
        let b = s
            .record_triage(&decision(fp, FROM_ALLOW_FILE, "test card"))
            .unwrap();
        assert_eq!(a, b);
        let rows = s.triage_rows().unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].fingerprint, fp);
        assert_eq!(rows[0].source, FROM_ALLOW_FILE);
    }

    #[test]
    fn the_allow_file_never_overrides_a_reviewers_decision() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("withhold.db")).unwrap();
        let fp = "00112233445566778899aabbccddeeff";
        let mut mine = decision(fp, FROM_TRIAGE, "reviewed by hand");
        mine.decision = Decision::AcceptedRisk;
        s.record_triage(&mine).unwrap();
        s.record_triage(&decision(fp, FROM_ALLOW_FILE, "from the file"))
            .unwrap();
        let rows = s.triage_rows().unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].decision, "accepted-risk");
        assert_eq!(rows[0].note, "reviewed by hand");
        assert!(s.remove_triage(rows[0].id).unwrap());
        assert!(!s.remove_triage(rows[0].id).unwrap());
    }
}
