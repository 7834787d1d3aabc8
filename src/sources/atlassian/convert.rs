//! Atlassian JSON objects → [`Container`]s, [`ItemUnit`]s and [`Document`]s.
//!
//! Shared by the offline demo (`sources::demo`) and the crawler, so that the
//! same objects give identical units, documents and origins whichever way
//! they were read. The functions take the JSON exactly as the REST APIs
//! return it (Confluence v2 space/page/blog post/comment objects, Jira v3
//! project/field/issue/comment objects).
//!
//! `base` is the site's web address (`https://acme.atlassian.net`), used only
//! to build the URLs people click; it is never the API gateway. Those URLs are
//! built from ids and keys only, never from the objects' `_links.webui`:
//! Confluence's web links end in a slug of the title
//! (`/spaces/ENG/pages/123/Card+4111+1111+1111+1111`), which would carry a
//! value found in the title into every output that shows a link. Confluence
//! opens `/wiki/spaces/KEY/pages/ID` without the slug and
//! `/wiki/pages/viewpage.action?pageId=ID` for any content id (blog posts
//! too); Jira opens `/browse/ISSUE-KEY`; both focus a comment with
//! `focusedCommentId=ID`.
//!
//! An inline comment's `properties.inlineOriginalSelection` is scanned as a
//! second document of that comment: it is a stored copy of page text that
//! stays with the comment when the page changes.

use crate::model::{
    Container, ContainerId, ContainerKind, Document, Field, Item, ItemKind, Origin, Product,
};
use crate::sources::ItemUnit;
use crate::text::{adf_value_to_text, storage_to_text, Extracted};
use serde_json::Value;
use std::collections::BTreeMap;
use url::Url;

