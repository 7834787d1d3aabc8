//! `withhold rules list|check|explain|export-patterns`.

use crate::cli::{CliError, RulesCommand};
use crate::detect::allow::AllowList;
use crate::detect::engine::{Engine, EngineOptions};
use crate::detect::fingerprint::Fingerprinter;
use crate::detect::rules::RuleSet;
use std::io::Write;
use std::path::Path;

fn load(dir: Option<&Path>) -> Result<RuleSet, CliError> {
    RuleSet::load(dir).map_err(|e| CliError::Config(format!("rule pack refused: {e}")))
}

pub fn run(cmd: RulesCommand) -> Result<i32, CliError> {
    let mut out = std::io::stdout().lock();
    match cmd {
        RulesCommand::List { detect, json } => {
            let set = load(detect.rules.as_deref())?;
            for r in &set.rules {
                if json {
                    let line = serde_json::json!({
                        "id": r.id, "entity": r.entity, "category": r.category.as_str(),
                        "severity": r.severity.as_str(), "pack": r.pack,
                        "prefilter": crate::detect::prefilter::tier_name(&r.pattern),
                    });
                    let _ = writeln!(out, "{line}");
                } else {
                    let _ = writeln!(
                        out,
                        "{:<36} {:<24} {:<17} {:<9} {}",
                        r.id,
                        r.entity,
                        r.category.as_str(),
                        r.severity.as_str(),
                        r.pack
                    );
                }
            }
            Ok(0)
        }
        RulesCommand::Check { detect } => {
            let set = load(detect.rules.as_deref())?;
            let engine = Engine::new(
                &set,
                None,
                AllowList::default(),
                Fingerprinter::from_key([0; 32]),
                EngineOptions { reveal: false },
            )?;
            let failures = engine.check_examples();
            let examples: usize = set
                .rules
                .iter()
                .map(|r| r.examples.len() + r.negative_examples.len())
                .sum();
            for f in &failures {
                let _ = writeln!(out, "FAIL {f}");
            }
            let _ = writeln!(
                out,
                "{} rules in {} packs, {} examples: {} passed, {} failed",
                set.rules.len(),
                set.packs.len(),
                examples,
                examples - failures.len(),
                failures.len()
            );
            Ok(if failures.is_empty() { 0 } else { 1 })
        }
        RulesCommand::Explain { id, detect } => {
            let set = load(detect.rules.as_deref())?;
            let r = set.get(&id).ok_or_else(|| {
                CliError::Config(format!(
                    "no rule with id {id:?} (see `withhold rules list`)"
                ))
            })?;
            let _ = writeln!(out, "{} — {}", r.id, r.name);
            if !r.description.is_empty() {
                let _ = writeln!(out, "{}", r.description);
            }
            let _ = writeln!(out, "pack:        {} ({}:{})", r.pack, r.file, r.line);
            let _ = writeln!(out, "entity:      {}", r.entity);
            let _ = writeln!(out, "category:    {}", r.category.as_str());
            let _ = writeln!(out, "severity:    {}", r.severity.as_str());
            let _ = writeln!(out, "confidence:  {}", r.confidence);
            let _ = writeln!(out, "priority:    {}", r.priority);
            let _ = writeln!(out, "pattern:     {}", r.pattern);
            let _ = writeln!(
                out,
                "prefilter:   {}",
                crate::detect::prefilter::describe(&r.pattern)
            );
            if let Some(v) = r.validator {
                let _ = writeln!(out, "validator:   {}", v.name());
            }
            if let Some(c) = &r.context {
                let _ = writeln!(
                    out,
                    "context:     {} within {} bytes: {}",
                    if c.required {
                        "required"
                    } else {
                        "boosts confidence"
                    },
                    c.window,
                    c.words.join(", ")
                );
                if !c.deny.is_empty() {
                    let _ = writeln!(out, "deny words:  {}", c.deny.join(", "));
                }
            }
            let _ = writeln!(out, "examples:");
            for e in &r.examples {
                let _ = writeln!(
                    out,
                    "  + {}{}",
                    e.text,
                    if e.test_value { "  (test value)" } else { "" }
                );
            }
            let _ = writeln!(out, "negative examples:");
            for e in &r.negative_examples {
                let _ = writeln!(out, "  - {e}");
            }
            Ok(0)
        }
        RulesCommand::ExportPatterns { detect } => {
            let set = load(detect.rules.as_deref())?;
            for r in &set.rules {
                let _ = writeln!(out, "{}", rg_pattern(&r.pattern));
            }
            Ok(0)
        }
    }
}

/// A rule's pattern as ripgrep reads it from `-f`: rg joins its patterns with
/// `|` into one regex, so each is wrapped in its own `(?-u:…)` group (no
/// Unicode, as the engine compiles it, and inline flags such as `(?i)` stay
/// scoped to their rule) and the `value` group loses its name, which would
/// otherwise be duplicated.
pub fn rg_pattern(pattern: &str) -> String {
    format!(
        "(?-u:{})",
        pattern.replace("(?P<value>", "(").replace("(?<value>", "(")
    )
}

#[cfg(test)]
mod tests {
    use super::rg_pattern;

    #[test]
    fn rg_patterns_join_into_one_valid_regex_with_the_same_matches() {
        let a = r"(?i)\bsecret(?P<value>[0-9]{3})\b";
        let b = r"\b(?P<value>AB[0-9]{2})\b";
        let joined = format!("{}|{}", rg_pattern(a), rg_pattern(b));
        let re = regex::bytes::Regex::new(&joined).unwrap();
        assert!(re.is_match(b"SECRET123"));
        assert!(re.is_match(b"AB12"));
        // (?i) from the first rule must not leak into the second.
        assert!(!re.is_match(b"ab12"));
    }
}
