//! Atlassian Document Format (ADF) JSON to plain text.
//!
//! This module owns the ADF reading rules: which nodes are blocks, which
//! attributes carry scannable text (mention text, status text, card URLs,
//! link hrefs, media alt text, expand titles, dates), and how structurally
//! wrong documents degrade (warning, keep going). The walk is recursive with
//! a depth guard, so hostile nesting cannot overflow the stack.

use super::{Extracted, Sink, Warnings};
use serde_json::{Map, Value};

/// Deeper nesting is not real ADF (the editor nests a few dozen levels at
/// most); stopping here keeps the recursion far from any thread's stack limit.
const MAX_DEPTH: usize = 512;

/// Extract the plain text of an ADF document given as a JSON string.
pub fn adf_to_text(json: &str) -> Extracted {
    match serde_json::from_str::<Value>(json) {
        // Text is typically a fifth of ADF's JSON; a quarter rarely regrows.
        Ok(v) => extract(&v, json.len() / 4),
        Err(e) => Extracted {
            text: String::new(),
            warnings: vec![format!("ADF is not valid JSON: {e}")],
        },
    }
}

/// Extract the plain text of an already-parsed ADF document.
///
/// A JSON string is parsed once more as ADF, because Confluence returns
/// `atlas_doc_format.value` as a string holding the document. `null` (an
/// issue without a description) is simply empty.
pub fn adf_value_to_text(doc: &Value) -> Extracted {
    extract(doc, 256)
}

fn extract(doc: &Value, capacity: usize) -> Extracted {
    let mut w = Walker {
        sink: Sink::with_capacity(capacity),
        warnings: Warnings::default(),
        path: Vec::new(),
        link: None,
        too_deep: false,
    };
    match doc {
        Value::String(s) => match serde_json::from_str::<Value>(s) {
            Ok(Value::String(_)) => w
                .warnings
                .push("ADF string holds another JSON string, not a document".to_string()),
            Ok(inner) => w.root(&inner),
            Err(e) => w
                .warnings
                .push(format!("ADF string is not valid JSON: {e}")),
        },
        other => w.root(other),
    }
    w.flush_link();
    Extracted {
        text: w.sink.finish(),
        warnings: w.warnings.finish(),
    }
}

struct Walker {
    sink: Sink,
    warnings: Warnings,
    /// Indices into `content` arrays from the root, for warning positions.
    path: Vec<usize>,
    /// Target of the link mark on the current run of text nodes and where its
    /// label starts. Written once when the run ends, so a link whose label is
    /// split by other marks (`**foo**bar`) does not split the label.
    link: Option<(String, usize)>,
    too_deep: bool,
}

impl Walker {
    fn root(&mut self, v: &Value) {
        match v {
            Value::Null => {}
            Value::Object(o) => {
                let ty = o.get("type").and_then(Value::as_str);
                if ty != Some("doc") {
                    self.warnings.push(format!(
                        "ADF root is {}, not a doc node",
                        ty.map_or("an untyped object".to_string(), |t| format!("a {t:?} node"))
                    ));
                }
                self.node(v, 0);
            }
            Value::Array(items) => {
                // A bare list of nodes: not a document, but its text is still text.
                self.warnings
                    .push("ADF root is an array, not a doc node".to_string());
                self.children(items, 0);
            }
            _ => self.warnings.push("ADF root is not an object".to_string()),
        }
    }

    /// Records a warning with the node's position as a JSON-pointer-like
    /// path, shortened to its last steps so a deep document gives a short hint.
    fn warn(&mut self, what: &str) {
        const SHOWN: usize = 6;
        let mut at = String::new();
        if self.path.len() > SHOWN {
            at.push_str("/\u{2026}");
        }
        for i in &self.path[self.path.len().saturating_sub(SHOWN)..] {
            at.push_str("/content/");
            at.push_str(&i.to_string());
        }
        if at.is_empty() {
            at.push('/');
        }
        self.warnings.push(format!("ADF {what} at {at}"));
    }

