//! What changed between two scans of a site (DESIGN §8a): new containers
//! first (a new space contributes from the moment it exists), new and
//! resolved findings, verdicts that changed level or recommendation, and
//! containers whose coverage changed. Read from the store only.

use super::scans::{ScanId, ScanRow};
use super::state::TriageSet;
use super::{sql_error, Store, StoreError};
use crate::model::{ContainerId, Product};
use rusqlite::params;
use serde::Serialize;
use std::collections::BTreeMap;

/// A verdict as a scan recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerdictAt {
    pub level: String,
    pub recommendation: String,
    pub score: i64,
}

/// A container that appeared or went away.
#[derive(Debug, Clone, Serialize)]
pub struct ContainerChange {
    pub product: Product,
    pub kind: String,
    pub key: String,
    /// As the outputs show it (masked unless revealed).
    pub name: String,
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// Its verdict in the later scan (new containers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<VerdictAt>,
}

/// Findings that appeared or were resolved in one container, by entity.
#[derive(Debug, Clone, Serialize)]
pub struct FindingChanges {
    pub product: Product,
    pub key: String,
    pub findings: u64,
    /// Entity → findings.
    pub by_entity: BTreeMap<String, u64>,
    /// Items they sit in.
    pub items: u64,
}

/// A verdict whose level or recommendation changed.
#[derive(Debug, Clone, Serialize)]
pub struct VerdictChange {
    pub product: Product,
    pub key: String,
    pub name: String,
    pub before: VerdictAt,
    pub after: VerdictAt,
}

/// A container whose coverage status changed.
#[derive(Debug, Clone, Serialize)]
pub struct CoverageChange {
    pub product: Product,
    pub key: String,
    pub before: String,
    pub after: String,
}

/// Everything that changed from scan `since` to scan `scan`.
#[derive(Debug, Clone, Serialize)]
pub struct Diff {
    /// The earlier scan (`None`: this is the site's first scan: everything is new).
    pub since: Option<ScanRef>,
    pub scan: ScanRef,
    pub new_containers: Vec<ContainerChange>,
    pub removed_containers: Vec<ContainerChange>,
    pub new_findings: Vec<FindingChanges>,
    pub resolved_findings: Vec<FindingChanges>,
    pub verdict_changes: Vec<VerdictChange>,
    pub coverage_changes: Vec<CoverageChange>,
}

/// A scan as a diff names it.
#[derive(Debug, Clone, Serialize)]
pub struct ScanRef {
    pub id: i64,
    pub started_at: String,
}

impl From<&ScanRow> for ScanRef {
    fn from(s: &ScanRow) -> ScanRef {
        ScanRef {
            id: s.id.0,
            started_at: s.started_at.clone(),
        }
    }
}

impl Diff {
    pub fn new_findings_total(&self) -> u64 {
        self.new_findings.iter().map(|c| c.findings).sum()
    }

    pub fn resolved_findings_total(&self) -> u64 {
        self.resolved_findings.iter().map(|c| c.findings).sum()
    }

    /// Whether anything changed at all.
    pub fn is_empty(&self) -> bool {
        self.new_containers.is_empty()
            && self.removed_containers.is_empty()
            && self.new_findings.is_empty()
            && self.resolved_findings.is_empty()
            && self.verdict_changes.is_empty()
            && self.coverage_changes.is_empty()
    }

    /// `--fail-on new-high`: a new container that is high, or one that became high.
    pub fn has_new_high(&self) -> bool {
        let high = |v: &VerdictAt| v.level == "high";
        self.new_containers
            .iter()
            .any(|c| c.verdict.as_ref().is_some_and(high))
            || self
                .verdict_changes
                .iter()
                .any(|c| high(&c.after) && !high(&c.before))
    }
}

fn product(s: &str) -> Product {
    super::state::parse_name(s).unwrap_or(Product::Files)
}

impl Store {
    /// The scan `--since` names: a scan id, or a date / time (the last
    /// ended scan that started before it).
    pub fn scan_named(&self, since: &str) -> Result<Option<ScanRow>, StoreError> {
        let scans = self.scans()?;
        if let Ok(id) = since.parse::<i64>() {
            return Ok(scans.into_iter().find(|s| s.id.0 == id));
        }
        let cut = since
            .parse::<jiff::Timestamp>()
            .ok()
            .or_else(|| {
                since
                    .parse::<jiff::civil::Date>()
                    .ok()
                    .and_then(|d| d.to_zoned(jiff::tz::TimeZone::UTC).ok())
                    .map(|z| z.timestamp())
            })
            .ok_or_else(|| StoreError::Io {
                file: self.path().to_path_buf(),
                detail: format!(
                    "--since {since}: neither a scan id nor a date (YYYY-MM-DD or RFC 3339)"
                ),
            })?;
        Ok(scans.into_iter().rfind(|s| {
            !s.status.unfinished()
                && s.started_at
                    .parse::<jiff::Timestamp>()
                    .is_ok_and(|t| t < cut)
        }))
    }

