//! The literal tier: rules whose every match starts with one of a few
//! literals (`ghp_`, `xoxb-`, `sk-ant-`, `AKIA`, a keyword such as
//! `datadog`). One Aho-Corasick pass over the text finds every place such a
//! literal occurs; only there is the rule's own regex run, anchored. Two
//! hundred vendor rules then cost one automaton pass, where in the combined
//! DFA each would add states to every byte's transition.

use crate::detect::rules::parse_hir;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

/// The shortest literal worth a prefilter: shorter ones (`dd`, `sk`) occur
/// in ordinary words so often that the DFA tier is cheaper.
const MIN_LITERAL: usize = 3;
/// Distinct (lower-cased) literals one rule may start with.
const MAX_LITERALS: usize = 64;
/// Case variants a `(?i)` keyword expands to before lower-casing folds them.
const MAX_VARIANTS: usize = 20_000;

/// The literals every match of `pattern` starts with, lower-cased and
/// deduplicated, or `None` when they cannot be bounded or are too short.
pub(crate) fn literal_prefixes(pattern: &str) -> Option<Vec<Vec<u8>>> {
    use regex_syntax::hir::literal::{ExtractKind, Extractor};
    let hir = parse_hir(pattern)?;
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
        .map(|l| l.as_bytes().to_ascii_lowercase())
        .collect();
    if out.is_empty() || out.iter().any(|l| l.len() < MIN_LITERAL) {
        return None;
    }
    out.sort();
    out.dedup();
    // `xoxb-[0-9]{8,14}` expands to thousands of literals: cut them back
    // (to `xoxb-`) until few enough remain, but not below the minimum:
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
    (out.len() <= MAX_LITERALS).then_some(out)
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
        Some(lits) => format!(
            "literal tier, starts with {}",
            lits.iter()
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
    /// Per literal: the rules (engine indices) whose matches start with it.
    rules_of: Vec<Vec<usize>>,
}

impl LiteralTier {
    /// `rules` pairs each engine rule index with its prefixes.
    pub(crate) fn new(rules: &[(usize, Vec<Vec<u8>>)]) -> anyhow::Result<Option<LiteralTier>> {
        let mut literals: Vec<Vec<u8>> = Vec::new();
        let mut rules_of: Vec<Vec<usize>> = Vec::new();
        let mut index: std::collections::HashMap<Vec<u8>, usize> = Default::default();
        for (rule, prefixes) in rules {
            for p in prefixes {
                let id = *index.entry(p.clone()).or_insert_with(|| {
                    literals.push(p.clone());
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
        let automaton = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(&literals)
            .map_err(|e| anyhow::anyhow!("building the literal prefilter failed: {e}"))?;
        Ok(Some(LiteralTier {
            automaton,
            rules_of,
        }))
    }

    /// Every (start, rule) where a literal of the rule occurs, in order of
    /// the literal's end; a rule may be named twice at one start when two of
    /// its literals begin there (the caller drops repeats).
    pub(crate) fn hits(&self, text: &[u8], mut f: impl FnMut(usize, usize)) {
        for m in self.automaton.find_overlapping_iter(text) {
            for &rule in &self.rules_of[m.pattern().as_usize()] {
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
            v.into_iter()
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
        assert_eq!(
            lits(r"\b(?P<value>(?:AKIA|ASIA)[0-9A-Z]{16})\b").unwrap(),
            ["akia", "asia"]
        );
        // Digits after the prefix are expanded only while few: `xoxb-0`…`xoxb-9`.
        let slack = lits(r"\b(?P<value>xoxb-[0-9]{8,14}-[A-Za-z0-9]{24})\b").unwrap();
        assert!(
            slack.len() <= 64 && slack.iter().all(|l| l.starts_with("xoxb-")),
            "{slack:?}"
        );
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