    fn children(&mut self, items: &[Value], depth: usize) {
        for (i, child) in items.iter().enumerate() {
            self.path.push(i);
            self.node(child, depth + 1);
            self.path.pop();
        }
    }

    fn content(&mut self, o: &Map<String, Value>, depth: usize) {
        match o.get("content") {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => self.children(items, depth),
            Some(_) => self.warn("content is not an array"),
        }
    }

    /// A block boundary; it also ends any link run.
    fn block(&mut self) {
        self.flush_link();
        self.sink.block();
    }

    /// Inline text taken from an attribute; it also ends any link run.
    fn segment(&mut self, s: Option<&str>) {
        self.flush_link();
        if let Some(s) = s {
            self.sink.segment(s);
        }
    }

    fn flush_link(&mut self) {
        if let Some((href, start)) = self.link.take() {
            if !self.sink.label_is(start, &href) {
                self.sink.segment(&href);
            }
        }
    }

    fn node(&mut self, v: &Value, depth: usize) {
        if depth > MAX_DEPTH {
            if !self.too_deep {
                self.too_deep = true;
                self.warn(&format!(
                    "nesting deeper than {MAX_DEPTH}; deeper content skipped"
                ));
            }
            return;
        }
        let Some(o) = v.as_object() else {
            self.warn("node is not an object");
            return;
        };
        let ty = o.get("type").and_then(Value::as_str).unwrap_or("");
        let attrs = o.get("attrs").and_then(Value::as_object);
        let attr = |k: &str| attrs.and_then(|a| a.get(k)).and_then(Value::as_str);
        match ty {
            "text" => self.text(o),
            "hardBreak" => self.block(),
            "mention" => self.segment(attr("text")),
            "emoji" => self.segment(attr("shortName").or_else(|| attr("text"))),
            "inlineCard" => self.segment(attr("url")),
            "status" => self.segment(attr("text")),
            "mediaInline" => self.segment(attr("alt")),
            "date" => {
                let ts = attrs.and_then(|a| a.get("timestamp"));
                let day = ts.and_then(render_date);
                match (day, ts) {
                    (Some(day), _) => self.segment(Some(&day)),
                    // Not a millisecond count: the raw value is still worth scanning.
                    (None, Some(Value::String(s))) => self.segment(Some(s)),
                    _ => self.flush_link(),
                }
            }
            // Macro parameters are configuration, not text; placeholders are
            // editor hints.
            "extension" | "inlineExtension" | "placeholder" => self.flush_link(),
            "media" => {
                self.block();
                self.segment(attr("alt"));
                self.block();
            }
            "blockCard" | "embedCard" => {
                self.block();
                self.segment(attr("url"));
                self.block();
            }
            "expand" | "nestedExpand" => {
                self.block();
                self.segment(attr("title"));
                self.block();
                self.content(o, depth);
                self.block();
            }
            "doc" | "paragraph" | "heading" | "bulletList" | "orderedList" | "listItem"
            | "blockquote" | "rule" | "codeBlock" | "panel" | "table" | "tableRow"
            | "tableHeader" | "tableCell" | "mediaSingle" | "mediaGroup" | "taskList"
            | "taskItem" | "decisionList" | "decisionItem" | "layoutSection" | "layoutColumn"
            | "bodiedExtension" => {
                self.block();
                self.content(o, depth);
                self.block();
            }
            // Unknown (newer) node types: their children are still text, but
            // a leaf we do not know has nothing we could read.
            _ => {
                if o.contains_key("content") {
                    self.block();
                    self.content(o, depth);
                    self.block();
                }
            }
        }
    }

