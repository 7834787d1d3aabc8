//! The content a fake site serves: Atlassian-shaped JSON objects per
//! collection, exactly as the APIs return them, plus the index the server
//! and [`SiteData::summary`] use.
//!
//! Each object is kept as compact JSON text with the few facts the routes
//! filter, sort and look up on (ids, owners, statuses, dates, keys), read
//! once when the object is stored. A `serde_json::Value` costs about seven
//! times its text (a generated site: ~26 KB per item as values, ~3.8 KB as
//! text), which kept a million-item site out of reach; an object is parsed
//! only when it is served or changed. serde_json's maps are ordered by key
//! (`preserve_order` is off), so text parsed back renders byte for byte as
//! the value it was made from.

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
    pub spaces: Collection<SpaceFacts>,
    pub pages: Collection<ContentFacts>,
    pub blogposts: Collection<ContentFacts>,
    pub footer_comments: Collection<ContentFacts>,
    pub inline_comments: Collection<ContentFacts>,
    /// Page and blog post ids the scanning account may not see.
    pub hidden: Vec<String>,
    pub projects: Collection<ProjectFacts>,
    pub fields: Collection<FieldFacts>,
    pub issues: Collection<IssueFacts>,
}

/// One collection of objects, each stored as compact JSON text with its
/// facts. Reading an object ([`Collection::get`], [`Collection::iter`])
/// parses it; changing one goes through [`Collection::with_mut`], which
/// stores the changed object's text and facts anew.
#[derive(Debug, Clone, PartialEq)]
pub struct Collection<F> {
    items: Vec<Stored<F>>,
}

#[derive(Debug, Clone, PartialEq)]
struct Stored<F> {
    text: Box<str>,
    facts: F,
}

/// The facts of one kind of object, read from it when it is stored.
pub trait Facts: Sized {
    fn of(v: &Value) -> Self;
    /// The object's `id` (empty when it has none): collections are kept in
    /// id order.
    fn id(&self) -> &str;
}

impl<F: Facts> Stored<F> {
    fn of(v: &Value) -> Stored<F> {
        Stored {
            // Compact, as `Display` renders a value: the same text the
            // server would send for it.
            text: v.to_string().into_boxed_str(),
            facts: F::of(v),
        }
    }
}

/// Parse text this module wrote. It is serde_json's rendering of a value,
/// so it parses back; at any depth, since a test may store an ADF document
/// nested past serde_json's default limit of 128.
pub(crate) fn parse_stored(text: &str) -> Value {
    crate::text::deep_json::parse_str(text).unwrap_or(Value::Null)
}

impl<F> Default for Collection<F> {
    fn default() -> Self {
        Collection { items: Vec::new() }
    }
}

impl<F: Facts> Collection<F> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Store `v` (as text; the value itself is dropped).
    pub fn push(&mut self, v: Value) {
        self.items.push(Stored::of(&v));
    }

    /// The object at `i`, parsed.
    pub fn get(&self, i: usize) -> Option<Value> {
        self.items.get(i).map(|s| parse_stored(&s.text))
    }

    pub fn first(&self) -> Option<Value> {
        self.get(0)
    }

    pub fn last(&self) -> Option<Value> {
        self.len().checked_sub(1).and_then(|i| self.get(i))
    }

    /// The object at `i` as its stored compact JSON text.
    pub fn text(&self, i: usize) -> Option<&str> {
        self.items.get(i).map(|s| &*s.text)
    }

    /// Every object in order, each parsed as the iterator reaches it.
    pub fn iter(&self) -> Values<'_, F> {
        Values(self.items.iter())
    }

    /// Change the object at `i` in place: it is parsed, handed to `f`, and
    /// stored again with its facts read anew. `None` when there is no `i`.
    pub fn with_mut<R>(&mut self, i: usize, f: impl FnOnce(&mut Value) -> R) -> Option<R> {
        let slot = self.items.get_mut(i)?;
        let mut v = parse_stored(&slot.text);
        let out = f(&mut v);
        *slot = Stored::of(&v);
        Some(out)
    }

    /// Take out the object at `i` (later ones move up, as in a `Vec`).
    pub fn remove(&mut self, i: usize) -> Option<Value> {
        (i < self.items.len()).then(|| parse_stored(&self.items.remove(i).text))
    }

    /// The object at `i`, parsed. `i` is a position the index took from
    /// this collection, so it exists.
    pub(crate) fn value(&self, i: usize) -> Value {
        parse_stored(&self.items[i].text)
    }

    /// The facts of the object at `i`, a position the index took from this
    /// collection.
    pub(crate) fn fact(&self, i: usize) -> &F {
        &self.items[i].facts
    }

    pub(crate) fn facts(&self) -> impl Iterator<Item = &F> + '_ {
        self.items.iter().map(|s| &s.facts)
    }

    /// Keep the objects whose facts pass `keep`.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&F) -> bool) {
        self.items.retain(|s| keep(&s.facts));
    }
}

