//! Detection: rule packs, validators, dictionaries, context, allow lists and
//! the compiled engine that puts them together.

pub mod allow;
pub mod context;
pub mod dictionary;
pub mod engine;
pub mod fingerprint;
mod lanes;
pub mod mask;
pub mod placeholder;
pub mod prefilter;
pub mod rules;
pub mod token_checks;
pub mod validators;
mod words;
