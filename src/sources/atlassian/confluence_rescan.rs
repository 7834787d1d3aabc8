//! Confluence incremental rescans (`CrawlConfig::known`): read only what
//! changed since the last complete scan, in a handful of requests.
//!
//! - Spaces are listed as in a full crawl (every one announced); spaces the
//!   store does not know are read in full by `confluence` (pages, blog
//!   posts), then their comments here (per item or site-wide, whichever the
//!   counts make cheaper).
//! - Pages, blog posts, footer and inline comments of the known spaces: the
//!   site-wide listings sorted by `-modified-date` (the v2 lists honour
//!   `sort`; an object's modified date is its `version.createdAt`), read
//!   with bodies until the watermark (`known.since` minus [`OVERLAP`]). The
//!   listing is read with bodies because its pages must be read anyway: a
//!   list without bodies plus a fetch by id would cost more requests for the
//!   same answer, and at most one page of unchanged bodies is read past the
//!   watermark. What is listed with the version the store has is not sent.
//! - Deletions do not show in modified-sorted lists: two CQL counts
//!   (`type in (page, blogpost)`, `type = comment`, scoped like the crawl)
//!   are compared with what the store has plus what this rescan found new;
//!   where one disagrees (or cannot be read) the ids are listed again
//!   site-wide without bodies and whatever is gone is sent as `Removed`.
//!   The ids are re-listed site-wide rather than narrowed by per-space
//!   counts: one count per space (66 on the generated 20,000-item site)
//!   costs more than re-listing every id (`⌈items/250⌉`, 40 there), and
//!   comments have no per-space listing at all.
//!
//! On an unchanged site this is 7 requests: the spaces, the four sorted
//! listings (one page each), the two counts. A listing that fails leaves
//! every known space partial: nothing unread is called clean.

use super::compact_ids::OwnerMap;
use super::confluence::{CursorPager, Listed};
use super::confluence_comments::{
    self as comments, CommentKind, CommentsReport, Owner, Owners, Problems, Strategy,
};
use super::convert;
use super::{query, CrawlEvent, Ctx, Fatal};
use crate::model::{Container, ContainerId, ItemKind, Product};
use crate::sources::memory::KnownSite;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

/// How far before the last scan's start the sorted listings read: the site's
/// clock and ours may differ, and CQL dates have minute precision.
pub const OVERLAP: jiff::SignedDuration = jiff::SignedDuration::from_mins(15);

const PAGE: u64 = 250;
/// The first page of each modified-sorted listing: a rescan usually finds
/// few changes, and a small page answers that in a fraction of the bytes
/// (and of the server's time). When the changes go past it, the listing is
/// read again at [`PAGE`] from the start, what was seen on the small page
/// skipped: one request more, only then.
const FIRST_PAGE: u64 = 25;

/// One item the store has, in a space this rescan knows.
struct Had {
    container: String,
    version: Option<u64>,
}

struct Rescan {
    ctx: Arc<Ctx>,
    watermark: Option<jiff::Timestamp>,
    /// Known spaces by space id.
    spaces: HashMap<String, Container>,
    /// Spaces read in full by this crawl, by space id.
    new_spaces: HashSet<String>,
    items: HashMap<String, Had>,
    /// Comment id → (item id, version) as the store has them.
    comments: HashMap<String, (String, Option<u64>)>,
    /// Owners of the known spaces' comments (known items and changed ones).
    owners: Owners,
    new_items: u64,
    new_comments: u64,
    removed: HashSet<String>,
    problems: Problems,
    /// Ids of the items and comments this rescan has handled: a listing
    /// read again from its start does not send or count them twice.
    handled: HashSet<String>,
}

pub(crate) async fn rescan(
    ctx: Arc<Ctx>,
    known: Arc<KnownSite>,
    listed: Listed,
    new_owners: Owners,
) -> Result<Option<CommentsReport>, Fatal> {
    if listed.keys.is_empty() {
        return Ok(None);
    }
    let mut r = Rescan::new(ctx.clone(), known, &listed);
    r.items(ItemKind::Page).await?;
    r.items(ItemKind::BlogPost).await?;
    let (mut report, new_problems, new_space_comments) =
        new_space_comments(&ctx, &listed, &r, new_owners.clone()).await?;
    r.comments(CommentKind::Footer).await?;
    r.comments(CommentKind::Inline).await?;
    let new_space_items = new_owners.lock().map(|o| o.len() as u64).unwrap_or(0);
    r.deleted_items(&listed, new_space_items).await?;
    r.deleted_comments(&listed, new_space_comments).await?;
    let old_keys: Vec<String> = r.spaces.values().map(|c| c.key.clone()).collect();
    comments::report_problems(&ctx, std::mem::take(&mut r.problems), &old_keys).await?;
    let new_keys: Vec<String> = listed.new.values().map(|c| c.key.clone()).collect();
    comments::report_problems(&ctx, new_problems, &new_keys).await?;
    report.reason = format!(
        "incremental rescan: listings sorted by modified date down to the last scan; {}",
        report.reason
    );
    Ok(Some(report))
}

