//! `exclusions.csv`: one row per space, project, app and connector, ranked
//! (DESIGN §8). RFC 4180 through the csv crate; no matched text, only counts,
//! entity names and the reasons (which name client names from the user's own
//! list, never a found value).
//!
//! Names come from the site, and a spreadsheet runs a cell that starts with
//! `=`, `+`, `-` or `@` (or tab / carriage return before one) as a formula:
//! every such cell is written with a leading `'`, which spreadsheets show as
//! text (OWASP, "CSV Injection").

use crate::model::Category;
use crate::rank::Verdict;
use std::io::Write;

/// The header, in order; documented in the README.
pub const HEADER: [&str; 26] = [
    "rank",
    "tab",
    "product",
    "kind",
    "key",
    "name",
    "url",
    "recommendation",
    "level",
    "score",
    "items_seen",
    "items_scanned",
    "items_with_findings",
    "secret",
    "financial",
    "national_id",
    "health",
    "special_category",
    "export_control",
    "client",
    "contact",
    "custom",
    "top_entities",
    "reasons",
    "coverage",
    "metadata_exposure",
];

const CATEGORIES: [Category; 9] = [
    Category::Secret,
    Category::Financial,
    Category::NationalId,
    Category::Health,
    Category::SpecialCategory,
    Category::ExportControl,
    Category::Client,
    Category::Contact,
    Category::Custom,
];

/// Write the ranked verdicts as CSV.
pub fn write<W: Write>(out: W, verdicts: &[Verdict]) -> csv::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(HEADER)?;
    for v in verdicts {
        let mut row: Vec<String> = vec![
            v.rank.to_string(),
            v.tab.title().to_string(),
            v.product.as_str().to_string(),
            serde_plain(&v.kind),
            v.key.clone(),
            v.name.clone(),
            v.url.clone(),
            v.recommendation.as_str().to_string(),
            v.level.as_str().to_string(),
            v.score.to_string(),
            v.coverage.items_seen.to_string(),
            v.coverage.items_scanned.to_string(),
            v.items_with_findings.to_string(),
        ];
        for c in CATEGORIES {
            row.push(v.by_category.get(&c).copied().unwrap_or(0).to_string());
        }
        row.push(
            v.top_entities
                .iter()
                .map(|(e, n)| format!("{e} {n}"))
                .collect::<Vec<_>>()
                .join("; "),
        );
        row.push(v.reasons.join("; "));
        row.push(v.coverage.status.as_str().to_string());
        row.push(rename_note(v));
        let cells: Vec<_> = row.iter().map(|cell| as_text(cell)).collect();
        w.write_record(cells.iter().map(|cell| cell.as_bytes()))?;
    }
    w.flush()?;
    Ok(())
}

/// A cell a spreadsheet would run as a formula, prefixed with `'` so that it
/// is shown as text; any other cell as it is.
pub fn as_text(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

/// `rename: client name, email address` — the kinds of value in the name,
/// never the values.
fn rename_note(v: &Verdict) -> String {
    if v.metadata_exposures.is_empty() {
        return String::new();
    }
    let mut kinds: Vec<String> = v
        .metadata_exposures
        .iter()
        .map(|m| crate::rank::words::entity_noun(&m.entity).0)
        .collect();
    kinds.dedup();
    format!("rename: {}", kinds.join(", "))
}

/// A unit enum's serde name (`space`, `partial`).
fn serde_plain<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::as_text;

    #[test]
    fn formula_cells_are_written_as_text() {
        for cell in [
            "=HYPERLINK(\"http://x\")",
            "+1+1",
            "-2+3",
            "@SUM(A1)",
            "\t=1",
            "\r=1",
        ] {
            assert_eq!(as_text(cell), format!("'{cell}"));
        }
        for cell in ["Engineering", "12", "a=b", " =1", ""] {
            assert_eq!(as_text(cell), cell);
        }
    }
}
