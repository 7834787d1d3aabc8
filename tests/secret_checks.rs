//! What every secret rule gets without asking: placeholders dropped, example
//! values flagged, soft checksums, entropy floors, and broad keyword rules
//! stepping aside for a specific token inside their value.

use withhold::detect::allow::AllowList;
use withhold::detect::engine::{Engine, EngineOptions};
use withhold::detect::fingerprint::Fingerprinter;
use withhold::detect::rules::{parse_pack, RuleSet, CHECKSUM_FAILED_CONFIDENCE};
use withhold::model::{Document, Field, Finding, Origin, Product};

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A `tok_` token whose last six characters are the base62 CRC32 of the 30 before.
fn token(random: &str) -> String {
    assert_eq!(random.len(), 30);
    let mut n = crc32fast::hash(random.as_bytes());
    let mut check = [b'0'; 6];
    for slot in check.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    format!("tok_{random}{}", std::str::from_utf8(&check).unwrap())
}

fn pack() -> String {
    let good = token("Zq8Lm2Xr5Kd9Wn4Tb7Ys1Hc6Pv3Jg0");
    format!(
        r#"
[pack]
name = "t"
version = "1"

[[rule]]
id = "t.vendor"
entity = "VENDOR_TOKEN"
noun = "vendor token"
category = "secret"
severity = "critical"
confidence = 0.95
priority = 70
pattern = '\b(?P<value>tok_[A-Za-z0-9]{{36}})\b'
checksum = "base62_crc32"
examples = [
  {{ text = "t {good}", value = "{good}" }},
  {{ text = "x={good};", value = "{good}" }},
  {{ text = "({good})", value = "{good}" }},
]
negative_examples = ["tok_short", "tok_", "token"]

[[rule]]
id = "t.generic"
entity = "GENERIC_SECRET"
category = "secret"
severity = "high"
confidence = 0.6
priority = 10
pattern = '''(?i)\b[a-z_]{{0,20}}(?:token|api_key|password)["']?\s{{0,3}}[:=]\s{{0,3}}["']?(?P<value>[!-~]{{5,80}}[A-Za-z0-9#&$])'''
min_entropy = 3.0
examples = [
  {{ text = "password = Kx9#mP2$wLq7", value = "Kx9#mP2$wLq7" }},
  {{ text = "API_KEY: q7Xk2mP9vR4tLz8n", value = "q7Xk2mP9vR4tLz8n" }},
  {{ text = "my_token=Zr5Kd9Wn4Tb7", value = "Zr5Kd9Wn4Tb7" }},
]
negative_examples = ["password = aaaaaaaa1", "token: ${{TOKEN}}", "api_key = <your-key-here>"]
"#
    )
}

fn engine() -> Engine {
    let (info, rules) = parse_pack("t.toml", &pack()).expect("test pack loads");
    let set = RuleSet::from_packs(vec![(info, rules)]).unwrap();
    Engine::new(
        &set,
        None,
        AllowList::default(),
        Fingerprinter::from_key([3; 32]),
        EngineOptions { reveal: true },
    )
    .unwrap()
}

fn scan(text: &str) -> Vec<Finding> {
    let doc = Document {
        origin: Origin {
            product: Product::Confluence,
            container_key: "ENG".into(),
            item_id: "1".into(),
            item_url: String::new(),
            field: Field::Body,
            comment_id: None,
        },
        text: text.into(),
        offsets: Default::default(),
    };
    engine().scan(&doc).findings
}

#[test]
fn a_vendor_token_in_a_generic_assignment_is_the_vendor_finding() {
    let t = token("a8Fk2LmQ9xR4tZ7pW3nB6vC1yD5sE0");
    let found = scan(&format!("deploy api_key = \"{t}\" for prod"));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(&*found[0].rule, "t.vendor");
    assert_eq!(found[0].matched.as_deref(), Some(t.as_str()));
}

#[test]
fn a_failed_checksum_is_reported_at_low_confidence() {
    let good = token("a8Fk2LmQ9xR4tZ7pW3nB6vC1yD5sE0");
    let found = scan(&format!("token {good}"));
    assert_eq!(found.len(), 1);
    assert!((found[0].confidence - 0.95).abs() < 1e-6);
    // Same shape, last character changed: not a token GitHub or npm would issue.
    let mut bad = good.clone();
    let last = bad.pop().unwrap();
    bad.push(if last == 'a' { 'b' } else { 'a' });
    let found = scan(&format!("token {bad}"));
    assert_eq!(
        found.len(),
        1,
        "still reported: a real token may be mistyped"
    );
    assert!(found[0].confidence <= CHECKSUM_FAILED_CONFIDENCE);
}

#[test]
fn placeholders_are_dropped_and_example_values_flagged() {
    for text in [
        "token: ${DEPLOY_TOKEN}",
        "password = <your-password>",
        "api_key = {{ secrets.API_KEY }}",
        "password: process.env.DB_PASSWORD",
        "token = xxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "tok_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "password = ************",
    ] {
        assert!(scan(text).is_empty(), "{text}: {:?}", scan(text));
    }
    let found = scan("api_key = Ex4mpleEXAMPLEkey99Zq");
    assert_eq!(found.len(), 1);
    assert!(found[0].test_value);
}

#[test]
fn low_entropy_values_are_not_secrets() {
    assert!(scan("password = abababab12").is_empty());
    assert_eq!(scan("password = Tr0ub4dor&3xq").len(), 1);
}
