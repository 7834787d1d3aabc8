//! Client names: the organisation's list of clients (names and aliases),
//! matched whole-word and case-insensitively by one Aho-Corasick automaton.
//!
//! Names that are also ordinary words ("Summit", "Beacon") count only when
//! written as a name — capitalised and not after a determiner — or, when
//! that is unclear, with client context on the same line; never as
//! "the summit" or "a beacon".
//!
//! Speed: an unanchored automaton over thousands of names must take one
//! transition per byte through a table of tens of megabytes. Names only
//! count at word starts, so instead each word start is checked against a
//! bitset of the names' first four (lowercased) bytes, and only the rare
//! survivors run the automaton, anchored there. Same matches, about twice
//! the throughput on prose.

use crate::detect::context::{is_whole_word, is_word_byte};
use crate::detect::words::{block_word_mask, gather_high_bits, word_lanes};
use aho_corasick::{
    AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, Anchored, Input, MatchKind, StartKind,
};
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

/// The line of a quote that opens a CSV field and is never closed, read the
/// way the csv crate reads quotes: only a quote at the start of a field opens
/// one, `""` inside it is a literal quote.
fn unterminated_quote(data: &[u8]) -> Option<u64> {
    #[derive(Clone, Copy)]
    enum State {
        FieldStart,
        Unquoted,
        Quoted,
        QuoteInQuoted,
    }
    let mut state = State::FieldStart;
    let mut line: u64 = 1;
    let mut opened_on = 0;
    for &b in data {
        state = match (state, b) {
            (State::FieldStart, b'"') => {
                opened_on = line;
                State::Quoted
            }
            (State::Quoted, b'"') => State::QuoteInQuoted,
            (State::Quoted, _) => State::Quoted,
            (State::QuoteInQuoted, b'"') => State::Quoted,
            (_, b',' | b'\n' | b'\r') => State::FieldStart,
            _ => State::Unquoted,
        };
        if b == b'\n' {
            line += 1;
        }
    }
    matches!(state, State::Quoted).then_some(opened_on)
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

/// Bits in the first-bytes filter: 2^20 bits = 128 KiB, cache-friendly and
/// sparse enough for 100,000 names.
const FILTER_BITS: u32 = 20;

/// A compiled client dictionary.
#[derive(Debug, Clone)]
pub struct ClientDictionary {
    clients: Vec<Client>,
    /// Anchored-only: it runs at candidate word starts.
    automaton: AhoCorasick,
    /// Automaton pattern → client index.
    owner: Vec<u32>,
    /// Bitset over every name's first two bytes (case folded): 8 KiB, in L1,
    /// rejects most word starts before the key is even computed.
    bigrams: Box<[u64; 1024]>,
    /// Bitset over hashes of every name's first-bytes key.
    filter: Vec<u64>,
    /// Bytes that start a name although they are not word bytes (`(RED)`, `Électricité`).
    special_start: [bool; 256],
    has_special_start: bool,
    context: AhoCorasick,
}

/// The key at `i` given the number of word bytes that start there.
#[inline]
fn key_at(text: &[u8], i: usize, run: u32) -> u32 {
    let run = run.clamp(1, 4);
    let keep = if run == 4 {
        u32::MAX
    } else {
        (1u32 << (8 * run)) - 1
    };
    let x = match text.get(i..i + 4) {
        Some(&[a, b, c, d]) => u32::from_le_bytes([a, b, c, d]),
        _ => {
            let mut four = [0u8; 4];
            let n = text.len().saturating_sub(i).min(4);
            four[..n].copy_from_slice(&text[i..i + n]);
            u32::from_le_bytes(four)
        }
    };
    (x | 0x2020_2020) & keep
}

/// The first up to four bytes at `i`, ASCII letters lowercased, cut before
/// the first non-word byte (the first byte always counts). The same function
/// keys the names and the text, so a name's key equals its occurrences'.
#[inline]
fn start_key(text: &[u8], i: usize) -> u32 {
    // A fixed-size load where possible: a variable-length copy is a memcpy call.
    let x = match text.get(i..i + 4) {
        Some(&[a, b, c, d]) => u64::from(u32::from_le_bytes([a, b, c, d])),
        _ => {
            let mut four = [0u8; 8];
            let n = text.len().saturating_sub(i).min(4);
            four[..n].copy_from_slice(&text[i..i + n]);
            u64::from_le_bytes(four)
        }
    };
    let run = (!gather_high_bits(word_lanes(x)))
        .trailing_zeros()
        .clamp(1, 4);
    let keep = if run == 4 {
        u32::MAX
    } else {
        (1u32 << (8 * run)) - 1
    };
    ((x as u32) | 0x2020_2020) & keep
}

/// Index of a case-folded byte pair in the bigram bitset.
#[inline]
fn bigram(first: u8, second: u8) -> u16 {
    u16::from_le_bytes([first | 0x20, second | 0x20])
}

#[inline]
fn filter_slot(key: u32) -> usize {
    (key.wrapping_mul(0x9E37_79B1) >> (32 - FILTER_BITS)) as usize
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
        // The csv crate reads an unterminated quote to the end of the file as
        // one field: every name after it would silently vanish.
        if let Some(line) = unterminated_quote(data) {
            return Err(ClientsError {
                file: file.to_string(),
                line,
                reason: "a quoted field is never closed (missing `\"`): every line after it \
                         would be read as part of this field"
                    .into(),
            });
        }
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
            .start_kind(StartKind::Anchored)
            .kind(Some(kind))
            .build(&patterns)
            .or_else(|_| {
                // A DFA can exceed its size limit on huge lists; the NFA cannot.
                AhoCorasickBuilder::new()
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::LeftmostLongest)
                    .start_kind(StartKind::Anchored)
                    .build(&patterns)
            })?;
        let mut filter = vec![0u64; 1 << (FILTER_BITS - 6)];
        let mut bigrams = Box::new([0u64; 1024]);
        let mut special_start = [false; 256];
        for p in &patterns {
            let bytes = p.as_bytes();
            let Some(&first) = bytes.first() else {
                continue;
            };
            if !is_word_byte(first) {
                special_start[usize::from(first)] = true;
            }
            let slot = filter_slot(start_key(bytes, 0));
            filter[slot >> 6] |= 1 << (slot & 63);
            match bytes.get(1) {
                Some(&second) if is_word_byte(second) => {
                    let pair = bigram(first, second);
                    bigrams[usize::from(pair >> 6)] |= 1 << (pair & 63);
                }
                // A one-letter word starts the name ("X", "A Corp"): any
                // second byte may follow it in a text.
                _ => {
                    for second in 0..=255u8 {
                        let pair = bigram(first, second);
                        bigrams[usize::from(pair >> 6)] |= 1 << (pair & 63);
                    }
                }
            }
        }
        let context = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .build(CLIENT_CONTEXT)?;
        Ok(ClientDictionary {
            clients,
            automaton,
            owner,
            filter,
            has_special_start: special_start.iter().any(|&b| b),
            bigrams,
            special_start,
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
        // Locals, so the hot loop keeps them in registers.
        let bigrams: &[u64; 1024] = &self.bigrams;
        let filter = self.filter.as_slice();
        // Positions below `resume` lie inside a name already reported.
        let mut resume = 0;
        let mut carry = 0u64;
        let mut next_words = block_word_mask(bytes, 0);
        for (block, chunk) in bytes.chunks(64).enumerate() {
            let base = block * 64;
            let words = next_words;
            next_words = block_word_mask(bytes, block + 1);
            let mut starts = words & !((words << 1) | carry);
            carry = words >> 63;
            if self.has_special_start {
                for (j, &b) in chunk.iter().enumerate() {
                    if self.special_start[usize::from(b)] {
                        starts |= 1 << j;
                    }
                }
            }
            // Gate every start on its first two bytes without branching, then
            // look closer only at the few that pass.
            let mut passing = 0u64;
            let mut pending = starts;
            while pending != 0 {
                let j = pending.trailing_zeros() as usize;
                pending &= pending - 1;
                let first = chunk.get(j).copied().unwrap_or(0);
                let second = bytes.get(base + j + 1).copied().unwrap_or(0);
                let pair = bigram(first, second);
                passing |= ((bigrams[usize::from(pair >> 6)] >> (pair & 63)) & 1) << j;
            }
            while passing != 0 {
                let j = passing.trailing_zeros() as usize;
                passing &= passing - 1;
                let i = base + j;
                if i < resume {
                    continue;
                }
                // This block's and the next block's word bits give the
                // word's length at this start without looking at bytes again.
                let window = u128::from(words) | (u128::from(next_words) << 64);
                let run = (!((window >> j) as u64)).trailing_zeros();
                let slot = filter_slot(key_at(bytes, i, run));
                if filter[slot >> 6] & (1 << (slot & 63)) == 0 {
                    continue;
                }
                let input = Input::new(bytes)
                    .span(i..bytes.len())
                    .anchored(Anchored::Yes);
                let Some(m) = self.automaton.find(input) else {
                    continue;
                };
                let (start, end) = (m.start(), m.end());
                if !is_whole_word(bytes, start, end) {
                    continue;
                }
                // Non-overlapping, like a leftmost-longest scan: resume after the name.
                resume = end;
                self.report(bytes, m.pattern().as_usize(), start, end, out);
            }
        }
    }

    /// Record one whole-word occurrence unless it is an ordinary word used as one.
    fn report(
        &self,
        bytes: &[u8],
        pattern: usize,
        start: usize,
        end: usize,
        out: &mut Vec<ClientHit>,
    ) {
        {
            let client = self.owner[pattern];
            let context = self.has_context(bytes, start, end);
            if self.clients[client as usize].ordinary_word {
                let counts = match usage(bytes, start) {
                    Usage::Name => true,
                    Usage::Ordinary => false,
                    Usage::Unclear => context,
                };
                if !counts {
                    return;
                }
            }
            out.push(ClientHit {
                client,
                start,
                end,
                context,
            });
        }
    }

    /// Client context within the window, on the same line: a table cell or
    /// list item about something else says nothing about this one.
    fn has_context(&self, text: &[u8], start: usize, end: usize) -> bool {
        let line_start = memchr::memrchr(b'\n', &text[..start]).map_or(0, |p| p + 1);
        let line_end = memchr::memchr(b'\n', &text[end..]).map_or(text.len(), |p| end + p);
        let lo = start.saturating_sub(CONTEXT_WINDOW).max(line_start);
        let hi = end.saturating_add(CONTEXT_WINDOW).min(line_end);
        [(lo, start), (end, hi)].iter().any(|&(from, to)| {
            self.context
                .find_iter(&text[from..to])
                .any(|m| is_whole_word(text, from + m.start(), from + m.end()))
        })
    }
}

/// How an occurrence of an ordinary-word name reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Usage {
    /// Capitalised and not after a determiner: "met Summit", "Beacon reports…".
    Name,
    /// Lowercase after a determiner: "the summit", "a beacon".
    Ordinary,
    /// Anything else: context decides.
    Unclear,
}

