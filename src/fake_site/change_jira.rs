//! Changes to a site's Jira data, for rescan tests and benchmarks: a
//! fraction of the issues edited (a new description) or commented on, one
//! comment deleted, one issue deleted, one new project with a few issues.
//! Every touched issue's `updated` becomes now, as Jira does when an issue is
//! edited or commented on (atlassian-api.md §8: adding a comment bumps the
//! issue's `updated`). [`change`] returns what it did, so that a test can
//! assert that a rescan reports exactly that.

use super::data::s;
use super::generate::{account, adf, prose};
use super::util::SplitMix;
use super::SiteData;
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashSet};

/// The key of the project [`change`] adds.
pub const NEW_PROJECT_KEY: &str = "FRESH";
/// Issues the new project holds.
const NEW_PROJECT_ISSUES: usize = 3;

/// What [`change`] did. Keys are issue keys; the deleted issue, the
/// deleted comment and the new project are `None` when the site had nothing
/// to take them from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JiraChanges {
    /// Issues given a new description.
    pub edited: BTreeSet<String>,
    /// (issue, new comment id).
    pub commented: BTreeSet<(String, String)>,
    /// (issue, comment id) of the comment deleted.
    pub deleted_comment: Option<(String, String)>,
    /// (project key, issue key) of the issue deleted.
    pub deleted_issue: Option<(String, String)>,
    /// The new project's key and the keys of its issues.
    pub new_project: Option<(String, Vec<String>)>,
}

impl JiraChanges {
    /// Every issue a rescan must read again: the edited, the commented, the
    /// one that lost a comment, and the new project's.
    pub fn changed_issues(&self) -> BTreeSet<String> {
        let mut out = self.edited.clone();
        out.extend(self.commented.iter().map(|(k, _)| k.clone()));
        out.extend(self.deleted_comment.iter().map(|(k, _)| k.clone()));
        if let Some((_, issues)) = &self.new_project {
            out.extend(issues.iter().cloned());
        }
        out
    }
}

/// Jira's `updated` form for now: `2026-12-06T01:02:03.456+0000`.
pub fn jira_now() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%S%.3f%z")
        .to_string()
}

/// Change `fraction` of `data`'s issues (at least one), chosen by `seed`,
/// plus one deleted comment, one deleted issue and one new project.
pub fn change(data: &mut SiteData, fraction: f64, seed: u64) -> JiraChanges {
    let mut r = SplitMix(seed ^ 0xC4A9_6E5E_71AA);
    let now = jira_now();
    let mut out = JiraChanges::default();
    let mut next_comment = data
        .issues
        .facts()
        .map(|f| f.max_comment_id)
        .max()
        .unwrap_or(0);
    let wanted =
        ((data.issues.len() as f64 * fraction).round() as usize).clamp(1, data.issues.len().max(1));
    let picked = pick_distinct(&mut r, data.issues.len(), wanted + 2);
    let mut picked = picked.into_iter();
    for i in picked.by_ref().take(wanted) {
        let key = data.issues.fact(i).key.to_string();
        data.issues.with_mut(i, |issue| {
            if r.chance(0.5) {
                let paras = prose(&mut r, 2, 0.5);
                set_field(issue, "description", adf(&paras));
                out.edited.insert(key);
            } else {
                next_comment += 1;
                let id = next_comment.to_string();
                add_comment(&mut r, issue, &id, &now);
                out.commented.insert((key, id));
            }
            set_field(issue, "updated", json!(now));
        });
    }
    // One comment deleted, from an issue that has one and was not changed
    // otherwise (when there is such an issue).
    let rest: Vec<usize> = picked.collect();
    if let Some(&i) = rest.iter().find(|i| data.issues.fact(**i).comments > 0) {
        let key = data.issues.fact(i).key.to_string();
        let removed = data.issues.with_mut(i, |issue| {
            let id = remove_last_comment(issue);
            if id.is_some() {
                set_field(issue, "updated", json!(now));
            }
            id
        });
        if let Some(id) = removed.flatten() {
            out.deleted_comment = Some((key, id));
        }
    }
    let spared = out.changed_issues();
    if let Some(i) = rest
        .iter()
        .copied()
        .find(|i| !spared.contains(&*data.issues.fact(*i).key))
    {
        let is = data.issues.fact(i);
        let project = is.project_key.as_deref().unwrap_or_default().to_string();
        out.deleted_issue = Some((project, is.key.to_string()));
        data.issues.remove(i);
    }
    out.new_project = Some(new_project(data, &mut r, &mut next_comment, &now));
    out
}

/// `n` distinct positions below `len` (fewer when `len` is smaller).
fn pick_distinct(r: &mut SplitMix, len: usize, n: usize) -> Vec<usize> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    while out.len() < n.min(len) {
        let i = r.below(len);
        if seen.insert(i) {
            out.push(i);
        }
    }
    out
}

fn max_id<'a>(ids: impl Iterator<Item = &'a str>) -> u64 {
    ids.filter_map(|id| id.parse::<u64>().ok())
        .max()
        .unwrap_or(0)
}

