//! `withhold report`: every output from one or several stores, without
//! crawling (DESIGN §8a).
//!
//! Each store is opened read-only (no writer lock: a scan may be writing the
//! next scan meanwhile) and its last ended scan read back as the scan itself
//! reads it: containers and coverage from the store, the current findings
//! with today's triage decisions applied, the run's own record (times,
//! source, products, counters) from `scans.run`, ranked with this command's
//! policy. One store gives the outputs that scan wrote; several give one
//! combined report, ranked together, grouped by organization and site:
//! - a **site** is named by its store's target (the site's address without
//!   its scheme, `demo-offline`, `path:/srv/export`);
//! - an **organization** is the one of the org file the scan was run with
//!   (`--org`, recorded in `scans.run` as the posture's organization), else
//!   the one of this command's `--org`, else "no organization recorded";
//! - a container is `SITE/KEY` in the combined outputs, so two sites'
//!   `OPS` spaces are two rows.

use crate::cli::scan::{exit_code, load_connectors, load_org, load_policy, terminal_summary};
use crate::cli::store::refused;
use crate::cli::{CliError, ReportArgs};
use crate::posture::{facts_from_verdicts, today_utc, PostureSection};
use crate::rank::{sort_and_number, Recommendation};
use crate::report::summary::{RunInfo, RunStatus, SourceInfo, Summary, ToolInfo, Totals};
use crate::store::Store;
use anyhow::Context;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};

/// One store's last ended scan, read back.
struct SiteReport {
    db: PathBuf,
    site: String,
    organization: String,
    scan: i64,
    summary: Summary,
    /// Its findings.jsonl lines.
    findings: Vec<u8>,
}

