//! Jira Cloud REST v3 (`/rest/api/3/...`).

use super::data::{issue_comments, parse_stored, s};
use super::util::{decode_offset, encode_offset, Reply};
use super::{error_reply, Product, Req, Shared};
use axum::http::{Method, StatusCode};
use serde_json::value::RawValue;
use serde_json::{json, Map, Value};
use std::cmp::Ordering;
use std::collections::BTreeMap;

const PROJECT_PAGE: usize = 50;
const SEARCH_DEFAULT: usize = 50;
/// Issues a search page holds when it returns more than `id`/`key`: the
/// real API trims pages "where a large number of fields are requested"
/// (about 100 with `summary`, atlassian-api.md §8).
const SEARCH_MAX: usize = 100;
/// `maxResults` the search accepts (1–5000), and the page size it gives
/// when only `id`/`key` are asked for.
const SEARCH_ACCEPTED: usize = 5000;
const COMMENT_PAGE: usize = 100;
const EMBEDDED_COMMENTS: usize = 20;
/// Comments a single issue embeds (`GET /issue/{key}`: at most 100, with the
/// true `total`, atlassian-api.md §8). The bulk fetch is served the same way:
/// Atlassian does not say what it embeds, and the crawler does not rely on
/// it (it pages what is left out).
const ISSUE_EMBEDDED_COMMENTS: usize = 100;
/// Issues per `POST /issue/bulkfetch` (jira.js: at most 100).
const BULK_FETCH_MAX: usize = 100;

const UNBOUNDED: &str =
    "Unbounded JQL queries are not allowed here. Please add a search restriction to your query.";
const GONE: &str = "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046";
const NO_ISSUE: &str = "Issue does not exist or you do not have permission to see it.";

type R = Result<Reply, Reply>;

fn err(status: StatusCode, msg: &str) -> Reply {
    error_reply(Product::Jira, status, msg)
}

fn bad(msg: &str) -> Reply {
    err(StatusCode::BAD_REQUEST, msg)
}

/// Route a Jira request: (route template, reply).
pub(crate) fn route(sh: &Shared, req: &Req) -> (String, Reply) {
    let m = req.method.as_str();
    let get = req.method == Method::GET;
    let post = req.method == Method::POST;
    let segs: Vec<&str> = req
        .path
        .trim_start_matches('/')
        .trim_end_matches('/')
        .split('/')
        .collect();
    if segs.get(1) == Some(&"servicedeskapi") {
        return super::jsm::route(sh, req, &segs);
    }
    let (template, reply): (&str, R) = match segs.as_slice() {
        ["rest", "api", "3", "project", "search"] if get => {
            ("project/search", project_search(sh, req))
        }
        ["rest", "api", "3", "project", key] if get => ("project/{key}", project(sh, key)),
        ["rest", "api", "3", "field"] if get => (
            "field",
            Ok(Reply::ok(Value::Array(sh.data.fields.iter().collect()))),
        ),
        ["rest", "api", "3", "myself"] if get => ("myself", Ok(myself(sh))),
        ["rest", "api", "3", "mypermissions"] if get => (
            "mypermissions",
            // The fake site's one account administers it.
            Ok(Reply::ok(json!({"permissions": {"ADMINISTER": {
                "id": "0", "key": "ADMINISTER", "name": "Administer Jira",
                "type": "GLOBAL", "havePermission": true
            }}}))),
        ),
        ["rest", "api", "3", "search", "jql"] if get || post => ("search/jql", search(sh, req)),
        ["rest", "api", "3", "search", "approximate-count"] if post => {
            ("search/approximate-count", count(sh, req))
        }
        ["rest", "api", "2" | "3", "search"] | ["rest", "api", "2" | "3", "search", "id"] => {
            ("search", Err(err(StatusCode::GONE, GONE)))
        }
        ["rest", "api", "3", "issue", "bulkfetch"] if post => {
            ("issue/bulkfetch", bulkfetch(sh, req))
        }
        ["rest", "api", "3", "issue", key] if get => ("issue/{key}", issue(sh, req, key)),
        ["rest", "api", "3", "issue", key, "comment"] if get => {
            ("issue/{key}/comment", comments(sh, req, key))
        }
        _ => (
            "(unknown)",
            Err(err(
                StatusCode::NOT_FOUND,
                "The requested resource could not be found.",
            )),
        ),
    };
    let prefix = if template == "search" && segs.get(2) == Some(&"2") {
        "/rest/api/2/"
    } else {
        "/rest/api/3/"
    };
    let template = if template == "(unknown)" {
        format!("{m} /rest/(unknown)")
    } else {
        format!("{m} {prefix}{template}")
    };
    (template, reply.unwrap_or_else(|e| e))
}

