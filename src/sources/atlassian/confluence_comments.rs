//! Confluence footer and inline comments with every reply, at the fewest
//! requests the site allows (issue 9).
//!
//! Two strategies, chosen per crawl by [`choose`]:
//! - **Site-wide** (the default): `GET /wiki/api/v2/footer-comments` and
//!   `/inline-comments` (250 a page, storage bodies) list every comment the
//!   account can see, each with its `pageId` or `blogPostId`, and a reply
//!   with its `parentCommentId` ("ID of the parent comment if the comment is
//!   a reply", Confluence v2 OpenAPI; confluence.js `footerComment.ts` and
//!   `inlineComment.ts`, 2026-07; Forge apps rebuild threads from these flat
//!   lists). That the lists hold replies is strongly indicated but not stated
//!   by Atlassian, so it is **checked on the site being crawled**: once a
//!   listing is read, a bounded sample of its comments is asked for its
//!   replies (`/{kind}-comments/{id}/children`, [`SAMPLE`] comments, half of
//!   them ones the listing shows replies to; [`SAMPLE_NO_REPLIES`] when the
//!   listing shows no reply at all, which is what a roots-only listing looks
//!   like). If the sample returns one reply the listing lacked, the crawl
//!   falls back to asking every comment for its replies, recursively (one
//!   request per comment), says so in the crawl report, the warnings and the
//!   progress output, and counts what the fallback cost.
//! - **Per item**, for a crawl limited to some spaces (`--spaces`, or space
//!   types) when that is cheaper: `/pages/{id}/{kind}-comments` (and
//!   `/blogposts/{id}/…`) per crawled item, roots only as the spec says,
//!   then the replies below each comment.
//!
//! The rule for a scoped crawl, from counts the crawl has or can ask for in
//! one request: with `N` items crawled, per item costs at least `2N + C`
//! requests (two root listings per item, one reply listing per comment `C`
//! of those items); site-wide costs `⌈S/250⌉ + 2` (both listings) plus the
//! sample, `S` the comments of the whole site. `S` and `C` come from CQL
//! counts (`type = comment`, `… AND space in (…)`: `totalSize`, one request
//! each; the second only when the first does not already decide). When the
//! counts cannot be read, per item is chosen: its cost is bounded by the
//! scope, site-wide by the whole site.
//!
//! Every comment is sent once, as more documents of its item
//! ([`CrawlEvent::Comments`]), with the comment it answers; comments on items
//! the crawl does not cover (out of scope, or hidden from the account) are
//! dropped after the listing and make nothing partial.

use super::confluence::CursorPager;
use super::convert;
use super::paging::ListingError;
use super::{query, CrawlEvent, Ctx, Fatal};
use crate::model::{CoverageStatus, ItemKind, Product};
use crate::sources::ItemUnit;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use tokio::task::JoinSet;

/// Comments asked for their replies to check a listing that shows replies.
pub const SAMPLE: usize = 20;
/// Comments asked when the listing shows no reply at all.
pub const SAMPLE_NO_REPLIES: usize = 100;
/// Page size of every comment listing (the v2 maximum).
const PAGE: u64 = 250;
/// Listings in flight at once beyond the client's own limit: bounds the
/// memory of a walk over a million comments.
const MAX_TASKS: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CommentKind {
    Footer,
    Inline,
}

impl CommentKind {
    pub fn name(self) -> &'static str {
        match self {
            CommentKind::Footer => "footer",
            CommentKind::Inline => "inline",
        }
    }
}

pub(crate) use super::compact_ids::Owner;
use super::compact_ids::{Id, OwnerMap, Seen, SeenMap};

/// Pages and blog posts by id, shared by the listings and the comment walks.
/// Kept for every item (a few dozen bytes each) so that comments can be
/// streamed as they are read instead of held until their pages are listed.
pub(crate) type Owners = Arc<Mutex<OwnerMap>>;

/// Problems reading comments, by container key ("" = every container).
pub(crate) type Problems = HashMap<String, Vec<String>>;

/// How the comments were read (`summary.json` → `crawl.confluence_comments`).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct CommentsReport {
    /// `site-wide` or `per-item`.
    pub strategy: String,
    /// Why that strategy.
    pub reason: String,
    pub footer: ListingReport,
    pub inline: ListingReport,
}

