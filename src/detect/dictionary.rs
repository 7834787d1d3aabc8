//! Client names: the organisation's list of clients (names and aliases),
//! matched whole-word and case-insensitively by one Aho-Corasick automaton.
//!
//! Names that are also ordinary words ("Summit", "Beacon") count only when
//! written as a name — capitalised, not at the start of a sentence, not after
//! a lowercase article ("the summit") — or when client context is near.

use crate::detect::context::{is_whole_word, is_word_byte};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use std::fmt;
use std::path::Path;

/// One client of the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    pub name: String,
    pub aliases: Vec<String>,
    pub ordinary_word: bool,
}

/// A clients file that could not be read, with where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ClientsError {
    pub file: String,
    pub line: u64,
    pub reason: String,
}

impl fmt::Display for ClientsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.reason)
    }
}

/// Words near an ordinary-word name that show it is meant as a client.
const CLIENT_CONTEXT: &[&str] = &[
    "client",
    "clients",
    "customer",
    "customers",
    "account",
    "contract",
    "deal",
    "renewal",
    "partner",
    "vendor",
    "inc",
    "ltd",
    "llc",
    "gmbh",
    "corp",
    "corporation",
    "sow",
    "msa",
    "nda",
    "invoice",
    "po",
    "rfp",
    "proposal",
    "onboarding",
    "engagement",
];
/// Lowercase determiners that make a following ordinary word ordinary.
const DETERMINERS: &[&str] = &[
    "the", "a", "an", "this", "that", "our", "its", "each", "every", "no", "their", "your", "my",
];
const CONTEXT_WINDOW: usize = 60;
/// Above this many patterns a DFA would cost too much memory to build; the
/// contiguous NFA is still linear and fast enough.
const DFA_PATTERN_LIMIT: usize = 20_000;

/// A compiled client dictionary.
#[derive(Debug, Clone)]
pub struct ClientDictionary {
    clients: Vec<Client>,
    automaton: AhoCorasick,
    /// Automaton pattern → client index.
    owner: Vec<u32>,
    context: AhoCorasick,
}

/// One client name found in a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientHit {
    pub client: u32,
    pub start: usize,
    pub end: usize,
    pub context: bool,
}

fn parse_flag(raw: &str) -> Option<bool> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "" | "false" | "0" | "no" => Some(false),
        "true" | "1" | "yes" => Some(true),
        _ => None,
    }
}

impl ClientDictionary {
    /// Read a clients CSV: `name,aliases,ordinary_word`, aliases `|`-separated.
    pub fn from_csv_file(path: &Path) -> Result<ClientDictionary, ClientsError> {
        let file = path.display().to_string();
        let data = std::fs::read(path).map_err(|e| ClientsError {
            file: file.clone(),
            line: 1,
            reason: format!("cannot read: {e}"),
        })?;
        Self::from_csv(&file, &data)
    }

    /// Parse a clients CSV from memory; `file` names it in errors.
    pub fn from_csv(file: &str, data: &[u8]) -> Result<ClientDictionary, ClientsError> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(data);
        let err = |line: u64, reason: String| ClientsError {
            file: file.to_string(),
            line,
            reason,
        };
        let headers = reader
            .headers()
            .map_err(|e| err(1, format!("cannot read header: {e}")))?
            .clone();
        let col = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
        let name_col = col("name").ok_or_else(|| {
            err(
                1,
                "header has no `name` column (expected name,aliases,ordinary_word)".into(),
            )
        })?;
        let alias_col = col("aliases");
        let flag_col = col("ordinary_word");
        let mut clients = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                err(line, format!("malformed CSV: {e}"))
            })?;
            let line = record.position().map(|p| p.line()).unwrap_or(0);
            let name = record.get(name_col).unwrap_or("").to_string();
            if name.is_empty() {
                if record.iter().all(|f| f.is_empty()) {
                    continue;
                }
                return Err(err(line, "empty client name".into()));
            }
            let aliases: Vec<String> = alias_col
                .and_then(|c| record.get(c))
                .unwrap_or("")
                .split('|')
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .map(str::to_string)
                .collect();
            let raw_flag = flag_col.and_then(|c| record.get(c)).unwrap_or("");
            let ordinary_word = parse_flag(raw_flag).ok_or_else(|| {
                err(
                    line,
                    format!("ordinary_word is {raw_flag:?}; expected true, false, 1, 0 or empty"),
                )
            })?;
            clients.push(Client {
                name,
                aliases,
                ordinary_word,
            });
        }
        Self::new(clients).map_err(|e| err(1, format!("cannot compile the client names: {e}")))
    }

    /// Compile a dictionary from clients.
    pub fn new(clients: Vec<Client>) -> Result<ClientDictionary, aho_corasick::BuildError> {
        let mut patterns: Vec<&str> = Vec::new();
        let mut owner = Vec::new();
        for (i, c) in clients.iter().enumerate() {
            for p in std::iter::once(&c.name).chain(&c.aliases) {
                patterns.push(p);
                owner.push(i as u32);
            }
        }
        let kind = if patterns.len() <= DFA_PATTERN_LIMIT {
            AhoCorasickKind::DFA
        } else {
            AhoCorasickKind::ContiguousNFA
        };
        let automaton = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            .kind(Some(kind))
            .build(&patterns)
            .or_else(|_| {
                // A DFA can exceed its size limit on huge lists; the NFA cannot.
                AhoCorasickBuilder::new()
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::LeftmostLongest)
                    .build(&patterns)
            })?;
        let context = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .build(CLIENT_CONTEXT)?;
        Ok(ClientDictionary {
            clients,
            automaton,
            owner,
            context,
        })
    }

    pub fn clients(&self) -> &[Client] {
        &self.clients
    }

    pub fn len(&self) -> usize {
        self.clients.len()
    }

    pub fn is_empty(&self) -> bool {
        self.clients.is_empty()
    }

    /// Every counted client-name occurrence in `text`, in order.
    pub fn find(&self, text: &str, out: &mut Vec<ClientHit>) {
        let bytes = text.as_bytes();
        for m in self.automaton.find_iter(bytes) {
            let (start, end) = (m.start(), m.end());
            if !is_whole_word(bytes, start, end) {
                continue;
            }
            let client = self.owner[m.pattern().as_usize()];
            let context = self.has_context(bytes, start, end);
            if self.clients[client as usize].ordinary_word
                && !context
                && !written_as_name(bytes, start)
            {
                continue;
            }
            out.push(ClientHit {
                client,
                start,
                end,
                context,
            });
        }
    }

    fn has_context(&self, text: &[u8], start: usize, end: usize) -> bool {
        let lo = start.saturating_sub(CONTEXT_WINDOW);
        let hi = end.saturating_add(CONTEXT_WINDOW).min(text.len());
        [(lo, start), (end, hi)].iter().any(|&(from, to)| {
            self.context
                .find_iter(&text[from..to])
                .any(|m| is_whole_word(text, from + m.start(), from + m.end()))
        })
    }
}

