//! The ranking policy: weights and thresholds, from a TOML file or the
//! documented defaults (README, "Ranking").
//!
//! Every number that decides a verdict lives here, so a compliance team can
//! read, argue about and change them without touching code.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// A policy file that could not be used; the message names the file and the
/// line, column or field.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {message}")]
pub struct PolicyError {
    pub file: String,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Policy {
    /// Weight of one entity type by its severity: the contribution of an entity
    /// is `weight × log2(1 + weighted distinct values)`.
    pub severity: SeverityWeights,
    /// Added in proportion to the share of items with findings (0..1).
    pub breadth: f64,
    /// Added for every category beyond the first.
    pub diversity: f64,
    /// `score = 100 × raw / (raw + half)`: the raw sum at which a container
    /// scores 50. A hyperbola, not an exponential, so that very sensitive
    /// containers still differ from each other instead of all reading 100.
    pub half: f64,
    /// Factor on an email address of the organization's own domains.
    pub own_domain_factor: f64,
    /// The organization's own email domains (subdomains included).
    pub own_domains: Vec<String>,
    pub thresholds: Thresholds,
    pub apps: AppPolicy,
    pub connectors: ConnectorPolicy,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SeverityWeights {
    pub critical: f64,
    pub high: f64,
    pub medium: f64,
    pub low: f64,
}

/// Score thresholds of the levels: `high` and above → exclude, `moderate` and
/// above → review, below → keep.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Thresholds {
    pub high: f64,
    pub moderate: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AppPolicy {
    /// Recommend excluding a whole app when at least this share of its items
    /// sits in containers recommended for exclusion.
    pub exclude_share: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConnectorPolicy {
    /// Score of a synced connector of each type before anything is found in
    /// its inventory record (`other` for types not listed).
    pub type_score: BTreeMap<String, f64>,
    /// Factor on the type score by sync mode: synced content is stored by
    /// Atlassian and contributed; direct search and smart links store nothing.
    pub sync_factor: BTreeMap<String, f64>,
    /// Words in a connector's name, scope or notes that mark sensitive content,
    /// each adding `term_score`.
    pub sensitive_terms: Vec<String>,
    pub term_score: f64,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            severity: SeverityWeights::default(),
            breadth: 20.0,
            diversity: 5.0,
            half: 40.0,
            own_domain_factor: 0.1,
            own_domains: Vec::new(),
            thresholds: Thresholds::default(),
            apps: AppPolicy::default(),
            connectors: ConnectorPolicy::default(),
        }
    }
}

impl Default for SeverityWeights {
    fn default() -> Self {
        SeverityWeights {
            critical: 40.0,
            high: 15.0,
            medium: 5.0,
            low: 1.0,
        }
    }
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            high: 50.0,
            moderate: 20.0,
        }
    }
}

impl Default for AppPolicy {
    fn default() -> Self {
        AppPolicy { exclude_share: 0.5 }
    }
}

impl Default for ConnectorPolicy {
    fn default() -> Self {
        let type_score = [
            ("salesforce", 60.0),
            ("slack", 50.0),
            ("google-drive", 45.0),
            ("sharepoint", 45.0),
            ("github", 40.0),
            ("figma", 20.0),
            ("custom-website", 10.0),
            ("other", 40.0),
        ];
        let sync_factor = [("synced", 1.0), ("direct", 0.1), ("smart-link", 0.05)];
        let terms = [
            "hr",
            "human resources",
            "payroll",
            "salary",
            "salaries",
            "legal",
            "contracts",
            "finance",
            "medical",
            "health",
            "patient",
            "customer",
            "customers",
            "clients",
            "confidential",
            "board",
            "m&a",
            "security",
            "incident",
            "personnel",
        ];
        ConnectorPolicy {
            type_score: type_score
                .iter()
                .map(|(k, v)| (k.to_string(), *v))
                .collect(),
            sync_factor: sync_factor
                .iter()
                .map(|(k, v)| (k.to_string(), *v))
                .collect(),
            sensitive_terms: terms.iter().map(|t| t.to_string()).collect(),
            term_score: 20.0,
        }
    }
}