/// Singular nouns in English need a determiner, so a capitalised ordinary
/// word without one ("Beacon sees 502s", a table cell "Summit") is a name,
/// even where it opens a sentence; after a determiner it is the ordinary
/// word ("the summit"), unless it is capitalised and context says otherwise.
fn usage(text: &[u8], start: usize) -> Usage {
    let capitalised = text[start].is_ascii_uppercase();
    let mut i = start;
    while i > 0 && matches!(text[i - 1], b' ' | b'\t') {
        i -= 1;
    }
    let word_end = i;
    let mut word_start = i;
    while word_start > 0 && is_word_byte(text[word_start - 1]) {
        word_start -= 1;
    }
    let prev_word = &text[word_start..word_end];
    let after_determiner = !prev_word.is_empty()
        && DETERMINERS
            .iter()
            .any(|d| d.as_bytes().eq_ignore_ascii_case(prev_word));
    match (capitalised, after_determiner) {
        (true, false) => Usage::Name,
        (false, true) => Usage::Ordinary,
        _ => Usage::Unclear,
    }
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
    fn unterminated_quote_is_found_on_its_own_line() {
        assert_eq!(unterminated_quote(b"name\nA\n\"B\nC\n"), Some(3));
        assert_eq!(unterminated_quote(b"name\n\"B, \"\"x\"\"\"\nC\n"), None);
        assert_eq!(unterminated_quote(b"name\nB\"s place\nC\n"), None);
        assert_eq!(unterminated_quote(b"name,aliases\nA,\"x|y\"\n"), None);
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
        assert!(names(&d, "we reached the Summit").is_empty());
        assert!(names(&d, "the annual customer conference is the summit").is_empty());
        assert!(names(&d, "we met at summit hall").is_empty());
        assert!(names(&d, "our contract\nsummit hall").is_empty());
        assert_eq!(names(&d, "Meeting with Summit on Friday"), ["Summit"]);
        assert_eq!(names(&d, "Summit reports 502s"), ["Summit"]);
        assert_eq!(names(&d, "Deal\nSummit\nClosed won"), ["Summit"]);
        assert_eq!(
            names(&d, "call summit about the renewal contract"),
            ["Summit"]
        );
        assert_eq!(names(&d, "renew the Summit contract"), ["Summit"]);
    }

    #[test]
    fn start_keys_ignore_case_and_stop_at_word_end() {
        assert_eq!(start_key(b"NORTHWIND", 0), start_key(b"northwind", 0));
        assert_eq!(start_key(b"Red Cross", 0), start_key(b"red", 0));
        assert_ne!(start_key(b"Redwood", 0), start_key(b"red", 0));
        assert_eq!(start_key(b"x AT&T", 2), start_key(b"at", 0));
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