pub fn run(args: ReportArgs) -> Result<i32, CliError> {
    let dbs = if args.db.is_empty() {
        vec![args.out.join("withhold.db")]
    } else {
        args.db.clone()
    };
    let mut sites = Vec::new();
    for db in &dbs {
        sites.push(site_report(db, &args)?);
    }
    // Two stores of one target would be one site twice: told apart by file.
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for s in &mut sites {
        let n = seen.entry(s.site.clone()).or_default();
        *n += 1;
        if *n > 1 {
            s.site = format!("{} ({})", s.site, s.db.display());
        }
    }
    let out = &args.out;
    let findings_file = crate::report::begin_run(out)?;
    let (summary, paths) = if sites.len() == 1 {
        let site = &sites[0];
        write_findings(findings_file, std::iter::once((None, site)))?;
        crate::report::finish_findings(out)?;
        let paths = crate::report::write_outputs(out, &site.summary)?;
        (site.summary.clone(), paths)
    } else {
        write_findings(
            findings_file,
            sites.iter().map(|s| (Some(s.site.as_str()), s)),
        )?;
        crate::report::finish_findings(out)?;
        let policy = load_policy(&args.verdict, false)?;
        let merged = merge(&sites, &policy);
        let mut json = serde_json::to_value(&merged).map_err(anyhow::Error::from)?;
        if let Some(obj) = json.as_object_mut() {
            obj.insert("sites".into(), sites_json(&sites));
        }
        let json = serde_json::to_string_pretty(&json).map_err(anyhow::Error::from)?;
        let page = with_sites_section(crate::report::html::render(&merged), &sites);
        let paths = crate::report::write_rendered(
            out,
            &merged.verdicts,
            &combined_checklist(&merged, &sites),
            &page,
            &json,
        )?;
        (merged, paths)
    };
    let mut stdout = std::io::stdout().lock();
    if args.json {
        let _ = writeln!(
            stdout,
            "{}",
            std::fs::read_to_string(&paths.summary).context("reading summary.json back")?
        );
    } else if !args.quiet {
        if sites.len() > 1 {
            let _ = writeln!(
                stdout,
                "Reported {} sites from their stores: {}.",
                sites.len(),
                sites
                    .iter()
                    .map(|s| format!("{} ({}, scan {})", s.site, s.organization, s.scan))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        let _ = stdout.write_all(terminal_summary(&summary, &paths).as_bytes());
    }
    Ok(exit_code(&summary, args.verdict.fail_on.as_deref()))
}

/// The verdicts of a store's last ended scan, ranked with the default
/// policy (the demo's own for the demo), and when that scan ended: what
/// `withhold posture --scan` checks the organization against.
pub fn last_verdicts(db: &Path) -> Result<(Vec<crate::rank::Verdict>, String), CliError> {
    let args = ReportArgs {
        db: vec![db.to_path_buf()],
        out: PathBuf::new(),
        quiet: true,
        json: false,
        verdict: crate::cli::VerdictArgs {
            policy: None,
            own_domains: Vec::new(),
            connectors: None,
            org: None,
            fail_on: None,
        },
    };
    let site = site_report(db, &args)?;
    Ok((site.summary.verdicts, site.summary.finished_at))
}

/// How a store's target names its site in the outputs.
fn site_name(target: &str) -> String {
    target
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string()
}

fn site_report(db: &Path, args: &ReportArgs) -> Result<SiteReport, CliError> {
    let store = Store::open_read_only(db).map_err(refused)?;
    let Some(target) = store.target().map_err(refused)? else {
        return Err(CliError::Config(format!(
            "{}: this store holds no scan yet",
            db.display()
        )));
    };
    let Some(last) = store.last_ended_scan(&target, None).map_err(refused)? else {
        return Err(CliError::Config(format!(
            "{}: no scan of {target} has ended yet (one may still be running); report once it has",
            db.display()
        )));
    };
    let run: Value = store
        .run_of(last.id)
        .map_err(refused)?
        .and_then(|r| serde_json::from_str(&r).ok())
        .unwrap_or(Value::Null);
    // The demo's store is reported as the demo scan ranked it: with its own
    // domain, connectors and organization.
    let demo = matches!(target.as_str(), "demo" | "demo-offline");
    let policy = load_policy(&args.verdict, demo)?;
    let connectors = load_connectors(&args.verdict, demo)?;
    let org = load_org(&args.verdict, demo)?;

    let field = |k: &str| run.get(k).cloned().unwrap_or(Value::Null);
    let text = |k: &str, or: &str| field(k).as_str().unwrap_or(or).to_string();
    // The run's own counters (documents, bytes, what the allow list removed,
    // what could not be listed) as the scan counted them; the findings are
    // counted again from the store, as they stand now.
    let mut totals: Totals = serde_json::from_value(field("totals")).unwrap_or_default();
    totals.containers = 0;
    totals.items_seen = 0;
    totals.items_scanned = 0;
    totals.items_failed = 0;
    totals.findings = 0;
    totals.test_values = 0;
    totals.by_category.clear();
    totals.by_entity.clear();
    totals.by_severity.clear();
    totals.triaged.clear();
    let mut containers = store.containers_of_ended(last.id).map_err(refused)?;
    let mut findings = Vec::new();
    let summaries =
        crate::scan::read_store(&store, &policy, &mut containers, &mut totals, &mut findings)?;
    totals.containers = summaries.len();
    for c in &summaries {
        totals.items_seen += c.coverage.items_seen;
        totals.items_scanned += c.coverage.items_scanned;
        totals.items_failed += c.coverage.items_failed;
    }
    let mut summary = Summary {
        tool: ToolInfo {
            name: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
        },
        started_at: text("started_at", &last.started_at),
        finished_at: text("finished_at", last.ended_at.as_deref().unwrap_or("")),
        duration_ms: field("duration_ms").as_u64().unwrap_or(0),
        source: serde_json::from_value(field("source")).unwrap_or(SourceInfo {
            kind: "store".into(),
            paths: vec![target.clone()],
        }),
        threads: field("threads").as_u64().unwrap_or(0) as usize,
        rule_packs: serde_json::from_value(field("rule_packs")).unwrap_or_default(),
        clients: field("clients").as_u64().unwrap_or(0) as usize,
        revealed: field("revealed").as_bool().unwrap_or(false),
        // summary.json flattens the run's state into its top level.
        run: serde_json::from_value::<RunInfo>(run.clone()).unwrap_or_default(),
        totals,
        containers: summaries,
        verdicts: Vec::new(),
        thresholds: policy.thresholds.clone(),
        posture: None,
        crawl: run.get("crawl").cloned(),
        // What changed up to this scan, as its own outputs said.
        changes: {
            let base = store
                .last_ended_scan(&last.meta.target, Some(last.id))
                .map_err(refused)?;
            Some(store.diff(base.as_ref(), &last).map_err(refused)?)
        },
    };
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
    summary.settle_status();
    let organization = run
        .pointer("/posture/organization")
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| summary.posture.as_ref().map(|p| p.organization.clone()))
        .unwrap_or_else(|| "no organization recorded".to_string());
    Ok(SiteReport {
        db: db.to_path_buf(),
        site: site_name(&target),
        organization,
        scan: last.id.0,
        summary,
        findings,
    })
}

/// findings.jsonl of every site; with several, each line names its `site`.
fn write_findings<'a>(
    file: std::fs::File,
    sites: impl Iterator<Item = (Option<&'a str>, &'a SiteReport)>,
) -> anyhow::Result<()> {
    let mut w = std::io::BufWriter::new(file);
    for (label, site) in sites {
        match label {
            None => w.write_all(&site.findings)?,
            Some(label) => {
                for line in site
                    .findings
                    .split(|b| *b == b'\n')
                    .filter(|l| !l.is_empty())
                {
                    let mut v: Value = serde_json::from_slice(line)?;
                    if let Some(obj) = v.as_object_mut() {
                        obj.insert("site".into(), Value::String(label.to_string()));
                    }
                    serde_json::to_writer(&mut w, &v)?;
                    w.write_all(b"\n")?;
                }
            }
        }
    }
    w.flush().context("writing findings.jsonl")?;
    Ok(())
}

