//! The scan pipeline: events from a source → detection on rayon in batches →
//! findings written as each batch completes → summary with coverage.
//!
//! Sources hand over [`SourceEvent`]s one at a time (an offline source from
//! memory, the crawler through a bounded channel), so memory holds one batch
//! of items however large the site is.

use crate::detect::engine::{DocumentScan, Engine};
use crate::detect::mask::mask_spans;
use crate::detect::rules::PackInfo;
use crate::model::{
    Container, ContainerId, ContainerKind, Coverage, CoverageStatus, Document, Finding,
};
use crate::rank::evidence::ContainerEvidence;
use crate::rank::policy::Policy;
use crate::report::findings::write_finding;
use crate::report::summary::{ContainerSummary, SourceInfo, Summary, ToolInfo, Totals};
use crate::sources::{ItemUnit, SourceEvent};
use anyhow::Context;
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashSet};
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
    /// By (product, key): a space and a project sharing a key are two containers.
    containers: BTreeMap<ContainerId, ContainerSummary>,
    evidence: BTreeMap<ContainerId, ContainerEvidence>,
    /// (container, item) of the items with a document that could not be
    /// read, so an item with several is failed once.
    unread_items: BTreeSet<(ContainerId, String)>,
    policy: &'p Policy,
    /// Items already taken, by container: a listing that shifts while it is
    /// read sends some items twice, and each is counted and reported once.
    seen_items: HashSet<u128>,
    /// Comments already taken: (container, item, comment id).
    seen_comments: HashSet<u128>,
}

/// A 128-bit digest of an identity (product, container, item, comment):
/// what the repeat check remembers per item and comment, 16 bytes instead
/// of the strings (a site of a million comments). SHA-256 truncated: a
/// collision, which would drop a comment unread, is out of reach.
fn digest(parts: &[&str]) -> u128 {
    use sha2::Digest as _;
    let mut h = sha2::Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p.as_bytes());
    }
    let out = h.finalize();
    let mut first = [0u8; 16];
    first.copy_from_slice(&out[..16]);
    u128::from_le_bytes(first)
}