    fn verdicts_at(&self, scan: ScanId) -> Result<BTreeMap<i64, VerdictAt>, StoreError> {
        let conn = self.connection();
        let err = |e| sql_error(self.path(), e);
        let mut st = conn
            .prepare(
                "SELECT container_id, level, recommendation, score FROM verdicts WHERE scan_id = ?1",
            )
            .map_err(err)?;
        let rows = st
            .query_map(params![scan.0], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    VerdictAt {
                        level: r.get(1)?,
                        recommendation: r.get(2)?,
                        score: r.get(3)?,
                    },
                ))
            })
            .map_err(err)?;
        rows.collect::<Result<_, _>>().map_err(err)
    }

    fn containers_where(
        &self,
        filter: &str,
        a: i64,
        b: i64,
        verdicts: &BTreeMap<i64, VerdictAt>,
    ) -> Result<Vec<ContainerChange>, StoreError> {
        let conn = self.connection();
        let err = |e| sql_error(self.path(), e);
        let mut st = conn
            .prepare(&format!(
                "SELECT id, product, kind, key, name, url, created_at FROM containers
                 WHERE {filter} ORDER BY product, key"
            ))
            .map_err(err)?;
        let rows = st
            .query_map(params![a, b], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, Option<String>>(6)?,
                ))
            })
            .map_err(err)?;
        let mut out = Vec::new();
        for r in rows {
            let (id, p, kind, key, name, url, created) = r.map_err(err)?;
            out.push(ContainerChange {
                product: product(&p),
                kind,
                key,
                name,
                url,
                created,
                verdict: verdicts.get(&id).cloned(),
            });
        }
        Ok(out)
    }

    fn finding_changes(
        &self,
        filter: &str,
        a: i64,
        b: i64,
        triage: &TriageSet,
    ) -> Result<Vec<FindingChanges>, StoreError> {
        let conn = self.connection();
        let err = |e| sql_error(self.path(), e);
        let mut st = conn
            .prepare(&format!(
                "SELECT c.product, c.key, f.entity, f.item_id, f.fingerprint FROM findings f
                 JOIN containers c ON c.id = f.container_id
                 WHERE {filter} ORDER BY c.product, c.key"
            ))
            .map_err(err)?;
        let mut rows = st.query(params![a, b]).map_err(err)?;
        let mut by: BTreeMap<
            (String, String),
            (FindingChanges, std::collections::HashSet<String>),
        > = BTreeMap::new();
        while let Some(r) = rows.next().map_err(err)? {
            let p: String = r.get(0).map_err(err)?;
            let key: String = r.get(1).map_err(err)?;
            let entity: String = r.get(2).map_err(err)?;
            let item: String = r.get(3).map_err(err)?;
            let fp: Vec<u8> = r.get(4).map_err(err)?;
            if triage
                .decision(&fp, &ContainerId::new(product(&p), key.clone()))
                .is_some()
            {
                continue;
            }
            let (c, items) = by.entry((p.clone(), key.clone())).or_insert_with(|| {
                (
                    FindingChanges {
                        product: product(&p),
                        key,
                        findings: 0,
                        by_entity: BTreeMap::new(),
                        items: 0,
                    },
                    Default::default(),
                )
            });
            c.findings += 1;
            *c.by_entity.entry(entity).or_default() += 1;
            items.insert(item);
        }
        Ok(by
            .into_values()
            .map(|(mut c, items)| {
                c.items = items.len() as u64;
                c
            })
            .collect())
    }

    /// What changed from `since` (`None`: nothing before: everything is new)
    /// to `scan`.
    pub fn diff(&self, since: Option<&ScanRow>, scan: &ScanRow) -> Result<Diff, StoreError> {
        let s = scan.id.0;
        let x = since.map_or(0, |r| r.id.0);
        let after = self.verdicts_at(scan.id)?;
        let before = match since {
            Some(r) => self.verdicts_at(r.id)?,
            None => BTreeMap::new(),
        };
        let triage = self.triage_set()?;
        let new_containers = self.containers_where(
            "first_scan > ?1 AND first_scan <= ?2 AND (removed_scan IS NULL OR removed_scan > ?2)",
            x,
            s,
            &after,
        )?;
        let removed_containers = self.containers_where(
            "removed_scan > ?1 AND removed_scan <= ?2 AND first_scan <= ?1",
            x,
            s,
            &before,
        )?;
        let new_findings = self.finding_changes(
            "f.first_scan > ?1 AND f.first_scan <= ?2 AND (f.resolved_scan IS NULL OR f.resolved_scan > ?2)",
            x,
            s,
            &triage,
        )?;
        let resolved_findings = self.finding_changes(
            "f.resolved_scan > ?1 AND f.resolved_scan <= ?2 AND f.first_scan <= ?1",
            x,
            s,
            &triage,
        )?;
        // Verdicts and coverage of the containers both scans saw.
        let conn = self.connection();
        let err = |e| sql_error(self.path(), e);
        let mut names: BTreeMap<i64, (Product, String, String)> = BTreeMap::new();
        {
            let mut st = conn
                .prepare("SELECT id, product, key, name FROM containers")
                .map_err(err)?;
            let rows = st
                .query_map([], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                    ))
                })
                .map_err(err)?;
            for r in rows {
                let (id, p, key, name) = r.map_err(err)?;
                names.insert(id, (product(&p), key, name));
            }
        }
        let mut verdict_changes = Vec::new();
        for (id, now) in &after {
            let Some(then) = before.get(id) else { continue };
            if then.level != now.level || then.recommendation != now.recommendation {
                if let Some((p, key, name)) = names.get(id) {
                    verdict_changes.push(VerdictChange {
                        product: *p,
                        key: key.clone(),
                        name: name.clone(),
                        before: then.clone(),
                        after: now.clone(),
                    });
                }
            }
        }
        let mut coverage_changes = Vec::new();
        if since.is_some() {
            let mut st = conn
                .prepare(
                    "SELECT a.container_id, a.status, b.status FROM coverage a
                     JOIN coverage b ON b.container_id = a.container_id AND b.scan_id = ?2
                     WHERE a.scan_id = ?1 AND a.status != b.status",
                )
                .map_err(err)?;
            let rows = st
                .query_map(params![x, s], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                    ))
                })
                .map_err(err)?;
            for r in rows {
                let (id, b, a) = r.map_err(err)?;
                if let Some((p, key, _)) = names.get(&id) {
                    coverage_changes.push(CoverageChange {
                        product: *p,
                        key: key.clone(),
                        before: b,
                        after: a,
                    });
                }
            }
            coverage_changes.sort_by(|a, b| (a.product, &a.key).cmp(&(b.product, &b.key)));
        }
        Ok(Diff {
            since: since.map(ScanRef::from),
            scan: ScanRef::from(scan),
            new_containers,
            removed_containers,
            new_findings,
            resolved_findings,
            verdict_changes,
            coverage_changes,
        })
    }
}

