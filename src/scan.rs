//! The scan pipeline: events from a source → detection on rayon in batches →
//! findings written as each batch completes → summary with coverage.
//!
//! Sources hand over [`SourceEvent`]s one at a time (an offline source from
//! memory, the crawler through a bounded channel), so memory holds one batch
//! of items however large the site is.

use crate::detect::engine::{DocumentScan, Engine};
use crate::detect::rules::PackInfo;
use crate::model::{
    Container, ContainerKind, Coverage, CoverageStatus, Document, Finding, Product,
};
use crate::rank::evidence::ContainerEvidence;
use crate::rank::policy::Policy;
use crate::report::create_private;
use crate::report::findings::write_finding;
use crate::report::summary::{ContainerSummary, SourceInfo, Summary, ToolInfo, Totals};
use crate::sources::{ItemUnit, SourceEvent};
use anyhow::Context;
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Units handed to rayon at a time: large enough to keep every core busy,
/// small enough that findings are written while the scan goes on and memory
/// stays flat.
const BATCH_UNITS: usize = 512;

/// What the caller wants from a scan.
pub struct ScanRequest<'a> {
    pub engine: &'a Engine,
    pub packs: Vec<PackInfo>,
    pub source: SourceInfo,
    pub out_dir: PathBuf,
    pub threads: Option<usize>,
    pub revealed: bool,
    /// Decides what counts little (own-domain emails) while evidence is gathered.
    pub policy: &'a Policy,
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

/// Running totals and per-container coverage, fed finding by finding.
struct Tally<'p> {
    totals: Totals,
    containers: BTreeMap<String, ContainerSummary>,
    evidence: BTreeMap<String, ContainerEvidence>,
    /// (container, item) of the items with a document that could not be
    /// read, so an item with several is failed once.
    unread_items: BTreeSet<(String, String)>,
    policy: &'p Policy,
}

impl Tally<'_> {
    fn container(&mut self, key: &str, product: Product) -> &mut ContainerSummary {
        self.containers
            .entry(key.to_string())
            .or_insert_with(|| ContainerSummary {
                // A unit for a container the source never announced: still counted.
                container: Container {
                    product,
                    kind: ContainerKind::Directory,
                    id: key.to_string(),
                    key: key.to_string(),
                    name: key.to_string(),
                    url: String::new(),
                    created: None,
                },
                coverage: Coverage::default(),
                items_with_findings: 0,
                findings: 0,
                by_category: BTreeMap::new(),
                by_entity: BTreeMap::new(),
                entities: Vec::new(),
                metadata_exposures: Vec::new(),
            })
    }

    fn finding(&mut self, f: &Finding) {
        let t = &mut self.totals;
        t.findings += 1;
        t.test_values += u64::from(f.test_value);
        *t.by_category.entry(f.category.as_str().into()).or_default() += 1;
        *t.by_entity.entry(f.entity.to_string()).or_default() += 1;
        *t.by_severity.entry(f.severity.as_str().into()).or_default() += 1;
        let c = self.container(&f.origin.container_key, f.origin.product);
        c.findings += 1;
        *c.by_category.entry(f.category.as_str().into()).or_default() += 1;
        *c.by_entity.entry(f.entity.to_string()).or_default() += 1;
        let policy = self.policy;
        self.evidence
            .entry(f.origin.container_key.clone())
            .or_default()
            .add(f, policy);
    }

    /// Write and count a document's findings; `public` says which comments
    /// customers can see (JSM).
    fn absorb(
        &mut self,
        scan: DocumentScan,
        public: &BTreeMap<String, bool>,
        writer: &mut impl Write,
    ) -> anyhow::Result<()> {
        for f in &scan.findings {
            let visible = f
                .origin
                .comment_id
                .as_ref()
                .and_then(|id| public.get(id).copied());
            write_finding(writer, f, visible).context("writing findings.jsonl")?;
            self.finding(f);
        }
        for ((reason, entity), n) in scan.suppressed {
            *self
                .totals
                .suppressed
                .entry(reason.to_string())
                .or_default()
                .entry(entity)
                .or_default() += n;
        }
        Ok(())
    }
}