/// The sites' summaries as one: every container and verdict `SITE/KEY`,
/// ranked together; totals added up.
fn merge(sites: &[SiteReport], policy: &crate::rank::policy::Policy) -> Summary {
    let first = &sites[0].summary;
    let mut totals = Totals::default();
    let mut containers = Vec::new();
    let mut verdicts = Vec::new();
    let mut products = Vec::new();
    let mut run = RunInfo::default();
    for s in sites {
        let t = &s.summary.totals;
        let add = |into: &mut BTreeMap<String, u64>, from: &BTreeMap<String, u64>| {
            for (k, n) in from {
                *into.entry(k.clone()).or_default() += n;
            }
        };
        totals.containers += t.containers;
        totals.items_seen += t.items_seen;
        totals.items_scanned += t.items_scanned;
        totals.items_failed += t.items_failed;
        totals.documents += t.documents;
        totals.bytes += t.bytes;
        totals.findings += t.findings;
        totals.test_values += t.test_values;
        totals.extraction_warnings += t.extraction_warnings;
        totals.repeats_dropped += t.repeats_dropped;
        add(&mut totals.by_category, &t.by_category);
        add(&mut totals.by_entity, &t.by_entity);
        add(&mut totals.by_severity, &t.by_severity);
        add(&mut totals.triaged, &t.triaged);
        for (reason, by) in &t.suppressed {
            add(totals.suppressed.entry(reason.clone()).or_default(), by);
        }
        totals
            .warnings
            .extend(t.warnings.iter().map(|w| format!("{}: {w}", s.site)));
        for (p, why) in &t.incomplete_products {
            totals
                .incomplete_products
                .entry(*p)
                .or_default()
                .extend(why.iter().map(|w| format!("{}: {w}", s.site)));
        }
        for c in &s.summary.containers {
            let mut c = c.clone();
            c.container.key = format!("{}/{}", s.site, c.container.key);
            containers.push(c);
        }
        for v in &s.summary.verdicts {
            let mut v = v.clone();
            v.key = format!("{}/{}", s.site, v.key);
            verdicts.push(v);
        }
        for p in &s.summary.run.products {
            let mut p = p.clone();
            p.reason = format!("{}: {}", s.site, p.reason);
            products.push(p);
        }
        run.interrupted |= s.summary.run.interrupted;
        if run.interruption.is_none() {
            run.interruption = s
                .summary
                .run
                .interruption
                .as_ref()
                .map(|w| format!("{}: {w}", s.site));
        }
    }
    run.products = products;
    sort_and_number(&mut verdicts);
    let mut merged = Summary {
        tool: first.tool.clone(),
        started_at: sites
            .iter()
            .map(|s| s.summary.started_at.clone())
            .min()
            .unwrap_or_default(),
        finished_at: sites
            .iter()
            .map(|s| s.summary.finished_at.clone())
            .max()
            .unwrap_or_default(),
        duration_ms: sites.iter().map(|s| s.summary.duration_ms).sum(),
        source: SourceInfo {
            kind: "stores".into(),
            paths: sites.iter().map(|s| s.site.clone()).collect(),
        },
        threads: first.threads,
        rule_packs: first.rule_packs.clone(),
        clients: sites.iter().map(|s| s.summary.clients).max().unwrap_or(0),
        revealed: sites.iter().any(|s| s.summary.revealed),
        run,
        totals,
        containers,
        verdicts,
        thresholds: policy.thresholds.clone(),
        posture: None,
        crawl: None,
        changes: None,
    };
    merged.settle_status();
    merged
}

/// The sites in organization order, then site order.
fn grouped(sites: &[SiteReport]) -> BTreeMap<&str, Vec<&SiteReport>> {
    let mut by: BTreeMap<&str, Vec<&SiteReport>> = BTreeMap::new();
    for s in sites {
        by.entry(s.organization.as_str()).or_default().push(s);
    }
    for v in by.values_mut() {
        v.sort_by(|a, b| a.site.cmp(&b.site));
    }
    by
}

