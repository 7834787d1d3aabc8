//! What the Confluence crawler remembers per page and per comment, held
//! compactly: a site of a million items has several million comments, and
//! a `String` key with a `String` container and URL per entry cost about
//! 200 bytes an item (a 200,000-item crawl's largest structure after the
//! answers in flight). Confluence ids are numbers, so they are kept as
//! `u64` keys; anything else (never seen, but not refused) falls back to a
//! text key.

use crate::model::ItemKind;
use std::collections::HashMap;
use std::sync::Arc;

/// A comment or item id, held without an allocation when numeric.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Id {
    Num(u64),
    Text(Box<str>),
}

impl Id {
    /// Called for every lookup, so the canonical check allocates nothing.
    pub fn new(s: &str) -> Id {
        // Only the canonical form: "007" and "+7" must stay as written.
        let canonical = s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'));
        match s.parse::<u64>() {
            Ok(n) if canonical => Id::Num(n),
            _ => Id::Text(s.into()),
        }
    }
}

impl std::fmt::Display for Id {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Id::Num(n) => write!(f, "{n}"),
            Id::Text(s) => f.write_str(s),
        }
    }
}

/// A page or blog post the account can see: what its comments' documents need.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Owner {
    pub container: String,
    pub kind: ItemKind,
    pub url: String,
}

/// One owner as stored: the space is shared, the URL kept without the
/// site's base (every item's URL starts with it).
#[derive(Debug)]
struct Stored {
    container: Arc<str>,
    kind: ItemKind,
    /// The URL, less `base` when it began with it (`trimmed`).
    url: Box<str>,
    trimmed: bool,
}

/// Pages and blog posts by id.
#[derive(Debug, Default)]
pub(crate) struct OwnerMap {
    base: String,
    spaces: HashMap<Box<str>, Arc<str>>,
    num: HashMap<u64, Stored>,
    text: HashMap<Box<str>, Stored>,
}

impl OwnerMap {
    /// `base`: the prefix every item URL shares (the site's web base).
    pub fn new(base: &str) -> OwnerMap {
        OwnerMap {
            base: base.to_string(),
            ..OwnerMap::default()
        }
    }

    pub fn insert(&mut self, id: &str, owner: Owner) {
        let container = match self.spaces.get(owner.container.as_str()) {
            Some(c) => c.clone(),
            None => {
                let c: Arc<str> = owner.container.as_str().into();
                self.spaces.insert(owner.container.into(), c.clone());
                c
            }
        };
        let (url, trimmed) = match owner.url.strip_prefix(self.base.as_str()) {
            Some(rest) if !self.base.is_empty() => (rest.into(), true),
            _ => (owner.url.into(), false),
        };
        let stored = Stored {
            container,
            kind: owner.kind,
            url,
            trimmed,
        };
        match Id::new(id) {
            Id::Num(n) => {
                self.num.insert(n, stored);
            }
            Id::Text(t) => {
                self.text.insert(t, stored);
            }
        }
    }

    pub fn get(&self, id: &str) -> Option<Owner> {
        let stored = match Id::new(id) {
            Id::Num(n) => self.num.get(&n),
            Id::Text(t) => self.text.get(&t),
        }?;
        let url = if stored.trimmed {
            format!("{}{}", self.base, stored.url)
        } else {
            stored.url.to_string()
        };
        Some(Owner {
            container: stored.container.to_string(),
            kind: stored.kind,
            url,
        })
    }

    pub fn len(&self) -> usize {
        self.num.len() + self.text.len()
    }

    /// Every id, numeric ones first in no particular order.
    pub fn ids(&self) -> Vec<String> {
        self.num
            .keys()
            .map(u64::to_string)
            .chain(self.text.keys().map(|t| t.to_string()))
            .collect()
    }
}

/// What a comment id stands for in the walk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Seen {
    pub owner: Id,
    /// Read from a listing (site-wide or per item), not only from `/children`.
    pub listed: bool,
    /// Its replies were asked for.
    pub walked: bool,
}

const LISTED: u64 = 1 << 62;
const WALKED: u64 = 1 << 63;
const OWNER: u64 = LISTED - 1;

/// Every comment the walk met, by id: 16 bytes an entry when the comment
/// and its owner have numeric ids below 2^62 (the owner and two flags in
/// one word), else a text entry.
#[derive(Debug, Default)]
pub(crate) struct SeenMap {
    num: HashMap<u64, u64>,
    other: HashMap<Id, Seen>,
}

impl SeenMap {
    pub fn insert(&mut self, id: &str, seen: Seen) {
        let key = Id::new(id);
        match (&key, &seen.owner) {
            (Id::Num(k), Id::Num(o)) if *o <= OWNER => {
                let word =
                    o | if seen.listed { LISTED } else { 0 } | if seen.walked { WALKED } else { 0 };
                self.other.remove(&key);
                self.num.insert(*k, word);
            }
            _ => {
                if let Id::Num(k) = key {
                    self.num.remove(&k);
                }
                self.other.insert(key, seen);
            }
        }
    }

