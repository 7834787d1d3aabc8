//! Confluence Cloud v2: spaces → pages and blog posts (bodies in storage
//! format, 250 a page) → comments.
//!
//! Pages and blog posts are sent as they are listed. Then the comments come
//! from the two site-wide listings (`/footer-comments`, `/inline-comments`)
//! and `/{kind}-comments/{id}/children` for every comment, recursively, since
//! only asking tells whether a comment has replies; each is sent as soon as
//! it is read, as more documents of the item it names (`CrawlEvent::Comments`).
//! Nothing waits for anything else, so memory does not grow with the site
//! beyond a small record per item. Comments on items the account never saw
//! are dropped.
//!
//! Every listing goes through one [`CursorPager`], which ends it on a
//! repeated cursor or page and hands each result id on once (see `paging`).

use super::client::join_next;
use super::convert;
use super::paging::{Interrupted, Listing, ListingError};
use super::ProductPresence;
use super::{query, Ctx, Fatal};
use crate::model::{Container, CoverageStatus, ItemKind, Product};
use crate::sources::ItemUnit;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use tokio::task::JoinSet;

/// Cursor pagination: `Link: <…>; rel="next"` or `_links.next`, whose query
/// is joined onto our own base and path. Results come out once each, and a
/// cursor or page seen before ends the listing as interrupted.
pub(crate) struct CursorPager {
    base: String,
    path: String,
    next: Option<String>,
    endpoint: &'static str,
    listing: Listing,
}

impl CursorPager {
    pub fn new(ctx: &Ctx, base: &str, path: &str, query: &str, endpoint: &'static str) -> Self {
        CursorPager {
            base: base.to_string(),
            path: path.to_string(),
            next: Some(format!("{base}{path}?{query}")),
            endpoint,
            listing: Listing::new(ctx.config.max_pages),
        }
    }