/// Detection over one batch of units, in parallel, then the findings in order.
fn scan_batch(
    req: &ScanRequest<'_>,
    pool: &rayon::ThreadPool,
    batch: &mut Vec<(ItemUnit, bool)>,
    tally: &mut Tally,
    writer: &mut BufWriter<File>,
) -> anyhow::Result<()> {
    let scans: Vec<Vec<DocumentScan>> = pool.install(|| {
        batch
            .par_iter()
            .with_min_len(4)
            .map(|(u, _)| {
                let docs: Vec<&Document> = u.documents.iter().collect();
                req.engine.scan_batch(&docs)
            })
            .collect()
    });
    for ((unit, is_item), doc_scans) in batch.iter().zip(scans) {
        let t = &mut tally.totals;
        t.documents += unit.documents.len() as u64;
        t.bytes += unit
            .documents
            .iter()
            .map(|d| d.text.len() as u64)
            .sum::<u64>();
        t.extraction_warnings += unit.warnings.len() as u64;
        let product = unit
            .documents
            .first()
            .map_or(Product::Files, |d| d.origin.product);
        // Part of the item was not read: it is failed, not scanned (what
        // was read is still scanned below). Once per item.
        let first_unread = !unit.unread.is_empty()
            && tally
                .unread_items
                .insert((unit.item.container.clone(), unit.item.id.clone()));
        let c = tally.container(&unit.item.container, product);
        if *is_item {
            c.coverage.items_seen += 1;
            c.coverage.items_scanned += 1;
        }
        if !unit.unread.is_empty() {
            let reason = format!("{}: {}", unit.item.id, unit.unread.join("; "));
            if first_unread {
                c.coverage.items_scanned = c.coverage.items_scanned.saturating_sub(1);
                c.coverage.record_failure(reason);
            } else {
                c.coverage.reasons.push(reason);
            }
        }
        for scan in doc_scans {
            tally.absorb(scan, &unit.comment_public, writer)?;
        }
    }
    batch.clear();
    writer.flush().context("writing findings.jsonl")
}

/// Scan everything `events` yields and write `findings.jsonl` and `summary.json`.
pub fn run(
    req: ScanRequest<'_>,
    events: impl IntoIterator<Item = SourceEvent>,
) -> anyhow::Result<ScanOutcome> {
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

    let mut tally = Tally {
        totals: Totals::default(),
        containers: BTreeMap::new(),
        evidence: BTreeMap::new(),
        unread_items: BTreeSet::new(),
        policy: req.policy,
    };
    // (unit, whether it is an item of its own or more documents of one).
    let mut batch: Vec<(ItemUnit, bool)> = Vec::with_capacity(BATCH_UNITS);
    for event in events {
        match event {
            SourceEvent::Container { container, name } => {
                let key = container.key.clone();
                let product = container.product;
                tally.container(&key, product).container = container;
                // Container names are metadata: scanned like any other document.
                if let Some(doc) = name {
                    tally.totals.documents += 1;
                    tally.totals.bytes += doc.text.len() as u64;
                    let scan = req.engine.scan(&doc);
                    tally.absorb(scan, &BTreeMap::new(), &mut writer)?;
                }
            }
            SourceEvent::Unit(unit) => batch.push((unit, true)),
            SourceEvent::Documents(unit) => batch.push((unit, false)),
            SourceEvent::Failure(failure) => {
                let c = tally.container(&failure.container_key, Product::Files);
                c.coverage.items_seen += 1;
                c.coverage
                    .record_failure(format!("{}: {}", failure.item_id, failure.reason));
            }
            SourceEvent::ProductIncomplete { product, reason } => {
                tally.totals.warnings.push(format!(
                    "{}: not every container could be listed: {reason}",
                    product.as_str()
                ));
                tally
                    .totals
                    .incomplete_products
                    .entry(product)
                    .or_default()
                    .push(reason);
            }
            SourceEvent::ContainerIncomplete { key, reason } => {
                let c = tally.container(&key, Product::Files);
                if c.coverage.status == CoverageStatus::Complete {
                    c.coverage.status = CoverageStatus::Partial;
                }
                c.coverage.reasons.push(reason);
            }
            SourceEvent::ContainerInventoryOnly { key } => {
                tally.container(&key, Product::Connector).coverage.status =
                    CoverageStatus::Inventory;
            }
        }
        if batch.len() >= BATCH_UNITS {
            scan_batch(&req, &pool, &mut batch, &mut tally, &mut writer)?;
        }
    }
    scan_batch(&req, &pool, &mut batch, &mut tally, &mut writer)?;

    for (key, c) in tally.containers.iter_mut() {
        // Nothing read at all is a failure, not a partial read.
        let incomplete = matches!(
            c.coverage.status,
            CoverageStatus::Partial | CoverageStatus::Failed
        );
        if incomplete && c.coverage.items_scanned == 0 {
            c.coverage.status = CoverageStatus::Failed;
        }
        if let Some(e) = tally.evidence.get(key) {
            c.items_with_findings = e.items_with_findings();
            c.entities = e.stats(req.policy);
            c.metadata_exposures = e.metadata_exposures();
        }
    }
    let mut totals = tally.totals;
    let containers: Vec<ContainerSummary> = tally.containers.into_values().collect();
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
        verdicts: Vec::new(),
        thresholds: req.policy.thresholds.clone(),
        posture: None,
        crawl: None,
    };
    Ok(ScanOutcome {
        summary,
        findings_path,
        summary_path,
    })
}

