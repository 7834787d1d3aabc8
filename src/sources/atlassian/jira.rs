//! Jira Cloud v3 (and JSM, whose requests are the issues of service-desk
//! projects): projects (50 a page, `startAt` until `isLast`) → issues by
//! enhanced JQL search (100 a page, `nextPageToken` until absent) → the
//! comments the search did not embed: the issues whose embedded comments
//! were cut short go, 100 at a time, through `POST /issue/bulkfetch` with
//! `fields: ["comment"]`, and what that still leaves out is paged through
//! `/issue/{key}/comment` (100 a page).
//!
//! How many comments a bulk fetch embeds per issue is not stated by
//! Atlassian (a single `GET /issue/{key}` embeds 100, atlassian-api.md §8):
//! nothing here relies on it. Each issue's `comment.total` is compared with
//! what arrived, and the rest is paged per issue, so the crawl is complete
//! whatever the cap; the cap only decides how many requests it saves. An
//! issue the bulk fetch leaves out (an `issueErrors` entry) or a bulk fetch
//! that fails falls back to the per-issue paging.
//!
//! Each listing has its own [`Listing`] guard: a repeated offset, page or
//! token, an `isLast: false` with nothing more, or pages past the reported
//! `total` end it as partial, and an item listed twice is sent once.
//!
//! A search page is read as raw issues, each parsed (at any depth) and
//! converted on its own: one issue that cannot be read is an
//! [`crate::sources::ItemFailure`] of that issue, not the loss of its page or project.
//!
//! Rescans and resume. With `config.known` (`rescan`), projects the store
//! knows are not listed again: one search per 100 of them,
//! `project in (ids) AND updated >= "-Nm"` (N = minutes since the last scan
//! started plus a 15-minute overlap; relative, so the user's time zone does
//! not matter), sends only the issues whose `updated` differs from the
//! store's (a comment added, edited or deleted bumps it), each as a full
//! crawl reads it (all its documents and comments) followed by `Removed` for
//! each comment the store has that it no longer holds. Deleted issues are
//! found by `search/approximate-count` over the same projects against the
//! store's issues plus the new ones; only where the count differs are halves
//! counted down to single projects, whose keys are listed 5000 a page
//! (`fields=key`), to send `Removed` (the count is eventually consistent:
//! it only triggers the exact listing). An unchanged site costs the field
//! list, the project page, one search and one count. Projects the store does
//! not know are read in full. JSM requests are the issues of service-desk
//! projects and go the same way, comment visibility (`jsdPublic`) included.
//! With `config.resume`, each search checkpoints its `nextPageToken` after
//! each page, once its issues are sent or recorded in a second listing of
//! issues waiting for their cut-short comments (`issues` module); a project
//! read to the end is skipped, a started one goes on from its token, issues
//! already sent are skipped, and the waiting ones ride the next bulk fetch.
//! Each stop costs the calls made before reading (preflight, field list,
//! project page) and the requests in flight when it stopped.

mod issues;
mod rescan;

use super::convert;
use super::paging::{Interrupted, Listing, ListingError};
use super::{list, query, CrawlEvent, Ctx, Fatal, ProductPresence};
use crate::model::{Container, CoverageStatus, Product};
use crate::sources::ItemUnit;
use crate::text::deep_json;
use issues::Issues;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;
use std::sync::Arc;
use tokio::task::JoinSet;

/// The fields every search asks for, before the custom text fields.
const BASE_FIELDS: &[&str] = &[
    "summary",
    "description",
    "comment",
    "updated",
    "issuetype",
    "project",
];

/// `project = "KEY" ORDER BY id ASC`, with the key quoted for JQL.
pub(crate) fn project_jql(key: &str) -> String {
    let quoted = key.replace('\\', "\\\\").replace('"', "\\\"");
    format!("project = \"{quoted}\" ORDER BY id ASC")
}

/// The `fields` parameter of the search.
pub(crate) fn search_fields(text_fields: &[String]) -> String {
    BASE_FIELDS
        .iter()
        .map(|s| s.to_string())
        .chain(text_fields.iter().cloned())
        .collect::<Vec<_>>()
        .join(",")
}

