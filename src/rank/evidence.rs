//! What the findings of one container add up to: distinct values per entity,
//! the items they sit in, and what its name exposes as metadata.
//!
//! Fed finding by finding while the scan runs; holds hashes, never values, so
//! memory stays small for large sites. The ranking reads only the
//! [`EntityStats`] this produces, which `summary.json` records as well.

use crate::model::{Category, Field, Finding, Severity};
use crate::rank::policy::Policy;
use serde::{Deserialize, Serialize};
use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{Hash, Hasher};

fn hash_of(s: &str) -> u64 {
    let mut h = DefaultHasher::new();
    s.hash(&mut h);
    h.finish()
}

/// One value as the ranking weighs it.
#[derive(Debug, Clone, Copy)]
struct ValueWeight {
    confidence: f32,
    own_domain: bool,
    test_value: bool,
}

#[derive(Debug, Clone)]
struct EntityEvidence {
    category: Category,
    severity: Severity,
    findings: u64,
    /// Fingerprint hash → the strongest sighting of that value.
    values: HashMap<u64, ValueWeight>,
    items: HashSet<u64>,
    /// Client names by canonical name (the user's own list: safe to show).
    names: BTreeMap<String, u64>,
}

/// A sensitive value in a container's name or key: metadata, contributed
/// below Enterprise whatever the exclusions say.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct MetadataExposure {
    pub entity: String,
    pub category: Category,
    /// The masked value (client names: the canonical name).
    pub masked: String,
}

/// One entity's findings in one container, as `summary.json` records them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntityStats {
    pub entity: String,
    pub category: Category,
    pub severity: Severity,
    pub findings: u64,
    pub distinct_values: u64,
    /// Of the distinct values: documentation / test values.
    pub test_values: u64,
    /// Of the distinct values: email addresses of the organization's own domains.
    pub own_domain_values: u64,
    /// Items (pages, issues…) with at least one finding of this entity.
    pub items: u64,
    /// Σ over distinct values that are not test values of confidence ×
    /// (own-domain factor): what the score uses.
    pub weighted_values: f64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<(String, u64)>,
}

/// Everything the findings of one container say, accumulated.
#[derive(Debug, Clone, Default)]
pub struct ContainerEvidence {
    entities: BTreeMap<String, EntityEvidence>,
    /// Items with at least one finding that is not a test value.
    counted_items: HashSet<u64>,
    metadata: Vec<MetadataExposure>,
}

impl ContainerEvidence {
    /// Add one finding. Findings in the container's own name are metadata
    /// exposures, kept apart: excluding the container would not withhold them.
    pub fn add(&mut self, f: &Finding, policy: &Policy) {
        if f.origin.field == Field::ContainerName {
            let exposure = MetadataExposure {
                entity: f.entity.to_string(),
                category: f.category,
                masked: f.masked.clone(),
            };
            if !self.metadata.contains(&exposure) {
                self.metadata.push(exposure);
                self.metadata.sort();
            }
            return;
        }
        let item = hash_of(&f.origin.item_id);
        if !f.test_value {
            self.counted_items.insert(item);
        }
        let own_domain = &*f.entity == "EMAIL_ADDRESS"
            && f.masked
                .rsplit_once('@')
                .is_some_and(|(_, domain)| policy.is_own_domain(domain));
        let e = self
            .entities
            .entry(f.entity.to_string())
            .or_insert_with(|| EntityEvidence {
                category: f.category,
                severity: f.severity,
                findings: 0,
                values: HashMap::new(),
                items: HashSet::new(),
                names: BTreeMap::new(),
            });
        e.findings += 1;
        e.severity = e.severity.max(f.severity);
        e.items.insert(item);
        if f.category == Category::Client {
            *e.names.entry(f.masked.clone()).or_default() += 1;
        }
        let sighting = ValueWeight {
            confidence: f.confidence,
            own_domain,
            test_value: f.test_value,
        };
        e.values
            .entry(hash_of(&f.fingerprint))
            .and_modify(|v| {
                // The strongest sighting counts: a value once seen with its
                // context word is not weakened by a bare mention elsewhere.
                v.confidence = v.confidence.max(sighting.confidence);
                v.test_value &= sighting.test_value;
                v.own_domain &= sighting.own_domain;
            })
            .or_insert(sighting);
    }

    /// Items with at least one finding that is not a documentation value.
    pub fn items_with_findings(&self) -> u64 {
        self.counted_items.len() as u64
    }

    pub fn metadata_exposures(&self) -> Vec<MetadataExposure> {
        self.metadata.clone()
    }

    /// Per-entity figures, strongest severity first, then by entity name.
    pub fn stats(&self, policy: &Policy) -> Vec<EntityStats> {
        let mut out: Vec<EntityStats> = self
            .entities
            .iter()
            .map(|(entity, e)| {
                // Documentation and test values weigh nothing: they are
                // written to findings.jsonl, but a container of nothing else
                // has nothing to withhold.
                let weighted_values = e
                    .values
                    .values()
                    .filter(|v| !v.test_value)
                    .map(|v| {
                        let factor = if v.own_domain {
                            policy.own_domain_factor
                        } else {
                            1.0
                        };
                        f64::from(v.confidence) * factor
                    })
                    .sum();
                let mut names: Vec<(String, u64)> =
                    e.names.iter().map(|(k, v)| (k.clone(), *v)).collect();
                names.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
                EntityStats {
                    entity: entity.clone(),
                    category: e.category,
                    severity: e.severity,
                    findings: e.findings,
                    distinct_values: e.values.len() as u64,
                    test_values: e.values.values().filter(|v| v.test_value).count() as u64,
                    own_domain_values: e.values.values().filter(|v| v.own_domain).count() as u64,
                    items: e.items.len() as u64,
                    weighted_values,
                    names,
                }
            })
            .collect();
        out.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.entity.cmp(&b.entity)));
        out
    }
}
