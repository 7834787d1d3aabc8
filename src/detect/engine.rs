//! The compiled detection engine (DESIGN §5).
//!
//! Built once, `Sync`, shared by reference across rayon threads. Per document:
//! one leftmost-first pass of one lazy DFA over every rule (four documents
//! of a batch walked at once, see `lanes`), then per hit only what that hit's
//! rule needs (its start and `value` group from the rule's own regex, its
//! validator, reject pattern, context window); one pass of the client
//! dictionary; allow lists last. A candidate that fails its rule is retried,
//! anchored at the same place, against the lower-priority rules, so that one
//! rule's rejected span cannot hide another rule's real value.

use crate::detect::allow::AllowList;
use crate::detect::context::ContextMatcher;
use crate::detect::dictionary::{ClientDictionary, ClientHit};
use crate::detect::fingerprint::{normalize_value, Fingerprinter};
use crate::detect::lanes::{LaneScanner, LaneSink};
use crate::detect::mask::mask;
use crate::detect::placeholder::{self, Stand};
use crate::detect::prefilter::{literal_prefixes, LiteralTier, Prefixes};
use crate::detect::rules::{
    parse_hir, syntax_config, Rule, RuleSet, CHECKSUM_FAILED_CONFIDENCE, NFA_SIZE_LIMIT,
};
use crate::detect::token_checks::shannon_entropy;
use crate::model::{Category, Document, Finding, Origin, Severity};
use regex_automata::util::captures::Captures;
use regex_automata::{meta, Anchored, Input, PatternID};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The rule id and entity of client-name findings.
pub const CLIENT_RULE_ID: &str = "client.name";
pub const CLIENT_ENTITY: &str = "CLIENT_NAME";

/// Confidence given to documentation and test values.
const TEST_VALUE_CONFIDENCE: f32 = 0.05;
/// Documents larger than this are scanned in overlapping windows so that one
/// huge page cannot monopolise a worker's memory for findings and captures.
const WINDOW_BYTES: usize = 8 << 20;
/// Overlap between windows: longer than any value a rule reports.
const WINDOW_OVERLAP: usize = 64 << 10;
/// The lazy DFA's cache per thread; the 2 MiB default thrashes on ~50 rules.
const DFA_CACHE_BYTES: usize = 16 << 20;

/// How far past a generic value a specific token may run (see
/// `specific_rule_inside`).
const SPECIFIC_LOOKAHEAD: usize = 1024;
/// How far before a generic value a specific rule's match may begin.
const SPECIFIC_LEAD_IN: usize = 8;

/// Options that shape what the engine reports.
#[derive(Debug, Clone, Default)]
pub struct EngineOptions {
    /// Keep the raw matched value in findings (`--reveal`).
    pub reveal: bool,
}

/// What one document yielded.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct DocumentScan {
    pub findings: Vec<Finding>,
    /// Candidates the allow list removed, by reason and entity.
    pub suppressed: BTreeMap<(&'static str, String), u64>,
}

/// One compiled engine.
#[derive(Debug)]
pub struct Engine {
    /// The DFA tier's rules first (`..dfa_rules`, in priority order, their
    /// index is their pattern id in `regex` and `lanes`), then the literal
    /// tier's (in priority order).
    rules: Vec<Rule>,
    dfa_rules: usize,
    /// The rules whose matches start with a literal, found by one automaton.
    literal_tier: Option<LiteralTier>,
    regex: Option<meta::Regex>,
    /// Per rule: its id and entity, shared by all its findings.
    labels: Vec<(Arc<str>, Arc<str>)>,
    client_labels: (Arc<str>, Arc<str>),
    /// Per rule: its pattern alone, to recover a match's start and `value`
    /// group cheaply (capture engines over every rule's NFA cost microseconds).
    own_regex: Vec<meta::Regex>,
    /// Per rule: whether its `value` group is narrower than the whole match.
    needs_captures: Vec<bool>,
    /// Per rule: the longest match it can produce, when bounded.
    max_len: Vec<Option<usize>>,
    /// The forward pass over several documents at a time.
    lanes: Option<LaneScanner>,
    /// Per rule: the bytes a match can start with, so that retries after a
    /// rejected candidate skip the rules that cannot match there.
    first_bytes: Vec<ByteSet>,
    context: ContextMatcher,
    clients: Option<ClientDictionary>,
    allow: AllowList,
    fingerprinter: Fingerprinter,
    options: EngineOptions,
}

