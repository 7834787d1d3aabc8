//! Detection: rule packs, validators, dictionaries, context and the compiled engine.

pub mod validators;
