//! Atlassian Document Format (ADF) JSON to plain text.
//!
//! This module owns the ADF reading rules: which nodes are blocks, which
//! attributes carry scannable text (mention text, status text, card URLs,
//! link hrefs, media alt text, expand titles, dates, the visible title of a
//! legacy macro), and how structurally wrong documents degrade (warning, keep
//! going).
//!
//! ADF arrives two ways. Held as text (a file, Confluence's
//! `atlas_doc_format.value`, which is a JSON *string* holding the document),
//! it is streamed: [`stream`] reads the JSON once and emits text as nodes go
//! by, never building a tree, so one document costs about its own size plus
//! its text. Already parsed (Jira v3 puts ADF objects inside the issue JSON),
//! it is walked with an explicit stack. Neither path recurses on the thread's
//! stack per level of nesting (the streaming parser grows its stack on the
//! heap), so any depth the editor can produce is read in full.
//!
//! A body that is not JSON, is cut off, or is over the size cap fails
//! ([`Extracted::failed`]); the text read before the fault is kept.

mod stream;

use super::{over_cap, visible_macro_param, Extracted, Sink, Warnings};
use serde_json::{Map, Value};

/// How many times a JSON string holding ADF may hold another JSON string
/// before we stop unwrapping (one level is Confluence's own wrapping; more is
/// an export tool's double encoding).
const MAX_UNWRAP: usize = 4;

/// Extract the plain text of an ADF document given as JSON text, under the
/// process-wide size cap ([`super::max_document_bytes`]).
pub fn adf_to_text(json: &str) -> Extracted {
    adf_to_text_limited(json, super::max_document_bytes())
}

/// [`adf_to_text`] with an explicit cap on the JSON's size in bytes.
pub fn adf_to_text_limited(json: &str, max_bytes: usize) -> Extracted {
    if let Some(failed) = over_cap(json.len(), max_bytes) {
        return failed;
    }
    // Text is typically a fifth of ADF's JSON; a quarter rarely regrows.
    let mut w = Walker::new(json.len() / 4);
    w.json(json);
    w.finish()
}

/// Extract the plain text of an already-parsed ADF document.
///
/// A JSON string is read once more as ADF, because Confluence returns
/// `atlas_doc_format.value` as a string holding the document; a string that
/// is not JSON at all is plain text and scanned as it is. `null` (an issue
/// without a description) is simply empty.
pub fn adf_value_to_text(doc: &Value) -> Extracted {
    match doc {
        Value::String(s) => {
            if let Some(failed) = over_cap(s.len(), super::max_document_bytes()) {
                return failed;
            }
            let mut w = Walker::new(s.len() / 4);
            w.unwrap_string(s);
            w.finish()
        }
        other => {
            let mut w = Walker::new(256);
            w.value_root(other);
            w.finish()
        }
    }
}

/// The fields of one node that decide its text, however the node was read.
#[derive(Default, Clone, Copy)]
struct Fields<'a> {
    ty: Option<&'a str>,
    attrs: Option<&'a Value>,
    text: Option<&'a Value>,
    marks: Option<&'a Value>,
}

impl<'a> Fields<'a> {
    fn of(o: &'a Map<String, Value>) -> Self {
        Fields {
            ty: o.get("type").and_then(Value::as_str),
            attrs: o.get("attrs"),
            text: o.get("text"),
            marks: o.get("marks"),
        }
    }

    fn attr(&self, key: &str) -> Option<&'a str> {
        self.attrs?.get(key)?.as_str()
    }
}

/// What a node's `content` means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// Its text is in its fields; any `content` is not read.
    Leaf,
    /// A block around its children.
    Container,
}

fn shape(ty: Option<&str>) -> Shape {
    match ty {
        Some(
            "text" | "hardBreak" | "mention" | "emoji" | "inlineCard" | "status" | "mediaInline"
            | "date" | "extension" | "inlineExtension" | "placeholder" | "media" | "blockCard"
            | "embedCard",
        ) => Shape::Leaf,
        // Known containers, and unknown (newer) node types: their children
        // are still text.
        _ => Shape::Container,
    }
}

/// The block-level label a container shows above its children.
fn heading<'a>(f: &Fields<'a>) -> Option<&'a str> {
    match f.ty? {
        "expand" | "nestedExpand" => f.attr("title"),
        "bodiedExtension" => macro_title(f),
        _ => None,
    }
}

/// The visible parameter of a Confluence macro stored as an ADF extension
/// node (`attrs.parameters.macroParams.title.value`, or the older lower-case
/// `macroparams` with plain values): see [`visible_macro_param`]. Every other
/// parameter is configuration and is not scanned.
fn macro_title<'a>(f: &Fields<'a>) -> Option<&'a str> {
    let key = f.attr("extensionKey")?;
    let params = f.attrs?.get("parameters")?;
    let macro_params = params
        .get("macroParams")
        .or_else(|| params.get("macroparams"))?
        .as_object()?;
    macro_params.iter().find_map(|(name, v)| {
        if !visible_macro_param(key, name) {
            return None;
        }
        v.as_str().or_else(|| v.get("value")?.as_str())
    })
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
    /// The first reason the document could not be read to the end.
    failed: Option<String>,
    /// JSON strings unwrapped so far (see [`MAX_UNWRAP`]).
    unwrapped: usize,
}

