//! Confluence storage format (XHTML fragment with `ac:`/`ri:` elements) to plain text.
//!
//! This module owns the storage-format reading rules: which elements are
//! blocks, which are skipped, which attributes carry scannable text, how HTML
//! entities are decoded, and how the reader recovers from malformed markup.
//!
//! Bodies are fragments with no root, undeclared `ac:`/`ri:` prefixes and HTML
//! (not XML) entities, so we use quick-xml's plain event `Reader` with every
//! well-formedness check off, match element names literally (prefix included)
//! and decode entities ourselves with html-escape. When the reader still
//! fails (a lone `<`, markup cut off at the end), we keep the `<` as text and
//! restart a fresh reader just after it, so nothing after the fault is lost.
//!
//! # What a reader sees
//!
//! Only text a reader of the rendered page sees is scanned, so that the same
//! page scans the same as storage and as ADF:
//!
//! - Macro bodies (`<ac:rich-text-body>`, `<ac:plain-text-body>`) are page
//!   text: panel and expand contents, code, excerpts.
//! - A macro's `<ac:parameter>`s are configuration (code `language`, `theme`,
//!   status `colour`, Jira `server`/`serverId`/`jqlQuery`/`columns`/`key`,
//!   anchor names, widget URLs, `revision`, toc levels, children depth ...)
//!   and are not scanned, with one exception decided by
//!   [`super::visible_macro_param`]: the `title` of the panel family
//!   (`panel`, `info`, `note`, `warning`, `tip`), of `expand` (its label), of
//!   `status` (the lozenge's label) and of `code`/`noformat` (the caption).
//!   The ADF reader applies the same rule to extension nodes' `macroParams`;
//!   ADF's own `expand` title and `status` text are read there too.
//! - `<ac:default-parameter>` (the unnamed parameter of old-style macros, such
//!   as an anchor's name) is configuration.
//! - `<ac:placeholder>` is the editor's instruction text, never shown on the
//!   page, and is not scanned (ADF `placeholder` nodes are skipped likewise).

use super::{over_cap, visible_macro_param, Extracted, Sink, Warnings};
use quick_xml::errors::Error as XmlError;
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use std::borrow::Cow;

/// Restarts after reader errors before the rest is handled by [`strip_tags`].
/// Each restart may rescan to the end of the input, so the budget bounds a
/// pathological body (thousands of lone `<`) to a small multiple of one pass.
const MAX_RECOVERIES: usize = 64;

/// Extract the plain text of a Confluence storage-format body, under the
/// process-wide size cap ([`super::max_document_bytes`]).
pub fn storage_to_text(xhtml: &str) -> Extracted {
    storage_to_text_limited(xhtml, super::max_document_bytes())
}

/// [`storage_to_text`] with an explicit cap on the body's size in bytes.
///
/// The reader recovers from any malformed markup, so the cap is the only way
/// a storage body fails.
pub fn storage_to_text_limited(xhtml: &str, max_bytes: usize) -> Extracted {
    if let Some(failed) = over_cap(xhtml.len(), max_bytes) {
        return failed;
    }
    let mut x = Extractor {
        sink: Sink::with_capacity(xhtml.len()),
        warnings: Warnings::default(),
        skip: 0,
        pre: 0,
        links: Vec::new(),
        macros: Vec::new(),
        params: Vec::new(),
    };
    x.run(xhtml);
    Extracted {
        text: x.sink.finish(),
        warnings: x.warnings.finish(),
        failed: None,
        offsets: Default::default(),
    }
}

/// What an element means for the text. Anything not listed is inline: it
/// neither separates nor hides text, so `<strong>4111</strong> 1111` stays whole.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Inline,
    Block,
    /// Block whose content is whitespace-significant (`<pre>`, plain-text macro bodies).
    Pre,
    /// Content is not body text.
    Skip,
}

