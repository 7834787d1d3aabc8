//! `withhold scan`: build the engine, read the source, run the pipeline, report.

use crate::cli::crawl::{crawl_and_scan, site_config, Target};
use crate::cli::{CliError, ScanArgs};
use crate::detect::allow::AllowList;
use crate::detect::dictionary::ClientDictionary;
use crate::detect::engine::{Engine, EngineOptions};
use crate::detect::fingerprint::{default_key_path, Fingerprinter};
use crate::detect::rules::RuleSet;
use crate::fake_site::{FakeSiteConfig, SiteData};
use crate::model::CoverageStatus;
use crate::progress::{Progress, ProgressMode};
use crate::report::summary::SourceInfo;
use crate::scan::{run as run_scan, ScanRequest};
use crate::sources;
use std::io::Write;
use std::sync::Arc;

pub fn run(args: ScanArgs) -> Result<i32, CliError> {
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

    let request = |source: SourceInfo| ScanRequest {
        engine: &engine,
        packs: rule_set.packs.clone(),
        source,
        out_dir: args.out.clone(),
        threads: args.threads,
        revealed: args.reveal,
    };
    let progress = Progress::start(ProgressMode::detect(args.quiet || args.json));
    let mut crawl_report = None;
    let outcome = if args.demo && args.offline {
        let source = SourceInfo {
            kind: "demo-offline".into(),
            paths: vec!["fixtures/demo".into()],
        };
        run_scan(request(source), sources::demo::collect()?.into_events())?
    } else if args.demo {
        let source = SourceInfo {
            kind: "demo".into(),
            paths: vec!["fixtures/demo (crawled from the fake site on loopback)".into()],
        };
        let target = Target::Fake(Arc::new(SiteData::demo()?), FakeSiteConfig::default());
        let (outcome, report) = crawl_and_scan(target, request(source), progress.counters())?;
        crawl_report = Some(report);
        outcome
    } else if let Some(site) = &args.site.site {
        let config = site_config(&args.site, site)?;
        let source = SourceInfo {
            kind: "site".into(),
            paths: vec![site.clone()],
        };
        let (outcome, report) = crawl_and_scan(
            Target::Site(Box::new(config)),
            request(source),
            progress.counters(),
        )?;
        crawl_report = Some(report);
        outcome
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
        run_scan(
            request(source),
            sources::files::collect(&args.path).into_events(),
        )?
    };
    progress.finish();
    if let Some(report) = &crawl_report {
        if !args.quiet && !args.json {
            for w in &report.warnings {
                eprintln!("withhold: warning: {w}");
            }
        }
    }
    let s = &outcome.summary;
    let mut out = std::io::stdout().lock();
    if args.json {
        let _ = writeln!(out, "{}", s.to_json().map_err(anyhow::Error::from)?);
    } else if !args.quiet {
        let t = &s.totals;
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
        let mut ranked: Vec<_> = s.containers.iter().collect();
        ranked.sort_by(|a, b| {
            b.findings
                .cmp(&a.findings)
                .then(a.container.key.cmp(&b.container.key))
        });
        let width = ranked
            .iter()
            .map(|c| c.container.key.chars().count())
            .max()
            .unwrap_or(0)
            .max("container".len());
        let _ = writeln!(
            out,
            "{:<11} {:<width$} {:>6} {:>8}  {:<9} categories",
            "product", "container", "items", "findings", "coverage"
        );
        for c in ranked {
            let cats: Vec<String> = c
                .by_category
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect();
            let _ = writeln!(
                out,
                "{:<11} {:<width$} {:>6} {:>8}  {:<9} {}",
                c.container.product.as_str(),
                c.container.key,
                c.coverage.items_scanned,
                c.findings,
                crate::scan::status_line(c),
                cats.join(", ")
            );
        }
        let suppressed: u64 = t.suppressed.values().flat_map(|m| m.values()).sum();
        if suppressed > 0 {
            let _ = writeln!(
                out,
                "Allow list removed {suppressed} candidates (see summary.json totals.suppressed)."
            );
        }
        let _ = writeln!(
            out,
            "Wrote {} and {}",
            outcome.findings_path.display(),
            outcome.summary_path.display()
        );
    }
    let partial = s
        .containers
        .iter()
        .any(|c| c.coverage.status != CoverageStatus::Complete);
    Ok(if partial { 3 } else { 0 })
}

fn human_bytes(n: u64) -> String {
    match n {
        0..=9_999 => format!("{n} bytes"),
        10_000..=9_999_999 => format!("{:.1} kB", n as f64 / 1e3),
        _ => format!("{:.1} MB", n as f64 / 1e6),
    }
}