fn number(req: &Req, name: &str, default: usize) -> Result<usize, Reply> {
    match req.param(name) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse()
            .map_err(|_| bad(&format!("The '{name}' parameter must be a number."))),
    }
}

fn query_string(pairs: &[(String, String)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

fn project_search(sh: &Shared, req: &Req) -> R {
    let faults = &sh.config.faults;
    let start = number(req, "startAt", 0)?;
    let start = if faults.project_start_at_ignored {
        0
    } else {
        start
    };
    let max = number(req, "maxResults", PROJECT_PAGE)?.clamp(1, PROJECT_PAGE);
    let keys = req.list("keys");
    let ids = req.list("id");
    let types = req.list("typeKey");
    let q = req.param("query").unwrap_or("").to_lowercase();
    let d = &sh.data;
    let has = |list: &[String], v: &str| list.iter().any(|x| x == v);
    let all: Vec<usize> = sh
        .ix
        .projects
        .iter()
        .copied()
        .filter(|i| {
            let p = d.projects.fact(*i);
            (keys.is_empty() || has(&keys, &p.key))
                && (ids.is_empty() || has(&ids, &p.id))
                && (types.is_empty() || has(&types, &p.type_key))
                && (q.is_empty()
                    || p.key.to_lowercase().contains(&q)
                    || p.name.to_lowercase().contains(&q))
        })
        .collect();
    let end = start.saturating_add(max).min(all.len());
    let values: Vec<Value> = all
        .get(start.min(all.len())..end)
        .unwrap_or_default()
        .iter()
        .map(|i| d.projects.value(*i))
        .collect();
    let base = format!("{}{}", sh.base_url, req.path);
    let mut out = Map::new();
    out.insert(
        "self".into(),
        Value::String(format!("{base}?{}", query_string(&req.query))),
    );
    let is_last = end >= all.len();
    if !is_last {
        let mut q: Vec<(String, String)> = req
            .query
            .iter()
            .filter(|(k, _)| k != "startAt" && k != "maxResults")
            .cloned()
            .collect();
        q.push(("startAt".into(), end.to_string()));
        q.push(("maxResults".into(), max.to_string()));
        out.insert(
            "nextPage".into(),
            Value::String(format!("{base}?{}", query_string(&q))),
        );
    }
    out.insert("maxResults".into(), json!(max));
    out.insert("startAt".into(), json!(start));
    out.insert("total".into(), json!(all.len()));
    let is_last = is_last && !faults.project_is_last_never_true && !faults.project_start_at_ignored;
    out.insert("isLast".into(), json!(is_last));
    out.insert("values".into(), Value::Array(values));
    Ok(Reply::ok(Value::Object(out)))
}

fn project(sh: &Shared, key: &str) -> R {
    let d = &sh.data;
    sh.ix
        .projects
        .iter()
        .find(|i| {
            let p = d.projects.fact(**i);
            *p.key == *key || *p.id == *key
        })
        .map(|i| Reply::ok(d.projects.value(*i)))
        .ok_or_else(|| {
            err(
                StatusCode::NOT_FOUND,
                &format!("No project could be found with key '{key}'."),
            )
        })
}

fn myself(sh: &Shared) -> Reply {
    Reply::ok(json!({
        "accountId": "557058:00000000-0000-4000-8000-00000000fa4e",
        "accountType": "atlassian",
        "emailAddress": sh.config.email,
        "displayName": "Fake Site Admin",
        "active": true,
        "timeZone": "UTC",
        "self": format!("{}/rest/api/3/user?accountId=557058:00000000-0000-4000-8000-00000000fa4e", sh.base_url),
    }))
}

/// Search parameters from the query string (GET) or the JSON body (POST).
struct SearchParams {
    jql: String,
    token: Option<String>,
    max: Option<usize>,
    fields: Vec<String>,
    expand: Vec<String>,
}

fn search_params(req: &Req) -> Result<SearchParams, Reply> {
    if req.method == Method::POST {
        let v: Value = if req.body.is_empty() {
            json!({})
        } else {
            serde_json::from_slice(req.body).map_err(|_| {
                bad("Invalid request payload. Refer to the REST API documentation and try again.")
            })?
        };
        let list = |key: &str| -> Vec<String> {
            match v.get(key) {
                Some(Value::Array(a)) => a
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect(),
                Some(Value::String(s)) => s.split(',').map(|x| x.trim().to_string()).collect(),
                _ => Vec::new(),
            }
        };
        let max = match v.get("maxResults") {
            None | Some(Value::Null) => None,
            Some(m) => Some(
                m.as_u64()
                    .ok_or_else(|| bad("The 'maxResults' parameter must be a number."))?
                    as usize,
            ),
        };
        return Ok(SearchParams {
            jql: v
                .get("jql")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            token: v
                .get("nextPageToken")
                .and_then(Value::as_str)
                .map(str::to_string),
            max,
            fields: list("fields"),
            expand: list("expand"),
        });
    }
    let max = match req.param("maxResults") {
        None => None,
        Some(_) => Some(number(req, "maxResults", SEARCH_DEFAULT)?),
    };
    Ok(SearchParams {
        jql: req.param("jql").unwrap_or("").to_string(),
        token: req.param("nextPageToken").map(str::to_string),
        max,
        fields: req.list("fields"),
        expand: req.list("expand"),
    })
}

/// The subset of JQL the fake understands.
#[derive(Debug, Default)]
struct Jql {
    projects: Vec<String>,
    /// (field, operator, normalised value)
    dates: Vec<(String, String, String)>,
    order: Option<(String, bool)>,
}

fn unquote(v: &str) -> String {
    v.trim().trim_matches('"').trim_matches('\'').to_string()
}

fn find_ci(hay: &str, needle: &str) -> Option<usize> {
    hay.to_ascii_lowercase().find(needle)
}

fn parse_jql(jql: &str) -> Result<Jql, String> {
    let mut out = Jql::default();
    let text = jql.trim();
    let (where_part, order_part) = match find_ci(text, "order by") {
        Some(i) => (&text[..i], Some(&text[i + "order by".len()..])),
        None => (text, None),
    };
    if let Some(o) = order_part {
        let mut words = o.split_whitespace();
        let field = words.next().unwrap_or("").to_ascii_lowercase();
        let dir = words.next().unwrap_or("asc").to_ascii_lowercase();
        if !["id", "key", "created", "updated"].contains(&field.as_str())
            || !["asc", "desc"].contains(&dir.as_str())
            || words.next().is_some()
        {
            return Err(format!("The fake site cannot order by '{}'.", o.trim()));
        }
        out.order = Some((field, dir == "desc"));
    }
    let lower = where_part.to_ascii_lowercase();
    let mut clauses = Vec::new();
    let mut start = 0;
    // Split on " and " outside quotes.
    let bytes = lower.as_bytes();
    let mut in_quote = false;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'"' {
            in_quote = !in_quote;
        } else if !in_quote && bytes[i..].starts_with(b" and ") {
            clauses.push(&where_part[start..i]);
            start = i + 5;
            i += 4;
        }
        i += 1;
    }
    clauses.push(&where_part[start..]);
    for c in clauses.into_iter().map(str::trim).filter(|c| !c.is_empty()) {
        let cl = c.to_ascii_lowercase();
        if let Some(rest) = cl.strip_prefix("project") {
            let rest_orig = &c[c.len() - rest.len()..];
            let r = rest_orig.trim_start();
            if let Some(v) = r.strip_prefix('=') {
                out.projects.push(unquote(v));
                continue;
            }
            if r.to_ascii_lowercase().starts_with("in") {
                let list = r[2..].trim();
                if let Some(inner) = list.strip_prefix('(').and_then(|x| x.strip_suffix(')')) {
                    out.projects
                        .extend(inner.split(',').map(unquote).filter(|x| !x.is_empty()));
                    continue;
                }
            }
            return Err(format!("The fake site cannot read the clause '{c}'."));
        }
        let mut matched = false;
        for field in ["updated", "created"] {
            if let Some(rest) = cl.strip_prefix(field) {
                let r = c[c.len() - rest.len()..].trim_start();
                for op in [">=", "<=", ">", "<"] {
                    if let Some(v) = r.strip_prefix(op) {
                        let v = unquote(v);
                        let v = match relative_date(&v, jiff::Timestamp::now()) {
                            Some(at) => at,
                            None => v.replace('/', "-").replace(' ', "T"),
                        };
                        out.dates.push((field.to_string(), op.to_string(), v));
                        matched = true;
                        break;
                    }
                }
            }
        }
        if !matched {
            return Err(format!("The fake site cannot read the clause '{c}'."));
        }
    }
    Ok(out)
}

/// A relative JQL date (`-125m`, `-2h`, `-7d`, `-1w`, `+1d`; no unit =
/// minutes) as the minute it names, `yyyy-MM-ddTHH:mm`, counted back from
/// `now` in UTC, the fake account's time zone (`myself` says `UTC`). Rounded
/// down to the minute, as JQL dates have minute precision.
fn relative_date(v: &str, now: jiff::Timestamp) -> Option<String> {
    let (sign, rest) = match v.trim().as_bytes().first()? {
        b'-' => (-1i64, &v.trim()[1..]),
        b'+' => (1, &v.trim()[1..]),
        _ => return None,
    };
    let digits = rest.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let n: i64 = digits.parse().ok()?;
    let minutes = match &rest[digits.len()..] {
        "" | "m" => n,
        "h" => n * 60,
        "d" => n * 1440,
        "w" => n * 10_080,
        _ => return None,
    };
    let at = now
        .checked_add(jiff::SignedDuration::from_mins(sign * minutes))
        .ok()?;
    Some(at.strftime("%Y-%m-%dT%H:%M").to_string())
}

fn date_ok(issue: &super::data::IssueFacts, field: &str, op: &str, v: &str) -> bool {
    let stored = issue.date(field);
    let n = v.len().min(stored.len());
    let have = &stored.as_bytes()[..n];
    let want = &v.as_bytes()[..n];
    match op {
        ">=" => have >= want,
        ">" => have > want,
        "<=" => have <= want,
        _ => have < want,
    }
}

/// Issues matching a JQL query, ordered, or the 400 to answer.
fn matching(sh: &Shared, jql: &str) -> Result<Vec<usize>, Reply> {
    if jql.trim().is_empty() {
        return Err(bad(UNBOUNDED));
    }
    let q = parse_jql(jql).map_err(|m| bad(&m))?;
    if q.projects.is_empty() {
        return Err(bad(UNBOUNDED));
    }
    let d = &sh.data;
    let mut keys = Vec::new();
    for p in &q.projects {
        let found = sh
            .ix
            .projects
            .iter()
            .map(|i| d.projects.fact(*i))
            .find(|pr| pr.key.eq_ignore_ascii_case(p) || *pr.id == **p);
        match found {
            Some(pr) => keys.push(pr.key.to_string()),
            None => {
                return Err(bad(&format!(
                    "The value '{p}' does not exist for the field 'project'."
                )))
            }
        }
    }
    let mut out: Vec<usize> = keys
        .iter()
        .flat_map(|k| {
            sh.ix
                .issues_by_project
                .get(k)
                .into_iter()
                .flatten()
                .copied()
        })
        .filter(|i| {
            q.dates
                .iter()
                .all(|(f, op, v)| date_ok(d.issues.fact(*i), f, op, v))
        })
        .collect();
    let (field, desc) = q.order.clone().unwrap_or(("id".into(), false));
    let key_of = |i: &usize| -> (usize, &str) {
        let is = d.issues.fact(*i);
        match field.as_str() {
            "created" | "updated" => (0, is.date(&field)),
            _ => (is.id.len(), &is.id),
        }
    };
    out.sort_by(|a, b| {
        let o = key_of(a).cmp(&key_of(b));
        let o = if o == Ordering::Equal {
            super::data::id_order(&d.issues.fact(*a).id, &d.issues.fact(*b).id)
        } else {
            o
        };
        if desc {
            o.reverse()
        } else {
            o
        }
    });
    Ok(out)
}

/// Which fields to return: (everything?, named, excluded).
fn field_selection(fields: &[String]) -> (bool, Vec<String>, Vec<String>) {
    let mut all = false;
    let mut named = Vec::new();
    let mut excluded = Vec::new();
    for f in fields {
        if f == "*all" || f == "*navigable" {
            all = true;
        } else if let Some(x) = f.strip_prefix('-') {
            excluded.push(x.to_string());
        } else {
            named.push(f.clone());
        }
    }
    (all, named, excluded)
}

/// An issue's stored `fields`, each value still as its JSON text, in key
/// order (the order of a parsed object's map); empty when `fields` is not an
/// object. Only the fields a request asks for are then parsed: a search page
/// of 5000 issues asking for their keys parses none.
fn stored_fields(text: &str) -> BTreeMap<String, &RawValue> {
    #[derive(serde::Deserialize)]
    struct Issue<'a> {
        #[serde(borrow)]
        fields: Option<&'a RawValue>,
    }
    serde_json::from_str::<Issue>(text)
        .ok()
        .and_then(|is| is.fields)
        .and_then(|f| serde_json::from_str(f.get()).ok())
        .unwrap_or_default()
}

