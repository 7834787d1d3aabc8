//! The scan pipeline: events from a source → detection on rayon in batches →
//! findings written as each batch completes → summary with coverage.
//!
//! Sources hand over [`SourceEvent`]s one at a time (an offline source from
//! memory, the crawler through a bounded channel), so memory holds one batch
//! of items however large the site is.

use crate::detect::engine::{DocumentScan, Engine};
use crate::detect::mask::mask_spans;
use crate::detect::rules::PackInfo;
use crate::digest_set::DigestSet;
use crate::model::{ContainerId, CoverageStatus, Document, Finding, Product};
use crate::rank::evidence::ContainerEvidence;
use crate::rank::policy::Policy;
use crate::report::findings::write_finding;
use crate::report::summary::{ContainerSummary, SourceInfo, Summary, ToolInfo, Totals};
use crate::sources::memory::KnownSite;
use crate::sources::{ItemUnit, SourceEvent};
use crate::store::scans::ScanId;
use crate::store::sink::{StoreSink, ITEM_PART, NAME_PART};
use crate::store::state::ContainerState;
use crate::store::Store;
use anyhow::Context;
use rayon::prelude::*;
use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Units handed to rayon at a time: large enough to keep every core busy,
/// small enough that findings are written while the scan goes on and memory
/// stays flat. Each batch is one store transaction.
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
    /// Where the scan is written; the summary is read back from it.
    pub store: &'a Store,
    pub scan: ScanId,
    /// The containers a rescan compares with (read only what changed);
    /// `None`: every container is read in full.
    pub known: Option<&'a KnownSite>,
    /// Products whose every container this scan lists: a container of
    /// theirs that it does not announce is gone from the site.
    pub complete_products: Vec<Product>,
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

/// What this run read, beside what it wrote into the store: the run's own
/// counters, and which containers and products it could not list fully.
struct Tally {
    totals: Totals,
    /// Items already taken this run: a listing that shifts while it is read
    /// sends some items twice, and each is counted and written once.
    seen_items: DigestSet,
    /// Comments already taken: (container, item, comment id).
    seen_comments: DigestSet,
    /// Containers whose listing was cut short: not swept.
    incomplete: HashSet<ContainerId>,
    /// Checkpoints waiting for the batch holding the items before them.
    checkpoints: Vec<(String, Option<String>)>,
    /// The source said it listed everything ([`SourceEvent::Finished`]).
    finished: bool,
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

/// The hash of an item's own text (its documents that are not comments),
/// kept per item so a change of content can be told from a new version
/// with the same text.
fn content_hash(unit: &ItemUnit) -> [u8; 16] {
    use sha2::Digest as _;
    let mut h = sha2::Sha256::new();
    for d in unit
        .documents
        .iter()
        .filter(|d| d.origin.comment_id.is_none())
    {
        h.update((d.text.len() as u64).to_le_bytes());
        h.update(d.text.as_bytes());
    }
    let mut out = [0u8; 16];
    out.copy_from_slice(&h.finalize()[..16]);
    out
}

impl Tally {
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

