//! The scan pipeline: units from a source → detection on rayon → findings
//! written as each batch completes → summary with coverage.

use crate::detect::engine::{DocumentScan, Engine};
use crate::detect::rules::PackInfo;
use crate::model::{Coverage, CoverageStatus, Finding};
use crate::report::create_private;
use crate::report::findings::write_finding;
use crate::report::summary::{ContainerSummary, SourceInfo, Summary, ToolInfo, Totals};
use crate::sources::SourceData;
use anyhow::Context;
use rayon::prelude::*;
use std::collections::{BTreeMap, HashSet};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Units handed to rayon at a time: large enough to keep both cores busy,
/// small enough that findings are written while the scan goes on.
const BATCH_UNITS: usize = 1024;

/// What the caller wants from a scan.
pub struct ScanRequest<'a> {
    pub engine: &'a Engine,
    pub packs: Vec<PackInfo>,
    pub source: SourceInfo,
    pub out_dir: PathBuf,
    pub threads: Option<usize>,
    pub revealed: bool,
}

/// The outcome of a scan: the summary that was written, and where.
pub struct ScanOutcome {
    pub summary: Summary,
    pub findings_path: PathBuf,
    pub summary_path: PathBuf,
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Scan everything `data` holds and write `findings.jsonl` and `summary.json`.
pub fn run(req: ScanRequest<'_>, data: SourceData) -> anyhow::Result<ScanOutcome> {
    let started = Instant::now();
    let started_at = now_secs();
    std::fs::create_dir_all(&req.out_dir)
        .with_context(|| format!("creating output directory {}", req.out_dir.display()))?;
    let findings_path = req.out_dir.join("findings.jsonl");
    let summary_path = req.out_dir.join("summary.json");
    let mut writer = BufWriter::new(
        create_private(&findings_path)
            .with_context(|| format!("creating {}", findings_path.display()))?,
    );
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(n) = req.threads {
        pool = pool.num_threads(n);
    }
    let pool = pool.build().context("starting the detection threads")?;
    let threads = pool.current_num_threads();

    let mut per_container: BTreeMap<String, ContainerSummary> = req_containers(&data);
    let mut totals = Totals::default();
    let mut items_with_findings: HashSet<(String, String)> = HashSet::new();

    let record = |f: &Finding,
                  totals: &mut Totals,
                  per: &mut BTreeMap<String, ContainerSummary>,
                  seen: &mut HashSet<(String, String)>| {
        totals.findings += 1;
        totals.test_values += u64::from(f.test_value);
        *totals
            .by_category
            .entry(f.category.as_str().into())
            .or_default() += 1;
        *totals.by_entity.entry(f.entity.to_string()).or_default() += 1;
        *totals
            .by_severity
            .entry(f.severity.as_str().into())
            .or_default() += 1;
        if let Some(c) = per.get_mut(&f.origin.container_key) {
            c.findings += 1;
            *c.by_category.entry(f.category.as_str().into()).or_default() += 1;
            *c.by_entity.entry(f.entity.to_string()).or_default() += 1;
            if seen.insert((f.origin.container_key.clone(), f.origin.item_id.clone())) {
                c.items_with_findings += 1;
            }
        }
    };
    let absorb = |scan: DocumentScan,
                  totals: &mut Totals,
                  per: &mut BTreeMap<String, ContainerSummary>,
                  seen: &mut HashSet<(String, String)>,
                  writer: &mut BufWriter<std::fs::File>|
     -> anyhow::Result<()> {
        for f in &scan.findings {
            write_finding(writer, f).context("writing findings.jsonl")?;
            record(f, totals, per, seen);
        }
        for ((reason, entity), n) in scan.suppressed {
            *totals
                .suppressed
                .entry(reason.to_string())
                .or_default()
                .entry(entity)
                .or_default() += n;
        }
        Ok(())
    };

    // Container names are metadata: scanned like any other document.
    for doc in &data.container_documents {
        totals.documents += 1;
        totals.bytes += doc.text.len() as u64;
        let scan = req.engine.scan(doc);
        absorb(
            scan,
            &mut totals,
            &mut per_container,
            &mut items_with_findings,
            &mut writer,
        )?;
    }

    for batch in data.units.chunks(BATCH_UNITS) {
        let scans: Vec<Vec<DocumentScan>> = pool.install(|| {
            batch
                .par_iter()
                .with_min_len(4)
                .map(|u| {
                    let docs: Vec<&crate::model::Document> = u.documents.iter().collect();
                    req.engine.scan_batch(&docs)
                })
                .collect()
        });
        for (unit, doc_scans) in batch.iter().zip(scans) {
            totals.documents += unit.documents.len() as u64;
            totals.bytes += unit
                .documents
                .iter()
                .map(|d| d.text.len() as u64)
                .sum::<u64>();
            totals.extraction_warnings += unit.warnings.len() as u64;
            if let Some(c) = per_container.get_mut(&unit.item.container) {
                c.coverage.items_seen += 1;
                c.coverage.items_scanned += 1;
            }
            for scan in doc_scans {
                absorb(
                    scan,
                    &mut totals,
                    &mut per_container,
                    &mut items_with_findings,
                    &mut writer,
                )?;
            }
        }
        writer.flush().context("writing findings.jsonl")?;
    }
    for failure in &data.failures {
        if let Some(c) = per_container.get_mut(&failure.container_key) {
            c.coverage.items_seen += 1;
            c.coverage
                .record_failure(format!("{}: {}", failure.item_id, failure.reason));
        }
    }
    writer.flush().context("writing findings.jsonl")?;

    for c in per_container.values_mut() {
        // Nothing read at all is a failure, not a partial read.
        if c.coverage.items_failed > 0 && c.coverage.items_scanned == 0 {
            c.coverage.status = CoverageStatus::Failed;
        }
    }
    let containers: Vec<ContainerSummary> = per_container.into_values().collect();
    totals.containers = containers.len();
    for c in &containers {
        totals.items_seen += c.coverage.items_seen;
        totals.items_scanned += c.coverage.items_scanned;
        totals.items_failed += c.coverage.items_failed;
    }
    let summary = Summary {
        tool: ToolInfo {
            name: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
        },
        started_at: crate::report::rfc3339(started_at),
        finished_at: crate::report::rfc3339(now_secs()),
        duration_ms: started.elapsed().as_millis() as u64,
        source: req.source,
        threads,
        rule_packs: req.packs,
        clients: req.engine.clients().map_or(0, |c| c.len()),
        revealed: req.revealed,
        totals,
        containers,
    };
    write_summary(&summary_path, &summary)?;
    Ok(ScanOutcome {
        summary,
        findings_path,
        summary_path,
    })
}

fn req_containers(data: &SourceData) -> BTreeMap<String, ContainerSummary> {
    data.containers
        .iter()
        .map(|c| {
            (
                c.key.clone(),
                ContainerSummary {
                    container: c.clone(),
                    coverage: Coverage::default(),
                    items_with_findings: 0,
                    findings: 0,
                    by_category: BTreeMap::new(),
                    by_entity: BTreeMap::new(),
                },
            )
        })
        .collect()
}

fn write_summary(path: &Path, summary: &Summary) -> anyhow::Result<()> {
    let mut f = create_private(path).with_context(|| format!("creating {}", path.display()))?;
    let json = summary.to_json().context("serialising summary.json")?;
    f.write_all(json.as_bytes())
        .and_then(|_| f.write_all(b"\n"))
        .with_context(|| format!("writing {}", path.display()))
}

/// A container that was not fully read is never reported as complete.
pub fn status_line(c: &ContainerSummary) -> &'static str {
    match c.coverage.status {
        CoverageStatus::Complete => "complete",
        CoverageStatus::Partial => "partial",
        CoverageStatus::Failed => "failed",
    }
}
