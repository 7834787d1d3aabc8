//! The data-contribution posture: what Atlassian will take from this organization for AI, given its
//! plan, trials and settings, and what to do about it, check by check, with dates.
//!
//! This module owns the org file (its format, parsing and validation), the facts a scan can add
//! ([`ScanFacts`], read from a scan's `summary.json` by [`facts_from_summary`]), and [`assess`],
//! which turns both into [`PostureCheck`]s. It makes no network calls: Atlassian has no API for the
//! data-contribution settings, so the admin describes them in the org file.
//!
//! # The org file (TOML)
//!
//! ```toml
//! name = "Acme Corp"
//! plan = "standard"            # the organization's highest plan: free | standard | premium | enterprise
//! in_app = "on"                # current in-app data contribution setting, if known (default: the plan's default)
//! metadata = "on"              # only Enterprise can switch it off
//! organizations = 1            # how many Atlassian organizations the company has (default 1)
//! data_residency = "EU"        # optional: the pinned realm
//! sites = ["https://acme.atlassian.net"]   # optional: used in the commands the checks suggest
//!
//! [[trial]]                    # zero or more trials of a higher plan
//! plan = "premium"
//! product = "confluence"       # optional
//! ends = "2026-12-15"          # last day of the trial (a TOML date without quotes works too)
//! ```
//!
//! Defaults by the organization's highest plan (Atlassian, Security → Data contribution):
//!
//! | plan           | metadata                  | in-app data        |
//! |----------------|---------------------------|--------------------|
//! | Free, Standard | always contributed        | on (can switch off) |
//! | Premium        | always contributed        | off (can switch on) |
//! | Enterprise     | on (can switch off)       | off                |
//!
//! While a trial of a higher plan runs, that plan's defaults apply; when it ends the organization
//! falls back to its own plan's defaults. A trial lasts through its `ends` day.

use crate::model::ContainerKind;
use crate::rank::{describe_exposure, Recommendation, Verdict};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;
use std::path::Path;
use toml::Spanned;

/// The day Atlassian starts using contributed data to improve its AI.
pub const CONTRIBUTION_STARTS: Date = jiff::civil::date(2026, 8, 17);

/// A container created this many days before the check counts as new; also the delay after
/// which a newly added Atlassian app starts contributing.
const NEW_WINDOW_DAYS: i64 = 30;

/// A trial ending within this many days (or already ended) needs action now.
const TRIAL_ACTION_DAYS: i64 = 30;

/// How many names a finding lists before saying "and N more": enough to recognise the list,
/// short enough to read aloud in a meeting.
const NAMES_SHOWN: usize = 5;

/// Where the settings live, in the words of Atlassian's admin UI.
const SETTINGS: &str = "Atlassian Administration → Security → Data contribution";

/// An Atlassian plan, lowest first (the derived order is the tier order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Plan {
    Free,
    Standard,
    Premium,
    Enterprise,
}

impl Plan {
    /// The name as Atlassian writes it.
    pub fn label(self) -> &'static str {
        match self {
            Plan::Free => "Free",
            Plan::Standard => "Standard",
            Plan::Premium => "Premium",
            Plan::Enterprise => "Enterprise",
        }
    }

    /// The in-app data contribution setting an organization gets if nobody changes it.
    pub fn default_in_app(self) -> Toggle {
        match self {
            Plan::Free | Plan::Standard => Toggle::On,
            Plan::Premium | Plan::Enterprise => Toggle::Off,
        }
    }

    /// Whether metadata contribution can be switched off at all (only Enterprise).
    pub fn metadata_switchable(self) -> bool {
        self == Plan::Enterprise
    }
}

/// A setting's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Toggle {
    On,
    Off,
}

impl Toggle {
    pub fn as_str(self) -> &'static str {
        match self {
            Toggle::On => "on",
            Toggle::Off => "off",
        }
    }
}

/// A trial of a higher plan than the organization's own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Trial {
    pub plan: Plan,
    /// The product on trial (`confluence`, `jira`, …), when the admin named one.
    pub product: Option<String>,
    /// The trial's last day.
    pub ends: Date,
}

impl Trial {
    /// Whether the trial still runs on `day` (it lasts through its end date).
    pub fn active_on(&self, day: Date) -> bool {
        day <= self.ends
    }

    /// "Confluence Premium trial" / "Premium trial".
    pub fn label(&self) -> String {
        match &self.product {
            Some(p) => format!("{} {} trial", product_label(p), self.plan.label()),
            None => format!("{} trial", self.plan.label()),
        }
    }
}

/// The organization as its admin describes it (the org file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrgProfile {
    pub name: String,
    /// The organization's highest plan.
    pub plan: Plan,
    /// The current in-app data contribution setting, when the admin knows it; `None` means the
    /// defaults of the plan in force apply.
    pub in_app: Option<Toggle>,
    /// The metadata contribution setting, when stated (`Off` only possible on Enterprise).
    pub metadata: Option<Toggle>,
    pub trials: Vec<Trial>,
    /// The pinned data residency realm, e.g. `EU`.
    pub data_residency: Option<String>,
    /// How many Atlassian organizations the company has.
    pub organizations: u32,
    /// The sites' URLs, used in the commands the checks suggest.
    pub sites: Vec<String>,
}

/// Whether a setting's value was chosen by an admin or comes from a plan's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Chosen,
    Default(Plan),
}

