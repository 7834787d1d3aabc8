//! Confluence Cloud REST v2 (`/wiki/api/v2/...`).

use super::data::{id_order, s, Collection, CommentKind, ContentFacts};
use super::util::{decode_offset, encode_offset, Reply};
use super::{error_reply, Product, Req, Shared};
use axum::http::{Method, StatusCode};
use serde_json::{json, Map, Value};
use std::borrow::Cow;

const DEFAULT_LIMIT: usize = 25;
const MAX_LIMIT: usize = 250;

fn not_found() -> Reply {
    error_reply(Product::Confluence, StatusCode::NOT_FOUND, "Not Found")
}

fn bad_request(msg: &str) -> Reply {
    error_reply(Product::Confluence, StatusCode::BAD_REQUEST, msg)
}

/// Which of the stored collections a content route is about.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Content {
    Page,
    Blog,
}

fn content_kind(seg: &str) -> Option<Content> {
    match seg {
        "pages" => Some(Content::Page),
        "blogposts" => Some(Content::Blog),
        _ => None,
    }
}

fn comment_kind(seg: &str) -> Option<CommentKind> {
    match seg {
        "footer-comments" => Some(CommentKind::Footer),
        "inline-comments" => Some(CommentKind::Inline),
        _ => None,
    }
}

/// Route a Confluence request: (route template, reply).
pub(crate) fn route(sh: &Shared, req: &Req) -> (String, Reply) {
    let m = req.method.as_str();
    if req.path.trim_end_matches('/') == "/wiki/rest/api/user/current" && m == "GET" {
        // v1: the only way to learn who the caller is and what it may administer.
        let me = json!({
            "type": "known",
            "accountId": "557058:00000000-0000-4000-8000-00000000fa4e",
            "accountType": "atlassian",
            "email": sh.config.email,
            "publicName": "Fake Site Admin",
            "displayName": "Fake Site Admin",
            "operations": [
                {"operation": "administer", "targetType": "application"},
                {"operation": "use", "targetType": "application"}
            ]
        });
        return (format!("{m} /wiki/rest/api/user/current"), Reply::ok(me));
    }
    if req.path.trim_end_matches('/') == "/wiki/rest/api/search" && m == "GET" {
        let reply = cql_search(sh, req).unwrap_or_else(|e| e);
        return (format!("{m} /wiki/rest/api/search"), reply);
    }
    let Some(rest) = req.path.strip_prefix("/wiki/api/v2/") else {
        return (format!("{m} /wiki/(unknown)"), not_found());
    };
    let segs: Vec<&str> = rest.trim_end_matches('/').split('/').collect();
    let (template, reply): (String, Result<Reply, Reply>) = match segs.as_slice() {
        ["spaces"] => ("spaces".into(), list_spaces(sh, req)),
        ["spaces", id] => ("spaces/{id}".into(), get_space(sh, id)),
        ["spaces", id, kind @ ("pages" | "blogposts")] => (
            format!("spaces/{{id}}/{kind}"),
            content_in_space(sh, req, id, content_kind(kind)),
        ),
        [kind @ ("pages" | "blogposts")] => {
            (kind.to_string(), content_all(sh, req, content_kind(kind)))
        }
        [kind @ ("pages" | "blogposts"), id] => (
            format!("{kind}/{{id}}"),
            get_content(sh, req, id, content_kind(kind)),
        ),
        [kind @ ("pages" | "blogposts"), id, ck @ ("footer-comments" | "inline-comments")] => (
            format!("{kind}/{{id}}/{ck}"),
            content_comments(sh, req, id, content_kind(kind), comment_kind(ck)),
        ),
        [ck @ ("footer-comments" | "inline-comments")] => {
            (ck.to_string(), site_comments(sh, req, comment_kind(ck)))
        }
        [ck @ ("footer-comments" | "inline-comments"), id] => (
            format!("{ck}/{{id}}"),
            get_comment(sh, req, id, comment_kind(ck)),
        ),
        [ck @ ("footer-comments" | "inline-comments"), id, "children"] => (
            format!("{ck}/{{id}}/children"),
            children(sh, req, id, comment_kind(ck)),
        ),
        _ => ("(unknown)".into(), Err(not_found())),
    };
    let reply = if req.method != Method::GET && template != "(unknown)" {
        error_reply(
            Product::Confluence,
            StatusCode::METHOD_NOT_ALLOWED,
            "Method Not Allowed",
        )
    } else {
        reply.unwrap_or_else(|e| e)
    };
    (format!("{m} /wiki/api/v2/{template}"), reply)
}

