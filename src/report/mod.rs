//! Writers for every output. Nothing here fetches or detects.

pub mod checklist;
pub mod exclusions;
pub mod findings;
pub mod html;
pub mod summary;

use crate::model::{ContainerKind, Coverage, CoverageStatus};
use crate::rank::words::app_name;
use crate::rank::Verdict;
use anyhow::Context;
use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use summary::Summary;

/// Where the outputs of a scan were written.
#[derive(Debug, Clone)]
pub struct OutputPaths {
    pub dir: PathBuf,
    pub findings: PathBuf,
    pub summary: PathBuf,
    pub exclusions: PathBuf,
    pub checklist: PathBuf,
    pub report: PathBuf,
}

impl OutputPaths {
    pub fn in_dir(dir: &Path) -> OutputPaths {
        OutputPaths {
            dir: dir.to_path_buf(),
            findings: dir.join("findings.jsonl"),
            summary: dir.join("summary.json"),
            exclusions: dir.join("exclusions.csv"),
            checklist: dir.join("checklist.md"),
            report: dir.join("report.html"),
        }
    }
}

/// The file that says a scan is writing into the directory (or was killed
/// while it did): it comes before the previous outputs go, and goes after
/// the new `summary.json` is in place.
pub const IN_PROGRESS: &str = "in-progress";

/// `findings.jsonl.tmp`, `summary.json.tmp`, ...: outputs being written.
fn temporary(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".tmp");
    PathBuf::from(name)
}

impl OutputPaths {
    /// Every output, `summary.json` first: it marks a finished run, so it is
    /// the first to go and the last to come back.
    fn all(&self) -> [&Path; 5] {
        [
            &self.summary,
            &self.report,
            &self.exclusions,
            &self.checklist,
            &self.findings,
        ]
    }

    /// Where `findings.jsonl` is written while the scan runs.
    pub fn findings_in_progress(&self) -> PathBuf {
        temporary(&self.findings)
    }
}

fn remove_if_present(path: &Path) -> io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Start a run in `dir` and return `findings.jsonl.tmp`, open for writing.
///
/// The protocol (README, Outputs): the `in-progress` marker is written, then
/// every output of a previous run is removed (`summary.json` first), and only
/// then is the first finding written. A run killed at any point therefore
/// leaves the previous complete outputs, or its own partial ones without a
/// `summary.json`, never a mixture that looks complete.
pub fn begin_run(dir: &Path) -> anyhow::Result<File> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("creating output directory {}", dir.display()))?;
    let marker = dir.join(IN_PROGRESS);
    write_file(&marker, |w| {
        writeln!(
            w,
            "withhold {} (process {}) is writing a scan here. Without summary.json, the outputs \
             in this directory are not a finished scan.",
            env!("CARGO_PKG_VERSION"),
            std::process::id()
        )?;
        Ok(())
    })?;
    let paths = OutputPaths::in_dir(dir);
    for path in paths.all() {
        for p in [path.to_path_buf(), temporary(path)] {
            remove_if_present(&p)
                .with_context(|| format!("removing the previous run's {}", p.display()))?;
        }
    }
    let findings = paths.findings_in_progress();
    create_private(&findings).with_context(|| format!("creating {}", findings.display()))
}

/// `findings.jsonl.tmp` is complete: give it its name.
pub fn finish_findings(dir: &Path) -> anyhow::Result<()> {
    let paths = OutputPaths::in_dir(dir);
    let from = paths.findings_in_progress();
    std::fs::rename(&from, &paths.findings).with_context(|| {
        format!(
            "renaming {} to {}",
            from.display(),
            paths.findings.display()
        )
    })
}

/// Write every output but `findings.jsonl` (written while the scan runs):
/// `summary.json`, `exclusions.csv`, `checklist.md`, `report.html`. Each is
/// written under a temporary name, then all are renamed into place,
/// `summary.json` last, and the `in-progress` marker removed.
pub fn write_outputs(dir: &Path, summary: &Summary) -> anyhow::Result<OutputPaths> {
    write_rendered(
        dir,
        &summary.verdicts,
        &checklist::render(summary),
        &html::render(summary),
        &summary.to_json()?,
    )
}

