//! The forward pass over every rule, two documents at a time.
//!
//! A lazy DFA spends its time waiting: each transition is a table load that
//! depends on the previous one, so one search uses a fraction of what a core
//! can do. Walking two independent documents in lockstep overlaps the two
//! dependency chains and nearly doubles the bytes per second of the pass that
//! dominates detection.
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

    /// Scan `docs` two at a time. `sink` resolves every match; a document the
    /// DFA gives up on is returned so the caller can search it another way.
    pub(crate) fn scan(&self, docs: &[&[u8]], sink: &mut impl LaneSink) -> Vec<LaneGaveUp> {
        let mut cache = self.caches.get();
        let cache: &mut Cache = &mut cache;
        let mut gave_up = Vec::new();
        let mut next_doc = 0;
        let mut lanes: [Option<Lane<'_>>; 2] = [None, None];
        loop {
            // Keep both lanes busy while documents remain.
            for slot in lanes.iter_mut() {
                while slot.is_none() && next_doc < docs.len() {
                    let doc = next_doc;
                    next_doc += 1;
                    match self.start(cache, doc, docs[doc], 0) {
                        Ok(Some(lane)) => *slot = Some(lane),
                        Ok(None) => {}
                        Err(at) => gave_up.push(LaneGaveUp { doc, at }),
                    }
                }
            }
            match &mut lanes {
                [None, None] => break,
                [Some(a), Some(b)] => self.run_pair(cache, a, b),
                [Some(a), None] | [None, Some(a)] => self.run_one(cache, a),
            }
            // One careful step for each lane: tagged states, the end of the
            // document, and restarts after a match happen here.
            for slot in lanes.iter_mut() {
                let Some(lane) = slot else { continue };
                match self.step(cache, lane) {
                    Ok(Step::Continue) => {}
                    Ok(Step::Finished) => {
                        let next = match lane.mat {
                            Some((rule, end)) => sink.on_match(lane.doc, lane.from, rule, end),
                            None => None,
                        };
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

    /// Both lanes through untagged states, one byte each per turn.
    #[inline]
    fn run_pair(&self, cache: &Cache, a: &mut Lane<'_>, b: &mut Lane<'_>) {
        if a.sid.is_tagged() || b.sid.is_tagged() {
            return;
        }
        let (ha, hb) = (a.hay, b.hay);
        let (mut sa, mut sb) = (a.sid, b.sid);
        let (mut ia, mut ib) = (a.at, b.at);
        while ia < ha.len() && ib < hb.len() {
            let na = self.dfa.next_state_untagged(cache, sa, ha[ia]);
            let nb = self.dfa.next_state_untagged(cache, sb, hb[ib]);
            if na.is_tagged() || nb.is_tagged() {
                break;
            }
            sa = na;
            sb = nb;
            ia += 1;
            ib += 1;
        }
        a.sid = sa;
        a.at = ia;
        b.sid = sb;
        b.at = ib;
    }

    /// One lane through untagged states.
    #[inline]
    fn run_one(&self, cache: &Cache, a: &mut Lane<'_>) {
        if a.sid.is_tagged() {
            return;
        }
        let hay = a.hay;
        let (mut sid, mut at) = (a.sid, a.at);
        while at < hay.len() {
            let next = self.dfa.next_state_untagged(cache, sid, hay[at]);
            if next.is_tagged() {
                break;
            }
            sid = next;
            at += 1;
        }
        a.sid = sid;
        a.at = at;
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