/// Projects asked for per page (the API's cap).
const PROJECT_PAGE: u64 = 50;
/// Issues a search page holds with the fields asked for: the basis of the
/// strategy's minimum (the API trims pages of many fields to about 100).
const SEARCH_PAGE: u64 = 100;
/// An issue's comments per page (`/issue/{key}/comment`: default and maximum).
const COMMENT_PAGE: u64 = 100;
/// Issues asked for per bulk fetch (`POST /issue/bulkfetch`: at most 100).
const BULK_ISSUES: usize = 100;
/// Bulk fetches of one project in flight at once; each holds its issues
/// until their comments are in, so memory stays bounded when detection is
/// the slower side.
const MAX_COMMENT_TASKS: usize = 2;
/// Issues of one bulk fetch whose remaining comments are paged at once.
const PER_ISSUE_TASKS: usize = 8;

pub(crate) async fn crawl(ctx: Arc<Ctx>) -> Result<(), Fatal> {
    // Custom text fields first: every search names them. A failure here
    // (a 404 included: the field list is one call, not the product) leaves
    // the custom fields unscanned, and every project says so.
    let (text_fields, fields_problem) = match ctx
        .get(&ctx.jira_base, "/rest/api/3/field", "", "jira.field")
        .await
    {
        Ok(a) => (
            convert::jira_text_fields(a.json.as_array().map(Vec::as_slice).unwrap_or(&[])),
            None,
        ),
        Err(e) => {
            let reason = super::triage(e)?;
            let p = format!(
                "the custom field list could not be read, custom text fields were not scanned: {reason}"
            );
            ctx.warn(format!("Jira: {p}"));
            (Vec::new(), Some(p))
        }
    };
    ctx.minimum(1);
    let text_fields = Arc::new(text_fields);
    let mut set = JoinSet::new();
    // Never closed, so a permit always comes.
    let permits = ctx.container_permits();
    let mut listing = Listing::new(ctx.config.max_pages);
    let mut start: u64 = 0;
    let mut first = true;
    let mut listed_projects = 0u64;
    // The projects a rescan knows: searched together for what changed.
    let mut known: Vec<Container> = Vec::new();
    loop {
        let page = project_page(&ctx, &mut listing, start).await;
        let (values, more) = match page {
            Ok(p) => p,
            Err(e) if first && e.is_not_found() => {
                // The site says it has no Jira: the one reason to skip it.
                ctx.product_absent(Product::Jira, "Jira did not answer (404): skipped".into());
                ctx.product_presence(
                    Product::Jira,
                    ProductPresence::Absent,
                    Some("the project listing answered 404".into()),
                );
                break;
            }
            Err(e) => {
                let reason = e.reason("the project listing")?;
                let (status, presence) = if first {
                    (CoverageStatus::Failed, ProductPresence::Failed)
                } else {
                    (CoverageStatus::Partial, ProductPresence::Present)
                };
                ctx.product_presence(Product::Jira, presence, Some(reason.clone()));
                ctx.emit(CrawlEvent::ProductStatus {
                    product: Product::Jira,
                    status,
                    reason,
                })
                .await?;
                break;
            }
        };
        first = false;
        start += values.len() as u64;
        listed_projects += values.len() as u64;
        for pr in values {
            let key = convert::s(&pr, "key");
            if !ctx.config.projects.is_empty()
                && !ctx
                    .config
                    .projects
                    .iter()
                    .any(|k| k.eq_ignore_ascii_case(&key))
            {
                continue;
            }
            let c = convert::project_container(&ctx.web_base, &pr);
            ctx.container(c.clone()).await?;
            if rescan::is_known(&ctx, &c) {
                // Read after the listing, together with the other known ones.
                known.push(c);
                continue;
            }
            let Ok(permit) = permits.clone().acquire_owned().await else {
                continue;
            };
            let task = project(ctx.clone(), c, text_fields.clone(), fields_problem.clone());
            set.spawn(async move {
                let _permit = permit;
                task.await
            });
        }
        if !more {
            ctx.product_presence(Product::Jira, ProductPresence::Present, None);
            break;
        }
    }
    ctx.minimum(listed_projects.div_ceil(PROJECT_PAGE).max(1));
    for chunk in known.chunks(rescan::PROJECTS_PER_SEARCH) {
        set.spawn(rescan::changed(
            ctx.clone(),
            chunk.to_vec(),
            text_fields.clone(),
            fields_problem.clone(),
        ));
    }
    while let Some(r) = set.join_next().await {
        match r {
            Ok(r) => r?,
            Err(e) => ctx.warn(format!("a Jira project task failed: {e}")),
        }
    }
    Ok(())
}

