//! Atlassian apps as a whole (Confluence, Jira, Jira Service Management): the
//! Atlassian apps tab excludes an app in one click, which is worth it when most
//! of the app's content would be excluded space by space anyway.

use crate::model::{ContainerKind, Coverage, CoverageStatus, Product};
use crate::rank::policy::Policy;
use crate::rank::words::{app_name, items_of};
use crate::rank::{Level, Recommendation, Tab, Verdict};
use std::collections::BTreeMap;

/// One verdict per Atlassian app that has containers among `containers`, or
/// whose containers could not all be listed (`unlisted`: product → reasons).
/// An app not fully listed is never complete and never `low`: spaces that
/// were never listed were never read.
pub fn app_verdicts(
    containers: &[Verdict],
    unlisted: &BTreeMap<Product, Vec<String>>,
    policy: &Policy,
) -> Vec<Verdict> {
    let mut by_app: BTreeMap<Product, Vec<&Verdict>> = BTreeMap::new();
    for v in containers {
        if matches!(
            v.product,
            Product::Confluence | Product::Jira | Product::Jsm
        ) && v.kind != ContainerKind::App
        {
            by_app.entry(v.product).or_default().push(v);
        }
    }
    for product in unlisted.keys() {
        if matches!(product, Product::Confluence | Product::Jira | Product::Jsm) {
            by_app.entry(*product).or_default();
        }
    }
    by_app
        .into_iter()
        .map(|(product, members)| {
            // JSM projects are listed by Jira's project search.
            let mut why: Vec<String> = unlisted.get(&product).cloned().unwrap_or_default();
            if product == Product::Jsm {
                why.extend(unlisted.get(&Product::Jira).into_iter().flatten().cloned());
            }
            why.dedup();
            app_verdict(product, &members, &why, policy)
        })
        .collect()
}

fn app_verdict(
    product: Product,
    members: &[&Verdict],
    unlisted: &[String],
    policy: &Policy,
) -> Verdict {
    // Containers weigh by their items, but an empty one still counts a little,
    // so an app of empty spaces is not a division by zero.
    let weight = |v: &Verdict| v.coverage.items_seen.max(1) as f64;
    // No members at all (nothing could be listed) weighs as one empty container.
    let total: f64 = members.iter().map(|v| weight(v)).sum::<f64>().max(1.0);
    let share_of = |r: Recommendation| -> f64 {
        members
            .iter()
            .filter(|v| v.recommendation == r)
            .map(|v| weight(v))
            .sum::<f64>()
            / total
            // An empty sum is −0.0: no "−0 %" in a reason.
            + 0.0
    };
    let excluded = share_of(Recommendation::Exclude);
    let reviewed = share_of(Recommendation::Review);
    let score: f64 = members
        .iter()
        .map(|v| weight(v) * v.score_exact)
        .sum::<f64>()
        / total
        + 0.0;
    let count = |r: Recommendation| members.iter().filter(|v| v.recommendation == r).count();
    let unknown = members.iter().filter(|v| v.level == Level::Unknown).count();
    let level = if excluded >= policy.apps.exclude_share && count(Recommendation::Exclude) > 0 {
        Level::High
    } else if count(Recommendation::Exclude) + count(Recommendation::Review) > unknown {
        Level::Moderate
    } else if unknown > 0 || !unlisted.is_empty() {
        Level::Unknown
    } else {
        Level::Low
    };
    let mut coverage = Coverage::default();
    for v in members {
        coverage.items_seen += v.coverage.items_seen;
        coverage.items_scanned += v.coverage.items_scanned;
        coverage.items_failed += v.coverage.items_failed;
        if v.coverage.status != CoverageStatus::Complete {
            coverage.status = CoverageStatus::Partial;
        }
    }
    if !unlisted.is_empty() {
        coverage.status = if members.is_empty() {
            CoverageStatus::Failed
        } else {
            CoverageStatus::Partial
        };
        coverage.reasons.extend(unlisted.iter().cloned());
    }
    let noun = match product {
        Product::Confluence => "spaces",
        _ => "projects",
    };
    let mut reasons = Vec::new();
    if !members.is_empty() {
        reasons.push(format!(
        "{:.0} % of its {} are in {noun} to exclude ({} of {} {noun}); {:.0} % in {noun} to review",
        excluded * 100.0,
        items_of(coverage.items_seen, product),
        count(Recommendation::Exclude),
        members.len(),
        reviewed * 100.0
    ));
        reasons.push(match level {
        Level::High => format!(
            "excluding {} as an app withholds all of it in one click, new {noun} included; exclude the {noun} one by one instead to keep contributing the rest",
            app_name(product)
        ),
        _ => format!(
            "below the {:.0} % at which the whole app is worth excluding: exclude its {noun} one by one",
            policy.apps.exclude_share * 100.0
        ),
    });
    }
    if unknown > 0 {
        reasons.push(format!("{unknown} {noun} could not be fully read"));
    }
    for why in unlisted {
        reasons.push(if members.is_empty() {
            format!("none of its {noun} could be listed, so nothing of it was read: {why}")
        } else {
            format!("not every one of its {noun} could be listed, so some may not have been read: {why}")
        });
    }
    let mut by_category = BTreeMap::new();
    for v in members {
        for (c, n) in &v.by_category {
            *by_category.entry(*c).or_default() += n;
        }
    }
    Verdict {
        rank: 0,
        product,
        kind: ContainerKind::App,
        key: product.as_str().to_string(),
        name: app_name(product).to_string(),
        url: String::new(),
        tab: Tab::AtlassianApps,
        recommendation: Recommendation::of(level),
        level,
        score: score.floor() as u32,
        score_exact: score,
        reasons,
        coverage,
        items_with_findings: members.iter().map(|v| v.items_with_findings).sum(),
        by_category,
        top_entities: Vec::new(),
        metadata_exposures: Vec::new(),
        created: None,
        connector: None,
    }
}
