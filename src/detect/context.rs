//! Context words: one Aho-Corasick automaton over every rule's context and
//! deny words, searched only in the small windows around candidate values.
//!
//! Matching is whole-word and ASCII case-insensitive: Presidio's substring
//! default ("lic" in "public") is a known source of false positives.
//!
//! The automaton runs leftmost-longest and non-overlapping, which is several
//! times cheaper per window than overlapping iteration. A longer word can
//! then hide a shorter one inside it ("account number" hides "number"), so
//! every word also carries the rules of the words it contains as whole words:
//! the verdict is the same as an overlapping search would give.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

/// What a context word means for one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Supports,
    Denies,
}

/// What the window around one candidate says.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ContextVerdict {
    pub supported: bool,
    pub denied: bool,
}

/// Every rule's context words, compiled once.
#[derive(Debug, Clone)]
pub struct ContextMatcher {
    automaton: Option<AhoCorasick>,
    /// For each automaton pattern: the rules it concerns and how.
    owners: Vec<Vec<(u32, Role)>>,
}

/// Whether a byte is part of a word for boundary purposes. Non-ASCII bytes
/// count as boundaries so that `’s` after a word does not hide it.
#[inline]
pub fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Whether `[start, end)` of `text` is a whole word.
#[inline]
pub fn is_whole_word(text: &[u8], start: usize, end: usize) -> bool {
    let before_ok = start == 0 || !is_word_byte(text[start - 1]);
    let after_ok = end >= text.len() || !is_word_byte(text[end]);
    before_ok && after_ok
}

/// Whether `inner` occurs in `outer` with word boundaries on both sides.
fn contains_whole_word(outer: &[u8], inner: &[u8]) -> bool {
    if inner.is_empty() || inner.len() > outer.len() {
        return false;
    }
    (0..=outer.len() - inner.len()).any(|s| {
        outer[s..s + inner.len()].eq_ignore_ascii_case(inner)
            && is_whole_word(outer, s, s + inner.len())
    })
}

impl ContextMatcher {
    /// Build from `(rule index, words, deny words)` triples.
    pub fn new<'a>(rules: impl Iterator<Item = (u32, &'a [String], &'a [String])>) -> Self {
        let mut words: Vec<String> = Vec::new();
        let mut owners: Vec<Vec<(u32, Role)>> = Vec::new();
        let mut add = |word: &str, rule: u32, role: Role| {
            let word = word.to_ascii_lowercase();
            match words.iter().position(|w| *w == word) {
                Some(i) => owners[i].push((rule, role)),
                None => {
                    words.push(word);
                    owners.push(vec![(rule, role)]);
                }
            }
        };
        for (rule, supports, denies) in rules {
            for w in supports {
                add(w, rule, Role::Supports);
            }
            for w in denies {
                add(w, rule, Role::Denies);
            }
        }
        // A word inherits the rules of every word it contains as a whole word.
        let direct = owners.clone();
        for (i, outer) in words.iter().enumerate() {
            for (j, inner) in words.iter().enumerate() {
                if i != j && contains_whole_word(outer.as_bytes(), inner.as_bytes()) {
                    for &o in &direct[j] {
                        if !owners[i].contains(&o) {
                            owners[i].push(o);
                        }
                    }
                }
            }
        }
        let automaton = if words.is_empty() {
            None
        } else {
            AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::LeftmostLongest)
                .kind(Some(aho_corasick::AhoCorasickKind::DFA))
                .build(&words)
                .ok()
        };
        ContextMatcher { automaton, owners }
    }

    /// Look for `rule`'s context words within `window` bytes before `start`
    /// and after `end` in `text` (the value itself is not its own context).
    pub fn check(
        &self,
        rule: u32,
        text: &[u8],
        start: usize,
        end: usize,
        window: usize,
    ) -> ContextVerdict {
        let mut verdict = ContextVerdict::default();
        let Some(ac) = &self.automaton else {
            return verdict;
        };
        let lo = start.saturating_sub(window);
        let hi = end.saturating_add(window).min(text.len());
        for (from, to) in [(lo, start), (end, hi)] {
            if from >= to {
                continue;
            }
            for m in ac.find_iter(&text[from..to]) {
                let (s, e) = (from + m.start(), from + m.end());
                if !is_whole_word(text, s, e) {
                    continue;
                }
                for &(r, role) in &self.owners[m.pattern().as_usize()] {
                    if r == rule {
                        match role {
                            Role::Supports => verdict.supported = true,
                            Role::Denies => verdict.denied = true,
                        }
                    }
                }
            }
        }
        verdict
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matcher() -> ContextMatcher {
        let words = vec!["ssn".to_string(), "social security".to_string()];
        let deny = vec!["version".to_string()];
        ContextMatcher::new([(0u32, words.as_slice(), deny.as_slice())].into_iter())
    }

    #[test]
    fn finds_whole_words_before_and_after() {
        let m = matcher();
        let t = b"Employee SSN: 123-45-6789 on file";
        assert!(m.check(0, t, 14, 25, 30).supported);
        let t = b"123-45-6789 is her Social Security number";
        assert!(m.check(0, t, 0, 11, 30).supported);
    }

    #[test]
    fn ignores_partial_words_and_other_rules_and_far_words() {
        let m = matcher();
        let t = b"classn 123-45-6789";
        assert!(!m.check(0, t, 7, 18, 30).supported);
        let t = b"SSN 123-45-6789";
        assert!(!m.check(1, t, 4, 15, 30).supported);
        let t = b"SSN                                        123-45-6789";
        assert!(!m.check(0, t, 43, 54, 10).supported);
    }

    #[test]
    fn a_longer_word_does_not_hide_a_shorter_one_inside_it() {
        let long = vec!["account number".to_string()];
        let short = vec!["number".to_string()];
        let none: Vec<String> = Vec::new();
        let m = ContextMatcher::new(
            [
                (0u32, long.as_slice(), none.as_slice()),
                (1u32, short.as_slice(), none.as_slice()),
            ]
            .into_iter(),
        );
        let t = b"account number 12345678";
        assert!(m.check(0, t, 15, 23, 30).supported);
        assert!(m.check(1, t, 15, 23, 30).supported);
        let t = b"numbers 12345678";
        assert!(!m.check(1, t, 8, 16, 30).supported);
    }

    #[test]
    fn deny_words_veto() {
        let m = matcher();
        let t = b"version 10.2.3.4";
        assert!(m.check(0, t, 8, 16, 20).denied);
    }
}