fn kind(name: &[u8]) -> Kind {
    match name {
        b"p"
        | b"div"
        | b"h1"
        | b"h2"
        | b"h3"
        | b"h4"
        | b"h5"
        | b"h6"
        | b"li"
        | b"ul"
        | b"ol"
        | b"dl"
        | b"dt"
        | b"dd"
        | b"tr"
        | b"td"
        | b"th"
        | b"table"
        | b"thead"
        | b"tbody"
        | b"tfoot"
        | b"caption"
        | b"blockquote"
        | b"br"
        | b"hr"
        | b"section"
        | b"article"
        | b"header"
        | b"footer"
        | b"nav"
        | b"aside"
        | b"main"
        | b"figure"
        | b"figcaption"
        | b"address"
        | b"details"
        | b"summary"
        | b"center"
        | b"ac:task-list"
        | b"ac:task"
        | b"ac:task-body"
        | b"ac:structured-macro"
        | b"ac:macro"
        | b"ac:rich-text-body"
        | b"ac:layout"
        | b"ac:layout-section"
        | b"ac:layout-cell"
        | b"ac:adf-extension"
        | b"ac:adf-node"
        | b"ac:adf-content" => Kind::Block,
        b"pre" | b"ac:plain-text-body" => Kind::Pre,
        // `task-status` is "complete"/"incomplete" noise. An `adf-fallback`
        // repeats its sibling `adf-node` as HTML, and `adf-attribute`s are
        // local ids and states: scanning them would only duplicate findings.
        // Parameters are configuration unless visible (decided per element,
        // see `Extractor::open_param`); placeholders are editor hints.
        b"style"
        | b"script"
        | b"ac:task-status"
        | b"ac:adf-fallback"
        | b"ac:adf-attribute"
        | b"ac:task-id"
        | b"ac:task-uuid"
        | b"ac:placeholder"
        | b"ac:default-parameter" => Kind::Skip,
        _ => Kind::Inline,
    }
}

/// Attributes whose values are text worth scanning, per element. Opaque ids
/// (`ri:user@ri:account-id`, `ri:space@ri:space-key`) and anchors are left out.
fn scanned_attrs(name: &[u8]) -> &'static [&'static [u8]] {
    match name {
        b"img" => &[b"alt", b"title"],
        b"ac:image" => &[b"ac:alt", b"ac:title"],
        b"ri:page" | b"ri:blog-post" => &[b"ri:content-title"],
        b"ri:attachment" => &[b"ri:filename"],
        b"ri:url" => &[b"ri:value"],
        b"time" => &[b"datetime"],
        _ => &[],
    }
}

/// Lower-cases a tag or attribute name into `buf` (HTML names are
/// case-insensitive). Names longer than any we know return `None`.
fn lower<'b>(name: &[u8], buf: &'b mut [u8; 32]) -> Option<&'b [u8]> {
    let dst = buf.get_mut(..name.len())?;
    for (d, s) in dst.iter_mut().zip(name) {
        *d = s.to_ascii_lowercase();
    }
    Some(dst)
}

/// Whether markup whose name starts with `b` is really a tag. `a < b`, `<3`
/// or `x <= y` typed without escaping are text, not tags.
fn is_name_start(b: Option<&u8>) -> bool {
    matches!(b, Some(b) if b.is_ascii_alphabetic() || *b == b'_' || *b == b':' || *b >= 0x80)
}

fn utf8(bytes: &[u8]) -> Cow<'_, str> {
    // Slices of a &str cut at ASCII markup are valid UTF-8; lossy keeps us
    // panic-free if that ever stops holding.
    String::from_utf8_lossy(bytes)
}

struct Extractor {
    sink: Sink,
    warnings: Warnings,
    /// Depth inside skipped elements (`<style>`, `<script>`, task status ...).
    skip: usize,
    /// Depth inside whitespace-significant elements.
    pre: usize,
    /// Open `<a>` elements: the href (if any) and where the label starts.
    /// The href is written after the label, as for ADF link marks.
    links: Vec<Option<(String, usize)>>,
    /// Names of the open macros (`ac:structured-macro`/`ac:macro`), innermost last.
    macros: Vec<String>,
    /// Open `<ac:parameter>`s: whether each is visible text (see the module docs).
    params: Vec<bool>,
}

enum Step {
    /// The fragment was read to the end.
    Done,
    /// Restart a fresh reader at this absolute byte offset.
    Restart(usize),
}