type R = Result<Reply, Reply>;

fn limit(req: &Req) -> Result<usize, Reply> {
    match req.param("limit") {
        None => Ok(DEFAULT_LIMIT),
        Some(v) => match v.trim().parse::<usize>() {
            Ok(0) | Err(_) => Err(bad_request("limit must be a number between 1 and 250")),
            Ok(n) => Ok(n.min(MAX_LIMIT)),
        },
    }
}

/// One page of `items` (positions into `source`), with `Link` and `_links`.
fn paginate(sh: &Shared, req: &Req, items: &[usize], render: impl Fn(usize) -> Value) -> R {
    let asked = limit(req)?;
    let faults = &sh.config.faults;
    let limit = faults
        .confluence_page_size
        .map_or(asked, |n| asked.min(n.max(1)));
    let offset = match req.param("cursor") {
        None => 0,
        Some(c) => decode_offset("c", c).ok_or_else(|| bad_request("Invalid cursor"))?,
    };
    let end = offset.saturating_add(limit).min(items.len());
    // Faults: the next page starts one early (drift), or page n leads back
    // to the first (a cycle of length n).
    let mut next_offset = end;
    if faults.offset_drift && end > offset + 1 {
        next_offset = end - 1;
    }
    if let Some((path, n)) = &faults.cursor_cycle {
        if req.path.contains(path.as_str()) && offset / limit + 1 == (*n).max(1) {
            next_offset = 0;
        }
    }
    let results: Vec<Value> = items
        .get(offset.min(items.len())..end)
        .unwrap_or_default()
        .iter()
        .map(|i| render(*i))
        .collect();
    let mut links = Map::new();
    let mut reply_headers = Vec::new();
    if end < items.len() {
        let mut q: Vec<(String, String)> = req
            .query
            .iter()
            .filter(|(k, _)| k != "cursor" && k != "limit")
            .cloned()
            .collect();
        q.insert(0, ("limit".into(), asked.to_string()));
        q.push(("cursor".into(), encode_offset("c", next_offset)));
        let qs = serde_urlencoded::to_string(&q).unwrap_or_default();
        let next = format!("{}?{qs}", req.path);
        reply_headers.push(format!("<{next}>; rel=\"next\""));
        links.insert("next".into(), Value::String(next));
    }
    links.insert(
        "base".into(),
        Value::String(format!("{}/wiki", sh.base_url)),
    );
    let mut r = Reply::ok(json!({"results": results, "_links": links}));
    for h in reply_headers {
        r = r.header("Link", h);
    }
    Ok(r)
}

/// `body-format`: only storage is served.
fn body_format(req: &Req) -> Result<bool, Reply> {
    match req.param("body-format") {
        None => Ok(false),
        Some("storage") => Ok(true),
        Some(other) => Err(bad_request(&format!(
            "The fake site serves body-format=storage only, not {other}"
        ))),
    }
}

/// A stored object as served: its `body` holds the storage format when asked
/// for, else nothing.
fn with_body(mut v: Value, storage: bool) -> Value {
    if let Value::Object(o) = &mut v {
        let stored = o
            .get_mut("body")
            .and_then(|b| b.get_mut("storage"))
            .map(Value::take);
        let body = match (storage, stored) {
            (true, Some(b)) => json!({"storage": b}),
            _ => json!({}),
        };
        o.insert("body".into(), body);
    }
    v
}

/// Whether `list` holds `v`.
fn has(list: &[String], v: &str) -> bool {
    list.iter().any(|x| x == v)
}