/// An issue as a search returns it: only the requested fields, comments cut to 20.
fn render_issue(sh: &Shared, i: usize, fields: &[String], embed_cap: Option<usize>) -> Value {
    let (all, named, excluded) = field_selection(fields);
    let only_id = !all && named.iter().all(|f| f == "id");
    let facts = sh.data.issues.fact(i);
    let mut out = Map::new();
    out.insert("id".into(), json!(facts.id));
    if only_id {
        return Value::Object(out);
    }
    out.insert("key".into(), json!(facts.key));
    out.insert(
        "self".into(),
        json!(format!("{}/rest/api/3/issue/{}", sh.base_url, facts.id)),
    );
    let mut f = Map::new();
    let text = sh.data.issues.text(i).unwrap_or("null");
    for (k, raw) in stored_fields(text) {
        let wanted = (all || named.contains(&k)) && !excluded.contains(&k);
        if !wanted {
            continue;
        }
        let v = parse_stored(raw.get());
        let v = if k == "comment" {
            let list = v.get("comments").and_then(Value::as_array);
            embedded_comments(list.map_or(&[][..], Vec::as_slice), embed_cap)
        } else {
            v
        };
        f.insert(k, v);
    }
    out.insert("fields".into(), Value::Object(f));
    Value::Object(out)
}

