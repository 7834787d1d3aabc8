//! The command line: argument definitions and one module per subcommand.
//!
//! Exit codes (DESIGN §9): 0 ok, 1 a container at or above `--fail-on`, 2
//! usage, configuration or authentication error, 3 partial or interrupted
//! scan (when no container reached `--fail-on`); 130 when a second signal
//! stopped the scan at once.

pub mod crawl;
pub mod diff;
pub mod posture;
pub mod report;
pub mod rules;
pub mod scan;
pub mod store;
pub mod triage;

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "withhold",
    version,
    about = "Find sensitive content in Atlassian Cloud and rank what to exclude from AI data contribution"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan a source and write findings.jsonl and summary.json.
    Scan(Box<ScanArgs>),
    /// List, check, explain and export the detection rules.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// Check the organization's data-contribution posture: settings, trials, residency, what to do by when.
    Posture(PostureArgs),
    /// What changed since an earlier scan: new containers first, new and resolved findings, verdicts, coverage.
    Diff(diff::DiffArgs),
    /// Record, list or remove a triage decision: a finding reviewed as a false positive or an accepted risk.
    Triage(TriageArgs),
    /// Write every output from one or more stores without crawling; several stores make one combined report.
    Report(ReportArgs),
}

/// `withhold report`: the outputs of the stores' last ended scans.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A store (repeatable: one per site, merged into one report); default withhold.db in --out.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub db: Vec<PathBuf>,
    /// Output directory.
    #[arg(long, value_name = "DIR", default_value = "withhold-out")]
    pub out: PathBuf,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
    /// Print summary.json on stdout.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub verdict: VerdictArgs,
}

/// `withhold triage`: decisions that later scans of the store apply.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("verdict").args(["false_positive", "accepted_risk"])))]
pub struct TriageArgs {
    /// A fingerprint (32 hex digits, as findings.jsonl writes it) or a
    /// finding's id (the number `--list-findings` shows).
    #[arg(value_name = "FINDING_OR_FINGERPRINT", required_unless_present_any = ["list", "list_findings", "remove"])]
    pub finding: Option<String>,
    /// The finding is not what the rule says it is.
    #[arg(long)]
    pub false_positive: bool,
    /// The finding is real and may stay.
    #[arg(long)]
    pub accepted_risk: bool,
    /// Only in this container: PRODUCT:KEY (confluence:OPS) or a bare KEY (every product); default everywhere.
    #[arg(long, value_name = "CONTAINER")]
    pub container: Option<String>,
    /// Why: kept with the decision.
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
    /// Who decides (default: $USER).
    #[arg(long, value_name = "NAME")]
    pub by: Option<String>,
    /// Show the decisions.
    #[arg(long, conflicts_with_all = ["finding", "remove", "list_findings"])]
    pub list: bool,
    /// Show the store's current findings with the ids this command takes.
    #[arg(long, conflicts_with_all = ["finding", "remove"])]
    pub list_findings: bool,
    /// Remove decision ID (from --list).
    #[arg(long, value_name = "ID", conflicts_with = "finding")]
    pub remove: Option<i64>,
    /// With --list or --list-findings: JSON lines.
    #[arg(long)]
    pub json: bool,
    /// The store (default: withhold.db in --out).
    #[arg(long, value_name = "FILE")]
    pub db: Option<PathBuf>,
    /// The scan's output directory, where its store is.
    #[arg(long, value_name = "DIR", default_value = "withhold-out")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct PostureArgs {
    /// The org file (TOML): plan, settings, trials, data residency. See examples/org/.
    #[arg(long, value_name = "FILE")]
    pub org: PathBuf,
    /// A previous scan's output directory; its summary.json adds what the scan found.
    #[arg(long, value_name = "DIR")]
    pub scan: Option<PathBuf>,
    /// The day to check for (default: today, UTC).
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = crate::posture::parse_date)]
    pub today: Option<jiff::civil::Date>,
    /// Print the checks as a JSON array.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct DetectArgs {
    /// Directory of rule packs (*.toml) added to, or replacing by pack name, the built-in packs.
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["demo", "path", "site"])))]
pub struct ScanArgs {
    /// Crawl the bundled demo site, served on loopback by the fake Atlassian site.
    #[arg(long)]
    pub demo: bool,
    /// With --demo: read the demo's files directly instead of crawling them.
    #[arg(long, requires = "demo")]
    pub offline: bool,
    /// Scan files: plain text, HTML / Confluence storage XHTML, ADF JSON.
    #[arg(long, value_name = "PATH", num_args = 1..)]
    pub path: Vec<PathBuf>,
    #[command(flatten)]
    pub site: SiteArgs,
    /// Output directory.
    #[arg(long, value_name = "DIR", default_value = "withhold-out")]
    pub out: PathBuf,
    #[command(flatten)]
    pub detect: DetectArgs,
    /// Client list: CSV `name,aliases,ordinary_word` (aliases `|`-separated).
    #[arg(long, value_name = "FILE")]
    pub clients: Option<PathBuf>,
    /// Allow list and triage file (TOML).
    #[arg(long, value_name = "FILE")]
    pub allow: Option<PathBuf>,
    /// Keep the raw matched value in findings.jsonl (off by default).
    #[arg(long)]
    pub reveal: bool,
    /// Detection threads (default: all cores).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Largest body (ADF or storage) read as one document; a larger one is a failed item.
    #[arg(long, value_name = "MIB", default_value_t = crate::text::DEFAULT_MAX_DOCUMENT_BYTES >> 20)]
    pub max_document_mib: usize,
    /// Fingerprint key file (default: $WITHHOLD_KEY_FILE or ~/.config/withhold/fingerprint.key).
    #[arg(long, value_name = "FILE")]
    pub key_file: Option<PathBuf>,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
    /// Print the summary as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// The store (default: withhold.db in --out): what the last scans read,
    /// so a rescan reads only what changed and an interrupted scan resumes.
    #[arg(long, value_name = "FILE")]
    pub db: Option<PathBuf>,
    /// Read everything again: neither resume an unfinished scan nor compare
    /// with the last one (the store keeps its history).
    #[arg(long)]
    pub fresh: bool,
    #[command(flatten)]
    pub verdict: VerdictArgs,
}

