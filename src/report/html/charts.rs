//! The report's charts as inline SVG: score per container, categories per
//! container, coverage. Drawn here rather than by a script or a charting
//! library so that the report stays one file that loads nothing.
//!
//! Each chart is a horizontal bar chart, one row per container in rank order,
//! at most [`MAX_ROWS`] rows (the table below them holds every container).
//! Every bar carries a `<title>`, so hovering it gives the exact figures.

use super::{attr, text};
use crate::model::{Category, ContainerKind, CoverageStatus};
use crate::rank::policy::Thresholds;
use crate::rank::{Recommendation, Verdict};
use std::fmt::Write as _;

/// Rows drawn per chart; a very large site is summarised by its top containers.
pub const MAX_ROWS: usize = 40;

const WIDTH: f64 = 760.0;
const LABEL_W: f64 = 210.0;
const VALUE_W: f64 = 110.0;
const PLOT_W: f64 = WIDTH - LABEL_W - VALUE_W;
const ROW_H: f64 = 22.0;
const BAR_H: f64 = 14.0;
const TOP: f64 = 28.0;
const LABEL_CHARS: usize = 30;

/// Every category in the order the legend shows them, with its colour.
pub const CATEGORY_COLOURS: [(Category, &str); 9] = [
    (Category::Secret, "#b2182b"),
    (Category::Financial, "#e66101"),
    (Category::NationalId, "#5e3c99"),
    (Category::Health, "#1b7837"),
    (Category::SpecialCategory, "#c51b7d"),
    (Category::ExportControl, "#4d4d4d"),
    (Category::Client, "#2166ac"),
    (Category::Contact, "#74add1"),
    (Category::Custom, "#a6761d"),
];

pub fn recommendation_colour(r: Recommendation) -> &'static str {
    match r {
        Recommendation::Exclude => "#b2182b",
        Recommendation::Review => "#d9820f",
        Recommendation::Keep => "#4d9221",
    }
}

/// "secret", "national ID", "export control" …: a category as people say it.
pub fn category_words(c: Category) -> &'static str {
    match c {
        Category::Secret => "secret",
        Category::Financial => "financial",
        Category::NationalId => "national ID",
        Category::Health => "health",
        Category::SpecialCategory => "special category",
        Category::ExportControl => "export control",
        Category::Client => "client",
        Category::Contact => "contact",
        Category::Custom => "custom",
    }
}

/// Score per container, coloured by recommendation, with the policy's
/// thresholds drawn as the lines a score has to cross.
pub fn score_chart(verdicts: &[Verdict], thresholds: &Thresholds) -> String {
    let rows: Vec<&Verdict> = verdicts.iter().take(MAX_ROWS).collect();
    let mut svg = open_svg(
        "chart-score",
        "Score per container",
        rows.len(),
        &format!(
            "Score of each container from 0 to 100, in rank order; {} and above is excluded, {} and above is reviewed.",
            thresholds.high, thresholds.moderate
        ),
    );
    axis(&mut svg, rows.len(), &[0.0, 25.0, 50.0, 75.0, 100.0], 100.0);
    for (t, what) in [
        (thresholds.high, "exclude"),
        (thresholds.moderate, "review"),
    ] {
        let x = LABEL_W + PLOT_W * (t.clamp(0.0, 100.0) / 100.0);
        let _ = write!(
            svg,
            r#"<line class="threshold" x1="{x:.1}" y1="{y1:.1}" x2="{x:.1}" y2="{y2:.1}" stroke="{c}" stroke-dasharray="4 3"/><text x="{x:.1}" y="{ty:.1}" font-size="11" text-anchor="middle" fill="{c}">{what} ≥ {t}</text>"#,
            y1 = TOP - 6.0,
            y2 = TOP + ROW_H * rows.len() as f64,
            ty = TOP - 10.0,
            c = "#555",
        );
    }
    for (i, v) in rows.iter().enumerate() {
        let y = row_y(i);
        label(&mut svg, i, v);
        Bar {
            class: "bar",
            key: &v.key,
            product: v.product.as_str(),
            data: None,
            x: LABEL_W,
            y,
            w: PLOT_W * (f64::from(v.score.min(100)) / 100.0),
            fill: recommendation_colour(v.recommendation),
            tip: format!(
                "#{} {}: score {} ({}, {})",
                v.rank, v.name, v.score, v.level, v.recommendation
            ),
        }
        .draw(&mut svg);
        value(&mut svg, i, &format!("{} · {}", v.score, v.recommendation));
    }
    svg.push_str("</svg>");
    svg
}

