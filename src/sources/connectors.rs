//! The Teamwork Graph connector inventory, as the admin supplies it: no public
//! API lists an organization's connectors (atlassian-api.md §6).
//!
//! TOML (`[[connector]]` tables) or CSV with the header
//! `name,type,sync,scope,owner,notes`. Each connector becomes a container of
//! its own with one item, its inventory record, whose name, scope and notes are
//! scanned like any other text: that is all of a connector withhold can read.

use crate::model::{
    Container, ContainerId, ContainerKind, Document, Field, Item, ItemKind, Origin, Product,
};
use crate::sources::{ItemUnit, SourceEvent};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The connector types Atlassian documents; anything else is `other`.
pub const KNOWN_TYPES: [&str; 7] = [
    "google-drive",
    "slack",
    "sharepoint",
    "github",
    "salesforce",
    "custom-website",
    "figma",
];

/// How a connector brings content in (atlassian-api.md §6).
pub const SYNC_MODES: [&str; 3] = ["synced", "direct", "smart-link"];

/// One connector of the inventory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectorRecord {
    /// The container key: the name made unique and URL-safe.
    #[serde(skip)]
    pub key: String,
    pub name: String,
    /// One of [`KNOWN_TYPES`] or a free word (then weighed as `other`).
    #[serde(rename = "type")]
    pub kind: String,
    /// One of [`SYNC_MODES`].
    pub sync: String,
    #[serde(default)]
    pub scope: String,
    #[serde(default)]
    pub owner: String,
    #[serde(default)]
    pub notes: String,
}

/// An inventory that could not be read; names the file and the line or field.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {message}")]
pub struct InventoryError {
    pub file: String,
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TomlInventory {
    #[serde(default)]
    connector: Vec<ConnectorRecord>,
}

/// Read an inventory: `.csv` as CSV, anything else as TOML.
pub fn load(path: &Path) -> Result<Vec<ConnectorRecord>, InventoryError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| InventoryError {
        file: file.clone(),
        message: format!("cannot read: {e}"),
    })?;
    let is_csv = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    if is_csv {
        from_csv(&file, &text)
    } else {
        from_toml(&file, &text)
    }
}

pub fn from_toml(file: &str, text: &str) -> Result<Vec<ConnectorRecord>, InventoryError> {
    let inv: TomlInventory = toml::from_str(text).map_err(|e| InventoryError {
        file: file.to_string(),
        message: e
            .to_string()
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(" "),
    })?;
    let records = inv
        .connector
        .into_iter()
        .enumerate()
        .map(|(i, r)| (format!("connector #{}", i + 1), r))
        .collect();
    finish(file, records)
}

pub fn from_csv(file: &str, text: &str) -> Result<Vec<ConnectorRecord>, InventoryError> {
    let err = |message: String| InventoryError {
        file: file.to_string(),
        message,
    };
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| err(format!("line 1: {e}")))?
        .clone();
    for required in ["name", "type", "sync"] {
        if !headers.iter().any(|h| h == required) {
            return Err(err(format!(
                "line 1: the header has no `{required}` column (expected name,type,sync,scope,owner,notes)"
            )));
        }
    }
    for h in headers.iter() {
        if !["name", "type", "sync", "scope", "owner", "notes"].contains(&h) {
            return Err(err(format!(
                "line 1: unknown column `{h}` (expected name,type,sync,scope,owner,notes)"
            )));
        }
    }
    let mut records = Vec::new();
    for row in reader.deserialize::<ConnectorRecord>() {
        let row = row.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            err(format!("line {line}: {e}"))
        })?;
        records.push((format!("line {}", records.len() + 2), row));
    }
    finish(file, records)
}

/// Normalise and check every record, and give each a unique key.
fn finish(
    file: &str,
    records: Vec<(String, ConnectorRecord)>,
) -> Result<Vec<ConnectorRecord>, InventoryError> {
    let mut out: Vec<ConnectorRecord> = Vec::with_capacity(records.len());
    for (place, mut r) in records {
        let err = |message: String| InventoryError {
            file: file.to_string(),
            message: format!("{place}: {message}"),
        };
        r.name = r.name.trim().to_string();
        if r.name.is_empty() {
            return Err(err("`name` is empty".into()));
        }
        r.kind = normalise_word(&r.kind);
        if r.kind.is_empty() {
            return Err(err(format!("`type` of {} is empty", r.name)));
        }
        r.sync = normalise_word(&r.sync);
        if !SYNC_MODES.contains(&r.sync.as_str()) {
            return Err(err(format!(
                "`sync` of {} is {:?}; expected one of {}",
                r.name,
                r.sync,
                SYNC_MODES.join(", ")
            )));
        }
        let base = slug(&r.name);
        let mut key = base.clone();
        let mut n = 2;
        while out.iter().any(|o| o.key == key) {
            key = format!("{base}-{n}");
            n += 1;
        }
        r.key = key;
        out.push(r);
    }
    Ok(out)
}