    /// The next page's new `results`, or `None` after the last page.
    pub async fn next_page(&mut self, ctx: &Ctx) -> Result<Option<Vec<Value>>, ListingError> {
        let Some(url) = self.next.take() else {
            return Ok(None);
        };
        ctx.not_interrupted()?;
        self.listing.follow(&url)?;
        let mut a = ctx.client.get(&url, self.endpoint).await?;
        let next = a.link_next.take().or_else(|| {
            a.json
                .pointer("/_links/next")
                .and_then(Value::as_str)
                .map(str::to_string)
        });
        self.next = match next {
            None => None,
            // A next link we cannot follow must not pass for the last page.
            Some(n) => {
                Some(join_next(&self.base, &self.path, &n).ok_or(Interrupted::Unfollowable)?)
            }
        };
        let results = match a.json.get_mut("results").map(Value::take) {
            Some(Value::Array(v)) => v,
            _ => Vec::new(),
        };
        let len = results.len();
        let fresh: Vec<Value> = results
            .into_iter()
            .filter(|r| self.listing.fresh(&convert::s(r, "id")))
            .collect();
        self.listing.page_done(len, fresh.len())?;
        Ok(Some(fresh))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CommentKind {
    Footer,
    Inline,
}

impl CommentKind {
    fn name(self) -> &'static str {
        match self {
            CommentKind::Footer => "footer",
            CommentKind::Inline => "inline",
        }
    }
}

/// One finished children fetch: (owner page id, parent comment id, its replies).
type ChildDone = (String, String, Result<Vec<Value>, ListingError>);
type ChildSet = JoinSet<ChildDone>;

/// A page or blog post the account can see: what its comments' documents need.
/// Kept for every item (a few dozen bytes each) so that comments can be
/// streamed as they are read instead of held until their pages are listed.
#[derive(Debug, Clone)]
struct Owner {
    container: String,
    kind: ItemKind,
    url: String,
}

type Owners = Arc<Mutex<HashMap<String, Owner>>>;

pub(crate) async fn crawl(ctx: Arc<Ctx>) -> Result<(), Fatal> {
    let owners: Owners = Arc::new(Mutex::new(HashMap::new()));
    // Pages first, streamed as they are listed; then the comments, streamed
    // as they are read, each sent as more documents of its page.
    let containers = spaces(ctx.clone(), owners.clone()).await?;
    if containers.is_empty() {
        return Ok(());
    }
    let (f, i) = tokio::join!(
        comments(ctx.clone(), CommentKind::Footer, owners.clone()),
        comments(ctx.clone(), CommentKind::Inline, owners)
    );
    let mut problems = f?;
    for (k, v) in i? {
        problems.entry(k).or_default().extend(v);
    }
    for (key, reasons) in problems {
        let targets: Vec<&String> = if key.is_empty() {
            containers.iter().collect()
        } else {
            vec![&key]
        };
        for container in targets {
            for reason in &reasons {
                ctx.container_status(
                    Product::Confluence,
                    container,
                    CoverageStatus::Partial,
                    reason.clone(),
                )
                .await?;
            }
        }
    }
    Ok(())
}

/// Every wanted space: its container, then its pages and blog posts. Returns
/// the keys of the spaces listed.
async fn spaces(ctx: Arc<Ctx>, owners: Owners) -> Result<Vec<String>, Fatal> {
    let mut q = vec![("limit", "250".to_string())];
    if !ctx.config.spaces.is_empty() {
        q.push(("keys", ctx.config.spaces.join(",")));
    }
    let q: Vec<(&str, &str)> = q.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut pager = CursorPager::new(
        &ctx,
        &ctx.conf_base,
        "/wiki/api/v2/spaces",
        &query(&q),
        "confluence.spaces",
    );
    let mut set = JoinSet::new();
    let mut first = true;
    let mut keys = Vec::new();
    loop {
        match pager.next_page(&ctx).await {
            Ok(Some(page)) => {
                for sp in page {
                    if !wanted(&ctx, &sp) {
                        continue;
                    }
                    let c = convert::space_container(&ctx.web_base, &sp);
                    keys.push(c.key.clone());
                    ctx.container(c.clone()).await?;
                    set.spawn(space(ctx.clone(), c, owners.clone()));
                }
            }
            Ok(None) => {
                ctx.product_presence(Product::Confluence, ProductPresence::Present, None);
                break;
            }
            Err(e) if first && e.is_not_found() => {
                // The site says it has no Confluence: the one reason to skip it.
                ctx.product_absent(
                    Product::Confluence,
                    "Confluence did not answer (404): skipped".into(),
                );
                ctx.product_presence(
                    Product::Confluence,
                    ProductPresence::Absent,
                    Some("the space listing answered 404".into()),
                );
                break;
            }
            Err(e) => {
                let reason = e.reason("the space listing")?;
                let (status, presence) = if first {
                    (CoverageStatus::Failed, ProductPresence::Failed)
                } else {
                    (CoverageStatus::Partial, ProductPresence::Present)
                };
                ctx.product_presence(Product::Confluence, presence, Some(reason.clone()));
                ctx.emit(super::CrawlEvent::ProductStatus {
                    product: Product::Confluence,
                    status,
                    reason,
                })
                .await?;
                break;
            }
        }
        first = false;
    }
    while let Some(r) = set.join_next().await {
        match r {
            Ok(r) => r?,
            Err(e) => ctx.warn(format!("a Confluence space task failed: {e}")),
        }
    }
    Ok(keys)
}

fn wanted(ctx: &Ctx, sp: &Value) -> bool {
    let key = convert::s(sp, "key");
    let ty = convert::s(sp, "type");
    (ctx.config.spaces.is_empty()
        || ctx
            .config
            .spaces
            .iter()
            .any(|k| k.eq_ignore_ascii_case(&key)))
        && (ty.is_empty() || ctx.config.space_types.contains(&ty))
}

/// Pages and blog posts of one space.
async fn space(ctx: Arc<Ctx>, c: Container, owners: Owners) -> Result<(), Fatal> {
    let (p, b) = tokio::join!(
        items(&ctx, &c, ItemKind::Page, &owners),
        items(&ctx, &c, ItemKind::BlogPost, &owners)
    );
    let (p, b) = (p?, b?);
    // Its comments come later, from the site-wide listings.
    ctx.container_listed(Product::Confluence);
    let seen = p.seen + b.seen;
    let mut said = HashSet::new();
    for err in p.listing_error.into_iter().chain(b.listing_error) {
        if !said.insert(err.clone()) {
            continue;
        }
        let status = if seen == 0 {
            CoverageStatus::Failed
        } else {
            CoverageStatus::Partial
        };
        ctx.container_status(Product::Confluence, &c.key, status, err)
            .await?;
    }
    Ok(())
}

#[derive(Default)]
struct Outcome {
    seen: u64,
    listing_error: Option<String>,
}

/// One space's pages (or blog posts), each sent as soon as it is listed.
async fn items(
    ctx: &Ctx,
    c: &Container,
    kind: ItemKind,
    owners: &Owners,
) -> Result<Outcome, Fatal> {
    let (path, endpoint, what) = match kind {
        ItemKind::BlogPost => (
            format!("/wiki/api/v2/spaces/{}/blogposts", c.id),
            "confluence.blogposts",
            "blog post",
        ),
        _ => (
            format!("/wiki/api/v2/spaces/{}/pages", c.id),
            "confluence.pages",
            "page",
        ),
    };
    let mut pager = CursorPager::new(
        ctx,
        &ctx.conf_base,
        &path,
        &query(&[("body-format", "storage"), ("limit", "250")]),
        endpoint,
    );
    let mut out = Outcome::default();
    loop {
        match pager.next_page(ctx).await {
            Ok(Some(page)) => {
                for p in page {
                    out.seen += 1;
                    let unit = convert::confluence_unit(&ctx.web_base, &c.key, kind, &p);
                    if let Ok(mut o) = owners.lock() {
                        o.insert(
                            unit.item.id.clone(),
                            Owner {
                                container: c.key.clone(),
                                kind,
                                url: unit.item.url.clone(),
                            },
                        );
                    }
                    ctx.emit(super::CrawlEvent::Unit(unit)).await?;
                }
            }
            Ok(None) => break,
            Err(e) => {
                out.listing_error = Some(e.reason(&format!("the {what} listing"))?);
                break;
            }
        }
    }
    Ok(out)
}

/// Send one comment as more documents of its page or blog post.
async fn send_comment(ctx: &Ctx, owner_id: &str, owner: &Owner, c: &Value) -> Result<(), Fatal> {
    let mut fragment = ItemUnit {
        item: crate::model::Item {
            container: crate::model::ContainerId::new(Product::Confluence, &owner.container),
            id: owner_id.to_string(),
            kind: owner.kind,
            title: String::new(),
            url: owner.url.clone(),
            version: None,
            updated: None,
        },
        documents: Vec::new(),
        warnings: Vec::new(),
        unread: Vec::new(),
        comment_public: Default::default(),
    };
    convert::add_confluence_comment(&mut fragment, c);
    ctx.emit(super::CrawlEvent::Comments(fragment)).await
}

fn kind_name(k: ItemKind) -> &'static str {
    match k {
        ItemKind::BlogPost => "blog post",
        _ => "page",
    }
}