fn statuses(req: &Req, default: &[&str]) -> Vec<String> {
    let l = req.list("status");
    if l.is_empty() {
        default.iter().map(|s| s.to_string()).collect()
    } else {
        l
    }
}

/// An object without a `status` counts as current.
fn status_ok(status: &str, allowed: &[String]) -> bool {
    has(allowed, if status.is_empty() { "current" } else { status })
}

fn list_spaces(sh: &Shared, req: &Req) -> R {
    let ids = req.list("ids");
    let keys = req.list("keys");
    let types = req.list("type");
    let status = req.list("status");
    let d = &sh.data;
    let items: Vec<usize> = sh
        .ix
        .spaces
        .iter()
        .copied()
        .filter(|i| {
            let sp = d.spaces.fact(*i);
            (ids.is_empty() || has(&ids, &sp.id))
                && (keys.is_empty() || has(&keys, &sp.key))
                && (types.is_empty() || has(&types, &sp.kind))
                && (status.is_empty() || has(&status, &sp.status))
        })
        .collect();
    paginate(sh, req, &items, |i| d.spaces.value(i))
}

fn get_space(sh: &Shared, id: &str) -> R {
    let i = sh.ix.space_by_id.get(id).ok_or_else(not_found)?;
    Ok(Reply::ok(sh.data.spaces.value(*i)))
}

fn collection(sh: &Shared, kind: Content) -> &Collection<ContentFacts> {
    match kind {
        Content::Page => &sh.data.pages,
        Content::Blog => &sh.data.blogposts,
    }
}

fn default_status(kind: Content) -> &'static [&'static str] {
    match kind {
        Content::Page => &["current", "archived"],
        Content::Blog => &["current"],
    }
}

fn content_in_space(sh: &Shared, req: &Req, space: &str, kind: Option<Content>) -> R {
    let kind = kind.ok_or_else(not_found)?;
    if !sh.ix.space_by_id.contains_key(space) {
        return Err(not_found());
    }
    let storage = body_format(req)?;
    let st = statuses(req, default_status(kind));
    let by_space = match kind {
        Content::Page => &sh.ix.pages_by_space,
        Content::Blog => &sh.ix.blogs_by_space,
    };
    let src = collection(sh, kind);
    let items: Vec<usize> = by_space
        .get(space)
        .map_or(&[][..], Vec::as_slice)
        .iter()
        .copied()
        .filter(|i| status_ok(&src.fact(*i).status, &st))
        .collect();
    paginate(sh, req, &items, |i| with_body(src.value(i), storage))
}

fn content_all(sh: &Shared, req: &Req, kind: Option<Content>) -> R {
    let kind = kind.ok_or_else(not_found)?;
    let storage = body_format(req)?;
    let st = statuses(req, default_status(kind));
    let spaces = req.list("space-id");
    let all = match kind {
        Content::Page => &sh.ix.all_pages,
        Content::Blog => &sh.ix.all_blogs,
    };
    let src = collection(sh, kind);
    let ids = req.list("id");
    if ids.len() > MAX_LIMIT {
        return Err(bad_request("id accepts at most 250 ids"));
    }
    let mut items: Vec<usize> = all
        .iter()
        .copied()
        .filter(|i| {
            let f = src.fact(*i);
            status_ok(&f.status, &st)
                && (spaces.is_empty() || has(&spaces, &f.space_id))
                && (ids.is_empty() || has(&ids, &f.id))
        })
        .collect();
    sort_items(req, src, &mut items)?;
    paginate(sh, req, &items, |i| with_body(src.value(i), storage))
}

/// `sort` on the site-wide lists: `id`, `created-date` or `modified-date`
/// (`-` = descending). The modified date of a page, blog post or comment is
/// its `version.createdAt` (the object has no other); ties keep id order.
fn sort_items(req: &Req, src: &Collection<ContentFacts>, items: &mut [usize]) -> Result<(), Reply> {
    let Some(sort) = req.param("sort") else {
        return Ok(());
    };
    let (desc, field) = match sort.strip_prefix('-') {
        Some(f) => (true, f),
        None => (false, sort),
    };
    match field {
        "id" => {}
        // Stable: ties keep id order. The dates were parsed when stored
        // (unparseable or missing ones sort first, as `None`).
        "modified-date" => items.sort_by_key(|i| src.fact(*i).modified),
        "created-date" => items.sort_by_key(|i| src.fact(*i).created),
        other => return Err(bad_request(&format!("Invalid sort: {other}"))),
    }
    if desc {
        items.reverse();
    }
    Ok(())
}