fn embedded_comments(all: &[Value], cap: Option<usize>) -> Value {
    let n = cap.map_or(all.len(), |c| all.len().min(c));
    json!({
        "comments": &all[..n],
        "maxResults": n,
        "total": all.len(),
        "startAt": 0,
    })
}

fn search(sh: &Shared, req: &Req) -> R {
    let p = search_params(req)?;
    let hits = matching(sh, &p.jql)?;
    let faults = &sh.config.faults;
    let asked = p.max.unwrap_or(SEARCH_DEFAULT);
    if asked == 0 || asked > SEARCH_ACCEPTED {
        return Err(bad(&format!(
            "The 'maxResults' parameter must be between 1 and {SEARCH_ACCEPTED}."
        )));
    }
    let ids_only = p.fields.iter().all(|f| f == "id" || f == "key");
    let max = asked.min(if ids_only {
        SEARCH_ACCEPTED
    } else {
        SEARCH_MAX
    });
    let max = faults.jira_page_size.map_or(max, |n| max.min(n.max(1)));
    let offset = match &p.token {
        None => 0,
        Some(t) => decode_offset("j", t)
            .ok_or_else(|| bad("The provided next page token is invalid or expired."))?,
    };
    let end = offset.saturating_add(max).min(hits.len());
    let fields = if p.fields.is_empty() {
        vec!["id".to_string()]
    } else {
        p.fields.clone()
    };
    let d = &sh.data;
    let issues: Vec<Value> = hits
        .get(offset.min(hits.len())..end)
        .unwrap_or_default()
        .iter()
        .map(|i| {
            let mut v = render_issue(sh, *i, &fields, Some(EMBEDDED_COMMENTS));
            issue_faults(faults, &mut v);
            v
        })
        .collect();
    let mut out = Map::new();
    out.insert("issues".into(), Value::Array(issues));
    let is_last = end >= hits.len();
    if !is_last {
        let next = if faults.offset_drift && end > offset + 1 {
            end - 1
        } else {
            end
        };
        let token = match (&p.token, faults.search_token_repeated) {
            (Some(t), true) => t.clone(),
            _ => encode_offset("j", next),
        };
        out.insert("nextPageToken".into(), json!(token));
    }
    out.insert("isLast".into(), json!(is_last));
    if p.expand.iter().any(|e| e == "names") {
        let names: Map<String, Value> = d
            .fields
            .facts()
            .map(|f| (f.id.to_string(), json!(f.name)))
            .collect();
        out.insert("names".into(), Value::Object(names));
    }
    Ok(Reply::ok(Value::Object(out)))
}

