//! `checklist.md`: what an admin clicks in Atlassian Administration →
//! Security → Data contribution, tab by tab, in rank order (DESIGN §8).
//!
//! Written for someone working through it with the page open: one checkbox per
//! action, the name as the page shows it, and the reason in one line.

use crate::posture::CheckStatus;
use crate::rank::{describe_exposures, Recommendation, Tab, Verdict};
use crate::report::container_noun;
use crate::report::summary::Summary;
use std::fmt::Write as _;

/// The checklist for a scan's verdicts and (when given) posture checks.
pub fn render(summary: &Summary) -> String {
    let mut md = String::new();
    let v = &summary.verdicts;
    let count = |r: Recommendation| summary.recommended(r);
    let _ = writeln!(md, "# Data contribution checklist\n");
    let _ =
        writeln!(
        md,
        "Scanned {} ({}) on {} with withhold {}: **{} to exclude, {} to review**, {} to keep.\n",
        summary.source.paths.join(", "),
        summary.source.kind,
        summary.finished_at.get(..10).unwrap_or(&summary.finished_at),
        summary.tool.version,
        count(Recommendation::Exclude),
        count(Recommendation::Review),
        count(Recommendation::Keep),
    );
    if let Some(why) = &summary.run.interruption {
        let _ = writeln!(
            md,
            "> **This scan was interrupted**: {}. The list below holds only what was read \
before it stopped; containers not read to the end are marked partial. Run the scan again \
before relying on what it leaves out.\n",
            md_text(why)
        );
    }
    if let Some(d) = summary.changes.as_ref().filter(|d| d.since.is_some()) {
        let (heading, lines) = crate::store::diff::lines(d);
        let _ = writeln!(md, "## What changed\n\n{}\n", md_text(&heading));
        for l in lines {
            let _ = writeln!(md, "- {}", md_text(&l));
        }
        md.push('\n');
    }
    if !summary.run.products.is_empty() {
        for p in &summary.run.products {
            let _ = writeln!(md, "- {}", md_text(&p.line()));
        }
        md.push('\n');
    }
    // Counted like the allow list's removals: a reviewer's decision is never
    // a silent hole in the list.
    if let Some(line) = crate::report::triaged_words(&summary.totals) {
        let _ = writeln!(
            md,
            "{}; they are not counted below (`withhold triage --list` shows the decisions).\n",
            md_text(&line)
        );
    }
    let _ = writeln!(
        md,
        "Open **admin.atlassian.com → Security → Data contribution** (organization admins only). \
If in-app data contribution is **on**, add the items below to the excluded list of their tab; \
if it is **off**, make sure none of them is in the included list. Changes to the list are made \
with **More actions** on the tab. There is no import: each line is one selection.\n"
    );

    for tab in [Tab::Spaces, Tab::AtlassianApps, Tab::Connectors] {
        let rows: Vec<&Verdict> = v.iter().filter(|x| x.tab == tab).collect();
        if rows.is_empty() {
            continue;
        }
        let _ = writeln!(md, "## {} tab\n", tab.title());
        match tab {
            Tab::Spaces => {
                let _ = writeln!(
                    md,
                    "Confluence spaces, and Jira / Jira Service Management projects (Jira now \
calls projects spaces). If the tab does not list a Jira project, exclude it through its app in \
the Atlassian apps tab or switch in-app contribution off.\n"
                );
            }
            Tab::AtlassianApps => {
                let _ = writeln!(
                    md,
                    "Excluding an app withholds all of its spaces at once, including spaces \
created later. Only worth it where most of the app would be excluded anyway.\n"
                );
            }
            Tab::Connectors => {
                let _ = writeln!(
                    md,
                    "Connector content cannot be read by withhold or by any API: these verdicts \
come from the inventory you supplied (type, sync mode, scope, notes).\n"
                );
            }
            Tab::None => {}
        }
        for (heading, rec) in [
            ("Exclude", Recommendation::Exclude),
            ("Review, then exclude or keep", Recommendation::Review),
        ] {
            let group: Vec<&&Verdict> = rows.iter().filter(|x| x.recommendation == rec).collect();
            if group.is_empty() {
                continue;
            }
            let _ = writeln!(md, "### {heading}\n");
            for x in group {
                item(&mut md, x);
            }
            md.push('\n');
        }
        let kept: Vec<String> = rows
            .iter()
            .filter(|x| x.recommendation == Recommendation::Keep)
            .map(|x| label(x))
            .collect();
        if !kept.is_empty() {
            let _ = writeln!(md, "Keep (nothing to do): {}.\n", kept.join(", "));
        }
    }

    let rotate: Vec<(&Verdict, u64)> = summary.to_rotate().collect();
    if !rotate.is_empty() {
        let _ = writeln!(md, "## Rotate secrets (whatever you decide above)\n");
        let _ = writeln!(md, "{}\n", crate::report::ROTATE_ADVICE);
        for (x, n) in rotate {
            let _ = writeln!(
                md,
                "- [ ] {} — rotate {}",
                label(x),
                crate::report::secrets_count(n)
            );
        }
        md.push('\n');
    }

    let renames: Vec<&Verdict> = summary.to_rename().collect();
    if !renames.is_empty() {
        let _ = writeln!(md, "## Rename (metadata is contributed anyway)\n");
        let _ = writeln!(
            md,
            "Below Enterprise, metadata such as space and project names is always contributed: \
excluding these does not withhold their names. Rename them in the product.\n"
        );
        for x in renames {
            let _ = writeln!(
                md,
                "- [ ] {} — its name or key holds {}",
                label(x),
                describe_exposures(&x.metadata_exposures)
            );
        }
        md.push('\n');
    }

    if let Some(p) = &summary.posture {
        let _ = writeln!(
            md,
            "## Posture: {} ({} plan), checked on {}\n",
            md_text(&p.organization),
            p.plan,
            p.checked_on
        );
        for c in p.checks.iter().filter(|c| c.status != CheckStatus::Ok) {
            let due = c.due.map(|d| format!(" (by {d})")).unwrap_or_default();
            let _ = writeln!(
                md,
                "- [ ] **{}** [{}]{due}: {} → {}",
                md_text(&c.title),
                c.status.as_str(),
                md_text(&c.finding),
                md_text(&c.recommendation)
            );
        }
        md.push('\n');
    }
    let _ = writeln!(
        md,
        "Re-run the scan after new spaces or connectors appear: new spaces contribute as soon as \
they exist, new apps after 30 days."
    );
    md
}

/// `**Engineering** — ENG (Confluence space)`, `**Jira** (Atlassian app)`.
fn label(x: &Verdict) -> String {
    let what = container_noun(x);
    if x.tab == Tab::Spaces {
        format!("**{}** — {} ({what})", md_text(&x.name), md_text(&x.key))
    } else {
        format!("**{}** ({what})", md_text(&x.name))
    }
}

/// Text from the site as Markdown text: one line, no markup of its own.
fn md_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' | '\r' | '\t' => out.push(' '),
            '\\' | '*' | '_' | '[' | ']' | '<' | '>' | '`' | '|' | '#' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

fn item(md: &mut String, x: &Verdict) {
    let _ = writeln!(
        md,
        "- [ ] {} — score {} ({}, coverage {})",
        label(x),
        x.score,
        x.level,
        crate::report::coverage_words(&x.coverage)
    );
    for r in x.reasons.iter().take(4) {
        let _ = writeln!(md, "  - {}", md_text(r));
    }
    if !x.url.is_empty() {
        let _ = writeln!(md, "  - {}", x.url);
    }
}
