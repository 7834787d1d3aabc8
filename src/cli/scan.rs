//! `withhold scan`: build the engine, read the source, run the pipeline, report.

use crate::cli::crawl::{
    apply_products, crawl_and_scan_with, site_config, CrawlOutcome, CrawlScope, Target,
};
use crate::cli::{CliError, ScanArgs, VerdictArgs};
use crate::detect::allow::AllowList;
use crate::detect::dictionary::ClientDictionary;
use crate::detect::engine::{Engine, EngineOptions};
use crate::detect::fingerprint::{default_key_path, Fingerprinter};
use crate::detect::rules::RuleSet;
use crate::fake_site::{FakeSiteConfig, SiteData};
use crate::interrupt::until_interrupted;
use crate::model::Product;
use crate::posture::{facts_from_verdicts, today_utc, CheckStatus, OrgProfile, PostureSection};
use crate::progress::{Progress, ProgressMode};
use crate::rank::policy::Policy;
use crate::rank::{Level, Recommendation, Verdict};
use crate::report::summary::{ProductLine, ProductStatus, SourceInfo, Summary};
use crate::report::{write_outputs, OutputPaths};
use crate::scan::{run as run_scan, ScanRequest};
use crate::sources;
use crate::sources::connectors::ConnectorRecord;
use crate::store::scans::{ScanId, ScanMeta, ScanMode, ScanStatus};
use crate::store::Store;
use std::io::Write;
use std::sync::Arc;

