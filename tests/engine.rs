//! The engine over small, self-contained packs: overlap, retry, context,
//! test values, allow lists, clients and error reporting.

use withhold::detect::allow::AllowList;
use withhold::detect::dictionary::ClientDictionary;
use withhold::detect::engine::{Engine, EngineOptions};
use withhold::detect::fingerprint::Fingerprinter;
use withhold::detect::rules::{parse_pack, RuleSet};
use withhold::model::{Document, Field, Origin, Product};

const PACK: &str = r#"
[pack]
name = "t"
version = "1"

[[rule]]
id = "t.card"
entity = "CREDIT_CARD"
category = "financial"
severity = "critical"
confidence = 0.9
priority = 30
pattern = '\b(?:\d{4}[ -]?){3}\d{4}\b'
validator = "credit_card"
test_values = ["4111111111111111"]
examples = [
  { text = "card 4929 1234 5678 9015? no", value = "4929 1234 5678 9015" },
  { text = "5500-0000-0000-0004 ok", value = "5500-0000-0000-0004" },
  { text = "test 4111 1111 1111 1111", value = "4111 1111 1111 1111", test_value = true },
]
negative_examples = ["4111 1111 1111 1112", "1234", "abc"]

[[rule]]
id = "t.ssn-bare"
entity = "US_SSN"
category = "national_id"
severity = "critical"
confidence = 0.6
priority = 20
pattern = '\b\d{9}\b'
validator = "us_ssn"
examples = [
  { text = "SSN 536220811", value = "536220811" },
  { text = "social security: 536220811", value = "536220811" },
  { text = "ssn=536220811", value = "536220811" },
]
negative_examples = ["routing 021000021", "536220811", "ssn 000220811"]
[rule.context]
words = ["ssn", "social security"]
required = true

[[rule]]
id = "t.aba"
entity = "ABA_ROUTING_NUMBER"
category = "financial"
severity = "high"
confidence = 0.7
priority = 10
pattern = '\b\d{9}\b'
validator = "aba_routing"
examples = [
  { text = "routing 021000021", value = "021000021" },
  { text = "ABA: 011000015", value = "011000015" },
  { text = "routing number 021000021", value = "021000021" },
]
negative_examples = ["021000021", "routing 021000022", "ssn 536220811"]
[rule.context]
words = ["routing", "aba"]
required = true

[[rule]]
id = "t.ip"
entity = "IP_ADDRESS"
category = "contact"
severity = "low"
confidence = 0.5
pattern = '\b(?P<value>\d{1,3}(?:\.\d{1,3}){3})\b'
validator = "ipv4"
examples = [
  { text = "host 10.1.2.3 down", value = "10.1.2.3" },
  { text = "from 192.168.0.1", value = "192.168.0.1" },
  { text = "8.8.8.8", value = "8.8.8.8" },
]
negative_examples = ["version 10.2.3.4", "999.1.1.1", "1.2.3"]
[rule.context]
deny = ["version"]
"#;

fn engine_with(clients: Option<ClientDictionary>, allow: AllowList, reveal: bool) -> Engine {
    let (info, rules) = parse_pack("t.toml", PACK).expect("test pack loads");
    let set = RuleSet::from_packs(vec![(info, rules)]).unwrap();
    Engine::new(
        &set,
        clients,
        allow,
        Fingerprinter::from_key([9; 32]),
        EngineOptions { reveal },
    )
    .unwrap()
}

fn doc(text: &str) -> Document {
    Document {
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
    }
}