    fn text(&mut self, o: &Map<String, Value>) {
        let text = match o.get("text") {
            Some(Value::String(s)) => s.as_str(),
            Some(_) => {
                self.warn("text node's text is not a string");
                return;
            }
            None => {
                self.warn("text node has no text");
                return;
            }
        };
        let href = match o.get("marks") {
            Some(Value::Array(marks)) => marks.iter().find_map(|m| {
                let m = m.as_object()?;
                if m.get("type").and_then(Value::as_str) != Some("link") {
                    return None;
                }
                m.get("attrs")?.get("href")?.as_str()
            }),
            None | Some(Value::Null) => None,
            Some(_) => {
                self.warn("marks is not an array");
                None
            }
        };
        match href {
            Some(h) if self.link.as_ref().is_some_and(|(cur, _)| cur == h) => {}
            Some(h) => {
                self.flush_link();
                self.link = Some((h.to_string(), self.sink.len()));
            }
            None => self.flush_link(),
        }
        // ADF text is literal: newlines only occur where they mean one
        // (code blocks), so keep them.
        self.sink.text(text, true);
    }
}

/// Renders an ADF `date` timestamp (milliseconds since the Unix epoch, as a
/// string or a number) as `YYYY-MM-DD` in UTC.
fn render_date(ts: &Value) -> Option<String> {
    let ms = match ts {
        Value::String(s) => s.trim().parse::<i64>().ok()?,
        Value::Number(n) => n.as_i64()?,
        _ => return None,
    };
    let (y, m, d) = civil_from_days(ms.div_euclid(86_400_000));
    Some(format!("{y:04}-{m:02}-{d:02}"))
}