pub fn run(args: ScanArgs) -> Result<i32, CliError> {
    crate::text::set_max_document_bytes(args.max_document_mib.saturating_mul(1 << 20));
    let policy = load_policy(&args.verdict, args.demo)?;
    let connectors = load_connectors(&args.verdict, args.demo)?;
    // Read before the scan: a bad org file must not cost a crawl.
    let org = load_org(&args.verdict, args.demo)?;
    let rule_set = RuleSet::load(args.detect.rules.as_deref())
        .map_err(|e| CliError::Config(format!("rule pack refused: {e}")))?;
    let clients = match (&args.clients, args.demo) {
        (Some(path), _) => Some(
            ClientDictionary::from_csv_file(path)
                .map_err(|e| CliError::Config(format!("client list refused: {e}")))?,
        ),
        // The demo brings its own client list.
        (None, true) => Some(
            ClientDictionary::from_csv(
                "fixtures/demo/clients.csv",
                sources::demo::clients_csv().as_bytes(),
            )
            .map_err(|e| CliError::Config(format!("demo client list refused: {e}")))?,
        ),
        (None, false) => None,
    };
    let allow = match &args.allow {
        Some(path) => AllowList::from_file(path)
            .map_err(|e| CliError::Config(format!("allow list refused: {e}")))?,
        None => AllowList::default(),
    };
    // Imported into the store's triage table once the store is open.
    let reviewed = allow.reviewed().to_vec();
    let key_path = args
        .key_file
        .clone()
        .or_else(default_key_path)
        .ok_or_else(|| {
            CliError::Config("no place for the fingerprint key: set --key-file or HOME".into())
        })?;
    let fingerprinter =
        Fingerprinter::load_or_create(&key_path).map_err(|e| CliError::Config(format!("{e:#}")))?;
    let engine = Engine::new(
        &rule_set,
        clients,
        allow,
        fingerprinter,
        EngineOptions {
            reveal: args.reveal,
        },
    )?;

    let target = scan_target(&args)?;
    let db = crate::cli::store::db_path(args.db.as_deref(), &args.out);
    let (store, plan) = crate::cli::store::plan(
        &db,
        ScanMeta {
            target,
            mode: ScanMode::Full,
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            rules_version: detection_digest(&args, &rule_set),
            policy_hash: String::new(),
        },
        args.fresh,
        // The crawler reads what changed; files and the offline demo are read whole.
        args.site.site.is_some() || (args.demo && !args.offline),
    )?;
    import_reviewed(&store, &reviewed, args.allow.as_deref())?;
    if let Some(line) = plan.describe() {
        if !args.quiet && !args.json {
            eprintln!("withhold: {line}");
        }
    }
    let complete_products = complete_products(&args);
    let request = |source: SourceInfo| ScanRequest {
        engine: &engine,
        packs: rule_set.packs.clone(),
        source,
        out_dir: args.out.clone(),
        threads: args.threads,
        revealed: args.reveal,
        policy: &policy,
        store: &store,
        scan: plan.scan,
        known: plan.known.as_deref(),
        complete_products: complete_products.clone(),
    };
    // Connectors first: their inventory records are scanned like any item.
    let connector_events = sources::connectors::events(&connectors);
    // From here on a signal stops the scan and keeps what was read.
    let interrupt = crate::interrupt::watch_signals(args.quiet || args.json)
        .map_err(|e| CliError::Other(anyhow::anyhow!("listening for signals: {e}")))?;
    let progress = Progress::start(ProgressMode::detect(args.quiet || args.json));
    let crawled = |target: Target, source: SourceInfo| -> Result<CrawlOutcome, CliError> {
        let counters = progress.counters();
        crawl_and_scan_with(
            target,
            request(source),
            counters,
            connector_events.clone(),
            |config| {
                apply_products(config, &args.site.products);
                config.interrupt = interrupt.clone();
                config.known = plan.known.clone();
                config.resume = plan.resume.clone();
            },
        )
    };
    let CrawlOutcome {
        scan: outcome,
        crawl,
        scope,
    } = if args.demo && args.offline {
        let source = SourceInfo {
            kind: "demo-offline".into(),
            paths: vec!["fixtures/demo".into()],
        };
        let events = connector_events
            .clone()
            .into_iter()
            .chain(sources::demo::collect()?.into_events())
            .chain(std::iter::once(sources::SourceEvent::Finished));
        CrawlOutcome::offline(run_scan(
            request(source),
            until_interrupted(events, interrupt),
        )?)
    } else if args.demo {
        let source = SourceInfo {
            kind: "demo".into(),
            paths: vec!["fixtures/demo (crawled from the fake site on loopback)".into()],
        };
        let target = Target::Fake(Arc::new(SiteData::demo()?), FakeSiteConfig::default());
        crawled(target, source)?
    } else if let Some(site) = &args.site.site {
        let config = site_config(&args.site, site)?;
        let source = SourceInfo {
            kind: "site".into(),
            paths: vec![site.clone()],
        };
        crawled(Target::Site(Box::new(config)), source)?
    } else {
        for p in &args.path {
            if !p.exists() {
                return Err(CliError::Config(format!(
                    "{}: no such file or directory",
                    p.display()
                )));
            }
        }
        let source = SourceInfo {
            kind: "path".into(),
            paths: args.path.iter().map(|p| p.display().to_string()).collect(),
        };
        let events = connector_events
            .clone()
            .into_iter()
            .chain(sources::files::collect(&args.path, interrupt).into_events())
            .chain(std::iter::once(sources::SourceEvent::Finished));
        CrawlOutcome::offline(run_scan(
            request(source),
            until_interrupted(events, interrupt),
        )?)
    };
    progress.finish();

    let mut summary = outcome.summary;
    if let Some(scope) = &scope {
        scope.record_skipped(&mut summary);
    }
    if let Some(cause) = interrupt.cause() {
        let unlisted = scope.as_ref().map(CrawlScope::listed).unwrap_or_default();
        crate::interrupt::mark_interrupted(&mut summary, cause, &unlisted);
    }
    summary.verdicts = crate::rank::rank(
        &summary.containers,
        &connectors,
        &summary.totals.incomplete_products,
        &policy,
    );
    if let Some(org) = &org {
        let facts = facts_from_verdicts(&summary.verdicts, &summary.finished_at);
        summary.posture = Some(PostureSection::new(org, Some(&facts), today_utc()));
    }
    summary.run.products = match &scope {
        Some(scope) => scope.product_lines(&summary),
        None => offline_product_lines(&summary),
    };
    summary.settle_status();
    summary.changes = Some(record_verdicts(&store, plan.scan, &summary)?);
    let paths = write_outputs(&args.out, &summary)?;
    finish_scan(&store, plan.scan, &summary)?;
    if summary.run.interrupted && !args.quiet {
        eprintln!(
            "withhold: the scan was interrupted: what was read is in {}, marked interrupted",
            args.out.display()
        );
    }
    // A crawl that stopped: everything read so far is written, then the error.
    let report = crawl?;
    if let Some(report) = &report {
        if !args.quiet && !args.json {
            for w in &report.warnings {
                eprintln!("withhold: warning: {w}");
            }
        }
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        let _ = writeln!(out, "{}", summary.to_json().map_err(anyhow::Error::from)?);
    } else if !args.quiet {
        let _ = out.write_all(terminal_summary(&summary, &paths).as_bytes());
    }
    Ok(exit_code(&summary, args.verdict.fail_on.as_deref()))
}