/// Resolves the lane scanner's matches into candidates.
struct Resolver<'e, 't, 'o> {
    engine: &'e Engine,
    texts: &'t [&'t str],
    out: &'o mut [Vec<Candidate>],
    caps: Vec<Option<Captures>>,
}

impl LaneSink for Resolver<'_, '_, '_> {
    fn on_match(&mut self, doc: usize, from: usize, rule: usize, end: usize) -> Option<usize> {
        let e = self.engine;
        let text = self.texts[doc];
        let bytes = text.as_bytes();
        // The match starts within the rule's maximum length of its end, and
        // the rule's own leftmost match there is the combined search's match.
        let lo = e.max_len[rule].map_or(from, |n| end.saturating_sub(n).max(from));
        let own = &e.own_regex[rule];
        let found = own
            .search(&Input::new(bytes).range(lo..end))
            .filter(|m| m.end() == end)
            .map(|m| (rule, m.start()))
            .or_else(|| {
                // Never expected (tests assert it); the combined regex settles it.
                debug_assert!(false, "rule {rule} match ending at {end} not resolved");
                let re = e.regex.as_ref()?;
                let m = re.search(&Input::new(bytes).range(from..))?;
                Some((m.pattern().as_usize(), m.start()))
            });
        let (rule, start) = found?;
        if self.caps.len() != e.rules.len() {
            self.caps.clear();
            self.caps.resize_with(e.rules.len(), || None);
        }
        Some(e.handle_hit(
            &mut self.caps,
            text,
            rule,
            start,
            end,
            text.len(),
            &mut self.out[doc],
        ))
    }
}

/// A value on its way to becoming a finding.
struct Pending<'a> {
    labels: &'a (Arc<str>, Arc<str>),
    category: Category,
    severity: Severity,
    confidence: f32,
    start: usize,
    end: usize,
    /// The value as fingerprinted and masked (a client's canonical name).
    value: &'a str,
    test_value: bool,
}

/// A value a rule accepted, before allow lists and masking.
struct Candidate {
    rule: usize,
    start: usize,
    end: usize,
    confidence: f32,
    test_value: bool,
}

impl Engine {
    /// Compile the engine from a rule set and the optional dictionary and allow list.
    pub fn new(
        rule_set: &RuleSet,
        clients: Option<ClientDictionary>,
        allow: AllowList,
        fingerprinter: Fingerprinter,
        options: EngineOptions,
    ) -> anyhow::Result<Engine> {
        let mut rules = rule_set.rules.clone();
        // Pattern order is priority order: at the same start, leftmost-first
        // picks the earlier pattern, i.e. the more specific rule.
        rules.sort_by_key(|r| std::cmp::Reverse(r.priority));
        // Rules whose matches start with a literal go to the literal tier;
        // the stable partition keeps each tier in priority order.
        let prefixes: Vec<Option<Prefixes>> =
            rules.iter().map(|r| literal_prefixes(&r.pattern)).collect();
        let (mut tiered, mut literal): (Vec<_>, Vec<_>) = rules
            .into_iter()
            .zip(prefixes)
            .partition(|(_, p)| p.is_none());
        let dfa_rules = tiered.len();
        tiered.append(&mut literal);
        let mut literal_prefixes_of = Vec::new();
        let rules: Vec<Rule> = tiered
            .into_iter()
            .enumerate()
            .map(|(i, (rule, prefixes))| {
                if let Some(p) = prefixes {
                    literal_prefixes_of.push((i, p));
                }
                rule
            })
            .collect();
        let literal_tier = LiteralTier::new(&literal_prefixes_of);
        let dfa_patterns: Vec<&str> = rules[..dfa_rules]
            .iter()
            .map(|r| r.pattern.as_str())
            .collect();
        let regex = if dfa_patterns.is_empty() {
            None
        } else {
            let patterns = &dfa_patterns;
            Some(
                meta::Builder::new()
                    .configure(
                        meta::Config::new()
                            .hybrid_cache_capacity(DFA_CACHE_BYTES)
                            .nfa_size_limit(Some(NFA_SIZE_LIMIT)),
                    )
                    .syntax(syntax_config())
                    .build_many(patterns)
                    .map_err(|e| anyhow::anyhow!("compiling the rules together failed: {e}"))?,
            )
        };
        let mut own_regex = Vec::with_capacity(rules.len());
        let mut needs_captures = Vec::with_capacity(rules.len());
        let mut max_len = Vec::with_capacity(rules.len());
        for r in &rules {
            // Compiled when the pack loaded, with the same syntax settings.
            let re = r.regex.clone();
            let has_value = re.group_info().to_index(PatternID::ZERO, "value").is_some();
            // `\b(?P<value>…)\b` reports the whole match: no captures needed.
            needs_captures.push(has_value && !value_is_whole_match(&r.pattern));
            max_len.push(max_match_len(&r.pattern));
            own_regex.push(re);
        }
        let lanes = if dfa_patterns.is_empty() {
            None
        } else {
            Some(
                LaneScanner::new(&dfa_patterns, DFA_CACHE_BYTES)
                    .map_err(|e| anyhow::anyhow!("compiling the rules' forward DFA failed: {e}"))?,
            )
        };
        let first_bytes = rules
            .iter()
            .map(|r| ByteSet::first_bytes_of(&r.pattern))
            .collect();
        let context = ContextMatcher::new(rules.iter().enumerate().filter_map(|(i, r)| {
            r.context
                .as_ref()
                .map(|c| (i as u32, c.words.as_slice(), c.deny.as_slice()))
        }));
        let labels = rules
            .iter()
            .map(|r| (Arc::from(r.id.as_str()), Arc::from(r.entity.as_str())))
            .collect();
        Ok(Engine {
            dfa_rules,
            literal_tier,
            labels,
            client_labels: (Arc::from(CLIENT_RULE_ID), Arc::from(CLIENT_ENTITY)),
            rules,
            regex,
            own_regex,
            needs_captures,
            max_len,
            lanes,
            first_bytes,
            context,
            clients,
            allow,
            fingerprinter,
            options,
        })
    }

