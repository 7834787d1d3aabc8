//! Changes to a site's Confluence content between two scans, for rescan
//! tests and benchmarks: edits with a version bump, new, edited and deleted
//! comments, one new space with a few pages, one deleted page. Every change
//! is dated now (`version.createdAt`), as the site would; the new space's
//! content is dated long before, as a space new to the store but old on the
//! site is. [`ConfluenceChanges`] lists what changed, by id, so that a test
//! can assert the rescan sends exactly that.

use super::data::{s, Collection, ContentFacts, Index, SiteData};
use super::util::SplitMix;
use serde_json::{json, Value};
use std::collections::HashSet;

/// What [`change_confluence`] changed: (space key, item id[, comment id]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfluenceChanges {
    /// Pages and blog posts edited (version bumped).
    pub edited: Vec<(String, String)>,
    /// Comments added to existing items.
    pub new_comments: Vec<(String, String, String)>,
    /// Comments edited (version bumped).
    pub edited_comments: Vec<(String, String, String)>,
    /// Comments deleted (their items stay).
    pub deleted_comments: Vec<(String, String, String)>,
    /// The space added, its pages and their comments.
    pub new_space: String,
    pub new_space_items: Vec<String>,
    pub new_space_comments: Vec<(String, String, String)>,
    /// The page deleted, with its comments.
    pub deleted_page: (String, String),
}

/// Change `fraction` of the visible pages and blog posts of `d` (at least
/// one), comment on half as many, and add, edit and delete as described in
/// the module docs. Deterministic for a seed (but for the dates).
pub fn change_confluence(d: &mut SiteData, fraction: f64, seed: u64) -> ConfluenceChanges {
    let mut r = SplitMix(seed ^ 0xC4A1_6E5E);
    let now = jiff::Timestamp::now().to_string();
    let ix = Index::build(d);
    let homepages: HashSet<String> = d.spaces.iter().map(|sp| s(&sp, "homepageId")).collect();
    let mut out = ConfluenceChanges::default();

    // Visible items as (is blog, index), in id order.
    let mut items: Vec<(bool, usize)> = ix.all_pages.iter().map(|i| (false, *i)).collect();
    items.extend(ix.all_blogs.iter().map(|i| (true, *i)));
    let n = ((items.len() as f64 * fraction).round() as usize).clamp(1, items.len().max(1));

    // The deleted page: a visible page that is no space's home page.
    let victim = ix
        .all_pages
        .iter()
        .copied()
        .find(|i| !homepages.contains(&*d.pages.fact(*i).id));
    let victim_id = victim
        .map(|i| d.pages.fact(i).id.to_string())
        .unwrap_or_default();

    let mut chosen = HashSet::new();
    while chosen.len() < n.min(items.len().saturating_sub(1)) {
        let (blog, i) = items[r.below(items.len())];
        if *content(d, blog).fact(i).id != *victim_id {
            chosen.insert((blog, i));
        }
    }
    let mut chosen: Vec<(bool, usize)> = chosen.into_iter().collect();
    chosen.sort();
    for (blog, i) in &chosen {
        content_mut(d, *blog).with_mut(*i, |obj| {
            bump(
                obj,
                &now,
                "<p>Edited: the call moved to the new bridge.</p>",
            )
        });
        let f = content(d, *blog).fact(*i);
        out.edited
            .push((space_key(d, &f.space_id), f.id.to_string()));
    }

    let mut next_comment = max_id(&d.footer_comments)
        .max(max_id(&d.inline_comments))
        .saturating_add(1000);
    // New comments on every other changed item.
    for (blog, i) in chosen.iter().step_by(2) {
        let f = content(d, *blog).fact(*i);
        let (key, item) = (space_key(d, &f.space_id), f.id.to_string());
        next_comment += 1;
        let c = comment(&next_comment.to_string(), *blog, &item, &now);
        d.footer_comments.push(c);
        out.new_comments.push((key, item, next_comment.to_string()));
    }

    // One comment edited, one deleted: leaves (no replies), on items that stay.
    let parents: HashSet<&str> = d
        .footer_comments
        .facts()
        .map(|c| &*c.parent_comment_id)
        .collect();
    let leaves: Vec<usize> = ix
        .footer
        .all
        .iter()
        .copied()
        .filter(|i| {
            let c = d.footer_comments.fact(*i);
            !parents.contains(&*c.id) && c.owner() != victim_id
        })
        .collect();
    if leaves.len() >= 2 {
        let edit = leaves[r.below(leaves.len() / 2)];
        let gone = leaves[leaves.len() / 2 + r.below(leaves.len() - leaves.len() / 2)];
        d.footer_comments
            .with_mut(edit, |c| bump(c, &now, "<p>Edited comment.</p>"));
        for (at, list) in [
            (edit, &mut out.edited_comments),
            (gone, &mut out.deleted_comments),
        ] {
            let c = d.footer_comments.fact(at);
            list.push((
                owner_space_key(d, c.owner()),
                c.owner().to_string(),
                c.id.to_string(),
            ));
        }
        d.footer_comments.remove(gone);
    }

    // The deleted page and its comments.
    if let Some(i) = victim {
        let key = space_key(d, &d.pages.fact(i).space_id);
        d.pages.remove(i);
        d.footer_comments.retain(|c| c.owner() != victim_id);
        d.inline_comments.retain(|c| c.owner() != victim_id);
        out.deleted_page = (key, victim_id);
    }

    new_space(d, &mut out, &mut next_comment);
    out
}

