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
    fn errors_stay_errors() {
        assert!(parse_str("{\"a\": [1, 2").is_err());
        assert!(parse_str("[1] x").is_err());
        assert!(parse_str("").is_err());
    }
}