    /// The rules: the DFA tier's, then the literal tier's, each in priority order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn clients(&self) -> Option<&ClientDictionary> {
        self.clients.as_ref()
    }

    /// Scan one document.
    pub fn scan(&self, doc: &Document) -> DocumentScan {
        self.scan_batch(&[doc]).pop().unwrap_or_default()
    }

    /// Scan several documents; the results are in the same order. Batches let
    /// the forward pass walk several documents at once.
    pub fn scan_batch(&self, docs: &[&Document]) -> Vec<DocumentScan> {
        let mut candidates: Vec<Vec<Candidate>> = docs.iter().map(|_| Vec::new()).collect();
        let (mut small, large): (Vec<usize>, Vec<usize>) =
            (0..docs.len()).partition(|&i| docs[i].text.len() <= WINDOW_BYTES);
        // Longest first: the two lanes then stay paired until the short tail.
        small.sort_by_key(|&i| std::cmp::Reverse(docs[i].text.len()));
        let texts: Vec<&str> = small.iter().map(|&i| docs[i].text.as_str()).collect();
        let mut found: Vec<Vec<Candidate>> = small.iter().map(|_| Vec::new()).collect();
        self.find_candidates_many(&texts, &mut found);
        for (i, c) in small.into_iter().zip(found) {
            candidates[i] = c;
        }
        for i in large {
            self.find_candidates_windowed(&docs[i].text, &mut candidates[i]);
        }
        if self.literal_tier.is_some() {
            // Capture slots, allocated on a batch's first hit that needs them.
            let mut caps: Vec<Option<Captures>> = Vec::new();
            for (doc, c) in docs.iter().zip(candidates.iter_mut()) {
                let literal = self.literal_candidates(&mut caps, &doc.text);
                if !literal.is_empty() {
                    *c = self.merge(std::mem::take(c), literal);
                }
            }
        }
        docs.iter()
            .zip(candidates)
            .map(|(doc, c)| self.finish(doc, c))
            .collect()
    }

    /// A huge document in overlapping windows, so one page cannot hold a
    /// worker for long or produce unbounded intermediate state.
    fn find_candidates_windowed(&self, text: &str, candidates: &mut Vec<Candidate>) {
        let mut start = 0;
        while start < text.len() {
            let end = floor_char_boundary(text, (start + WINDOW_BYTES).min(text.len()));
            let before = candidates.len();
            self.find_candidates(text, start, end, candidates);
            // A value that starts in the overlap is found again by the next window.
            let next = if end == text.len() {
                end
            } else {
                floor_char_boundary(text, end - WINDOW_OVERLAP)
            };
            if end != text.len() {
                let mut i = before;
                while i < candidates.len() {
                    if candidates[i].start >= next {
                        candidates.remove(i);
                    } else {
                        i += 1;
                    }
                }
            }
            if next <= start {
                break;
            }
            start = next;
        }
    }

    /// The literal tier over one document: each rule's own regex, anchored
    /// where one of its literals occurs.
    fn literal_candidates(&self, caps: &mut Vec<Option<Captures>>, text: &str) -> Vec<Candidate> {
        let Some(tier) = &self.literal_tier else {
            return Vec::new();
        };
        let bytes = text.as_bytes();
        let mut out = Vec::new();
        // (start, rule) pairs tried, so two literals of one rule at one
        // place run its regex once.
        let mut tried: Vec<(usize, usize)> = Vec::new();
        tier.hits(bytes, |start, rule| {
            if tried.contains(&(start, rule)) {
                return;
            }
            if tried.len() >= 64 {
                tried.clear();
            }
            tried.push((start, rule));
            let limit = self.max_len[rule].map_or(bytes.len(), |n| (start + n).min(bytes.len()));
            let input = Input::new(bytes)
                .range(start..limit)
                .anchored(Anchored::Yes);
            if let Some(m) = self.own_regex[rule].search(&input) {
                if let Some(c) = self.evaluate(caps, text, rule, m.start(), m.end()) {
                    out.push(c);
                }
            }
        });
        out.sort_by_key(|c| (c.start, std::cmp::Reverse(c.end)));
        out
    }

    /// The two tiers' candidates as one list without overlaps, with the
    /// single pass's rules: where two overlap the earlier start wins, at the
    /// same start the higher priority (then the longer); a keyword-anchored
    /// secret gives way to a more specific rule's token inside it.
    fn merge(&self, dfa: Vec<Candidate>, literal: Vec<Candidate>) -> Vec<Candidate> {
        let mut all = dfa;
        all.extend(literal);
        all.sort_by_key(|c| (c.start, std::cmp::Reverse(c.end)));
        let mut out: Vec<Candidate> = Vec::with_capacity(all.len());
        for c in all {
            if let Some(last) = out.last_mut() {
                if c.start < last.end {
                    if self.replaces(&c, last) {
                        *last = c;
                    }
                    continue;
                }
            }
            out.push(c);
        }
        out
    }

    /// Whether `c`, starting at or after `last` and overlapping it, wins.
    fn replaces(&self, c: &Candidate, last: &Candidate) -> bool {
        let (pc, pl) = (self.rules[c.rule].priority, self.rules[last.rule].priority);
        if c.start == last.start {
            return pc > pl || (pc == pl && c.end > last.end);
        }
        pc > pl
            && self.rules[last.rule].category == Category::Secret
            && self.needs_captures[last.rule]
    }

    /// Client names, allow lists, masking and fingerprints for one document.
    fn finish(&self, doc: &Document, candidates: Vec<Candidate>) -> DocumentScan {
        let mut out = DocumentScan::default();
        let text = doc.text.as_str();
        let mut origin: Option<Arc<Origin>> = None;
        for c in &candidates {
            let rule = &self.rules[c.rule];
            self.emit(
                doc,
                &mut origin,
                Pending {
                    labels: &self.labels[c.rule],
                    category: rule.category,
                    severity: rule.severity,
                    confidence: c.confidence,
                    start: c.start,
                    end: c.end,
                    value: &text[c.start..c.end],
                    test_value: c.test_value,
                },
                &mut out,
            );
        }
        if let Some(dict) = &self.clients {
            let mut hits: Vec<ClientHit> = Vec::new();
            dict.find(text, &mut hits);
            for h in hits {
                // A name inside a more specific finding (an email's domain) is that finding.
                if candidates
                    .iter()
                    .any(|c| h.start < c.end && c.start < h.end)
                {
                    continue;
                }
                let client = &dict.clients()[h.client as usize];
                let confidence = if h.context || !client.ordinary_word {
                    0.9
                } else {
                    0.7
                };
                self.emit_client(
                    doc,
                    &mut origin,
                    &client.name,
                    confidence,
                    (h.start, h.end),
                    &mut out,
                );
            }
        }
        out.findings.sort_by_key(|f| (f.start, f.end));
        out
    }

    /// The ordinary search: one meta-regex search per hit. Used for windows
    /// of huge documents and where the lane DFA gives up.
    fn find_candidates(&self, text: &str, from: usize, to: usize, out: &mut Vec<Candidate>) {
        let Some(re) = &self.regex else { return };
        // Per rule, allocated on the first hit of the document that needs it.
        let mut caps: Vec<Option<Captures>> = Vec::new();
        let mut pos = from;
        while pos < to {
            let input = Input::new(text.as_bytes()).range(pos..to);
            let Some(m) = re.search(&input) else { break };
            pos = self.handle_hit(
                &mut caps,
                text,
                m.pattern().as_usize(),
                m.start(),
                m.end(),
                to,
                out,
            );
        }
    }

    /// Evaluate the leftmost-first hit of rule `pid` at `[start, end)`; if it
    /// is rejected, try the lower-priority rules anchored at the same start.
    /// Returns where the search continues.
    #[allow(clippy::too_many_arguments)]
    fn handle_hit(
        &self,
        caps: &mut Vec<Option<Captures>>,
        text: &str,
        pid: usize,
        start: usize,
        end: usize,
        to: usize,
        out: &mut Vec<Candidate>,
    ) -> usize {
        let bytes = text.as_bytes();
        let mut accepted = self.evaluate(caps, text, pid, start, end);
        if accepted.is_none() {
            if let (Some(re), Some(&first)) = (&self.regex, bytes.get(start)) {
                for q in pid + 1..self.dfa_rules {
                    if !self.first_bytes[q].contains(first) {
                        continue;
                    }
                    let anchored = Input::new(bytes)
                        .range(start..to)
                        .anchored(Anchored::Pattern(PatternID::new_unchecked(q)));
                    if let Some(m2) = re.search(&anchored) {
                        accepted = self.evaluate(caps, text, q, m2.start(), m2.end());
                        if accepted.is_some() {
                            break;
                        }
                    }
                }
            }
        }
        match accepted {
            Some(c) => {
                let next = c.end.max(start + 1);
                out.push(c);
                next
            }
            None => start + 1,
        }
    }

    /// Candidates of many documents: the forward pass runs several documents at
    /// a time (see `lanes`), each reported match is resolved to its start by its
    /// own rule's regex, over at most the rule's maximum length.
    fn find_candidates_many(&self, texts: &[&str], out: &mut [Vec<Candidate>]) {
        let Some(lanes) = &self.lanes else { return };
        let hays: Vec<&[u8]> = texts.iter().map(|t| t.as_bytes()).collect();
        let mut sink = Resolver {
            engine: self,
            texts,
            out,
            caps: Vec::new(),
        };
        let gave_up = lanes.scan(&hays, &mut sink);
        for g in gave_up {
            // Rare: the DFA's cache thrashed. Finish that document the ordinary way.
            let text = texts[g.doc];
            let from = sink.out[g.doc].last().map_or(0, |c| c.end).min(g.at);
            self.find_candidates(text, from, text.len(), &mut sink.out[g.doc]);
        }
    }

    /// Decide whether rule `idx`'s match at `[start, end)` is a value to report.
    #[allow(clippy::too_many_arguments)]
    fn evaluate(
        &self,
        caps: &mut Vec<Option<Captures>>,
        text: &str,
        idx: usize,
        start: usize,
        end: usize,
    ) -> Option<Candidate> {
        let rule = &self.rules[idx];
        let (vs, ve) = match self.needs_captures[idx].then(|| &self.own_regex[idx]) {
            Some(own) => {
                if caps.is_empty() {
                    caps.resize_with(self.rules.len(), || None);
                }
                let caps = &mut caps[idx];
                let caps = caps.get_or_insert_with(|| own.create_captures());
                // The same leftmost-first match, so its span bounds the search;
                // look-arounds still see the bytes on either side.
                let input = Input::new(text.as_bytes())
                    .range(start..end)
                    .anchored(Anchored::Yes);
                own.search_captures(&input, caps);
                let span = caps.get_group_by_name("value")?;
                (span.start, span.end)
            }
            None => (start, end),
        };
        if vs >= ve || !text.is_char_boundary(vs) || !text.is_char_boundary(ve) {
            return None;
        }
        let value = &text[vs..ve];
        // Cheapest checks first: validators are arithmetic, reject patterns a
        // regex search, context an automaton over the window.
        if let Some(v) = rule.validator {
            if !v.validate(value) {
                return None;
            }
        }
        if rule
            .min_entropy
            .is_some_and(|min| shannon_entropy(value) < min)
        {
            return None;
        }
        if rule.is_rejected(value) {
            return None;
        }
        let documented = rule.is_test_value(value);
        let mut example = false;
        if rule.category == Category::Secret && !documented {
            if placeholder::elided(&text.as_bytes()[ve..]) {
                return None;
            }
            match placeholder::classify(value) {
                Some(Stand::Placeholder) => return None,
                Some(Stand::Example) => example = true,
                None => {}
            }
        }
        let mut confidence = rule.confidence;
        if let Some(ctx) = &rule.context {
            let verdict = self
                .context
                .check(idx as u32, text.as_bytes(), vs, ve, ctx.window);
            if verdict.denied || (ctx.required && !verdict.supported) {
                return None;
            }
            // A rule that requires context states its confidence with it.
            if verdict.supported && !ctx.required {
                confidence = (confidence + ctx.boost).min(1.0);
            }
        }
        if rule.checksum.is_some_and(|c| !c.validate(value)) {
            confidence = confidence.min(CHECKSUM_FAILED_CONFIDENCE);
        }
        let test_value = documented || example;
        if test_value {
            confidence = confidence.min(TEST_VALUE_CONFIDENCE);
        }
        // A keyword-anchored secret (`api_key = …`) whose value is a token a
        // more specific rule reports is that rule's finding: step aside so
        // the search reaches it.
        if rule.category == Category::Secret
            && self.needs_captures[idx]
            && self.specific_rule_inside(caps, text, idx, vs, ve)
        {
            return None;
        }
        Some(Candidate {
            rule: idx,
            start: vs,
            end: ve,
            confidence,
            test_value,
        })
    }

    /// Whether a rule of higher priority than `idx` accepts a value that
    /// starts inside `[vs, ve)`.
    fn specific_rule_inside(
        &self,
        caps: &mut Vec<Option<Captures>>,
        text: &str,
        idx: usize,
        vs: usize,
        ve: usize,
    ) -> bool {
        let Some(re) = &self.regex else { return false };
        let priority = self.rules[idx].priority;
        // The token may run past the generic value's end, not by much.
        let limit = (ve + SPECIFIC_LOOKAHEAD).min(text.len());
        // A token's match may begin a few bytes before its value (the
        // delimiter `aws-secret-key` requires before 40 characters).
        let mut pos = vs.saturating_sub(SPECIFIC_LEAD_IN);
        while pos < ve {
            let input = Input::new(text.as_bytes()).range(pos..limit);
            let Some(m) = re.search(&input) else { break };
            if m.start() >= ve {
                break;
            }
            let q = m.pattern().as_usize();
            if q != idx && self.rules[q].priority > priority {
                let inside = self
                    .evaluate(caps, text, q, m.start(), m.end())
                    .is_some_and(|c| c.start >= vs && c.start < ve);
                if inside {
                    return true;
                }
            }
            pos = m.start() + 1;
        }
        false
    }

    /// Turn an accepted value into a finding, unless the allow list drops it.
    fn emit<'f>(
        &self,
        doc: &Document,
        origin: &mut Option<Arc<Origin>>,
        p: Pending<'_>,
        out: &'f mut DocumentScan,
    ) -> Option<&'f mut Finding> {
        let entity: &str = &p.labels.1;
        if let Some(reason) = self.allow.check_value(entity, p.value) {
            *out.suppressed
                .entry((reason.as_str(), entity.to_string()))
                .or_default() += 1;
            return None;
        }
        let fingerprint = self
            .fingerprinter
            .fingerprint(entity, &normalize_value(entity, p.value));
        if let Some(reason) = self
            .allow
            .check_fingerprint(&doc.origin.container(), &fingerprint)
        {
            *out.suppressed
                .entry((reason.as_str(), entity.to_string()))
                .or_default() += 1;
            return None;
        }
        let origin = origin.get_or_insert_with(|| Arc::new(doc.origin.clone()));
        out.findings.push(Finding {
            rule: Arc::clone(&p.labels.0),
            entity: Arc::clone(&p.labels.1),
            category: p.category,
            severity: p.severity,
            confidence: p.confidence,
            origin: Arc::clone(origin),
            // Spans are in the text the document was read from.
            start: doc.offsets.original(p.start),
            end: doc.offsets.original(p.end),
            masked: mask(p.category, entity, p.value),
            fingerprint,
            test_value: p.test_value,
            matched: self.options.reveal.then(|| p.value.to_string()),
        });
        out.findings.last_mut()
    }

    fn emit_client(
        &self,
        doc: &Document,
        origin: &mut Option<Arc<Origin>>,
        name: &str,
        confidence: f32,
        (start, end): (usize, usize),
        out: &mut DocumentScan,
    ) {
        // The canonical name identifies the client; the list is the user's own,
        // so naming it in reports discloses nothing new.
        let pending = Pending {
            labels: &self.client_labels,
            category: Category::Client,
            severity: Severity::High,
            confidence,
            start,
            end,
            value: name,
            test_value: false,
        };
        if let Some(f) = self.emit(doc, origin, pending, out) {
            f.masked = name.to_string();
            if self.options.reveal {
                f.matched = Some(doc.text[start..end].to_string());
            }
        }
    }

    /// Run every rule's examples through the whole engine. Returns one line per failure.
    pub fn check_examples(&self) -> Vec<String> {
        let mut failures = Vec::new();
        for rule in &self.rules {
            let origin = |n: usize| Origin {
                product: crate::model::Product::Files,
                container_key: "rules-check".into(),
                item_id: format!("{}#{n}", rule.id),
                item_url: String::new(),
                field: crate::model::Field::Body,
                comment_id: None,
            };
            let at = format!("{}:{}: rule {}", rule.file, rule.line, rule.id);
            for (n, ex) in rule.examples.iter().enumerate() {
                let doc = Document {
                    origin: origin(n),
                    text: ex.text.clone(),
                    offsets: Default::default(),
                };
                let scan = self.scan(&doc);
                let mine: Vec<&Finding> = scan
                    .findings
                    .iter()
                    .filter(|f| *f.rule == *rule.id)
                    .collect();
                let values: Vec<&str> = mine.iter().map(|f| &ex.text[f.start..f.end]).collect();
                match mine.iter().find(|f| ex.text[f.start..f.end] == ex.value) {
                    None => {
                        let others: Vec<&str> = scan
                            .findings
                            .iter()
                            .filter(|f| *f.rule != *rule.id)
                            .map(|f| &*f.rule)
                            .collect();
                        failures.push(format!(
                            "{at}: example {} {:?} should report {:?} but reported {:?}{}",
                            n + 1,
                            ex.text,
                            ex.value,
                            values,
                            if others.is_empty() {
                                String::new()
                            } else {
                                format!(" (other rules matched: {})", others.join(", "))
                            }
                        ));
                    }
                    Some(f) if f.test_value != ex.test_value => failures.push(format!(
                        "{at}: example {} {:?}: test_value is {} but the example says {}",
                        n + 1,
                        ex.text,
                        f.test_value,
                        ex.test_value
                    )),
                    Some(_) => {}
                }
            }
            for (n, text) in rule.negative_examples.iter().enumerate() {
                let doc = Document {
                    origin: origin(n),
                    text: text.clone(),
                    offsets: Default::default(),
                };
                let scan = self.scan(&doc);
                let hits: Vec<&str> = scan
                    .findings
                    .iter()
                    .filter(|f| *f.rule == *rule.id)
                    .map(|f| &text[f.start..f.end])
                    .collect();
                if !hits.is_empty() {
                    failures.push(format!(
                        "{at}: negative example {} {:?} must not match but reported {:?}",
                        n + 1,
                        text,
                        hits
                    ));
                }
            }
        }
        failures
    }
}

