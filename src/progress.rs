//! Progress for long scans: one bar per product on a terminal (containers
//! listed of those seen, with an ETA), a plain line
//! every few seconds otherwise, nothing with `--quiet`.
//!
//! While the crawl waits out a server's rate-limit window, one more line says
//! so, with the wall-clock time it waits until (UTC), so that a long pause is
//! never mistaken for a hang.
//!
//! Counters are atomics the crawler and the pipeline bump from any thread; a
//! background thread renders them. Only counts are ever shown: never a token,
//! a URL with credentials, or a matched value.

use crate::model::Product;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressMode {
    Bars,
    Lines,
    Quiet,
}

impl ProgressMode {
    /// Bars on a terminal, lines otherwise, nothing when quiet.
    pub fn detect(quiet: bool) -> ProgressMode {
        if quiet {
            ProgressMode::Quiet
        } else if std::io::stderr().is_terminal() {
            ProgressMode::Bars
        } else {
            ProgressMode::Lines
        }
    }
}

/// The counts of one product.
#[derive(Debug, Default)]
pub struct ProductCounters {
    /// Containers seen so far.
    pub containers_total: AtomicU64,
    /// Containers whose own listing is over (Confluence comments come after,
    /// from site-wide listings): the basis of the ETA.
    pub containers_done: AtomicU64,
    pub items: AtomicU64,
    pub requests: AtomicU64,
    pub retries: AtomicU64,
}

impl ProductCounters {
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }
}

const PRODUCTS: [Product; 3] = [Product::Confluence, Product::Jira, Product::Jsm];

/// Shared counters for every product.
#[derive(Debug, Default)]
pub struct Counters {
    confluence: ProductCounters,
    jira: ProductCounters,
    jsm: ProductCounters,
    other: ProductCounters,
    /// The end of the latest rate-limit wait, in Unix seconds (0: none yet).
    waiting_until: AtomicU64,
    /// Things the user should know now (a change of strategy), printed once.
    notes: Mutex<Vec<String>>,
}

impl Counters {
    /// A line to print once, as soon as the display next draws. It must hold
    /// counts and product words only, never content.
    pub fn note(&self, line: String) {
        if let Ok(mut n) = self.notes.lock() {
            n.push(line);
        }
    }

    /// The notes not printed yet.
    fn take_notes(&self) -> Vec<String> {
        self.notes
            .lock()
            .map(|mut n| std::mem::take(&mut *n))
            .unwrap_or_default()
    }

    /// A request waits for the server's rate limit until `until`.
    pub fn waiting_until(&self, until: SystemTime) {
        let secs = until
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs_f64().ceil() as u64);
        self.waiting_until.fetch_max(secs, Ordering::Relaxed);
    }

    /// The waiting line, while a wait is still running at `now`.
    pub fn waiting_line(&self, now: SystemTime) -> Option<String> {
        let until = self.waiting_until.load(Ordering::Relaxed);
        let now = now.duration_since(UNIX_EPOCH).ok()?.as_secs();
        if until <= now {
            return None;
        }
        let at = jiff::Timestamp::from_second(i64::try_from(until).ok()?).ok()?;
        Some(format!(
            "waiting for the server's rate limit until {} UTC",
            at.strftime("%H:%M:%S")
        ))
    }

    pub fn product(&self, p: Product) -> &ProductCounters {
        match p {
            Product::Confluence => &self.confluence,
            Product::Jira => &self.jira,
            Product::Jsm => &self.jsm,
            Product::Connector | Product::Files => &self.other,
        }
    }
}

/// A snapshot turned into words.
fn describe(p: Product, c: &ProductCounters, elapsed: Duration) -> String {
    let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
    let requests = load(&c.requests);
    let rate = requests as f64 / elapsed.as_secs_f64().max(0.001);
    format!(
        "{}: {}/{} containers, {} items, {} requests ({:.1}/s), {} retries",
        p.as_str(),
        load(&c.containers_done),
        load(&c.containers_total),
        load(&c.items),
        requests,
        rate,
        load(&c.retries)
    )
}

/// Renders [`Counters`] until finished.
pub struct Progress {
    counters: Arc<Counters>,
    stop: Arc<AtomicBool>,
    renderer: Mutex<Option<JoinHandle<()>>>,
}

/// How often bars redraw and plain lines are printed.
const BAR_TICK: Duration = Duration::from_millis(250);
const LINE_EVERY: Duration = Duration::from_secs(10);