/// One page of `project/search` from `start`: its new projects, and whether
/// more follow.
async fn project_page(
    ctx: &Ctx,
    listing: &mut Listing,
    start: u64,
) -> Result<(Vec<Value>, bool), ListingError> {
    let start_s = start.to_string();
    let max_s = PROJECT_PAGE.to_string();
    let mut q: Vec<(&str, &str)> = vec![("startAt", &start_s), ("maxResults", &max_s)];
    for k in &ctx.config.projects {
        q.push(("keys", k));
    }
    listing.follow(&start_s)?;
    let mut a = ctx
        .get(
            &ctx.jira_base,
            "/rest/api/3/project/search",
            &query(&q),
            "jira.project.search",
        )
        .await?;
    let values = match a.json.get_mut("values").map(Value::take) {
        Some(Value::Array(v)) => v,
        _ => Vec::new(),
    };
    let total = a.json.get("total").and_then(Value::as_u64);
    if let Some(t) = total {
        listing.expect_total(t, PROJECT_PAGE);
    }
    let is_last = a.json.get("isLast").and_then(Value::as_bool);
    let len = values.len();
    let fresh: Vec<Value> = values
        .into_iter()
        .filter(|p| listing.fresh(&convert::s(p, "id")))
        .collect();
    listing.page_done(len, fresh.len())?;
    let seen = start + len as u64;
    let more = match is_last {
        Some(true) => false,
        // It says more follow: an empty page then is a broken promise.
        Some(false) if len == 0 => return Err(Interrupted::EmptyNotLast.into()),
        Some(false) => true,
        None => len > 0 && total.is_some_and(|t| seen < t),
    };
    Ok((fresh, more))
}

/// One issue with its comments (as many as could be read), and the reason
/// when that is not all of them.
type IssueDone = (ItemUnit, Option<String>);

/// A bulk fetch's issues, and the problems of tasks lost on the way.
type CommentTask = Result<(Vec<IssueDone>, Vec<String>), Fatal>;

/// An issue whose embedded comments were cut short: its unit, how many
/// comments it holds, and how many it has.
type Truncated = (ItemUnit, u64, u64);

/// One page of the enhanced search: the raw issues (each parsed on its own)
/// and the paging fields.
#[derive(Deserialize)]
struct SearchPage {
    #[serde(default)]
    issues: Vec<Box<RawValue>>,
    #[serde(rename = "nextPageToken", default)]
    next_page_token: Option<String>,
    #[serde(rename = "isLast", default)]
    is_last: Option<bool>,
}

fn decode_search_page(body: &[u8]) -> Result<SearchPage, String> {
    let mut de = serde_json::Deserializer::from_slice(body);
    // Raw issues are skipped over without recursion: any depth is fine.
    de.disable_recursion_limit();
    let page = SearchPage::deserialize(&mut de).map_err(|e| e.to_string())?;
    de.end().map_err(|e| e.to_string())?;
    Ok(page)
}

/// One raw issue of a search page, parsed and checked for the shape the
/// converter needs.
fn parse_issue(raw: &RawValue) -> Result<Value, String> {
    let v = deep_json::parse_str(raw.get()).map_err(|e| format!("not JSON: {e}"))?;
    let problem = if convert::s(&v, "key").is_empty() {
        Some("it has no key")
    } else if !v.get("fields").is_some_and(Value::is_object) {
        Some("its fields are not an object")
    } else {
        None
    };
    match problem {
        None => Ok(v),
        Some(p) => {
            deep_json::dismantle(v);
            Err(format!("the issue is not the shape a search returns: {p}"))
        }
    }
}

