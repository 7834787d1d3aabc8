//! Confluence Cloud v2: spaces → pages and blog posts (bodies in storage
//! format, 250 a page) → comments.
//!
//! Pages and blog posts are sent as they are listed. Then the comments and
//! their replies, by the cheapest strategy the site allows (see
//! `confluence_comments`); each is sent as soon as it is read, as more
//! documents of the item it names (`CrawlEvent::Comments`). Nothing waits
//! for anything else, so memory does not grow with the site beyond a small
//! record per item and per comment. Comments on items the crawl did not
//! list are dropped.
//!
//! Every listing goes through one [`CursorPager`], which ends it on a
//! repeated cursor or page and hands each result id on once (see `paging`).

use super::client::join_next;
use super::compact_ids::OwnerMap;
use super::confluence_comments::Strategy;
use super::confluence_comments::{self as comments, CommentKind, CommentsReport, Owner, Owners};
use super::convert;
use super::paging::{Interrupted, Listing, ListingError};
use super::ProductPresence;
use super::{query, Ctx, Fatal};
use crate::model::{Container, CoverageStatus, ItemKind, Product};
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

    /// Go on from a page a resumed scan checkpointed (a URL this pager
    /// handed out under the same base), else from the start.
    pub fn resume_at(&mut self, url: &str) {
        if url.starts_with(&self.base) {
            self.next = Some(url.to_string());
        }
    }

    /// The page a resume would go on from: `None` after the last page.
    pub fn next_url(&self) -> Option<&str> {
        self.next.as_deref()
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

pub(crate) async fn crawl(ctx: Arc<Ctx>) -> Result<Option<CommentsReport>, Fatal> {
    let owners: Owners = Arc::new(Mutex::new(resumed_owners(&ctx)));
    // Pages first, streamed as they are listed; then the comments, streamed
    // as they are read, each sent as more documents of its page. A rescan
    // reads only the spaces new to the store this way (see the rescan module).
    let listed = spaces(ctx.clone(), owners.clone()).await?;
    if let Some(known) = ctx.config.known.clone() {
        return super::confluence_rescan::rescan(ctx, known, listed, owners).await;
    }
    if listed.keys.is_empty() {
        return Ok(None);
    }
    let items = owners.lock().map(|o| o.len() as u64).unwrap_or(0);
    let (strategy, reason) = comments::choose(&ctx, listed.scoped, items, &listed.keys).await?;
    let (f, i) = tokio::join!(
        comments::crawl(ctx.clone(), CommentKind::Footer, owners.clone(), strategy),
        comments::crawl(ctx.clone(), CommentKind::Inline, owners, strategy)
    );
    let ((mut problems, footer), (more, inline)) = (f?, i?);
    for (k, v) in more {
        problems.entry(k).or_default().extend(v);
    }
    comments::report_problems(&ctx, problems, &listed.keys).await?;
    Ok(Some(CommentsReport {
        strategy: match strategy {
            Strategy::SiteWide => "site-wide",
            Strategy::PerItem => "per-item",
        }
        .to_string(),
        reason,
        footer,
        inline,
    }))
}

/// The pages and blog posts a resumed scan listed before it stopped: the
/// listings it finished are not read again, and their comments still need
/// their owners.
fn resumed_owners(ctx: &Ctx) -> OwnerMap {
    let mut owners = OwnerMap::new(&ctx.web_base);
    let Some(r) = &ctx.config.resume else {
        return owners;
    };
    // A rescan reads the comments of spaces new to the store only.
    let known = |c: &crate::model::ContainerId| {
        ctx.config
            .known
            .as_ref()
            .is_some_and(|k| k.containers.contains_key(c))
    };
    for i in r
        .listed
        .iter()
        .filter(|i| i.container.product == Product::Confluence && !known(&i.container))
    {
        let owner = Owner {
            container: i.container.key.clone(),
            kind: i.kind,
            url: i.url.clone(),
        };
        owners.insert(&i.id, owner);
    }
    owners
}

/// The checkpoint of one space's page (or blog post) listing.
fn listing_name(space_id: &str, kind: ItemKind) -> String {
    let what = match kind {
        ItemKind::BlogPost => "blogposts",
        _ => "pages",
    };
    format!("confluence:space:{space_id}:{what}")
}

/// The spaces a crawl listed.
pub(crate) struct Listed {
    pub keys: Vec<String>,
    /// Some spaces of the site are not crawled (`--spaces`, space types).
    pub scoped: bool,
    /// A rescan: spaces the store knows (not read here), by space id.
    pub known: HashMap<String, Container>,
    /// Spaces read in full here, by space id.
    pub new: HashMap<String, Container>,
}

/// Every wanted space: its container, then its pages and blog posts.
async fn spaces(ctx: Arc<Ctx>, owners: Owners) -> Result<Listed, Fatal> {
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
    let permits = ctx.container_permits();
    let mut first = true;
    let mut keys = Vec::new();
    let mut scoped = !ctx.config.spaces.is_empty();
    let (mut known, mut new) = (HashMap::new(), HashMap::new());
    let (mut pages, mut listed) = (0u64, 0u64);
    loop {
        match pager.next_page(&ctx).await {
            Ok(Some(page)) => {
                pages += 1;
                listed += page.len() as u64;
                for sp in page {
                    if !wanted(&ctx, &sp) {
                        scoped = true;
                        continue;
                    }
                    let c = convert::space_container(&ctx.web_base, &sp);
                    keys.push(c.key.clone());
                    ctx.container(c.clone()).await?;
                    let id = convert::s(&sp, "id");
                    let is_known = ctx
                        .config
                        .known
                        .as_ref()
                        .is_some_and(|k| k.containers.contains_key(&c.identity()));
                    if is_known {
                        known.insert(id, c);
                    } else {
                        new.insert(id, c.clone());
                        let Ok(permit) = permits.clone().acquire_owned().await else {
                            continue;
                        };
                        let (ctx, owners) = (ctx.clone(), owners.clone());
                        set.spawn(async move {
                            let _permit = permit;
                            space(ctx, c, owners).await
                        });
                    }
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
    if pages > 0 {
        ctx.minimum(listed.div_ceil(250).max(1));
    }
    while let Some(r) = set.join_next().await {
        match r {
            Ok(r) => r?,
            Err(e) => ctx.warn(format!("a Confluence space task failed: {e}")),
        }
    }
    Ok(Listed {
        keys,
        scoped,
        known,
        new,
    })
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
    // A resumed scan goes on from the page after the last one it wrote; the
    // items it wrote are its owners already (`resumed_owners`).
    let name = listing_name(&c.id, kind);
    let resume = ctx.config.resume.clone();
    match resume.as_ref().and_then(|r| r.listing(&name)) {
        Some(None) => return Ok(out),
        Some(Some(url)) => pager.resume_at(url),
        None => {}
    }
    let identity = c.identity();
    loop {
        match pager.next_page(ctx).await {
            Ok(Some(page)) => {
                for p in page {
                    out.seen += 1;
                    let unit = convert::confluence_unit(&ctx.web_base, &c.key, kind, &p);
                    if let Ok(mut o) = owners.lock() {
                        o.insert(
                            &unit.item.id,
                            Owner {
                                container: c.key.clone(),
                                kind,
                                url: unit.item.url.clone(),
                            },
                        );
                    }
                    // Listed again after the checkpoint (content moves): sent once.
                    if resume
                        .as_ref()
                        .is_some_and(|r| r.has_item(&identity, &unit.item.id))
                    {
                        continue;
                    }
                    ctx.emit(super::CrawlEvent::Unit(unit)).await?;
                }
                // Everything the page held is on its way to the store ahead
                // of this: a resume goes on from the next page.
                ctx.emit(super::CrawlEvent::Checkpoint {
                    listing: name.clone(),
                    cursor: pager.next_url().map(str::to_string),
                })
                .await?;
            }
            Ok(None) => break,
            Err(e) => {
                out.listing_error = Some(e.reason(&format!("the {what} listing"))?);
                break;
            }
        }
    }
    ctx.minimum(out.seen.div_ceil(250).max(1));
    Ok(out)
}
