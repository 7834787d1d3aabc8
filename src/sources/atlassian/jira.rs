//! Jira Cloud v3 (and JSM, whose requests are the issues of service-desk
//! projects): projects (50 a page, `startAt` until `isLast`) → issues by
//! enhanced JQL search (100 a page, `nextPageToken` until absent) → the
//! comments the search did not embed (`/issue/{key}/comment`, 100 a page).

use super::client::RequestError;
use super::convert;
use super::{list, query, triage, CrawlEvent, Ctx, Fatal};
use crate::model::{Container, CoverageStatus, Product};
use crate::sources::ItemUnit;
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

pub(crate) async fn crawl(ctx: Arc<Ctx>) -> Result<(), Fatal> {
    // Custom text fields first: every search names them.
    let (text_fields, fields_problem) = match ctx
        .get(&ctx.jira_base, "/rest/api/3/field", "", "jira.field")
        .await
    {
        Ok(a) => (
            convert::jira_text_fields(a.json.as_array().map(Vec::as_slice).unwrap_or(&[])),
            None,
        ),
        Err(RequestError::NotFound { .. }) => {
            ctx.product_absent(Product::Jira, "Jira did not answer (404): skipped".into());
            return Ok(());
        }
        Err(e) => {
            let reason = triage(e)?;
            (
                Vec::new(),
                Some(format!(
                    "the custom field list could not be read, custom text fields were not scanned: {reason}"
                )),
            )
        }
    };
    let text_fields = Arc::new(text_fields);
    let mut set = JoinSet::new();
    let mut start: u64 = 0;
    loop {
        let start_s = start.to_string();
        let mut q: Vec<(&str, &str)> = vec![("startAt", &start_s), ("maxResults", "50")];
        for k in &ctx.config.projects {
            q.push(("keys", k));
        }
        let a = match ctx
            .get(
                &ctx.jira_base,
                "/rest/api/3/project/search",
                &query(&q),
                "jira.project.search",
            )
            .await
        {
            Ok(a) => a,
            Err(RequestError::NotFound { .. }) if start == 0 => {
                ctx.product_absent(Product::Jira, "Jira did not answer (404): skipped".into());
                break;
            }
            Err(e) => {
                let reason = triage(e)?;
                ctx.emit(CrawlEvent::ProductStatus {
                    product: Product::Jira,
                    status: if start == 0 {
                        CoverageStatus::Failed
                    } else {
                        CoverageStatus::Partial
                    },
                    reason: format!("the project listing failed: {reason}"),
                })
                .await?;
                break;
            }
        };
        let values = list(&a.json, "values");
        for pr in values {
            let key = convert::s(pr, "key");
            if !ctx.config.projects.is_empty()
                && !ctx
                    .config
                    .projects
                    .iter()
                    .any(|k| k.eq_ignore_ascii_case(&key))
            {
                continue;
            }
            let c = convert::project_container(&ctx.web_base, pr);
            ctx.container(c.clone()).await?;
            set.spawn(project(
                ctx.clone(),
                c,
                text_fields.clone(),
                fields_problem.clone(),
            ));
        }
        start += values.len() as u64;
        let total = a.json.get("total").and_then(Value::as_u64);
        let last = a
            .json
            .get("isLast")
            .and_then(Value::as_bool)
            .unwrap_or_else(|| values.is_empty() || total.is_some_and(|t| start >= t));
        if last || values.is_empty() {
            break;
        }
    }
    while let Some(r) = set.join_next().await {
        match r {
            Ok(r) => r?,
            Err(e) => ctx.warn(format!("a Jira project task failed: {e}")),
        }
    }
    Ok(())
}

type CommentTask = Result<(ItemUnit, Option<String>), Fatal>;

