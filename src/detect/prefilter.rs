//! The literal tier: rules whose every match starts with one of a few
//! literals (`ghp_`, `xoxb-`, `sk-ant-`, `AKIA`, a keyword such as
//! `datadog`). Only where such a literal occurs is the rule's own regex
//! run, anchored. Two hundred vendor rules then cost little more than one,
//! where in the combined DFA each would add states to every byte's
//! transition.
//!
//! Where can such a literal begin? Literals are looked up only at the gate
//! positions of `words::gate_mask_block`: where an identifier part begins
//! (after a byte that is not a letter or digit, so after `_`, `-`, `.`, or
//! at a lower-to-upper step as in `myDatadogKey`) and at punctuation. That
//! is about one byte in five of prose, found eight bytes at a time. A rule
//! that begins at a word boundary (`\bghp_`, `(?:\b|_)zoom`) loses nothing;
//! a keyword rule without one (`(?i:datadog)…`) is found at every part of
//! an identifier (`MY_DATADOG_KEY`, `myDatadogKey`, `my-datadog.key`) but not
//! glued inside one in a single case (`mydatadogkey`): the price of not
//! looking at every byte, stated in `rules explain`. The lookup is a bit
//! test over the hashes of the literals' first four (or three) case-folded
//! bytes, then one over their first eight; only the rare survivors are
//! compared with the literals. One Aho-Corasick automaton over all of them ran at about
//! 320 MB/s on every byte, and at every byte even a bit test costs more
//! than the rest of the engine (BENCHMARKS.md).

use crate::detect::rules::parse_hir;
use crate::detect::words::{block_gate_mask, GateCarry};
use regex_syntax::hir::{Class, Hir, HirKind, Repetition};

/// The shortest literal worth a prefilter: shorter ones (`dd`, `sk`) occur
/// in ordinary words so often that the DFA tier is cheaper.
const MIN_LITERAL: usize = 3;
/// Distinct (lower-cased) literals one rule may start with.
const MAX_LITERALS: usize = 256;
/// Case variants a `(?i)` keyword expands to before lower-casing folds them.
const MAX_VARIANTS: usize = 20_000;

/// The literals every match of a rule starts with.
#[derive(Debug)]
pub(crate) struct Prefixes {
    /// Sorted and deduplicated; lower-cased unless `exact_case`.
    pub literals: Vec<Vec<u8>>,
    /// The pattern is case-sensitive where its prefixes are: `AKIA` is not
    /// `akia`, and `OTE` (a base64 prefix) must not fire on every "note".
    pub exact_case: bool,
    /// Every match that begins with an ASCII letter or digit begins at a
    /// word start (`\b`, `^`, `\A` come first), so the gate hides none of
    /// the rule's matches; otherwise keywords glued inside an identifier in
    /// one case are not found (see the module notes).
    pub word_gated: bool,
}

