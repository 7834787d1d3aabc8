//! The extractors over a corpus of real ADF and storage documents kept
//! outside the repository (they belong to other projects and are not
//! copied here). Ignored by default; run with
//!
//! ```text
//! WITHHOLD_CORPUS=/path/to/corpus cargo test --test corpus -- --ignored --nocapture
//! ```
//!
//! Every `.json` file is read as ADF and every `.html`/`.xml` file as
//! storage. A document passes when it is read without failing (unless its
//! path says it is truncated or not UTF-8) and no visible text is lost: every
//! ADF `text` node's string, and every word of storage text outside tags,
//! macro parameters, placeholders and scripts, is in the extracted text.

use serde_json::Value;
use std::path::{Path, PathBuf};
use withhold::text::{adf_to_text, deep_json, normalise, storage_to_text};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// The strings of every ADF `text` node, found without our walker.
fn adf_texts(v: &Value, out: &mut Vec<String>) {
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(o) => {
                if o.get("type").and_then(Value::as_str) == Some("text") {
                    if let Some(t) = o.get("text").and_then(Value::as_str) {
                        out.push(t.to_string());
                    }
                }
                stack.extend(o.values());
            }
            Value::Array(a) => stack.extend(a),
            _ => {}
        }
    }
}

/// Words of storage text outside markup and outside what is not page text,
/// found without our reader (a plain scan of tags).
fn storage_words(s: &str) -> Vec<String> {
    const HIDDEN: [&str; 10] = [
        "ac:parameter",
        "ac:default-parameter",
        "ac:placeholder",
        "style",
        "script",
        "ac:task-status",
        "ac:task-id",
        "ac:adf-fallback",
        "ac:task-uuid",
        "ac:adf-attribute",
    ];
    let mut words = Vec::new();
    let mut hidden: Vec<&str> = Vec::new();
    let mut rest = s;
    while let Some(lt) = rest.find('<') {
        if hidden.is_empty() {
            collect_words(&rest[..lt], &mut words);
        }
        let Some(gt) = rest[lt..].find('>') else {
            break;
        };
        let tag = &rest[lt + 1..lt + gt];
        if let Some(cdata) = rest[lt..].strip_prefix("<![CDATA[") {
            let end = cdata.find("]]>").unwrap_or(cdata.len());
            if hidden.is_empty() {
                collect_words(&cdata[..end], &mut words);
            }
            rest = &cdata[(end + 3).min(cdata.len())..];
            continue;
        }
        let name = tag
            .trim_start_matches('/')
            .split(|c: char| c.is_whitespace() || c == '/')
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        if let Some(h) = HIDDEN.iter().find(|h| **h == name) {
            if tag.starts_with('/') {
                if hidden.last() == Some(h) {
                    hidden.pop();
                }
            } else if !tag.ends_with('/') {
                // A visible title parameter is text; the reader decides which.
                let title = name == "ac:parameter" && tag.contains("ac:name=\"title\"");
                if !title {
                    hidden.push(h);
                }
            }
        }
        rest = &rest[lt + gt + 1..];
    }
    if hidden.is_empty() {
        collect_words(rest, &mut words);
    }
    words
}

fn collect_words(s: &str, out: &mut Vec<String>) {
    let decoded = html_escape::decode_html_entities(s);
    let folded = normalise(&decoded);
    for w in folded.split(|c: char| !c.is_alphanumeric()) {
        // "CDATA" is markup: a section that is closed early by a `]]>` in
        // code leaves this checker (not the reader) seeing its marker as text.
        if w.chars().count() >= 3 && w != "CDATA" {
            out.push(w.to_string());
        }
    }
}

fn expected_to_fail(p: &Path) -> bool {
    let s = p.to_string_lossy();
    s.contains("truncated") || s.contains("invalid-utf8") || s.contains("atlaskit-schema-invalid")
}

#[test]
#[ignore = "needs WITHHOLD_CORPUS, a directory of documents outside the repository"]
fn every_corpus_document_is_read_without_losing_visible_text() {
    let Some(root) = std::env::var_os("WITHHOLD_CORPUS") else {
        eprintln!("WITHHOLD_CORPUS is not set: nothing to read");
        return;
    };
    let mut all = Vec::new();
    files(Path::new(&root), &mut all);
    let (mut adf, mut storage, mut failed_as_expected) = (0, 0, 0);
    let mut problems = Vec::new();
    for p in &all {
        let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("");
        let Ok(bytes) = std::fs::read(p) else {
            continue;
        };
        let content = String::from_utf8_lossy(&bytes);
        let name = p.display().to_string();
        match ext {
            "json" => {
                if p.file_name().is_some_and(|n| n == "sources.json") {
                    continue;
                }
                adf += 1;
                // A JSON file that is not an ADF document (a saved REST
                // answer) is scanned as its raw text: nothing of it is lost.
                if withhold::sources::files::detect_format(&name, &content)
                    != withhold::sources::files::BodyFormat::Adf
                {
                    continue;
                }
                let r = adf_to_text(&content);
                if let Some(why) = &r.failed {
                    if expected_to_fail(p) {
                        failed_as_expected += 1;
                    } else {
                        problems.push(format!("{name}: failed: {why}"));
                    }
                    continue;
                }
                let body = content.trim_start_matches('\u{FEFF}');
                let mut texts = Vec::new();
                if let Ok(v) = deep_json::parse_str(body) {
                    // ADF held in a JSON string: look inside it.
                    let v = match &v {
                        Value::String(s) => deep_json::parse_str(s).unwrap_or(Value::Null),
                        _ => v,
                    };
                    adf_texts(&v, &mut texts);
                    deep_json::dismantle(v);
                }
                for t in texts {
                    let t = normalise(&t);
                    for line in t.lines().map(str::trim).filter(|l| !l.is_empty()) {
                        if !r.text.contains(line) {
                            problems.push(format!("{name}: lost text {line:?}"));
                        }
                    }
                }
            }
            "html" | "xml" => {
                storage += 1;
                let r = storage_to_text(&content);
                if let Some(why) = &r.failed {
                    problems.push(format!("{name}: failed: {why}"));
                    continue;
                }
                for w in storage_words(&content) {
                    if !r.text.contains(&w) {
                        problems.push(format!("{name}: lost word {w:?}"));
                    }
                }
            }
            _ => {}
        }
    }
    eprintln!(
        "corpus: {adf} ADF documents, {storage} storage documents, {failed_as_expected} failed as expected (truncated / invalid), {} problems",
        problems.len()
    );
    for p in problems.iter().take(50) {
        eprintln!("  {p}");
    }
    assert!(problems.is_empty(), "{} problems", problems.len());
}