    /// Count what the allow list removed from a document's candidates.
    fn suppressed(&mut self, scan: &DocumentScan) {
        for ((reason, entity), n) in &scan.suppressed {
            *self
                .totals
                .suppressed
                .entry(reason.to_string())
                .or_default()
                .entry(entity.clone())
                .or_default() += n;
        }
    }
}

/// Detection over one batch of units, in parallel, then their parts written
/// into the store in order, with the checkpoints that followed them, in one
/// transaction.
fn scan_batch(
    req: &ScanRequest<'_>,
    pool: &rayon::ThreadPool,
    batch: &mut Vec<(ItemUnit, bool)>,
    tally: &mut Tally,
    sink: &mut StoreSink<'_>,
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
    sink.begin()?;
    for ((unit, is_item), doc_scans) in batch.iter().zip(scans) {
        let t = &mut tally.totals;
        t.documents += unit.documents.len() as u64;
        t.bytes += unit
            .documents
            .iter()
            .map(|d| d.text.len() as u64)
            .sum::<u64>();
        t.extraction_warnings += unit.warnings.len() as u64;
        for scan in &doc_scans {
            tally.suppressed(scan);
        }
        // Part of the item was not read: it is failed, not scanned (what
        // was read is still written below).
        let unread = (!unit.unread.is_empty()).then(|| unit.unread.join("; "));
        let row = if *is_item {
            sink.item(&unit.item, Some(&content_hash(unit)), unread.as_deref())?
        } else {
            if let Some(why) = &unread {
                sink.failure(&unit.item.container, &unit.item.id, why)?;
            }
            sink.row(&unit.item.container)?
        };
        // Parts: the item's own fields (when this unit is the item), then
        // each comment it carries, each with its findings.
        let mut parts: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
        if *is_item {
            parts.insert(ITEM_PART, Vec::new());
        }
        for d in &unit.documents {
            parts
                .entry(d.origin.comment_id.as_deref().unwrap_or(ITEM_PART))
                .or_default();
        }
        for scan in &doc_scans {
            for f in &scan.findings {
                parts
                    .entry(f.origin.comment_id.as_deref().unwrap_or(ITEM_PART))
                    .or_default()
                    .push(f);
            }
        }
        for (part, findings) in &parts {
            let meta = unit.comments.get(*part);
            if *part != ITEM_PART {
                sink.comment(row, &unit.item.id, part, meta.and_then(|m| m.version))?;
            }
            sink.replace_part(row, &unit.item.id, part, findings, meta)?;
        }
    }
    for (listing, cursor) in tally.checkpoints.drain(..) {
        sink.checkpoint(&listing, cursor.as_deref())?;
    }
    sink.commit()?;
    batch.clear();
    Ok(())
}

/// Scan everything `events` yields into the store, then read the site back
/// from it: `findings.jsonl` and the summary (containers, coverage, evidence)
/// are what the store holds now, so a rescan's unchanged items and a
/// resumed scan's first half count as much as what this run read.
pub fn run(
    req: ScanRequest<'_>,
    events: impl IntoIterator<Item = SourceEvent>,
) -> anyhow::Result<ScanOutcome> {
    let started = Instant::now();
    let started_at = now_secs();
    // Removes the previous run's outputs before anything is written.
    let findings_file = crate::report::begin_run(&req.out_dir)?;
    let findings_path = req.out_dir.join("findings.jsonl");
    let summary_path = req.out_dir.join("summary.json");
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(n) = req.threads {
        pool = pool.num_threads(n);
    }
    let pool = pool.build().context("starting the detection threads")?;
    let threads = pool.current_num_threads();
    let mut sink = StoreSink::new(req.store, req.scan);

    let mut tally = Tally {
        totals: Totals::default(),
        seen_items: DigestSet::default(),
        seen_comments: DigestSet::default(),
        incomplete: HashSet::new(),
        checkpoints: Vec::new(),
        finished: false,
    };
    // (unit, whether it is an item of its own or more documents of one).
    let mut batch: Vec<(ItemUnit, bool)> = Vec::with_capacity(BATCH_UNITS);
    for event in events {
        sink.begin()?;
        match event {
            SourceEvent::Container {
                mut container,
                name,
            } => {
                // Container names are metadata: scanned like any other document.
                let mut name_findings = Vec::new();
                if let Some(doc) = name {
                    tally.totals.documents += 1;
                    tally.totals.bytes += doc.text.len() as u64;
                    let scan = req.engine.scan(&doc);
                    tally.suppressed(&scan);
                    if !req.revealed {
                        // Every output shows the name: mask what was found in it.
                        container.name = masked_name(&container.name, &doc, &scan.findings);
                    }
                    name_findings = scan.findings;
                }
                let row = sink.container(&container)?;
                let refs: Vec<&Finding> = name_findings.iter().collect();
                sink.replace_part(row, &container.key, NAME_PART, &refs, None)?;
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
                sink.failure(&failure.container, &failure.item_id, &failure.reason)?;
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
                sink.container_issue(&id, CoverageStatus::Partial, Some(&reason))?;
                tally.incomplete.insert(id);
            }
            SourceEvent::ContainerInventoryOnly { id } => {
                sink.container_issue(&id, CoverageStatus::Inventory, None)?;
            }
            SourceEvent::Removed {
                container,
                item_id,
                comment_id,
            } => {
                // Units before it may still wait in the batch: write them first.
                scan_batch(&req, &pool, &mut batch, &mut tally, &mut sink)?;
                sink.begin()?;
                sink.removed(&container, &item_id, comment_id.as_deref())?;
            }
            SourceEvent::Checkpoint { listing, cursor } => {
                // Written now with the page before it: what a kill loses is
                // at most the pages in flight, not a whole batch's worth
                // (a page is 100 to 250 units, a batch large enough still).
                tally.checkpoints.push((listing, cursor));
                scan_batch(&req, &pool, &mut batch, &mut tally, &mut sink)?;
            }
            SourceEvent::Finished => tally.finished = true,
        }
        if batch.len() >= BATCH_UNITS {
            scan_batch(&req, &pool, &mut batch, &mut tally, &mut sink)?;
        }
    }
    scan_batch(&req, &pool, &mut batch, &mut tally, &mut sink)?;

    // What this scan read in full and did not see is gone; containers a
    // complete listing did not announce are gone.
    if tally.finished {
        let containers = req.store.containers_of(req.scan)?;
        sink.begin()?;
        for c in &containers {
            let id = c.container.identity();
            let compared = req.known.is_some_and(|k| k.containers.contains_key(&id));
            if !compared && !tally.incomplete.contains(&id) {
                sink.sweep(c.row)?;
            }
        }
        for product in &req.complete_products {
            if !tally.totals.incomplete_products.contains_key(product) {
                sink.sweep_containers(*product)?;
            }
        }
        sink.commit()?;
    }
    let mut containers = req.store.containers_of(req.scan)?;
    sink.begin()?;
    for c in &containers {
        let cov = &c.coverage;
        let own: Vec<String> = req
            .store
            .coverage_reasons(req.scan, c.row)?
            .unwrap_or_default();
        sink.coverage(
            c.row,
            cov.status,
            (cov.items_seen, cov.items_scanned, cov.items_failed),
            &own,
        )?;
    }
    sink.commit()?;
    drop(sink);

    let mut totals = tally.totals;
    let summaries = read_back(&req, &mut containers, &mut totals, findings_file)?;
    crate::report::finish_findings(&req.out_dir)?;
    totals.containers = summaries.len();
    for c in &summaries {
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
        containers: summaries,
        verdicts: Vec::new(),
        thresholds: req.policy.thresholds.clone(),
        posture: None,
        crawl: None,
        changes: None,
    };
    Ok(ScanOutcome {
        summary,
        findings_path,
        summary_path,
    })
}

/// The store's current findings of `containers`: written to
/// `findings.jsonl`, counted into `totals`, and gathered into each
/// container's evidence; the containers' summaries, in the store's order.
fn read_back(
    req: &ScanRequest<'_>,
    containers: &mut [ContainerState],
    totals: &mut Totals,
    findings_file: File,
) -> anyhow::Result<Vec<ContainerSummary>> {
    let mut writer = BufWriter::new(findings_file);
    let summaries = read_store(req.store, req.policy, containers, totals, &mut writer)?;
    writer.flush().context("writing findings.jsonl")?;
    Ok(summaries)
}

/// What [`read_back`] does for a scan, for any ended scan of a store
/// (`withhold report`): the current findings of `containers`, triage
/// applied, written as findings.jsonl lines to `writer`, counted into
/// `totals`; the containers' summaries, in the store's order.
pub fn read_store(
    store: &Store,
    policy: &Policy,
    containers: &mut [ContainerState],
    totals: &mut Totals,
    writer: &mut dyn Write,
) -> anyhow::Result<Vec<ContainerSummary>> {
    let triage = store.triage_set()?;
    let mut evidence: BTreeMap<ContainerId, ContainerEvidence> = BTreeMap::new();
    let mut counts: BTreeMap<ContainerId, ContainerSummary> = containers
        .iter()
        .map(|c| {
            (
                c.container.identity(),
                ContainerSummary {
                    container: c.container.clone(),
                    coverage: c.coverage.clone(),
                    items_with_findings: 0,
                    findings: 0,
                    by_category: BTreeMap::new(),
                    by_entity: BTreeMap::new(),
                    entities: Vec::new(),
                    metadata_exposures: Vec::new(),
                },
            )
        })
        .collect();
    let mut triaged = BTreeMap::new();
    store.current_findings(containers, &triage, &mut triaged, |c, f, meta| {
        write_finding(&mut &mut *writer, &f, meta.as_ref()).context("writing findings.jsonl")?;
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
        let id = c.container.identity();
        if let Some(s) = counts.get_mut(&id) {
            s.findings += 1;
            *s.by_category.entry(f.category.as_str().into()).or_default() += 1;
            *s.by_entity.entry(f.entity.to_string()).or_default() += 1;
        }
        evidence.entry(id).or_default().add(&f, policy);
        Ok(())
    })?;
    totals.triaged = triaged;
    for (id, s) in counts.iter_mut() {
        if let Some(e) = evidence.get(id) {
            s.items_with_findings = e.items_with_findings();
            s.entities = e.stats(policy);
            s.metadata_exposures = e.metadata_exposures();
        }
    }
    Ok(counts.into_values().collect())
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
    use crate::model::{Container, ContainerKind, Field, Item, ItemKind, Origin};
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
        let store = Store::open(&dir.path().join("withhold.db")).unwrap();
        let scan = store
            .begin_scan(&crate::store::scans::ScanMeta {
                target: "test".into(),
                mode: crate::store::scans::ScanMode::Full,
                tool_version: "t".into(),
                rules_version: "r".into(),
                policy_hash: String::new(),
            })
            .unwrap();
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
                store: &store,
                scan,
                known: None,
                complete_products: vec![Product::Confluence],
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
