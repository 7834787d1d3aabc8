//! Turns Atlassian body formats into plain text for detection.
//!
//! Both extractors are lenient: malformed input yields best-effort text plus
//! warnings, never a panic. Inline formatting never splits a word or number;
//! blocks (paragraphs, headings, list items, table cells, code lines) are
//! separated by newlines.
//!
//! A body that could not be read (not JSON at all, cut off mid-document, over
//! the size cap) is never passed off as clean: [`Extracted::failed`] says why,
//! and the sources turn that into a failed item, so its container is partial.
//! Whatever text was read before the fault is still returned and scanned.
//!
//! This module owns the output conventions shared by the extractors: the
//! [`Sink`] that builds the text (block separators, blank-line collapsing,
//! invisible-character and odd-space normalisation, attribute "segments"),
//! the bounded, de-duplicated [`Warnings`] list, the per-document size cap,
//! and which macro parameters count as visible text ([`visible_macro_param`]).

pub mod adf;
pub mod deep_json;
pub mod storage;

pub use adf::{adf_to_text, adf_to_text_limited, adf_value_to_text};
pub use storage::{storage_to_text, storage_to_text_limited};

use std::borrow::Cow;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Plain text extracted from a body, with what went wrong along the way.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Extracted {
    pub text: String,
    /// Human-readable notes on malformed input (never contains body text beyond a short position hint).
    pub warnings: Vec<String>,
    /// Why the body could not be read to the end (or at all). When set, the
    /// item it belongs to is failed, not scanned, whatever `text` holds.
    pub failed: Option<String>,
    /// Offsets of `text` in the input, where normalising moved them
    /// ([`Extracted::plain`] only; extractors report offsets in their text).
    pub offsets: crate::model::OffsetMap,
}

impl Extracted {
    /// Text that needs no extraction (a title, a plain-text field), with
    /// invisible characters normalised like extracted text.
    pub fn plain(text: &str) -> Self {
        let (text, offsets) = normalise_mapped(text);
        Extracted {
            text,
            offsets,
            ..Extracted::default()
        }
    }

    fn failure(reason: String) -> Self {
        Extracted {
            failed: Some(reason),
            ..Extracted::default()
        }
    }
}

/// Default cap on one body (ADF JSON or storage XHTML) handed to an
/// extractor. Extraction holds the body and its text at once, so the cap
/// bounds the memory one document can take; a body past it is a failed item.
pub const DEFAULT_MAX_DOCUMENT_BYTES: usize = 32 << 20;

static MAX_DOCUMENT_BYTES: AtomicUsize = AtomicUsize::new(DEFAULT_MAX_DOCUMENT_BYTES);

/// Set the cap [`adf_to_text`], [`adf_value_to_text`] and [`storage_to_text`]
/// apply (the CLI's `--max-document-mib`). Process-wide, because the bodies
/// are extracted deep inside the sources.
pub fn set_max_document_bytes(bytes: usize) {
    MAX_DOCUMENT_BYTES.store(bytes, Ordering::Relaxed);
}

/// The cap currently applied to one body.
pub fn max_document_bytes() -> usize {
    MAX_DOCUMENT_BYTES.load(Ordering::Relaxed)
}

/// `Some(failure)` when a body of `len` bytes is over `max`.
fn over_cap(len: usize, max: usize) -> Option<Extracted> {
    (len > max).then(|| {
        Extracted::failure(format!(
            "document is {len} bytes, above the {} limit for one document (raise it with --max-document-mib)",
            describe_bytes(max)
        ))
    })
}

fn describe_bytes(n: usize) -> String {
    if n >= 1 << 20 && n.is_multiple_of(1 << 20) {
        format!("{} MiB", n >> 20)
    } else {
        format!("{n} byte")
    }
}

/// Macros whose `title` parameter is shown to readers: the panel family's
/// heading, the expand's clickable label, the status lozenge's label, the code
/// block's caption. Every other macro parameter (language, theme, colour,
/// server, JQL, columns, anchor names, widget URLs, revision, ...) is
/// configuration the reader never sees, and is not scanned.
const TITLED_MACROS: &[&str] = &[
    "panel", "info", "note", "warning", "tip", "expand", "status", "code", "noformat",
];

/// Whether parameter `param` of macro `name` is text a reader sees. One rule
/// for both formats: storage `<ac:parameter>`s and ADF extension nodes'
/// `macroParams`, so a page scans the same whichever format it is read in.
pub fn visible_macro_param(name: &str, param: &str) -> bool {
    param.eq_ignore_ascii_case("title")
        && TITLED_MACROS.iter().any(|m| m.eq_ignore_ascii_case(name))
}

