//! `scan --path`: files on disk, one document per file.
//!
//! The container of a file is the first directory level under the PATH it was
//! found through, and its item id the path relative to PATH. The body format
//! is detected from the extension and the content: Confluence storage / HTML,
//! ADF JSON (also with a byte-order mark, or held in a JSON string as some
//! exports write it), or plain text. A body that could not be read to the
//! end (broken ADF, over the size cap) makes its file a failed item.
//!
//! Hidden files and folders are read (`.env` is where secrets live);
//! symbolic links are followed, and a link back to an ancestor is reported
//! as a loop rather than followed again; `.git/objects` is skipped (its
//! compressed objects hold no text) and said. Anything skipped or unreadable
//! is a failure named by path and reason, so its directory is never complete.

use crate::interrupt::Interrupt;
use crate::model::{
    Container, ContainerId, ContainerKind, Document, Field, Item, ItemKind, Origin, Product,
};
use crate::sources::{ItemFailure, ItemUnit, SourceData};
use crate::text::{adf_to_text, storage_to_text, Extracted};
use std::collections::BTreeMap;
use std::path::Path;

/// Files larger than this are not read whole into memory... nor skipped
/// silently: they are reported as failures so the container is partial.
const MAX_FILE_BYTES: u64 = 256 << 20;

/// How a file's body is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFormat {
    Storage,
    Adf,
    Plain,
}

/// Decide a body's format from its file name and first bytes.
pub fn detect_format(name: &str, content: &str) -> BodyFormat {
    let lower = name.to_ascii_lowercase();
    let head = content
        .trim_start()
        .trim_start_matches('\u{FEFF}')
        .trim_start();
    if lower.ends_with(".json") || head.starts_with('{') {
        if head.starts_with('{') && head.contains("\"type\"") && head.contains("\"doc\"") {
            // Only a document whose root is `"type": "doc"` is ADF: a saved
            // REST answer (an issue holding ADF fields) is scanned as its
            // raw JSON text, so nothing of it goes unread. JSON that does
            // not parse stays ADF, and its reader says why it failed.
            return match crate::text::deep_json::root_type(head) {
                Ok(Some(t)) if t == "doc" => BodyFormat::Adf,
                Ok(_) => BodyFormat::Plain,
                Err(_) => BodyFormat::Adf,
            };
        }
        // A JSON string whose content is an ADF document: its quotes are escaped.
        let in_string = head.strip_prefix('"').map(str::trim_start);
        if in_string.is_some_and(|s| {
            s.starts_with('{') && s.contains("\\\"type\\\"") && s.contains("\\\"doc\\\"")
        }) {
            return BodyFormat::Adf;
        }
        return BodyFormat::Plain;
    }
    if [".html", ".htm", ".xhtml", ".xml", ".storage"]
        .iter()
        .any(|e| lower.ends_with(e))
        || head.starts_with('<')
    {
        return BodyFormat::Storage;
    }
    BodyFormat::Plain
}

/// Read every file under the given paths, hidden ones (`.env`) included,
/// following symbolic links (a link back to an ancestor is reported, not
/// followed again). What cannot be read, or is skipped, is a failure of its
/// container by name and reason, so that container is never complete. Stops
/// walking when `interrupt` is set.
pub fn collect(paths: &[std::path::PathBuf], interrupt: &Interrupt) -> SourceData {
    let mut data = SourceData::default();
    let mut containers: BTreeMap<String, Container> = BTreeMap::new();
    for root in paths {
        let root_name = root
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| root.display().to_string());
        let mut walker = walkdir::WalkDir::new(root)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter();
        while let Some(entry) = walker.next() {
            if interrupt.is_set() {
                break;
            }
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    let key = e
                        .path()
                        .and_then(|p| container_key(root, p, &root_name))
                        .unwrap_or_else(|| root_name.clone());
                    let reason = match (e.loop_ancestor(), e.path()) {
                        (Some(ancestor), _) => format!(
                            "symbolic link loop: leads back to {}, not followed again",
                            relative(root, ancestor)
                        ),
                        _ => format!("cannot read: {}", walk_error_reason(&e)),
                    };
                    data.failures.push(ItemFailure {
                        container: ContainerId::new(Product::Files, key),
                        item_id: e.path().map(|p| relative(root, p)).unwrap_or_default(),
                        reason,
                    });
                    continue;
                }
            };
            if entry.file_type().is_dir() && is_git_objects(entry.path()) {
                // Compressed (zlib) object files hold no readable text; the
                // rest of .git (config with credentials in remote URLs,
                // logs) is plain text and is scanned.
                walker.skip_current_dir();
                data.failures.push(ItemFailure {
                    container: ContainerId::new(
                        Product::Files,
                        container_key(root, entry.path(), &root_name)
                            .unwrap_or_else(|| root_name.clone()),
                    ),
                    item_id: relative(root, entry.path()),
                    reason: "skipped: git objects are compressed, so the history they hold is \
                             not scanned (scan it with a tool that reads git history)"
                        .into(),
                });
                continue;
            }
            if !entry.file_type().is_file() {
                continue;
            }
            let path = entry.path();
            let key = container_key(root, path, &root_name).unwrap_or_else(|| root_name.clone());
            containers.entry(key.clone()).or_insert_with(|| Container {
                product: Product::Files,
                kind: ContainerKind::Directory,
                id: key.clone(),
                key: key.clone(),
                name: key.clone(),
                url: String::new(),
                created: None,
            });
            let rel = path
                .strip_prefix(root)
                .ok()
                .filter(|r| !r.as_os_str().is_empty())
                .unwrap_or_else(|| Path::new(path.file_name().unwrap_or_default()))
                .to_string_lossy()
                .into_owned();
            match read_file(path) {
                Ok((content, mut warnings)) => {
                    let extracted = extract(&rel, &content);
                    drop(content);
                    warnings.extend(extracted.warnings);
                    let (text, offsets) = (extracted.text, extracted.offsets);
                    let unread: Vec<String> = extracted.failed.into_iter().collect();
                    let origin = Origin {
                        product: Product::Files,
                        container_key: key.clone(),
                        item_id: rel.clone(),
                        item_url: String::new(),
                        field: Field::Body,
                        comment_id: None,
                    };
                    data.units.push(ItemUnit {
                        item: Item {
                            container: ContainerId::new(Product::Files, key),
                            id: rel.clone(),
                            kind: ItemKind::File,
                            title: rel,
                            url: String::new(),
                            version: None,
                            updated: None,
                        },
                        documents: vec![Document {
                            origin,
                            text,
                            offsets,
                        }],
                        warnings,
                        unread,
                        comments: Default::default(),
                    });
                }
                Err(reason) => data.failures.push(ItemFailure {
                    container: ContainerId::new(Product::Files, key),
                    item_id: rel,
                    reason,
                }),
            }
        }
    }
    data.containers = containers.into_values().collect();
    data
}