/// The longest match `pattern` can produce, or `None` when unbounded.
fn max_match_len(pattern: &str) -> Option<usize> {
    parse_hir(pattern)?.properties().maximum_len()
}

/// Whether a pattern is only its `value` group between zero-width
/// assertions (`\b(?P<value>…)\b`), so the value is always the whole match.
fn value_is_whole_match(pattern: &str) -> bool {
    use regex_syntax::hir::HirKind;
    let Some(hir) = parse_hir(pattern) else {
        return false;
    };
    let is_value = |h: &regex_syntax::hir::Hir| matches!(h.kind(), HirKind::Capture(c) if c.name.as_deref() == Some("value"));
    match hir.kind() {
        HirKind::Capture(_) => is_value(&hir),
        HirKind::Concat(parts) => {
            let values = parts.iter().filter(|p| is_value(p)).count();
            values == 1
                && parts
                    .iter()
                    .all(|p| is_value(p) || matches!(p.kind(), HirKind::Look(_)))
        }
        _ => false,
    }
}

/// A set of bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ByteSet([u64; 4]);

impl ByteSet {
    const ALL: ByteSet = ByteSet([u64::MAX; 4]);

    fn contains(self, b: u8) -> bool {
        self.0[usize::from(b >> 6)] & (1 << (b & 63)) != 0
    }

