//! Checks the bundled demo site: the committed files are exactly what the
//! generator produces, the objects are internally consistent (ids, replies,
//! parents), and every truth entry points at an item whose text really
//! contains the value. Later tests (scan recall, ranking, the fake server)
//! rely on these properties, so they are pinned here once.

#[path = "support/demo_gen.rs"]
mod demo_gen;

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn fixture_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo")
}

/// The generated files, parsed, by relative path.
fn generated() -> BTreeMap<String, String> {
    demo_gen::generate().into_iter().collect()
}

fn json(files: &BTreeMap<String, String>, path: &str) -> Value {
    serde_json::from_str(&files[path]).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn array(files: &BTreeMap<String, String>, path: &str) -> Vec<Value> {
    json(files, path)
        .as_array()
        .expect("top-level array")
        .clone()
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("missing string {key} in {v}"))
}

fn list_files(dir: &Path, base: &Path, out: &mut BTreeSet<String>) {
    for entry in std::fs::read_dir(dir).expect("fixtures/demo exists") {
        let path = entry.unwrap().path();
        if path.is_dir() {
            list_files(&path, base, out);
        } else {
            let rel = path.strip_prefix(base).unwrap().to_string_lossy();
            out.insert(rel.replace('\\', "/"));
        }
    }
}

#[test]
fn committed_fixtures_match_the_generator() {
    let root = fixture_root();
    let files = demo_gen::generate();
    for (rel, contents) in &files {
        let on_disk = std::fs::read_to_string(root.join(rel)).unwrap_or_default();
        // assert_eq! would print two 100 kB strings; name the file instead.
        assert!(
            on_disk == *contents,
            "fixtures/demo/{rel} is stale or missing: run cargo run --example gen_demo"
        );
    }
    let expected: BTreeSet<String> = files.iter().map(|(p, _)| p.clone()).collect();
    let mut actual = BTreeSet::new();
    list_files(&root, &root, &mut actual);
    assert_eq!(
        actual, expected,
        "unexpected files in fixtures/demo: run cargo run --example gen_demo"
    );
}

#[test]
fn generation_is_deterministic_and_small() {
    let a = demo_gen::generate();
    assert!(a == demo_gen::generate());
    let total: usize = a.iter().map(|(_, c)| c.len()).sum();
    assert!(total < 1_000_000, "demo fixtures are {total} bytes");
    for (path, contents) in &a {
        assert!(contents.ends_with('\n'), "{path} lacks a trailing newline");
        if path.ends_with(".json") {
            serde_json::from_str::<Value>(contents).unwrap_or_else(|e| panic!("{path}: {e}"));
        }
    }
}

