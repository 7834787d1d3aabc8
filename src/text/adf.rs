//! Atlassian Document Format (ADF) JSON to plain text.

use super::Extracted;

/// Extract the plain text of an ADF document given as a JSON string.
pub fn adf_to_text(json: &str) -> Extracted {
    match serde_json::from_str::<serde_json::Value>(json) {
        Ok(v) => adf_value_to_text(&v),
        Err(e) => Extracted {
            text: String::new(),
            warnings: vec![format!("ADF is not valid JSON: {e}")],
        },
    }
}

/// Extract the plain text of an already-parsed ADF document.
pub fn adf_value_to_text(_doc: &serde_json::Value) -> Extracted {
    Extracted::default()
}
