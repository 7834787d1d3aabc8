//! JSON of any nesting depth.
//!
//! serde_json refuses documents nested deeper than 128 levels, and the
//! Atlassian editor produces deeper ones (31 nested lists already pass that
//! limit in ADF). A document we refuse is a document we do not scan, so every
//! JSON body the crawler and the file reader see is parsed here instead: the
//! recursion limit is lifted and `serde_stacker` grows the stack on the heap
//! as the parser descends, so depth costs memory, never a stack overflow.
//!
//! Dropping a `Value` is recursive too: [`dismantle`] takes a deep tree apart
//! iteratively, and [`Deep`] does it on drop.

use serde::Deserialize as _;
use serde_json::Value;

/// Parse JSON of any depth.
pub fn parse_slice(bytes: &[u8]) -> Result<Value, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    de.disable_recursion_limit();
    let v = Value::deserialize(serde_stacker::Deserializer::new(&mut de))?;
    // Trailing characters after the value are an error, as in `from_slice`.
    if let Err(e) = de.end() {
        dismantle(v);
        return Err(e);
    }
    Ok(v)
}

/// Parse JSON text of any depth.
pub fn parse_str(s: &str) -> Result<Value, serde_json::Error> {
    parse_slice(s.as_bytes())
}

/// The `type` of a JSON document's root object, read without building the
/// tree (everything else is skipped as it is parsed); `Ok(None)` when the
/// root is not an object with a string `type`, `Err` when the text is not
/// JSON (cut short, broken).
pub fn root_type(s: &str) -> Result<Option<String>, serde_json::Error> {
    #[derive(serde::Deserialize)]
    struct Root {
        #[serde(rename = "type")]
        kind: Option<String>,
    }
    let mut de = serde_json::Deserializer::from_str(s);
    de.disable_recursion_limit();
    match Root::deserialize(serde_stacker::Deserializer::new(&mut de)) {
        Ok(root) => de.end().map(|_| root.kind),
        // Valid JSON of another shape (an array, a `type` that is not a string).
        Err(e) if e.is_data() => Ok(None),
        Err(e) => Err(e),
    }
}

/// Take a tree apart without recursion (the default drop of a very deep
/// `Value` overflows the stack).
pub fn dismantle(v: Value) {
    if !matches!(v, Value::Array(_) | Value::Object(_)) {
        return;
    }
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match v {
            Value::Array(items) => stack.extend(items),
            Value::Object(map) => stack.extend(map.into_iter().map(|(_, v)| v)),
            _ => {}
        }
    }
}

/// A parsed value that is dismantled iteratively when dropped.
#[derive(Debug)]
pub struct Deep(pub Option<Value>);

impl Drop for Deep {
    fn drop(&mut self) {
        if let Some(v) = self.0.take() {
            dismantle(v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(depth: usize) -> String {
        format!("{}1{}", "[".repeat(depth), "]".repeat(depth))
    }

    #[test]
    fn parses_and_drops_far_past_the_default_limit() {
        assert!(serde_json::from_str::<Value>(&nested(200)).is_err());
        let v = parse_str(&nested(200_000)).expect("deep JSON parses");
        dismantle(v);
    }

    #[test]
    fn the_root_type_is_read_at_any_depth() {
        let deep = format!(r#"{{"content":{},"type":"doc"}}"#, nested(10_000));
        assert_eq!(root_type(&deep).unwrap().as_deref(), Some("doc"));
        let issue = r#"{"key":"A-1","fields":{"description":{"type":"doc","content":[]}}}"#;
        assert_eq!(root_type(issue).unwrap(), None);
        assert_eq!(root_type("[1]").unwrap(), None);
        assert!(root_type(r#"{"type":"doc","content":[{"#).is_err());
    }

    #[test]
    fn errors_stay_errors() {
        assert!(parse_str("{\"a\": [1, 2").is_err());
        assert!(parse_str("[1] x").is_err());
        assert!(parse_str("").is_err());
    }
}