    pub fn get(&self, id: &str) -> Option<Seen> {
        let key = Id::new(id);
        if let Id::Num(k) = key {
            if let Some(word) = self.num.get(&k) {
                return Some(Seen {
                    owner: Id::Num(word & OWNER),
                    listed: word & LISTED != 0,
                    walked: word & WALKED != 0,
                });
            }
        }
        self.other.get(&key).cloned()
    }

    pub fn contains(&self, id: &str) -> bool {
        match Id::new(id) {
            Id::Num(k) if self.num.contains_key(&k) => true,
            key => self.other.contains_key(&key),
        }
    }

    /// Change an entry in place; `false` (and nothing changed) for an id
    /// never seen.
    pub fn update(&mut self, id: &str, change: impl FnOnce(&mut Seen)) -> bool {
        let Some(mut seen) = self.get(id) else {
            return false;
        };
        change(&mut seen);
        self.insert(id, seen);
        true
    }

    pub fn is_empty(&self) -> bool {
        self.num.is_empty() && self.other.is_empty()
    }

    /// The ids whose replies were not asked for yet.
    pub fn not_walked(&self) -> Vec<String> {
        self.num
            .iter()
            .filter(|(_, w)| *w & WALKED == 0)
            .map(|(k, _)| k.to_string())
            .chain(
                self.other
                    .iter()
                    .filter(|(_, s)| !s.walked)
                    .map(|(k, _)| k.to_string()),
            )
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner(container: &str, url: &str) -> Owner {
        Owner {
            container: container.into(),
            kind: ItemKind::Page,
            url: url.into(),
        }
    }

    #[test]
    fn owners_come_back_as_they_went_in_whatever_their_id_or_url() {
        let mut m = OwnerMap::new("https://acme.atlassian.net/wiki");
        let a = owner(
            "ENG",
            "https://acme.atlassian.net/wiki/spaces/ENG/pages/42/T",
        );
        let b = owner("OPS", "https://elsewhere.example/x");
        let c = owner(
            "ENG",
            "https://acme.atlassian.net/wiki/spaces/ENG/pages/abc",
        );
        m.insert("42", a.clone());
        m.insert("0042", b.clone());
        m.insert("abc", c.clone());
        m.insert("+5", owner("OPS", "x"));
        assert_eq!(m.get("5"), None);
        assert_eq!(m.get("42"), Some(a));
        assert_eq!(m.get("0042"), Some(b));
        assert_eq!(m.get("abc"), Some(c));
        assert_eq!(m.get("43"), None);
        assert_eq!(m.len(), 4);
        let mut ids = m.ids();
        ids.sort();
        assert_eq!(ids, ["+5", "0042", "42", "abc"]);
        // The same space is held once.
        assert_eq!(m.spaces.len(), 2);
    }

    #[test]
    fn an_empty_base_keeps_urls_whole() {
        let mut m = OwnerMap::new("");
        let a = owner("ENG", "/spaces/ENG/pages/1");
        m.insert("1", a.clone());
        assert_eq!(m.get("1"), Some(a));
    }

    #[test]
    fn seen_entries_keep_their_owner_and_flags_in_either_form() {
        let mut s = SeenMap::default();
        let cases = [
            ("100", Id::new("7"), true, false),
            ("101", Id::new("7"), false, true),
            ("102", Id::Num(u64::MAX), true, true),
            ("x-1", Id::new("8"), false, false),
            ("103", Id::new("page-9"), true, false),
        ];
        for (id, owner, listed, walked) in &cases {
            s.insert(
                id,
                Seen {
                    owner: owner.clone(),
                    listed: *listed,
                    walked: *walked,
                },
            );
        }
        for (id, owner, listed, walked) in &cases {
            let got = s.get(id).expect("inserted");
            assert_eq!(
                (&got.owner, got.listed, got.walked),
                (owner, *listed, *walked),
                "{id}"
            );
        }
        assert!(s.get("104").is_none() && !s.contains("104") && s.contains("x-1"));
        let mut open = s.not_walked();
        open.sort();
        assert_eq!(open, ["100", "103", "x-1"]);
        s.update("100", |e| e.walked = true);
        s.update("103", |e| e.listed = false);
        assert!(!s.update("999", |e| e.walked = true));
        assert!(s.get("100").is_some_and(|e| e.walked && e.listed));
        assert!(s.get("103").is_some_and(|e| !e.listed));
        assert!(s.get("999").is_none());
        // An entry moving between forms is never held twice.
        s.insert(
            "100",
            Seen {
                owner: Id::new("page-1"),
                listed: false,
                walked: false,
            },
        );
        assert_eq!(s.get("100").map(|e| e.owner), Some(Id::new("page-1")));
        assert_eq!(s.num.len() + s.other.len(), 5);
    }
}