async fn project(
    ctx: Arc<Ctx>,
    c: Container,
    text_fields: Arc<Vec<String>>,
    fields_problem: Option<String>,
) -> Result<(), Fatal> {
    let jql = project_jql(&c.key);
    let fields = search_fields(&text_fields);
    let mut token: Option<String> = None;
    let mut seen: u64 = 0;
    let mut problems: Vec<(CoverageStatus, String)> = Vec::new();
    if let Some(p) = fields_problem {
        problems.push((CoverageStatus::Partial, p));
    }
    let mut set: JoinSet<CommentTask> = JoinSet::new();
    loop {
        let mut q: Vec<(&str, &str)> =
            vec![("jql", &jql), ("fields", &fields), ("maxResults", "100")];
        if let Some(t) = &token {
            q.push(("nextPageToken", t));
        }
        let mut a = match ctx
            .get(
                &ctx.jira_base,
                "/rest/api/3/search/jql",
                &query(&q),
                "jira.search",
            )
            .await
        {
            Ok(a) => a,
            Err(e) => {
                let reason = triage(e)?;
                let status = if seen == 0 {
                    CoverageStatus::Failed
                } else {
                    CoverageStatus::Partial
                };
                problems.push((status, format!("the issue search failed: {reason}")));
                break;
            }
        };
        let issues = match a.json.get_mut("issues").map(Value::take) {
            Some(Value::Array(v)) => v,
            _ => Vec::new(),
        };
        for is in &issues {
            seen += 1;
            let unit = convert::jira_unit(&ctx.web_base, c.product, is, &text_fields);
            let embedded = convert::jira_embedded_comments(is).len() as u64;
            match convert::jira_comment_total(is) {
                Some(total) if total > embedded => {
                    let ctx = ctx.clone();
                    set.spawn(async move { more_comments(&ctx, unit, embedded).await });
                }
                _ => ctx.emit(CrawlEvent::Unit(unit)).await?,
            }
        }
        while let Some(done) = set.try_join_next() {
            finish(&ctx, done, &mut problems).await?;
        }
        let next = a
            .json
            .get("nextPageToken")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        if next.is_none() || next == token || issues.is_empty() {
            break;
        }
        token = next;
    }
    while let Some(done) = set.join_next().await {
        finish(&ctx, done, &mut problems).await?;
    }
    ctx.container_listed(c.product);
    for (status, reason) in problems {
        ctx.container_status(c.product, &c.key, status, reason)
            .await?;
    }
    Ok(())
}

async fn finish(
    ctx: &Ctx,
    done: Result<CommentTask, tokio::task::JoinError>,
    problems: &mut Vec<(CoverageStatus, String)>,
) -> Result<(), Fatal> {
    match done {
        Ok(r) => {
            let (unit, problem) = r?;
            ctx.emit(CrawlEvent::Unit(unit)).await?;
            if let Some(p) = problem {
                problems.push((CoverageStatus::Partial, p));
            }
        }
        Err(e) => problems.push((
            CoverageStatus::Partial,
            format!("a comment task failed: {e}"),
        )),
    }
    Ok(())
}

/// The comments after the first `from` ones (which the search embedded).
async fn more_comments(ctx: &Ctx, mut unit: ItemUnit, from: u64) -> CommentTask {
    let key = unit.item.id.clone();
    let path = format!("/rest/api/3/issue/{key}/comment");
    let mut start = from;
    loop {
        let start_s = start.to_string();
        let a = match ctx
            .get(
                &ctx.jira_base,
                &path,
                &query(&[("startAt", &start_s), ("maxResults", "100")]),
                "jira.issue.comment",
            )
            .await
        {
            Ok(a) => a,
            Err(e) => {
                let reason = triage(e)?;
                return Ok((
                    unit,
                    Some(format!(
                        "{key}: the comments from #{start} on could not be read: {reason}"
                    )),
                ));
            }
        };
        let comments = list(&a.json, "comments");
        for c in comments {
            convert::add_jira_comment(&mut unit, c);
        }
        start += comments.len() as u64;
        let total = a.json.get("total").and_then(Value::as_u64).unwrap_or(0);
        if comments.is_empty() || start >= total {
            return Ok((unit, None));
        }
    }
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
