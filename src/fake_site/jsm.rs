//! Jira Service Management (`/rest/servicedeskapi/...`): service desks and
//! request comments. Service desks are the `service_desk` projects, numbered
//! 1, 2, … in project id order; `limit` defaults to and is capped at 50.

use super::data::{issue_comments, s};
use super::util::Reply;
use super::{Req, Shared};
use axum::http::{Method, StatusCode};
use serde_json::{json, Map, Value};

const PAGE: usize = 50;

fn jsm_error(status: StatusCode, msg: &str) -> Reply {
    Reply::json(
        status,
        json!({"errorMessage": msg, "i18nErrorMessage": {"i18nKey": "sd.fake.error", "parameters": []}}),
    )
}

fn number(req: &Req, name: &str, default: usize) -> Result<usize, Reply> {
    match req.param(name) {
        None => Ok(default),
        Some(v) => v.trim().parse().map_err(|_| {
            jsm_error(
                StatusCode::BAD_REQUEST,
                &format!("The '{name}' parameter must be a number."),
            )
        }),
    }
}

pub(crate) fn route(sh: &Shared, req: &Req, segs: &[&str]) -> (String, Reply) {
    let m = req.method.as_str();
    let get = req.method == Method::GET;
    let (template, reply) = match segs {
        ["rest", "servicedeskapi", "servicedesk"] if get => ("servicedesk", service_desks(sh, req)),
        ["rest", "servicedeskapi", "request", key, "comment"] if get => {
            ("request/{key}/comment", comments(sh, req, key))
        }
        _ => (
            "(unknown)",
            Err(jsm_error(StatusCode::NOT_FOUND, "Not Found")),
        ),
    };
    (
        format!("{m} /rest/servicedeskapi/{template}"),
        reply.unwrap_or_else(|e| e),
    )
}

fn page_links(sh: &Shared, req: &Req, start: usize, limit: usize, more: bool) -> Value {
    let mut links = Map::new();
    links.insert("base".into(), json!(sh.base_url));
    links.insert("context".into(), json!(""));
    if more {
        let mut q: Vec<(String, String)> = req
            .query
            .iter()
            .filter(|(k, _)| k != "start" && k != "limit")
            .cloned()
            .collect();
        q.push(("start".into(), (start + limit).to_string()));
        q.push(("limit".into(), limit.to_string()));
        let qs = serde_urlencoded::to_string(&q).unwrap_or_default();
        links.insert(
            "next".into(),
            json!(format!("{}{}?{qs}", sh.base_url, req.path)),
        );
    }
    Value::Object(links)
}

fn service_desks(sh: &Shared, req: &Req) -> Result<Reply, Reply> {
    let start = number(req, "start", 0)?;
    let limit = number(req, "limit", PAGE)?.clamp(1, PAGE);
    let d = &sh.data;
    let all: Vec<Value> = sh
        .ix
        .projects
        .iter()
        .map(|i| d.projects.fact(*i))
        .filter(|p| &*p.type_key == "service_desk")
        .enumerate()
        .map(|(n, p)| {
            json!({
                "id": (n + 1).to_string(),
                "projectId": p.id,
                "projectName": p.name,
                "projectKey": p.key,
                "_links": {"self": format!("{}/rest/servicedeskapi/servicedesk/{}", sh.base_url, n + 1)},
            })
        })
        .collect();
    let end = start.saturating_add(limit).min(all.len());
    let values = all.get(start.min(all.len())..end).unwrap_or_default();
    let more = end < all.len();
    Ok(Reply::ok(json!({
        "size": values.len(),
        "start": start,
        "limit": limit,
        "isLastPage": !more,
        "values": values,
        "_links": page_links(sh, req, start, limit, more),
    })))
}

/// `2026-07-13T03:38:00.000+0000` → milliseconds since the epoch.
fn epoch_millis(t: &str) -> Option<i64> {
    let num = |a: usize, b: usize| t.get(a..b)?.parse::<i64>().ok();
    let (y, mo, d) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (h, mi, sec) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    let ms = num(20, 23).unwrap_or(0);
    let y2 = if mo <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 86_400 + h * 3600 + mi * 60 + sec) * 1000) + ms)
}

fn comments(sh: &Shared, req: &Req, key: &str) -> Result<Reply, Reply> {
    let d = &sh.data;
    let missing = || {
        jsm_error(
            StatusCode::NOT_FOUND,
            "Request does not exist or you do not have permission to see it.",
        )
    };
    let i = *sh.ix.issue_by_key.get(key).ok_or_else(missing)?;
    let pkey = d.issues.fact(i).project_key.as_deref().unwrap_or("");
    let is_sd = sh
        .ix
        .project_by_key
        .get(pkey)
        .is_some_and(|p| &*d.projects.fact(*p).type_key == "service_desk");
    if !is_sd {
        return Err(missing());
    }
    let issue = d.issues.value(i);
    let want_public = req.param("public") != Some("false");
    let want_internal = req.param("internal") != Some("false");
    let start = number(req, "start", 0)?;
    let limit = number(req, "limit", PAGE)?.clamp(1, PAGE);
    let all: Vec<Value> = issue_comments(&issue)
        .iter()
        .filter(|c| {
            let public = c.get("jsdPublic").and_then(Value::as_bool).unwrap_or(true);
            if public {
                want_public
            } else {
                want_internal
            }
        })
        .map(|c| {
            let created = s(c, "created");
            json!({
                "id": s(c, "id"),
                "body": crate::text::adf_value_to_text(c.get("body").unwrap_or(&Value::Null)).text,
                "public": c.get("jsdPublic").and_then(Value::as_bool).unwrap_or(true),
                "author": {
                    "accountId": c.pointer("/author/accountId").cloned().unwrap_or(Value::Null),
                    "displayName": c.pointer("/author/displayName").cloned().unwrap_or(Value::Null),
                },
                "created": {"iso8601": created, "epochMillis": epoch_millis(&created)},
                "_links": {"self": format!("{}/rest/servicedeskapi/request/{}/comment/{}", sh.base_url, s(&issue, "id"), s(c, "id"))},
            })
        })
        .collect();
    let end = start.saturating_add(limit).min(all.len());
    let values = all.get(start.min(all.len())..end).unwrap_or_default();
    let more = end < all.len();
    Ok(Reply::ok(json!({
        "size": values.len(),
        "start": start,
        "limit": limit,
        "isLastPage": !more,
        "values": values,
        "_links": page_links(sh, req, start, limit, more),
    })))
}

#[cfg(test)]
mod tests {
    use super::epoch_millis;

    #[test]
    fn millis() {
        assert_eq!(epoch_millis("1970-01-01T00:00:00.000+0000"), Some(0));
        assert_eq!(
            epoch_millis("2026-03-26T16:00:01.500+0000"),
            Some(1_774_540_801_500)
        );
        assert_eq!(epoch_millis("garbage"), None);
    }
}
