//! `withhold posture`: read the org file (and a previous scan's summary, if given), run the posture
//! checks, print them. Findings are advice, so the exit code is 0 whatever they say; only a file
//! that cannot be read or describes an impossible organization exits 2.

use crate::cli::{CliError, PostureArgs};
use crate::posture::{
    assess, facts_from_summary, CheckStatus, OrgProfile, PostureCheck, CONTRIBUTION_STARTS,
};
use std::io::Write;

pub fn run(args: PostureArgs) -> Result<i32, CliError> {
    let org = OrgProfile::from_file(&args.org).map_err(|e| CliError::Config(e.to_string()))?;
    let facts = match &args.scan {
        None => None,
        // The scan's verdicts from its store (DESIGN §8a: posture reads
        // verdicts), else from an output directory without one.
        Some(dir) if crate::cli::store::db_path(None, dir).is_file() => {
            let (verdicts, finished_at) =
                crate::cli::report::last_verdicts(&crate::cli::store::db_path(None, dir))?;
            Some(crate::posture::facts_from_verdicts(&verdicts, &finished_at))
        }
        Some(dir) => {
            let summary = dir.join("summary.json");
            if !summary.is_file() {
                return Err(CliError::Config(format!(
                    "{}: no summary.json: --scan takes the output directory of `withhold scan`",
                    dir.display()
                )));
            }
            let facts =
                facts_from_summary(&summary).map_err(|e| CliError::Config(e.to_string()))?;
            if facts.is_none() {
                // Said on stderr so that --json output stays a clean array.
                eprintln!(
                    "withhold: {}: no verdicts in this summary (a scan without ranking): checking the posture without scan facts",
                    summary.display()
                );
            }
            facts
        }
    };
    let today = args.today.unwrap_or_else(crate::posture::today_utc);
    let checks = assess(&org, facts.as_ref(), today);

    let mut out = std::io::stdout().lock();
    if args.json {
        let json = serde_json::to_string_pretty(&checks)
            .map_err(|e| CliError::Other(anyhow::anyhow!("serialising the checks: {e}")))?;
        let _ = writeln!(out, "{json}");
    } else {
        let _ = write!(out, "{}", render_text(&org, &checks, today));
    }
    Ok(0)
}

/// The checks for people: a heading, then `[ACTION] Title`, the finding, `→ recommendation (due …)`.
pub fn render_text(org: &OrgProfile, checks: &[PostureCheck], today: jiff::civil::Date) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Data contribution posture: {} ({} plan), checked on {today}",
        org.name,
        org.plan.label()
    );
    if let Some(t) = org.active_trial(today) {
        let _ = writeln!(
            s,
            "{} until {}: its defaults apply until then.",
            t.label(),
            t.ends
        );
    }
    let _ = writeln!(
        s,
        "Atlassian {} customer data for AI on {CONTRIBUTION_STARTS}.",
        if today < CONTRIBUTION_STARTS {
            "starts using"
        } else {
            "started using"
        }
    );
    for c in checks {
        let tag = match c.status {
            CheckStatus::Ok => "OK",
            CheckStatus::Attention => "ATTENTION",
            CheckStatus::Action => "ACTION",
        };
        let _ = writeln!(s, "\n[{tag}] {}", c.title);
        let _ = writeln!(s, "  {}", c.finding);
        match c.due {
            Some(due) => {
                let _ = writeln!(s, "  → {} (due {due})", c.recommendation);
            }
            None => {
                let _ = writeln!(s, "  → {}", c.recommendation);
            }
        }
    }
    let count = |st: CheckStatus| checks.iter().filter(|c| c.status == st).count();
    let _ = writeln!(
        s,
        "\n{} to act on, {} to watch, {} ok.",
        count(CheckStatus::Action),
        count(CheckStatus::Attention),
        count(CheckStatus::Ok)
    );
    s
}
