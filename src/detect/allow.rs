//! Allow lists and triage: values, patterns, email domains, role addresses and
//! reviewed fingerprints that remove findings before they count.
//!
//! What an allow list removes is counted per reason and reported; it is never
//! silently hidden.

use crate::detect::rules::{line_of, syntax_config};
use crate::model::ContainerId;
use regex_automata::meta;
use serde::Deserialize;
use std::collections::HashSet;
use std::fmt;
use std::path::Path;

/// An allow file that could not be loaded, with where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct AllowError {
    pub file: String,
    pub line: usize,
    pub reason: String,
}

impl fmt::Display for AllowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.reason)
    }
}

/// Why a candidate was dropped by the allow list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AllowReason {
    Value,
    Pattern,
    EmailDomain,
    RoleAddress,
    ReviewedFingerprint,
}

impl AllowReason {
    pub fn as_str(self) -> &'static str {
        match self {
            AllowReason::Value => "allow_value",
            AllowReason::Pattern => "allow_pattern",
            AllowReason::EmailDomain => "allow_email_domain",
            AllowReason::RoleAddress => "allow_role_address",
            AllowReason::ReviewedFingerprint => "reviewed_fingerprint",
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AllowFile {
    #[serde(default)]
    values: Vec<String>,
    #[serde(default)]
    patterns: Vec<toml::Spanned<String>>,
    #[serde(default)]
    email_domains: Vec<String>,
    #[serde(default)]
    role_addresses: Vec<String>,
    #[serde(default)]
    reviewed: Vec<toml::Spanned<Reviewed>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Reviewed {
    fingerprint: String,
    /// A container: `confluence:OPS` (product and key), or a bare key (`OPS`)
    /// for every container with that key; absent means every container.
    container: Option<String>,
    #[serde(default)]
    note: String,
    /// `false-positive` (the default) or `accepted-risk`: what the store's
    /// triage table records when the scan imports this entry.
    decision: Option<String>,
}

/// A `[[reviewed]]` entry as the scan imports it into the store's triage
/// table (source `allow-file`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewedEntry {
    pub fingerprint: String,
    pub container: Option<String>,
    /// `false-positive` or `accepted-risk`.
    pub decision: String,
    pub note: String,
}

/// A compiled allow list.
#[derive(Debug, Clone, Default)]
pub struct AllowList {
    values: HashSet<String>,
    patterns: Option<meta::Regex>,
    email_domains: Vec<String>,
    role_addresses: HashSet<String>,
    reviewed_global: HashSet<String>,
    reviewed_scoped: HashSet<(String, String)>,
    reviewed: Vec<ReviewedEntry>,
}

impl AllowList {
    pub fn from_file(path: &Path) -> Result<AllowList, AllowError> {
        let file = path.display().to_string();
        let src = std::fs::read_to_string(path).map_err(|e| AllowError {
            file: file.clone(),
            line: 1,
            reason: format!("cannot read: {e}"),
        })?;
        Self::parse(&file, &src)
    }

    /// Parse an allow file (TOML); `file` names it in errors.
    pub fn parse(file: &str, src: &str) -> Result<AllowList, AllowError> {
        let err = |line: usize, reason: String| AllowError {
            file: file.to_string(),
            line,
            reason,
        };
        let parsed: AllowFile = toml::from_str(src).map_err(|e| {
            err(
                e.span().map(|s| line_of(src, s.start)).unwrap_or(1),
                format!("invalid TOML: {}", e.message()),
            )
        })?;
        let mut pattern_srcs = Vec::new();
        for p in &parsed.patterns {
            let line = line_of(src, p.span().start);
            meta::Builder::new()
                .syntax(syntax_config())
                .build(p.get_ref())
                .map_err(|e| err(line, format!("bad pattern {:?}: {e}", p.get_ref())))?;
            // Anchored so that a pattern allows whole values, not substrings.
            pattern_srcs.push(format!("^(?:{})$", p.get_ref()));
        }
        let patterns = if pattern_srcs.is_empty() {
            None
        } else {
            Some(
                meta::Builder::new()
                    .syntax(syntax_config())
                    .build_many(&pattern_srcs)
                    .map_err(|e| err(1, format!("allow patterns do not compile together: {e}")))?,
            )
        };
        let mut reviewed_global = HashSet::new();
        let mut reviewed_scoped = HashSet::new();
        let mut reviewed = Vec::new();
        for r in &parsed.reviewed {
            let line = line_of(src, r.span().start);
            let fp = r.get_ref().fingerprint.trim().to_ascii_lowercase();
            if fp.is_empty() || !fp.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(err(line, format!("fingerprint {fp:?} is not hexadecimal")));
            }
            let decision = r
                .get_ref()
                .decision
                .clone()
                .unwrap_or_else(|| "false-positive".into());
            if !matches!(decision.as_str(), "false-positive" | "accepted-risk") {
                return Err(err(
                    line,
                    format!(
                        "decision {decision:?} is neither \"false-positive\" nor \"accepted-risk\""
                    ),
                ));
            }
            reviewed.push(ReviewedEntry {
                fingerprint: fp.clone(),
                container: r.get_ref().container.clone(),
                decision,
                note: r.get_ref().note.clone(),
            });
            match &r.get_ref().container {
                Some(c) => {
                    reviewed_scoped.insert((c.clone(), fp));
                }
                None => {
                    reviewed_global.insert(fp);
                }
            }
        }
        Ok(AllowList {
            values: parsed.values.into_iter().collect(),
            patterns,
            email_domains: parsed
                .email_domains
                .iter()
                .map(|d| d.trim().trim_start_matches('@').to_ascii_lowercase())
                .collect(),
            role_addresses: parsed
                .role_addresses
                .iter()
                .map(|r| r.trim().trim_end_matches('@').to_ascii_lowercase())
                .collect(),
            reviewed_global,
            reviewed_scoped,
            reviewed,
        })
    }

    /// The `[[reviewed]]` entries, in file order.
    pub fn reviewed(&self) -> &[ReviewedEntry] {
        &self.reviewed
    }

    /// Whether the list drops this value (before its fingerprint is known).
    pub fn check_value(&self, entity: &str, value: &str) -> Option<AllowReason> {
        if self.is_empty() {
            return None;
        }
        if self.values.contains(value) {
            return Some(AllowReason::Value);
        }
        if self.patterns.as_ref().is_some_and(|re| re.is_match(value)) {
            return Some(AllowReason::Pattern);
        }
        if entity == "EMAIL_ADDRESS" {
            if let Some((local, domain)) = value.rsplit_once('@') {
                let domain = domain.to_ascii_lowercase();
                if self
                    .email_domains
                    .iter()
                    .any(|d| domain == *d || domain.ends_with(&format!(".{d}")))
                {
                    return Some(AllowReason::EmailDomain);
                }
                if self.role_addresses.contains(&local.to_ascii_lowercase()) {
                    return Some(AllowReason::RoleAddress);
                }
            }
        }
        None
    }

    /// Whether the list holds nothing at all (the common case: skip every check).
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
            && self.patterns.is_none()
            && self.email_domains.is_empty()
            && self.role_addresses.is_empty()
            && self.reviewed_global.is_empty()
            && self.reviewed_scoped.is_empty()
    }