impl Walker {
    fn new(capacity: usize) -> Self {
        Walker {
            sink: Sink::with_capacity(capacity),
            warnings: Warnings::default(),
            path: Vec::new(),
            link: None,
            failed: None,
            unwrapped: 0,
        }
    }

    fn finish(mut self) -> Extracted {
        self.flush_link();
        Extracted {
            text: self.sink.finish(),
            warnings: self.warnings.finish(),
            failed: self.failed,
            offsets: Default::default(),
        }
    }

    fn fail(&mut self, reason: String) {
        if self.failed.is_none() {
            self.failed = Some(reason);
        }
    }

    /// Reads a whole ADF document given as JSON text.
    fn json(&mut self, json: &str) {
        // Files saved by Windows tools start with a byte-order mark, which
        // is not JSON.
        let json = json.strip_prefix('\u{FEFF}').unwrap_or(json);
        if let Err(e) = stream::document(self, json) {
            self.fail(stream::describe(&e));
        }
    }

    /// Reads a JSON string's content: ADF (possibly wrapped once more), or
    /// plain text when it is not JSON at all.
    fn unwrap_string(&mut self, s: &str) {
        let s = s.strip_prefix('\u{FEFF}').unwrap_or(s);
        if !s.trim_start().starts_with(['{', '[', '"']) {
            if !s.trim().is_empty() {
                self.warnings
                    .push("ADF field holds plain text, not a document; scanned as text".into());
                self.sink.text(s, true);
            }
            return;
        }
        if self.unwrapped >= MAX_UNWRAP {
            self.fail(format!(
                "ADF is wrapped in JSON strings more than {MAX_UNWRAP} times"
            ));
            return;
        }
        self.unwrapped += 1;
        self.json(s);
        self.unwrapped -= 1;
    }

    /// Checks the root node's type (called once its fields are known).
    fn check_root(&mut self, ty: Option<&str>) {
        if ty != Some("doc") {
            self.warnings.push(format!(
                "ADF root is {}, not a doc node",
                ty.map_or("an untyped object".to_string(), |t| format!("a {t:?} node"))
            ));
        }
    }

    /// Walks a parsed document with an explicit stack: one frame per open
    /// container, so depth costs heap, never thread stack.
    fn value_root(&mut self, v: &Value) {
        match v {
            Value::Null => {}
            Value::String(s) => self.unwrap_string(s),
            Value::Object(o) => {
                self.check_root(o.get("type").and_then(Value::as_str));
                self.walk(v);
            }
            Value::Array(items) => {
                // A bare list of nodes: not a document, but its text is still text.
                self.warnings
                    .push("ADF root is an array, not a doc node".to_string());
                self.walk_children(items.iter().enumerate(), false);
            }
            _ => self.warnings.push("ADF root is not an object".to_string()),
        }
    }

    fn walk(&mut self, root: &Value) {
        if let Some(items) = self.enter_value(root) {
            self.walk_children(items.iter().enumerate(), true);
        }
    }

