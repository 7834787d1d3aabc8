//! A synthetic, deterministic site of any size: about half Confluence pages
//! and blog posts (footer comments with replies, some inline comments), half
//! Jira issues (a few with more than 20 comments), prose with a few planted
//! sensitive values.

use super::data::SiteData;
use super::util::SplitMix;
use serde_json::{json, Value};

const SPACE_KEYS: &[(&str, &str, &str)] = &[
    ("ENG", "Engineering", "global"),
    ("OPS", "Operations", "global"),
    ("HR", "People Team", "global"),
    ("SALES", "Sales", "global"),
    ("DOCS", "Product Docs", "knowledge_base"),
    ("FIN", "Finance", "global"),
    ("LEGAL", "Legal", "collaboration"),
    ("MKT", "Marketing", "global"),
    ("SEC", "Security", "global"),
    ("IT", "IT Help", "global"),
];

const PROJECTS: &[(&str, &str, &str)] = &[
    ("PAY", "Payments", "software"),
    ("OPS", "Operations", "software"),
    ("HELP", "Customer Help Desk", "service_desk"),
    ("ROAD", "Roadmap", "business"),
    ("CORE", "Core Platform", "software"),
    ("WEB", "Website", "software"),
    ("DATA", "Data Platform", "software"),
    ("INFRA", "Infrastructure", "software"),
];

const PEOPLE: &[&str] = &[
    "Priya Raman",
    "Mei Chen",
    "Tomasz Nowak",
    "Aisha Bello",
    "Lars Eriksen",
    "Sofia Moreau",
    "Daniel Okafor",
    "Hannah Weber",
    "Kenji Sato",
    "Lucía Fernández",
];
const TEAMS: &[&str] = &["platform", "payments", "SRE", "data", "support", "security"];
const SYSTEMS: &[&str] = &[
    "billing-api",
    "ledger",
    "search indexer",
    "payments-api",
    "auth gateway",
    "nightly export",
    "CRM sync",
    "invoice renderer",
];
const EVENTS: &[&str] = &[
    "last outage",
    "quarterly review",
    "database migration",
    "security audit",
    "holiday freeze",
];
const DAYS: &[&str] = &["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"];
const CLIENTS: &[&str] = &[
    "Northwind Traders",
    "Globex",
    "Initech",
    "Umbrella Retail",
    "Contoso Health",
];
const TITLES: &[&str] = &[
    "Runbook",
    "Design notes",
    "Postmortem",
    "Onboarding checklist",
    "Meeting notes",
    "Migration plan",
    "FAQ",
    "Release checklist",
];
const SUMMARIES: &[&str] = &[
    "Refund went to the wrong card",
    "Export job times out",
    "Customer cannot log in",
    "Update the onboarding guide",
    "Dashboard shows stale numbers",
    "Rotate the deploy credentials",
    "Invoice PDF missing VAT line",
];

fn sentence(r: &mut SplitMix) -> String {
    let team = r.pick(TEAMS);
    let sys = r.pick(SYSTEMS);
    let who = r.pick(PEOPLE);
    match r.below(8) {
        0 => format!(
            "The {team} team moved the {sys} job to the new cluster after the {}.",
            r.pick(EVENTS)
        ),
        1 => format!(
            "Ping {who} before changing anything in {sys}; the rollout is still in progress."
        ),
        2 => format!(
            "We agreed to review the {sys} dashboards every {} and to file follow-ups as tickets.",
            r.pick(DAYS)
        ),
        3 => format!(
            "{} asked for an export of last quarter's invoices by {}.",
            r.pick(CLIENTS),
            r.pick(DAYS)
        ),
        4 => format!(
            "Latency on {sys} stayed under {} ms for the whole week.",
            r.range(40, 400)
        ),
        5 => format!("{who} owns the {sys} alerts until the {team} rotation changes."),
        6 => format!(
            "If {sys} fails again, roll back first and investigate later; {who} has the details."
        ),
        _ => format!(
            "The {} follow-up for {sys} is tracked by the {team} team.",
            r.pick(EVENTS)
        ),
    }
}