    /// Whether a reviewed fingerprint drops this finding in this container
    /// (named `product:key`, or by its bare key in the allow list).
    pub fn check_fingerprint(
        &self,
        container: &ContainerId,
        fingerprint: &str,
    ) -> Option<AllowReason> {
        if self.reviewed_global.is_empty() && self.reviewed_scoped.is_empty() {
            return None;
        }
        if self.reviewed_global.contains(fingerprint)
            || [container.to_string(), container.key.clone()]
                .into_iter()
                .any(|c| self.reviewed_scoped.contains(&(c, fingerprint.to_string())))
        {
            Some(AllowReason::ReviewedFingerprint)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_values_patterns_domains_roles() {
        let a = AllowList::parse(
            "allow.toml",
            r#"
values = ["4111 1111 1111 1111"]
patterns = ['10\.0\.0\.[0-9]+']
email_domains = ["acme.com"]
role_addresses = ["noreply"]
"#,
        )
        .unwrap();
        assert_eq!(
            a.check_value("CREDIT_CARD", "4111 1111 1111 1111"),
            Some(AllowReason::Value)
        );
        assert_eq!(
            a.check_value("IP_ADDRESS", "10.0.0.7"),
            Some(AllowReason::Pattern)
        );
        assert_eq!(a.check_value("IP_ADDRESS", "110.0.0.7"), None);
        assert_eq!(
            a.check_value("EMAIL_ADDRESS", "j@mail.acme.com"),
            Some(AllowReason::EmailDomain)
        );
        assert_eq!(
            a.check_value("EMAIL_ADDRESS", "noreply@other.io"),
            Some(AllowReason::RoleAddress)
        );
        assert_eq!(a.check_value("EMAIL_ADDRESS", "jane@other.io"), None);
    }

    #[test]
    fn reviewed_fingerprints_are_global_or_scoped() {
        let a = AllowList::parse(
            "allow.toml",
            "[[reviewed]]\nfingerprint = \"abcd\"\n\n[[reviewed]]\nfingerprint = \"ef01\"\ncontainer = \"ENG\"\n",
        )
        .unwrap();
        let jira = |key: &str| ContainerId::new(crate::model::Product::Jira, key);
        assert!(a.check_fingerprint(&jira("ANY"), "abcd").is_some());
        assert!(a.check_fingerprint(&jira("ENG"), "ef01").is_some());
        assert!(a.check_fingerprint(&jira("HR"), "ef01").is_none());
    }

    #[test]
    fn a_reviewed_fingerprint_can_name_the_product_too() {
        let a = AllowList::parse(
            "allow.toml",
            "[[reviewed]]\nfingerprint = \"ef01\"\ncontainer = \"confluence:OPS\"\n",
        )
        .unwrap();
        let space = ContainerId::new(crate::model::Product::Confluence, "OPS");
        let project = ContainerId::new(crate::model::Product::Jira, "OPS");
        assert!(a.check_fingerprint(&space, "ef01").is_some());
        assert!(a.check_fingerprint(&project, "ef01").is_none());
    }

    #[test]
    fn errors_name_file_and_line() {
        let e = AllowList::parse(
            "allow.toml",
            "values = [\"a\"]\npatterns = [\n  'ok',\n  '(unclosed',\n]\n",
        )
        .unwrap_err();
        assert_eq!((e.file.as_str(), e.line), ("allow.toml", 4), "{e}");
        let e = AllowList::parse("allow.toml", "values = [\"a\"]\nbogus = 1\n").unwrap_err();
        assert_eq!(e.line, 2, "{e}");
        let e = AllowList::parse("allow.toml", "[[reviewed]]\nfingerprint = \"zz\"\n").unwrap_err();
        assert_eq!(e.line, 1, "{e}");
    }
}
