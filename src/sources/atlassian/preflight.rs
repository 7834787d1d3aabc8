//! Before crawling: who the scan runs as, and whether that account administers
//! each product. Anything unknown here is a warning, never an error; only a
//! rejected credential (401) stops the crawl.
//!
//! Whether a product exists at all is decided by its first container listing
//! (a 404 there skips the product with a note), so that a site that does not
//! serve the user endpoints still gets crawled.

use super::client::{Client, RequestError};
use super::{query, triage, Ctx, Fatal};
use serde_json::Value;

/// What the preflight learned about one product.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ProductAccess {
    /// Display name (or account id) of the account the scan runs as, when known.
    pub account: Option<String>,
    /// Whether the account administers the product; `None` = could not tell.
    pub admin: Option<bool>,
    /// Why something is unknown.
    pub note: Option<String>,
}

/// Who the scan runs as, per product.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Preflight {
    pub confluence: Option<ProductAccess>,
    pub jira: Option<ProductAccess>,
}

impl Preflight {
    /// Warnings for the user: not an administrator, or could not tell.
    pub fn warnings(&self) -> Vec<String> {
        let mut w = Vec::new();
        for (name, p) in [("Confluence", &self.confluence), ("Jira", &self.jira)] {
            let Some(p) = p else { continue };
            match p.admin {
                Some(true) => {}
                Some(false) => w.push(format!(
                    "the account is not a {name} administrator: content it cannot see is not scanned, \
                     and nothing says how much that is"
                )),
                None => w.push(format!(
                    "could not tell whether the account administers {name}{}: content it cannot see is not scanned",
                    p.note.as_deref().map(|n| format!(" ({n})")).unwrap_or_default()
                )),
            }
        }
        w
    }
}

/// `GET {site}/_edge/tenant_info` → cloudId.
pub(crate) async fn cloud_id(client: &Client, site: &str) -> Result<String, RequestError> {
    let a = client
        .get(&format!("{site}/_edge/tenant_info"), "site.tenant_info")
        .await?;
    a.json
        .get("cloudId")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .ok_or_else(|| RequestError::Decode {
            endpoint: "site.tenant_info".into(),
            reason: "no cloudId".into(),
        })
}

fn account_name(v: &Value) -> Option<String> {
    ["displayName", "publicName", "accountId"]
        .iter()
        .find_map(|k| v.get(*k).and_then(Value::as_str))
        .map(str::to_string)
}

pub(crate) async fn run(ctx: &Ctx) -> Result<Preflight, Fatal> {
    let (c, j) = tokio::join!(confluence(ctx), jira(ctx));
    Ok(Preflight {
        confluence: c?,
        jira: j?,
    })
}

async fn confluence(ctx: &Ctx) -> Result<Option<ProductAccess>, Fatal> {
    if !ctx.config.confluence {
        return Ok(None);
    }
    let mut p = ProductAccess::default();
    ctx.minimum(1);
    match ctx
        .get(
            &ctx.conf_base,
            "/wiki/rest/api/user/current",
            &query(&[("expand", "operations")]),
            "confluence.user.current",
        )
        .await
    {
        Ok(a) => {
            p.account = account_name(&a.json);
            // `operations` lists what the user may do; site administration
            // shows as `administer` on the application.
            match a.json.get("operations").and_then(Value::as_array) {
                Some(ops) => {
                    p.admin =
                        Some(ops.iter().any(|o| {
                            o.get("operation").and_then(Value::as_str) == Some("administer")
                        }));
                }
                None => p.note = Some("the site did not list the account's operations".into()),
            }
        }
        Err(e) => p.note = Some(unknown(e)?),
    }
    Ok(Some(p))
}

async fn jira(ctx: &Ctx) -> Result<Option<ProductAccess>, Fatal> {
    if !ctx.config.jira {
        return Ok(None);
    }
    let mut p = ProductAccess::default();
    ctx.minimum(2);
    let perm_q = query(&[("permissions", "ADMINISTER")]);
    let (me, perms) = tokio::join!(
        ctx.get(&ctx.jira_base, "/rest/api/3/myself", "", "jira.myself"),
        ctx.get(
            &ctx.jira_base,
            "/rest/api/3/mypermissions",
            &perm_q,
            "jira.mypermissions",
        )
    );
    match me {
        Ok(a) => p.account = account_name(&a.json),
        Err(e) => p.note = Some(unknown(e)?),
    }
    match perms {
        Ok(a) => {
            p.admin = a
                .json
                .pointer("/permissions/ADMINISTER/havePermission")
                .and_then(Value::as_bool);
            if p.admin.is_none() {
                p.note = Some("the permission answer did not say".into());
            }
        }
        Err(e) => p.note = Some(unknown(e)?),
    }
    Ok(Some(p))
}

fn unknown(e: RequestError) -> Result<String, Fatal> {
    match e {
        RequestError::NotFound { endpoint } => Ok(format!("{endpoint} is not available")),
        other => triage(other),
    }
}