/// The objects of a [`Collection`], parsed one at a time.
pub struct Values<'a, F>(std::slice::Iter<'a, Stored<F>>);

impl<F> Iterator for Values<'_, F> {
    type Item = Value;

    fn next(&mut self) -> Option<Value> {
        self.0.next().map(|s| parse_stored(&s.text))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl<F> DoubleEndedIterator for Values<'_, F> {
    fn next_back(&mut self) -> Option<Value> {
        self.0.next_back().map(|s| parse_stored(&s.text))
    }
}

impl<F> ExactSizeIterator for Values<'_, F> {}

impl<'a, F: Facts> IntoIterator for &'a Collection<F> {
    type Item = Value;
    type IntoIter = Values<'a, F>;

    fn into_iter(self) -> Values<'a, F> {
        self.iter()
    }
}

impl<F: Facts> FromIterator<Value> for Collection<F> {
    fn from_iter<I: IntoIterator<Item = Value>>(iter: I) -> Self {
        Collection {
            items: iter.into_iter().map(|v| Stored::of(&v)).collect(),
        }
    }
}

impl<F: Facts> Extend<Value> for Collection<F> {
    fn extend<I: IntoIterator<Item = Value>>(&mut self, iter: I) {
        self.items.extend(iter.into_iter().map(|v| Stored::of(&v)));
    }
}

impl<F: Facts> From<Vec<Value>> for Collection<F> {
    fn from(v: Vec<Value>) -> Self {
        v.into_iter().collect()
    }
}

fn text_of(v: &Value, key: &str) -> Box<str> {
    s(v, key).into_boxed_str()
}

fn time_at(v: Option<&Value>) -> Option<jiff::Timestamp> {
    v.and_then(Value::as_str).and_then(|t| t.parse().ok())
}

/// A Confluence space: what listings filter on and lookups key by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpaceFacts {
    pub(crate) id: Box<str>,
    pub(crate) key: Box<str>,
    pub(crate) kind: Box<str>,
    pub(crate) status: Box<str>,
}

impl Facts for SpaceFacts {
    fn id(&self) -> &str {
        &self.id
    }

    fn of(v: &Value) -> Self {
        SpaceFacts {
            id: text_of(v, "id"),
            key: text_of(v, "key"),
            kind: text_of(v, "type"),
            status: text_of(v, "status"),
        }
    }
}

/// A page, blog post or comment (footer or inline): ids, owner, status and
/// the two dates listings sort on. Strings are empty where the object has
/// no such field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentFacts {
    pub(crate) id: Box<str>,
    pub(crate) space_id: Box<str>,
    pub(crate) status: Box<str>,
    pub(crate) page_id: Box<str>,
    pub(crate) blog_post_id: Box<str>,
    pub(crate) parent_comment_id: Box<str>,
    pub(crate) resolution_status: Box<str>,
    /// `createdAt`, parsed (the `created-date` sort).
    pub(crate) created: Option<jiff::Timestamp>,
    /// `version.createdAt`, parsed (the `modified-date` sort).
    pub(crate) modified: Option<jiff::Timestamp>,
}

impl ContentFacts {
    /// The page or blog post a comment is on.
    pub(crate) fn owner(&self) -> &str {
        if self.page_id.is_empty() {
            &self.blog_post_id
        } else {
            &self.page_id
        }
    }
}

