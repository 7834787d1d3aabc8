//! The fake Atlassian site over real HTTP on loopback: auth, gateway,
//! pagination, comments, Jira search quirks, rate limiting, error injection,
//! stats, and the synthetic site generator.

use reqwest::{Client, Response, StatusCode};
use serde_json::{json, Value};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;
use withhold::fake_site::{FakeSite, FakeSiteConfig, SiteData};

const EMAIL: &str = "admin@acme-demo.test";
const TOKEN: &str = "fake-token";

async fn start(data: SiteData, config: FakeSiteConfig) -> FakeSite {
    FakeSite::start(Arc::new(data), config).await.unwrap()
}

async fn demo_site() -> FakeSite {
    start(SiteData::demo().unwrap(), FakeSiteConfig::default()).await
}

fn client() -> Client {
    Client::builder().build().unwrap()
}

async fn get(c: &Client, url: &str) -> Response {
    c.get(url)
        .basic_auth(EMAIL, Some(TOKEN))
        .send()
        .await
        .unwrap()
}

async fn get_json(c: &Client, url: &str) -> Value {
    let r = get(c, url).await;
    assert_eq!(r.status(), StatusCode::OK, "{url}");
    r.json().await.unwrap()
}

/// The `rel="next"` target of a `Link` header.
fn link_next(r: &Response) -> Option<String> {
    let h = r.headers().get("link")?.to_str().ok()?;
    let start = h.find('<')? + 1;
    let end = h.find('>')?;
    assert!(h.ends_with("rel=\"next\""), "{h}");
    Some(h[start..end].to_string())
}

/// Walk a Confluence v2 list, alternating between the `Link` header and
/// `_links.next` (which must agree). Returns every result.
async fn walk(c: &Client, base: &str, first: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut url = format!("{base}{first}");
    let mut use_link = true;
    loop {
        let r = get(c, &url).await;
        assert_eq!(r.status(), StatusCode::OK, "{url}");
        let link = link_next(&r);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["_links"]["base"], json!(format!("{base}/wiki")));
        let next = v["_links"]["next"].as_str().map(str::to_string);
        assert_eq!(link, next, "Link header and _links.next agree");
        out.extend(v["results"].as_array().unwrap().iter().cloned());
        let Some(next) = next else { break };
        assert!(next.starts_with("/wiki/api/v2/"), "{next}");
        url = if use_link {
            format!("{base}{}", link.unwrap())
        } else {
            format!("{base}{next}")
        };
        use_link = !use_link;
    }
    out
}