/// `.git/objects` of a repository.
fn is_git_objects(dir: &Path) -> bool {
    dir.file_name().is_some_and(|n| n == "objects")
        && dir
            .parent()
            .and_then(Path::file_name)
            .is_some_and(|n| n == ".git")
}

/// A path as the outputs name it: relative to the PATH it was found through.
fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .ok()
        .filter(|r| !r.as_os_str().is_empty())
        .unwrap_or(path)
        .to_string_lossy()
        .into_owned()
}

/// The I/O reason of a walk error without the path (the item names it).
fn walk_error_reason(e: &walkdir::Error) -> String {
    match e.io_error() {
        Some(io) => io.to_string(),
        None => e.to_string(),
    }
}

fn container_key(root: &Path, path: &Path, root_name: &str) -> Option<String> {
    let rel = path.strip_prefix(root).ok()?;
    let mut comps = rel.components();
    let first = comps.next()?;
    // A file directly under PATH belongs to PATH itself.
    if comps.next().is_none() {
        return Some(root_name.to_string());
    }
    Some(first.as_os_str().to_string_lossy().into_owned())
}

fn read_file(path: &Path) -> Result<(String, Vec<String>), String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read: {e}"))?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(format!(
            "file is {} bytes, above the {} byte limit for one document",
            meta.len(),
            MAX_FILE_BYTES
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read: {e}"))?;
    match String::from_utf8(bytes) {
        Ok(s) => Ok((s, Vec::new())),
        Err(e) => {
            let s = String::from_utf8_lossy(e.as_bytes()).into_owned();
            Ok((
                s,
                vec!["not valid UTF-8; invalid bytes replaced".to_string()],
            ))
        }
    }
}

/// Plain text of one file's content.
fn extract(name: &str, content: &str) -> Extracted {
    match detect_format(name, content) {
        BodyFormat::Storage => storage_to_text(content),
        BodyFormat::Adf => adf_to_text(content),
        BodyFormat::Plain => Extracted::plain(content),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_detected_from_name_and_content() {
        assert_eq!(detect_format("a.html", "x"), BodyFormat::Storage);
        assert_eq!(detect_format("a.txt", "<p>x</p>"), BodyFormat::Storage);
        assert_eq!(
            detect_format("a.json", r#"{"type":"doc","version":1,"content":[]}"#),
            BodyFormat::Adf
        );
        assert_eq!(detect_format("a.json", r#"{"a":1}"#), BodyFormat::Plain);
        // A saved REST answer holding ADF fields is not itself ADF.
        assert_eq!(
            detect_format(
                "issue.json",
                r#"{"key":"A-1","fields":{"description":{"type":"doc","content":[]}}}"#
            ),
            BodyFormat::Plain
        );
        assert_eq!(detect_format("notes.txt", "hello"), BodyFormat::Plain);
    }

    #[test]
    fn containers_are_first_directory_level() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("ENG/runbooks")).unwrap();
        std::fs::write(dir.path().join("ENG/runbooks/db.txt"), "x").unwrap();
        std::fs::write(dir.path().join("top.txt"), "y").unwrap();
        let data = collect(&[dir.path().to_path_buf()], &Interrupt::default());
        let mut ids: Vec<(String, String)> = data
            .units
            .iter()
            .map(|u| (u.item.container.key.clone(), u.item.id.clone()))
            .collect();
        ids.sort();
        let root = dir
            .path()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let mut expected = vec![
            ("ENG".to_string(), "ENG/runbooks/db.txt".to_string()),
            (root, "top.txt".to_string()),
        ];
        expected.sort();
        assert_eq!(ids, expected);
    }
}