impl OrgProfile {
    /// Read and validate an org file; errors name the file.
    pub fn from_file(path: &Path) -> Result<OrgProfile, PostureError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| PostureError::Read {
            file: name.clone(),
            source,
        })?;
        Self::from_toml(&name, &text)
    }

    /// Parse and validate an org file's text; `name_for_errors` names it in errors.
    pub fn from_toml(name_for_errors: &str, text: &str) -> Result<OrgProfile, PostureError> {
        let file = name_for_errors.to_string();
        let raw: RawOrg = toml::from_str(text).map_err(|e| {
            let (line, column) = e.span().map(|s| line_col(text, s.start)).unwrap_or((1, 1));
            PostureError::Parse {
                file: file.clone(),
                line,
                column,
                message: e.message().trim().to_string(),
            }
        })?;
        let invalid =
            |span: std::ops::Range<usize>, field: &str, reason: String| PostureError::Invalid {
                file: file.clone(),
                line: line_col(text, span.start).0,
                field: field.to_string(),
                reason,
            };

        let name = raw.name.get_ref().trim().to_string();
        if name.is_empty() {
            return Err(invalid(
                raw.name.span(),
                "name",
                "must not be empty: it heads the report".into(),
            ));
        }
        let plan = raw.plan;

        let mut trials = Vec::with_capacity(raw.trial.len());
        for t in raw.trial {
            let t = t.into_inner();
            let trial_plan = *t.plan.get_ref();
            if trial_plan <= plan {
                return Err(invalid(
                    t.plan.span(),
                    "trial.plan",
                    format!(
                        "a trial's plan must be higher than the organization's plan ({}), and {} is not: only a higher plan's trial changes the defaults",
                        plan.label().to_lowercase(),
                        trial_plan.label().to_lowercase()
                    ),
                ));
            }
            let product = match t.product {
                Some(p) if p.get_ref().trim().is_empty() => {
                    return Err(invalid(
                        p.span(),
                        "trial.product",
                        "must not be empty (leave it out if the trial covers the organization)"
                            .into(),
                    ))
                }
                Some(p) => Some(p.into_inner().trim().to_string()),
                None => None,
            };
            trials.push(Trial {
                plan: trial_plan,
                product,
                ends: t.ends.0,
            });
        }
        // Soonest end first: that is the order in which the defaults change.
        trials.sort_by_key(|t| t.ends);

        let metadata = match raw.metadata {
            Some(m) => {
                let value = *m.get_ref();
                let enterprise_somewhere =
                    plan == Plan::Enterprise || trials.iter().any(|t| t.plan == Plan::Enterprise);
                if value == Toggle::Off && !enterprise_somewhere {
                    return Err(invalid(
                        m.span(),
                        "metadata",
                        format!(
                            "\"off\" is only possible on Enterprise: on the Free, Standard and Premium plans Atlassian always contributes metadata, so a {} organization cannot have it off",
                            plan.label()
                        ),
                    ));
                }
                Some(value)
            }
            None => None,
        };

        let organizations = match raw.organizations {
            Some(n) if *n.get_ref() == 0 => {
                return Err(invalid(
                    n.span(),
                    "organizations",
                    "must be at least 1 (the organization this file describes)".into(),
                ))
            }
            Some(n) => n.into_inner(),
            None => 1,
        };

        let data_residency = match raw.data_residency {
            Some(r) if r.get_ref().trim().is_empty() => {
                return Err(invalid(
                    r.span(),
                    "data_residency",
                    "must name the realm (e.g. \"EU\") or be left out".into(),
                ))
            }
            Some(r) => Some(r.into_inner().trim().to_string()),
            None => None,
        };

        let mut sites = Vec::with_capacity(raw.sites.len());
        for s in raw.sites {
            let url = s.get_ref().trim();
            if url.is_empty() {
                return Err(invalid(
                    s.span(),
                    "sites",
                    "a site must not be empty".into(),
                ));
            }
            sites.push(url.to_string());
        }

        Ok(OrgProfile {
            name,
            plan,
            in_app: raw.in_app,
            metadata,
            trials,
            data_residency,
            organizations,
            sites,
        })
    }

    /// The trial whose defaults apply on `day`: the highest plan among the trials still running.
    pub fn active_trial(&self, day: Date) -> Option<&Trial> {
        self.trials
            .iter()
            .filter(|t| t.active_on(day))
            .max_by_key(|t| (t.plan, t.ends))
    }

    /// The plan whose defaults apply on `day`.
    pub fn effective_plan(&self, day: Date) -> Plan {
        self.active_trial(day).map_or(self.plan, |t| t.plan)
    }

    /// In-app data contribution on `day`, and whether an admin chose it.
    pub fn in_app_on(&self, day: Date) -> (Toggle, Origin) {
        match self.in_app {
            Some(t) => (t, Origin::Chosen),
            None => {
                let plan = self.effective_plan(day);
                (plan.default_in_app(), Origin::Default(plan))
            }
        }
    }

    /// Whether metadata is contributed on `day`, and whether an admin chose it. An `off` that the
    /// plan in force cannot have (an Enterprise trial ended) counts as on: Atlassian decides.
    pub fn metadata_on(&self, day: Date) -> (Toggle, Origin) {
        let plan = self.effective_plan(day);
        match self.metadata {
            Some(Toggle::Off) if plan.metadata_switchable() => (Toggle::Off, Origin::Chosen),
            Some(Toggle::On) => (Toggle::On, Origin::Chosen),
            _ => (Toggle::On, Origin::Default(plan)),
        }
    }

    /// The site to put in suggested commands.
    fn site_hint(&self) -> &str {
        self.sites
            .first()
            .map_or("https://YOUR-SITE.atlassian.net", String::as_str)
    }
}

/// The org file as written, with spans for the errors that validation reports.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOrg {
    name: Spanned<String>,
    plan: Plan,
    in_app: Option<Toggle>,
    metadata: Option<Spanned<Toggle>>,
    organizations: Option<Spanned<u32>>,
    data_residency: Option<Spanned<String>>,
    #[serde(default)]
    sites: Vec<Spanned<String>>,
    #[serde(default)]
    trial: Vec<Spanned<RawTrial>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTrial {
    plan: Spanned<Plan>,
    product: Option<Spanned<String>>,
    ends: TomlDate,
}

/// A date written either as a string (`"2026-12-15"`) or as a bare TOML date (`2026-12-15`):
/// admins write both, and both mean the same day.
#[derive(Debug)]
struct TomlDate(Date);

impl<'de> Deserialize<'de> for TomlDate {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let bad = |what: &str| {
            D::Error::custom(format!(
                "expected a date like \"2026-12-15\" (YYYY-MM-DD), found {what}"
            ))
        };
        match toml::Value::deserialize(d)? {
            toml::Value::String(s) => parse_ymd(&s).ok_or_else(|| bad(&format!("{s:?}"))),
            toml::Value::Datetime(dt) => match (dt.date, dt.time) {
                (Some(day), None) => i16::try_from(day.year)
                    .ok()
                    .and_then(|y| {
                        Date::new(
                            y,
                            i8::try_from(day.month).ok()?,
                            i8::try_from(day.day).ok()?,
                        )
                        .ok()
                    })
                    .map(TomlDate)
                    .ok_or_else(|| bad(&dt.to_string())),
                _ => Err(bad(&format!("{dt} (a date and time)"))),
            },
            other => Err(bad(other.type_str())),
        }
    }
}