/// A sensitive value planted in prose, with a lead-in.
fn planted(r: &mut SplitMix) -> String {
    match r.below(6) {
        0 => {
            let who = r.pick(PEOPLE).to_lowercase().replace(' ', ".");
            let who: String = who.chars().filter(char::is_ascii).collect();
            format!("Contact the customer at {who}@example-customer.com.")
        }
        1 => format!(
            "Card on file: {}.",
            r.pick(&[
                "4111 1111 1111 1111",
                "5555 5555 5555 4444",
                "4012 8888 8888 1881"
            ])
        ),
        2 => {
            let area = r.range(100, 665);
            format!(
                "SSN given for identity verification: {area:03}-{:02}-{:04}.",
                r.range(10, 99),
                r.range(1000, 9999)
            )
        }
        3 => {
            const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
            let tail: String = (0..16).map(|_| char::from(A[r.below(A.len())])).collect();
            format!("aws_access_key_id = AKIA{tail}")
        }
        4 => format!("Call back on +44 20 7946 0{:03}.", r.range(0, 999)),
        _ => "Refund to IBAN GB82 WEST 1234 5698 7654 32.".to_string(),
    }
}

pub(crate) fn prose(r: &mut SplitMix, paragraphs: usize, plant_p: f64) -> Vec<String> {
    (0..paragraphs)
        .map(|_| {
            let n = r.range(1, 4);
            let mut p: Vec<String> = (0..n).map(|_| sentence(r)).collect();
            if r.chance(plant_p) {
                let at = r.below(p.len() + 1);
                p.insert(at, planted(r));
            }
            p.join(" ")
        })
        .collect()
}

fn storage(paragraphs: &[String]) -> String {
    paragraphs
        .iter()
        .map(|p| format!("<p>{}</p>", html_escape::encode_text(p)))
        .collect()
}

pub(crate) fn adf(paragraphs: &[String]) -> Value {
    json!({
        "type": "doc",
        "version": 1,
        "content": paragraphs.iter().map(|p| json!({
            "type": "paragraph",
            "content": [{"type": "text", "text": p}],
        })).collect::<Vec<_>>(),
    })
}

pub(crate) fn account(r: &mut SplitMix) -> (String, String) {
    let i = r.below(PEOPLE.len());
    (
        format!("557058:{:08x}-0000-4000-8000-{:012x}", 0x5eed_0000 + i, i),
        PEOPLE[i].to_string(),
    )
}

/// `2026-01-01` plus `minutes`, in the given style.
fn time(minutes: u64, jira: bool) -> String {
    let secs = 1_767_225_600 + minutes * 60; // 2026-01-01T00:00:00Z
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs);
    // Reuse the minute formatter: `YYYY-MM-DDTHH:MMZ` → add seconds + zone.
    let m = super::util::iso_minute_ceil(t);
    let base = m.trim_end_matches('Z');
    if jira {
        format!("{base}:00.000+0000")
    } else {
        format!("{base}:00.000Z")
    }
}

fn version(r: &mut SplitMix, at: u64) -> Value {
    json!({
        "authorId": account(r).0,
        "createdAt": time(at, false),
        "message": "",
        "minorEdit": false,
        "number": r.range(1, 7),
    })
}