/// One kind of comment (footer or inline).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ListingReport {
    /// Comments read and sent (on crawled items), replies included.
    pub comments: u64,
    /// Of which replies.
    pub replies: u64,
    /// Comments the site-wide listing held on items the crawl does not
    /// cover (out of scope or hidden): dropped.
    pub outside_crawl: u64,
    /// Comments asked for their replies to check the listing.
    pub sampled: u64,
    /// Replies the sample returned.
    pub sample_replies: u64,
    /// Of those, replies the listing did not hold.
    pub missing_from_listing: u64,
    /// The listing was checked and held every reply of the sample.
    pub verified: bool,
    /// Replies were read comment by comment (the check failed).
    pub fallback: bool,
    /// Requests the fallback made.
    pub fallback_requests: u64,
    /// Requests this kind cost in all (listings, sample, fallback; retries not counted).
    pub requests: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Strategy {
    SiteWide,
    PerItem,
}

/// The cheaper strategy for this crawl (see the module docs), and why.
pub(crate) async fn choose(
    ctx: &Ctx,
    scoped: bool,
    items: u64,
    spaces: &[String],
) -> Result<(Strategy, String), Fatal> {
    if !scoped {
        return Ok((
            Strategy::SiteWide,
            "the whole site is crawled: the site-wide listings are the fewest requests".into(),
        ));
    }
    let per_item_floor = 2 * items;
    let site = match cql_count(ctx, "type = comment").await? {
        Some(n) => n,
        None => {
            return Ok((
                Strategy::PerItem,
                "scoped crawl and the site's comment count could not be read: per item (bounded by the scope)".into(),
            ))
        }
    };
    let site_cost = site.div_ceil(PAGE) + 2 + 2 * SAMPLE as u64;
    if site_cost <= per_item_floor {
        return Ok((
            Strategy::SiteWide,
            format!(
                "site-wide ≈ {site_cost} requests for the site's {site} comments, per item ≥ {per_item_floor} for {items} items"
            ),
        ));
    }
    let keys: Vec<String> = spaces
        .iter()
        .map(|k| format!("\"{}\"", k.replace('\\', "\\\\").replace('"', "\\\"")))
        .collect();
    let scope_cql = format!("type = comment AND space in ({})", keys.join(", "));
    let Some(scope) = cql_count(ctx, &scope_cql).await? else {
        return Ok((
            Strategy::PerItem,
            "scoped crawl and the scope's comment count could not be read: per item (bounded by the scope)".into(),
        ));
    };
    let per_item = per_item_floor + scope;
    Ok(if site_cost <= per_item {
        (
            Strategy::SiteWide,
            format!("site-wide ≈ {site_cost} requests for the site's {site} comments, per item ≈ {per_item} for {items} items and {scope} comments"),
        )
    } else {
        (
            Strategy::PerItem,
            format!("per item ≈ {per_item} requests for {items} items and {scope} comments, site-wide ≈ {site_cost} for the site's {site} comments"),
        )
    })
}

/// `totalSize` of a CQL search, or `None` when it cannot be read.
pub(crate) async fn cql_count(ctx: &Ctx, cql: &str) -> Result<Option<u64>, Fatal> {
    let q = query(&[("cql", cql), ("limit", "1")]);
    match ctx
        .get(
            &ctx.conf_base,
            "/wiki/rest/api/search",
            &q,
            "confluence.search",
        )
        .await
    {
        Ok(a) => {
            ctx.minimum(1);
            Ok(a.json.get("totalSize").and_then(Value::as_u64))
        }
        Err(e) => {
            let reason = super::triage(e)?;
            ctx.warn(format!(
                "Confluence: the comment count (CQL search) could not be read: {reason}"
            ));
            Ok(None)
        }
    }
}

/// Read every comment of one kind with the strategy chosen.
pub(crate) async fn crawl(
    ctx: Arc<Ctx>,
    kind: CommentKind,
    owners: Owners,
    strategy: Strategy,
) -> Result<(Problems, ListingReport), Fatal> {
    let mut walk = Walk {
        ctx,
        kind,
        owners,
        seen: SeenMap::default(),
        tasks: JoinSet::new(),
        todo: VecDeque::new(),
        problems: Problems::new(),
        report: ListingReport::default(),
        with_replies: Reservoir::new(SAMPLE / 2, 0x9e37_79b9_7f4a_7c15),
        any: Reservoir::new(SAMPLE_NO_REPLIES, 0x2545_f491_4f6c_dd1d),
        fallback: false,
    };
    match strategy {
        Strategy::SiteWide => walk.site_wide().await?,
        Strategy::PerItem => {
            let items: Vec<String> = walk.owners.lock().map(|o| o.ids()).unwrap_or_default();
            walk.todo.extend(items.into_iter().map(Job::Roots));
            walk.run().await?;
        }
    }
    Ok((walk.problems, walk.report))
}

