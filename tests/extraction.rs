//! No document is lost silently: bodies of any depth are read in full, a
//! body that cannot be read fails its item (so its container is partial, with
//! the reason in summary.json and the report), invisible characters do not
//! break a match, and ADF files are recognised with a BOM or inside a JSON
//! string. Through the real binary on files, and over HTTP on loopback
//! against the fake site.

use serde_json::Value;
use std::path::Path;
use std::sync::Arc;
use withhold::detect::allow::AllowList;
use withhold::detect::engine::{Engine, EngineOptions};
use withhold::detect::fingerprint::Fingerprinter;
use withhold::detect::rules::RuleSet;
use withhold::fake_site::{FakeSite, FakeSiteConfig, SiteData};
use withhold::model::{Document, Field, Origin, Product};
use withhold::text::{adf_to_text, adf_value_to_text, storage_to_text};

#[path = "support/cli.rs"]
mod cli;
use cli::withhold;

const EMAIL: &str = "maria.lopez@globex-corp.com";

/// An ADF document whose only text sits `depth` bulletList/listItem levels
/// down (each level is three JSON levels), as JSON text built without
/// recursion.
fn nested_lists(depth: usize, text: &str) -> String {
    format!(
        r#"{{"version":1,"type":"doc","content":[{}{{"type":"paragraph","content":[{{"type":"text","text":"{text}"}}]}}{}]}}"#,
        r#"{"type":"bulletList","content":[{"type":"listItem","content":["#.repeat(depth),
        "]}]}".repeat(depth)
    )
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn container<'a>(summary: &'a Value, key: &str) -> &'a Value {
    summary["containers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["key"] == key)
        .unwrap_or_else(|| panic!("container {key}: {}", summary["containers"]))
}

