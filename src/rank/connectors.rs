//! Teamwork Graph connector verdicts: withhold cannot read a connector's
//! content, so the verdict comes from its type (what such content usually
//! holds), its sync mode (synced content is stored by Atlassian and
//! contributed) and what its name, scope and notes say.

use crate::model::{Product, Severity};
use crate::rank::policy::Policy;
use crate::rank::{
    by_category, finding_reasons, raw_score, score_of, top_entities, ConnectorFacts, Level,
    Recommendation, Tab, Verdict,
};
use crate::report::summary::ContainerSummary;
use crate::sources::connectors::{ConnectorRecord, KNOWN_TYPES};

/// The sensitive words of the policy found in the record, in policy order.
pub fn sensitive_terms(record: &ConnectorRecord, policy: &Policy) -> Vec<String> {
    let text = words_of(&format!(
        "{} {} {}",
        record.name, record.scope, record.notes
    ));
    policy
        .connectors
        .sensitive_terms
        .iter()
        .filter(|t| {
            let t = words_of(t);
            t.trim() != "" && text.contains(&t)
        })
        .cloned()
        .collect()
}

/// Lower case, every run of other characters one space, padded: whole-word
/// search becomes a substring search.
fn words_of(s: &str) -> String {
    let mut out = String::from(" ");
    for c in s.chars() {
        if c.is_alphanumeric() || c == '&' {
            out.extend(c.to_lowercase());
        } else if !out.ends_with(' ') {
            out.push(' ');
        }
    }
    if !out.ends_with(' ') {
        out.push(' ');
    }
    out
}

pub fn connector_verdict(c: &ContainerSummary, r: &ConnectorRecord, policy: &Policy) -> Verdict {
    let cp = &policy.connectors;
    let type_key = if KNOWN_TYPES.contains(&r.kind.as_str()) || cp.type_score.contains_key(&r.kind)
    {
        r.kind.as_str()
    } else {
        "other"
    };
    let type_score = cp
        .type_score
        .get(type_key)
        .or_else(|| cp.type_score.get("other"))
        .copied()
        .unwrap_or(0.0);
    let sync_factor = cp.sync_factor.get(&r.sync).copied().unwrap_or(1.0);
    let terms = sensitive_terms(r, policy);
    let found = score_of(
        raw_score(
            &c.entities,
            c.items_with_findings,
            c.coverage.items_scanned,
            policy,
        ),
        policy,
    );
    // Each part only adds: more found, more words, never a lower score.
    let score = (type_score * sync_factor + cp.term_score * terms.len() as f64 + found).min(100.0);

    let mut reasons = Vec::new();
    reasons.push(match r.sync.as_str() {
        "synced" => format!(
            "synced {}: Atlassian stores its content, which is contributed with in-app data",
            r.kind
        ),
        "direct" => format!(
            "direct {}: searched live, nothing stored by Atlassian",
            r.kind
        ),
        _ => format!(
            "{} by smart links only: link previews, no content stored",
            r.kind
        ),
    });
    if !terms.is_empty() {
        reasons.push(format!(
            "its name, scope or notes mention {}",
            terms
                .iter()
                .map(|t| format!("\"{t}\""))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    reasons.extend(finding_reasons(&c.entities, Product::Connector, policy));

    let mut level = if score >= policy.thresholds.high {
        Level::High
    } else if score >= policy.thresholds.moderate {
        Level::Moderate
    } else {
        Level::Low
    };
    if level == Level::Low && c.entities.iter().any(|e| e.severity == Severity::Critical) {
        level = Level::Moderate;
    }
    if level == Level::Low && r.sync == "synced" {
        // Stored content that nobody could read is not clean.
        level = Level::Unknown;
        reasons.push("its content cannot be read by withhold: look at what it syncs".into());
    }
    Verdict {
        rank: 0,
        product: Product::Connector,
        kind: c.container.kind,
        key: c.container.key.clone(),
        name: c.container.name.clone(),
        url: String::new(),
        tab: Tab::Connectors,
        recommendation: Recommendation::of(level),
        level,
        score: score.floor() as u32,
        score_exact: score,
        reasons,
        coverage: c.coverage.clone(),
        items_with_findings: c.items_with_findings,
        by_category: by_category(&c.entities),
        top_entities: top_entities(&c.entities),
        metadata_exposures: Vec::new(),
        created: None,
        connector: Some(ConnectorFacts {
            kind: r.kind.clone(),
            sync: r.sync.clone(),
            scope: r.scope.clone(),
            owner: r.owner.clone(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(name: &str, scope: &str) -> ConnectorRecord {
        ConnectorRecord {
            key: "k".into(),
            name: name.into(),
            kind: "google-drive".into(),
            sync: "synced".into(),
            scope: scope.into(),
            owner: String::new(),
            notes: String::new(),
        }
    }

    #[test]
    fn sensitive_terms_match_whole_words_only() {
        let p = Policy::default();
        assert_eq!(
            sensitive_terms(&record("Drive", "Shared drives: HR, Payroll"), &p),
            vec!["hr".to_string(), "payroll".to_string()]
        );
        // "shrink" holds "hr" but not as a word; "boarding" is not "board".
        assert!(sensitive_terms(&record("Shrink", "onboarding"), &p).is_empty());
        assert_eq!(
            sensitive_terms(&record("Deals", "M&A data room"), &p),
            vec!["m&a".to_string()]
        );
    }
}