impl Facts for ContentFacts {
    fn id(&self) -> &str {
        &self.id
    }

    fn of(v: &Value) -> Self {
        ContentFacts {
            id: text_of(v, "id"),
            space_id: text_of(v, "spaceId"),
            status: text_of(v, "status"),
            page_id: text_of(v, "pageId"),
            blog_post_id: text_of(v, "blogPostId"),
            parent_comment_id: text_of(v, "parentCommentId"),
            resolution_status: text_of(v, "resolutionStatus"),
            created: time_at(v.get("createdAt")),
            modified: time_at(v.pointer("/version/createdAt")),
        }
    }
}

/// A Jira project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectFacts {
    pub(crate) id: Box<str>,
    pub(crate) key: Box<str>,
    pub(crate) name: Box<str>,
    pub(crate) type_key: Box<str>,
}

impl Facts for ProjectFacts {
    fn id(&self) -> &str {
        &self.id
    }

    fn of(v: &Value) -> Self {
        ProjectFacts {
            id: text_of(v, "id"),
            key: text_of(v, "key"),
            name: text_of(v, "name"),
            type_key: text_of(v, "projectTypeKey"),
        }
    }
}

/// A Jira field definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldFacts {
    pub(crate) id: Box<str>,
    pub(crate) name: Box<str>,
}

impl Facts for FieldFacts {
    fn id(&self) -> &str {
        &self.id
    }

    fn of(v: &Value) -> Self {
        FieldFacts {
            id: text_of(v, "id"),
            name: text_of(v, "name"),
        }
    }
}

/// A Jira issue: keys, project, the dates JQL compares and orders by, and
/// what the summary and changes need of its comments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueFacts {
    pub(crate) id: Box<str>,
    pub(crate) key: Box<str>,
    /// `fields.project.key` when it is a string.
    pub(crate) project_key: Option<Box<str>>,
    /// `fields.created` and `fields.updated` when strings, else empty.
    pub(crate) created: Box<str>,
    pub(crate) updated: Box<str>,
    /// Comments in `fields.comment.comments`.
    pub(crate) comments: usize,
    /// The largest numeric comment id (0: none).
    pub(crate) max_comment_id: u64,
}

impl IssueFacts {
    /// `fields.created` or `fields.updated`, by JQL name.
    pub(crate) fn date(&self, field: &str) -> &str {
        match field {
            "created" => &self.created,
            "updated" => &self.updated,
            _ => "",
        }
    }
}

impl Facts for IssueFacts {
    fn id(&self) -> &str {
        &self.id
    }

    fn of(v: &Value) -> Self {
        let field = |name: &str| -> Box<str> {
            v.pointer(&format!("/fields/{name}"))
                .and_then(Value::as_str)
                .unwrap_or("")
                .into()
        };
        let comments = issue_comments(v);
        IssueFacts {
            id: text_of(v, "id"),
            key: text_of(v, "key"),
            project_key: v
                .pointer("/fields/project/key")
                .and_then(Value::as_str)
                .map(Into::into),
            created: field("created"),
            updated: field("updated"),
            comments: comments.len(),
            max_comment_id: comments
                .iter()
                .filter_map(|c| s(c, "id").parse::<u64>().ok())
                .max()
                .unwrap_or(0),
        }
    }
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
            spaces: arr("confluence/spaces.json")?.into(),
            pages: arr("confluence/pages.json")?.into(),
            blogposts: arr("confluence/blogposts.json")?.into(),
            footer_comments: arr("confluence/footer-comments.json")?.into(),
            inline_comments: arr("confluence/inline-comments.json")?.into(),
            hidden,
            projects: arr("jira/projects.json")?.into(),
            fields: arr("jira/fields.json")?.into(),
            issues: arr("jira/issues.json")?.into(),
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
            let id = self.spaces.fact(*sp).id.to_string();
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
                let f = comments.fact(*i);
                *sum.comments_per_page
                    .entry(f.owner().to_string())
                    .or_default() += 1;
                let reply = !f.parent_comment_id.is_empty();
                match (kind, reply) {
                    (CommentKind::Footer, false) => sum.footer_root_comments += 1,
                    (CommentKind::Footer, true) => sum.footer_replies += 1,
                    (CommentKind::Inline, false) => sum.inline_root_comments += 1,
                    (CommentKind::Inline, true) => sum.inline_replies += 1,
                }
            }
        }
        for p in &ix.projects {
            let key = self.projects.fact(*p).key.to_string();
            let issues = ix
                .issues_by_project
                .get(&key)
                .map_or(&[][..], Vec::as_slice);
            sum.issues += issues.len();
            sum.issues_per_project.insert(key, issues.len());
            for i in issues {
                let is = self.issues.fact(*i);
                let n = is.comments;
                sum.issue_comments += n;
                if n > 20 {
                    sum.issues_over_20_comments += 1;
                }
                sum.comments_per_issue.insert(is.key.to_string(), n);
            }
        }
        sum
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

