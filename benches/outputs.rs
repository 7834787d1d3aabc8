//! The end of a scan on a very large site: ranking 10,000 containers and
//! writing report.html, checklist.md and exclusions.csv from the verdicts.
//! `WITHHOLD_BENCH_CONTAINERS` changes the count.

use criterion::{criterion_group, criterion_main, Criterion};
use withhold::model::{
    Category, Container, ContainerKind, Coverage, CoverageStatus, Product, Severity,
};
use withhold::rank::evidence::EntityStats;
use withhold::rank::policy::Policy;
use withhold::report::summary::{ContainerSummary, SourceInfo, Summary, ToolInfo, Totals};
use withhold::report::{checklist, exclusions, html};

fn containers_wanted() -> usize {
    std::env::var("WITHHOLD_BENCH_CONTAINERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000)
}

/// Containers of varied sensitivity: a third clean, some partial, up to four entities each.
fn containers(n: usize) -> Vec<ContainerSummary> {
    let kinds = [
        ("CREDIT_CARD", Category::Financial, Severity::Critical),
        ("EMAIL_ADDRESS", Category::Contact, Severity::Low),
        ("US_SSN", Category::NationalId, Severity::Critical),
        ("CLIENT_NAME", Category::Client, Severity::Medium),
        ("HEALTH_CONDITION", Category::Health, Severity::High),
    ];
    (0..n)
        .map(|i| {
            let items = 20 + (i % 300) as u64;
            let entities: Vec<EntityStats> = (0..(i % 3) * 2)
                .map(|j| {
                    let (entity, category, severity) = kinds[(i + j) % kinds.len()];
                    let values = 1 + ((i * 7 + j * 13) % 40) as u64;
                    EntityStats {
                        entity: entity.into(),
                        category,
                        severity,
                        findings: values * 2,
                        distinct_values: values,
                        test_values: 0,
                        own_domain_values: 0,
                        items: values.min(items),
                        weighted_values: values as f64 * 0.9,
                        names: Vec::new(),
                    }
                })
                .collect();
            let partial = i % 17 == 0;
            ContainerSummary {
                container: Container {
                    product: if i % 2 == 0 {
                        Product::Confluence
                    } else {
                        Product::Jira
                    },
                    kind: if i % 2 == 0 {
                        ContainerKind::Space
                    } else {
                        ContainerKind::Project
                    },
                    id: i.to_string(),
                    key: format!("K{i}"),
                    name: format!("Container number {i} & friends"),
                    url: format!("https://acme.atlassian.net/wiki/spaces/K{i}"),
                    created: None,
                },
                coverage: Coverage {
                    items_seen: items,
                    items_scanned: if partial { items / 2 } else { items },
                    items_failed: u64::from(partial),
                    status: if partial {
                        CoverageStatus::Partial
                    } else {
                        CoverageStatus::Complete
                    },
                    reasons: Vec::new(),
                },
                items_with_findings: entities.iter().map(|e| e.items).max().unwrap_or(0),
                findings: entities.iter().map(|e| e.findings).sum(),
                by_category: Default::default(),
                by_entity: Default::default(),
                entities,
                metadata_exposures: Vec::new(),
            }
        })
        .collect()
}

fn summary(containers: Vec<ContainerSummary>, policy: &Policy) -> Summary {
    Summary {
        tool: ToolInfo {
            name: "withhold",
            version: env!("CARGO_PKG_VERSION"),
        },
        started_at: "2026-12-01T10:00:00Z".into(),
        finished_at: "2026-12-01T11:00:00Z".into(),
        duration_ms: 3_600_000,
        source: SourceInfo {
            kind: "site".into(),
            paths: vec!["https://acme.atlassian.net".into()],
        },
        threads: 2,
        rule_packs: Vec::new(),
        clients: 0,
        revealed: false,
        run: Default::default(),
        totals: Totals {
            containers: containers.len(),
            ..Totals::default()
        },
        verdicts: withhold::rank::rank(&containers, &[], &Default::default(), policy),
        containers,
        thresholds: policy.thresholds.clone(),
        posture: None,
        crawl: None,
        changes: None,
    }
}

fn bench(c: &mut Criterion) {
    let n = containers_wanted();
    let policy = Policy::default();
    let input = containers(n);
    let s = summary(input.clone(), &policy);
    let report = html::render(&s);
    let mut csv = Vec::new();
    exclusions::write(&mut csv, &s.verdicts).expect("CSV");
    eprintln!(
        "{n} containers: report.html {} bytes, checklist.md {} bytes, exclusions.csv {} bytes",
        report.len(),
        checklist::render(&s).len(),
        csv.len()
    );

    let mut g = c.benchmark_group(format!("outputs_{n}"));
    g.sample_size(20);
    g.bench_function("rank", |b| {
        b.iter(|| withhold::rank::rank(&input, &[], &Default::default(), &policy))
    });
    g.bench_function("report_html", |b| b.iter(|| html::render(&s)));
    g.bench_function("checklist_md", |b| b.iter(|| checklist::render(&s)));
    g.bench_function("exclusions_csv", |b| {
        b.iter(|| {
            let mut out = Vec::with_capacity(csv.len());
            exclusions::write(&mut out, &s.verdicts).expect("CSV");
            out
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
