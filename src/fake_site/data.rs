//! The content a fake site serves: raw Atlassian-shaped JSON objects per
//! collection, exactly as the APIs return them, plus the index the server
//! and [`SiteData::summary`] use.

use anyhow::{anyhow, Context};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

/// Everything a fake site holds. Objects are kept as the APIs return them
/// (the layout of `fixtures/demo/`); comments carry `pageId`/`blogPostId`
/// and replies `parentCommentId`; issues carry every comment in
/// `fields.comment.comments` (the server trims that to 20 in searches).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SiteData {
    pub name: String,
    pub cloud_id: String,
    pub spaces: Vec<Value>,
    pub pages: Vec<Value>,
    pub blogposts: Vec<Value>,
    pub footer_comments: Vec<Value>,
    pub inline_comments: Vec<Value>,
    /// Page and blog post ids the scanning account may not see.
    pub hidden: Vec<String>,
    pub projects: Vec<Value>,
    pub fields: Vec<Value>,
    pub issues: Vec<Value>,
}

/// Counts of what a crawl can see, so tests can compute lower bounds on
/// request numbers. Everything here excludes hidden pages and their comments.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SiteSummary {
    pub spaces: usize,
    /// Visible pages per space id.
    pub pages_per_space: BTreeMap<String, usize>,
    /// Visible blog posts per space id.
    pub blogposts_per_space: BTreeMap<String, usize>,
    pub pages: usize,
    pub blogposts: usize,
    /// Root footer comments (no `parentCommentId`) on visible pages/posts.
    pub footer_root_comments: usize,
    /// Footer replies (any depth) on visible pages/posts.
    pub footer_replies: usize,
    pub inline_root_comments: usize,
    pub inline_replies: usize,
    /// Footer/inline comments per visible page or blog post id (roots + replies).
    pub comments_per_page: BTreeMap<String, usize>,
    pub projects: usize,
    /// Issues per project key.
    pub issues_per_project: BTreeMap<String, usize>,
    pub issues: usize,
    /// Comments per issue key.
    pub comments_per_issue: BTreeMap<String, usize>,
    pub issue_comments: usize,
    /// Issues whose comments do not all fit in a search result (more than 20).
    pub issues_over_20_comments: usize,
    pub hidden_page_ids: Vec<String>,
}

