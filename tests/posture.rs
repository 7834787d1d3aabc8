//! The posture check: every example org file through the real binary (statuses, dates, key
//! facts), the checks with scan facts through the library, and bad org files exiting 2 with a
//! message that names the file and the line or field.

use jiff::civil::Date;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use withhold::posture::{
    assess, facts_from_summary, CheckStatus, ConnectorRef, ContainerRef, MetadataExposureRef,
    OrgProfile, Plan, PostureCheck, RecentContainer, ScanFacts, Toggle,
};

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/org")
        .join(name)
}

fn withhold(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_withhold"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// `withhold posture --org examples/org/NAME --today TODAY --json`, parsed.
fn posture_json(name: &str, today: &str) -> Vec<Value> {
    let org = example(name);
    let o = withhold(&[
        "posture",
        "--org",
        org.to_str().expect("utf-8 path"),
        "--today",
        today,
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).expect("--json prints JSON");
    v.as_array().expect("a JSON array").clone()
}

fn check<'a>(checks: &'a [Value], id: &str) -> &'a Value {
    let found: Vec<&Value> = checks.iter().filter(|c| c["id"] == id).collect();
    assert_eq!(found.len(), 1, "one {id} check in {checks:#?}");
    found[0]
}

fn status(checks: &[Value], id: &str) -> String {
    check(checks, id)["status"]
        .as_str()
        .expect("status")
        .to_string()
}

fn text(c: &Value) -> String {
    format!(
        "{} | {} | {}",
        c["title"].as_str().unwrap_or_default(),
        c["finding"].as_str().unwrap_or_default(),
        c["recommendation"].as_str().unwrap_or_default()
    )
}

fn day(s: &str) -> Date {
    s.parse().expect("test date")
}

fn lib_check<'a>(checks: &'a [PostureCheck], id: &str) -> &'a PostureCheck {
    checks
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no {id} check"))
}

const ALL_IDS: [&str; 7] = [
    "in_app_contribution",
    "metadata_contribution",
    "trial_fallback",
    "new_containers",
    "synced_connectors",
    "data_residency",
    "several_organizations",
];

#[test]
fn every_example_org_file_loads_and_gets_every_check() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/org");
    let mut plans = Vec::new();
    let mut with_trial = 0;
    for entry in std::fs::read_dir(&dir).expect("examples/org") {
        let path = entry.expect("entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("toml") {
            continue;
        }
        let org = OrgProfile::from_file(&path)
            .unwrap_or_else(|e| panic!("{} does not load: {e}", path.display()));
        plans.push(org.plan);
        with_trial += usize::from(!org.trials.is_empty());
        let checks = assess(&org, None, day("2026-06-01"));
        for id in ALL_IDS {
            assert!(
                checks.iter().any(|c| c.id == id),
                "{} lacks {id}",
                path.display()
            );
        }
        for c in &checks {
            assert!(
                !c.finding.is_empty() && !c.recommendation.is_empty(),
                "{c:?}"
            );
        }
    }
    for p in [Plan::Free, Plan::Standard, Plan::Premium, Plan::Enterprise] {
        assert!(plans.contains(&p), "no example for {p:?}");
    }
    assert!(with_trial >= 2, "trials on at least two lower plans");
}

#[test]
fn free_contributes_in_app_data_by_default() {
    let checks = posture_json("free.toml", "2026-06-01");
    assert_eq!(status(&checks, "in_app_contribution"), "action");
    assert_eq!(status(&checks, "metadata_contribution"), "attention");
    assert_eq!(status(&checks, "trial_fallback"), "ok");
    assert!(text(check(&checks, "trial_fallback")).contains("No trial"));
}