#[test]
fn every_example_of_the_test_pack_passes() {
    let failures = engine_with(None, AllowList::default(), false).check_examples();
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn a_rejected_rule_does_not_hide_a_lower_priority_rule_at_the_same_place() {
    // The bare-SSN rule (higher priority) matches first and fails its context;
    // the routing rule at the same span must still be found.
    let e = engine_with(None, AllowList::default(), true);
    let scan = e.scan(&doc("Wire to routing 021000021 today"));
    let rules: Vec<&str> = scan.findings.iter().map(|f| &*f.rule).collect();
    assert_eq!(rules, ["t.aba"]);
}

#[test]
fn findings_are_masked_and_raw_only_when_revealed() {
    let text = "pay with 4929 1234 5678 9015 now";
    let hidden = engine_with(None, AllowList::default(), false).scan(&doc(text));
    assert_eq!(hidden.findings.len(), 1);
    assert_eq!(hidden.findings[0].masked, "4929 •••• •••• 9015");
    assert!(hidden.findings[0].matched.is_none());
    let shown = engine_with(None, AllowList::default(), true).scan(&doc(text));
    assert_eq!(
        shown.findings[0].matched.as_deref(),
        Some("4929 1234 5678 9015")
    );
    assert_eq!(
        shown.findings[0].fingerprint,
        hidden.findings[0].fingerprint
    );
}

#[test]
fn test_values_are_flagged_at_low_confidence() {
    let scan = engine_with(None, AllowList::default(), false)
        .scan(&doc("use 4111-1111-1111-1111 in staging"));
    assert_eq!(scan.findings.len(), 1);
    assert!(scan.findings[0].test_value);
    assert!(scan.findings[0].confidence < 0.1);
}

#[test]
fn allow_list_drops_are_counted_not_hidden() {
    let allow = AllowList::parse("allow.toml", "values = [\"10.1.2.3\"]\n").unwrap();
    let scan = engine_with(None, allow, false).scan(&doc("hosts 10.1.2.3 and 10.1.2.4"));
    assert_eq!(scan.findings.len(), 1);
    assert_eq!(
        scan.suppressed
            .get(&("allow_value", "IP_ADDRESS".to_string())),
        Some(&1)
    );
}

#[test]
fn reviewed_fingerprint_drops_only_in_its_container() {
    let e = engine_with(None, AllowList::default(), false);
    let fp = e.scan(&doc("host 10.1.2.3")).findings[0]
        .fingerprint
        .clone();
    let allow = AllowList::parse(
        "allow.toml",
        &format!("[[reviewed]]\nfingerprint = \"{fp}\"\ncontainer = \"ENG\"\n"),
    )
    .unwrap();
    let e = engine_with(None, allow, false);
    assert!(e.scan(&doc("host 10.1.2.3")).findings.is_empty());
    let mut other = doc("host 10.1.2.3");
    other.origin.container_key = "HR".into();
    assert_eq!(e.scan(&other).findings.len(), 1);
}

#[test]
fn client_names_are_found_and_not_double_counted_inside_other_findings() {
    let clients = ClientDictionary::from_csv(
        "c.csv",
        b"name,aliases,ordinary_word\nNorthwind Traders,Northwind,false\n",
    )
    .unwrap();
    let e = engine_with(Some(clients), AllowList::default(), false);
    let scan = e.scan(&doc("Northwind renewal; card 4929 1234 5678 9015"));
    let entities: Vec<&str> = scan.findings.iter().map(|f| &*f.entity).collect();
    assert_eq!(entities, ["CLIENT_NAME", "CREDIT_CARD"]);
    assert_eq!(scan.findings[0].masked, "Northwind Traders");
}

#[test]
fn large_documents_are_scanned_in_windows_without_loss_or_duplicates() {
    let e = engine_with(None, AllowList::default(), false);
    // ~20 MB: more than two windows; values at regular intervals, one near each boundary.
    let filler = "lorem ipsum dolor sit amet ".repeat(40_000); // ~1.08 MB
    let mut text = String::new();
    let mut expected = 0;
    while text.len() < 20 << 20 {
        text.push_str(&filler);
        text.push_str(" host 10.1.2.3 ");
        expected += 1;
    }
    let scan = e.scan(&doc(&text));
    assert_eq!(scan.findings.len(), expected);
}

#[test]
fn malformed_packs_name_file_line_and_rule() {
    let bad_regex = PACK.replace(r"pattern = '\b\d{9}\b'", r"pattern = '\b(\d{9}\b'");
    let e = parse_pack("rules/t.toml", &bad_regex).unwrap_err();
    assert_eq!(e.file, "rules/t.toml");
    assert_eq!(e.rule.as_deref(), Some("t.ssn-bare"));
    let header = PACK[..PACK.find("id = \"t.ssn-bare\"").unwrap()]
        .lines()
        .count();
    assert_eq!(e.line, header, "{e}");
    assert!(e.reason.contains("bad pattern"), "{e}");

    let unknown = PACK.replace("validator = \"ipv4\"", "validator = \"ipv5\"");
    let e = parse_pack("rules/t.toml", &unknown).unwrap_err();
    assert!(e.to_string().starts_with("rules/t.toml:"), "{e}");
    assert!(e.reason.contains("unknown validator \"ipv5\""), "{e}");

    let few = PACK.replace(
        "negative_examples = [\"version 10.2.3.4\", \"999.1.1.1\", \"1.2.3\"]",
        "negative_examples = [\"x\"]",
    );
    let e = parse_pack("rules/t.toml", &few).unwrap_err();
    assert!(e.reason.contains("negative_examples"), "{e}");

    let empty = PACK.replace(r"pattern = '\b\d{9}\b'", r"pattern = '\d*'");
    let e = parse_pack("rules/t.toml", &empty).unwrap_err();
    assert!(e.reason.contains("empty string"), "{e}");

    let toml_err = format!("{PACK}\n[[rule]]\nid = \"x\"\nentity = 5\n");
    let e = parse_pack("rules/t.toml", &toml_err).unwrap_err();
    let new_rule = PACK.lines().count() + 2;
    assert!((new_rule..=new_rule + 2).contains(&e.line), "{e}");
    assert!(e.reason.starts_with("invalid TOML"), "{e}");
}

#[test]
fn a_hundred_thousand_client_names_compile_and_match() {
    let mut csv = String::from("name,aliases,ordinary_word\n");
    for i in 0..100_000 {
        csv.push_str(&format!("Client{i} Holdings,CH{i},false\n"));
    }
    let dict = ClientDictionary::from_csv("big.csv", csv.as_bytes()).unwrap();
    assert_eq!(dict.len(), 100_000);
    let e = engine_with(Some(dict), AllowList::default(), false);
    let scan = e.scan(&doc(
        "Met client99999 holdings and ch123; not Client99999x nor xch5.",
    ));
    let names: Vec<&str> = scan.findings.iter().map(|f| f.masked.as_str()).collect();
    assert_eq!(names, ["Client99999 Holdings", "Client123 Holdings"]);
}

#[test]
fn a_span_two_rules_accept_is_reported_once_by_the_more_specific_rule() {
    // 211012340 is both a valid SSN and a valid ABA routing number.
    let e = engine_with(None, AllowList::default(), true);
    let both = e.scan(&doc("SSN and routing: 211012340"));
    let rules: Vec<&str> = both.findings.iter().map(|f| &*f.rule).collect();
    assert_eq!(rules, ["t.ssn-bare"]);
    let routing_only = e.scan(&doc("routing: 211012340"));
    let rules: Vec<&str> = routing_only.findings.iter().map(|f| &*f.rule).collect();
    assert_eq!(rules, ["t.aba"]);
}
