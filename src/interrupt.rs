//! Stopping a scan on SIGINT or SIGTERM without losing what was read.
//!
//! The first signal sets a flag: the crawler sends no further request (it
//! checks the flag before every request and every event), the pipeline scans
//! the batch in hand and stops taking items, and every output is written
//! marked `interrupted` (exit code 3). A second signal ends the process at
//! once (exit code 130); the output directory then shows a scan in progress
//! (no `summary.json`), never a complete-looking mixture.
//!
//! Signals belong to the process, so does the flag that [`watch_signals`]
//! sets ([`global`]); anything that must stop takes an [`Interrupt`] so that
//! a library user can stop a crawl with a flag of its own.

use crate::model::{CoverageStatus, Product};
use crate::report::summary::Summary;
use crate::sources::SourceEvent;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, OnceLock};

/// Which signal stopped the scan, as stored in the flag (0: none).
const SIGINT: u8 = 1;
const SIGTERM: u8 = 2;
/// Set by hand ([`Interrupt::set`]).
const REQUESTED: u8 = 3;

/// A shared "stop now" flag; clones share it.
#[derive(Debug, Clone, Default)]
pub struct Interrupt(Arc<AtomicU8>);

impl Interrupt {
    pub fn is_set(&self) -> bool {
        self.0.load(Ordering::Relaxed) != 0
    }

    /// Ask everything that holds this flag to stop.
    pub fn set(&self) {
        self.raise(REQUESTED);
    }

    /// What stopped the scan, in words: "SIGINT", "SIGTERM", "a stop request".
    pub fn cause(&self) -> Option<&'static str> {
        match self.0.load(Ordering::Relaxed) {
            0 => None,
            SIGINT => Some("SIGINT"),
            SIGTERM => Some("SIGTERM"),
            _ => Some("a stop request"),
        }
    }

    /// Set the flag; true when it was already set (a second signal).
    fn raise(&self, code: u8) -> bool {
        self.0
            .compare_exchange(0, code, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
    }
}

/// The process's flag, set by the signals [`watch_signals`] listens to.
pub fn global() -> &'static Interrupt {
    static FLAG: OnceLock<Interrupt> = OnceLock::new();
    FLAG.get_or_init(Interrupt::default)
}

/// Listen for SIGINT and SIGTERM from now on (on a thread of its own, so
/// offline scans without a runtime are covered too). Returns once the
/// handlers are in place: a signal right after cannot kill the process the
/// default way.
pub fn watch_signals(quiet: bool) -> std::io::Result<&'static Interrupt> {
    let flag = global();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<std::io::Result<()>>();
    std::thread::Builder::new()
        .name("withhold-signals".into())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(r) => r,
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                    return;
                }
            };
            runtime.block_on(listen(flag, quiet, ready_tx));
        })?;
    ready_rx
        .recv()
        .map_err(|_| std::io::Error::other("the signal thread stopped before listening"))??;
    Ok(flag)
}

#[cfg(unix)]
async fn listen(
    flag: &'static Interrupt,
    quiet: bool,
    ready: std::sync::mpsc::Sender<std::io::Result<()>>,
) {
    use tokio::signal::unix::{signal, SignalKind};
    let handlers = signal(SignalKind::interrupt())
        .and_then(|i| signal(SignalKind::terminate()).map(|t| (i, t)));
    let (mut int, mut term) = match handlers {
        Ok(h) => h,
        Err(e) => {
            let _ = ready.send(Err(e));
            return;
        }
    };
    let _ = ready.send(Ok(()));
    loop {
        let code = tokio::select! {
            _ = int.recv() => SIGINT,
            _ = term.recv() => SIGTERM,
        };
        on_signal(flag, code, quiet);
    }
}

#[cfg(not(unix))]
async fn listen(
    flag: &'static Interrupt,
    quiet: bool,
    ready: std::sync::mpsc::Sender<std::io::Result<()>>,
) {
    let _ = ready.send(Ok(()));
    while tokio::signal::ctrl_c().await.is_ok() {
        on_signal(flag, SIGINT, quiet);
    }
}

fn on_signal(flag: &Interrupt, code: u8, quiet: bool) {
    if flag.raise(code) {
        eprintln!("withhold: interrupted again: stopping at once; the outputs were not written");
        std::process::exit(130);
    }
    if !quiet {
        eprintln!(
            "withhold: interrupted: no further requests; scanning what was read and writing \
             the outputs marked interrupted (interrupt again to stop at once)"
        );
    }
}

/// The events of a source until `flag` is set; after it, items are dropped
/// but what the source says about containers still counts (a container
/// announced is listed in the outputs, as partial or unread).
pub fn until_interrupted<'a>(
    events: impl IntoIterator<Item = SourceEvent> + 'a,
    flag: &'a Interrupt,
) -> impl Iterator<Item = SourceEvent> + 'a {
    events.into_iter().filter(move |e| {
        !(flag.is_set()
            && matches!(
                e,
                SourceEvent::Unit(_) | SourceEvent::Documents(_) | SourceEvent::Finished
            ))
    })
}

/// Mark a summary interrupted: no container is complete any more (items
/// after the signal were not read), one with nothing read is unread
/// (`failed`), and the `unlisted` products may have containers never listed.
pub fn mark_interrupted(summary: &mut Summary, cause: &str, unlisted: &[Product]) {
    let reason = format!("the scan was interrupted ({cause}) before everything was read");
    for c in &mut summary.containers {
        let cov = &mut c.coverage;
        if cov.status == CoverageStatus::Inventory {
            // A connector's record comes from the inventory file, read whole.
            continue;
        }
        if cov.status == CoverageStatus::Complete {
            cov.status = CoverageStatus::Partial;
        }
        if cov.items_scanned == 0 {
            cov.status = CoverageStatus::Failed;
        }
        cov.reasons.push(reason.clone());
    }
    for product in unlisted {
        summary
            .totals
            .incomplete_products
            .entry(*product)
            .or_default()
            .push(reason.clone());
    }
    summary.totals.warnings.push(reason.clone());
    summary.run.interrupted = true;
    summary.run.interruption = Some(reason);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_cause_is_kept_and_a_second_is_noticed() {
        let flag = Interrupt::default();
        assert!(!flag.is_set());
        assert!(!flag.raise(SIGTERM));
        assert!(flag.raise(SIGINT));
        assert_eq!(flag.cause(), Some("SIGTERM"));
        let clone = flag.clone();
        assert!(clone.is_set());
    }
}