/// What one store holds one target of: the site's address, the demo, or
/// the paths scanned.
fn scan_target(args: &ScanArgs) -> Result<String, CliError> {
    if args.demo {
        return Ok(if args.offline { "demo-offline" } else { "demo" }.to_string());
    }
    if let Some(site) = &args.site.site {
        return Ok(site.trim_end_matches('/').to_string());
    }
    let mut paths = Vec::new();
    for p in &args.path {
        let full = std::fs::canonicalize(p)
            .map_err(|e| CliError::Config(format!("{}: {e}", p.display())))?;
        paths.push(full.display().to_string());
    }
    paths.sort();
    Ok(format!("path:{}", paths.join(",")))
}

/// What decides the findings an item gets: rule packs, client list, allow
/// list, `--reveal`, the document size cap. A rescan keeps the findings of
/// unchanged items only when this is the same.
fn detection_digest(args: &ScanArgs, rules: &RuleSet) -> String {
    use sha2::Digest as _;
    let mut h = sha2::Sha256::new();
    h.update(serde_json::to_vec(&rules.packs).unwrap_or_default());
    for file in [&args.clients, &args.allow, &args.detect.rules]
        .into_iter()
        .flatten()
    {
        h.update(file.display().to_string().as_bytes());
        h.update(std::fs::read(file).unwrap_or_default());
    }
    h.update([u8::from(args.reveal), u8::from(args.demo)]);
    h.update(args.max_document_mib.to_le_bytes());
    hex::encode(&h.finalize()[..16])
}

/// The products whose every container this scan lists (no `--spaces`,
/// `--projects` or `--products` narrowing it): their containers that it does
/// not announce are gone.
fn complete_products(args: &ScanArgs) -> Vec<Product> {
    if !args.path.is_empty() && args.site.site.is_none() && !args.demo {
        return vec![Product::Files];
    }
    let chosen = |p: crate::cli::ProductChoice| {
        args.site.products.is_empty() || args.site.products.contains(&p)
    };
    let mut out = vec![Product::Connector];
    if chosen(crate::cli::ProductChoice::Confluence) && args.site.spaces.is_empty() {
        out.push(Product::Confluence);
    }
    if chosen(crate::cli::ProductChoice::Jira) && args.site.projects.is_empty() {
        out.extend([Product::Jira, Product::Jsm]);
    }
    out
}

