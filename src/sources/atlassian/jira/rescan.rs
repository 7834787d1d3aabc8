//! An incremental rescan of the projects the store knows: one search for
//! what changed across up to [`PROJECTS_PER_SEARCH`] projects, then a check
//! for deleted issues by count, listing ids only where a count disagrees.

use super::super::{query, CrawlEvent, Ctx, Fatal};
use super::issues::Issues;
use super::{report_problems, search_all, SEARCH_PAGE};
use crate::model::{Container, CoverageStatus};
use serde_json::Value;
use std::collections::HashSet;
use std::sync::Arc;

/// Projects one search of changed issues names (`project in (…)`, by id:
/// about 700 characters of JQL).
pub(super) const PROJECTS_PER_SEARCH: usize = 100;
/// Minutes the window reaches back before the last scan's start: JQL dates
/// have minute precision, the site's clock is not ours, and the search is
/// eventually consistent (an issue indexed late still falls in the window).
/// Issues the overlap lists again with the `updated` the store has are not
/// sent again, so it costs nothing but their bytes.
const OVERLAP_MINUTES: u64 = 15;
/// An id-only listing's page (`fields=key`: the API's largest, 5000).
const KEY_PAGE: u64 = 5000;

/// Whether a rescan knows this project (else it is read in full).
pub(super) fn is_known(ctx: &Ctx, c: &Container) -> bool {
    ctx.config
        .known
        .as_ref()
        .is_some_and(|k| k.containers.contains_key(&c.identity()))
}

/// The issues of `projects` that changed since the last scan, then the ones
/// deleted since.
pub(super) async fn changed(
    ctx: Arc<Ctx>,
    projects: Vec<Container>,
    text_fields: Arc<Vec<String>>,
    fields_problem: Option<String>,
) -> Result<(), Fatal> {
    let ids: Vec<&str> = projects.iter().map(|c| c.id.as_str()).collect();
    let name = format!("jira:changed:{}", ids.join(","));
    let since = ctx.config.known.as_ref().and_then(|k| k.since);
    let jql = window_jql(&ids, since);
    let mut s = Issues::new(ctx.clone(), text_fields, projects.clone(), Some(name));
    if let Some(p) = fields_problem {
        s.problem_all(CoverageStatus::Partial, p);
    }
    let complete = match s.resumed_at() {
        Some(None) => true,
        token => {
            s.resume_waiting().await?;
            search_all(&mut s, &jql, token.flatten()).await?
        }
    };
    ctx.minimum(s.seen.div_ceil(SEARCH_PAGE).max(1));
    if complete {
        // A search without a window listed every issue: the deleted ones
        // are those not listed. Otherwise the counts tell.
        if since.is_none() {
            for c in &projects {
                let listed = s.listed.get(&c.key).cloned().unwrap_or_default();
                removed(&ctx, c, &listed).await?;
            }
        } else {
            deletions(&mut s, &projects).await?;
        }
    }
    s.end(complete).await?;
    for c in &projects {
        ctx.container_listed(c.product);
    }
    report_problems(&ctx, &s).await
}

/// `project in (…) AND updated >= "-Nm" ORDER BY id ASC`, `N` the minutes
/// since the last scan started plus the overlap. A relative date, because
/// JQL reads absolute dates in the user's time zone, which the crawl would
/// have to ask for and could get wrong. Without a start time, every issue.
fn window_jql(ids: &[&str], since: Option<jiff::Timestamp>) -> String {
    let projects = format!("project in ({})", ids.join(", "));
    match since {
        None => format!("{projects} ORDER BY id ASC"),
        Some(t) => {
            let secs = jiff::Timestamp::now().duration_since(t).as_secs().max(0) as u64;
            let minutes = secs.div_ceil(60) + OVERLAP_MINUTES;
            format!("{projects} AND updated >= \"-{minutes}m\" ORDER BY id ASC")
        }
    }
}

/// The issues the store has for `c`.
fn known_keys(ctx: &Ctx, c: &Container) -> HashSet<String> {
    ctx.config
        .known
        .as_ref()
        .and_then(|k| k.containers.get(&c.identity()))
        .map(|k| k.items.keys().cloned().collect())
        .unwrap_or_default()
}

/// The issues `c` should hold now: the store's, plus those this scan (or
/// the interrupted one it resumes) listed.
fn expected(s: &Issues, c: &Container) -> HashSet<String> {
    let mut keys = known_keys(&s.ctx, c);
    if let Some(l) = s.listed.get(&c.key) {
        keys.extend(l.iter().cloned());
    }
    if let Some(r) = &s.ctx.config.resume {
        let id = c.identity();
        keys.extend(
            r.items
                .iter()
                .filter(|(ci, _)| *ci == id)
                .map(|(_, k)| k.clone()),
        );
    }
    keys
}