/// The positions of `items` that pass `keep`, in id order.
fn sorted_by_id<F: Facts>(items: &Collection<F>, keep: impl Fn(&F) -> bool) -> Vec<usize> {
    let mut v: Vec<usize> = items
        .facts()
        .enumerate()
        .filter(|(_, f)| keep(f))
        .map(|(i, _)| i)
        .collect();
    v.sort_by(|a, b| id_order(items.fact(*a).id(), items.fact(*b).id()));
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
            ix.space_by_id.insert(d.spaces.fact(*i).id.to_string(), *i);
        }
        let visible = |f: &ContentFacts| !hidden.contains(&*f.id);
        ix.all_pages = sorted_by_id(&d.pages, |f| {
            visible(f) && ix.space_by_id.contains_key(&*f.space_id)
        });
        ix.all_blogs = sorted_by_id(&d.blogposts, |f| {
            visible(f) && ix.space_by_id.contains_key(&*f.space_id)
        });
        for i in &ix.all_pages {
            let p = d.pages.fact(*i);
            ix.page_by_id.insert(p.id.to_string(), *i);
            ix.pages_by_space
                .entry(p.space_id.to_string())
                .or_default()
                .push(*i);
        }
        for i in &ix.all_blogs {
            let p = d.blogposts.fact(*i);
            ix.blog_by_id.insert(p.id.to_string(), *i);
            ix.blogs_by_space
                .entry(p.space_id.to_string())
                .or_default()
                .push(*i);
        }
        for (kind, comments) in [
            (CommentKind::Footer, &d.footer_comments),
            (CommentKind::Inline, &d.inline_comments),
        ] {
            let order = sorted_by_id(comments, |c| {
                let o = c.owner();
                ix.page_by_id.contains_key(o) || ix.blog_by_id.contains_key(o)
            });
            let mut ci = CommentIndex {
                of_hidden: sorted_by_id(comments, |c| hidden.contains(c.owner())),
                ..Default::default()
            };
            for i in order {
                let c = comments.fact(i);
                ci.all.push(i);
                ci.by_id.insert(c.id.to_string(), i);
                if c.parent_comment_id.is_empty() {
                    ci.roots_by_owner
                        .entry(c.owner().to_string())
                        .or_default()
                        .push(i);
                    ci.all_roots.push(i);
                } else {
                    ci.children
                        .entry(c.parent_comment_id.to_string())
                        .or_default()
                        .push(i);
                }
            }
            match kind {
                CommentKind::Footer => ix.footer = ci,
                CommentKind::Inline => ix.inline = ci,
            }
        }
        for i in &ix.projects {
            ix.project_by_key
                .insert(d.projects.fact(*i).key.to_string(), *i);
        }
        let issues = sorted_by_id(&d.issues, |f| {
            f.project_key
                .as_deref()
                .is_some_and(|k| ix.project_by_key.contains_key(k))
        });
        for i in issues {
            let is = d.issues.fact(i);
            ix.issue_by_key.insert(is.key.to_string(), i);
            ix.issue_by_key.insert(is.id.to_string(), i);
            let pk = is.project_key.as_deref().unwrap_or_default().to_string();
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
