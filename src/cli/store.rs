//! Opening the store for a scan and deciding how the scan reads its
//! target: resume the unfinished scan, rescan what changed since the last
//! one, or read everything (DESIGN §8a).

use crate::cli::CliError;
use crate::sources::memory::{KnownSite, ResumePoint};
use crate::store::scans::{ScanId, ScanMeta, ScanMode, ScanStatus};
use crate::store::Store;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The store file of a scan writing to `out`, unless `--db` names one.
pub fn db_path(db: Option<&Path>, out: &Path) -> PathBuf {
    db.map_or_else(|| out.join("withhold.db"), Path::to_path_buf)
}

/// A store refused: exit 2, the message names the file.
pub fn refused(e: crate::store::StoreError) -> CliError {
    CliError::Config(e.to_string())
}

/// How this scan reads its target.
pub struct ScanPlan {
    pub scan: ScanId,
    pub mode: ScanMode,
    /// What a rescan compares with.
    pub known: Option<Arc<KnownSite>>,
    /// Where the unfinished scan being resumed stopped.
    pub resume: Option<Arc<ResumePoint>>,
}

impl ScanPlan {
    /// One line for the terminal: what the store made of this scan.
    pub fn describe(&self) -> Option<String> {
        match (&self.resume, &self.known) {
            (Some(r), _) => Some(format!(
                "resuming scan {} ({} items already read)",
                self.scan.0,
                r.items.len()
            )),
            (None, Some(k)) => Some(format!(
                "rescan: reading what changed in {} known containers since {}",
                k.containers.len(),
                k.since
                    .map_or_else(|| "the last scan".to_string(), |t| t.to_string())
            )),
            (None, None) => None,
        }
    }
}

/// Open (or create) the store at `path` for a scan of `target` and plan it.
/// A store of another target is refused: one store holds one site, and
/// mixing two would call one site's pages the other's deletions.
///
/// `incremental`: whether the source can read only what changed (the
/// crawler); files and exports are read whole every time, so what a run does
/// not see of them is gone.
pub fn plan(
    path: &Path,
    meta: ScanMeta,
    fresh: bool,
    incremental: bool,
) -> Result<(Store, ScanPlan), CliError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| CliError::Config(format!("{}: {e}", dir.display())))?;
    }
    let mut store = Store::open(path).map_err(refused)?;
    if let Some(other) = store.target().map_err(refused)? {
        // The demo's store is scratch: a scan of anything else starts it over.
        if other != meta.target && is_demo(&other) {
            drop(store);
            for p in [
                path.to_path_buf(),
                with_suffix(path, "-wal"),
                with_suffix(path, "-shm"),
            ] {
                let _ = std::fs::remove_file(p);
            }
            store = Store::open(path).map_err(refused)?;
        }
    }
    restrict(path);
    if let Some(other) = store.target().map_err(refused)? {
        if other != meta.target {
            return Err(CliError::Config(format!(
                "{}: this store holds the scans of {other}, not {}; give this scan its own --db FILE (or --out DIR)",
                path.display(),
                meta.target
            )));
        }
    }
    let last = store.last_scan(&meta.target).map_err(refused)?;
    // Findings of unchanged items are kept from the scan they were made in:
    // with other rules (or client list, allow list) they would not be the
    // findings this scan would make, so everything is read again.
    let same_detection = |m: &ScanMeta| m.rules_version == meta.rules_version;
    if let Some(last) = last.filter(|l| l.status.unfinished()) {
        if !fresh && same_detection(&last.meta) {
            store.resume_scan(last.id).map_err(refused)?;
            let resume = store.resume_point(last.id).map_err(refused)?;
            let known = match last.meta.mode {
                _ if !incremental => None,
                ScanMode::Rescan => store
                    .known_site(&meta.target, Some(last.id))
                    .map_err(refused)?,
                ScanMode::Full => None,
            };
            let plan = ScanPlan {
                scan: last.id,
                mode: last.meta.mode,
                known: known.map(Arc::new),
                resume: Some(Arc::new(resume)),
            };
            return Ok((store, plan));
        }
        // Not resumed: it stays in the history as interrupted.
        store
            .finish_scan(last.id, ScanStatus::Interrupted, None)
            .map_err(refused)?;
    }
    let known = match fresh || !incremental {
        true => None,
        false => store
            .last_ended_scan(&meta.target, None)
            .map_err(refused)?
            .filter(|l| same_detection(&l.meta))
            .map(|_| store.known_site(&meta.target, None))
            .transpose()
            .map_err(refused)?
            .flatten(),
    };
    let mode = if known.is_some() {
        ScanMode::Rescan
    } else {
        ScanMode::Full
    };
    let scan = store
        .begin_scan(&ScanMeta { mode, ..meta })
        .map_err(refused)?;
    Ok((
        store,
        ScanPlan {
            scan,
            mode,
            known: known.map(Arc::new),
            resume: None,
        },
    ))
}

fn is_demo(target: &str) -> bool {
    matches!(target, "demo" | "demo-offline")
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// The store holds masked findings and fingerprints, raw values with
/// `--reveal`: readable by its owner only, like every output.
fn restrict(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
    }
    #[cfg(not(unix))]
    let _ = path;
}