#[test]
fn standard_in_app_is_on_by_default_and_due_when_contribution_starts() {
    let checks = posture_json("standard.toml", "2026-06-01");
    let in_app = check(&checks, "in_app_contribution");
    assert_eq!(in_app["status"], "action");
    assert_eq!(in_app["due"], "2026-08-17");
    let t = text(in_app);
    assert!(t.contains("on (by default on the Standard plan)"), "{t}");
    assert!(t.contains("Before 2026-08-17"), "{t}");
    assert!(t.contains("switch in-app data contribution off"), "{t}");
    // The site from the org file goes into the suggested command.
    assert!(
        t.contains("withhold scan --site https://acme.atlassian.net"),
        "{t}"
    );

    let meta = check(&checks, "metadata_contribution");
    assert_eq!(meta["status"], "attention");
    let t = text(meta);
    for word in [
        "always contributed",
        "readability",
        "story points",
        "SLAs",
        "names of spaces and projects",
    ] {
        assert!(t.contains(word), "{word}: {t}");
    }
    assert_eq!(status(&checks, "data_residency"), "ok");
    assert_eq!(status(&checks, "several_organizations"), "ok");
    // Without a scan, new containers and connectors cannot be known.
    assert_eq!(status(&checks, "new_containers"), "attention");
    assert_eq!(status(&checks, "synced_connectors"), "attention");
    assert!(text(check(&checks, "synced_connectors")).contains("--connectors"));
    assert!(text(check(&checks, "new_containers")).contains("--fail-on high"));
}

#[test]
fn after_contribution_started_the_action_is_due_now() {
    let checks = posture_json("standard.toml", "2026-09-01");
    let in_app = check(&checks, "in_app_contribution");
    assert_eq!(in_app["due"], "2026-09-01");
    let t = text(in_app);
    assert!(t.contains("since 2026-08-17"), "{t}");
    assert!(t.contains("Now:"), "{t}");
}

#[test]
fn premium_in_app_is_off_by_default() {
    let checks = posture_json("premium.toml", "2026-06-01");
    let in_app = check(&checks, "in_app_contribution");
    assert_eq!(in_app["status"], "ok");
    assert_eq!(in_app["due"], Value::Null);
    let t = text(in_app);
    assert!(t.contains("off (by default on the Premium plan)"), "{t}");
    assert!(t.contains("included items are the exception"), "{t}");
    assert!(t.contains("empty, or review it"), "{t}");
    assert_eq!(status(&checks, "metadata_contribution"), "attention");
}

#[test]
fn premium_with_in_app_switched_on_and_two_organizations() {
    let checks = posture_json("premium-in-app-on.toml", "2026-06-01");
    let in_app = check(&checks, "in_app_contribution");
    assert_eq!(in_app["status"], "action");
    assert!(text(in_app).contains("on (set by an admin)"));
    let orgs = check(&checks, "several_organizations");
    assert_eq!(orgs["status"], "attention");
    let t = text(orgs);
    assert!(t.contains("2 Atlassian organizations"), "{t}");
    assert!(t.contains("own Data contribution settings"), "{t}");
    assert!(t.contains("repeat the settings and exclusions"), "{t}");
}

#[test]
fn standard_with_premium_trial_ending_in_10_days() {
    let checks = posture_json("standard-premium-trial.toml", "2026-12-05");
    // During the trial Premium's defaults apply: in-app off, but the fallback is noted.
    let in_app = check(&checks, "in_app_contribution");
    assert_eq!(in_app["status"], "ok");
    let t = text(in_app);
    assert!(
        t.contains("while the Confluence Premium trial lasts"),
        "{t}"
    );
    assert!(t.contains("Standard default applies"), "{t}");

    let trial = check(&checks, "trial_fallback");
    assert_eq!(trial["status"], "action");
    assert_eq!(trial["due"], "2026-12-15");
    let t = text(trial);
    assert!(t.contains("10 days left"), "{t}");
    assert!(t.contains("falls back to Standard's defaults"), "{t}");
    assert!(t.contains("switches on without notice"), "{t}");
    assert!(
        t.contains("Before 2026-12-15: set in-app data contribution explicitly (off, or on with the exclusions) and re-check on 2026-12-16"),
        "{t}"
    );
}

#[test]
fn a_trial_far_from_its_end_needs_attention_only() {
    let checks = posture_json("standard-premium-trial.toml", "2026-06-01");
    let trial = check(&checks, "trial_fallback");
    assert_eq!(trial["status"], "attention");
    assert_eq!(trial["due"], "2026-12-15");
    assert!(text(trial).contains("197 days left"));
}