/// The comments of the spaces new to the store: per item when that is
/// cheaper than the site-wide listings (which cannot stop at the watermark
/// for them: their comments may be old), else site-wide.
async fn new_space_comments(
    ctx: &Arc<Ctx>,
    listed: &Listed,
    r: &Rescan,
    owners: Owners,
) -> Result<(CommentsReport, Problems, u64), Fatal> {
    let items = owners.lock().map(|o| o.len() as u64).unwrap_or(0);
    let mut report = CommentsReport {
        strategy: "rescan".into(),
        reason: "no space new to the store".into(),
        ..Default::default()
    };
    if items == 0 || listed.new.is_empty() {
        return Ok((report, Problems::new(), 0));
    }
    let per_item = 2 * items;
    let site_wide = (r.comments.len() as u64).div_ceil(PAGE) + 2 + 2 * comments::SAMPLE as u64;
    let strategy = if per_item <= site_wide {
        Strategy::PerItem
    } else {
        Strategy::SiteWide
    };
    report.reason = format!(
        "the {} new spaces' comments {} (per item ≥ {per_item} requests, site-wide ≈ {site_wide})",
        listed.new.len(),
        if strategy == Strategy::PerItem {
            "per item"
        } else {
            "site-wide"
        }
    );
    let (f, i) = tokio::join!(
        comments::crawl(ctx.clone(), CommentKind::Footer, owners.clone(), strategy),
        comments::crawl(ctx.clone(), CommentKind::Inline, owners, strategy)
    );
    let ((mut problems, footer), (more, inline)) = (f?, i?);
    for (k, v) in more {
        problems.entry(k).or_default().extend(v);
    }
    let read = footer.comments + inline.comments;
    report.footer = footer;
    report.inline = inline;
    Ok((report, problems, read))
}

impl Rescan {
    fn new(ctx: Arc<Ctx>, known: Arc<KnownSite>, listed: &Listed) -> Rescan {
        let watermark = known.since.map(|t| t - OVERLAP);
        let mut items = HashMap::new();
        let mut comments = HashMap::new();
        let mut owners = OwnerMap::new(&ctx.web_base);
        for c in listed.known.values() {
            let Some(kc) = known.containers.get(&c.identity()) else {
                continue;
            };
            for (id, it) in &kc.items {
                for (cid, v) in &it.comments {
                    comments.insert(cid.clone(), (id.clone(), *v));
                }
                owners.insert(
                    id,
                    Owner {
                        container: c.key.clone(),
                        kind: it.kind,
                        url: convert::confluence_item_url(&ctx.web_base, &c.key, it.kind, id),
                    },
                );
                items.insert(
                    id.clone(),
                    Had {
                        container: c.key.clone(),
                        version: it.version,
                    },
                );
            }
        }
        Rescan {
            ctx,
            watermark,
            spaces: listed.known.clone(),
            new_spaces: listed.new.keys().cloned().collect(),
            items,
            comments,
            owners: Arc::new(Mutex::new(owners)),
            new_items: 0,
            new_comments: 0,
            removed: HashSet::new(),
            problems: Problems::new(),
            handled: HashSet::new(),
        }
    }

    fn problem(&mut self, reason: String) {
        self.problems.entry(String::new()).or_default().push(reason);
    }

    /// Whether a listing sorted by `-modified-date` may stop after `page`:
    /// its last object was modified before the watermark.
    fn past_watermark(&self, page: &[Value]) -> bool {
        let Some(w) = self.watermark else {
            return false;
        };
        page.last()
            .and_then(|v| v.pointer("/version/createdAt"))
            .and_then(Value::as_str)
            .and_then(|t| t.parse::<jiff::Timestamp>().ok())
            .is_some_and(|t| t < w)
    }

    fn sorted_pager(&self, path: &str, endpoint: &'static str, limit: u64) -> CursorPager {
        CursorPager::new(
            &self.ctx,
            &self.ctx.conf_base,
            path,
            &query(&[
                ("body-format", "storage"),
                ("sort", "-modified-date"),
                ("limit", &limit.to_string()),
            ]),
            endpoint,
        )
    }

