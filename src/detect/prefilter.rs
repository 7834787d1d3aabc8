//! The literal tier: rules whose every match starts with one of a few
//! literals (`ghp_`, `xoxb-`, `sk-ant-`, `AKIA`, a keyword such as
//! `datadog`). One Aho-Corasick pass over the text finds every place such a
//! literal occurs; only there is the rule's own regex run, anchored. Two
//! hundred vendor rules then cost one automaton pass, where in the combined
//! DFA each would add states to every byte's transition.

use crate::detect::rules::parse_hir;
use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
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
    // without making them rarer: cut each at the first such byte past the
    // minimum length.
    for l in out.iter_mut() {
        if let Some(cut) = l
            .iter()
            .skip(MIN_LITERAL)
            .position(|b| b.is_ascii_whitespace() || b"=:\"'(".contains(b))
        {
            l.truncate(MIN_LITERAL + cut);
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
    let selective = out.iter().all(|l| is_selective(l));
    (out.len() <= MAX_LITERALS && selective).then_some(Prefixes {
        literals: out,
        exact_case,
    })
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
            "literal tier, starts with {}{}",
            if p.exact_case { "" } else { "(any case) " },
            p.literals
                .iter()
                .map(|l| format!("{:?}", String::from_utf8_lossy(l)))
                .collect::<Vec<_>>()
                .join(" | ")
        ),
        None => {
            "DFA tier (no literal of 3+ characters starts every match): runs on every byte".into()
        }
    }
}

/// The automaton over every literal-tier rule's prefixes.
#[derive(Debug)]
pub(crate) struct LiteralTier {
    automaton: AhoCorasick,
    /// Per automaton pattern: the literal, and whether its case must match
    /// (the automaton itself ignores case).
    literals: Vec<(Vec<u8>, bool)>,
    /// Per literal: the rules (engine indices) whose matches start with it.
    rules_of: Vec<Vec<usize>>,
}

impl LiteralTier {
    /// `rules` pairs each engine rule index with its prefixes.
    pub(crate) fn new(rules: &[(usize, Prefixes)]) -> anyhow::Result<Option<LiteralTier>> {
        let mut literals: Vec<(Vec<u8>, bool)> = Vec::new();
        let mut rules_of: Vec<Vec<usize>> = Vec::new();
        let mut index: std::collections::HashMap<(Vec<u8>, bool), usize> = Default::default();
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
            return Ok(None);
        }
        let patterns: Vec<&[u8]> = literals.iter().map(|(l, _)| l.as_slice()).collect();
        // A DFA runs two to three times as fast as the default NFA over
        // thousands of literals (BENCHMARKS.md); should it exceed its size
        // limit (a huge `--rules` pack), the contiguous NFA still works.
        let build = |kind| {
            AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .kind(Some(kind))
                .match_kind(MatchKind::Standard)
                .build(&patterns)
        };
        let automaton = build(AhoCorasickKind::DFA)
            .or_else(|_| build(AhoCorasickKind::ContiguousNFA))
            .map_err(|e| anyhow::anyhow!("building the literal prefilter failed: {e}"))?;
        Ok(Some(LiteralTier {
            automaton,
            literals,
            rules_of,
        }))
    }

    /// Every (start, rule) where a literal of the rule occurs; a rule may be
    /// named twice at one start when two of its literals begin there (the
    /// caller drops repeats).
    pub(crate) fn hits(&self, text: &[u8], mut f: impl FnMut(usize, usize)) {
        for m in self.automaton.find_overlapping_iter(text) {
            let id = m.pattern().as_usize();
            let (lit, exact) = &self.literals[id];
            // The automaton ignores case; a case-sensitive rule's literal must match exactly.
            if *exact && text.get(m.start()..m.end()) != Some(lit.as_slice()) {
                continue;
            }
            for &rule in &self.rules_of[id] {
                f(m.start(), rule);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::literal_prefixes;

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
}