fn ids(v: &[Value]) -> Vec<String> {
    v.iter()
        .map(|x| x["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn auth_failures_have_each_products_shape() {
    let site = demo_site().await;
    let b = site.base_url();
    let c = client();

    let r = c
        .get(format!("{b}/wiki/api/v2/spaces"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        v,
        json!({"errors":[{"status":401,"code":"UNAUTHORIZED","title":"Unauthorized","detail":null}]})
    );

    let r = c
        .get(format!("{b}/rest/api/3/project/search"))
        .basic_auth(EMAIL, Some("wrong"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.headers()["x-seraph-loginreason"].to_str().unwrap(),
        "AUTHENTICATED_FAILED"
    );
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        v,
        json!({"message":"Client must be authenticated to access this resource.","status-code":401})
    );

    // Bearer only on the gateway.
    let r = c
        .get(format!("{b}/rest/api/3/field"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = c
        .get(format!("{b}/ex/jira/{}/rest/api/3/field", site.cloud_id()))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(site.stats().unauthorized, 3);
    site.shutdown().await;
}

#[tokio::test]
async fn tenant_info_and_gateway() {
    let site = demo_site().await;
    let b = site.base_url();
    let c = client();
    let v: Value = c
        .get(format!("{b}/_edge/tenant_info"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["cloudId"], json!("5f0c3a8e-2d41-4b6f-9e57-a1c2d3e4f5a6"));
    assert_eq!(v["cloudId"], json!(site.cloud_id()));

    let cid = site.cloud_id();
    let direct = walk(&c, &b, "/wiki/api/v2/spaces?limit=2").await;
    let gw = get_json(
        &c,
        &format!("{b}/ex/confluence/{cid}/wiki/api/v2/spaces?limit=250"),
    )
    .await;
    assert_eq!(gw["results"].as_array().unwrap().len(), direct.len());
    // Through the gateway the next link is still site-relative: keep the
    // gateway base and copy the query string.
    let r = get(
        &c,
        &format!("{b}/ex/confluence/{cid}/wiki/api/v2/spaces?limit=4"),
    )
    .await;
    let next = link_next(&r).unwrap();
    assert!(next.starts_with("/wiki/api/v2/spaces?"));
    let q = &next[next.find('?').unwrap()..];
    let v = get_json(
        &c,
        &format!("{b}/ex/confluence/{cid}/wiki/api/v2/spaces{q}"),
    )
    .await;
    assert_eq!(v["results"].as_array().unwrap().len(), direct.len() - 4);

    let v = get_json(&c, &format!("{b}/ex/jira/{cid}/rest/api/3/project/search")).await;
    assert_eq!(v["total"], json!(4));

    for wrong in [
        format!("{b}/ex/confluence/not-a-cloud/wiki/api/v2/spaces"),
        format!("{b}/ex/jira/00000000-0000-0000-0000-000000000000/rest/api/3/field"),
        format!("{b}/ex/confluence/{cid}/rest/api/3/field"),
    ] {
        assert_eq!(
            get(&c, &wrong).await.status(),
            StatusCode::NOT_FOUND,
            "{wrong}"
        );
    }
    site.shutdown().await;
}

#[tokio::test]
async fn confluence_pagination_and_hidden_pages() {
    let data = SiteData::demo().unwrap();
    let sum = data.summary();
    let site = start(data, FakeSiteConfig::default()).await;
    let b = site.base_url();
    let c = client();

    let spaces = walk(&c, &b, "/wiki/api/v2/spaces?limit=2").await;
    assert_eq!(spaces.len(), sum.spaces);
    let sids = ids(&spaces);
    let mut sorted = sids.clone();
    sorted.sort_by_key(|s| s.parse::<u64>().unwrap());
    assert_eq!(sids, sorted, "spaces sorted by id");

    let hidden: HashSet<&str> = sum.hidden_page_ids.iter().map(String::as_str).collect();
    assert!(!hidden.is_empty());
    let mut pages = 0;
    let mut blogs = 0;
    for sid in &sids {
        let p = walk(
            &c,
            &b,
            &format!("/wiki/api/v2/spaces/{sid}/pages?limit=3&body-format=storage"),
        )
        .await;
        assert_eq!(p.len(), sum.pages_per_space[sid], "space {sid}");
        for page in &p {
            assert!(!hidden.contains(page["id"].as_str().unwrap()));
            assert_eq!(page["spaceId"], json!(sid));
            assert!(page["body"]["storage"]["value"].is_string());
        }
        pages += p.len();
        let bp = walk(
            &c,
            &b,
            &format!("/wiki/api/v2/spaces/{sid}/blogposts?limit=1"),
        )
        .await;
        assert_eq!(bp.len(), sum.blogposts_per_space[sid]);
        for post in &bp {
            assert_eq!(post["body"], json!({}), "no body without body-format");
        }
        blogs += bp.len();
    }
    assert_eq!(pages, sum.pages);
    assert_eq!(blogs, sum.blogposts);
    assert_eq!(pages, 34 - 3);

    for h in &hidden {
        let r = get(&c, &format!("{b}/wiki/api/v2/pages/{h}")).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        let v: Value = r.json().await.unwrap();
        assert_eq!(
            v,
            json!({"errors":[{"status":404,"code":"NOT_FOUND","title":"Not Found","detail":null}]})
        );
        let r = get(&c, &format!("{b}/wiki/api/v2/pages/{h}/footer-comments")).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
    }
    let v = get_json(
        &c,
        &format!("{b}/wiki/api/v2/pages/1081369?body-format=storage"),
    )
    .await;
    assert_eq!(v["title"], json!("Engineering"));
    assert!(v["body"]["storage"]["value"]
        .as_str()
        .unwrap()
        .starts_with("<p>"));
    let r = get(
        &c,
        &format!("{b}/wiki/api/v2/pages/1081369?body-format=atlas_doc_format"),
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = get(&c, &format!("{b}/wiki/api/v2/spaces?cursor=garbage")).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = get(&c, &format!("{b}/wiki/api/v2/nothing-here")).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    site.shutdown().await;
}

#[tokio::test]
async fn site_wide_comment_lists_hold_replies_with_their_parent() {
    let data = SiteData::demo().unwrap();
    let sum = data.summary();
    let site = start(data, FakeSiteConfig::default()).await;
    let b = site.base_url();
    let c = client();
    for (kind, roots, replies) in [
        (
            "footer-comments",
            sum.footer_root_comments,
            sum.footer_replies,
        ),
        (
            "inline-comments",
            sum.inline_root_comments,
            sum.inline_replies,
        ),
    ] {
        let all = walk(
            &c,
            &b,
            &format!("/wiki/api/v2/{kind}?limit=7&body-format=storage"),
        )
        .await;
        assert_eq!(all.len(), roots + replies, "{kind}: roots and replies");
        let listed: std::collections::HashSet<String> = ids(&all).into_iter().collect();
        let with_parent: Vec<&Value> = all
            .iter()
            .filter(|c| c.get("parentCommentId").is_some())
            .collect();
        assert_eq!(with_parent.len(), replies, "{kind}");
        for r in with_parent {
            let parent = r["parentCommentId"].as_str().unwrap().to_string();
            assert!(
                listed.contains(&parent),
                "{kind}: a reply's parent is listed too"
            );
        }
        assert!(all
            .iter()
            .all(|c| c.get("pageId").is_some() || c.get("blogPostId").is_some()));
        assert!(!listed.contains("1082611"), "comment on a hidden page");
    }
    // CQL counts every visible comment, of the site or of some spaces.
    let count = |cql: &str| {
        let c = c.clone();
        let url = format!(
            "{b}/wiki/rest/api/search?limit=1&cql={}",
            cql.replace(' ', "%20").replace('"', "%22")
        );
        async move {
            let r = get(&c, &url).await;
            assert_eq!(r.status(), StatusCode::OK, "{url}");
            r.json::<Value>().await.unwrap()
        }
    };
    let all = count("type = comment").await;
    let total = sum.footer_root_comments
        + sum.footer_replies
        + sum.inline_root_comments
        + sum.inline_replies;
    assert_eq!(all["totalSize"], json!(total));
    assert_eq!(all["results"].as_array().unwrap().len(), 1);
    let eng = count(r#"type = comment AND space in ("ENG")"#).await;
    let n = eng["totalSize"].as_u64().unwrap();
    assert!(n > 0 && (n as usize) < total, "{eng}");
    let r = get(
        &c,
        &format!("{b}/wiki/rest/api/search?cql=type%20%3D%20attachment"),
    )
    .await;
    // Counts of what the crawl counts (pages, blog posts, comments); any
    // other query is refused rather than answered wrongly.
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let pages = count("type = page").await;
    assert_eq!(pages["totalSize"], json!(sum.pages));
    site.shutdown().await;

    // A server that lists the comments of pages the account cannot open.
    let config = FakeSiteConfig {
        faults: Box::new(withhold::fake_site::Faults {
            hidden_comments_listed: true,
            ..Default::default()
        }),
        ..FakeSiteConfig::default()
    };
    let site = start(SiteData::demo().unwrap(), config).await;
    let b = site.base_url();
    let all = walk(&c, &b, "/wiki/api/v2/footer-comments?limit=250").await;
    assert!(ids(&all).contains(&"1082611".to_string()));
    site.shutdown().await;
}

#[tokio::test]
async fn roots_only_comment_lists_and_children_hold_replies() {
    let data = SiteData::demo().unwrap();
    let sum = data.summary();
    let config = FakeSiteConfig {
        site_comments_roots_only: true,
        ..FakeSiteConfig::default()
    };
    let site = start(data, config).await;
    let b = site.base_url();
    let c = client();

    for (kind, roots, replies) in [
        (
            "footer-comments",
            sum.footer_root_comments,
            sum.footer_replies,
        ),
        (
            "inline-comments",
            sum.inline_root_comments,
            sum.inline_replies,
        ),
    ] {
        let all = walk(
            &c,
            &b,
            &format!("/wiki/api/v2/{kind}?limit=7&body-format=storage"),
        )
        .await;
        assert_eq!(all.len(), roots, "{kind}: site-wide lists roots only");
        assert!(all.iter().all(|c| c.get("parentCommentId").is_none()));
        assert!(
            !ids(&all).contains(&"1082611".to_string()),
            "comment on a hidden page"
        );
        // Replies, any depth, through /children.
        let mut stack = ids(&all);
        let mut found = 0;
        while let Some(id) = stack.pop() {
            let kids = walk(
                &c,
                &b,
                &format!("/wiki/api/v2/{kind}/{id}/children?limit=2"),
            )
            .await;
            for k in &kids {
                assert_eq!(k["parentCommentId"], json!(id), "direct replies only");
            }
            found += kids.len();
            stack.extend(ids(&kids));
        }
        assert_eq!(found, replies, "{kind} replies");
        assert!(replies > 0);
    }

    // Per page: roots only, and they sum to the site-wide roots.
    let page = walk(&c, &b, "/wiki/api/v2/pages/1081377/footer-comments").await;
    assert!(!page.is_empty());
    assert!(page.iter().all(|c| c.get("parentCommentId").is_none()));
    let blog = walk(&c, &b, "/wiki/api/v2/blogposts/1082547/footer-comments").await;
    assert!(!blog.is_empty());
    assert!(blog.iter().all(|c| c["blogPostId"] == json!("1082547")));
    let r = get(
        &c,
        &format!("{b}/wiki/api/v2/footer-comments/1082611/children"),
    )
    .await;
    assert_eq!(
        r.status(),
        StatusCode::NOT_FOUND,
        "comment on a hidden page"
    );
    site.shutdown().await;
}

#[tokio::test]
async fn limit_above_250_is_clamped() {
    let data = SiteData::generate(2000, 7);
    let sum = data.summary();
    let site = start(data, FakeSiteConfig::default()).await;
    let b = site.base_url();
    let c = client();
    let r = get(&c, &format!("{b}/wiki/api/v2/pages?limit=1000")).await;
    let next = link_next(&r).unwrap();
    assert!(next.contains("limit=250"), "{next}");
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["results"].as_array().unwrap().len(), 250);
    let all = walk(&c, &b, "/wiki/api/v2/pages?limit=1000").await;
    assert_eq!(all.len(), sum.pages);
    assert_eq!(
        get(&c, &format!("{b}/wiki/api/v2/pages?limit=0"))
            .await
            .status(),
        400
    );
    site.shutdown().await;
}

#[tokio::test]
async fn jira_search_quirks() {
    let data = SiteData::demo().unwrap();
    let sum = data.summary();
    let site = start(data, FakeSiteConfig::default()).await;
    let b = site.base_url();
    let c = client();
    let unbounded = json!({"errorMessages":["Unbounded JQL queries are not allowed here. Please add a search restriction to your query."],"errors":{}});

    for q in ["", "ORDER BY id ASC"] {
        let r = c
            .get(format!("{b}/rest/api/3/search/jql"))
            .query(&[("jql", q)])
            .basic_auth(EMAIL, Some(TOKEN))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{q:?}");
        assert_eq!(r.json::<Value>().await.unwrap(), unbounded);
    }
    let r = get(&c, &format!("{b}/rest/api/3/search/jql")).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = c
        .get(format!("{b}/rest/api/3/search/jql"))
        .query(&[("jql", "project = NOPE")])
        .basic_auth(EMAIL, Some(TOKEN))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);

    // maxResults 1–5000; pages of at most 100 with fields, more with ids only.
    let search = |max: &str, fields: &str| {
        c.get(format!("{b}/rest/api/3/search/jql"))
            .query(&[
                ("jql", "project = ENG"),
                ("maxResults", max),
                ("fields", fields),
            ])
            .basic_auth(EMAIL, Some(TOKEN))
            .send()
    };
    for bad in ["0", "5001"] {
        let r = search(bad, "id").await.unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "maxResults={bad}");
    }
    let big = SiteData::generate(1200, 7);
    let key = big
        .summary()
        .issues_per_project
        .iter()
        .max_by_key(|(_, n)| **n)
        .map(|(k, n)| (k.clone(), *n))
        .unwrap();
    assert!(key.1 > 100, "a project of more than 100 issues");
    let site2 = start(big, FakeSiteConfig::default()).await;
    let b2 = site2.base_url();
    for (fields, want) in [("summary,description", 100), ("id,key", key.1)] {
        let r = c
            .get(format!("{b2}/rest/api/3/search/jql"))
            .query(&[
                ("jql", format!("project = {}", key.0).as_str()),
                ("maxResults", "5000"),
                ("fields", fields),
            ])
            .basic_auth(EMAIL, Some(TOKEN))
            .send()
            .await
            .unwrap();
        let v: Value = r.json().await.unwrap();
        assert_eq!(
            v["issues"].as_array().unwrap().len(),
            want,
            "fields={fields}"
        );
    }
    site2.shutdown().await;

    // The old search is gone.
    let r = get(&c, &format!("{b}/rest/api/3/search?jql=project%3DPAY")).await;
    assert_eq!(r.status(), StatusCode::GONE);
    let v: Value = r.json().await.unwrap();
    assert!(v["errorMessages"][0]
        .as_str()
        .unwrap()
        .contains("CHANGE-2046"));
    let r = c
        .post(format!("{b}/rest/api/3/search"))
        .basic_auth(EMAIL, Some(TOKEN))
        .json(&json!({"jql": "project = PAY"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::GONE);

    // nextPageToken walk per project; default fields = id only.
    let mut total = 0;
    for (key, n) in &sum.issues_per_project {
        let mut token: Option<String> = None;
        let mut seen = Vec::new();
        loop {
            let mut q = vec![
                (
                    "jql".to_string(),
                    format!("project = \"{key}\" ORDER BY id ASC"),
                ),
                ("maxResults".to_string(), "3".to_string()),
            ];
            if let Some(t) = &token {
                q.push(("nextPageToken".into(), t.clone()));
            }
            let v: Value = c
                .get(format!("{b}/rest/api/3/search/jql"))
                .query(&q)
                .basic_auth(EMAIL, Some(TOKEN))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            for is in v["issues"].as_array().unwrap() {
                assert_eq!(is.as_object().unwrap().len(), 1, "only id by default: {is}");
                seen.push(is["id"].as_str().unwrap().parse::<u64>().unwrap());
            }
            assert!(v["isLast"].is_boolean());
            match v["nextPageToken"].as_str() {
                Some(t) => {
                    assert_eq!(v["isLast"], json!(false));
                    token = Some(t.to_string());
                }
                None => {
                    assert_eq!(v["isLast"], json!(true));
                    break;
                }
            }
        }
        assert_eq!(seen.len(), *n, "{key}");
        assert!(seen.windows(2).all(|w| w[0] < w[1]), "ORDER BY id ASC");
        total += seen.len();
    }
    assert_eq!(total, sum.issues);

    // Requested fields only; comments capped at 20 in search results.
    let v: Value = c
        .post(format!("{b}/rest/api/3/search/jql"))
        .basic_auth(EMAIL, Some(TOKEN))
        .json(&json!({"jql": "project = PAY", "fields": ["summary", "comment"], "maxResults": 100}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let issues = v["issues"].as_array().unwrap();
    assert_eq!(issues.len(), sum.issues_per_project["PAY"]);
    assert!(v.get("nextPageToken").is_none());
    for is in issues {
        let f = is["fields"].as_object().unwrap();
        let mut keys: Vec<&str> = f.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["comment", "summary"]);
        assert!(is["key"].is_string());
        let key = is["key"].as_str().unwrap();
        let n = sum.comments_per_issue[key];
        assert_eq!(f["comment"]["total"], json!(n));
        assert_eq!(
            f["comment"]["comments"].as_array().unwrap().len(),
            n.min(20)
        );
    }
    let big = issues
        .iter()
        .find(|i| i["key"] == json!("PAY-205"))
        .unwrap();
    assert_eq!(big["fields"]["comment"]["total"], json!(28));
    assert_eq!(big["fields"]["comment"]["maxResults"], json!(20));

    // The comment endpoint pages through all of them.
    let mut got = Vec::new();
    let mut start_at = 0;
    loop {
        let v = get_json(
            &c,
            &format!("{b}/rest/api/3/issue/PAY-205/comment?startAt={start_at}&maxResults=10"),
        )
        .await;
        assert_eq!(v["total"], json!(28));
        let page = v["comments"].as_array().unwrap();
        got.extend(ids(page));
        start_at += page.len();
        if page.is_empty() || start_at >= 28 {
            break;
        }
    }
    assert_eq!(got.len(), 28);
    assert_eq!(got.iter().collect::<HashSet<_>>().len(), 28);

    let r = get(&c, &format!("{b}/rest/api/3/issue/NOPE-1/comment")).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"errorMessages":["Issue does not exist or you do not have permission to see it."],"errors":{}})
    );

    // jsdPublic only on service desk comments.
    let v = get_json(&c, &format!("{b}/rest/api/3/issue/HELP-311/comment")).await;
    assert!(v["comments"][0].get("jsdPublic").is_some());
    let v = get_json(&c, &format!("{b}/rest/api/3/issue/PAY-201/comment")).await;
    assert!(v["comments"][0].get("jsdPublic").is_none());
    assert!(v["comments"][0]["created"]
        .as_str()
        .unwrap()
        .ends_with("+0000"));
    site.shutdown().await;
}

#[tokio::test]
async fn project_search_pages_and_fields() {
    let site = demo_site().await;
    let b = site.base_url();
    let c = client();
    let mut url = format!("{b}/rest/api/3/project/search?maxResults=1");
    let mut keys = Vec::new();
    loop {
        let v = get_json(&c, &url).await;
        assert_eq!(v["total"], json!(4));
        keys.extend(
            v["values"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["key"].as_str().unwrap().to_string()),
        );
        if v["isLast"] == json!(true) {
            assert!(v.get("nextPage").is_none());
            break;
        }
        url = v["nextPage"].as_str().unwrap().to_string();
    }
    assert_eq!(keys, ["PAY", "OPS", "HELP", "ROAD"]);
    let v = get_json(
        &c,
        &format!("{b}/rest/api/3/project/search?typeKey=service_desk"),
    )
    .await;
    assert_eq!(v["values"][0]["key"], json!("HELP"));
    let v = get_json(&c, &format!("{b}/rest/api/3/field")).await;
    assert_eq!(v.as_array().unwrap().len(), 9);
    site.shutdown().await;
}

fn rate_limited() -> FakeSiteConfig {
    FakeSiteConfig {
        rate_limit_per_sec: Some(5.0),
        burst: 5,
        ..FakeSiteConfig::default()
    }
}

#[tokio::test]
async fn a_burst_is_throttled_with_the_atlassian_headers() {
    let site = start(SiteData::demo().unwrap(), rate_limited()).await;
    let b = site.base_url();
    let c = client();
    let mut tasks = Vec::new();
    for i in 0..20 {
        let c = c.clone();
        let url = if i % 2 == 0 {
            format!("{b}/wiki/api/v2/spaces")
        } else {
            format!("{b}/rest/api/3/field")
        };
        tasks.push(tokio::spawn(async move {
            let r = get(&c, &url).await;
            let h = |n: &str| r.headers().get(n).map(|v| v.to_str().unwrap().to_string());
            (
                url.contains("/wiki/"),
                r.status(),
                h("retry-after"),
                h("x-ratelimit-reset"),
                h("ratelimit-reason"),
                h("x-ratelimit-remaining"),
            )
        }));
    }
    let mut throttled = 0;
    for t in tasks {
        let (wiki, status, retry, reset, reason, remaining) = t.await.unwrap();
        if status == StatusCode::TOO_MANY_REQUESTS {
            throttled += 1;
            let secs: u64 = retry.unwrap().parse().unwrap();
            assert!(secs >= 1);
            let reset = reset.unwrap();
            assert_eq!(reset.len(), "2026-03-26T16:00Z".len(), "{reset}");
            assert!(reset.ends_with('Z') && reset.as_bytes()[10] == b'T');
            let want = if wiki {
                "confluence-burst-based"
            } else {
                "jira-burst-based"
            };
            assert_eq!(reason.as_deref(), Some(want));
            assert_eq!(remaining.as_deref(), Some("0"));
        } else {
            assert_eq!(status, StatusCode::OK);
        }
    }
    assert!(throttled >= 10, "{throttled} of 20 throttled");
    assert_eq!(site.stats().throttled, throttled);
    site.shutdown().await;
}

/// Send requests one at a time until the first 429; returns its Retry-After.
async fn until_throttled(c: &Client, url: &str) -> (u64, bool) {
    let mut near_limit_seen = false;
    for _ in 0..50 {
        let r = get(c, url).await;
        if r.headers().get("x-ratelimit-nearlimit").is_some() && r.status() == StatusCode::OK {
            near_limit_seen = true;
        }
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            let secs = r.headers()["retry-after"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            let body: Value = r.json().await.unwrap();
            assert!(body.get("errors").is_some() || body.get("errorMessages").is_some());
            return (secs, near_limit_seen);
        }
    }
    panic!("never throttled");
}

#[tokio::test]
async fn honouring_retry_after_is_not_a_violation() {
    let site = start(SiteData::demo().unwrap(), rate_limited()).await;
    let c = client();
    let url = format!("{}/rest/api/3/field", site.base_url());
    let (secs, near) = until_throttled(&c, &url).await;
    assert!(near, "X-RateLimit-NearLimit before the bucket ran dry");
    tokio::time::sleep(Duration::from_secs(secs)).await;
    assert_eq!(get(&c, &url).await.status(), StatusCode::OK);
    let st = site.stats();
    assert_eq!(st.throttled, 1);
    assert_eq!(st.retry_after_violations, 0);
    site.shutdown().await;
}

#[tokio::test]
async fn retrying_at_once_is_a_violation() {
    let site = start(SiteData::demo().unwrap(), rate_limited()).await;
    let c = client();
    let url = format!("{}/wiki/api/v2/spaces", site.base_url());
    until_throttled(&c, &url).await;
    let r = get(&c, &url).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(site.stats().retry_after_violations >= 1);
    site.shutdown().await;
}

#[tokio::test]
async fn error_rate_one_fails_everything() {
    let config = FakeSiteConfig {
        error_rate: 1.0,
        seed: 42,
        ..FakeSiteConfig::default()
    };
    let site = start(SiteData::demo().unwrap(), config).await;
    let c = client();
    let mut statuses = HashSet::new();
    for _ in 0..12 {
        let r = get(&c, &format!("{}/rest/api/3/field", site.base_url())).await;
        if r.status() == StatusCode::SERVICE_UNAVAILABLE {
            assert_eq!(r.headers()["retry-after"], "1");
        }
        statuses.insert(r.status().as_u16());
    }
    assert_eq!(statuses, HashSet::from([500, 503]));
    assert_eq!(site.stats().injected_errors, 12);
    site.shutdown().await;
}

#[tokio::test]
async fn stats_count_requests_per_route() {
    let site = demo_site().await;
    let b = site.base_url();
    let c = client();
    let cid = site.cloud_id();
    for sid in ["98306", "131074"] {
        get_json(&c, &format!("{b}/wiki/api/v2/spaces/{sid}/pages")).await;
    }
    get_json(
        &c,
        &format!("{b}/ex/confluence/{cid}/wiki/api/v2/spaces/98306/pages"),
    )
    .await;
    get_json(&c, &format!("{b}/rest/api/3/issue/PAY-205/comment")).await;
    get(&c, &format!("{b}/wiki/api/v2/pages/1082607")).await;
    let st = site.stats();
    assert_eq!(st.endpoint("GET /wiki/api/v2/spaces/{id}/pages"), 3);
    assert_eq!(st.endpoint("GET /rest/api/3/issue/{key}/comment"), 1);
    assert_eq!(st.endpoint("GET /wiki/api/v2/pages/{id}"), 1);
    assert_eq!(st.total, 5);
    assert_eq!(
        st.throttled + st.injected_errors + st.retry_after_violations,
        0
    );
    site.shutdown().await;
}

#[tokio::test]
async fn generated_site_is_consistent_and_deterministic() {
    let a = SiteData::generate(2000, 7);
    let b = SiteData::generate(2000, 7);
    assert_eq!(a, b);
    assert_ne!(a, SiteData::generate(2000, 8));
    let s = a.summary();
    assert_eq!(s, b.summary());
    assert_eq!(s.pages + s.blogposts + s.hidden_page_ids.len(), 1000);
    assert_eq!(a.pages.len() + a.blogposts.len(), 1000);
    assert_eq!(s.issues, 1000);
    assert!(s.spaces >= 2 && s.projects >= 2);
    assert_eq!(s.pages_per_space.values().sum::<usize>(), s.pages);
    assert_eq!(s.blogposts_per_space.values().sum::<usize>(), s.blogposts);
    assert_eq!(s.issues_per_project.values().sum::<usize>(), s.issues);
    assert_eq!(
        s.comments_per_issue.values().sum::<usize>(),
        s.issue_comments
    );
    assert_eq!(
        s.comments_per_page.values().sum::<usize>(),
        s.footer_root_comments + s.footer_replies + s.inline_root_comments + s.inline_replies
    );
    assert!(s.issues_over_20_comments >= 1);
    assert!(s.footer_replies > 0 && s.inline_root_comments > 0 && s.inline_replies > 0);
    assert!(!s.hidden_page_ids.is_empty());
    assert!(a
        .projects
        .iter()
        .any(|p| p["projectTypeKey"] == json!("service_desk")));
    // Some planted values.
    let bodies: String = a
        .pages
        .iter()
        .filter_map(|p| p["body"]["storage"]["value"].as_str().map(str::to_string))
        .collect();
    assert!(bodies.contains("AKIA") || bodies.contains("SSN") || bodies.contains("Card on file"));
}

#[tokio::test]
async fn a_generated_site_can_be_crawled_completely() {
    let data = SiteData::generate(400, 3);
    let sum = data.summary();
    let site = start(data, FakeSiteConfig::default()).await;
    let b = site.base_url();
    let c = client();
    let spaces = walk(&c, &b, "/wiki/api/v2/spaces").await;
    let mut pages = 0;
    for sid in ids(&spaces) {
        pages += walk(
            &c,
            &b,
            &format!("/wiki/api/v2/spaces/{sid}/pages?limit=250"),
        )
        .await
        .len();
    }
    assert_eq!(pages, sum.pages);
    let listed = walk(&c, &b, "/wiki/api/v2/footer-comments?limit=250").await;
    assert_eq!(listed.len(), sum.footer_root_comments + sum.footer_replies);
    let mut comments = 0;
    for key in sum.issues_per_project.keys() {
        let mut token = Value::Null;
        loop {
            let v: Value = c
                .post(format!("{b}/rest/api/3/search/jql"))
                .basic_auth(EMAIL, Some(TOKEN))
                .json(
                    &json!({"jql": format!("project = {key}"), "fields": ["comment"],
                    "maxResults": 100, "nextPageToken": token}),
                )
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            for is in v["issues"].as_array().unwrap() {
                comments += is["fields"]["comment"]["total"].as_u64().unwrap() as usize;
            }
            token = v["nextPageToken"].clone();
            if token.is_null() {
                break;
            }
        }
    }
    assert_eq!(comments, sum.issue_comments);
    site.shutdown().await;
}

#[tokio::test]
async fn jsm_service_desks_and_request_comments() {
    let site = demo_site().await;
    let b = site.base_url();
    let c = client();
    let v = get_json(&c, &format!("{b}/rest/servicedeskapi/servicedesk")).await;
    assert_eq!(v["values"].as_array().unwrap().len(), 1);
    assert_eq!(v["values"][0]["projectKey"], json!("HELP"));
    assert_eq!(v["isLastPage"], json!(true));
    let all = get_json(
        &c,
        &format!("{b}/rest/servicedeskapi/request/HELP-311/comment"),
    )
    .await;
    let public = get_json(
        &c,
        &format!("{b}/rest/servicedeskapi/request/HELP-311/comment?internal=false"),
    )
    .await;
    let n_all = all["values"].as_array().unwrap().len();
    let n_public = public["values"].as_array().unwrap().len();
    assert_eq!(n_all, 3);
    assert!(n_public < n_all);
    assert!(all["values"][0]["body"].as_str().unwrap().contains("SSN"));
    assert!(all["values"][0]["created"]["epochMillis"].is_i64());
    let r = get(
        &c,
        &format!("{b}/rest/servicedeskapi/request/PAY-201/comment"),
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    site.shutdown().await;
}

/// `POST /issue/bulkfetch`: up to 100 issues, each as `GET /issue/{key}`
/// renders it (comments cut to 100, the true total kept), unknown keys in
/// `issueErrors`; no keys or more than 100 is a 400.
#[tokio::test]
async fn bulk_fetch_embeds_100_comments_with_the_true_total() {
    let data = SiteData::generate(3000, 11);
    let sum = data.summary();
    let (long, n) = sum
        .comments_per_issue
        .iter()
        .max_by_key(|(_, n)| **n)
        .map(|(k, n)| (k.clone(), *n))
        .unwrap();
    assert!(
        n > 100,
        "the generated site has an issue with {n} comments at most"
    );
    let site = start(data, FakeSiteConfig::default()).await;
    let b = site.base_url();
    let c = client();
    let post = |body: Value| {
        c.post(format!("{b}/rest/api/3/issue/bulkfetch"))
            .basic_auth(EMAIL, Some(TOKEN))
            .json(&body)
            .send()
    };
    let r = post(json!({"issueIdsOrKeys": [long, "NOPE-1"], "fields": ["comment"]}))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    let issues = v["issues"].as_array().unwrap();
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0]["key"], json!(long));
    let comment = &issues[0]["fields"]["comment"];
    assert_eq!(comment["total"], json!(n));
    assert_eq!(comment["comments"].as_array().unwrap().len(), 100);
    assert!(
        issues[0]["fields"].get("summary").is_none(),
        "only the fields asked for"
    );
    assert_eq!(v["issueErrors"][0]["issueIdsOrKeys"], json!(["NOPE-1"]));
    for keys in [
        json!([]),
        json!((0..101).map(|i| format!("K-{i}")).collect::<Vec<_>>()),
    ] {
        let r = post(json!({"issueIdsOrKeys": keys})).await.unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    }
}