/// Deleted issues, found by count: `search/approximate-count` for all the
/// projects at once; where it differs from the issues expected, halves of
/// the set are counted (the other half's count is the difference), down to
/// single projects, whose ids are listed (`fields=key`, 5000 a page).
///
/// The count is "approximate" (atlassian-api.md §3): the search index is
/// eventually consistent. It is only a trigger: any difference, either way,
/// sends the check down to the exact listing, and an equal count means no
/// deletion only as far as the index has caught up; a deletion the index
/// had not seen yet shows in the next rescan's count, since nothing marks
/// the issue as read meanwhile.
async fn deletions(s: &mut Issues, projects: &[Container]) -> Result<(), Fatal> {
    let mut todo: Vec<(Vec<Container>, Option<u64>)> = vec![(projects.to_vec(), None)];
    while let Some((group, count)) = todo.pop() {
        let count = match count {
            Some(n) => n,
            None => match approximate_count(&s.ctx, &group).await {
                Ok(n) => n,
                Err(reason) => {
                    let reason = reason?;
                    for c in &group {
                        s.problems.entry(c.key.clone()).or_default().push((
                            CoverageStatus::Partial,
                            format!("deleted issues could not be looked for: {reason}"),
                        ));
                    }
                    continue;
                }
            },
        };
        let want: u64 = group.iter().map(|c| expected(s, c).len() as u64).sum();
        if count == want {
            continue;
        }
        if group.len() == 1 {
            listed_exactly(s, &group[0]).await?;
            continue;
        }
        let (a, b) = group.split_at(group.len() / 2);
        match approximate_count(&s.ctx, a).await {
            Ok(na) => {
                todo.push((a.to_vec(), Some(na)));
                // Counts of one moment add up; a lagging one is caught by
                // the halves' own comparison all the same.
                todo.push((b.to_vec(), count.checked_sub(na)));
            }
            Err(reason) => {
                reason?;
                todo.push((a.to_vec(), None));
                todo.push((b.to_vec(), None));
            }
        }
    }
    Ok(())
}

/// `POST /search/approximate-count` for these projects.
async fn approximate_count(ctx: &Ctx, group: &[Container]) -> Result<u64, Result<String, Fatal>> {
    let ids: Vec<&str> = group.iter().map(|c| c.id.as_str()).collect();
    let body = serde_json::json!({"jql": format!("project in ({})", ids.join(", "))});
    ctx.minimum(1);
    let a = ctx
        .post_read(
            &ctx.jira_base,
            "/rest/api/3/search/approximate-count",
            &body,
            "jira.search.count",
        )
        .await
        .map_err(super::super::triage)?;
    a.json
        .get("count")
        .and_then(Value::as_u64)
        .ok_or_else(|| Ok("the count answer had no count".to_string()))
}

/// One project whose count disagreed: its issue keys listed exactly; the
/// ones the store has that are gone are removed, the ones neither the store
/// nor this scan has seen are read in full.
async fn listed_exactly(s: &mut Issues, c: &Container) -> Result<(), Fatal> {
    let keys = match list_keys(&s.ctx, c).await {
        Ok(k) => k,
        Err(reason) => {
            let reason = reason?;
            s.problems.entry(c.key.clone()).or_default().push((
                CoverageStatus::Partial,
                format!("deleted issues could not be looked for: {reason}"),
            ));
            return Ok(());
        }
    };
    removed(&s.ctx, c, &keys).await?;
    let seen = expected(s, c);
    let mut unseen: Vec<String> = keys.into_iter().filter(|k| !seen.contains(k)).collect();
    unseen.sort();
    s.read_in_full(unseen).await
}

/// `Removed` for each issue the store has for `c` that `now` lacks.
async fn removed(ctx: &Ctx, c: &Container, now: &HashSet<String>) -> Result<(), Fatal> {
    let mut gone: Vec<String> = known_keys(ctx, c)
        .into_iter()
        .filter(|k| !now.contains(k))
        .collect();
    gone.sort();
    for key in gone {
        ctx.emit(CrawlEvent::Removed {
            container: c.identity(),
            item_id: key,
            comment_id: None,
        })
        .await?;
    }
    Ok(())
}

/// Every issue key of `c` (`fields=key`: 5000 a page).
async fn list_keys(ctx: &Ctx, c: &Container) -> Result<HashSet<String>, Result<String, Fatal>> {
    let jql = format!("project = {} ORDER BY id ASC", c.id);
    let mut listing = super::Listing::new(ctx.config.max_pages);
    let mut token: Option<String> = None;
    let mut keys = HashSet::new();
    loop {
        let mut q: Vec<(&str, &str)> =
            vec![("jql", &jql), ("fields", "key"), ("maxResults", "5000")];
        if let Some(t) = &token {
            q.push(("nextPageToken", t));
        }
        listing
            .follow(token.as_deref().unwrap_or(""))
            .map_err(|e| Ok(format!("the issue listing stopped early: {e}")))?;
        let a = ctx
            .get(
                &ctx.jira_base,
                "/rest/api/3/search/jql",
                &query(&q),
                "jira.search.keys",
            )
            .await
            .map_err(super::super::triage)?;
        let issues = super::list(&a.json, "issues");
        let mut new = 0;
        for is in issues {
            let k = super::convert::s(is, "key");
            if !k.is_empty() && keys.insert(k) {
                new += 1;
            }
        }
        listing
            .page_done(issues.len(), new)
            .map_err(|e| Ok(format!("the issue listing stopped early: {e}")))?;
        let next = a
            .json
            .get("nextPageToken")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        match next {
            Some(t) => token = Some(t),
            None => {
                ctx.minimum((keys.len() as u64).div_ceil(KEY_PAGE).max(1));
                return Ok(keys);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_reaches_back_past_the_last_start() {
        let since = jiff::Timestamp::now() - jiff::SignedDuration::from_mins(110);
        let jql = window_jql(&["10000", "10001"], Some(since));
        assert!(
            jql.starts_with("project in (10000, 10001) AND updated >= \"-12"),
            "{jql}"
        );
        assert!(jql.ends_with("m\" ORDER BY id ASC"), "{jql}");
        assert_eq!(
            window_jql(&["10000"], None),
            "project in (10000) ORDER BY id ASC"
        );
    }
}
