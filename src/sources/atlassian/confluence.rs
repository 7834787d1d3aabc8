//! Confluence Cloud v2: spaces → pages and blog posts (bodies in storage
//! format, 250 a page) → comments.
//!
//! Comments come from the two site-wide listings (`/footer-comments`,
//! `/inline-comments`), then `/{kind}-comments/{id}/children` for every
//! comment, recursively, since only asking tells whether a comment has
//! replies. Comments are attached to the page or blog post they name; those
//! on items the account never saw are dropped. Space listings run while the
//! comments are collected; an item is sent once its comments are known.

use super::client::{join_next, RequestError};
use super::convert::{self, id_order};
use super::{query, triage, Ctx, Fatal};
use crate::model::{Container, CoverageStatus, ItemKind, Product};
use crate::sources::ItemUnit;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use tokio::sync::watch;
use tokio::task::JoinSet;

/// Cursor pagination: `Link: <…>; rel="next"` or `_links.next`, whose query
/// is joined onto our own base and path.
pub(crate) struct CursorPager {
    base: String,
    path: String,
    next: Option<String>,
    endpoint: &'static str,
}

impl CursorPager {
    pub fn new(base: &str, path: &str, query: &str, endpoint: &'static str) -> Self {
        CursorPager {
            base: base.to_string(),
            path: path.to_string(),
            next: Some(format!("{base}{path}?{query}")),
            endpoint,
        }
    }