/// Proleptic Gregorian date of a day count since 1970-01-01 (Howard
/// Hinnant's `civil_from_days`). Works for any `i64 / 86_400_000` input
/// without overflow.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11], March-based
    let d = doy - (153 * mp + 2) / 5 + 1; // [1, 31]
    let m = if mp < 10 { mp + 3 } else { mp - 9 }; // [1, 12]
    let y = yoe + era * 400 + i64::from(m <= 2);
    // Both are small by construction; the fallbacks are unreachable.
    (
        y,
        u32::try_from(m).unwrap_or(1),
        u32::try_from(d).unwrap_or(1),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(content: Value) -> String {
        adf_value_to_text(&json!({"type": "doc", "version": 1, "content": content})).text
    }

    fn p(content: Value) -> Value {
        json!({"type": "paragraph", "content": content})
    }

    fn t(s: &str) -> Value {
        json!({"type": "text", "text": s})
    }

    #[test]
    fn adjacent_text_is_contiguous() {
        assert_eq!(doc(json!([p(json!([t("4111"), t(" 1111")]))])), "4111 1111");
        let strong = json!({"type": "text", "text": "11", "marks": [{"type": "strong"}]});
        assert_eq!(doc(json!([p(json!([t("41"), strong]))])), "4111");
    }

    #[test]
    fn blocks_and_hard_break() {
        let d = json!([
            {"type": "heading", "attrs": {"level": 1}, "content": [t("Title")]},
            p(json!([t("a"), {"type": "hardBreak"}, t("b")])),
            {"type": "rule"},
            {"type": "bulletList", "content": [
                {"type": "listItem", "content": [p(json!([t("x")]))]},
                {"type": "listItem", "content": [p(json!([t("y")]))]}
            ]}
        ]);
        assert_eq!(doc(d), "Title\na\nb\nx\ny");
    }

    #[test]
    fn code_block_keeps_newlines() {
        let d = json!([{"type": "codeBlock", "attrs": {"language": "sql"},
            "content": [t("select 1\nfrom t\n\nwhere x")]}, p(json!([t("after")]))]);
        assert_eq!(doc(d), "select 1\nfrom t\nwhere x\nafter");
    }

    #[test]
    fn table_cells_on_lines() {
        let cell = |s: &str| json!({"type": "tableCell", "content": [p(json!([t(s)]))]});
        let d = json!([{"type": "table", "content": [
            {"type": "tableRow", "content": [
                {"type": "tableHeader", "content": [p(json!([t("Name")]))]}, cell("SSN")]},
            {"type": "tableRow", "content": [cell("Ann"), cell("078-05-1120")]}
        ]}]);
        assert_eq!(doc(d), "Name\nSSN\nAnn\n078-05-1120");
    }

    #[test]
    fn inline_attrs() {
        let d = json!([p(json!([
            t("hi "),
            {"type": "mention", "attrs": {"id": "557058:x", "text": "@Mia Krystof"}},
            t(", state "),
            {"type": "status", "attrs": {"text": "BLOCKED", "color": "red"}},
            t(" on "),
            {"type": "date", "attrs": {"timestamp": "1704067200000"}},
            t(" see "),
            {"type": "inlineCard", "attrs": {"url": "https://c.example/x"}},
            {"type": "emoji", "attrs": {"shortName": ":smile:", "text": "😄"}},
            {"type": "mediaInline", "attrs": {"id": "1", "alt": "invoice.pdf"}}
        ]))]);
        assert_eq!(
            doc(d),
            "hi @Mia Krystof , state BLOCKED on 2024-01-01 see https://c.example/x :smile: invoice.pdf"
        );
    }

    #[test]
    fn link_mark_href_after_run() {
        let link = json!([{"type": "link", "attrs": {"href": "https://h.example/a"}}]);
        let bold_link =
            json!([{"type": "strong"}, {"type": "link", "attrs": {"href": "https://h.example/a"}}]);
        let d = json!([p(json!([
            t("read "),
            {"type": "text", "text": "the", "marks": link},
            {"type": "text", "text": "docs", "marks": bold_link},
            t(" now")
        ]))]);
        assert_eq!(doc(d), "read thedocs https://h.example/a now");
        // An auto-linked URL is not repeated.
        let auto = json!([{"type": "link", "attrs": {"href": "https://z.example"}}]);
        let d = json!([p(
            json!([{"type": "text", "text": "https://z.example", "marks": auto}])
        )]);
        assert_eq!(doc(d), "https://z.example");
    }

    #[test]
    fn containers_and_cards() {
        let d = json!([
            {"type": "panel", "attrs": {"panelType": "info"}, "content": [p(json!([t("in panel")]))]},
            {"type": "expand", "attrs": {"title": "Secrets"}, "content": [p(json!([t("hidden")]))]},
            {"type": "blockCard", "attrs": {"url": "https://b.example"}},
            {"type": "mediaSingle", "content": [{"type": "media", "attrs": {"type": "file", "id": "9", "alt": "passport.jpg"}}]},
            {"type": "taskList", "content": [{"type": "taskItem", "attrs": {"state": "TODO"}, "content": [t("call Bob")]}]},
            {"type": "decisionList", "content": [{"type": "decisionItem", "attrs": {"state": "DECIDED"}, "content": [t("ship")]}]},
            {"type": "extension", "attrs": {"parameters": {"secret": "nope"}}},
            {"type": "bodiedExtension", "attrs": {"parameters": {"x": "nope"}}, "content": [p(json!([t("body")]))]},
            {"type": "layoutSection", "content": [{"type": "layoutColumn", "content": [p(json!([t("col")]))]}]},
            {"type": "futureNode", "content": [p(json!([t("future")]))]},
            {"type": "futureLeaf", "attrs": {"x": "nope"}}
        ]);
        assert_eq!(
            doc(d),
            "in panel\nSecrets\nhidden\nhttps://b.example\npassport.jpg\ncall Bob\nship\nbody\ncol\nfuture"
        );
    }

    #[test]
    fn string_root_is_parsed_once() {
        let inner = json!({"type": "doc", "content": [p(json!([t("x")]))]}).to_string();
        let r = adf_value_to_text(&Value::String(inner.clone()));
        assert_eq!(r.text, "x");
        assert!(r.warnings.is_empty());
        let twice = Value::String(Value::String(inner).to_string());
        let r = adf_value_to_text(&twice);
        assert_eq!(r.text, "");
        assert_eq!(r.warnings.len(), 1);
    }

    #[test]
    fn invalid_json_and_roots() {
        let r = adf_to_text("{\"type\":");
        assert_eq!(r.text, "");
        assert_eq!(r.warnings.len(), 1);
        assert_eq!(adf_value_to_text(&Value::Null), Extracted::default());
        assert_eq!(adf_value_to_text(&json!(3)).warnings.len(), 1);
        let r = adf_value_to_text(&json!([p(json!([t("bare")]))]));
        assert_eq!(r.text, "bare");
        assert_eq!(r.warnings.len(), 1);
    }

    #[test]
    fn wrong_types_warn_and_continue() {
        let d = json!({"type": "doc", "content": [
            p(json!([t("before")])),
            {"type": "paragraph", "content": "oops"},
            p(json!([{"type": "text", "text": 42}, t("mid")])),
            7,
            p(json!([{"type": "text", "text": "m", "marks": "bad"}])),
            p(json!([t("after")]))
        ]});
        let r = adf_value_to_text(&d);
        assert_eq!(r.text, "before\nmid\nm\nafter");
        assert_eq!(r.warnings.len(), 4, "{:?}", r.warnings);
        assert!(r.warnings.iter().any(|w| w.contains("/content/1")));
    }

    #[test]
    fn dates() {
        let d = |v: Value| render_date(&v);
        assert_eq!(d(json!("0")).as_deref(), Some("1970-01-01"));
        assert_eq!(d(json!("1704067199999")).as_deref(), Some("2023-12-31"));
        assert_eq!(d(json!(951782400000_i64)).as_deref(), Some("2000-02-29"));
        assert_eq!(d(json!("-1")).as_deref(), Some("1969-12-31"));
        assert_eq!(d(json!("soon")), None);
        assert!(d(json!(i64::MIN.to_string())).is_some());
        assert!(d(json!(i64::MAX.to_string())).is_some());
        // Every day for 1,000 years round-trips through the calendar.
        let mut prev = civil_from_days(-200_000);
        for day in -199_999..200_000 {
            let cur = civil_from_days(day);
            let next_ok = (cur.0 == prev.0 && cur.1 == prev.1 && cur.2 == prev.2 + 1)
                || (cur.0 == prev.0 && cur.1 == prev.1 + 1 && cur.2 == 1)
                || (cur.0 == prev.0 + 1 && cur.1 == 1 && cur.2 == 1 && prev.1 == 12);
            assert!(next_ok, "{prev:?} -> {cur:?}");
            prev = cur;
        }
    }

    #[test]
    fn deep_nesting_is_cut_with_warning() {
        let mut v = p(json!([t("deepest")]));
        for _ in 0..600 {
            // Not `json!`, which would deep-copy `v` on every level.
            let mut m = Map::new();
            m.insert("type".into(), json!("blockquote"));
            m.insert("content".into(), Value::Array(vec![v]));
            v = Value::Object(m);
        }
        let v = json!({"type": "doc", "content": [p(json!([t("top")])), v]});
        let r = adf_value_to_text(&v);
        assert_eq!(r.text, "top");
        assert_eq!(r.warnings.len(), 1);
        // The position hint stays short however deep the fault is.
        assert!(r.warnings[0].len() < 160, "{}", r.warnings[0]);
        assert!(
            r.warnings[0].contains("/\u{2026}/content/0"),
            "{}",
            r.warnings[0]
        );

        // The guard keeps the walk well inside a small thread stack (debug
        // frames are the largest; rayon workers get 2 MiB by default).
        let small = std::thread::Builder::new()
            .stack_size(1 << 20)
            .spawn(move || adf_value_to_text(&v).text)
            .map(|h| h.join());
        assert!(matches!(small, Ok(Ok(ref t)) if t == "top"));
    }
}