fn visible_content(sh: &Shared, id: &str, kind: Content) -> Option<usize> {
    match kind {
        Content::Page => sh.ix.page_by_id.get(id).copied(),
        Content::Blog => sh.ix.blog_by_id.get(id).copied(),
    }
}

fn get_content(sh: &Shared, req: &Req, id: &str, kind: Option<Content>) -> R {
    let kind = kind.ok_or_else(not_found)?;
    let storage = body_format(req)?;
    let i = visible_content(sh, id, kind).ok_or_else(not_found)?;
    Ok(Reply::ok(with_body(collection(sh, kind).value(i), storage)))
}

fn comments_of(sh: &Shared, kind: CommentKind) -> &Collection<ContentFacts> {
    match kind {
        CommentKind::Footer => &sh.data.footer_comments,
        CommentKind::Inline => &sh.data.inline_comments,
    }
}

fn comment_filter(req: &Req, kind: CommentKind) -> impl Fn(&ContentFacts) -> bool {
    let st = statuses(req, &["current"]);
    let res = if kind == CommentKind::Inline {
        req.list("resolution-status")
    } else {
        Vec::new()
    };
    move |c: &ContentFacts| {
        status_ok(&c.status, &st) && (res.is_empty() || has(&res, &c.resolution_status))
    }
}

fn comment_page(sh: &Shared, req: &Req, kind: CommentKind, items: &[usize]) -> R {
    let storage = body_format(req)?;
    let src = comments_of(sh, kind);
    let keep = comment_filter(req, kind);
    let mut items: Vec<usize> = items
        .iter()
        .copied()
        .filter(|i| keep(src.fact(*i)))
        .collect();
    sort_items(req, src, &mut items)?;
    paginate(sh, req, &items, |i| with_body(src.value(i), storage))
}

fn content_comments(
    sh: &Shared,
    req: &Req,
    id: &str,
    kind: Option<Content>,
    ck: Option<CommentKind>,
) -> R {
    let (kind, ck) = kind.zip(ck).ok_or_else(not_found)?;
    visible_content(sh, id, kind).ok_or_else(not_found)?;
    let ci = sh.ix.comments(ck);
    // Roots of this owner; a page and a blog post never share an id here, but
    // make sure the comment's owner field matches the kind asked for.
    let src = comments_of(sh, ck);
    let roots: Vec<usize> = ci
        .roots_by_owner
        .get(id)
        .map_or(&[][..], Vec::as_slice)
        .iter()
        .copied()
        .filter(|i| {
            let c = src.fact(*i);
            let owner: &str = match kind {
                Content::Page => &c.page_id,
                Content::Blog => &c.blog_post_id,
            };
            owner == id
        })
        .collect();
    comment_page(sh, req, ck, &roots)
}

/// Site-wide listing: every comment with replies, or roots only under
/// `site_comments_roots_only` (see the module docs).
fn site_comments(sh: &Shared, req: &Req, ck: Option<CommentKind>) -> R {
    let ck = ck.ok_or_else(not_found)?;
    let ci = sh.ix.comments(ck);
    // Borrowed: the listing can hold every comment of a large site, and
    // each page of it would copy them all.
    let mut listed = Cow::Borrowed(if sh.config.site_comments_roots_only {
        &ci.all_roots
    } else {
        &ci.all
    });
    if sh.config.faults.hidden_comments_listed {
        let src = comments_of(sh, ck);
        let roots_only = sh.config.site_comments_roots_only;
        let listed = listed.to_mut();
        listed.extend(
            ci.of_hidden
                .iter()
                .copied()
                .filter(|i| !roots_only || src.fact(*i).parent_comment_id.is_empty()),
        );
        listed.sort_by(|a, b| id_order(&src.fact(*a).id, &src.fact(*b).id));
    }
    comment_page(sh, req, ck, &listed)
}