/// The allow file's `[[reviewed]]` entries as triage decisions (source
/// `allow-file`), so that `triage --list` shows them beside the reviewers'
/// own and every report of the store applies them. Importing the same file
/// again changes nothing; an entry later taken out of the file stays in the
/// store until `triage --remove` (a scan run without `--allow` must not
/// forget decisions).
fn import_reviewed(
    store: &Store,
    reviewed: &[crate::detect::allow::ReviewedEntry],
    file: Option<&std::path::Path>,
) -> Result<(), CliError> {
    use crate::store::triage::{Decision, NewDecision, FROM_ALLOW_FILE};
    let by = file.map_or_else(
        || "allow file".to_string(),
        |f| format!("allow file {}", f.display()),
    );
    for r in reviewed {
        store
            .record_triage(&NewDecision {
                fingerprint: r.fingerprint.clone(),
                container: r.container.clone(),
                decision: Decision::parse(&r.decision).unwrap_or(Decision::FalsePositive),
                note: r.note.clone(),
                decided_by: by.clone(),
                source: FROM_ALLOW_FILE,
            })
            .map_err(crate::cli::store::refused)?;
    }
    Ok(())
}

/// The scan's verdicts and final coverage in the store, and what changed
/// since the site's previous scan.
fn record_verdicts(
    store: &Store,
    scan: ScanId,
    summary: &Summary,
) -> Result<crate::store::diff::Diff, CliError> {
    let refused = crate::cli::store::refused;
    store
        .record_verdicts(scan, &summary.verdicts)
        .map_err(refused)?;
    let statuses: Vec<_> = summary
        .containers
        .iter()
        .map(|c| (c.container.identity(), c.coverage.status))
        .collect();
    store.settle_coverage(scan, &statuses).map_err(refused)?;
    let scans = store.scans().map_err(refused)?;
    let Some(current) = scans.iter().find(|s| s.id == scan) else {
        return Err(CliError::Other(anyhow::anyhow!(
            "{}: scan {} vanished from the store",
            store.path().display(),
            scan.0
        )));
    };
    let base = store
        .last_ended_scan(&current.meta.target, Some(scan))
        .map_err(refused)?;
    store.diff(base.as_ref(), current).map_err(refused)
}

/// The scan's end in the store: how it ended and what the reports show of the run.
fn finish_scan(store: &Store, scan: ScanId, summary: &Summary) -> Result<(), CliError> {
    let status = match summary.run.status {
        crate::report::summary::RunStatus::Complete => ScanStatus::Complete,
        crate::report::summary::RunStatus::Partial => ScanStatus::Partial,
        crate::report::summary::RunStatus::Interrupted => ScanStatus::Interrupted,
    };
    let run = summary.to_json().map_err(anyhow::Error::from)?;
    store
        .finish_scan(scan, status, Some(&run))
        .map_err(crate::cli::store::refused)
}

/// DESIGN §9: 1 when a container reaches `--fail-on` (a scheduled run must
/// act), else 3 when anything was not fully read, else 0.
pub fn exit_code(summary: &Summary, fail_on: Option<&str>) -> i32 {
    // `new-high`: only news pages someone (a scheduled run): a new container
    // that is high, or one that became high since the last scan.
    if fail_on == Some("new-high")
        && summary
            .changes
            .as_ref()
            .is_some_and(crate::store::diff::Diff::has_new_high)
    {
        return 1;
    }
    let threshold = fail_on.and_then(Level::parse);
    let reached = |l: Level| match (threshold, l) {
        (Some(t), l) if l != Level::Unknown && t != Level::Unknown => l >= t,
        _ => false,
    };
    if summary.verdicts.iter().any(|v| reached(v.level)) {
        return 1;
    }
    if summary.is_partial() {
        3
    } else {
        0
    }
}

/// The products of a source that was not crawled: those it holds containers of.
fn offline_product_lines(s: &Summary) -> Vec<ProductLine> {
    let mut counts: std::collections::BTreeMap<Product, usize> = Default::default();
    for c in &s.containers {
        if c.container.product != Product::Connector {
            *counts.entry(c.container.product).or_default() += 1;
        }
    }
    counts
        .into_iter()
        .map(|(product, n)| {
            let (one, many) = match product {
                Product::Confluence => ("space", "spaces"),
                Product::Jsm => ("service project", "service projects"),
                Product::Files => ("directory", "directories"),
                _ => ("project", "projects"),
            };
            match s.totals.incomplete_products.get(&product) {
                Some(why) if !why.is_empty() => ProductLine {
                    product,
                    status: ProductStatus::Partial,
                    reason: why.join("; "),
                },
                _ => ProductLine {
                    product,
                    status: ProductStatus::Scanned,
                    reason: format!("{n} {}", if n == 1 { one } else { many }),
                },
            }
        })
        .collect()
}