impl Policy {
    pub fn from_file(path: &Path) -> Result<Policy, PolicyError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| PolicyError {
            file: file.clone(),
            message: format!("cannot read: {e}"),
        })?;
        Policy::from_toml(&file, &text)
    }

    /// Parse a policy; anything not given keeps its default.
    pub fn from_toml(file: &str, text: &str) -> Result<Policy, PolicyError> {
        let policy: Policy = toml::from_str(text).map_err(|e| PolicyError {
            file: file.to_string(),
            message: one_line(&e.to_string()),
        })?;
        policy.validate().map_err(|message| PolicyError {
            file: file.to_string(),
            message,
        })?;
        Ok(policy)
    }

    fn validate(&self) -> Result<(), String> {
        let s = &self.severity;
        for (field, v) in [
            ("severity.critical", s.critical),
            ("severity.high", s.high),
            ("severity.medium", s.medium),
            ("severity.low", s.low),
            ("breadth", self.breadth),
            ("diversity", self.diversity),
            ("own_domain_factor", self.own_domain_factor),
            ("connectors.term_score", self.connectors.term_score),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(format!("{field} must be a number ≥ 0, not {v}"));
            }
        }
        if !(self.half.is_finite() && self.half > 0.0) {
            return Err(format!("half must be > 0, not {}", self.half));
        }
        let t = &self.thresholds;
        if !(0.0..=100.0).contains(&t.moderate)
            || !(0.0..=100.0).contains(&t.high)
            || t.moderate > t.high
        {
            return Err(format!(
                "thresholds must satisfy 0 ≤ moderate ≤ high ≤ 100 (moderate = {}, high = {})",
                t.moderate, t.high
            ));
        }
        if !(0.0..=1.0).contains(&self.apps.exclude_share) {
            return Err(format!(
                "apps.exclude_share must be between 0 and 1, not {}",
                self.apps.exclude_share
            ));
        }
        for (table, map) in [
            ("connectors.type_score", &self.connectors.type_score),
            ("connectors.sync_factor", &self.connectors.sync_factor),
        ] {
            for (k, v) in map {
                if !(v.is_finite() && *v >= 0.0) {
                    return Err(format!("{table}.{k} must be a number ≥ 0, not {v}"));
                }
            }
        }
        Ok(())
    }

    /// Whether an email domain is one of the organization's own.
    pub fn is_own_domain(&self, domain: &str) -> bool {
        let domain = domain.trim().trim_end_matches('.').to_ascii_lowercase();
        self.own_domains.iter().any(|own| {
            let own = own.trim().trim_start_matches('@').to_ascii_lowercase();
            !own.is_empty()
                && (domain == own
                    || (domain.len() > own.len()
                        && domain.ends_with(&own)
                        && domain.as_bytes()[domain.len() - own.len() - 1] == b'.'))
        })
    }
}

/// toml's messages span several lines (a snippet of the file); keep them on one.
fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_parse_from_an_empty_file() {
        let p = Policy::from_toml("p.toml", "").unwrap();
        assert_eq!(p.severity.critical, 40.0);
        assert_eq!(p.thresholds.high, 50.0);
    }

    #[test]
    fn a_partial_file_keeps_the_other_defaults() {
        let p = Policy::from_toml(
            "p.toml",
            "own_domains = [\"acme.com\"]\n[severity]\nhigh = 20\n",
        )
        .unwrap();
        assert_eq!(p.severity.high, 20.0);
        assert_eq!(p.severity.critical, 40.0);
        assert!(p.is_own_domain("acme.com"));
        assert!(p.is_own_domain("mail.ACME.com"));
        assert!(!p.is_own_domain("notacme.com"));
    }

    #[test]
    fn errors_name_the_file_and_the_place() {
        let e = Policy::from_toml("team.toml", "[severity]\nhihg = 3\n").unwrap_err();
        let msg = e.to_string();
        assert!(msg.starts_with("team.toml: "), "{msg}");
        assert!(msg.contains("line 2"), "{msg}");
        assert!(msg.contains("hihg"), "{msg}");
        let e = Policy::from_toml("t.toml", "[thresholds]\nhigh = 10\nmoderate = 30\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("moderate ≤ high"), "{e}");
    }
}