#[test]
fn check_digit_code_agrees_with_published_examples() {
    use demo_gen::*;
    assert!(luhn_valid("4111 1111 1111 1111"));
    assert!(!luhn_valid("4111 1111 1111 1112"));
    assert!(iban_valid("GB82 WEST 1234 5698 7654 32"));
    assert!(iban_valid("DE89 3704 0044 0532 0130 00"));
    assert_eq!(
        iban_make("DE", "370400440532013000"),
        "DE89370400440532013000"
    );
    assert!(aba_valid("021000021"));
    assert!(aba_valid("011000015"));
    assert_eq!(nhs_check("943476591"), Some(9));
    assert_eq!(steuer_check("8609574271"), 9);
    assert!(bsn_valid("111222333"));
    assert!(es_id_valid("12345678Z"));
    assert!(es_id_valid("X1234567L"));
    assert_eq!(cf_check("RSSMRA85T10A562"), 'S');
    assert_eq!(npi_check("123456789"), 3);
    assert_eq!(dea_check("123456"), 3);
    assert!(ssn_valid("078-05-1121"));
    assert!(!ssn_valid("123-45-6789"));
    assert!(!ssn_valid("666-12-3456"));
    assert_eq!(
        base64url(br#"{"alg":"HS256","typ":"JWT"}"#),
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
    );
}

// ---------------------------------------------------------------------------
// Structure.

fn confluence_comments(files: &BTreeMap<String, String>) -> Vec<(String, Value)> {
    let mut out = vec![];
    for kind in ["footer", "inline"] {
        for c in array(files, &format!("confluence/{kind}-comments.json")) {
            out.push((kind.to_string(), c));
        }
    }
    out
}

#[test]
fn ids_are_unique() {
    let files = generated();
    let mut content_ids = BTreeSet::new();
    for path in [
        "confluence/pages.json",
        "confluence/blogposts.json",
        "confluence/footer-comments.json",
        "confluence/inline-comments.json",
    ] {
        for v in array(&files, path) {
            assert!(
                content_ids.insert(s(&v, "id").to_string()),
                "duplicate content id {} in {path}",
                v["id"]
            );
        }
    }
    let mut space_ids = BTreeSet::new();
    let mut space_keys = BTreeSet::new();
    for sp in array(&files, "confluence/spaces.json") {
        assert!(space_ids.insert(s(&sp, "id").to_string()));
        assert!(space_keys.insert(s(&sp, "key").to_string()));
    }
    let (mut issue_ids, mut issue_keys, mut comment_ids) =
        (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    for issue in array(&files, "jira/issues.json") {
        assert!(
            issue_ids.insert(s(&issue, "id").to_string()),
            "duplicate issue id"
        );
        assert!(
            issue_keys.insert(s(&issue, "key").to_string()),
            "duplicate issue key"
        );
        for c in issue["fields"]["comment"]["comments"].as_array().unwrap() {
            assert!(
                comment_ids.insert(s(c, "id").to_string()),
                "duplicate Jira comment id"
            );
        }
    }
}

#[test]
fn parents_and_replies_resolve() {
    let files = generated();
    let spaces = array(&files, "confluence/spaces.json");
    let pages = array(&files, "confluence/pages.json");
    let blogs = array(&files, "confluence/blogposts.json");
    let page_by_id: BTreeMap<&str, &Value> = pages.iter().map(|p| (s(p, "id"), p)).collect();
    let blog_ids: BTreeSet<&str> = blogs.iter().map(|b| s(b, "id")).collect();
    let space_ids: BTreeSet<&str> = spaces.iter().map(|sp| s(sp, "id")).collect();

    for sp in &spaces {
        let home = page_by_id[s(sp, "homepageId")];
        assert_eq!(s(home, "spaceId"), s(sp, "id"));
        assert!(home["parentId"].is_null(), "homepage has a parent");
    }
    for p in &pages {
        assert!(space_ids.contains(s(p, "spaceId")));
        assert_eq!(p["body"]["storage"]["representation"], "storage");
        if let Some(parent) = p["parentId"].as_str() {
            assert_eq!(
                s(page_by_id[parent], "spaceId"),
                s(p, "spaceId"),
                "parent in another space"
            );
        }
    }
    for b in &blogs {
        assert!(space_ids.contains(s(b, "spaceId")));
        assert!(b.get("parentId").is_none());
    }

    let comments = confluence_comments(&files);
    let by_id: BTreeMap<&str, (&str, &Value)> = comments
        .iter()
        .map(|(k, c)| (s(c, "id"), (k.as_str(), c)))
        .collect();
    let mut max_depth = BTreeMap::new();
    for (kind, c) in &comments {
        match (c["pageId"].as_str(), c["blogPostId"].as_str()) {
            (Some(p), None) => assert!(page_by_id.contains_key(p), "comment on unknown page {p}"),
            (None, Some(b)) => assert!(blog_ids.contains(b), "comment on unknown blog post {b}"),
            _ => panic!("comment {} needs exactly one of pageId/blogPostId", c["id"]),
        }
        if kind == "inline" {
            assert!(c["resolutionStatus"].is_string());
            assert!(c["properties"]["inlineMarkerRef"].is_string());
        }
        let mut depth = 1;
        let mut cur: &Value = c;
        while let Some(parent) = cur["parentCommentId"].as_str() {
            let (parent_kind, parent_c) = by_id
                .get(parent)
                .unwrap_or_else(|| panic!("reply {} to missing {parent}", cur["id"]));
            assert_eq!(
                parent_kind, kind,
                "reply in a different comment list than its parent"
            );
            assert_eq!(parent_c["pageId"], cur["pageId"]);
            assert_eq!(parent_c["blogPostId"], cur["blogPostId"]);
            cur = parent_c;
            depth += 1;
        }
        let d = max_depth.entry(kind.clone()).or_insert(0);
        *d = (*d).max(depth);
    }
    assert!(
        max_depth["footer"] >= 3 && max_depth["inline"] >= 3,
        "need replies to replies: {max_depth:?}"
    );
}

#[test]
fn pagination_and_product_specific_shapes_are_exercised() {
    let files = generated();
    let mut roots_per_page: BTreeMap<String, usize> = BTreeMap::new();
    for c in array(&files, "confluence/footer-comments.json") {
        if c.get("parentCommentId").is_none() {
            if let Some(p) = c["pageId"].as_str() {
                *roots_per_page.entry(p.to_string()).or_default() += 1;
            }
        }
    }
    assert!(
        roots_per_page.values().any(|&n| n > 30),
        "a page needs > 30 root footer comments"
    );

    let projects = array(&files, "jira/projects.json");
    let type_of: BTreeMap<&str, &str> = projects
        .iter()
        .map(|p| (s(p, "key"), s(p, "projectTypeKey")))
        .collect();
    assert!(type_of.values().any(|t| *t == "service_desk"));
    let mut longest = 0;
    for issue in array(&files, "jira/issues.json") {
        let f = &issue["fields"];
        assert!(s(&issue, "key").starts_with(&format!("{}-", s(&f["project"], "key"))));
        assert_eq!(f["description"]["type"], "doc");
        assert!(f["customfield_10050"].is_null() || f["customfield_10050"]["type"] == "doc");
        assert!(f["customfield_10051"].is_null() || f["customfield_10051"].is_string());
        assert!(s(f, "updated").ends_with(".000+0000"));
        let cs = f["comment"]["comments"].as_array().unwrap();
        assert_eq!(f["comment"]["total"].as_u64(), Some(cs.len() as u64));
        longest = longest.max(cs.len());
        let jsm = type_of[s(&f["project"], "key")] == "service_desk";
        for c in cs {
            assert_eq!(
                c.get("jsdPublic").is_some(),
                jsm,
                "jsdPublic only on JSM issues"
            );
            assert_eq!(c["body"]["type"], "doc");
        }
    }
    assert!(longest > 25, "an issue needs > 25 comments");
}

// ---------------------------------------------------------------------------
// Truth.

/// Plain text of a storage-format body: tags dropped, CDATA kept, entities decoded.
/// Deliberately simpler than the real extractor: it only has to show that a
/// value reads contiguously once markup is gone.
fn storage_text(xhtml: &str) -> String {
    let mut out = String::new();
    let mut rest = xhtml;
    while let Some(c) = rest.chars().next() {
        if let Some(r) = rest.strip_prefix("<![CDATA[") {
            let end = r.find("]]>").expect("CDATA closed");
            out.push_str(&r[..end]);
            rest = &r[end + 3..];
        } else if c == '<' {
            rest = &rest[rest.find('>').expect("tag closed") + 1..];
        } else if c == '&' {
            let end = rest.find(';').expect("entity closed");
            out.push_str(match &rest[..=end] {
                "&nbsp;" => " ",
                "&amp;" => "&",
                "&lt;" => "<",
                "&gt;" => ">",
                "&quot;" => "\"",
                other => panic!("unexpected entity {other}"),
            });
            rest = &rest[end + 1..];
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

/// Plain text of an ADF document: text nodes and mention text, blocks on new lines.
fn adf_text(node: &Value, out: &mut String) {
    match node["type"].as_str() {
        Some("text") => out.push_str(s(node, "text")),
        Some("mention") => out.push_str(s(&node["attrs"], "text")),
        _ => {
            if let Some(children) = node["content"].as_array() {
                for c in children {
                    adf_text(c, out);
                }
                out.push('\n');
            }
        }
    }
}

fn adf(node: &Value) -> String {
    let mut out = String::new();
    if !node.is_null() {
        adf_text(node, &mut out);
    }
    out
}

/// Every field's text, keyed by (container key, item id, field, comment id, jira field).
type Key = (String, String, String, Option<String>, Option<String>);

struct Site {
    text: BTreeMap<Key, String>,
    containers: BTreeMap<String, String>,
    hidden: BTreeSet<String>,
}

fn site(files: &BTreeMap<String, String>) -> Site {
    let mut text = BTreeMap::new();
    let mut containers = BTreeMap::new();
    let mut space_key = BTreeMap::new();
    let mut content_key = BTreeMap::new();
    let k = |c: &str, i: &str, f: &str, cid: Option<&str>, jf: Option<&str>| -> Key {
        (
            c.into(),
            i.into(),
            f.into(),
            cid.map(Into::into),
            jf.map(Into::into),
        )
    };
    for sp in array(files, "confluence/spaces.json") {
        containers.insert(s(&sp, "key").to_string(), "confluence".to_string());
        space_key.insert(s(&sp, "id").to_string(), s(&sp, "key").to_string());
        text.insert(
            k(s(&sp, "key"), s(&sp, "key"), "container_name", None, None),
            s(&sp, "name").to_string(),
        );
    }
    for path in ["confluence/pages.json", "confluence/blogposts.json"] {
        for p in array(files, path) {
            let key = &space_key[s(&p, "spaceId")];
            content_key.insert(s(&p, "id").to_string(), key.clone());
            text.insert(
                k(key, s(&p, "id"), "title", None, None),
                s(&p, "title").to_string(),
            );
            text.insert(
                k(key, s(&p, "id"), "body", None, None),
                storage_text(s(&p["body"]["storage"], "value")),
            );
        }
    }
    for (_, c) in confluence_comments(files) {
        let item = c["pageId"].as_str().or(c["blogPostId"].as_str()).unwrap();
        let key = &content_key[item];
        text.insert(
            k(key, item, "comment", Some(s(&c, "id")), None),
            storage_text(s(&c["body"]["storage"], "value")),
        );
    }
    for pr in array(files, "jira/projects.json") {
        let product = if s(&pr, "projectTypeKey") == "service_desk" {
            "jsm"
        } else {
            "jira"
        };
        containers.insert(s(&pr, "key").to_string(), product.to_string());
        text.insert(
            k(s(&pr, "key"), s(&pr, "key"), "container_name", None, None),
            s(&pr, "name").to_string(),
        );
    }
    for issue in array(files, "jira/issues.json") {
        let f = &issue["fields"];
        let (key, item) = (s(&f["project"], "key"), s(&issue, "key"));
        text.insert(
            k(key, item, "title", None, None),
            s(f, "summary").to_string(),
        );
        text.insert(k(key, item, "body", None, None), adf(&f["description"]));
        text.insert(
            k(key, item, "body", None, Some("customfield_10050")),
            adf(&f["customfield_10050"]),
        );
        text.insert(
            k(key, item, "body", None, Some("customfield_10051")),
            f["customfield_10051"].as_str().unwrap_or("").to_string(),
        );
        for c in f["comment"]["comments"].as_array().unwrap() {
            text.insert(
                k(key, item, "comment", Some(s(c, "id")), None),
                adf(&c["body"]),
            );
        }
    }
    let hidden = array(files, "confluence/hidden.json")
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    Site {
        text,
        containers,
        hidden,
    }
}

fn key_of(e: &Value) -> Key {
    (
        s(e, "container_key").into(),
        s(e, "item_id").into(),
        s(e, "field").into(),
        e["comment_id"].as_str().map(Into::into),
        e["jira_field"].as_str().map(Into::into),
    )
}

const ENTITIES: &[&str] = &[
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
    "CLIENT_NAME",
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "IP_ADDRESS",
    "DATE_OF_BIRTH",
    "RELIGIOUS_BELIEF",
    "SEXUAL_ORIENTATION",
    "TRADE_UNION_MEMBERSHIP",
    "HEALTH_DATA",
];

/// Checksummed entities: the planted value must pass the same check a detector runs.
fn passes_validator(entity: &str, value: &str) -> bool {
    use demo_gen::*;
    let compact: String = value
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    match entity {
        "CREDIT_CARD" => luhn_valid(value),
        "IBAN_CODE" => iban_valid(value),
        "ABA_ROUTING_NUMBER" => aba_valid(value),
        "US_SSN" => ssn_valid(value),
        "US_ITIN" => {
            compact.len() == 9
                && compact.starts_with('9')
                && (70..=88).contains(&compact[3..5].parse::<u32>().unwrap())
        }
        "UK_NHS" => nhs_check(&compact[..9]) == compact[9..].parse().ok(),
        "DE_TAX_ID" => {
            compact.len() == 11
                && steuer_check(&compact[..10]) == compact[10..].parse::<u32>().unwrap()
        }
        "NL_BSN" => bsn_valid(value),
        "ES_NIF" | "ES_NIE" => es_id_valid(value),
        "FR_NIR" => nir_valid(value),
        "IT_FISCAL_CODE" => {
            compact.len() == 16 && cf_check(&compact[..15]) == compact.chars().last().unwrap()
        }
        "US_NPI" => {
            compact.len() == 10 && npi_check(&compact[..9]) == compact[9..].parse::<u32>().unwrap()
        }
        "US_DEA" => {
            compact.len() == 9 && dea_check(&compact[2..8]) == compact[8..].parse::<u32>().unwrap()
        }
        "US_MBI" => compact.len() == 11 && !compact.contains(['S', 'L', 'O', 'I', 'B', 'Z']),
        _ => true,
    }
}

#[test]
fn truth_points_at_real_values() {
    let files = generated();
    let site = site(&files);
    let truth = json(&files, "truth.json");
    let aliases: BTreeMap<&str, Vec<&str>> = demo_gen::CLIENTS
        .iter()
        .map(|(name, aliases, _)| {
            (
                *name,
                std::iter::once(*name)
                    .chain(aliases.iter().copied())
                    .collect(),
            )
        })
        .collect();

    let intents: BTreeMap<String, String> = truth["containers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            assert_eq!(
                site.containers.get(s(c, "key")).map(String::as_str),
                Some(s(c, "product")),
                "container {c}"
            );
            (s(c, "key").to_string(), s(c, "intent").to_string())
        })
        .collect();
    assert_eq!(
        intents.len(),
        site.containers.len(),
        "every container has an intent"
    );

    let mut per_entity: BTreeMap<&str, usize> = BTreeMap::new();
    let mut per_container: BTreeMap<&str, usize> = BTreeMap::new();
    for e in truth["planted"].as_array().unwrap() {
        let (entity, value) = (s(e, "entity"), s(e, "value"));
        assert!(ENTITIES.contains(&entity), "unknown entity {entity}");
        assert_eq!(site.containers[s(e, "container_key")], s(e, "product"));
        assert!(
            !site.hidden.contains(s(e, "item_id")),
            "hidden item in truth: {e}"
        );
        let text = site
            .text
            .get(&key_of(e))
            .unwrap_or_else(|| panic!("truth entry points nowhere: {e}"));
        let found = if entity == "CLIENT_NAME" {
            aliases[value].iter().any(|a| text.contains(a))
        } else {
            text.contains(value)
        };
        assert!(found, "{entity} {value:?} not in the text of {e}:\n{text}");
        assert!(
            passes_validator(entity, value),
            "{entity} {value:?} fails its check"
        );
        *per_entity.entry(entity).or_default() += 1;
        *per_container.entry(s(e, "container_key")).or_default() += 1;
    }
    for entity in ENTITIES {
        assert!(
            per_entity.get(entity).copied().unwrap_or(0) >= 2,
            "{entity} planted fewer than twice"
        );
    }
    for (key, intent) in &intents {
        let n = per_container.get(key.as_str()).copied().unwrap_or(0);
        match intent.as_str() {
            "clean" => assert_eq!(n, 0, "clean container {key} has planted values"),
            "sensitive" | "contractual" => {
                assert!(n > 0, "{intent} container {key} has nothing planted")
            }
            other => panic!("unknown intent {other}"),
        }
    }
    assert!(truth["planted"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| s(e, "field") == "container_name"));

    for e in truth["lookalikes"].as_array().unwrap() {
        let text = site
            .text
            .get(&key_of(e))
            .unwrap_or_else(|| panic!("look-alike points nowhere: {e}"));
        let look = s(e, "text");
        assert!(text.contains(look), "look-alike {look:?} not in {e}");
        assert!(!site.hidden.contains(s(e, "item_id")));
        match s(e, "kind") {
            "card_failing_luhn" => assert!(!demo_gen::luhn_valid(look)),
            "iban_bad_check_digits" => assert!(!demo_gen::iban_valid(look)),
            "invalid_ssn" => assert!(!demo_gen::ssn_valid(look)),
            _ => {}
        }
    }
    let clean_lookalikes = truth["lookalikes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| intents[s(e, "container_key")] == "clean")
        .count();
    assert!(clean_lookalikes * 2 > truth["lookalikes"].as_array().unwrap().len());
}

#[test]
fn hidden_pages_exist_and_clients_csv_matches() {
    let files = generated();
    let pages = array(&files, "confluence/pages.json");
    let ids: BTreeSet<&str> = pages.iter().map(|p| s(p, "id")).collect();
    let hidden = array(&files, "confluence/hidden.json");
    assert!(!hidden.is_empty());
    for h in &hidden {
        assert!(
            ids.contains(h.as_str().unwrap()),
            "hidden id {h} is not a page"
        );
    }

    let csv = &files["clients.csv"];
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("name,aliases,ordinary_word"));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), demo_gen::CLIENTS.len());
    let ordinary: Vec<&str> = rows
        .iter()
        .filter(|r| r[2] == "true")
        .map(|r| r[0])
        .collect();
    assert_eq!(ordinary, ["Summit", "Beacon"]);

    let site = json(&files, "site.json");
    assert_eq!(s(&site, "baseUrl"), demo_gen::BASE_URL);
}