#[test]
fn an_ended_trial_leaves_standard_defaults_in_force() {
    let checks = posture_json("standard-premium-trial.toml", "2027-01-05");
    let in_app = check(&checks, "in_app_contribution");
    assert_eq!(in_app["status"], "action");
    assert!(text(in_app).contains("since the Confluence Premium trial ended on 2026-12-15"));
    let trial = check(&checks, "trial_fallback");
    assert_eq!(trial["status"], "action");
    let t = text(trial);
    assert!(t.contains("ended on 2026-12-15 (21 days ago)"), "{t}");
    assert!(t.contains("back on Standard's defaults"), "{t}");
}

#[test]
fn enterprise_metadata_on_can_be_switched_off() {
    let checks = posture_json("enterprise.toml", "2026-06-01");
    assert_eq!(status(&checks, "in_app_contribution"), "ok");
    let meta = check(&checks, "metadata_contribution");
    assert_eq!(meta["status"], "attention");
    let t = text(meta);
    assert!(t.contains("can be switched off"), "{t}");
    assert!(
        t.contains("decide whether to switch metadata contribution off"),
        "{t}"
    );
}

#[test]
fn residency_lists_the_questions_to_ask_in_writing() {
    let checks = posture_json("enterprise-residency.toml", "2026-06-01");
    assert_eq!(status(&checks, "metadata_contribution"), "ok");
    assert_eq!(status(&checks, "several_organizations"), "attention");
    let res = check(&checks, "data_residency");
    assert_eq!(res["status"], "attention");
    assert_eq!(res["due"], "2026-08-17");
    let t = text(res);
    for q in [
        "at rest",
        "in writing",
        "leave the EU realm",
        "trained and hosted",
        "7 years",
        "de-identified inside the EU realm",
        "DPA",
    ] {
        assert!(t.contains(q), "{q}: {t}");
    }
}

#[test]
fn enterprise_trial_on_premium_takes_metadata_off_only_while_it_lasts() {
    let during = posture_json("premium-enterprise-trial.toml", "2026-06-01");
    assert_eq!(status(&during, "metadata_contribution"), "ok");
    let trial = check(&during, "trial_fallback");
    assert_eq!(trial["status"], "attention");
    assert!(text(trial).contains("contributed again"));

    let after = posture_json("premium-enterprise-trial.toml", "2026-11-15");
    let meta = check(&after, "metadata_contribution");
    assert_eq!(meta["status"], "action");
    assert!(text(meta).contains("metadata is contributed again"));
    assert_eq!(status(&after, "trial_fallback"), "action");
}