pub(crate) fn load_policy(args: &VerdictArgs, demo: bool) -> Result<Policy, CliError> {
    let mut policy = match &args.policy {
        Some(path) => {
            Policy::from_file(path).map_err(|e| CliError::Config(format!("policy refused: {e}")))?
        }
        None => Policy::default(),
    };
    policy.own_domains.extend(args.own_domains.iter().cloned());
    if demo && policy.own_domains.is_empty() {
        policy
            .own_domains
            .push(sources::demo::OWN_DOMAIN.to_string());
    }
    Ok(policy)
}

pub(crate) fn load_org(args: &VerdictArgs, demo: bool) -> Result<Option<OrgProfile>, CliError> {
    let refused = |e: crate::posture::PostureError| CliError::Config(e.to_string());
    match (&args.org, demo) {
        (Some(path), _) => OrgProfile::from_file(path).map(Some).map_err(refused),
        // The demo brings its own organization.
        (None, true) => OrgProfile::from_toml("fixtures/demo/org.toml", sources::demo::org_toml())
            .map(Some)
            .map_err(refused),
        (None, false) => Ok(None),
    }
}

pub(crate) fn load_connectors(
    args: &VerdictArgs,
    demo: bool,
) -> Result<Vec<ConnectorRecord>, CliError> {
    let refused = |e: sources::connectors::InventoryError| {
        CliError::Config(format!("connector inventory refused: {e}"))
    };
    match (&args.connectors, demo) {
        (Some(path), _) => sources::connectors::load(path).map_err(refused),
        // The demo brings its own inventory.
        (None, true) => sources::connectors::from_toml(
            "fixtures/demo/connectors.toml",
            sources::demo::connectors_toml(),
        )
        .map_err(refused),
        (None, false) => Ok(Vec::new()),
    }
}

/// Rows of the terminal table.
const TOP_ROWS: usize = 12;

/// The crawl's requests in one line: how many, retries, and 429s per 1,000
/// requests (the figure pacing exists to keep low).
fn requests_line(crawl: &serde_json::Value) -> Option<String> {
    let r = crawl.get("requests")?;
    let n = |k: &str| r.get(k).and_then(|v| v.as_u64()).unwrap_or(0);
    let per_1000 = r
        .get("rate_limited_per_1000")
        .and_then(|v| v.as_f64())
        .unwrap_or(0.0);
    Some(format!(
        "Requests: {} sent, {} retries, {} rate-limited (429) = {:.1} per 1,000 requests; {} paced ({:.1} s of waits).",
        n("total"),
        n("retries"),
        n("rate_limited"),
        per_1000,
        n("paced"),
        n("paced_ms") as f64 / 1000.0
    ))
}