    /// Pages (or blog posts) modified since the watermark.
    async fn items(&mut self, kind: ItemKind) -> Result<(), Fatal> {
        let (path, endpoint, what) = match kind {
            ItemKind::BlogPost => (
                "/wiki/api/v2/blogposts",
                "confluence.blogposts",
                "blog post",
            ),
            _ => ("/wiki/api/v2/pages", "confluence.pages", "page"),
        };
        let mut pager = self.sorted_pager(path, endpoint, FIRST_PAGE);
        let mut small = true;
        let mut pages = 0u64;
        loop {
            match pager.next_page(&self.ctx).await {
                Ok(Some(page)) => {
                    pages += 1;
                    for p in &page {
                        self.item(kind, p).await?;
                    }
                    self.ctx.minimum(1);
                    if self.past_watermark(&page) {
                        break;
                    }
                    if std::mem::take(&mut small) {
                        pager = self.sorted_pager(path, endpoint, PAGE);
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    let reason = e.reason(&format!("the modified-sorted {what} listing"))?;
                    self.problem(reason);
                    break;
                }
            }
        }
        if pages == 0 {
            self.ctx.minimum(1);
        }
        Ok(())
    }

    /// One listed page or blog post: sent when new, edited or moved.
    async fn item(&mut self, kind: ItemKind, p: &Value) -> Result<(), Fatal> {
        let space_id = convert::s(p, "spaceId");
        // Spaces read in full, and spaces the crawl does not cover.
        let Some(c) = self.spaces.get(&space_id).cloned() else {
            return Ok(());
        };
        if self.new_spaces.contains(&space_id) {
            return Ok(());
        }
        let id = convert::s(p, "id");
        if !self.handled.insert(id.clone()) {
            return Ok(());
        }
        let version = p.pointer("/version/number").and_then(Value::as_u64);
        match self.items.get(&id) {
            Some(h) if h.container == c.key && h.version.is_some() && h.version == version => {
                return Ok(())
            }
            Some(h) if h.container != c.key => {
                // Moved to another space: gone from the old one.
                let old = ContainerId::new(Product::Confluence, &h.container);
                self.emit_removed(old, &id, None).await?;
            }
            Some(_) => {}
            None => self.new_items += 1,
        }
        let unit = convert::confluence_unit(&self.ctx.web_base, &c.key, kind, p);
        if let Ok(mut o) = self.owners.lock() {
            o.insert(
                &id,
                Owner {
                    container: c.key.clone(),
                    kind,
                    url: unit.item.url.clone(),
                },
            );
        }
        if self.resumed_item(&c.key, &id) {
            return Ok(());
        }
        self.ctx.emit(CrawlEvent::Unit(unit)).await
    }

    fn resumed_item(&self, key: &str, id: &str) -> bool {
        self.ctx
            .config
            .resume
            .as_ref()
            .is_some_and(|r| r.has_item(&ContainerId::new(Product::Confluence, key), id))
    }

    async fn emit_removed(
        &self,
        container: ContainerId,
        item: &str,
        comment: Option<&str>,
    ) -> Result<(), Fatal> {
        self.ctx
            .emit(CrawlEvent::Removed {
                container,
                item_id: item.to_string(),
                comment_id: comment.map(str::to_string),
            })
            .await
    }

    /// Comments of one kind modified since the watermark, on the known spaces' items.
    async fn comments(&mut self, kind: CommentKind) -> Result<(), Fatal> {
        let path = format!("/wiki/api/v2/{}-comments", kind.name());
        let endpoint = match kind {
            CommentKind::Footer => "confluence.footer-comments",
            CommentKind::Inline => "confluence.inline-comments",
        };
        let mut pager = self.sorted_pager(&path, endpoint, FIRST_PAGE);
        let mut small = true;
        let mut pages = 0u64;
        loop {
            match pager.next_page(&self.ctx).await {
                Ok(Some(page)) => {
                    pages += 1;
                    for c in &page {
                        self.comment(c).await?;
                    }
                    self.ctx.minimum(1);
                    if self.past_watermark(&page) {
                        break;
                    }
                    if std::mem::take(&mut small) {
                        pager = self.sorted_pager(&path, endpoint, PAGE);
                    }
                }
                Ok(None) => break,
                Err(e) if e.is_not_found() => break,
                Err(e) => {
                    let what = format!("the modified-sorted {} comment listing", kind.name());
                    let reason = e.reason(&what)?;
                    self.problem(reason);
                    break;
                }
            }
        }
        if pages == 0 {
            self.ctx.minimum(1);
        }
        Ok(())
    }

    /// One listed comment: sent when new or edited.
    async fn comment(&mut self, c: &Value) -> Result<(), Fatal> {
        let id = convert::s(c, "id");
        let owner_id = convert::comment_owner(c);
        let Some(owner) = self.owners.lock().ok().and_then(|o| o.get(&owner_id)) else {
            // On an item out of the crawl, hidden, or in a space read in full.
            return Ok(());
        };
        if !self.handled.insert(id.clone()) {
            return Ok(());
        }
        let version = c.pointer("/version/number").and_then(Value::as_u64);
        match self.comments.get(&id) {
            Some((item, v)) if *item == owner_id && v.is_some() && *v == version => return Ok(()),
            Some(_) => {}
            None => self.new_comments += 1,
        }
        let resumed = self.ctx.config.resume.as_ref().is_some_and(|r| {
            r.has_comment(
                &ContainerId::new(Product::Confluence, &owner.container),
                &owner_id,
                &id,
            )
        });
        if resumed {
            return Ok(());
        }
        comments::send_comment(&self.ctx, &owner_id, &owner, c, None).await
    }

    /// The CQL scope clause of this crawl (`None`: the whole site).
    fn scope(listed: &Listed) -> String {
        if !listed.scoped {
            return String::new();
        }
        let keys: Vec<String> = listed
            .keys
            .iter()
            .map(|k| format!("\"{}\"", k.replace('\\', "\\\\").replace('"', "\\\"")))
            .collect();
        format!(" AND space in ({})", keys.join(", "))
    }

    /// Pages and blog posts the site no longer has.
    async fn deleted_items(&mut self, listed: &Listed, new_space_items: u64) -> Result<(), Fatal> {
        let expected = self.items.len() as u64 + self.new_items + new_space_items;
        let cql = format!("type in (page, blogpost){}", Self::scope(listed));
        if comments::cql_count(&self.ctx, &cql).await? == Some(expected) {
            return Ok(());
        }
        let mut live = HashSet::new();
        for (path, endpoint) in [
            ("/wiki/api/v2/pages", "confluence.pages"),
            ("/wiki/api/v2/blogposts", "confluence.blogposts"),
        ] {
            if !self.ids(path, endpoint, &mut live).await? {
                return Ok(());
            }
        }
        let gone: Vec<(String, String)> = self
            .items
            .iter()
            .filter(|(id, _)| !live.contains(id.as_str()))
            .map(|(id, h)| (id.clone(), h.container.clone()))
            .collect();
        for (id, key) in gone {
            self.emit_removed(ContainerId::new(Product::Confluence, &key), &id, None)
                .await?;
            self.removed.insert(id);
        }
        Ok(())
    }

    /// Comments the site no longer has (on items it still has).
    async fn deleted_comments(
        &mut self,
        listed: &Listed,
        new_space_comments: u64,
    ) -> Result<(), Fatal> {
        let kept = self
            .comments
            .values()
            .filter(|(item, _)| !self.removed.contains(item))
            .count() as u64;
        let expected = kept + self.new_comments + new_space_comments;
        let cql = format!("type = comment{}", Self::scope(listed));
        if comments::cql_count(&self.ctx, &cql).await? == Some(expected) {
            return Ok(());
        }
        let mut live = HashSet::new();
        for (path, endpoint) in [
            ("/wiki/api/v2/footer-comments", "confluence.footer-comments"),
            ("/wiki/api/v2/inline-comments", "confluence.inline-comments"),
        ] {
            if !self.ids(path, endpoint, &mut live).await? {
                return Ok(());
            }
        }
        let gone: Vec<(String, String)> = self
            .comments
            .iter()
            .filter(|(id, (item, _))| !live.contains(id.as_str()) && !self.removed.contains(item))
            .map(|(id, (item, _))| (id.clone(), item.clone()))
            .collect();
        for (id, item) in gone {
            let Some(h) = self.items.get(&item) else {
                continue;
            };
            let c = ContainerId::new(Product::Confluence, &h.container);
            self.emit_removed(c, &item, Some(&id)).await?;
        }
        Ok(())
    }

    /// Every id of a site-wide listing, without bodies, into `live`; false
    /// (and every known space partial) when it could not be read to the end.
    async fn ids(
        &mut self,
        path: &str,
        endpoint: &'static str,
        live: &mut HashSet<String>,
    ) -> Result<bool, Fatal> {
        let mut pager = CursorPager::new(
            &self.ctx,
            &self.ctx.conf_base,
            path,
            &query(&[("limit", "250")]),
            endpoint,
        );
        let mut listed = 0u64;
        loop {
            match pager.next_page(&self.ctx).await {
                Ok(Some(page)) => {
                    listed += page.len() as u64;
                    live.extend(page.iter().map(|v| convert::s(v, "id")));
                }
                Ok(None) => break,
                Err(e) => {
                    let reason = e.reason("the listing of ids (for deletions)")?;
                    self.problem(reason);
                    return Ok(false);
                }
            }
        }
        self.ctx.minimum(listed.div_ceil(PAGE).max(1));
        Ok(true)
    }
}
