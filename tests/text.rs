//! Integration tests for `withhold::text`: real-shaped Confluence storage and
//! ADF fixtures, malformed input, and property tests (no panics; inline marks
//! never change the text).

use proptest::prelude::*;
use serde_json::{json, Value};
use withhold::text::{adf_to_text, adf_value_to_text, storage_to_text};

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/text/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {path}: {e}"))
}

#[test]
fn storage_page_fixture() {
    let r = storage_to_text(&fixture("page.storage.xml"));
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    let expected = "\
Customer onboarding \u{2013} Q3
Owner:  (please don\u{2019}t share)
Payment test data
Use card 4111 1111 1111 1111 with CVV 123.
Name
Contact
Zo\u{eb} M\u{fc}ller
zoe.mueller@example.com
Bob Stone
+44 20 7946 0958
export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE
curl -H \"Authorization: Bearer abc.def\" https://api.example.com/v1/users
Email the signed contract to legal https://legal.example.com/contracts/77
Archive passport scan
See KYC runbook the runbook and the scan:
passport of Zoe Mueller passport-zoe.png
Last line
with a break\u{2026}";
    assert_eq!(r.text, expected);
    // The account id of the mention, the task states and the code macro's
    // language are not text.
    assert!(!r.text.contains("bash"));
    assert!(!r.text.contains("557058"));
    assert!(!r.text.contains("complete"));
}

#[test]
fn adf_issue_fixture() {
    let r = adf_to_text(&fixture("issue.adf.json"));
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    let expected = "\
Refund request
Reported by @Mia Krystof on 2024-08-01 , status IN REVIEW
Card 4111 1111 1111 1111, see the ticket https://support.example.com/t/991 or https://acme.atlassian.net/browse/PAY-12
Customer IBAN: GB82 WEST 1234 5698 7654 32
Field
Value
Email
mia@example.com
{
  \"api_key\": \"sk_live_EXAMPLE123\",
  \"user\": 42
}
Call back on +1 415 555 0100
Verify identity
drivers-licence.jpg
Thanks
Support";
    assert_eq!(r.text, expected);
    assert!(!r.text.contains("5b10ac8d"));
}

#[test]
fn adf_fixture_as_confluence_string_value() {
    // Confluence returns `atlas_doc_format.value` as a JSON string.
    let doc = fixture("issue.adf.json");
    let wrapped = json!({ "representation": "atlas_doc_format", "value": doc });
    let direct = adf_to_text(&doc);
    let via_string = adf_value_to_text(&wrapped["value"]);
    assert_eq!(via_string, direct);
}

#[test]
fn storage_malformed_inputs_keep_text() {
    let cases: &[(&str, &str)] = &[
        ("<p>one<p>two", "one\ntwo"),
        ("</p></p>stray<p>ok</p>", "stray\nok"),
        ("<p>a<br>b<br>c", "a\nb\nc"),
        ("<p>x &bogus; y</p>", "x &bogus; y"),
        ("<p>x < y</p><p>z</p>", "x < y\nz"),
        ("<p>keep</p><p class=\"trunc", "keep\n<p class=\"trunc"),
        (
            "<p>keep</p><ac:plain-text-body><![CDATA[secret=1",
            "keep\nsecret=1",
        ),
        ("<p>keep</p><b>bold</i> still</p>", "keep\nbold still"),
        ("<p>keep <", "keep <"),
    ];
    for (input, expected) in cases {
        let r = storage_to_text(input);
        assert_eq!(&r.text, expected, "input {input:?}");
    }
    for bad in ["<p>keep <", "<p>keep</p><p class=\"trunc", "<![CDATA["] {
        assert!(
            !storage_to_text(bad).warnings.is_empty(),
            "no warning for {bad:?}"
        );
    }
}

#[test]
fn storage_deep_nesting() {
    let s = format!("{}deep{}", "<div><span>".repeat(10_000), "</span>");
    assert_eq!(storage_to_text(&s).text, "deep");
}