/// What to call an issue that could not be read: its key, else its id.
fn raw_issue_name(raw: &RawValue, index: usize) -> String {
    #[derive(Deserialize)]
    struct Names {
        #[serde(default)]
        key: Option<Value>,
        #[serde(default)]
        id: Option<Value>,
    }
    let mut de = serde_json::Deserializer::from_str(raw.get());
    de.disable_recursion_limit();
    let names = Names::deserialize(&mut de).ok();
    let pick = |v: Option<Value>| v.and_then(|v| v.as_str().map(str::to_string));
    names
        .and_then(|n| pick(n.key).or_else(|| pick(n.id)))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| format!("(issue #{index} of a search page)"))
}

/// One project read in full (a first scan, or a project new to a rescan),
/// checkpointed per search page; a resume skips a project read to the end
/// and goes on from the token of a started one.
async fn project(
    ctx: Arc<Ctx>,
    c: Container,
    text_fields: Arc<Vec<String>>,
    fields_problem: Option<String>,
) -> Result<(), Fatal> {
    let jql = project_jql(&c.key);
    let name = format!("jira:project:{}", c.id);
    let mut s = Issues::new(ctx.clone(), text_fields, [c.clone()], Some(name));
    let token = match s.resumed_at() {
        Some(None) => {
            ctx.container_listed(c.product);
            return Ok(());
        }
        Some(Some(t)) => Some(t),
        None => None,
    };
    if let Some(p) = fields_problem {
        s.problem_all(CoverageStatus::Partial, p);
    }
    s.resume_waiting().await?;
    let complete = search_all(&mut s, &jql, token).await?;
    s.end(complete).await?;
    ctx.minimum(s.seen.div_ceil(SEARCH_PAGE).max(1));
    ctx.container_listed(c.product);
    report_problems(&ctx, &s).await
}

/// Each container's problems, as `ContainerStatus` events.
async fn report_problems(ctx: &Ctx, s: &Issues) -> Result<(), Fatal> {
    for (key, problems) in &s.problems {
        let Some(c) = s.containers.get(key) else {
            continue;
        };
        for (status, reason) in problems {
            ctx.container_status(c.product, &c.key, *status, reason.clone())
                .await?;
        }
    }
    Ok(())
}

/// Page through a search from `token` (`None`: the first page), handing
/// every issue to `s`: whether it was read to the end. A saved token the
/// site no longer takes (they expire after 7 days) starts the search over;
/// what was sent before is skipped, not sent twice.
async fn search_all(s: &mut Issues, jql: &str, token: Option<String>) -> Result<bool, Fatal> {
    let ctx = s.ctx.clone();
    let fields = search_fields(s.text_fields());
    let mut resumed = token.is_some();
    let mut token = token;
    loop {
        let page = search_page(&ctx, &mut s.listing, jql, &fields, token.as_deref()).await;
        let page = match page {
            Ok(p) => p,
            Err(e) => {
                let reason = e.reason("the issue search")?;
                if resumed {
                    ctx.warn(format!(
                        "Jira: a search could not go on from where the last scan stopped, so it starts over: {reason}"
                    ));
                    resumed = false;
                    token = None;
                    continue;
                }
                let status = if s.seen == 0 {
                    CoverageStatus::Failed
                } else {
                    CoverageStatus::Partial
                };
                s.problem_all(status, reason);
                return Ok(false);
            }
        };
        resumed = false;
        let len = page.issues.len();
        let mut new = 0;
        for (i, raw) in page.issues.iter().enumerate() {
            if s.take_raw(raw, i).await? {
                new += 1;
            }
        }
        if let Err(e) = s.listing.page_done(len, new) {
            s.page_end(None).await?;
            s.problem_all(
                CoverageStatus::Partial,
                format!("the issue search stopped early: {e}"),
            );
            return Ok(false);
        }
        let next = page.next_page_token.filter(|t| !t.is_empty());
        match next {
            Some(t) if page.is_last != Some(true) => {
                s.page_end(Some(&t)).await?;
                token = Some(t);
            }
            // No token and not said to be the last page: it cannot go on,
            // and must not pass for complete.
            None if page.is_last == Some(false) => {
                s.page_end(None).await?;
                s.problem_all(
                    CoverageStatus::Partial,
                    format!(
                        "the issue search stopped early: {}",
                        Interrupted::Unfollowable
                    ),
                );
                return Ok(false);
            }
            _ => {
                s.page_end(None).await?;
                return Ok(true);
            }
        }
    }
}

