//! withhold: find the sensitive content in an Atlassian Cloud site and rank the
//! containers to exclude from Atlassian's AI data contribution.
//!
//! The modules follow the pipeline of DESIGN §1: `sources` → `text` → `detect`
//! → `report`. Data flows one way; a later stage never calls an earlier one.

pub mod cli;
pub mod detect;
pub mod digest_set;
pub mod fake_site;
pub mod interrupt;
pub mod model;
pub mod posture;
pub mod progress;
pub mod rank;
pub mod report;
pub mod scan;
pub mod sources;
pub mod store;
pub mod text;
