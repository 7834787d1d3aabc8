//! The built-in rule packs: every example and negative example passes, and
//! every entity of DESIGN §3 has a rule.

use withhold::detect::allow::AllowList;
use withhold::detect::engine::{Engine, EngineOptions};
use withhold::detect::fingerprint::Fingerprinter;
use withhold::detect::rules::RuleSet;

fn builtin() -> RuleSet {
    RuleSet::load(None).expect("built-in packs load")
}

#[test]
fn every_builtin_example_and_negative_example_passes() {
    let set = builtin();
    let engine = Engine::new(
        &set,
        None,
        AllowList::default(),
        Fingerprinter::from_key([0; 32]),
        EngineOptions::default(),
    )
    .unwrap();
    let failures = engine.check_examples();
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn the_thirteen_packs_are_built_in() {
    let mut names: Vec<String> = builtin().packs.iter().map(|p| p.name.clone()).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "contact",
            "export-control",
            "financial",
            "health",
            "national-id",
            "secrets",
            "secrets-ai",
            "secrets-cloud",
            "secrets-collab",
            "secrets-commerce",
            "secrets-dev",
            "secrets-ops",
            "special-category"
        ]
    );
}

#[test]
fn every_design_entity_has_a_rule() {
    let set = builtin();
    let required = [
        "AWS_ACCESS_KEY",
        "AWS_SECRET_KEY",
        "GITHUB_TOKEN",
        "SLACK_TOKEN",
        "ATLASSIAN_API_TOKEN",
        "GOOGLE_API_KEY",
        "STRIPE_KEY",
        "PRIVATE_KEY",
        "JWT",
        "PASSWORD_ASSIGNMENT",
        "CREDIT_CARD",
        "IBAN_CODE",
        "ABA_ROUTING_NUMBER",
        "US_BANK_NUMBER",
        "SWIFT_CODE",
        "US_SSN",
        "US_ITIN",
        "US_PASSPORT",
        "UK_NINO",
        "UK_NHS",
        "DE_TAX_ID",
        "NL_BSN",
        "ES_NIF",
        "ES_NIE",
        "FR_NIR",
        "IT_FISCAL_CODE",
        "MEDICAL_RECORD_NUMBER",
        "ICD10_CODE",
        "US_NPI",
        "US_DEA",
        "US_MBI",
        "HEALTH_CONDITION",
        "CUI_MARKING",
        "ITAR_MARKING",
        "EAR_MARKING",
        "CLASSIFICATION_BANNER",
        "EMAIL_ADDRESS",
        "PHONE_NUMBER",
        "IP_ADDRESS",
        "DATE_OF_BIRTH",
        "RELIGIOUS_BELIEF",
        "ETHNIC_ORIGIN",
        "SEXUAL_ORIENTATION",
        "TRADE_UNION_MEMBERSHIP",
        "POLITICAL_OPINION",
        "BIOMETRIC_DATA",
        "GENETIC_DATA",
        "HEALTH_DATA",
    ];
    let missing: Vec<&str> = required
        .iter()
        .copied()
        .filter(|e| !set.rules.iter().any(|r| r.entity == *e))
        .collect();
    assert!(missing.is_empty(), "entities without a rule: {missing:?}");
}

#[test]
fn a_directory_pack_replaces_the_builtin_pack_of_the_same_name() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("contact.toml"),
        "[pack]\nname = \"contact\"\nversion = \"local\"\n",
    )
    .unwrap();
    let set = RuleSet::load(Some(dir.path())).unwrap();
    let contact = set.packs.iter().find(|p| p.name == "contact").unwrap();
    assert_eq!(contact.version, "local");
    assert!(!set.rules.iter().any(|r| r.pack == "contact"));
    assert_eq!(set.packs.len(), 13);
}

/// Issue 11: at least 200 credential kinds, each with words of its own for
/// the reasons ("3 OpenAI API keys in 2 pages"), and examples enough.
#[test]
fn secrets_cover_two_hundred_kinds_each_named_in_reasons() {
    use withhold::model::Category;
    use withhold::rank::words::entity_noun;
    let set = builtin();
    let secrets: Vec<_> = set
        .rules
        .iter()
        .filter(|r| r.category == Category::Secret)
        .collect();
    assert!(
        secrets.len() >= 200,
        "{} secret rules, want at least 200",
        secrets.len()
    );
    for r in &secrets {
        let (one, many) = entity_noun(&r.entity);
        // The wording for an entity nobody named: "openai api key value".
        let fallback = format!("{} value", r.entity.to_ascii_lowercase().replace('_', " "));
        assert!(
            one != fallback && one != many,
            "{} ({}): reasons would say {one:?}; give the rule a noun",
            r.id,
            r.entity
        );
    }
    // A reason names the kind: "2 OpenAI API keys".
    assert_eq!(
        withhold::rank::words::count_of(2, "OPENAI_API_KEY"),
        "2 OpenAI API keys"
    );
}