/// The diff in plain lines for people (the terminal, checklist.md): new
/// containers first.
pub fn render_text(d: &Diff) -> String {
    let (heading, lines) = lines(d);
    let mut out = format!("{heading}\n");
    for l in lines {
        out.push_str("- ");
        out.push_str(&l);
        out.push('\n');
    }
    out
}

/// The diff's heading ("Since the last scan on …") and one line per change,
/// new containers first.
pub fn lines(d: &Diff) -> (String, Vec<String>) {
    let heading = match &d.since {
        Some(s) => format!(
            "Since the last scan on {} (scan {}):",
            day(&s.started_at),
            s.id
        ),
        None => "First scan of this site: everything below is new.".to_string(),
    };
    let mut out: Vec<String> = Vec::new();
    if d.is_empty() {
        out.push("nothing changed.".to_string());
        return (heading, out);
    }
    for c in &d.new_containers {
        let verdict = c.verdict.as_ref().map_or(String::new(), |v| {
            format!(": {} ({}, score {})", v.recommendation, v.level, v.score)
        });
        out.push(format!(
            "NEW {} {} \"{}\"{verdict}: it contributes from the moment it exists.",
            crate::rank::words::app_name(c.product),
            c.key,
            c.name
        ));
    }
    for c in &d.removed_containers {
        out.push(format!(
            "gone: {} {} \"{}\" (no longer on the site; its findings are resolved).",
            crate::rank::words::app_name(c.product),
            c.key,
            c.name
        ));
    }
    for c in &d.verdict_changes {
        out.push(format!(
            "verdict of {} {}: {} ({}) → {} ({}).",
            crate::rank::words::app_name(c.product),
            c.key,
            c.before.recommendation,
            c.before.level,
            c.after.recommendation,
            c.after.level
        ));
    }
    let entities = |m: &BTreeMap<String, u64>| {
        m.iter()
            .map(|(e, n)| format!("{n} {e}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    for c in &d.new_findings {
        out.push(format!(
            "{} new finding{} in {} {} ({} item{}): {}.",
            c.findings,
            if c.findings == 1 { "" } else { "s" },
            crate::rank::words::app_name(c.product),
            c.key,
            c.items,
            if c.items == 1 { "" } else { "s" },
            entities(&c.by_entity)
        ));
    }
    for c in &d.resolved_findings {
        out.push(format!(
            "{} finding{} resolved in {} {}: {}.",
            c.findings,
            if c.findings == 1 { "" } else { "s" },
            crate::rank::words::app_name(c.product),
            c.key,
            entities(&c.by_entity)
        ));
    }
    for c in &d.coverage_changes {
        out.push(format!(
            "coverage of {} {}: {} → {}.",
            crate::rank::words::app_name(c.product),
            c.key,
            c.before,
            c.after
        ));
    }
    (heading, out)
}

/// The day of an RFC 3339 time.
fn day(t: &str) -> &str {
    t.get(..10).unwrap_or(t)
}