/// CQL search, for counts only (see the module docs): `totalSize` of the
/// visible comments, pages (current and archived, as the v2 listings give
/// them) or blog posts of the site or of some spaces.
fn cql_search(sh: &Shared, req: &Req) -> R {
    let cql = req.param("cql").unwrap_or_default();
    let (types, spaces) = parse_count_cql(cql).ok_or_else(|| {
        error_reply(
            Product::Confluence,
            StatusCode::BAD_REQUEST,
            &format!("Could not parse cql : {cql}"),
        )
    })?;
    let space_ids: Vec<String> = sh
        .ix
        .spaces
        .iter()
        .map(|i| sh.data.spaces.fact(*i))
        .filter(|sp| spaces.as_ref().is_none_or(|keys| has(keys, &sp.key)))
        .map(|sp| sp.id.to_string())
        .collect();
    let hits = count_hits(sh, &types, &space_ids);
    let asked = match req.param("limit") {
        None => DEFAULT_LIMIT,
        Some(v) => v
            .trim()
            .parse::<usize>()
            .map_err(|_| bad_request("limit must be a number"))?,
    };
    let results: Vec<Value> = hits
        .iter()
        .take(asked.min(MAX_LIMIT))
        .map(|(ty, src, i)| {
            let c = src.value(*i);
            json!({
                "content": {"id": s(&c, "id"), "type": ty, "status": "current", "title": s(&c, "title")},
                "title": s(&c, "title"),
                "excerpt": "",
                "url": "",
                "lastModified": c.pointer("/version/createdAt").cloned().unwrap_or(Value::Null),
            })
        })
        .collect();
    Ok(Reply::ok(json!({
        "results": results,
        "start": 0,
        "limit": asked,
        "size": results.len(),
        "totalSize": hits.len(),
        "cqlQuery": cql,
        "_links": {"base": format!("{}/wiki", sh.base_url), "context": "/wiki"},
    })))
}

/// The visible objects of `types` in the spaces `space_ids`: (type, the
/// collection, the position in it).
fn count_hits<'a>(
    sh: &'a Shared,
    types: &[String],
    space_ids: &[String],
) -> Vec<(&'static str, &'a Collection<ContentFacts>, usize)> {
    let in_scope = |f: &ContentFacts| has(space_ids, &f.space_id);
    let mut hits = Vec::new();
    let wanted = |t: &str| types.iter().any(|x| x == t);
    if wanted("page") {
        let st = statuses_of(default_status(Content::Page));
        for i in &sh.ix.all_pages {
            let p = sh.data.pages.fact(*i);
            if in_scope(p) && status_ok(&p.status, &st) {
                hits.push(("page", &sh.data.pages, *i));
            }
        }
    }
    if wanted("blogpost") {
        let st = statuses_of(default_status(Content::Blog));
        for i in &sh.ix.all_blogs {
            let p = sh.data.blogposts.fact(*i);
            if in_scope(p) && status_ok(&p.status, &st) {
                hits.push(("blogpost", &sh.data.blogposts, *i));
            }
        }
    }
    if wanted("comment") {
        let owner_space = |owner: &str| -> Option<&str> {
            sh.ix
                .page_by_id
                .get(owner)
                .map(|i| &*sh.data.pages.fact(*i).space_id)
                .or_else(|| {
                    sh.ix
                        .blog_by_id
                        .get(owner)
                        .map(|i| &*sh.data.blogposts.fact(*i).space_id)
                })
        };
        for ck in [CommentKind::Footer, CommentKind::Inline] {
            let src = comments_of(sh, ck);
            for i in &sh.ix.comments(ck).all {
                let o = src.fact(*i).owner();
                if owner_space(o).is_some_and(|sp| has(space_ids, sp)) {
                    hits.push(("comment", src, *i));
                }
            }
        }
    }
    hits
}