/// Problems reading comments, by container key ("" = every container).
type Problems = HashMap<String, Vec<String>>;

/// One site-wide comment listing and every reply below its comments, each
/// sent as soon as it is read. Comments on items the account cannot see
/// (not listed) are dropped, and their replies not asked for.
async fn comments(ctx: Arc<Ctx>, kind: CommentKind, owners: Owners) -> Result<Problems, Fatal> {
    let path = format!("/wiki/api/v2/{}-comments", kind.name());
    let endpoint = match kind {
        CommentKind::Footer => "confluence.footer-comments",
        CommentKind::Inline => "confluence.inline-comments",
    };
    let mut pager = CursorPager::new(
        &ctx,
        &ctx.conf_base,
        &path,
        &query(&[("body-format", "storage"), ("limit", "250")]),
        endpoint,
    );
    let mut walk = CommentWalk {
        ctx,
        kind,
        owners,
        seen: HashSet::new(),
        children: JoinSet::new(),
        problems: Problems::new(),
    };
    loop {
        match pager.next_page(&walk.ctx).await {
            Ok(Some(page)) => {
                for c in page {
                    walk.accept(c, "").await?;
                }
            }
            Ok(None) => break,
            Err(e) if e.is_not_found() => break,
            Err(e) => {
                // Every space's comments came from this listing: all are partial.
                let reason = e.reason(&format!("the site-wide {} comment listing", kind.name()))?;
                walk.problem(String::new(), reason);
                break;
            }
        }
        while let Some(done) = walk.children.try_join_next() {
            walk.replies(done).await?;
        }
    }
    while let Some(done) = walk.children.join_next().await {
        walk.replies(done).await?;
    }
    Ok(walk.problems)
}

