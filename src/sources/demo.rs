//! The bundled demo site: Atlassian-shaped JSON in `fixtures/demo/`, read as
//! a crawl of it would see it (pages the account may not see are left out).
//!
//! The files are embedded in the binary so `scan --demo` works from anywhere.

use crate::model::{Container, ItemKind, Product};
use crate::sources::atlassian::convert::{self, s};
use crate::sources::{ItemUnit, SourceData};
use anyhow::{anyhow, Context};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};

/// The demo site's files, by path under `fixtures/demo/`.
pub const DEMO_FILES: &[(&str, &str)] = &[
    ("site.json", include_str!("../../fixtures/demo/site.json")),
    (
        "confluence/spaces.json",
        include_str!("../../fixtures/demo/confluence/spaces.json"),
    ),
    (
        "confluence/pages.json",
        include_str!("../../fixtures/demo/confluence/pages.json"),
    ),
    (
        "confluence/blogposts.json",
        include_str!("../../fixtures/demo/confluence/blogposts.json"),
    ),
    (
        "confluence/footer-comments.json",
        include_str!("../../fixtures/demo/confluence/footer-comments.json"),
    ),
    (
        "confluence/inline-comments.json",
        include_str!("../../fixtures/demo/confluence/inline-comments.json"),
    ),
    (
        "confluence/hidden.json",
        include_str!("../../fixtures/demo/confluence/hidden.json"),
    ),
    (
        "jira/projects.json",
        include_str!("../../fixtures/demo/jira/projects.json"),
    ),
    (
        "jira/fields.json",
        include_str!("../../fixtures/demo/jira/fields.json"),
    ),
    (
        "jira/issues.json",
        include_str!("../../fixtures/demo/jira/issues.json"),
    ),
    (
        "clients.csv",
        include_str!("../../fixtures/demo/clients.csv"),
    ),
    (
        "connectors.toml",
        include_str!("../../fixtures/demo/connectors.toml"),
    ),
    ("org.toml", include_str!("../../fixtures/demo/org.toml")),
];

/// The demo organization's own email domain: its addresses weigh little.
pub const OWN_DOMAIN: &str = "acme-demo.com";

/// The demo's connector inventory (TOML).
pub fn connectors_toml() -> &'static str {
    file("connectors.toml").unwrap_or("")
}

/// The demo's organization file (TOML), for the posture section.
pub fn org_toml() -> &'static str {
    file("org.toml").unwrap_or("")
}

/// The demo's client list (CSV).
pub fn clients_csv() -> &'static str {
    file("clients.csv").unwrap_or("")
}

fn file(name: &str) -> Option<&'static str> {
    DEMO_FILES.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
}

fn parse(name: &str) -> anyhow::Result<Value> {
    let src = file(name).ok_or_else(|| anyhow!("demo file {name} is not bundled"))?;
    serde_json::from_str(src).with_context(|| format!("fixtures/demo/{name}"))
}

fn array<'a>(v: &'a Value, name: &str) -> anyhow::Result<&'a Vec<Value>> {
    v.as_array()
        .ok_or_else(|| anyhow!("fixtures/demo/{name}: expected a JSON array"))
}

/// The address the demo site pretends to live at (its items' URLs).
pub fn base_url() -> anyhow::Result<String> {
    Ok(s(&parse("site.json")?, "baseUrl"))
}

/// Read the bundled demo site.
pub fn collect() -> anyhow::Result<SourceData> {
    let mut data = SourceData::default();
    let base = base_url()?;
    let hidden: HashSet<String> =
        array(&parse("confluence/hidden.json")?, "confluence/hidden.json")?
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| v.to_string())
            })
            .collect();

    // Confluence: spaces → pages and blog posts → comments.
    let spaces = parse("confluence/spaces.json")?;
    let mut space_key: HashMap<String, String> = HashMap::new();
    for sp in array(&spaces, "confluence/spaces.json")? {
        let c = convert::space_container(&base, sp);
        space_key.insert(c.id.clone(), c.key.clone());
        push_container(&mut data, c);
    }
    let mut units: BTreeMap<String, ItemUnit> = BTreeMap::new();
    for (name, kind) in [
        ("confluence/pages.json", ItemKind::Page),
        ("confluence/blogposts.json", ItemKind::BlogPost),
    ] {
        let v = parse(name)?;
        for p in array(&v, name)? {
            let id = s(p, "id");
            if hidden.contains(&id) {
                continue;
            }
            let Some(key) = space_key.get(&s(p, "spaceId")) else {
                continue;
            };
            units.insert(id, convert::confluence_unit(&base, key, kind, p));
        }
    }
    for name in [
        "confluence/footer-comments.json",
        "confluence/inline-comments.json",
    ] {
        let v = parse(name)?;
        for c in array(&v, name)? {
            // Comments on pages the account cannot see are invisible too.
            let Some(unit) = units.get_mut(&convert::comment_owner(c)) else {
                continue;
            };
            convert::add_confluence_comment(unit, c);
        }
    }

    // Jira and JSM: projects → issues → comments.
    let projects = parse("jira/projects.json")?;
    let mut project_product: HashMap<String, Product> = HashMap::new();
    for pr in array(&projects, "jira/projects.json")? {
        let c = convert::project_container(&base, pr);
        project_product.insert(c.key.clone(), c.product);
        push_container(&mut data, c);
    }
    let fields = parse("jira/fields.json")?;
    let text_fields = convert::jira_text_fields(array(&fields, "jira/fields.json")?);
    let issues = parse("jira/issues.json")?;
    for is in array(&issues, "jira/issues.json")? {
        let Some(&product) = project_product.get(&convert::jira_project_key(is)) else {
            continue;
        };
        let unit = convert::jira_unit(&base, product, is, &text_fields);
        units.insert(format!("jira:{}", unit.item.id), unit);
    }
    data.units = units.into_values().collect();
    Ok(data)
}

fn push_container(data: &mut SourceData, c: Container) {
    data.container_documents
        .push(convert::container_document(&c));
    data.containers.push(c);
}