pub(crate) fn s(v: &Value, key: &str) -> String {
    match v.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// Order numeric ids numerically (and anything else after, by text).
pub(crate) fn id_order(a: &str, b: &str) -> std::cmp::Ordering {
    (a.len(), a).cmp(&(b.len(), b))
}

fn parse_array(name: &str, text: &str) -> anyhow::Result<Vec<Value>> {
    let v: Value = serde_json::from_str(text).with_context(|| name.to_string())?;
    match v {
        Value::Array(a) => Ok(a),
        _ => Err(anyhow!("{name}: expected a JSON array")),
    }
}

impl SiteData {
    /// The bundled demo site (`fixtures/demo/`, embedded in the binary).
    pub fn demo() -> anyhow::Result<SiteData> {
        Self::from_files(|name| {
            crate::sources::demo::DEMO_FILES
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, s)| s.to_string())
                .ok_or_else(|| anyhow!("demo file {name} is not bundled"))
        })
    }

    /// A directory laid out like `fixtures/demo/`.
    pub fn from_dir(dir: &Path) -> anyhow::Result<SiteData> {
        Self::from_files(|name| {
            let p = dir.join(name);
            std::fs::read_to_string(&p).with_context(|| p.display().to_string())
        })
    }

    fn from_files(read: impl Fn(&str) -> anyhow::Result<String>) -> anyhow::Result<SiteData> {
        let site: Value = serde_json::from_str(&read("site.json")?).context("site.json")?;
        let arr = |name: &str| -> anyhow::Result<Vec<Value>> { parse_array(name, &read(name)?) };
        let hidden = arr("confluence/hidden.json")?
            .iter()
            .map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect();
        Ok(SiteData {
            name: s(&site, "name"),
            cloud_id: s(&site, "cloudId"),
            spaces: arr("confluence/spaces.json")?,
            pages: arr("confluence/pages.json")?,
            blogposts: arr("confluence/blogposts.json")?,
            footer_comments: arr("confluence/footer-comments.json")?,
            inline_comments: arr("confluence/inline-comments.json")?,
            hidden,
            projects: arr("jira/projects.json")?,
            fields: arr("jira/fields.json")?,
            issues: arr("jira/issues.json")?,
        })
    }

    /// A synthetic site of about `items` pages, blog posts and issues.
    pub fn generate(items: usize, seed: u64) -> SiteData {
        super::generate::generate(items, seed)
    }

    /// What a crawl of this site can see.
    pub fn summary(&self) -> SiteSummary {
        let ix = Index::build(self);
        let mut sum = SiteSummary {
            spaces: ix.spaces.len(),
            projects: ix.projects.len(),
            hidden_page_ids: self.hidden.clone(),
            ..Default::default()
        };
        for sp in &ix.spaces {
            let id = s(&self.spaces[*sp], "id");
            let np = ix.pages_by_space.get(&id).map_or(0, Vec::len);
            let nb = ix.blogs_by_space.get(&id).map_or(0, Vec::len);
            sum.pages += np;
            sum.blogposts += nb;
            sum.pages_per_space.insert(id.clone(), np);
            sum.blogposts_per_space.insert(id, nb);
        }
        for (kind, comments) in [
            (CommentKind::Footer, &self.footer_comments),
            (CommentKind::Inline, &self.inline_comments),
        ] {
            let c = ix.comments(kind);
            for i in c.by_id.values() {
                let v = &comments[*i];
                *sum.comments_per_page.entry(owner_of(v)).or_default() += 1;
                let reply = !s(v, "parentCommentId").is_empty();
                match (kind, reply) {
                    (CommentKind::Footer, false) => sum.footer_root_comments += 1,
                    (CommentKind::Footer, true) => sum.footer_replies += 1,
                    (CommentKind::Inline, false) => sum.inline_root_comments += 1,
                    (CommentKind::Inline, true) => sum.inline_replies += 1,
                }
            }
        }
        for p in &ix.projects {
            let key = s(&self.projects[*p], "key");
            let issues = ix
                .issues_by_project
                .get(&key)
                .map_or(&[][..], Vec::as_slice);
            sum.issues += issues.len();
            sum.issues_per_project.insert(key, issues.len());
            for i in issues {
                let is = &self.issues[*i];
                let n = issue_comments(is).len();
                sum.issue_comments += n;
                if n > 20 {
                    sum.issues_over_20_comments += 1;
                }
                sum.comments_per_issue.insert(s(is, "key"), n);
            }
        }
        sum
    }
}

pub(crate) fn owner_of(c: &Value) -> String {
    let p = s(c, "pageId");
    if p.is_empty() {
        s(c, "blogPostId")
    } else {
        p
    }
}

