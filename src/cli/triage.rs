//! `withhold triage`: record, list and remove the decisions later scans of a
//! store apply (DESIGN §8a). A decision is refused unless the store has seen
//! the value: a mistyped fingerprint would otherwise be kept forever and
//! remove nothing.

use crate::cli::store::{db_path, refused};
use crate::cli::{CliError, TriageArgs};
use crate::model::Product;
use crate::store::state::parse_name;
use crate::store::triage::{Decision, NewDecision, FROM_TRIAGE};
use crate::store::Store;
use std::io::Write;
use std::path::Path;

pub fn run(args: TriageArgs) -> Result<i32, CliError> {
    let db = db_path(args.db.as_deref(), &args.out);
    let store = open_existing(&db)?;
    let mut out = std::io::stdout().lock();
    if args.list {
        let rows = store.triage_rows().map_err(refused)?;
        if args.json {
            for r in &rows {
                let _ = writeln!(
                    out,
                    "{}",
                    serde_json::to_string(r).map_err(anyhow::Error::from)?
                );
            }
        } else {
            let table: Vec<[String; 7]> = rows
                .iter()
                .map(|r| {
                    [
                        r.id.to_string(),
                        r.decision.clone(),
                        r.fingerprint.clone(),
                        r.container.clone().unwrap_or_else(|| "everywhere".into()),
                        format!("{} {}", r.decided_by, r.decided_at.get(..10).unwrap_or("")),
                        r.source.clone(),
                        r.note.clone(),
                    ]
                })
                .collect();
            let _ = out.write_all(
                columns(
                    [
                        "id",
                        "decision",
                        "fingerprint",
                        "container",
                        "decided",
                        "source",
                        "note",
                    ],
                    &table,
                )
                .as_bytes(),
            );
        }
        return Ok(0);
    }
    if args.list_findings {
        let rows = store.finding_refs(None).map_err(refused)?;
        if args.json {
            for r in &rows {
                let _ = writeln!(
                    out,
                    "{}",
                    serde_json::to_string(r).map_err(anyhow::Error::from)?
                );
            }
        } else {
            let table: Vec<[String; 6]> = rows
                .iter()
                .map(|r| {
                    [
                        r.id.to_string(),
                        r.container.clone(),
                        r.item_id.clone(),
                        r.entity.clone(),
                        // A long masked value (a key, a token) would push
                        // the fingerprint off the screen.
                        shorten(&r.masked, 40),
                        r.fingerprint.clone(),
                    ]
                })
                .collect();
            let _ = out.write_all(
                columns(
                    ["id", "container", "item", "entity", "masked", "fingerprint"],
                    &table,
                )
                .as_bytes(),
            );
        }
        return Ok(0);
    }
    if let Some(id) = args.remove {
        if !store.remove_triage(id).map_err(refused)? {
            return Err(CliError::Config(format!(
                "{}: no triage decision {id} (see withhold triage --list)",
                db.display()
            )));
        }
        let _ = writeln!(out, "Removed triage decision {id}.");
        return Ok(0);
    }

    let Some(reference) = args.finding.as_deref().map(str::trim) else {
        return Err(CliError::Config(
            "name a finding id or fingerprint, or use --list, --list-findings or --remove".into(),
        ));
    };
    let decision = match (args.false_positive, args.accepted_risk) {
        (true, false) => Decision::FalsePositive,
        (false, true) => Decision::AcceptedRisk,
        _ => {
            return Err(CliError::Config(
                "say what the finding is: --false-positive or --accepted-risk".into(),
            ))
        }
    };
    let note = match args.note.as_deref().map(str::trim) {
        Some(n) if !n.is_empty() => n.to_string(),
        _ => {
            return Err(CliError::Config(
                "--note TEXT is required: say why, for whoever reads the decision later".into(),
            ))
        }
    };
    let container = args.container.as_deref().map(check_container).transpose()?;
    let fingerprint = resolve(&store, &db, reference)?;
    let by = args
        .by
        .clone()
        .or_else(|| std::env::var("USER").ok())
        .filter(|b| !b.trim().is_empty())
        .unwrap_or_else(|| "unknown".into());
    let id = store
        .record_triage(&NewDecision {
            fingerprint: fingerprint.clone(),
            container: container.clone(),
            decision,
            note,
            decided_by: by,
            source: FROM_TRIAGE,
        })
        .map_err(refused)?;
    let _ = writeln!(
        out,
        "Recorded triage decision {id}: {fingerprint} is {} {}; the next scan or report leaves it out.",
        decision.as_str(),
        container.map_or_else(|| "everywhere".to_string(), |c| format!("in {c}"))
    );
    Ok(0)
}

/// An existing store, opened for writing: triage never creates one.
fn open_existing(db: &Path) -> Result<Store, CliError> {
    if !db.exists() {
        return Err(CliError::Config(format!(
            "{}: no store here; run a scan first (or name its store with --db FILE)",
            db.display()
        )));
    }
    Store::open(db).map_err(refused)
}

/// The fingerprint a reference names: 32 hex digits as they are, or a
/// finding's id. Either must be a value the store has seen.
fn resolve(store: &Store, db: &Path, reference: &str) -> Result<String, CliError> {
    let is_fingerprint = reference.len() == 32 && reference.bytes().all(|b| b.is_ascii_hexdigit());
    if is_fingerprint {
        let fp = reference.to_ascii_lowercase();
        if !store.knows_fingerprint(&fp).map_err(refused)? {
            return Err(CliError::Config(format!(
                "{}: no scan of this store found a value with fingerprint {fp}; \
                 copy it from findings.jsonl or use a finding id from --list-findings",
                db.display()
            )));
        }
        return Ok(fp);
    }
    if let Ok(id) = reference.parse::<i64>() {
        return match store.finding_ref(id).map_err(refused)? {
            Some(f) => Ok(f.fingerprint),
            None => Err(CliError::Config(format!(
                "{}: no finding {id} (see withhold triage --list-findings)",
                db.display()
            ))),
        };
    }
    Err(CliError::Config(format!(
        "{reference:?} is neither a fingerprint (32 hex digits) nor a finding id (a number from --list-findings)"
    )))
}

/// `PRODUCT:KEY` with a product withhold knows, or a bare key.
fn check_container(c: &str) -> Result<String, CliError> {
    let c = c.trim();
    match c.split_once(':') {
        Some((product, key)) if !key.is_empty() => {
            let product = product.to_ascii_lowercase();
            if parse_name::<Product>(&product).is_none() {
                return Err(CliError::Config(format!(
                    "--container {c}: {product:?} is not a product (confluence, jira, jsm, connector, files)"
                )));
            }
            Ok(format!("{product}:{key}"))
        }
        None if !c.is_empty() => Ok(c.to_string()),
        _ => Err(CliError::Config(format!(
            "--container {c:?}: give PRODUCT:KEY (confluence:OPS) or a KEY"
        ))),
    }
}

/// A plain table: columns padded to their widest cell, the last one free.
fn columns<const N: usize>(head: [&str; N], rows: &[[String; N]]) -> String {
    let mut widths: [usize; N] = head.map(|h| h.chars().count());
    for r in rows {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: Vec<&str>| {
        let mut l = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == N {
                l.push_str(cell);
            } else {
                l.push_str(cell);
                l.push_str(&" ".repeat(widths[i] - cell.chars().count() + 2));
            }
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(head.to_vec());
    for r in rows {
        line(r.iter().map(String::as_str).collect());
    }
    if rows.is_empty() {
        out.push_str("(none)\n");
    }
    out
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max - 1).collect();
        out.push('…');
        out
    }
}