    /// The bytes a match of `pattern` can start with, from its prefix
    /// literals; every byte when that cannot be bounded (a leading look-around
    /// such as `\A`, or too many prefixes).
    fn first_bytes_of(pattern: &str) -> ByteSet {
        use regex_syntax::hir::literal::{ExtractKind, Extractor};
        let Some(hir) = parse_hir(pattern) else {
            return ByteSet::ALL;
        };
        let seq = Extractor::new().kind(ExtractKind::Prefix).extract(&hir);
        let Some(literals) = seq.literals() else {
            return ByteSet::ALL;
        };
        let mut set = ByteSet([0; 4]);
        for lit in literals {
            let Some(&b) = lit.as_bytes().first() else {
                return ByteSet::ALL;
            };
            set.0[usize::from(b >> 6)] |= 1 << (b & 63);
        }
        set
    }
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::{value_is_whole_match, ByteSet, Candidate, Engine, EngineOptions};
    use crate::detect::allow::AllowList;
    use crate::detect::fingerprint::Fingerprinter;
    use crate::detect::rules::RuleSet;
    use proptest::prelude::*;

    fn builtin_engine() -> &'static Engine {
        static ENGINE: std::sync::OnceLock<Engine> = std::sync::OnceLock::new();
        ENGINE.get_or_init(|| {
            let rules = RuleSet::load(None).expect("built-in rules load");
            Engine::new(
                &rules,
                None,
                AllowList::default(),
                Fingerprinter::from_key([3; 32]),
                EngineOptions::default(),
            )
            .expect("engine builds")
        })
    }

    fn spans(c: &[Candidate]) -> Vec<(usize, usize, usize)> {
        c.iter().map(|c| (c.rule, c.start, c.end)).collect()
    }

    /// The two-lane pass must find exactly what one meta-regex search per hit finds.
    fn assert_lanes_agree(engine: &Engine, texts: &[String]) {
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let mut lanes: Vec<Vec<Candidate>> = texts.iter().map(|_| Vec::new()).collect();
        engine.find_candidates_many(&refs, &mut lanes);
        for (text, got) in texts.iter().zip(&lanes) {
            let mut expected = Vec::new();
            engine.find_candidates(text, 0, text.len(), &mut expected);
            assert_eq!(spans(got), spans(&expected), "text: {text:?}");
        }
    }

    #[test]
    fn lanes_agree_with_the_ordinary_search_on_every_rule_example() {
        let engine = builtin_engine();
        let mut texts: Vec<String> = Vec::new();
        for r in engine.rules() {
            texts.extend(r.examples.iter().map(|e| e.text.clone()));
            texts.extend(r.negative_examples.iter().cloned());
        }
        // Documents of very different lengths, so lanes refill mid-way.
        let joined = texts.join(" filler text\n");
        texts.push(joined.clone());
        texts.push(format!("{joined} {joined}"));
        texts.push(String::new());
        assert_lanes_agree(engine, &texts);
    }

    fn fragment() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("card 4929 1234 5678 9015".to_string()),
            Just("SSN 536-22-0811 ".to_string()),
            Just("routing 021000021".to_string()),
            Just("jane.doe@client.com".to_string()),
            Just("AKIA2E0A8F3B244C9986".to_string()),
            Just("password: Tr0ub4dor&3x".to_string()),
            Just("DOB 12/03/1984".to_string()),
            Just("version 10.2.3.4".to_string()),
            Just("2026-08-17T10:15:00Z".to_string()),
            "[a-zA-Z0-9 .:@/_-]{0,40}",
            "[0-9 -]{0,24}",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn lanes_agree_with_the_ordinary_search_on_generated_text(
            docs in prop::collection::vec(prop::collection::vec(fragment(), 0..12), 1..6)
        ) {
            let engine = builtin_engine();
            let texts: Vec<String> = docs.iter().map(|parts| parts.join(" ")).collect();
            assert_lanes_agree(engine, &texts);
        }
    }

    #[test]
    fn whole_match_values_are_recognised() {
        assert!(value_is_whole_match(r"\b(?P<value>[0-9]{9})\b"));
        assert!(value_is_whole_match(r"(?i)\b(?P<value>a|b)\b"));
        assert!(!value_is_whole_match(r"ssn:? (?P<value>[0-9]{9})"));
        assert!(!value_is_whole_match(r"\b(?P<value>x)y"));
        assert!(!value_is_whole_match(r"[0-9]{9}"));
    }

    #[test]
    fn first_bytes_are_bounded_where_prefixes_are_known() {
        let digits = ByteSet::first_bytes_of(r"\b[0-9]{9}\b");
        assert!(digits.contains(b'7') && !digits.contains(b'a'));
        let keys = ByteSet::first_bytes_of(r"(?i)\b(?:acct|bank)");
        for b in *b"aAbB" {
            assert!(keys.contains(b));
        }
        assert!(!keys.contains(b'c'));
        // Look-arounds are zero-width: at `\A` the match starts with `x`.
        let after_space = ByteSet::first_bytes_of(r"(?:\A|\s)x");
        assert!(after_space.contains(b' ') && after_space.contains(b'x'));
        assert!(!after_space.contains(b'y'));
        assert_eq!(ByteSet::first_bytes_of(r".*x"), ByteSet::ALL);
    }
}