/// An ordinary word is meant as a name when it is capitalised, does not open
/// a sentence (where every word is capitalised) and does not follow a
/// lowercase determiner ("the Summit" is still the summit).
fn written_as_name(text: &[u8], start: usize) -> bool {
    if !text[start].is_ascii_uppercase() {
        return false;
    }
    let mut i = start;
    while i > 0 && text[i - 1] == b' ' {
        i -= 1;
    }
    if i == 0 {
        return false; // start of the text: a sentence start
    }
    let prev = text[i - 1];
    if matches!(
        prev,
        b'.' | b'!' | b'?' | b'\n' | b':' | b'"' | b'(' | b'[' | b'|' | b'-'
    ) {
        return false;
    }
    let word_end = i;
    let mut word_start = i;
    while word_start > 0 && is_word_byte(text[word_start - 1]) {
        word_start -= 1;
    }
    let prev_word = &text[word_start..word_end];
    !DETERMINERS.iter().any(|d| d.as_bytes() == prev_word)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dict() -> ClientDictionary {
        ClientDictionary::from_csv(
            "clients.csv",
            b"name,aliases,ordinary_word\nNorthwind Traders,Northwind|NWT,false\nSummit,,true\nContoso,Contoso Ltd,0\n",
        )
        .unwrap()
    }

    fn names(d: &ClientDictionary, text: &str) -> Vec<String> {
        let mut hits = Vec::new();
        d.find(text, &mut hits);
        hits.iter()
            .map(|h| d.clients()[h.client as usize].name.clone())
            .collect()
    }

    #[test]
    fn matches_names_and_aliases_whole_word_case_insensitive() {
        let d = dict();
        assert_eq!(
            names(&d, "Call NORTHWIND about contoso ltd’s invoice"),
            ["Northwind Traders", "Contoso"]
        );
        assert!(names(&d, "northwindy contosos").is_empty());
    }

    #[test]
    fn leftmost_longest_prefers_full_name() {
        let d = dict();
        let mut hits = Vec::new();
        d.find("We met Northwind Traders today", &mut hits);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].end - hits[0].start, "Northwind Traders".len());
    }

    #[test]
    fn ordinary_words_need_a_name_or_context() {
        let d = dict();
        assert!(names(&d, "we reached the summit at noon").is_empty());
        assert!(names(&d, "Summit is at noon").is_empty());
        assert!(names(&d, "we reached the Summit").is_empty());
        assert_eq!(names(&d, "Meeting with Summit on Friday"), ["Summit"]);
        assert_eq!(names(&d, "the summit renewal contract is due"), ["Summit"]);
    }

    #[test]
    fn bad_flag_names_file_and_line() {
        let e =
            ClientDictionary::from_csv("c.csv", b"name,aliases,ordinary_word\nA,,true\nB,,maybe\n")
                .unwrap_err();
        assert_eq!(e.line, 3);
        assert!(e.to_string().starts_with("c.csv:3:"), "{e}");
    }

    #[test]
    fn missing_name_column_is_an_error() {
        let e = ClientDictionary::from_csv("c.csv", b"client,aliases\nA,B\n").unwrap_err();
        assert_eq!(e.line, 1);
    }
}