/// Strictly `YYYY-MM-DD`: jiff alone would also take a date-time and drop the time, which would
/// hide a mistake in the file.
fn parse_ymd(s: &str) -> Option<TomlDate> {
    let s = s.trim();
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    s.parse::<Date>().ok().map(TomlDate)
}

/// Parse a `YYYY-MM-DD` date (command-line `--today`).
pub fn parse_date(s: &str) -> Result<Date, String> {
    parse_ymd(s)
        .map(|d| d.0)
        .ok_or_else(|| format!("expected a date like 2026-06-01 (YYYY-MM-DD), found {s:?}"))
}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Why an org file or a scan summary was refused. The message names the file and the line or field.
#[derive(Debug, thiserror::Error)]
pub enum PostureError {
    #[error("{file}: {source}")]
    Read {
        file: String,
        #[source]
        source: std::io::Error,
    },
    /// Not valid TOML, an unknown key or value, a missing field: the toml crate's message.
    #[error("{file}: line {line}, column {column}: {message}")]
    Parse {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    /// Valid TOML that describes an impossible organization.
    #[error("{file}: line {line}: {field}: {reason}")]
    Invalid {
        file: String,
        line: usize,
        field: String,
        reason: String,
    },
    /// A scan's summary.json that cannot be read as one.
    #[error("{file}: {reason}")]
    Summary { file: String, reason: String },
}

/// What a scan found, when the posture runs with one (all optional context).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScanFacts {
    pub scanned_at: Option<Date>,
    /// Containers the ranking recommends excluding, in rank order.
    pub to_exclude: Vec<ContainerRef>,
    pub to_review: Vec<ContainerRef>,
    /// Containers whose names or keys contain sensitive values.
    pub metadata_exposures: Vec<MetadataExposureRef>,
    /// Containers with a known creation date.
    pub recent_containers: Vec<RecentContainer>,
    /// Connectors with sync = synced, with their recommendation.
    pub synced_connectors: Vec<ConnectorRef>,
    pub other_connectors: Vec<ConnectorRef>,
    /// Atlassian apps to exclude: "Confluence", "Jira", "Jira Service Management".
    pub apps_to_exclude: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContainerRef {
    pub product: String,
    pub key: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MetadataExposureRef {
    pub product: String,
    pub key: String,
    pub name: String,
    /// What the name contains, already safe to show, e.g. "a client name (Northwind Traders)".
    pub what: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecentContainer {
    pub product: String,
    pub key: String,
    pub name: String,
    pub created: Date,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConnectorRef {
    pub name: String,
    /// What it connects: "Google Drive", "Salesforce", …
    pub kind: String,
    /// "synced", "direct", "smart_link".
    pub sync: String,
    /// "exclude", "review", "keep".
    pub recommendation: String,
}

/// How urgent a check is. Ordered: `Ok < Attention < Action`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    Ok,
    Attention,
    /// Do something now.
    Action,
}

impl CheckStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckStatus::Ok => "ok",
            CheckStatus::Attention => "attention",
            CheckStatus::Action => "action",
        }
    }
}

/// One finding about the posture, with what to do and by when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PostureCheck {
    /// Stable snake_case id; `trial_fallback` appears once per trial.
    pub id: &'static str,
    pub status: CheckStatus,
    pub title: String,
    pub finding: String,
    pub recommendation: String,
    pub due: Option<Date>,
}

/// The posture as a scan's outputs carry it: whose, on which day, and the checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PostureSection {
    pub organization: String,
    pub plan: &'static str,
    pub checked_on: Date,
    /// "Premium trial (Confluence) until 2026-12-15" while one runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trial: Option<String>,
    pub checks: Vec<PostureCheck>,
}

impl PostureSection {
    pub fn new(org: &OrgProfile, facts: Option<&ScanFacts>, today: Date) -> PostureSection {
        PostureSection {
            organization: org.name.clone(),
            plan: org.plan.label(),
            checked_on: today,
            trial: org
                .active_trial(today)
                .map(|t| format!("{} until {}", t.label(), t.ends)),
            checks: assess(org, facts, today),
        }
    }
}

impl PostureSection {
    /// How many checks have `status`.
    pub fn count(&self, status: CheckStatus) -> usize {
        self.checks.iter().filter(|c| c.status == status).count()
    }
}

/// Today in UTC: the day posture checks are made for unless one is given.
pub fn today_utc() -> Date {
    jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
}

/// Check the organization's posture on `today`, with what a scan found when there is one.
/// The checks come in a fixed order: in-app, metadata, trials, new containers, connectors,
/// data residency, several organizations.
pub fn assess(org: &OrgProfile, facts: Option<&ScanFacts>, today: Date) -> Vec<PostureCheck> {
    let mut checks = vec![
        in_app_contribution(org, facts, today),
        metadata_contribution(org, facts, today),
    ];
    checks.extend(trial_fallback(org, today));
    checks.push(new_containers(org, facts, today));
    checks.push(synced_connectors(org, facts, today));
    checks.push(data_residency(org, today));
    checks.push(several_organizations(org, today));
    checks
}

/// Days from `from` to `to` (negative when `to` is earlier).
fn days_between(from: Date, to: Date) -> i64 {
    // Date::until in days cannot overflow between two valid dates; 0 is an unreachable fallback.
    from.until(to).map_or(0, |s| i64::from(s.get_days()))
}

fn plus_days(day: Date, n: i64) -> Date {
    day.saturating_add(jiff::Span::new().days(n))
}

fn days(n: i64) -> String {
    if n == 1 {
        "1 day".to_string()
    } else {
        format!("{n} days")
    }
}

/// "Before 2026-08-17" while contribution has not started, "Now" after.
fn deadline_words(today: Date) -> String {
    if today < CONTRIBUTION_STARTS {
        format!("Before {CONTRIBUTION_STARTS}")
    } else {
        "Now".to_string()
    }
}

/// The due date of something to do before contribution starts (or at once, once it has).
fn deadline(today: Date) -> Date {
    today.max(CONTRIBUTION_STARTS)
}

/// A sentence about when Atlassian starts (or started) using the data.
fn start_sentence(today: Date) -> String {
    if today < CONTRIBUTION_STARTS {
        format!(
            "Atlassian starts using contributed data on {CONTRIBUTION_STARTS} ({} from {today}).",
            days(days_between(today, CONTRIBUTION_STARTS))
        )
    } else {
        format!("Atlassian has been using contributed data since {CONTRIBUTION_STARTS}.")
    }
}

