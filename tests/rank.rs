//! The ranking's promises (DESIGN §7), as properties over generated findings:
//! adding a finding never lowers a score; a critical finding is never `keep`;
//! a container not fully read with nothing found is `unknown` → `review`; the
//! order does not depend on the order containers arrive in.

use proptest::prelude::*;
use std::collections::BTreeMap;
use std::sync::Arc;
use withhold::model::{
    Category, Container, ContainerKind, Coverage, CoverageStatus, Field, Finding, Origin, Product,
    Severity,
};
use withhold::rank::evidence::ContainerEvidence;
use withhold::rank::policy::Policy;
use withhold::rank::{container_verdict, rank, Level, Recommendation};
use withhold::report::summary::ContainerSummary;

/// (entity, category, severity) as the rule packs define them.
const ENTITIES: [(&str, Category, Severity); 7] = [
    ("CREDIT_CARD", Category::Financial, Severity::Critical),
    ("US_SSN", Category::NationalId, Severity::Critical),
    ("AWS_ACCESS_KEY", Category::Secret, Severity::Critical),
    ("CLIENT_NAME", Category::Client, Severity::High),
    ("EMAIL_ADDRESS", Category::Contact, Severity::Medium),
    ("PHONE_NUMBER", Category::Contact, Severity::Low),
    ("IP_ADDRESS", Category::Contact, Severity::Low),
];

#[derive(Debug, Clone)]
struct Spec {
    entity: usize,
    value: u8,
    item: u8,
    confidence: f32,
    test_value: bool,
    in_name: bool,
    own_domain: bool,
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        0..ENTITIES.len(),
        0u8..12,
        0u8..20,
        0.05f32..1.0,
        proptest::bool::weighted(0.15),
        proptest::bool::weighted(0.1),
        any::<bool>(),
    )
        .prop_map(
            |(entity, value, item, confidence, test_value, in_name, own_domain)| Spec {
                entity,
                value,
                item,
                confidence,
                test_value,
                in_name,
                own_domain,
            },
        )
}

fn finding(s: &Spec) -> Finding {
    let (entity, category, severity) = ENTITIES[s.entity];
    let domain = if s.own_domain {
        "acme.com"
    } else {
        "client.com"
    };
    Finding {
        rule: Arc::from("test.rule"),
        entity: Arc::from(entity),
        category,
        severity,
        confidence: s.confidence,
        origin: Arc::new(Origin {
            product: Product::Confluence,
            container_key: "C".into(),
            item_id: format!("item-{}", s.item),
            item_url: String::new(),
            field: if s.in_name {
                Field::ContainerName
            } else {
                Field::Body
            },
            comment_id: None,
        }),
        start: 0,
        end: 1,
        masked: if entity == "EMAIL_ADDRESS" {
            format!("v•••@{domain}")
        } else {
            format!("value-{}", s.value)
        },
        fingerprint: format!("{entity}-{}", s.value),
        test_value: s.test_value,
        matched: None,
    }
}

fn policy() -> Policy {
    Policy {
        own_domains: vec!["acme.com".into()],
        ..Policy::default()
    }
}

fn summary_of(key: &str, specs: &[Spec], coverage: Coverage, policy: &Policy) -> ContainerSummary {
    let mut evidence = ContainerEvidence::default();
    for s in specs {
        evidence.add(&finding(s), policy);
    }
    ContainerSummary {
        container: Container {
            product: Product::Confluence,
            kind: ContainerKind::Space,
            id: key.into(),
            key: key.into(),
            name: key.into(),
            url: String::new(),
            created: None,
        },
        coverage,
        items_with_findings: evidence.items_with_findings(),
        findings: specs.len() as u64,
        by_category: BTreeMap::new(),
        by_entity: BTreeMap::new(),
        entities: evidence.stats(policy),
        metadata_exposures: evidence.metadata_exposures(),
    }
}

fn complete(items: u64) -> Coverage {
    Coverage {
        items_seen: items,
        items_scanned: items,
        ..Coverage::default()
    }
}

