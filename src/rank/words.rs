//! Plain words for reasons: what an entity is called, what a product calls its
//! items. The reasons are read by compliance officers, not by engineers.

use crate::detect::rules::builtin_nouns;
use crate::model::Product;
use std::collections::HashMap;
use std::sync::OnceLock;

/// (singular, plural) of an entity, for "37 card numbers in 12 pages".
pub fn entity_noun(entity: &str) -> (String, String) {
    let pair = match entity {
        "EMAIL_ADDRESS" => ("email address", "email addresses"),
        "PHONE_NUMBER" => ("phone number", "phone numbers"),
        "IP_ADDRESS" => ("IP address", "IP addresses"),
        "DATE_OF_BIRTH" => ("date of birth", "dates of birth"),
        "CUI_MARKING" => ("CUI marking", "CUI markings"),
        "ITAR_MARKING" => ("ITAR marking", "ITAR markings"),
        "EAR_MARKING" => ("EAR marking", "EAR markings"),
        "CLASSIFICATION_BANNER" => ("classification marking", "classification markings"),
        "CREDIT_CARD" => ("card number", "card numbers"),
        "IBAN_CODE" => ("IBAN", "IBANs"),
        "ABA_ROUTING_NUMBER" => ("routing number", "routing numbers"),
        "US_BANK_NUMBER" => ("bank account number", "bank account numbers"),
        "SWIFT_CODE" => ("SWIFT/BIC code", "SWIFT/BIC codes"),
        "MEDICAL_RECORD_NUMBER" => ("medical record number", "medical record numbers"),
        "ICD10_CODE" => ("diagnosis code", "diagnosis codes"),
        "US_NPI" => ("provider identifier (NPI)", "provider identifiers (NPI)"),
        "US_DEA" => ("DEA registration number", "DEA registration numbers"),
        "US_MBI" => (
            "Medicare beneficiary identifier",
            "Medicare beneficiary identifiers",
        ),
        "HEALTH_CONDITION" => ("health condition", "health conditions"),
        "HEALTH_DATA" => ("mention of health data", "mentions of health data"),
        "US_SSN" => ("Social Security number", "Social Security numbers"),
        "US_ITIN" => ("ITIN", "ITINs"),
        "US_PASSPORT" => ("passport number", "passport numbers"),
        "UK_NINO" => ("National Insurance number", "National Insurance numbers"),
        "UK_NHS" => ("NHS number", "NHS numbers"),
        "DE_TAX_ID" => ("German tax ID", "German tax IDs"),
        "NL_BSN" => ("Dutch BSN", "Dutch BSNs"),
        "ES_NIF" => ("Spanish DNI/NIF", "Spanish DNIs/NIFs"),
        "ES_NIE" => ("Spanish NIE", "Spanish NIEs"),
        "FR_NIR" => (
            "French social security number",
            "French social security numbers",
        ),
        "IT_FISCAL_CODE" => ("Italian fiscal code", "Italian fiscal codes"),
        "AWS_ACCESS_KEY" => ("AWS access key", "AWS access keys"),
        "AWS_SECRET_KEY" => ("AWS secret key", "AWS secret keys"),
        "GITHUB_TOKEN" => ("GitHub token", "GitHub tokens"),
        "SLACK_TOKEN" => ("Slack token", "Slack tokens"),
        "ATLASSIAN_API_TOKEN" => ("Atlassian API token", "Atlassian API tokens"),
        "GOOGLE_API_KEY" => ("Google API key", "Google API keys"),
        "STRIPE_KEY" => ("Stripe key", "Stripe keys"),
        "PRIVATE_KEY" => ("private key", "private keys"),
        "JWT" => ("JSON web token", "JSON web tokens"),
        "PASSWORD_ASSIGNMENT" => ("password", "passwords"),
        "RELIGIOUS_BELIEF" => (
            "mention of religious belief",
            "mentions of religious belief",
        ),
        "ETHNIC_ORIGIN" => ("mention of ethnic origin", "mentions of ethnic origin"),
        "SEXUAL_ORIENTATION" => (
            "mention of sexual orientation",
            "mentions of sexual orientation",
        ),
        "TRADE_UNION_MEMBERSHIP" => (
            "mention of trade union membership",
            "mentions of trade union membership",
        ),
        "POLITICAL_OPINION" => (
            "mention of political opinion",
            "mentions of political opinion",
        ),
        "BIOMETRIC_DATA" => ("mention of biometric data", "mentions of biometric data"),
        "GENETIC_DATA" => ("mention of genetic data", "mentions of genetic data"),
        "CLIENT_NAME" => ("client name", "client names"),
        _ => {
            if let Some(pair) = rule_nouns().get(entity) {
                return pair.clone();
            }
            // A custom rule's entity: its name in lower case.
            let base = entity.to_ascii_lowercase().replace('_', " ");
            return (format!("{base} value"), format!("{base} values"));
        }
    };
    (pair.0.to_string(), pair.1.to_string())
}

/// The nouns the built-in rules give their entities (`noun` / `plural` in a
/// pack); the first rule of an entity that names one decides.
fn rule_nouns() -> &'static HashMap<String, (String, String)> {
    static NOUNS: OnceLock<HashMap<String, (String, String)>> = OnceLock::new();
    NOUNS.get_or_init(|| {
        let mut nouns = HashMap::new();
        for (entity, pair) in builtin_nouns() {
            nouns.entry(entity).or_insert(pair);
        }
        nouns
    })
}

/// "1 card number" / "37 card numbers".
pub fn count_of(n: u64, entity: &str) -> String {
    let (one, many) = entity_noun(entity);
    format!("{n} {}", if n == 1 { one } else { many })
}

/// What a product calls its items, singular and plural.
pub fn item_noun(product: Product) -> (&'static str, &'static str) {
    match product {
        Product::Confluence => ("page", "pages"),
        Product::Jira => ("issue", "issues"),
        Product::Jsm => ("request", "requests"),
        Product::Connector => ("inventory record", "inventory records"),
        Product::Files => ("file", "files"),
    }
}

pub fn items_of(n: u64, product: Product) -> String {
    let (one, many) = item_noun(product);
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The product's name as Atlassian Administration shows it.
pub fn app_name(product: Product) -> &'static str {
    match product {
        Product::Confluence => "Confluence",
        Product::Jira => "Jira",
        Product::Jsm => "Jira Service Management",
        Product::Connector => "Teamwork Graph connectors",
        Product::Files => "Files",
    }
}