#[test]
fn text_output_has_heading_statuses_and_due_dates() {
    let org = example("standard-premium-trial.toml");
    let o = withhold(&[
        "posture",
        "--org",
        org.to_str().expect("utf-8 path"),
        "--today",
        "2026-12-05",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.starts_with(
            "Data contribution posture: Acme Corp (Standard plan), checked on 2026-12-05"
        ),
        "{out}"
    );
    assert!(
        out.contains("\n[OK] In-app data is not contributed\n"),
        "{out}"
    );
    assert!(
        out.contains("\n[ACTION] Confluence Premium trial ends 2026-12-15\n"),
        "{out}"
    );
    assert!(out.contains("\n[ATTENTION] "), "{out}");
    assert!(
        out.contains("re-check on 2026-12-16. (due 2026-12-15)\n"),
        "{out}"
    );
    assert!(out.contains("\n  → "), "{out}");
}

// ---- with scan facts (library) ----

fn cref(product: &str, key: &str, name: &str) -> ContainerRef {
    ContainerRef {
        product: product.into(),
        key: key.into(),
        name: name.into(),
    }
}

fn facts() -> ScanFacts {
    ScanFacts {
        scanned_at: Some(day("2026-05-31")),
        to_exclude: vec![
            cref("confluence", "PAY", "Payroll"),
            cref("confluence", "HR", "HR Cases"),
            cref("jira", "LEGAL", "Legal Matters"),
            cref("confluence", "NWM", "Northwind Migration"),
            cref("confluence", "SEC", "Security Runbooks"),
            cref("jira", "FIN", "Finance Ops"),
            cref("confluence", "CLI", "Client Files"),
        ],
        to_review: vec![
            cref("confluence", "ENG", "Engineering"),
            cref("jira", "OPS", "Operations"),
        ],
        metadata_exposures: vec![MetadataExposureRef {
            product: "confluence".into(),
            key: "NWM".into(),
            name: "Northwind Migration".into(),
            what: "a client name (Northwind Traders)".into(),
        }],
        recent_containers: vec![
            RecentContainer {
                product: "confluence".into(),
                key: "NEW".into(),
                name: "Q3 Launch".into(),
                created: day("2026-05-27"),
            },
            RecentContainer {
                product: "confluence".into(),
                key: "OLD".into(),
                name: "Archive 2025".into(),
                created: day("2026-04-17"),
            },
        ],
        synced_connectors: vec![
            ConnectorRef {
                name: "Sales Drive".into(),
                kind: "Google Drive".into(),
                sync: "synced".into(),
                recommendation: "exclude".into(),
            },
            ConnectorRef {
                name: "CRM".into(),
                kind: "Salesforce".into(),
                sync: "synced".into(),
                recommendation: "review".into(),
            },
        ],
        other_connectors: vec![ConnectorRef {
            name: "Code".into(),
            kind: "GitHub".into(),
            sync: "direct".into(),
            recommendation: "keep".into(),
        }],
        apps_to_exclude: vec!["Jira Service Management".into()],
    }
}

fn standard() -> OrgProfile {
    OrgProfile::from_file(&example("standard.toml")).expect("standard.toml")
}

#[test]
fn in_app_on_with_facts_names_the_exclusions() {
    let checks = assess(&standard(), Some(&facts()), day("2026-06-01"));
    let c = lib_check(&checks, "in_app_contribution");
    assert_eq!(c.status, CheckStatus::Action);
    assert!(
        c.finding.contains("excluding 7 spaces and projects (Payroll (PAY), HR Cases (HR), Legal Matters (LEGAL), Northwind Migration (NWM), Security Runbooks (SEC) and 2 more) and reviewing 2"),
        "{}",
        c.finding
    );
    let r = &c.recommendation;
    assert!(
        r.contains("exclude these 7 spaces and projects on the Spaces tab"),
        "{r}"
    );
    assert!(
        r.contains("Jira Service Management on the Atlassian apps tab"),
        "{r}"
    );
    assert!(r.contains("or switch in-app data contribution off"), "{r}");
    // Jira projects among the exclusions: the Spaces tab caveat.
    assert!(r.contains("Jira projects are now called spaces"), "{r}");
}

#[test]
fn in_app_off_with_facts_keeps_them_off_the_include_list() {
    let org = OrgProfile::from_file(&example("premium.toml")).expect("premium.toml");
    let checks = assess(&org, Some(&facts()), day("2026-06-01"));
    let c = lib_check(&checks, "in_app_contribution");
    assert_eq!(c.status, CheckStatus::Ok);
    assert!(
        c.recommendation
            .contains("none of the 7 spaces and projects the scan recommends excluding"),
        "{}",
        c.recommendation
    );
}

#[test]
fn metadata_exposures_are_listed_for_renaming() {
    let checks = assess(&standard(), Some(&facts()), day("2026-06-01"));
    let c = lib_check(&checks, "metadata_contribution");
    assert_eq!(c.status, CheckStatus::Action);
    assert_eq!(c.due, Some(day("2026-08-17")));
    assert!(
        c.finding
            .contains("Northwind Migration (NWM) contains a client name (Northwind Traders)"),
        "{}",
        c.finding
    );
    assert!(
        c.recommendation
            .contains("rename this space or project so that no name carries a sensitive value: Northwind Migration (NWM)"),
        "{}",
        c.recommendation
    );
    assert!(c.recommendation.contains("excluding is not enough"));

    // On Enterprise with metadata on, exposures also call for action, or switching it off.
    let ent = OrgProfile::from_file(&example("enterprise.toml")).expect("enterprise.toml");
    let checks = assess(&ent, Some(&facts()), day("2026-06-01"));
    let c = lib_check(&checks, "metadata_contribution");
    assert_eq!(c.status, CheckStatus::Action);
    assert!(c.recommendation.contains("If you keep it on, rename"));
}

#[test]
fn a_clean_scan_leaves_metadata_at_attention() {
    let f = ScanFacts {
        to_exclude: vec![cref("confluence", "PAY", "Payroll")],
        ..ScanFacts::default()
    };
    let checks = assess(&standard(), Some(&f), day("2026-06-01"));
    let c = lib_check(&checks, "metadata_contribution");
    assert_eq!(c.status, CheckStatus::Attention);
    assert!(c
        .finding
        .contains("no sensitive value in space or project names"));
}

#[test]
fn only_containers_created_in_the_last_30_days_are_new() {
    let checks = assess(&standard(), Some(&facts()), day("2026-06-01"));
    let c = lib_check(&checks, "new_containers");
    assert_eq!(c.status, CheckStatus::Attention);
    assert!(
        c.finding.contains(
            "Created in the 30 days before 2026-06-01: Q3 Launch (NEW) on 2026-05-27 (5 days ago)."
        ),
        "{}",
        c.finding
    );
    assert!(!c.finding.contains("Archive 2025"), "{}", c.finding);
    assert!(c
        .finding
        .contains("Jira does not report when a project was created"));
    assert!(c.recommendation.contains("--fail-on high"));
    assert_eq!(c.due, Some(day("2026-06-08")));

    // A scan with no recent container: ok, and the schedule is still recommended.
    let f = ScanFacts {
        recent_containers: vec![facts().recent_containers[1].clone()],
        ..ScanFacts::default()
    };
    let checks = assess(&standard(), Some(&f), day("2026-06-01"));
    let c = lib_check(&checks, "new_containers");
    assert_eq!(c.status, CheckStatus::Ok);
    assert!(c.recommendation.contains("Rescan weekly"));
}

#[test]
fn an_old_scan_is_said_to_be_old() {
    let f = ScanFacts {
        scanned_at: Some(day("2026-05-01")),
        ..ScanFacts::default()
    };
    let checks = assess(&standard(), Some(&f), day("2026-06-01"));
    let c = lib_check(&checks, "new_containers");
    assert!(
        c.finding
            .contains("The scan is from 2026-05-01 (31 days old)"),
        "{}",
        c.finding
    );
}

#[test]
fn synced_connectors_are_listed_with_their_recommendation() {
    let checks = assess(&standard(), Some(&facts()), day("2026-06-01"));
    let c = lib_check(&checks, "synced_connectors");
    assert_eq!(c.status, CheckStatus::Action);
    assert!(
        c.finding
            .contains("Synced: Sales Drive (Google Drive): exclude, CRM (Salesforce): review."),
        "{}",
        c.finding
    );
    assert!(c.finding.contains("Code (direct)"), "{}", c.finding);
    assert!(c.finding.contains("store nothing"), "{}", c.finding);
    assert!(
        c.recommendation
            .contains("Teamwork Graph connectors tab of Atlassian Administration → Security → Data contribution, exclude Sales Drive (Google Drive)"),
        "{}",
        c.recommendation
    );
    assert!(c.recommendation.contains("Review CRM (Salesforce)"));

    // With in-app off, synced connectors only matter if included.
    let org = OrgProfile::from_file(&example("premium.toml")).expect("premium.toml");
    let checks = assess(&org, Some(&facts()), day("2026-06-01"));
    let c = lib_check(&checks, "synced_connectors");
    assert_eq!(c.status, CheckStatus::Attention);
    assert!(c.recommendation.contains("off the include list"));
}

#[test]
fn no_connectors_in_the_scan_asks_for_the_inventory() {
    let checks = assess(&standard(), Some(&ScanFacts::default()), day("2026-06-01"));
    let c = lib_check(&checks, "synced_connectors");
    assert_eq!(c.status, CheckStatus::Attention);
    assert!(c.recommendation.contains("--connectors"));

    let f = ScanFacts {
        other_connectors: facts().other_connectors,
        ..ScanFacts::default()
    };
    let checks = assess(&standard(), Some(&f), day("2026-06-01"));
    assert_eq!(
        lib_check(&checks, "synced_connectors").status,
        CheckStatus::Ok
    );
}

#[test]
fn settings_follow_the_file_and_the_defaults() {
    let org = OrgProfile::from_toml("t.toml", "name = 'T'\nplan = 'premium'\nin_app = 'on'\n")
        .expect("valid");
    assert_eq!(org.in_app, Some(Toggle::On));
    assert_eq!(org.organizations, 1);
    assert!(org.trials.is_empty());
}

// ---- scan summaries ----

#[test]
fn a_summary_without_verdicts_gives_no_facts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("summary.json");
    std::fs::write(&path, r#"{"totals": {"findings": 3}, "containers": []}"#).expect("write");
    assert_eq!(facts_from_summary(&path).expect("reads"), None);

    let org = example("standard.toml");
    let o = withhold(&[
        "posture",
        "--org",
        org.to_str().expect("utf-8 path"),
        "--scan",
        dir.path().to_str().expect("utf-8 path"),
        "--today",
        "2026-06-01",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("no verdicts"), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(v.as_array().map(Vec::len), Some(7));
}

#[test]
fn a_summary_with_verdicts_feeds_the_checks() {
    // The summary.json of a real scan of the demo, as `posture --scan` reads it.
    let dir = tempfile::tempdir().expect("tempdir");
    let scan = Command::new(env!("CARGO_BIN_EXE_withhold"))
        .args(["scan", "--demo", "--offline", "--quiet", "--out"])
        .arg(dir.path())
        .env("WITHHOLD_KEY_FILE", dir.path().join("key"))
        .output()
        .expect("the binary runs");
    assert_eq!(scan.status.code(), Some(0), "{}", stderr(&scan));
    let f = facts_from_summary(&dir.path().join("summary.json"))
        .expect("reads")
        .expect("has verdicts");
    assert!(f.scanned_at.is_some());
    // The demo's payment and people spaces are to exclude; apps are not spaces.
    assert!(
        f.to_exclude.contains(&cref("jira", "PAY", "Payments")),
        "{:?}",
        f.to_exclude
    );
    assert!(f
        .to_exclude
        .contains(&cref("confluence", "HR", "People Team")));
    assert!(f.to_exclude.iter().all(|c| c.product != "connector"));
    assert!(
        f.apps_to_exclude.contains(&"Jira".to_string()),
        "{:?}",
        f.apps_to_exclude
    );
    // The one name holding a client name, and the synced connectors of the inventory.
    assert_eq!(f.metadata_exposures.len(), 1, "{:?}", f.metadata_exposures);
    assert_eq!(f.metadata_exposures[0].key, "NWM");
    assert!(f.metadata_exposures[0].what.contains("Northwind Traders"));
    let synced: Vec<&str> = f
        .synced_connectors
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert!(
        synced.contains(&"Salesforce") && synced.contains(&"Google Drive"),
        "{synced:?}"
    );
    assert!(f.other_connectors.iter().any(|c| c.name == "Slack"));
    // Confluence reports creation dates: the demo's spaces were made in January 2026.
    let eng = f
        .recent_containers
        .iter()
        .find(|c| c.key == "ENG")
        .expect("ENG has a creation date");
    assert_eq!(eng.created, day("2026-01-30"));

    let org = example("standard.toml");
    let o = withhold(&[
        "posture",
        "--org",
        org.to_str().expect("utf-8 path"),
        "--scan",
        dir.path().to_str().expect("utf-8 path"),
        "--today",
        "2026-02-01",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    let excluded = format!("excluding {} spaces and projects (", f.to_exclude.len());
    assert!(out.contains(&excluded), "{out}");
    assert!(
        out.contains("Engineering (ENG) on 2026-01-30 (2 days ago)"),
        "{out}"
    );
    assert!(out.contains("exclude Salesforce (salesforce)"), "{out}");
}

#[test]
fn a_scan_directory_without_summary_exits_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let org = example("standard.toml");
    let o = withhold(&[
        "posture",
        "--org",
        org.to_str().expect("utf-8 path"),
        "--scan",
        dir.path().to_str().expect("utf-8 path"),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("no summary.json"), "{}", stderr(&o));
}

// ---- bad org files ----

/// Write `org.toml` into a temp dir, run posture on it there, expect exit 2; the stderr.
fn refused(toml: &str) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("org.toml"), toml).expect("write");
    let o = Command::new(env!("CARGO_BIN_EXE_withhold"))
        .args(["posture", "--org", "org.toml", "--today", "2026-06-01"])
        .current_dir(dir.path())
        .output()
        .expect("the binary runs");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(o.stdout.is_empty(), "nothing printed on stdout");
    stderr(&o)
}

#[test]
fn unknown_plan_names_file_line_and_column() {
    let err = refused("name = \"Acme\"\n\nplan = \"pro\"\n");
    assert!(err.contains("org.toml: line 3, column 8: "), "{err}");
    assert!(err.contains("unknown variant `pro`"), "{err}");
    assert!(
        err.contains("`free`, `standard`, `premium`, `enterprise`"),
        "{err}"
    );
}

#[test]
fn trial_not_higher_than_the_plan_names_the_field() {
    let err = refused(
        "name = \"Acme\"\nplan = \"premium\"\n\n[[trial]]\nplan = \"standard\"\nends = \"2026-12-15\"\n",
    );
    assert!(err.contains("org.toml: line 5: trial.plan: "), "{err}");
    assert!(
        err.contains("must be higher than the organization's plan (premium)"),
        "{err}"
    );
}

#[test]
fn metadata_off_below_enterprise_says_why() {
    let err = refused("name = \"Acme\"\nplan = \"standard\"\nmetadata = \"off\"\n");
    assert!(err.contains("org.toml: line 3: metadata: "), "{err}");
    assert!(err.contains("only possible on Enterprise"), "{err}");
    assert!(err.contains("always contributes metadata"), "{err}");
}

#[test]
fn metadata_off_is_possible_with_an_enterprise_trial() {
    let org = OrgProfile::from_toml(
        "t.toml",
        "name = 'T'\nplan = 'premium'\nmetadata = 'off'\n[[trial]]\nplan = 'enterprise'\nends = '2026-10-31'\n",
    )
    .expect("valid with an Enterprise trial");
    assert_eq!(org.metadata, Some(Toggle::Off));
}

#[test]
fn unknown_key_names_the_line() {
    let err = refused("name = \"Acme\"\nplan = \"standard\"\ncolour = \"blue\"\n");
    assert!(err.contains("org.toml: line 3, column 1: "), "{err}");
    assert!(err.contains("unknown field `colour`"), "{err}");
}

#[test]
fn unknown_key_in_a_trial_names_the_line() {
    let err = refused(
        "name = \"Acme\"\nplan = \"standard\"\n[[trial]]\nplan = \"premium\"\nuntil = \"2026-12-15\"\n",
    );
    assert!(err.contains("org.toml: line 5"), "{err}");
    assert!(err.contains("unknown field `until`"), "{err}");
}

#[test]
fn zero_organizations_and_bad_dates_are_refused() {
    let err = refused("name = \"Acme\"\nplan = \"standard\"\norganizations = 0\n");
    assert!(
        err.contains("org.toml: line 3: organizations: must be at least 1"),
        "{err}"
    );

    let err = refused(
        "name = \"Acme\"\nplan = \"standard\"\n[[trial]]\nplan = \"premium\"\nends = \"15/12/2026\"\n",
    );
    assert!(err.contains("org.toml: line 5"), "{err}");
    assert!(err.contains("YYYY-MM-DD"), "{err}");

    let err = refused("name = \"Acme\"\n");
    assert!(err.contains("org.toml: line 1"), "{err}");
    assert!(err.contains("missing field `plan`"), "{err}");
}

#[test]
fn a_missing_org_file_and_a_bad_today_exit_2() {
    let o = withhold(&["posture", "--org", "/nonexistent/org.toml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("/nonexistent/org.toml"),
        "{}",
        stderr(&o)
    );

    let org = example("standard.toml");
    let o = withhold(&[
        "posture",
        "--org",
        org.to_str().expect("utf-8 path"),
        "--today",
        "tomorrow",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("YYYY-MM-DD"), "{}", stderr(&o));
}