fn status_word(s: RunStatus) -> &'static str {
    match s {
        RunStatus::Complete => "complete",
        RunStatus::Partial => "partial",
        RunStatus::Interrupted => "interrupted",
    }
}

/// `sites` in summary.json: which store and scan each site's rows come from.
fn sites_json(sites: &[SiteReport]) -> Value {
    Value::Array(
        sites
            .iter()
            .map(|s| {
                serde_json::json!({
                    "organization": s.organization,
                    "site": s.site,
                    "store": s.db.display().to_string(),
                    "scan": s.scan,
                    "finished_at": s.summary.finished_at,
                    "status": status_word(s.summary.run.status),
                    "containers": s.summary.totals.containers,
                    "findings": s.summary.totals.findings,
                    "exclude": s.summary.recommended(Recommendation::Exclude),
                    "review": s.summary.recommended(Recommendation::Review),
                    "keep": s.summary.recommended(Recommendation::Keep),
                })
            })
            .collect(),
    )
}

/// One checklist: per organization, per site, that site's own checklist
/// (each site is its own page in Atlassian Administration).
fn combined_checklist(merged: &Summary, sites: &[SiteReport]) -> String {
    let mut md = String::new();
    let groups = grouped(sites);
    let _ = writeln!(md, "# Data contribution checklist\n");
    let _ = writeln!(
        md,
        "{} sites in {} organizations, reported from their stores with withhold {}: **{} to exclude, {} to review**, {} to keep. \
exclusions.csv ranks them together, each container named SITE/KEY.\n",
        sites.len(),
        groups.len(),
        merged.tool.version,
        merged.recommended(Recommendation::Exclude),
        merged.recommended(Recommendation::Review),
        merged.recommended(Recommendation::Keep),
    );
    for (org, group) in &groups {
        let _ = writeln!(md, "## Organization: {org}\n");
        for s in group {
            let _ = writeln!(
                md,
                "### Site: {} (scan {} of {}, {}, {})\n",
                s.site,
                s.scan,
                s.db.display(),
                s.summary
                    .finished_at
                    .get(..10)
                    .unwrap_or(&s.summary.finished_at),
                status_word(s.summary.run.status)
            );
            let own = crate::report::checklist::render(&s.summary);
            // The site's checklist, its headings two levels down, without
            // its title (the site heading stands for it).
            for line in own
                .lines()
                .skip_while(|l| l.starts_with("# ") || l.is_empty())
            {
                if line.starts_with('#') {
                    md.push_str("##");
                }
                md.push_str(line);
                md.push('\n');
            }
            md.push('\n');
        }
    }
    md
}

/// The combined page with a section naming every organization and site,
/// and the containers to act on in each, before the ranking.
fn with_sites_section(page: String, sites: &[SiteReport]) -> String {
    let esc = |s: &str| html_escape::encode_text(s).into_owned();
    let mut sec = String::from(
        "<section id=\"sites\">\n<h2>Organizations and sites</h2>\n\
<p>Each site's last ended scan, read from its store; below they are ranked together, each container named SITE/KEY.</p>\n",
    );
    for (org, group) in grouped(sites) {
        let _ = writeln!(sec, "<h3>Organization: {}</h3>", esc(org));
        let _ = writeln!(
            sec,
            "<table>\n<thead><tr><th>Site</th><th>Scan</th><th>Status</th><th>Containers</th><th>Findings</th><th>To exclude</th><th>To review</th></tr></thead>\n<tbody>"
        );
        for s in &group {
            let act: Vec<String> = s
                .summary
                .verdicts
                .iter()
                .filter(|v| v.recommendation != Recommendation::Keep)
                .map(|v| format!("{} ({})", v.key, v.recommendation.as_str()))
                .collect();
            let _ = writeln!(
                sec,
                "<tr><td>{}</td><td>{} on {}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&s.site),
                s.scan,
                esc(s.summary.finished_at.get(..10).unwrap_or("")),
                status_word(s.summary.run.status),
                s.summary.totals.containers,
                s.summary.totals.findings,
                s.summary.recommended(Recommendation::Exclude),
                s.summary.recommended(Recommendation::Review),
            );
            if !act.is_empty() {
                let _ = writeln!(
                    sec,
                    "<tr><td colspan=\"7\">To act on in {}: {}</td></tr>",
                    esc(&s.site),
                    esc(&act.join(", "))
                );
            }
        }
        sec.push_str("</tbody>\n</table>\n");
    }
    sec.push_str("</section>\n");
    match page.find("<main>\n") {
        Some(at) => {
            let at = at + "<main>\n".len();
            format!("{}{}{}", &page[..at], sec, &page[at..])
        }
        None => page,
    }
}