/// The literals every match of `pattern` starts with, or `None` when they
/// cannot be bounded, are too short, or would occur in ordinary text
/// (digits and punctuation alone: `123`, `+44`, `$1$`).
pub(crate) fn literal_prefixes(pattern: &str) -> Option<Prefixes> {
    use regex_syntax::hir::literal::{ExtractKind, Extractor};
    let parsed = parse_hir(pattern)?;
    let hir = fold_case_pairs(&parsed);
    let exact_case = hir == parsed;
    let seq = Extractor::new()
        .kind(ExtractKind::Prefix)
        .limit_class(10)
        .limit_repeat(4)
        .limit_literal_len(24)
        .limit_total(MAX_VARIANTS)
        .extract(&hir);
    let mut out: Vec<Vec<u8>> = seq
        .literals()?
        .iter()
        .map(|l| {
            if exact_case {
                l.as_bytes().to_vec()
            } else {
                l.as_bytes().to_ascii_lowercase()
            }
        })
        .collect();
    if out.is_empty() || out.iter().any(|l| l.len() < MIN_LITERAL) {
        return None;
    }
    // What follows a keyword (`\t`, ` `, `=`, `:`) multiplies the literals
    // without making them rarer: where several literals share the part
    // before such a byte (past the minimum length), they become that part.
    // A literal alone with its part stays whole: `hand geometry` is much
    // rarer than `hand`.
    let cut_at = |l: &[u8]| {
        l.iter()
            .skip(MIN_LITERAL)
            .position(|b| b.is_ascii_whitespace() || b"=:\"'(".contains(b))
            .map(|cut| MIN_LITERAL + cut)
    };
    let mut sharing: std::collections::HashMap<Vec<u8>, usize> = Default::default();
    for l in &out {
        if let Some(cut) = cut_at(l) {
            *sharing.entry(l[..cut].to_vec()).or_default() += 1;
        }
    }
    for l in out.iter_mut() {
        if let Some(cut) = cut_at(l) {
            if sharing.get(&l[..cut]).is_some_and(|&n| n > 1) {
                l.truncate(cut);
            }
        }
    }
    out.sort();
    out.dedup();
    // `xoxb-[0-9]{8,14}` expands to thousands of literals: cut them back
    // (towards `xoxb-`) until few enough remain, but not below the minimum:
    // `[0-9]{3}` would be a thousand literals that occur everywhere.
    let longest = out.iter().map(Vec::len).max().unwrap_or(0);
    for len in (MIN_LITERAL..=longest).rev() {
        if out.len() <= MAX_LITERALS {
            break;
        }
        for l in out.iter_mut() {
            l.truncate(len);
        }
        out.sort();
        out.dedup();
    }
    // Where one literal starts another (`access_key` and `access_key=`),
    // the shorter finds every start the longer does: keep only it. Sorted,
    // a literal's extensions follow it directly.
    let mut minimal: Vec<Vec<u8>> = Vec::with_capacity(out.len());
    for l in out {
        if minimal.last().is_some_and(|k| l.starts_with(k)) {
            continue;
        }
        minimal.push(l);
    }
    let out = minimal;
    // The gate knows letters, digits and punctuation: a literal that begins
    // with a blank or a non-ASCII byte stays in the DFA tier.
    let gateable = out.iter().all(|l| {
        l.first()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b.is_ascii_punctuation())
    });
    let selective = gateable && out.iter().all(|l| is_selective(l));
    (out.len() <= MAX_LITERALS && selective).then_some(Prefixes {
        literals: out,
        exact_case,
        word_gated: alnum_starts_at_word_start(&parsed),
    })
}

/// Whether every match of `hir` that begins with an ASCII letter or digit
/// begins at a word start: after a byte that is not `[A-Za-z0-9_]`, or at
/// the text's start. Conservative: `false` when unsure. A Unicode `\b`
/// qualifies too, as a letter after an ASCII word byte is no boundary.
fn alnum_starts_at_word_start(hir: &Hir) -> bool {
    use regex_syntax::hir::Look;
    match hir.kind() {
        HirKind::Look(look) => matches!(
            look,
            Look::Start
                | Look::StartLF
                | Look::StartCRLF
                | Look::WordAscii
                | Look::WordUnicode
                | Look::WordStartAscii
                | Look::WordStartUnicode
                | Look::WordStartHalfAscii
                | Look::WordStartHalfUnicode
        ),
        HirKind::Literal(lit) => lit.0.first().is_some_and(|b| !b.is_ascii_alphanumeric()),
        HirKind::Class(Class::Bytes(c)) => c
            .ranges()
            .iter()
            .all(|r| (r.start()..=r.end()).all(|b| !b.is_ascii_alphanumeric())),
        HirKind::Class(Class::Unicode(c)) => c.ranges().iter().all(|r| {
            (r.start()..=r.end())
                .take(0x80)
                .all(|ch| !ch.is_ascii_alphanumeric())
        }),
        HirKind::Capture(c) => alnum_starts_at_word_start(&c.sub),
        HirKind::Repetition(r) => r.min > 0 && alnum_starts_at_word_start(&r.sub),
        HirKind::Alternation(branches) => branches.iter().all(alnum_starts_at_word_start),
        // The first part decides: where it can match empty, it is `true` only
        // if each empty path passes a boundary (`(?:\b|_)`), since empty
        // repetitions and non-gating looks are `false`.
        HirKind::Concat(parts) => parts.first().is_some_and(alnum_starts_at_word_start),
        HirKind::Empty => false,
    }
}

/// Whether a literal is rare enough in ordinary text to be worth a
/// prefilter hit: it has a letter (not `123`, `+44`, `$1$`), and a 3-byte
/// literal also has a digit or punctuation (`sk-`, `hf_`, `dt0`, not `pat`
/// or `OTE`, which occur in "path" and "note").
fn is_selective(literal: &[u8]) -> bool {
    let letters = literal.iter().filter(|b| b.is_ascii_alphabetic()).count();
    letters > 0 && (literal.len() > 3 || letters < literal.len())
}