/// A field of a JSON object as a string (numbers are written out; anything else is empty).
pub fn s(v: &Value, key: &str) -> String {
    match v.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// `base` with `segments` appended, each percent-encoded, and `query`: a key
/// or id from the site can add neither a path, a query nor a fragment. Empty
/// when `base` is not an absolute URL (nothing to link to).
fn web_url(base: &str, segments: &[&str], query: &[(&str, &str)]) -> String {
    let Ok(mut url) = Url::parse(base) else {
        return String::new();
    };
    match url.path_segments_mut() {
        Ok(mut path) => {
            path.pop_if_empty().extend(segments);
        }
        Err(()) => return String::new(),
    }
    if !query.is_empty() {
        url.query_pairs_mut().extend_pairs(query);
    }
    url.into()
}

/// A Confluence space: `{base}/wiki/spaces/{KEY}`.
pub fn space_url(base: &str, key: &str) -> String {
    web_url(base, &["wiki", "spaces", key], &[])
}

/// A Confluence page (`{base}/wiki/spaces/{KEY}/pages/{ID}`) or blog post
/// (`{base}/wiki/pages/viewpage.action?pageId={ID}`: blog links otherwise
/// carry a date and the title).
pub fn confluence_item_url(base: &str, space_key: &str, kind: ItemKind, id: &str) -> String {
    match kind {
        ItemKind::BlogPost => web_url(
            base,
            &["wiki", "pages", "viewpage.action"],
            &[("pageId", id)],
        ),
        _ => web_url(base, &["wiki", "spaces", space_key, "pages", id], &[]),
    }
}

/// A Jira project or issue: `{base}/browse/{KEY}`.
pub fn browse_url(base: &str, key: &str) -> String {
    web_url(base, &["browse", key], &[])
}

/// An item's URL focused on one of its comments (`focusedCommentId`, which
/// Confluence and Jira both read); empty stays empty.
pub fn comment_url(item_url: &str, comment_id: &str) -> String {
    match Url::parse(item_url) {
        Ok(mut url) => {
            url.query_pairs_mut()
                .append_pair("focusedCommentId", comment_id);
            url.into()
        }
        Err(_) => item_url.to_string(),
    }
}

/// A Confluence v2 space object → its container.
pub fn space_container(base: &str, sp: &Value) -> Container {
    Container {
        product: Product::Confluence,
        kind: ContainerKind::Space,
        id: s(sp, "id"),
        key: s(sp, "key"),
        name: s(sp, "name"),
        url: space_url(base, &s(sp, "key")),
        created: sp
            .get("createdAt")
            .and_then(Value::as_str)
            .map(str::to_string),
    }
}

/// The product of a Jira project: service-desk projects are JSM.
pub fn project_product(pr: &Value) -> Product {
    if s(pr, "projectTypeKey") == "service_desk" {
        Product::Jsm
    } else {
        Product::Jira
    }
}

/// A Jira v3 project object → its container.
pub fn project_container(base: &str, pr: &Value) -> Container {
    Container {
        product: project_product(pr),
        kind: ContainerKind::Project,
        id: s(pr, "id"),
        key: s(pr, "key"),
        name: s(pr, "name"),
        url: browse_url(base, &s(pr, "key")),
        // Jira does not say when a project was created.
        created: None,
    }
}

/// The document holding a container's name (metadata, contributed even when in-app data is off).
pub fn container_document(c: &Container) -> Document {
    let (text, offsets) = crate::text::normalise_mapped(&c.name);
    Document {
        origin: Origin {
            product: c.product,
            container_key: c.key.clone(),
            item_id: c.key.clone(),
            item_url: c.url.clone(),
            field: Field::ContainerName,
            comment_id: None,
        },
        text,
        offsets,
    }
}

/// A Confluence v2 page or blog post object (with `body.storage`) → its unit
/// (title and body documents; comments are added with [`add_confluence_comment`]).
pub fn confluence_unit(base: &str, space_key: &str, kind: ItemKind, p: &Value) -> ItemUnit {
    let id = s(p, "id");
    let url = confluence_item_url(base, space_key, kind, &id);
    let body = p
        .pointer("/body/storage/value")
        .and_then(Value::as_str)
        .unwrap_or("");
    let container = ContainerId::new(Product::Confluence, space_key);
    let mut unit = new_unit(container, &id, kind, &s(p, "title"), &url);
    unit.item.version = p.pointer("/version/number").and_then(Value::as_u64);
    unit.item.updated = p
        .pointer("/version/createdAt")
        .and_then(Value::as_str)
        .map(str::to_string);
    add_doc(&mut unit, Field::Body, None, storage_to_text(body));
    unit
}

/// The page or blog post a Confluence comment belongs to (empty when it names neither).
pub fn comment_owner(c: &Value) -> String {
    [s(c, "pageId"), s(c, "blogPostId")]
        .into_iter()
        .find(|x| !x.is_empty())
        .unwrap_or_default()
}

/// Add one Confluence v2 footer or inline comment (with `body.storage`) to its item's unit.
pub fn add_confluence_comment(unit: &mut ItemUnit, c: &Value) {
    add_confluence_comment_in_thread(unit, c, None);
}

/// [`add_confluence_comment`], for a reply read through the `/children` of
/// `parent` (used when the object does not carry its `parentCommentId`).
pub fn add_confluence_comment_in_thread(unit: &mut ItemUnit, c: &Value, parent: Option<&str>) {
    let body = c
        .pointer("/body/storage/value")
        .and_then(Value::as_str)
        .unwrap_or("");
    let id = s(c, "id");
    let reply_to = Some(s(c, "parentCommentId"))
        .filter(|p| !p.is_empty())
        .or_else(|| parent.map(str::to_string));
    if let Some(p) = reply_to {
        unit.comments.entry(id.clone()).or_default().reply_to = Some(p);
    }
    // A rescan compares it: a new or edited comment leaves its page's version as it was.
    if let Some(v) = c.pointer("/version/number").and_then(Value::as_u64) {
        unit.comments.entry(id.clone()).or_default().version = Some(v);
    }
    add_doc(
        unit,
        Field::Comment,
        Some(id.clone()),
        storage_to_text(body),
    );
    let selection = c
        .pointer("/properties/inlineOriginalSelection")
        .and_then(Value::as_str)
        .unwrap_or("");
    if !selection.trim().is_empty() {
        add_doc(unit, Field::Comment, Some(id), Extracted::plain(selection));
    }
}

/// The ids of the custom fields worth scanning (text area, text field, URL),
/// in the order `GET /rest/api/3/field` lists them.
pub fn jira_text_fields(fields: &[Value]) -> Vec<String> {
    fields
        .iter()
        .filter(|f| f.get("custom").and_then(Value::as_bool) == Some(true))
        .filter(|f| {
            let t = f
                .pointer("/schema/custom")
                .and_then(Value::as_str)
                .unwrap_or("");
            t.ends_with(":textarea") || t.ends_with(":textfield") || t.ends_with(":url")
        })
        .map(|f| s(f, "id"))
        .collect()
}

/// A Jira v3 issue object (ADF bodies) → its unit: summary, description, the
/// custom text fields, and the comments embedded in `fields.comment.comments`.
pub fn jira_unit(base: &str, product: Product, is: &Value, text_fields: &[String]) -> ItemUnit {
    let key = s(is, "key");
    let null = Value::Null;
    let f = is.get("fields").unwrap_or(&null);
    let project = f
        .pointer("/project/key")
        .and_then(Value::as_str)
        .unwrap_or("");
    let kind = if product == Product::Jsm {
        ItemKind::Request
    } else {
        ItemKind::Issue
    };
    let mut unit = new_unit(
        ContainerId::new(product, project),
        &key,
        kind,
        f.get("summary").and_then(Value::as_str).unwrap_or(""),
        &browse_url(base, &key),
    );
    unit.item.updated = f.get("updated").and_then(Value::as_str).map(str::to_string);
    if let Some(d) = f.get("description").filter(|d| !d.is_null()) {
        add_doc(&mut unit, Field::Body, None, adf_value_to_text(d));
    }
    for cf in text_fields {
        match f.get(cf) {
            Some(Value::String(t)) => add_doc(&mut unit, Field::Body, None, Extracted::plain(t)),
            Some(v @ Value::Object(_)) => {
                add_doc(&mut unit, Field::Body, None, adf_value_to_text(v))
            }
            _ => {}
        }
    }
    for c in jira_embedded_comments(is) {
        add_jira_comment(&mut unit, c);
    }
    unit
}

/// The comments a search result embeds in `fields.comment.comments`.
pub fn jira_embedded_comments(is: &Value) -> &[Value] {
    is.pointer("/fields/comment/comments")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// How many comments the issue has in all (`fields.comment.total`), when the result says.
pub fn jira_comment_total(is: &Value) -> Option<u64> {
    is.pointer("/fields/comment/total").and_then(Value::as_u64)
}

/// The project key of a Jira issue object.
pub fn jira_project_key(is: &Value) -> String {
    is.pointer("/fields/project/key")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

/// Add one Jira v3 comment (ADF body) to its issue's unit, recording whether
/// customers see it when the comment says (`jsdPublic`, JSM only).
pub fn add_jira_comment(unit: &mut ItemUnit, c: &Value) {
    let id = s(c, "id");
    if let Some(public) = c.get("jsdPublic").and_then(Value::as_bool) {
        unit.comments.entry(id.clone()).or_default().public = Some(public);
    }
    let body = c.get("body").unwrap_or(&Value::Null);
    add_doc(unit, Field::Comment, Some(id), adf_value_to_text(body));
}

/// A unit with its title document.
pub fn new_unit(
    container: ContainerId,
    id: &str,
    kind: ItemKind,
    title: &str,
    url: &str,
) -> ItemUnit {
    let mut unit = ItemUnit {
        item: Item {
            container,
            id: id.to_string(),
            kind,
            title: title.to_string(),
            url: url.to_string(),
            version: None,
            updated: None,
        },
        documents: Vec::new(),
        warnings: Vec::new(),
        unread: Vec::new(),
        comments: BTreeMap::new(),
    };
    add_doc(&mut unit, Field::Title, None, Extracted::plain(title));
    unit
}

/// Add one document to a unit; the origin's product follows the item kind.
/// A body that could not be read to the end marks the unit's item failed
/// (`unread`); the text read before the fault is still scanned.
pub fn add_doc(
    unit: &mut ItemUnit,
    field: Field,
    comment_id: Option<String>,
    extracted: Extracted,
) {
    unit.warnings.extend(extracted.warnings);
    if let Some(reason) = extracted.failed {
        let what = match &comment_id {
            Some(id) => format!("comment {id}"),
            None => field.as_str().to_string(),
        };
        unit.unread.push(format!("{what}: {reason}"));
    }
    let item_url = match &comment_id {
        Some(id) => comment_url(&unit.item.url, id),
        None => unit.item.url.clone(),
    };
    unit.documents.push(Document {
        origin: Origin {
            product: unit.item.container.product,
            container_key: unit.item.container.key.clone(),
            item_id: unit.item.id.clone(),
            item_url,
            field,
            comment_id,
        },
        text: extracted.text,
        offsets: extracted.offsets,
    });
}

/// Numeric-aware id order ("9" before "10"), used to put comments in a stable order.
pub fn id_order(a: &str, b: &str) -> std::cmp::Ordering {
    (a.len(), a).cmp(&(b.len(), b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn item_urls_are_built_from_ids_never_from_the_title_slug() {
        let base = "https://acme.atlassian.net";
        let p = json!({"id":"123","title":"Card 4111 1111 1111 1111 for jane@client.com",
            "_links":{"webui":"/spaces/ENG/pages/123/Card+4111+1111+1111+1111+for+jane%40client.com"},
            "body":{"storage":{"representation":"storage","value":"<p>x</p>"}}});
        let mut page = confluence_unit(base, "ENG", ItemKind::Page, &p);
        assert_eq!(
            page.item.url,
            "https://acme.atlassian.net/wiki/spaces/ENG/pages/123"
        );
        let blog = confluence_unit(base, "ENG", ItemKind::BlogPost, &p);
        assert_eq!(
            blog.item.url,
            "https://acme.atlassian.net/wiki/pages/viewpage.action?pageId=123"
        );
        let c = json!({"id":"77","pageId":"123","body":{"storage":{"value":"<p>c</p>"}}});
        add_confluence_comment(&mut page, &c);
        let comment = page.documents.last().unwrap();
        assert_eq!(
            comment.origin.item_url,
            "https://acme.atlassian.net/wiki/spaces/ENG/pages/123?focusedCommentId=77"
        );
        let is = json!({"key":"PAY-1","fields":{"summary":"SSN 536-22-0811","project":{"key":"PAY"},
            "comment":{"total":1,"comments":[{"id":"10001","body":{"type":"doc","version":1,"content":[]}}]}}});
        let issue = jira_unit(base, Product::Jira, &is, &[]);
        assert_eq!(issue.item.url, "https://acme.atlassian.net/browse/PAY-1");
        assert_eq!(
            issue.documents.last().unwrap().origin.item_url,
            "https://acme.atlassian.net/browse/PAY-1?focusedCommentId=10001"
        );
        let sp = json!({"id":"9","key":"~5570585c","name":"Jane 4111 1111 1111 1111",
            "_links":{"webui":"/spaces/~5570585c"}});
        assert_eq!(
            space_container(base, &sp).url,
            "https://acme.atlassian.net/wiki/spaces/~5570585c"
        );
        // A key or id cannot add a path, query or fragment of its own.
        assert_eq!(
            browse_url(base, "A/../x?y#z"),
            "https://acme.atlassian.net/browse/A%2F..%2Fx%3Fy%23z"
        );
    }

    #[test]
    fn jsm_comment_visibility_is_recorded() {
        let is = json!({"key":"HELP-1","fields":{"summary":"s","project":{"key":"HELP"},
            "comment":{"total":2,"comments":[
              {"id":"1","jsdPublic":true,"body":{"type":"doc","version":1,"content":[]}},
              {"id":"2","jsdPublic":false,"body":{"type":"doc","version":1,"content":[]}}]}}});
        let u = jira_unit("https://x", Product::Jsm, &is, &[]);
        assert_eq!(u.item.kind, ItemKind::Request);
        assert_eq!(u.comments.get("1").and_then(|m| m.public), Some(true));
        assert_eq!(u.comments.get("2").and_then(|m| m.public), Some(false));
        assert_eq!(u.documents.len(), 3);
        assert!(u.documents.iter().all(|d| d.origin.product == Product::Jsm));
    }

    #[test]
    fn text_fields_by_schema_suffix() {
        let f = vec![
            json!({"id":"customfield_1","custom":true,"schema":{"custom":"x:textarea"}}),
            json!({"id":"customfield_2","custom":true,"schema":{"custom":"x:select"}}),
            json!({"id":"customfield_3","custom":true,"schema":{"custom":"x:url"}}),
            json!({"id":"summary","custom":false,"schema":{"type":"string"}}),
        ];
        assert_eq!(jira_text_fields(&f), vec!["customfield_1", "customfield_3"]);
    }

    #[test]
    fn id_order_is_numeric() {
        let mut v = vec!["10", "9", "100", "11"];
        v.sort_by(|a, b| id_order(a, b));
        assert_eq!(v, vec!["9", "10", "11", "100"]);
    }

    #[test]
    fn an_inline_comments_original_selection_is_scanned_with_the_comment() {
        let mut unit = new_unit(
            ContainerId::new(Product::Confluence, "ENG"),
            "1",
            ItemKind::Page,
            "t",
            "https://x/p/1",
        );
        let c = json!({"id":"77","pageId":"1",
            "body":{"storage":{"representation":"storage","value":"<p>see this</p>"}},
            "properties":{"inlineMarkerRef":"m","inlineOriginalSelection":"SSN 536-22-0811"}});
        add_confluence_comment(&mut unit, &c);
        let comments: Vec<&str> = unit
            .documents
            .iter()
            .filter(|d| d.origin.comment_id.as_deref() == Some("77"))
            .map(|d| d.text.as_str())
            .collect();
        assert_eq!(comments, ["see this", "SSN 536-22-0811"]);
    }
}