/// The short summary printed after every scan: totals, the top of the
/// ranking, and where the files are.
pub(crate) fn terminal_summary(s: &Summary, paths: &OutputPaths) -> String {
    use std::fmt::Write as _;
    let t = &s.totals;
    let mut out = String::new();
    if let Some(why) = &s.run.interruption {
        let _ = writeln!(out, "This scan was interrupted: {why}.");
    }
    let _ = writeln!(
        out,
        "Scanned {} items ({} documents, {}) in {} containers in {:.2}s: {} findings ({} test values).",
        t.items_scanned,
        t.documents,
        human_bytes(t.bytes),
        t.containers,
        s.duration_ms as f64 / 1000.0,
        t.findings,
        t.test_values
    );
    if let Some(line) = s.crawl.as_ref().and_then(requests_line) {
        let _ = writeln!(out, "{line}");
    }
    if let Some(d) = s.changes.as_ref().filter(|d| d.since.is_some()) {
        let _ = write!(out, "{}", crate::store::diff::render_text(d));
    }
    for p in &s.run.products {
        if p.status != ProductStatus::Scanned {
            let _ = writeln!(out, "{}", p.line());
        }
    }
    let count = |r: Recommendation| s.recommended(r);
    let _ = writeln!(
        out,
        "Verdicts: {} to exclude, {} to review, {} to keep.\n",
        count(Recommendation::Exclude),
        count(Recommendation::Review),
        count(Recommendation::Keep)
    );
    let rows: Vec<&Verdict> = s.verdicts.iter().take(TOP_ROWS).collect();
    let key_width = rows
        .iter()
        .map(|v| v.key.chars().count().min(28))
        .max()
        .unwrap_or(0)
        .max("key".len());
    let _ = writeln!(
        out,
        "{:>4}  {:<10} {:<8} {:>5}  {:<11} {:<key_width$}  {:<16} reason",
        "rank", "verdict", "level", "score", "product", "key", "coverage"
    );
    for v in &rows {
        let key: String = v.key.chars().take(28).collect();
        let reason: String = v.reasons.first().map_or(String::new(), |r| {
            let mut r: String = r.chars().take(70).collect();
            if r.len() < v.reasons[0].len() {
                r.push('…');
            }
            r
        });
        let _ = writeln!(
            out,
            "{:>4}  {:<10} {:<8} {:>5}  {:<11} {:<key_width$}  {:<16} {}",
            v.rank,
            v.recommendation.as_str(),
            v.level.as_str(),
            v.score,
            v.product.as_str(),
            key,
            crate::report::coverage_words(&v.coverage),
            reason
        );
    }
    if s.verdicts.len() > rows.len() {
        let _ = writeln!(
            out,
            "  … and {} more in exclusions.csv",
            s.verdicts.len() - rows.len()
        );
    }
    let renames = s.to_rename().count();
    if renames > 0 {
        let _ = writeln!(
            out,
            "\n{}: names are metadata, contributed even when excluded; rename {} (checklist.md).",
            if renames == 1 {
                "1 name holds a sensitive value".to_string()
            } else {
                format!("{renames} names hold sensitive values")
            },
            if renames == 1 { "it" } else { "them" }
        );
    }
    if let Some(p) = &s.posture {
        let _ = writeln!(
            out,
            "Posture of {} ({} plan) on {}: {} to act on, {} to watch (report.html, checklist.md).",
            p.organization,
            p.plan,
            p.checked_on,
            p.count(CheckStatus::Action),
            p.count(CheckStatus::Attention)
        );
    }
    let suppressed: u64 = t.suppressed.values().flat_map(|m| m.values()).sum();
    if suppressed > 0 {
        let _ = writeln!(
            out,
            "Allow list removed {suppressed} candidates (see summary.json totals.suppressed)."
        );
    }
    if let Some(line) = crate::report::triaged_words(t) {
        let _ = writeln!(out, "{line} (withhold triage --list).");
    }
    let _ = writeln!(out, "\nWrote to {}:", paths.dir.display());
    for (path, what) in [
        (&paths.report, "the report, for people"),
        (
            &paths.checklist,
            "what to click in Atlassian Administration",
        ),
        (&paths.exclusions, "the ranked exclusion list"),
        (&paths.findings, "every finding, masked"),
        (&paths.summary, "totals, coverage and verdicts"),
    ] {
        if path.exists() {
            let _ = writeln!(out, "  {:<16} {what}", file_name(path));
        }
    }
    out
}

fn file_name(p: &std::path::Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn human_bytes(n: u64) -> String {
    match n {
        0..=9_999 => format!("{n} bytes"),
        10_000..=9_999_999 => format!("{:.1} kB", n as f64 / 1e3),
        _ => format!("{:.1} MB", n as f64 / 1e6),
    }
}