/// The state of one walk through a comment listing and its replies.
struct CommentWalk {
    ctx: Arc<Ctx>,
    kind: CommentKind,
    owners: Owners,
    /// Comment ids already sent (a site may list a reply twice).
    seen: HashSet<String>,
    children: ChildSet,
    problems: Problems,
}

impl CommentWalk {
    fn problem(&mut self, container: String, reason: String) {
        self.problems.entry(container).or_default().push(reason);
    }

    /// Send a comment once and ask for its replies.
    async fn accept(&mut self, c: Value, fallback_owner: &str) -> Result<(), Fatal> {
        let id = convert::s(&c, "id");
        if id.is_empty() || !self.seen.insert(id.clone()) {
            return Ok(());
        }
        let mut owner_id = convert::comment_owner(&c);
        if owner_id.is_empty() {
            owner_id = fallback_owner.to_string();
        }
        let owner = self
            .owners
            .lock()
            .ok()
            .and_then(|o| o.get(&owner_id).cloned());
        let Some(owner) = owner else {
            return Ok(());
        };
        send_comment(&self.ctx, &owner_id, &owner, &c).await?;
        let (ctx, kind) = (self.ctx.clone(), self.kind);
        self.children.spawn(async move {
            let r = children(&ctx, kind, &id).await;
            (owner_id, id, r)
        });
        Ok(())
    }

    /// The replies of one comment arrived (or could not be read).
    async fn replies(
        &mut self,
        done: Result<ChildDone, tokio::task::JoinError>,
    ) -> Result<(), Fatal> {
        match done {
            Ok((owner_id, _, Ok(kids))) => {
                for k in kids {
                    self.accept(k, &owner_id).await?;
                }
            }
            Ok((_, _, Err(e))) if e.is_not_found() => {}
            Ok((owner_id, parent, Err(e))) => {
                let reason = e.reason("the listing")?;
                let owner = self
                    .owners
                    .lock()
                    .ok()
                    .and_then(|o| o.get(&owner_id).cloned());
                let (container, what) = match owner {
                    Some(o) => (o.container, kind_name(o.kind)),
                    None => (String::new(), "page"),
                };
                self.problem(
                    container,
                    format!("{what} {owner_id}: replies to comment {parent} could not be read: {reason}"),
                );
            }
            Err(e) => self.problem(String::new(), format!("a comment task failed: {e}")),
        }
        Ok(())
    }
}

/// All direct replies of one comment.
async fn children(ctx: &Ctx, kind: CommentKind, id: &str) -> Result<Vec<Value>, ListingError> {
    let endpoint = match kind {
        CommentKind::Footer => "confluence.footer-comments.children",
        CommentKind::Inline => "confluence.inline-comments.children",
    };
    let mut pager = CursorPager::new(
        ctx,
        &ctx.conf_base,
        &format!("/wiki/api/v2/{}-comments/{id}/children", kind.name()),
        &query(&[("body-format", "storage"), ("limit", "250")]),
        endpoint,
    );
    let mut all = Vec::new();
    while let Some(page) = pager.next_page(ctx).await? {
        all.extend(page);
    }
    Ok(all)
}
