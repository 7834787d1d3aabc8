//! `withhold diff`: what changed between two scans of a site, from its store.

use crate::cli::CliError;
use crate::store::diff::render_text;
use crate::store::Store;
use clap::Args;
use std::io::Write as _;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The store (default: withhold.db in --out).
    #[arg(long, value_name = "FILE")]
    pub db: Option<PathBuf>,
    /// The output directory whose store to read.
    #[arg(long, value_name = "DIR", default_value = "withhold-out")]
    pub out: PathBuf,
    /// The earlier scan: its id, or a date (YYYY-MM-DD or RFC 3339: the last
    /// scan before it). Default: the scan before the latest.
    #[arg(long, value_name = "SCAN_ID|DATE")]
    pub since: Option<String>,
    /// Print the changes as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: DiffArgs) -> Result<i32, CliError> {
    let path = crate::cli::store::db_path(args.db.as_deref(), &args.out);
    if !path.exists() {
        return Err(CliError::Config(format!(
            "{}: no store here: run `withhold scan` first (or give --db)",
            path.display()
        )));
    }
    let refused = crate::cli::store::refused;
    let store = Store::open_read_only(&path).map_err(refused)?;
    let scans = store.scans().map_err(refused)?;
    let ended: Vec<_> = scans.iter().filter(|s| !s.status.unfinished()).collect();
    let Some(latest) = ended.last().copied() else {
        return Err(CliError::Config(format!(
            "{}: no scan in this store has ended yet",
            path.display()
        )));
    };
    let since = match &args.since {
        Some(name) => {
            let found = store.scan_named(name).map_err(refused)?;
            match found {
                Some(s) => Some(s),
                None => {
                    return Err(CliError::Config(format!(
                        "{}: --since {name}: no such scan in this store",
                        path.display()
                    )))
                }
            }
        }
        None => ended.iter().rev().nth(1).map(|s| (*s).clone()),
    };
    let diff = store.diff(since.as_ref(), latest).map_err(refused)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        let json = serde_json::to_string_pretty(&diff).map_err(anyhow::Error::from)?;
        let _ = writeln!(out, "{json}");
    } else {
        let _ = out.write_all(render_text(&diff).as_bytes());
    }
    Ok(0)
}