/// A container that was not fully read is never reported as complete.
pub fn status_line(c: &ContainerSummary) -> &'static str {
    match c.coverage.status {
        CoverageStatus::Complete => "complete",
        CoverageStatus::Partial => "partial",
        CoverageStatus::Failed => "failed",
        CoverageStatus::Inventory => "inventory",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::allow::AllowList;
    use crate::detect::engine::EngineOptions;
    use crate::detect::fingerprint::Fingerprinter;
    use crate::detect::rules::RuleSet;
    use crate::model::{Field, Item, ItemKind, Origin};
    use crate::sources::ItemFailure;

    fn container(key: &str) -> SourceEvent {
        SourceEvent::Container {
            container: Container {
                product: Product::Confluence,
                kind: ContainerKind::Space,
                id: key.into(),
                key: key.into(),
                name: key.into(),
                url: String::new(),
                created: None,
            },
            name: None,
        }
    }

    fn unit(key: &str, id: &str, text: &str) -> SourceEvent {
        SourceEvent::Unit(ItemUnit {
            item: Item {
                container: key.into(),
                id: id.into(),
                kind: ItemKind::Page,
                title: id.into(),
                url: String::new(),
                version: None,
                updated: None,
            },
            documents: vec![Document {
                origin: Origin {
                    product: Product::Confluence,
                    container_key: key.into(),
                    item_id: id.into(),
                    item_url: String::new(),
                    field: Field::Body,
                    comment_id: None,
                },
                text: text.into(),
            }],
            warnings: Vec::new(),
            unread: Vec::new(),
            comment_public: Default::default(),
        })
    }

    #[test]
    fn coverage_follows_the_events_and_nothing_unread_is_complete() {
        let rules = RuleSet::load(None).unwrap();
        let engine = Engine::new(
            &rules,
            None,
            AllowList::default(),
            Fingerprinter::from_key([5; 32]),
            EngineOptions::default(),
        )
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let events = vec![
            container("OK"),
            container("HALF"),
            container("NONE"),
            container("CUT"),
            unit("OK", "1", "card 4929 1234 5678 9015"),
            unit("HALF", "2", "nothing"),
            SourceEvent::Failure(ItemFailure {
                container_key: "HALF".into(),
                item_id: "3".into(),
                reason: "HTTP 500 after 5 tries".into(),
            }),
            SourceEvent::Failure(ItemFailure {
                container_key: "NONE".into(),
                item_id: "4".into(),
                reason: "HTTP 500 after 5 tries".into(),
            }),
            unit("CUT", "5", "nothing"),
            SourceEvent::ContainerIncomplete {
                key: "CUT".into(),
                reason: "page listing failed after 5 tries".into(),
            },
        ];
        let outcome = run(
            ScanRequest {
                engine: &engine,
                packs: rules.packs.clone(),
                source: SourceInfo {
                    kind: "test".into(),
                    paths: vec![],
                },
                out_dir: dir.path().to_path_buf(),
                threads: Some(1),
                revealed: false,
                policy: &Policy::default(),
            },
            events,
        )
        .unwrap();
        let status: BTreeMap<&str, CoverageStatus> = outcome
            .summary
            .containers
            .iter()
            .map(|c| (c.container.key.as_str(), c.coverage.status))
            .collect();
        assert_eq!(status["OK"], CoverageStatus::Complete);
        assert_eq!(status["HALF"], CoverageStatus::Partial);
        assert_eq!(status["NONE"], CoverageStatus::Failed);
        assert_eq!(status["CUT"], CoverageStatus::Partial);
        assert_eq!(outcome.summary.totals.findings, 1);
        assert_eq!(outcome.summary.totals.items_failed, 2);
    }
}