/// `hir` with every class that is one ASCII letter in both cases (what
/// `(?i)` makes of a letter) turned into that letter in lower case. The
/// literals are matched case-insensitively anyway, and without this a
/// `(?i)client_secret` keyword is 2^12 variants, past any extraction limit.
fn fold_case_pairs(hir: &Hir) -> Hir {
    match hir.kind() {
        HirKind::Class(Class::Bytes(c)) => {
            let bytes: Vec<u8> = c
                .ranges()
                .iter()
                .flat_map(|r| r.start()..=r.end())
                .take(3)
                .collect();
            match bytes.as_slice() {
                [upper, lower]
                    if upper.is_ascii_uppercase() && *lower == upper.to_ascii_lowercase() =>
                {
                    Hir::literal([*lower])
                }
                _ => hir.clone(),
            }
        }
        HirKind::Concat(parts) => Hir::concat(parts.iter().map(fold_case_pairs).collect()),
        HirKind::Alternation(parts) => {
            Hir::alternation(parts.iter().map(fold_case_pairs).collect())
        }
        HirKind::Repetition(r) => Hir::repetition(Repetition {
            sub: Box::new(fold_case_pairs(&r.sub)),
            ..r.clone()
        }),
        HirKind::Capture(c) => Hir::capture(regex_syntax::hir::Capture {
            sub: Box::new(fold_case_pairs(&c.sub)),
            ..c.clone()
        }),
        _ => hir.clone(),
    }
}

/// Which tier a pattern runs in: `literal` or `dfa`.
pub fn tier_name(pattern: &str) -> &'static str {
    if literal_prefixes(pattern).is_some() {
        "literal"
    } else {
        "dfa"
    }
}

/// The tier, and the literals, for `rules explain`.
pub fn describe(pattern: &str) -> String {
    match literal_prefixes(pattern) {
        Some(p) => format!(
            "literal tier, starts with {}{}{}",
            if p.exact_case { "" } else { "(any case) " },
            p.literals
                .iter()
                .map(|l| format!("{:?}", String::from_utf8_lossy(l)))
                .collect::<Vec<_>>()
                .join(" | "),
            if p.word_gated {
                ""
            } else {
                "; looked for where an identifier part begins (MY_KEYWORD, myKeyword, my-keyword), \
                 not glued inside one in a single case (mykeyword)"
            }
        ),
        None => {
            "DFA tier (no literal of 3+ characters starts every match): runs on every byte".into()
        }
    }
}

/// Bits in the literal bitset: 32 KiB. Smaller ones let common words
/// through by collision, each of them thousands of times.
const GATE_FILTER_BITS: u32 = 18;

/// Literals by the case-folded key of their first four bytes (three for
/// 3-byte literals). One bitset over the keys' hashes answers most gate
/// positions with one bit test, the rest with a second (32 KiB each). A survivor (common words
/// such as "data" or "team" begin literals like `datadog` and `teamcity`, so
/// one gate in ten survives in prose) looks its key up among the distinct
/// keys and compares the next four bytes of each literal with that key as
/// one masked word, before any literal is compared in full.
#[derive(Debug, Default)]
struct KeyTable {
    /// The 4-byte keys of every literal of four bytes or more, and the
    /// 3-byte keys of 3-byte literals.
    filter: Vec<u64>,
    /// Behind `filter`: the 4-byte keys of literals shorter than eight
    /// bytes, and the 8-byte keys of the others.
    second: Vec<u64>,
    four: Keyed,
    three: Keyed,
}

/// Literals grouped by key.
#[derive(Debug, Default)]
struct Keyed {
    /// Distinct keys, sorted, and each key's range of `entries`.
    keys: Vec<u32>,
    ranges: Vec<(u32, u32)>,
    entries: Vec<Entry>,
    /// Open addressing over `keys` (index + 1; 0 is empty): a survivor
    /// finds its key in one or two probes, where a binary search over a
    /// thousand keys mispredicts its way through ten.
    slots: Vec<u32>,
}

/// One literal under its key: the case-folded bytes 4..8 of the literal
/// (as far as it reaches) and the mask that covers them.
#[derive(Debug, Clone, Copy)]
struct Entry {
    next: u32,
    mask: u32,
    id: u32,
}

