//! The engine against ripgrep on the same corpus, interleaved in one run.
//!
//! `cargo run --release --example compare_ripgrep -- [DIR] [MEGABYTES] [ROUNDS]`
//!
//! Writes the benchmark corpus (benches/support/corpus.rs) and the loaded
//! rules' patterns (`withhold rules export-patterns`) to DIR, then alternates
//! `rg -j1 -c -f patterns corpus` and a single-threaded scan of the same
//! documents with every default rule and a 10,000-name client list, ROUNDS
//! times each, and reports the best and median throughput of both and their
//! ratio. Interleaving keeps a noisy machine from favouring either side.

#[path = "../benches/support/corpus.rs"]
mod corpus;

use std::io::Write;
use std::process::Command;
use std::time::Instant;
use withhold::detect::rules::RuleSet;
use withhold::model::Document;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().unwrap_or_else(|| "target/bench-corpus".into()));
    let mb: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(64);
    let rounds: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(7);
    std::fs::create_dir_all(&dir)?;

    let rules = RuleSet::load(None)?;
    let names = corpus::client_names(10_000);
    let texts = corpus::documents(mb << 20, &names);
    let corpus_path = dir.join("corpus.txt");
    let patterns_path = dir.join("patterns.txt");
    {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&corpus_path)?);
        for t in &texts {
            out.write_all(t.as_bytes())?;
            out.write_all(b"\n")?;
        }
        let mut pats = std::fs::File::create(&patterns_path)?;
        for r in &rules.rules {
            writeln!(pats, "{}", withhold::cli::rules::rg_pattern(&r.pattern))?;
        }
    }
    let file_bytes = std::fs::metadata(&corpus_path)?.len() as f64;
    let engine = corpus::engine(&rules, 10_000)?;
    let docs: Vec<Document> = corpus::as_documents(texts);
    let doc_bytes = docs.iter().map(|d| d.text.len()).sum::<usize>() as f64;

    let mut rg = Vec::new();
    let mut ours = Vec::new();
    let mut rg_lines = String::new();
    let mut findings = 0;
    for _ in 0..rounds {
        let t = Instant::now();
        let out = Command::new("rg")
            .args(["-j1", "-c", "-f"])
            .arg(&patterns_path)
            .arg(&corpus_path)
            .output()?;
        rg.push(file_bytes / t.elapsed().as_secs_f64() / 1e6);
        rg_lines = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let t = Instant::now();
        findings = docs
            .chunks(64)
            .map(|chunk| {
                let batch: Vec<&Document> = chunk.iter().collect();
                engine
                    .scan_batch(&batch)
                    .iter()
                    .map(|s| s.findings.len())
                    .sum::<usize>()
            })
            .sum::<usize>();
        ours.push(doc_bytes / t.elapsed().as_secs_f64() / 1e6);
    }
    let stats = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        (v[v.len() - 1], v[v.len() / 2])
    };
    let (rg_best, rg_median) = stats(&mut rg);
    let (our_best, our_median) = stats(&mut ours);
    println!(
        "corpus: {:.1} MB, {} documents, {} rules, 10000 clients, {rounds} rounds",
        file_bytes / 1e6,
        docs.len(),
        rules.rules.len()
    );
    println!("ripgrep -j1 -c -f (regexes only): best {rg_best:6.1} MB/s  median {rg_median:6.1} MB/s  ({rg_lines} matching lines)");
    println!("withhold engine, one thread:      best {our_best:6.1} MB/s  median {our_median:6.1} MB/s  ({findings} findings)");
    println!(
        "ratio withhold/ripgrep: best {:.2}  median {:.2}",
        our_best / rg_best,
        our_median / rg_median
    );
    Ok(())
}
