//! Rule packs: loading, validating and describing the TOML rules of `rules/`.
//!
//! The built-in packs are compiled into the binary; `--rules DIR` adds packs
//! from a directory, replacing a built-in pack of the same name. A pack that
//! is wrong in any way (TOML, pattern, validator, missing examples) refuses
//! to load, and the error names the file, the line and the rule.

use crate::detect::validators::Validator;
use crate::model::{Category, Severity};
use regex_automata::meta;
use serde::Deserialize;
use std::fmt;
use std::path::{Path, PathBuf};

/// The built-in packs, embedded at compile time.
const BUILTIN_PACKS: &[(&str, &str)] = &[
    (
        "rules/secrets.toml",
        include_str!("../../rules/secrets.toml"),
    ),
    (
        "rules/secrets-cloud.toml",
        include_str!("../../rules/secrets-cloud.toml"),
    ),
    (
        "rules/secrets-dev.toml",
        include_str!("../../rules/secrets-dev.toml"),
    ),
    (
        "rules/secrets-collab.toml",
        include_str!("../../rules/secrets-collab.toml"),
    ),
    (
        "rules/secrets-commerce.toml",
        include_str!("../../rules/secrets-commerce.toml"),
    ),
    (
        "rules/secrets-ai.toml",
        include_str!("../../rules/secrets-ai.toml"),
    ),
    (
        "rules/secrets-ops.toml",
        include_str!("../../rules/secrets-ops.toml"),
    ),
    (
        "rules/financial.toml",
        include_str!("../../rules/financial.toml"),
    ),
    (
        "rules/national-id.toml",
        include_str!("../../rules/national-id.toml"),
    ),
    ("rules/health.toml", include_str!("../../rules/health.toml")),
    (
        "rules/special-category.toml",
        include_str!("../../rules/special-category.toml"),
    ),
    (
        "rules/export-control.toml",
        include_str!("../../rules/export-control.toml"),
    ),
    (
        "rules/contact.toml",
        include_str!("../../rules/contact.toml"),
    ),
];

/// Every rule pattern is compiled with these syntax settings: Unicode off, so
/// `\b`, `\w` and `\d` are ASCII and the lazy DFA never gives up on
/// non-ASCII text (typographic apostrophes are on a large share of real lines).
pub(crate) fn syntax_config() -> regex_automata::util::syntax::Config {
    regex_automata::util::syntax::Config::new()
        .unicode(false)
        .utf8(false)
}

/// A pattern's syntax tree under the same settings as [`syntax_config`],
/// for questions about what it can match (length, first bytes, shape).
pub(crate) fn parse_hir(pattern: &str) -> Option<regex_syntax::hir::Hir> {
    regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .build()
        .parse(pattern)
        .ok()
}

/// A rule pack that could not be loaded, with where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct RuleError {
    pub file: String,
    pub line: usize,
    pub rule: Option<String>,
    pub reason: String,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.rule {
            Some(id) => write!(
                f,
                "{}:{}: rule {}: {}",
                self.file, self.line, id, self.reason
            ),
            None => write!(f, "{}:{}: {}", self.file, self.line, self.reason),
        }
    }
}

/// Context words near a match: required, or raising confidence; deny words veto.
#[derive(Debug, Clone, PartialEq)]
pub struct ContextSpec {
    pub words: Vec<String>,
    pub deny: Vec<String>,
    /// Bytes searched before and after the value.
    pub window: usize,
    pub required: bool,
    pub boost: f32,
}

/// An example a rule must match, with the value it must report.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Example {
    pub text: String,
    pub value: String,
    #[serde(default)]
    pub test_value: bool,
}

/// One loaded, validated rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub name: String,
    pub description: String,
    pub entity: String,
    pub category: Category,
    pub severity: Severity,
    pub confidence: f32,
    pub priority: i32,
    pub pattern: String,
    /// `pattern` compiled (as the engine runs it alone), so that loading and
    /// the engine do not each compile every rule.
    pub regex: meta::Regex,
    pub validator: Option<Validator>,
    /// A checksum the format carries: a value that fails it is still
    /// reported (a real token may be mistyped), at [`CHECKSUM_FAILED_CONFIDENCE`].
    pub checksum: Option<Validator>,
    /// Lowest Shannon entropy (bits per byte) of a real value; shapeless
    /// secrets below it are words, masks or sequences.
    pub min_entropy: Option<f32>,
    /// How a reason names one and several values ("OpenAI API key", "OpenAI
    /// API keys"); empty when the entity's built-in words apply.
    pub noun: Option<(String, String)>,
    pub reject: Option<meta::Regex>,
    /// Documentation values, normalised by [`normalize_test_value`].
    pub test_values: Vec<String>,
    pub test_value_pattern: Option<meta::Regex>,
    pub context: Option<ContextSpec>,
    pub examples: Vec<Example>,
    pub negative_examples: Vec<String>,
    pub pack: String,
    pub file: String,
    pub line: usize,
}