/// How findings become verdicts, and what makes a scheduled run fail.
#[derive(Debug, Args)]
pub struct VerdictArgs {
    /// Ranking policy: weights and thresholds (TOML; defaults in the README).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// An email domain of your own organization: its addresses weigh little (repeatable).
    #[arg(long = "own-domain", value_name = "DOMAIN")]
    pub own_domains: Vec<String>,
    /// Teamwork Graph connector inventory (TOML `[[connector]]` or CSV
    /// `name,type,sync,scope,owner,notes`): no API lists connectors.
    #[arg(long, value_name = "FILE")]
    pub connectors: Option<PathBuf>,
    /// The org file (TOML, see examples/org/): adds the posture checks to the outputs.
    #[arg(long, value_name = "FILE")]
    pub org: Option<PathBuf>,
    /// Exit with code 1 when any container reaches this level: high, moderate
    /// or low; `new-high`: only when a new container is high or one became
    /// high since the last scan (scheduled runs that page on news).
    #[arg(long, value_name = "LEVEL", value_parser = ["high", "moderate", "low", "new-high"])]
    pub fail_on: Option<String>,
}

/// Where and how to crawl an Atlassian Cloud site.
#[derive(Debug, Args)]
pub struct SiteArgs {
    /// The site to crawl, e.g. https://acme.atlassian.net (http:// only for loopback).
    #[arg(long, value_name = "URL")]
    pub site: Option<String>,
    /// The account's email address (API-token authentication).
    #[arg(long, value_name = "ADDRESS", env = "ATLASSIAN_EMAIL")]
    pub email: Option<String>,
    /// File holding the API token (default: the ATLASSIAN_API_TOKEN environment variable).
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// File holding an OAuth 2.0 access token (implies the gateway).
    #[arg(long, value_name = "FILE", conflicts_with = "token_file")]
    pub bearer_token_file: Option<PathBuf>,
    /// Call the APIs through the gateway, {URL}/ex/{product}/{cloudId} (scoped tokens,
    /// OAuth); URL defaults to https://api.atlassian.com.
    #[arg(long, value_name = "URL", num_args = 0..=1, default_missing_value = "https://api.atlassian.com")]
    pub gateway: Option<String>,
    /// Requests in flight at once.
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub concurrency: usize,
    /// Only these Confluence space keys (comma-separated).
    #[arg(long, value_name = "KEYS", value_delimiter = ',')]
    pub spaces: Vec<String>,
    /// Confluence space types (default: global, collaboration, knowledge_base, personal).
    #[arg(long, value_name = "TYPES", value_delimiter = ',')]
    pub space_type: Vec<String>,
    /// Only these Jira project keys (comma-separated).
    #[arg(long, value_name = "KEYS", value_delimiter = ',')]
    pub projects: Vec<String>,
    /// Crawl only these products (comma-separated; default: all). `jira`
    /// includes Jira Service Management. A product left out is reported as
    /// skipped, its app is for review and the scan is partial (exit code 3).
    #[arg(long, value_name = "PRODUCTS", value_delimiter = ',', value_enum)]
    pub products: Vec<ProductChoice>,
    /// Most pages one listing may take; a listing that reaches it is partial.
    #[arg(long, value_name = "N", default_value_t = crate::sources::atlassian::paging::DEFAULT_MAX_PAGES)]
    pub max_pages: u64,
    /// Largest response body in MiB, compressed and decompressed; a larger one fails its request.
    #[arg(long, value_name = "MIB", default_value_t = 64)]
    pub max_response_mb: u64,
    /// Longest server-asked wait (Retry-After) honoured, e.g. 900, 15m, 1h; a longer one fails its request.
    #[arg(long, value_name = "DURATION", default_value = "15m", value_parser = crawl::parse_wait)]
    pub max_wait: std::time::Duration,
}

/// A product `--products` can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ProductChoice {
    Confluence,
    Jira,
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// List the loaded rules: id, entity, category, severity, pack.
    List {
        #[command(flatten)]
        detect: DetectArgs,
        /// As JSON lines.
        #[arg(long)]
        json: bool,
    },
    /// Run every example and negative example of every rule.
    Check {
        #[command(flatten)]
        detect: DetectArgs,
    },
    /// Show everything about one rule.
    Explain {
        /// Rule id, e.g. secret.aws-access-key.
        id: String,
        #[command(flatten)]
        detect: DetectArgs,
    },
    /// Print the loaded rules' patterns one per line, as `rg -f` reads them.
    ExportPatterns {
        #[command(flatten)]
        detect: DetectArgs,
    },
}

/// An error that maps to an exit code.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Config(String),
    /// A credential was refused: no retries, exit code 2.
    #[error("{0}")]
    Auth(String),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl CliError {
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Config(_) | CliError::Auth(_) => 2,
            CliError::Other(_) => 2,
        }
    }
}

/// Run a parsed command line; returns the process exit code.
pub fn run(cli: Cli) -> Result<i32, CliError> {
    match cli.command {
        Command::Scan(args) => scan::run(*args),
        Command::Rules { command } => rules::run(command),
        Command::Posture(args) => posture::run(args),
        Command::Diff(args) => diff::run(args),
        Command::Triage(args) => triage::run(args),
        Command::Report(args) => report::run(args),
    }
}