    /// Walks `first`'s nodes and everything below them. `closes` says
    /// whether the frame is a node's content (its end closes that node).
    fn walk_children<'v>(
        &mut self,
        first: std::iter::Enumerate<std::slice::Iter<'v, Value>>,
        closes: bool,
    ) {
        struct Frame<'v> {
            children: std::iter::Enumerate<std::slice::Iter<'v, Value>>,
            closes: bool,
        }
        let mut stack = vec![Frame {
            children: first,
            closes,
        }];
        while let Some(top) = stack.last_mut() {
            match top.children.next() {
                Some((i, child)) => {
                    self.path.push(i);
                    match self.enter_value(child) {
                        Some(items) => stack.push(Frame {
                            children: items.iter().enumerate(),
                            closes: true,
                        }),
                        None => {
                            self.path.pop();
                        }
                    }
                }
                None => {
                    let closes = top.closes;
                    stack.pop();
                    if closes {
                        self.block();
                    }
                    // Every frame but the first belongs to a child whose
                    // index is on the path.
                    if !stack.is_empty() {
                        self.path.pop();
                    }
                }
            }
        }
    }

    /// Handles a parsed node; returns its children when it opened as a
    /// container with content (the caller closes it after them).
    fn enter_value<'v>(&mut self, v: &'v Value) -> Option<&'v [Value]> {
        let Some(o) = v.as_object() else {
            self.warn("node is not an object");
            return None;
        };
        let f = Fields::of(o);
        let content = match o.get("content") {
            None | Some(Value::Null) => None,
            Some(Value::Array(items)) => Some(items.as_slice()),
            Some(_) => {
                self.warn("content is not an array");
                None
            }
        };
        match (content, shape(f.ty)) {
            (Some(items), Shape::Container) => {
                self.open(&f);
                Some(items)
            }
            _ => {
                self.leaf(&f);
                None
            }
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

    /// Opens a container whose children follow (closed by [`Walker::block`]).
    fn open(&mut self, f: &Fields<'_>) {
        self.block();
        if let Some(title) = heading(f) {
            self.segment(Some(title));
            self.block();
        }
    }

    /// A node whose content is not read: its text is in its fields. A
    /// container without content is only a boundary (and its title).
    fn leaf(&mut self, f: &Fields<'_>) {
        let Some(ty) = f.ty else {
            return;
        };
        match ty {
            "text" => self.text(f),
            "hardBreak" => self.block(),
            "mention" => self.segment(f.attr("text")),
            "emoji" => self.segment(f.attr("shortName").or_else(|| f.attr("text"))),
            "inlineCard" => self.segment(f.attr("url")),
            "status" => self.segment(f.attr("text")),
            "mediaInline" => self.segment(f.attr("alt")),
            "date" => {
                let ts = f.attrs.and_then(|a| a.get("timestamp"));
                let day = ts.and_then(render_date);
                match (day, ts) {
                    (Some(day), _) => self.segment(Some(&day)),
                    // Not a millisecond count: the raw value is still worth scanning.
                    (None, Some(Value::String(s))) => self.segment(Some(s)),
                    _ => self.flush_link(),
                }
            }
            // Macro parameters are configuration, except the few a reader
            // sees; placeholders are editor hints.
            "extension" => {
                self.block();
                self.segment(macro_title(f));
                self.block();
            }
            "inlineExtension" => self.segment(macro_title(f)),
            "placeholder" => self.flush_link(),
            "media" => {
                self.block();
                self.segment(f.attr("alt"));
                self.block();
            }
            "blockCard" | "embedCard" => {
                self.block();
                self.segment(f.attr("url"));
                self.block();
            }
            "doc" | "paragraph" | "heading" | "bulletList" | "orderedList" | "listItem"
            | "blockquote" | "rule" | "codeBlock" | "panel" | "table" | "tableRow"
            | "tableHeader" | "tableCell" | "mediaSingle" | "mediaGroup" | "taskList"
            | "taskItem" | "decisionList" | "decisionItem" | "layoutSection" | "layoutColumn"
            | "expand" | "nestedExpand" | "bodiedExtension" => {
                self.open(f);
                self.block();
            }
            // An unknown leaf has nothing we could read.
            _ => {}
        }
    }

    fn text(&mut self, f: &Fields<'_>) {
        let text = match f.text {
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
        let href = match f.marks {
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
    fn string_root_is_unwrapped() {
        let inner = json!({"type": "doc", "content": [p(json!([t("x")]))]}).to_string();
        let r = adf_value_to_text(&Value::String(inner.clone()));
        assert_eq!(r.text, "x");
        assert!(r.warnings.is_empty());
        // Encoded once more by an export tool: still the document.
        let twice = Value::String(Value::String(inner.clone()).to_string());
        let r = adf_value_to_text(&twice);
        assert_eq!((r.text.as_str(), r.failed), ("x", None));
        // Without end: a failure, not a loop.
        let mut wrapped = inner;
        for _ in 0..=MAX_UNWRAP {
            wrapped = Value::String(wrapped).to_string();
        }
        let r = adf_value_to_text(&Value::String(wrapped));
        assert!(r.failed.is_some());
        // Not JSON at all: plain text, scanned as it is.
        let r = adf_value_to_text(&json!("call 555-0100"));
        assert_eq!(r.text, "call 555-0100");
        assert_eq!(r.warnings.len(), 1);
        assert_eq!(r.failed, None);
    }

    #[test]
    fn invalid_json_and_roots() {
        let r = adf_to_text("{\"type\":");
        assert_eq!(r.text, "");
        assert!(
            r.failed.as_deref().is_some_and(|f| f.contains("cut off")),
            "{r:?}"
        );
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

    fn blockquotes(depth: usize) -> Value {
        let mut v = p(json!([t("deepest")]));
        for _ in 0..depth {
            // Not `json!`, which would deep-copy `v` on every level.
            let mut m = Map::new();
            m.insert("type".into(), json!("blockquote"));
            m.insert("content".into(), Value::Array(vec![v]));
            v = Value::Object(m);
        }
        let mut doc = Map::new();
        doc.insert("type".into(), json!("doc"));
        doc.insert(
            "content".into(),
            Value::Array(vec![p(json!([t("top")])), v]),
        );
        Value::Object(doc)
    }

    #[test]
    fn deep_nesting_is_read_in_full_on_a_small_stack() {
        // Far deeper than any recursion could go on a 1 MiB thread stack
        // (debug frames are the largest; rayon workers get 2 MiB by default).
        let small = std::thread::Builder::new()
            .stack_size(1 << 20)
            .spawn(move || {
                let v = crate::text::deep_json::Deep(Some(blockquotes(100_000)));
                let r = adf_value_to_text(v.0.as_ref().unwrap_or(&Value::Null));
                (r.text, r.warnings.len(), r.failed)
            })
            .map(|h| h.join());
        assert!(
            matches!(small, Ok(Ok((ref t, 0, None))) if t == "top\ndeepest"),
            "{small:?}"
        );
    }
}