/// What a character becomes in extracted text: `None` drops it.
///
/// Zero-width characters, the soft hyphen and the BOM carry no text but
/// split tokens (`jo\u{200B}hn@example.com` must still be an e-mail); the
/// Unicode spaces (no-break, thin, hair, narrow no-break, ideographic ...)
/// sit inside numbers and names where detectors expect an ordinary space.
pub(crate) fn fold_char(c: char) -> Option<char> {
    match c {
        '\u{00AD}'
        | '\u{180E}'
        | '\u{200B}'..='\u{200D}'
        | '\u{2060}'..='\u{2064}'
        | '\u{FEFF}' => None,
        '\u{00A0}'
        | '\u{1680}'
        | '\u{2000}'..='\u{200A}'
        | '\u{202F}'
        | '\u{205F}'
        | '\u{3000}' => Some(' '),
        c => Some(c),
    }
}

/// Whether `s` may hold a character [`fold_char`] changes (or a line break
/// or tab, which [`Sink::text`] handles): the lead bytes of every one of them.
fn needs_care(s: &str) -> bool {
    s.bytes().any(|b| {
        matches!(
            b,
            b'\r' | b'\n' | b'\t' | 0x0C | 0xC2 | 0xE1 | 0xE2 | 0xE3 | 0xEF
        )
    })
}

/// `s` with [`fold_char`] applied; borrowed when nothing changes (the usual case).
pub fn normalise(s: &str) -> Cow<'_, str> {
    if !needs_care(s) || s.chars().all(|c| fold_char(c) == Some(c)) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(s.chars().filter_map(fold_char).collect())
}

/// [`normalise`], with the offsets of the result in `s`.
pub fn normalise_mapped(s: &str) -> (String, crate::model::OffsetMap) {
    let mut map = crate::model::OffsetMap::default();
    if !needs_care(s) || s.chars().all(|c| fold_char(c) == Some(c)) {
        return (s.to_string(), map);
    }
    let mut out = String::with_capacity(s.len());
    for (i, c) in s.char_indices() {
        match fold_char(c) {
            Some(f) => {
                out.push(f);
                if f.len_utf8() != c.len_utf8() {
                    // The next character starts where the original's does.
                    map.push(out.len(), i + c.len_utf8());
                }
            }
            None => map.push(out.len(), i + c.len_utf8()),
        }
    }
    (out, map)
}

/// Most distinct warnings kept per body; a pathological body could otherwise
/// produce one per byte.
const MAX_WARNINGS: usize = 16;

/// De-duplicated, capped list of warnings for one body.
#[derive(Debug, Default)]
pub(crate) struct Warnings {
    list: Vec<String>,
    suppressed: usize,
}

impl Warnings {
    pub(crate) fn push(&mut self, msg: String) {
        if self.list.contains(&msg) {
            return;
        }
        if self.list.len() < MAX_WARNINGS {
            self.list.push(msg);
        } else {
            self.suppressed += 1;
        }
    }

    pub(crate) fn finish(mut self) -> Vec<String> {
        if self.suppressed > 0 {
            self.list
                .push(format!("{} further warnings suppressed", self.suppressed));
        }
        self.list
    }
}

/// Builds the extracted text in one `String`.
///
/// Separators are *pending* rather than written eagerly: a block boundary only
/// becomes a `"\n"` when the next visible character arrives, so nested blocks,
/// indentation between tags and empty elements never produce blank lines, and
/// the text never starts or ends with separators.
#[derive(Debug)]
pub(crate) struct Sink {
    out: String,
    /// A block boundary was crossed since the last visible character.
    pending_break: bool,
    /// An attribute segment was written; the next visible character must not glue to it.
    pending_space: bool,
}

impl Sink {
    pub(crate) fn with_capacity(n: usize) -> Self {
        Sink {
            out: String::with_capacity(n),
            // Leading whitespace of the whole body is insignificant.
            pending_break: true,
            pending_space: false,
        }
    }

    /// Byte length of the text so far (used to remember where a link label starts).
    pub(crate) fn len(&self) -> usize {
        self.out.len()
    }

    /// Marks a block boundary (paragraph, cell, list item, `<br>`, hardBreak ...).
    pub(crate) fn block(&mut self) {
        self.pending_break = true;
    }

