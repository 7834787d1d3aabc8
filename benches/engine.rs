//! Engine throughput: all default rules plus a 10,000-name client list over a
//! generated ≥64 MB Confluence/Jira-like corpus, on one thread and on all.

#[path = "support/corpus.rs"]
mod corpus;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rayon::prelude::*;
use withhold::detect::rules::RuleSet;
use withhold::model::Document;

fn corpus_mb() -> usize {
    std::env::var("WITHHOLD_BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

fn bench(c: &mut Criterion) {
    // WITHHOLD_BENCH_RULES=DIR adds or replaces packs, as `--rules DIR` does.
    let extra = std::env::var_os("WITHHOLD_BENCH_RULES").map(std::path::PathBuf::from);
    let rules = RuleSet::load(extra.as_deref()).expect("rules load");
    let engine = corpus::engine(&rules, 10_000).expect("engine builds");
    let names = corpus::client_names(10_000);
    let docs: Vec<Document> = corpus::as_documents(corpus::documents(corpus_mb() << 20, &names));
    let bytes: u64 = docs.iter().map(|d| d.text.len() as u64).sum();
    let mut group = c.benchmark_group("engine");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(bytes));
    // Batches, as the scan pipeline hands them over: the forward pass walks
    // several documents of a batch at once.
    let scan_chunk = |chunk: &[Document]| -> usize {
        let batch: Vec<&Document> = chunk.iter().collect();
        engine
            .scan_batch(&batch)
            .iter()
            .map(|s| s.findings.len())
            .sum()
    };
    group.bench_function("one_thread", |b| {
        b.iter(|| docs.chunks(64).map(scan_chunk).sum::<usize>())
    });
    group.bench_function("all_threads", |b| {
        b.iter(|| docs.par_chunks(16).map(scan_chunk).sum::<usize>())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