/// The key of the space with this id ("" when there is none).
fn space_key(d: &SiteData, space_id: &str) -> String {
    d.spaces
        .facts()
        .find(|sp| *sp.id == *space_id)
        .map(|sp| sp.key.to_string())
        .unwrap_or_default()
}

fn content(d: &SiteData, blog: bool) -> &Collection<ContentFacts> {
    if blog {
        &d.blogposts
    } else {
        &d.pages
    }
}

fn content_mut(d: &mut SiteData, blog: bool) -> &mut Collection<ContentFacts> {
    if blog {
        &mut d.blogposts
    } else {
        &mut d.pages
    }
}

fn owner_space_key(d: &SiteData, owner: &str) -> String {
    let space = d
        .pages
        .facts()
        .chain(d.blogposts.facts())
        .find(|p| *p.id == *owner)
        .map(|p| p.space_id.to_string())
        .unwrap_or_default();
    space_key(d, &space)
}

fn max_id(v: &Collection<ContentFacts>) -> u64 {
    v.facts()
        .filter_map(|f| f.id.parse::<u64>().ok())
        .max()
        .unwrap_or(0)
}

/// An edit: a new version dated `now`, and `more` appended to the body.
fn bump(obj: &mut Value, now: &str, more: &str) {
    let n = obj
        .pointer("/version/number")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    if let Some(v) = obj.get_mut("version").and_then(Value::as_object_mut) {
        v.insert("number".into(), json!(n + 1));
        v.insert("createdAt".into(), json!(now));
    }
    if let Some(b) = obj
        .pointer_mut("/body/storage/value")
        .and_then(|b| b.as_str().map(|s| format!("{s}{more}")))
    {
        if let Some(slot) = obj.pointer_mut("/body/storage/value") {
            *slot = json!(b);
        }
    }
}

fn comment(id: &str, blog: bool, owner: &str, at: &str) -> Value {
    let owner_key = if blog { "blogPostId" } else { "pageId" };
    json!({
        "_links": {"webui": format!("/pages/viewpage.action?pageId={owner}&focusedCommentId={id}")},
        "body": {"storage": {"representation": "storage", "value": "<p>New comment: ping me at new.commenter@example.com</p>"}},
        "id": id,
        "status": "current",
        "title": "Re: a change",
        owner_key: owner,
        "version": {"authorId": "557058:00000000-0000-4000-8000-0000000c4a16", "createdAt": at, "message": "", "minorEdit": false, "number": 1},
    })
}

/// A space new to the store, old on the site: three pages with a comment each.
fn new_space(d: &mut SiteData, out: &mut ConfluenceChanges, next_comment: &mut u64) {
    let space_id = d
        .spaces
        .facts()
        .filter_map(|sp| sp.id.parse::<u64>().ok())
        .max()
        .unwrap_or(98_306)
        + 32_768;
    let key = "NEWSPC";
    let old = "2026-01-03T10:00:00.000Z";
    d.spaces.push(json!({
        "_links": {"webui": format!("/spaces/{key}")},
        "authorId": "557058:00000000-0000-4000-8000-0000000c4a16",
        "createdAt": old,
        "homepageId": null,
        "id": space_id.to_string(),
        "key": key,
        "name": "Newly crawled",
        "status": "current",
        "type": "global",
    }));
    let mut next_item = max_id(&d.pages).max(max_id(&d.blogposts)) + 100;
    out.new_space = key.to_string();
    for k in 0..3 {
        next_item += 1;
        let id = next_item.to_string();
        d.pages.push(json!({
            "_links": {"webui": format!("/spaces/{key}/pages/{id}/Page+{k}")},
            "authorId": "557058:00000000-0000-4000-8000-0000000c4a16",
            "body": {"storage": {"representation": "storage", "value": format!("<p>Old page {k} of a new space.</p>")}},
            "createdAt": old,
            "id": id,
            "spaceId": space_id.to_string(),
            "status": "current",
            "title": format!("Old page {k}"),
            "version": {"authorId": "557058:00000000-0000-4000-8000-0000000c4a16", "createdAt": old, "message": "", "minorEdit": false, "number": 2},
        }));
        *next_comment += 1;
        let cid = next_comment.to_string();
        d.footer_comments.push(comment(&cid, false, &id, old));
        out.new_space_items.push(id.clone());
        out.new_space_comments.push((key.to_string(), id, cid));
    }
}