    /// Appends body text. `pre` keeps newlines and tabs (code, CDATA, ADF text);
    /// otherwise they are HTML whitespace and become spaces. Runs of spaces are
    /// kept as they are: detectors decide what a separator is.
    pub(crate) fn text(&mut self, s: &str, pre: bool) {
        if !self.pending_break && !self.pending_space && !needs_care(s) {
            self.out.push_str(s);
            return;
        }
        for c in s.chars() {
            let Some(c) = fold_char(c) else {
                continue;
            };
            let c = match c {
                '\r' => '\n',
                '\n' | '\t' | '\x0C' if !pre => ' ',
                '\x0C' => ' ',
                c => c,
            };
            match c {
                ' ' | '\t' => {
                    if self.pending_break {
                        continue;
                    }
                    // Whitespace from the body already separates a segment.
                    self.pending_space = false;
                    self.out.push(c);
                }
                '\n' => {
                    if !self.pending_break {
                        self.newline();
                        self.pending_space = false;
                    }
                }
                c => {
                    self.flush_pending();
                    self.out.push(c);
                }
            }
        }
    }

    /// Appends a value taken from an attribute (link target, page title, file
    /// name, mention ...) as its own word: it never glues to neighbouring text.
    pub(crate) fn segment(&mut self, s: &str) {
        let s = s.trim();
        if s.is_empty() {
            return;
        }
        self.flush_pending();
        if self
            .out
            .chars()
            .next_back()
            .is_some_and(|c| !c.is_whitespace())
        {
            self.out.push(' ');
        }
        self.text(s, false);
        self.pending_space = true;
    }

    /// True when the text written since byte `start` is `href` itself (an
    /// auto-linked URL or e-mail), so emitting the target again would only
    /// duplicate a finding.
    pub(crate) fn label_is(&self, start: usize, href: &str) -> bool {
        let label = self.out.get(start..).unwrap_or("").trim();
        let href = href.trim();
        !label.is_empty() && (label == href || href.strip_prefix("mailto:") == Some(label))
    }

    pub(crate) fn finish(mut self) -> String {
        let end = self.out.trim_end().len();
        self.out.truncate(end);
        self.out
    }

    fn flush_pending(&mut self) {
        if self.pending_break {
            self.newline();
            self.pending_break = false;
            self.pending_space = false;
        } else if self.pending_space {
            if self
                .out
                .chars()
                .next_back()
                .is_some_and(|c| !c.is_whitespace())
            {
                self.out.push(' ');
            }
            self.pending_space = false;
        }
    }

    /// Ends the current line: trailing blanks are dropped and an empty line is
    /// never started, which is what collapses runs of blank lines.
    fn newline(&mut self) {
        let end = self.out.trim_end_matches([' ', '\t']).len();
        self.out.truncate(end);
        if !self.out.is_empty() && !self.out.ends_with('\n') {
            self.out.push('\n');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalised_offsets_map_back_to_the_original() {
        let original = "mail a\u{200B}b@x.io then\u{3000}4111\u{00AD}1111";
        let (text, map) = normalise_mapped(original);
        assert_eq!(text, "mail ab@x.io then 41111111");
        for needle in ["ab@x.io", "41111111", "then"] {
            let start = text.find(needle).unwrap();
            let end = start + needle.len();
            let (os, oe) = (map.original(start), map.original(end));
            let folded: String = original[os..oe].chars().filter_map(fold_char).collect();
            assert_eq!(folded, needle, "{needle}: {os}..{oe}");
        }
        assert!(normalise_mapped("plain").1.is_empty());
    }

    #[test]
    fn blocks_collapse_and_trim() {
        let mut s = Sink::with_capacity(16);
        s.block();
        s.text("  a  ", false);
        s.block();
        s.block();
        s.text("\n\n", true);
        s.text("b\n\n\nc", true);
        s.block();
        assert_eq!(s.finish(), "a\nb\nc");
    }

    #[test]
    fn segments_do_not_glue() {
        let mut s = Sink::with_capacity(16);
        s.text("see", false);
        s.segment("https://x.example");
        s.text("now", false);
        assert_eq!(s.finish(), "see https://x.example now");
    }

    #[test]
    fn nbsp_becomes_space() {
        let mut s = Sink::with_capacity(16);
        s.text("4111\u{a0}1111\u{200b}2", false);
        assert_eq!(s.finish(), "4111 11112");
    }

    #[test]
    fn warnings_dedupe_and_cap() {
        let mut w = Warnings::default();
        for i in 0..40 {
            w.push(format!("w{}", i % 20));
            w.push("same".to_string());
        }
        let v = w.finish();
        assert_eq!(v.len(), MAX_WARNINGS + 1);
        assert!(v[MAX_WARNINGS].contains("suppressed"));
    }
}
