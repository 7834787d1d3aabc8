//! The forward pass over every rule, several documents at a time.
//!
//! A lazy DFA spends its time waiting: each transition is a table load that
//! depends on the previous one, so one search uses a fraction of what a core
//! can do. Walking several independent documents in lockstep (four lanes)
//! overlaps their dependency chains and multiplies the bytes per second of
//! the pass that dominates detection (BENCHMARKS.md has the figures).
//!
//! The pass reports, per document, each leftmost-first match as `(rule, end)`
//! exactly where regex-automata's own forward search would find it; the
//! caller recovers the start with that rule's own regex over at most the
//! rule's maximum length before `end`, and says where to search next.

use regex_automata::hybrid::dfa::{Cache, DFA};
use regex_automata::hybrid::LazyStateID;
use regex_automata::util::pool::Pool;
use regex_automata::Input;

type CachePool = Pool<
    Cache,
    Box<dyn Fn() -> Cache + Send + Sync + std::panic::RefUnwindSafe + std::panic::UnwindSafe>,
>;

/// The combined forward DFA of every rule, with a cache per thread.
pub(crate) struct LaneScanner {
    dfa: DFA,
    caches: CachePool,
}

impl std::fmt::Debug for LaneScanner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LaneScanner")
    }
}

/// The caller's side of a scan: resolves matches and supplies documents.
pub(crate) trait LaneSink {
    /// Rule `rule` matched in document `doc`, ending at `end`, searching from
    /// `from`. Returns where the search continues, or `None` to stop.
    fn on_match(&mut self, doc: usize, from: usize, rule: usize, end: usize) -> Option<usize>;
}

/// Why the DFA could not finish a document: the caller falls back to the
/// ordinary search for it.
#[derive(Debug)]
pub(crate) struct LaneGaveUp {
    pub doc: usize,
    pub at: usize,
}

/// Documents walked at once. Four overlap the DFA's table loads well on
/// current cores; more lanes break off more often for matches.
const LANES: usize = 4;

struct Lane<'h> {
    doc: usize,
    hay: &'h [u8],
    /// Where the current search started.
    from: usize,
    at: usize,
    sid: LazyStateID,
    /// The last match state seen: (rule, end).
    mat: Option<(usize, usize)>,
}

enum Step {
    Continue,
    /// The search from `from` is over; its result is the lane's `mat`.
    Finished,
}

impl LaneScanner {
    pub(crate) fn new(patterns: &[&str], cache_bytes: usize) -> Result<LaneScanner, String> {
        let dfa = DFA::builder()
            .configure(DFA::config().cache_capacity(cache_bytes))
            .syntax(crate::detect::rules::syntax_config())
            .thompson(
                regex_automata::nfa::thompson::Config::new()
                    .nfa_size_limit(Some(crate::detect::rules::NFA_SIZE_LIMIT)),
            )
            .build_many(patterns)
            .map_err(|e| e.to_string())?;
        let for_pool = dfa.clone();
        let create: Box<
            dyn Fn() -> Cache + Send + Sync + std::panic::RefUnwindSafe + std::panic::UnwindSafe,
        > = Box::new(move || for_pool.create_cache());
        Ok(LaneScanner {
            dfa,
            caches: Pool::new(create),
        })
    }