/// `Google Drive` → `google-drive`, `SMART_LINK` → `smart-link`.
fn normalise_word(s: &str) -> String {
    s.trim().to_ascii_lowercase().replace([' ', '_'], "-")
}

fn slug(name: &str) -> String {
    let mut s = String::new();
    for c in name.chars() {
        if c.is_alphanumeric() {
            s.extend(c.to_lowercase());
        } else if !s.ends_with('-') && !s.is_empty() {
            s.push('-');
        }
    }
    let s = s.trim_end_matches('-').to_string();
    format!("connector-{}", if s.is_empty() { "unnamed" } else { &s })
}

/// The connectors as source events: a container and its inventory record each.
pub fn events(records: &[ConnectorRecord]) -> Vec<SourceEvent> {
    let mut out = Vec::new();
    for r in records {
        out.push(SourceEvent::Container {
            container: Container {
                product: Product::Connector,
                kind: ContainerKind::Connector,
                id: r.key.clone(),
                key: r.key.clone(),
                name: r.name.clone(),
                url: String::new(),
                created: None,
            },
            name: None,
        });
        let origin = |field| Origin {
            product: Product::Connector,
            container_key: r.key.clone(),
            item_id: r.key.clone(),
            item_url: String::new(),
            field,
            comment_id: None,
        };
        // The owner is a colleague of the admin, not content: not scanned.
        let documents = [
            (Field::Title, &r.name),
            (Field::Body, &r.scope),
            (Field::Body, &r.notes),
        ]
        .into_iter()
        .filter(|(_, t)| !t.trim().is_empty())
        .map(|(field, text)| Document {
            origin: origin(field),
            text: text.clone(),
            offsets: Default::default(),
        })
        .collect();
        out.push(SourceEvent::Unit(ItemUnit {
            item: Item {
                container: ContainerId::new(Product::Connector, &r.key),
                id: r.key.clone(),
                kind: ItemKind::ConnectorRecord,
                title: r.name.clone(),
                url: String::new(),
                version: None,
                updated: None,
            },
            documents,
            warnings: Vec::new(),
            unread: Vec::new(),
            comments: Default::default(),
        }));
        out.push(SourceEvent::ContainerInventoryOnly {
            id: ContainerId::new(Product::Connector, &r.key),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_and_csv_read_the_same_inventory() {
        let toml = r#"
[[connector]]
name = "Google Drive"
type = "Google Drive"
sync = "synced"
scope = "Shared drives: HR, Finance"
owner = "it@acme.example"

[[connector]]
name = "Slack"
type = "slack"
sync = "direct"
"#;
        let csv = "name,type,sync,scope,owner,notes\nGoogle Drive,google-drive,synced,\"Shared drives: HR, Finance\",it@acme.example,\nSlack,slack,direct,,,\n";
        let a = from_toml("c.toml", toml).unwrap();
        let b = from_csv("c.csv", csv).unwrap();
        assert_eq!(a, b);
        assert_eq!(a[0].kind, "google-drive");
        assert_eq!(a[0].key, "connector-google-drive");
    }

    #[test]
    fn errors_name_the_file_and_the_line() {
        let e = from_csv("inv.csv", "name,type,sync\nDrive,google-drive,sometimes\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("inv.csv: line 2:"), "{e}");
        assert!(e.contains("smart-link"), "{e}");
        let e = from_csv("inv.csv", "name,kind,sync\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 1") && e.contains("`type`"), "{e}");
        let e = from_toml(
            "inv.toml",
            "[[connector]]\nname = \"x\"\ntype = \"slack\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("inv.toml: ") && e.contains("sync"), "{e}");
    }

    #[test]
    fn duplicate_names_get_distinct_keys() {
        let csv = "name,type,sync\nWebsite,custom-website,synced\nWebsite,custom-website,synced\n";
        let r = from_csv("c.csv", csv).unwrap();
        assert_eq!(r[0].key, "connector-website");
        assert_eq!(r[1].key, "connector-website-2");
    }
}