impl Extractor {
    fn run(&mut self, input: &str) {
        let mut base = 0;
        let mut recoveries = 0;
        while base < input.len() {
            if recoveries >= MAX_RECOVERIES {
                self.warnings.push(format!(
                    "too much malformed markup; text from byte {base} on was extracted without parsing"
                ));
                self.strip_tags(&input[base..]);
                break;
            }
            match self.read_from(input, base) {
                Step::Done => break,
                Step::Restart(next) => {
                    recoveries += 1;
                    // `next > base` always holds (see `read_from`); the guard
                    // makes the loop's termination obvious.
                    base = next.max(base + 1);
                }
            }
        }
        for link in std::mem::take(&mut self.links) {
            self.close_link(link);
        }
        if self.skip > 0 {
            self.warnings.push(
                "unclosed <style>, <script> or task status: the rest of the body was skipped"
                    .to_string(),
            );
        }
    }

    /// Reads `input[base..]` with a fresh reader until the end or the first
    /// fault it cannot step over.
    fn read_from(&mut self, input: &str, base: usize) -> Step {
        let slice = &input[base..];
        let mut reader = Reader::from_str(slice);
        let cfg = reader.config_mut();
        cfg.trim_text(false);
        cfg.check_end_names = false;
        cfg.allow_unmatched_ends = true;
        cfg.check_comments = false;
        cfg.expand_empty_elements = false;
        loop {
            // Where the next event starts, relative to `slice`.
            let at = usize::try_from(reader.buffer_position()).unwrap_or(slice.len());
            match reader.read_event() {
                Ok(Event::Eof) => return Step::Done,
                Ok(Event::Start(e)) => {
                    if !is_name_start(e.name().as_ref().first()) {
                        return self.literal_lt(slice, base, at);
                    }
                    self.open(&e, false);
                }
                Ok(Event::Empty(e)) => {
                    if !is_name_start(e.name().as_ref().first()) {
                        return self.literal_lt(slice, base, at);
                    }
                    self.open(&e, true);
                }
                Ok(Event::End(e)) => {
                    if !is_name_start(e.name().as_ref().first()) {
                        return self.literal_lt(slice, base, at);
                    }
                    self.close(e.name().as_ref());
                }
                Ok(Event::Text(e)) => {
                    if self.skip == 0 {
                        let raw = utf8(e.as_ref());
                        let text = html_escape::decode_html_entities(&raw);
                        self.sink.text(&text, self.pre > 0);
                    }
                }
                Ok(Event::CData(e)) => {
                    if self.skip == 0 {
                        self.sink.text(&utf8(e.as_ref()), true);
                    }
                }
                Ok(Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_)) => {}
                Err(XmlError::Syntax(err)) => {
                    // Syntax errors all mean "input ended inside markup"; the
                    // reader cannot go on, but the text after the `<` can.
                    let err_at = usize::try_from(reader.error_position()).unwrap_or(slice.len());
                    let lt = if slice.as_bytes().get(err_at) == Some(&b'<') {
                        err_at
                    } else {
                        match memchr::memchr(b'<', slice.as_bytes().get(at..).unwrap_or(&[])) {
                            Some(i) => at + i,
                            None => return Step::Done,
                        }
                    };
                    self.warnings
                        .push(format!("malformed markup at byte {}: {err}", base + lt));
                    if let Some(body) = slice[lt..].strip_prefix("<![CDATA[") {
                        // An unterminated CDATA section is code: keep it verbatim.
                        if self.skip == 0 {
                            self.sink.text(body, true);
                        }
                        return Step::Done;
                    }
                    return self.literal_lt(slice, base, lt);
                }
                Err(err) => {
                    // Ill-formed but consumed markup (e.g. `<!DOCTYPE>`): the
                    // reader has moved past it, so note it and carry on.
                    self.warnings
                        .push(format!("malformed markup at byte {}: {err}", base + at));
                    let now = usize::try_from(reader.buffer_position()).unwrap_or(slice.len());
                    if now <= at {
                        return Step::Restart(base + at + 1);
                    }
                }
            }
        }
    }

    /// Writes the `<` at `slice[lt..]` as text and restarts just after it.
    fn literal_lt(&mut self, slice: &str, base: usize, lt: usize) -> Step {
        // `lt` comes from the reader's position; find the actual `<` so the
        // restart offset is a char boundary past it.
        let lt = match memchr::memchr(b'<', slice.as_bytes().get(lt..).unwrap_or(&[])) {
            Some(i) => lt + i,
            None => return Step::Done,
        };
        if self.skip == 0 {
            self.sink.text("<", self.pre > 0);
        }
        Step::Restart(base + lt + 1)
    }

    fn open(&mut self, e: &BytesStart<'_>, empty: bool) {
        let mut buf = [0u8; 32];
        let Some(name) = lower(e.name().as_ref(), &mut buf) else {
            return;
        };
        if name == b"ac:parameter" {
            self.open_param(e, empty);
            return;
        }
        if (name == b"ac:structured-macro" || name == b"ac:macro") && !empty {
            self.macros
                .push(attr(e, b"ac:name").unwrap_or_default().to_ascii_lowercase());
        }
        let kind = kind(name);
        if self.skip > 0 {
            if kind == Kind::Skip && !empty {
                self.skip += 1;
            }
            return;
        }
        match kind {
            Kind::Inline => {}
            Kind::Block => self.sink.block(),
            Kind::Pre => {
                self.sink.block();
                if !empty {
                    self.pre += 1;
                }
            }
            Kind::Skip => {
                if !empty {
                    self.skip += 1;
                }
                return;
            }
        }
        if name == b"a" {
            let link = attr(e, b"href").map(|href| (href, self.sink.len()));
            if empty {
                self.close_link(link);
            } else {
                self.links.push(link);
            }
            return;
        }
        for key in scanned_attrs(name) {
            if let Some(v) = attr(e, key) {
                self.sink.segment(&v);
            }
        }
        if empty && kind != Kind::Inline {
            self.sink.block();
        }
    }

    /// A macro parameter: a block of text when a reader sees it, skipped
    /// otherwise. Pairs with [`Extractor::close_param`].
    fn open_param(&mut self, e: &BytesStart<'_>, empty: bool) {
        if empty {
            return;
        }
        let visible = self.skip == 0 && {
            let macro_name = self.macros.last().map_or("", String::as_str);
            let param = attr(e, b"ac:name").unwrap_or_default();
            visible_macro_param(macro_name, &param)
        };
        self.params.push(visible);
        if visible {
            self.sink.block();
        } else {
            self.skip += 1;
        }
    }

    fn close_param(&mut self) {
        match self.params.pop() {
            Some(true) => self.sink.block(),
            Some(false) => self.skip = self.skip.saturating_sub(1),
            // A stray `</ac:parameter>`.
            None => {}
        }
    }

    fn close(&mut self, name: &[u8]) {
        let mut buf = [0u8; 32];
        let Some(name) = lower(name, &mut buf) else {
            return;
        };
        if name == b"ac:parameter" {
            self.close_param();
            return;
        }
        if name == b"ac:structured-macro" || name == b"ac:macro" {
            self.macros.pop();
        }
        match kind(name) {
            Kind::Skip => self.skip = self.skip.saturating_sub(1),
            _ if self.skip > 0 => {}
            Kind::Inline => {
                if name == b"a" {
                    if let Some(link) = self.links.pop() {
                        self.close_link(link);
                    }
                }
            }
            Kind::Block => self.sink.block(),
            Kind::Pre => {
                self.pre = self.pre.saturating_sub(1);
                self.sink.block();
            }
        }
    }

    fn close_link(&mut self, link: Option<(String, usize)>) {
        if let Some((href, start)) = link {
            if !self.sink.label_is(start, &href) {
                self.sink.segment(&href);
            }
        }
    }

    /// Last-resort reading of a hopeless tail: drops anything that looks like
    /// a complete tag, keeps everything else as text. Linear: each `<` looks
    /// ahead only as far as the next `<` or `>`.
    fn strip_tags(&mut self, rest: &str) {
        let bytes = rest.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let Some(lt) = memchr::memchr(b'<', &bytes[i..]).map(|k| i + k) else {
                self.fallback_text(&rest[i..]);
                break;
            };
            self.fallback_text(&rest[i..lt]);
            let tag_end = memchr::memchr2(b'<', b'>', &bytes[lt + 1..])
                .map(|k| lt + 1 + k)
                .filter(|&k| bytes[k] == b'>');
            let looks_like_tag = matches!(bytes.get(lt + 1), Some(b'/' | b'!' | b'?'))
                || is_name_start(bytes.get(lt + 1));
            match tag_end {
                Some(gt) if looks_like_tag => {
                    // Unknown structure from here on: a space keeps words apart.
                    self.sink.text(" ", false);
                    i = gt + 1;
                }
                _ => {
                    self.fallback_text("<");
                    i = lt + 1;
                }
            }
        }
    }

    fn fallback_text(&mut self, s: &str) {
        if !s.is_empty() {
            self.sink
                .text(&html_escape::decode_html_entities(s), self.pre > 0);
        }
    }
}