/// [`write_outputs`] with the checklist, page and summary already rendered:
/// a report over several stores renders them its own way (grouped by
/// organization and site) and writes them the same way.
pub fn write_rendered(
    dir: &Path,
    verdicts: &[crate::rank::Verdict],
    checklist: &str,
    page: &str,
    summary_json: &str,
) -> anyhow::Result<OutputPaths> {
    let paths = OutputPaths::in_dir(dir);
    write_file(&temporary(&paths.exclusions), |w| {
        exclusions::write(w, verdicts)?;
        Ok(())
    })?;
    write_file(&temporary(&paths.checklist), |w| {
        w.write_all(checklist.as_bytes())?;
        Ok(())
    })?;
    write_file(&temporary(&paths.report), |w| {
        w.write_all(page.as_bytes())?;
        Ok(())
    })?;
    write_file(&temporary(&paths.summary), |w| {
        w.write_all(summary_json.as_bytes())?;
        w.write_all(b"\n")?;
        Ok(())
    })?;
    for path in [
        &paths.exclusions,
        &paths.checklist,
        &paths.report,
        &paths.summary,
    ] {
        let from = temporary(path);
        std::fs::rename(&from, path)
            .with_context(|| format!("renaming {} to {}", from.display(), path.display()))?;
    }
    remove_if_present(&dir.join(IN_PROGRESS))
        .with_context(|| format!("removing {}", dir.join(IN_PROGRESS).display()))?;
    Ok(paths)
}

fn write_file(
    path: &Path,
    body: impl FnOnce(&mut BufWriter<File>) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let file = create_private(path).with_context(|| format!("creating {}", path.display()))?;
    let mut w = BufWriter::new(file);
    body(&mut w)
        .and_then(|_| {
            // On disk before it is renamed into place: a rename that
            // survives a crash must not name an empty file.
            let file = w.into_inner().map_err(|e| e.into_error())?;
            file.sync_all()?;
            Ok(())
        })
        .with_context(|| format!("writing {}", path.display()))
}

/// What triage decisions removed, in words ("Triage removed 3 findings: 2
/// false-positive, 1 accepted-risk"); `None` when it removed nothing.
pub fn triaged_words(t: &summary::Totals) -> Option<String> {
    let n: u64 = t.triaged.values().sum();
    if n == 0 {
        return None;
    }
    let parts: Vec<String> = t.triaged.iter().map(|(d, k)| format!("{k} {d}")).collect();
    Some(format!(
        "Triage removed {n} finding{}: {}",
        if n == 1 { "" } else { "s" },
        parts.join(", ")
    ))
}

/// What a verdict's container is, in words: "Confluence space", "Jira
/// project", "Atlassian app", "google-drive connector, synced".
pub fn container_noun(v: &Verdict) -> String {
    match v.kind {
        ContainerKind::App => "Atlassian app".into(),
        ContainerKind::Connector => match &v.connector {
            Some(c) => format!("{} connector, {}", c.kind, c.sync),
            None => "connector".into(),
        },
        ContainerKind::Project => format!("{} project", app_name(v.product)),
        ContainerKind::Space => format!("{} space", app_name(v.product)),
        ContainerKind::Directory => "directory".into(),
    }
}

/// "complete", "partial: 5 of 9 items", "partial: listing incomplete", "failed", "inventory only".
pub fn coverage_words(c: &Coverage) -> String {
    match c.status {
        CoverageStatus::Complete => "complete".into(),
        // Every listed item read, yet partial: the listing itself broke off.
        CoverageStatus::Partial if c.items_scanned >= c.items_seen => {
            "partial: listing incomplete".into()
        }
        CoverageStatus::Partial => {
            format!("partial: {} of {} items", c.items_scanned, c.items_seen)
        }
        CoverageStatus::Failed => "failed".into(),
        CoverageStatus::Inventory => "inventory only".into(),
    }
}

/// Create (truncate) a file readable by its owner only: outputs may hold
/// masked values, fingerprints or, with `--reveal`, raw matches.
pub fn create_private(path: &Path) -> io::Result<File> {
    let mut opts = OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let file = opts.open(path)?;
    // An existing file keeps its old mode on open; tighten it explicitly.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(file)
}

/// Seconds since the epoch as an RFC 3339 UTC timestamp.
pub fn rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    )
}

/// What to do about secrets, said the same way in the checklist and the report.
pub const ROTATE_ADVICE: &str =
    "Secrets must be rotated (revoked and reissued) whatever is decided \
about contribution: excluding a container stops future contribution, it does not undo the exposure \
to everyone who could read the page or issue, nor what was contributed before. Then delete or \
redact them.";

/// "3 secrets" / "1 secret".
pub fn secrets_count(n: u64) -> String {
    format!("{n} {}", if n == 1 { "secret" } else { "secrets" })
}

#[cfg(test)]
mod tests {
    #[test]
    fn rfc3339_known_instants() {
        assert_eq!(super::rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::rfc3339(1_786_924_800), "2026-08-17T00:00:00Z");
        assert_eq!(super::rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }
}