fn product_label(p: &str) -> String {
    match p.to_ascii_lowercase().as_str() {
        "confluence" => "Confluence".into(),
        "jira" => "Jira".into(),
        "jsm" | "jira service management" | "jira_service_management" => {
            "Jira Service Management".into()
        }
        _ => p.to_string(),
    }
}

fn container_label(name: &str, key: &str) -> String {
    if key.is_empty() || key == name {
        name.to_string()
    } else {
        format!("{name} ({key})")
    }
}

/// "A, B, C and 2 more".
fn list_names(names: &[String]) -> String {
    let shown: Vec<&str> = names.iter().take(NAMES_SHOWN).map(String::as_str).collect();
    let rest = names.len().saturating_sub(NAMES_SHOWN);
    let mut out = shown.join(", ");
    if rest > 0 {
        let _ = write!(out, " and {rest} more");
    }
    out
}

fn refs_names(refs: &[ContainerRef]) -> Vec<String> {
    refs.iter()
        .map(|c| container_label(&c.name, &c.key))
        .collect()
}

/// "3 spaces and projects" / "1 space or project".
fn containers_count(n: usize) -> String {
    if n == 1 {
        "1 space or project".to_string()
    } else {
        format!("{n} spaces and projects")
    }
}

/// "this space or project" / "these 3 spaces and projects".
fn these(n: usize) -> String {
    if n == 1 {
        "this space or project".to_string()
    } else {
        format!("these {n} spaces and projects")
    }
}

fn is_jira(product: &str) -> bool {
    matches!(product.to_ascii_lowercase().as_str(), "jira" | "jsm")
}

/// Check 1: is in-app data (titles, bodies, comments, connector content) contributed?
fn in_app_contribution(org: &OrgProfile, facts: Option<&ScanFacts>, today: Date) -> PostureCheck {
    let (state, origin) = org.in_app_on(today);
    let how = match origin {
        Origin::Chosen => "set by an admin".to_string(),
        Origin::Default(plan) => match org.active_trial(today) {
            Some(t) if t.plan == plan => format!(
                "by default on {} while the {} lasts, until {}",
                plan.label(),
                t.label(),
                t.ends
            ),
            _ => match org.trials.iter().rev().find(|t| !t.active_on(today)) {
                Some(t) => format!(
                    "by default on the {} plan, since the {} ended on {}",
                    plan.label(),
                    t.label(),
                    t.ends
                ),
                None => format!("by default on the {} plan", plan.label()),
            },
        },
    };
    let mut finding = String::new();
    let recommendation;
    let status;
    let mut due = None;
    let title;
    match state {
        Toggle::On => {
            title = "In-app data is contributed".to_string();
            status = CheckStatus::Action;
            due = Some(deadline(today));
            let _ = write!(
                finding,
                "In-app data contribution is on ({how}). Page titles and bodies, work item titles, descriptions and comments, and synced connector content are contributed to Atlassian's AI, except from the spaces, apps and connectors an admin excludes. {}",
                start_sentence(today)
            );
            match facts {
                Some(f) => {
                    let _ = write!(
                        finding,
                        " The scan recommends excluding {}",
                        containers_count(f.to_exclude.len())
                    );
                    if !f.to_exclude.is_empty() {
                        let _ = write!(finding, " ({})", list_names(&refs_names(&f.to_exclude)));
                    }
                    if f.to_review.is_empty() {
                        finding.push_str(", with none to review.");
                    } else {
                        let _ = write!(
                            finding,
                            " and reviewing {}.",
                            containers_count(f.to_review.len())
                        );
                    }
                    let apps = if f.apps_to_exclude.is_empty() {
                        String::new()
                    } else {
                        format!(
                            ", and {} on the Atlassian apps tab",
                            list_names(&f.apps_to_exclude)
                        )
                    };
                    recommendation = if f.to_exclude.is_empty() && f.apps_to_exclude.is_empty() {
                        format!(
                            "{}: review the {} the scan marks for review (exclusions.csv) and exclude those that hold sensitive content in {SETTINGS} → Spaces, or switch in-app data contribution off there.",
                            deadline_words(today),
                            containers_count(f.to_review.len())
                        )
                    } else {
                        let jira_note = if f.to_exclude.iter().any(|c| is_jira(&c.product)) {
                            " Jira projects are now called spaces; if the Spaces tab does not list them, exclude Jira on the Atlassian apps tab or switch in-app contribution off."
                        } else {
                            ""
                        };
                        let then_review = if f.to_review.is_empty() {
                            String::new()
                        } else {
                            format!(
                                " Then review the {} marked for review (exclusions.csv).",
                                containers_count(f.to_review.len())
                            )
                        };
                        format!(
                            "{}: in {SETTINGS}, either exclude {} on the Spaces tab{apps}, or switch in-app data contribution off.{then_review}{jira_note}",
                            deadline_words(today),
                            these(f.to_exclude.len()),
                        )
                    };
                }
                None => {
                    recommendation = format!(
                        "{}: run `withhold scan --site {}` to find the spaces and projects with sensitive content, then exclude them in {SETTINGS} → Spaces (and Atlassian apps), or switch in-app data contribution off there.",
                        deadline_words(today),
                        org.site_hint()
                    );
                }
            }
        }
        Toggle::Off => {
            title = "In-app data is not contributed".to_string();
            status = CheckStatus::Ok;
            let _ = write!(
                finding,
                "In-app data contribution is off ({how}). With it off, included items are the exception: only the spaces, apps and connectors an admin includes are contributed."
            );
            if origin != Origin::Chosen {
                if let Some(t) = org.active_trial(today) {
                    let after = fallback_plan(org, t);
                    if after.default_in_app() == Toggle::On {
                        let _ = write!(
                            finding,
                            " When the {} ends on {}, the {} default applies: in-app data contribution on (see trial_fallback).",
                            t.label(),
                            t.ends,
                            after.label()
                        );
                    }
                }
            }
            let mut rec = format!("Keep the include list in {SETTINGS} empty, or review it");
            match facts {
                Some(f) if !f.to_exclude.is_empty() => {
                    let _ = write!(
                        rec,
                        ": none of the {} the scan recommends excluding should be on it ({}).",
                        containers_count(f.to_exclude.len()),
                        list_names(&refs_names(&f.to_exclude))
                    );
                }
                _ => rec.push_str(": include nothing that holds sensitive content."),
            }
            recommendation = rec;
        }
    }
    PostureCheck {
        id: "in_app_contribution",
        status,
        title,
        finding,
        recommendation,
        due,
    }
}

