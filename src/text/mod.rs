//! Turns Atlassian body formats into plain text for detection.
//!
//! Both extractors are lenient: malformed input yields best-effort text plus
//! warnings, never a panic. Inline formatting never splits a word or number;
//! blocks (paragraphs, headings, list items, table cells, code lines) are
//! separated by newlines.

pub mod adf;
pub mod storage;

pub use adf::{adf_to_text, adf_value_to_text};
pub use storage::storage_to_text;

/// Plain text extracted from a body, with what went wrong along the way.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Extracted {
    pub text: String,
    /// Human-readable notes on malformed input (never contains body text beyond a short position hint).
    pub warnings: Vec<String>,
}