pub(crate) fn issue_comments(issue: &Value) -> &[Value] {
    issue
        .pointer("/fields/comment/comments")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CommentKind {
    Footer,
    Inline,
}

/// Visible comments of one kind.
#[derive(Debug, Default)]
pub(crate) struct CommentIndex {
    /// Every visible comment by id.
    pub by_id: HashMap<String, usize>,
    /// Root comments per owner (page or blog post id), by id.
    pub roots_by_owner: HashMap<String, Vec<usize>>,
    /// Direct replies per parent comment id, by id.
    pub children: HashMap<String, Vec<usize>>,
    /// Every visible root comment on the site, by id.
    pub all_roots: Vec<usize>,
    /// Every visible comment on the site, roots and replies, by id.
    pub all: Vec<usize>,
    /// Comments whose owner is a page or blog post the account cannot see,
    /// by id (listed only under the `hidden_comments_listed` fault).
    pub of_hidden: Vec<usize>,
}

/// Positions into [`SiteData`]'s collections, visible items only, in id order.
#[derive(Debug, Default)]
pub(crate) struct Index {
    pub spaces: Vec<usize>,
    pub space_by_id: HashMap<String, usize>,
    pub pages_by_space: HashMap<String, Vec<usize>>,
    pub blogs_by_space: HashMap<String, Vec<usize>>,
    pub all_pages: Vec<usize>,
    pub all_blogs: Vec<usize>,
    pub page_by_id: HashMap<String, usize>,
    pub blog_by_id: HashMap<String, usize>,
    pub footer: CommentIndex,
    pub inline: CommentIndex,
    pub projects: Vec<usize>,
    pub project_by_key: HashMap<String, usize>,
    pub issues_by_project: HashMap<String, Vec<usize>>,
    pub issue_by_key: HashMap<String, usize>,
}

fn sorted_by_id(items: &[Value], keep: impl Fn(&Value) -> bool) -> Vec<usize> {
    let mut v: Vec<usize> = (0..items.len()).filter(|i| keep(&items[*i])).collect();
    v.sort_by(|a, b| id_order(&s(&items[*a], "id"), &s(&items[*b], "id")));
    v
}

impl Index {
    pub fn build(d: &SiteData) -> Index {
        let hidden: HashSet<&str> = d.hidden.iter().map(String::as_str).collect();
        let mut ix = Index {
            spaces: sorted_by_id(&d.spaces, |_| true),
            projects: sorted_by_id(&d.projects, |_| true),
            ..Default::default()
        };
        for i in &ix.spaces {
            ix.space_by_id.insert(s(&d.spaces[*i], "id"), *i);
        }
        let visible = |v: &Value| !hidden.contains(s(v, "id").as_str());
        ix.all_pages = sorted_by_id(&d.pages, |v| {
            visible(v) && ix.space_by_id.contains_key(&s(v, "spaceId"))
        });
        ix.all_blogs = sorted_by_id(&d.blogposts, |v| {
            visible(v) && ix.space_by_id.contains_key(&s(v, "spaceId"))
        });
        for i in &ix.all_pages {
            let p = &d.pages[*i];
            ix.page_by_id.insert(s(p, "id"), *i);
            ix.pages_by_space
                .entry(s(p, "spaceId"))
                .or_default()
                .push(*i);
        }
        for i in &ix.all_blogs {
            let p = &d.blogposts[*i];
            ix.blog_by_id.insert(s(p, "id"), *i);
            ix.blogs_by_space
                .entry(s(p, "spaceId"))
                .or_default()
                .push(*i);
        }
        for (kind, comments) in [
            (CommentKind::Footer, &d.footer_comments),
            (CommentKind::Inline, &d.inline_comments),
        ] {
            let order = sorted_by_id(comments, |c| {
                let o = owner_of(c);
                ix.page_by_id.contains_key(&o) || ix.blog_by_id.contains_key(&o)
            });
            let mut ci = CommentIndex {
                of_hidden: sorted_by_id(comments, |c| hidden.contains(owner_of(c).as_str())),
                ..Default::default()
            };
            for i in order {
                let c = &comments[i];
                ci.all.push(i);
                ci.by_id.insert(s(c, "id"), i);
                let parent = s(c, "parentCommentId");
                if parent.is_empty() {
                    ci.roots_by_owner.entry(owner_of(c)).or_default().push(i);
                    ci.all_roots.push(i);
                } else {
                    ci.children.entry(parent).or_default().push(i);
                }
            }
            match kind {
                CommentKind::Footer => ix.footer = ci,
                CommentKind::Inline => ix.inline = ci,
            }
        }
        for i in &ix.projects {
            ix.project_by_key.insert(s(&d.projects[*i], "key"), *i);
        }
        let issues = sorted_by_id(&d.issues, |v| {
            v.pointer("/fields/project/key")
                .and_then(Value::as_str)
                .is_some_and(|k| ix.project_by_key.contains_key(k))
        });
        for i in issues {
            let is = &d.issues[i];
            ix.issue_by_key.insert(s(is, "key"), i);
            ix.issue_by_key.insert(s(is, "id"), i);
            let pk = is
                .pointer("/fields/project/key")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            ix.issues_by_project.entry(pk).or_default().push(i);
        }
        ix
    }

    pub fn comments(&self, kind: CommentKind) -> &CommentIndex {
        match kind {
            CommentKind::Footer => &self.footer,
            CommentKind::Inline => &self.inline,
        }
    }
}
