//! The bundled demo site: Atlassian-shaped JSON in `fixtures/demo/`, read as
//! a crawl of it would see it (pages the account may not see are left out).
//!
//! The files are embedded in the binary so `scan --demo` works from anywhere.

use crate::model::{Container, ContainerKind, Document, Field, Item, ItemKind, Origin, Product};
use crate::sources::{ItemUnit, SourceData};
use crate::text::{adf_value_to_text, storage_to_text, Extracted};
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
];

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

fn s(v: &Value, key: &str) -> String {
    match v.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

fn array<'a>(v: &'a Value, name: &str) -> anyhow::Result<&'a Vec<Value>> {
    v.as_array()
        .ok_or_else(|| anyhow!("fixtures/demo/{name}: expected a JSON array"))
}

/// Read the bundled demo site.
pub fn collect() -> anyhow::Result<SourceData> {
    let mut data = SourceData::default();
    let site = parse("site.json")?;
    let base = s(&site, "baseUrl");
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
        let c = Container {
            product: Product::Confluence,
            kind: ContainerKind::Space,
            id: s(sp, "id"),
            key: s(sp, "key"),
            name: s(sp, "name"),
            url: format!(
                "{base}/wiki{}",
                sp.pointer("/_links/webui")
                    .and_then(Value::as_str)
                    .unwrap_or("")
            ),
        };
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
            let Some(key) = space_key.get(&s(p, "spaceId")).cloned() else {
                continue;
            };
            let url = format!(
                "{base}/wiki{}",
                p.pointer("/_links/webui")
                    .and_then(Value::as_str)
                    .unwrap_or("")
            );
            let body = p
                .pointer("/body/storage/value")
                .and_then(Value::as_str)
                .unwrap_or("");
            let mut unit = new_unit(&key, &id, kind, &s(p, "title"), &url);
            unit.item.version = p.pointer("/version/number").and_then(Value::as_u64);
            unit.item.updated = p
                .pointer("/version/createdAt")
                .and_then(Value::as_str)
                .map(str::to_string);
            add_doc(&mut unit, Field::Body, None, storage_to_text(body));
            units.insert(id, unit);
        }
    }
    for name in [
        "confluence/footer-comments.json",
        "confluence/inline-comments.json",
    ] {
        let v = parse(name)?;
        for c in array(&v, name)? {
            let owner = [s(c, "pageId"), s(c, "blogPostId")]
                .into_iter()
                .find(|x| !x.is_empty())
                .unwrap_or_default();
            // Comments on pages the account cannot see are invisible too.
            let Some(unit) = units.get_mut(&owner) else {
                continue;
            };
            let body = c
                .pointer("/body/storage/value")
                .and_then(Value::as_str)
                .unwrap_or("");
            add_doc(
                unit,
                Field::Comment,
                Some(s(c, "id")),
                storage_to_text(body),
            );
        }
    }

    // Jira and JSM: projects → issues → comments.
    let projects = parse("jira/projects.json")?;
    let mut project_product: HashMap<String, Product> = HashMap::new();
    for pr in array(&projects, "jira/projects.json")? {
        let product = if s(pr, "projectTypeKey") == "service_desk" {
            Product::Jsm
        } else {
            Product::Jira
        };
        let c = Container {
            product,
            kind: ContainerKind::Project,
            id: s(pr, "id"),
            key: s(pr, "key"),
            name: s(pr, "name"),
            url: format!("{base}/browse/{}", s(pr, "key")),
        };
        project_product.insert(c.key.clone(), product);
        push_container(&mut data, c);
    }
    let fields = parse("jira/fields.json")?;
    let text_fields: Vec<String> = array(&fields, "jira/fields.json")?
        .iter()
        .filter(|f| f.get("custom").and_then(Value::as_bool) == Some(true))
        .filter(|f| {
            let t = f
                .pointer("/schema/custom")
                .and_then(Value::as_str)
                .unwrap_or("");
            t.ends_with(":textarea") || t.ends_with(":textfield") || t.ends_with(":url")
        })
        .map(|f| s(f, "id"))
        .collect();
    let issues = parse("jira/issues.json")?;
    for is in array(&issues, "jira/issues.json")? {
        let key = s(is, "key");
        let f = is.get("fields").cloned().unwrap_or(Value::Null);
        let project = f
            .pointer("/project/key")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let Some(&product) = project_product.get(&project) else {
            continue;
        };
        let kind = if product == Product::Jsm {
            ItemKind::Request
        } else {
            ItemKind::Issue
        };
        let mut unit = new_unit(
            &project,
            &key,
            kind,
            f.get("summary").and_then(Value::as_str).unwrap_or(""),
            &format!("{base}/browse/{key}"),
        );
        unit.item.updated = f.get("updated").and_then(Value::as_str).map(str::to_string);
        if let Some(d) = f.get("description").filter(|d| !d.is_null()) {
            add_doc(&mut unit, Field::Body, None, adf_value_to_text(d));
        }
        for cf in &text_fields {
            match f.get(cf) {
                Some(Value::String(t)) => add_doc(
                    &mut unit,
                    Field::Body,
                    None,
                    Extracted {
                        text: t.clone(),
                        warnings: vec![],
                    },
                ),
                Some(v @ Value::Object(_)) => {
                    add_doc(&mut unit, Field::Body, None, adf_value_to_text(v))
                }
                _ => {}
            }
        }
        if let Some(comments) = f.pointer("/comment/comments").and_then(Value::as_array) {
            for c in comments {
                let body = c.get("body").cloned().unwrap_or(Value::Null);
                add_doc(
                    &mut unit,
                    Field::Comment,
                    Some(s(c, "id")),
                    adf_value_to_text(&body),
                );
            }
        }
        units.insert(format!("jira:{key}"), unit);
    }
    data.units = units.into_values().collect();
    Ok(data)
}

fn push_container(data: &mut SourceData, c: Container) {
    data.container_documents.push(Document {
        origin: Origin {
            product: c.product,
            container_key: c.key.clone(),
            item_id: c.key.clone(),
            item_url: c.url.clone(),
            field: Field::ContainerName,
            comment_id: None,
        },
        text: c.name.clone(),
    });
    data.containers.push(c);
}

fn new_unit(container: &str, id: &str, kind: ItemKind, title: &str, url: &str) -> ItemUnit {
    let mut unit = ItemUnit {
        item: Item {
            container: container.to_string(),
            id: id.to_string(),
            kind,
            title: title.to_string(),
            url: url.to_string(),
            version: None,
            updated: None,
        },
        documents: Vec::new(),
        warnings: Vec::new(),
    };
    add_doc(
        &mut unit,
        Field::Title,
        None,
        Extracted {
            text: title.to_string(),
            warnings: vec![],
        },
    );
    unit
}

fn add_doc(unit: &mut ItemUnit, field: Field, comment_id: Option<String>, extracted: Extracted) {
    let product = match unit.item.kind {
        ItemKind::Page | ItemKind::BlogPost => Product::Confluence,
        ItemKind::Request => Product::Jsm,
        ItemKind::Issue => Product::Jira,
        ItemKind::ConnectorRecord => Product::Connector,
        ItemKind::File => Product::Files,
    };
    unit.warnings.extend(extracted.warnings);
    unit.documents.push(Document {
        origin: Origin {
            product,
            container_key: unit.item.container.clone(),
            item_id: unit.item.id.clone(),
            item_url: unit.item.url.clone(),
            field,
            comment_id,
        },
        text: extracted.text,
    });
}