/// A 4-byte key's slot; 3-byte keys use another multiplier, so that the
/// two kinds share one bitset without colliding by construction.
#[inline(always)]
fn slot4(key: u32) -> usize {
    (key.wrapping_mul(0x9E37_79B1) >> (32 - GATE_FILTER_BITS)) as usize
}

/// Where the probe for `key` starts in a table of `size` (a power of two).
#[inline(always)]
fn probe_start(key: u32, size: usize) -> usize {
    (key.wrapping_mul(0x2545_F491) >> 7) as usize & (size - 1)
}

#[inline(always)]
fn slot8(key: u64) -> usize {
    (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - GATE_FILTER_BITS)) as usize
}

#[inline(always)]
fn slot3(key: u32) -> usize {
    (key.wrapping_mul(0x85EB_CA77) >> (32 - GATE_FILTER_BITS)) as usize
}

impl Keyed {
    fn new(mut literals: Vec<(u32, Entry)>) -> Keyed {
        literals.sort_unstable_by_key(|(key, e)| (*key, e.id));
        let mut keyed = Keyed::default();
        for (key, entry) in literals {
            if keyed.keys.last() != Some(&key) {
                keyed.keys.push(key);
                let at = keyed.entries.len() as u32;
                keyed.ranges.push((at, at));
            }
            keyed.entries.push(entry);
            if let Some(r) = keyed.ranges.last_mut() {
                r.1 += 1;
            }
        }
        let size = (keyed.keys.len() * 2).next_power_of_two().max(2);
        keyed.slots = vec![0; size];
        for (k, &key) in keyed.keys.iter().enumerate() {
            let mut slot = probe_start(key, size);
            while keyed.slots[slot] != 0 {
                slot = (slot + 1) & (size - 1);
            }
            keyed.slots[slot] = k as u32 + 1;
        }
        keyed
    }

    #[inline]
    fn find(&self, key: u32) -> Option<usize> {
        let size = self.slots.len();
        if size == 0 {
            return None;
        }
        let mut slot = probe_start(key, size);
        loop {
            let k = *self.slots.get(slot)? as usize;
            if k == 0 {
                return None;
            }
            if self.keys.get(k - 1) == Some(&key) {
                return Some(k - 1);
            }
            slot = (slot + 1) & (size - 1);
        }
    }

    #[inline]
    fn each(&self, key: u32, next: u32, f: &mut impl FnMut(usize)) {
        let Some(k) = self.find(key) else {
            return;
        };
        let (from, to) = self.ranges[k];
        for e in self
            .entries
            .get(from as usize..to as usize)
            .unwrap_or_default()
        {
            if next & e.mask == e.next {
                f(e.id as usize);
            }
        }
    }
}

impl KeyTable {
    fn new(literals: &[(Vec<u8>, bool)]) -> KeyTable {
        let (mut four, mut three) = (Vec::new(), Vec::new());
        let mut filter = vec![0u64; 1 << (GATE_FILTER_BITS - 6)];
        let mut second = vec![0u64; 1 << (GATE_FILTER_BITS - 6)];
        let set = |bits: &mut Vec<u64>, slot: usize| bits[slot >> 6] |= 1 << (slot & 63);
        for (id, (bytes, _)) in literals.iter().enumerate() {
            let id = id as u32;
            let slot = if bytes.len() == 3 {
                let key = key3_of(bytes);
                three.push((
                    key,
                    Entry {
                        next: 0,
                        mask: 0,
                        id,
                    },
                ));
                slot3(key)
            } else {
                let key = key4_of(bytes);
                let reach = bytes.len().min(8) - 4;
                let mask = if reach == 4 {
                    u32::MAX
                } else {
                    (1u32 << (8 * reach)) - 1
                };
                let next = key4_at(bytes, 4) & mask;
                four.push((key, Entry { next, mask, id }));
                if bytes.len() >= 8 {
                    set(&mut second, slot8(key8(key, next)));
                } else {
                    set(&mut second, slot4(key));
                }
                slot4(key)
            };
            set(&mut filter, slot);
        }
        KeyTable {
            filter,
            second,
            four: Keyed::new(four),
            three: Keyed::new(three),
        }
    }

    #[inline(always)]
    fn bit(bits: &[u64], slot: usize) -> bool {
        bits.get(slot >> 6)
            .is_some_and(|w| w >> (slot & 63) & 1 == 1)
    }