impl Progress {
    pub fn start(mode: ProgressMode) -> Progress {
        let counters = Arc::new(Counters::default());
        let stop = Arc::new(AtomicBool::new(false));
        let renderer = match mode {
            ProgressMode::Quiet => None,
            ProgressMode::Bars => Some(spawn_bars(counters.clone(), stop.clone())),
            ProgressMode::Lines => Some(spawn_lines(counters.clone(), stop.clone())),
        };
        Progress {
            counters,
            stop,
            renderer: Mutex::new(renderer),
        }
    }

    pub fn counters(&self) -> Arc<Counters> {
        self.counters.clone()
    }

    /// Stop rendering (the last state stays on screen).
    pub fn finish(&self) {
        self.stop.store(true, Ordering::Relaxed);
        let handle = self.renderer.lock().ok().and_then(|mut h| h.take());
        if let Some(h) = handle {
            let _ = h.join();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

fn active(c: &ProductCounters) -> bool {
    c.containers_total.load(Ordering::Relaxed) > 0 || c.requests.load(Ordering::Relaxed) > 0
}

fn spawn_bars(counters: Arc<Counters>, stop: Arc<AtomicBool>) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let started = Instant::now();
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template("{bar:20} [{elapsed_precise}, ETA {eta}] {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        let bars: Vec<(Product, ProgressBar)> = PRODUCTS
            .iter()
            .map(|&p| {
                let bar = multi.add(ProgressBar::new(0));
                bar.set_style(style.clone());
                (p, bar)
            })
            .collect();
        let waiting = multi.add(ProgressBar::new_spinner());
        loop {
            let done = stop.load(Ordering::Relaxed);
            for line in counters.take_notes() {
                let _ = multi.println(format!("withhold: {line}"));
            }
            match counters.waiting_line(SystemTime::now()) {
                Some(line) if !done => waiting.set_message(line),
                _ => waiting.set_message(""),
            }
            for (p, bar) in &bars {
                let c = counters.product(*p);
                if !active(c) {
                    continue;
                }
                bar.set_length(c.containers_total.load(Ordering::Relaxed));
                bar.set_position(c.containers_done.load(Ordering::Relaxed));
                bar.set_message(describe(*p, c, started.elapsed()));
            }
            if done {
                waiting.finish_and_clear();
                for (_, bar) in &bars {
                    bar.abandon();
                }
                break;
            }
            std::thread::sleep(BAR_TICK);
        }
    })
}

fn spawn_lines(counters: Arc<Counters>, stop: Arc<AtomicBool>) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let started = Instant::now();
        let mut last = Instant::now();
        loop {
            let done = stop.load(Ordering::Relaxed);
            for line in counters.take_notes() {
                eprintln!("withhold: {line}");
            }
            if done || last.elapsed() >= LINE_EVERY {
                last = Instant::now();
                if let Some(line) = counters.waiting_line(SystemTime::now()) {
                    eprintln!("withhold: {line}");
                }
                for p in PRODUCTS {
                    let c = counters.product(p);
                    if active(c) {
                        eprintln!("withhold: {}", describe(p, c, started.elapsed()));
                    }
                }
            }
            if done {
                break;
            }
            std::thread::sleep(BAR_TICK);
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_hold_counts_only() {
        let c = ProductCounters::default();
        ProductCounters::add(&c.containers_total, 4);
        ProductCounters::add(&c.containers_done, 1);
        ProductCounters::add(&c.items, 250);
        ProductCounters::add(&c.requests, 20);
        ProductCounters::add(&c.retries, 2);
        let line = describe(Product::Jira, &c, Duration::from_secs(10));
        assert_eq!(
            line,
            "jira: 1/4 containers, 250 items, 20 requests (2.0/s), 2 retries"
        );
    }

    #[test]
    fn the_waiting_line_names_the_wall_clock_end_in_utc() {
        let c = Counters::default();
        let now = UNIX_EPOCH + Duration::from_secs(1_796_409_600); // 2026-12-04T18:40:00Z
        assert_eq!(c.waiting_line(now), None);
        c.waiting_until(now + Duration::from_secs(127));
        assert_eq!(
            c.waiting_line(now).as_deref(),
            Some("waiting for the server's rate limit until 18:42:07 UTC")
        );
        // An earlier end never hides a later one; a past one shows nothing.
        c.waiting_until(now + Duration::from_secs(5));
        assert!(c.waiting_line(now).unwrap().contains("18:42:07"));
        assert_eq!(c.waiting_line(now + Duration::from_secs(200)), None);
    }

    #[test]
    fn quiet_progress_starts_and_finishes_without_a_thread() {
        let p = Progress::start(ProgressMode::Quiet);
        ProductCounters::add(&p.counters().product(Product::Confluence).items, 3);
        p.finish();
        assert_eq!(
            p.counters()
                .product(Product::Confluence)
                .items
                .load(Ordering::Relaxed),
            3
        );
    }
}