/// The plan in force once `trial` has ended: the base plan, or a higher trial that outlasts it.
fn fallback_plan(org: &OrgProfile, trial: &Trial) -> Plan {
    org.trials
        .iter()
        .filter(|t| t.ends > trial.ends)
        .map(|t| t.plan)
        .fold(org.plan, Plan::max)
}

const METADATA_IS: &str = "Metadata is what Atlassian derives from your content (readability, similarity, story points, sprint dates, SLAs) plus the names of spaces and projects; excluding a space does not stop its metadata, name included, being contributed.";

/// Check 2: metadata, which is contributed whatever the in-app setting, below Enterprise always.
fn metadata_contribution(org: &OrgProfile, facts: Option<&ScanFacts>, today: Date) -> PostureCheck {
    let plan = org.effective_plan(today);
    let (state, origin) = org.metadata_on(today);
    let exposures = facts.map_or(&[][..], |f| f.metadata_exposures.as_slice());
    let exposure_list: Vec<String> = exposures
        .iter()
        .map(|e| format!("{} contains {}", container_label(&e.name, &e.key), e.what))
        .collect();
    let exposure_names: Vec<String> = exposures
        .iter()
        .map(|e| container_label(&e.name, &e.key))
        .collect();
    let exposure_sentence = if exposures.is_empty() {
        match facts {
            Some(_) => " The scan found no sensitive value in space or project names.".to_string(),
            None => String::new(),
        }
    } else {
        format!(
            " {}: {}.",
            if exposures.len() == 1 {
                "1 name contains a sensitive value".to_string()
            } else {
                format!("{} names contain sensitive values", exposures.len())
            },
            list_names(&exposure_list)
        )
    };
    let rename = if exposures.is_empty() {
        match facts {
            Some(_) => "keep names clean: name new spaces and projects without client names, people or codenames.".to_string(),
            None => format!(
                "run `withhold scan --site {}`: it reports sensitive values in space and project names, which should be renamed.",
                org.site_hint()
            ),
        }
    } else {
        format!(
            "rename {} so that no name carries a sensitive value: {} (excluding is not enough).",
            these(exposures.len()),
            list_names(&exposure_names)
        )
    };
    let escalate = |base: CheckStatus| {
        if exposures.is_empty() {
            base
        } else {
            CheckStatus::Action
        }
    };

    let enterprise_trial_ended = org.metadata == Some(Toggle::Off) && !plan.metadata_switchable();
    let (status, title, finding, recommendation) = if plan.metadata_switchable() {
        let trial_note = match org.active_trial(today) {
            Some(t) if t.plan == Plan::Enterprise && org.plan < Plan::Enterprise => format!(
                " This is possible while the {} lasts (until {}); after it, {} contributes metadata always.",
                t.label(),
                t.ends,
                fallback_plan(org, t).label()
            ),
            _ => String::new(),
        };
        match state {
            Toggle::Off => (
                CheckStatus::Ok,
                "Metadata is not contributed".to_string(),
                format!("Metadata contribution is switched off (Enterprise).{trial_note} {METADATA_IS}"),
                format!(
                    "Keep it off in {SETTINGS}, and check it again after any change of plan."
                ),
            ),
            Toggle::On => (
                escalate(CheckStatus::Attention),
                "Metadata is contributed, and can be switched off".to_string(),
                format!(
                    "On Enterprise, metadata contribution is on ({}) and can be switched off.{trial_note} {METADATA_IS}{exposure_sentence}",
                    if origin == Origin::Chosen { "set by an admin" } else { "by default" }
                ),
                format!(
                    "{}: decide whether to switch metadata contribution off in {SETTINGS}; it is the only plan where that is possible.{}",
                    deadline_words(today),
                    if exposures.is_empty() {
                        String::new()
                    } else {
                        format!(" If you keep it on, {rename}")
                    }
                ),
            ),
        }
    } else {
        let ended = if enterprise_trial_ended {
            " The org file says metadata is off, but that needs Enterprise, and no Enterprise trial is running any more: metadata is contributed again."
        } else {
            ""
        };
        (
            if enterprise_trial_ended {
                CheckStatus::Action
            } else {
                escalate(CheckStatus::Attention)
            },
            "Metadata is always contributed".to_string(),
            format!(
                "On the {} plan metadata is always contributed and cannot be switched off.{ended} {METADATA_IS}{exposure_sentence}",
                plan.label()
            ),
            format!(
                "{}: {rename} Only Enterprise can switch metadata contribution off.",
                deadline_words(today)
            ),
        )
    };
    PostureCheck {
        id: "metadata_contribution",
        due: (status == CheckStatus::Action).then(|| deadline(today)),
        status,
        title,
        finding,
        recommendation,
    }
}

/// Check 3: one per trial. A trial sets the defaults while it lasts; when it ends the defaults fall
/// back, and an in-app setting nobody chose can switch on without notice.
fn trial_fallback(org: &OrgProfile, today: Date) -> Vec<PostureCheck> {
    if org.trials.is_empty() {
        return vec![PostureCheck {
            id: "trial_fallback",
            status: CheckStatus::Ok,
            title: "No trial".to_string(),
            finding: format!(
                "No trial of a higher plan: the {} plan's defaults apply.",
                org.plan.label()
            ),
            recommendation: format!(
                "If you start a trial of a higher plan, set in-app data contribution explicitly before it ends: when it ends the defaults fall back to {}'s.",
                org.plan.label()
            ),
            due: None,
        }];
    }
    org.trials
        .iter()
        .map(|t| one_trial(org, t, today))
        .collect()
}