impl Rule {
    /// Whether `value` is a well-known documentation or test value for this rule.
    pub fn is_test_value(&self, value: &str) -> bool {
        // Compared without building the normalised string: this runs on
        // every accepted candidate.
        let normalized = || value.chars().filter(|c| !c.is_whitespace() && *c != '-');
        if self.test_values.iter().any(|t| t.chars().eq(normalized())) {
            return true;
        }
        self.test_value_pattern
            .as_ref()
            .is_some_and(|re| re.is_match(value))
    }

    /// Whether `value` is a placeholder this rule drops.
    pub fn is_rejected(&self, value: &str) -> bool {
        self.reject.as_ref().is_some_and(|re| re.is_match(value))
    }
}

/// Test values compare without spaces and dashes, so `4111 1111 1111 1111`
/// and `4111-1111-1111-1111` are the same documentation number.
pub fn normalize_test_value(value: &str) -> String {
    value
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect()
}

/// What a pack says about itself.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PackInfo {
    pub name: String,
    pub version: String,
    pub description: String,
    pub file: String,
    pub rules: usize,
}

/// All loaded packs and their rules.
#[derive(Debug, Clone)]
pub struct RuleSet {
    pub packs: Vec<PackInfo>,
    pub rules: Vec<Rule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PackFile {
    pack: PackMeta,
    #[serde(default)]
    rule: Vec<toml::Spanned<RuleDef>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PackMeta {
    name: String,
    version: String,
    #[serde(default)]
    description: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleDef {
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    entity: String,
    category: Category,
    severity: Severity,
    confidence: f32,
    #[serde(default)]
    priority: i32,
    pattern: String,
    validator: Option<String>,
    checksum: Option<String>,
    min_entropy: Option<f32>,
    noun: Option<String>,
    plural: Option<String>,
    reject: Option<String>,
    #[serde(default)]
    test_values: Vec<String>,
    test_value_pattern: Option<String>,
    context: Option<ContextDef>,
    #[serde(default)]
    examples: Vec<Example>,
    #[serde(default)]
    negative_examples: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ContextDef {
    #[serde(default)]
    words: Vec<String>,
    #[serde(default)]
    deny: Vec<String>,
    #[serde(default = "default_window")]
    window: usize,
    #[serde(default)]
    required: bool,
    #[serde(default = "default_boost")]
    boost: f32,
}

fn default_window() -> usize {
    60
}

fn default_boost() -> f32 {
    0.2
}

/// The combined NFA of every rule: regex-automata's 10 MB default is too
/// small for several hundred rules with bounded repetitions (a 190-character
/// token is 190 states). Measured in BENCHMARKS.md.
pub const NFA_SIZE_LIMIT: usize = 256 << 20;

/// Confidence of a value whose format checksum fails.
pub const CHECKSUM_FAILED_CONFIDENCE: f32 = 0.4;

/// A rule's `noun` and `plural` (default: the noun and an `s`).
fn noun_pair(noun: Option<&str>, plural: Option<&str>) -> Option<(String, String)> {
    let one = noun?;
    Some((
        one.to_string(),
        plural.map_or_else(|| format!("{one}s"), str::to_string),
    ))
}

/// Entity, noun and plural as the built-in packs name them, in pack order.
/// Read from the TOML alone: reasons need the words, not the compiled rules.
pub fn builtin_nouns() -> Vec<(String, (String, String))> {
    #[derive(Deserialize)]
    struct Pack {
        #[serde(default)]
        rule: Vec<Named>,
    }
    #[derive(Deserialize)]
    struct Named {
        entity: String,
        noun: Option<String>,
        plural: Option<String>,
    }
    BUILTIN_PACKS
        .iter()
        .filter_map(|(_, src)| toml::from_str::<Pack>(src).ok())
        .flat_map(|p| p.rule)
        .filter_map(|r| Some((r.entity, noun_pair(r.noun.as_deref(), r.plural.as_deref())?)))
        .collect()
}

/// Minimum number of examples of each kind a rule must carry.
const MIN_EXAMPLES: usize = 3;
/// The widest context window a rule may ask for, to bound per-hit cost.
const MAX_WINDOW: usize = 500;

/// 1-based line of a byte offset.
pub(crate) fn line_of(src: &str, offset: usize) -> usize {
    src.as_bytes()[..offset.min(src.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Parse one pack from its source text. `file` names it in errors.
pub fn parse_pack(file: &str, src: &str) -> Result<(PackInfo, Vec<Rule>), RuleError> {
    let parsed: PackFile = toml::from_str(src).map_err(|e| RuleError {
        file: file.to_string(),
        line: e.span().map(|s| line_of(src, s.start)).unwrap_or(1),
        rule: None,
        reason: format!("invalid TOML: {}{}", e.message(), context_hint(e.message())),
    })?;
    let mut rules = Vec::with_capacity(parsed.rule.len());
    for spanned in parsed.rule {
        let line = line_of(src, spanned.span().start);
        let def = spanned.into_inner();
        rules.push(build_rule(file, line, &parsed.pack.name, def)?);
    }
    let info = PackInfo {
        name: parsed.pack.name,
        version: parsed.pack.version,
        description: parsed.pack.description,
        file: file.to_string(),
        rules: rules.len(),
    };
    Ok((info, rules))
}

/// Keys written after a `[rule.context]` header belong to that table: the
/// commonest mistake in a pack, so say how to fix it.
fn context_hint(message: &str) -> &'static str {
    if message.contains("expected one of `words`") {
        " (keys after [rule.context] belong to the context table: put [rule.context] last in the rule, or write context = { ... } inline)"
    } else {
        ""
    }
}

fn compile_aux(pattern: &str) -> Result<meta::Regex, String> {
    meta::Builder::new()
        .syntax(syntax_config())
        .build(pattern)
        .map_err(|e| e.to_string())
}

fn build_rule(file: &str, line: usize, pack: &str, def: RuleDef) -> Result<Rule, RuleError> {
    let err = |reason: String| RuleError {
        file: file.to_string(),
        line,
        rule: Some(def.id.clone()),
        reason,
    };
    if def.id.trim().is_empty() {
        return Err(err("empty id".into()));
    }
    if !(0.0..=1.0).contains(&def.confidence) {
        return Err(err(format!(
            "confidence {} is not within 0..1",
            def.confidence
        )));
    }
    if def.pattern.contains("(?u") || def.pattern.contains("\\p{") || def.pattern.contains("\\P{") {
        return Err(err(
            "pattern enables Unicode mode; rules are ASCII-only so that the DFA never gives up on non-ASCII text"
                .into(),
        ));
    }
    let compiled = compile_aux(&def.pattern).map_err(|e| err(format!("bad pattern: {e}")))?;
    let can_be_empty =
        parse_hir(&def.pattern).is_some_and(|h| h.properties().minimum_len() == Some(0));
    if can_be_empty {
        return Err(err("pattern can match the empty string".into()));
    }
    if let Some(name) = compiled
        .group_info()
        .pattern_names(regex_automata::PatternID::ZERO)
        .flatten()
        .find(|n| *n != "value")
    {
        return Err(err(format!(
            "named group {name:?} is not allowed; only `value` is"
        )));
    }
    let lookup = |name: &Option<String>| -> Result<Option<Validator>, RuleError> {
        match name {
            None => Ok(None),
            Some(name) => Validator::from_name(name).map(Some).ok_or_else(|| {
                let known: Vec<&str> = Validator::all().iter().map(|v| v.name()).collect();
                err(format!(
                    "unknown validator {name:?} (known: {})",
                    known.join(", ")
                ))
            }),
        }
    };
    let validator = lookup(&def.validator)?;
    let checksum = lookup(&def.checksum)?;
    if let Some(e) = def.min_entropy {
        if !(0.0..=8.0).contains(&e) {
            return Err(err(format!(
                "min_entropy {e} is not within 0..8 bits per byte"
            )));
        }
    }
    if def.plural.is_some() && def.noun.is_none() {
        return Err(err("plural given without noun".into()));
    }
    let noun = noun_pair(def.noun.as_deref(), def.plural.as_deref());
    let reject = match &def.reject {
        None => None,
        Some(p) => Some(compile_aux(p).map_err(|e| err(format!("bad reject pattern: {e}")))?),
    };
    let test_value_pattern = match &def.test_value_pattern {
        None => None,
        Some(p) => Some(compile_aux(p).map_err(|e| err(format!("bad test_value_pattern: {e}")))?),
    };
    let context = match def.context {
        None => None,
        Some(c) => {
            if c.required && c.words.is_empty() {
                return Err(err("context is required but lists no words".into()));
            }
            if c.window == 0 || c.window > MAX_WINDOW {
                return Err(err(format!(
                    "context window {} is not within 1..={MAX_WINDOW}",
                    c.window
                )));
            }
            if c.words.iter().chain(&c.deny).any(|w| w.trim().is_empty()) {
                return Err(err("empty context word".into()));
            }
            Some(ContextSpec {
                words: c.words.iter().map(|w| w.to_ascii_lowercase()).collect(),
                deny: c.deny.iter().map(|w| w.to_ascii_lowercase()).collect(),
                window: c.window,
                required: c.required,
                boost: c.boost,
            })
        }
    };
    if def.examples.len() < MIN_EXAMPLES {
        return Err(err(format!(
            "has {} examples; every rule needs at least {MIN_EXAMPLES}",
            def.examples.len()
        )));
    }
    if def.negative_examples.len() < MIN_EXAMPLES {
        return Err(err(format!(
            "has {} negative_examples; every rule needs at least {MIN_EXAMPLES}",
            def.negative_examples.len()
        )));
    }
    Ok(Rule {
        name: if def.name.is_empty() {
            def.id.clone()
        } else {
            def.name
        },
        id: def.id,
        description: def.description,
        entity: def.entity,
        category: def.category,
        severity: def.severity,
        confidence: def.confidence,
        priority: def.priority,
        pattern: def.pattern,
        regex: compiled,
        validator,
        checksum,
        min_entropy: def.min_entropy,
        noun,
        reject,
        test_values: def
            .test_values
            .iter()
            .map(|v| normalize_test_value(v))
            .collect(),
        test_value_pattern,
        context,
        examples: def.examples,
        negative_examples: def.negative_examples,
        pack: pack.to_string(),
        file: file.to_string(),
        line,
    })
}

impl RuleSet {
    /// The built-in packs, plus (replacing by pack name) those in `dir`.
    pub fn load(dir: Option<&Path>) -> Result<RuleSet, RuleError> {
        let mut sources: Vec<(String, String)> = BUILTIN_PACKS
            .iter()
            .map(|(f, s)| (f.to_string(), s.to_string()))
            .collect();
        let mut loaded: Vec<(PackInfo, Vec<Rule>)> = Vec::new();
        if let Some(dir) = dir {
            for path in pack_files(dir)? {
                let src = std::fs::read_to_string(&path).map_err(|e| RuleError {
                    file: path.display().to_string(),
                    line: 1,
                    rule: None,
                    reason: format!("cannot read: {e}"),
                })?;
                sources.push((path.display().to_string(), src));
            }
        }
        for (file, src) in &sources {
            let (info, rules) = parse_pack(file, src)?;
            // A later pack of the same name (from --rules) replaces the built-in one.
            loaded.retain(|(p, _)| p.name != info.name);
            loaded.push((info, rules));
        }
        Self::from_packs(loaded)
    }

    /// Assemble a rule set from parsed packs, refusing duplicate rule ids.
    pub fn from_packs(loaded: Vec<(PackInfo, Vec<Rule>)>) -> Result<RuleSet, RuleError> {
        let mut packs = Vec::new();
        let mut rules: Vec<Rule> = Vec::new();
        for (info, pack_rules) in loaded {
            for r in pack_rules {
                if let Some(prev) = rules.iter().find(|p| p.id == r.id) {
                    return Err(RuleError {
                        file: r.file.clone(),
                        line: r.line,
                        rule: Some(r.id.clone()),
                        reason: format!("duplicate rule id (also at {}:{})", prev.file, prev.line),
                    });
                }
                rules.push(r);
            }
            packs.push(info);
        }
        Ok(RuleSet { packs, rules })
    }

    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }
}

fn pack_files(dir: &Path) -> Result<Vec<PathBuf>, RuleError> {
    let entries = std::fs::read_dir(dir).map_err(|e| RuleError {
        file: dir.display().to_string(),
        line: 1,
        rule: None,
        reason: format!("cannot read rules directory: {e}"),
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    Ok(files)
}