impl Tally<'_> {
    /// Whether `unit` is new: an item not seen before (for an item of its
    /// own), with its comments already seen dropped from it (`false` when
    /// nothing new is left).
    fn first_sight(&mut self, unit: &mut ItemUnit, is_item: bool) -> bool {
        let container = &unit.item.container;
        let product = container.product.as_str();
        if is_item
            && !self
                .seen_items
                .insert(digest(&[product, &container.key, &unit.item.id]))
        {
            self.totals.repeats_dropped += 1;
            return false;
        }
        // A comment may be more than one document (an inline comment and
        // the page text it was made on): what repeats is a comment already
        // taken from an earlier unit, so the ids are checked before any of
        // this unit's are recorded.
        let key = |d: &Document, c: &str| digest(&[product, &container.key, &d.origin.item_id, c]);
        let before = unit.documents.len();
        let seen = &self.seen_comments;
        unit.documents.retain(|d| match &d.origin.comment_id {
            Some(comment) => !seen.contains(&key(d, comment)),
            None => true,
        });
        for d in &unit.documents {
            if let Some(comment) = &d.origin.comment_id {
                self.seen_comments.insert(key(d, comment));
            }
        }
        let dropped = before - unit.documents.len();
        self.totals.repeats_dropped += dropped as u64;
        is_item || !unit.documents.is_empty()
    }

    fn container(&mut self, id: &ContainerId) -> &mut ContainerSummary {
        self.containers
            .entry(id.clone())
            .or_insert_with(|| ContainerSummary {
                // A unit for a container the source never announced: still counted.
                container: Container {
                    product: id.product,
                    kind: ContainerKind::Directory,
                    id: id.key.clone(),
                    key: id.key.clone(),
                    name: id.key.clone(),
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
        let id = f.origin.container();
        let c = self.container(&id);
        c.findings += 1;
        *c.by_category.entry(f.category.as_str().into()).or_default() += 1;
        *c.by_entity.entry(f.entity.to_string()).or_default() += 1;
        let policy = self.policy;
        self.evidence.entry(id).or_default().add(f, policy);
    }

    /// Write and count a document's findings; `public` says which comments
    /// customers can see (JSM).
    fn absorb(
        &mut self,
        scan: DocumentScan,
        comments: &BTreeMap<String, crate::sources::CommentMeta>,
        writer: &mut impl Write,
    ) -> anyhow::Result<()> {
        for f in &scan.findings {
            let meta = f.origin.comment_id.as_ref().and_then(|id| comments.get(id));
            write_finding(writer, f, meta).context("writing findings.jsonl")?;
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
        // Part of the item was not read: it is failed, not scanned (what
        // was read is still scanned below). Once per item.
        let first_unread = !unit.unread.is_empty()
            && tally
                .unread_items
                .insert((unit.item.container.clone(), unit.item.id.clone()));
        let c = tally.container(&unit.item.container);
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
            tally.absorb(scan, &unit.comments, writer)?;
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
    // Removes the previous run's outputs before the first finding is written.
    let mut writer = BufWriter::new(crate::report::begin_run(&req.out_dir)?);
    let findings_path = req.out_dir.join("findings.jsonl");
    let summary_path = req.out_dir.join("summary.json");
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
        seen_items: HashSet::new(),
        seen_comments: HashSet::new(),
    };
    // (unit, whether it is an item of its own or more documents of one).
    let mut batch: Vec<(ItemUnit, bool)> = Vec::with_capacity(BATCH_UNITS);
    for event in events {
        match event {
            SourceEvent::Container { container, name } => {
                let id = container.identity();
                tally.container(&id).container = container;
                // Container names are metadata: scanned like any other document.
                if let Some(doc) = name {
                    tally.totals.documents += 1;
                    tally.totals.bytes += doc.text.len() as u64;
                    let scan = req.engine.scan(&doc);
                    if !req.revealed {
                        // Every output shows the name: mask what was found in it.
                        let c = tally.container(&id);
                        c.container.name = masked_name(&c.container.name, &doc, &scan.findings);
                    }
                    tally.absorb(scan, &BTreeMap::new(), &mut writer)?;
                }
            }
            SourceEvent::Unit(mut unit) => {
                if tally.first_sight(&mut unit, true) {
                    batch.push((unit, true));
                }
            }
            SourceEvent::Documents(mut unit) => {
                if tally.first_sight(&mut unit, false) {
                    batch.push((unit, false));
                }
            }
            SourceEvent::Failure(failure) => {
                let c = tally.container(&failure.container);
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
            SourceEvent::ContainerIncomplete { id, reason } => {
                let c = tally.container(&id);
                if c.coverage.status == CoverageStatus::Complete {
                    c.coverage.status = CoverageStatus::Partial;
                }
                c.coverage.reasons.push(reason);
            }
            SourceEvent::ContainerInventoryOnly { id } => {
                tally.container(&id).coverage.status = CoverageStatus::Inventory;
            }
            // Written by the store sink (issue 10, in progress).
            SourceEvent::Removed { .. } | SourceEvent::Checkpoint { .. } => {}
        }
        if batch.len() >= BATCH_UNITS {
            scan_batch(&req, &pool, &mut batch, &mut tally, &mut writer)?;
        }
    }
    scan_batch(&req, &pool, &mut batch, &mut tally, &mut writer)?;
    drop(writer);
    crate::report::finish_findings(&req.out_dir)?;

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
        run: Default::default(),
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

/// A container's name with the values found in its name document masked as
/// the findings mask them. Client names stay as written: they come from the
/// user's own list (findings show them too), and the checklist must name the
/// space as the admin's page shows it. The spans are offsets into the
/// document's text, so a name that is not that text is masked whole rather
/// than misplaced.
fn masked_name(name: &str, doc: &Document, findings: &[Finding]) -> String {
    let values: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.category != crate::model::Category::Client)
        .collect();
    let spans = values.iter().map(|f| (f.start, f.end, f.masked.as_str()));
    if values.is_empty() {
        name.to_string()
    } else if doc.text == name {
        mask_spans(name, spans)
    } else {
        mask_spans(name, [(0, name.len(), "•••")])
    }
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
    use crate::model::Product;
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
                container: ContainerId::new(Product::Confluence, key),
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
                offsets: Default::default(),
            }],
            warnings: Vec::new(),
            unread: Vec::new(),
            comments: Default::default(),
        })
    }

    fn scan(events: Vec<SourceEvent>) -> (ScanOutcome, tempfile::TempDir) {
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
        (outcome, dir)
    }

    #[test]
    fn coverage_follows_the_events_and_nothing_unread_is_complete() {
        let events = vec![
            container("OK"),
            container("HALF"),
            container("NONE"),
            container("CUT"),
            unit("OK", "1", "card 4929 1234 5678 9015"),
            unit("HALF", "2", "nothing"),
            SourceEvent::Failure(ItemFailure {
                container: ContainerId::new(Product::Confluence, "HALF"),
                item_id: "3".into(),
                reason: "HTTP 500 after 5 tries".into(),
            }),
            SourceEvent::Failure(ItemFailure {
                container: ContainerId::new(Product::Confluence, "NONE"),
                item_id: "4".into(),
                reason: "HTTP 500 after 5 tries".into(),
            }),
            unit("CUT", "5", "nothing"),
            SourceEvent::ContainerIncomplete {
                id: ContainerId::new(Product::Confluence, "CUT"),
                reason: "page listing failed after 5 tries".into(),
            },
        ];
        let (outcome, _dir) = scan(events);
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

    fn comment(key: &str, item: &str, comment: &str, text: &str) -> SourceEvent {
        let SourceEvent::Unit(mut u) = unit(key, item, text) else {
            unreachable!()
        };
        u.documents[0].origin.field = Field::Comment;
        u.documents[0].origin.comment_id = Some(comment.into());
        SourceEvent::Documents(u)
    }

    #[test]
    fn an_item_or_comment_sent_twice_is_counted_and_reported_once() {
        let card = "card 4929 1234 5678 9015";
        let events = vec![
            container("OPS"),
            unit("OPS", "1", card),
            comment("OPS", "1", "c1", card),
            // The listing shifted: page 1 and its comment come again.
            unit("OPS", "1", card),
            comment("OPS", "1", "c1", card),
            unit("OPS", "2", "nothing"),
        ];
        let (outcome, dir) = scan(events);
        let c = &outcome.summary.containers[0];
        assert_eq!(c.coverage.items_seen, 2);
        assert_eq!(c.coverage.items_scanned, 2);
        assert_eq!(c.findings, 2, "one in the body, one in the comment");
        assert_eq!(outcome.summary.totals.repeats_dropped, 2);
        let lines = std::fs::read_to_string(dir.path().join("findings.jsonl")).unwrap();
        assert_eq!(lines.lines().count(), 2);
    }

    #[test]
    fn a_comment_of_two_documents_keeps_both() {
        let SourceEvent::Documents(mut u) = comment("OPS", "1", "c1", "card 4929 1234 5678 9015")
        else {
            unreachable!()
        };
        let mut selection = u.documents[0].clone();
        selection.text = "selected: card 4539 1488 0343 6467".into();
        u.documents.push(selection);
        let events = vec![
            container("OPS"),
            unit("OPS", "1", "nothing"),
            SourceEvent::Documents(u),
        ];
        let (outcome, _dir) = scan(events);
        assert_eq!(outcome.summary.containers[0].findings, 2);
        assert_eq!(outcome.summary.totals.repeats_dropped, 0);
    }

    #[test]
    fn a_space_and_a_project_with_one_key_are_two_containers() {
        let mut project = container("OPS");
        if let SourceEvent::Container { container, .. } = &mut project {
            container.product = Product::Jira;
            container.kind = ContainerKind::Project;
        }
        let SourceEvent::Unit(mut issue) = unit("OPS", "OPS-1", "nothing") else {
            unreachable!()
        };
        issue.item.container.product = Product::Jira;
        issue.documents[0].origin.product = Product::Jira;
        let events = vec![
            container("OPS"),
            project,
            unit("OPS", "1", "card 4929 1234 5678 9015"),
            SourceEvent::Unit(issue),
        ];
        let (outcome, _dir) = scan(events);
        let by: BTreeMap<(Product, &str), (u64, u64)> = outcome
            .summary
            .containers
            .iter()
            .map(|c| {
                (
                    (c.container.product, c.container.key.as_str()),
                    (c.coverage.items_seen, c.findings),
                )
            })
            .collect();
        assert_eq!(by[&(Product::Confluence, "OPS")], (1, 1));
        assert_eq!(by[&(Product::Jira, "OPS")], (1, 0));
    }
}