fn coverage_strategy() -> impl Strategy<Value = Coverage> {
    (20u64..60, 0u64..20, 0usize..3).prop_map(|(seen, failed, status)| {
        let status = [
            CoverageStatus::Complete,
            CoverageStatus::Partial,
            CoverageStatus::Failed,
        ][status];
        let failed = if status == CoverageStatus::Complete {
            0
        } else {
            failed.max(1).min(seen)
        };
        let scanned = if status == CoverageStatus::Failed {
            0
        } else {
            seen - failed
        };
        Coverage {
            items_seen: seen,
            items_scanned: scanned,
            items_failed: failed,
            status,
            reasons: vec!["HTTP 500 after 5 tries".into()],
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn adding_a_finding_never_lowers_a_score(
        specs in proptest::collection::vec(spec(), 0..40),
        extra in spec(),
        coverage in coverage_strategy(),
    ) {
        let p = policy();
        let before = container_verdict(&summary_of("C", &specs, coverage.clone(), &p), &p);
        let mut more = specs.clone();
        more.push(extra);
        let after = container_verdict(&summary_of("C", &more, coverage, &p), &p);
        prop_assert!(
            after.score_exact >= before.score_exact,
            "{} < {}", after.score_exact, before.score_exact
        );
        prop_assert!(after.score >= before.score);
        // Nor does it make the advice less cautious.
        prop_assert!(after.recommendation <= before.recommendation
            || before.level == Level::Unknown);
    }

    #[test]
    fn a_container_with_a_real_critical_finding_is_never_keep(
        specs in proptest::collection::vec(spec(), 0..20),
        critical in 0usize..3,
        item in 0u8..20,
        confidence in 0.05f32..1.0,
        coverage in coverage_strategy(),
    ) {
        let p = policy();
        let mut all = specs;
        all.push(Spec { entity: critical, value: 99, item, confidence, test_value: false,
            in_name: false, own_domain: false });
        let v = container_verdict(&summary_of("C", &all, coverage, &p), &p);
        prop_assert_ne!(v.recommendation, Recommendation::Keep);
    }

    #[test]
    fn documentation_and_test_values_alone_never_raise_a_container_above_keep(
        specs in proptest::collection::vec(spec(), 1..40),
        real in proptest::collection::vec(spec(), 0..10),
    ) {
        let p = policy();
        let tests: Vec<Spec> = specs
            .into_iter()
            .map(|s| Spec { test_value: true, in_name: false, value: s.value + 100, ..s })
            .collect();
        let v = container_verdict(&summary_of("C", &tests, complete(20), &p), &p);
        prop_assert_eq!(v.recommendation, Recommendation::Keep, "{:?}", v.reasons);
        prop_assert_eq!(v.score, 0);
        prop_assert_eq!(v.items_with_findings, 0);
        // Beside real values they change nothing: the verdict is the real values' own.
        let real: Vec<Spec> = real.into_iter().map(|s| Spec { test_value: false, ..s }).collect();
        let alone = container_verdict(&summary_of("C", &real, complete(20), &p), &p);
        let mut both = real.clone();
        both.extend(tests);
        let mixed = container_verdict(&summary_of("C", &both, complete(20), &p), &p);
        prop_assert_eq!(mixed.recommendation, alone.recommendation);
        prop_assert_eq!(mixed.level, alone.level);
        prop_assert_eq!(mixed.score, alone.score);
    }

    #[test]
    fn not_fully_read_and_nothing_found_is_unknown_and_review(
        coverage in coverage_strategy(),
    ) {
        prop_assume!(coverage.status != CoverageStatus::Complete);
        let p = policy();
        let v = container_verdict(&summary_of("C", &[], coverage, &p), &p);
        prop_assert_eq!(v.level, Level::Unknown);
        prop_assert_eq!(v.recommendation, Recommendation::Review);
    }

    #[test]
    fn the_order_does_not_depend_on_arrival(
        groups in proptest::collection::vec(proptest::collection::vec(spec(), 0..8), 1..12),
        rotate in 0usize..12,
    ) {
        let p = policy();
        let containers: Vec<ContainerSummary> = groups
            .iter()
            .enumerate()
            .map(|(i, specs)| summary_of(&format!("K{i:02}"), specs, complete(20), &p))
            .collect();
        let mut shuffled = containers.clone();
        shuffled.reverse();
        let n = shuffled.len();
        shuffled.rotate_left(rotate % n);
        let a: Vec<(usize, String)> =
            rank(&containers, &[], &BTreeMap::new(), &p).into_iter().map(|v| (v.rank, v.key)).collect();
        let b: Vec<(usize, String)> =
            rank(&shuffled, &[], &BTreeMap::new(), &p).into_iter().map(|v| (v.rank, v.key)).collect();
        prop_assert_eq!(a, b);
    }
}

#[test]
fn an_empty_container_fully_read_is_kept_and_says_why() {
    let p = policy();
    let v = container_verdict(&summary_of("C", &[], complete(0), &p), &p);
    assert_eq!(v.recommendation, Recommendation::Keep);
    assert_eq!(v.score, 0);
    assert!(v.reasons[0].contains("no content"), "{:?}", v.reasons);
}

#[test]
fn an_app_whose_containers_could_not_all_be_listed_is_never_kept_or_complete() {
    let p = policy();
    // One clean Confluence space, read in full; the space listing broke after it.
    let clean = vec![summary_of("DOCS", &[], complete(4), &p)];
    let unlisted = BTreeMap::from([(
        Product::Confluence,
        vec!["the space listing failed: HTTP 500".to_string()],
    )]);
    let verdicts = rank(&clean, &[], &unlisted, &p);
    let app = verdicts
        .iter()
        .find(|v| v.kind == ContainerKind::App)
        .expect("a Confluence app verdict");
    assert_eq!(app.level, Level::Unknown);
    assert_eq!(app.recommendation, Recommendation::Review);
    assert_eq!(app.coverage.status, CoverageStatus::Partial);
    assert!(
        app.reasons
            .iter()
            .any(|r| r.contains("could be listed") && r.contains("HTTP 500")),
        "{:?}",
        app.reasons
    );
    // Listed in full, the same space makes a clean, complete app.
    let listed = rank(&clean, &[], &BTreeMap::new(), &p);
    let app = listed
        .iter()
        .find(|v| v.kind == ContainerKind::App)
        .unwrap();
    assert_eq!(app.recommendation, Recommendation::Keep);
    assert_eq!(app.coverage.status, CoverageStatus::Complete);

    // Nothing listed at all (Jira's project search failed on its first page):
    // Jira still gets a verdict, failed and for review, never silently absent.
    let unlisted = BTreeMap::from([(Product::Jira, vec!["HTTP 503".to_string()])]);
    let verdicts = rank(&[], &[], &unlisted, &p);
    assert_eq!(verdicts.len(), 1, "{verdicts:?}");
    assert_eq!(verdicts[0].product, Product::Jira);
    assert_eq!(verdicts[0].coverage.status, CoverageStatus::Failed);
    assert_eq!(verdicts[0].recommendation, Recommendation::Review);
    assert!(verdicts[0].score_exact.is_finite());
}

#[test]
fn own_domain_emails_weigh_little() {
    let p = policy();
    let emails = |own_domain: bool| -> Vec<Spec> {
        (0..10)
            .map(|i| Spec {
                entity: 4,
                value: i,
                item: i,
                confidence: 0.9,
                test_value: false,
                in_name: false,
                own_domain,
            })
            .collect()
    };
    let own = container_verdict(&summary_of("C", &emails(true), complete(10), &p), &p);
    let theirs = container_verdict(&summary_of("C", &emails(false), complete(10), &p), &p);
    assert!(own.score_exact < theirs.score_exact);
    assert!(
        own.reasons.iter().any(|r| r.contains("own domains")),
        "{:?}",
        own.reasons
    );
}

#[test]
fn names_are_metadata_exposures_not_content() {
    let p = policy();
    let in_name = Spec {
        entity: 3,
        value: 1,
        item: 0,
        confidence: 0.9,
        test_value: false,
        in_name: true,
        own_domain: false,
    };
    let v = container_verdict(&summary_of("C", &[in_name], complete(5), &p), &p);
    assert_eq!(
        v.score, 0,
        "a name finding does not make the content sensitive"
    );
    assert_eq!(v.metadata_exposures.len(), 1);
    assert!(
        v.reasons.iter().any(|r| r.contains("rename")),
        "{:?}",
        v.reasons
    );
}

#[test]
fn the_reason_counts_values_and_items_in_plain_words() {
    let p = policy();
    let cards: Vec<Spec> = (0..6)
        .map(|i| Spec {
            entity: 0,
            value: i % 4,
            item: i % 3,
            confidence: 0.95,
            test_value: false,
            in_name: false,
            own_domain: false,
        })
        .collect();
    let v = container_verdict(&summary_of("C", &cards, complete(12), &p), &p);
    assert_eq!(v.reasons[0], "6 card numbers (4 distinct) in 3 pages");
    assert!(v.reasons.contains(&"findings in 3 of 12 pages".to_string()));
}