fn one_trial(org: &OrgProfile, t: &Trial, today: Date) -> PostureCheck {
    let after = fallback_plan(org, t);
    let left = days_between(today, t.ends);
    let ended = left < 0;
    let day_after = plus_days(t.ends, 1);
    // In-app: a setting nobody chose follows the defaults, so it flips; a chosen one may or may
    // not survive a change of plan (Atlassian does not say), so it is worth a look either way.
    let in_app_flips = t.plan.default_in_app() != after.default_in_app();
    let metadata_lost = t.plan.metadata_switchable() && !after.metadata_switchable();
    let mut changes: Vec<String> = Vec::new();
    let mut actions: Vec<&str> = Vec::new();
    if in_app_flips {
        let default = after.default_in_app().as_str();
        changes.push(match (org.in_app, ended) {
            (None, false) => format!(
                "in-app data contribution switches {default} without notice ({}'s default)",
                after.label()
            ),
            (None, true) => format!(
                "in-app data contribution is {default} again, switched without notice ({}'s default)",
                after.label()
            ),
            (Some(chosen), _) => format!(
                "{}'s default is in-app data contribution {default}; the org file says an admin set it {}, but Atlassian does not say whether a setting chosen under a trial survives the change of plan",
                after.label(),
                chosen.as_str()
            ),
        });
        actions.push("set in-app data contribution explicitly (off, or on with the exclusions)");
    }
    if metadata_lost {
        if org.metadata == Some(Toggle::Off) {
            changes.push(format!(
                "metadata, switched off under the trial, {} contributed again ({} cannot switch it off)",
                if ended { "is" } else { "will be" },
                after.label()
            ));
            actions.push(
                "rename the spaces and projects whose names hold sensitive values, as metadata is contributed again (or move to Enterprise)",
            );
        } else {
            changes.push(format!(
                "metadata contribution can no longer be switched off ({})",
                after.label()
            ));
        }
    }
    let during = if ended {
        format!(
            "While the {} lasted, the {} defaults applied",
            t.label(),
            t.plan.label()
        )
    } else {
        format!(
            "While the {} lasts, the {} defaults apply",
            t.label(),
            t.plan.label()
        )
    };
    let during = format!(
        "{during}: in-app data contribution {}, {}.",
        t.plan.default_in_app().as_str(),
        if t.plan.metadata_switchable() {
            "metadata on but can be switched off"
        } else {
            "metadata always contributed"
        }
    );
    let when = if ended {
        format!("It ended on {} ({} ago)", t.ends, days(-left))
    } else if left == 0 {
        format!("It ends today, {}", t.ends)
    } else {
        format!("It ends on {} ({} left)", t.ends, days(left))
    };
    let title = if ended {
        format!("{} ended {}", t.label(), t.ends)
    } else {
        format!("{} ends {}", t.label(), t.ends)
    };

    // Nothing the organization relies on changes: same in-app default, and a metadata switch it
    // never used.
    if actions.is_empty() {
        let then = if changes.is_empty() {
            "which contribute the same: nothing changes".to_string()
        } else {
            format!("{}; your settings are unaffected", changes.join("; "))
        };
        return PostureCheck {
            id: "trial_fallback",
            status: CheckStatus::Ok,
            title,
            finding: format!(
                "{during} {when}; then {}'s defaults apply, {then}.",
                after.label()
            ),
            recommendation: if ended {
                "Nothing to do for this trial.".to_string()
            } else {
                format!("Nothing to do for this trial; re-check {SETTINGS} on {day_after}.")
            },
            due: None,
        };
    }

    let status = if left <= TRIAL_ACTION_DAYS {
        CheckStatus::Action
    } else {
        CheckStatus::Attention
    };
    let (finding, recommendation) = if ended {
        (
            format!(
                "{during} {when}: the organization is back on {}'s defaults, so {}.",
                after.label(),
                changes.join("; ")
            ),
            format!(
                "Now (the trial ended on {}): check {SETTINGS}, {}, and re-check after every change of plan.",
                t.ends,
                actions.join("; ")
            ),
        )
    } else {
        (
            format!(
                "{during} {when}; then the organization falls back to {}'s defaults: {}.",
                after.label(),
                changes.join("; ")
            ),
            format!(
                "Before {}: {} and re-check on {day_after}.",
                t.ends,
                actions.join("; ")
            ),
        )
    };
    PostureCheck {
        id: "trial_fallback",
        status,
        title,
        finding,
        recommendation,
        due: Some(t.ends),
    }
}

/// Check 4: new spaces contribute at once; the only defence is to notice them.
fn new_containers(org: &OrgProfile, facts: Option<&ScanFacts>, today: Date) -> PostureCheck {
    let (in_app, _) = org.in_app_on(today);
    let rule = match in_app {
        Toggle::On => "With in-app data contribution on, a new space is contributed from the day it is created unless an admin excludes it",
        Toggle::Off => "With in-app data contribution off, a new space is contributed only if an admin includes it, but its name is contributed as metadata from the day it is created",
    };
    let mut finding = format!(
        "{rule}; a newly added Atlassian app is contributed after {NEW_WINDOW_DAYS} days. Jira does not report when a project was created, so a new project shows only by comparing two scans."
    );
    let next_scan = plus_days(today, 7);
    let schedule = format!(
        "Rescan weekly from cron or CI (`withhold scan --site {} --fail-on high`; next by {next_scan}) and check the exclusion list in {SETTINGS} after every new space.",
        org.site_hint()
    );
    let window_start = plus_days(today, -NEW_WINDOW_DAYS);
    let status;
    let recommendation;
    match facts {
        None => {
            status = CheckStatus::Attention;
            let _ = write!(
                finding,
                " Without a scan, withhold cannot tell which spaces are new."
            );
            recommendation = schedule;
        }
        Some(f) => {
            let mut recent: Vec<&RecentContainer> = f
                .recent_containers
                .iter()
                .filter(|c| c.created > window_start)
                .collect();
            recent.sort_by_key(|c| std::cmp::Reverse(c.created));
            if recent.is_empty() {
                status = CheckStatus::Ok;
                let _ = write!(
                    finding,
                    " The scan shows no space created in the {NEW_WINDOW_DAYS} days before {today}."
                );
                recommendation = schedule;
            } else {
                status = CheckStatus::Attention;
                let listed: Vec<String> = recent
                    .iter()
                    .map(|c| {
                        let age = days_between(c.created, today).max(0);
                        format!(
                            "{} on {} ({} ago)",
                            container_label(&c.name, &c.key),
                            c.created,
                            days(age)
                        )
                    })
                    .collect();
                let _ = write!(
                    finding,
                    " Created in the {NEW_WINDOW_DAYS} days before {today}: {}.",
                    list_names(&listed)
                );
                let names: Vec<String> = recent
                    .iter()
                    .map(|c| container_label(&c.name, &c.key))
                    .collect();
                recommendation = format!(
                    "Check {} now and exclude {}: {}. {schedule}",
                    if recent.len() == 1 { "it" } else { "them" },
                    if recent.len() == 1 {
                        "it if it holds sensitive content"
                    } else {
                        "those that hold sensitive content"
                    },
                    list_names(&names)
                );
            }
            if let Some(at) = f.scanned_at {
                let age = days_between(at, today);
                if age > 7 {
                    let _ = write!(
                        finding,
                        " The scan is from {at} ({} old): spaces created since are not in it.",
                        days(age)
                    );
                }
            }
        }
    }
    PostureCheck {
        id: "new_containers",
        status,
        title: "New spaces contribute at once".to_string(),
        finding,
        recommendation,
        due: Some(next_scan),
    }
}