/// The issue-level faults: a description nested too deep for serde_json's
/// default limit, or `fields` of the wrong shape.
fn issue_faults(faults: &super::Faults, issue: &mut Value) {
    let key = s(issue, "key");
    if let Some((k, depth)) = &faults.deep_issue {
        if *k == key {
            if let Some(Value::Object(f)) = issue.get_mut("fields") {
                let adf = super::faults::deep_adf(
                    *depth,
                    "deep issue top text",
                    "deep issue bottom text",
                );
                f.insert("description".into(), adf);
            }
        }
    }
    if faults.malformed_issue.as_deref() == Some(key.as_str()) {
        if let Value::Object(o) = issue {
            o.insert("fields".into(), json!("not an object"));
        }
    }
}

fn count(sh: &Shared, req: &Req) -> R {
    let p = search_params(req)?;
    let hits = matching(sh, &p.jql)?;
    Ok(Reply::ok(json!({"count": hits.len()})))
}

/// The position of a visible issue, by key or id.
fn find_issue(sh: &Shared, key: &str) -> Result<usize, Reply> {
    sh.ix
        .issue_by_key
        .get(key)
        .copied()
        .ok_or_else(|| err(StatusCode::NOT_FOUND, NO_ISSUE))
}

fn issue(sh: &Shared, req: &Req, key: &str) -> R {
    let i = find_issue(sh, key)?;
    let mut fields = req.list("fields");
    if fields.is_empty() {
        fields.push("*all".into());
    }
    Ok(Reply::ok(render_issue(
        sh,
        i,
        &fields,
        Some(ISSUE_EMBEDDED_COMMENTS),
    )))
}