/// Distinct values per category, stacked, for the containers where anything was found.
pub fn category_chart(verdicts: &[Verdict]) -> String {
    let rows: Vec<&Verdict> = verdicts
        .iter()
        .filter(|v| !v.by_category.is_empty())
        .take(MAX_ROWS)
        .collect();
    let max = rows
        .iter()
        .map(|v| v.by_category.values().sum::<u64>())
        .max()
        .unwrap_or(0)
        .max(1);
    let present: Vec<(Category, &str)> = CATEGORY_COLOURS
        .iter()
        .copied()
        .filter(|(c, _)| rows.iter().any(|v| v.by_category.contains_key(c)))
        .collect();
    let mut svg = open_svg(
        "chart-categories",
        "Categories per container",
        rows.len(),
        "Distinct sensitive values per category in each container where something was found, in rank order.",
    );
    // The legend sits where the other charts have their axis labels.
    let mut x = LABEL_W;
    for (c, colour) in &present {
        let name = category_words(*c);
        let _ = write!(
            svg,
            r#"<rect class="legend" x="{x:.1}" y="4" width="10" height="10" fill="{colour}"/><text x="{tx:.1}" y="13" font-size="11">{}</text>"#,
            text(name),
            tx = x + 14.0,
        );
        x += 22.0 + 6.5 * name.len() as f64;
    }
    for (i, v) in rows.iter().enumerate() {
        let y = row_y(i);
        label(&mut svg, i, v);
        let mut x = LABEL_W;
        let total: u64 = v.by_category.values().sum();
        for (c, colour) in &present {
            let Some(&n) = v.by_category.get(c) else {
                continue;
            };
            let w = PLOT_W * n as f64 / max as f64;
            Bar {
                class: "bar segment",
                key: &v.key,
                product: v.product.as_str(),
                data: Some(("category", c.as_str())),
                x,
                y,
                w,
                fill: colour,
                tip: format!(
                    "{}: {n} distinct {} value{}",
                    v.name,
                    category_words(*c),
                    if n == 1 { "" } else { "s" }
                ),
            }
            .draw(&mut svg);
            x += w;
        }
        value(
            &mut svg,
            i,
            &format!("{total} value{}", if total == 1 { "" } else { "s" }),
        );
    }
    if rows.is_empty() {
        let _ = write!(
            svg,
            r#"<text x="{LABEL_W}" y="{y:.1}" font-size="12">Nothing was found in any container.</text>"#,
            y = TOP + 14.0
        );
    }
    svg.push_str("</svg>");
    svg
}

/// What was read of each container: scanned, failed, not reached. Apps are
/// left out (they are the sum of their spaces); connectors show as inventory.
pub fn coverage_chart(verdicts: &[Verdict]) -> String {
    let rows: Vec<&Verdict> = verdicts
        .iter()
        .filter(|v| v.kind != ContainerKind::App)
        .take(MAX_ROWS)
        .collect();
    let mut svg = open_svg(
        "chart-coverage",
        "Coverage per container",
        rows.len(),
        "Share of each container's items that were read; red is items that failed, grey hatching is items not reached.",
    );
    svg.push_str(
        r##"<defs><pattern id="unread" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#eee"/><line x1="0" y1="0" x2="0" y2="6" stroke="#999" stroke-width="2"/></pattern></defs>"##,
    );
    axis(&mut svg, rows.len(), &[0.0, 50.0, 100.0], 100.0);
    for (i, v) in rows.iter().enumerate() {
        let y = row_y(i);
        label(&mut svg, i, v);
        let c = &v.coverage;
        if c.status == CoverageStatus::Inventory {
            Bar {
                class: "bar",
                key: &v.key,
                product: v.product.as_str(),
                data: Some(("status", "inventory")),
                x: LABEL_W,
                y,
                w: PLOT_W,
                fill: "#c6dbef",
                tip: format!(
                    "{}: inventory record only; no API reads a connector's content",
                    v.name
                ),
            }
            .draw(&mut svg);
            value(&mut svg, i, "inventory only");
            continue;
        }
        let seen = c.items_seen.max(c.items_scanned + c.items_failed);
        let status = c.status.as_str();
        if seen == 0 {
            let fill = if c.status == CoverageStatus::Complete {
                "#eee"
            } else {
                "url(#unread)"
            };
            Bar {
                class: "bar",
                key: &v.key,
                product: v.product.as_str(),
                data: Some(("status", status)),
                x: LABEL_W,
                y,
                w: PLOT_W,
                fill,
                tip: format!("{}: no items listed ({status})", v.name),
            }
            .draw(&mut svg);
            value(&mut svg, i, &format!("0 items, {status}"));
            continue;
        }
        let unread = seen - c.items_scanned - c.items_failed;
        let mut x = LABEL_W;
        for (n, fill, what) in [
            (c.items_scanned, "#4d9221", "read"),
            (c.items_failed, "#b2182b", "failed"),
            (unread, "url(#unread)", "not reached"),
        ] {
            if n == 0 {
                continue;
            }
            let w = PLOT_W * n as f64 / seen as f64;
            Bar {
                class: "bar segment",
                key: &v.key,
                product: v.product.as_str(),
                data: Some(("status", status)),
                x,
                y,
                w,
                fill,
                tip: format!("{}: {n} of {seen} items {what}", v.name),
            }
            .draw(&mut svg);
            x += w;
        }
        value(&mut svg, i, &format!("{} of {seen} read", c.items_scanned));
    }
    svg.push_str("</svg>");
    svg
}

