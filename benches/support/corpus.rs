//! A deterministic benchmark corpus: Confluence/Jira-like prose with planted
//! sensitive values at a few per thousand words, and a client list.
//!
//! Shared by `benches/engine.rs` and `examples/compare_ripgrep.rs` (which
//! also writes it to disk so that ripgrep scans exactly the same bytes).

#![allow(dead_code)]

/// splitmix64: tiny, seeded, identical everywhere.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const WORDS: &[&str] = &[
    "the",
    "a",
    "to",
    "of",
    "and",
    "in",
    "for",
    "is",
    "on",
    "with",
    "we",
    "this",
    "that",
    "it",
    "be",
    "as",
    "are",
    "will",
    "from",
    "by",
    "at",
    "or",
    "not",
    "can",
    "our",
    "team",
    "release",
    "deploy",
    "service",
    "customer",
    "ticket",
    "page",
    "issue",
    "sprint",
    "review",
    "update",
    "migration",
    "database",
    "cluster",
    "incident",
    "postmortem",
    "runbook",
    "onboarding",
    "access",
    "request",
    "approval",
    "budget",
    "roadmap",
    "quarter",
    "meeting",
    "notes",
    "action",
    "items",
    "owner",
    "status",
    "blocked",
    "done",
    "pending",
    "escalation",
    "support",
    "queue",
    "priority",
    "backlog",
    "feature",
    "flag",
    "rollout",
    "staging",
    "production",
    "latency",
    "error",
    "rate",
    "dashboard",
    "alert",
    "on-call",
    "handover",
    "weekly",
    "monthly",
    "report",
    "contract",
    "renewal",
    "invoice",
    "vendor",
    "security",
    "review",
    "compliance",
    "policy",
    "document",
    "template",
    "architecture",
    "decision",
    "record",
    "we’re",
    "don’t",
    "it’s",
    "team’s",
    "café",
    "naïve",
    "résumé",
    "–",
    "—",
    "“quoted”",
];
const TICKETS: &[&str] = &[
    "PAY-1234",
    "OPS-88",
    "HELP-4521",
    "ENG-77",
    "v2.14.3",
    "2026-08-17",
    "10:45",
    "#4821",
    "3.5%",
    "$12,400",
];

/// What one planted value looks like; `{}` is filled from the generator.
fn planted(rng: &mut Rng, clients: &[String]) -> String {
    match rng.below(9) {
        0 => format!("jane.doe{}@northwind-example.com", rng.below(1000)),
        1 => "card 4929 1234 5678 9015".to_string(),
        2 => format!("SSN 536-22-{:04}", 1000 + rng.below(8999)),
        3 => format!(
            "host 10.{}.{}.{}",
            rng.below(255),
            rng.below(255),
            rng.below(255)
        ),
        4 => "aws_access_key_id = AKIA2E0A8F3B244C9986".to_string(),
        5 => "IBAN GB82 WEST 1234 5698 7654 32".to_string(),
        6 => format!("call +44 20 7946 {:04}", rng.below(9999)),
        7 => "password: Tr0ub4dor&3x".to_string(),
        _ => clients[rng.below(clients.len())].clone(),
    }
}

/// `n` fictional client names, deterministic.
pub fn client_names(n: usize) -> Vec<String> {
    const A: &[&str] = &[
        "North", "South", "Blue", "Red", "Iron", "Silver", "Green", "Bright", "Cedar", "Harbor",
        "Pine", "Stone", "Swift", "Nova", "Apex", "Atlas", "Crown", "Delta", "Eagle", "Falcon",
    ];
    const B: &[&str] = &[
        "wind", "field", "gate", "bridge", "point", "ridge", "water", "light", "forge", "works",
        "line", "path", "peak", "view", "crest", "wood", "brook", "port", "vale", "stone",
    ];
    const C: &[&str] = &[
        "Traders",
        "Holdings",
        "Systems",
        "Labs",
        "Partners",
        "Group",
        "Logistics",
        "Health",
        "Energy",
        "Capital",
    ];
    let mut rng = Rng::new(7);
    let mut out = Vec::with_capacity(n);
    let mut i = 0usize;
    while out.len() < n {
        let name = format!("{}{}{} {}", rng.pick(A), rng.pick(B), i, rng.pick(C));
        out.push(name);
        i += 1;
    }
    out
}

/// The clients CSV (`name,aliases,ordinary_word`) for `client_names(n)`.
pub fn clients_csv(n: usize) -> String {
    let mut csv = String::from("name,aliases,ordinary_word\n");
    for name in client_names(n) {
        let alias = name.split(' ').next().unwrap_or(&name).to_string();
        csv.push_str(&format!("{name},{alias},false\n"));
    }
    csv
}

/// Documents totalling at least `min_bytes`, sized like pages and comments.
pub fn documents(min_bytes: usize, clients: &[String]) -> Vec<String> {
    let mut rng = Rng::new(42);
    let mut docs = Vec::new();
    let mut total = 0;
    while total < min_bytes {
        // Mostly short comments and medium pages, a few long pages.
        let words = match rng.below(10) {
            0..=4 => 40 + rng.below(120),
            5..=8 => 400 + rng.below(1200),
            _ => 4000 + rng.below(8000),
        };
        let mut doc = String::with_capacity(words * 7);
        for w in 0..words {
            if w > 0 {
                doc.push(if rng.below(14) == 0 { '\n' } else { ' ' });
            }
            // About 3 planted values per 1,000 words.
            if rng.below(1000) < 3 {
                doc.push_str(&planted(&mut rng, clients));
            } else if rng.below(40) == 0 {
                doc.push_str(rng.pick(TICKETS));
            } else {
                doc.push_str(rng.pick(WORDS));
            }
        }
        total += doc.len();
        docs.push(doc);
    }
    docs
}

/// The engine every measurement uses: all built-in rules plus `clients`
/// generated client names.
pub fn engine(
    rules: &withhold::detect::rules::RuleSet,
    clients: usize,
) -> anyhow::Result<withhold::detect::engine::Engine> {
    use withhold::detect::{allow::AllowList, dictionary::ClientDictionary, engine, fingerprint};
    let dictionary = ClientDictionary::from_csv("clients.csv", clients_csv(clients).as_bytes())?;
    engine::Engine::new(
        rules,
        Some(dictionary),
        AllowList::default(),
        fingerprint::Fingerprinter::from_key([1; 32]),
        engine::EngineOptions::default(),
    )
}

/// Texts as page bodies of one benchmark container.
pub fn as_documents(texts: Vec<String>) -> Vec<withhold::model::Document> {
    use withhold::model::{Document, Field, Origin, Product};
    texts
        .into_iter()
        .enumerate()
        .map(|(i, text)| Document {
            origin: Origin {
                product: Product::Confluence,
                container_key: "BENCH".into(),
                item_id: i.to_string(),
                item_url: String::new(),
                field: Field::Body,
                comment_id: None,
            },
            text,
            offsets: Default::default(),
        })
        .collect()
}