    /// Scan `docs` `LANES` at a time. `sink` resolves every match; a document the
    /// DFA gives up on is returned so the caller can search it another way.
    pub(crate) fn scan(&self, docs: &[&[u8]], sink: &mut impl LaneSink) -> Vec<LaneGaveUp> {
        let mut cache = self.caches.get();
        let cache: &mut Cache = &mut cache;
        let mut gave_up = Vec::new();
        let mut next_doc = 0;
        let mut lanes: [Option<Lane<'_>>; LANES] = std::array::from_fn(|_| None);
        let mut stale = false;
        loop {
            // Keep every lane busy while documents remain.
            for slot in lanes.iter_mut() {
                while slot.is_none() && next_doc < docs.len() {
                    let doc = next_doc;
                    next_doc += 1;
                    let clears = cache.clear_count();
                    match self.start(cache, doc, docs[doc], 0) {
                        Ok(Some(lane)) => *slot = Some(lane),
                        Ok(None) => {}
                        Err(at) => gave_up.push(LaneGaveUp { doc, at }),
                    }
                    if cache.clear_count() != clears {
                        stale = true;
                    }
                }
            }
            if stale {
                // A start state filled the cache and cleared it: every lane's
                // state id may point nowhere now.
                self.restart(cache, &mut lanes, None, &mut gave_up);
                stale = false;
            }
            // Busy lanes first, so the ones in use are a prefix.
            lanes.sort_by_key(Option::is_none);
            match &mut lanes {
                [None, ..] => break,
                [Some(a), Some(b), Some(c), Some(d)] => self.run_lockstep(cache, [a, b, c, d]),
                [Some(a), Some(b), Some(c), None] => self.run_lockstep(cache, [a, b, c]),
                [Some(a), Some(b), None, _] => self.run_lockstep(cache, [a, b]),
                [Some(a), None, _, _] => self.run_lockstep(cache, [a]),
            }
            // One careful step for each lane: tagged states, the end of the
            // document, and restarts after a match happen here.
            for i in 0..LANES {
                let clears = cache.clear_count();
                let Some(lane) = &mut lanes[i] else { continue };
                let stepped = self.step(cache, lane);
                if cache.clear_count() != clears {
                    // This step filled the lazy DFA's cache and cleared it:
                    // the other lanes' state ids point nowhere now.
                    if !self.restart(cache, &mut lanes, Some(i), &mut gave_up) {
                        continue;
                    }
                }
                let slot = &mut lanes[i];
                let Some(lane) = slot else { continue };
                match stepped {
                    Ok(Step::Continue) => {}
                    Ok(Step::Finished) => {
                        let next = match lane.mat {
                            Some((rule, end)) => sink.on_match(lane.doc, lane.from, rule, end),
                            None => None,
                        };
                        let clears = cache.clear_count();
                        let restarted = match next {
                            Some(from) => self.start(cache, lane.doc, lane.hay, from),
                            None => Ok(None),
                        };
                        match restarted {
                            Ok(l) => *slot = l,
                            Err(at) => {
                                gave_up.push(LaneGaveUp { doc: lane.doc, at });
                                *slot = None;
                            }
                        }
                        // A new start state can clear the cache too.
                        if cache.clear_count() != clears {
                            self.restart(cache, &mut lanes, Some(i), &mut gave_up);
                        }
                    }
                    Err(at) => {
                        gave_up.push(LaneGaveUp { doc: lane.doc, at });
                        *slot = None;
                    }
                }
            }
        }
        gave_up
    }

    /// After the cache was cleared: every lane but `keep` searches again from
    /// where its search started (nothing is reported before a search
    /// finishes, so nothing is lost or doubled). Should restarting clear the
    /// cache again, every lane goes to the ordinary search. Returns whether
    /// `keep` is still in place.
    fn restart(
        &self,
        cache: &mut Cache,
        lanes: &mut [Option<Lane<'_>>; LANES],
        keep: Option<usize>,
        gave_up: &mut Vec<LaneGaveUp>,
    ) -> bool {
        let clears = cache.clear_count();
        for (j, slot) in lanes.iter_mut().enumerate() {
            if Some(j) == keep {
                continue;
            }
            if let Some(l) = slot.take() {
                match self.start(cache, l.doc, l.hay, l.from) {
                    Ok(fresh) => *slot = fresh,
                    Err(at) => gave_up.push(LaneGaveUp { doc: l.doc, at }),
                }
            }
        }
        if cache.clear_count() == clears {
            return true;
        }
        for slot in lanes.iter_mut() {
            if let Some(l) = slot.take() {
                gave_up.push(LaneGaveUp {
                    doc: l.doc,
                    at: l.from,
                });
            }
        }
        false
    }

    fn start<'h>(
        &self,
        cache: &mut Cache,
        doc: usize,
        hay: &'h [u8],
        from: usize,
    ) -> Result<Option<Lane<'h>>, usize> {
        if from > hay.len() || (from == hay.len() && !hay.is_empty()) {
            return Ok(None);
        }
        let input = Input::new(hay).range(from..);
        let sid = self
            .dfa
            .start_state_forward(cache, &input)
            .map_err(|_| from)?;
        Ok(Some(Lane {
            doc,
            hay,
            from,
            at: from,
            sid,
            mat: None,
        }))
    }

    /// `K` lanes through untagged states, one byte each per turn: the
    /// transitions of different lanes do not depend on each other, so the
    /// processor overlaps their table loads.
    #[inline]
    fn run_lockstep<const K: usize>(&self, cache: &Cache, lanes: [&mut Lane<'_>; K]) {
        if lanes.iter().any(|l| l.sid.is_tagged()) {
            return;
        }
        let hays: [&[u8]; K] = std::array::from_fn(|k| lanes[k].hay);
        let mut sid: [LazyStateID; K] = std::array::from_fn(|k| lanes[k].sid);
        let mut at: [usize; K] = std::array::from_fn(|k| lanes[k].at);
        'walk: loop {
            let mut next = sid;
            for k in 0..K {
                let Some(&byte) = hays[k].get(at[k]) else {
                    break 'walk;
                };
                next[k] = self.dfa.next_state_untagged(cache, sid[k], byte);
            }
            if next.iter().any(|s| s.is_tagged()) {
                break;
            }
            sid = next;
            for a in at.iter_mut() {
                *a += 1;
            }
        }
        for (k, lane) in lanes.into_iter().enumerate() {
            lane.sid = sid[k];
            lane.at = at[k];
        }
    }

    /// One byte (or the end of input) with every case handled, as
    /// regex-automata's own forward search does: matches are delayed by one
    /// byte, so a match state entered on byte `at` is a match ending at `at`.
    fn step(&self, cache: &mut Cache, lane: &mut Lane<'_>) -> Result<Step, usize> {
        if lane.at >= lane.hay.len() {
            let sid = self
                .dfa
                .next_eoi_state(cache, lane.sid)
                .map_err(|_| lane.at)?;
            if sid.is_match() {
                let rule = self.dfa.match_pattern(cache, sid, 0).as_usize();
                lane.mat = Some((rule, lane.hay.len()));
            }
            return Ok(Step::Finished);
        }
        let sid = self
            .dfa
            .next_state(cache, lane.sid, lane.hay[lane.at])
            .map_err(|_| lane.at)?;
        lane.sid = sid;
        if sid.is_tagged() {
            if sid.is_match() {
                let rule = self.dfa.match_pattern(cache, sid, 0).as_usize();
                lane.mat = Some((rule, lane.at));
            } else if sid.is_dead() {
                return Ok(Step::Finished);
            } else if sid.is_quit() {
                return Err(lane.at);
            }
        }
        lane.at += 1;
        Ok(Step::Continue)
    }
}