/// One bar (or stacked segment) of a row, with its tooltip; `data` is the
/// `data-*` attribute that says what the bar stands for.
struct Bar<'a> {
    class: &'static str,
    key: &'a str,
    product: &'static str,
    data: Option<(&'static str, &'a str)>,
    x: f64,
    y: f64,
    w: f64,
    fill: &'a str,
    tip: String,
}

impl Bar<'_> {
    fn draw(self, svg: &mut String) {
        let data = self
            .data
            .map(|(name, value)| format!(r#" data-{name}="{}""#, attr(value)))
            .unwrap_or_default();
        let _ = write!(
            svg,
            r#"<rect class="{}" data-key="{}" data-product="{}"{data} x="{:.1}" y="{:.1}" width="{:.1}" height="{BAR_H}" fill="{}"><title>{}</title></rect>"#,
            self.class,
            attr(self.key),
            self.product,
            self.x,
            self.y,
            self.w,
            self.fill,
            text(&self.tip),
        );
    }
}

fn row_y(i: usize) -> f64 {
    TOP + ROW_H * i as f64 + (ROW_H - BAR_H) / 2.0
}

fn open_svg(id: &str, title: &str, rows: usize, description: &str) -> String {
    let height = TOP + ROW_H * rows.max(1) as f64 + 24.0;
    format!(
        r#"<svg class="chart" id="{id}" data-rows="{rows}" viewBox="0 0 {WIDTH} {height:.0}" width="{WIDTH}" height="{height:.0}" role="img" aria-labelledby="{id}-title {id}-desc" font-family="system-ui, sans-serif"><title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"#,
        text(title),
        text(description),
    )
}

/// Vertical grid lines with their values under the plot.
fn axis(svg: &mut String, rows: usize, ticks: &[f64], max: f64) {
    let bottom = TOP + ROW_H * rows.max(1) as f64;
    for &t in ticks {
        let x = LABEL_W + PLOT_W * t / max;
        let _ = write!(
            svg,
            r##"<line x1="{x:.1}" y1="{TOP}" x2="{x:.1}" y2="{bottom:.1}" stroke="#ddd"/><text x="{x:.1}" y="{ty:.1}" font-size="11" text-anchor="middle" fill="#555">{t}</text>"##,
            ty = bottom + 14.0,
        );
    }
}

/// The row's label: `KEY · Name`, cut to fit, the whole of it in the tooltip.
fn label(svg: &mut String, i: usize, v: &Verdict) {
    // Long keys (personal spaces: `~5570585c…`) say nothing to a reader.
    let full = if v.key == v.name || v.kind == ContainerKind::App || v.key.chars().count() > 12 {
        v.name.clone()
    } else {
        format!("{} · {}", v.key, v.name)
    };
    let shown: String = if full.chars().count() > LABEL_CHARS {
        let mut s: String = full.chars().take(LABEL_CHARS - 1).collect();
        s.push('…');
        s
    } else {
        full.clone()
    };
    let _ = write!(
        svg,
        r#"<text class="label" x="{x:.1}" y="{y:.1}" font-size="12" text-anchor="end">{}<title>{}</title></text>"#,
        text(&shown),
        text(&full),
        x = LABEL_W - 8.0,
        y = row_y(i) + BAR_H - 3.0,
    );
}

fn value(svg: &mut String, i: usize, s: &str) {
    let _ = write!(
        svg,
        r##"<text x="{x:.1}" y="{y:.1}" font-size="12" fill="#333">{}</text>"##,
        text(s),
        x = LABEL_W + PLOT_W + 8.0,
        y = row_y(i) + BAR_H - 3.0,
    );
}