enum Job {
    /// The root comments of one item.
    Roots(String),
    /// The replies of one comment: (comment id, why).
    Children(String, Purpose),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Purpose {
    Sample,
    Walk,
}

/// A finished listing: the job, what it returned, and the pages it took.
type Done = (Job, Result<(Vec<Value>, u64), ListingError>);

/// Where one kind's site-wide listing stands, as its checkpoint holds it
/// (JSON): the next page, and what the check after the listing needs (the
/// report so far, the two samples), so that a resumed crawl neither reads
/// the pages before `next` again nor samples differently.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct SiteWideState {
    next: Option<String>,
    /// The listing was read to its last page; the check may still be due.
    listed: bool,
    /// The check (and the fallback, if it took one) ended with nothing left
    /// to do: a resume skips this kind.
    done: bool,
    report: ListingReport,
    with_replies: Reservoir,
    any: Reservoir,
}

fn checkpoint_name(kind: CommentKind) -> String {
    format!("confluence:comments:{}", kind.name())
}

/// The state of one kind's comments.
struct Walk {
    ctx: Arc<Ctx>,
    kind: CommentKind,
    owners: Owners,
    seen: SeenMap,
    tasks: JoinSet<Done>,
    todo: VecDeque<Job>,
    problems: Problems,
    report: ListingReport,
    /// Comments the listing shows replies to (candidates for the sample).
    with_replies: Reservoir,
    /// Any comment of the listing (candidates for the sample).
    any: Reservoir,
    fallback: bool,
}

impl Walk {
    fn owner(&self, id: &str) -> Option<Owner> {
        self.owners.lock().ok().and_then(|o| o.get(id))
    }

    fn problem(&mut self, container: String, reason: String) {
        self.problems.entry(container).or_default().push(reason);
    }

    /// The checkpoint this kind's listing left in a resumed scan, with the
    /// comments that scan wrote taken as seen (listed before `next`).
    fn resumed(&mut self) -> Option<SiteWideState> {
        let r = self.ctx.config.resume.clone()?;
        let text = r.listing(&checkpoint_name(self.kind))??;
        let state: SiteWideState = serde_json::from_str(text).ok()?;
        // Comment ids are unique across kinds; the other kind's are never
        // listed here (only a resumed fallback asks them, in vain).
        for (c, item, comment) in &r.comments {
            if c.product == Product::Confluence {
                self.seen.insert(
                    comment,
                    Seen {
                        owner: Id::new(item),
                        listed: true,
                        walked: false,
                    },
                );
            }
        }
        self.report = state.report.clone();
        self.with_replies = state.with_replies.clone();
        self.any = state.any.clone();
        Some(state)
    }

    async fn checkpoint(&self, next: Option<&str>, listed: bool, done: bool) -> Result<(), Fatal> {
        let state = SiteWideState {
            next: next.map(str::to_string),
            listed,
            done,
            report: self.report.clone(),
            with_replies: self.with_replies.clone(),
            any: self.any.clone(),
        };
        let cursor = serde_json::to_string(&state).ok();
        self.ctx
            .emit(CrawlEvent::Checkpoint {
                listing: checkpoint_name(self.kind),
                cursor,
            })
            .await
    }