pub(crate) fn generate(items: usize, seed: u64) -> SiteData {
    let mut r = SplitMix(seed ^ 0xA7_1A55_1A17);
    let n_conf = items / 2;
    let n_jira = items - n_conf;
    let mut d = SiteData {
        name: format!("Generated site {items}/{seed}"),
        cloud_id: {
            let a = SplitMix(seed).next_u64();
            let b = SplitMix(!seed).next_u64();
            format!(
                "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
                a >> 32,
                (a >> 16) & 0xffff,
                a & 0xfff,
                b >> 52,
                b & 0xffff_ffff_ffff
            )
        },
        ..Default::default()
    };

    // Confluence. The few spaces stay values until every home page is known;
    // everything else is stored (as text) as soon as it is made, so that a
    // large site is never held as values.
    let n_spaces = (n_conf / 150).clamp(1, SPACE_KEYS.len());
    let mut spaces: Vec<Value> = Vec::new();
    if n_conf > 0 {
        for (k, (key, name, ty)) in SPACE_KEYS.iter().take(n_spaces).enumerate() {
            spaces.push(json!({
                "_links": {"webui": format!("/spaces/{key}")},
                "authorId": account(&mut r).0,
                "createdAt": time(k as u64 * 1440, false),
                "homepageId": null,
                "id": (98_306 + 32_768 * k).to_string(),
                "key": key,
                "name": name,
                "status": "current",
                "type": ty,
            }));
        }
    }
    let mut next_id: u64 = 3_000_000;
    let mut next_comment: u64 = 6_000_000;
    let mut homepages: Vec<Option<String>> = vec![None; spaces.len()];
    for n in 0..n_conf {
        let sp = n % n_spaces.max(1);
        let space_id = (98_306 + 32_768 * sp).to_string();
        let skey = SPACE_KEYS[sp].0;
        next_id += r.range(1, 9) as u64;
        let id = next_id.to_string();
        let blog = n >= n_spaces && r.chance(0.1);
        let title = format!("{} {}", r.pick(TITLES), n + 1);
        let np = r.range(2, 6);
        let paras = prose(&mut r, np, 0.15);
        let created = r.range(0, 200_000) as u64;
        let modified = created + r.range(0, 50_000) as u64;
        let mut obj = json!({
            "_links": {"webui": format!("/spaces/{skey}/{}/{id}/{}", if blog {"blog"} else {"pages"}, title.replace(' ', "+"))},
            "authorId": account(&mut r).0,
            "body": {"storage": {"representation": "storage", "value": storage(&paras)}},
            "createdAt": time(created, false),
            "id": id,
            "spaceId": space_id,
            "status": "current",
            "title": title,
            "version": version(&mut r, modified),
        });
        if blog {
            d.blogposts.push(obj);
        } else {
            if let Value::Object(o) = &mut obj {
                let parent = homepages[sp].clone();
                o.insert("ownerId".into(), json!(account(&mut r).0));
                o.insert("parentId".into(), json!(parent));
                o.insert("parentType".into(), json!(parent.as_ref().map(|_| "page")));
                o.insert("position".into(), json!(100 * (n / n_spaces.max(1))));
            }
            if homepages[sp].is_none() {
                homepages[sp] = Some(id.clone());
                if let Some(Value::Object(s)) = spaces.get_mut(sp) {
                    s.insert("homepageId".into(), json!(id));
                }
            } else if r.chance(0.02) || (n == n_spaces * 7 && d.hidden.is_empty()) {
                d.hidden.push(id.clone());
            }
            d.pages.push(obj);
        }
        let owner_key = if blog { "blogPostId" } else { "pageId" };
        // Footer comments: roots, replies, sometimes replies to replies.
        let roots = *r.pick(&[0usize, 0, 1, 1, 2, 2, 3, 4]);
        for _ in 0..roots {
            let root = comment(
                &mut r,
                &mut next_comment,
                owner_key,
                &id,
                None,
                &title,
                false,
            );
            let root_id = root["id"].as_str().unwrap_or_default().to_string();
            d.footer_comments.push(root);
            for _ in 0..*r.pick(&[0usize, 0, 1, 1, 2, 3]) {
                let reply = comment(
                    &mut r,
                    &mut next_comment,
                    owner_key,
                    &id,
                    Some(&root_id),
                    &title,
                    false,
                );
                let reply_id = reply["id"].as_str().unwrap_or_default().to_string();
                d.footer_comments.push(reply);
                if r.chance(0.2) {
                    let nested = comment(
                        &mut r,
                        &mut next_comment,
                        owner_key,
                        &id,
                        Some(&reply_id),
                        &title,
                        false,
                    );
                    d.footer_comments.push(nested);
                }
            }
        }
        if !blog && r.chance(0.15) {
            for _ in 0..r.range(1, 2) {
                let root = comment(
                    &mut r,
                    &mut next_comment,
                    owner_key,
                    &id,
                    None,
                    &title,
                    true,
                );
                let root_id = root["id"].as_str().unwrap_or_default().to_string();
                d.inline_comments.push(root);
                if r.chance(0.3) {
                    let reply = comment(
                        &mut r,
                        &mut next_comment,
                        owner_key,
                        &id,
                        Some(&root_id),
                        &title,
                        true,
                    );
                    d.inline_comments.push(reply);
                }
            }
        }
    }

    d.spaces = spaces.into();

    // Jira.
    d.fields = super::data::SiteData::demo()
        .map(|demo| demo.fields)
        .unwrap_or_default();
    let n_proj = (n_jira / 150).clamp(1, PROJECTS.len());
    let mut next_jira_comment: u64 = 100_000;
    if n_jira > 0 {
        for (k, (key, name, ty)) in PROJECTS.iter().take(n_proj).enumerate() {
            let id = 10_000 + k;
            d.projects.push(json!({
                "id": id.to_string(),
                "isPrivate": false,
                "key": key,
                "name": name,
                "projectTypeKey": ty,
                "self": format!("https://generated.atlassian.net/rest/api/3/project/{id}"),
                "simplified": *ty == "business",
                "style": if *ty == "business" { "next-gen" } else { "classic" },
            }));
        }
    }
    let mut counters = vec![0usize; n_proj];
    for n in 0..n_jira {
        let p = n % n_proj;
        let (pkey, pname, ptype) = PROJECTS[p];
        counters[p] += 1;
        let id = (20_000 + n).to_string();
        let key = format!("{pkey}-{}", counters[p]);
        let sd = ptype == "service_desk";
        let created = r.range(0, 250_000) as u64;
        // Most threads are short; 3 % run past the 20 a search embeds, and a
        // few of those (and always the second issue) past the 100 an issue
        // fetch embeds.
        let ncomments = if n == 1 {
            r.range(101, 260)
        } else if n == 0 || r.chance(0.03) {
            if r.chance(0.05) {
                r.range(101, 260)
            } else {
                r.range(21, 45)
            }
        } else {
            *r.pick(&[0usize, 1, 1, 2, 2, 3, 4, 5])
        };
        let mut comments = Vec::with_capacity(ncomments);
        let mut at = created;
        // Long threads come closer together, so that every time stays in
        // the past (before 2026-09-10): a rescan's `updated >=` window must
        // not keep finding issues "updated in the future".
        let spacing = 1 + ncomments as u64 / 40;
        for _ in 0..ncomments {
            next_jira_comment += 1;
            at += r.range(5, 3000) as u64 / spacing;
            let (acc, name) = account(&mut r);
            let np = r.range(1, 2);
            let paras = prose(&mut r, np, 0.05);
            let mut c = json!({
                "author": {"accountId": acc, "active": true, "displayName": name},
                "body": adf(&paras),
                "created": time(at, true),
                "id": next_jira_comment.to_string(),
                "self": format!("https://generated.atlassian.net/rest/api/3/issue/{id}/comment/{next_jira_comment}"),
                "updated": time(at, true),
            });
            if sd {
                if let Value::Object(o) = &mut c {
                    o.insert("jsdPublic".into(), json!(r.chance(0.6)));
                }
            }
            comments.push(c);
        }
        let np = r.range(1, 4);
        let paras = prose(&mut r, np, 0.15);
        let mut fields = json!({
            "comment": {"comments": comments, "maxResults": ncomments, "startAt": 0, "total": ncomments},
            "created": time(created, true),
            "description": adf(&paras),
            "issuetype": {"name": if sd { "Get IT help" } else { *r.pick(&["Bug", "Task", "Story"]) }},
            "project": {"id": (10_000 + p).to_string(), "key": pkey, "name": pname, "projectTypeKey": ptype},
            "summary": format!("{} ({})", r.pick(SUMMARIES), r.pick(SYSTEMS)),
            "updated": time(at.max(created) + r.range(0, 100) as u64, true),
        });
        if let Value::Object(o) = &mut fields {
            if r.chance(0.2) {
                let paras = prose(&mut r, 1, 0.5);
                o.insert("customfield_10050".into(), adf(&paras));
            }
            if r.chance(0.1) {
                o.insert("customfield_10051".into(), json!(planted(&mut r)));
            }
        }
        d.issues.push(json!({
            "fields": fields,
            "id": id,
            "key": key,
            "self": format!("https://generated.atlassian.net/rest/api/3/issue/{id}"),
        }));
    }
    d
}

fn comment(
    r: &mut SplitMix,
    next: &mut u64,
    owner_key: &str,
    owner: &str,
    parent: Option<&str>,
    title: &str,
    inline: bool,
) -> Value {
    *next += r.range(1, 5) as u64;
    let id = next.to_string();
    let paras = prose(r, 1, 0.08);
    let at = r.range(200_000, 260_000) as u64;
    let mut c = json!({
        "_links": {"webui": format!("/pages/viewpage.action?pageId={owner}&focusedCommentId={id}")},
        "body": {"storage": {"representation": "storage", "value": storage(&paras)}},
        "id": id,
        "status": "current",
        "title": format!("Re: {title}"),
        "version": version(r, at),
    });
    if let Value::Object(o) = &mut c {
        o.insert(owner_key.into(), json!(owner));
        if let Some(p) = parent {
            o.insert("parentCommentId".into(), json!(p));
        }
        if inline {
            o.insert(
                "resolutionStatus".into(),
                json!(*r.pick(&["open", "resolved"])),
            );
            o.insert(
                "properties".into(),
                json!({
                    "inlineMarkerRef": format!("{:016x}", r.next_u64()),
                    "inlineOriginalSelection": sentence(r),
                }),
            );
        }
    }
    c
}