fn statuses_of(l: &[&str]) -> Vec<String> {
    l.iter().map(|s| s.to_string()).collect()
}

/// `type = T | type in (T, …)` with `T` among comment, page, blogpost,
/// optionally `AND space in ("A", "B") | AND space = "A"` → (types, space
/// keys; `None`: the whole site), or `None` outside that grammar.
fn parse_count_cql(cql: &str) -> Option<(Vec<String>, Option<Vec<String>>)> {
    let norm: String = cql.split_whitespace().collect::<Vec<_>>().join(" ");
    let (head, tail) = match norm.find(" AND ").or_else(|| norm.find(" and ")) {
        Some(at) => (&norm[..at], Some(norm[at + 5..].trim())),
        None => (norm.as_str(), None),
    };
    let types = field_values(head, "type")?;
    let known = ["comment", "page", "blogpost"];
    if types.is_empty() || !types.iter().all(|t| known.contains(&t.as_str())) {
        return None;
    }
    let spaces = match tail {
        None => None,
        Some(t) => Some(field_values(t, "space")?),
    };
    Some((types, spaces))
}

/// `field = v`, `field=v` or `field in (a, b)` → the values, unquoted.
fn field_values(clause: &str, field: &str) -> Option<Vec<String>> {
    let clause = clause.trim();
    let lower = clause.to_ascii_lowercase();
    if !lower.starts_with(field) {
        return None;
    }
    let rest = clause[field.len()..].trim();
    let unquote = |v: &str| v.trim().trim_matches('"').to_string();
    if let Some(v) = rest.strip_prefix('=') {
        return Some(vec![unquote(v)]);
    }
    let list = rest
        .strip_prefix("in ")
        .or_else(|| rest.strip_prefix("IN "))?;
    let inner = list.trim().strip_prefix('(')?.strip_suffix(')')?;
    Some(inner.split(',').map(unquote).collect())
}

fn get_comment(sh: &Shared, req: &Req, id: &str, ck: Option<CommentKind>) -> R {
    let ck = ck.ok_or_else(not_found)?;
    let storage = body_format(req)?;
    let i = sh.ix.comments(ck).by_id.get(id).ok_or_else(not_found)?;
    Ok(Reply::ok(with_body(comments_of(sh, ck).value(*i), storage)))
}

fn children(sh: &Shared, req: &Req, id: &str, ck: Option<CommentKind>) -> R {
    let ck = ck.ok_or_else(not_found)?;
    let ci = sh.ix.comments(ck);
    // Replies of a comment on a page the account cannot see: hidden like the page.
    if !ci.by_id.contains_key(id) {
        return Err(not_found());
    }
    let mut kids = ci.children.get(id).cloned().unwrap_or_default();
    let src = comments_of(sh, ck);
    kids.sort_by(|a, b| id_order(&src.fact(*a).id, &src.fact(*b).id));
    comment_page(sh, req, ck, &kids)
}

#[cfg(test)]
mod tests {
    use super::parse_count_cql;

    fn strs(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn count_cql_is_understood_and_nothing_else() {
        assert_eq!(
            parse_count_cql("type = comment"),
            Some((strs(&["comment"]), None))
        );
        assert_eq!(
            parse_count_cql("type=comment"),
            Some((strs(&["comment"]), None))
        );
        assert_eq!(
            parse_count_cql(r#"type = comment AND space in ("ENG", "HR")"#),
            Some((strs(&["comment"]), Some(strs(&["ENG", "HR"]))))
        );
        assert_eq!(
            parse_count_cql(r#"type = comment and space = "OPS""#),
            Some((strs(&["comment"]), Some(strs(&["OPS"]))))
        );
        assert_eq!(
            parse_count_cql("type in (page, blogpost)"),
            Some((strs(&["page", "blogpost"]), None))
        );
        assert_eq!(parse_count_cql("type = attachment"), None);
        assert_eq!(parse_count_cql("type = comment AND title = x"), None);
        assert_eq!(parse_count_cql(""), None);
    }
}