/// `POST /issue/bulkfetch {issueIdsOrKeys, fields}`: the issues found, each
/// as `GET /issue/{key}` renders it; the others in `issueErrors` (jira.js
/// `BulkIssueResults`). 1–100 keys, else 400.
fn bulkfetch(sh: &Shared, req: &Req) -> R {
    let v: Value = serde_json::from_slice(req.body).map_err(|_| {
        bad("Invalid request payload. Refer to the REST API documentation and try again.")
    })?;
    let keys: Vec<&str> = v
        .get("issueIdsOrKeys")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if keys.is_empty() || keys.len() > BULK_FETCH_MAX {
        return Err(bad(&format!(
            "issueIdsOrKeys must hold between 1 and {BULK_FETCH_MAX} issues."
        )));
    }
    let mut fields: Vec<String> = v
        .get("fields")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    if fields.is_empty() {
        fields.push("*navigable".into());
    }
    let mut issues = Vec::new();
    let mut errors = Vec::new();
    for key in keys {
        match find_issue(sh, key) {
            Ok(i) => issues.push(render_issue(sh, i, &fields, Some(ISSUE_EMBEDDED_COMMENTS))),
            Err(_) => errors.push(json!({
                "issueIdsOrKeys": [key],
                "errorMessages": ["Issue does not exist or you do not have permission to see it."],
                "status": 404,
            })),
        }
    }
    Ok(Reply::ok(json!({"issues": issues, "issueErrors": errors})))
}