fn set_field(issue: &mut Value, name: &str, v: Value) {
    if let Some(Value::Object(f)) = issue.get_mut("fields") {
        f.insert(name.to_string(), v);
    }
}

/// The issue's stored comment block, created when missing.
fn comment_block(issue: &mut Value) -> Option<&mut serde_json::Map<String, Value>> {
    let Some(Value::Object(f)) = issue.get_mut("fields") else {
        return None;
    };
    let block = f
        .entry("comment")
        .or_insert_with(|| json!({"comments": [], "maxResults": 0, "startAt": 0, "total": 0}));
    block.as_object_mut()
}

/// Keep the block's counts true to its comments.
fn recount(block: &mut serde_json::Map<String, Value>) {
    let n = block
        .get("comments")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    block.insert("total".into(), json!(n));
    block.insert("maxResults".into(), json!(n));
}

fn add_comment(r: &mut SplitMix, issue: &mut Value, id: &str, now: &str) {
    let (acc, name) = account(r);
    let paras = prose(r, 1, 0.5);
    let issue_id = s(issue, "id");
    let public = issue
        .pointer("/fields/project/projectTypeKey")
        .and_then(Value::as_str)
        == Some("service_desk");
    let mut c = json!({
        "author": {"accountId": acc, "active": true, "displayName": name},
        "body": adf(&paras),
        "created": now,
        "id": id,
        "self": format!("https://generated.atlassian.net/rest/api/3/issue/{issue_id}/comment/{id}"),
        "updated": now,
    });
    if public {
        c["jsdPublic"] = json!(r.chance(0.5));
    }
    if let Some(block) = comment_block(issue) {
        if let Some(Value::Array(list)) = block.get_mut("comments") {
            list.push(c);
        }
        recount(block);
    }
}

fn remove_last_comment(issue: &mut Value) -> Option<String> {
    let block = comment_block(issue)?;
    let removed = match block.get_mut("comments") {
        Some(Value::Array(list)) => list.pop(),
        _ => None,
    };
    recount(block);
    removed.map(|c| s(&c, "id"))
}

/// A new software project with a few issues, created now.
fn new_project(
    data: &mut SiteData,
    r: &mut SplitMix,
    next_comment: &mut u64,
    now: &str,
) -> (String, Vec<String>) {
    let project_id = (max_id(data.projects.facts().map(|p| &*p.id)) + 1)
        .max(10_000)
        .to_string();
    let name = "Fresh Initiative";
    data.projects.push(json!({
        "id": project_id,
        "isPrivate": false,
        "key": NEW_PROJECT_KEY,
        "name": name,
        "projectTypeKey": "software",
        "self": format!("https://generated.atlassian.net/rest/api/3/project/{project_id}"),
        "simplified": false,
        "style": "classic",
    }));
    let mut next_issue = max_id(data.issues.facts().map(|i| &*i.id));
    let mut keys = Vec::new();
    for n in 1..=NEW_PROJECT_ISSUES {
        next_issue += 1;
        let id = next_issue.to_string();
        let key = format!("{NEW_PROJECT_KEY}-{n}");
        let paras = prose(r, 2, 0.5);
        let mut issue = json!({
            "fields": {
                "created": now,
                "description": adf(&paras),
                "issuetype": {"name": "Task"},
                "project": {"id": project_id, "key": NEW_PROJECT_KEY, "name": name,
                            "projectTypeKey": "software"},
                "summary": format!("Kick-off task {n}"),
                "updated": now,
            },
            "id": id,
            "key": key,
            "self": format!("https://generated.atlassian.net/rest/api/3/issue/{id}"),
        });
        for _ in 0..n {
            *next_comment += 1;
            add_comment(r, &mut issue, &next_comment.to_string(), now);
        }
        data.issues.push(issue);
        keys.push(key);
    }
    (NEW_PROJECT_KEY.to_string(), keys)
}

#[cfg(test)]
mod tests {
    use super::super::data::issue_comments;
    use super::*;

    #[test]
    fn changes_what_it_says() {
        let before = SiteData::generate(600, 3);
        let mut after = before.clone();
        let ch = change(&mut after, 0.02, 9);
        let n = before.issues.len();
        assert_eq!(
            ch.edited.len() + ch.commented.len(),
            (n as f64 * 0.02).round() as usize
        );
        let (_, gone) = ch.deleted_issue.clone().expect("an issue deleted");
        assert!(!after.issues.iter().any(|i| s(&i, "key") == gone));
        assert!(!ch.changed_issues().contains(&gone));
        let (key, comment) = ch.deleted_comment.clone().expect("a comment deleted");
        let is = after.issues.iter().find(|i| s(i, "key") == key).unwrap();
        assert!(!issue_comments(&is).iter().any(|c| s(c, "id") == comment));
        for k in ch.changed_issues() {
            let is = after.issues.iter().find(|i| s(i, "key") == k).unwrap();
            assert!(is.pointer("/fields/updated").and_then(Value::as_str) > Some("2026-10"));
        }
        assert_eq!(after.issues.len(), n - 1 + NEW_PROJECT_ISSUES);
        assert_eq!(after.projects.len(), before.projects.len() + 1);
    }
}