/// One page of the enhanced JQL search (`token`: the page after the first).
async fn search_page(
    ctx: &Ctx,
    listing: &mut Listing,
    jql: &str,
    fields: &str,
    token: Option<&str>,
) -> Result<SearchPage, ListingError> {
    // The largest page the search accepts; it trims pages itself when many
    // fields are asked for (about 100 with `summary`, atlassian-api.md §8).
    let mut q: Vec<(&str, &str)> = vec![("jql", jql), ("fields", fields), ("maxResults", "5000")];
    if let Some(t) = token {
        q.push(("nextPageToken", t));
    }
    // The first page has no token; a token seen before is a repeated page.
    listing.follow(token.unwrap_or(""))?;
    let url = format!("{}/rest/api/3/search/jql?{}", ctx.jira_base, query(&q));
    let (page, _) = ctx
        .client
        .get_with(&url, "jira.search", decode_search_page)
        .await?;
    Ok(page)
}

/// Issues a bulk fetch reads in full besides the comments of its batch: the
/// ones a resume found waiting for their comments, or ones a rescan's
/// listing showed that it had not read.
#[derive(Default)]
struct Hydrate {
    keys: Vec<String>,
    text_fields: Arc<Vec<String>>,
    /// Project key → the product its issues belong to.
    products: Arc<std::collections::BTreeMap<String, Product>>,
}

/// The comments of `batch` (issues with the number of comments the search
/// embedded) that the search cut short, and the issues of `hydrate` in
/// full: one bulk fetch (`fields: ["comment"]`, or every field the search
/// asks for when it also reads whole issues), then per issue whatever it
/// still left out.
async fn bulk_comments(ctx: Arc<Ctx>, mut batch: Vec<Truncated>, hydrate: Hydrate) -> CommentTask {
    let mut keys: Vec<&str> = batch.iter().map(|(u, _, _)| u.item.id.as_str()).collect();
    keys.extend(hydrate.keys.iter().map(String::as_str));
    let fields: Vec<String> = if hydrate.keys.is_empty() {
        vec!["comment".to_string()]
    } else {
        BASE_FIELDS
            .iter()
            .map(|f| f.to_string())
            .chain(hydrate.text_fields.iter().cloned())
            .collect()
    };
    let body = serde_json::json!({"issueIdsOrKeys": keys, "fields": fields});
    ctx.minimum(1);
    let mut lost = Vec::new();
    match ctx
        .post_read(
            &ctx.jira_base,
            "/rest/api/3/issue/bulkfetch",
            &body,
            "jira.issue.bulkfetch",
        )
        .await
    {
        Ok(a) => {
            let mut by_key: std::collections::HashMap<String, &Value> = list(&a.json, "issues")
                .iter()
                .map(|is| (convert::s(is, "key"), is))
                .collect();
            for (unit, read, _) in &mut batch {
                let Some(is) = by_key.remove(&unit.item.id) else {
                    continue;
                };
                let known: std::collections::HashSet<String> = unit
                    .documents
                    .iter()
                    .filter_map(|d| d.origin.comment_id.clone())
                    .collect();
                let comments = convert::jira_embedded_comments(is);
                for c in comments
                    .iter()
                    .filter(|c| !known.contains(&convert::s(c, "id")))
                {
                    convert::add_jira_comment(unit, c);
                }
                *read = (*read).max(comments.len() as u64);
            }
            // An issue it does not return is gone: nothing to read.
            for key in &hydrate.keys {
                let Some(is) = by_key.remove(key) else {
                    continue;
                };
                let project = convert::jira_project_key(is);
                let product = hydrate
                    .products
                    .get(&project)
                    .copied()
                    .unwrap_or(Product::Jira);
                let unit = convert::jira_unit(&ctx.web_base, product, is, &hydrate.text_fields);
                let embedded = convert::jira_embedded_comments(is).len() as u64;
                let total = convert::jira_comment_total(is).unwrap_or(embedded);
                batch.push((unit, embedded, total));
            }
        }
        // The per-issue paging below reads the comments all the same, at
        // more requests; only a rejected credential ends the crawl. Whole
        // issues it was to read stay unread (and waiting, for a resume).
        Err(e) => {
            let reason = super::triage(e)?;
            if !hydrate.keys.is_empty() {
                lost.push(format!(
                    "{} issues could not be read: {reason}",
                    hydrate.keys.len()
                ));
            }
        }
    }
    let (done, more_lost) = page_rest(ctx, batch).await?;
    lost.extend(more_lost);
    Ok((done, lost))
}

