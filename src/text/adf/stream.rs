//! ADF JSON text read in one pass, text emitted as nodes go by.
//!
//! A node's small fields (`type`, `attrs`, `text`, `marks`) are buffered
//! until the node is handled; its `content` is never buffered: each child is
//! read and handled in turn. So memory is the input, the text, and the
//! fields of the nodes on the current path, however large the document.
//!
//! Nesting is followed by serde's recursion, which `serde_stacker` moves onto
//! heap-allocated stack segments as it deepens, and the recursion limit is
//! lifted: any depth parses, in memory proportional to the depth.
//!
//! JSON does not order an object's keys. When `content` comes before `type`,
//! the node is read as a container (its children are text whatever it is)
//! and what its fields add (an expand's title, say) follows its children.

use super::{shape, Fields, Shape, Walker};
use crate::text::deep_json::Deep;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::fmt;

/// Reads `json` (a whole document) into `w`.
pub(super) fn document(w: &mut Walker, json: &str) -> Result<(), serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(json);
    de.disable_recursion_limit();
    Root { w }.deserialize(serde_stacker::Deserializer::new(&mut de))?;
    // Anything after the document is unread text, as in `from_str`.
    de.end()
}

/// Why a document could not be read, without quoting it: our visitors accept
/// every JSON shape, so errors are syntax errors and say only where.
pub(super) fn describe(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let what = match e.classify() {
        Category::Eof => "ADF is cut off (JSON ends early)",
        Category::Syntax => "ADF is not valid JSON",
        Category::Io | Category::Data => "ADF could not be read",
    };
    format!(
        "{what} at line {} column {}; the rest of the document was not read",
        e.line(),
        e.column()
    )
}

/// The keys of a node object that mean something to us.
enum Key {
    Type,
    Attrs,
    Text,
    Marks,
    Content,
    Other,
}

impl<'de> serde::Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_str<E: serde::de::Error>(self, k: &str) -> Result<Key, E> {
                Ok(match k {
                    "type" => Key::Type,
                    "attrs" => Key::Attrs,
                    "text" => Key::Text,
                    "marks" => Key::Marks,
                    "content" => Key::Content,
                    _ => Key::Other,
                })
            }
        }
        d.deserialize_identifier(KeyVisitor)
    }
}

/// The document's root value.
struct Root<'w> {
    w: &'w mut Walker,
}

impl<'de> DeserializeSeed<'de> for Root<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Root<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an ADF document")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        node(self.w, map, true)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        // A bare list of nodes: not a document, but its text is still text.
        self.w
            .warnings
            .push("ADF root is an array, not a doc node".to_string());
        children(self.w, seq)
    }
    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<(), E> {
        // A JSON document that is a string holding the ADF (an export's
        // double encoding).
        self.w.unwrap_string(s);
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        self.not_an_object()
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        self.not_an_object()
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        self.not_an_object()
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        self.not_an_object()
    }
}

impl Root<'_> {
    fn not_an_object<E>(self) -> Result<(), E> {
        self.w
            .warnings
            .push("ADF root is not an object".to_string());
        Ok(())
    }
}

/// One element of a `content` array.
struct Node<'w> {
    w: &'w mut Walker,
}

impl<'de> DeserializeSeed<'de> for Node<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Node<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an ADF node")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        node(self.w, map, false)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.w.warn("node is not an object");
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        self.not_an_object()
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        self.not_an_object()
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        self.not_an_object()
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        self.not_an_object()
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        self.not_an_object()
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        self.not_an_object()
    }
}

impl Node<'_> {
    fn not_an_object<E>(self) -> Result<(), E> {
        self.w.warn("node is not an object");
        Ok(())
    }
}

/// A node's `content` value: an array of nodes (anything else is a warning).
struct Content<'w> {
    w: &'w mut Walker,
}

impl<'de> DeserializeSeed<'de> for Content<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Content<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of ADF nodes")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        children(self.w, seq)
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        self.w.warn("content is not an array");
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        self.not_an_array()
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        self.not_an_array()
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        self.not_an_array()
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        self.not_an_array()
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        self.not_an_array()
    }
}

impl Content<'_> {
    fn not_an_array<E>(self) -> Result<(), E> {
        self.w.warn("content is not an array");
        Ok(())
    }
}

/// Reads the nodes of an array, each at its index on the warning path.
fn children<'de, A: SeqAccess<'de>>(w: &mut Walker, mut seq: A) -> Result<(), A::Error> {
    let mut i = 0;
    loop {
        w.path.push(i);
        let more = seq.next_element_seed(Node { w: &mut *w })?;
        w.path.pop();
        if more.is_none() {
            return Ok(());
        }
        i += 1;
    }
}

/// A buffered field. Dismantled on drop: a hostile deep `attrs` must not
/// overflow the stack when it goes away.
fn field<'de, A: MapAccess<'de>>(map: &mut A) -> Result<Deep, A::Error> {
    Ok(Deep(Some(map.next_value::<Value>()?)))
}

/// Reads one node object: its fields, then (or, when the keys come in
/// another order, around) its children.
fn node<'de, A: MapAccess<'de>>(w: &mut Walker, mut map: A, root: bool) -> Result<(), A::Error> {
    let (mut ty, mut attrs, mut text, mut marks) = (None, None, None, None);
    // The type the node had when its content was read, if it was.
    let mut opened_as: Option<Option<String>> = None;
    while let Some(key) = map.next_key::<Key>()? {
        match key {
            Key::Type => ty = Some(field(&mut map)?),
            Key::Attrs => attrs = Some(field(&mut map)?),
            Key::Text => text = Some(field(&mut map)?),
            Key::Marks => marks = Some(field(&mut map)?),
            Key::Content if opened_as.is_none() => {
                let f = fields(&ty, &attrs, &text, &marks);
                let t = f.ty.map(str::to_owned);
                if shape(f.ty) == Shape::Container {
                    w.open(&f);
                    map.next_value_seed(Content { w: &mut *w })?;
                    w.block();
                    opened_as = Some(t);
                } else {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            // A repeated `content` key (invalid JSON for ADF, but parsers
            // take the last): its nodes are text all the same.
            Key::Content => {
                map.next_value_seed(Content { w: &mut *w })?;
                w.block();
            }
            Key::Other => {
                map.next_value::<IgnoredAny>()?;
            }
        }
    }
    let f = fields(&ty, &attrs, &text, &marks);
    if root {
        w.check_root(f.ty);
    }
    match opened_as {
        None => w.leaf(&f),
        // The fields came after the content: add what they say now.
        Some(t) if t.as_deref() != f.ty => w.leaf(&f),
        Some(_) => {}
    }
    Ok(())
}

fn fields<'a>(
    ty: &'a Option<Deep>,
    attrs: &'a Option<Deep>,
    text: &'a Option<Deep>,
    marks: &'a Option<Deep>,
) -> Fields<'a> {
    let get = |d: &'a Option<Deep>| d.as_ref().and_then(|d| d.0.as_ref());
    Fields {
        ty: get(ty).and_then(Value::as_str),
        attrs: get(attrs),
        text: get(text),
        marks: get(marks),
    }
}