fn comments(sh: &Shared, req: &Req, key: &str) -> R {
    let is = sh.data.issues.value(find_issue(sh, key)?);
    let start = number(req, "startAt", 0)?;
    let max = number(req, "maxResults", COMMENT_PAGE)?.clamp(1, COMMENT_PAGE);
    let mut all: Vec<&Value> = issue_comments(&is).iter().collect();
    if req.param("orderBy") == Some("-created") {
        all.reverse();
    }
    let end = start.saturating_add(max).min(all.len());
    let page: Vec<Value> = all
        .get(start.min(all.len())..end)
        .unwrap_or_default()
        .iter()
        .map(|v| (*v).clone())
        .collect();
    Ok(Reply::ok(json!({
        "startAt": start,
        "maxResults": max,
        "total": all.len(),
        "comments": page,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_dates_count_back_from_now() {
        let now: jiff::Timestamp = "2026-12-06T01:30:45Z".parse().unwrap();
        assert_eq!(
            relative_date("-125m", now).as_deref(),
            Some("2026-12-05T23:25")
        );
        assert_eq!(
            relative_date("-2h", now).as_deref(),
            Some("2026-12-05T23:30")
        );
        assert_eq!(
            relative_date("-1w", now).as_deref(),
            Some("2026-11-29T01:30")
        );
        assert_eq!(
            relative_date("-15", now).as_deref(),
            Some("2026-12-06T01:15")
        );
        assert_eq!(relative_date("2026-08-01 00:00", now), None);
        assert_eq!(relative_date("-5y", now), None);
    }

    #[test]
    fn jql_forms() {
        let q = parse_jql("project = \"PAY\" ORDER BY id ASC").unwrap();
        assert_eq!(q.projects, vec!["PAY"]);
        assert_eq!(q.order, Some(("id".into(), false)));
        let q = parse_jql("project=OPS").unwrap();
        assert_eq!(q.projects, vec!["OPS"]);
        let q = parse_jql("project in (A, \"B\") AND updated >= \"2026-08-01 00:00\"").unwrap();
        assert_eq!(q.projects, vec!["A", "B"]);
        assert_eq!(q.dates[0].2, "2026-08-01T00:00");
        assert!(parse_jql("summary ~ secret").is_err());
        let q = parse_jql("project in (10000) AND updated >= \"-5m\"").unwrap();
        assert_eq!(q.dates[0].0, "updated");
        assert_eq!(q.dates[0].2.len(), "2026-08-01T00:00".len());
        assert!(parse_jql("order by id").unwrap().projects.is_empty());
    }
}