    /// The site-wide listing, the check, and the fallback if needed.
    async fn site_wide(&mut self) -> Result<(), Fatal> {
        let kind = self.kind;
        let resumed = self.resumed();
        if resumed.as_ref().is_some_and(|s| s.done) {
            return Ok(());
        }
        let mut pager = CursorPager::new(
            &self.ctx,
            &self.ctx.conf_base,
            &format!("/wiki/api/v2/{}-comments", kind.name()),
            &query(&[("body-format", "storage"), ("limit", "250")]),
            match kind {
                CommentKind::Footer => "confluence.footer-comments",
                CommentKind::Inline => "confluence.inline-comments",
            },
        );
        let (mut pages, mut listed) = (0u64, 0u64);
        let mut complete = true;
        let already_listed = match &resumed {
            Some(SiteWideState { listed: true, .. }) => true,
            Some(SiteWideState {
                next: Some(next), ..
            }) => {
                pager.resume_at(next);
                false
            }
            _ => false,
        };
        if !already_listed {
            loop {
                match pager.next_page(&self.ctx).await {
                    Ok(Some(page)) => {
                        pages += 1;
                        self.report.requests += 1;
                        listed += page.len() as u64;
                        for c in page {
                            self.listed_comment(c, None).await?;
                        }
                        // The page's comments are on their way to the store ahead of this.
                        let next = pager.next_url().map(str::to_string);
                        self.checkpoint(next.as_deref(), next.is_none(), false)
                            .await?;
                    }
                    Ok(None) => break,
                    Err(e) if e.is_not_found() => break,
                    Err(e) => {
                        // Every space's comments came from this listing: all are partial.
                        let reason =
                            e.reason(&format!("the site-wide {} comment listing", kind.name()))?;
                        self.problem(String::new(), reason);
                        complete = false;
                        break;
                    }
                }
            }
        }
        if pages == 0 && !already_listed {
            self.report.requests += 1;
        }
        self.ctx.minimum(listed.div_ceil(PAGE).max(1));
        if !complete && self.seen.is_empty() {
            return Ok(());
        }
        self.check().await?;
        if self.fallback {
            let pending = self.seen.not_walked();
            self.todo.extend(
                pending
                    .into_iter()
                    .map(|id| Job::Children(id, Purpose::Walk)),
            );
            self.run().await?;
        }
        // Done only when nothing is left to say: a problem is reported at the
        // end of the crawl, so a resume must meet it again.
        if complete && self.problems.is_empty() {
            self.checkpoint(None, true, true).await?;
        }
        Ok(())
    }

    /// Ask a sample of the listing's comments for their replies; any reply
    /// the listing lacked turns the fallback on.
    async fn check(&mut self) -> Result<(), Fatal> {
        let target = if self.report.replies > 0 {
            SAMPLE
        } else {
            SAMPLE_NO_REPLIES
        };
        let mut chosen: Vec<String> = Vec::new();
        let mut taken = HashSet::new();
        let candidates: Vec<String> = self
            .with_replies
            .items
            .iter()
            .chain(self.any.items.iter())
            .cloned()
            .collect();
        for id in candidates {
            if chosen.len() >= target {
                break;
            }
            if self.seen.contains(&id) && taken.insert(id.clone()) {
                chosen.push(id);
            }
        }
        if chosen.is_empty() {
            return Ok(());
        }
        self.report.sampled = chosen.len() as u64;
        self.todo.extend(
            chosen
                .into_iter()
                .map(|id| Job::Children(id, Purpose::Sample)),
        );
        let answered = self.run().await?;
        if self.report.missing_from_listing > 0 {
            self.fallback = true;
            self.report.fallback = true;
            let note = format!(
                "Confluence: the site-wide {} comment listing lacks replies ({} of {} replies \
                 in a sample of {} comments were not listed): reading replies comment by \
                 comment, one request per comment",
                self.kind.name(),
                self.report.missing_from_listing,
                self.report.sample_replies,
                self.report.sampled
            );
            if let Some(p) = &self.ctx.config.client.progress {
                p.note(note.clone());
            }
            self.ctx.warn(note);
        } else if answered == 0 {
            // Not one reply listing of the sample could be read: whether the
            // listing holds replies is unknown, so nothing can be called complete.
            self.problem(
                String::new(),
                format!(
                    "whether the site-wide {} comment listing holds replies could not be checked: \
                     no reply listing of the sample could be read",
                    self.kind.name()
                ),
            );
        } else {
            self.report.verified = true;
        }
        Ok(())
    }

    /// Run queued and spawned listings until none is left; returns how many
    /// sample listings were answered.
    async fn run(&mut self) -> Result<u64, Fatal> {
        let mut answered = 0;
        loop {
            while self.tasks.len() < MAX_TASKS {
                let Some(job) = self.todo.pop_front() else {
                    break;
                };
                self.spawn(job);
            }
            let Some(done) = self.tasks.join_next().await else {
                return Ok(answered);
            };
            match done {
                Ok((job, result)) => {
                    if self.finished(job, result).await? {
                        answered += 1;
                    }
                }
                Err(e) => self.problem(String::new(), format!("a comment task failed: {e}")),
            }
        }
    }