    /// The next page's `results`, or `None` after the last page.
    pub async fn next_page(&mut self, ctx: &Ctx) -> Result<Option<Vec<Value>>, RequestError> {
        let Some(url) = self.next.take() else {
            return Ok(None);
        };
        let mut a = ctx.client.get(&url, self.endpoint).await?;
        let next = a.link_next.take().or_else(|| {
            a.json
                .pointer("/_links/next")
                .and_then(Value::as_str)
                .map(str::to_string)
        });
        self.next = next
            .and_then(|n| join_next(&self.base, &self.path, &n))
            .filter(|n| *n != url);
        let results = match a.json.get_mut("results").map(Value::take) {
            Some(Value::Array(v)) => v,
            _ => Vec::new(),
        };
        Ok(Some(results))
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

/// One finished children fetch: (owner, parent comment id, its replies).
type ChildDone = (String, String, Result<Vec<Value>, RequestError>);
type ChildSet = JoinSet<ChildDone>;

/// Every comment the account can see, by the id of the page or blog post it belongs to.
#[derive(Debug, Default)]
struct Comments {
    by_owner: HashMap<String, Vec<(CommentKind, Value)>>,
    /// Replies that could not be read, by owner.
    owner_errors: HashMap<String, Vec<String>>,
    /// A site-wide listing failed: any item may lack comments.
    global_errors: Vec<String>,
}

type Ready = watch::Receiver<Option<Arc<Comments>>>;

pub(crate) async fn crawl(ctx: Arc<Ctx>) -> Result<(), Fatal> {
    let (tx, rx) = watch::channel(None);
    let comments = {
        let ctx = ctx.clone();
        async move {
            let (f, i) = tokio::join!(
                collect(ctx.clone(), CommentKind::Footer),
                collect(ctx.clone(), CommentKind::Inline)
            );
            let (f, i) = (f?, i?);
            let mut all = f;
            for (owner, list) in i.by_owner {
                all.by_owner.entry(owner).or_default().extend(list);
            }
            for (owner, errs) in i.owner_errors {
                all.owner_errors.entry(owner).or_default().extend(errs);
            }
            all.global_errors.extend(i.global_errors);
            // Nobody listening only means no space needed the comments.
            let _ = tx.send(Some(Arc::new(all)));
            Ok::<(), Fatal>(())
        }
    };
    let (a, b) = tokio::join!(comments, spaces(ctx, rx));
    a.and(b)
}

async fn spaces(ctx: Arc<Ctx>, ready: Ready) -> Result<(), Fatal> {
    let mut q = vec![("limit", "250".to_string())];
    if !ctx.config.spaces.is_empty() {
        q.push(("keys", ctx.config.spaces.join(",")));
    }
    let q: Vec<(&str, &str)> = q.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut pager = CursorPager::new(
        &ctx.conf_base,
        "/wiki/api/v2/spaces",
        &query(&q),
        "confluence.spaces",
    );
    let mut set = JoinSet::new();
    let mut first = true;
    loop {
        match pager.next_page(&ctx).await {
            Ok(Some(page)) => {
                for sp in page {
                    if !wanted(&ctx, &sp) {
                        continue;
                    }
                    let c = convert::space_container(&ctx.web_base, &sp);
                    ctx.container(c.clone()).await?;
                    set.spawn(space(ctx.clone(), c, ready.clone()));
                }
            }
            Ok(None) => break,
            Err(RequestError::NotFound { .. }) if first => {
                ctx.warn("Confluence did not answer (404): skipped".into());
                break;
            }
            Err(e) => {
                let reason = triage(e)?;
                ctx.emit(super::CrawlEvent::ProductStatus {
                    product: Product::Confluence,
                    status: if first {
                        CoverageStatus::Failed
                    } else {
                        CoverageStatus::Partial
                    },
                    reason: format!("the space listing failed: {reason}"),
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
    Ok(())
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
async fn space(ctx: Arc<Ctx>, c: Container, ready: Ready) -> Result<(), Fatal> {
    let (p, b) = tokio::join!(
        items(&ctx, &c, ItemKind::Page, ready.clone()),
        items(&ctx, &c, ItemKind::BlogPost, ready)
    );
    let (p, b) = (p?, b?);
    let seen = p.seen + b.seen;
    let mut reasons: Vec<(CoverageStatus, String)> = Vec::new();
    for err in p.listing_error.into_iter().chain(b.listing_error) {
        let status = if seen == 0 {
            CoverageStatus::Failed
        } else {
            CoverageStatus::Partial
        };
        reasons.push((status, err));
    }
    for r in p.comment_problems.into_iter().chain(b.comment_problems) {
        reasons.push((CoverageStatus::Partial, r));
    }
    let mut said = HashSet::new();
    reasons.retain(|(_, r)| said.insert(r.clone()));
    for (status, reason) in reasons {
        ctx.container_status(Product::Confluence, &c.key, status, reason)
            .await?;
    }
    Ok(())
}

#[derive(Default)]
struct Outcome {
    seen: u64,
    listing_error: Option<String>,
    comment_problems: Vec<String>,
}

async fn items(
    ctx: &Ctx,
    c: &Container,
    kind: ItemKind,
    mut ready: Ready,
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
        &ctx.conf_base,
        &path,
        &query(&[("body-format", "storage"), ("limit", "250")]),
        endpoint,
    );
    let mut out = Outcome::default();
    let mut pending: Vec<ItemUnit> = Vec::new();
    let mut used: Option<Arc<Comments>> = None;
    loop {
        match pager.next_page(ctx).await {
            Ok(Some(page)) => {
                for p in page {
                    out.seen += 1;
                    let unit = convert::confluence_unit(&ctx.web_base, &c.key, kind, &p);
                    let known = ready.borrow().clone();
                    match known {
                        Some(comments) => {
                            send(ctx, unit, &comments, &mut out).await?;
                            used = Some(comments);
                        }
                        None => pending.push(unit),
                    }
                }
            }
            Ok(None) => break,
            Err(e) => {
                let reason = triage(e)?;
                out.listing_error = Some(format!("the {what} listing failed: {reason}"));
                break;
            }
        }
    }
    if !pending.is_empty() {
        let comments = match ready.wait_for(Option::is_some).await {
            Ok(c) => c.clone(),
            Err(_) => None,
        };
        let comments = match comments {
            Some(c) => c,
            None => {
                out.comment_problems
                    .push("comments could not be collected".to_string());
                Arc::new(Comments::default())
            }
        };
        for unit in pending {
            send(ctx, unit, &comments, &mut out).await?;
        }
        used = Some(comments);
    }
    if let Some(c) = used {
        out.comment_problems.extend(c.global_errors.iter().cloned());
    }
    Ok(out)
}

/// Attach the item's comments (footer then inline, each in id order) and send it.
async fn send(
    ctx: &Ctx,
    mut unit: ItemUnit,
    comments: &Comments,
    out: &mut Outcome,
) -> Result<(), Fatal> {
    if let Some(list) = comments.by_owner.get(&unit.item.id) {
        let mut list: Vec<&(CommentKind, Value)> = list.iter().collect();
        list.sort_by(|(ka, a), (kb, b)| {
            (*ka == CommentKind::Inline)
                .cmp(&(*kb == CommentKind::Inline))
                .then_with(|| id_order(&convert::s(a, "id"), &convert::s(b, "id")))
        });
        for (_, c) in list {
            convert::add_confluence_comment(&mut unit, c);
        }
    }
    if let Some(errs) = comments.owner_errors.get(&unit.item.id) {
        for e in errs {
            out.comment_problems.push(format!(
                "{} {}: {e}",
                kind_name(unit.item.kind),
                unit.item.id
            ));
        }
    }
    ctx.emit(super::CrawlEvent::Unit(unit)).await?;
    Ok(())
}

fn kind_name(k: ItemKind) -> &'static str {
    match k {
        ItemKind::BlogPost => "blog post",
        _ => "page",
    }
}

/// One site-wide comment listing and every reply below its comments.
async fn collect(ctx: Arc<Ctx>, kind: CommentKind) -> Result<Comments, Fatal> {
    let mut out = Comments::default();
    let path = format!("/wiki/api/v2/{}-comments", kind.name());
    let endpoint = match kind {
        CommentKind::Footer => "confluence.footer-comments",
        CommentKind::Inline => "confluence.inline-comments",
    };
    let mut pager = CursorPager::new(
        &ctx.conf_base,
        &path,
        &query(&[("body-format", "storage"), ("limit", "250")]),
        endpoint,
    );
    let mut seen: HashSet<String> = HashSet::new();
    let mut set: ChildSet = JoinSet::new();
    let mut add = |c: Value, fallback_owner: &str, out: &mut Comments, set: &mut ChildSet| {
        let id = convert::s(&c, "id");
        if id.is_empty() || !seen.insert(id.clone()) {
            return;
        }
        let mut owner = convert::comment_owner(&c);
        if owner.is_empty() {
            owner = fallback_owner.to_string();
        }
        out.by_owner
            .entry(owner.clone())
            .or_default()
            .push((kind, c));
        let ctx = ctx.clone();
        set.spawn(async move {
            let r = children(&ctx, kind, &id).await;
            (owner, id, r)
        });
    };
    loop {
        match pager.next_page(&ctx).await {
            Ok(Some(page)) => {
                for c in page {
                    add(c, "", &mut out, &mut set);
                }
            }
            Ok(None) => break,
            Err(RequestError::NotFound { .. }) => break,
            Err(e) => {
                let reason = triage(e)?;
                out.global_errors.push(format!(
                    "the site-wide {} comment listing failed: {reason}",
                    kind.name()
                ));
                break;
            }
        }
        while let Some(done) = set.try_join_next() {
            handle(done, &mut out, &mut set, &mut add)?;
        }
    }
    while let Some(done) = set.join_next().await {
        handle(done, &mut out, &mut set, &mut add)?;
    }
    Ok(out)
}

fn handle(
    done: Result<ChildDone, tokio::task::JoinError>,
    out: &mut Comments,
    set: &mut ChildSet,
    add: &mut impl FnMut(Value, &str, &mut Comments, &mut ChildSet),
) -> Result<(), Fatal> {
    match done {
        Ok((owner, _, Ok(kids))) => {
            for k in kids {
                add(k, &owner, out, set);
            }
        }
        Ok((_, _, Err(RequestError::NotFound { .. }))) => {}
        Ok((owner, parent, Err(e))) => {
            let reason = triage(e)?;
            out.owner_errors.entry(owner).or_default().push(format!(
                "replies to comment {parent} could not be read: {reason}"
            ));
        }
        Err(e) => out
            .global_errors
            .push(format!("a comment task failed: {e}")),
    }
    Ok(())
}

/// All direct replies of one comment.
async fn children(ctx: &Ctx, kind: CommentKind, id: &str) -> Result<Vec<Value>, RequestError> {
    let endpoint = match kind {
        CommentKind::Footer => "confluence.footer-comments.children",
        CommentKind::Inline => "confluence.inline-comments.children",
    };
    let mut pager = CursorPager::new(
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