fn connector_label(c: &ConnectorRef) -> String {
    if c.kind.is_empty() || c.kind == c.name {
        c.name.clone()
    } else {
        format!("{} ({})", c.name, c.kind)
    }
}

/// Check 5: synced connectors copy third-party content into Atlassian, which can contribute it.
fn synced_connectors(org: &OrgProfile, facts: Option<&ScanFacts>, today: Date) -> PostureCheck {
    const WHAT: &str = "A synced Teamwork Graph connector copies content from another system (Google Drive, Salesforce, SharePoint, Slack…) into Atlassian, which stores it; with in-app data contribution on it is contributed like your own pages. Direct and Smart Link connectors search live and store nothing.";
    const INVENTORY: &str = "Atlassian has no API that lists connectors: list yours (admin.atlassian.com → Apps → AI settings → Rovo → Sites) and pass the file to `withhold scan --connectors FILE`.";
    let title = "Synced connectors contribute third-party content".to_string();
    let Some(f) = facts else {
        return PostureCheck {
            id: "synced_connectors",
            status: CheckStatus::Attention,
            title,
            finding: format!(
                "{WHAT} Without a scan, withhold cannot tell which connectors you have."
            ),
            recommendation: format!("Supply --connectors to check. {INVENTORY}"),
            due: None,
        };
    };
    if f.synced_connectors.is_empty() && f.other_connectors.is_empty() {
        return PostureCheck {
            id: "synced_connectors",
            status: CheckStatus::Attention,
            title,
            finding: format!("{WHAT} The scan lists no connectors."),
            recommendation: format!(
                "If the organization uses Teamwork Graph connectors, supply --connectors to check. {INVENTORY}"
            ),
            due: None,
        };
    }
    let others: Vec<String> = f
        .other_connectors
        .iter()
        .map(|c| format!("{} ({})", c.name, c.sync.replace('_', " ")))
        .collect();
    let others_sentence = if others.is_empty() {
        String::new()
    } else {
        format!(" Not synced, storing nothing: {}.", list_names(&others))
    };
    if f.synced_connectors.is_empty() {
        return PostureCheck {
            id: "synced_connectors",
            status: CheckStatus::Ok,
            title,
            finding: format!("{WHAT} None of the connectors listed is synced.{others_sentence}"),
            recommendation: format!(
                "Nothing to exclude now; if a connector is switched to synced, exclude it on the Teamwork Graph connectors tab of {SETTINGS} first."
            ),
            due: None,
        };
    }
    let synced: Vec<String> = f
        .synced_connectors
        .iter()
        .map(|c| format!("{}: {}", connector_label(c), c.recommendation))
        .collect();
    let pick = |rec: &str| -> Vec<String> {
        f.synced_connectors
            .iter()
            .filter(|c| c.recommendation.eq_ignore_ascii_case(rec))
            .map(connector_label)
            .collect()
    };
    let exclude = pick("exclude");
    let review = pick("review");
    let (in_app, _) = org.in_app_on(today);
    let mut recommendation = String::new();
    let status = match in_app {
        Toggle::On => {
            if exclude.is_empty() {
                let _ = write!(
                    recommendation,
                    "{}: on the Teamwork Graph connectors tab of {SETTINGS}, exclude any synced connector whose content you would not hand over.",
                    deadline_words(today)
                );
            } else {
                let _ = write!(
                    recommendation,
                    "{}: on the Teamwork Graph connectors tab of {SETTINGS}, exclude {}.",
                    deadline_words(today),
                    list_names(&exclude)
                );
            }
            if !review.is_empty() {
                let _ = write!(recommendation, " Review {}.", list_names(&review));
            }
            if exclude.is_empty() {
                CheckStatus::Attention
            } else {
                CheckStatus::Action
            }
        }
        Toggle::Off => {
            let _ = write!(
                recommendation,
                "Keep synced connectors off the include list on the Teamwork Graph connectors tab of {SETTINGS}"
            );
            if exclude.is_empty() {
                recommendation.push('.');
            } else {
                let _ = write!(recommendation, ", in particular {}.", list_names(&exclude));
            }
            CheckStatus::Attention
        }
    };
    PostureCheck {
        id: "synced_connectors",
        due: (status == CheckStatus::Action).then(|| deadline(today)),
        status,
        title,
        finding: format!("{WHAT} Synced: {}.{others_sentence}", list_names(&synced)),
        recommendation,
    }
}

/// Check 6: data residency is about storage at rest; the AI pipeline is a separate question.
fn data_residency(org: &OrgProfile, today: Date) -> PostureCheck {
    let Some(realm) = &org.data_residency else {
        return PostureCheck {
            id: "data_residency",
            status: CheckStatus::Ok,
            title: "No data residency pinned".to_string(),
            finding: "The org file names no data residency realm.".to_string(),
            recommendation: "Nothing to do here; if you pin a realm later, ask Atlassian in writing whether contributed data stays in it.".to_string(),
            due: None,
        };
    };
    PostureCheck {
        id: "data_residency",
        status: CheckStatus::Attention,
        title: format!("Data residency ({realm}) covers data at rest, not necessarily AI use"),
        finding: format!(
            "Your product data is pinned to the {realm} realm. Data residency covers where product data is stored at rest; Atlassian does not say that it covers the AI data-contribution pipeline, and contributed data is reported to be kept for up to 7 years."
        ),
        recommendation: format!(
            "{}, ask Atlassian in writing: (1) does contributed data leave the {realm} realm? (2) where are the models trained on it trained and hosted? (3) how long is contributed data kept (reported: up to 7 years), and can it be deleted? (4) is it de-identified inside the {realm} realm, before it leaves? (5) how do we get these answers confirmed in writing for our data processing agreement (DPA)? Until answered, treat contributed data as leaving the realm.",
            deadline_words(today)
        ),
        due: (today < CONTRIBUTION_STARTS).then_some(CONTRIBUTION_STARTS),
    }
}