    fn spawn(&mut self, job: Job) {
        let (ctx, kind) = (self.ctx.clone(), self.kind);
        match &job {
            Job::Children(id, _) => {
                let _ = self.seen.update(id, |s| s.walked = true);
            }
            Job::Roots(_) => {}
        }
        let (path, endpoint) = match &job {
            Job::Children(id, _) => (
                format!("/wiki/api/v2/{}-comments/{id}/children", kind.name()),
                match kind {
                    CommentKind::Footer => "confluence.footer-comments.children",
                    CommentKind::Inline => "confluence.inline-comments.children",
                },
            ),
            Job::Roots(item) => {
                let is_blog = self
                    .owner(item)
                    .is_some_and(|o| o.kind == ItemKind::BlogPost);
                let base = if is_blog { "blogposts" } else { "pages" };
                (
                    format!("/wiki/api/v2/{base}/{item}/{}-comments", kind.name()),
                    match kind {
                        CommentKind::Footer => "confluence.item.footer-comments",
                        CommentKind::Inline => "confluence.item.inline-comments",
                    },
                )
            }
        };
        self.tasks.spawn(async move {
            let r = read_all(&ctx, &path, endpoint).await;
            (job, r)
        });
    }

    /// One listing finished. Returns whether it was an answered sample.
    async fn finished(
        &mut self,
        job: Job,
        result: Result<(Vec<Value>, u64), ListingError>,
    ) -> Result<bool, Fatal> {
        let (parent, owner_id, purpose) = match &job {
            Job::Children(id, p) => (
                Some(id.clone()),
                self.seen
                    .get(id)
                    .map(|s| s.owner.to_string())
                    .unwrap_or_default(),
                Some(*p),
            ),
            Job::Roots(item) => (None, item.clone(), None),
        };
        match result {
            Ok((found, pages)) => {
                let cost = pages.max(1);
                self.report.requests += cost;
                self.ctx.minimum((found.len() as u64).div_ceil(PAGE).max(1));
                if purpose == Some(Purpose::Walk) && self.fallback {
                    self.report.fallback_requests += cost;
                }
                for c in found {
                    match &parent {
                        Some(p) => self.reply(c, p, &owner_id, purpose).await?,
                        None => self.listed_comment(c, Some(&owner_id)).await?,
                    }
                }
                Ok(purpose == Some(Purpose::Sample))
            }
            Err(e) if e.is_not_found() => Ok(false),
            Err(e) => {
                let reason = e.reason("the listing")?;
                if purpose == Some(Purpose::Sample) {
                    // Checked by the rest of the sample (all failed: `check`
                    // says so); asked again if the fallback walks.
                    if let Some(p) = &parent {
                        let _ = self.seen.update(p, |s| s.walked = false);
                    }
                    return Ok(false);
                }
                let (container, what) = match self.owner(&owner_id) {
                    Some(o) => (o.container, kind_name(o.kind)),
                    None => (String::new(), "page"),
                };
                let text = match &parent {
                    Some(p) => format!(
                        "{what} {owner_id}: replies to comment {p} could not be read: {reason}"
                    ),
                    None => format!(
                        "{what} {owner_id}: its {} comments could not be read: {reason}",
                        self.kind.name()
                    ),
                };
                self.problem(container, text);
                Ok(false)
            }
        }
    }

    /// A comment from a listing (site-wide, or one item's roots).
    async fn listed_comment(&mut self, c: Value, item: Option<&str>) -> Result<(), Fatal> {
        let id = convert::s(&c, "id");
        if id.is_empty() {
            return Ok(());
        }
        if self.seen.update(&id, |s| s.listed = true) {
            return Ok(());
        }
        let mut owner_id = convert::comment_owner(&c);
        if owner_id.is_empty() {
            owner_id = item.unwrap_or_default().to_string();
        }
        let Some(owner) = self.owner(&owner_id) else {
            self.report.outside_crawl += 1;
            return Ok(());
        };
        let parent = convert::s(&c, "parentCommentId");
        send_comment(&self.ctx, &owner_id, &owner, &c, None).await?;
        self.report.comments += 1;
        if !parent.is_empty() {
            self.report.replies += 1;
            self.with_replies.offer(&parent);
        }
        self.any.offer(&id);
        // Per item: roots only, so every comment is asked for its replies.
        let walk = item.is_some();
        self.seen.insert(
            &id,
            Seen {
                owner: Id::new(&owner_id),
                listed: true,
                walked: false,
            },
        );
        if walk {
            self.todo.push_back(Job::Children(id, Purpose::Walk));
        }
        Ok(())
    }

