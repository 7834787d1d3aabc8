//! The sections of `report.html`, in the order a compliance officer reads them.

use super::charts::{self, category_words, recommendation_colour, CATEGORY_COLOURS};
use super::{attr, text};
use crate::model::{ContainerKind, CoverageStatus, Product};
use crate::posture::CheckStatus;
use crate::rank::{describe_exposures, Recommendation, Tab, Verdict};
use crate::report::summary::Summary;
use crate::report::{container_noun, coverage_words};
use std::fmt::Write as _;

/// Containers named in the verdict section before "and N more".
const HEADLINE_ROWS: usize = 6;

/// Containers not fully read. An app counts only when its own listing was
/// incomplete: otherwise it is partial because one of its spaces is, and that
/// space is named already.
fn not_fully_read(s: &Summary) -> Vec<&Verdict> {
    let unlisted = &s.totals.incomplete_products;
    s.verdicts
        .iter()
        .filter(|v| {
            matches!(
                v.coverage.status,
                CoverageStatus::Partial | CoverageStatus::Failed
            ) && (v.kind != ContainerKind::App
                || unlisted.contains_key(&v.product)
                || (v.product == Product::Jsm && unlisted.contains_key(&Product::Jira)))
        })
        .collect()
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

pub fn verdict(page: &mut String, s: &Summary) {
    let (exclude, review, keep) = (
        s.recommended(Recommendation::Exclude),
        s.recommended(Recommendation::Review),
        s.recommended(Recommendation::Keep),
    );
    let renames = s.to_rename().count();
    let partial = not_fully_read(s);
    let headline = match (exclude, review) {
        (0, 0) => "Nothing to exclude: no container holds enough to withhold".to_string(),
        (0, r) => format!(
            "Nothing to exclude yet: {} to review",
            plural(r, "container", "containers")
        ),
        (e, _) => format!(
            "Exclude {} of {} from Atlassian's AI data contribution",
            e,
            plural(s.verdicts.len(), "container", "containers")
        ),
    };
    page.push_str(r#"<section id="verdict"><h2>Verdict</h2>"#);
    if let Some(why) = &s.run.interruption {
        // First, before any number: everything below is of a part of the source.
        let _ = write!(
            page,
            r#"<p class="headline danger">This scan was interrupted: {}.</p><p class="danger">Everything below is of what was read before it stopped; no container is called complete. Run the scan again for the whole picture.</p>"#,
            text(why)
        );
    }
    let _ = write!(page, r#"<p class="headline">{}</p>"#, text(&headline));
    let t = &s.totals;
    let _ = write!(
        page,
        "<p>withhold read {} in {} of <b>{}</b> and raised {} ({} of them documentation or test values, which weigh nothing). \
Of its {}, {} should be excluded, {} a person to decide, and {} can stay as they are.</p>",
        plural(t.items_scanned as usize, "item", "items"),
        plural(t.containers, "container", "containers"),
        text(&s.source.paths.join(", ")),
        plural(t.findings as usize, "finding", "findings"),
        t.test_values,
        plural(s.verdicts.len(), "space, project, app and connector", "spaces, projects, apps and connectors"),
        exclude,
        if review == 1 { "1 needs".to_string() } else { format!("{review} need") },
        keep
    );
    let _ = write!(
        page,
        r#"<div class="tiles"><div class="tile exclude"><b>{exclude}</b>to exclude</div><div class="tile review"><b>{review}</b>to review</div><div class="tile keep"><b>{keep}</b>to keep</div><div class="tile"><b>{renames}</b>to rename</div><div class="tile"><b>{}</b>not fully read</div></div>"#,
        partial.len()
    );
    let first: Vec<&Verdict> = s
        .verdicts
        .iter()
        .filter(|v| v.recommendation == Recommendation::Exclude)
        .collect();
    if !first.is_empty() {
        page.push_str("<h3>Exclude first</h3><ol class=\"first\">");
        for v in first.iter().take(HEADLINE_ROWS) {
            let _ = write!(
                page,
                "<li><b>{}</b> <span class=\"key\">{}</span> ({}), score {}: {}</li>",
                text(&v.name),
                text(&v.key),
                text(&container_noun(v)),
                v.score,
                text(v.reasons.first().map_or("", String::as_str))
            );
        }
        page.push_str("</ol>");
        if first.len() > HEADLINE_ROWS {
            let _ = write!(
                page,
                "<p>… and {} more in the table below and in <code>exclusions.csv</code>.</p>",
                first.len() - HEADLINE_ROWS
            );
        }
    }
    if !partial.is_empty() {
        let names: Vec<String> = partial
            .iter()
            .map(|v| format!("{} ({})", v.name, coverage_words(&v.coverage)))
            .collect();
        let _ = write!(
            page,
            r#"<p class="danger">{} not fully read: {}. Nothing unread is called clean: a container with little found in what was read is marked for review until a complete scan reads it.</p>"#,
            plural(partial.len(), "container was", "containers were"),
            text(&names.join("; "))
        );
    }
    for w in &t.warnings {
        let _ = write!(page, r#"<p class="warning">{}</p>"#, text(w));
    }
    if !s.run.products.is_empty() {
        page.push_str(r#"<ul class="products">"#);
        for p in &s.run.products {
            let _ = write!(page, "<li>{}</li>", text(&p.line()));
        }
        page.push_str("</ul>");
    }
    if renames > 0 {
        let _ = write!(
            page,
            r##"<p class="warning">{} a sensitive value. Names are metadata, contributed even when the container is excluded (below Enterprise): rename {}. See <a href="#renames">Rename</a>.</p>"##,
            plural(renames, "name holds", "names hold"),
            if renames == 1 { "it" } else { "them" }
        );
    }
    if let Some(p) = &s.posture {
        let (act, watch) = (
            p.count(CheckStatus::Action),
            p.count(CheckStatus::Attention),
        );
        let _ = write!(
            page,
            r##"<p>Posture of {} ({} plan) on {}: <b>{} to act on</b>, {} to watch. See <a href="#posture">Posture</a>.</p>"##,
            text(&p.organization),
            p.plan,
            p.checked_on,
            act,
            watch
        );
    }
    if s.revealed {
        page.push_str(
            r#"<p class="danger">This scan ran with <code>--reveal</code>: findings.jsonl holds raw matched values. Keep it out of tickets and shared drives.</p>"#,
        );
    }
    page.push_str("</section>\n");
}

pub fn containers(page: &mut String, s: &Summary) {
    let _ = write!(
        page,
        r#"<section id="containers"><h2>Containers, ranked</h2><p>Every space, project, app and connector, most urgent first. The score runs from 0 to 100; {} and above is excluded, {} and above is reviewed. The reasons say what was found, counted as distinct values; documentation and test values are named but weigh nothing.</p>"#,
        s.thresholds.high, s.thresholds.moderate
    );
    page.push_str(
        r#"<table class="ranked"><thead><tr><th class="num">#</th><th>Verdict</th><th class="num">Score</th><th>Container</th><th>Coverage</th><th>Why</th><th>Found</th></tr></thead><tbody>"#,
    );
    for v in &s.verdicts {
        row(page, v);
    }
    page.push_str("</tbody></table></section>\n");
}

fn row(page: &mut String, v: &Verdict) {
    let rec = v.recommendation.as_str();
    let _ = write!(
        page,
        r#"<tr class="verdict {rec}" data-rank="{}" data-key="{}" data-product="{}" data-recommendation="{rec}" data-level="{}" data-score="{}"><td class="num">{}</td><td><span class="badge {rec}">{rec}</span><br><span class="level">{} level</span></td><td class="num">{}<span class="meter"><span style="width:{}%;background:{}"></span></span></td>"#,
        v.rank,
        attr(&v.key),
        v.product.as_str(),
        v.level,
        v.score,
        v.rank,
        v.level,
        v.score,
        v.score.min(100),
        recommendation_colour(v.recommendation),
    );
    let _ = write!(
        page,
        r#"<td><b>{}</b><br><span class="key">{}</span> · {}<br><span class="level">{} tab</span>"#,
        text(&v.name),
        text(&v.key),
        text(&container_noun(v)),
        v.tab.title()
    );
    page.push_str("</td>");
    let coverage = coverage_words(&v.coverage);
    let class = match v.coverage.status {
        CoverageStatus::Partial | CoverageStatus::Failed => " class=\"partial\"",
        _ => "",
    };
    let _ = write!(page, "<td><span{class}>{}</span>", text(&coverage));
    if v.kind != ContainerKind::App && v.coverage.status != CoverageStatus::Inventory {
        let _ = write!(
            page,
            "<br><span class=\"level\">{} with findings</span>",
            plural(v.items_with_findings as usize, "item", "items")
        );
    }
    page.push_str("</td><td><ul class=\"reasons\">");
    for r in &v.reasons {
        let _ = write!(page, "<li>{}</li>", text(r));
    }
    page.push_str("</ul></td><td>");
    for (c, colour) in CATEGORY_COLOURS {
        if let Some(n) = v.by_category.get(&c) {
            let _ = write!(
                page,
                r#"<span class="chip" style="background:{colour}" title="distinct values">{} {n}</span>"#,
                category_words(c)
            );
        }
    }
    page.push_str("</td></tr>");
}

pub fn charts(page: &mut String, s: &Summary) {
    let cut = |n: usize| {
        if n > charts::MAX_ROWS {
            format!(
                " The top {} of {n} are drawn; the table holds all of them.",
                charts::MAX_ROWS
            )
        } else {
            String::new()
        }
    };
    let found = s
        .verdicts
        .iter()
        .filter(|v| !v.by_category.is_empty())
        .count();
    let read = s
        .verdicts
        .iter()
        .filter(|v| v.kind != ContainerKind::App)
        .count();
    let _ = write!(
        page,
        r#"<section id="charts"><h2>Charts</h2>
<figure>{}<figcaption>Score per container, in rank order. Red is exclude, amber review, green keep; the dashed lines are the policy's thresholds.{}</figcaption></figure>
<figure>{}<figcaption>Distinct sensitive values per category, in each container where something was found.{}</figcaption></figure>
<figure>{}<figcaption>Coverage: the share of each container's items that were read (green), failed (red) or not reached (hatched). Connectors are judged from their inventory record.{}</figcaption></figure>
</section>
"#,
        charts::score_chart(&s.verdicts, &s.thresholds),
        cut(s.verdicts.len()),
        charts::category_chart(&s.verdicts),
        cut(found),
        charts::coverage_chart(&s.verdicts),
        cut(read),
    );
}

/// What changed since the site's previous scan, at the head of the report
/// (every scan after the first): new containers first, since they
/// contribute from the moment they exist.
pub fn changes(page: &mut String, s: &Summary) {
    let Some(d) = s.changes.as_ref().filter(|d| d.since.is_some()) else {
        return;
    };
    let (heading, lines) = crate::store::diff::lines(d);
    let _ = write!(
        page,
        r#"<section id="changes"><h2>What changed</h2><p>{}</p><ul>"#,
        text(&heading)
    );
    for l in lines {
        let class = if l.starts_with("NEW ") {
            " class=\"danger\""
        } else {
            ""
        };
        let _ = write!(page, "<li{class}>{}</li>", text(&l));
    }
    page.push_str("</ul></section>\n");
}

/// `<li><b>Name</b> <span class="key">KEY</span> (what): tail</li>`.
fn container_item(page: &mut String, v: &Verdict, tail: &str) {
    let _ = write!(
        page,
        "<li><b>{}</b> <span class=\"key\">{}</span> ({}){}</li>",
        text(&v.name),
        text(&v.key),
        text(&container_noun(v)),
        text(tail)
    );
}

pub fn rotations(page: &mut String, s: &Summary) {
    let rows: Vec<(&Verdict, u64)> = s.to_rotate().collect();
    if rows.is_empty() {
        return;
    }
    let _ = write!(
        page,
        r#"<section id="rotate"><h2>Rotate secrets</h2><p>{}</p><ul>"#,
        text(crate::report::ROTATE_ADVICE)
    );
    for (v, n) in rows {
        container_item(
            page,
            v,
            &format!(": rotate {}", crate::report::secrets_count(n)),
        );
    }
    page.push_str("</ul></section>\n");
}

pub fn renames(page: &mut String, s: &Summary) {
    let rows: Vec<&Verdict> = s.to_rename().collect();
    if rows.is_empty() {
        return;
    }
    page.push_str(
        r#"<section id="renames"><h2>Rename: names are metadata</h2><p>Below Enterprise, metadata — space and project names and keys among it — is always contributed, whatever is excluded. These names hold a sensitive value; rename them in the product.</p><ul>"#,
    );
    for v in rows {
        container_item(
            page,
            v,
            &format!(
                ": its name or key holds {}",
                describe_exposures(&v.metadata_exposures)
            ),
        );
    }
    page.push_str("</ul></section>\n");
}

pub fn posture(page: &mut String, s: &Summary) {
    page.push_str(r#"<section id="posture"><h2>Posture</h2>"#);
    let Some(p) = &s.posture else {
        page.push_str(
            "<p>No org file was given, so the organization's settings, plan, trials and data residency were not checked. \
Run the scan with <code>--org org.toml</code> (see <code>examples/org/</code>) or <code>withhold posture --org org.toml --scan DIR</code>.</p></section>\n",
        );
        return;
    };
    let _ = write!(
        page,
        "<p><b>{}</b>, {} plan, checked on {}.",
        text(&p.organization),
        p.plan,
        p.checked_on
    );
    if let Some(t) = &p.trial {
        let _ = write!(page, " {}: its defaults apply until then.", text(t));
    }
    page.push_str("</p><table class=\"posture\"><thead><tr><th>Status</th><th>Check</th><th>What to do</th><th>By</th></tr></thead><tbody>");
    for c in &p.checks {
        let status = c.status.as_str();
        let _ = write!(
            page,
            r#"<tr class="check {status}" data-check="{}"><td><span class="badge {status}">{status}</span></td><td><b>{}</b><br>{}</td><td>{}</td><td class="due">{}</td></tr>"#,
            c.id,
            text(&c.title),
            prose(&c.finding),
            prose(&c.recommendation),
            c.due.map(|d| d.to_string()).unwrap_or_default()
        );
    }
    page.push_str("</tbody></table></section>\n");
}

/// Escaped text in which `backticked` spans (commands, file names) become code.
fn prose(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    let ticks = s.matches('`').count();
    for (i, part) in s.split('`').enumerate() {
        // An odd count of backticks leaves the last part as plain text.
        if i % 2 == 1 && ticks > i {
            let _ = write!(out, "<code>{}</code>", text(part));
        } else {
            if i % 2 == 1 {
                out.push('`');
            }
            out.push_str(&text(part));
        }
    }
    out
}

pub fn how_to_act(page: &mut String, s: &Summary) {
    let names = |tab: Tab| -> Vec<String> {
        s.verdicts
            .iter()
            .filter(|v| v.tab == tab && v.recommendation == Recommendation::Exclude)
            .map(|v| {
                if tab == Tab::Spaces {
                    format!("{} ({})", v.name, v.key)
                } else {
                    v.name.clone()
                }
            })
            .collect()
    };
    page.push_str(
        r#"<section id="act"><h2>How to act</h2><p>Exclusions are made by hand: Atlassian offers no API and no import for them. <code>checklist.md</code> has one checkbox per click, in this order; <code>exclusions.csv</code> has every row of the table above, with each container's address, for a spreadsheet or a ticket.</p><ol class="steps">"#,
    );
    page.push_str("<li>Sign in as an organization admin and open <b>admin.atlassian.com → Security → Data contribution</b>. If in-app data contribution is on, add the items below to the excluded list of their tab (<b>More actions</b>); if it is off, make sure none of them is on the included list.</li>");
    for (tab, what) in [
        (Tab::Spaces, "spaces and projects"),
        (
            Tab::AtlassianApps,
            "apps, which withholds every space of the app at once, later ones too",
        ),
        (Tab::Connectors, "connectors"),
    ] {
        let list = names(tab);
        if list.is_empty() {
            continue;
        }
        let _ = write!(
            page,
            "<li><b>{} tab</b>: exclude {} — {}.</li>",
            tab.title(),
            what,
            text(&list.join(", "))
        );
    }
    let review = s.recommended(Recommendation::Review);
    if review > 0 {
        let _ = write!(
            page,
            "<li>Review the {}: open each, and exclude it or keep it. A value that is not sensitive (a published test number, a public address) goes in the allow list (<code>--allow allow.toml</code>) so the next scan does not raise it again.</li>",
            plural(review, "container marked review", "containers marked review")
        );
    }
    if s.to_rename().next().is_some() {
        page.push_str("<li>Rename the containers listed under <a href=\"#renames\">Rename</a>: excluding them does not withhold their names.</li>");
    }
    if !not_fully_read(s).is_empty() {
        page.push_str("<li>Scan again once the containers not fully read are reachable (permissions, rate limits, outages): their verdict stands at review until then.</li>");
    }
    page.push_str("<li>New spaces contribute as soon as they exist, new apps after 30 days. Scan on a schedule, e.g. weekly from cron or CI with <code>withhold scan --site … --fail-on high</code>, which exits 1 when a container reaches that level.</li></ol></section>\n");
}

pub fn record(page: &mut String, s: &Summary) {
    let t = &s.totals;
    page.push_str(r#"<section id="record"><h2>Scan record</h2><dl class="record">"#);
    let mut entry = |k: &str, v: String| {
        let _ = write!(page, "<dt>{}</dt><dd>{}</dd>", text(k), v);
    };
    entry("Tool", text(&format!("{} {}", s.tool.name, s.tool.version)));
    entry("Started", text(&s.started_at));
    entry("Finished", text(&s.finished_at));
    entry(
        "Duration",
        format!("{:.2} s", s.duration_ms as f64 / 1000.0),
    );
    entry(
        "Source",
        text(&format!("{}: {}", s.source.kind, s.source.paths.join(", "))),
    );
    entry("Detection threads", s.threads.to_string());
    let packs: Vec<String> = s
        .rule_packs
        .iter()
        .map(|p| format!("{} {} ({} rules)", p.name, p.version, p.rules))
        .collect();
    entry("Rule packs", text(&packs.join(", ")));
    entry("Client list", plural(s.clients, "name", "names"));
    entry(
        "Raw values",
        if s.revealed {
            "revealed in findings.jsonl (--reveal)".into()
        } else {
            "never written: masked and fingerprinted".into()
        },
    );
    entry(
        "Items",
        format!(
            "{} seen, {} scanned, {} failed; {} documents, {} bytes",
            t.items_seen, t.items_scanned, t.items_failed, t.documents, t.bytes
        ),
    );
    let severities: Vec<String> = t
        .by_severity
        .iter()
        .map(|(k, n)| format!("{n} {k}"))
        .collect();
    entry(
        "Findings",
        text(&format!(
            "{} ({} documentation/test values){}",
            t.findings,
            t.test_values,
            if severities.is_empty() {
                String::new()
            } else {
                format!("; {}", severities.join(", "))
            }
        )),
    );
    let suppressed: u64 = t.suppressed.values().flat_map(|m| m.values()).sum();
    entry(
        "Allow list",
        format!("{suppressed} candidates removed (summary.json totals.suppressed)"),
    );
    entry(
        "Triage",
        text(&crate::report::triaged_words(t).map_or_else(
            || "no finding removed by a triage decision".to_string(),
            |w| format!("{w} (summary.json totals.triaged)"),
        )),
    );
    entry(
        "Policy",
        format!(
            "exclude at score {} and above, review at {} and above",
            s.thresholds.high, s.thresholds.moderate
        ),
    );
    if let Some(crawl) = &s.crawl {
        let n = |p: &str| crawl.pointer(p).and_then(|v| v.as_u64()).unwrap_or(0);
        entry(
            "Requests",
            format!(
                "{} sent, {} retries, {} rate-limited (429) = {:.1} per 1,000 requests, {} server errors, {} paced to stay under the announced limit",
                n("/requests/total"),
                n("/requests/retries"),
                n("/requests/rate_limited"),
                crawl
                    .pointer("/requests/rate_limited_per_1000")
                    .and_then(|v| v.as_f64())
                    .unwrap_or(0.0),
                n("/requests/server_errors"),
                n("/requests/paced")
            ),
        );
        let minimum = n("/requests_minimum");
        if minimum > 0 {
            entry(
                "Request minimum",
                format!(
                    "{minimum} at the least for what was read ({:.2}× that sent)",
                    n("/requests/total") as f64 / minimum as f64
                ),
            );
        }
        if let Some(cc) = crawl.get("confluence_comments") {
            entry("Confluence comments", comments_line(cc));
        }
    }
    page.push_str("</dl></section>\n");
}

/// How Confluence comments were read, in words (counts only).
fn comments_line(cc: &serde_json::Value) -> String {
    let strategy = cc.get("strategy").and_then(|v| v.as_str()).unwrap_or("");
    let mut parts = vec![if strategy == "per-item" {
        "read per page (scoped crawl)".to_string()
    } else {
        "read from the site-wide listings".to_string()
    }];
    for kind in ["footer", "inline"] {
        let n = |p: &str| {
            cc.pointer(&format!("/{kind}/{p}"))
                .and_then(|v| v.as_u64())
                .unwrap_or(0)
        };
        let flag = |p: &str| {
            cc.pointer(&format!("/{kind}/{p}"))
                .and_then(|v| v.as_bool())
                == Some(true)
        };
        let check = if strategy == "per-item" {
            "replies asked comment by comment".to_string()
        } else if flag("fallback") {
            format!(
                "the listing lacked replies ({} of {} in a sample of {}): replies read comment by comment, {} requests",
                n("missing_from_listing"),
                n("sample_replies"),
                n("sampled"),
                n("fallback_requests")
            )
        } else if flag("verified") {
            format!("replies included, checked on a sample of {}", n("sampled"))
        } else {
            "not checked".to_string()
        };
        parts.push(format!("{kind}: {} comments, {check}", n("comments")));
    }
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn backticked_spans_become_code_and_everything_is_escaped() {
        assert_eq!(
            super::prose("run `withhold scan --site <x>` & wait"),
            "run <code>withhold scan --site &lt;x&gt;</code> &amp; wait"
        );
        assert_eq!(super::prose("a ` alone"), "a ` alone");
        assert_eq!(super::prose("`a` and `b"), "<code>a</code> and `b");
    }
}