/// Check 7: every organization has its own settings page; nothing carries over between them.
fn several_organizations(org: &OrgProfile, today: Date) -> PostureCheck {
    if org.organizations <= 1 {
        return PostureCheck {
            id: "several_organizations",
            status: CheckStatus::Ok,
            title: "One organization".to_string(),
            finding: "The company has one Atlassian organization: one set of Data contribution settings.".to_string(),
            recommendation: "Nothing to do here; if another organization is added (an acquisition, a second admin hub), configure its settings too.".to_string(),
            due: None,
        };
    }
    let n = org.organizations;
    PostureCheck {
        id: "several_organizations",
        status: CheckStatus::Attention,
        title: format!("{n} organizations, each with its own settings"),
        finding: format!(
            "The company has {n} Atlassian organizations. Each has its own Data contribution settings, defaults (by its own highest plan) and exclusions; they are configured one by one and nothing carries over."
        ),
        recommendation: format!(
            "{}: repeat the settings and exclusions in each of the {n} organizations ({SETTINGS}), scan each organization's sites with `withhold scan --site`, and check each with its own org file.",
            deadline_words(today)
        ),
        due: (today < CONTRIBUTION_STARTS).then_some(CONTRIBUTION_STARTS),
    }
}

/// The facts of a previous scan's `summary.json` (`withhold posture --scan DIR`);
/// `None` for a summary written before verdicts existed.
pub fn facts_from_summary(path: &Path) -> Result<Option<ScanFacts>, PostureError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| PostureError::Read {
        file: file.clone(),
        source,
    })?;
    let mut value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| PostureError::Summary {
            file: file.clone(),
            reason: format!("not valid JSON: {e}"),
        })?;
    let Some(verdicts) = value.get_mut("verdicts").map(serde_json::Value::take) else {
        return Ok(None);
    };
    let verdicts: Vec<Verdict> =
        serde_json::from_value(verdicts).map_err(|e| PostureError::Summary {
            file: file.clone(),
            reason: format!("`verdicts` is not what this version writes: {e}"),
        })?;
    let finished_at = value
        .get("finished_at")
        .and_then(|v| v.as_str())
        .unwrap_or("");
    Ok(Some(facts_from_verdicts(&verdicts, finished_at)))
}

/// What the posture checks need of a scan's ranked verdicts.
pub fn facts_from_verdicts(verdicts: &[Verdict], finished_at: &str) -> ScanFacts {
    let mut facts = ScanFacts {
        scanned_at: date_prefix(finished_at),
        ..ScanFacts::default()
    };
    for v in verdicts {
        let product = v.product.as_str().to_string();
        let recommendation = v.recommendation.as_str().to_string();
        if let Some(c) = &v.connector {
            let connector = ConnectorRef {
                name: v.name.clone(),
                kind: c.kind.clone(),
                sync: c.sync.clone(),
                recommendation,
            };
            if connector.sync == "synced" {
                facts.synced_connectors.push(connector);
            } else {
                facts.other_connectors.push(connector);
            }
            continue;
        }
        if v.kind == ContainerKind::App {
            if v.recommendation == Recommendation::Exclude {
                facts.apps_to_exclude.push(v.name.clone());
            }
            continue;
        }
        let r = ContainerRef {
            product: product.clone(),
            key: v.key.clone(),
            name: v.name.clone(),
        };
        match v.recommendation {
            Recommendation::Exclude => facts.to_exclude.push(r),
            Recommendation::Review => facts.to_review.push(r),
            Recommendation::Keep => {}
        }
        if let Some(created) = v.created.as_deref().and_then(date_prefix) {
            facts.recent_containers.push(RecentContainer {
                product: product.clone(),
                key: v.key.clone(),
                name: v.name.clone(),
                created,
            });
        }
        for m in &v.metadata_exposures {
            facts.metadata_exposures.push(MetadataExposureRef {
                product: product.clone(),
                key: v.key.clone(),
                name: v.name.clone(),
                what: describe_exposure(m),
            });
        }
    }
    facts
}

/// The date of an RFC 3339 timestamp or a plain date (`2026-06-01T…` → 2026-06-01).
fn date_prefix(s: &str) -> Option<Date> {
    s.get(..10).and_then(parse_ymd).map(|d| d.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> Date {
        s.parse().expect("test date")
    }

    #[test]
    fn line_and_column_count_characters() {
        assert_eq!(line_col("a\nbé = x", 7), (2, 5));
        assert_eq!(line_col("", 0), (1, 1));
    }

    #[test]
    fn bare_toml_dates_and_strings_mean_the_same_day() {
        let a = OrgProfile::from_toml(
            "a.toml",
            "name='A'\nplan='standard'\n[[trial]]\nplan='premium'\nends=2026-12-15\n",
        )
        .expect("bare date");
        let b = OrgProfile::from_toml(
            "b.toml",
            "name='A'\nplan='standard'\n[[trial]]\nplan='premium'\nends='2026-12-15'\n",
        )
        .expect("string date");
        assert_eq!(a.trials, b.trials);
        assert_eq!(a.trials[0].ends, day("2026-12-15"));
    }

    #[test]
    fn a_date_time_is_not_a_date() {
        let e = OrgProfile::from_toml(
            "a.toml",
            "name='A'\nplan='standard'\n[[trial]]\nplan='premium'\nends='2026-12-15T10:00'\n",
        )
        .expect_err("date-time refused")
        .to_string();
        assert!(e.starts_with("a.toml: line 5"), "{e}");
        assert!(e.contains("YYYY-MM-DD"), "{e}");
    }

    #[test]
    fn trials_decide_the_plan_in_force_while_they_run() {
        let org = OrgProfile::from_toml(
            "a.toml",
            "name='A'\nplan='standard'\n[[trial]]\nplan='enterprise'\nends='2026-09-30'\n[[trial]]\nplan='premium'\nends='2026-12-31'\n",
        )
        .expect("valid");
        assert_eq!(org.effective_plan(day("2026-09-01")), Plan::Enterprise);
        assert_eq!(org.effective_plan(day("2026-09-30")), Plan::Enterprise);
        assert_eq!(org.effective_plan(day("2026-10-01")), Plan::Premium);
        assert_eq!(org.effective_plan(day("2027-01-01")), Plan::Standard);
        // The Enterprise trial falls back to the Premium trial that outlasts it.
        assert_eq!(fallback_plan(&org, &org.trials[0]), Plan::Premium);
        assert_eq!(fallback_plan(&org, &org.trials[1]), Plan::Standard);
    }

    #[test]
    fn names_list_is_cut_after_a_few() {
        let names: Vec<String> = (1..=7).map(|i| format!("S{i}")).collect();
        assert_eq!(list_names(&names), "S1, S2, S3, S4, S5 and 2 more");
    }
}