fn findings(out: &Path) -> Vec<Value> {
    std::fs::read_to_string(out.join("findings.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn scan_files(dir: &Path, extra: &[&str]) -> (Value, Vec<Value>, String) {
    let mut args = vec!["scan", "--path", "docs", "--out", "out", "--quiet"];
    args.extend_from_slice(extra);
    let o = withhold(dir, &args);
    assert!(
        matches!(o.status.code(), Some(0 | 1 | 3)),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let out = dir.join("out");
    (
        read_json(&out.join("summary.json")),
        findings(&out),
        std::fs::read_to_string(out.join("report.html")).unwrap(),
    )
}

fn docs_dir() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let docs = dir.path().join("docs/ENG");
    std::fs::create_dir_all(&docs).unwrap();
    (dir, docs)
}

fn entities_in(findings: &[Value], item: &str) -> Vec<String> {
    findings
        .iter()
        .filter(|f| f["item_id"].as_str().is_some_and(|i| i.ends_with(item)))
        .map(|f| f["entity"].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn adf_nested_past_the_parsers_limit_is_read_in_full() {
    let (dir, docs) = docs_dir();
    // 40 nested lists already pass serde_json's limit of 128; 5,000 is far
    // past any stack a recursive reader would have.
    for depth in [40, 5_000] {
        std::fs::write(
            docs.join(format!("deep-{depth}.json")),
            nested_lists(depth, &format!("write to {EMAIL}")),
        )
        .unwrap();
    }
    let (summary, findings, _) = scan_files(dir.path(), &[]);
    let eng = container(&summary, "ENG");
    assert_eq!(eng["status"], "complete", "{eng}");
    assert_eq!(eng["items_scanned"], 2, "{eng}");
    for item in ["deep-40.json", "deep-5000.json"] {
        assert_eq!(entities_in(&findings, item), ["EMAIL_ADDRESS"], "{item}");
    }
}

#[test]
fn a_body_that_cannot_be_read_fails_its_item_and_says_why() {
    let (dir, docs) = docs_dir();
    let whole = nested_lists(2, &format!("mail {EMAIL} and the rest"));
    // Cut off mid-document, as an interrupted export leaves it.
    std::fs::write(docs.join("cut.json"), &whole[..whole.len() - 8]).unwrap();
    std::fs::write(docs.join("fine.txt"), "nothing here").unwrap();
    let (summary, findings, report) = scan_files(dir.path(), &[]);
    let eng = container(&summary, "ENG");
    assert_eq!(eng["status"], "partial", "{eng}");
    assert_eq!(
        (
            &eng["items_seen"],
            &eng["items_scanned"],
            &eng["items_failed"]
        ),
        (&2.into(), &1.into(), &1.into()),
        "{eng}"
    );
    let reason = eng["reasons"][0].as_str().unwrap();
    assert!(
        reason.starts_with("ENG/cut.json: ADF is cut off"),
        "{reason}"
    );
    // What was read before the cut is still scanned.
    assert_eq!(entities_in(&findings, "cut.json"), ["EMAIL_ADDRESS"]);
    assert!(
        report.contains("ADF is cut off"),
        "the report names the reason"
    );
    assert!(!report.contains(EMAIL), "no raw value in the report");
}

#[test]
fn a_body_over_the_size_cap_fails_its_item_naming_the_cap() {
    let (dir, docs) = docs_dir();
    let filler = "x".repeat(1 << 20);
    std::fs::write(docs.join("big.json"), nested_lists(1, &filler)).unwrap();
    std::fs::write(
        docs.join("big.html"),
        format!("<p>{EMAIL}</p><p>{filler}</p>"),
    )
    .unwrap();
    std::fs::write(docs.join("small.json"), nested_lists(1, EMAIL)).unwrap();
    let (summary, findings, _) = scan_files(dir.path(), &["--max-document-mib", "1"]);
    let eng = container(&summary, "ENG");
    assert_eq!(eng["status"], "partial", "{eng}");
    assert_eq!(eng["items_failed"], 2, "{eng}");
    let reasons: Vec<&str> = eng["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for r in &reasons {
        assert!(r.contains("above the 1 MiB limit for one document"), "{r}");
        assert!(r.contains("--max-document-mib"), "{r}");
    }
    assert_eq!(entities_in(&findings, "small.json"), ["EMAIL_ADDRESS"]);
    assert!(entities_in(&findings, "big.html").is_empty());
}

#[test]
fn adf_files_with_a_bom_or_inside_a_json_string_are_read_as_adf() {
    let (dir, docs) = docs_dir();
    let doc = nested_lists(1, &format!("mail {EMAIL}"));
    std::fs::write(docs.join("bom.json"), format!("\u{FEFF}{doc}")).unwrap();
    std::fs::write(docs.join("string.json"), Value::String(doc).to_string()).unwrap();
    let data = withhold::sources::files::collect(
        &[dir.path().join("docs")],
        &withhold::interrupt::Interrupt::default(),
    );
    assert_eq!(data.units.len(), 2);
    for u in &data.units {
        assert_eq!(
            u.documents[0].text,
            format!("mail {EMAIL}"),
            "{}",
            u.item.id
        );
        assert!(u.unread.is_empty() && u.warnings.is_empty(), "{u:?}");
    }
}

fn engine() -> Engine {
    let rules = RuleSet::load(None).unwrap();
    Engine::new(
        &rules,
        None,
        AllowList::default(),
        Fingerprinter::from_key([9; 32]),
        EngineOptions::default(),
    )
    .unwrap()
}

fn found(engine: &Engine, text: &str) -> Vec<String> {
    let doc = Document {
        origin: Origin {
            product: Product::Files,
            container_key: "K".into(),
            item_id: "i".into(),
            item_url: String::new(),
            field: Field::Body,
            comment_id: None,
        },
        text: text.to_string(),
        offsets: Default::default(),
    };
    let mut e: Vec<String> = engine
        .scan(&doc)
        .findings
        .iter()
        .map(|f| f.entity.to_string())
        .collect();
    e.sort();
    e
}

#[test]
fn invisible_characters_inside_a_value_do_not_break_the_match() {
    let engine = engine();
    let values = [
        ("maria.lo{}pez@globex-corp.com", "EMAIL_ADDRESS"),
        ("4929 12{}34 5678 9015", "CREDIT_CARD"),
        ("AKIA2E0A8F3B2{}44C9986", "AWS_ACCESS_KEY"),
    ];
    let invisible = [
        '\u{200B}', '\u{200C}', '\u{200D}', '\u{2060}', '\u{00AD}', '\u{FEFF}',
    ];
    for (template, entity) in values {
        let clean = template.replace("{}", "");
        assert_eq!(found(&engine, &clean), [entity], "{clean}");
        for c in invisible {
            let dirty = template.replace("{}", &c.to_string());
            let storage = storage_to_text(&format!("<p>{dirty}</p>")).text;
            let adf = adf_to_text(&nested_lists(1, &dirty)).text;
            let plain = withhold::text::Extracted::plain(&dirty).text;
            for (how, text) in [("storage", storage), ("adf", adf), ("plain", plain)] {
                assert_eq!(text, clean, "{how} {:?}", c);
                assert_eq!(found(&engine, &text), [entity], "{how} {:?}", c);
            }
        }
    }
    // Unusual spaces inside a card number become ordinary ones.
    for space in ['\u{2009}', '\u{200A}', '\u{202F}', '\u{3000}', '\u{2002}'] {
        let dirty = format!("card 4929{space}1234{space}5678{space}9015");
        let text = storage_to_text(&format!("<p>{dirty}</p>")).text;
        assert_eq!(text, "card 4929 1234 5678 9015", "{space:?}");
        assert_eq!(found(&engine, &text), ["CREDIT_CARD"], "{space:?}");
    }
}

#[test]
fn invisible_characters_in_a_plain_file_do_not_hide_a_value() {
    let (dir, docs) = docs_dir();
    std::fs::write(
        docs.join("notes.txt"),
        "mail maria\u{00AD}.lopez@globex-corp.com",
    )
    .unwrap();
    let (_, findings, _) = scan_files(dir.path(), &[]);
    assert_eq!(entities_in(&findings, "notes.txt"), ["EMAIL_ADDRESS"]);
}

#[test]
fn a_finding_in_a_plain_file_spans_its_value_in_the_file_as_written() {
    let (dir, docs) = docs_dir();
    let written = "id\u{200B} card 4929\u{3000}1234\u{00AD} 5678\u{200B} 9015 and mail maria\u{00AD}.lopez@globex-corp.com";
    std::fs::write(docs.join("notes.txt"), written).unwrap();
    let (_, findings, _) = scan_files(dir.path(), &["--reveal"]);
    let mine: Vec<&Value> = findings
        .iter()
        .filter(|f| {
            f["item_id"]
                .as_str()
                .is_some_and(|i| i.ends_with("notes.txt"))
        })
        .collect();
    assert_eq!(mine.len(), 2, "{mine:?}");
    for f in mine {
        let (start, end) = (
            f["start"].as_u64().unwrap() as usize,
            f["end"].as_u64().unwrap() as usize,
        );
        let span = &written[start..end];
        let folded: String = span
            .chars()
            .filter(|c| !matches!(c, '\u{200B}' | '\u{00AD}'))
            .map(|c| if c == '\u{3000}' { ' ' } else { c })
            .collect();
        assert_eq!(folded, f["match"].as_str().unwrap(), "{f}");
    }
}

/// The demo site with a Jira description nested past serde_json's limit and
/// a Confluence page over a 1 MiB cap.
fn faulty_demo() -> (SiteData, String, String) {
    let mut data = SiteData::demo().unwrap();
    let deep =
        withhold::text::deep_json::parse_str(&nested_lists(40, &format!("mail {EMAIL}"))).unwrap();
    let issue_key = data
        .issues
        .with_mut(0, |issue| {
            issue["fields"]["description"] = deep;
            issue["key"].as_str().unwrap().to_string()
        })
        .unwrap();
    let page_id = data
        .pages
        .with_mut(0, |page| {
            page["body"]["storage"]["value"] =
                Value::String(format!("<p>{}</p>", "filler ".repeat(200_000)));
            page["id"].as_str().unwrap().to_string()
        })
        .unwrap();
    (data, issue_key, page_id)
}

#[test]
fn over_http_deep_adf_is_read_and_a_body_over_the_cap_fails_its_page() {
    let (data, issue_key, page_id) = faulty_demo();
    let space = data.pages.first().unwrap()["spaceId"].clone();
    let space_key = data
        .spaces
        .iter()
        .find(|s| s["id"] == space)
        .and_then(|s| s["key"].as_str().map(str::to_string))
        .unwrap();
    let project_key = data.issues.first().unwrap()["fields"]["project"]["key"]
        .as_str()
        .unwrap()
        .to_string();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let config = FakeSiteConfig::default();
    let site = runtime
        .block_on(FakeSite::start(Arc::new(data), config.clone()))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("token"), &config.token).unwrap();
    let o = withhold(
        dir.path(),
        &[
            "scan",
            "--site",
            &site.base_url(),
            "--email",
            &config.email,
            "--token-file",
            "token",
            "--out",
            "out",
            "--quiet",
            "--max-document-mib",
            "1",
        ],
    );
    runtime.block_on(site.shutdown());
    assert!(
        matches!(o.status.code(), Some(0 | 1 | 3)),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let out = dir.path().join("out");
    let summary = read_json(&out.join("summary.json"));
    let space = container(&summary, &space_key);
    assert_eq!(space["status"], "partial", "{space}");
    assert_eq!(space["items_failed"], 1, "{space}");
    let reason = space["reasons"][0].as_str().unwrap();
    assert!(
        reason.starts_with(&format!("{page_id}: body: document is")),
        "{reason}"
    );
    assert!(reason.contains("above the 1 MiB limit"), "{reason}");
    let report = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        report.contains("above the 1 MiB limit"),
        "the report says why"
    );

    let project = container(&summary, &project_key);
    assert_eq!(project["status"], "complete", "{project}");
    let found = findings(&out);
    assert!(
        found.iter().any(|f| f["item_id"] == issue_key.as_str()
            && f["entity"] == "EMAIL_ADDRESS"
            && f["field"] == "body"),
        "the deep description's e-mail is found"
    );
}

#[test]
fn a_deep_parsed_description_is_read_on_a_small_stack() {
    // Jira hands ADF over already parsed: the walk must not recurse either.
    let deep = withhold::text::deep_json::parse_str(&nested_lists(50_000, EMAIL)).unwrap();
    let deep = withhold::text::deep_json::Deep(Some(deep));
    let text = std::thread::scope(|s| {
        std::thread::Builder::new()
            .stack_size(256 << 10)
            .spawn_scoped(s, || {
                adf_value_to_text(deep.0.as_ref().unwrap_or(&Value::Null)).text
            })
            .unwrap()
            .join()
            .unwrap()
    });
    assert_eq!(text, EMAIL);
}