    /// A reply read through `/children` of `parent`.
    async fn reply(
        &mut self,
        c: Value,
        parent: &str,
        parent_owner: &str,
        purpose: Option<Purpose>,
    ) -> Result<(), Fatal> {
        let id = convert::s(&c, "id");
        if id.is_empty() {
            return Ok(());
        }
        let sample = purpose == Some(Purpose::Sample);
        if sample {
            self.report.sample_replies += 1;
        }
        if let Some(s) = self.seen.get(&id) {
            if sample && !s.listed {
                self.report.missing_from_listing += 1;
            }
            return Ok(());
        }
        if sample {
            self.report.missing_from_listing += 1;
        }
        let mut owner_id = convert::comment_owner(&c);
        if owner_id.is_empty() {
            owner_id = parent_owner.to_string();
        }
        let Some(owner) = self.owner(&owner_id) else {
            return Ok(());
        };
        send_comment(&self.ctx, &owner_id, &owner, &c, Some(parent)).await?;
        self.report.comments += 1;
        self.report.replies += 1;
        // Walked further once the walk is on (per item, or the fallback); a
        // sampled reply's own replies are asked only by the fallback.
        let walk_now = purpose == Some(Purpose::Walk);
        self.seen.insert(
            &id,
            Seen {
                owner: Id::new(&owner_id),
                listed: false,
                walked: false,
            },
        );
        if walk_now {
            self.todo.push_back(Job::Children(id, Purpose::Walk));
        }
        Ok(())
    }
}

/// Every result of one listing, and the pages it took.
async fn read_all(
    ctx: &Ctx,
    path: &str,
    endpoint: &'static str,
) -> Result<(Vec<Value>, u64), ListingError> {
    let mut pager = CursorPager::new(
        ctx,
        &ctx.conf_base,
        path,
        &query(&[("body-format", "storage"), ("limit", "250")]),
        endpoint,
    );
    let (mut all, mut pages) = (Vec::new(), 0);
    while let Some(page) = pager.next_page(ctx).await? {
        pages += 1;
        all.extend(page);
    }
    Ok((all, pages))
}

/// Send one comment as more documents of its page or blog post, with the
/// comment it answers (`parentCommentId`, else the comment whose
/// `/children` returned it).
pub(crate) async fn send_comment(
    ctx: &Ctx,
    owner_id: &str,
    owner: &Owner,
    c: &Value,
    parent: Option<&str>,
) -> Result<(), Fatal> {
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
        comments: BTreeMap::new(),
    };
    convert::add_confluence_comment_in_thread(&mut fragment, c, parent);
    ctx.emit(CrawlEvent::Comments(fragment)).await
}

fn kind_name(k: ItemKind) -> &'static str {
    match k {
        ItemKind::BlogPost => "blog post",
        _ => "page",
    }
}

/// Mark the containers a kind's problems name as partial.
pub(crate) async fn report_problems(
    ctx: &Ctx,
    problems: Problems,
    containers: &[String],
) -> Result<(), Fatal> {
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

/// A uniform sample of a stream of ids (Algorithm R), deterministic: the
/// same listing gives the same sample, across a resume too (it is part of
/// the listing's checkpoint).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Reservoir {
    cap: usize,
    seen: u64,
    state: u64,
    items: Vec<String>,
}

impl Reservoir {
    fn new(cap: usize, seed: u64) -> Reservoir {
        Reservoir {
            cap,
            seen: 0,
            state: seed | 1,
            items: Vec::with_capacity(cap),
        }
    }

    fn offer(&mut self, id: &str) {
        self.seen += 1;
        if self.items.len() < self.cap {
            self.items.push(id.to_string());
            return;
        }
        // xorshift64: cheap and reproducible.
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        let j = self.state % self.seen;
        if let Some(slot) = usize::try_from(j).ok().and_then(|j| self.items.get_mut(j)) {
            *slot = id.to_string();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Reservoir;

    #[test]
    fn the_reservoir_keeps_its_capacity_and_is_reproducible() {
        let fill = || {
            let mut r = Reservoir::new(5, 42);
            for i in 0..1000 {
                r.offer(&i.to_string());
            }
            r.items
        };
        let a = fill();
        assert_eq!(a.len(), 5);
        assert_eq!(a, fill());
        // Not simply the first five: later ids get their chance.
        assert!(a.iter().any(|id| id.parse::<u32>().unwrap_or(0) >= 5));
    }
}