/// What `batch` (issues with the number of comments read so far) still
/// lacks, paged per issue, a few issues at a time.
async fn page_rest(ctx: Arc<Ctx>, batch: Vec<Truncated>) -> CommentTask {
    let mut out = Vec::with_capacity(batch.len());
    let mut lost = Vec::new();
    let mut set: JoinSet<Result<IssueDone, Fatal>> = JoinSet::new();
    let mut joined = |done: Result<Result<IssueDone, Fatal>, tokio::task::JoinError>| {
        match done {
            Ok(r) => out.push(r?),
            Err(e) => lost.push(format!("a comment task failed: {e}")),
        }
        Ok::<(), Fatal>(())
    };
    for (unit, read, total) in batch {
        if read >= total {
            joined(Ok(Ok((unit, None))))?;
            continue;
        }
        while set.len() >= PER_ISSUE_TASKS {
            if let Some(done) = set.join_next().await {
                joined(done)?;
            }
        }
        let ctx = ctx.clone();
        set.spawn(async move { more_comments(&ctx, unit, read).await });
    }
    while let Some(done) = set.join_next().await {
        joined(done)?;
    }
    Ok((out, lost))
}

/// The comments after the first `from` ones (which the search embedded).
async fn more_comments(ctx: &Ctx, mut unit: ItemUnit, from: u64) -> Result<IssueDone, Fatal> {
    let key = unit.item.id.clone();
    let path = format!("/rest/api/3/issue/{key}/comment");
    let mut listing = Listing::new(ctx.config.max_pages);
    // The embedded ones are in already: a page that repeats them is no news.
    for d in &unit.documents {
        if let Some(id) = &d.origin.comment_id {
            listing.fresh(id);
        }
    }
    let mut start = from;
    let counted = |start: u64| ctx.minimum((start - from).div_ceil(COMMENT_PAGE).max(1));
    loop {
        let page = comment_page(ctx, &mut listing, &path, start, &mut unit).await;
        match page {
            Ok((read, more)) => {
                start += read;
                if !more {
                    counted(start);
                    return Ok((unit, None));
                }
            }
            Err(e) => {
                counted(start);
                let reason = e.reason("the listing")?;
                return Ok((
                    unit,
                    Some(format!(
                        "{key}: the comments from #{start} on could not be read: {reason}"
                    )),
                ));
            }
        }
    }
}

/// One page of an issue's comments from `start`, added to `unit`: how many
/// the page held, and whether more follow.
async fn comment_page(
    ctx: &Ctx,
    listing: &mut Listing,
    path: &str,
    start: u64,
    unit: &mut ItemUnit,
) -> Result<(u64, bool), ListingError> {
    let start_s = start.to_string();
    listing.follow(&start_s)?;
    let a = ctx
        .get(
            &ctx.jira_base,
            path,
            &query(&[("startAt", &start_s), ("maxResults", "100")]),
            "jira.issue.comment",
        )
        .await?;
    let comments = list(&a.json, "comments");
    let total = a.json.get("total").and_then(Value::as_u64).unwrap_or(0);
    listing.expect_total(total, 100);
    let mut new = 0;
    for c in comments {
        if listing.fresh(&convert::s(c, "id")) {
            new += 1;
            convert::add_jira_comment(unit, c);
        }
    }
    listing.page_done(comments.len(), new)?;
    let read = comments.len() as u64;
    Ok((read, read > 0 && start + read < total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jql_quotes_the_key() {
        assert_eq!(project_jql("PAY"), "project = \"PAY\" ORDER BY id ASC");
        assert_eq!(
            project_jql("A\"B\\"),
            "project = \"A\\\"B\\\\\" ORDER BY id ASC"
        );
    }

    #[test]
    fn fields_name_custom_text_fields() {
        assert_eq!(
            search_fields(&["customfield_10050".to_string()]),
            "summary,description,comment,updated,issuetype,project,customfield_10050"
        );
    }
}
