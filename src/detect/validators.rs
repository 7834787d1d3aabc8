//! Checksum and range validators for candidate values (detection-notes §7).
//!
//! A candidate that fails its validator is dropped, never reported at a lower score.

/// A named validator a rule can reference from its pack (`validator = "luhn"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validator {
    Placeholder,
}

impl Validator {
    /// Look a validator up by the name used in rule packs.
    pub fn from_name(_name: &str) -> Option<Validator> {
        None
    }

    /// The name used in rule packs.
    pub fn name(self) -> &'static str {
        "placeholder"
    }

    /// Every validator, for `rules` listings and error messages.
    pub fn all() -> &'static [Validator] {
        &[]
    }

    /// Whether `value` (the matched text, separators included) passes.
    pub fn validate(self, _value: &str) -> bool {
        true
    }
}