/// The decoded value of attribute `key` (matched case-insensitively), if present.
fn attr(e: &BytesStart<'_>, key: &[u8]) -> Option<String> {
    // HTML-style parsing accepts unquoted and valueless attributes; broken
    // ones are skipped rather than failing the element.
    e.html_attributes()
        .with_checks(false)
        .flatten()
        .find(|a| a.key.as_ref().eq_ignore_ascii_case(key))
        .map(|a| html_escape::decode_html_entities(&utf8(&a.value)).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> String {
        storage_to_text(s).text
    }

    #[test]
    fn inline_marks_do_not_split() {
        assert_eq!(
            text("<p>card <strong>4111</strong> 1111 <em>1111</em> <span>1111</span></p>"),
            "card 4111 1111 1111 1111"
        );
        assert_eq!(text("<p>41<b>11</b><i>11</i><u>11</u></p>"), "41111111");
    }

    #[test]
    fn blocks_separate() {
        assert_eq!(
            text("<h1>Title</h1><p>one</p><div>two</div><ul><li>a</li><li>b</li></ul>"),
            "Title\none\ntwo\na\nb"
        );
        assert_eq!(text("<p>a<br/>b<br>c<hr>d</p>"), "a\nb\nc\nd");
    }

    #[test]
    fn pretty_printed_whitespace_is_dropped() {
        let s = "<ul>\n  <li>\n    <p>one</p>\n  </li>\n\n\n  <li>two</li>\n</ul>\n";
        assert_eq!(text(s), "one\ntwo");
    }

    #[test]
    fn table_cells_each_on_a_line() {
        let s = "<table><tbody><tr><th>Name</th><th>SSN</th></tr>\
                 <tr><td>Ann</td><td>078-05-1120</td></tr></tbody></table>";
        assert_eq!(text(s), "Name\nSSN\nAnn\n078-05-1120");
    }

    #[test]
    fn entities() {
        assert_eq!(text("<p>4111&nbsp;1111</p>"), "4111 1111");
        assert_eq!(
            text("<p>it&rsquo;s caf&eacute; &mdash; &#65;&#x42; &amp; &lt;x&gt;</p>"),
            "it\u{2019}s caf\u{e9} \u{2014} AB & <x>"
        );
        assert_eq!(text("<p>&bogus; AT&T &amp</p>"), "&bogus; AT&T &amp");
    }

    #[test]
    fn code_macro_cdata_keeps_lines() {
        let s = r#"<ac:structured-macro ac:name="code"><ac:parameter ac:name="language">sql</ac:parameter><ac:plain-text-body><![CDATA[select *
from users
where ssn = '078-05-1120';]]></ac:plain-text-body></ac:structured-macro><p>after</p>"#;
        // The language is configuration: only the code is page text.
        assert_eq!(
            text(s),
            "select *\nfrom users\nwhere ssn = '078-05-1120';\nafter"
        );
    }

    #[test]
    fn pre_keeps_newlines_p_does_not() {
        assert_eq!(text("<pre>a\n  b</pre>"), "a\n  b");
        assert_eq!(text("<p>a\nb</p>"), "a b");
    }

    #[test]
    fn panel_with_title_parameter() {
        let s = r#"<ac:structured-macro ac:name="info"><ac:parameter ac:name="title">Secret keys</ac:parameter><ac:rich-text-body><p>Key: abc</p></ac:rich-text-body></ac:structured-macro>"#;
        assert_eq!(text(s), "Secret keys\nKey: abc");
    }

    #[test]
    fn tasks_drop_status() {
        let s = "<ac:task-list><ac:task><ac:task-id>1</ac:task-id><ac:task-status>incomplete</ac:task-status>\
                 <ac:task-body>call Bob</ac:task-body></ac:task><ac:task><ac:task-status>complete</ac:task-status>\
                 <ac:task-body>pay</ac:task-body></ac:task></ac:task-list>";
        assert_eq!(text(s), "call Bob\npay");
    }

    #[test]
    fn user_mention_drops_account_id() {
        let s = r#"<p>ask <ac:link><ri:user ri:account-id="557058:abcd"/></ac:link> now</p>"#;
        assert_eq!(text(s), "ask  now");
    }

    #[test]
    fn page_link_title_and_body() {
        let s = r#"<p>see <ac:link><ri:page ri:space-key="OPS" ri:content-title="Runbook"/><ac:plain-text-link-body><![CDATA[the runbook]]></ac:plain-text-link-body></ac:link>.</p>"#;
        assert_eq!(text(s), "see Runbook the runbook.");
    }

    #[test]
    fn attributes_are_segments() {
        assert_eq!(
            text(
                r#"<p>x<ac:image ac:alt="passport"><ri:attachment ri:filename="scan.png"/></ac:image>y</p>"#
            ),
            "x passport scan.png y"
        );
        assert_eq!(
            text(r#"<p><img src="a" alt="id card" title="t">z</p>"#),
            "id card t z"
        );
        assert_eq!(
            text(r#"<p><a href="https://h.example/?k=1">docs</a> end</p>"#),
            "docs https://h.example/?k=1 end"
        );
        assert_eq!(
            text(r#"<p><a href="mailto:a@b.example">a@b.example</a></p>"#),
            "a@b.example"
        );
        assert_eq!(
            text(r#"<p><ac:link><ri:url ri:value="https://u.example"/></ac:link></p>"#),
            "https://u.example"
        );
        assert_eq!(
            text(r#"<p>due <time datetime="2024-05-01"/>!</p>"#),
            "due 2024-05-01 !"
        );
    }

    #[test]
    fn style_and_script_skipped() {
        assert_eq!(
            text("<style>p { color: red }</style><p>a</p><script>var x = 1 < 2;</script><p>b</p>"),
            "a\nb"
        );
    }

    #[test]
    fn unclosed_link_and_style() {
        assert_eq!(
            text(r#"<p><a href="https://x.example">label"#),
            "label https://x.example"
        );
        let r = storage_to_text("<p>seen</p><style>p { }");
        assert_eq!(r.text, "seen");
        assert_eq!(r.warnings.len(), 1);
    }

    #[test]
    fn uppercase_tags() {
        assert_eq!(text("<P>a</P><P>b<BR>c</P>"), "a\nb\nc");
    }

    #[test]
    fn malformed_unclosed_and_stray() {
        assert_eq!(
            text("<p>one<p>two</p></p></div><p>three"),
            "one\ntwo\nthree"
        );
        assert_eq!(text("</p>lead<br>tail"), "lead\ntail");
    }

    #[test]
    fn lone_lt_is_text() {
        let r = storage_to_text("<p>a < b and c</p><p>next</p>");
        assert_eq!(r.text, "a < b and c\nnext");
        let r = storage_to_text("<p>5 <3 and x</p>");
        assert_eq!(r.text, "5 <3 and x");
        let r = storage_to_text("<p>tail a < b");
        assert_eq!(r.text, "tail a < b");
        assert!(!r.warnings.is_empty());
    }

    #[test]
    fn truncated_mid_tag() {
        let r = storage_to_text("<p>card 4111 1111</p><p class=\"x");
        assert!(r.text.starts_with("card 4111 1111\n"), "{:?}", r.text);
        assert!(!r.warnings.is_empty());
    }

    #[test]
    fn unterminated_cdata_and_comment() {
        let r = storage_to_text("<p>before</p><ac:plain-text-body><![CDATA[code 123\nmore");
        assert_eq!(r.text, "before\ncode 123\nmore");
        assert!(!r.warnings.is_empty());
        let r = storage_to_text("<p>before</p><!-- note");
        assert!(r.text.starts_with("before"));
    }

    #[test]
    fn many_lone_lt_stays_bounded() {
        let s = "x < ".repeat(5000);
        let r = storage_to_text(&s);
        assert!(r.text.starts_with("x < x < x"));
        assert_eq!(r.text.matches('x').count(), 5000);
    }

    #[test]
    fn nbsp_literal_and_entity() {
        assert_eq!(
            text("<p>4111\u{a0}1111&nbsp;1111&#160;1111</p>"),
            "4111 1111 1111 1111"
        );
    }

    #[test]
    fn empty_and_whitespace() {
        assert_eq!(text(""), "");
        assert_eq!(text("   \n "), "");
        assert_eq!(text("<p></p><p/>"), "");
    }
}