    /// Whether a literal may begin at `at`: the text's first eight bytes
    /// there against literals of eight bytes or more, its first four against
    /// shorter ones, its first three against 3-byte ones. Eight bytes keep
    /// words such as "data" and "team" from passing for `datadog_` and
    /// `teamcity`.
    #[inline(always)]
    fn may_match(&self, text: &[u8], at: usize, with_three: bool) -> bool {
        let key4 = key4_at(text, at);
        if Self::bit(&self.filter, slot4(key4)) {
            let key = key8(key4, key4_at(text, at + 4));
            if Self::bit(&self.second, slot4(key4)) || Self::bit(&self.second, slot8(key)) {
                return true;
            }
        }
        with_three && Self::bit(&self.filter, slot3(key4 & 0x00ff_ffff))
    }

    /// The literal ids whose first eight bytes (as far as the literal
    /// reaches) match the text's at `at`, case-folded; unverified beyond.
    fn candidates(&self, text: &[u8], at: usize, mut f: impl FnMut(usize)) {
        let key4 = key4_at(text, at);
        let next = key4_at(text, at + 4);
        self.four.each(key4, next, &mut f);
        self.three.each(key4 & 0x00ff_ffff, 0, &mut f);
    }
}

/// The literal tier's lookup structures.
#[derive(Debug)]
pub(crate) struct LiteralTier {
    /// Per literal: its bytes, and whether its case must match (the keys
    /// ignore case).
    literals: Vec<(Vec<u8>, bool)>,
    /// Per literal: the rules (engine indices) whose matches start with it.
    rules_of: Vec<Vec<usize>>,
    /// Every literal, looked up at gate positions.
    keys: KeyTable,
}

/// The first four bytes at `i` (zeros past the end), ASCII letters folded to
/// lower case. Other bytes are folded too (`_` with DEL): keys only narrow
/// the search, the literal comparison decides.
#[inline]
fn key4_at(text: &[u8], i: usize) -> u32 {
    let x = match text.get(i..i + 4) {
        Some(&[a, b, c, d]) => u32::from_le_bytes([a, b, c, d]),
        _ => {
            let mut four = [0u8; 4];
            let tail = text.get(i..).unwrap_or_default();
            let n = tail.len().min(4);
            four[..n].copy_from_slice(&tail[..n]);
            u32::from_le_bytes(four)
        }
    };
    x | 0x2020_2020
}

/// Two 4-byte keys as one.
#[inline(always)]
fn key8(first: u32, next: u32) -> u64 {
    u64::from(first) | u64::from(next) << 32
}

fn key4_of(literal: &[u8]) -> u32 {
    key4_at(literal, 0)
}

fn key3_of(literal: &[u8]) -> u32 {
    key4_at(literal, 0) & 0x00ff_ffff
}

impl LiteralTier {
    /// `rules` pairs each engine rule index with its prefixes.
    pub(crate) fn new(rules: &[(usize, Prefixes)]) -> Option<LiteralTier> {
        // (bytes, exact case) → literal id.
        let mut index: std::collections::HashMap<(Vec<u8>, bool), usize> = Default::default();
        let mut literals: Vec<(Vec<u8>, bool)> = Vec::new();
        let mut rules_of: Vec<Vec<usize>> = Vec::new();
        for (rule, prefixes) in rules {
            for p in &prefixes.literals {
                let key = (p.clone(), prefixes.exact_case);
                let id = *index.entry(key).or_insert_with_key(|key| {
                    literals.push(key.clone());
                    rules_of.push(Vec::new());
                    literals.len() - 1
                });
                if !rules_of[id].contains(rule) {
                    rules_of[id].push(*rule);
                }
            }
        }
        if literals.is_empty() {
            return None;
        }
        Some(LiteralTier {
            keys: KeyTable::new(&literals),
            literals,
            rules_of,
        })
    }

    /// Whether literal `id` occurs at `at`.
    #[inline]
    fn occurs(&self, text: &[u8], at: usize, id: usize) -> bool {
        let (lit, exact) = &self.literals[id];
        match text.get(at..at + lit.len()) {
            Some(here) if *exact => here == lit.as_slice(),
            Some(here) => here.eq_ignore_ascii_case(lit),
            None => false,
        }
    }