/// Builds `depth` nested blockquotes around a paragraph, without recursion.
fn nested(depth: usize) -> Value {
    let mut v = json!({"type": "paragraph", "content": [{"type": "text", "text": "bottom"}]});
    for _ in 0..depth {
        // Not `json!`: it would serialize (deep-copy) `v` on every level.
        let mut m = serde_json::Map::new();
        m.insert("type".into(), Value::from("blockquote"));
        m.insert("content".into(), Value::Array(vec![v]));
        v = Value::Object(m);
    }
    v
}

/// Drops a value without recursion: serde_json's own drop recurses once per
/// level, which 10,000 levels would turn into a stack overflow in the test.
fn dismantle(v: Value) {
    let mut stack = vec![v];
    while let Some(mut n) = stack.pop() {
        match &mut n {
            Value::Object(m) => stack.extend(std::mem::take(m).into_iter().map(|(_, c)| c)),
            Value::Array(a) => stack.append(a),
            _ => {}
        }
    }
}

#[test]
fn adf_ten_thousand_deep() {
    let doc = json!({"type": "doc", "version": 1, "content": [
        {"type": "paragraph", "content": [{"type": "text", "text": "before 4111"}]},
        Value::Null,
        {"type": "paragraph", "content": [{"type": "text", "text": "after"}]}
    ]});
    let mut doc = doc;
    doc["content"][1] = nested(10_000);
    // Read in full: the walk keeps its own stack, nothing is cut.
    let r = adf_value_to_text(&doc);
    dismantle(doc);
    assert_eq!(r.text, "before 4111\nbottom\nafter");
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    assert_eq!(r.failed, None);

    // As JSON text too: the parser has no recursion limit and grows its
    // stack on the heap. (Built by hand: serializing the Value would recurse.)
    let json = format!(
        "{{\"type\":\"doc\",\"content\":[{}{{\"type\":\"text\",\"text\":\"x\"}}{}]}}",
        "{\"type\":\"blockquote\",\"content\":[".repeat(10_000),
        "]}".repeat(10_000)
    );
    let r = adf_to_text(&json);
    assert_eq!(
        (r.text.as_str(), r.warnings.len(), r.failed),
        ("x", 0, None)
    );
}

#[test]
fn adf_wrong_types() {
    let doc = json!({"type": "doc", "content": [
        {"type": "paragraph", "content": [{"type": "text", "text": "kept"}]},
        {"type": "paragraph", "content": {"type": "text", "text": "not an array"}},
        {"type": "paragraph", "content": [{"type": "text", "text": ["no"]}, {"type": "text"}]},
        "string node",
        {"type": "mention", "attrs": "bad"},
        {"type": "date", "attrs": {"timestamp": {"x": 1}}},
        {"type": "paragraph", "content": [{"type": "text", "text": "also kept"}]}
    ]});
    let r = adf_value_to_text(&doc);
    assert_eq!(r.text, "kept\nalso kept");
    assert_eq!(r.warnings.len(), 4, "{:?}", r.warnings);
    // Cut off: nothing unread is clean.
    let r = adf_to_text("[1, 2");
    assert!(r.failed.is_some(), "{r:?}");
    // A JSON string that is not ADF: its text is still scanned.
    let r = adf_to_text("\"not adf\"");
    assert_eq!((r.text.as_str(), r.warnings.len()), ("not adf", 1));
}