    /// Every (start, rule) where a literal of the rule occurs, in order of
    /// start; a rule may be named twice at one start when two of its
    /// literals begin there (the caller drops repeats).
    pub(crate) fn hits(&self, text: &[u8], mut f: impl FnMut(usize, usize)) {
        let mut report = |at: usize, id: usize| {
            if self.occurs(text, at, id) {
                for &rule in &self.rules_of[id] {
                    f(at, rule);
                }
            }
        };
        // Per block, first the tight loop: gates whose keys pass the bitsets
        // (a few in a hundred); then, apart from it, the lookups and
        // comparisons. No allocation per document.
        let with_three = !self.keys.three.keys.is_empty();
        let mut carry = GateCarry::default();
        // Per block, the survivors are written without a branch on the
        // filter's answer, which is unpredictable at one gate in ten.
        let mut block_survivors = [0usize; 64];
        for block in 0..text.len().div_ceil(64) {
            let base = block * 64;
            let mut gates = block_gate_mask(text, block, &mut carry);
            let mut n = 0;
            while gates != 0 {
                let at = base + gates.trailing_zeros() as usize;
                gates &= gates - 1;
                block_survivors[n] = at;
                n += usize::from(self.keys.may_match(text, at, with_three));
            }
            for &at in &block_survivors[..n] {
                self.keys.candidates(text, at, |id| report(at, id));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{literal_prefixes, LiteralTier};
    use crate::detect::rules::RuleSet;
    use crate::detect::words::is_gate;
    use regex_automata::Input;

    fn lits(p: &str) -> Option<Vec<String>> {
        literal_prefixes(p).map(|v| {
            v.literals
                .into_iter()
                .map(|l| String::from_utf8(l).unwrap())
                .collect()
        })
    }

    #[test]
    fn prefixes_of_vendor_patterns() {
        assert_eq!(
            lits(r"\b(?P<value>gh[pousr]_[A-Za-z0-9]{36})\b").unwrap(),
            ["gho_", "ghp_", "ghr_", "ghs_", "ghu_"]
        );
        // A case-insensitive keyword folds to one literal.
        assert_eq!(
            lits(r"(?i)\bdatadog[\w.-]{0,20}key\s*=\s*(?P<value>[a-f0-9]{32})").unwrap(),
            ["datadog"]
        );
        // A case-sensitive prefix keeps its case, and is compared exactly.
        let aws = literal_prefixes(r"\b(?P<value>(?:AKIA|ASIA)[0-9A-Z]{16})\b").unwrap();
        assert!(aws.exact_case);
        assert_eq!(aws.literals, [b"AKIA".to_vec(), b"ASIA".to_vec()]);
        assert!(
            !literal_prefixes(r"(?i)\bdatadog_key=[a-f0-9]{32}")
                .unwrap()
                .exact_case
        );
        // Digits after the prefix are expanded only while few: `xoxb-0`…`xoxb-9`.
        let slack = lits(r"\b(?P<value>xoxb-[0-9]{8,14}-[A-Za-z0-9]{24})\b").unwrap();
        assert!(
            slack.len() <= super::MAX_LITERALS && slack.iter().all(|l| l.starts_with("xoxb-")),
            "{slack:?}"
        );
        // A case-insensitive keyword list stays whole words, not cut to
        // `acce` or `data` (which occur in every other sentence).
        assert_eq!(
            lits(r"(?i)\b(?:access_key|data_source)\s*=\s*(?P<value>\S{8,})").unwrap(),
            ["access_key", "data_source"]
        );
    }

    #[test]
    fn prefixes_common_in_prose_stay_in_the_dfa_tier() {
        // Digits and punctuation alone: every number in a page would hit.
        assert_eq!(lits(r"\b(?P<value>9[0-9]{2}-[7-9][0-9]-[0-9]{4})\b"), None);
        assert_eq!(lits(r"\$1\$[./0-9A-Za-z]{8}\$[./0-9A-Za-z]{22}"), None);
        // Three letters: "note", "path", "check".
        assert_eq!(lits(r"\b(?:OTE|ODU)[A-Za-z0-9+/]{20,}"), None);
        assert_eq!(lits(r"(?i)\bpat[_-]?[a-z0-9]{52}"), None);
        // Three bytes with a digit or punctuation are rare enough.
        assert_eq!(lits(r"\bsk-[A-Za-z0-9]{48}").unwrap(), ["sk-"]);
        assert_eq!(lits(r"\bdt0c01\.[A-Z0-9]{24}").unwrap(), ["dt0c01."]);
    }

    #[test]
    fn shapeless_and_short_prefixes_stay_in_the_dfa_tier() {
        assert_eq!(lits(r"\b[A-Za-z0-9]{24}\b"), None);
        assert_eq!(
            lits(r"(?i)\b(?:[a-z0-9]{1,20}_)?password\s*=\s*(?P<value>\S{8,})"),
            None
        );
        assert_eq!(
            lits(r"(?i)\b(?:dd|datadog)[\w.-]{0,20}key=(?P<value>[a-f0-9]{32})"),
            None
        );
        assert_eq!(lits(r"(?:\A|\s)(?P<value>[A-Za-z0-9/+]{40})"), None);
        assert_eq!(lits(r"\b[0-9]{8,10}:AA[A-Za-z0-9_-]{33}"), None);
    }

    #[test]
    fn word_gating_is_decided_by_what_starts_the_pattern() {
        let gated = |p: &str| literal_prefixes(p).unwrap().word_gated;
        assert!(gated(r"\bghp_[A-Za-z0-9]{36}"));
        assert!(gated(r"(?i:(?:\b|_)(?:zoom|asana)secret=\S{8})"));
        assert!(gated(r"(?m)^AKIA[0-9A-Z]{16}"));
        assert!(gated(r"(?P<value>-----BEGIN [A-Z ]{3,20}KEY-----)"));
        // No boundary: `myokta_token` must still be found mid-word.
        assert!(!gated(r"(?i:okta)[\w.-]{0,20}token=\S{8}"));
        assert!(!gated(r"(?:\b|x)?okta_key=\S{8}"));
    }

    /// The gate must never hide a match that begins where it looks: on the
    /// packs' own examples, glued with words, underscores and camel case
    /// around them, every place where a literal-tier rule matches (anchored,
    /// brute force) at a gate is among the tier's hits; off the gate, only
    /// rules that are not word-gated match, and only where a keyword is
    /// glued inside an identifier.
    #[test]
    fn the_gated_tier_reports_every_place_a_literal_rule_matches() {
        let rules = RuleSet::load(None).unwrap();
        let tiered: Vec<(usize, super::Prefixes)> = rules
            .rules
            .iter()
            .enumerate()
            .filter_map(|(i, r)| literal_prefixes(&r.pattern).map(|p| (i, p)))
            .collect();
        let tier = LiteralTier::new(&tiered).unwrap();
        let glue = [
            "", " ", "_", "my", "MY_", "x", "\n", "\"", "=", "é", "(", "-", "my",
        ];
        let mut text = String::new();
        for (n, r) in rules.rules.iter().enumerate() {
            for e in &r.examples {
                text.push_str(glue[n % glue.len()]);
                text.push_str(&e.text);
                text.push_str(glue[(n + 5) % glue.len()]);
                text.push_str(&e.text.to_uppercase());
            }
        }
        let bytes = text.as_bytes();
        let mut hits = std::collections::HashSet::new();
        tier.hits(bytes, |at, rule| {
            hits.insert((at, rule));
        });
        let mut matched = 0;
        let mut glued = 0;
        for (rule, prefixes) in &tiered {
            let re = &rules.rules[*rule].regex;
            let mut at = 0;
            while at < bytes.len() {
                let Some(m) = re.search(&Input::new(bytes).range(at..)) else {
                    break;
                };
                let start = m.start();
                if is_gate(bytes, start) {
                    matched += 1;
                    assert!(
                        hits.contains(&(start, *rule)),
                        "{} matches at {start} but the tier has no hit there: {:?}",
                        rules.rules[*rule].id,
                        String::from_utf8_lossy(&bytes[start..(start + 40).min(bytes.len())])
                    );
                } else {
                    // Off the gate: a letter or digit after a letter or digit
                    // of the same case step, in a rule without a boundary.
                    assert!(
                        !prefixes.word_gated,
                        "{} is word-gated yet matches off the gate at {start}",
                        rules.rules[*rule].id
                    );
                    assert!(
                        bytes[start].is_ascii_alphanumeric()
                            && bytes[start - 1].is_ascii_alphanumeric()
                    );
                    glued += 1;
                }
                at = start + 1;
            }
        }
        assert!(
            matched > 1000,
            "only {matched} matches: the test text is too thin"
        );
        assert!(
            glued > 10,
            "only {glued} glued matches: the test does not reach the gate's limit"
        );
    }
}