fn tag_soup() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("<p>".to_string()),
        Just("</p>".to_string()),
        Just("<br>".to_string()),
        Just("<br/>".to_string()),
        Just("<strong>".to_string()),
        Just("</strong>".to_string()),
        Just("<td>".to_string()),
        Just("</tr>".to_string()),
        Just("<a href=\"https://x.example\">".to_string()),
        Just("</a>".to_string()),
        Just("<ac:task-status>".to_string()),
        Just("</ac:task-status>".to_string()),
        Just("<style>".to_string()),
        Just("</style>".to_string()),
        Just("<pre>".to_string()),
        Just("</pre>".to_string()),
        Just("<ri:page ri:content-title=\"T&amp;C\"/>".to_string()),
        Just("<![CDATA[".to_string()),
        Just("]]>".to_string()),
        Just("<!--".to_string()),
        Just("-->".to_string()),
        Just("<".to_string()),
        Just(">".to_string()),
        Just("&nbsp;".to_string()),
        Just("&".to_string()),
        Just("\"".to_string()),
        Just("\n".to_string()),
        "[a-z0-9 ]{0,6}",
        any::<String>(),
    ];
    prop::collection::vec(token, 0..40).prop_map(|v| v.concat())
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "[a-z0-9 ]{0,8}".prop_map(Value::from),
        prop_oneof![
            Just("doc"),
            Just("paragraph"),
            Just("text"),
            Just("date"),
            Just("mention"),
            Just("link"),
            Just("1704067200000"),
            Just("-99999999999999999"),
            Just("{\"type\":\"doc\",\"content\":[]}"),
        ]
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(8, 128, 6, |inner| {
        let key = prop_oneof![
            Just("type".to_string()),
            Just("content".to_string()),
            Just("text".to_string()),
            Just("attrs".to_string()),
            Just("marks".to_string()),
            Just("href".to_string()),
            Just("timestamp".to_string()),
            Just("url".to_string()),
            "[a-z]{1,5}",
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key, inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// A sentence cut at random byte positions, each piece wrapped in a random
/// inline mark (or none), all inside one paragraph.
fn marked_sentence() -> impl Strategy<Value = (String, String)> {
    (
        prop::collection::vec("[a-zA-Z0-9@.]{1,8}", 1..10),
        prop::collection::vec(0usize..200, 0..8),
        prop::collection::vec(0usize..4, 9),
    )
        .prop_map(|(words, cuts, marks)| {
            let plain = words.join(" ");
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % plain.len()).collect();
            cuts.push(0);
            cuts.push(plain.len());
            cuts.sort_unstable();
            cuts.dedup();
            let mut html = String::from("<p>");
            for (i, w) in cuts.windows(2).enumerate() {
                let piece = &plain[w[0]..w[1]];
                let tag = ["", "strong", "em", "span"][marks[i % marks.len()]];
                if tag.is_empty() {
                    html.push_str(piece);
                } else {
                    html.push_str(&format!("<{tag}>{piece}</{tag}>"));
                }
            }
            html.push_str("</p>");
            (plain, html)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn storage_never_panics_on_strings(s in any::<String>()) {
        let _ = storage_to_text(&s);
    }

    #[test]
    fn storage_never_panics_on_tag_soup(s in tag_soup()) {
        let r = storage_to_text(&s);
        prop_assert_eq!(r.text.trim_end(), r.text.as_str());
    }

    #[test]
    fn adf_never_panics(v in json_value()) {
        let _ = adf_value_to_text(&v);
        let _ = adf_to_text(&v.to_string());
    }

    #[test]
    fn inline_marks_keep_text((plain, html) in marked_sentence()) {
        let r = storage_to_text(&html);
        prop_assert_eq!(r.text, plain);
        prop_assert!(r.warnings.is_empty());
    }
}

/// A storage macro with its parameters and body.
fn storage_macro(name: &str, params: &[(&str, &str)], body: &str) -> String {
    let params: String = params
        .iter()
        .map(|(k, v)| format!(r#"<ac:parameter ac:name="{k}">{v}</ac:parameter>"#))
        .collect();
    format!(
        r#"<p>before</p><ac:structured-macro ac:name="{name}" ac:schema-version="1" ac:macro-id="0f1e">{params}{body}</ac:structured-macro><p>after</p>"#
    )
}

#[test]
fn storage_macro_configuration_is_not_text_but_visible_titles_are() {
    let rich = "<ac:rich-text-body><p>inside</p></ac:rich-text-body>";
    let cases: Vec<(String, &str)> = vec![
        (
            storage_macro(
                "code",
                &[("language", "sql"), ("theme", "Midnight"), ("linenumbers", "true"), ("title", "Query")],
                "<ac:plain-text-body><![CDATA[select 1]]></ac:plain-text-body>",
            ),
            "before\nQuery\nselect 1\nafter",
        ),
        (
            storage_macro("panel", &[("title", "Panel head"), ("bgColor", "#FFFAE6"), ("borderStyle", "solid")], rich),
            "before\nPanel head\ninside\nafter",
        ),
        (storage_macro("info", &[("title", "Info head"), ("icon", "false")], rich), "before\nInfo head\ninside\nafter"),
        (storage_macro("note", &[("title", "Note head")], rich), "before\nNote head\ninside\nafter"),
        (storage_macro("warning", &[("title", "Warn head")], rich), "before\nWarn head\ninside\nafter"),
        (storage_macro("tip", &[("title", "Tip head")], rich), "before\nTip head\ninside\nafter"),
        (storage_macro("expand", &[("title", "Click me")], rich), "before\nClick me\ninside\nafter"),
        (
            storage_macro("status", &[("colour", "Green"), ("title", "DONE"), ("subtle", "true")], ""),
            "before\nDONE\nafter",
        ),
        (
            storage_macro(
                "jira",
                &[
                    ("server", "System JIRA"),
                    ("serverId", "144880e9-a353-312f-9412-ed028e8166fa"),
                    ("jqlQuery", "project = PAY AND reporter = maria.lopez@globex-corp.com"),
                    ("columns", "key,summary,status"),
                    ("maximumIssues", "20"),
                    ("key", "PAY-12"),
                ],
                "",
            ),
            "before\nafter",
        ),
        (storage_macro("anchor", &[("", "secret-anchor")], ""), "before\nafter"),
        (
            r#"<p>before</p><ac:structured-macro ac:name="anchor"><ac:default-parameter>old-anchor</ac:default-parameter></ac:structured-macro><p>after</p>"#.to_string(),
            "before\nafter",
        ),
        (
            storage_macro("widget", &[("url", r#"<ri:url ri:value="https://www.youtube.com/watch?v=abc"/>"#), ("width", "400")], ""),
            "before\nafter",
        ),
        (storage_macro("toc", &[("maxLevel", "3"), ("style", "none"), ("outline", "true")], ""), "before\nafter"),
        (storage_macro("children", &[("all", "true"), ("depth", "2"), ("sort", "title")], ""), "before\nafter"),
        (
            storage_macro("excerpt", &[("atlassian-macro-output-type", "INLINE"), ("hidden", "false")], rich),
            "before\ninside\nafter",
        ),
        (
            storage_macro("excerpt-include", &[("", r#"<ac:link><ri:page ri:content-title="Other page"/></ac:link>"#), ("nopanel", "true")], ""),
            "before\nafter",
        ),
        (
            storage_macro("gallery", &[("columns", "3"), ("include", "a.png,b.png")], ""),
            "before\nafter",
        ),
        (storage_macro("noformat", &[("title", "Output"), ("nopanel", "true")], "<ac:plain-text-body><![CDATA[$ ls]]></ac:plain-text-body>"), "before\nOutput\n$ ls\nafter"),
        (storage_macro("recently-updated", &[("revision", "3"), ("spaces", "ENG")], ""), "before\nafter"),
        (
            r#"<p>before <ac:placeholder>Type the customer's e-mail here</ac:placeholder>after</p>"#.to_string(),
            "before after",
        ),
        (
            r#"<p>before</p><ac:structured-macro ac:name="info"><ac:parameter ac:name="title">Outer</ac:parameter><ac:rich-text-body><ac:structured-macro ac:name="code"><ac:parameter ac:name="language">java</ac:parameter><ac:plain-text-body><![CDATA[int x;]]></ac:plain-text-body></ac:structured-macro></ac:rich-text-body></ac:structured-macro><p>after</p>"#.to_string(),
            "before\nOuter\nint x;\nafter",
        ),
    ];
    for (storage, expected) in &cases {
        let r = storage_to_text(storage);
        assert_eq!(&r.text, expected, "{storage}");
        assert!(r.warnings.is_empty() && r.failed.is_none(), "{r:?}");
    }
}

#[test]
fn adf_extension_nodes_follow_the_same_parameter_rule() {
    let ext = |ty: &str, key: &str, params: Value| {
        let mut n = json!({"type": ty, "attrs": {
            "extensionType": "com.atlassian.confluence.macro.core",
            "extensionKey": key,
            "parameters": {"macroParams": params, "macroMetadata": {"macroId": {"value": "f4bb"}, "title": "Macro name"}}
        }});
        if ty == "bodiedExtension" {
            n["content"] =
                json!([{"type": "paragraph", "content": [{"type": "text", "text": "inside"}]}]);
        }
        n
    };
    let cases = [
        (
            ext(
                "bodiedExtension",
                "info",
                json!({"title": {"value": "Info head"}, "icon": {"value": "false"}}),
            ),
            "Info head\ninside",
        ),
        (
            ext(
                "bodiedExtension",
                "expand",
                json!({"title": {"value": "Click me"}}),
            ),
            "Click me\ninside",
        ),
        (
            ext(
                "extension",
                "status",
                json!({"title": {"value": "DONE"}, "colour": {"value": "Green"}}),
            ),
            "DONE",
        ),
        (
            ext(
                "extension",
                "code",
                json!({"language": {"value": "sql"}, "title": {"value": "Query"}}),
            ),
            "Query",
        ),
        (
            ext(
                "extension",
                "jira",
                json!({"jqlQuery": {"value": "project = PAY"}, "server": {"value": "System JIRA"}}),
            ),
            "",
        ),
        (
            ext(
                "extension",
                "anchor",
                json!({"": {"value": "secret-anchor"}}),
            ),
            "",
        ),
        (
            ext(
                "extension",
                "widget",
                json!({"url": {"value": "https://www.youtube.com/watch?v=abc"}}),
            ),
            "",
        ),
        (
            ext("extension", "toc", json!({"maxLevel": {"value": "3"}})),
            "",
        ),
        (
            ext(
                "bodiedExtension",
                "excerpt",
                json!({"atlassian-macro-output-type": {"value": "INLINE"}}),
            ),
            "inside",
        ),
        // The schema's older lower-case spelling with plain values.
        (
            json!({"type": "extension", "attrs": {"extensionKey": "status", "parameters": {"macroparams": {"title": "OK"}}}}),
            "OK",
        ),
        (
            json!({"type": "placeholder", "attrs": {"text": "Type here"}}),
            "",
        ),
    ];
    for (node, expected) in cases {
        let doc = json!({"type": "doc", "version": 1, "content": [node]});
        let r = adf_value_to_text(&doc);
        assert_eq!(r.text, expected, "{doc}");
        // The same document as text is streamed. serde_json writes keys in
        // order, `content` before `type`, so a heading may follow its
        // children there: the same lines, maybe in another order.
        let lines = |s: &str| {
            let mut l: Vec<String> = s.lines().map(str::to_string).collect();
            l.sort();
            l
        };
        let streamed = adf_to_text(&doc.to_string()).text;
        assert_eq!(lines(&streamed), lines(expected), "{doc}");
    }
}

#[test]
fn adf_keys_in_any_order_read_the_same() {
    // JSON does not order keys: content before type, attrs after content.
    let json = r#"{"content":[{"content":[{"text":"inside","type":"text"}],"type":"paragraph"}],"type":"expand","attrs":{"title":"Head"}}"#;
    let doc = format!(r#"{{"type":"doc","content":[{json}]}}"#);
    let r = adf_to_text(&doc);
    assert_eq!(r.text, "inside\nHead");
    let parsed: Value = serde_json::from_str(&doc).unwrap();
    assert_eq!(adf_value_to_text(&parsed).text, "Head\ninside");
}
